"""The C backend: bit-exact against the integer reference on every zoo and real model, compiles
warning-free under gcc, clang and arm-none-eabi-gcc, honours its memory contract, reproducible."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import onnx
import pytest

from dsgen import zoo
from dsgen.backends.c import compile_c, library
from dsgen.backends.c.host import HostModel, compare_bit_exact
from dsgen.backends.c.library import tree_sources
from dsgen.backends.render import stamp
from dsgen.compiler import load_ir
from dsgen.quant.api import QuantOptions, quantize_graph
from dsgen.zoo._builder import GraphBuilder
from tests.conftest import require_tool

SMALL_ZOO = [n for n in zoo.names() if not n.endswith("_224")]
REAL = [
    "mlperf_kws_dscnn_float_nchw.onnx",
    "mlperf_kws_dscnn_int8_qdq_nchw.onnx",
    "arm_kws_ds_cnn_S_float_nchw.onnx",
    "mlperf_vww_mbv1_025_float_nchw.onnx",
    "mlperf_vww_mbv1_025_int8_qdq_nchw.onnx",
]
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"]


def quantized(path, bits=8):
    return quantize_graph(load_ir(path), QuantOptions(bits=bits), warn=lambda m: None)


def random_int_inputs(qg, n, seed=0):
    lo, hi = (-128, 127) if qg.bits == 8 else (-32768, 32767)
    rng = np.random.default_rng(seed)
    shape = qg.graph.shape(qg.graph.input)
    xs = [rng.integers(lo, hi + 1, size=shape) for _ in range(n)]
    xs.append(np.full(shape, lo))  # adversarial: all-min, all-max, alternating
    xs.append(np.full(shape, hi))
    xs.append(np.where(np.indices(shape).sum(axis=0) % 2 == 0, lo, hi))
    return xs


def conv_pair_model(tmp_path):
    """Three convs with groups 1 and the int8 clamp, all through dsg_conv_pair_s8 (their
    receptive fields gathered into the paired pass): 3 -> 9 3x3 over a 13x11 input (k = 27,
    ReLU folded into the range), 9 -> 7 3x3 stride 2 with asymmetric padding (k = 81 over an odd
    C_in, z_in = -128 after the ReLU), 7 -> 5 1x4 stride (1, 2) (odd C_out, a 1-pixel tail)."""
    g = GraphBuilder("conv_pair", (1, 3, 13, 11), 0)
    x = g.conv_bn("input", "stem", 9, 3, act="relu")
    x = g.conv_bn(x, "down", 7, 3, stride=2, pads=[1, 0, 2, 1], act=None)
    x = g.conv_bn(x, "wide", 5, (1, 4), stride=(1, 2), pads=[0, 1, 0, 2], act=None)
    p = tmp_path / "conv_pair.onnx"
    onnx.save(g.model(x, "general convs through the paired pass"), p)
    return p


def check_bit_exact(qg, tmp_path, n=4, **kw):
    s = compile_c(qg, tmp_path, model_sha256="ab" * 32, **kw)
    model = HostModel(tmp_path, s.name, qg.bits)
    n_out = qg.graph.tensors[qg.int_outputs[0]].size
    m = compare_bit_exact(qg, random_int_inputs(qg, n), lambda x: model.run(x, n_out))
    assert m["mismatches"] == 0, m["first_mismatch"]
    return s


@pytest.fixture(scope="module")
def zoo_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("zoo")
    for name in SMALL_ZOO:
        (d / f"{name}.onnx").write_bytes(zoo.build(name).SerializeToString())
    return d


@pytest.mark.parametrize("name", SMALL_ZOO)
def test_zoo_bit_exact(zoo_dir, tmp_path, name):
    s = check_bit_exact(quantized(zoo_dir / f"{name}.onnx"), tmp_path)
    assert s.arena_bytes == s.arena_lower_bound, "arena above the live-tensor lower bound"


@pytest.mark.parametrize("name", REAL)
def test_real_models_bit_exact(shared_models, tmp_path, name):
    qg = quantized(shared_models / name)
    check_bit_exact(qg, tmp_path)


def test_general_convs_take_the_paired_pass_bit_exact(tmp_path):
    """Convs with kernels > 1, stride 2 and padding through dsg_conv_pair_s8 (weights paired over
    the gathered k = (ky, kx, c) order) match the integer reference on full-range inputs."""
    qg = quantized(conv_pair_model(tmp_path))
    s = check_bit_exact(qg, tmp_path / "c")
    code = (tmp_path / "c" / f"{s.name}.c").read_text()
    assert code.count("dsg_conv_pair_s8(") == 3, code
    assert any(qg.params[layer.name].z_in == -128 for layer in qg.int_layers)


@pytest.mark.parametrize(
    "name",
    ["tiny_dscnn", "ds_cnn_kws", "fire_module", "shufflenet_unit", "xception_block", "igc_block"],
)
def test_16x8_bit_exact(zoo_dir, tmp_path, name):
    check_bit_exact(quantized(zoo_dir / f"{name}.onnx", bits=16), tmp_path, n=2)


def test_external_arena(zoo_dir, tmp_path):
    qg = quantized(zoo_dir / "ds_cnn_kws.onnx")
    s = compile_c(qg, tmp_path, model_sha256="0" * 64, external_arena=True)
    h = (tmp_path / f"{s.name}.h").read_text()
    assert "void *arena" in h and f"{s.name.upper()}_ARENA_BYTES {s.arena_bytes}" in h
    assert "_arena;" not in (tmp_path / f"{s.name}.c").read_text()  # no static arena
    r = subprocess.run(["make", "-s", "-C", str(tmp_path), "host"], capture_output=True, text=True)
    assert r.returncode == 0 and "PASS" in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_example_builds_and_passes(zoo_dir, tmp_path, cc):
    require_tool(cc)
    qg = quantized(zoo_dir / "shufflenet_unit.onnx")
    compile_c(qg, tmp_path, model_sha256="0" * 64)
    r = subprocess.run(
        ["make", "-s", "-C", str(tmp_path), "host", f"CC={cc}"], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert re.match(r"PASS checksum [0-9a-f]{8}", r.stdout), r.stdout


def test_cortex_m4_compiles_warning_free(zoo_dir, tmp_path):
    cc = require_tool("arm-none-eabi-gcc")
    qg = quantized(zoo_dir / "ds_cnn_kws.onnx")
    s = compile_c(qg, tmp_path, model_sha256="0" * 64)
    for src in [f"{s.name}.c", f"{s.name}_weights.c", *(p.name for p in tree_sources(tmp_path))]:
        r = subprocess.run(
            [cc, "-mcpu=cortex-m4", "-mthumb", "-O2", *STRICT, "-c", src, "-o", src + ".o"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr


def test_library_contract(zoo_dir, tmp_path):
    """No malloc, stdio or float in the generated model or the library; the only writable data
    is the arena; weights are const (flash)."""
    qg = quantized(zoo_dir / "fire_module.onnx")
    s = compile_c(qg, tmp_path, model_sha256="0" * 64)
    srcs = [
        tmp_path / f"{s.name}.c",
        tmp_path / f"{s.name}_weights.c",
        *tree_sources(tmp_path),
    ]
    incs = [tmp_path / f for f in library.every_file() if (tmp_path / f).exists()]
    code = "\n".join(re.sub(r"/\*.*?\*/", "", p.read_text(), flags=re.S) for p in srcs + incs)
    for word in ("malloc", "free(", "printf", "stdio", "float", "double"):
        assert word not in code, word
    objs = []
    for src in srcs:
        obj = tmp_path / (src.name + ".o")
        # -fno-pic as on a microcontroller: structs holding addresses are then plain .rodata
        subprocess.run(
            ["cc", *STRICT, "-fno-pic", "-c", str(src), "-o", str(obj)], check=True, cwd=tmp_path
        )
        objs.append(obj)
    nm = subprocess.run(["nm", *map(str, objs)], capture_output=True, text=True).stdout
    writable = [ln.split()[-1] for ln in nm.splitlines() if re.search(r" [bBdD] ", ln)]
    assert writable == [f"{s.name}_arena"], writable
    undefined = {ln.split()[-1] for ln in nm.splitlines() if " U " in ln}
    defined = {ln.split()[-1] for ln in nm.splitlines() if re.search(r" [TRrBbDd] ", ln)}
    assert undefined - defined <= {"memcpy"}, undefined - defined
    readonly = {ln.split()[-1] for ln in nm.splitlines() if re.search(r" [Rr] ", ln)}
    assert f"{s.name}_l0_conv1_w" in readonly  # weights are const: flash


def test_every_file_is_stamped(zoo_dir, tmp_path):
    """Model, weights, library (.c, .h, .inc), Makefile, main.c and the Cortex-M4 startup and
    linker script all carry the dsgen version and the model's sha256."""
    compile_c(quantized(zoo_dir / "ds_cnn_kws.onnx"), tmp_path, model_sha256="ef" * 32)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) >= 12
    for f in files:
        assert stamp("ef" * 32) in f.read_text(), f.name


def test_reproducible(zoo_dir, tmp_path):
    for d in ("a", "b"):
        compile_c(quantized(zoo_dir / "xception_block.onnx"), tmp_path / d, model_sha256="1" * 64)
    a = {
        p.relative_to(tmp_path / "a"): p.read_bytes()
        for p in (tmp_path / "a").rglob("*")
        if p.is_file()
    }
    b = {
        p.relative_to(tmp_path / "b"): p.read_bytes()
        for p in (tmp_path / "b").rglob("*")
        if p.is_file()
    }
    assert a == b


def test_cli_compile_and_verify(zoo_dir, tmp_path, capsys):
    import json

    from dsgen.cli import main

    out = tmp_path / "out"
    assert main(["compile", str(zoo_dir / "tiny_dscnn.onnx"), "--target", "c", "-o", str(out)]) == 0
    assert (out / "tiny_dscnn.c").exists() and not list(tmp_path.glob(".out.*"))
    capsys.readouterr()
    assert main(["verify", str(zoo_dir / "tiny_dscnn.onnx"), "--target", "c", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["bit_exact"] is True and res["mismatches"] == 0 and res["target"] == "c"


def test_cli_compile_refuses_a_file_destination(zoo_dir, tmp_path, capsys):
    from dsgen.cli import main

    f = tmp_path / "taken"
    f.write_text("x")
    assert main(["compile", str(zoo_dir / "tiny_dscnn.onnx"), "--target", "c", "-o", str(f)]) == 2
    assert f.read_text() == "x" and "not a directory" in capsys.readouterr().err


def test_tree_holds_only_the_kernel_families_it_calls(zoo_dir, tmp_path):
    """CMSIS-NN layout: one source per family; a tree gets the families its calls name, its
    Makefile lists exactly those, and every family's kernels are declared in the public header."""
    qg = quantized(zoo_dir / "ds_cnn_kws.onnx")
    compile_c(qg, tmp_path, model_sha256="0" * 64)
    srcs = {p.name for p in tree_sources(tmp_path)}
    assert srcs == {"dsg_support.c", "dsg_conv.c", "dsg_depthwise.c", "dsg_pool.c", "dsg_fc.c"}
    assert (
        not (tmp_path / "dsg_elementwise.c").exists() and not (tmp_path / "dsg_lowbit.c").exists()
    )
    lib_line = next(
        ln for ln in (tmp_path / "Makefile").read_text().splitlines() if "LIB_SRCS  :=" in ln
    )
    assert set(lib_line.split()[4:]) == srcs
    header = "".join((library.templates_c() / h).read_text() for h in library.HEADERS)
    for fam in library.FAMILIES:
        for k in fam.kernels:
            assert re.search(rf"\b{k}_s(8|16)\(", header), k
