"""`verify --target mcu`: the generated C cross-compiled for Cortex-M4 and run under qemu.

The harness embeds the samples' integer inputs, runs `<name>_run` on each under
`qemu-system-arm -M mps2-an386 -cpu cortex-m4 -semihosting -icount shift=0` and prints every
output element, which Python compares with the integer reference (bit for bit).  With
`-icount shift=0` qemu retires one instruction per virtual nanosecond and mps2's SysTick counts
the 25 MHz CPU clock, so one SysTick tick is exactly 40 executed instructions.  Writing the
counter before each inference restarts its tick phase, so equal work reads equal counts; the
absolute error is under one tick per reading (tests/test_c_mcu.py checks the count against a
`-d exec -singlestep` trace of every instruction).  The generated model.c calls
DSG_LAYER_DONE(index) after every layer; the harness defines it to record SysTick, which gives
per-layer counts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from dsgen import progress
from dsgen.backends.c import library
from dsgen.backends.c.emit import WEIGHTS_EXTERNAL_FLAG, compile_c
from dsgen.backends.c.host import bit_exact_result, compare_bit_exact, quantized_samples
from dsgen.backends.render import file_sha256
from dsgen.errors import DsgenError
from dsgen.ir.cost import layer_cost
from dsgen.quant.qgraph import QGraph
from dsgen.resources import templates_dir
from dsgen.verify.core import VerifyResult, target

TOOLS = ("arm-none-eabi-gcc", "arm-none-eabi-size", "qemu-system-arm")
M4_FLAGS = [
    "-mcpu=cortex-m4",
    "-mthumb",
    "-mfloat-abi=soft",
    "-std=c99",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
]
QEMU = [
    "qemu-system-arm",
    "-M",
    "mps2-an386",
    "-cpu",
    "cortex-m4",
    "-nographic",
    "-semihosting",
    "-icount",
    "shift=0",
]
INSN_PER_TICK = 40  # 1 instruction per ns (-icount shift=0) / SysTick at 25 MHz
# One layer must run within one wrap of the 24-bit SysTick (2^24 ticks = 671 M instructions).
# The slowest kernel paths take about 4 instructions per MAC; 8 leaves a margin.
MAX_LAYER_MACS = (1 << 24) * INSN_PER_TICK // 8
QEMU_TIMEOUT_S = 600

HOOK_H = """/* -include'd into the model: record SysTick (counting down) after every layer. */
#include <stdint.h>
extern volatile uint32_t dsg_layer_ticks[];
#define DSG_LAYER_DONE(index) (dsg_layer_ticks[(index)] = *(volatile uint32_t *)0xE000E018u)
"""


def require_tools() -> dict[str, str]:
    found = {t: shutil.which(t) for t in TOOLS}
    missing = [t for t, p in found.items() if p is None]
    if missing:
        raise DsgenError(
            f"verify --target mcu needs {', '.join(missing)} (Debian/Ubuntu: apt install "
            "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)"
        )
    return found  # type: ignore[return-value]


def _c_rows(values, per_row: int = 24) -> str:
    v = [str(int(x)) for x in np.asarray(values).reshape(-1)] or ["0"]
    return ",\n    ".join(", ".join(v[i : i + per_row]) for i in range(0, len(v), per_row))


def harness_source(
    name: str, ctype: str, xs: list[np.ndarray], n_outs: list[int], n_layers: int
) -> str:
    """main(): every sample through <name>_run, its outputs (one "O" line per graph output, in
    order) and SysTick readings printed."""
    n_in = int(xs[0].size)
    outs = [f"out{k}" for k in range(len(n_outs))]
    decls = "\n".join(f"static {ctype} {o}[{n}];" for o, n in zip(outs, n_outs, strict=True))
    prints = "".join(
        f'        printf("\\nO");\n        for (i = 0; i < {n}; ++i) printf(" %d", (int){o}[i]);\n'
        for o, n in zip(outs, n_outs, strict=True)
    )
    return f"""#include <stdio.h>
#include <stdint.h>
#include "{name}.h"
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
volatile uint32_t dsg_layer_ticks[{max(n_layers, 1)}];
uint32_t dsg_stack_paint(void); /* cortex_m4/startup_cm4.c */
uint32_t dsg_stack_lowest(void);
static const {ctype} inputs[{len(xs)}][{n_in}] = {{
    {{{"}, {".join(_c_rows(x) for x in xs)}}}
}};
{decls}
int main(void)
{{
    int s, i;
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 5; /* enabled, CPU clock, no interrupt */
    for (s = 0; s < {len(xs)}; ++s) {{
        uint32_t t0, t1, sp;
        int rc;
        sp = dsg_stack_paint();
        SYST_CVR = 0; /* restarts the tick phase here: equal work reads equal ticks */
        t0 = SYST_CVR;
        rc = {name}_run(inputs[s], {", ".join(outs)});
        t1 = SYST_CVR;
        printf("S %d rc=%d t0=%lu t1=%lu stack=%lu\\n", s, rc, (unsigned long)t0, (unsigned long)t1,
               (unsigned long)(sp - dsg_stack_lowest()));
        printf("L");
        for (i = 0; i < {n_layers}; ++i) printf(" %lu", (unsigned long)dsg_layer_ticks[i]);
{prints}        printf("\\n");
    }}
    printf("DONE\\n");
    return 0;
}}
"""


def _ticks(a: int, b: int) -> int:
    """Elapsed ticks of the 24-bit down-counter from reading a to reading b."""
    return (a - b) & 0xFFFFFF


def build_elf(
    c_dir: Path,
    name: str,
    harness: str,
    tools: dict[str, str],
    extra_flags: tuple[str, ...] = (),
    weights_flags: tuple[str, ...] = (),
) -> Path:
    (c_dir / "mcu_main.c").write_text(harness)
    (c_dir / "mcu_hook.h").write_text(HOOK_H)
    m4 = c_dir / "cortex_m4"
    if not m4.is_dir():
        shutil.copytree(templates_dir() / "c" / "cortex_m4", m4)
    elf = c_dir / f"{name}_mcu.elf"
    objs = []
    for src in (
        f"{name}.c",
        f"{name}_weights.c",
        *(p.name for p in library.tree_sources(c_dir)),
        "mcu_main.c",
        "cortex_m4/startup_cm4.c",
    ):
        obj = c_dir / (Path(src).stem + ".o")
        hook = ["-include", str(c_dir / "mcu_hook.h")] if src == f"{name}.c" else []
        if src == f"{name}_weights.c" and weights_flags:
            hook = list(weights_flags)
        _run(
            [
                tools["arm-none-eabi-gcc"],
                *M4_FLAGS,
                *extra_flags,
                *hook,
                f"-I{c_dir}",
                "-c",
                str(c_dir / src),
                "-o",
                str(obj),
            ],
            "cross-compiling " + src,
        )
        objs.append(str(obj))
    _run(
        [
            tools["arm-none-eabi-gcc"],
            *M4_FLAGS,
            "--specs=rdimon.specs",
            "-nostartfiles",
            f"-T{m4 / 'mps2_an386.ld'}",
            *objs,
            "-lrdimon",
            "-o",
            str(elf),
        ],
        "linking",
    )
    return elf


def _run(cmd: list[str], what: str) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise DsgenError(f"{what} failed:\n{r.stderr[-3000:]}")
    return r.stdout


def elf_size(elf: Path, tools: dict[str, str]) -> dict[str, int]:
    """arm-none-eabi-size (Berkeley): text (code + constants), data, bss."""
    lines = _run([tools["arm-none-eabi-size"], str(elf)], "arm-none-eabi-size").splitlines()
    text, data, bss = (int(v) for v in lines[1].split()[:3])
    return {"text": text, "data": data, "bss": bss}


def run_qemu(elf: Path, extra: tuple[str, ...] = (), timeout: int = QEMU_TIMEOUT_S) -> str:
    try:
        r = subprocess.run(
            [*QEMU, *extra, "-kernel", str(elf)], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise DsgenError(f"qemu did not finish within {timeout} s") from None
    if "DONE" not in r.stdout:
        raise DsgenError(
            f"the Cortex-M4 run failed (exit {r.returncode}):\n{r.stdout[-2000:]}{r.stderr[-2000:]}"
        )
    return r.stdout


def parse_run(stdout: str) -> list[dict]:
    """Per sample: rc, total instructions, per-layer instructions, outputs ("outs": one array per
    graph output; "out": the first)."""
    samples, cur = [], None
    for line in stdout.splitlines():
        if line.startswith("S "):
            m = re.match(r"S (\d+) rc=(-?\d+) t0=(\d+) t1=(\d+) stack=(\d+)", line)
            cur = {"rc": int(m[2]), "t0": int(m[3]), "t1": int(m[4]), "stack": int(m[5])}
            cur["instructions"] = _ticks(cur["t0"], cur["t1"]) * INSN_PER_TICK
            samples.append(cur)
        elif line.startswith("L") and cur is not None:
            marks = [cur["t0"], *(int(v) for v in line.split()[1:])]
            cur["layers"] = [
                _ticks(a, b) * INSN_PER_TICK for a, b in zip(marks, marks[1:], strict=False)
            ]
            # The 24-bit counter wraps every 671 M instructions, which a 224x224 network
            # exceeds; summing per-layer segments only needs each layer to stay below that.
            cur["instructions"] = sum(cur["layers"]) + _ticks(marks[-1], cur["t1"]) * INSN_PER_TICK
        elif line.startswith("O") and cur is not None:
            values = np.array([int(v) for v in line.split()[1:]], np.int64)
            cur.setdefault("outs", []).append(values)
            cur["out"] = cur["outs"][0]
    return samples


def call_kinds(c_file: Path) -> list[tuple[str, str]]:
    """(identifier, kind) of every kernel call, from the generated model's comments."""
    return re.findall(r"/\* \d+: (\w+) \((\w+)\) \*/", c_file.read_text())


def run_on_mcu(qg: QGraph, xs_int: list[np.ndarray], c_dir: Path, model_sha256: str) -> dict:
    """Compile, cross-compile, run under qemu; outputs, instruction counts, sizes."""
    tools = require_tools()
    summary = compile_c(qg, c_dir, model_sha256=model_sha256)
    calls = call_kinds(c_dir / f"{summary.name}.c")
    big = [lay.name for lay in qg.int_layers if layer_cost(qg.graph, lay).macs > MAX_LAYER_MACS]
    if big:
        raise DsgenError(f"layer {big[0]} is too long to count with the 24-bit SysTick")
    n_outs = [qg.graph.tensors[t].size for t in qg.int_outputs]
    ctype = "int16_t" if qg.bits == 16 else "int8_t"
    src = harness_source(summary.name, ctype, xs_int, n_outs, len(calls))
    with progress.status("cross-compiling for Cortex-M4 (arm-none-eabi-gcc)"):
        wflags = (WEIGHTS_EXTERNAL_FLAG,) if summary.weights_external else ()
        elf = build_elf(c_dir, summary.name, src, tools, weights_flags=wflags)
    with progress.status(f"running {len(xs_int)} inference(s) under qemu (mps2-an386)"):
        samples = parse_run(run_qemu(elf))
    if len(samples) != len(xs_int) or any(s["rc"] != 0 for s in samples):
        raise DsgenError(f"the Cortex-M4 model returned an error: {[s['rc'] for s in samples]}")
    # per-layer MACs: identifiers are l<i>_<name> for qg.int_layers[i]
    by_index = {i: layer for i, layer in enumerate(qg.int_layers)}
    layers = []
    for j, (ident, kind) in enumerate(calls):
        m = re.match(r"l(\d+)_", ident)
        layer = by_index.get(int(m[1])) if m else None
        macs = layer_cost(qg.graph, layer).macs if layer is not None else 0
        layers.append(
            {"call": ident, "kind": kind, "macs": macs, "instructions": samples[0]["layers"][j]}
        )
    return {"summary": summary, "samples": samples, "layers": layers, "size": elf_size(elf, tools)}


@target("mcu")
def verify_mcu(
    path: Path,
    *,
    samples: int | None = None,
    inputs: str | None = None,
    input_shape=None,
    seed: int = 0,
    quant=None,
    warn=None,
    adversarial: int | None = None,
    **_,
) -> VerifyResult:
    """The generated C on a Cortex-M4 (qemu mps2-an386) against the integer reference."""
    require_tools()
    g, qg, s = quantized_samples(
        path, samples, inputs, input_shape, seed, quant, warn, adversarial=adversarial
    )
    with tempfile.TemporaryDirectory(prefix="dsgen_mcu_") as tmp:
        r = run_on_mcu(qg, s.xs, Path(tmp), file_sha256(path))
    outs = iter(smp.get("outs", []) for smp in r["samples"])
    m = compare_bit_exact(qg, s.xs, lambda x: next(outs), s.adversarial)
    counts = [smp["instructions"] for smp in r["samples"]]
    stack = max(smp["stack"] for smp in r["samples"])
    macs = sum(layer["macs"] for layer in r["layers"])
    extra = {
        "instructions": counts[0],
        "instructions_per_sample": counts,
        "instructions_per_mac": round(counts[0] / macs, 3) if macs else None,
        **{f"{k}_bytes": v for k, v in r["size"].items()},
        "arena_bytes": r["summary"].arena_bytes,
        "arena_lower_bound": r["summary"].arena_lower_bound,  # of the in-place schedule
        "arena_naive_bound": r["summary"].naive_lower_bound,
        "scratch_bytes": r["summary"].scratch_bytes,  # inside stack_bytes: the kernels' frames
        # measured: the stack painted before each inference, its high-water mark read back (the
        # kernels' scratch arrays live in their frames); the library has no other RAM
        "stack_bytes": stack,
        "total_ram_bytes": r["summary"].arena_bytes + stack,
        "weight_bytes": r["summary"].weight_bytes,
        "layer_instructions": r["layers"],
    }
    return bit_exact_result(g, "mcu", s, m, extra)
