"""The HTTP edge: routes, Graph JSON, the error envelope, bearer authentication."""
