"""The C arena's in-place schedule: which layers write over their input, the bounds it reaches,
and that no two tensors live at the same step share a byte (the kernels' in-place contract
aside: a layer's output over the input it consumes).  Bit-exactness of the in-place kernels is in
test_c_kernels.py (every build, the DSP paths emulated) and test_c_backend.py / test_c_mcu.py
(whole models on the host and under qemu)."""

from __future__ import annotations

import pytest

from dsgen import zoo
from dsgen.backends.c.arena import plan_arena
from dsgen.backends.c.lower import overwrites_input, plan_c_arena
from dsgen.compiler import load_ir
from dsgen.quant.api import QuantOptions, quantize_graph

MODELS = ["ds_cnn_kws", "tiny_dscnn", "mobilenet_v1_025_96", "mobilenet_v2_035_32",
          "xception_block", "shufflenet_unit", "fire_module", "igc_block"]  # fmt: skip


def quantized(tmp_path, name, **opts):
    p = tmp_path / f"{name}.onnx"
    p.write_bytes(zoo.build(name).SerializeToString())
    return quantize_graph(load_ir(p), QuantOptions(**opts), warn=lambda m: None)


def check_disjoint(qg, plan):
    """At every step, tensors of different storages occupy disjoint arena bytes."""
    layers, g = qg.int_layers, qg.graph
    last = {t: len(layers) for t in qg.int_outputs}
    for i, layer in enumerate(layers):
        for t in layer.inputs:
            last[t] = max(last.get(t, i), i)
    span = {lay.output: (i, last.get(lay.output, i)) for i, lay in enumerate(layers)}
    for i in range(len(layers)):
        live = []
        for t, (a, b) in span.items():
            st = plan.storage(t)
            if a <= i <= b and st.where == "arena":
                live.append((st.offset, st.offset + g.tensors[t].size, st.key, t))
        live.sort()
        for (_, hi, k1, t1), (lo, _, k2, t2) in zip(live, live[1:], strict=False):
            assert k1 == k2 or hi <= lo, f"step {i}: {t1} and {t2} overlap"
        assert all(hi <= plan.arena_bytes for _, hi, _, _ in live)


@pytest.mark.parametrize("name", MODELS)
def test_in_place_schedule_never_overlaps_live_tensors(tmp_path, name):
    qg = quantized(tmp_path, name)
    plan = plan_c_arena(qg)
    check_disjoint(qg, plan)
    assert plan.lower_bound <= plan.arena_bytes and plan.lower_bound <= plan.naive_bound
    assert max(plan.live) == plan.lower_bound and max(plan.naive_live) == plan.naive_bound
    for layer in qg.int_layers:  # an in-place layer's output sits where an input was
        if layer.name in plan.in_place:
            assert any(plan.storage(layer.output) is plan.storage(t) for t in layer.inputs)


def test_keyword_spotter_runs_in_one_map(tmp_path):
    """Depthwise and pointwise in place: one 25x5x64 map (8,000 B) plus the pooled vector."""
    qg = quantized(tmp_path, "ds_cnn_kws")
    plan = plan_c_arena(qg)
    assert len(plan.in_place) == 8
    assert (plan.arena_bytes, plan.lower_bound, plan.naive_bound) == (8_064, 8_064, 16_000)
    off = plan_c_arena(qg, in_place=False)
    assert (off.arena_bytes, off.in_place) == (16_000, [])


def test_expanding_pointwise_grows_its_input_slot(tmp_path):
    """MobileNetV1-0.25 at 96x96 (the VWW network): the first pointwise (8 -> 16 channels at
    48x48) runs in place last pixel to first, so the 48x48x8 map never sits beside its
    48x48x16 successor: the peak drops from 55,296 to 46,080 B, and the placement reaches it."""
    qg = quantized(tmp_path, "mobilenet_v1_025_96")
    plan = plan_c_arena(qg)
    assert (plan.arena_bytes, plan.lower_bound, plan.naive_bound) == (46_080, 46_080, 55_296)


def test_only_kernels_that_run_in_place_are_planned_so(tmp_path):
    """16-bit activations take the generic kernels, which need separate buffers."""
    qg = quantized(tmp_path, "ds_cnn_kws", bits=16)
    assert not any(overwrites_input(qg, layer) for layer in qg.int_layers)
    plan = plan_c_arena(qg)
    assert plan.in_place == [] and plan.arena_bytes == plan.naive_bound == 32_000


def test_planner_takes_any_overwrites_rule(tmp_path):
    """The mechanism is general: another rule (here: every layer) is honoured where the input
    dies, never over a network output or the caller's input."""
    qg = quantized(tmp_path, "tiny_dscnn")
    plan = plan_arena(qg.graph, qg.int_layers, qg.int_outputs, 1, True, lambda layer: True)
    check_disjoint(qg, plan)
    assert qg.int_layers[0].name not in plan.in_place  # its input is the caller's buffer
    assert all(plan.storage(t).where == "out" for t in qg.int_outputs)
    # a storage that becomes the caller's output buffer never holds more than the output (the
    # dense over its larger pooled vector would overrun `out`)
    for t in qg.int_outputs:
        assert plan.storage(t).size <= qg.graph.tensors[t].size, t
