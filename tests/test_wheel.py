"""A non-editable install from the wheel, in a fresh venv, works and carries templates/ and hw/."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_installs_and_runs(tmp_path):
    pytest.importorskip("build")
    dist = tmp_path / "dist"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(REPO),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    wheel = next(dist.glob("dsgen-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    r = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr[-2000:]
    work = tmp_path / "work"  # outside the checkout: nothing can come from the source tree
    work.mkdir()
    dsgen = env_dir / "bin" / "dsgen"
    r = subprocess.run(
        [str(dsgen), "zoo", "tiny_dscnn", "-o", "t.onnx"], cwd=work, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(dsgen), "show", "t.onnx"], cwd=work, capture_output=True, text=True)
    assert r.returncode == 0 and "depthwise_conv" in r.stdout, r.stderr
    probe = (
        "import dsgen, dsgen.resources as r; print(dsgen.__file__); "
        "print(sorted(p.name for p in r.templates_dir().rglob('*') if p.is_file())); "
        "print(sorted(p.name for p in r.hw_dir().glob('*.v')))"
    )
    r = subprocess.run([str(py), "-c", probe], cwd=work, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    where, templates, hw = r.stdout.splitlines()
    assert str(env_dir) in where
    repo_templates = sorted(p.name for p in (REPO / "templates").rglob("*") if p.is_file())
    repo_hw = sorted(p.name for p in (REPO / "hw").glob("*.v"))
    assert templates == str(repo_templates) and hw == str(repo_hw)
    assert repo_hw, "hw/ ships no Verilog"
