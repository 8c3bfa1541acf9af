"""Writing the C tree: <name>.h/.c, <name>_weights.{h,c}, the kernel library, Makefile, main.c."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dsgen.backends.c import library, lowbit
from dsgen.backends.c.footprint import Footprint, m4_footprint
from dsgen.backends.c.lower import Lowering, plan_c_arena
from dsgen.backends.c.scratch import ScratchConfig, scratch_config
from dsgen.backends.names import Namer, ascii_ident
from dsgen.backends.render import environment, rows, stamp
from dsgen.quant import int_ref
from dsgen.quant.qgraph import QGraph
from dsgen.resources import templates_dir

_BYTES = {"int8_t": 1, "uint8_t": 1, "int32_t": 4}
# The Cortex-M4 linker script's internal FLASH (mps2-an386: 4 MB).  Constants that would leave
# less than CODE_HEADROOM of it for code and the example's test vectors go to XFLASH, the
# memory-mapped external flash region, via -DDSG_WEIGHTS_EXTERNAL (see weights.c.j2).
M4_FLASH_BYTES = 4 << 20
CODE_HEADROOM = 512 << 10
WEIGHTS_EXTERNAL_FLAG = "-DDSG_WEIGHTS_EXTERNAL"


def weights_external(weight_bytes: int) -> bool:
    return weight_bytes > M4_FLASH_BYTES - CODE_HEADROOM


@dataclass
class CSummary:
    name: str
    out_dir: Path
    files: list[str]
    arena_bytes: int
    arena_lower_bound: int  # for the chosen schedule: in-place layers share their input's slot
    weight_bytes: int  # every const array: weights, biases, multipliers
    layers: int
    footprint: Footprint | None = None  # measured on Cortex-M4 when the toolchain is there
    naive_lower_bound: int = 0  # every simultaneously live tensor, nothing in place
    scratch: ScratchConfig | None = None  # kernel buffers sized to this model (dsg_config.h)
    in_place_layers: int = 0

    @property
    def scratch_bytes(self) -> int:
        return self.scratch.bytes if self.scratch is not None else 0

    @property
    def weights_external(self) -> bool:
        """Too large for the internal flash: the Cortex-M4 build maps them to external flash."""
        return weights_external(self.weight_bytes)

    def describe(self) -> str:
        ratio = self.arena_bytes / self.arena_lower_bound if self.arena_lower_bound else 1.0
        arena = (
            f"arena {self.arena_bytes} bytes ({ratio:.2f}x the lower bound "
            f"{self.arena_lower_bound} of this schedule, {self.in_place_layers} layers in place; "
            f"naive bound {self.naive_lower_bound})"
        )
        scratch = f"kernel scratch {self.scratch_bytes} bytes (sized to these layers)"
        head = f"C model '{self.name}' in {self.out_dir}: {self.layers} kernel calls"
        if self.weights_external:
            head += f" (constants > {M4_FLASH_BYTES >> 20} MB: linked into external flash)"
        fp = self.footprint
        if fp is None:
            return (
                f"{head}; flash: {self.weight_bytes} bytes of constants + code; RAM: {arena} "
                f"+ stack, {scratch} included (install arm-none-eabi-gcc for Cortex-M4 figures)"
            )
        return (
            f"{head}\n  Cortex-M4 flash: {fp.text + fp.rodata} bytes = code {fp.text} + "
            f"constants {fp.rodata} (weights, biases, multipliers: {self.weight_bytes})\n"
            f"  Cortex-M4 RAM:   {fp.ram + fp.stack} bytes in all = {arena}\n"
            f"                   + stack ~{fp.stack} (-fstack-usage estimate; {scratch} "
            "included, in the kernels' frames; `dsgen verify --target mcu` measures the "
            "stack's high-water mark)"
        )


def compile_c(
    qg: QGraph,
    out_dir: Path,
    *,
    model_sha256: str,
    external_arena: bool = False,
    in_place: bool = True,
    measure: bool = False,
) -> CSummary:
    g = qg.graph
    name = ascii_ident(g.name, 32)
    namer = Namer()
    namer.used.update({name, "in", "out", "arena", "arena_mem"})
    namer.used.update(f"out{k}" for k in range(len(qg.int_outputs)))
    idents = {
        layer.name: namer.ident(f"l{i}_{layer.name}", 36) for i, layer in enumerate(qg.int_layers)
    }
    plan = plan_c_arena(qg, in_place)
    scratch = scratch_config(qg, plan)
    lowered = Lowering(qg, plan, name, idents).lower()
    weight_bytes = sum(len(a.values) * _BYTES[a.ctype] for a in lowered.arrays)
    families = library.families_for(c.kernel for c in lowered.calls)
    lib_files = library.files(families)
    ctx = _context(qg, name, plan, lowered, model_sha256, external_arena)
    ctx["lib_srcs"] = " ".join(library.sources(families))
    ctx["lib_deps"] = " ".join(f for f in lib_files if not f.endswith(".c"))
    ctx["weights_flags"] = WEIGHTS_EXTERNAL_FLAG if weights_external(weight_bytes) else ""
    env = environment()
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        f"{name}.h": "c/model/model.h.j2",
        f"{name}.c": "c/model/model.c.j2",
        f"{name}_weights.h": "c/model/weights.h.j2",
        f"{name}_weights.c": "c/model/weights.c.j2",
        "main.c": "c/model/main.c.j2",
        "Makefile": "c/model/Makefile.j2",
    }
    for stale in set(library.every_file()) - set(lib_files):  # from an earlier compile here
        (out_dir / stale).unlink(missing_ok=True)
    for lib in lib_files:
        if lib != library.CONFIG:  # the model's own, rendered below
            _copy_stamped(templates_dir() / "c" / lib, out_dir / lib, ctx["stamp"])
    ctx["scratch_defines"] = scratch.defines() + lowbit.defines(qg)
    files[library.CONFIG] = "c/model/dsg_config.h.j2"
    for fname, tpl in files.items():
        (out_dir / fname).write_text(env.get_template(tpl).render(**ctx))
    (out_dir / "cortex_m4").mkdir(exist_ok=True)
    for f in sorted((templates_dir() / "c" / "cortex_m4").iterdir()):
        _copy_stamped(f, out_dir / "cortex_m4" / f.name, ctx["stamp"])
    return CSummary(
        name,
        out_dir,
        sorted({*files, *lib_files, "cortex_m4"}),
        plan.arena_bytes,
        plan.lower_bound,
        weight_bytes,
        len(lowered.calls),
        m4_footprint(out_dir, name) if measure else None,
        plan.naive_bound,
        scratch,
        len(plan.in_place),
    )


def _copy_stamped(src: Path, dst: Path, stamp_text: str) -> None:
    """Library files carry the provenance stamp too (a C comment: .c, .h, .inc and .ld)."""
    dst.write_text(f"/* {stamp_text} */\n" + src.read_text())


@dataclass(frozen=True)
class COutput:
    """One graph output of the C API: its `_run` parameter, header macros and test vector."""

    param: str  # `out` (a single output) or `out<k>`
    macro: str  # OUTPUT or OUTPUT<k>: <M>_<macro>_SIZE, _ZERO_POINT, _SCALE, _IS_LOGITS
    onnx_name: str  # sanitised
    size: int
    scale: str
    zp: int
    logits: bool
    logits_flag: int
    expected_rows: list[str]


def _outputs(qg: QGraph, x: np.ndarray) -> list[COutput]:
    g, n = qg.graph, len(qg.int_outputs)
    env = int_ref.run(qg, x)
    names = g.onnx_output_names or list(g.outputs)
    outs = []
    for k, t in enumerate(qg.int_outputs):
        q = qg.qparams(t)
        outs.append(
            COutput(
                param="out" if n == 1 else f"out{k}",
                macro="OUTPUT" if n == 1 else f"OUTPUT{k}",
                onnx_name=ascii_ident(names[k], 32),  # model names never reach code raw
                size=int(g.tensors[t].size),
                scale=repr(float(q.scale)),
                zp=q.zero_point,
                logits=qg.softmax_outputs[k],
                logits_flag=int(qg.softmax_outputs[k]),
                expected_rows=rows(env[t].reshape(-1)),
            )
        )
    return outs


def _context(qg, name, plan, lowered, sha, external_arena) -> dict:
    g = qg.graph
    qi = qg.input_q
    h_w_c = g.shape(g.input)
    arrays = [
        {"name": a.name, "ctype": a.ctype, "count": len(a.values), "rows": rows(a.values)}
        for a in lowered.arrays
    ]
    x = _example_input(qg)
    return {
        "stamp": stamp(sha),
        "name": name,
        "M": name.upper(),
        "ctype": "int16_t" if qg.bits == 16 else "int8_t",
        "tsfx": "s16" if qg.bits == 16 else "s8",
        "in_layout": "x".join(map(str, h_w_c)) + (" (H x W x C, NHWC)" if len(h_w_c) == 3 else ""),
        "in_size": int(np.prod(h_w_c)),
        "outputs": _outputs(qg, x),
        "in_scale": repr(float(qi.scale)),
        "in_zp": qi.zero_point,
        "arena_bytes": plan.arena_bytes,
        "arena_decl": max(plan.arena_bytes, 1),
        "external_arena": external_arena,
        "calls": lowered.calls,
        "arrays": arrays,
        "input_rows": rows(x.reshape(-1)),
    }


def _example_input(qg: QGraph) -> np.ndarray:
    """A deterministic test vector for main.c: random integers over the input's type range."""
    lo, hi = (-128, 127) if qg.bits == 8 else (-32768, 32767)
    rng = np.random.default_rng(20240611)
    return rng.integers(lo, hi + 1, size=qg.graph.shape(qg.graph.input), dtype=np.int64)
