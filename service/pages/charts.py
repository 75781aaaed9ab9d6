"""Charts as inline SVG, drawn on the server: no script, no CDN, nothing for a CSP to
allow. Each function returns markup that is safe to embed (every label is escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

W, H = 640, 220
PAD_L, PAD_R, PAD_T, PAD_B = 56, 16, 16, 36
PALETTE = ("#1db954", "#3d7eff", "#ff8a3d", "#c04dff", "#ff4d6d", "#00b3b3")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[float | None]


def _fmt(v: float, percent: bool) -> str:
    if percent:
        return f"{100 * v:.0f}%"
    if abs(v) >= 10_000:
        return f"{v / 1000:,.0f}k"
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2g}"


def _ticks(labels: Sequence[str], xs: list[float]) -> list[str]:
    step = max(1, len(labels) // 6)
    return [
        f'<text class="tick" x="{x:.1f}" y="{H - 12}" text-anchor="middle">{escape(lab)}</text>'
        for i, (lab, x) in enumerate(zip(labels, xs, strict=True)) if i % step == 0
    ]  # fmt: skip


def line_chart(
    labels: Sequence[str], series: Sequence[Series], *, title: str, percent: bool = False
) -> Markup:
    """Lines over periods; a None value breaks its line."""
    n = max(len(labels), 1)
    top = max((v for s in series for v in s.values if v is not None), default=0.0) or 1.0
    top = min(top * 1.1, 1.0) if percent and top <= 1 else top * 1.1
    xs = [PAD_L + (W - PAD_L - PAD_R) * (i / max(n - 1, 1)) for i in range(n)]

    def y(v: float) -> float:
        return PAD_T + (H - PAD_T - PAD_B) * (1 - v / top)

    parts = [f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}">']
    for frac in (0, 0.5, 1):
        gy = PAD_T + (H - PAD_T - PAD_B) * (1 - frac)
        parts.append(
            f'<line class="grid" x1="{PAD_L}" x2="{W - PAD_R}" y1="{gy:.1f}" y2="{gy:.1f}"/>'
        )
        parts.append(f'<text class="tick" x="{PAD_L - 6}" y="{gy + 4:.1f}" text-anchor="end">'
                     f"{_fmt(top * frac, percent)}</text>")  # fmt: skip
    legend_x = PAD_L + 8
    for k, s in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for x, v in zip(xs, s.values, strict=True):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{x:.1f},{y(v):.1f}")
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline class="line" data-series="{escape(s.name)}" '
                             f'stroke="{color}" points="{" ".join(run)}"/>')  # fmt: skip
            elif run:
                cx, cy = run[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{color}"/>')
        parts.append(f'<text class="legend" x="{legend_x}" y="{PAD_T + 2}" '
                     f'fill="{color}">{escape(s.name)}</text>')  # fmt: skip
        legend_x += 8 * len(s.name) + 24
    parts += _ticks(labels, xs)
    parts.append("</svg>")
    return Markup("".join(parts))


def heatmap(rows: Sequence[str], sizes: Sequence[int], values: Sequence[Sequence[float]],
            *, title: str, columns: int = 12) -> Markup:  # fmt: skip
    """Retention: one row per cohort, one cell per week since, shaded by share active."""
    cell_w, cell_h, left = 40, 18, 150
    width = left + cell_w * columns + 10
    height = 24 + cell_h * len(rows) + 4
    parts = [f'<svg class="heat" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}">']  # fmt: skip
    for k in range(columns):
        parts.append(f'<text class="tick" x="{left + cell_w * k + cell_w / 2}" y="14" '
                     f'text-anchor="middle">w{k}</text>')  # fmt: skip
    for r, (label, size, shares) in enumerate(zip(rows, sizes, values, strict=True)):
        y = 22 + cell_h * r
        parts.append(f'<text class="tick" x="{left - 6}" y="{y + 13}" text-anchor="end">'
                     f"{escape(label)} ({size:,})</text>")  # fmt: skip
        for k, share in enumerate(shares[:columns]):
            alpha = 0.08 + 0.92 * max(0.0, min(1.0, share))
            parts.append(
                f'<rect class="cell" x="{left + cell_w * k}" y="{y}" width="{cell_w - 2}" '
                f'height="{cell_h - 2}" fill="#1db954" fill-opacity="{alpha:.2f}">'
                f"<title>{escape(label)} week {k}: {100 * share:.0f}%</title></rect>"
                f'<text class="cellv" x="{left + cell_w * k + cell_w / 2 - 1}" y="{y + 12}" '
                f'text-anchor="middle">{100 * share:.0f}</text>'
            )  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))


def interval_bars(arms: Sequence[tuple[str, float | None, float | None, float | None]],
                  *, title: str) -> Markup:  # fmt: skip
    """One bar per arm (its mean) with a whisker for its confidence interval."""
    top = max((h or v or 0 for _, v, _, h in arms), default=0.0) * 1.15 or 1.0
    bar_h, gap, left = 22, 12, 120
    height = 10 + (bar_h + gap) * len(arms)
    width = 640
    scale = (width - left - 60) / top
    parts = [f'<svg class="bars" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}">']  # fmt: skip
    for k, (name, value, low, high) in enumerate(arms):
        y = 6 + (bar_h + gap) * k
        color = PALETTE[k % len(PALETTE)]
        parts.append(f'<text class="tick" x="{left - 8}" y="{y + 15}" text-anchor="end">'
                     f"{escape(name)}</text>")  # fmt: skip
        if value is None:
            continue
        parts.append(f'<rect class="bar" x="{left}" y="{y}" width="{value * scale:.1f}" '
                     f'height="{bar_h}" fill="{color}"/>')  # fmt: skip
        if low is not None and high is not None:
            mid = y + bar_h / 2
            parts.append(f'<line class="whisker" x1="{left + low * scale:.1f}" '
                         f'x2="{left + high * scale:.1f}" y1="{mid}" y2="{mid}"/>')  # fmt: skip
        parts.append(f'<text class="tick" x="{left + (high or value) * scale + 6:.1f}" '
                     f'y="{y + 15}">{value:,.1f}</text>')  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))
