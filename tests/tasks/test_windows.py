"""Tests of tasks.windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tasks.errors import ConfigurationError
from tasks.windows import (
    Window,
    aligned_window,
    parse_instant,
    window_ending,
    windows_between,
)


def test_aligned_window_is_the_last_complete_one():
    late = datetime(2026, 3, 1, 12, 30, 7, tzinfo=UTC)  # a run 7 s late

    window = aligned_window(late, 30)

    assert window == Window(
        datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 12, 30, tzinfo=UTC),
    )


def test_aligned_window_converts_other_zones_to_utc():
    paris = timezone(timedelta(hours=1))
    window = aligned_window(datetime(2026, 3, 1, 13, 59, tzinfo=paris), 60)

    assert window.end == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_parse_instant_takes_z_offsets_and_naive_as_utc():
    assert parse_instant("2019-06-01T12:00:00Z") == datetime(2019, 6, 1, 12, tzinfo=UTC)
    assert parse_instant("2019-06-01T14:00:00+02:00") == datetime(
        2019, 6, 1, 12, tzinfo=UTC
    )
    assert parse_instant("2019-06-01") == datetime(2019, 6, 1, tzinfo=UTC)


def test_parse_instant_rejects_garbage_with_an_example():
    with pytest.raises(ConfigurationError, match="ISO 8601 time such as"):
        parse_instant("yesterday")


def test_window_rejects_naive_and_reversed_bounds():
    with pytest.raises(ConfigurationError, match="time zone"):
        Window(datetime(2020, 1, 1), datetime(2020, 1, 2))
    with pytest.raises(ConfigurationError, match="must be after start"):
        Window(datetime(2020, 1, 2, tzinfo=UTC), datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(ConfigurationError, match="must be positive"):
        window_ending(datetime(2020, 1, 1, tzinfo=UTC), 0)


def test_windows_between_cover_every_instant_once():
    start = datetime(2020, 1, 1, tzinfo=UTC)
    end = datetime(2020, 1, 3, 1, tzinfo=UTC)

    windows = windows_between(start, end, 24 * 60)

    assert [w.start.day for w in windows] == [1, 2, 3]
    assert windows[-1].end == datetime(2020, 1, 4, tzinfo=UTC)
    assert all(a.end == b.start for a, b in zip(windows, windows[1:], strict=False))
