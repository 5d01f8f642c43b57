"""What a query option refused: the error class, Graph's code and the message, in one tuple, so
that a test states the whole answer the client would get."""

from __future__ import annotations

from typing import Callable

import pytest

from graphpost.errors import GraphError

PARSE_URI = "RequestBroker--ParseUri"
INVALID_NODES = "ErrorInvalidUrlQueryFilter"
INVALID_NODES_MESSAGE = "The query filter contains one or more invalid nodes."


def refusal(call: Callable[[], object]) -> tuple[type[GraphError], str, str]:
    with pytest.raises(GraphError) as raised:
        call()
    return type(raised.value), raised.value.code, raised.value.message
