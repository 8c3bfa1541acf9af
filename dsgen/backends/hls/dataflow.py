"""The streaming dataflow: kernel calls wired by FIFOs, their I/O programs, FIFO sizing, and a
finite-FIFO simulation that proves the design cannot deadlock.

Every kernel is a sequential program of blocking stream reads and writes whose order
``program()`` reproduces from the same configuration fields the C++ reads (dsg_hls_*.h): a
K×K conv reads input rows up to ``min(oh·SH − PT + (KH−1)·DH, H−1)`` then writes the output row;
a pointwise conv reads a pixel then writes a pixel; add / broadcast / activation move one element
at a time. A program is a list of ops ``(count, phases)``: ``count`` repetitions of the phases, each
phase ``(is_write, port)`` moving one element.

**FIFO sizing (branches).** A broadcast B feeds two paths that meet again at a join J (add or
concat). Let ``need_e[s][j]`` be how many elements B must have read before element ``j`` of stream
``s`` can exist along path ``e`` (composed kernel by kernel from the programs: a line buffer's
``need`` is the rows up to the window's last row, ``(oh·SH − PT + KH)·W·C`` elements, a pointwise
conv's is the pixel, …). When J reads element ``t`` of its input from path ``o``, B must have read
``need_o[t]`` elements, while path ``e`` has consumed at least ``need_e[c_e − 1]`` (``c_e`` = what
J has read from path ``e``). The surplus waits in B's output FIFO of path ``e``, so
``depth_e = max over J's reads (need_o[t] − need_e[c_e − 1]) + MARGIN``. Other FIFOs keep
``DEFAULT_DEPTH``. ``simulate`` then runs all programs with these depths and fails on deadlock.

**Consumers that absorb a frame.** A broadcast output whose consumer reads that whole stream before
anything else (a global pool; a channel scale's map x, which it keeps in a frame buffer and only
then reads its vector s) never back-pressures the broadcast, so it keeps ``DEFAULT_DEPTH`` (the
formula would size it for the other path's reads it does not wait for). Squeeze-and-excitation is
such a fork on both sides; a residual Add around it still gets a skip FIFO of about the whole frame,
because the channel scale writes nothing before its map is complete.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from dsgen.backends.hls.kernels import KernelCall

DEFAULT_DEPTH = 2
MARGIN = 2
Op = tuple[int, tuple[tuple[bool, int], ...]]
R0, R1, W0, W1 = (False, 0), (False, 1), (True, 0), (True, 1)


@dataclass
class Stream:
    ident: str
    elems: int  # per frame
    depth: int = DEFAULT_DEPTH


@dataclass
class Dataflow:
    calls: list[KernelCall]  # topological order, broadcasts included
    streams: dict[str, Stream] = field(default_factory=dict)
    in_port: str = "input_stream"
    out_ports: list[str] = field(default_factory=lambda: ["output_stream"])  # one per output

    @property
    def out_port(self) -> str:
        return self.out_ports[0]

    @property
    def ports(self) -> tuple[str, ...]:
        return (self.in_port, *self.out_ports)


def _window_program(c: dict, out_c: int) -> list[Op]:
    ops, rows = [], 0
    for oh in range(c["OUT_H"]):
        last = min(oh * c["SH"] - c["PT"] + (c["KH"] - 1) * c["DH"], c["IN_H"] - 1)
        if last >= rows:
            ops.append(((last + 1 - rows) * c["IN_W"] * c["IN_C"], (R0,)))
            rows = last + 1
        ops.append((c["OUT_W"] * out_c, (W0,)))
    if rows < c["IN_H"]:
        ops.append(((c["IN_H"] - rows) * c["IN_W"] * c["IN_C"], (R0,)))
    return ops


def program(call: KernelCall) -> list[Op]:
    """The kernel's stream I/O order (see the kernels in templates/hls/)."""
    c = call.cfg
    match call.kind:
        case "dsg_conv":
            return _window_program(c, c["OUT_C"])
        case "dsg_pool":
            return _window_program(c, c["IN_C"])
        case "dsg_pointwise":
            return [
                op for _ in range(c["PIXELS"]) for op in ((c["IN_C"], (R0,)), (c["OUT_C"], (W0,)))
            ]
        case "dsg_global_pool":
            return [(c["PIXELS"] * c["C"], (R0,)), (c["C"], (W0,))]
        case "dsg_shuffle":
            return [op for _ in range(c["PIXELS"]) for op in ((c["C"], (R0,)), (c["C"], (W0,)))]
        case "dsg_add":
            return [(c["N"], (R0, R1, W0))]
        case "dsg_act":
            return [(c["N"], (R0, W0))]
        case "dsg_broadcast":
            return [(c["N"], (R0, W0, W1))]
        case "dsg_lut" | "dsg_lut_interp":
            return [(c["N"], (R0, W0))]
        case "dsg_channel_slice":
            pixel = [(c["START"], (R0,)), (c["STOP"] - c["START"], (R0, W0))]
            pixel += [(c["IN_C"] - c["STOP"], (R0,))]
            return [op for _ in range(c["PIXELS"]) for op in pixel if op[0] > 0]
        case "dsg_channel_scale":  # the whole map x, then the vector s, then the output
            n = c["PIXELS"] * c["C"]
            return [(n, (R0,)), (c["C"], (R1,)), (n, (W0,))]
        case "dsg_concat2" | "dsg_concat3":
            n = int(call.kind[-1])
            per_pixel = [(c[f"C{i}"], ((False, i), W0)) for i in range(n)]
            return per_pixel * c["PIXELS"]
    raise ValueError(f"no program for {call.kind}")


def _counts(ops: list[Op], nin: int, nout: int):
    """For every output port o and input port p: reads of p done before each write to o; and for
    every input port p: for each of its reads, the reads of every port done before it."""
    rd = [0] * nin
    before_w: list[list[list[np.ndarray]]] = [[[] for _ in range(nin)] for _ in range(nout)]
    before_r: list[list[list[np.ndarray]]] = [[[] for _ in range(nin)] for _ in range(nin)]
    for n, phases in ops:
        u = np.arange(n, dtype=np.int64)
        per_unit = [sum(1 for w, q in phases if not w and q == p) for p in range(nin)]
        seen = [0] * nin
        for is_w, port in phases:
            for p in range(nin):
                arr = rd[p] + u * per_unit[p] + seen[p]
                (before_w[port] if is_w else before_r[port])[p].append(arr)
            if not is_w:
                seen[port] += 1
        rd = [rd[p] + n * per_unit[p] for p in range(nin)]
    cat = lambda lists: [np.concatenate(x) if x else np.zeros(0, np.int64) for x in lists]  # noqa: E731
    return [cat(x) for x in before_w], [cat(x) for x in before_r]


def _propagate(df: Dataflow, start: int, edge: int, counts) -> dict[str, np.ndarray]:
    """need_e for every stream downstream of broadcast ``start``'s output ``edge``."""
    b = df.calls[start]
    need = {b.outputs[edge]: np.arange(1, df.streams[b.outputs[edge]].elems + 1, dtype=np.int64)}
    for i in range(start + 1, len(df.calls)):
        call = df.calls[i]
        ports = [p for p, s in enumerate(call.inputs) if s in need]
        if not ports:
            continue
        before_w = counts[i][0]
        for o, s_out in enumerate(call.outputs):
            arr = np.zeros(len(before_w[o][0]), np.int64)
            for p in ports:
                idx = before_w[o][p]
                src = need[call.inputs[p]]
                arr = np.maximum(arr, np.where(idx > 0, src[np.maximum(idx - 1, 0)], 0))
            need[s_out] = arr
    return need


def _consumed(
    need: dict, call: KernelCall, ports: list[int], before: list[np.ndarray]
) -> np.ndarray:
    """B-elements path has certainly consumed, at each of J's reads of some port."""
    out = np.zeros(len(before[0]) if before else 0, np.int64)
    for q in ports:
        src = need[call.inputs[q]]
        out = np.maximum(out, np.where(before[q] > 0, src[np.maximum(before[q] - 1, 0)], 0))
    return out


def absorbs(df: Dataflow, stream: str) -> bool:
    """Whether the consumer of ``stream`` reads the whole frame of it before anything else (a
    write, or a read of another input): a global pool, or a channel scale's map x. Such a consumer
    never back-pressures the broadcast feeding it, whatever the rest of the graph does, so that
    broadcast output needs no depth beyond the default. This is what makes squeeze-and-excitation
    deadlock-free by construction: the map x is broadcast to the SE branch (global pool first) and
    to the channel scale (all of x before its vector s), both absorb the full frame, and the frame
    waits in the channel scale's buffer instead of a FIFO; ``simulate`` checks it."""
    for call in df.calls:
        if stream not in call.inputs:
            continue
        port, read = call.inputs.index(stream), 0
        for n, phases in program(call):
            if any(w or p != port for w, p in phases):
                break
            read += n * len(phases)
        return read >= df.streams[stream].elems
    return False  # an output port: the sink is always ready anyway


def size_fifos(df: Dataflow) -> None:
    """Set the depth of every broadcast output stream (module docstring: the formula)."""
    counts = [_counts(program(c), len(c.inputs), len(c.outputs)) for c in df.calls]
    for bi, b in enumerate(df.calls):
        if b.kind != "dsg_broadcast":
            continue
        needs = [_propagate(df, bi, e, counts) for e in (0, 1)]
        for ji in range(bi + 1, len(df.calls)):
            j = df.calls[ji]
            only = [
                [p for p, s in enumerate(j.inputs) if s in needs[e] and s not in needs[1 - e]]
                for e in (0, 1)
            ]
            if not (only[0] and only[1]):
                continue
            before_r = counts[ji][1]
            for e in (0, 1):
                if absorbs(df, b.outputs[e]):
                    continue
                req = 0
                for p in only[1 - e]:
                    t = np.arange(len(before_r[p][p]))
                    required = needs[1 - e][j.inputs[p]][t]
                    surplus = required - _consumed(needs[e], j, only[e], before_r[p])
                    req = max(req, int(surplus.max(initial=0)))
                s = df.streams[b.outputs[e]]
                s.depth = max(s.depth, req + MARGIN)


class Deadlock(RuntimeError):
    pass


def simulate(df: Dataflow) -> None:
    """Run every kernel program against FIFOs of the emitted depths; raise Deadlock if stuck.

    One frame enters from an always-ready source and leaves into always-ready sinks (one per
    output port)."""
    cap = {s: st.depth for s, st in df.streams.items()}
    occ = dict.fromkeys(df.streams, 0)
    src = df.streams[df.in_port]
    nodes = [([(src.elems, (W0,))], [], [df.in_port])]
    nodes += [(program(c), c.inputs, c.outputs) for c in df.calls]
    nodes += [([(df.streams[p].elems, (R0,))], [p], []) for p in df.out_ports]
    for p in df.ports:
        cap[p] = 1 << 62
    state = [[0, 0, 0] for _ in nodes]  # op index, units done, phase
    # A worklist, not sweeps over all nodes: a node runs until it blocks and is only revisited when
    # a neighbour moved data through a stream they share (the result does not depend on the order:
    # the programs are blocking reads and writes, a Kahn process network).
    ends: dict[str, list[int]] = {}
    for i, (_, ins, outs) in enumerate(nodes):
        for s in (*ins, *outs):
            ends.setdefault(s, []).append(i)
    queue, queued = deque(range(len(nodes))), set(range(len(nodes)))
    while queue:
        i = queue.popleft()
        queued.discard(i)
        node = nodes[i]
        if _run(node, state[i], occ, cap):
            for s in (*node[1], *node[2]):
                for j in ends[s]:
                    if j != i and j not in queued:
                        queue.append(j)
                        queued.add(j)
    stuck = [
        i for i, (node, st) in enumerate(zip(nodes, state, strict=True)) if st[0] < len(node[0])
    ]
    if stuck:
        names = [df.calls[i - 1].ident if 0 < i <= len(df.calls) else "port" for i in stuck]
        raise Deadlock(f"dataflow deadlock: blocked kernels {', '.join(names)}")


def _run(node, st, occ, cap) -> bool:
    ops, ins, outs = node
    moved = False
    while st[0] < len(ops):
        n, phases = ops[st[0]]
        if st[2] == 0:  # whole units at once
            k = n - st[1]
            for is_w, p in phases:
                k = min(k, cap[outs[p]] - occ[outs[p]] if is_w else occ[ins[p]])
            if k > 0:
                for is_w, p in phases:
                    s = outs[p] if is_w else ins[p]
                    occ[s] += k if is_w else -k
                st[1] += k
                moved = True
        while st[1] < n:  # then single phases until blocked
            is_w, p = phases[st[2]]
            s = outs[p] if is_w else ins[p]
            if (is_w and occ[s] >= cap[s]) or (not is_w and occ[s] == 0):
                return moved
            occ[s] += 1 if is_w else -1
            moved = True
            st[2] += 1
            if st[2] == len(phases):
                st[1], st[2] = st[1] + 1, 0
                break
        if st[1] == n:
            st[0], st[1], st[2] = st[0] + 1, 0, 0
    return moved
