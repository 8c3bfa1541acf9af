"""User-facing errors: one line, naming the file, node and op; the CLI exits with code 2."""

from __future__ import annotations


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
