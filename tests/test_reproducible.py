"""Compiling the same model twice gives byte-identical output trees (no timestamps, no dict-order
or hash randomness), for every target, through the command line; also across processes with
different hash seeds."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dsgen import zoo
from dsgen.cli import main

TARGETS = ["c", "hls", "rtl"]


def tree(d):
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    p = tmp_path_factory.mktemp("m") / "shufflenet_unit.onnx"
    p.write_bytes(zoo.build("shufflenet_unit").SerializeToString())
    return p


@pytest.mark.parametrize("target", TARGETS)
def test_compile_twice_identical(model, tmp_path, target):
    if target == "rtl":
        pytest.importorskip("dsgen.backends.rtl", reason="RTL backend not installed")
    outs = []
    for i, hashseed in enumerate(("0", "12345")):
        out = tmp_path / f"out{i}"
        env = dict(os.environ, PYTHONHASHSEED=hashseed)
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "dsgen.cli",
                "-q",
                "compile",
                str(model),
                "--target",
                target,
                "--multipliers",
                "32",
                "-o",
                str(out),
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        assert r.returncode == 0, r.stderr
        outs.append(tree(out))
    assert outs[0].keys() == outs[1].keys()
    diff = [k for k in outs[0] if outs[0][k] != outs[1][k]]
    assert not diff, diff
    assert len(outs[0]) > 3


def test_recompile_replaces_output(model, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["-q", "compile", str(model), "--target", "c", "-o", str(out)]) == 0
    (out / "stale.txt").write_text("left over from an older compile")
    assert main(["-q", "compile", str(model), "--target", "c", "-o", str(out)]) == 0
    assert not (out / "stale.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
