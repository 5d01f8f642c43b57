"""Graph's well-known mail folders, created with every mailbox, and the folder properties a
client may write (displayName, isHidden)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from graphpost.errors import ErrorInvalidParameter, InvalidIdMalformed, RequestBodyRead
from graphpost.mail import ids


@dataclass(frozen=True)
class WellKnownFolder:
    name: str           # as Graph spells it in paths: /mailFolders/inbox
    display_name: str
    under_top: bool     # a child of msgfolderroot (listed by /mailFolders), or of the mailbox root
    hidden: bool = False


ROOT = "msgfolderroot"
WELL_KNOWN = (
    WellKnownFolder(ROOT, "Top of Information Store", under_top=False),
    WellKnownFolder("archive", "Archive", under_top=True),
    WellKnownFolder("conversationhistory", "Conversation History", under_top=True),
    WellKnownFolder("deleteditems", "Deleted Items", under_top=True),
    WellKnownFolder("drafts", "Drafts", under_top=True),
    WellKnownFolder("inbox", "Inbox", under_top=True),
    WellKnownFolder("junkemail", "Junk Email", under_top=True),
    WellKnownFolder("outbox", "Outbox", under_top=True),
    WellKnownFolder("sentitems", "Sent Items", under_top=True),
    WellKnownFolder("clutter", "Clutter", under_top=True, hidden=True),
    WellKnownFolder("searchfolders", "Finder", under_top=False, hidden=True),
    WellKnownFolder("recoverableitemsdeletions", "Deletions", under_top=False, hidden=True),
)
WELL_KNOWN_NAMES = frozenset(folder.name for folder in WELL_KNOWN)


@dataclass(frozen=True)
class NewFolder:
    id: str
    parent_id: str
    well_known: str | None
    display_name: str
    hidden: bool


def mailbox_folders() -> list[NewFolder]:
    """The folders a new mailbox starts with. The mailbox root itself has an id but no row."""
    root_id = ids.new_folder_id()
    top_id = ids.new_folder_id()
    created = []
    for folder in WELL_KNOWN:
        folder_id = top_id if folder.name == ROOT else ids.new_folder_id()
        parent = top_id if folder.under_top else root_id
        created.append(NewFolder(folder_id, parent, folder.name, folder.display_name, folder.hidden))
    return created


def well_known_name(ref: str) -> str | None:
    """The well-known name `ref` stands for (any case), if it is one."""
    name = ref.lower()
    return name if name in WELL_KNOWN_NAMES else None


def check_id(ref: str) -> None:
    if not ids.is_well_formed(ref):
        raise InvalidIdMalformed()


# The folders table's display_name column holds this many characters.
MAX_NAME_LENGTH = 256


class FolderInput(BaseModel):
    """What POST …/mailFolders and …/childFolders take: "displayName and isHidden are the only
    writable property for a mailFolder object" (Graph's docs). PATCH takes displayName only:
    isHidden is fixed at creation."""
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, strict=True, extra="ignore")
    display_name: str | None = None
    is_hidden: bool = False


# Properties Graph computes: a client echoing a folder back (as SDKs may) is not an error.
_READ_ONLY = frozenset({"id", "parentFolderId", "childFolderCount", "unreadItemCount", "totalItemCount",
                        "wellKnownName", "sizeInBytes", "childFolders", "messages", "messageRules",
                        "singleValueExtendedProperties", "multiValueExtendedProperties"})
_WRITABLE = frozenset({"displayName", "isHidden"})


def parse_folder(payload: dict[str, Any]) -> FolderInput:
    """Validate a folder from a request body, with Graph's 400s for unknown properties and wrong types."""
    for key in payload:
        if not (key.startswith("@odata.") or key in _WRITABLE or key in _READ_ONLY):
            raise RequestBodyRead(f"The property '{key}' does not exist on type 'microsoft.graph.mailFolder'. "
                                  "Make sure to only use property names that are defined by the type or mark "
                                  "the type as open type.")
    try:
        return FolderInput.model_validate(payload)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise RequestBodyRead(f"Invalid value for property '{where}': {error['msg']}") from None


def checked_name(name: str | None) -> str:
    """A display name a folder can have: not empty, storable, as given otherwise."""
    if name is None or not name.strip():
        raise ErrorInvalidParameter("The folder's displayName cannot be empty.")
    if len(name) > MAX_NAME_LENGTH or "\x00" in name:
        raise ErrorInvalidParameter(f"The folder's displayName must be at most {MAX_NAME_LENGTH} characters, "
                                    "without NUL.")
    return name


def same_name(a: str, b: str) -> bool:
    # Exchange compares sibling folder names without regard to case.
    return a.lower() == b.lower()


def free_name(name: str, taken: Iterable[str]) -> str:
    """`name`, or `name (2)`, `name (3)`…, the first that no sibling has: a folder moved into
    Deleted Items by a DELETE must never fail because an older deleted one has its name."""
    used = {other.lower() for other in taken}
    candidate, number = name, 1
    while candidate.lower() in used:
        number += 1
        suffix = f" ({number})"
        candidate = name[:MAX_NAME_LENGTH - len(suffix)] + suffix
    return candidate
