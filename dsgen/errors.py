"""User-facing errors: one line, naming the file, node and op; the CLI exits with code 2."""

from __future__ import annotations

import numpy as np


class DsgenError(Exception):
    """A problem with the user's input (model, options, paths), as opposed to a dsgen bug."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        node: str | None = None,
        op: str | None = None,
    ) -> None:
        self.path, self.node, self.op, self.detail = path, node, op, message
        super().__init__(self.format())

    def format(self) -> str:
        where = []
        if self.path:
            where.append(str(self.path))
        if self.node is not None:
            where.append(
                f"node {self.node!r} (op {self.op!r})" if self.op else f"node {self.node!r}"
            )
        text = " ".join(self.detail.split())  # one line, whatever the message contained
        if self.node is not None and text.startswith("is "):  # "node 'n' (op 'Erf') is not …"
            return ": ".join(where[:-1] + [f"{where[-1]} {text}"])
        return ": ".join(where + [text])


class CheckFailed(Exception):
    """A verification found mismatches (exit code 1)."""


def nonfinite(values) -> str | None:
    """'2 NaN and 1 Inf of 72 values' when `values` holds non-finite floats, else None."""
    a = np.asarray(values)
    if a.dtype.kind not in "fc" or np.all(np.isfinite(a)):
        return None
    nan, inf = int(np.count_nonzero(np.isnan(a))), int(np.count_nonzero(np.isinf(a)))
    parts = [f"{n} {what}" for n, what in ((nan, "NaN"), (inf, "Inf")) if n]
    return f"{' and '.join(parts)} of {a.size} value{'s' if a.size > 1 else ''}"
