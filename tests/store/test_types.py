"""Timestamps as SQLite keeps them: fixed-width UTC text, so that text order is time order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from graphpost.store.types import sqlite_text


@pytest.mark.parametrize("value, text", [
    (datetime(2026, 11, 30, 16, 55, 41, 123456, tzinfo=timezone.utc), "2026-11-30 16:55:41.123456"),
    # Whole seconds keep their six zeros (isoformat alone would drop them).
    (datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "2026-01-02 03:04:05.000000"),
    # Another offset is turned into UTC first.
    (datetime(2026, 12, 31, 23, 30, 0, 1, tzinfo=timezone(timedelta(hours=-2))), "2027-01-01 01:30:00.000001"),
])
def test_sqlite_text_is_fixed_width_utc(value: datetime, text: str) -> None:
    assert sqlite_text(value) == text


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError):
        sqlite_text(datetime(2026, 1, 1))
