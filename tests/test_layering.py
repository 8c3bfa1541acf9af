"""The import graph of dsgen stays a straight stack (GUIDE: cli → build/analysis → backends →
verify → quant/passes/frontend → ir): no import cycle between packages or between modules, and no
package imports one above it.

Imports are read with ast from every file, including imports inside functions and under
TYPE_CHECKING (a lazy import is still a dependency).  ``from P import n`` depends on the module
P.n when there is one, else on P.  An import of one's own enclosing package is not an edge
(Python initialises it first anyway).  The backends register their verify targets when
dsgen.verify imports them by name (verify.core.OPTIONAL_TARGETS): a plugin table, not an import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import dsgen

ROOT = Path(dsgen.__file__).resolve().parent

# Rank in the stack, highest first; a package may import only packages of a lower rank.
# Utilities (errors, progress, resources, tools) sit at the bottom; zoo only builds ONNX files.
RANK = {
    "cli": 60,
    "build": 50,
    "analysis": 50,
    "backends": 40,
    "verify": 30,
    "compiler": 25,  # frontend + pass pipeline, as one call
    "quant": 20,
    "passes": 20,
    "frontend": 20,
    "zoo": 20,
    "inputs": 15,
    "ir": 10,
    "errors": 0,
    "progress": 0,
    "resources": 0,
    "tools": 0,
}


def _modules() -> dict[str, tuple[Path, bool]]:
    mods = {}
    for p in ROOT.rglob("*.py"):
        parts = ["dsgen", *p.relative_to(ROOT).with_suffix("").parts]
        is_pkg = parts[-1] == "__init__"
        mods[".".join(parts[:-1] if is_pkg else parts)] = (p, is_pkg)
    return mods


def _targets(mod: str, is_pkg: bool, node: ast.AST, mods: dict) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    assert isinstance(node, ast.ImportFrom)
    base = node.module or ""
    if node.level:
        pkg = mod.split(".") if is_pkg else mod.split(".")[:-1]
        pkg = pkg[: len(pkg) - node.level + 1]
        base = ".".join(pkg + ([node.module] if node.module else []))
    out = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in mods]
    return out if len(out) == len(node.names) else [*out, base]


def import_graph() -> dict[str, set[str]]:
    mods = _modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for mod, (path, is_pkg) in mods.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for t in _targets(mod, is_pkg, node, mods):
                while t not in mods and "." in t:  # `import a.b.c` of an attribute path
                    t = t.rsplit(".", 1)[0]
                if t.split(".")[0] != "dsgen" or mod == t or mod.startswith(t + "."):
                    continue
                edges[mod].add(t)
    return edges


def package_of(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else "dsgen"


def package_graph(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    pe: dict[str, set[str]] = {}
    for a, ds in edges.items():
        for d in ds:
            pa, pd = package_of(a), package_of(d)
            if pa != pd and pd != "dsgen":
                pe.setdefault(pa, set()).add(pd)
    return pe


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
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


def _explain(graph: dict[str, set[str]], comp: list[str]) -> str:
    return "; ".join(f"{a} -> {b}" for a in comp for b in sorted(graph.get(a, ())) if b in comp)


def test_the_checker_sees_a_cycle():
    """The detector itself: a planted cycle is found, a chain is not."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}}) == []
    edges = import_graph()
    assert "dsgen.quant.api" in edges["dsgen.verify.targets"]  # lazy imports are counted
    assert "dsgen.inputs" in edges["dsgen.quant.api"]


def test_no_cycle_between_packages():
    pg = package_graph(import_graph())
    found = cycles(pg)
    assert not found, "import cycles between dsgen packages: " + " | ".join(
        _explain(pg, c) for c in found
    )


def test_no_cycle_between_modules():
    edges = import_graph()
    found = cycles(edges)
    assert not found, "import cycles between dsgen modules: " + " | ".join(
        _explain(edges, c) for c in found
    )


def test_packages_import_only_downwards():
    pg = package_graph(import_graph())
    unknown = sorted(p for p in pg if p not in RANK) + sorted(
        d for ds in pg.values() for d in ds if d not in RANK
    )
    if unknown:
        pytest.fail(f"packages without a place in the stack (add them to RANK): {unknown}")
    up = [f"{a} -> {d}" for a, ds in pg.items() for d in sorted(ds) if RANK[d] >= RANK[a]]
    assert not up, f"imports up or across the stack: {up}"
