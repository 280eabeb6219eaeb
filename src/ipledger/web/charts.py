"""Charts as inline SVG rendered on the server: no script, no library, readable on a phone.

Each chart scales to its container (``viewBox`` with ``width: 100%``); every mark carries a
``<title>``, so pointing at it (or a long press on a phone) shows its figures. Text is escaped;
nothing from a record reaches the markup unescaped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

W, H = 640, 260
PAD_L, PAD_R, PAD_T, PAD_B = 64, 16, 12, 34
PALETTE = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#0969da", "#bc4c00")


def _svg(body: str, height: int = H, label: str = "") -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {W} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def _fmt(v: float) -> str:
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.1f}B"
    if a >= 1e6:
        return f"{v / 1e6:.1f}M"
    if a >= 1e3:
        return f"{v / 1e3:.0f}k"
    return f"{v:.2f}" if a < 10 else f"{v:.0f}"


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if hi <= lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / n))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= n:
            step *= m
            break
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 1)]


def price_history(points: Sequence[tuple[str, float, str]], currency: str, label: str = "") -> Markup:
    """Amounts over time: ``(ISO date, amount, kind)``; a log scale when they span 100x or more."""
    pts = [(dt.date.fromisoformat(d[:10]), float(v), k) for d, v, k in points if d and v and v > 0]
    if not pts:
        return Markup("")
    xs = [p[0].toordinal() for p in pts]
    vals = [p[1] for p in pts]
    log = max(vals) / min(vals) >= 100
    f = (lambda v: math.log10(v)) if log else (lambda v: v)
    x0, x1 = min(xs), max(xs) + (1 if max(xs) == min(xs) else 0)
    y0, y1 = f(min(vals)), f(max(vals))
    if y1 == y0:
        y0, y1 = y0 * 0.9 if y0 else -1, y1 * 1.1 if y1 else 1

    def sx(x: float) -> float:
        return PAD_L + (x - x0) / (x1 - x0) * (W - PAD_L - PAD_R)

    def sy(y: float) -> float:
        return H - PAD_B - (y - y0) / (y1 - y0) * (H - PAD_T - PAD_B)

    kinds = sorted({p[2] for p in pts})
    parts = [_axes(y0, y1, sy, log), _xaxis(x0, x1, sx)]
    for d, v, k in pts:
        c = PALETTE[kinds.index(k) % len(PALETTE)]
        parts.append(
            f'<circle cx="{sx(d.toordinal()):.1f}" cy="{sy(f(v)):.1f}" r="4" fill="{c}" fill-opacity=".75">'
            f"<title>{escape(d.isoformat())} {escape(k)}: {v:,.2f} {escape(currency)}</title></circle>"
        )
    parts.append(_legend(kinds))
    return _svg("".join(parts), label=label)


def _axes(y0: float, y1: float, sy: object, log: bool) -> str:
    out = []
    for t in _ticks(y0, y1):
        y = sy(t)  # type: ignore[operator]
        shown = _fmt(10**t) if log else _fmt(t)
        out.append(
            f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{shown}</text>'
        )
    return "".join(out)


def _xaxis(x0: int, x1: int, sx: object) -> str:
    a, b = dt.date.fromordinal(x0).year, dt.date.fromordinal(x1).year
    step = max(1, (b - a) // 6 or 1)
    out = []
    for year in range(a, b + 1, step):
        o = dt.date(year, 1, 1).toordinal()
        if x0 <= o <= x1:
            x = sx(o)  # type: ignore[operator]
            out.append(f'<text x="{x:.1f}" y="{H - PAD_B + 16}" text-anchor="middle" class="tick">{year}</text>')
    return "".join(out)


def _legend(names: Sequence[str]) -> str:
    out = []
    for i, n in enumerate(names):
        x = PAD_L + i * 110
        out.append(
            f'<circle cx="{x}" cy="{H - 6}" r="4" fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{x + 8}" y="{H - 2}" class="tick">{escape(n)}</text>'
        )
    return "".join(out)


def range_bars(rows: Sequence[tuple[str, float, float, float]], currency: str, label: str = "") -> Markup:
    """A football field: one bar per method from low to high with the point value marked."""
    rows = [r for r in rows if r[3] > 0]
    if not rows:
        return Markup("")
    lo = min(r[1] for r in rows)
    hi = max(r[3] for r in rows)
    height = PAD_T + 34 * len(rows) + PAD_B

    def sx(v: float) -> float:
        return 140 + (v - lo) / ((hi - lo) or 1) * (W - 140 - PAD_R)

    parts = []
    for i, (name, low, mid, high) in enumerate(rows):
        y = PAD_T + 34 * i
        tip = f"{name}: {low:,.0f} – {high:,.0f} {currency}, point {mid:,.0f}"
        parts.append(
            f'<text x="134" y="{y + 18}" text-anchor="end" class="tick">{escape(name)}</text>'
            f'<rect x="{sx(low):.1f}" y="{y + 4}" width="{max(sx(high) - sx(low), 2):.1f}" height="20" '
            f'fill="{PALETTE[i % len(PALETTE)]}" fill-opacity=".55"><title>{escape(tip)}</title></rect>'
            f'<line x1="{sx(mid):.1f}" x2="{sx(mid):.1f}" y1="{y + 1}" y2="{y + 27}" stroke="#111" stroke-width="2">'
            f"<title>{escape(tip)}</title></line>"
        )
    for t in _ticks(lo, hi):
        parts.append(f'<text x="{sx(t):.1f}" y="{height - 12}" text-anchor="middle" class="tick">{_fmt(t)}</text>')
    return _svg("".join(parts), height=height, label=label)


def bars(items: Sequence[tuple[str, float]], unit: str = "", label: str = "", percent: bool = False) -> Markup:
    """Horizontal bars, one per item (premium breakdown, loss ratios)."""
    items = [(k, float(v)) for k, v in items if v is not None and not math.isnan(float(v))]
    if not items:
        return Markup("")
    top = max(max(v for _, v in items), 1e-12)
    height = PAD_T + 26 * len(items) + 8
    parts = []
    for i, (name, v) in enumerate(items):
        y = PAD_T + 26 * i
        width = max(v, 0) / top * (W - 200 - 90)
        shown = f"{v:.1%}" if percent else f"{v:,.2f} {unit}".strip()
        parts.append(
            f'<text x="194" y="{y + 15}" text-anchor="end" class="tick">{escape(name)}</text>'
            f'<rect x="200" y="{y + 3}" width="{width:.1f}" height="16" fill="{PALETTE[i % len(PALETTE)]}">'
            f"<title>{escape(name)}: {escape(shown)}</title></rect>"
            f'<text x="{204 + width:.1f}" y="{y + 15}" class="tick">{escape(shown)}</text>'
        )
    return _svg("".join(parts), height=height, label=label)


def timeline(events: Sequence[tuple[int, str, str]], label: str = "") -> Markup:
    """Records over blocks, one lane per event kind: ``(block, event, tooltip)``."""
    if not events:
        return Markup("")
    kinds = sorted({e[1] for e in events})
    b0 = min(e[0] for e in events)
    b1 = max(e[0] for e in events) + 1
    height = PAD_T + 24 * len(kinds) + PAD_B

    def sx(b: float) -> float:
        return 140 + (b - b0) / (b1 - b0) * (W - 140 - PAD_R)

    parts = []
    for i, k in enumerate(kinds):
        y = PAD_T + 24 * i + 12
        parts.append(
            f'<text x="134" y="{y + 4}" text-anchor="end" class="tick">{escape(k)}</text>'
            f'<line x1="140" x2="{W - PAD_R}" y1="{y}" y2="{y}" class="grid"/>'
        )
    for block, kind, tip in events[:5000]:  # a chart of more marks would be unreadable anyway
        y = PAD_T + 24 * kinds.index(kind) + 12
        c = PALETTE[kinds.index(kind) % len(PALETTE)]
        parts.append(f'<circle cx="{sx(block):.1f}" cy="{y}" r="4" fill="{c}"><title>{escape(tip)}</title></circle>')
    for t in _ticks(b0, b1):
        parts.append(f'<text x="{sx(t):.1f}" y="{height - 12}" text-anchor="middle" class="tick">{int(t)}</text>')
    return _svg("".join(parts), height=height, label=label)
