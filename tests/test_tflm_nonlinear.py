"""The issue-14 kinds against TFLite Micro's int8 kernels, layer by layer (docs/fixed_point.md,
"Relation to other runtimes"): MUL with per-channel broadcast must equal dsgen's channel scale bit
for bit; LOGISTIC and HARD_SWISH are compared with dsgen's tables over all 256 input codes and may
differ by at most 1 LSB (TFLM rounds in its own fixed-point steps, the tables once)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tflite_micro")

from dsgen.ir import graph as ir  # noqa: E402
from dsgen.quant.fixedpoint import quantize_multiplier  # noqa: E402
from dsgen.quant.int_ref import channel_scale  # noqa: E402
from dsgen.quant.qgraph import ChannelScaleQ  # noqa: E402
from dsgen.quant.tables import build_table, lookup  # noqa: E402
from tests.test_tflm_crosscheck import OP, OPT, T, assert_same, f32, run, tensor, tfl  # noqa: E402


@pytest.mark.parametrize(
    "s_x,z_x,s_s,z_s,s_out,z_out",
    [
        (0.05, -7, 1 / 256, -128, 0.04, 3),
        (0.2, 10, 0.01, -100, 0.3, -20),
        (0.02, 0, 0.004, 5, 1e-3, 0),
    ],
)
def test_mul_broadcast_is_channel_scale(s_x, z_x, s_s, z_s, s_out, z_out):
    rng = np.random.default_rng(int(s_x * 1000))
    shape = (6, 7, 5)
    x = rng.integers(-128, 128, shape).astype(np.int8)
    s = rng.integers(-128, 128, (1, 1, 5)).astype(np.int8)
    x.flat[:4], s.flat[:4] = [-128, 127, -128, 127], [-128, 127, 127, -128]
    tx, ts = tensor((1, *shape), T.INT8, s_x, z_x), tensor((1, 1, 1, 5), T.INT8, s_s, z_s)
    tout = tensor((1, *shape), T.INT8, s_out, z_out)
    want = run(OP.MUL, OPT.MulOptions, tfl.MulOptionsT(), [tx, ts], [], tout, [x, s])
    m = quantize_multiplier(f32(s_x) * f32(s_s) / f32(s_out))
    p = ChannelScaleQ(z_x, z_s, z_out, (m.q, m.shift), -128, 127)
    assert_same(channel_scale(p, x, s), want, "mul broadcast")


def _codes():
    return np.arange(-128, 128, dtype=np.int8).reshape(1, 16, 16)


def _compare(act, opcode, opt_type, opts, s_in, z_in, s_out, z_out):
    x = _codes()
    tin = tensor((1, 1, 16, 16), T.INT8, s_in, z_in)
    tout = tensor((1, 1, 16, 16), T.INT8, s_out, z_out)
    want = np.asarray(run(opcode, opt_type, opts, [tin], [], tout, [x]), np.int64)
    table = build_table(act, ir.QParams(f32(s_in), z_in), ir.QParams(f32(s_out), z_out))
    got = lookup(table, x)
    diff = np.abs(got - want)
    print(act.kind, "differ:", int((diff > 0).sum()), "of 256, max", int(diff.max()))
    assert diff.max() <= 1
    return int((diff > 0).sum())


@pytest.mark.parametrize("s_in,z_in", [(0.05, 0), (0.1, -20), (0.03, 40)])
def test_logistic_within_one_lsb(s_in, z_in):
    _compare(ir.Activation(ir.ActKind.SIGMOID), OP.LOGISTIC, 0, None, s_in, z_in, 1 / 256, -128)


@pytest.mark.parametrize("s_in,z_in,s_out,z_out", [(0.05, 0, 0.03, -110), (0.08, -30, 0.06, -100)])
def test_hard_swish_within_one_lsb(s_in, z_in, s_out, z_out):
    act = ir.Activation(ir.ActKind.HARDSWISH, alpha=1 / 6, beta=0.5)
    _compare(act, OP.HARD_SWISH, 0, None, s_in, z_in, s_out, z_out)
