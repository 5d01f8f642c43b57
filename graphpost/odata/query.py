"""A collection query once read and checked: the conditions of `$filter`, the sort keys of
`$orderby`, `$search`, the page asked for and the keyset to continue after. The store turns it into
SQL; nothing here knows SQL or HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Union

from graphpost.odata.search import SearchNode
from graphpost.odata.types import EdmType


@dataclass(frozen=True)
class Property:
    path: str               # Graph's spelling: "subject", "from/emailAddress/address"
    type: EdmType


@dataclass(frozen=True)
class Element:
    """The range variable of a lambda over a collection of strings (categories/any(c: c eq 'Red'))."""
    type: EdmType


@dataclass(frozen=True)
class Compare:
    operator: str           # eq ne gt ge lt le
    operand: Property | Element
    value: Any              # str, bool, datetime or int of the operand's type; None for null


@dataclass(frozen=True)
class Function:
    name: str               # contains or startswith
    operand: Property | Element
    value: str


@dataclass(frozen=True)
class AnyElement:
    """`collection/any(v: condition)`; `any()` (no condition): the collection is not empty."""
    collection: Property
    condition: Condition | None


@dataclass(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Negation:
    condition: Condition


Condition = Union[Compare, Function, AnyElement, AllOf, AnyOf, Negation]


@dataclass(frozen=True)
class SortKey:
    path: str
    type: EdmType
    descending: bool


def properties_in_order(condition: Condition | None) -> list[str]:
    """The property paths a filter names, each once, in the order they are first written."""
    seen: dict[str, None] = {}

    def walk(node: Condition) -> Iterator[str]:
        if isinstance(node, (Compare, Function)):
            if isinstance(node.operand, Property):
                yield node.operand.path
        elif isinstance(node, AnyElement):
            yield node.collection.path
        elif isinstance(node, Negation):
            yield from walk(node.condition)
        else:
            for inner in node.conditions:
                yield from walk(inner)

    if condition is not None:
        for path in walk(condition):
            seen.setdefault(path, None)
    return list(seen)


@dataclass(frozen=True)
class Keyset:
    """Where a page starts: after the row whose sort key values (and id, last) are `values`;
    `served` rows came before it (for $search's cap on the whole result)."""
    values: tuple[Any, ...]
    served: int = 0


@dataclass(frozen=True)
class CollectionQuery:
    filter: Condition | None = None
    search: SearchNode | None = None
    orderby: tuple[SortKey, ...] = ()
    top: int = 10
    skip: int = 0
    after: Keyset | None = None
    count: bool = False
    select: tuple[str, ...] | None = None
    immutable_ids: bool = False          # `id` in $filter means the immutable id
    limit: int | None = None             # most rows the whole result may have ($search: 1000)

    @property
    def fetch(self) -> int:
        """Rows to ask for: one more than a page tells whether another page exists."""
        return self.page_size + 1

    @property
    def page_size(self) -> int:
        if self.limit is None:
            return self.top
        served = self.after.served if self.after else self.skip
        return max(0, min(self.top, self.limit - served))
