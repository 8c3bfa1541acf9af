"""Whole models: every zoo model and every real model in ../shared/models through show, report and
verify --target float (against onnxruntime), and the MobileNets paper's cost tables."""

from __future__ import annotations

import json

import pytest

from dsgen import zoo
from dsgen.cli import main
from dsgen.compiler import load_ir
from dsgen.ir.cost import cost_report
from tests.conftest import shared_models_dir

SMALL_ZOO = [n for n in zoo.names() if not n.endswith("_224")]
SHARED = sorted(
    p.name
    for p in (shared_models_dir() or __import__("pathlib").Path("/nonexistent")).glob("*.onnx")
)


@pytest.fixture(scope="module")
def zoo_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("zoo")
    for name in SMALL_ZOO:
        (d / f"{name}.onnx").write_bytes(zoo.build(name).SerializeToString())
    return d


def _all_commands(path, capsys):
    assert main(["show", str(path)]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("graph ") and " = " in shown
    assert main(["report", str(path), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["total"]["macs"] == sum(layer["macs"] for layer in rep["layers"]) > 0
    for key in (
        "name",
        "kind",
        "in_shape",
        "out_shape",
        "kernel",
        "stride",
        "groups",
        "macs",
        "params",
    ):
        assert key in rep["layers"][0]
    assert main(["verify", str(path), "--target", "float", "--samples", "3", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["target"] == "float" and res["bit_exact"] is None and res["samples"] == 3
    assert res["max_abs_err"] <= 1e-4 and res["top1_agreement"] == 1.0 and res["ok"]
    return rep, res


@pytest.mark.parametrize("name", SMALL_ZOO)
def test_zoo_model(zoo_dir, name, capsys):
    _all_commands(zoo_dir / f"{name}.onnx", capsys)


@pytest.mark.parametrize("name", SHARED or ["<no shared models>"])
def test_shared_model(shared_models, name, capsys):
    rep, res = _all_commands(shared_models / name, capsys)
    if "kws" in name:
        assert rep["total"]["macs"] == 2_656_768  # "2.66 M MACs" (shared/models/README.md)
    if "vww" in name:
        assert rep["total"]["macs"] == 7_489_664  # "7.49 M MACs"


def test_shared_kws_real_inputs(shared_models, tmp_path, capsys):
    """The float reference on the real keyword clips, given as an NCHW .npy."""
    import numpy as np

    feats = np.load(shared_models / "kws_mlperf_mfcc.npz")["features_nhwc"][:20]
    np.save(tmp_path / "x.npy", feats.transpose(0, 3, 1, 2))
    path = shared_models / "mlperf_kws_dscnn_float_nchw.onnx"
    assert (
        main(
            ["verify", str(path), "--inputs", str(tmp_path / "x.npy"), "--samples", "20", "--json"]
        )
        == 0
    )
    res = json.loads(capsys.readouterr().out)
    assert res["samples"] == 20 and res["top1_agreement"] == 1.0


# MobileNets (Howard et al. 2017), Tables 4-7: million mult-adds and parameters.
PAPER = [
    # alpha, resolution, mult-adds (M), params (M) or None
    (1.0, 224, 569, 4.2),
    (0.75, 224, 325, 2.6),
    (0.5, 224, 149, 1.3),
    (0.25, 224, 41, 0.5),
    (1.0, 192, 418, 4.2),
    (1.0, 160, 290, 4.2),
    (1.0, 128, 186, 4.2),
]


def _report(tmp_path, model):
    p = tmp_path / "m.onnx"
    p.write_bytes(model.SerializeToString())
    return cost_report(load_ir(p))


@pytest.mark.parametrize("alpha,res,macs_m,params_m", PAPER)
def test_mobilenets_paper_tables(tmp_path, alpha, res, macs_m, params_m):
    rep = _report(tmp_path, zoo.mobilenet_v1(alpha=alpha, resolution=res))
    assert rep.total["macs"] / 1e6 == pytest.approx(macs_m, rel=0.01)
    if alpha == 1.0:  # the paper rounds the narrower models' parameters to one decimal
        assert rep.total["params"] / 1e6 == pytest.approx(params_m, rel=0.01)


def test_mobilenets_paper_standard_conv(tmp_path):
    """Table 4: 'Conv MobileNet' (standard convolutions): 4866 M mult-adds, 29.3 M parameters."""
    rep = _report(tmp_path, zoo.mobilenet_v1())
    std = rep.standard_conv_equivalent
    assert std["macs"] / 1e6 == pytest.approx(4866, rel=0.01)
    assert std["params"] / 1e6 == pytest.approx(29.3, rel=0.01)
    assert len(rep.blocks) == 13
    for b in rep.blocks:  # depth multiplier 1: the ratio is exactly 1/N + 1/Dk^2
        assert b.ratio == pytest.approx(b.formula, rel=1e-12)
