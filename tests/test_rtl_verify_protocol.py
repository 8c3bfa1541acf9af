"""`verify --target rtl` fails on a stream-protocol error, whatever the data (issue 13): faults are
injected into the generated top of a compiled tree before it is built and simulated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dsgen import zoo
from dsgen.quant.api import QuantOptions

pytestmark = pytest.mark.slow

QUIET = {"quiet": True, "warn": lambda m: None, "quant": QuantOptions()}
OUT = re.compile(r"^assign (m_axis\w*)_t(valid|last)\s*= (\w+);$", re.M)


def _top(out: Path) -> Path:
    (top,) = (out / "rtl").glob("*_top.v")
    return top


def _assign(text: str, signal: str) -> re.Match:
    m = next((m for m in OUT.finditer(text) if m[2] == signal), None)
    assert m is not None, f"the generated top no longer assigns the output t{signal}"
    return m


def tlast_on_every_beat(out: Path) -> None:
    top = _top(out)
    text = top.read_text()
    m = _assign(text, "last")
    top.write_text(text.replace(m[0], f"assign {m[1]}_tlast = 1'b1;"))


def one_extra_beat_after(frames: int):
    """After the last output beat of ``frames`` frames, TVALID rises for one more cycle."""

    def edit(out: Path) -> None:
        top = _top(out)
        text = top.read_text()
        v, last = _assign(text, "valid"), _assign(text, "last")
        port, src, last_src = v[1], v[3], last[3]
        fault = f"""reg [15:0] fault_frames = 16'd0;
reg fault_beat = 1'b0;
always @(posedge clk) begin
    if ({src} && {port}_tready && {last_src}) fault_frames <= fault_frames + 16'd1;
    fault_beat <= {src} && {port}_tready && {last_src} && fault_frames == 16'd{frames - 1};
end
assign {port}_tvalid = {src} | fault_beat;"""
        top.write_text(text.replace(v[0], fault))

    return edit


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("rtl_protocol") / "tiny_dscnn.onnx"
    p.write_bytes(zoo.build("tiny_dscnn").SerializeToString())
    return p


def _verify(path: Path, edit=None):
    from dsgen.backends.rtl.verify import verify_rtl

    return verify_rtl(path, samples=1, adversarial=1, edit=edit, **QUIET)


def test_clean_tree_passes(tiny):
    r = _verify(tiny)
    assert r.ok and r.bit_exact and r.extra["protocol_errors"] == []


def test_tlast_on_the_wrong_beat_fails(tiny):
    r = _verify(tiny, tlast_on_every_beat)
    assert r.mismatches == 0  # the data are right: only the protocol is broken
    assert not r.ok
    errs = r.extra["protocol_errors"]
    assert len(errs) == 1 and "TLAST asserted on output beat 0 (element 0 of frame 0)" in errs[0]


def test_an_extra_output_beat_fails(tiny):
    r = _verify(tiny, one_extra_beat_after(2))  # 1 sample + 1 adversarial
    assert r.mismatches == 0
    assert not r.ok
    assert r.extra["protocol_errors"] == ["1 output beat(s) arrived after the last expected one"]
