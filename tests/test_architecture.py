"""Design rules checked on the source: no import cycles, the engine (and its debugger core) never
imports the UI, and the run loop depends on the graph's frozen description, not the facade."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "tui", "sample_graphs")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path, *, type_checking: bool = False) -> set[str]:
    """Modules imported when ``path`` is imported: top-level imports, not those inside functions
    (those run later, on purpose), and TYPE_CHECKING ones only if ``type_checking``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If):
                if type_checking or "TYPE_CHECKING" not in ast.unparse(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)

    visit(tree.body)
    return found


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _graph() -> dict[str, set[str]]:
    """Module -> the modules importing it runs: what it imports, and the ``__init__`` of each
    package on the way (importing ``a.b.c`` runs ``a`` and ``a.b`` first), except packages the
    importer is itself in (those are already being imported)."""
    files = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    graph = {}
    for name, path in files.items():
        own = set(_ancestors(name))
        deps = set()
        for imported in _runtime_imports(path):
            deps.update(a for a in _ancestors(imported) if a not in own)
            deps.add(imported)
        graph[name] = {m for m in deps if m in files and m != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_there_are_no_import_cycles() -> None:
    assert _cycle(_graph()) is None


def test_every_module_imports_on_its_own() -> None:
    """The cycle check's model of Python, checked for real: each engine module imports first
    in a fresh interpreter (a cycle shows as a partially initialised module)."""
    modules = sorted(m for m in _graph() if m.startswith("engine"))
    script = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    for module in modules:
        done = subprocess.run([sys.executable, "-c", script, module], capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 0, (module, done.stderr[-500:])


def _all_imports(path: Path) -> set[str]:
    """Every module ``path`` names in an import, wherever the import is (functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_two_modules_import_each_other_even_lazily() -> None:
    # An import moved into a function only hides a cycle: one module should own what both need.
    files = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    graph = {name: {m for m in _all_imports(path) if m in files and m != name} for name, path in files.items()}
    assert _cycle(graph) is None


def test_the_checker_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_engine_never_imports_the_ui() -> None:
    for path in (ROOT / "engine").rglob("*.py"):
        ui = {m for m in _all_imports(path) if m.split(".")[0] in ("tui", "textual", "rich")}
        assert not ui, f"{path.relative_to(ROOT)} imports {sorted(ui)}"


def test_the_run_loop_depends_on_the_graph_description_not_the_facade() -> None:
    for name in ("loop", "execute", "commit", "spec", "pending", "runtime", "algo"):
        imports = _runtime_imports(ROOT / "engine" / "pregel" / f"{name}.py", type_checking=True)
        assert not {m for m in imports if m.startswith(("engine.graph.compiled", "engine.graph.state"))}, name
