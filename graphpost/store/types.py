"""Column types shared by the tables."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

# SQLAlchemy's own SQLite DATETIME text format: fixed width, so text order is time order.
_SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def sqlite_text(value: datetime) -> str:
    """The fixed-width text of _SQLITE_FORMAT, made by isoformat: half the cost of strftime,
    and with timespec it always writes the six digits of microseconds."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    if value.tzinfo is not timezone.utc:
        value = value.astimezone(timezone.utc)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timestamps are always UTC and always timezone-aware in Python, whatever the backend keeps.
    SQLite has no date type: there they are fixed-width UTC text, formatted here in one step
    (SQLAlchemy's DATETIME would format each value a second time, on the hot insert path)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(26))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    @staticmethod
    def checked(value: datetime | None) -> datetime | None:
        """The value in UTC; a naive datetime is a programming error, refused."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> Any:
        value = self.checked(value)
        return None if value is None else sqlite_text(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
