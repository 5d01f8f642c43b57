"""The OData query language as Microsoft Graph speaks it for mail: `$filter`, `$orderby` and
`$select` parsed into a syntax tree (parser.py), checked against Graph's entity types (binder.py,
entities.py) into a typed query (query.py) that the store translates to SQL; `$search`'s KQL in
search.py. Pure functions, no I/O: imported by the HTTP edge and by the store alike."""
