"""The shape of the house (issue 17): rooms by concept, one-way data flow, short functions, one place for the capability model.

Measured from the source text with :mod:`ast`, so a change that breaks a rule fails here:

* at most 12 modules / subpackages at the package's top level;
* the layers import only downward (``_util`` <- ``sources`` <- ``capability`` <- ``inference`` <- ``commands`` <-
  ``present`` <- ``cli``), and no module imports itself back through others (no import cycle, lazy imports included);
* no function or method longer than 100 lines;
* no comparison with a score-method name (``"pca"``, ``"irt"``) outside ``capability/``: commands, inference and
  presentation ask the capability model, never its name.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "src" / "safetywashing"
LAYERS = ["_util", "sources", "capability", "inference", "commands", "present", "cli"]
MAX_FUNCTION_LINES = 100
SCORE_METHOD_NAMES = {"pca", "irt"}


def _modules() -> dict[str, Path]:
    out = {}
    for f in sorted(PKG.rglob("*.py")):
        parts = list(f.relative_to(PKG).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(["safetywashing", *parts])] = f
    return out


@functools.cache
def _tree(path: Path) -> ast.Module:
    """The parsed source of ``path`` (parsed once per test process; the checks only read the trees)."""
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every package module ``name`` imports (top-level and inside functions; TYPE_CHECKING blocks left out)."""
    tree = _tree(path)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for b in node.body for n in ast.walk(b)}
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                root = base[: len(base) - node.level + 1]
                target = ".".join(root + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in modules:
                    out.add(sub)
                elif target in modules:
                    out.add(target)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in modules}
    out.discard(name)
    return out


@functools.cache
def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: frozenset(_imports(m, p, modules)) for m, p in modules.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_at_most_twelve_top_level_entries():
    entries = [p.name for p in PKG.iterdir() if p.name != "__pycache__" and (p.suffix == ".py" or p.is_dir())]
    assert len(entries) <= 12, sorted(entries)
    for layer in LAYERS:
        init = PKG / layer / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc.splitlines()) == 1, f"{layer}/__init__.py needs a one-line docstring"


def test_layers_import_only_downward():
    bad = []
    for mod, deps in _graph().items():
        lm = _layer(mod)
        for d in deps:
            ld = _layer(d)
            if lm is not None and ((ld is not None and ld > lm) or d == "safetywashing"):  # the package top is above all
                bad.append(f"{mod} -> {d}")
    assert not bad, "upward imports:\n" + "\n".join(sorted(bad))


def test_no_import_cycle():
    graph = _graph()
    # package __init__ files re-export their own modules: an edge from a module up to its own package's __init__
    # is not followed (Python resolves it before the module runs)
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if m.startswith(d + "."):
                continue
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def _functions():
    for mod, path in _modules().items():
        for node in ast.walk(_tree(path)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield mod, node


def test_no_function_over_100_lines():
    long = [f"{mod}.{fn.name}: {fn.end_lineno - fn.lineno + 1} lines" for mod, fn in _functions()
            if fn.end_lineno - fn.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, "\n".join(long)


def test_no_score_method_comparison_outside_capability():
    found = []
    for mod, path in _modules().items():
        if mod.startswith("safetywashing.capability"):
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Compare):
                consts = [c.value for c in [node.left, *node.comparators] if isinstance(c, ast.Constant)]
                names = [e.value for c in [node.left, *node.comparators] if isinstance(c, (ast.Tuple, ast.List, ast.Set))
                         for e in c.elts if isinstance(e, ast.Constant)]
                if SCORE_METHOD_NAMES & {v for v in consts + names if isinstance(v, str)}:
                    found.append(f"{path.relative_to(PKG)}:{node.lineno}: {ast.unparse(node)}")
    assert not found, "\n".join(found)


def test_the_rules_catch_what_they_should(tmp_path):
    """The checks themselves can fail: a long function and a name comparison are seen in a sample."""
    src = "def f(kind):\n" + "    x = 1\n" * 101 + "    return kind == 'pca'\n"
    tree = ast.parse(src)
    fn = tree.body[0]
    assert fn.end_lineno - fn.lineno + 1 > MAX_FUNCTION_LINES
    cmp = [n for n in ast.walk(tree) if isinstance(n, ast.Compare)][0]
    assert {c.value for c in cmp.comparators if isinstance(c, ast.Constant)} & SCORE_METHOD_NAMES
