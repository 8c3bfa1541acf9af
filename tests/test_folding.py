"""dsgen/backends/folding.py: budgets, divisibility, monotone II, balance, the printed table."""

from __future__ import annotations

import tempfile
from pathlib import Path

import onnx
import pytest

from dsgen import zoo
from dsgen.backends.folding import MAC_KINDS, plan_folding
from dsgen.compiler import load_ir
from dsgen.errors import DsgenError
from dsgen.quant.api import QuantOptions, quantize_graph

MODELS = ["ds_cnn_kws", "mobilenet_v2_035_32", "shufflenet_unit", "fire_module", "igc_block"]
BUDGETS = [None, 40, 64, 100, 256, 1000, 4096]


@pytest.fixture(scope="module")
def qgraphs():
    out = {}
    with tempfile.TemporaryDirectory() as d:
        for name in MODELS:
            p = Path(d) / f"{name}.onnx"
            onnx.save(zoo.build(name), p)
            out[name] = quantize_graph(load_ir(p), QuantOptions(), warn=lambda m: None)
    return out


def _minimum(qg) -> int:
    return sum(1 for layer in qg.int_layers if layer.kind in MAC_KINDS)


@pytest.mark.parametrize("name", MODELS)
def test_budget_and_divisibility(qgraphs, name):
    qg = qgraphs[name]
    for budget in BUDGETS:
        if budget is not None and budget < _minimum(qg):
            continue
        plan = plan_folding(qg, budget)
        assert plan.used_multipliers <= plan.multipliers
        assert plan.ii_cycles == max(f.cycles for f in plan.layers)
        for f in plan.layers:
            if f.kind in MAC_KINDS:
                assert f.c_out % f.pe == 0 and f.k % f.simd == 0, f
                compute = f.pixels * (f.c_out // f.pe) * (f.k // f.simd)
                assert f.cycles == max(compute, f.stream)  # one element per beat floors it
                assert f.macs == f.pixels * f.c_out * f.k
            else:
                assert (f.pe, f.simd, f.multipliers) == (1, 1, 0)


@pytest.mark.parametrize("name", MODELS)
def test_more_multipliers_never_increase_ii(qgraphs, name):
    qg = qgraphs[name]
    iis = [plan_folding(qg, b).ii_cycles for b in range(_minimum(qg), 600, 7)]
    assert all(a >= b for a, b in zip(iis, iis[1:], strict=False)), iis


def test_default_is_minimum(qgraphs):
    qg = qgraphs["ds_cnn_kws"]
    plan = plan_folding(qg)
    assert plan.multipliers == _minimum(qg) == plan.used_multipliers
    assert all(f.pe == f.simd == 1 for f in plan.layers)
    with pytest.raises(DsgenError, match="below the minimum"):
        plan_folding(qg, _minimum(qg) - 1)


@pytest.mark.parametrize("budget", [32, 64, 128, 256])
def test_ds_cnn_is_balanced(qgraphs, budget):
    """The bottleneck is within 2× of the ideal MACs / multipliers."""
    plan = plan_folding(qgraphs["ds_cnn_kws"], budget)
    ideal = sum(f.macs for f in plan.layers) / budget
    assert plan.ii_cycles <= 2 * ideal, plan.table()
    assert plan.get(plan.bottleneck).cycles == plan.ii_cycles


def test_table_prints(qgraphs):
    plan = plan_folding(qgraphs["ds_cnn_kws"], 128)
    text = plan.table()
    assert "<- bottleneck" in text and f"II {plan.ii_cycles}" in text
    for f in plan.layers:
        assert f.name[:32] in text
