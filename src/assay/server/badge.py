"""A status badge as SVG, in the usual two-part shape (label on grey, state in its colour)."""

from __future__ import annotations

from html import escape

__all__ = ["BADGE_COLOURS", "badge_svg"]

BADGE_COLOURS = {
    "conformant": "#2da44e",
    "non-conformant": "#cf222e",
    "expired": "#bf8700",
    "revoked": "#6e7781",
    "unknown": "#8c959f",
}
_CHARACTER_WIDTH = 6.5  # px per character of 11px Verdana, close enough for a badge


def badge_svg(label: str, state: str) -> str:
    """An SVG badge reading ``label | state``, coloured by the state."""
    colour = BADGE_COLOURS.get(state, BADGE_COLOURS["unknown"])
    left = int(len(label) * _CHARACTER_WIDTH + 12)
    right = int(len(state) * _CHARACTER_WIDTH + 12)
    width = left + right
    label_text, state_text = escape(label), escape(state)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{label_text}: {state_text}"><title>{label_text}: {state_text}</title>'
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" '
        'font-size="11">'
        f'<text x="{left / 2}" y="14">{label_text}</text>'
        f'<text x="{left + right / 2}" y="14">{state_text}</text></g></svg>'
    )
