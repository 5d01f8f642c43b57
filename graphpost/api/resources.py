"""Graph resource shapes (camelCase JSON), built in one place."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from graphpost.store.directory import UserRow


def service_root(request: Request) -> str:
    """`http://host:port/v1.0` or `/beta`, as the client called us."""
    version = request.url.path.lstrip("/").split("/", 1)[0]
    return f"{str(request.base_url).rstrip('/')}/{version}"


def odata_context(request: Request, fragment: str) -> str:
    return f"{service_root(request)}/$metadata#{fragment}"


def user_resource(user: UserRow) -> dict[str, Any]:
    # Graph's default $select for a user: these properties, unset ones as null or [].
    return {
        "businessPhones": [],
        "displayName": user.display_name,
        "givenName": None,
        "jobTitle": None,
        "mail": user.mail,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
        "surname": None,
        "userPrincipalName": user.user_principal_name,
        "id": user.id,
    }
