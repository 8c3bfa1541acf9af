"""Offline activation-memory planning: tensor lifetimes → offsets in one static arena.

Tensors are grouped into *storages*: a flatten's output is its input (NHWC flattening moves no
data), and an element-wise layer (add, standalone or table activation, a channel scale's map:
IN_PLACE_INPUTS) writes over an input that dies there (in-place).  The graph input lives in the
caller's `in` buffer and each network output in its own caller buffer (`out`, or `out0`, `out1`,
… with several outputs), so the arena holds only intermediates.  An output is never written over:
it stays live to the end even when later layers read it.  Offsets come from greedy best-fit (by
decreasing size, or by decreasing lifetime, whichever packs tighter); the lower bound is the
largest total size of storages live at the same step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dsgen.errors import DsgenError
from dsgen.ir import graph as ir

# In-place hints: element-wise layers whose kernel may write over these inputs (by position),
# when that input dies at the layer.  A channel scale writes over its map x, never its vector s.
IN_PLACE_INPUTS: dict[type, tuple[int, ...]] = {
    ir.Add: (0, 1),
    ir.Act: (0,),
    ir.Lut: (0,),
    ir.ChannelScale: (0,),
}

ALIGN = 8  # bytes: int32 loads and SIMD-friendly pairs stay aligned on every target


@dataclass
class Storage:
    key: str
    size: int  # bytes
    first: int  # step that writes it
    last: int  # last step that reads it
    where: str = "arena"  # "arena", "in" or "out"
    offset: int = 0
    out_index: int = 0  # which graph output, when where == "out"
    tensors: list[str] = field(default_factory=list)


@dataclass
class ArenaPlan:
    storages: dict[str, Storage]
    of_tensor: dict[str, str]  # tensor → storage key
    arena_bytes: int
    lower_bound: int
    outputs: list[str] = field(default_factory=list)  # the network's output tensors, in order

    def out_param(self, st: Storage) -> str:
        """The C parameter of an output storage: `out` for one output, else `out<k>`."""
        return "out" if len(self.outputs) == 1 else f"out{st.out_index}"

    def storage(self, tensor: str) -> Storage:
        return self.storages[self.of_tensor[tensor]]


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def plan_arena(
    g: ir.Graph, layers: list[ir.Layer], outputs: list[str], elem_bytes: int, in_place: bool = True
) -> ArenaPlan:
    of_tensor: dict[str, str] = {g.input: g.input}
    storages = {g.input: Storage(g.input, 0, -1, -1, "in", tensors=[g.input])}
    last_use: dict[str, int] = {}
    for i, layer in enumerate(layers):
        for t in layer.inputs:
            last_use[t] = i
    for t in outputs:  # live to the end: no in-place layer may write over an output
        last_use[t] = len(layers)
    for i, layer in enumerate(layers):
        key = _reuse(g, layer, i, of_tensor, storages, last_use, in_place)
        if key is None:
            key = layer.output
            storages[key] = Storage(key, 0, i, i)
        of_tensor[layer.output] = key
        st = storages[key]
        st.tensors.append(layer.output)
        st.size = max(st.size, g.tensors[layer.output].size * elem_bytes)
    for t, i in last_use.items():
        st = storages[of_tensor[t]]
        st.last = max(st.last, i)
    _place_outputs(storages, of_tensor, outputs)
    arena = [s for s in storages.values() if s.where == "arena"]
    size = _place(arena)
    steps = range(len(layers))
    bound = max(
        (sum(_align(s.size) for s in arena if s.first <= i <= s.last) for i in steps), default=0
    )
    return ArenaPlan(storages, of_tensor, size, bound, list(outputs))


def _place_outputs(storages, of_tensor, outputs: list[str]) -> None:
    for k, t in enumerate(outputs):
        st = storages[of_tensor[t]]
        if st.where == "in":
            raise DsgenError(f"graph output '{t}' is the graph input's data (no layer computes it)")
        if st.where == "out":  # a flatten of another output: the same bytes
            other = outputs[st.out_index]
            raise DsgenError(
                f"graph outputs '{other}' and '{t}' are the same data (one is a flatten of the "
                "other); dsgen needs one computed tensor per output"
            )
        st.where, st.out_index = "out", k


def _reuse(g, layer, i, of_tensor, storages, last_use, in_place) -> str | None:
    """The storage `layer` may write into instead of a fresh one."""
    if isinstance(layer, ir.Flatten):
        return of_tensor[layer.inputs[0]]  # same bytes, new shape
    if in_place and type(layer) in IN_PLACE_INPUTS:
        for t in (layer.inputs[k] for k in IN_PLACE_INPUTS[type(layer)]):
            st = storages[of_tensor[t]]
            if (
                st.where == "arena"
                and last_use.get(t) == i
                and all(last_use.get(x, -1) <= i for x in st.tensors)
            ):
                return st.key
    return None


# Greedy best-fit orders: biggest first, then longest-lived first (which packs the long-lived
# storages of in-place chains, e.g. conv → table activation → SE channel scale, at the bottom).
_ORDERS = (
    lambda s: (-s.size, s.first, s.key),
    lambda s: (-(s.last - s.first), -s.size, s.key),
)


def _place(arena: list[Storage]) -> int:
    """Greedy best-fit in each of _ORDERS; the smallest arena wins (the first on a tie)."""
    results = []
    for order in _ORDERS:
        top = _place_in(sorted(arena, key=order))
        results.append((top, [s.offset for s in arena]))
    top, offsets = min(results, key=lambda r: r[0])  # min keeps the first of equals
    for s, offset in zip(arena, offsets, strict=True):
        s.offset = offset
    return top


def _place_in(order: list[Storage]) -> int:
    """Each storage, in this order, at the lowest offset free during its lifetime."""
    placed: list[Storage] = []
    top = 0
    for s in order:
        busy = sorted(
            (p.offset, p.offset + _align(p.size))
            for p in placed
            if not (p.last < s.first or s.last < p.first)
        )
        offset = 0
        for lo, hi in busy:
            if offset + _align(s.size) <= lo:
                break
            offset = max(offset, hi)
        s.offset = offset
        placed.append(s)
        top = max(top, offset + _align(s.size))
    return top
