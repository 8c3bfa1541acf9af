"""Narrow and binary weights on the HLS backend and in the folding planner (issue 15): weight
arrays typed at their width (ap_int<N>, ap_uint<1> for binary), binary MACs without a multiplier,
≤4-bit MACs counted as LUTs, C simulation bit-exact with g++ shims and vendor ap_types."""

from __future__ import annotations

import re

import numpy as np
import pytest

from dsgen import zoo
from dsgen.backends.folding import LUT_MACS_PER_MULTIPLIER, MAC_KINDS, plan_folding
from dsgen.backends.hls import compile_hls, vendor
from dsgen.backends.hls import verify as hls_verify
from dsgen.compiler import load_ir
from dsgen.quant.api import QuantOptions, quantize_graph
from tests.conftest import require_tool

QUIET = {"warn": lambda m: None}


def _tiny(tmp_path):
    p = tmp_path / "tiny.onnx"
    p.write_bytes(zoo.build("tiny_dscnn").SerializeToString())
    return p


def _config(tmp_path, bits_by_layer: dict[str, int]) -> str:
    cfg = tmp_path / "q.toml"
    cfg.write_text(
        "".join(f'[layers."{n}"]\nweight_bits = {b}\n\n' for n, b in bits_by_layer.items())
    )
    return str(cfg)


def _mac_names(p) -> list[str]:
    return [l.name for l in load_ir(p).layers if l.kind in MAC_KINDS]


def test_weight_arrays_are_typed_at_their_width(tmp_path):
    """Layer i at 1, 2, 4, 8 bits: its weight array is ap_uint<1> / ap_int<2> / ap_int<4> /
    int8_t with one element per weight, and its cfg says WBITS; binary arrays hold 0/1 codes."""
    p = _tiny(tmp_path)
    names = _mac_names(p)
    widths = dict(zip(names, [8, 1, 2, 4], strict=False))
    qg = quantize_graph(load_ir(p), QuantOptions(config=_config(tmp_path, widths)), **QUIET)
    s = compile_hls(qg, tmp_path / "hls", model_sha256="0" * 64)
    params = (tmp_path / "hls" / "firmware" / f"{s.top}_params.h").read_text()
    want = {1: "ap_uint<1>", 2: "ap_int<2>", 4: "ap_int<4>", 8: "int8_t"}
    for layer in qg.int_layers:
        if layer.name not in widths:
            continue
        bits = widths[layer.name]
        n = layer.weight.size
        # find this layer's array among all of them by its element count and type
        arrays = re.findall(r"static const (\S+) \w+_w((?:\[\d+\])+) = (\{[^;]*);", params)
        hits = [
            (t, body)
            for t, dims, body in arrays
            if np.prod([int(d) for d in re.findall(r"\d+", dims)]) == n and t == want[bits]
        ]
        assert hits, (layer.name, bits)
        if bits == 1:
            vals = {int(v) for v in re.findall(r"-?\d+", hits[0][1])}
            assert vals <= {0, 1}
    assert params.count("static const int WBITS = 1;") == 1
    assert params.count("typedef ap_uint<1> w_t;") == 1


def test_binary_mac_has_no_multiplication(tmp_path):
    """The kernel library's product of a binary weight is a select of +x / -x."""
    from dsgen.backends.render import templates_dir

    src = (templates_dir() / "hls" / "dsg_hls_mvu.h").read_text()
    body = src[src.index("int32_t dsg_wmul") : src.index("// win holds")]
    binary = body[body.index("WBITS == 1") :].split("\n")[0]
    assert "?" in binary and "*" not in binary


@pytest.mark.parametrize("wbits", [1, 2, 4])
def test_csim_bit_exact_at_narrow_ptq_widths(tmp_path, wbits):
    require_tool("g++")
    r = hls_verify.verify_hls(
        _tiny(tmp_path), samples=2, quant=QuantOptions(weight_bits=wbits), multipliers=8, **QUIET
    )
    assert r.bit_exact and r.mismatches == 0, r.extra.get("first_mismatch")


@pytest.fixture(scope="module")
def ap_types():
    require_tool("g++")
    d = vendor.find_ap_types()
    if d is None:
        pytest.skip("Xilinx ap_types headers absent (make test fetches them from the hls4ml wheel)")
    return d


@pytest.mark.parametrize("wbits", [1, 4])
def test_csim_bit_exact_with_vendor_ap_types(tmp_path, ap_types, wbits):
    r = hls_verify.verify_hls(
        _tiny(tmp_path),
        samples=2,
        quant=QuantOptions(weight_bits=wbits),
        multipliers=8,
        ap_types=ap_types,
        **QUIET,
    )
    assert r.extra["headers"] == "Xilinx ap_types"
    assert r.bit_exact and r.mismatches == 0, r.extra.get("first_mismatch")


@pytest.mark.parametrize("variant", ["w1_bipolar_bn", "w3_floor"])
def test_qat_csim_bit_exact_with_vendor_ap_types(tmp_path, ap_types, variant):
    """QAT layers: the stored values with the headroom shift (WSHIFT > 0) in ap_int/ap_uint."""
    pytest.importorskip("qonnx")
    from tests.qonnx_build import Variant, build

    v = {
        "w1_bipolar_bn": Variant("w1_bipolar_bn", wbits=1, affine="bn"),
        "w3_floor": Variant("w3_floor", wbits=3, wround="FLOOR"),
    }[variant]
    path = build(v, tmp_path / "m.onnx")
    for headers in (None, ap_types):
        r = hls_verify.verify_hls(path, samples=3, ap_types=headers, **QUIET)
        assert r.bit_exact and r.mismatches == 0, (headers, r.extra.get("first_mismatch"))
    qg = quantize_graph(load_ir(path), QuantOptions(), **QUIET)
    s = compile_hls(qg, tmp_path / "hls", model_sha256="0" * 64)
    params = (tmp_path / "hls" / "firmware" / f"{s.top}_params.h").read_text()
    shifts = [int(x) for x in re.findall(r"WSHIFT = (\d+);", params)]
    assert max(shifts) > 0
    assert ("ap_uint<1>" in params) == (variant == "w1_bipolar_bn")


def test_planner_spends_multipliers_on_wide_layers_only(tmp_path):
    """tiny_dscnn with its first conv at 8 bits and the rest binary: the hard multipliers all go
    to the 8-bit conv, the binary layers use LUT MACs from their own pool, and the II is lower
    than with every layer at 8 bits under the same multiplier budget."""
    p = _tiny(tmp_path)
    names = _mac_names(p)
    mixed = {n: 1 for n in names[1:]}
    qg = quantize_graph(load_ir(p), QuantOptions(config=_config(tmp_path, mixed)), **QUIET)
    qg8 = quantize_graph(load_ir(p), QuantOptions(), **QUIET)
    budget = 6
    plan, plan8 = plan_folding(qg, budget), plan_folding(qg8, budget)
    first = plan.get(names[0])
    assert first.multipliers == first.pe * first.simd and first.lut_macs == 0
    for n in names[1:]:
        f = plan.get(n)
        assert f.multipliers == 0 and f.lut_macs == f.pe * f.simd >= 1
    assert plan.used_multipliers == first.pe * first.simd <= budget
    assert plan.lut_macs == LUT_MACS_PER_MULTIPLIER * budget
    assert plan.used_lut_macs <= plan.lut_macs
    assert plan.ii_cycles < plan8.ii_cycles
    assert "LUT MACs" in plan.table()


def test_all_binary_model_needs_no_multiplier(tmp_path):
    p = _tiny(tmp_path)
    qg = quantize_graph(load_ir(p), QuantOptions(weight_bits=1), **QUIET)
    plan = plan_folding(qg)  # the minimum: PE = SIMD = 1 everywhere
    assert plan.multipliers == 0 and plan.used_multipliers == 0
    assert plan.used_lut_macs == len(_mac_names(p))
    assert plan_folding(qg, 0, lut_macs=64).ii_cycles < plan.ii_cycles
