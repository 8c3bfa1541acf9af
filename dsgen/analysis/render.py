"""Text rendering of the cost report (rich tables)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from dsgen.analysis.weight_bits import WidthTable
from dsgen.ir.cost import CostReport


def _shape(s) -> str:
    return "x".join(map(str, s)) if s else ""


def _name(n: str, width: int = 32) -> str:
    """Long exporter names (TensorFlow scopes) keep their informative tail."""
    return n if len(n) <= width else "…" + n[-(width - 1) :]


def _m(n: int) -> str:
    return f"{n / 1e6:.3f} M" if n >= 100_000 else f"{n:,}"


def print_cost(rep: CostReport, console: Console) -> None:
    t = Table(title=f"{rep.model}: input {rep.input['name']} {_shape(rep.input['shape'])}")
    for col in (
        "layer",
        "kind",
        "in",
        "out",
        "kernel",
        "stride",
        "groups",
        "act",
        "MACs",
        "params",
        "act bytes",
    ):
        t.add_column(col, justify="right" if col in ("MACs", "params", "act bytes") else "left")
    for c in rep.layers:
        t.add_row(
            _name(c.name),
            c.kind,
            _shape(c.in_shape),
            _shape(c.out_shape),
            _shape(c.kernel),
            _shape(c.stride),
            "" if c.groups is None else str(c.groups),
            c.act,
            f"{c.macs:,}",
            f"{c.params:,}",
            f"{c.act_bytes:,}",
        )
    t.add_section()
    t.add_row(
        "total",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        f"{rep.total['macs']:,}",
        f"{rep.total['params']:,}",
        f"max {rep.total['act_bytes_max']:,}",
    )
    console.print(t)
    std = rep.standard_conv_equivalent
    console.print(
        f"MACs {_m(rep.total['macs'])}, parameters {_m(rep.total['params'])}; with standard "
        f"convolutions instead of the depthwise-separable blocks: MACs {_m(std['macs'])}, "
        f"parameters {_m(std['params'])} (ratio {std['ratio']:.4f})"
    )
    if rep.blocks:
        b = Table(title="depthwise-separable blocks (cost ratio vs one standard conv)")
        for col in ("depthwise", "pointwise", "MACs", "standard MACs", "ratio", "1/N + 1/Dk²"):
            b.add_column(col)
        for blk in rep.blocks:
            b.add_row(
                _name(blk.depthwise),
                _name(blk.pointwise),
                f"{blk.macs:,}",
                f"{blk.standard_macs:,}",
                f"{blk.ratio:.4f}",
                f"{blk.formula:.4f}",
            )
        console.print(b)


def print_weight_bits(t: WidthTable, console: Console) -> None:
    """Per-layer SNR (dB, the layer on its own against float) at each weight width."""
    tab = Table(title=f"per-layer SNR (dB) by weight bits, {t.samples} samples")
    tab.add_column("layer")
    tab.add_column("kind")
    for b in t.widths:
        tab.add_column(f"{b}-bit", justify="right")
    for r in t.rows:
        tab.add_row(_name(r.layer), r.kind, *(f"{r.snr_db[b]:.1f}" for b in t.widths))
    tab.add_row("weight bytes", "", *(f"{t.weight_bytes[b]:,}" for b in t.widths))
    console.print(tab)
