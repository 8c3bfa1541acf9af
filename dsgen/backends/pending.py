"""Layer kinds a backend has no kernel for yet: refused with one line naming the node, never
compiled into a wrong answer."""

from __future__ import annotations

from dsgen.errors import DsgenError
from dsgen.quant.qgraph import QGraph

# The MobileNetV3 / EfficientNet / ShuffleNetV2 kinds (issue 14) whose kernels are not merged.
NEW_KINDS = frozenset({"lut", "channel_scale", "channel_slice"})


def refuse_pending(qg: QGraph, backend: str, kinds=NEW_KINDS) -> None:
    for layer in qg.int_layers:
        if layer.kind in kinds:
            raise DsgenError(
                f"layer kind '{layer.kind}' is not supported by the {backend} backend yet",
                node=layer.name,
                op=layer.kind,
            )
