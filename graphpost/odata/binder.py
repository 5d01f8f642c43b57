"""Checking a parsed `$filter`, `$orderby` or `$select` against an entity type: properties
resolved (in any case) to Graph's spelling, literals checked against the property's type, and
Graph's answers for what does not fit. Two kinds of refusal, as Exchange gives them: what its URI
parser cannot bind (an unknown property, incompatible types, an unknown function) is
InvalidQuery (RequestBroker--ParseUri); valid OData it cannot turn into a restriction (endswith,
all, any() over recipients, arithmetic, `in`, a property compared with a property) is
UnsupportedFilter (ErrorInvalidUrlQueryFilter)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Iterator

from graphpost.errors import InefficientFilter, InvalidQuery, InvalidUrlQuery, RestrictionTooComplex, UnsupportedFilter
from graphpost.odata import ast
from graphpost.odata.limits import MAX_COMPARISONS, MAX_PATTERN_LENGTH
from graphpost.odata.query import (AllOf, AnyElement, AnyOf, Compare, Condition, Element, Function, Negation,
                                   Property, SortKey)
from graphpost.odata.types import BOOLEAN, EdmType, EntityType, Kind

_COMPARISONS = {"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual",
                "lt": "LessThan", "le": "LessThanOrEqual"}
_FLIPPED = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}
_STRING_FUNCTIONS = ("contains", "startswith")
# OData's canonical functions (v4.01 part 2, §5.1.1.5 to §5.1.1.13): known to the URI parser, so a
# call is valid OData even where Exchange cannot evaluate it.
_ODATA_FUNCTIONS = frozenset({
    "concat", "contains", "endswith", "indexof", "length", "startswith", "substring", "matchespattern", "tolower",
    "toupper", "trim", "date", "day", "fractionalseconds", "hour", "maxdatetime", "mindatetime", "minute", "month",
    "now", "second", "time", "totaloffsetminutes", "totalseconds", "year", "ceiling", "floor", "round", "cast",
    "isof", "geo.distance", "geo.intersects", "geo.length", "hassubset", "hassubsequence",
})
_LITERAL_TYPES = {"string": "Edm.String", "boolean": "Edm.Boolean", "integer": "Edm.Int32", "decimal": "Edm.Decimal",
                  "datetime": "Edm.DateTimeOffset", "date": "Edm.Date", "guid": "Edm.Guid"}
_OPERATORS_BY_KIND = {Kind.STRING: set(_COMPARISONS), Kind.DATETIME: set(_COMPARISONS), Kind.INT: set(_COMPARISONS),
                      Kind.BOOLEAN: {"eq", "ne"}, Kind.ENUM: {"eq", "ne"}}


def _unknown(name: str, owner: EdmType) -> InvalidQuery:
    return InvalidQuery(f"Could not find a property named '{name}' on type '{owner.name}'.")


def _literal_type(literal: ast.Literal) -> str:
    if literal.kind == "enum":
        return literal.value.type_name
    if literal.kind == "integer" and not -2**31 <= literal.value < 2**31:
        return "Edm.Int64"
    return _LITERAL_TYPES.get(literal.kind, "Edm.Untyped")


def _unknown_function(name: str) -> InvalidQuery:
    return InvalidQuery(f"An unknown function with name '{name}' was found. This may also be a function import or "
                        "a key lookup on a navigation property, which is not allowed.")


def _incompatible(left: str, right: str, operator: str) -> InvalidQuery:
    return InvalidQuery(f"A binary operator with incompatible types was detected. Found operand types '{left}' "
                        f"and '{right}' for operator kind '{operator}'.")


def _enum_member(kind: EdmType, literal: ast.Literal) -> str:
    """The member a string (`'high'`) or a qualified enum literal (`microsoft.graph.importance'high'`)
    names, in Graph's spelling. ODL refuses another type's name as it refuses an unknown member,
    naming the literal as written; type names, like members, are read in any case."""
    if literal.kind == "string":
        member, written = kind.member(literal.value), literal.value
    else:
        value: ast.EnumValue = literal.value
        member = kind.member(value.member) if value.type_name.lower() == kind.name.lower() else None
        written = value.text
    if member is None:
        raise InvalidQuery(f"The string '{written}' is not a valid enumeration type constant.")
    return member


class _Binder:
    def __init__(self, entity: EntityType) -> None:
        self.entity = entity
        self.comparisons = 0
        # The range variable of the lambda being bound, if any, and the type of its elements.
        self.variable: str | None = None
        self.element_type: EdmType = BOOLEAN

    # -- properties ------------------------------------------------------------------------------
    def resolve(self, member: ast.Member) -> tuple[str, EdmType]:
        """The path in Graph's spelling and the type it leads to; InvalidQuery if it leads nowhere.
        Inside a lambda, a path starting with its variable is relative to the element ("" for the
        element itself)."""
        if self.variable is not None and member.segments[0] == self.variable:
            return self.walk(member.segments[1:], self.element_type)
        if member.segments[0].lower() in {name.lower() for name in self.entity.navigation}:
            raise UnsupportedFilter()
        return self.walk(member.segments, self.entity.type)

    @staticmethod
    def walk(segments: tuple[str, ...], current: EdmType) -> tuple[str, EdmType]:
        names: list[str] = []
        for segment in segments:
            if current.kind == Kind.COLLECTION:
                raise InvalidQuery(f"The parent value for a property access of a property '{segment}' is not a "
                                   "single value. Property access can only be applied to a single value.")
            found = current.property(segment) if current.kind == Kind.COMPLEX else None
            if found is None:
                raise _unknown(segment, current)
            name, current = found
            names.append(name)
        return "/".join(names), current

    def operand(self, node: ast.Node) -> Property | Element | ast.Literal | None:
        """A comparison's side: a property (or the lambda's element), a literal, or None when it is
        something Exchange cannot compare (a call, arithmetic)."""
        if isinstance(node, ast.Literal):
            return node
        if isinstance(node, ast.Member):
            path, kind = self.resolve(node)
            if self.variable is not None and node.segments[0] == self.variable:
                return Element(kind)
            return Property(path, kind)
        self.check_members(node)
        return None

    def check_members(self, node: ast.Node) -> None:
        """Resolve every property and function below `node`, so that an unknown one is named before
        anything else is refused (the URI parser binds the whole tree before Exchange looks at it)."""
        for part in _parts(node):
            if isinstance(part, ast.Member):
                self.resolve(part)
            elif part.name.lower() not in _ODATA_FUNCTIONS:
                raise _unknown_function(part.name)

    def filterable(self, operand: Property | Element) -> None:
        if isinstance(operand, Property) and operand.path not in self.entity.filterable:
            raise UnsupportedFilter()

    # -- conditions ------------------------------------------------------------------------------
    def condition(self, node: ast.Node) -> Condition:
        if isinstance(node, ast.Logical):
            parts = tuple(self.boolean_operand(operand, node.operator) for operand in node.operands)
            return AllOf(parts) if node.operator == "and" else AnyOf(parts)
        if isinstance(node, ast.Not):
            return Negation(self.boolean_operand(node.operand, "Not"))
        if isinstance(node, ast.Binary):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Lambda):
            return self.lambda_(node)
        if isinstance(node, ast.Member):
            operand = self.operand(node)
            assert isinstance(operand, (Property, Element))
            if operand.type.kind != Kind.BOOLEAN:
                raise InvalidQuery("The $filter expression must evaluate to a single boolean value.")
            self.filterable(operand)
            return self.counted(Compare("eq", operand, True))
        self.check_members(node)
        if isinstance(node, ast.Literal) and node.kind != "boolean":
            raise InvalidQuery("The $filter expression must evaluate to a single boolean value.")
        raise UnsupportedFilter()

    def boolean_operand(self, node: ast.Node, operator: str) -> Condition:
        if isinstance(node, ast.Literal) and node.kind not in ("boolean", "null"):
            kind = "And" if operator == "and" else "Or" if operator == "or" else operator
            if operator == "Not":
                raise InvalidQuery(f"A unary operator with an incompatible type was detected. Found operand type "
                                   f"'{_literal_type(node)}' for operator kind 'Not'.")
            raise _incompatible(_literal_type(node), "Edm.Boolean", kind)
        return self.condition(node)

    def counted(self, condition: Condition) -> Condition:
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise InefficientFilter()
        return condition

    def binary(self, node: ast.Binary) -> Condition:
        if node.operator not in _COMPARISONS:
            # has, in and arithmetic are OData, but no Exchange restriction.
            self.check_members(node)
            raise UnsupportedFilter()
        left, right = self.operand(node.left), self.operand(node.right)
        if left is None or right is None:
            raise UnsupportedFilter()
        if isinstance(left, ast.Literal) and isinstance(right, (Property, Element)):
            value = self.value(right.type, left, (_literal_type(left), right.type.name), node.operator)
            return self.comparison(_FLIPPED[node.operator], right, value)
        if isinstance(left, (Property, Element)) and isinstance(right, ast.Literal):
            value = self.value(left.type, right, (left.type.name, _literal_type(right)), node.operator)
            return self.comparison(node.operator, left, value)
        raise UnsupportedFilter()

    def value(self, kind: EdmType, literal: ast.Literal, written: tuple[str, str], operator: str) -> Any:
        """The literal as a value of the property's type, or Graph's 400 for incompatible types."""
        if literal.kind == "null":
            if operator not in ("eq", "ne"):
                raise UnsupportedFilter()
            return None
        if kind.kind == Kind.STRING and literal.kind == "string":
            return literal.value
        if kind.kind == Kind.BOOLEAN and literal.kind == "boolean":
            return literal.value
        if kind.kind == Kind.INT and literal.kind == "integer":
            if _literal_type(literal) != "Edm.Int32":
                # Every integer property here is an Edm.Int32 kept in a 32-bit column (Exchange's
                # PT_LONG counts): a wider literal can be no restriction on it, and the databases
                # refuse it as a parameter (SQLite past 64 bits, PostgreSQL past 32).
                raise UnsupportedFilter()
            return literal.value
        if kind.kind == Kind.DATETIME and literal.kind == "datetime":
            return literal.value
        if kind.kind == Kind.DATETIME and literal.kind == "date":
            # A date against a point in time: its midnight, in UTC (Graph's mail times are UTC).
            day: date = literal.value
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        if kind.kind == Kind.ENUM and literal.kind in ("string", "enum"):
            return _enum_member(kind, literal)
        raise _incompatible(written[0], written[1], _COMPARISONS[operator])

    def comparison(self, operator: str, operand: Property | Element, value: Any) -> Condition:
        if operator not in _OPERATORS_BY_KIND.get(operand.type.kind, set()):
            raise UnsupportedFilter()
        self.filterable(operand)
        return self.counted(Compare(operator, operand, value))

    def call(self, node: ast.Call) -> Condition:
        name = node.name.lower()
        for argument in node.arguments:
            self.check_members(argument)
        if name not in _ODATA_FUNCTIONS:
            raise _unknown_function(node.name)
        if name not in _STRING_FUNCTIONS:
            raise UnsupportedFilter()
        operands = [self.operand(argument) for argument in node.arguments]
        types = [_literal_type(item) if isinstance(item, ast.Literal) else item.type.name if item else None
                 for item in operands]
        if len(operands) != 2 or types != ["Edm.String", "Edm.String"]:
            raise InvalidQuery(f"No function signature for the function with name '{name}' matches the specified "
                               f"arguments. The function signatures considered are: {name}(Edm.String Nullable=true, "
                               "Edm.String Nullable=true).")
        subject, text = operands
        if not isinstance(subject, (Property, Element)) or not isinstance(text, ast.Literal):
            raise UnsupportedFilter()
        self.filterable(subject)
        if len(text.value) > MAX_PATTERN_LENGTH:
            raise RestrictionTooComplex()
        return self.counted(Function(name, subject, text.value))

    def lambda_(self, node: ast.Lambda) -> Condition:
        path, kind = self.resolve(node.collection)
        if kind.kind != Kind.COLLECTION or kind.element is None:
            raise InvalidQuery("Any/All may only be used following a collection.")
        condition = None
        if self.variable is not None:
            # A lambda within a lambda: no Exchange restriction, and each is a nested EXISTS in SQL.
            raise UnsupportedFilter()
        if node.body is not None:
            outer = (self.variable, self.element_type)
            self.variable, self.element_type = node.variable, kind.element
            try:
                if kind.element.kind == Kind.COMPLEX:
                    self.check_members(node.body)
                else:
                    condition = self.condition(node.body)
            finally:
                self.variable, self.element_type = outer
        if node.operator != "any" or path not in self.entity.filterable:
            raise UnsupportedFilter()
        return AnyElement(Property(path, kind), condition)


def _parts(node: ast.Node) -> Iterator[ast.Member | ast.Call]:
    """Every property path and function call below `node`, lambda bodies excepted (their
    variable is not a property)."""
    if isinstance(node, ast.Member):
        yield node
    elif isinstance(node, ast.Binary):
        yield from _parts(node.left)
        yield from _parts(node.right)
    elif isinstance(node, ast.Logical):
        for operand in node.operands:
            yield from _parts(operand)
    elif isinstance(node, (ast.Not, ast.Negate)):
        yield from _parts(node.operand)
    elif isinstance(node, ast.Call):
        yield node
        for argument in node.arguments:
            yield from _parts(argument)
    elif isinstance(node, ast.ListOf):
        for item in node.items:
            yield from _parts(item)
    elif isinstance(node, ast.Lambda):
        yield node.collection


def bind_filter(node: ast.Node, entity: EntityType) -> Condition:
    """The conditions of a parsed `$filter` over `entity`."""
    return _Binder(entity).condition(node)


def bind_orderby(items: list[ast.OrderItem], entity: EntityType) -> tuple[SortKey, ...]:
    binder = _Binder(entity)
    keys = []
    for item in items:
        if item.member.segments[0].lower() in {name.lower() for name in entity.navigation}:
            raise InvalidQuery("The $orderby expression must evaluate to a single value of primitive type.")
        path, kind = binder.resolve(item.member)
        if kind.kind in (Kind.COMPLEX, Kind.COLLECTION):
            raise InvalidQuery("The $orderby expression must evaluate to a single value of primitive type.")
        if path not in entity.sortable:
            raise InvalidUrlQuery(f"The property '{path}' cannot be used in $orderby.")
        keys.append(SortKey(path, kind, item.descending))
    return tuple(keys)


def bind_select(items: list[str], entity: EntityType) -> tuple[str, ...]:
    """The properties `$select` names, in Graph's spelling and the order given, each once; `*` is
    every default property. Navigation properties are accepted and give nothing back."""
    chosen: dict[str, None] = {}
    navigation = {name.lower(): name for name in entity.navigation}
    for item in items:
        if item == "*":
            chosen.update(dict.fromkeys(entity.default_select))
            continue
        first = item.split("/", 1)[0]
        if first.lower() in navigation:
            continue
        found = entity.type.property(first)
        if found is None:
            raise _unknown(first, entity.type)
        chosen.setdefault(found[0], None)
    return tuple(chosen)
