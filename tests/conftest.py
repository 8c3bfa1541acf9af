"""Shared fixtures: where the team's real models live, and tool-availability skips."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_models_dir() -> Path | None:
    """``../shared/models`` beside the checkout (CI clones main with shared/ beside it)."""
    env = os.environ.get("DSGEN_SHARED_MODELS")
    for cand in ([Path(env)] if env else []) + [REPO.parent / "shared" / "models"]:
        if cand.is_dir():
            return cand
    return None


@pytest.fixture(scope="session")
def shared_models() -> Path:
    d = shared_models_dir()
    if d is None:
        pytest.skip("../shared/models is not beside this checkout")
    return d


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"'{name}' is not installed (make test installs it)")
    return path


def fuzz_seed() -> int:
    """One seed per test run, shared by all xdist workers; DSGEN_FUZZ_SEED replays a run."""
    import hashlib

    env = os.environ.get("DSGEN_FUZZ_SEED")
    if env:
        return int(env)
    run_id = os.environ.setdefault("DSGEN_RUN_ID", os.urandom(8).hex())
    return int(hashlib.sha256(run_id.encode()).hexdigest()[:8], 16)


def pytest_configure(config):
    # Set once in the controlling process, before xdist starts its workers (they inherit it).
    os.environ.setdefault("DSGEN_RUN_ID", os.urandom(8).hex())


def pytest_report_header(config):
    return f"dsgen fuzz seed: {fuzz_seed()} (replay: DSGEN_FUZZ_SEED={fuzz_seed()})"
