"""`dsgen verify`: run a target on the same inputs as its reference and compare."""

from __future__ import annotations

from pathlib import Path

from dsgen.errors import DsgenError
from dsgen.verify.core import OPTIONAL_TARGETS, TARGETS, VerifyResult

__all__ = ["TARGETS", "VerifyResult", "verify_model"]


def verify_model(path: str | Path, target_name: str, **options) -> VerifyResult:
    import dsgen.verify.targets  # noqa: F401  (registers float and int)

    # The backends register their targets when imported (they depend on verify, not the reverse).
    for module in OPTIONAL_TARGETS:
        try:
            __import__(module)
        except ImportError:
            pass  # a backend that is not part of this installation

    if target_name not in TARGETS:
        raise DsgenError(f"unknown target '{target_name}' (known: {', '.join(sorted(TARGETS))})")
    return TARGETS[target_name](Path(path), **options)
