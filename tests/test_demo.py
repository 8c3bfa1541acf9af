"""`make demo` end to end: the bundled keyword spotter compiled for C, HLS and RTL, every target
verified (host C, Cortex-M4 under qemu, HLS C simulation, RTL simulation) and the HTML report
written.  Uses this test run's environment (no reinstall) and a temporary output directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_tool

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_make_demo(tmp_path):
    require_tool("make")
    venv = Path(sys.prefix)
    stamp = tmp_path / "installed"  # the environment is installed already: skip that step
    stamp.touch()
    out = tmp_path / "demo_out"
    env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
    cmd = ["make", "-C", str(REPO), "demo", f"VENV={venv}", f"STAMP={stamp}", f"DEMO={out}"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1500)
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    assert "PASS checksum" in r.stdout  # the example main.c ran
    for p in (
        "ds_cnn_kws.onnx",
        "c/ds_cnn_kws.c",
        "hls/run_hls.tcl",
        "rtl/synth.ys",
        "report.html",
    ):
        assert (out / p).exists(), p
    html = (out / "report.html").read_text()
    for target in ("float", "int", "c", "mcu", "hls", "rtl"):
        assert f"<td>{target}</td>" in html, target
    assert html.count(">OK<") == 6 and "FAILED" not in html
    assert f"demo outputs in {out}/" in r.stdout
