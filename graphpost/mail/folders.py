"""Graph's well-known mail folders, created with every mailbox."""

from __future__ import annotations

from dataclasses import dataclass

from graphpost.errors import InvalidIdMalformed
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
