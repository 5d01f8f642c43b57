"""Message properties as SQL expressions, for `$filter`, `$orderby` and `$search`: a column where
the property has one, the JSON `data` otherwise (json_sql.py), and how each compares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any

import sqlalchemy as sa

from graphpost.odata.entities import FLAG_STATUS, IMPORTANCE, INFERENCE_CLASSIFICATION
from graphpost.store import json_sql
from graphpost.store.schema import messages
from graphpost.store.types import UTCDateTime

# Where sentDateTime is missing it sorts as the earliest time, on both backends alike.
EARLIEST = datetime(1, 1, 1, tzinfo=timezone.utc)


class Style(Enum):
    TEXT = "text"             # compared without regard to case: subject, names, addresses
    LOWERED = "lowered"       # a lower-case copy (from_address): the argument is lowered, not the column
    EXACT = "exact"           # ids, compared as they are
    PLAIN = "plain"           # booleans and times in columns
    ENUM = "enum"             # enumeration values, in any case; sorted by their rank in Graph's enum
    FLAG = "flag"             # a JSON boolean, read as 'true' / 'false'


@dataclass(frozen=True)
class Column:
    expression: sa.ColumnElement[Any]
    style: Style
    nullable: bool = False
    members: tuple[str, ...] = ()     # an enumeration's values in Graph's order


def message_columns(dialect: str, immutable_ids: bool = False) -> dict[str, Column]:
    """Every filterable and sortable message property path (odata/entities.py MESSAGE) as SQL."""
    data = messages.c.data

    def json_text(*path: str) -> sa.ColumnElement[str]:
        return json_sql.text(data, path, dialect)

    def json_flag(name: str) -> Column:
        return Column(json_sql.boolean_text(data, (name,), dialect), Style.FLAG)

    return {
        "id": Column(messages.c.immutable_id if immutable_ids else messages.c.id, Style.EXACT),
        "createdDateTime": Column(messages.c.created_at, Style.PLAIN),
        "lastModifiedDateTime": Column(messages.c.modified_at, Style.PLAIN),
        "receivedDateTime": Column(messages.c.received_at, Style.PLAIN),
        "sentDateTime": Column(messages.c.sent_at, Style.PLAIN, nullable=True),
        "changeKey": Column(messages.c.change_key, Style.EXACT),
        "hasAttachments": Column(messages.c.has_attachments, Style.PLAIN),
        "isRead": Column(messages.c.is_read, Style.PLAIN),
        "isDraft": Column(messages.c.is_draft, Style.PLAIN),
        "internetMessageId": Column(messages.c.internet_message_id, Style.TEXT),
        "subject": Column(messages.c.subject, Style.TEXT),
        "bodyPreview": Column(sa.func.coalesce(json_text("bodyPreview"), "", type_=sa.String), Style.TEXT),
        "importance": Column(messages.c.importance, Style.ENUM, members=IMPORTANCE.members),
        "parentFolderId": Column(messages.c.folder_id, Style.EXACT),
        "conversationId": Column(messages.c.conversation_id, Style.EXACT),
        "isDeliveryReceiptRequested": json_flag("isDeliveryReceiptRequested"),
        "isReadReceiptRequested": json_flag("isReadReceiptRequested"),
        # Absent values read as the defaults a GET shows (api/resources.py).
        "inferenceClassification": Column(sa.func.coalesce(json_text("inferenceClassification"), "focused",
                                                           type_=sa.String),
                                          Style.ENUM, members=INFERENCE_CLASSIFICATION.members),
        "flag/flagStatus": Column(sa.func.coalesce(json_text("flag", "flagStatus"), "notFlagged", type_=sa.String),
                                  Style.ENUM, members=FLAG_STATUS.members),
        "from/emailAddress/address": Column(messages.c.from_address, Style.LOWERED, nullable=True),
        "from/emailAddress/name": Column(json_text("from", "emailAddress", "name"), Style.TEXT, nullable=True),
        "sender/emailAddress/address": Column(json_text("sender", "emailAddress", "address"), Style.TEXT,
                                              nullable=True),
        "sender/emailAddress/name": Column(json_text("sender", "emailAddress", "name"), Style.TEXT, nullable=True),
    }


def binary_order(expression: sa.ColumnElement[Any], dialect: str) -> sa.ColumnElement[Any]:
    """Text compared byte by byte on both backends (PostgreSQL's locale collations order spaces and
    punctuation otherwise than SQLite does)."""
    return sa.collate(expression, "C") if dialect == "postgresql" else expression


def sort_expression(column: Column, dialect: str) -> sa.ColumnElement[Any]:
    """What ORDER BY and the keyset of a page compare; never NULL, so that keysets stay simple."""
    if column.style == Style.TEXT:
        return binary_order(sa.func.lower(sa.func.coalesce(column.expression, "", type_=sa.String)), dialect)
    if column.style == Style.LOWERED:
        return binary_order(sa.func.coalesce(column.expression, "", type_=sa.String), dialect)
    if column.style == Style.ENUM:
        ranks = {member.lower(): rank for rank, member in enumerate(column.members)}
        return sa.case(ranks, value=sa.func.lower(column.expression), else_=len(ranks))
    if column.nullable:
        return sa.func.coalesce(column.expression, sa.literal(EARLIEST, UTCDateTime), type_=UTCDateTime)
    return column.expression
