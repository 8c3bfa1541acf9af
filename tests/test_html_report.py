"""`dsgen report --html`: a self-contained page, rendered in headless Chromium with no console
errors and every expected section present."""

from __future__ import annotations

import re
import subprocess

import pytest

from dsgen import zoo
from dsgen.cli import main
from tests.conftest import require_tool

SECTIONS = [
    "Where the MACs go",
    "Standard convolution vs depthwise separable",
    "Layers",
    "Activation memory",
    "Quantization (8-bit activations)",
    "Folding for 32 multipliers",
    "Verification",
]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    model = d / "ds_cnn_kws.onnx"
    model.write_bytes(zoo.build("ds_cnn_kws").SerializeToString())
    out = d / "report.html"
    assert (
        main(
            [
                "-q",
                "report",
                str(model),
                "--html",
                str(out),
                "--multipliers",
                "32",
                "--verify",
                "float,int,c",
                "--samples",
                "2",
            ]
        )
        == 0
    )
    return out


def test_self_contained(report):
    html = report.read_text()
    assert "<script" not in html and not re.search(r'(src|href)="https?:', html)
    assert html.count("<svg") >= 5
    for s in SECTIONS:
        assert s in html, s
    assert html.count(">OK<") == 3  # float, int, c rows


def test_memory_over_layers_for_both_bounds(report):
    """The keyword spotter's depthwise and pointwise layers run in place: its schedule's bound is
    one 25x5x64 map plus the pooled vector, the naive bound two maps; the chart shows both."""
    html = report.read_text()
    assert "lower bound of its schedule" in html and "8,064 bytes" in html
    assert "naive\nbound" in html or "naive bound" in html.replace("\n", " ")
    assert "16,000 bytes" in html and "Activation bytes live at each layer" in html


def test_renders_in_headless_chromium(report, tmp_path):
    exe = require_tool("chromium")
    r = subprocess.run(
        [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    dom = r.stdout
    for s in SECTIONS:
        assert s in dom, s
    assert dom.count("<svg") >= 5
    console = [ln for ln in r.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    assert not console, console
