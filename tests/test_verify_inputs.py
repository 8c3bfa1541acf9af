"""What `dsgen verify` runs on: every sample of an --inputs file, and adversarial inputs over the
whole integer input range next to the calibration-like ones, with clamp-hit counts (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dsgen import zoo
from dsgen.backends.c import library
from dsgen.backends.c.emit import compile_c
from dsgen.backends.c.host import check_c_tree, quantized_samples
from dsgen.cli import main
from dsgen.compiler import load_ir
from dsgen.quant.api import QuantOptions, quantize_graph
from dsgen.verify import verify_model
from dsgen.verify.samples import ADVERSARIAL_KINDS, adversarial_inputs, codes_to_float

QUIET = {"warn": lambda m: None}


def _zoo(tmp_path: Path, name: str) -> Path:
    p = tmp_path / f"{name}.onnx"
    p.write_bytes(zoo.build(name).SerializeToString())
    return p


@pytest.fixture(scope="module")
def kws_clips(shared_models, tmp_path_factory) -> tuple[Path, Path, int]:
    """The float MLPerf KWS model and its real MFCC clips as an NCHW .npy file."""
    d = np.load(shared_models / "kws_mlperf_mfcc.npz")
    x = d["features_nhwc"].transpose(0, 3, 1, 2).astype(np.float32)  # NHWC -> NCHW
    path = tmp_path_factory.mktemp("clips") / "clips.npy"
    np.save(path, x)
    return shared_models / "mlperf_kws_dscnn_float_nchw.onnx", path, len(x)


def _cli_json(capsys, *argv) -> dict:
    rc = main(["verify", *argv, "--json"])
    out = capsys.readouterr().out
    d = json.loads(out)
    assert rc == (0 if d["ok"] else 1)
    return d


def test_inputs_file_is_used_whole(kws_clips, capsys):
    model, clips, n = kws_clips
    assert n > 8
    d = _cli_json(
        capsys, str(model), "--target", "int", "--inputs", str(clips), "--calib", str(clips)
    )
    assert d["samples"] == n
    d = _cli_json(
        capsys, str(model), "--target", "float", "--inputs", str(clips), "--samples", "20"
    )
    assert d["samples"] == 20


def test_inputs_file_count_is_printed(kws_clips, capsys, monkeypatch):
    model, clips, n = kws_clips
    monkeypatch.setenv("DSGEN_PROGRESS", "1")
    rc = main(["verify", str(model), "--target", "float", "--inputs", str(clips)])
    cap = capsys.readouterr()
    assert rc == 0
    assert f"verifying on {n} of the {n} samples in {clips}" in cap.err
    assert f"samples                {n}" in cap.out


def test_adversarial_inputs_cover_the_whole_range(tmp_path):
    qg = quantize_graph(load_ir(_zoo(tmp_path, "ds_cnn_kws")), QuantOptions(), **QUIET)
    xs = adversarial_inputs(qg, 6)
    shape = qg.graph.shape(qg.graph.input)
    assert all(x.shape == shape for x in xs)
    assert (xs[0] == -128).all() and (xs[1] == 127).all()
    alt = xs[2]
    assert set(np.unique(alt)) == {-128, 127}
    assert alt[0, 0, 0] != alt[0, 1, 0] and alt[0, 0, 0] != alt[1, 0, 0]  # alternates both ways
    uni = np.concatenate([u.reshape(-1) for u in xs[3:]])  # uniform over the whole range
    assert uni.min() == -128 and uni.max() == 127 and len(np.unique(uni)) > 250
    assert not np.array_equal(xs[3], xs[4])
    # float-input model: the float values that stand for the codes quantize back to them
    for x in xs:
        assert np.array_equal(qg.quantize_input(codes_to_float(qg, x)), x)


def test_bit_exact_verify_reports_adversarial_samples_and_clamp_hits(tmp_path):
    r = verify_model(_zoo(tmp_path, "ds_cnn_kws"), "c", **QUIET).to_json()
    assert r["ok"] and r["bit_exact"]
    assert r["samples"] == 8 + 4 and r["adversarial_samples"] == 4
    assert r["adversarial_kinds"] == list(ADVERSARIAL_KINDS)
    assert r["adversarial_mismatches"] == 0
    adv = r["clamp_hits"]["adversarial"]
    assert adv["lo"] > 0 and adv["hi"] > 0  # saturation was exercised, both ends
    assert adv["output_lo"] > 0 and adv["output_hi"] > 0  # … up to the network output
    layers = r["layer_clamp_hits"]
    assert sum(c["hi"] for c in layers.values()) == adv["hi"] + r["clamp_hits"]["regular"]["hi"]
    r0 = verify_model(_zoo(tmp_path, "ds_cnn_kws"), "c", adversarial=0, **QUIET).to_json()
    assert r0["samples"] == 8 and r0["adversarial_samples"] == 0
    assert r0["clamp_hits"]["adversarial"] == {"lo": 0, "hi": 0, "output_lo": 0, "output_hi": 0}


# The injected bug: outputs that overshoot the upper clamp by more than 256 wrap to the lower bound
# instead of saturating (in every clamp of the kernel library). At 64, since the paired pointwise
# layers take the contract's output stage on the host, one of the 8 random samples overshot that
# far too; the full-range inputs overshoot far more.
SATURATION_BUG = [
    ("    if (r > hi - z_out) return hi;", "    if (r > hi - z_out + 256) return lo;\n"),
    ("    return v < lo ? lo : v > hi ? hi : v;", "    if (v > hi + 256) return lo;\n"),
    (
        "    if (sat8) return v < -128 ? -128 : v > 127 ? 127 : v;",
        "    if (v > 127 + 256) return -128;\n",
    ),
]


def _inject(c_dir: Path) -> None:
    hits = 0
    for f in library.every_file():
        if not (c_dir / f).exists():
            continue
        text = (c_dir / f).read_text()
        for old, bug in SATURATION_BUG:
            hits += text.count(old)
            text = text.replace(old, bug + old)
        (c_dir / f).write_text(text)
    assert hits == len(SATURATION_BUG), "the kernel library changed: update SATURATION_BUG"


def test_adversarial_inputs_expose_a_saturation_bug(tmp_path):
    path = _zoo(tmp_path, "ds_cnn_kws")
    for adversarial, should_pass in ((0, True), (None, False)):
        g, qg, s = quantized_samples(
            path, None, None, None, 0, None, adversarial=adversarial, **QUIET
        )
        c_dir = tmp_path / f"c_{adversarial}"
        summary = compile_c(qg, c_dir, model_sha256="0" * 64)
        _inject(c_dir)
        r = check_c_tree(g, qg, s, c_dir, summary)
        assert r.ok is should_pass, r.to_json()
        if not should_pass:
            assert r.mismatches > 0 and r.extra["adversarial_mismatches"] == r.mismatches
            assert r.extra["first_mismatch"].startswith("adversarial sample")
    # the unmodified tree passes on the same samples
    c_dir = tmp_path / "c_clean"
    summary = compile_c(qg, c_dir, model_sha256="0" * 64)
    assert check_c_tree(g, qg, s, c_dir, summary).ok
