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

BENCHES = ["dsg_lut", "dsg_channel_slice", "dsg_channel_scale"]


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
