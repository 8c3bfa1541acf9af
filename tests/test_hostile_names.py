"""Hostile model names (keywords, quotes, comment terminators, newlines, #include, paths,
unicode, names colliding after sanitising) never reach generated code, which still compiles and is
bit-exact."""

from __future__ import annotations

import re

import numpy as np

from dsgen.backends.c import compile_c
from dsgen.backends.c.host import HostModel, compare_bit_exact
from dsgen.compiler import load_ir
from dsgen.quant.api import QuantOptions, quantize_graph
from tests.hostile import HOSTILE, hostile_model


def _quantized(tmp_path, fname='evil "model" * #include \\ int.onnx'):
    p = tmp_path / fname
    p.write_bytes(hostile_model().SerializeToString())
    return quantize_graph(load_ir(p), QuantOptions(), warn=lambda m: None)


def _no_raw_names(tree, allowed=re.compile(r"[\x09\x0a\x20-\x7e]*")):
    for f in tree.rglob("*"):
        if f.is_file():
            text = f.read_text()
            assert allowed.fullmatch(text), f"non-ASCII in {f.name}"
            for bad in ('quo"te', "*/ evil", "#include <evil.h>", "../../etc", "ŝŧ", 'in"put'):
                assert bad not in text, (bad, f.name)


def test_c_backend_hostile_names(tmp_path):
    qg = _quantized(tmp_path)
    out = tmp_path / "c"
    s = compile_c(qg, out, model_sha256="0" * 64)
    assert re.fullmatch(r"[a-z_][a-z0-9_]*", s.name)
    _no_raw_names(out)
    model = HostModel(out, s.name, qg.bits)
    n_out = qg.graph.tensors[qg.int_outputs[0]].size
    rng = np.random.default_rng(0)
    xs = [rng.integers(-128, 128, size=qg.graph.shape(qg.graph.input)) for _ in range(3)]
    m = compare_bit_exact(qg, xs, lambda x: model.run(x, n_out))
    assert m["mismatches"] == 0, m["first_mismatch"]


def test_hostile_list_is_really_hostile():
    assert any("*/" in n for n in HOSTILE) and any("\n" in n for n in HOSTILE)
