"""Status icons for report.html as inline SVG: emoji show as empty boxes on a machine without an emoji font.

Each icon is a fixed string (no input reaches it) labelled with its status for screen readers.
"""

from __future__ import annotations

from markupsafe import Markup

_COLOR = {
    "done": "#1a7f37",
    "in_progress": "#0969da",
    "blocked": "#cf222e",
    "investigation": "#9a6700",
}
_SHAPE = {
    "done": '<circle cx="8" cy="8" r="6.5"/><path d="M4.8 8.3l2.1 2.1 4.3-4.6"/>',
    "in_progress": '<path d="M13.2 8a5.2 5.2 0 1 1-1.6-3.8"/><path d="M12 1.6v3h-3"/>',
    "blocked": '<circle cx="8" cy="8" r="6.5"/><path d="M5.6 5.6l4.8 4.8M10.4 5.6l-4.8 4.8"/>',
    "investigation": '<circle cx="6.8" cy="6.8" r="4.3"/><path d="M10 10l4.2 4.2"/>',
}
_UNKNOWN = '<circle cx="8" cy="8" r="5.5" stroke-dasharray="2 2"/>'


def status_icon(status: str | None, label: str) -> Markup:
    """The icon of a task or session status; an unknown or missing status gets a dashed circle."""
    shape = _SHAPE.get(status or "", _UNKNOWN)
    color = _COLOR.get(status or "", "#8c959f")
    return Markup(
        f'<svg class="icon" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="16" height="16" '
        f'role="img" aria-label="{label}" fill="none" stroke="{color}" stroke-width="1.7" '
        f'stroke-linecap="round" stroke-linejoin="round">{shape}</svg>'
    )
