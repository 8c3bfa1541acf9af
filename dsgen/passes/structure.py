"""Structural passes: channel shuffle, whole-map pooling, depthwise→pointwise block marking."""

from __future__ import annotations

from dsgen.errors import DsgenError
from dsgen.ir import graph as ir


def fuse_channel_shuffle(g: ir.Graph) -> None:
    """Reshape [1,g,C/g,H,W] → Transpose(0,2,1,3,4) → Reshape [1,C,H,W] becomes one Shuffle."""
    for merge in [l for l in g.layers if isinstance(l, ir.ShuffleMerge)]:
        swap = g.producer(merge.inputs[0])
        split = g.producer(swap.inputs[0]) if isinstance(swap, ir.ShuffleSwap) else None
        if (
            not isinstance(split, ir.ShuffleSplit)
            or len(g.consumers(split.output)) != 1
            or len(g.consumers(swap.output)) != 1
        ):
            raise DsgenError(f"node '{merge.name}': incomplete channel-shuffle pattern")
        shuffle = ir.Shuffle(
            name=split.name, inputs=split.inputs, output=merge.output, groups=split.groups
        )
        g.layers[g.layers.index(merge)] = shuffle
        for dead in (split, swap):
            g.layers.remove(dead)
            del g.tensors[dead.output]
    leftover = [l for l in g.layers if isinstance(l, (ir.ShuffleSplit, ir.ShuffleSwap))]
    if leftover:
        raise DsgenError(
            f"node '{leftover[0].name}': a 5-D reshape/transpose that is not a "
            "channel shuffle is not supported"
        )


def whole_map_pool_to_global(g: ir.Graph) -> None:
    """An average/max pool whose single window covers the whole unpadded map is a global pool."""
    for i, layer in enumerate(g.layers):
        if isinstance(layer, ir.Pool) and layer.pads == (0, 0, 0, 0):
            h, w, _ = g.shape(layer.inputs[0])
            if layer.kernel == (h, w):
                g.layers[i] = ir.GlobalPool(
                    name=layer.name,
                    inputs=layer.inputs,
                    output=layer.output,
                    mode=layer.mode,
                    act=layer.act,
                )


def mark_ds_blocks(g: ir.Graph) -> None:
    """Record each depthwise conv whose only consumer is a pointwise conv (a separable block)."""
    g.ds_blocks = []
    for layer in g.layers:
        if isinstance(layer, ir.Conv) and layer.kind == "depthwise_conv":
            users = g.consumers(layer.output)
            if (
                len(users) == 1
                and isinstance(users[0], ir.Conv)
                and users[0].kind == "pointwise_conv"
                and layer.output not in g.outputs
            ):
                g.ds_blocks.append((layer.name, users[0].name))


def check_outputs(g: ir.Graph) -> None:
    """Every backend gives each graph output its own buffer or stream, written by the layer that
    computes it: an output that is the input, or two outputs with the same data (one tensor, or
    one a flatten of the other: flattening moves no data), are refused on every target.  A final
    softmax runs in float after the integer network, which returns its input (the logits): a
    softmax and its logits as two outputs would be one integer tensor too."""
    root: dict[str, str] = {}
    for layer in g.layers:
        if isinstance(layer, ir.Flatten):
            root[layer.output] = root.get(layer.inputs[0], layer.inputs[0])
    names = g.onnx_output_names if len(g.onnx_output_names) == len(g.outputs) else g.outputs
    data = [root.get(t, t) for t in g.outputs]
    soft = [isinstance(g.producer(t), ir.Softmax) for t in g.outputs]
    ints = [
        root.get(g.producer(t).inputs[0], g.producer(t).inputs[0]) if s else d
        for t, d, s in zip(g.outputs, data, soft, strict=True)
    ]
    for i, d in enumerate(data):
        if d == g.input:
            raise DsgenError(f"graph output '{names[i]}' is the graph input (no layer computes it)")
        if d in data[:i]:
            raise DsgenError(
                f"graph outputs '{names[data.index(d)]}' and '{names[i]}' hold the same data "
                "(dsgen needs one computed tensor per output)"
            )
        if ints[i] in ints[:i]:
            raise DsgenError(
                f"graph outputs '{names[ints.index(ints[i])]}' and '{names[i]}' are a softmax "
                "and its input: keep one of them"
            )
