"""QGraph → Dataflow: one kernel call per integer layer, FIFOs between them, broadcasts at fan-outs.

Flatten moves no data (NHWC is already the flatten order), so its output is its input's stream.
A tensor read by n > 1 consumers (a network output counts as one) goes through a chain of n − 1
two-way broadcasts, because DATAFLOW streams have exactly one producer and one consumer.  Each
graph output leaves through its own port: `output_stream`, or `output_stream_<k>` with several.
"""

from __future__ import annotations

from dsgen.backends.folding import FoldPlan
from dsgen.backends.hls.dataflow import Dataflow, Stream
from dsgen.backends.hls.kernels import broadcast_call, layer_call
from dsgen.backends.hls.names import Namer
from dsgen.errors import DsgenError
from dsgen.ir import graph as ir
from dsgen.quant.qgraph import QGraph

SINK = "<output>"  # a user entry (SINK + str(k), 0) is graph output k


def _port(df: Dataflow, user: str) -> str | None:
    """The output port a SINK user stands for (None for a layer)."""
    return df.out_ports[int(user[len(SINK) :])] if user.startswith(SINK) else None


def _aliases(qg: QGraph) -> dict[str, str]:
    alias: dict[str, str] = {}
    for layer in qg.int_layers:
        if isinstance(layer, ir.Flatten):
            alias[layer.output] = alias.get(layer.inputs[0], layer.inputs[0])
    return alias


def build_dataflow(qg: QGraph, plan: FoldPlan, namer: Namer) -> Dataflow:
    g = qg.graph
    alias = _aliases(qg)
    real = lambda t: alias.get(t, t)  # noqa: E731
    layers = [lay for lay in qg.int_layers if not isinstance(lay, ir.Flatten)]
    calls = {}
    for layer in layers:
        fold = (
            plan.get(layer.name)
            if layer.kind in ("conv", "pointwise_conv", "depthwise_conv", "grouped_conv", "dense")
            else None
        )
        calls[layer.name] = layer_call(
            namer.make("l", layer.name), g, layer, qg.params[layer.name], fold
        )
    # (consumer call or SINK, input slot) for every tensor, in a fixed order
    users: dict[str, list[tuple[str, int]]] = {}
    for layer in layers:
        for slot, t in enumerate(layer.inputs):
            users.setdefault(real(t), []).append((layer.name, slot))
    n = len(qg.int_outputs)
    for k, t in enumerate(qg.int_outputs):
        users.setdefault(real(t), []).append((SINK + str(k), 0))
    ports = ["output_stream"] if n == 1 else [f"output_stream_{k}" for k in range(n)]
    df = Dataflow([], out_ports=ports)
    _wire(df, g, real(g.input), None, users, calls, namer)
    for layer in layers:
        call = calls[layer.name]
        call.inputs = call.inputs or [""] * len(layer.inputs)
        df.calls.append(call)
        _wire(df, g, real(layer.output), call, users, calls, namer)
    for call in df.calls:
        if "" in call.inputs:
            raise DsgenError("HLS backend: a layer reads a tensor nobody produces")
    return df


def _wire(df, g, tensor, producer, users, calls, namer) -> None:
    """Streams from ``producer`` (None: the top's input port) to every user of ``tensor``."""
    elems = g.tensors[tensor].size
    targets = users.get(tensor, [])
    if not targets:
        raise DsgenError("HLS backend: a layer's output is never used")
    base = df.in_port if producer is None else f"s_{producer.ident}"
    if len(targets) == 1 and _port(df, targets[0][0]) and producer is not None:
        base = _port(df, targets[0][0])
    df.streams[base] = Stream(base, elems)
    if producer is not None:
        producer.outputs = [base]
    current = base
    for i, (user, slot) in enumerate(targets):
        if i < len(targets) - 1:  # a broadcast hands one copy to `user`, passes the other on
            b = broadcast_call(namer.make("b", "bcast"), elems)
            b.inputs = [current]
            mine, rest = f"s_{b.ident}_0", f"s_{b.ident}_1"
            df.streams[mine] = Stream(mine, elems)
            df.streams[rest] = Stream(rest, elems)
            b.outputs = [mine, rest]
            df.calls.append(b)
            stream, current = mine, rest
        else:
            stream = current
        port = _port(df, user)
        if port is not None:
            if stream != port:  # the output is also read inside the network
                _to_output(df, stream, port)
        else:
            calls[user].inputs = calls[user].inputs or [""] * _arity(calls[user])
            calls[user].inputs[slot] = stream


def _arity(call) -> int:
    return {"dsg_add": 2, "dsg_concat2": 2, "dsg_concat3": 3, "dsg_channel_scale": 2}.get(
        call.kind, 1
    )


def _to_output(df: Dataflow, stream: str, port: str) -> None:
    """The output tensor is also read inside the network: the broadcast chain's last stream is
    renamed to the port."""
    st = df.streams.pop(stream)
    df.streams[port] = Stream(port, st.elems)
    for call in df.calls:
        call.outputs = [port if s == stream else s for s in call.outputs]
