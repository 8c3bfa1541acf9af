"""Offline activation-memory planning: tensor lifetimes → offsets in one static arena.

Tensors are grouped into *storages*: a flatten's output is its input (NHWC flattening moves no
data), and a layer whose kernel may write its output over an input that dies there runs
*in place* in that input's storage.  Element-wise layers (add, standalone activation) always may;
so do a table activation and a channel scale over its map x (IN_PLACE_INPUTS);
other kernels say so through the planner's `overwrites` predicate (the C backend's: a stride-1
3x3 depthwise whose output has its input's size, whose kernel keeps the input rows later outputs
still read in a small line buffer, and a pixel-wise pointwise with C_out <= C_in; see
dsgen.backends.c.lower.overwrites_input).  The graph input lives in the caller's `in` buffer and
each network output in its own caller buffer (`out`, or `out0`, `out1`, … with several outputs),
so the arena holds only intermediates.  An output is never written over: it stays live to the
end even when later layers read it.  Offsets come from greedy best-fit in several orders (the
smallest arena wins).

Two lower bounds: `lower_bound`, the largest total size of storages live at the same step of the
chosen schedule (in-place pairs share a slot), and `naive_bound`, the same over tensors with no
in-place execution at all (every layer's output beside its inputs).
"""

from __future__ import annotations

import random
from collections.abc import Callable
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
    # (first, last, bytes) of each tensor it holds: an in-place layer whose output is larger
    # than its input grows the storage from that step on, so it counts its full size only then
    segments: list[tuple[int, int, int]] = field(default_factory=list)

    def bytes_at(self, i: int) -> int:
        return max((_align(n) for a, b, n in self.segments if a <= i <= b), default=0)


@dataclass
class ArenaPlan:
    storages: dict[str, Storage]
    of_tensor: dict[str, str]  # tensor → storage key
    arena_bytes: int
    lower_bound: int  # for this schedule: in-place pairs share one slot
    outputs: list[str] = field(default_factory=list)  # the network's output tensors, in order
    naive_bound: int = 0  # every simultaneously live tensor, nothing in place
    in_place: list[str] = field(default_factory=list)  # layers that write over their input
    live: list[int] = field(default_factory=list)  # bytes live at each step, this schedule
    naive_live: list[int] = field(default_factory=list)  # ... with nothing in place

    def out_param(self, st: Storage) -> str:
        """The C parameter of an output storage: `out` for one output, else `out<k>`."""
        return "out" if len(self.outputs) == 1 else f"out{st.out_index}"

    def storage(self, tensor: str) -> Storage:
        return self.storages[self.of_tensor[tensor]]


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def plan_arena(
    g: ir.Graph,
    layers: list[ir.Layer],
    outputs: list[str],
    elem_bytes: int,
    in_place: bool = True,
    overwrites: Callable[[ir.Layer], bool] | None = None,
) -> ArenaPlan:
    """`overwrites(layer)`: the layer's kernel may write its output over its first input (when
    that input dies there); add and standalone activations always may."""
    plan = _plan(g, layers, outputs, elem_bytes, in_place, overwrites)
    naive = _plan(g, layers, outputs, elem_bytes, False, None) if in_place else plan
    plan.naive_bound, plan.naive_live = naive.lower_bound, naive.live
    return plan


def _plan(g, layers, outputs, elem_bytes, in_place, overwrites) -> ArenaPlan:
    of_tensor: dict[str, str] = {g.input: g.input}
    storages = {g.input: Storage(g.input, 0, -1, -1, "in", tensors=[g.input])}
    last_use: dict[str, int] = {}
    for i, layer in enumerate(layers):
        for t in layer.inputs:
            last_use[t] = i
    for t in outputs:  # live to the end: no in-place layer may write over an output
        last_use[t] = len(layers)
    done_in_place, made = [], {}
    to_out = _output_bound(layers, outputs)
    for i, layer in enumerate(layers):
        made[layer.output] = i
        key = _reuse(g, layer, i, of_tensor, storages, last_use, in_place, overwrites)
        if key is not None and layer.output in to_out and not isinstance(layer, ir.Flatten):
            # the storage becomes the caller's output buffer, which holds the output only
            if storages[key].size > g.tensors[layer.output].size * elem_bytes:
                key = None
        if key is None:
            key = layer.output
            storages[key] = Storage(key, 0, i, i)
        elif not isinstance(layer, ir.Flatten):
            done_in_place.append(layer.name)
        of_tensor[layer.output] = key
        st = storages[key]
        st.tensors.append(layer.output)
        st.size = max(st.size, g.tensors[layer.output].size * elem_bytes)
    for t, i in last_use.items():
        st = storages[of_tensor[t]]
        st.last = max(st.last, i)
    for t, i in made.items():
        st = storages[of_tensor[t]]
        st.segments.append((i, max(i, last_use.get(t, i)), g.tensors[t].size * elem_bytes))
    _place_outputs(storages, of_tensor, outputs)
    arena = [s for s in storages.values() if s.where == "arena"]
    size = _place(arena)
    live = [sum(s.bytes_at(i) for s in arena) for i in range(len(layers))]
    bound = max(live, default=0)
    return ArenaPlan(
        storages, of_tensor, size, bound, list(outputs), in_place=done_in_place, live=live
    )


def _output_bound(layers, outputs: list[str]) -> set[str]:
    """Tensors whose storage ends up a caller output buffer: the outputs and what they flatten."""
    bound = set(outputs)
    for layer in reversed(layers):
        if isinstance(layer, ir.Flatten) and layer.output in bound:
            bound.add(layer.inputs[0])
    return bound


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


def _reuse(g, layer, i, of_tensor, storages, last_use, in_place, overwrites) -> str | None:
    """The storage `layer` may write into instead of a fresh one."""
    if isinstance(layer, ir.Flatten):
        return of_tensor[layer.inputs[0]]  # same bytes, new shape
    if not in_place:
        return None
    if type(layer) in IN_PLACE_INPUTS:
        candidates = [layer.inputs[k] for k in IN_PLACE_INPUTS[type(layer)]]
    elif overwrites is not None and overwrites(layer):
        candidates = layer.inputs[:1]
    else:
        return None
    for t in candidates:
        st = storages[of_tensor[t]]
        if (
            st.where == "arena"
            and last_use.get(t) == i
            and all(last_use.get(x, -1) <= i for x in st.tensors)
        ):
            return st.key
    return None


# Placement orders tried (the smallest arena wins): biggest first, and latest first, which
# lets a storage that grows in place (an expanding pointwise) settle low after the big storage
# before it has died.
_ORDERS = (
    lambda s: (-s.size, s.first, s.key),
    lambda s: (-s.first, -s.size, s.key),
    lambda s: (s.first, -s.size, s.key),
    lambda s: (-(s.last - s.first), -s.size, s.key),  # long-lived in-place chains at the bottom
)


SHUFFLES = 64  # further orders tried: seeded shuffles of the storages (deterministic)


def _place(arena: list[Storage]) -> int:
    rng = random.Random(0)
    orders = [sorted(arena, key=order) for order in _ORDERS]
    for _ in range(SHUFFLES if len(arena) > 2 else 0):
        orders.append(rng.sample(orders[0], len(arena)))
    best = None
    for order in orders:
        top = _place_in(order)
        if best is None or top < best[0]:
            best = (top, {s.key: s.offset for s in arena})
    if best is None:
        return 0
    for s in arena:
        s.offset = best[1][s.key]
    return best[0]


def _place_in(arena: list[Storage]) -> int:
    """Greedy best-fit in the given order: each storage at the lowest offset where none of its
    segments overlaps, in bytes, a placed segment live at a common step."""
    placed: list[Storage] = []
    top = 0
    for s in arena:
        clashes = [
            (p.offset, p.offset + _align(n), _align(m))
            for p in placed
            for a, b, n in p.segments
            for c, d, m in s.segments
            if not (b < c or d < a)
        ]
        s.offset = _lowest(clashes)
        placed.append(s)
        top = max(top, s.offset + _align(s.size))
    return top


def _lowest(clashes: list[tuple[int, int, int]]) -> int:
    """The lowest offset o (0 or the end of a placed segment) with o + m <= lo or o >= hi for
    every clash (lo, hi) of a segment of m bytes."""
    for o in sorted({0, *(hi for _, hi, _ in clashes)}):
        if all(o + m <= lo or o >= hi for lo, hi, m in clashes):
            return o
    return 0  # unreachable: the highest end clears every clash
