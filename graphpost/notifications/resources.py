"""The `resource` of a subscription, as Graph reads it for Outlook mail: which mailbox (`me` or
`users/{id | userPrincipalName}`) and what in it: every message, one folder's messages, or the
folders. Pure: the mailbox and the folder are looked up by the caller."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from graphpost.errors import SubscriptionRequestInvalid

MESSAGES, FOLDER_MESSAGES, FOLDERS = "messages", "folder_messages", "folders"

# A folder as Graph writes it in a resource: mailFolders('inbox') or mailFolders/inbox, any case.
_FOLDER = r"mailfolders(?:\('(?P<quoted>[^']+)'\)|/(?P<plain>[^/()']+))"
_PATTERN = re.compile(rf"^(?:me|users/(?P<user>[^/]+))/(?:(?P<messages>messages)|{_FOLDER}/messages"
                      r"|(?P<folders>mailfolders))$", re.IGNORECASE)


@dataclass(frozen=True)
class WatchedResource:
    user_ref: str | None    # None for `me`
    scope: str              # MESSAGES, FOLDER_MESSAGES or FOLDERS
    folder_ref: str | None  # for FOLDER_MESSAGES: an id or a well-known name


def parse_resource(resource: str) -> WatchedResource:
    """Raise SubscriptionRequestInvalid for anything but the Outlook mail resources graphpost serves.
    A query (`?$select=…`, which rich notifications of Outlook resources carry) is not part of the path."""
    path = resource.strip().split("?", 1)[0].strip("/")
    match = _PATTERN.match(path)
    if match is None:
        raise SubscriptionRequestInvalid(f"Resource '{resource}' is not supported for change notifications.")
    user = unquote(match["user"]) if match["user"] else None
    if user is not None and user.startswith("('") and user.endswith("')"):
        user = user[2:-2]
    if match["messages"]:
        return WatchedResource(user, MESSAGES, None)
    if match["folders"]:
        return WatchedResource(user, FOLDERS, None)
    return WatchedResource(user, FOLDER_MESSAGES, unquote(match["quoted"] or match["plain"]))
