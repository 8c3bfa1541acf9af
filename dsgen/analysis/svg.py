"""Small, dependency-free SVG charts for the HTML report (inline, so the page is self-contained).

Every label is escaped; nothing here runs script.  Numbers are formatted in Python; the report
template only places the finished SVG strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

PALETTE = ["#3b6ea5", "#e07a2e", "#4f9d69", "#c44e52", "#8172b2", "#937860", "#da8bc3", "#8c8c8c"]


@dataclass
class Bar:
    label: str
    values: list[float]  # one per series
    mark: bool = False  # highlighted (e.g. the bottleneck)


def _fmt(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.3g}" if isinstance(v, float) and not v.is_integer() else f"{int(v)}"


def hbars(
    bars: list[Bar],
    series: list[str],
    title: str,
    width: int = 900,
    row: int = 18,
    label_w: int = 240,
    log: bool = False,
) -> str:
    """Horizontal (grouped) bar chart, one row per bar, one colour per series."""
    import math

    n = max(len(series), 1)
    height = 40 + len(bars) * (row * n + 6) + 20 * n
    vmax = max((v for b in bars for v in b.values), default=1) or 1
    span = width - label_w - 90

    def scale(v: float) -> float:
        if log:
            return span * math.log10(1 + v) / math.log10(1 + vmax)
        return span * v / vmax

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f'<text x="4" y="16" class="title">{escape(title)}</text>',
    ]
    y = 30
    for b in bars:
        cls = ' class="mark"' if b.mark else ""
        out.append(
            f'<text x="{label_w - 6}" y="{y + row * n / 2 + 4:.0f}" text-anchor="end"'
            f"{cls}>{escape(b.label)}</text>"
        )
        for i, v in enumerate(b.values):
            w = max(scale(v), 0.5 if v else 0)
            color = "#d62728" if b.mark else PALETTE[i % len(PALETTE)]
            out.append(
                f'<rect x="{label_w}" y="{y + i * row}" width="{w:.1f}" height="{row - 3}" '
                f'fill="{color}"><title>{escape(b.label)}: {_fmt(v)}</title></rect>'
            )
            out.append(
                f'<text x="{label_w + w + 4:.1f}" y="{y + i * row + row - 6}" '
                f'class="val">{_fmt(v)}</text>'
            )
        y += row * n + 6
    for i, s in enumerate(series):
        out.append(
            f'<rect x="{label_w}" y="{y + 4 + i * 18}" width="12" height="12" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/><text x="{label_w + 18}" '
            f'y="{y + 14 + i * 18}">{escape(s)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


@dataclass
class Block:
    label: str
    start: int  # first step
    end: int  # last step (inclusive)
    offset: int  # bytes
    size: int


def arena_map(
    blocks: list[Block],
    steps: list[str],
    total: int,
    title: str,
    width: int = 900,
    height: int = 360,
) -> str:
    """Memory (y: arena byte offset) over time (x: layer step): one rectangle per tensor."""
    left, top, bottom = 70, 30, 70
    n = max(len(steps), 1)
    sx = (width - left - 10) / n
    sy = (height - top - bottom) / max(total, 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f'<text x="4" y="16" class="title">{escape(title)}</text>',
        f'<text x="4" y="{top + 10}">0</text>',
        f'<text x="4" y="{height - bottom}">{_fmt(total)} B</text>',
    ]
    for i, b in enumerate(blocks):
        x = left + b.start * sx
        w = (b.end - b.start + 1) * sx
        out.append(
            f'<rect x="{x:.1f}" y="{top + b.offset * sy:.1f}" width="{w - 1:.1f}" '
            f'height="{max(b.size * sy, 1):.1f}" fill="{PALETTE[i % len(PALETTE)]}" '
            f'opacity="0.85"><title>{escape(b.label)}: {b.size} bytes at offset '
            f"{b.offset}, steps {b.start}-{b.end}</title></rect>"
        )
    for i, s in enumerate(steps):
        x = left + (i + 0.5) * sx
        out.append(
            f'<text x="{x:.1f}" y="{height - bottom + 14}" transform="rotate(45 {x:.1f} '
            f'{height - bottom + 14})" class="tick">{escape(s[:18])}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)
