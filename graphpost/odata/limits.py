"""How complex a query option may be, in one place. Graph refuses a query past its limits with a
400 (ODL's "Recursion depth exceeded allowed limit.", Exchange's ErrorRestrictionTooComplex, "The
restriction or sort order is too complex for this operation."); graphpost must refuse before the
database or Python does, or the answer is a 500. Each bound is checked while the option is parsed
or bound (parser.py, search.py, binder.py), before any SQL is built, and sits well below the limit
it keeps us under, measured on SQLite 3.40 and PostgreSQL 15 (2026-12)."""

from __future__ import annotations

# The raw query string, in bytes as it arrives (percent-encoded). uvicorn (h11) refuses a request
# head past 16 KiB before graphpost sees it, as http.sys in front of Graph does; only a $batch
# request, whose URLs come in a 4 MB body, could bring a longer one through the app.
MAX_QUERY_STRING = 16 * 1024

# Nesting in $filter (parentheses, not, unary minus, calls, any/all) and in $search (parentheses,
# NOT, -). ODL's own limit is 800 recursive calls; ours is lower because SQLite's SQL parser has a
# fixed stack of 100 entries (YYSTACKDEPTH, "parser stack overflow"): every level of and/or/not
# becomes a parenthesised SQL level taking 2 to 4 of them, and what a leaf becomes (lower(),
# coalesce(), an EXISTS over json_each) takes more. Measured: a $filter overflows at 22 levels of
# `not (contains(…) or …`, a $search at 32 levels of `(a OR (b …`; 16 leaves a margin for the
# statement around the WHERE, and is deeper than any filter a client writes. It also keeps Python's
# recursion (parser, binder, SQLAlchemy's compiler: a few frames a level) far from its 1,000.
MAX_DEPTH = 16

# Comparisons in one $filter: Exchange turns a filter into one restriction, and past this many it
# is "too complex" (the binder's InefficientFilter). SQLite refuses a chain of more than 1,000
# AND or OR terms ("Expression tree is too large", SQLITE_MAX_EXPR_DEPTH), and SQLAlchemy flattens
# a comparison's NULL guard (`x IS NOT NULL AND …`) into an AND chain: two terms a comparison.
# Measured: 494 guarded comparisons joined by `and` pass, 495 fail; 450 leave room for the terms
# of the mailbox scope and of a $skiptoken.
MAX_COMPARISONS = 450

# Terms (words, phrases, property restrictions) in one $search. Each becomes up to five terms of
# an OR chain (participants: the sender's address and name, three recipient lists); measured, 197
# `participants:x` joined by OR pass and 198 fail on SQLite (the same limit as above).
MAX_SEARCH_TERMS = 180

# The whole $search text: KQL's default length limit for a query made programmatically is 4,096
# characters (learn.microsoft.com/sharepoint/dev/general-development/keyword-query-language-kql-
# syntax-reference). It also bounds every word, which becomes a LIKE pattern (below).
MAX_SEARCH_LENGTH = 4096

# The string given to contains() or startswith(), which becomes a LIKE pattern. SQLite refuses a
# pattern past 50,000 bytes ("LIKE or GLOB pattern too complex", SQLITE_MAX_LIKE_PATTERN_LENGTH):
# a character is at most 4 bytes of UTF-8 and escaping doubles only ASCII ones, so 10,000
# characters make at most 40,002 bytes with the two `%`.
MAX_PATTERN_LENGTH = 10_000

# Keys in one $orderby. Each becomes an ORDER BY term and a column of the page's SELECT:
# PostgreSQL allows 1,664 target-list entries, SQLite 2,000 columns, and Graph documents no
# number; 32 is several times the sortable properties there are.
MAX_ORDERBY_KEYS = 32

# Items in one $select: a message has about 45 properties, so more than this many is a mistake.
MAX_SELECT_ITEMS = 256
