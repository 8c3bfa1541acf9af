"""Reading an ONNX file: external data, local functions, symbolic dimensions, shape inference."""

from __future__ import annotations

from pathlib import Path

import onnx
from onnx import inliner, shape_inference

from dsgen.errors import DsgenError
from dsgen.frontend.context import node_label

MIN_OPSET, MAX_OPSET = 9, 21  # 11-20 is the tested range; 9-10 for attribute-style Clip/Pad


def read_model(path: str | Path, input_shape: tuple[int, ...] | None = None) -> onnx.ModelProto:
    path = Path(path)
    if not path.exists():
        raise DsgenError("no such file", path=str(path))
    if not path.is_file():
        raise DsgenError("not a file", path=str(path))
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf raises several unrelated types
        raise DsgenError(
            f"not a readable ONNX model ({type(exc).__name__})", path=str(path)
        ) from None
    if not model.graph.node and not model.graph.input:
        raise DsgenError("not an ONNX model (empty graph)", path=str(path))
    _load_external(model, path)
    _check_opset(model, path)
    _check_unique_names(model, path)
    if model.functions:
        model = inliner.inline_local_functions(model)
    _fix_input_shape(model, path, input_shape)
    try:
        model = shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as exc:
        raise DsgenError(f"ONNX shape inference failed: {exc}", path=str(path)) from None
    return model


def _load_external(model: onnx.ModelProto, path: Path) -> None:
    from onnx.external_data_helper import load_external_data_for_model, uses_external_data

    tensors = [t for t in model.graph.initializer if uses_external_data(t)]
    for t in tensors:
        location = next((e.value for e in t.external_data if e.key == "location"), "")
        if not (path.parent / location).is_file():
            raise DsgenError(
                f"external data file '{location}' for initializer '{t.name}' is missing",
                path=str(path),
            )
    if tensors:
        try:
            load_external_data_for_model(model, str(path.parent))
        except Exception as exc:
            raise DsgenError(f"cannot read external data: {exc}", path=str(path)) from None


def onnx_opset(model: onnx.ModelProto) -> int:
    """The opset the model declares for the standard ONNX domain."""
    return next(i.version for i in model.opset_import if i.domain in ("", "ai.onnx"))


def _check_opset(model: onnx.ModelProto, path: Path) -> None:
    if not any(i.domain in ("", "ai.onnx") for i in model.opset_import):
        raise DsgenError(
            "the model imports no opset of the standard ONNX domain, so its ops have no meaning",
            path=str(path),
        )
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx") and not MIN_OPSET <= imp.version <= MAX_OPSET:
            raise DsgenError(
                f"opset {imp.version} is not supported (supported: {MIN_OPSET}-{MAX_OPSET})",
                path=str(path),
            )


def _check_unique_names(model: onnx.ModelProto, path: Path) -> None:
    """ONNX defines every tensor once; node outputs are checked as the nodes are converted."""
    for what, names in (
        ("initializer", [i.name for i in model.graph.initializer]),
        ("graph input", [i.name for i in model.graph.input]),
    ):
        seen: set[str] = set()
        for n in names:
            if n in seen:
                raise DsgenError(f"{what} '{n}' is defined twice", path=str(path))
            seen.add(n)


def _extra_input_error(model: onnx.ModelProto, path: Path, inputs: list) -> DsgenError:
    """More than one graph input: name the node that takes one of them as its weights."""
    names = {i.name for i in inputs}
    for node in model.graph.node:
        for name in node.input[1:]:
            if name in names:
                return DsgenError(
                    f"input '{name}' is a graph input, not a constant: dsgen needs the weights "
                    "as initializers and exactly one graph input (the data)",
                    path=str(path),
                    node=node_label(node),
                    op=node.op_type,
                )
    return DsgenError(f"expected exactly one graph input, found {len(inputs)}", path=str(path))


def _fix_input_shape(model: onnx.ModelProto, path: Path, override: tuple[int, ...] | None) -> None:
    """Static shapes only: batch 1; any other symbolic dimension needs --input-shape."""
    inits = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    if len(inputs) != 1:
        raise _extra_input_error(model, path, inputs)
    dims = inputs[0].type.tensor_type.shape.dim
    if override is not None:
        if len(override) != len(dims):
            raise DsgenError(
                f"--input-shape has {len(override)} dimensions, input '{inputs[0].name}' has "
                f"{len(dims)}",
                path=str(path),
            )
        for d, v in zip(dims, override, strict=True):
            d.Clear()
            d.dim_value = v
    for i, d in enumerate(dims):
        if d.HasField("dim_value") and d.dim_value > 0:
            continue
        if i > 0 and d.HasField("dim_value"):
            raise DsgenError(
                f"dimension {i} of input '{inputs[0].name}' is {d.dim_value}: zero-size tensors "
                "are not supported (if the size is unknown, pass --input-shape)",
                path=str(path),
            )
        if i == 0:
            d.Clear()
            d.dim_value = 1  # a symbolic batch dimension becomes 1
            continue
        raise DsgenError(
            f"input '{inputs[0].name}' has symbolic dimension {i} ('{d.dim_param or '?'}'); "
            "dsgen needs static shapes: pass --input-shape",
            path=str(path),
        )
    for out in model.graph.output:  # stale output dims would contradict the fixed input
        out.type.tensor_type.ClearField("shape")
    del model.graph.value_info[:]
