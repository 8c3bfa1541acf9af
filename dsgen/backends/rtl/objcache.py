"""A compiler wrapper (Verilator's ``OBJCACHE``) that shares the Verilator runtime objects.

Every Verilator build compiles the same runtime sources (verilated.cpp, verilated_vpi.cpp, ...)
into its own directory: ~20 s of a ~25 s build of a small network at -O0.  Make runs
``$(OBJCACHE) c++ ... -c -o verilated.o .../include/verilated.cpp``; this wrapper (invoked as
``python objcache.py c++ ...``) keys such a command by its arguments, the source's contents and
``$DSGEN_OBJCACHE_KEY`` (the tool versions: the runtime headers change only with Verilator) and
copies a stored object instead of compiling.  Commands compiling files of the build directory (the
model itself, cocotb's main, which includes the generated header) run unchanged.

Standalone on purpose (no dsgen import): make starts it once per object.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CACHED_DIR_MARK = f"{os.sep}verilator{os.sep}include{os.sep}"  # Verilator's runtime sources


def _source_and_output(args: list[str]) -> tuple[Path | None, Path | None]:
    out = Path(args[args.index("-o") + 1]) if "-o" in args[:-1] else None
    srcs = [a for a in args if a.endswith((".cpp", ".cc", ".c")) and not a.startswith("-")]
    return (Path(srcs[0]) if len(srcs) == 1 else None), out


def _key(args: list[str], src: Path, out: Path) -> str:
    h = hashlib.sha256(os.environ.get("DSGEN_OBJCACHE_KEY", "").encode())
    h.update("\0".join(a if a != str(out) else out.name for a in args).encode())
    h.update(src.read_bytes())
    return h.hexdigest()[:32]


def main(argv: list[str]) -> int:
    args = argv[1:]
    store = os.environ.get("DSGEN_OBJCACHE_DIR")
    src, out = _source_and_output(args)
    if not args or not store or src is None or out is None or CACHED_DIR_MARK not in str(src):
        return subprocess.call(args)
    cached = Path(store) / f"{_key(args, src, out)}.o"
    if cached.exists():
        shutil.copyfile(cached, out)
        return 0
    rc = subprocess.call(args)
    if rc == 0 and out.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
        os.close(fd)
        shutil.copyfile(out, tmp)
        os.replace(tmp, cached)  # atomic: concurrent builds store the same bytes
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
