"""The C backend, side by side in one run: host time per inference of the generated C against
onnxruntime (one thread), Cortex-M4 instructions per MAC under qemu, arena vs its lower bound,
flash vs weight bytes.

    .venv/bin/python bench/c_bench.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from dsgen import zoo
from dsgen.backends.c import compile_c
from dsgen.backends.c.host import HostModel
from dsgen.backends.c.library import tree_sources
from dsgen.compiler import load_ir
from dsgen.quant.api import QuantOptions, quantize_graph
from dsgen.verify import verify_model

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "models"


def best_time(fn, repeat: int = 5, number: int = 20) -> float:
    """Seconds per call: the best of `repeat` batches (the least disturbed by other work)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t) / number)
    return best


def ort_session(path: Path):
    import onnxruntime as ort

    o = ort.SessionOptions()
    o.intra_op_num_threads = o.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), o, providers=["CPUExecutionProvider"])


def host_vs_ort(path: Path, tmp: Path) -> tuple[float, float]:
    """(dsgen C seconds, onnxruntime seconds) per inference of the same model file."""
    g = load_ir(path)
    qg = quantize_graph(g, QuantOptions(), warn=lambda m: None)
    d = tmp / f"host_{path.stem}"
    s = compile_c(qg, d, model_sha256="0" * 64)
    model = HostModel(d, s.name, qg.bits)
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, size=g.shape(g.input))
    n_out = qg.graph.tensors[qg.int_outputs[0]].size
    t_c = best_time(lambda: model.run(x, n_out))
    sess = ort_session(path)
    dtype = np.int8 if g.input_dtype == "int8" else np.float32
    xo = rng.standard_normal(g.onnx_input_shape).astype(np.float32)
    xo = xo.astype(dtype) if dtype is np.int8 else xo
    t_o = best_time(lambda: sess.run(None, {g.onnx_input_name: xo}))
    return t_c, t_o


def library_flash(path: Path, tmp: Path, quant: QuantOptions) -> tuple[int, int, int, int]:
    """(flash bytes of the model + kernel library objects for Cortex-M4, constant bytes, arena,
    arena lower bound) — without the test harness and newlib that an .elf also carries."""
    import subprocess

    qg = quantize_graph(load_ir(path), quant, warn=lambda m: None)
    d = tmp / f"m4_{path.stem}"
    s = compile_c(qg, d, model_sha256="0" * 64)
    objs = []
    for src in (f"{s.name}.c", f"{s.name}_weights.c", *(p.name for p in tree_sources(d))):
        subprocess.run(
            [
                "arm-none-eabi-gcc",
                "-mcpu=cortex-m4",
                "-mthumb",
                "-O2",
                "-std=c99",
                "-c",
                src,
                "-o",
                src + ".o",
            ],
            cwd=d,
            check=True,
        )
        objs.append(src + ".o")
    out = subprocess.run(
        ["arm-none-eabi-size", *objs], cwd=d, capture_output=True, text=True, check=True
    ).stdout.splitlines()[1:]
    flash = sum(int(ln.split()[0]) + int(ln.split()[1]) for ln in out)
    return flash, s.weight_bytes, s.arena_bytes, s.arena_lower_bound


def m4(path: Path, quant: QuantOptions) -> dict:
    r = verify_model(path, "mcu", samples=1, quant=quant, warn=lambda m: None).to_json()
    kinds: dict[str, list[int]] = {}
    for layer in r["layer_instructions"]:
        k = kinds.setdefault(layer["kind"], [0, 0])
        k[0] += layer["instructions"]
        k[1] += layer["macs"]
    no_mac = sum(layer["instructions"] for layer in r["layer_instructions"] if not layer["macs"])
    return {"r": r, "kinds": kinds, "no_mac_share": no_mac / r["instructions"]}


def main() -> int:
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        zoo_kws = tmp / "ds_cnn_kws.onnx"
        zoo_kws.write_bytes(zoo.build("ds_cnn_kws").SerializeToString())
        mbv1 = tmp / "mobilenet_v1_025_96.onnx"
        mbv1.write_bytes(zoo.build("mobilenet_v1_025_96").SerializeToString())
        print("### Host: time per inference, generated C (gcc -O2) vs onnxruntime (1 thread)\n")
        print("| model | dsgen C (µs) | onnxruntime (µs) | onnxruntime / dsgen |")
        print("|---|---|---|---|")
        for name in (
            "mlperf_kws_dscnn_float_nchw",
            "mlperf_kws_dscnn_int8_qdq_nchw",
            "mlperf_vww_mbv1_025_float_nchw",
            "mlperf_vww_mbv1_025_int8_qdq_nchw",
        ):
            p = SHARED / f"{name}.onnx"
            if p.exists():
                c, o = host_vs_ort(p, tmp)
                print(f"| {name} | {c * 1e6:.0f} | {o * 1e6:.0f} | {o / c:.2f} |")
        print("\n### Cortex-M4 (qemu mps2-an386, arm-none-eabi-gcc -O2): instructions per MAC\n")
        print(
            "| model | overall | conv | grouped | depthwise | pointwise | dense | "
            "layers without MACs | arena / lower bound | "
            "flash (model + library objects) / constant bytes |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        q = QuantOptions()
        models = [("ds_cnn_kws (zoo)", zoo_kws, q), ("mobilenet_v1_025_96 (zoo)", mbv1, q)]
        real = [
            ("MLPerf KWS (real, dsgen int8)", "mlperf_kws_dscnn_float_nchw"),
            ("MLPerf KWS (real, QDQ as given)", "mlperf_kws_dscnn_int8_qdq_nchw"),
            ("MLPerf VWW (real, dsgen int8)", "mlperf_vww_mbv1_025_float_nchw"),
            ("MLPerf VWW (real, QDQ as given)", "mlperf_vww_mbv1_025_int8_qdq_nchw"),
        ]
        for i, (label, stem) in enumerate(real):
            if (SHARED / f"{stem}.onnx").exists():
                models.insert(1 + i, (label, SHARED / f"{stem}.onnx", q))
        for name in ("xception_block", "shufflenet_unit", "fire_module", "igc_block"):
            p = tmp / f"{name}.onnx"
            p.write_bytes(zoo.build(name).SerializeToString())
            models.append((f"{name} (zoo)", p, q))
        # the paper-size models (weights in external flash); four samples keep calibration short
        calib = tmp / "calib224.npy"
        np.save(calib, np.random.default_rng(0).standard_normal((4, 3, 224, 224)).astype("f4"))
        for name in ("mobilenet_v1_1.0_224", "mobilenet_v2_1.0_224"):
            p = tmp / f"{name}.onnx"
            p.write_bytes(zoo.build(name).SerializeToString())
            models.append((f"{name} (zoo)", p, QuantOptions(calib=str(calib))))
        for label, p, quant in models:
            m = m4(p, quant)
            r, k = m["r"], m["kinds"]

            def ipm(kind, k=k):
                v = k.get(kind)
                return f"{v[0] / v[1]:.2f}" if v and v[1] else "–"

            flash, const, arena, bound = library_flash(p, tmp, quant)
            print(
                f"| {label} | {r['instructions_per_mac']:.2f} | {ipm('conv')} | "
                f"{ipm('grouped_conv')} | {ipm('depthwise_conv')} | {ipm('pointwise_conv')} | "
                f"{ipm('dense')} | {m['no_mac_share']:.0%} of instructions | "
                f"{arena} / {bound} | {flash} / {const} ({flash / const:.2f}) |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
