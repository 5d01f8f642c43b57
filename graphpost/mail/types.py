"""What the mail domain hands upwards: messages, folders, attachments and their pages, as typed
values with snake_case fields. The store's rows stay below (graphpost/store/); mail/mapping.py
turns them into these, and api/resources.py renders these as Graph's camelCase JSON, so the
storage, the domain and the HTTP shapes can each change without the others.

The classes are slotted and not frozen: a page of 50 messages builds some 500 of them, and a
frozen dataclass's __init__ (object.__setattr__ per field) costs three times a plain one's.
Treat them as values all the same: nothing above the domain changes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from graphpost.odata.query import Keyset


class MailboxOwner(Protocol):
    """The user whose mailbox an operation works on, as the domain needs it. The directory's User
    (directory/types.py) is one; a Protocol, because the directory sits above mail."""

    @property
    def id(self) -> str: ...
    @property
    def tenant_id(self) -> str: ...
    @property
    def mail(self) -> str: ...
    @property
    def display_name(self) -> str: ...


@dataclass(slots=True)
class Recipient:
    """Graph's recipient (an emailAddress with a name and an address)."""
    name: str
    address: str


@dataclass(slots=True)
class Body:
    content_type: str            # "text" or "html"
    content: str


@dataclass(slots=True)
class DateTimeTimeZone:
    date_time: str
    time_zone: str


@dataclass(slots=True)
class Flag:
    """Graph's followupFlag; dates left unset are None."""
    status: str                  # "notFlagged", "flagged" or "complete"
    start: DateTimeTimeZone | None = None
    due: DateTimeTimeZone | None = None
    completed: DateTimeTimeZone | None = None


NOT_FLAGGED = "notFlagged"


@dataclass(slots=True)
class Header:
    """An internet message header a client set (x-…)."""
    name: str
    value: str


@dataclass(slots=True)
class Message:
    id: str
    immutable_id: str
    folder_id: str
    change_key: str
    created_at: datetime
    modified_at: datetime
    received_at: datetime
    sent_at: datetime | None
    subject: str
    body: Body | None
    body_preview: str
    importance: str              # "low", "normal" or "high"
    is_read: bool
    is_draft: bool
    has_attachments: bool
    internet_message_id: str
    conversation_id: str
    conversation_index: str | None
    sender: Recipient | None
    from_: Recipient | None
    to_recipients: list[Recipient]
    cc_recipients: list[Recipient]
    bcc_recipients: list[Recipient]
    reply_to: list[Recipient]
    categories: list[str]
    flag: Flag
    is_delivery_receipt_requested: bool
    is_read_receipt_requested: bool
    inference_classification: str  # "focused" or "other"
    internet_message_headers: list[Header]


@dataclass(slots=True)
class MessagePage:
    messages: list[Message]
    next: Keyset | None          # where the next page starts, if there is one
    count: int | None            # every matching message, when the query asked for it


@dataclass(slots=True)
class Folder:
    id: str
    parent_id: str
    display_name: str
    is_hidden: bool
    child_count: int
    total_count: int
    unread_count: int


@dataclass(slots=True)
class FolderPage:
    folders: list[Folder]
    more: bool                   # another page follows
    count: int | None            # every matching folder, when the query asked for it


@dataclass(slots=True)
class Reference:
    """What a beta referenceAttachment adds (a link to a file kept elsewhere)."""
    source_url: str | None
    provider_type: str | None
    thumbnail_url: str | None
    preview_url: str | None
    permission: str | None
    is_folder: bool | None


@dataclass(slots=True)
class Attachment:
    id: str
    kind: str                    # "file", "item" or "reference"
    name: str
    content_type: str | None
    size: int
    is_inline: bool
    content_id: str | None
    modified_at: datetime
    reference: Reference | None = None  # for kind "reference" only
