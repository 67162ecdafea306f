"""The package's layers go one way, with no import cycles, and imports sit at module top.

Layers, lowest first: the message catalogue, the shipped browser files and the rules; the
runtime (budget, progress, cluster); the world (reading, coordinates, generation); the
pairing; the schedule; the outputs; analysis and the ledger; the workflows; the command line
and the console. A module may import from its own layer or a lower one. The independent
checker imports nothing of the engine. Type-only imports count like any other, and so do
relative imports (``from ..console import app``) and imports by name
(``importlib.import_module``, ``__import__``; a name built at run time counts as its written
prefix).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "matching"

#: Layer of each top-level package or module of ``matching``, lowest first.
LAYERS: dict[str, int] = {
    "catalogue": 0, "assets": 0, "rules": 1, "runtime": 2, "world": 3, "pairing": 4, "schedule": 5,
    "outputs": 6, "analysis": 7, "ledger": 7, "programme": 7, "workflows": 8, "cli": 9,
    "console": 9, "exchange": 8,
}
#: Modules that may import only themselves (and nothing else of ``matching``).
INDEPENDENT = {"checker"}
#: Modules whose imports inside functions are the point: the command line loads a
#: command's module only when that command runs, so that it starts fast; the analysis
#: package loads its matplotlib part only when asked for it (the figures extra).
LAZY_ALLOWED = {"matching.cli", "matching", "matching.analysis"}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in SRC.rglob("*.py")}


#: Functions that import a module named by their first argument.
IMPORT_CALLS = {"import_module", "__import__"}


def absolute(name: str, module: str, level: int, is_package: bool) -> str:
    """The absolute name of ``from {'.' * level}{name} import ...`` written in ``module``."""
    if level == 0:
        return name
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def called_name(node: ast.Call) -> str | None:
    """The module an ``importlib.import_module(...)`` or ``__import__(...)`` call names: its
    text, or for a name built at run time (an f-string) the dotted prefix written."""
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called not in IMPORT_CALLS or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    if isinstance(first, ast.JoinedStr) and first.values and isinstance(
            first.values[0], ast.Constant):
        prefix = str(first.values[0].value)  # "matching.cli." whole; "matching.c" cut
        return prefix[:-1] if prefix.endswith(".") else prefix.rsplit(".", 1)[0]
    return None


def imports(path: Path, known: set[str], source: str | None = None,
            module: str | None = None) -> list[tuple[str, int, bool]]:
    """``(imported module, line, at module top)`` for every import of ``matching``: import
    statements, relative ones resolved, and imports by name."""
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    module = module_name(path) if module is None else module
    is_package = path.name == "__init__.py"
    top = {id(node) for node in tree.body}
    for node in tree.body:  # if TYPE_CHECKING: blocks count as the top
        if isinstance(node, ast.If):
            top |= {id(inner) for inner in node.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node.module or "", module, node.level, is_package)
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                     for a in node.names]
        elif isinstance(node, ast.Call) and (name := called_name(node)) is not None:
            names = [name]
        else:
            continue
        for name in names:
            if name == "matching" or name.startswith("matching."):
                out.append((name, node.lineno, id(node) in top))
    return out


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


@functools.cache
def graph() -> dict[str, set[str]]:
    known = set(modules())
    return {name: {m for m, _, _ in imports(path, known) if m != name}
            for name, path in modules().items()}


def test_every_package_has_a_layer():
    tops = {name.split(".")[1] for name in modules() if name.count(".") >= 1}
    assert tops - set(LAYERS) - INDEPENDENT == set()


def test_imports_go_down_the_layers():
    """No module imports from a layer above its own."""
    wrong = []
    for name, targets in graph().items():
        if name == "matching" or name.split(".")[1] in INDEPENDENT:
            continue
        for target in targets:
            if target == "matching":
                continue
            if layer(target) is not None and layer(target) > layer(name):
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_the_checker_shares_no_code_with_the_engine():
    for name, targets in graph().items():
        if name.split(".")[-1] in INDEPENDENT or (len(name.split(".")) > 1
                                                  and name.split(".")[1] in INDEPENDENT):
            assert {t for t in targets if not t.startswith(name)} <= {"matching"}, name


def test_no_import_cycles():
    """Strongly connected components of the import graph are single modules."""
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    assert cycles == []


@pytest.mark.parametrize("name", sorted(n for n in modules() if n not in LAZY_ALLOWED
                                        and not n.startswith("matching.cli.")))
def test_imports_are_at_module_top(name):
    path = modules()[name]
    inner = [line for _, line, at_top in imports(path, set(modules())) if not at_top]
    assert inner == [], f"{name}: imports inside functions at lines {inner}"


@pytest.mark.parametrize(("source", "seen"), [
    ("from ..console import app\n", "matching.console.app"),
    ("from .. import console\n", "matching.console"),
    ("from .flow import solve\n", "matching.pairing.flow"),
    ("import importlib\nimportlib.import_module('matching.console.app')\n",
     "matching.console.app"),
    ("from importlib import import_module\nimport_module(f'matching.console.{name}')\n",
     "matching.console"),
    ("__import__('matching.cli')\n", "matching.cli"),
])
def test_the_layer_test_sees_relative_imports_and_imports_by_name(source, seen):
    """The imports of a module written into ``matching.pairing.flow`` are found, so a
    relative or by-name import up the layers cannot slip past the tests above."""
    found = imports(SRC / "pairing" / "flow.py", set(modules()), source,
                    "matching.pairing.flow")
    assert [name for name, _, _ in found] == [seen]


def test_every_type_ignore_says_why():
    """The type checker (mypy, in make test) runs with 0 errors on src/, and a ``# type:
    ignore`` stays only with its error code and, after it on the same line, its reason."""
    bare = []
    for name, path in sorted(modules().items()):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "# type: ignore" in line:
                after = line.split("# type: ignore", 1)[1]
                if not after.startswith("[") or "#" not in after.split("]", 1)[1]:
                    bare.append(f"{name}:{number}")
    assert bare == []
