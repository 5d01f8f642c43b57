"""Grammar-driven strategies for the query options: `$filter` expressions built from properties
(real, nested, unknown), operators, functions, lambdas and literals of every kind (awkward strings,
numbers past every range, impossible dates); `$orderby` and `$select` lists; `$search` in KQL;
`$top`, `$skip`, `$count` and `$skiptoken` values."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.text import json_bytes, json_value, short_text

MESSAGE_PROPERTIES = ["subject", "Subject", "isRead", "importance", "receivedDateTime", "sentDateTime",
                      "createdDateTime", "lastModifiedDateTime", "hasAttachments", "isDraft", "categories",
                      "from/emailAddress/address", "sender/emailAddress/name", "flag/flagStatus", "parentFolderId",
                      "conversationId", "id", "internetMessageId", "bodyPreview", "inferenceClassification",
                      "body/content", "toRecipients", "body", "from", "bogus", "subject/length", "isRead/x"]
FOLDER_PROPERTIES = ["displayName", "DisplayName", "childFolderCount", "unreadItemCount", "totalItemCount",
                     "isHidden", "id", "parentFolderId", "bogus", "displayName/x"]
OPERATORS = ["eq", "ne", "gt", "ge", "lt", "le", "has", "EQ", "add", "sub", "mul", "div", "mod", "in", "like"]
FUNCTIONS = ["contains", "startswith", "endswith", "tolower", "toupper", "length", "indexof", "substring", "trim",
             "concat", "year", "now", "bogus", "CONTAINS"]


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


literal = st.one_of(
    short_text.map(_quoted),
    st.builds(lambda unit, count: _quoted(unit * count), st.sampled_from(["a", "%", "_", "é"]),
              st.sampled_from([1_000, 20_000, 60_000])),
    st.sampled_from(["true", "false", "null", "0", "-1", "1.5", "1e999", "-1e-999", "99999999999999999999999",
                     str(2 ** 63), "2026-01-01", "2026-01-01T00:00:00Z", "2026-13-45T25:61:61Z", "0001-01-01T00:00:00Z",
                     "9999-12-31T23:59:59.9999999+14:00", "2026-02-30", "00000000-0000-0000-0000-000000000000",
                     "microsoft.graph.importance'high'", "microsoft.graph.importance'bogus'", "'unterminated",
                     "''", "binary'AAAA'", "duration'P1D'", "INF", "NaN", "-INF"]),
    st.integers().map(str),
)


def _comparison(properties: list[str]) -> st.SearchStrategy[str]:
    prop = st.sampled_from(properties)
    return st.one_of(
        st.builds(lambda p, o, v: f"{p} {o} {v}", prop, st.sampled_from(OPERATORS), literal),
        st.builds(lambda f, p, v: f"{f}({p},{v})", st.sampled_from(FUNCTIONS), prop, literal),
        st.builds(lambda p, v: f"{p}/any(c:c eq {v})", prop, literal),
        st.builds(lambda p, vs: f"{p} in ({','.join(vs)})", prop, st.lists(literal, min_size=1, max_size=4)),
        prop, literal,
    )


def filter_expression(properties: list[str]) -> st.SearchStrategy[str]:
    nested = st.recursive(_comparison(properties), lambda inner: st.one_of(
        st.builds(lambda a, o, b: f"{a} {o} {b}", inner, st.sampled_from(["and", "or", "AND", "eq"]), inner),
        inner.map(lambda e: f"not {e}"),
        inner.map(lambda e: f"({e})"),
    ), max_leaves=6)
    # Past the parser's bounds (depth, term count), once at the top: nested, they would multiply.
    return st.one_of(nested, nested, nested,
                     st.builds(lambda e, n: "(" * n + e + ")" * n, nested, st.sampled_from([50, 99, 101, 300, 2000])),
                     st.builds(lambda e, n: " and ".join([e] * n), _comparison(properties),
                               st.sampled_from([2, 100, 1000])),
                     st.builds(lambda e, n: "not " * n + e, _comparison(properties), st.sampled_from([40, 300])))


def token_soup(properties: list[str]) -> st.SearchStrategy[str]:
    token = st.one_of(st.sampled_from(properties + OPERATORS + FUNCTIONS + ["(", ")", ",", "/", ":", "-", "not",
                                                                          "and", "or", "any", "all", "$it"]),
                      literal)
    return st.lists(token, max_size=12).map(" ".join)


def orderby(properties: list[str]) -> st.SearchStrategy[str]:
    item = st.builds(lambda p, d: f"{p}{d}", st.one_of(st.sampled_from(properties), short_text),
                     st.sampled_from(["", " asc", " desc", " DESC", " up", "  desc  "]))
    return st.one_of(st.lists(item, max_size=5).map(",".join),
                     st.builds(lambda i, n: ",".join([i] * n), item, st.sampled_from([100, 600, 2000])))


def select(properties: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.sampled_from(properties + ["*", "", " ", "id,", "attachments", "$value"]),
                              short_text), max_size=6).map(",".join)


_kql_word = st.one_of(st.sampled_from(["hello", "fuzz", "AND", "OR", "NOT", "and", "*", "a*", "\"phrase here\"", "-x",
                                       "subject:fuzz", "from:alice@contoso.test", "received>=2026-01-01",
                                       "received:2026-13-45", "sent<01/02/2026", "hasAttachments:true",
                                       "importance:high", "kind:email", "bogus:x", "to:", ":", "(", ")", "\"", "\\\"",
                                       "participants:\"a b\"", "size>10"]), short_text)
search_body = st.recursive(_kql_word, lambda inner: st.one_of(
    st.builds(lambda a, o, b: f"{a} {o} {b}", inner, st.sampled_from(["AND", "OR", ""]), inner),
    inner.map(lambda e: f"NOT {e}"), inner.map(lambda e: f"({e})"),
), max_leaves=6)
# Past the parser's bounds once at the top, as for $filter.
search_body = st.one_of(search_body, search_body, search_body,
                        st.builds(lambda e, n: "(" * n + e + ")" * n, search_body, st.sampled_from([10, 100, 300])),
                        st.builds(lambda e, n: "NOT " * n + e, _kql_word, st.sampled_from([5, 40, 300])),
                        st.builds(lambda e, n: " OR ".join([e] * n), _kql_word, st.sampled_from([100, 250])))
search = st.one_of(search_body.map(lambda s: f'"{s}"'), search_body, st.just('"' + "x" * 50_000 + '"'))


def _token(values: Any, served: Any) -> str:
    return base64.urlsafe_b64encode(json_bytes({"k": values, "n": served})).decode().rstrip("=")


skiptoken = st.one_of(st.builds(_token, st.one_of(st.lists(json_value, max_size=4), json_value),
                                st.one_of(st.integers(), json_value)), short_text)
number_option = st.one_of(st.integers().map(str), st.sampled_from(["", "-1", "1.5", "1e3", " 5", "0x10", "999", "1000",
                                                                   "1001", str(2 ** 31), str(2 ** 64)]), short_text)


def options(properties: list[str], messages: bool) -> st.SearchStrategy[dict[str, str]]:
    optional: dict[str, st.SearchStrategy[str]] = {
        "$filter": st.one_of(filter_expression(properties), filter_expression(properties), token_soup(properties)),
        "$orderby": orderby(properties), "$select": select(properties), "$top": number_option,
        "$skip": number_option, "$count": st.sampled_from(["true", "false", "TRUE", "", "1", "yes"]),
        "$expand": st.sampled_from(["attachments", "childFolders", "bogus", ""]),
        "$bogus": short_text}
    if messages:
        optional.update({"$search": search, "$skiptoken": skiptoken})
    return st.fixed_dictionaries({}, optional=optional)
