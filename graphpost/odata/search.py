"""`$search` on messages: the Keyword Query Language subset Graph documents for mail
(learn.microsoft.com/graph/search-query-parameter). Free words and "phrases" match the default
properties (from, subject, body); `property:value` restricts one (subject, body, from, to, cc, bcc,
participants, recipients, attachment, category, importance, hasAttachments, received, sent, kind);
AND, OR, NOT (upper case, as KQL wants them), `-` to exclude, parentheses. A property KQL does not
know is read as plain text, as KQL does. Length, terms and nesting are bounded (odata/limits.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Union

from graphpost.errors import InvalidUrlQuery
from graphpost.odata.limits import MAX_DEPTH, MAX_SEARCH_LENGTH, MAX_SEARCH_TERMS as MAX_TERMS

TEXT_FIELDS = frozenset({"subject", "body", "from", "to", "cc", "bcc", "participants", "recipients", "attachment",
                         "category"})
_ALIASES = {"hasattachment": "hasattachments", "categories": "category", "attachments": "attachment"}
FIELDS = TEXT_FIELDS | {"hasattachments", "importance", "received", "sent", "kind"}
_RESTRICTION = re.compile(r"([A-Za-z]+)(:|<>|>=|<=|=|>|<)(.*)", re.S)
# The layouts KQL reads a date in, each with how long a value so written lasts: a date is its
# whole day, a time of day its whole second (received:2020-01-15T10:00:00Z is that second).
_DATE_FORMATS = (("%Y-%m-%d", timedelta(days=1)), ("%m/%d/%Y", timedelta(days=1)),
                 ("%Y-%m-%dT%H:%M:%SZ", timedelta(seconds=1)), ("%Y-%m-%dT%H:%M:%S", timedelta(seconds=1)))


@dataclass(frozen=True)
class Text:
    """Words or a phrase to find in `field` (None: the default properties)."""
    field: str | None
    value: str


@dataclass(frozen=True)
class Flag:
    """hasAttachments, importance or kind equal to a value."""
    field: str
    value: str


@dataclass(frozen=True)
class DateRange:
    """received or sent within [start, end); either bound may be open."""
    field: str
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class All:
    items: tuple[SearchNode, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[SearchNode, ...]


@dataclass(frozen=True)
class Exclude:
    item: SearchNode


@dataclass(frozen=True)
class Nothing:
    """A restriction no message can meet (a date KQL cannot read, a kind other than email)."""


SearchNode = Union[Text, Flag, DateRange, All, AnyOf, Exclude, Nothing]


def _unquoted(word: str) -> str:
    """A word in single quotes, as OData literals are written (O365 sends $search='pizza'), is
    the word: KQL's tokenizer drops the quotes."""
    return word[1:-1] if len(word) > 2 and word[0] == word[-1] == "'" else word


def _span(value: str) -> tuple[datetime, datetime] | None:
    """The time a written date or time of day stands for, [start, end)."""
    for layout, length in _DATE_FORMATS:
        try:
            start = datetime.strptime(value, layout).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
        return start, start + length
    return None


def _dates(field: str, operator: str, value: str) -> SearchNode:
    # Every comparison is with the whole span, as `:` is: `>` starts after it, `<=` ends with it,
    # `<>` leaves it out, and a range runs from the start of its first span to the end of its last.
    if ".." in value and operator in (":", "="):
        low, high = (_span(part) for part in value.split("..", 1))
        return DateRange(field, low[0], high[1]) if low and high else Nothing()
    span = _span(value)
    if span is None:
        return Nothing()
    start, end = span
    if operator in (":", "="):
        return DateRange(field, start, end)
    if operator == "<>":
        return Exclude(DateRange(field, start, end))
    return {">": DateRange(field, end, None), ">=": DateRange(field, start, None),
            "<": DateRange(field, None, start), "<=": DateRange(field, None, end)}[operator]


def _restriction(field: str, operator: str, value: str) -> SearchNode:
    if field in ("received", "sent"):
        return _dates(field, operator, value)
    lowered = value.lower()
    if field == "hasattachments":
        if lowered not in ("true", "false", "yes", "no"):
            return Nothing()
        node: SearchNode = Flag(field, "true" if lowered in ("true", "yes") else "false")
    elif field == "importance":
        node = Flag(field, {"medium": "normal"}.get(lowered, lowered))
    elif field == "kind":
        node = Flag(field, lowered)
    else:
        node = Text(field, value)
    return Exclude(node) if operator == "<>" else node


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.terms = 0
        self.depth = 0

    def error(self) -> InvalidUrlQuery:
        return InvalidUrlQuery(f"Syntax error in $search at position {self.position} in '{self.text}'.")

    def skip_space(self) -> None:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1

    def at(self, char: str) -> bool:
        self.skip_space()
        return self.text.startswith(char, self.position)

    def opens_phrase(self) -> bool:
        return self.text.startswith('"', self.position) or self.text.startswith('\\"', self.position)

    def phrase(self) -> str:
        """A "quoted phrase" from the opening quote on (quotes may come escaped, \\")."""
        end = self.text.index('"', self.position) + 1
        parts: list[str] = []
        while end < len(self.text):
            char = self.text[end]
            if char == "\\" and self.text.startswith('"', end + 1):
                end += 1
                continue
            if char == '"':
                self.position = end + 1
                return "".join(parts)
            parts.append(char)
            end += 1
        raise self.error()

    def word(self) -> str:
        start = self.position
        while self.position < len(self.text) and not self.text[self.position].isspace() \
                and self.text[self.position] not in "()":
            if self.position > start and self.opens_phrase():
                break
            self.position += 1
        return self.text[start:self.position]

    def keyword(self, name: str) -> bool:
        self.skip_space()
        end = self.position + len(name)
        if self.text.startswith(name, self.position) and (end == len(self.text) or self.text[end].isspace()
                                                          or self.text[end] == "("):
            self.position = end
            return True
        return False

    def any_of(self) -> SearchNode:
        items = [self.all_of()]
        while self.keyword("OR"):
            items.append(self.all_of())
        return items[0] if len(items) == 1 else AnyOf(tuple(items))

    def all_of(self) -> SearchNode:
        items = [self.unary()]
        while True:
            self.skip_space()
            if self.position >= len(self.text) or self.at(")") or self.keyword_ahead("OR"):
                break
            self.keyword("AND")
            items.append(self.unary())
        return items[0] if len(items) == 1 else All(tuple(items))

    def keyword_ahead(self, name: str) -> bool:
        saved = self.position
        found = self.keyword(name)
        self.position = saved
        return found

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InvalidUrlQuery(f"The $search query is nested more than {MAX_DEPTH} levels deep.")

    def unary(self) -> SearchNode:
        if self.keyword("NOT") or self.at("-"):
            if self.at("-"):
                self.position += 1
            self.deeper()
            excluded = Exclude(self.unary())
            self.depth -= 1
            return excluded
        if self.at("+"):
            self.position += 1
        return self.primary()

    def primary(self) -> SearchNode:
        self.skip_space()
        if self.position >= len(self.text):
            raise self.error()
        if self.at("("):
            self.position += 1
            self.deeper()
            inner = self.any_of()
            if not self.at(")"):
                raise self.error()
            self.position += 1
            self.depth -= 1
            return inner
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise InvalidUrlQuery(f"The $search query has more than {MAX_TERMS} terms.")
        if self.opens_phrase():
            return Text(None, self.phrase())
        if self.at(")"):
            raise self.error()
        word = self.word()
        if not word:
            raise self.error()
        restriction = _RESTRICTION.fullmatch(word)
        if restriction:
            field = _ALIASES.get(restriction.group(1).lower(), restriction.group(1).lower())
            value = restriction.group(3)
            if not value and self.opens_phrase():
                value = self.phrase()
            if field in FIELDS and value:
                return _restriction(field, restriction.group(2), _unquoted(value))
        return Text(None, _unquoted(word))


def _one_string(query: str) -> bool:
    """Whether double quotes wrap the whole query as one string, as Graph's docs write $search
    ($search="subject:lunch", a phrase within escaped: $search="\\"on Friday\\""). `"lunch" OR
    "pizza"` is two phrases: the quotes in between are not escaped."""
    return len(query) >= 2 and query[0] == query[-1] == '"' and '"' not in query[1:-1].replace('\\"', "")


def parse_search(text: str) -> SearchNode:
    """The KQL of a `$search` value; the value may be wrapped in double quotes, as Graph's docs
    write it ($search="pizza")."""
    if len(text) > MAX_SEARCH_LENGTH:
        raise InvalidUrlQuery(f"The $search query is longer than {MAX_SEARCH_LENGTH} characters.")
    query = text.strip()
    if _one_string(query):
        query = query[1:-1]
    reader = _Reader(query)
    if not query.strip():
        raise reader.error()
    node = reader.any_of()
    reader.skip_space()
    if reader.position != len(query):
        raise reader.error()
    return node
