"""Reply, reply-all and forward drafts: who they go to, their subject, the quoted original and
the links that keep them in the original's thread.

Pure functions over a stored message, no I/O: the caller builds the draft with
`messages.new_draft(owner, folder_id, reply_draft_fields(...), at)`, lays the request's
`message` over it, and stamps it with `link_to_thread(draft, thread_links(original, at))`.
Graph's pages: https://learn.microsoft.com/graph/api/message-createreply, …/message-createreplyall,
…/message-createforward.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from graphpost.mail import ids
from graphpost.mail.model import recipient_for
from graphpost.mail.types import MailboxOwner
from graphpost.store.mailbox import MessageRow

Kind = Literal["reply", "replyAll", "forward"]
Prefix = Literal["RE", "FW"]

# Outlook replaces a prefix of the same family with its own spelling ("Re: x" → "RE: x", as in
# Graph's createReply example) but stacks different ones ("RE: FW: x").
_PREFIXED = {"RE": re.compile(r"\s*re\s*:\s*", re.IGNORECASE),
             "FW": re.compile(r"\s*fwd?\s*:\s*", re.IGNORECASE)}
_LINE_END = re.compile(r"\r\n|\r|\n")
_BODY = re.compile(r"<body\b[^>]*>(.*?)(?:</body\s*>|\Z)", re.IGNORECASE | re.DOTALL)
# What Exchange writes between the new text and the quoted original: a rule, then the header block.
_SEPARATOR = "________________________________"
_RULE = '<hr style="display:inline-block;width:98%" tabindex="-1">'
_HEADER_OPEN = ('<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" '
                'color="#000000">')
_HTML_OPEN = '<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>'
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_HEADER_SIZE = 22  # [MS-OXOMSG] 2.2.1.3: reserved byte, 5 bytes of FILETIME, GUID
_FILETIME_UNIX_OFFSET = 116444736000000000


@dataclass(frozen=True)
class ThreadLinks:
    """What ties a reply or forward draft to its original: the draft keeps the original's
    conversation, grows its index by one level, and names it in In-Reply-To/References."""
    conversation_id: str
    conversation_index: str
    in_reply_to: str | None
    references: tuple[str, ...]


# --- recipients ------------------------------------------------------------------------------------------

def _address_of(recipient: dict[str, Any] | None) -> str:
    return str(((recipient or {}).get("emailAddress") or {}).get("address") or "").strip()


def _unique(recipients: Iterable[dict[str, Any] | None], skip: set[str]) -> list[dict[str, Any]]:
    """Recipients with an address, once each (first spelling kept), none of those in `skip`;
    `skip` grows with every address taken."""
    found = []
    for recipient in recipients:
        address = _address_of(recipient)
        if not address or address.casefold() in skip:
            continue
        skip.add(address.casefold())
        name = str(((recipient or {}).get("emailAddress") or {}).get("name") or "") or address
        found.append(recipient_for(name, address))
    return found


def _author(original: MessageRow) -> list[dict[str, Any] | None]:
    # RFC 5322 §3.6.2: replies go to Reply-To when there is one, else to the author.
    data = original.data
    if data.get("replyTo"):
        return list(data["replyTo"])
    return [data.get("from") or data.get("sender")]


def _or_me(found: list[dict[str, Any]], candidates: Sequence[dict[str, Any] | None], me: str) -> list[dict[str, Any]]:
    # Exchange addresses a reply to your own message to yourself rather than to no one.
    if found:
        return found
    return [item for item in _unique(candidates, set()) if _address_of(item).casefold() == me][:1]


def reply_recipients(original: MessageRow, me_address: str) -> list[dict[str, Any]]:
    """The To of a reply: the original's replyTo if it has one, else its from (or sender);
    without the replying user unless the original came from them alone."""
    me = me_address.casefold()
    candidates = _author(original)
    return _or_me(_unique(candidates, {me}), candidates, me)


def reply_all_recipients(original: MessageRow, me_address: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The To and Cc of a reply-all: the author (or replyTo) and every To, then every Cc, each
    address once, case-insensitively, and never the replying user."""
    me = me_address.casefold()
    seen = {me}
    candidates = _author(original) + list(original.data.get("toRecipients") or [])
    to = _unique(candidates, seen)
    cc = _unique(original.data.get("ccRecipients") or [], seen)
    if not to and not cc:
        to = _or_me(to, candidates, me)
    return to, cc


# --- subject ---------------------------------------------------------------------------------------------

def prefixed_subject(subject: str, prefix: Prefix) -> str:
    """`RE: ` or `FW: ` before the subject, once: a prefix of the same family already there
    (`Re:`, `RE:`, `Fw:`, `Fwd:`, any case) is replaced by Outlook's spelling, not doubled."""
    subject = subject or ""
    match = _PREFIXED[prefix].match(subject)
    rest = subject[match.end():] if match else subject.lstrip()
    return f"{prefix}: {rest}"


# --- quoted original -------------------------------------------------------------------------------------

def _sent_text(at: datetime) -> str:
    """A time as Outlook's header block writes it in UTC (Graph's default without a
    `Prefer: outlook.timezone`): "Tuesday, November 24, 2026 9:00 AM"."""
    at = at.astimezone(timezone.utc) if at.tzinfo else at
    hour = at.hour % 12 or 12
    return (f"{_DAYS[at.weekday()]}, {_MONTHS[at.month - 1]} {at.day}, {at.year} "
            f"{hour}:{at.minute:02d} {'AM' if at.hour < 12 else 'PM'}")


def _name(recipient: dict[str, Any]) -> str:
    address = recipient.get("emailAddress") or {}
    return str(address.get("name") or address.get("address") or "")


def _mailbox(recipient: dict[str, Any] | None) -> str:
    if not recipient:
        return ""
    name, address = _name(recipient), _address_of(recipient)
    return f"{name} <{address}>" if address and name else name


def _header_lines(original: MessageRow) -> list[tuple[str, str]]:
    data = original.data
    lines = [("From", _mailbox(data.get("from") or data.get("sender"))),
             ("Sent", _sent_text(original.sent_at or original.received_at))]
    for label, key in (("To", "toRecipients"), ("Cc", "ccRecipients")):
        if data.get(key):
            lines.append((label, "; ".join(_name(item) for item in data[key])))
    lines.append(("Subject", original.subject or ""))
    return lines


def _inner_html(content: str) -> str:
    match = _BODY.search(content)
    return match.group(1) if match else content


def quoted_body(original: MessageRow, comment: str | None) -> dict[str, str]:
    """The body of a reply or forward draft: the comment, then the original under a header
    block (From, Sent, To, Cc, Subject) — HTML if the original is HTML, text otherwise. The
    comment and every header value are escaped; the original's HTML is kept as it is."""
    body = original.data.get("body") or {}
    content = str(body.get("content") or "")
    lines = _header_lines(original)
    if body.get("contentType") == "html":
        parts = [_HTML_OPEN]
        if comment:
            parts.append(f"<div>{_LINE_END.sub('<br>', html.escape(comment))}</div>\r\n")
        header = "<br>\r\n".join(f"<b>{label}:</b> {html.escape(value)}" for label, value in lines)
        parts += [_RULE, "\r\n", _HEADER_OPEN, header, "</font>\r\n<div>&nbsp;</div>\r\n</div>\r\n",
                  "<div>", _inner_html(content), "</div>\r\n</body></html>"]
        return {"contentType": "html", "content": "".join(parts)}
    head = "\r\n".join(f"{label}: {value}" for label, value in lines)
    lead = f"{comment}\r\n\r\n" if comment else ""
    return {"contentType": "text", "content": f"{lead}{_SEPARATOR}\r\n{head}\r\n\r\n{content}"}


# --- thread ----------------------------------------------------------------------------------------------

def _filetime(at: datetime) -> int:
    at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return int(at.timestamp() * 10_000_000) + _FILETIME_UNIX_OFFSET


def _decoded(index_b64: str) -> bytes | None:
    try:
        raw = base64.b64decode(index_b64 or "", validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) >= _HEADER_SIZE and (len(raw) - _HEADER_SIZE) % 5 == 0 else None


def child_conversation_index(parent_index_b64: str, parent_time: datetime, at: datetime) -> str:
    """The parent's conversation index with one 5-byte response level appended ([MS-OXOMSG]
    2.2.1.3, https://learn.microsoft.com/openspecs/exchange_server_protocols/ms-oxomsg/9e994fbb):
    a delta-code bit, 31 bits of the time since the header's time (FILETIME units, the low 18
    bits dropped, or the low 23 when the delta needs more than 49 bits), 8 random bits. A parent
    without a readable index gets a fresh header stamped with `parent_time` first."""
    parent = _decoded(parent_index_b64) or base64.b64decode(ids.conversation_index(parent_time))
    header_time = int.from_bytes(parent[1:6], "big") << 24
    delta = max(_filetime(at) - header_time, 0)
    code, delta = (0, delta >> 18) if delta < 1 << 49 else (1, delta >> 23)
    level = ((code << 31) | (delta & 0x7FFFFFFF)).to_bytes(4, "big") + secrets.token_bytes(1)
    return base64.b64encode(parent + level).decode()


def threading_headers(original_internet_message_id: str, original_references: Sequence[str],
                      original_in_reply_to: str | None = None) -> tuple[str, tuple[str, ...]]:
    """In-Reply-To and References of a reply (RFC 5322 §3.6.4): the original's Message-ID, and
    the original's References (or, lacking them, its In-Reply-To) followed by that Message-ID."""
    message_id = original_internet_message_id.strip()
    chain = [ref.strip() for ref in original_references if ref.strip()]
    if not chain and original_in_reply_to and original_in_reply_to.strip():
        chain = [original_in_reply_to.strip()]
    if message_id and (not chain or chain[-1] != message_id):
        chain.append(message_id)
    return message_id, tuple(chain)


def thread_links(original: MessageRow, at: datetime) -> ThreadLinks:
    """How a reply or forward drafted at `at` joins the original's thread (the original's own
    In-Reply-To and References are read where messages.draft_from keeps them)."""
    index = child_conversation_index(str(original.data.get("conversationIndex") or ""),
                                     original.sent_at or original.received_at, at)
    in_reply_to, references = threading_headers(original.internet_message_id or "",
                                                original.data.get("references") or (),
                                                original.data.get("inReplyTo"))
    return ThreadLinks(original.conversation_id, index, in_reply_to or None, references)


def link_to_thread(draft: MessageRow, links: ThreadLinks) -> None:
    """Stamp the thread links on a new draft row, where MIME rendering and later replies read them."""
    draft.conversation_id = links.conversation_id
    draft.data["conversationIndex"] = links.conversation_index
    if links.in_reply_to:
        draft.data["inReplyTo"] = links.in_reply_to
    if links.references:
        draft.data["references"] = list(links.references)


# --- the draft -------------------------------------------------------------------------------------------

def reply_draft_fields(original: MessageRow, me: MailboxOwner, kind: Kind, comment: str | None) -> dict[str, Any]:
    """The Graph properties of a new reply, reply-all or forward draft, as `new_draft` takes
    them. A forward has no recipients of its own; the caller lays the request's `message`
    properties (and a forward's `toRecipients`) over these, as Graph does."""
    cc: list[dict[str, Any]]
    if kind == "reply":
        to, cc = reply_recipients(original, me.mail), []
    elif kind == "replyAll":
        to, cc = reply_all_recipients(original, me.mail)
    else:
        to, cc = [], []
    return {"subject": prefixed_subject(original.subject, "FW" if kind == "forward" else "RE"),
            "body": quoted_body(original, comment), "toRecipients": to, "ccRecipients": cc}
