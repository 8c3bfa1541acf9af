"""The IR verifier: structural invariants every pass must preserve (run between passes in tests)."""

from __future__ import annotations

from dsgen.ir import graph as ir
from dsgen.ir.shapes import infer_shape


class IRError(AssertionError):
    pass


def verify(g: ir.Graph, *, final: bool = False) -> None:
    defined = {g.input}
    if g.input not in g.tensors:
        raise IRError(f"input tensor '{g.input}' has no TensorInfo")
    names = set()
    for layer in g.layers:
        if layer.name in names:
            raise IRError(f"duplicate layer name '{layer.name}'")
        names.add(layer.name)
        for t in layer.inputs:
            if t not in defined:
                raise IRError(f"layer '{layer.name}' reads '{t}' before it is produced")
        if layer.output in defined:
            raise IRError(f"tensor '{layer.output}' is produced twice")
        if layer.output not in g.tensors:
            raise IRError(f"layer '{layer.name}' output '{layer.output}' has no TensorInfo")
        defined.add(layer.output)
        expected = infer_shape(layer, [g.shape(t) for t in layer.inputs])
        if expected != g.shape(layer.output):
            raise IRError(
                f"layer '{layer.name}' ({layer.kind}): output shape "
                f"{g.shape(layer.output)} but inputs imply {expected}"
            )
        _check_activation(layer, final)
        if final and layer.kind not in ir.FINAL_KINDS:
            raise IRError(f"layer '{layer.name}' of kind '{layer.kind}' survived the passes")
    for t in g.outputs:
        if t not in defined:
            raise IRError(f"graph output '{t}' is never produced")
    if not g.outputs:
        raise IRError("graph has no outputs")


def _check_activation(layer: ir.Layer, final: bool) -> None:
    """A table activation lives only in a `lut` layer (or, before the passes, an `act`): no
    requantizing layer may carry one, since its clamp cannot express it."""
    act = getattr(layer, "act", ir.NONE)
    if isinstance(layer, ir.Lut):
        if not act.is_table:
            raise IRError(f"lut layer '{layer.name}' holds a non-table activation {act.label()}")
    elif act.is_table and (final or not isinstance(layer, ir.Act)):
        raise IRError(f"layer '{layer.name}' ({layer.kind}) carries table activation {act.label()}")
