"""`dsgen show`: the IR as stable, diff-friendly text."""

from __future__ import annotations

from dsgen.ir import graph as ir


def _shape(s: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in s)


def _attrs(layer: ir.Layer) -> str:
    parts = []
    if isinstance(layer, ir.Conv):
        kh, kw = layer.kernel
        parts += [
            f"k={kh}x{kw}",
            f"s={layer.stride[0]}x{layer.stride[1]}",
            f"pad={','.join(map(str, layer.pads))}",
            f"groups={layer.groups}",
        ]
        if layer.dilation != (1, 1):
            parts.append(f"dil={layer.dilation[0]}x{layer.dilation[1]}")
        if layer.wquant is not None:
            parts.append("int-weights")
    elif isinstance(layer, ir.Dense):
        parts.append(f"{layer.weight.shape[1]}->{layer.weight.shape[0]}")
    elif isinstance(layer, ir.Pool):
        parts += [
            layer.mode,
            f"k={layer.kernel[0]}x{layer.kernel[1]}",
            f"s={layer.stride[0]}x{layer.stride[1]}",
            f"pad={','.join(map(str, layer.pads))}",
        ]
        if layer.mode == "avg":
            parts.append(f"count_include_pad={int(layer.count_include_pad)}")
    elif isinstance(layer, ir.GlobalPool):
        parts.append(layer.mode)
    elif isinstance(layer, ir.Shuffle):
        parts.append(f"groups={layer.groups}")
    elif isinstance(layer, ir.ChannelSlice):
        parts.append(f"channels={layer.start}:{layer.stop}")
    act = getattr(layer, "act", ir.NONE)
    if act.kind is not ir.ActKind.NONE:
        parts.append(f"act={act.label()}")
    return " ".join(parts)


def _tensor(g: ir.Graph, name: str) -> str:
    t = g.tensors[name]
    q = f" q(s={t.quant.scale:.6g},z={t.quant.zero_point},{t.quant.bits}b)" if t.quant else ""
    return f"%{name}[{_shape(t.shape)}]{q}"


def format_graph(g: ir.Graph) -> str:
    lines = [
        f"graph {g.name}",
        f"  input {_tensor(g, g.input)} {g.input_dtype}",
        f"  outputs {', '.join(_tensor(g, o) for o in g.outputs)} {g.output_dtype}",
    ]
    for layer in g.layers:
        ins = ", ".join(f"%{t}" for t in layer.inputs)
        attrs = _attrs(layer)
        lines.append(
            f"  {_tensor(g, layer.output)} = {layer.kind}({ins}) {layer.name!r}"
            + (f" {attrs}" if attrs else "")
        )
    for dw, pw in g.ds_blocks:
        lines.append(f"  block depthwise-separable {dw!r} -> {pw!r}")
    return "\n".join(lines)
