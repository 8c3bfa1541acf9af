"""The cocotb bench of hw/dsg_vecbuf.v (sim/dsg_vecbuf/), run like every module bench through
tests/test_hw_modules.py's runner (lint and synthesis of hw/*.v are covered there already).

    pytest tests/test_rtl_vecbuf.py -n 2
"""

from __future__ import annotations

import pytest

from tests.test_hw_modules import _load
from tests.test_hw_modules import test_module_bench as run_bench

BENCH = "dsg_vecbuf"


@pytest.mark.slow
@pytest.mark.parametrize("case", list(_load(BENCH).CASES))
def test_vecbuf_bench(case, tmp_path):
    run_bench(BENCH, case, tmp_path)
