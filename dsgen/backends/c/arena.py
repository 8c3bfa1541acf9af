"""Offline activation-memory planning: tensor lifetimes → offsets in one static arena.

Tensors are grouped into *storages*: a flatten's output is its input (NHWC flattening moves no
data), and an element-wise layer (add, standalone activation) writes over an input that dies there
(in-place).  The graph input lives in the caller's `in` buffer and the network output in `out`, so
the arena holds only intermediates.  Offsets come from greedy best-fit by decreasing size; the
lower bound is the largest total size of storages live at the same step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dsgen.ir import graph as ir

ALIGN = 8  # bytes: int32 loads and SIMD-friendly pairs stay aligned on every target


@dataclass
class Storage:
    key: str
    size: int  # bytes
    first: int  # step that writes it
    last: int  # last step that reads it
    where: str = "arena"  # "arena", "in" or "out"
    offset: int = 0
    tensors: list[str] = field(default_factory=list)


@dataclass
class ArenaPlan:
    storages: dict[str, Storage]
    of_tensor: dict[str, str]  # tensor → storage key
    arena_bytes: int
    lower_bound: int

    def storage(self, tensor: str) -> Storage:
        return self.storages[self.of_tensor[tensor]]


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def plan_arena(
    g: ir.Graph, layers: list[ir.Layer], output: str, elem_bytes: int, in_place: bool = True
) -> ArenaPlan:
    of_tensor: dict[str, str] = {g.input: g.input}
    storages = {g.input: Storage(g.input, 0, -1, -1, "in", tensors=[g.input])}
    last_use: dict[str, int] = {}
    for i, layer in enumerate(layers):
        for t in layer.inputs:
            last_use[t] = i
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
    out = storages[of_tensor[output]]
    if out.where == "in":
        raise ValueError("the network output is its input")
    out.where = "out"
    arena = [s for s in storages.values() if s.where == "arena"]
    size = _place(arena)
    steps = range(len(layers))
    bound = max(
        (sum(_align(s.size) for s in arena if s.first <= i <= s.last) for i in steps), default=0
    )
    return ArenaPlan(storages, of_tensor, size, bound)


def _reuse(g, layer, i, of_tensor, storages, last_use, in_place) -> str | None:
    """The storage `layer` may write into instead of a fresh one."""
    if isinstance(layer, ir.Flatten):
        return of_tensor[layer.inputs[0]]  # same bytes, new shape
    if in_place and isinstance(layer, (ir.Add, ir.Act)):
        for t in layer.inputs:
            st = storages[of_tensor[t]]
            if (
                st.where == "arena"
                and last_use.get(t) == i
                and all(last_use.get(x, -1) <= i for x in st.tensors)
            ):
                return st.key
    return None


def _place(arena: list[Storage]) -> int:
    """Greedy best-fit: biggest first, each at the lowest offset free during its lifetime."""
    placed: list[Storage] = []
    top = 0
    for s in sorted(arena, key=lambda s: (-s.size, s.first, s.key)):
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
