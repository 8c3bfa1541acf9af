"""Xilinx's open ap_types headers (ap_int.h, hls_stream.h, ...) for a second C simulation.

dsgen's HLS code builds with its own shims (templates/hls/shims) by default; with
``-DDSG_VENDOR_HLS`` it includes the vendor's ``<ap_int.h>`` / ``<hls_stream.h>`` instead, so the
kernels are also checked with the vendor's own arbitrary-precision and stream semantics. Xilinx
publishes those headers under the Apache 2.0 licence; hls4ml ships a copy in its wheel under
``hls4ml/templates/vivado/ap_types``. ``fetch`` takes them from PyPI with ``pip download`` (the
wheel is only unpacked, never installed) into ``<venv>/share/dsgen/ap_types``, where
``find_ap_types`` looks (or wherever ``DSGEN_AP_TYPES`` points).

    python -m dsgen.backends.hls.vendor [DEST]     # what `make test` runs
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from dsgen.errors import DsgenError

WHEEL = "hls4ml==1.3.0"  # pinned: the headers are part of what the tests check against
WHEEL_DIR = "hls4ml/templates/vivado/ap_types/"
REQUIRED = ("ap_int.h", "hls_stream.h", "etc/ap_private.h")
ENV = "DSGEN_AP_TYPES"


def default_dir() -> Path:
    return Path(sys.prefix) / "share" / "dsgen" / "ap_types"


def complete(d: Path) -> bool:
    return all((d / f).is_file() for f in REQUIRED)


def find_ap_types() -> Path | None:
    """The vendor header directory, or None when it has not been fetched."""
    env = os.environ.get(ENV)
    for cand in ([Path(env)] if env else []) + [default_dir()]:
        if complete(cand):
            return cand
    return None


def require_ap_types() -> Path:
    d = find_ap_types()
    if d is None:
        raise DsgenError(
            "Xilinx ap_types headers not found (run `python -m dsgen.backends.hls.vendor` or "
            f"point {ENV} at a directory with ap_int.h and hls_stream.h)"
        )
    return d


def unpack(wheel: Path, dest: Path) -> Path:
    """Extract only the ap_types tree of an hls4ml wheel into dest."""
    with zipfile.ZipFile(wheel) as z:
        members = [m for m in z.namelist() if m.startswith(WHEEL_DIR) and not m.endswith("/")]
        if not members:
            raise DsgenError(f"{wheel.name} has no {WHEEL_DIR}")
        for m in members:
            out = dest / m[len(WHEEL_DIR) :]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(z.read(m))
    if not complete(dest):
        raise DsgenError(f"{wheel.name}: {WHEEL_DIR} lacks one of {', '.join(REQUIRED)}")
    return dest


def fetch(dest: Path | None = None, *, timeout: float = 300.0) -> Path:
    """Download the hls4ml wheel (no dependencies, not installed) and unpack its ap_types."""
    dest = Path(dest) if dest else default_dir()
    if complete(dest):
        return dest
    with tempfile.TemporaryDirectory(prefix="dsgen_ap_types_") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", WHEEL, "-d", tmp]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        wheels = sorted(Path(tmp).glob("hls4ml-*.whl"))
        if r.returncode != 0 or not wheels:
            raise DsgenError(f"pip download {WHEEL} failed:\n{r.stderr[-2000:]}")
        staging = Path(tmp) / "ap_types"
        unpack(wheels[0], staging)
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging, dest)
    return dest


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        d = fetch(Path(args[0]) if args else None)
    except (DsgenError, subprocess.TimeoutExpired) as e:
        print(f"dsgen: error: {e}", file=sys.stderr)
        return 2
    print(f"Xilinx ap_types headers in {d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
