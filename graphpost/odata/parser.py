"""Recursive-descent parsing of `$filter` and `$orderby` (and the lists of `$select`) into the
syntax tree of ast.py, following OData's operator precedence (OData v4.01 part 2, §5.1.1.16):
grouping, member access and calls, unary (`-`, `not`), multiplicative, additive, relational
(`gt ge lt le has in`), equality (`eq ne`), `and`, `or`.

Hand-written rather than odata-query's SLY grammar: that lexer takes identifiers that merely begin
with a keyword (`allowed`, `nullable`, `anything`) for the keyword, and Graph's error messages need
the positions this parser keeps. Operators and keywords are read in any case and property names
are resolved case-insensitively later, as Graph does (its own docs write `Subject eq 'welcome'`).

Nesting is bounded (MAX_DEPTH, odata/limits.py): Graph's parser has a depth limit too, and neither
Python's stack nor SQLite's SQL parser must be what refuses a deep filter. Chains of `and`/`or` are
flat nodes, so they cost no depth. The number of $orderby keys and of $select items is bounded too."""

from __future__ import annotations

import re

from graphpost.errors import InvalidQuery, RestrictionTooComplex
from graphpost.odata import ast
from graphpost.odata.lexer import END, Token, syntax_error, tokenize
from graphpost.odata.limits import MAX_DEPTH, MAX_ORDERBY_KEYS, MAX_SELECT_ITEMS

# Binding strength of the binary operators, loosest first.
_PRECEDENCE = {"or": 1, "and": 2, "eq": 3, "ne": 3, "gt": 4, "ge": 4, "lt": 4, "le": 4, "has": 4, "in": 4,
               "add": 5, "sub": 5, "mul": 6, "div": 6, "divby": 6, "mod": 6}
_LAMBDAS = ("any", "all")
_SELECT_ITEM = re.compile(r"\*|[\w.$-]+(?:/[\w.$-]+)*")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    # -- tokens ------------------------------------------------------------------------------
    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def keyword(self) -> str | None:
        """The current token as a lower-case keyword, if it is an identifier."""
        return self.token.value.lower() if self.token.kind == "identifier" else None

    def error(self, message: str, position: int | None = None) -> InvalidQuery:
        where = self.token.position if position is None else position
        return InvalidQuery(f"{message} at position {where} in '{self.text}'.")

    def expect(self, kind: str, message: str) -> Token:
        if self.token.kind != kind:
            raise self.error(message)
        return self.advance()

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InvalidQuery("Recursion depth exceeded allowed limit.")

    # -- expressions -------------------------------------------------------------------------
    def expression(self, min_precedence: int = 1) -> ast.Node:
        left = self.unary()
        while True:
            operator = self.keyword()
            precedence = _PRECEDENCE.get(operator) if operator else None
            if operator is None or precedence is None or precedence < min_precedence:
                return left
            position = self.advance().position
            right = self.list_literal() if operator == "in" else self.expression(precedence + 1)
            if operator in ("and", "or"):
                operands = left.operands if isinstance(left, ast.Logical) and left.operator == operator else (left,)
                left = ast.Logical(operator, operands + (right,), operands[0].position)
            else:
                left = ast.Binary(operator, left, right, position)

    def unary(self) -> ast.Node:
        token = self.token
        if self.keyword() == "not":
            self.advance()
            self.deeper()
            operand = self.unary()
            self.depth -= 1
            return ast.Not(operand, token.position)
        if token.kind == "-":
            self.advance()
            self.deeper()
            operand = self.unary()
            self.depth -= 1
            return ast.Negate(operand, token.position)
        return self.primary()

    def primary(self) -> ast.Node:
        token = self.token
        if token.kind == "(":
            self.advance()
            self.deeper()
            inner = self.expression()
            self.depth -= 1
            self.expect(")", "')' or operator expected")
            return inner
        if token.kind == "identifier":
            if self.peek().kind == "(":
                return self.call()
            return self.member()
        if token.kind in ("string", "integer", "decimal", "boolean", "null", "datetime", "date", "guid", "enum"):
            self.advance()
            return ast.Literal(token.kind, token.value, token.position)
        raise self.error("Expression expected")

    def call(self) -> ast.Call:
        name = self.advance()
        self.advance()  # (
        self.deeper()
        arguments: list[ast.Node] = []
        if self.token.kind != ")":
            arguments.append(self.expression())
            while self.token.kind == ",":
                self.advance()
                arguments.append(self.expression())
        self.expect(")", "')' or ',' expected")
        self.depth -= 1
        return ast.Call(name.value, tuple(arguments), name.position)

    def member(self) -> ast.Node:
        first = self.advance()
        segments = [first.value]
        while self.token.kind == "/":
            self.advance()
            segment = self.expect("identifier", "Syntax error")
            if segment.value.lower() in _LAMBDAS and self.token.kind == "(":
                return self.lambda_(ast.Member(tuple(segments), first.position), segment)
            segments.append(segment.value)
        return ast.Member(tuple(segments), first.position)

    def lambda_(self, collection: ast.Member, operator: Token) -> ast.Lambda:
        self.advance()  # (
        self.deeper()
        if self.token.kind == ")" and operator.value.lower() == "any":
            self.advance()
            self.depth -= 1
            return ast.Lambda(collection, "any", None, None, operator.position)
        variable = self.expect("identifier", "Syntax error")
        self.expect(":", "':' expected")
        body = self.expression()
        self.expect(")", "')' or operator expected")
        self.depth -= 1
        return ast.Lambda(collection, operator.value.lower(), variable.value, body, operator.position)

    def list_literal(self) -> ast.ListOf:
        start = self.expect("(", "'(' expected")
        items = [self.expression()]
        while self.token.kind == ",":
            self.advance()
            items.append(self.expression())
        self.expect(")", "')' or ',' expected")
        return ast.ListOf(tuple(items), start.position)

    def finish(self) -> None:
        if self.token.kind != END:
            raise syntax_error(self.text, self.token.position)


def _run(text: str, parse: "type[_Parser]", method: str) -> object:
    try:
        return getattr(parse(text), method)()
    except RecursionError:
        # A last line of defence: MAX_DEPTH keeps well below Python's own limit.
        raise InvalidQuery("Recursion depth exceeded allowed limit.") from None


class _FilterParser(_Parser):
    def filter(self) -> ast.Node:
        if self.token.kind == END:
            raise self.error("Expression expected")
        node = self.expression()
        self.finish()
        return node

    def orderby(self) -> list[ast.OrderItem]:
        items = []
        while True:
            if self.token.kind in (END, ","):
                raise self.error("Expression expected")
            node = self.expression()
            direction = self.keyword()
            descending = False
            if direction in ("asc", "desc"):
                descending = direction == "desc"
                self.advance()
            if not isinstance(node, ast.Member):
                raise InvalidQuery("The $orderby expression must evaluate to a single value of primitive type.")
            items.append(ast.OrderItem(node, descending))
            if len(items) > MAX_ORDERBY_KEYS:
                raise RestrictionTooComplex()
            if self.token.kind == END:
                return items
            self.expect(",", "Syntax error")


def parse_filter(text: str) -> ast.Node:
    """The syntax tree of a `$filter` expression; InvalidQuery if it cannot be read."""
    node = _run(text, _FilterParser, "filter")
    assert isinstance(node, (ast.Literal, ast.Member, ast.Binary, ast.Logical, ast.Not, ast.Negate, ast.Call,
                             ast.ListOf, ast.Lambda))
    return node


def parse_orderby(text: str) -> list[ast.OrderItem]:
    """The items of an `$orderby` list: a property path each, ascending unless `desc`."""
    items = _run(text, _FilterParser, "orderby")
    assert isinstance(items, list)
    return items


def parse_select(text: str) -> list[str]:
    """The items of a `$select` list (property paths, or `*`), whitespace around them ignored."""
    items, position = [], 0
    if text.count(",") >= MAX_SELECT_ITEMS:
        raise InvalidQuery(f"The $select query option names more than {MAX_SELECT_ITEMS} properties.")
    for raw in text.split(","):
        item = raw.strip()
        if not _SELECT_ITEM.fullmatch(item):
            offset = position + (len(raw) - len(raw.lstrip()))
            raise InvalidQuery(f"Syntax error at position {offset} in '{text}'.")
        items.append(item)
        position += len(raw) + 1
    return items
