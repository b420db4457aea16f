"""The package's layers point one way: an import-graph check over every module in src/equityaudit.

Reading top to bottom, a module may import from its own layer or any layer below, never above::

    public face   equityaudit (the lazy re-exports), equityaudit.__main__
    cli           the click commands
    engine        engine, the example-data generator; report, registry and compare beside it
    auditing      quality, auditors (and the plugin manager that lists them), standards
    data          stats, frames, values, column_checks, groups, judging, bisg
    records       results, errors, spec, spec_loading, signing, version, numbers

and report, registry and compare *read results only*: besides their own modules they import the
records layer, and nothing else unless :data:`ALLOWED` names the edge and says why.

What counts as an import
------------------------
Every ``import equityaudit…`` and ``from equityaudit… import …`` in a module's source, found with
``ast`` wherever it stands:

* **module level** (including class bodies and ``try`` blocks): runs when the module is imported;
* **inside a function**: runs on the first call. Deferring an import hides a cycle from Python,
  it does not remove it: the engine → quality → engine cycle lived in a function;
* **inside ``if TYPE_CHECKING:``**: never runs, so such an import cannot make Python fail with a
  half-initialised module; it is still a dependency (the module's annotations name the other
  module's types, and mypy follows them), so it counts for the layers and for cycles alike.

``from package import name`` is an edge to ``package.name`` when that is a module, otherwise to
``package``. Not counted: the parent packages Python runs on the way to a module (importing
``equityaudit.quality.suite`` runs ``equityaudit/__init__.py`` and ``equityaudit/quality/__init__.py``
first; counted, every module would depend on the public face, which is why package ``__init__``
files stay thin), and imports by name at run time (``importlib.import_module``): the plugin
manager's table of built-in auditors, the CLI's table of lazily loaded commands and the public
face's lazy re-exports are registrations, like the entry points third-party plugins use.
"""

from __future__ import annotations

import ast
import enum
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "equityaudit"


class Layer(enum.IntEnum):
    """Higher layers may import lower ones."""

    RECORDS = 1
    DATA = 2
    AUDITING = 3
    ENGINE = 4
    CLI = 5
    PUBLIC_FACE = 6


LAYERS: dict[str, Layer] = {
    # the public face: lazy re-exports and python -m equityaudit. Its imports are TYPE_CHECKING-only,
    # but they count: a module importing the package itself (for __version__, say) makes a cycle.
    "equityaudit": Layer.PUBLIC_FACE,
    "equityaudit.__main__": Layer.PUBLIC_FACE,
    "equityaudit.plugin": Layer.PUBLIC_FACE,  # the plugin authors' namespace: re-exports only
    "equityaudit.cli": Layer.CLI,
    "equityaudit.engine": Layer.ENGINE,
    "equityaudit.lda": Layer.ENGINE,  # the LDA search: prepares the spec's audit, refits candidates
    "equityaudit.lda_output": Layer.ENGINE,  # an LDA search's JSON, Markdown, table and saved files
    "equityaudit.synthetic": Layer.ENGINE,  # makes the example datasets; uses the hiring auditor's categories
    "equityaudit.report": Layer.ENGINE,  # reads results only (RESULT_READERS)
    "equityaudit.registry": Layer.ENGINE,  # reads results only (RESULT_READERS)
    "equityaudit.compare": Layer.ENGINE,  # reads results only (RESULT_READERS)
    "equityaudit.quality": Layer.AUDITING,
    "equityaudit.auditors": Layer.AUDITING,
    "equityaudit.hookspecs": Layer.AUDITING,  # the auditors' hook
    "equityaudit.plugins": Layer.AUDITING,  # the plugin manager: lists the auditors
    "equityaudit.standards": Layer.AUDITING,
    "equityaudit.stats": Layer.DATA,
    "equityaudit.frames": Layer.DATA,  # sources in, rows out
    "equityaudit.duckdb_source": Layer.DATA,  # a file read by DuckDB, a read-only query on a database
    "equityaudit.spark_source": Layer.DATA,  # a file or table read by the environment's Spark session
    "equityaudit.values": Layer.DATA,  # raw values read as decisions and groups
    "equityaudit.column_checks": Layer.DATA,  # the spec's columns are in the data
    "equityaudit.groups": Layer.DATA,
    "equityaudit.models": Layer.DATA,  # a model file scored on the rows: decision and score columns
    "equityaudit.sweep": Layer.DATA,  # a model's threshold sweep: rates and ratios at every cut-off
    "equityaudit.counterfactual": Layer.DATA,  # a model's decisions made again with an attribute flipped
    "equityaudit.shortlist": Layer.DATA,  # a model's shortlists: rates and ratios for the top 5 %, …, 50 %
    "equityaudit.model_quality": Layer.DATA,  # a model's AUC, calibration and score gaps by group
    "equityaudit.judging": Layer.DATA,
    "equityaudit.bisg": Layer.DATA,  # group probabilities from surnames and places
    "equityaudit.sampling": Layer.DATA,  # a seeded, stratified sample of rows, drawn on the backend
    "equityaudit.results": Layer.RECORDS,
    "equityaudit.errors": Layer.RECORDS,
    "equityaudit.spec": Layer.RECORDS,
    "equityaudit.spec_loading": Layer.RECORDS,  # YAML to a validated spec
    "equityaudit.signing": Layer.RECORDS,  # a result's signed envelope
    "equityaudit.version": Layer.RECORDS,
    "equityaudit.numbers": Layer.RECORDS,  # how numbers are written, in auditors' messages and reports
}
"""Each top-level module or package of equityaudit, and its layer."""

RESULT_READERS = frozenset({"equityaudit.report", "equityaudit.registry", "equityaudit.compare"})
"""Packages that read results only: besides their own modules, they import the records layer."""

POOLED = (
    "the registry pools members' counts and runs the local audit's analyses on the sums, so that a "
    "pooled finding is computed, judged and worded exactly as a local one"
)
ALLOWED: dict[str, dict[str, str]] = {
    "equityaudit.registry.pooling": {
        "equityaudit.auditors.comparison": POOLED + " (rate tables, comparisons)",
        "equityaudit.auditors.gaps": POOLED + " (error-rate gaps)",
        "equityaudit.auditors.grouping": POOLED + " (groupings, table names, counts as stored)",
        "equityaudit.auditors.hiring": POOLED + " (LL144's impact-ratio table)",
        "equityaudit.judging": POOLED + " (the one judging rule)",
        "equityaudit.stats.counts": POOLED + " (stored counts as GroupCounts)",
        "equityaudit.stats.rates": POOLED + " (the metrics' definitions)",
        "equityaudit.groups": POOLED + " (named groups in their own order)",
        "equityaudit.standards": "a pooled audit is judged by its standard's thresholds and taxonomy",
        "equityaudit.values": "the name of the group of unknown values (values.UNKNOWN)",
    },
    "equityaudit.registry.privacy": {
        "equityaudit.standards": "the noise covers every cell of the standard's taxonomy",
        "equityaudit.standards.model": "the standard's privacy block (mechanism, ε, budget)",
        "equityaudit.stats.counts": POOLED + " (the noisy counts as GroupCounts)",
        "equityaudit.values": "the name of the group of unknown values (values.UNKNOWN)",
    },
    "equityaudit.registry.stratification": {
        "equityaudit.auditors.grouping": POOLED
        + " (the scoring strata's tables: the hiring auditor's groupings)",
        "equityaudit.judging": "which side of the standard's threshold a ratio falls on (judging.meets)",
        "equityaudit.stats.counts": POOLED + " (each member's stored counts as GroupCounts)",
        "equityaudit.stats.stratified": "members' comparisons combined as strata (Mantel–Haenszel)",
        "equityaudit.values": "the name of the group of unknown values (values.UNKNOWN), left out of ratios",
    },
    "equityaudit.registry.validation": {
        "equityaudit.standards": "a submission is checked against the standard it claims",
        "equityaudit.values": "the name of the group of unknown values (values.UNKNOWN)",
    },
    "equityaudit.registry.semantics": {
        "equityaudit.judging": "a submitted finding's status is checked by the one judging rule that made it",
        "equityaudit.standards": "a submission is re-judged under the standard it claims",
    },
    "equityaudit.registry.storage": {
        "equityaudit.standards": "the registry stores, parses and serves standards",
    },
    # report formats are plugins like auditors: the format contract is the reports', and the
    # plugin layer names its type; the built-in formats register through the same hook
    "equityaudit.hookspecs": {
        "equityaudit.report.formats": "the report-format hook's return type, for annotations only",
    },
    "equityaudit.plugins": {
        "equityaudit.report.formats": "the listed formats' type, for annotations only",
    },
    "equityaudit.report.builtin_formats": {
        "equityaudit.hookspecs": "the built-in formats register through the hook third-party formats use",
    },
    "equityaudit.report.writer": {
        "equityaudit.plugins": "writes the formats the plugin manager lists (built-in and installed)",
    },
}
"""Imports the rules above would refuse, kept on purpose: importer → {imported: why}."""


class Kind(enum.Enum):
    MODULE = "module level"
    FUNCTION = "in a function"
    TYPE_CHECKING = "TYPE_CHECKING only"


@dataclass(frozen=True)
class Import:
    target: str
    line: int
    kind: Kind

    def describe(self) -> str:
        return f"line {self.line}, {self.kind.value}"


Graph = Mapping[str, Iterable[Import]]


def module_name(path: Path, root: Path) -> str:
    """``root/equityaudit/quality/gate.py`` → ``equityaudit.quality.gate``; a package is its ``__init__``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


class _Imports(ast.NodeVisitor):
    """Every import of ``package`` in one module, with where it stands."""

    def __init__(self, module: str, is_package: bool, modules: frozenset[str], package: str) -> None:
        self.module, self.is_package, self.modules, self.package = module, is_package, modules, package
        self.kinds = [Kind.MODULE]
        self.found: list[Import] = []

    def _add(self, target: str, node: ast.stmt) -> None:
        if target == self.package or target.startswith(self.package + "."):
            self.found.append(Import(target, node.lineno, self.kinds[-1]))

    def _visit_as(self, kind: Kind, nodes: Iterable[ast.AST]) -> None:
        # inside TYPE_CHECKING stays TYPE_CHECKING, even in a function
        self.kinds.append(self.kinds[-1] if self.kinds[-1] is Kind.TYPE_CHECKING else kind)
        for node in nodes:
            self.visit(node)
        self.kinds.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._visit_as(Kind.FUNCTION, node.body)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._visit_as(Kind.FUNCTION, node.body)

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            self._visit_as(Kind.TYPE_CHECKING, node.body)
            for statement in node.orelse:  # else: runs, where the if stands
                self.visit(statement)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:  # relative: from the module's own package, up level - 1 more
            base = self.module.split(".") if self.is_package else self.module.split(".")[:-1]
            base = base[: len(base) - node.level + 1]
            source = ".".join([*base, *([node.module] if node.module else [])])
        else:
            source = node.module or ""
        for alias in node.names:
            submodule = f"{source}.{alias.name}"
            self._add(submodule if submodule in self.modules else source, node)


def import_graph(root: Path, package: str = PACKAGE) -> dict[str, list[Import]]:
    """Each module of ``package`` under ``root`` → the imports of ``package`` it makes."""
    paths = {module_name(path, root): path for path in sorted((root / package).rglob("*.py"))}
    modules = frozenset(paths)
    graph: dict[str, list[Import]] = {}
    for module, path in paths.items():
        visitor = _Imports(module, path.name == "__init__.py", modules, package)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        graph[module] = [i for i in dict.fromkeys(visitor.found) if i.target != module]  # one per statement
    return graph


def top_level(module: str) -> str:
    """``equityaudit.quality.gate`` → ``equityaudit.quality``; ``equityaudit`` → itself."""
    return ".".join(module.split(".")[:2])


def cycles(graph: Graph) -> list[str]:
    """One cycle through each group of modules that import one another, as ``a → b → a`` with lines."""
    edges = {module: {i.target: i for i in imports if i.target in graph} for module, imports in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(component)

    for node in sorted(edges):
        if node not in index:
            connect(node)
    found = []
    for component in components:
        members = set(component)
        start = min(component)
        if len(component) == 1 and start not in edges[start]:
            continue
        # the shortest way from start back to itself, inside the component
        paths: dict[str, list[str]] = {start: [start]}
        queue = [start]
        path: list[str] = []
        while queue and not path:
            node = queue.pop(0)
            for target in sorted(edges[node]):
                if target == start:
                    path = [*paths[node], start]
                    break
                if target in members and target not in paths:
                    paths[target] = [*paths[node], target]
                    queue.append(target)
        steps = [start] + [f"{b} ({edges[a][b].describe()})" for a, b in itertools.pairwise(path)]
        others = sorted(members - set(path))
        also = f" (tangled with it: {', '.join(others)})" if others else ""
        found.append(" → ".join(steps) + also)
    return sorted(found)


def layer_violations(
    graph: Graph,
    layers: Mapping[str, Layer],
    *,
    readers: Iterable[str] = (),
    allowed: Mapping[str, Mapping[str, str]] | None = None,
) -> list[str]:
    """Each import from a lower layer to a higher one, and each import by a result reader of
    anything but its own package and the records layer, unless ``allowed`` names it."""
    readers = frozenset(readers)
    found = []
    for module, imports in sorted(graph.items()):
        own = top_level(module)
        exempt = (allowed or {}).get(module, {})
        for target in imports:
            theirs = top_level(target.target)
            if theirs == own or target.target in exempt:
                continue
            where = f"{module} imports {target.target} ({target.describe()})"
            if layers[theirs] > layers[own]:
                found.append(f"{where}: upward, {layers[own].name} → {layers[theirs].name}")
            elif own in readers and layers[theirs] > Layer.RECORDS:
                found.append(f"{where}: {own} reads results only, and {theirs} is {layers[theirs].name}")
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, list[Import]]:
    return import_graph(SRC)


def test_every_module_has_a_layer(graph: dict[str, list[Import]]) -> None:
    unplaced = sorted({top_level(m) for m in graph} - set(LAYERS))
    assert unplaced == [], f"add each to LAYERS in {__file__}"
    assert set(LAYERS) >= RESULT_READERS


def test_no_import_cycles(graph: dict[str, list[Import]]) -> None:
    assert cycles(graph) == []


def test_layers_point_down(graph: dict[str, list[Import]]) -> None:
    assert layer_violations(graph, LAYERS, readers=RESULT_READERS, allowed=ALLOWED) == []


def test_every_allowed_edge_is_still_there(graph: dict[str, list[Import]]) -> None:
    """An allowance outlives its need silently; drop it when its import goes."""
    present = {(module, i.target) for module, imports in graph.items() for i in imports}
    kept = {(module, target) for module, targets in ALLOWED.items() for target in targets}
    assert sorted(kept - present) == []


def test_the_checker_reports_a_cycle_and_an_upward_import() -> None:
    def edge(target: str, kind: Kind = Kind.MODULE) -> Import:
        return Import(target, 1, kind)

    toy = {
        "equityaudit.engine": [edge("equityaudit.quality.gate")],
        "equityaudit.quality.gate": [edge("equityaudit.engine", Kind.FUNCTION), edge("equityaudit.results")],
        "equityaudit.results": [],
        "equityaudit.report.html": [edge("equityaudit.stats.counts", Kind.TYPE_CHECKING)],
        "equityaudit.stats.counts": [],
    }
    assert cycles(toy) == [
        "equityaudit.engine → equityaudit.quality.gate (line 1, module level) → "
        "equityaudit.engine (line 1, in a function)"
    ]
    assert layer_violations(toy, LAYERS, readers=RESULT_READERS) == [
        "equityaudit.quality.gate imports equityaudit.engine (line 1, in a function): upward, AUDITING → ENGINE",
        "equityaudit.report.html imports equityaudit.stats.counts (line 1, TYPE_CHECKING only): "
        "equityaudit.report reads results only, and equityaudit.stats is DATA",
    ]
    allowed = {"equityaudit.quality.gate": {"equityaudit.engine": "a reason"}}
    assert len(layer_violations(toy, LAYERS, allowed=allowed)) == 0


def test_the_walker_finds_every_kind_of_import(tmp_path: Path) -> None:
    package = tmp_path / "toy"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from . import leaf\nfrom .leaf import VALUE\n")
    (package / "sub" / "leaf.py").write_text("VALUE = 1\n")
    (package / "top.py").write_text(
        "from __future__ import annotations\n"
        "import typing\n"
        "from typing import TYPE_CHECKING\n"
        "import toy.sub\n"
        "if TYPE_CHECKING:\n"
        "    from toy.sub.leaf import VALUE\n"
        "if typing.TYPE_CHECKING:\n"
        "    import toy.sub.leaf\n"
        "class Holder:\n"
        "    from toy import sub\n"
        "def later() -> None:\n"
        "    from toy.sub import leaf\n"
    )
    found = import_graph(tmp_path, "toy")
    assert found["toy.sub"] == [
        Import("toy.sub.leaf", 1, Kind.MODULE),
        Import("toy.sub.leaf", 2, Kind.MODULE),
    ]
    assert found["toy.top"] == [
        Import("toy.sub", 4, Kind.MODULE),
        Import("toy.sub.leaf", 6, Kind.TYPE_CHECKING),
        Import("toy.sub.leaf", 8, Kind.TYPE_CHECKING),
        Import("toy.sub", 10, Kind.MODULE),
        Import("toy.sub.leaf", 12, Kind.FUNCTION),
    ]
    assert found["toy.sub.leaf"] == []
