"""What the ONNX spec itself requires of a node, checked against the model's declared opset.

onnxruntime refuses a model that breaks these rules; dsgen refuses it too, with the node named,
instead of guessing: an op the declared opset does not have, an input signature from a later opset,
a missing required input or attribute, an attribute the op does not define (a misspelt `padding`
would otherwise be ignored) or one of the wrong type, a tensor defined twice, and a constant input
holding NaN or Inf.
"""

from __future__ import annotations

import onnx
from onnx import defs

from dsgen.frontend.context import Ctx

_SINGLE = defs.OpSchema.FormalParameterOption.Single
_VARIADIC = defs.OpSchema.FormalParameterOption.Variadic
# Constant inputs that may be infinite: a Clip bound of ±Inf means "no bound".
_INF_ALLOWED = {("Clip", 1), ("Clip", 2)}


def check_node(ctx: Ctx, node: onnx.NodeProto, opset: int) -> None:
    _check_outputs_new(ctx, node)
    schema = None
    if defs.has(node.op_type):  # an op ONNX does not know is reported as unsupported
        schema = _schema(ctx, node, opset)
        _check_arity(ctx, node, schema, opset)
        _check_attributes(ctx, node, schema, opset)
        _check_constant_types(ctx, node, schema, opset)
    _check_finite_inputs(ctx, node, schema)


def _schema(ctx: Ctx, node: onnx.NodeProto, opset: int) -> defs.OpSchema:
    try:
        return defs.get_schema(node.op_type, opset, "")
    except defs.SchemaError:
        first = _first_opset(node.op_type, opset)
        later = f" (it first appears in opset {first})" if first else ""
        raise ctx.error(f"is not defined in opset {opset}, the model's opset{later}") from None


def _first_opset(op: str, after: int) -> int | None:
    for v in range(after + 1, defs.onnx_opset_version() + 1):
        try:
            return defs.get_schema(op, v, "").since_version
        except defs.SchemaError:
            continue
    return None


def _check_arity(ctx: Ctx, node: onnx.NodeProto, schema: defs.OpSchema, opset: int) -> None:
    for kind, given, formal, lo, hi in (
        ("input", node.input, schema.inputs, schema.min_input, schema.max_input),
        ("output", node.output, schema.outputs, schema.min_output, schema.max_output),
    ):
        if len(given) > hi or len([n for n in given if n]) < lo:
            raise ctx.error(
                f"has {len(given)} {kind}s; {node.op_type} in opset {opset} takes {lo} to {hi}"
            )
        for i, f in enumerate(formal):
            if f.option == _SINGLE and (i >= len(given) or not given[i]):
                raise ctx.error(f"required {kind} {i} ({f.name}) is missing")


def _check_attributes(ctx: Ctx, node: onnx.NodeProto, schema: defs.OpSchema, opset: int) -> None:
    given = {a.name: a for a in node.attribute}
    for name, spec in schema.attributes.items():
        if spec.required and name not in given:
            raise ctx.error(f"required attribute '{name}' is missing")
    for name, a in given.items():
        spec = schema.attributes.get(name)
        if spec is None:
            raise ctx.error(
                f"attribute '{name}' is not defined for {node.op_type} in opset {opset} "
                f"(known: {', '.join(sorted(schema.attributes)) or 'none'})"
            )
        kind = onnx.AttributeProto.AttributeType.Name(a.type)
        if kind != spec.type.name:
            raise ctx.error(f"attribute '{name}' is {kind}; the spec says {spec.type.name}")


def _onnx_type(a) -> str | None:
    try:
        t = onnx.helper.np_dtype_to_tensor_dtype(a.dtype)
    except (KeyError, TypeError, ValueError):
        return None
    return f"tensor({onnx.TensorProto.DataType.Name(t).lower()})"


def _check_constant_types(ctx: Ctx, node: onnx.NodeProto, schema, opset: int) -> None:
    """A constant input's element type must be one the spec allows there (an int32 zero point
    of QuantizeLinear in opset 13 would otherwise mean 32-bit activations)."""
    allowed = {c.type_param_str: set(c.allowed_type_strs) for c in schema.type_constraints}
    for i, name in enumerate(node.input):
        v = ctx.values.get(name)
        if not name or v is None or v.const is None:
            continue
        formal = schema.inputs[min(i, len(schema.inputs) - 1)]
        ok = allowed.get(formal.type_str, {formal.type_str})
        t = _onnx_type(v.const)
        if t is not None and t not in ok:
            raise ctx.error(
                f"input '{name}' ({formal.name}) is {t}; {node.op_type} in opset {opset} takes "
                f"{', '.join(sorted(ok))}"
            )


def _check_outputs_new(ctx: Ctx, node: onnx.NodeProto) -> None:
    seen: set[str] = set()
    for out in node.output:
        if out and (out in ctx.values or out in seen):
            raise ctx.error(
                f"output '{out}' is already defined (by an earlier node, an initializer or the "
                "graph input); ONNX defines every tensor once"
            )
        seen.add(out)


def _formal_name(schema: defs.OpSchema | None, i: int) -> str:
    formal = schema.inputs if schema is not None else []
    if i < len(formal):
        return f" ({formal[i].name})"
    if formal and formal[-1].option == _VARIADIC:
        return f" ({formal[-1].name})"
    return ""


def _check_finite_inputs(ctx: Ctx, node: onnx.NodeProto, schema: defs.OpSchema | None) -> None:
    for i, name in enumerate(node.input):
        bad = ctx.nonfinite.get(name)
        if bad is None or ((node.op_type, i) in _INF_ALLOWED and "NaN" not in bad):
            continue
        raise ctx.error(f"input '{name}'{_formal_name(schema, i)} holds {bad}")
