"""`$search` (odata/search.py) over messages in SQL. Words and phrases match as case-insensitive
substrings: Exchange's index matches word prefixes, which a substring match finds too; the body is
searched in its stored form (HTML bodies include their markup)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from graphpost.odata import search as kql
from graphpost.store import json_sql
from graphpost.store.message_columns import EARLIEST
from graphpost.store.schema import attachments, messages

_RECIPIENTS = {"to": ("toRecipients",), "cc": ("ccRecipients",), "bcc": ("bccRecipients",),
               "recipients": ("toRecipients", "ccRecipients", "bccRecipients")}


def _contains(expression: sa.ColumnElement[Any], words: str) -> sa.ColumnElement[bool]:
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.func.lower(expression).like(sa.func.lower(sa.literal(f"%{escaped}%", sa.String)), escape="\\")


class _Search:
    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    def json(self, *path: str) -> sa.ColumnElement[str]:
        return json_sql.text(messages.c.data, path, self.dialect)

    def sender(self, words: str) -> sa.ColumnElement[bool]:
        return sa.or_(_contains(sa.func.coalesce(messages.c.from_address, ""), words),
                      _contains(sa.func.coalesce(self.json("from", "emailAddress", "name"), ""), words))

    def recipients(self, keys: tuple[str, ...], words: str) -> sa.ColumnElement[bool]:
        def matches(at: json_sql.ValueAt) -> sa.ColumnElement[bool]:
            return sa.or_(_contains(sa.func.coalesce(at(("emailAddress", "address")), ""), words),
                          _contains(sa.func.coalesce(at(("emailAddress", "name")), ""), words))
        return sa.or_(*(json_sql.any_element(messages.c.data, key, self.dialect, matches, objects=True)
                        for key in keys))

    def text(self, node: kql.Text) -> sa.ColumnElement[bool]:
        words, field = node.value, node.field
        if field is None:
            # Graph's default search properties: from, subject and body.
            return sa.or_(self.sender(words), _contains(messages.c.subject, words), self.body(words))
        if field == "subject":
            return _contains(messages.c.subject, words)
        if field == "body":
            return self.body(words)
        if field == "from":
            return self.sender(words)
        if field == "participants":
            return sa.or_(self.sender(words), self.recipients(_RECIPIENTS["recipients"], words))
        if field == "attachment":
            return (sa.select(sa.literal(1)).select_from(attachments)
                    .where(attachments.c.message_id == messages.c.id, _contains(attachments.c.name, words)).exists())
        if field == "category":
            return json_sql.any_element(messages.c.data, "categories", self.dialect,
                                        lambda at: sa.func.lower(at(())) == sa.func.lower(sa.literal(words, sa.String)))
        return self.recipients(_RECIPIENTS[field], words)

    def body(self, words: str) -> sa.ColumnElement[bool]:
        return _contains(sa.func.coalesce(self.json("body", "content"), ""), words)

    def flag(self, node: kql.Flag) -> sa.ColumnElement[bool]:
        if node.field == "hasattachments":
            return messages.c.has_attachments == (node.value == "true")
        if node.field == "importance":
            return messages.c.importance == node.value
        # kind: everything here is an email.
        return sa.true() if node.value == "email" else sa.false()

    def dates(self, node: kql.DateRange) -> sa.ColumnElement[bool]:
        column = messages.c.received_at if node.field == "received" else sa.func.coalesce(
            messages.c.sent_at, sa.literal(EARLIEST, messages.c.sent_at.type), type_=messages.c.sent_at.type)
        bounds = []
        if node.start is not None:
            bounds.append(column >= node.start)
        if node.end is not None:
            bounds.append(column < node.end)
        return sa.and_(*bounds) if bounds else sa.true()

    def where(self, node: kql.SearchNode) -> sa.ColumnElement[bool]:
        if isinstance(node, kql.Text):
            return self.text(node)
        if isinstance(node, kql.Flag):
            return self.flag(node)
        if isinstance(node, kql.DateRange):
            return self.dates(node)
        if isinstance(node, kql.All):
            return sa.and_(*(self.where(item) for item in node.items))
        if isinstance(node, kql.AnyOf):
            return sa.or_(*(self.where(item) for item in node.items))
        if isinstance(node, kql.Exclude):
            return sa.not_(self.where(node.item))
        return sa.false()


def search_condition(node: kql.SearchNode, dialect: str) -> sa.ColumnElement[bool]:
    return _Search(dialect).where(node)
