"""The syntax tree of a `$filter` or `$orderby` expression, before any type is known.

Every node keeps the position (0-based, in characters) where it starts, so that errors can name
it the way Graph's URI parser does ("Syntax error at position 7 in '…'")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union


@dataclass(frozen=True)
class EnumValue:
    """An enumeration literal written with its type name, `microsoft.graph.importance'high'`; only
    binding against a property's type tells whether the type and member exist."""
    type_name: str
    member: str

    @property
    def text(self) -> str:
        """The literal as written (a quote in the member doubled, as in any OData string)."""
        member = self.member.replace("'", "''")
        return f"{self.type_name}'{member}'"


@dataclass(frozen=True)
class Literal:
    """A constant: `kind` is string, boolean, null, integer, decimal, datetime, date, guid or enum
    (an EnumValue)."""
    kind: str
    value: Any
    position: int


@dataclass(frozen=True)
class Member:
    """A property path (`subject`, `from/emailAddress/address`), or a lambda variable and the
    path below it (`r/emailAddress/address`, `c`)."""
    segments: tuple[str, ...]
    position: int

    @property
    def text(self) -> str:
        return "/".join(self.segments)


@dataclass(frozen=True)
class Binary:
    """A comparison (eq ne gt ge lt le has in) or an arithmetic operator (add sub mul div mod)."""
    operator: str
    left: Node
    right: Node
    position: int


@dataclass(frozen=True)
class Logical:
    """`and` or `or` over two or more operands: a chain of one operator is one node, so a filter
    of a thousand `or`s is not a thousand levels deep."""
    operator: str
    operands: tuple[Node, ...]
    position: int


@dataclass(frozen=True)
class Not:
    operand: Node
    position: int


@dataclass(frozen=True)
class Negate:
    """Unary minus on something that is not a number literal."""
    operand: Node
    position: int


@dataclass(frozen=True)
class Call:
    name: str
    arguments: tuple[Node, ...]
    position: int


@dataclass(frozen=True)
class ListOf:
    """The parenthesised list on the right of `in`."""
    items: tuple[Node, ...]
    position: int


@dataclass(frozen=True)
class Lambda:
    """`collection/any(v: body)` or `collection/all(v: body)`; `any()` has no variable nor body."""
    collection: Member
    operator: str
    variable: str | None
    body: Node | None
    position: int


Node = Union[Literal, Member, Binary, Logical, Not, Negate, Call, ListOf, Lambda]


@dataclass(frozen=True)
class OrderItem:
    member: Member
    descending: bool
