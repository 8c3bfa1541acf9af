"""The op → handler table."""

from __future__ import annotations

from collections.abc import Callable

from dsgen.frontend.context import Ctx

Handler = Callable[[Ctx], None]
HANDLERS: dict[str, Handler] = {}


def handler(*ops: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for op in ops:
            HANDLERS[op] = fn
        return fn

    return register
