"""The index's small chart: agent spend per day on a calendar axis, as inline SVG.

Every text goes through markupsafe.escape; a day whose cost is unknown gets a grey stub labelled
"unknown", never a bar of 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date as Date

from daily_report.report.fmt import money
from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 120
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 10, 22
BAR_COLOR, UNKNOWN_COLOR = "#c8643c", "#b0b7bf"


def spend_over_days(days: Sequence[tuple[str, float | None]]) -> Markup:
    """(ISO date, agent cost) pairs in any order -> one bar per day, oldest on the left."""
    points = sorted((Date.fromisoformat(d), cost) for d, cost in days)
    body: list[str] = []
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    body.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" class="grid"/>')
    if not points:
        body.append(f'<text x="{LEFT}" y="{TOP + 16}" class="val">no days yet</text>')
        return _svg(body)
    first, last = points[0][0], points[-1][0]
    span = (last - first).days + 1
    slot = plot_w / span
    bar_w = min(max(slot * 0.7, 2.0), 28.0)
    top = max((c for _, c in points if c), default=0.0)
    body.append(
        f'<text x="{LEFT - 6}" y="{TOP + 8}" text-anchor="end" class="tick">{escape(money(top))}</text>'
    )
    body.append(f'<text x="{LEFT - 6}" y="{base}" text-anchor="end" class="tick">$0</text>')
    for day, cost in points:
        x = LEFT + slot * ((day - first).days + 0.5) - bar_w / 2
        tip = f"{day.isoformat()}: agents spent {money(cost)}"
        if cost is None:
            h, color = 4.0, UNKNOWN_COLOR
        else:
            h, color = (plot_h * cost / top if top else 0.0), BAR_COLOR
            h = max(h, 1.0) if cost > 0 else 0.0
        body.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{color}">'
            f"<title>{escape(tip)}</title></rect>"
        )
    body.append(f'<text x="{LEFT}" y="{HEIGHT - 6}" class="tick">{first.isoformat()}</text>')
    if last != first:
        body.append(
            f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end" class="tick">{last.isoformat()}</text>'
        )
    return _svg(body)


def _svg(body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart spend" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}"><title>Agent spend per day</title>'
    )
    return Markup(head + "".join(body) + "</svg>")
