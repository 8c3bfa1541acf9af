"""`dsgen report MODEL --html FILE`: one self-contained page (inline SVG, no script) showing where
the MACs and bytes go, which layer loses precision, the folding and its bottleneck, and any
verification results."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dsgen import __version__
from dsgen.analysis import svg
from dsgen.backends.render import environment, file_sha256
from dsgen.compiler import load_ir
from dsgen.ir.cost import cost_report
from dsgen.quant.api import QuantOptions, quantize_graph


@dataclass
class HtmlOptions:
    multipliers: int = 64
    samples: int = 4
    verify: list[str] = field(default_factory=list)  # targets to run and tabulate
    quant: QuantOptions = field(default_factory=QuantOptions)
    input_shape: tuple[int, ...] | None = None


def _cost_section(rep) -> dict:
    compute = [c for c in rep.layers if c.macs]
    macs = svg.hbars(
        [svg.Bar(c.name[-36:], [c.macs, c.params]) for c in compute],
        ["MACs", "parameters"],
        "MACs and parameters per layer (log scale)",
        log=True,
    )
    blocks = svg.hbars(
        [
            svg.Bar(f"{b.depthwise[-20:]} + {b.pointwise[-14:]}", [b.macs, b.standard_macs])
            for b in rep.blocks
        ],
        ["depthwise separable", "standard convolution"],
        "Each depthwise-separable block vs one standard convolution (MACs)",
    )
    return {"macs_svg": macs, "blocks_svg": blocks if rep.blocks else "", "rep": rep}


def _arena_section(qg) -> dict:
    from dsgen.backends.c.lower import plan_c_arena

    plan = plan_c_arena(qg)
    blocks = [
        svg.Block(s.key[-30:], s.first, s.last, s.offset, s.size)
        for s in plan.storages.values()
        if s.where == "arena"
    ]
    steps = [layer.name for layer in qg.int_layers]
    chart = svg.arena_map(
        blocks, steps, plan.arena_bytes, "Activation arena over time (C backend layout)"
    )
    over = svg.hbars(
        [
            svg.Bar(n[-36:], [a, b])
            for n, a, b in zip(steps, plan.live, plan.naive_live, strict=True)
        ],
        ["this schedule (in-place layers share their input's slot)", "naive: every live tensor"],
        "Activation bytes live at each layer",
    )
    return {
        "arena_svg": chart,
        "live_svg": over,
        "arena_bytes": plan.arena_bytes,
        "lower_bound": plan.lower_bound,
        "naive_bound": plan.naive_bound,
        "in_place": len(plan.in_place),
    }


def _snr_section(qg, n: int) -> dict:
    from dsgen.inputs import load_inputs, to_ir_layout
    from dsgen.verify.targets import per_layer_snr

    g = qg.graph
    xs = [to_ir_layout(g, x) for x in load_inputs(g, None, n, seed=5)]
    snr = per_layer_snr(qg, xs)
    worst = min(snr, key=snr.get) if snr else None
    bars = [svg.Bar(k[-36:], [max(v, 0.0)], mark=k == worst) for k, v in snr.items()]
    return {
        "snr_svg": svg.hbars(bars, ["SNR (dB)"], "Per-layer quantization SNR vs float"),
        "snr": snr,
        "worst": worst,
        "bits": qg.bits,
    }


def _folding_section(qg, multipliers: int) -> dict:
    from dsgen.backends.folding import plan_folding

    plan = plan_folding(qg, multipliers)
    bars = [svg.Bar(f.name[-36:], [f.cycles], mark=f.name == plan.bottleneck) for f in plan.layers]
    chart = svg.hbars(
        bars,
        ["cycles per inference"],
        f"Folding for {multipliers} multipliers: cycles per layer (bottleneck red)",
    )
    return {"fold_svg": chart, "plan": plan}


def _verify_section(path: Path, opts: HtmlOptions) -> list[dict]:
    from dsgen.verify import verify_model

    rows = []
    for t in opts.verify:
        r = verify_model(
            path,
            t,
            samples=opts.samples,
            quant=opts.quant,
            input_shape=opts.input_shape,
            multipliers=opts.multipliers,
        ).to_json()
        rows.append(
            {
                k: r.get(k)
                for k in (
                    "target",
                    "samples",
                    "bit_exact",
                    "mismatches",
                    "max_abs_err",
                    "snr_db",
                    "top1_agreement",
                    "ok",
                )
            }
            | {
                "extra": {
                    k: v
                    for k, v in r.items()
                    if k in ("cycles", "instructions", "ii_cycles", "multipliers", "arena_bytes")
                }
            }
        )
    return rows


def build_html(path: str | Path, opts: HtmlOptions) -> str:
    path = Path(path)
    g = load_ir(path, opts.input_shape)
    rep = cost_report(g)
    qg = quantize_graph(load_ir(path, opts.input_shape), opts.quant, warn=lambda m: None)
    ctx = {
        "version": __version__,
        "model": g.name,
        "sha": file_sha256(path),
        "file": path.name,
        "multipliers": opts.multipliers,
    }
    ctx |= _cost_section(rep) | _arena_section(qg) | _snr_section(qg, opts.samples)
    ctx |= _folding_section(qg, opts.multipliers)
    ctx["verify_rows"] = _verify_section(path, opts)
    ctx["np"] = np
    return environment().get_template("report/report.html.j2").render(**ctx)
