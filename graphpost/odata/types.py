"""Graph's types as the query options see them: primitive (Edm.*), enumerations, complex types
and collections, named as in Graph's CSDL (msgraph-metadata, schemas/v1.0-Prod.csdl)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Kind(Enum):
    STRING = "string"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    INT = "int"
    BINARY = "binary"
    ENUM = "enum"
    COMPLEX = "complex"
    COLLECTION = "collection"


@dataclass(frozen=True)
class EdmType:
    name: str
    kind: Kind
    members: tuple[str, ...] = ()                    # an enumeration's values, in Graph's order
    element: EdmType | None = None                   # a collection's element type
    properties: dict[str, EdmType] = field(default_factory=dict, hash=False, compare=False)

    def property(self, name: str) -> tuple[str, EdmType] | None:
        """A property of this complex type by name in any case, as (Graph's spelling, type)."""
        for declared, kind in self.properties.items():
            if declared.lower() == name.lower():
                return declared, kind
        return None

    def member(self, value: str) -> str | None:
        """An enumeration value in any case, in Graph's spelling."""
        return next((member for member in self.members if member.lower() == value.lower()), None)


def primitive(name: str, kind: Kind) -> EdmType:
    return EdmType(name, kind)


def enum(name: str, *members: str) -> EdmType:
    return EdmType(name, Kind.ENUM, members=members)


def complex_type(type_name: str, /, **properties: EdmType) -> EdmType:
    return EdmType(type_name, Kind.COMPLEX, properties=dict(properties))


def collection(element: EdmType) -> EdmType:
    return EdmType(f"Collection({element.name})", Kind.COLLECTION, element=element)


STRING = primitive("Edm.String", Kind.STRING)
BOOLEAN = primitive("Edm.Boolean", Kind.BOOLEAN)
DATETIME = primitive("Edm.DateTimeOffset", Kind.DATETIME)
INT32 = primitive("Edm.Int32", Kind.INT)
BINARY = primitive("Edm.Binary", Kind.BINARY)


@dataclass(frozen=True)
class EntityType:
    """An entity type with what graphpost can filter and sort on. `filterable` and `sortable` are
    property paths (`from/emailAddress/address`); the store has an SQL expression for each."""
    type: EdmType
    navigation: frozenset[str]
    filterable: frozenset[str]
    sortable: frozenset[str]
    default_select: tuple[str, ...]
    extra_select: tuple[str, ...] = ()               # only returned when $select names them

    @property
    def name(self) -> str:
        return self.type.name
