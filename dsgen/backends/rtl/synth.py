"""`dsgen synth OUT/`: yosys ``synth_xilinx`` on a compiled RTL tree (OUT/synth.ys) → resources.

Runs in OUT/rtl (the ROM .memh files are read from the working directory) and parses the final
``stat`` of the flattened top: LUTs (LUT1..LUT6), flip-flops (FD*), DSP48E1 slices and block RAM in
36 Kb units (RAMB36E1 + RAMB18E1/2).  Distributed RAM / SRL cells are reported in ``cells``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from dsgen.errors import DsgenError

YOSYS = "/usr/bin/yosys"


@dataclass
class SynthReport:
    lut: int
    ff: int
    dsp: int
    bram: float  # 36 Kb blocks (a RAMB18 counts 0.5)
    raw: str  # yosys's final statistics
    cells: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        return f"LUT {self.lut}, FF {self.ff}, DSP {self.dsp}, BRAM36 {self.bram:g}"


def _yosys() -> str:
    path = YOSYS if Path(YOSYS).exists() else shutil.which("yosys")
    if path is None:
        raise DsgenError("yosys is not installed (apt-get install yosys)")
    return path


def parse_stat(text: str) -> SynthReport:
    """Resources from the last 'Printing statistics' section of a yosys log."""
    start = text.rfind("Printing statistics")
    if start < 0:
        raise DsgenError("yosys printed no statistics (see the synthesis log)")
    section = text[start:]
    cells: dict[str, int] = {}
    for name, count in re.findall(r"^\s+(\$?[A-Za-z_][\w$]*)\s+(\d+)\s*$", section, re.M):
        cells[name] = cells.get(name, 0) + int(count)
    lut = sum(v for k, v in cells.items() if re.fullmatch(r"LUT[1-6]", k))
    ff = sum(v for k, v in cells.items() if re.fullmatch(r"FD[A-Z]*", k))
    dsp = sum(v for k, v in cells.items() if k.startswith("DSP48"))
    bram = sum(v for k, v in cells.items() if k.startswith("RAMB36")) + 0.5 * sum(
        v for k, v in cells.items() if k.startswith("RAMB18")
    )
    return SynthReport(lut, ff, dsp, bram, section.strip(), cells)


def synth(out_dir: str | Path, *, timeout: float = 3600.0) -> SynthReport:
    """Synthesize OUT (a `dsgen compile --target rtl` tree) and return its resources."""
    out = Path(out_dir)
    script = out / "synth.ys"
    if not script.exists() or not (out / "rtl").is_dir():
        raise DsgenError("not an RTL output tree (no synth.ys / rtl/)", path=str(out))
    log = out / "synth.log"
    try:
        r = subprocess.run(
            [_yosys(), "-s", str(script.resolve())],
            cwd=out / "rtl",
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise DsgenError(f"yosys did not finish within {timeout:.0f} s") from None
    log.write_text(r.stdout + r.stderr)
    if r.returncode != 0:
        tail = "\n".join((r.stdout + r.stderr).splitlines()[-20:])
        raise DsgenError(f"yosys failed (log {log}):\n{tail}")
    return parse_stat(r.stdout)
