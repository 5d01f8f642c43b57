"""Splitting an OData expression into tokens, with the errors Graph's URI parser gives for text it
cannot read. Literal forms follow the OData ABNF (OData v4.01 part 2, §5.1.1 and the ABNF)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from graphpost.errors import InvalidQuery
from graphpost.odata.ast import EnumValue

END = "end"
PUNCTUATION = {"(": "(", ")": ")", ",": ",", ":": ":", "/": "/", "-": "-"}
KEYWORD_LITERALS: dict[str, tuple[str, Any]] = {"true": ("boolean", True), "false": ("boolean", False),
                                                "null": ("null", None)}

_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![\w-])")
_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?"
                       r"(?:([Zz])|([+-])(\d{2}):(\d{2}))?(?![\w:.])")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?![\w:-])")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?(?![\w.])")
_IDENTIFIER = re.compile(r"\$?[A-Za-z_][A-Za-z0-9_.]*")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Token:
    kind: str      # identifier, a literal kind (string, integer, …), a punctuation mark, or "end"
    text: str      # as written
    value: Any     # the literal's value, or the identifier
    position: int


def syntax_error(text: str, position: int) -> InvalidQuery:
    return InvalidQuery(f"Syntax error at position {position} in '{text}'.")


def _datetime(match: re.Match[str], text: str, position: int) -> datetime:
    year, month, day, hour, minute, second, fraction, zulu, sign, off_hour, off_minute = match.groups()
    try:
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro)
        if sign:
            offset = (int(off_hour) * 60 + int(off_minute)) * (1 if sign == "+" else -1)
            value -= timedelta(minutes=offset)
        # No offset at all is read as UTC: Graph stores and answers every mail time in UTC.
        return value.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        raise InvalidQuery(f"Unrecognized 'Edm.DateTimeOffset' literal '{match.group(0)}' at '{position}' "
                           f"in '{text}'.") from None


def _date(match: re.Match[str], text: str, position: int) -> date:
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise InvalidQuery(f"Unrecognized 'Edm.Date' literal '{match.group(0)}' at '{position}' in '{text}'.") from None


def _string(text: str, start: int) -> tuple[str, int]:
    """The string literal starting at `start` (a quote) and the position after it; '' is a quote."""
    parts, position = [], start + 1
    while True:
        quote = text.find("'", position)
        if quote < 0:
            raise InvalidQuery(f"There is an unterminated string literal at position {start} in '{text}'.")
        parts.append(text[position:quote])
        if text.startswith("''", quote):
            parts.append("'")
            position = quote + 2
            continue
        return "".join(parts), quote + 1


def _literal(text: str, position: int) -> Token | None:
    for pattern, kind in ((_GUID, "guid"), (_DATETIME, "datetime"), (_DATE, "date")):
        match = pattern.match(text, position)
        if match:
            value: Any = match.group(0)
            if kind == "datetime":
                value = _datetime(match, text, position)
            elif kind == "date":
                value = _date(match, text, position)
            return Token(kind, match.group(0), value, position)
    match = _NUMBER.match(text, position)
    if match:
        written = match.group(0)
        if match.group(1) or match.group(2):
            return Token("decimal", written, Decimal(written), position)
        return Token("integer", written, int(written), position)
    return None


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        space = _SPACE.match(text, position)
        if space:
            position = space.end()
            continue
        char = text[position]
        if char == "'":
            value, end = _string(text, position)
            tokens.append(Token("string", text[position:end], value, position))
            position = end
            continue
        # A GUID may begin with a hex letter (deadbeef-…): the ABNF's guidValue is 8HEXDIG "-" …, and
        # Graph's URI parser (ODL ExpressionLexer.TryIdentifierToken) tries a GUID before an identifier.
        if char.isdigit() or (char == "-" and position + 1 < len(text) and text[position + 1].isdigit()) \
                or _GUID.match(text, position):
            literal = _literal(text, position)
            if literal is None:
                raise syntax_error(text, position)
            tokens.append(literal)
            position += len(literal.text)
            continue
        if char in PUNCTUATION:
            tokens.append(Token(PUNCTUATION[char], char, char, position))
            position += 1
            continue
        identifier = _IDENTIFIER.match(text, position)
        if identifier:
            word = identifier.group(0)
            if "." in word and text.startswith("'", identifier.end()):
                # A qualified enumeration literal, Namespace.EnumType'member' (ABNF: enum =
                # [ qualifiedEnumTypeName ] SQUOTE enumValue SQUOTE); ODL wants no space before the quote.
                member, end = _string(text, identifier.end())
                tokens.append(Token("enum", text[position:end], EnumValue(word, member), position))
                position = end
                continue
            kind, literal = KEYWORD_LITERALS.get(word.lower(), ("identifier", word))
            tokens.append(Token(kind, word, literal, position))
            position = identifier.end()
            continue
        raise InvalidQuery(f"Syntax error: character '{char}' is not valid at position {position} in '{text}'.")
    tokens.append(Token(END, "", None, len(text)))
    return tokens
