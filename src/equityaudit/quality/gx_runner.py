"""The bridge to great-expectations (GX Core 1.x): imported only when a gate runs, silent and offline.

Importing great-expectations takes seconds, so nothing imports this module until a gate runs
(``equityaudit --help`` never does). When it does:

- ``GX_ANALYTICS_ENABLED`` defaults to ``false`` before the import, and the context is created
  with analytics off, so nothing leaves the machine;
- the context is **ephemeral** (in memory: no ``gx/`` folder, no data docs written), created
  once per process, and the process's "current" GX context is restored after each run, so a
  user's own GX session in the same notebook is left as it was;
- progress bars are off, GX's loggers get a ``NullHandler`` (and level WARNING unless the user
  set one), and the deprecation warnings GX raises while importing or validating (about its own
  use of Python and pandas) are silenced;
- GX's batch fingerprint (an MD5 over every value, about 0.4 s per million rows, which we never
  read) is skipped for the duration of a run.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from equityaudit.errors import PluginError, SpecError, did_you_mean
from equityaudit.quality.suite import Expectation, QualitySuite
from equityaudit.version import __version__

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GXRunner", "gx_import_seconds", "runner"]

_NOT_ARGUMENTS = frozenset(
    {"id", "rendered_content", "batch_id", "windows", "catch_exceptions", "meta", "notes", "severity"}
)
"""Fields of a GX expectation that are not ``kwargs`` in its JSON form (internal, or top-level keys)."""
_RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 20}
"""SUMMARY, not COMPLETE: counts and the first 20 unexpected values, never every failing row."""


def _import_gx() -> Any:
    """Import great-expectations quietly, once."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logger = logging.getLogger("great_expectations")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
    with warnings.catch_warnings():
        # GX 1.x imports modules Python deprecates (sre_constants, ...), and PySpark when it is
        # installed (which warns about the pandas version): nothing a user can act on.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        import great_expectations as gx
        import great_expectations.expectations  # registers the core expectations
    return gx


def gx_import_seconds() -> float:
    """Seconds it takes to import great-expectations in a fresh interpreter (for the benchmark)."""
    import subprocess
    import sys

    code = (
        "import time, os; os.environ.setdefault('GX_ANALYTICS_ENABLED', 'false'); t = time.perf_counter();"
        "import warnings; warnings.simplefilter('ignore');"
        "import great_expectations, great_expectations.expectations;"
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


@dataclass(frozen=True)
class Compiled:
    """An equityaudit expectation and the GX expectation object built from it."""

    expectation: Expectation
    gx: Any


class GXRunner:
    """One ephemeral GX context with a pandas data source, reused by every gate of the process."""

    def __init__(self) -> None:
        self.gx = _import_gx()
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        )
        with self._keeping_current_context():
            self.context = self.gx.get_context(mode="ephemeral", project_config=config)
        asset = self.context.data_sources.add_pandas("equityaudit").add_dataframe_asset("frame")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("whole frame")

    @contextmanager
    def active(self) -> Iterator[GXRunner]:
        """Make this runner's context GX's current one for a while, then restore the user's."""
        from great_expectations.data_context.data_context.context_factory import project_manager

        with self._keeping_current_context(), warnings.catch_warnings():
            # deprecations GX's internals trigger in pandas or in Python are not the user's to fix
            for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
                warnings.simplefilter("ignore", category)
            project_manager.set_project(self.context)
            yield self

    @staticmethod
    @contextmanager
    def _keeping_current_context() -> Iterator[None]:
        from great_expectations.data_context.data_context.context_factory import project_manager
        from great_expectations.exceptions.exceptions import DataContextRequiredError

        try:
            previous = project_manager.get_current_project()
        except DataContextRequiredError:
            previous = None
        try:
            yield
        finally:
            project_manager.set_project(previous)

    def compile(self, expectations: Sequence[Expectation], *, origin: str) -> list[Compiled]:
        """Build the GX expectation objects, or fail naming the malformed one.

        Raises
        ------
        SpecError
            An expectation of the spec or of an imported suite has an unknown name or wrong
            arguments; the message names it and lists the close valid names or arguments.
        PluginError
            The same for an expectation the auditor declared.
        """
        return [Compiled(e, self._expectation(e, origin=origin)) for e in expectations]

    def _expectation(self, expectation: Expectation, *, origin: str) -> Any:
        from great_expectations.compatibility.pydantic import ValidationError
        from great_expectations.exceptions.exceptions import ExpectationNotFoundError
        from great_expectations.expectations.metadata_types import FailureSeverity
        from great_expectations.expectations.registry import (
            get_expectation_impl,
            list_registered_expectation_implementations,
        )

        error = PluginError if expectation.origin == "auditor" else SpecError
        where = f"{origin}: {expectation.source}" if expectation.origin != "auditor" else expectation.source
        try:
            implementation = get_expectation_impl(expectation.type)
        except ExpectationNotFoundError:
            names = list_registered_expectation_implementations()
            raise error(
                f"{where}: unknown great-expectations expectation {expectation.type!r}. "
                f"{did_you_mean(expectation.type, names, label='Expectations GX knows')}"
            ) from None
        arguments = sorted(set(implementation.__fields__) - _NOT_ARGUMENTS)
        try:
            return implementation(
                **expectation.kwargs,
                meta=expectation.to_gx_json()["meta"],
                severity=FailureSeverity(expectation.severity),
            )
        except ValidationError as exc:
            raise error(f"{where}: {expectation.type}: {_describe(exc, arguments)}") from None
        except TypeError as exc:  # e.g. an argument given twice
            raise error(f"{where}: {expectation.type}: {exc}") from None

    def validate(self, frame: pd.DataFrame, compiled: Sequence[Compiled]) -> list[dict[str, Any]]:
        """Run the expectations on a pandas frame; one GX result (as JSON) per expectation, in order."""
        if not compiled:
            return []
        suite = self.gx.ExpectationSuite(
            name="equityaudit gate", expectations=[copy.copy(c.gx) for c in compiled]
        )
        identifiers = [f"equityaudit-{i}" for i in range(len(compiled))]
        for expectation, identifier in zip(suite.expectations, identifiers, strict=True):
            expectation.id = identifier
        with _without_fingerprint():
            batch = self.batch_definition.get_batch(batch_parameters={"dataframe": frame})
            result = batch.validate(suite, result_format=_RESULT_FORMAT)
        # GX lists the results of expectations that raised first: match them up by id
        by_id = {r.expectation_config.id: r.to_json_dict() for r in result.results}
        missing = [i for i in identifiers if i not in by_id]
        if missing:  # pragma: no cover - GX returns one result per expectation
            raise RuntimeError(f"great-expectations returned no result for {missing}")
        return [by_id[i] for i in identifiers]

    def suite_json(self, suite: QualitySuite, compiled: Sequence[Compiled]) -> dict[str, Any]:
        """The suite as great-expectations JSON, ready for a data team's own GX deployment."""
        meta = {
            "equityaudit": {
                "generated_by": f"equityaudit {__version__}",
                "checks_outside_gx": [rule.to_json() for rule in suite.group_rules],
                "note": "expectations written for pandas data (type names, regular expressions); "
                "checks_outside_gx are run by equityaudit itself (GX has no group-size expectation)",
            }
        }
        gx_suite = self.gx.ExpectationSuite(
            name=suite.name, expectations=[copy.copy(c.gx) for c in compiled], meta=meta
        )
        payload: dict[str, Any] = gx_suite.to_json_dict()
        for item in payload["expectations"]:
            item.pop("id", None)  # equityaudit's own bookkeeping, meaningless in another deployment
        return payload


@contextmanager
def _without_fingerprint() -> Iterator[None]:
    """Skip GX's MD5 fingerprint of the batch (metadata we never read) while validating."""
    from great_expectations.execution_engine import pandas_execution_engine

    saved = pandas_execution_engine.HASH_THRESHOLD
    pandas_execution_engine.HASH_THRESHOLD = 0  # frames at least this large (bytes) are not hashed
    try:
        yield
    finally:
        pandas_execution_engine.HASH_THRESHOLD = saved


def _describe(exc: Any, arguments: list[str]) -> str:
    """One line per wrong argument, with the nearest valid ones."""
    problems: list[str] = []
    seen: set[str] = set()
    errors = sorted(exc.errors(), key=lambda e: e.get("type") != "value_error.extra")  # unknown first
    for error in errors:
        name = ".".join(str(part) for part in error["loc"])
        if name in seen:
            continue  # a union type reports each alternative; the first says enough
        seen.add(name)
        kind = error.get("type", "")
        if kind == "value_error.extra":
            problems.append(
                f"unknown argument {name!r}. {did_you_mean(name, arguments, label='Its arguments')}"
            )
        elif kind == "value_error.missing":
            problems.append(
                f"Required argument {name!r} is missing."
                if problems
                else f"required argument {name!r} is missing."
            )
        elif name == "__root__":
            problems.append(f"{error['msg']}.")
        else:
            problems.append(f"argument {name!r}: {error['msg']}.")
    listing = ", ".join(repr(a) for a in arguments)
    return " ".join(problems) + f" (Arguments it takes: {listing}.)"


@functools.cache
def runner() -> GXRunner:
    """The process's runner (imports great-expectations on first use)."""
    return GXRunner()
