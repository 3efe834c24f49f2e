"""The structure rules of docs/architecture.md, checked on the source: no import cycle (imports inside
functions count too), few loose modules, agent and stage names kept in their own folders."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG_DIR = ROOT / "pipeline"  # installed as `daily_report`
PKG = "daily_report"
SUBPACKAGES = {"schemas": ROOT / "schemas"}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for base, name in ((PKG_DIR, PKG), *((d, f"{PKG}.{n}") for n, d in SUBPACKAGES.items())):
        for path in base.rglob("*.py"):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([name, *parts])] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path) -> Iterator[str]:
    """Every module ``module`` imports, at any depth of its code, resolved to a module of ours."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for t in targets:
            while t and t not in MODULES:
                t = t.rpartition(".")[0]
            if t and t != module and not module.startswith(t + "."):
                yield t


def _type_checking_only(path: Path) -> set[int]:
    """Line numbers of imports under ``if TYPE_CHECKING:`` (never run, so no cycle at run time)."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                lines.update(range(sub.lineno, (sub.end_lineno or sub.lineno) + 1))
    return lines


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        graph[module] = set(_imports(module, path))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_even_inside_functions() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_a_cycle_is_found_when_there_is_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_few_loose_modules_at_the_top_of_the_package() -> None:
    loose = sorted(p.name for p in PKG_DIR.glob("*.py"))
    assert len(loose) <= 5, loose


def _spelled_in(word: str, *, outside: tuple[str, ...]) -> list[str]:
    pattern = re.compile(rf"\b{re.escape(word)}\b")
    files = []
    for path in [*PKG_DIR.rglob("*.py"), *PKG_DIR.rglob("*.j2")]:
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(outside):
            continue
        if pattern.search(path.read_text(encoding="utf-8")):
            files.append(rel)
    return sorted(files)


def test_distinctive_stage_names_live_in_stages() -> None:
    """A stage's name is spelled in stages/ (with its prompt and schema) and at most one rendering map."""
    for stage in ("human_ai", "takeaways"):
        files = _spelled_in(stage, outside=("pipeline/stages/",))
        assert len(files) <= 2, (stage, files)


def _string_constants(path: Path) -> set[str]:
    """The string literals of a module's code (docstrings left out: prose may name an agent)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
    }


def test_agent_names_live_in_their_adapters() -> None:
    """An agent's name is spelled, as a value code can branch on, only in its adapter package (and the config
    schema): everything else asks the AGENTS registry."""
    agents = {"claude_code": "claude", "codex": "codex", "gemini_cli": "gemini"}
    found = []
    for path in PKG_DIR.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        for name in _string_constants(path) & set(agents):
            if not rel.startswith(f"pipeline/sources/{agents[name]}/"):
                found.append((name, rel))
    assert found == []


def test_no_module_level_getattr_hides_wiring() -> None:
    """A package facade with ``__getattr__`` hides who imports what; only the console entry keeps one, to build
    the typer app on first use (start-up speed of the light ``usage`` path)."""
    found = []
    for path in PKG_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__" for n in tree.body):
            found.append(path.relative_to(ROOT).as_posix())
    assert found == ["pipeline/cli/app.py"]
