"""Time windows of data that a flow run looks at.

Every flow run takes an explicit window ``[start, end)``. A scheduled run derives it
from its scheduled time, aligned to the schedule's length; a backfill or a replay
passes it. Computations never read the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tasks.errors import ConfigurationError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    """A half-open interval of data time, ``start <= t < end``, in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            if getattr(self, name).tzinfo is None:
                raise ConfigurationError(
                    f"window {name} must carry a time zone, got a naive datetime"
                )
        if self.end <= self.start:
            raise ConfigurationError(
                f"window end {self.end.isoformat()} must be after start "
                f"{self.start.isoformat()}"
            )

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; one without a zone is taken as UTC.

    Raises:
        ConfigurationError: the text is not ISO 8601.
    """
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigurationError(
            f"expected an ISO 8601 time such as 2019-06-01T12:00:00Z, got {text!r}"
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def window_ending(end: datetime, minutes: float) -> Window:
    """The window of ``minutes`` that ends at ``end``."""
    if not minutes > 0:
        raise ConfigurationError(f"window length must be positive, got {minutes}")
    end = end.astimezone(UTC)
    try:
        return Window(end - timedelta(minutes=minutes), end)
    except OverflowError:
        raise ConfigurationError(
            f"a window of {minutes} minutes ending {end.isoformat()} reaches past the "
            "earliest representable time; choose a shorter window"
        ) from None


def aligned_window(scheduled: datetime, minutes: int) -> Window:
    """The last complete window of ``minutes`` at or before ``scheduled``.

    Windows are aligned to multiples of their length since the Unix epoch, so a
    30-minute schedule that starts a few seconds late still looks at 12:00-12:30.
    """
    if minutes <= 0:
        raise ConfigurationError(f"window length must be positive, got {minutes}")
    step = timedelta(minutes=minutes)
    elapsed = scheduled.astimezone(UTC) - _EPOCH
    end = _EPOCH + (elapsed // step) * step
    return Window(end - step, end)


def windows_between(start: datetime, end: datetime, minutes: float) -> list[Window]:
    """Consecutive windows of ``minutes`` from ``start``; the last one ends at or
    after ``end`` so that every instant in ``[start, end)`` belongs to one window."""
    if not minutes > 0:
        raise ConfigurationError(f"window length must be positive, got {minutes}")
    step = timedelta(minutes=minutes)
    windows = []
    cursor = start.astimezone(UTC)
    while cursor < end:
        windows.append(Window(cursor, cursor + step))
        cursor += step
    return windows
