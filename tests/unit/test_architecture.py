"""The house's gates (docs/architecture.md): the layout rules, checked on the source's AST.

Each test reads ``src/dockline`` as text and parses it; nothing here imports dockline except
the last test, which imports ``dockline.swarm.model`` to see its dataclasses. Every failure
names the file and line (or, for a cycle, the modules in order) so it can be fixed directly.

* no import cycle among dockline's modules: every import counts, also one inside a function or
  under ``if TYPE_CHECKING:`` (a cycle hidden from the interpreter is still a cycle in the house);
  and none among its packages (``dockline.cluster``, ``dockline.engine``, ``dockline.config``...);
* ``docker`` (the SDK) is imported only in ``dockline/engine/``;
* each package imports only the packages below it (``MAY_IMPORT``, the doc's layer table);
* no module in ``dockline/cli/`` is longer than 250 lines;
* no parameter or attribute that holds an engine (``engine``, ``eng``, ``*engine``) is
  annotated with ``Any``: it names the Protocol it needs (``dockline.swarm.protocols``);
* the models in ``swarm/model.py`` are frozen dataclasses with immutable fields;
* dockline never imports its test tooling (``dockline_testing``, ``tests``).
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import inspect
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = SRC / "dockline"
CLI_MAX_LINES = 250


# --------------------------------------------------------------------------- reading the source
@dataclass(frozen=True)
class Module:
    """One module of dockline: its dotted name, file and parsed tree."""

    name: str
    path: Path
    tree: ast.Module

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    @property
    def rel(self) -> str:
        return str(self.path.relative_to(ROOT))


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_modules(package: Path | None = None, src: Path | None = None) -> dict[str, Module]:
    package, src = package or PACKAGE, src or SRC
    modules = {}
    for path in sorted(package.rglob("*.py")):
        name = module_name(path, src)
        modules[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return modules


@dataclass(frozen=True)
class Import:
    """One imported module name as written (absolute), with the names taken from it."""

    target: str
    names: tuple[str, ...]
    line: int


def imports_in(module: Module) -> Iterator[Import]:
    """Every import statement anywhere in the module (top level, functions, TYPE_CHECKING),
    relative ones made absolute."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(a.name for a in node.names)
            if node.level == 0:
                yield Import(node.module or "", names, node.lineno)
                continue
            # `from . import x` in dockline/a/b.py is dockline.a; in dockline/a/__init__.py too
            base = module.name.split(".")
            drop = node.level - 1 if module.is_package else node.level
            if drop:
                base = base[:-drop]
            target = ".".join(base + ([node.module] if node.module else []))
            yield Import(target, names, node.lineno)


def dockline_edges(module: Module, known: set[str]) -> dict[str, list[int]]:
    """The dockline modules this module imports, each with the lines that import it.
    ``from dockline.x import y`` imports the submodule ``dockline.x.y`` when that is a module,
    else ``dockline.x``; ``import dockline.x.y`` imports ``dockline.x.y``."""
    edges: dict[str, list[int]] = {}
    for imp in imports_in(module):
        if imp.target != "dockline" and not imp.target.startswith("dockline."):
            continue
        targets = {f"{imp.target}.{n}" for n in imp.names if f"{imp.target}.{n}" in known}
        if len(targets) < len(imp.names) or not imp.names:  # names of the module itself
            parts = imp.target.split(".")
            while len(parts) > 1 and ".".join(parts) not in known:
                parts.pop()  # a name that is not a module: its closest enclosing module
            targets.add(".".join(parts))
        for t in targets - {module.name}:
            edges.setdefault(t, []).append(imp.line)
    return edges


def import_graph(modules: dict[str, Module]) -> dict[str, set[str]]:
    known = set(modules)
    return {name: set(dockline_edges(m, known)) for name, m in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (``a -> b -> ... -> a``) for every strongly connected component that has one
    (Tarjan's algorithm, iterative; the cycle is a shortest one through the SCC's first node)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    sccs: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    scc = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        scc.append(top)
                        if top == node:
                            break
                    if len(scc) > 1:
                        sccs.append(sorted(scc))
    return [_shortest_cycle(graph, scc) for scc in sorted(sccs)]


def _shortest_cycle(graph: dict[str, set[str]], scc: list[str]) -> list[str]:
    members = set(scc)
    start = scc[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:  # breadth-first from start, back to start, inside the SCC
        nxt = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if child not in previous:
                    previous[child] = node
                    nxt.append(child)
        frontier = nxt
    raise AssertionError(f"no cycle through {start} in {scc}")  # pragma: no cover


# --------------------------------------------------------------------------- the gates
@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return read_modules()


def test_no_import_cycle(modules: dict[str, Module]) -> None:
    graph = import_graph(modules)
    cycles = find_cycles(graph)
    known = set(modules)
    report = []
    for cycle in cycles:
        report.append(" -> ".join(cycle))
        for a, b in itertools.pairwise(cycle):
            lines = ",".join(map(str, dockline_edges(modules[a], known)[b]))
            report.append(f"    {a} imports {b} at {modules[a].rel}:{lines}")
    assert not cycles, "import cycles among dockline's modules:\n" + "\n".join(report)


def package_of(module: str) -> str:
    """``dockline.cluster.nodes`` -> ``dockline.cluster``; ``dockline.config`` stays itself."""
    return ".".join(module.split(".")[:2])


def test_no_package_cycle(modules: dict[str, Module]) -> None:
    # The layers are packages: a cycle between two packages (engine -> cluster.nodes while
    # cluster.lab -> engine, before the house) tangles them even when no two modules cycle.
    known = set(modules)
    why: dict[tuple[str, str], list[str]] = {}
    for m in modules.values():
        for target, lines in dockline_edges(m, known).items():
            a, b = package_of(m.name), package_of(target)
            if a != b:
                why.setdefault((a, b), []).append(f"{m.rel}:{lines[0]} imports {target}")
    graph: dict[str, set[str]] = {package_of(n): set() for n in modules}
    for a, b in why:
        graph[a].add(b)
    cycles = find_cycles(graph)
    report = []
    for cycle in cycles:
        report.append(" -> ".join(cycle))
        report += [f"    {line}" for a, b in itertools.pairwise(cycle) for line in why[(a, b)]]
    assert not cycles, "import cycles among dockline's packages:\n" + "\n".join(report)


# What each package may import (docs/architecture.md, "The layers"), bottom to top: packages,
# or single modules of a package. A package missing here fails the test: a new package is a
# decision about where it sits, taken here and in the doc together.
FOUNDATION = {"dockline", "dockline.errors", "dockline.durations", "dockline.retry",
              "dockline.process"}
CORE = FOUNDATION | {"dockline.swarm", "dockline.config"}
LIBRARY = {"dockline.dockerfile", "dockline.health", "dockline.cluster", "dockline.stack",
           "dockline.router", "dockline.image", "dockline.entrypoint"}
MAY_IMPORT: dict[str, set[str]] = {
    # foundation: no dockline package but the ones listed
    "dockline": set(),
    "dockline.errors": set(),
    "dockline.durations": {"dockline.errors"},
    "dockline.retry": {"dockline.errors", "dockline.durations"},
    "dockline.process": {"dockline.errors", "dockline.durations"},
    "dockline.output": {"dockline.errors"},
    # models, Protocols, waiters; settings
    "dockline.swarm": FOUNDATION,
    # the lint names, listed once in a leaf module (config is read at start-up: it stays light)
    "dockline.config": FOUNDATION | {"dockline.dockerfile.vocabulary"},
    # the library: pure core behind the swarm Protocols (never the engine, the CLI, output)
    "dockline.dockerfile": FOUNDATION,
    "dockline.health": FOUNDATION,
    "dockline.cluster": CORE,
    "dockline.entrypoint": CORE | {"dockline.health"},
    "dockline.image": CORE | {"dockline.dockerfile", "dockline.health"},
    "dockline.router": CORE | {"dockline.cluster", "dockline.health"},
    "dockline.stack": CORE | {"dockline.cluster", "dockline.health"},
    # the one door to Docker: implements the swarm Protocols
    "dockline.engine": FOUNDATION | {"dockline.swarm"},
    # workflows across packages: they connect the engine and hand it to the library
    "dockline.pipeline": CORE | LIBRARY | {"dockline.engine"},
    "dockline.demo": CORE | LIBRARY | {"dockline.engine", "dockline.pipeline"},
    # on top: parse, call, render
    "dockline.cli": CORE | LIBRARY | {"dockline.engine", "dockline.pipeline", "dockline.demo",
                                      "dockline.output"},
    "dockline.__main__": {"dockline.cli"},
}


def test_packages_import_only_their_layers(modules: dict[str, Module]) -> None:
    known = set(modules)
    packages = {package_of(n) for n in modules}
    problems = [f"{p}: a new package; give it its place in MAY_IMPORT and docs/architecture.md"
                for p in sorted(packages - set(MAY_IMPORT))]
    problems += [f"{p}: listed in MAY_IMPORT but gone; take it out (and out of the doc)"
                 for p in sorted(set(MAY_IMPORT) - packages)]
    for m in modules.values():
        allowed = MAY_IMPORT.get(package_of(m.name))
        if allowed is None:
            continue
        for target, lines in sorted(dockline_edges(m, known).items()):
            b = package_of(target)
            if b != package_of(m.name) and b not in allowed and target not in allowed:
                problems.append(f"{m.rel}:{lines[0]}: {m.name} imports {target}, and "
                                f"{package_of(m.name)} may not import {b}")
    assert not problems, "the layers (docs/architecture.md):\n" + "\n".join(problems)


def test_only_engine_imports_docker(modules: dict[str, Module]) -> None:
    offenders = []
    for m in modules.values():
        if m.path.is_relative_to(PACKAGE / "engine"):  # the package dockline/engine/ only
            continue
        for imp in imports_in(m):
            if imp.target == "docker" or imp.target.startswith("docker."):
                offenders.append(f"{m.rel}:{imp.line}: imports {imp.target}")
        for node in ast.walk(m.tree):  # importlib.import_module("docker") / __import__("docker")
            if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                    and node.args[0].value.split(".")[0] == "docker"
                    and _call_name(node.func) in ("import_module", "__import__")):
                offenders.append(f"{m.rel}:{node.lineno}: imports {node.args[0].value} dynamically")
    assert not offenders, ("the docker SDK is imported outside dockline/engine/ (a package):\n"
                           + "\n".join(offenders))


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def test_cli_modules_are_short() -> None:
    long = []
    for path in sorted((PACKAGE / "cli").rglob("*.py")):
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > CLI_MAX_LINES:
            long.append(f"{path.relative_to(ROOT)}: {n} lines")
    assert not long, (f"cli modules over {CLI_MAX_LINES} lines (the CLI parses, calls, renders; "
                      "workflows go to pipeline.py / demo.py, logic to its package):\n"
                      + "\n".join(long))


def is_engine_name(name: str) -> bool:
    return name.lower() in ("eng", "engine") or name.lower().endswith("engine")


def mentions_any(annotation: ast.expr | None) -> bool:
    """``Any``, ``typing.Any``, ``"Any"``, ``Any | None``, ``Optional[Any]``, ``"Any | None"``..."""
    if annotation is None:
        return False
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name) and node.id == "Any":
            return True
        if isinstance(node, ast.Attribute) and node.attr == "Any":
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                inner = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                continue
            if mentions_any(inner):
                return True
    return False


def engine_typed_any(m: Module) -> Iterator[str]:
    for node in ast.walk(m.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *(p for p in (a.vararg, a.kwarg) if p)]
            for p in params:
                if p.annotation and is_engine_name(p.arg) and mentions_any(p.annotation):
                    yield (f"{m.rel}:{p.lineno}: parameter {p.arg} of {node.name}() is "
                           f"{ast.unparse(p.annotation)}")
        elif isinstance(node, ast.AnnAssign):
            t = node.target
            name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else ""
            if is_engine_name(name) and mentions_any(node.annotation):
                yield (f"{m.rel}:{node.lineno}: attribute {ast.unparse(t)} is "
                       f"{ast.unparse(node.annotation)}")


def test_no_engine_typed_any(modules: dict[str, Module]) -> None:
    offenders = [line for m in modules.values() for line in engine_typed_any(m)]
    assert not offenders, ("an engine passed as Any (name the Protocol it needs, from "
                           "dockline.swarm.protocols):\n" + "\n".join(offenders))


MUTABLE = ("list", "dict", "set", "bytearray", "List", "Dict", "Set")


def test_swarm_models_are_frozen_dataclasses(modules: dict[str, Module]) -> None:
    from dockline.swarm import model

    problems = []
    for name, cls in inspect.getmembers(model, inspect.isclass):
        if cls.__module__ != model.__name__ or issubclass(cls, enum.Enum):
            continue
        if not dataclasses.is_dataclass(cls):
            problems.append(f"{name}: not a dataclass")
            continue
        if not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            problems.append(f"{name}: not frozen")
        for f in dataclasses.fields(cls):
            ann = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
            head = ann.split("[")[0].split(".")[-1].strip()
            if head in MUTABLE:
                problems.append(f"{name}.{f.name}: {ann} is mutable (use tuple/Mapping/frozenset)")
    # and by the source, so a class hidden from the module namespace is seen too
    tree = modules["dockline.swarm.model"].tree
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and not any(
            isinstance(b, ast.Name) and b.id in ("Enum", "StrEnum", "IntEnum") for b in node.bases
        ) and not any(_is_frozen_dataclass(d) for d in node.decorator_list):
            problems.append(f"{node.name} (line {node.lineno}): no @dataclass(frozen=True)")
    assert not problems, "swarm/model.py holds frozen dataclasses only:\n" + "\n".join(problems)


def _is_frozen_dataclass(decorator: ast.expr) -> bool:
    return (isinstance(decorator, ast.Call) and _call_name(decorator.func) == "dataclass"
            and any(k.arg == "frozen" and isinstance(k.value, ast.Constant) and k.value.value is True
                    for k in decorator.keywords))


def test_dockline_never_imports_its_test_tooling(modules: dict[str, Module]) -> None:
    offenders = [f"{m.rel}:{imp.line}: imports {imp.target}" for m in modules.values()
                 for imp in imports_in(m)
                 if imp.target.split(".")[0] in ("dockline_testing", "tests", "conftest")]
    assert not offenders, ("dockline imports its test tooling (testing/ is not in the wheel):\n"
                           + "\n".join(offenders))
    assert not (PACKAGE / "cluster" / "lab.py").exists()
    assert not (PACKAGE / "data" / "lab").exists()


# --------------------------------------------------------------------------- the gates' own tests
def _graph_of(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    for rel, text in files.items():
        p = tmp_path / "dockline" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return import_graph(read_modules(tmp_path / "dockline", tmp_path))


def test_graph_sees_function_level_relative_and_submodule_imports(tmp_path: Path) -> None:
    graph = _graph_of(tmp_path, {
        "__init__.py": "",
        "a/__init__.py": "from . import b\n",
        "a/b.py": "def f():\n    from ..c import x\n",
        "c.py": "from dockline import a\nfrom dockline.a import b, VALUE\n",
        "d/__init__.py": "from .e import thing\n",
        "d/e.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import dockline.c\n",
    })
    assert graph["dockline.a"] == {"dockline.a.b"}
    assert graph["dockline.a.b"] == {"dockline.c"}
    assert graph["dockline.c"] == {"dockline.a", "dockline.a.b"}
    assert graph["dockline.d"] == {"dockline.d.e"}
    assert graph["dockline.d.e"] == {"dockline.c"}
    assert find_cycles(graph) == [["dockline.a", "dockline.a.b", "dockline.c", "dockline.a"]]


def test_no_cycle_in_a_dag() -> None:
    assert find_cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_engine_any_detection() -> None:
    tree = ast.parse(
        "from typing import Any\n"
        "import typing\n"
        "def f(engine: Any, eng: 'Any | None', host_engine: typing.Any, n: Any, x: int) -> None: ...\n"
        "class C:\n"
        "    engine: Any\n"
        "    def __init__(self, engine: object) -> None:\n"
        "        self._engine: Any = engine\n"
    )
    found = list(engine_typed_any(Module("dockline.x", ROOT / "x.py", tree)))
    assert sorted(f.split(": ", 1)[1] for f in found) == [
        "attribute engine is Any",
        "attribute self._engine is Any",
        "parameter eng of f() is 'Any | None'",
        "parameter engine of f() is Any",
        "parameter host_engine of f() is typing.Any",
    ]
