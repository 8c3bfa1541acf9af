"""hw/ modules for the issue-14 operators (table activations, channel split, run-time channel
scale): their cocotb benches (sim/<module>/) and yosys ECP5 synthesis with resource checks.

The bench runner, the ROM preparation and the lint test (every hw/*.v) are test_hw_modules.py's;
this file only lists the new benches and their synthesis expectations.

    pytest tests/test_hw_newops.py
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.test_hw_modules import HW, _load, _vlit
from tests.test_hw_modules import test_module_bench as _run_bench

BENCHES = ["dsg_lut", "dsg_lut_interp", "dsg_channel_slice", "dsg_channel_scale"]


def _cases():
    out = []
    for name in BENCHES:
        mod = _load(name)
        for case in mod.CASES:
            out.append(pytest.param(name, case, id=f"{name}-{case}"))
    return out


@pytest.mark.slow
@pytest.mark.parametrize(("bench", "case"), _cases())
def test_newop_bench(bench, case, tmp_path):
    _run_bench(bench, case, tmp_path)


# (top, chparams, required ECP5 cells): the SE buffer of a 14x14x96 layer must be block RAM and
# its product one 18x18 multiplier (up to 4 more are dsg_requant's 16x16 partial products of
# the constant q, which yosys may shrink)
SYNTH = [
    (
        "dsg_channel_scale",
        dict(C=96, N_PIX=196, Z_S=-128, Q=1500000000, S=-8),
        {"MULT18X18D": (1, 5), "DP16KD": (11, 11)},
    ),
    ("dsg_channel_slice", dict(C=116, N_PIX=784, COUNT0=58, START1=58, COUNT1=58), {}),
    ("dsg_lut", dict(LANES=2), {}),
    # the 513 x 17-bit table read at two neighbours: one dual-port block RAM; one multiplier
    ("dsg_lut_interp", dict(LANES=1), {"DP16KD": (1, 1), "MULT18X18D": (1, 1)}),
]


@pytest.mark.slow
@pytest.mark.parametrize(("top", "params", "cells"), SYNTH, ids=[s[0] for s in SYNTH])
def test_synth_ecp5(top, params, cells, tmp_path):
    yosys = shutil.which("yosys")
    if yosys is None:
        pytest.skip("yosys is not installed")
    if top == "dsg_lut_interp":
        words = "".join(f"{(i * 7919) & 0x1FFFF:05x}\n" for i in range(513))
    else:
        words = "".join(f"{(i * 37) & 255:02x}\n" for i in range(256))
    (tmp_path / "lut.memh").write_text(words)
    srcs = [top] + (["dsg_requant", "dsg_mul"] if top == "dsg_channel_scale" else [])
    files = " ".join(str(HW / f"{s}.v") for s in srcs)
    chp = "".join(f"chparam -set {k} {_vlit(v)} {top}; " for k, v in params.items())
    script = f"read_verilog -sv {files}; {chp}synth_ecp5 -top {top}; flatten; stat"
    r = subprocess.run([yosys, "-p", script], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, (r.stdout + r.stderr)[-6000:]
    stat = r.stdout[r.stdout.rfind("Printing statistics") :]
    for cell, n in cells.items():
        found = re.findall(rf"^\s+{cell}\s+(\d+)\s*$", stat, re.M)  # the last: whole design
        assert found and n[0] <= int(found[-1]) <= n[1], f"{cell}: expected {n}\n{stat}"
