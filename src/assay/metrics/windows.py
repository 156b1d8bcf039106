"""Time windows of the metrics: ``since`` inclusive, ``until`` exclusive, in UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["DAY", "WEEK", "Window", "parse_duration", "window_of"]

DAY = 86_400.0
WEEK = 7 * DAY
_DURATION = re.compile(r"^([1-9][0-9]{0,5})([smhdw])$")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": DAY, "w": WEEK}


@dataclass(frozen=True)
class Window:
    """``[since, until)``: an event at ``since`` is inside, one at ``until`` is not."""

    since: datetime
    until: datetime

    @property
    def seconds(self) -> float:
        """The window's length in seconds."""
        return (self.until - self.since).total_seconds()

    @property
    def weeks(self) -> float:
        """The window's length in weeks."""
        return self.seconds / WEEK

    def earlier(self, steps: int, step: timedelta) -> list[Window]:
        """This window and ``steps - 1`` windows of the same length ending ``step`` apart
        before it, oldest first (the points of a trend)."""
        length = self.until - self.since
        ends = [self.until - step * k for k in range(steps)]
        return [Window(end - length, end) for end in reversed(ends)]


def parse_duration(text: str) -> timedelta:
    """``7d``, ``28d``, ``90d``, ``12h``, ``4w``, ``30m`` (minutes), ``90s`` as a timedelta;
    ValueError otherwise."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not a duration; expected a number and s, m, h, d or w (28d, 30m)"
        )
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def window_of(
    *,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    window: timedelta | None = None,
) -> Window:
    """The window the user asked for: ``since``/``until`` (``until`` defaults to ``now``), or
    ``window`` ending at ``until``; ValueError when ``since`` is not before ``until``."""
    end = (until or now).astimezone(UTC)
    if since is not None:
        if window is not None:
            raise ValueError("give either --since or --window, not both")
        start = since.astimezone(UTC)
    else:
        start = end - (window or timedelta(days=28))
    if start >= end:
        raise ValueError(f"since ({start.isoformat()}) is not before until ({end.isoformat()})")
    return Window(start, end)
