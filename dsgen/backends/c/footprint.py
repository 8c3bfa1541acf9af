"""Flash and RAM of a generated C model on a Cortex-M4, measured with the cross toolchain.

Code and constant bytes come from `arm-none-eabi-size` on the model and kernel-library objects
(no test harness, no C library); the stack is an upper-bound estimate from `-fstack-usage`: the
model's `_run` frame plus the two largest library frames (a kernel and the helper it calls).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dsgen.backends.c import library

M4_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft", "-O2", "-std=c99", "-fstack-usage"]


@dataclass(frozen=True)
class Footprint:
    text: int  # code
    rodata: int  # const data (weights, parameter structs) — also flash
    ram: int  # .data + .bss (the arena)
    stack: int  # estimate


def _su(path: Path) -> dict[str, int]:
    frames = {}
    for line in path.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            frames[parts[0].rsplit(":", 1)[-1]] = int(parts[1])
    return frames


def m4_footprint(c_dir: Path, name: str) -> Footprint | None:
    cc, size = shutil.which("arm-none-eabi-gcc"), shutil.which("arm-none-eabi-size")
    if cc is None or size is None:
        return None
    build = c_dir / ".footprint"
    build.mkdir(exist_ok=True)
    objs = []
    try:
        libs = [p.name for p in library.tree_sources(c_dir)]
        for src in (f"{name}.c", f"{name}_weights.c", *libs):
            obj = build / (Path(src).stem + ".o")  # gcc names the .su file after it
            subprocess.run([cc, *M4_FLAGS, f"-I{c_dir}", "-c", str(c_dir / src), "-o", str(obj)],
                           check=True, capture_output=True, cwd=build)  # fmt: skip
            objs.append(obj)
        out = subprocess.run([size, "-A", *map(str, objs)], check=True, capture_output=True,
                             text=True).stdout  # fmt: skip
        text = rodata = ram = 0
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                sec, n = parts[0], int(parts[1])
                if sec.startswith(".text"):
                    text += n
                elif sec.startswith(".rodata"):
                    rodata += n
                elif sec.startswith((".data", ".bss")):
                    ram += n
        run = _su(build / f"{name}.su").get(f"{name}_run", 0)
        lib = sorted((v for src in libs for v in _su(build / f"{Path(src).stem}.su").values()),
                     reverse=True)  # fmt: skip
        return Footprint(text, rodata, ram, run + sum(lib[:2]))
    except (subprocess.CalledProcessError, OSError, ValueError):
        return None
    finally:
        shutil.rmtree(build, ignore_errors=True)
