"""The robustness table of BENCHMARKS.md, counted rather than quoted.

    .venv/bin/python bench/robustness.py            # corpus count + one fuzz run (~6 min)
    .venv/bin/python bench/robustness.py --no-fuzz  # the bad-input corpus only

Bad inputs: the cases of the generated corpus (tests/bad_corpus.py), every one an input dsgen must
refuse; success cases are not in it.  Fuzz cases: the examples hypothesis actually ran in one run of
the fuzz tests (from its statistics: passing, failing, invalid), not their `max_examples` settings;
a failing example is a mismatch (or a crash) and is counted as one.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.bad_corpus import write_corpus  # noqa: E402

FUZZ_TESTS = {
    "tests/test_fuzz.py::test_float_reference_vs_onnxruntime": "float reference vs onnxruntime",
    "tests/test_fuzz.py::test_c_backend_vs_integer_reference": (
        "generated C vs integer reference (8 and 16 bit, adversarial inputs)"
    ),
    "tests/test_fuzz.py::test_hls_backend_vs_integer_reference": (
        "HLS C simulation vs integer reference"
    ),
    "tests/test_rtl_fuzz.py::test_rtl_backend_vs_integer_reference": (
        "RTL simulation vs integer reference"
    ),
}
_STATS = re.compile(r"(\d+) passing, (\d+) failing, and (\d+) invalid")


def corpus_size() -> int:
    with tempfile.TemporaryDirectory(prefix="dsgen_corpus_") as d:
        return len(write_corpus(Path(d)))


def run_fuzz() -> tuple[dict[str, list[int]], str]:
    """{test id: [passing, failing, invalid]} summed over hypothesis's phases, and pytest's tail."""
    files = sorted({t.split("::")[0] for t in FUZZ_TESTS})
    r = subprocess.run(
        [sys.executable, "-m", "pytest", *files, "-q", "-n", "0", "-p", "no:cacheprovider"]
        + ["--hypothesis-show-statistics", "-rs"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    current = None
    for line in r.stdout.splitlines():
        if line.rstrip().endswith(":") and "::" in line:
            current = line.strip().rstrip(":")
        m = _STATS.search(line)
        if m and current:
            for i, v in enumerate(m.groups()):
                counts[current][i] += int(v)
    return dict(counts), "\n".join(r.stdout.splitlines()[-8:])


def main() -> None:
    n = corpus_size()
    print("| what | per CI run |\n|---|---|")
    print(
        f"| bad inputs (the generated corpus `tests/bad_corpus.py`) | {n}, every one a one-line "
        "error with exit code 2, no traceback, nothing on stdout, no partial output |"
    )
    if "--no-fuzz" in sys.argv:
        return
    counts, tail = run_fuzz()
    mismatches = 0
    for test, what in FUZZ_TESTS.items():
        c = counts.get(test)
        if c is None:
            print(f"| fuzzed graphs: {what} | not run (skipped: see below) |")
            continue
        mismatches += c[1]
        print(f"| fuzzed graphs: {what} | {c[0] + c[1]} |")
    print(f"| mismatches | {mismatches} |")
    print(f"\npytest: {tail}", file=sys.stderr)


if __name__ == "__main__":
    main()
