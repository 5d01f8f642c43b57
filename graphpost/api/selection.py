"""`$select` applied to resources already shaped (api/resources.py): the named properties in
Graph's order, with `id` and `@odata.etag` (where the resource has one: a folder has none) always
there, and the @odata.context naming the selection (…/messages(subject,from)), as Graph writes it."""

from __future__ import annotations

from typing import Any

from graphpost.api.resources import message_headers
from graphpost.mail.types import Message
from graphpost.odata.entities import MAIL_FOLDER, MESSAGE
from graphpost.odata.types import EntityType

_ALWAYS = ("@odata.etag", "id")


def selected_path(path: str, select: tuple[str, ...] | None) -> str:
    """A context path with the selection: `messages` → `messages(subject,from)`."""
    return f"{path}({','.join(select)})" if select else path


def selected(resource: dict[str, Any], select: tuple[str, ...], entity: EntityType,
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """`resource` cut to `select` (plus id and the etag); `extra` holds the values of properties
    only a $select brings (a message's uniqueBody and internetMessageHeaders)."""
    values = {**resource, **(extra or {})}
    shown = {key: values[key] for key in _ALWAYS if key in values}
    chosen = set(select)
    shown.update({name: values.get(name) for name in entity.type.properties if name in chosen and name != "id"})
    return shown


def select_message(resource: dict[str, Any], message: Message, select: tuple[str, ...] | None) -> dict[str, Any]:
    if select is None:
        return resource
    extra = {}
    if "uniqueBody" in select:
        # Graph's uniqueBody leaves out what the message quotes of its thread; graphpost keeps no
        # such split, so it is the body (in the format the request prefers, like the body).
        extra["uniqueBody"] = resource.get("body")
    if "internetMessageHeaders" in select:
        extra["internetMessageHeaders"] = message_headers(message)
    return selected(resource, select, MESSAGE, extra)


def select_folder(resource: dict[str, Any], select: tuple[str, ...] | None) -> dict[str, Any]:
    return resource if select is None else selected(resource, select, MAIL_FOLDER)
