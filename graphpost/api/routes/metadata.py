"""GET /{v1.0|beta}/$metadata: the CSDL of what graphpost serves, so that every @odata.context
it answers names something a client can look up.

The documents are cut from Microsoft's published CSDL by scripts/metadata.py (their first comment
names the source file and commit), kept in graphpost/api/csdl/, read once and served as they are.
Graph serves $metadata without a token; so does graphpost."""

from __future__ import annotations

import functools
from importlib import resources

from fastapi import APIRouter, Request, Response

from graphpost.api.resources import is_beta

router = APIRouter()
MEDIA_TYPE = "application/xml"


@functools.cache
def document(version: str) -> bytes:
    return resources.files("graphpost.api").joinpath("csdl", f"{version}.xml").read_bytes()


@router.get("/$metadata")
async def metadata(request: Request) -> Response:
    return Response(document("beta" if is_beta(request) else "v1.0"), media_type=MEDIA_TYPE)
