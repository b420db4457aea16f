"""The ``hiring`` auditor: a bias audit as NYC Local Law 144 (6 RCNY §5-300 to §5-304) asks.

For sex, race/ethnicity (EEO-1 categories) and their intersection: the number of applicants,
the selection rate (binary decisions) or scoring rate (share scoring strictly above the whole
sample's median) and the impact ratio against the highest-rate category; the number of
applicants in an unknown category, left out of the rates' comparisons; categories under 2 % left
out of impact ratios only when the spec says so with a justification. Beside each impact ratio:
the EEOC four-fifths flag with the two-proportion z test, Fisher's exact test (mid-p) and the
shortfall, and ``insufficient_data`` below the minimum group size. A ``stage`` column audits a
multi-stage funnel: the rate of reaching each stage among those who reached the one before, and
cumulatively.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import narwhals as nw
from pydantic import BaseModel, ConfigDict, Field

from equityaudit.auditors.base import AuditContext, AuditorOutput, Role
from equityaudit.auditors.columns import adverse_decision_note, label_variant_notes, numeric_sensitive_notes
from equityaudit.auditors.comparison import Comparison, comparison_evidence, rate_table, share
from equityaudit.auditors.grouping import counts_record, groupings, table_name
from equityaudit.errors import SpecError, counted
from equityaudit.frames import UNKNOWN
from equityaudit.hookspecs import hookimpl
from equityaudit.judging import judge
from equityaudit.results import Table
from equityaudit.spec import AuditSpec, Thresholds
from equityaudit.stats.counts import GroupCounts, grouped_counts, sample_median
from equityaudit.stats.rates import METRICS, Metric

__all__ = [
    "EEO1_RACE_ETHNICITY",
    "HiringAuditor",
    "HiringOptions",
    "SmallCategoryExclusion",
    "impact_ratio_table",
]

EEO1_RACE_ETHNICITY = (
    "Hispanic or Latino",
    "White",
    "Black or African American",
    "Native Hawaiian or Other Pacific Islander",
    "Asian",
    "American Indian or Alaska Native",
    "Two or More Races",
)
"""The EEO-1 race/ethnicity categories that LL144 §5-301 refers to."""

EEO1_SEX = ("Male", "Female")


class SmallCategoryExclusion(BaseModel):
    """Leave categories under a share of applicants out of impact ratios (LL144 §5-301)."""

    model_config = ConfigDict(extra="forbid")

    justification: str = Field(
        min_length=10, description="Why excluding them is appropriate; printed in the report."
    )
    threshold: float = Field(default=0.02, gt=0, le=0.02, description="At most 2 % (LL144).")


class HiringOptions(BaseModel):
    """Options of the hiring auditor (``options:`` in the spec)."""

    model_config = ConfigDict(extra="forbid")

    sex_column: str | None = Field(
        default=None, description="Which sensitive column holds sex (default: by its name)."
    )
    race_column: str | None = Field(
        default=None, description="Which sensitive column holds race/ethnicity (default: by its name)."
    )
    audit_date: dt.date | None = Field(default=None, description="Date of the audit (default: today).")
    distribution_date: dt.date | None = Field(
        default=None, description="Date the tool was first distributed or used (LL144 §5-303)."
    )
    exclude_small_categories: SmallCategoryExclusion | None = None
    stages: list[str] = Field(
        default_factory=list, description="Funnel stages in order, e.g. [applied, interview, offer]."
    )


def _detect(sensitive: list[str], given: str | None, words: tuple[str, ...], key: str) -> str | None:
    if given is not None:
        if given not in sensitive:
            raise SpecError(
                f"options.{key} is {given!r}, which is not among columns.sensitive {sensitive}; "
                "add it there or correct the option."
            )
        return given
    matches = [c for c in sensitive if any(w in c.lower() for w in words)]
    return matches[0] if len(matches) == 1 else None


class HiringAuditor:
    """LL144 bias audit of an automated employment decision tool (see the module docstring)."""

    name = "hiring"
    summary = (
        "NYC Local Law 144 bias audit: selection/scoring rates and impact ratios by sex, race/ethnicity."
    )
    roles: ClassVar[dict[str, Role]] = {
        "sensitive": "required",
        "decision": "optional",
        "score": "optional",
        "outcome": "unused",
        "stage": "optional",
        "id": "optional",
    }
    options_model = HiringOptions

    def expectations(self, spec: AuditSpec) -> list[dict[str, Any]]:
        """Stage values among ``options.stages``; the gate derives the rest from the roles
        (columns present, decision binary, score numeric, groups large enough)."""
        from equityaudit.quality.suite import token_regex

        stage = spec.columns.stage
        stages = spec.options.get("stages")
        if stage is None or not isinstance(stages, list) or not stages:
            return []  # the engine reports a missing or malformed options.stages
        return [
            {
                "type": "expect_column_values_to_match_regex",
                "kwargs": {"column": stage, "regex": token_regex([str(s).strip().lower() for s in stages])},
                "meta": {
                    "equityaudit": {
                        "fix": f"correct those values, or add the missing stages to options.stages {stages} "
                        "in funnel order"
                    }
                },
            }
        ]

    def check_spec(self, spec: AuditSpec, options: BaseModel) -> None:
        """Spec rules beyond the roles, checked before any data is read."""
        assert isinstance(options, HiringOptions)
        columns = spec.columns
        if spec.reference != "max_rate":
            raise SpecError(
                f"{spec.origin}: reference: the hiring auditor compares every "
                "category with the highest-rate one, as LL144 defines the impact ratio; remove "
                "'reference' or use the decisions auditor for another reference group."
            )
        if "intersectional" in columns.model_fields_set and not columns.intersectional:
            raise SpecError(
                f"{spec.origin}: columns.intersectional is false, but the hiring auditor "
                "audits sex, race/ethnicity and their intersection, as NYC Local Law 144 requires impact "
                "ratios for the intersectional categories (6 RCNY §5-301); remove 'intersectional: false', "
                "or use 'auditor: decisions' for an audit without the intersection."
            )
        if columns.decision is None and columns.score is None:
            raise SpecError(
                f"{spec.origin}: columns: neither 'decision' nor 'score' is given: name the "
                "column holding the tool's binary decision (decision: advanced) or its score (score: screen_score)."
            )
        if columns.stage is not None and not options.stages:
            raise SpecError(
                f"{spec.origin}: columns.stage is {columns.stage!r} but "
                "options.stages is missing; list the stages in funnel order, e.g. "
                "stages: [applied, interview, offer]."
            )

    def run(self, frame: nw.LazyFrame[Any], spec: AuditSpec, context: AuditContext) -> AuditorOutput:
        """Count once; build the LL144 tables, funnel tables and findings."""
        options = context.options
        assert isinstance(options, HiringOptions)
        columns = spec.columns
        sex = _detect(columns.sensitive, options.sex_column, ("sex", "gender"), "sex_column")
        race = _detect(columns.sensitive, options.race_column, ("race", "ethnic"), "race_column")
        median = sample_median(frame, columns.score, origin=context.source) if columns.score else None
        counts = grouped_counts(
            frame,
            sensitive=columns.sensitive,
            decision=columns.decision,
            score=columns.score,
            score_threshold=median,
            stage=columns.stage,
            stages=options.stages,
            unknown_values=columns.unknown_values,
            origin=context.source,
            tally=context.tally,
        )
        by_sets = groupings(columns.sensitive, intersectional=True)
        exclusion = options.exclude_small_categories
        output = AuditorOutput(counts=[counts_record(counts)])
        comparisons: list[Comparison] = []
        small: list[dict[str, Any]] = []
        selection = METRICS["selection_rate"] if columns.decision_favourable else METRICS["favourable_rate"]
        metrics = [selection] if columns.decision is not None else []
        output_notes = [] if columns.decision_favourable else [adverse_decision_note(columns)]
        if columns.score is not None:
            metrics.append(METRICS["scoring_rate"])
        for metric in metrics:
            for by in by_sets:
                marginal = counts.marginal(by)
                excluded, under = _small_categories(marginal, exclusion)
                if metric is metrics[0]:
                    small += under
                prefix = "" if metric is metrics[0] else "scoring:"
                table, found = impact_ratio_table(
                    marginal,
                    metric=metric,
                    thresholds=spec.thresholds,
                    excluded=excluded,
                    name=prefix + table_name(by),
                    origin=context.source,
                )
                output.notes += [
                    f"{table.name}: {note}" for note in table.notes if note.startswith(_SMALL_REFERENCE)
                ]
                output.tables.append(table)
                comparisons += found
        for previous, stage in zip(options.stages, options.stages[1:], strict=False):
            conditional = Metric(
                f"{stage}_rate",
                f"reached_{stage}",
                f"reached_{previous}",
                f"rate of reaching {stage} among those who reached {previous}",
            )
            cumulative = Metric(
                f"{stage}_cumulative_rate",
                f"reached_{stage}",
                "n",
                f"share of all applicants reaching {stage}",
            )
            for by in by_sets:
                marginal = counts.marginal(by)
                excluded, _ = _small_categories(marginal, exclusion)
                # a stage that is the tool's decision itself (reached it == advanced) is already
                # judged as the selection rate: report it, but do not count the same test twice
                repeats_decision = "selected" in marginal.table and bool(
                    (marginal.table[f"reached_{stage}"] == marginal.table["selected"]).all()
                    and (marginal.table[f"reached_{previous}"] == marginal.table["n"]).all()
                )
                for metric, judged in ((conditional, not repeats_decision), (cumulative, False)):
                    # not an LL144 disclosure: the reference is the highest-rate category with at
                    # least min_group_size in the stage's denominator, as in the decisions auditor
                    table, found = rate_table(
                        marginal,
                        metric=metric,
                        thresholds=spec.thresholds,
                        reference="max_rate",
                        excluded=excluded,
                        compare=judged,
                        name=f"stage:{metric.name}:{table_name(by)}",
                        origin=context.source,
                        stage=stage,
                        cumulative=metric is cumulative,
                    )
                    if metric is conditional and repeats_decision:
                        table.notes.append(
                            f"reaching {stage} is the tool's decision itself: these rates equal the selection "
                            "rates, judged there (not tested twice)"
                        )
                    output.tables.append(table)
                    comparisons += found
        # a model's counterfactual sensitivity (model:) is judged in the audit's one family
        evidence = [*(comparison_evidence(c, spec.thresholds) for c in comparisons), *context.model_evidence]
        output.findings = judge(evidence, spec.thresholds)
        output.context["ll144"] = self._disclosures(spec, options, counts, sex, race, median, small)
        output.notes += output_notes + self._notes(spec, options, counts, sex, race, small)
        output.notes += numeric_sensitive_notes(frame, columns.sensitive)
        output.notes += label_variant_notes(counts)
        return output

    def _disclosures(
        self,
        spec: AuditSpec,
        options: HiringOptions,
        counts: GroupCounts,
        sex: str | None,
        race: str | None,
        median: float | None,
        small: list[dict[str, Any]],
    ) -> dict[str, Any]:
        unknown = {}
        for column in counts.by:
            marginal = counts.marginal([column]).table
            unknown[column] = int(marginal.loc[marginal[column] == UNKNOWN, "n"].sum())
        period = spec.data.period
        return {
            "audit_date": (options.audit_date or dt.date.today()).isoformat(),
            "distribution_date": options.distribution_date.isoformat() if options.distribution_date else None,
            "data_kind": spec.data.kind,
            "data_kind_stated": _kind_stated(spec),
            "unstated": _unstated(spec, options),
            "test_data_reason": spec.data.test_data_reason,
            "data_description": spec.data.description,
            "data_period": {"start": period.start.isoformat(), "end": period.end.isoformat()}
            if period
            else None,
            "applicants": counts.total,
            "unknown_count": unknown,
            "metric": (
                ("selection_rate" if spec.columns.decision_favourable else "favourable_rate")
                if spec.columns.decision is not None
                else "scoring_rate"
            ),
            "median_score": median,
            "sex_column": sex,
            "race_ethnicity_column": race,
            "small_categories": small,
            "exclusion_justification": (
                spec_options.justification if (spec_options := options.exclude_small_categories) else None
            ),
            "stages": options.stages,
        }

    def _notes(
        self,
        spec: AuditSpec,
        options: HiringOptions,
        counts: GroupCounts,
        sex: str | None,
        race: str | None,
        small: list[dict[str, Any]],
    ) -> list[str]:
        exclusion = options.exclude_small_categories
        notes = []
        missing = [label for label, column in (("sex", sex), ("race/ethnicity", race)) if column is None]
        if missing:
            notes.append(
                f"LL144 requires impact ratios by sex, race/ethnicity and their intersection; no "
                f"sensitive column was recognised as {' or '.join(missing)} (set options.sex_column "
                "/ options.race_column if one is there under another name)."
            )
        for column, expected in ((sex, EEO1_SEX), (race, EEO1_RACE_ETHNICITY)):
            if column is None:
                continue
            values = set(counts.marginal([column]).table[column]) - {UNKNOWN}
            other = sorted(values - set(expected))
            if other:
                notes.append(
                    f"column {column!r} has categories outside the EEO-1 list: {other}; LL144 audits "
                    f"use the EEO-1 categories {list(expected)}. Map them before a public audit."
                )
        if small and exclusion is None:
            listed = ", ".join(f"{'/'.join(s['group'].values())} ({100 * s['share']:.2f}%)" for s in small)
            notes.append(
                f"categories under 2 % of applicants: {listed}. LL144 allows leaving them out of "
                "impact ratios with a justification (options.exclude_small_categories); they are "
                "included here."
            )
        if options.distribution_date is None:
            notes.append(
                "LL144 summary incomplete: the distribution date of the tool is not stated (6 RCNY §5-303 "
                "requires it); add options.distribution_date, the date the tool was first distributed or used."
            )
        if not _kind_stated(spec):
            notes.append(
                "LL144 summary incomplete: data.kind is not stated, so the summary cannot say whether historical "
                "or test data was audited (6 RCNY §5-301, §5-303); add data.kind: historical, or data.kind: test "
                "with data.test_data_reason."
            )
        if spec.data.period is None:
            notes.append("the data period is not stated; add data.period {start, end} for the LL144 summary.")
        if spec.data.kind == "test":
            notes.append(f"test data was used instead of historical data: {spec.data.test_data_reason}")
        return notes


def _kind_stated(spec: AuditSpec) -> bool:
    """Whether the spec says ``data.kind`` itself (its default, historical, is not a statement)."""
    return "kind" in spec.data.model_fields_set


def _unstated(spec: AuditSpec, options: HiringOptions) -> list[str]:
    """The spec keys of §5-303 facts the spec leaves unsaid, so the summary cannot state them."""
    missing = []
    if options.distribution_date is None:
        missing.append("options.distribution_date")
    if not _kind_stated(spec):
        missing.append("data.kind")
    return missing


_SMALL_REFERENCE = "the highest-rate category, "


def impact_ratio_table(
    counts: GroupCounts,
    *,
    metric: Metric,
    thresholds: Thresholds,
    excluded: dict[tuple[str, ...], str],
    name: str,
    origin: str,
) -> tuple[Table, list[Comparison]]:
    """One LL144 table: each category's rate and impact ratio to the highest-rate category.

    The reference is the most selected category whatever its size (6 RCNY §5-301); the rows carry
    ``impact_ratio``, and a note says when that category is too small for any comparison to be
    judged. The registry's pooled LL144 audit builds its tables with this same function.
    """
    table, found = rate_table(
        counts,
        metric=metric,
        thresholds=thresholds,
        reference="max_rate",
        excluded=excluded,
        reference_min_n=1,
        name=name,
        origin=origin,
    )
    table.rows = [{**row, "impact_ratio": row[f"{metric.name}_ratio"]} for row in table.rows]
    small_reference = _small_reference_note(table, thresholds.min_group_size)
    if small_reference:
        table.notes.append(small_reference)
    return table, found


def _small_reference_note(table: Table, minimum: int) -> str | None:
    """A note when the highest-rate category, LL144's reference, is too small to compare with.

    LL144 fixes the reference (the most selected category), so its impact ratios are reported as
    they are; but none of the table's comparisons can be judged, and the note says what to do.
    """
    reference = next((row for row in table.rows if row.get("reference")), None)
    if reference is None or reference[table.denominator] >= minimum:
        return None
    label = ", ".join(str(v) for v in reference["group"].values())
    return (
        f"{_SMALL_REFERENCE}{label}, has only {counted(int(reference[table.denominator]), 'applicant')} "
        f"(minimum {minimum}): LL144's impact ratios to it are reported, but no comparison in this table "
        "can be judged. A category under 2 % of applicants may be left out of impact ratios with a "
        "justification (options.exclude_small_categories); otherwise collect more data."
    )


def _small_categories(
    counts: GroupCounts, exclusion: SmallCategoryExclusion | None
) -> tuple[dict[tuple[str, ...], str], list[dict[str, Any]]]:
    """Groups under the threshold share (2 %), and the exclusion reasons when the spec asks for it."""
    threshold = exclusion.threshold if exclusion else 0.02
    shares = share(counts)
    excluded: dict[tuple[str, ...], str] = {}
    under = []
    for i, row in enumerate(counts.table[list(counts.by)].itertuples(index=False)):
        group = tuple(str(v) for v in row)
        if UNKNOWN in group or not shares[i] < threshold:
            continue
        under.append(
            {
                "table": table_name(counts.by),
                "group": dict(zip(counts.by, group, strict=True)),
                "n": int(counts.table["n"].iloc[i]),
                "share": float(shares[i]),
            }
        )
        if exclusion is not None:
            excluded[group] = (
                f"{100 * shares[i]:.2f}% of applicants with known category, under "
                f"{100 * threshold:g}%: left out of impact ratios as the spec states "
                f"({exclusion.justification})"
            )
    return excluded, under


@hookimpl
def equityaudit_auditors() -> list[HiringAuditor]:
    """The built-in ``hiring`` auditor."""
    return [HiringAuditor()]
