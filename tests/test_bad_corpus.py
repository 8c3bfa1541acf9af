"""Every case of the generated bad-input corpus (tests/bad_corpus.py): exactly one line on
stderr starting 'dsgen: error:', naming the file (and node/op where there is one), exit code 2, no
traceback, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dsgen.cli import main
from tests.bad_corpus import write_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    return d, {c.name: c for c in write_corpus(d)}


def _case_names() -> list[str]:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="dsgen_corpus_") as d:
        return [c.name for c in write_corpus(Path(d))]


CASE_NAMES = _case_names()


def _args(case, d):
    return [
        a.replace("{f}", str(d / case.file) if case.file else "").replace("{d}", str(d))
        for a in case.args
    ]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_bad_input(corpus, name, capsys):
    d, cases = corpus
    case = cases[name]
    before = set(os.listdir(d))
    code = main(_args(case, d))
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if not ln.startswith("warning:")]
    assert code == 2, err
    assert out == "", out
    assert len(lines) == 1 and lines[0].startswith("dsgen: error: "), err
    assert "Traceback" not in err
    for needle in case.expect:
        assert needle in lines[0], (needle, lines[0])
    if case.file:
        assert case.file in lines[0]
    assert set(os.listdir(d)) == before, "partial output left behind"


def test_corpus_through_a_real_process(corpus):
    """The same contract from a subprocess (exit status, stderr, empty stdout), where libraries
    that write to the file descriptors themselves (onnxruntime's logger) would show."""
    d, cases = corpus
    names = ("truncated.onnx", "unsupported_op.onnx", "absurd_activation.onnx")
    names += ("nan_weight.onnx", "maxpool_pads_not_below_kernel.onnx", "ort_refuses.onnx")
    for name in names:
        r = subprocess.run(
            [sys.executable, "-m", "dsgen.cli", *_args(cases[name], d)],
            capture_output=True,
            text=True,
        )
        assert r.returncode == 2 and r.stdout == "", (name, r.stdout, r.stderr)
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr


def test_benchmarks_quotes_the_corpus_size():
    """BENCHMARKS.md's robustness row counts exactly the corpus (bench/robustness.py prints it);
    test_bad_input makes every case an error, so no success case is counted as a bad input."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "BENCHMARKS.md").read_text()
    row = re.search(
        r"^\| bad inputs \(the generated corpus `tests/bad_corpus\.py`\) \| (\d+),", text, re.M
    )
    assert row is not None, "BENCHMARKS.md has no bad-input row"
    assert int(row.group(1)) == len(CASE_NAMES)
