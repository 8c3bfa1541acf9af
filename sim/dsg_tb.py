"""Shared cocotb helpers for the hw/ module benches (imported inside the simulator).

Every bench reads its parameter set from ``case.json`` in the simulation's working directory (the
pytest side writes it with the ``.memh`` files), drives inputs with random idle cycles and outputs
with random backpressure, compares bit-exactly and ends with a "nothing extra arrived" check.
"""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource


def load_case() -> dict:
    with open("case.json") as f:
        return json.load(f)


def make_rng(case: dict | None = None) -> random.Random:
    seed = int(os.environ.get("DSG_SEED", (case or {}).get("seed", 1)))
    return random.Random(seed)


def to_signed(v: int, w: int) -> int:
    v &= (1 << w) - 1
    return v - (1 << w) if v >> (w - 1) else v


def signed_range(w: int) -> tuple[int, int]:
    return -(1 << (w - 1)), (1 << (w - 1)) - 1


def pack_lanes(values, lanes: int, w: int) -> list[int]:
    """Pack a flat list of elements into beats of ``lanes`` lanes, lane 0 in the low bits."""
    mask = (1 << w) - 1
    out = []
    for i in range(0, len(values), lanes):
        word = 0
        for j, v in enumerate(values[i : i + lanes]):
            word |= (int(v) & mask) << (j * w)
        out.append(word)
    return out


def unpack_lanes(words, lanes: int, w: int) -> list[int]:
    return [to_signed(int(word) >> (j * w), w) for word in words for j in range(lanes)]


def pauses(rng: random.Random, p: float):
    """Pause generator for cocotbext-axi: True means idle/backpressure this cycle."""
    while True:
        yield rng.random() < p


async def start(dut, cycles: int = 5) -> None:
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    await ClockCycles(dut.clk, cycles)
    dut.rst.value = 0
    await RisingEdge(dut.clk)


def source(dut, prefix: str, width: int, rng: random.Random, p_idle: float) -> AxiStreamSource:
    src = AxiStreamSource(AxiStreamBus.from_prefix(dut, prefix), dut.clk, dut.rst, byte_lanes=1)
    src.log.setLevel("WARNING")
    if p_idle > 0:
        src.set_pause_generator(pauses(rng, p_idle))
    return src


def sink(dut, prefix: str, rng: random.Random, p_stall: float) -> AxiStreamSink:
    snk = AxiStreamSink(AxiStreamBus.from_prefix(dut, prefix), dut.clk, dut.rst, byte_lanes=1)
    snk.log.setLevel("WARNING")
    if p_stall > 0:
        snk.set_pause_generator(pauses(rng, p_stall))
    return snk


def frame(values, width: int) -> AxiStreamFrame:
    mask = (1 << width) - 1
    return AxiStreamFrame(tdata=[int(v) & mask for v in values])


class BeatCounter:
    """Counts handshakes (and tlasts) on ``prefix`` independently of the sink."""

    def __init__(self, dut, prefix: str):
        self.valid = getattr(dut, f"{prefix}_tvalid")
        self.ready = getattr(dut, f"{prefix}_tready")
        self.last = getattr(dut, f"{prefix}_tlast", None)
        self.clk = dut.clk
        self.beats = 0
        self.lasts = 0
        self.cycles = 0
        self.first = None
        self.last_cycle = None
        cocotb.start_soon(self._run())

    async def _run(self):
        while True:
            await RisingEdge(self.clk)
            self.cycles += 1
            if self.valid.value == 1 and self.ready.value == 1:
                if self.first is None:
                    self.first = self.cycles
                self.last_cycle = self.cycles
                self.beats += 1
                if self.last is not None and self.last.value == 1:
                    self.lasts += 1


def compare(name: str, got, exp) -> None:
    got = [int(v) for v in got]
    exp = [int(v) for v in exp]
    for i, (g, e) in enumerate(zip(got, exp, strict=False)):
        if g != e:
            raise AssertionError(
                f"{name}: first mismatch at index {i}: expected {e}, got {g} "
                f"(expected[{i}:{i + 8}]={exp[i : i + 8]}, got[{i}:{i + 8}]={got[i : i + 8]})"
            )
    if len(got) != len(exp):
        raise AssertionError(f"{name}: length {len(got)} != expected {len(exp)}")


async def recv_frames(snk: AxiStreamSink, n: int, width: int, timeout_cycles: int, dut):
    """Receive n frames (signed values), failing after timeout_cycles without completion."""
    out = []
    for _ in range(n):
        f = await cocotb.triggers.with_timeout(snk.recv(compact=False), timeout_cycles * 10, "ns")
        out.append([to_signed(v, width) for v in f.tdata])
    return out


async def nothing_extra(dut, counter: BeatCounter, expected_beats: int, snk=None, idle: int = 200):
    await ClockCycles(dut.clk, idle)
    assert counter.beats == expected_beats, (
        f"extra/missing output beats: {counter.beats} != expected {expected_beats}"
    )
    if snk is not None:
        assert snk.empty(), "sink holds extra frames after the expected output"
