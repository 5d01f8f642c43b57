"""parse_filter, parse_orderby and parse_select: the syntax tree of what was written, OData's
operator precedence, and the errors (with positions) Graph's URI parser gives."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from graphpost.errors import InvalidQuery, RestrictionTooComplex
from graphpost.odata import ast
from graphpost.odata.limits import MAX_ORDERBY_KEYS, MAX_SELECT_ITEMS
from graphpost.odata.parser import MAX_DEPTH, parse_filter, parse_orderby, parse_select
from tests.odata.refusals import PARSE_URI, refusal


def sexpr(node: ast.Node) -> str:
    """The tree as an S-expression, positions left out, so that tables of cases stay readable."""
    if isinstance(node, ast.Literal):
        if node.kind == "string":
            return repr(node.value)
        if node.kind == "null":
            return "null"
        if node.kind == "boolean":
            return str(node.value).lower()
        if node.kind in ("datetime", "date"):
            return node.value.isoformat()
        return str(node.value)
    if isinstance(node, ast.Member):
        return node.text
    if isinstance(node, ast.Binary):
        return f"({node.operator} {sexpr(node.left)} {sexpr(node.right)})"
    if isinstance(node, ast.Logical):
        return f"({node.operator} {' '.join(sexpr(operand) for operand in node.operands)})"
    if isinstance(node, ast.Not):
        return f"(not {sexpr(node.operand)})"
    if isinstance(node, ast.Negate):
        return f"(- {sexpr(node.operand)})"
    if isinstance(node, ast.Call):
        return f"{node.name}({', '.join(sexpr(argument) for argument in node.arguments)})"
    if isinstance(node, ast.ListOf):
        return f"[{' '.join(sexpr(item) for item in node.items)}]"
    assert isinstance(node, ast.Lambda)
    if node.body is None:
        return f"({node.collection.text}/{node.operator})"
    return f"({node.collection.text}/{node.operator} {node.variable}: {sexpr(node.body)})"


@pytest.mark.parametrize(("text", "tree"), [
    # not binds tighter than and, and tighter than or.
    ("a or b and c", "(or a (and b c))"),
    ("a and b or c", "(or (and a b) c)"),
    ("a and b or c and d", "(or (and a b) (and c d))"),
    ("not a and b", "(and (not a) b)"),
    ("not a or b and c", "(or (not a) (and b c))"),
    ("a or not b and c", "(or a (and (not b) c))"),
    ("not not a", "(not (not a))"),
    # Parentheses group first.
    ("(a or b) and c", "(and (or a b) c)"),
    ("a and (b or c)", "(and a (or b c))"),
    ("not (a or b)", "(not (or a b))"),
    ("((a))", "a"),
    # Comparisons bind tighter than and/or; relational tighter than equality.
    ("a eq 1 and b ne 2", "(and (eq a 1) (ne b 2))"),
    ("a eq 1 or b eq 2 and c eq 3", "(or (eq a 1) (and (eq b 2) (eq c 3)))"),
    ("a gt 1 eq true", "(eq (gt a 1) true)"),
    ("a eq b eq c", "(eq (eq a b) c)"),
    # Unary operators bind tighter than any binary one (OData v4.01 part 2, §5.1.1.16).
    ("not a eq true", "(eq (not a) true)"),
    ("- a eq 1", "(eq (- a) 1)"),
    # Arithmetic: multiplicative before additive, left to right.
    ("a eq 1 add 2 mul 3", "(eq a (add 1 (mul 2 3)))"),
    ("a sub 1 sub 2 lt 0", "(lt (sub (sub a 1) 2) 0)"),
    ("a mod 2 eq 0", "(eq (mod a 2) 0)"),
    ("a div 2 ge b divby 3", "(ge (div a 2) (divby b 3))"),
    # Chains of one logical operator are one flat node.
    ("a or b or c", "(or a b c)"),
    ("a and b and c and d", "(and a b c d)"),
    # Operators and keywords in any case; names as written.
    ("NOT IsRead AND Subject EQ 'x' OR isDraft", "(or (and (not IsRead) (eq Subject 'x')) isDraft)"),
    ("a in ('x', 'y')", "(in a ['x' 'y'])"),
    ("a in ('x') and b", "(and (in a ['x']) b)"),
    ("a has 'x'", "(has a 'x')"),
])
def test_operators_follow_odata_precedence(text: str, tree: str) -> None:
    assert sexpr(parse_filter(text)) == tree


@pytest.mark.parametrize(("text", "tree"), [
    ("subject eq 'it''s'", "(eq subject \"it's\")"),
    ("isRead eq TRUE", "(eq isRead true)"),
    ("sentDateTime ne null", "(ne sentDateTime null)"),
    ("x eq -5", "(eq x -5)"),
    ("x lt 2.5", "(lt x 2.5)"),
    ("receivedDateTime ge 2026-03-02T13:00:00+01:00", "(ge receivedDateTime 2026-03-02T12:00:00+00:00)"),
    ("receivedDateTime lt 2026-03-02", "(lt receivedDateTime 2026-03-02)"),
    ("id eq 12345678-1234-1234-1234-123456789abc", "(eq id 12345678-1234-1234-1234-123456789abc)"),
    ("'Draft plan' eq subject", "(eq 'Draft plan' subject)"),
    ("anything eq nullable", "(eq anything nullable)"),
])
def test_literals_become_literal_nodes_on_either_side(text: str, tree: str) -> None:
    assert sexpr(parse_filter(text)) == tree


@pytest.mark.parametrize(("text", "tree"), [
    ("startswith(subject,'re:')", "startswith(subject, 're:')"),
    ("contains( subject , 'LUNCH' )", "contains(subject, 'LUNCH')"),
    ("CONTAINS(Subject,'x')", "CONTAINS(Subject, 'x')"),
    ("startswith(from/emailAddress/address,'car') and isRead",
     "(and startswith(from/emailAddress/address, 'car') isRead)"),
    ("now()", "now()"),
    ("contains(concat(subject,'x'),'y')", "contains(concat(subject, 'x'), 'y')"),
    ("geo.distance(a,b) lt 1", "(lt geo.distance(a, b) 1)"),
    ("not endswith(subject,'x')", "(not endswith(subject, 'x'))"),
])
def test_function_calls_keep_their_name_as_written_and_their_arguments(text: str, tree: str) -> None:
    assert sexpr(parse_filter(text)) == tree


@pytest.mark.parametrize(("text", "tree"), [
    ("categories/any()", "(categories/any)"),
    ("categories/ANY()", "(categories/any)"),
    ("not categories/any()", "(not (categories/any))"),
    ("categories/any(c: c eq 'Red')", "(categories/any c: (eq c 'Red'))"),
    ("categories/any(c:startswith(c,'bl') or c eq 'Green')",
     "(categories/any c: (or startswith(c, 'bl') (eq c 'Green')))"),
    ("categories/All(c: c ne 'x')", "(categories/all c: (ne c 'x'))"),
    ("toRecipients/any(r: r/emailAddress/address eq 'x')",
     "(toRecipients/any r: (eq r/emailAddress/address 'x'))"),
    ("categories/any() and isRead", "(and (categories/any) isRead)"),
    # Without parentheses any is only a property name.
    ("categories/any eq 'x'", "(eq categories/any 'x')"),
])
def test_lambdas_take_a_range_variable_and_a_body_or_nothing_for_any(text: str, tree: str) -> None:
    assert sexpr(parse_filter(text)) == tree


def test_a_lambda_keeps_its_collection_operator_variable_and_body() -> None:
    node = parse_filter("categories/any(c: c eq 'Red')")
    assert isinstance(node, ast.Lambda) and isinstance(node.body, ast.Binary)
    assert (node.collection, node.operator, node.variable) == (ast.Member(("categories",), 0), "any", "c")
    assert (node.body.operator, node.body.left, node.body.right) == (
        "eq", ast.Member(("c",), 18), ast.Literal("string", "Red", 23))


def test_any_without_a_condition_has_neither_variable_nor_body() -> None:
    node = parse_filter("categories/any()")
    assert isinstance(node, ast.Lambda)
    assert (node.collection, node.operator, node.variable, node.body) == (
        ast.Member(("categories",), 0), "any", None, None)


def test_a_property_path_is_one_member_of_its_segments() -> None:
    node = parse_filter("from/emailAddress/address eq 'bob@contoso.test'")
    assert isinstance(node, ast.Binary)
    assert (node.operator, node.left, node.right) == (
        "eq", ast.Member(("from", "emailAddress", "address"), 0), ast.Literal("string", "bob@contoso.test", 29))
    assert node.left.text == "from/emailAddress/address"


def test_operands_keep_the_positions_they_start_at() -> None:
    node = parse_filter("not (isDraft) or contains(subject,'x') or subject in ('a', 'b')")
    assert isinstance(node, ast.Logical)
    negation, call, membership = node.operands
    assert negation == ast.Not(ast.Member(("isDraft",), 5), 0)
    assert call == ast.Call("contains", (ast.Member(("subject",), 26), ast.Literal("string", "x", 34)), 17)
    assert isinstance(membership, ast.Binary)
    assert membership.right == ast.ListOf((ast.Literal("string", "a", 54), ast.Literal("string", "b", 59)), 53)


def test_a_date_literal_keeps_its_value_in_utc() -> None:
    node = parse_filter("sentDateTime lt 2026-03-02T07:00:00-05:00")
    assert isinstance(node, ast.Binary)
    assert node.right == ast.Literal("datetime", datetime(2026, 3, 2, 12, tzinfo=timezone.utc), 16)


def test_a_long_chain_of_or_is_flat_and_not_limited_by_depth() -> None:
    node = parse_filter(" or ".join(["isRead"] * 5000))
    assert isinstance(node, ast.Logical)
    assert (node.operator, len(node.operands), node.operands[-1]) == ("or", 5000, ast.Member(("isRead",), 49990))


def test_nesting_up_to_the_limit_is_read() -> None:
    assert parse_filter("(" * MAX_DEPTH + "isRead" + ")" * MAX_DEPTH) == ast.Member(("isRead",), MAX_DEPTH)


@pytest.mark.parametrize("text", [
    "(" * (MAX_DEPTH + 1) + "isRead" + ")" * (MAX_DEPTH + 1),
    "(" * 150 + "isRead" + ")" * 150,
    "not " * 5000 + "isRead",
    "- " * 500 + "x eq 1",
    "f(" * 200 + "x" + ")" * 200,
    "categories/any(c: " * 200 + "c eq 'x'" + ")" * 200,
])
def test_nesting_past_the_limit_is_refused_as_graph_does(text: str) -> None:
    assert refusal(lambda: parse_filter(text)) == (InvalidQuery, PARSE_URI, "Recursion depth exceeded allowed limit.")


@pytest.mark.parametrize(("text", "message"), [
    ("", "Expression expected at position 0 in ''."),
    ("   ", "Expression expected at position 3 in '   '."),
    ("isRead eq", "Expression expected at position 9 in 'isRead eq'."),
    ("isRead and", "Expression expected at position 10 in 'isRead and'."),
    ("not", "Expression expected at position 3 in 'not'."),
    ("isRead eq )", "Expression expected at position 10 in 'isRead eq )'."),
    ("(isRead eq true", "')' or operator expected at position 15 in '(isRead eq true'."),
    ("(isRead eq true isDraft)", "')' or operator expected at position 16 in '(isRead eq true isDraft)'."),
    ("isRead eq true)", "Syntax error at position 14 in 'isRead eq true)'."),
    ("a eq b c", "Syntax error at position 7 in 'a eq b c'."),
    ("from/'x' eq 'y'", "Syntax error at position 5 in 'from/'x' eq 'y''."),
    ("from/ eq 'y'", "Syntax error at position 9 in 'from/ eq 'y''."),
    ("contains(subject,'x'", "')' or ',' expected at position 20 in 'contains(subject,'x''."),
    ("contains(subject 'x')", "')' or ',' expected at position 17 in 'contains(subject 'x')'."),
    ("f(a,)", "Expression expected at position 4 in 'f(a,)'."),
    ("categories/any(c c eq 'x')", "':' expected at position 17 in 'categories/any(c c eq 'x')'."),
    ("categories/any(c: c eq 'x'", "')' or operator expected at position 26 in 'categories/any(c: c eq 'x''."),
    ("categories/any(: c eq 'x')", "Syntax error at position 15 in 'categories/any(: c eq 'x')'."),
    # all() must have a condition; only any() may go without.
    ("categories/all()", "Syntax error at position 15 in 'categories/all()'."),
    ("a in 'x'", "'(' expected at position 5 in 'a in 'x''."),
    ("a in ('x' 'y')", "')' or ',' expected at position 10 in 'a in ('x' 'y')'."),
    ("subject eq #", "Syntax error: character '#' is not valid at position 11 in 'subject eq #'."),
])
def test_a_filter_that_cannot_be_parsed_names_what_and_where(text: str, message: str) -> None:
    assert refusal(lambda: parse_filter(text)) == (InvalidQuery, PARSE_URI, message)


# -- $orderby ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "items"), [
    ("subject", [("subject", False)]),
    ("subject asc", [("subject", False)]),
    ("subject desc", [("subject", True)]),
    ("Subject DESC", [("Subject", True)]),
    ("importance desc,subject", [("importance", True), ("subject", False)]),
    ("isRead, from/emailAddress/address desc , subject asc",
     [("isRead", False), ("from/emailAddress/address", True), ("subject", False)]),
    ("subject desc,subject", [("subject", True), ("subject", False)]),
])
def test_orderby_is_a_list_of_paths_ascending_unless_desc(text: str, items: list[tuple[str, bool]]) -> None:
    assert [(item.member.text, item.descending) for item in parse_orderby(text)] == items


def test_orderby_items_keep_their_members() -> None:
    assert parse_orderby("receivedDateTime desc, from/emailAddress/name") == [
        ast.OrderItem(ast.Member(("receivedDateTime",), 0), descending=True),
        ast.OrderItem(ast.Member(("from", "emailAddress", "name"), 23), descending=False),
    ]


@pytest.mark.parametrize(("text", "message"), [
    ("", "Expression expected at position 0 in ''."),
    ("subject,", "Expression expected at position 8 in 'subject,'."),
    (",subject", "Expression expected at position 0 in ',subject'."),
    ("subject,,isRead", "Expression expected at position 8 in 'subject,,isRead'."),
    ("subject sideways", "Syntax error at position 8 in 'subject sideways'."),
    ("subject asc desc", "Syntax error at position 12 in 'subject asc desc'."),
    ("subject isRead", "Syntax error at position 8 in 'subject isRead'."),
    ("length(subject)", "The $orderby expression must evaluate to a single value of primitive type."),
    ("subject eq 'x'", "The $orderby expression must evaluate to a single value of primitive type."),
    ("categories/any()", "The $orderby expression must evaluate to a single value of primitive type."),
    ("'subject'", "The $orderby expression must evaluate to a single value of primitive type."),
])
def test_an_orderby_that_cannot_be_parsed_is_a_parse_uri_error(text: str, message: str) -> None:
    assert refusal(lambda: parse_orderby(text)) == (InvalidQuery, PARSE_URI, message)


# -- $select ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "items"), [
    ("subject", ["subject"]),
    ("Subject,IsRead", ["Subject", "IsRead"]),
    (" subject , from ", ["subject", "from"]),
    ("*", ["*"]),
    ("subject,*", ["subject", "*"]),
    ("from/emailAddress/address", ["from/emailAddress/address"]),
    ("subject,subject", ["subject", "subject"]),
    ("microsoft.graph.message/subject", ["microsoft.graph.message/subject"]),
])
def test_select_is_the_list_of_items_as_written_without_surrounding_space(text: str, items: list[str]) -> None:
    assert parse_select(text) == items


@pytest.mark.parametrize(("text", "position"), [
    ("", 0),
    ("subject,,from", 8),
    ("subject, ,from", 9),
    ("subject,", 8),
    ("subject, is junk", 9),
    ("subject,from/", 8),
    ("subject;from", 0),
    ("a b", 0),
    ("sub*ject", 0),
])
def test_a_select_item_that_is_no_path_is_a_syntax_error_at_its_start(text: str, position: int) -> None:
    assert refusal(lambda: parse_select(text)) == (
        InvalidQuery, PARSE_URI, f"Syntax error at position {position} in '{text}'.")


def test_orderby_takes_up_to_its_key_limit() -> None:
    assert len(parse_orderby(",".join(["subject desc"] * MAX_ORDERBY_KEYS))) == MAX_ORDERBY_KEYS
    for count in (MAX_ORDERBY_KEYS + 1, 500, 2000):
        assert refusal(lambda: parse_orderby(",".join(["subject"] * count))) == (
            RestrictionTooComplex, "ErrorRestrictionTooComplex",
            "The restriction or sort order is too complex for this operation.")


def test_select_takes_up_to_its_item_limit() -> None:
    assert parse_select(",".join(["subject"] * MAX_SELECT_ITEMS)) == ["subject"] * MAX_SELECT_ITEMS
    assert refusal(lambda: parse_select(",".join(["subject"] * (MAX_SELECT_ITEMS + 1)))) == (
        InvalidQuery, PARSE_URI, f"The $select query option names more than {MAX_SELECT_ITEMS} properties.")
