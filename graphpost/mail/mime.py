"""Messages as RFC 5322 bytes: `GET …/messages/{id}/$value` out, base64 MIME bodies of `sendMail` and
`POST …/messages` in (https://learn.microsoft.com/graph/outlook-send-mime-message).

Pure functions over the stdlib `email` package: messages are held the Graph way (camelCase dicts,
as graphpost.mail.model leaves them) and nothing here touches a store or a socket.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email import errors as email_errors
from email import policy
from email.headerregistry import Address
from email.feedparser import BytesFeedParser
from email.message import EmailMessage, Message, MIMEPart
from email.parser import BytesParser
from email.utils import make_msgid
from typing import Any, cast

from graphpost.mail.preview import text_of_html

# Parts are built 7bit-clean (quoted-printable or base64), so the message crosses any relay; the
# wire form is the SMTP policy: CRLF line ends, headers folded at 78.
_BUILD = policy.default.clone(cte_type="7bit")
_READ = policy.default
_WIRE = policy.SMTP

# Everything str.splitlines() breaks on: the email package would refuse such a header value, and a
# relay might end the header there.
_LINE_BREAK = re.compile("\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_UNSAFE_IN_TOKEN = re.compile("[\\s\x00-\x1f\x7f\x85\u2028\u2029]")
FIELD_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 §3.6.8: printable ASCII but ':'
_MIME_TYPE = re.compile(r"[A-Za-z0-9][\w!#$&^.+-]*/[A-Za-z0-9][\w!#$&^.+-]*")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_DEFAULT_DOMAIN = "graphpost.local"
_PRIORITY = {"high": "1", "low": "5"}  # X-Priority as Outlook writes it next to Importance
# Ours to write from `importance`: kept out of internetMessageHeaders so a round trip does not double them.
_DERIVED_HEADERS = frozenset({"x-priority", "x-msmail-priority"})
# The parser leaves these on a part whose structure it had to guess at.
_BROKEN = (email_errors.NoBoundaryInMultipartDefect, email_errors.StartBoundaryNotFoundDefect,
           email_errors.MultipartInvariantViolationDefect, email_errors.InvalidBase64LengthDefect)

# How deep parts and attached messages may nest, all levels counted. The stdlib parser, and every
# walk over the tree it builds, recurse once per level: unbounded, a message a few hundred levels
# deep raises RecursionError. Exchange bounds it too (its MIME reader's MimeLimits.MaxPartDepth and
# MaxEmbeddedDepth; MS-OXCMAIL §4.1.6.2 asks servers to limit nesting against stack overflows);
# real mail nests a handful of levels, a forwarded thread a few more.
MAX_NESTING = 64

# Parts in one message, attached messages' parts included. Reading a part costs ~1.3 ms (the stdlib
# parses its Content-Type a dozen times), in a thread that holds the GIL: 100,000 empty parts, a
# 4 MB body, took 137 s. Exchange bounds it too (MimeLimits.MaxParts) and Exchange Online allows
# 250 attachments a message; with their bodies and alternatives, 500 parts is past real mail.
MAX_PARTS = 500

# What one header block (the message's, or a part's) may hold. The stdlib reads header values with
# no bound of its own and its time grows with their size, faster than linearly for some: a
# Content-Type with 50,000 parameters took 141 s, a To with 20,000 addresses 35 s, 100,000 headers
# 13 s, 16 KB of comments in a Content-Type 34 s. Exchange's MIME reader bounds the same things
# (MimeLimits.MaxHeaders, MaxHeaderBytes, MaxParametersPerHeader, MaxAddressItemsPerHeader in
# Microsoft.Exchange.Data.Mime, whose reference publishes no default values), so these are ours,
# set well past real mail:
MAX_HEADERS = 1_000
# Exchange Online's limit on a message's header size (Exchange Online limits: 256 KB).
MAX_HEADER_BLOCK_BYTES = 256 * 1024
# One header with its folded lines; address headers are bounded by MAX_ADDRESS_BYTES instead.
MAX_HEADER_BYTES = 16 * 1024
# Parameters, comments and quoted pairs in a MIME header: Content-Type and Content-Disposition carry a
# handful of parameters (RFC 2231 continuations add a few), comments and backslashes hardly any.
MAX_PARAMETERS_PER_HEADER = 100
# No message Exchange Online sends has more than 500 recipients (To, Cc and Bcc together), so no
# address header it writes holds more. What the parser's time grows with is its tokens (words,
# specials and runs of white space), faster than linearly within a header: junk packs many into few
# addresses ("\\" 48,000 times in a To took 100 s). So the address headers of a block are bounded
# together in tokens (room for 500 recipients with names, ~17 tokens each) and in bytes (~96 each).
MAX_ADDRESS_ITEMS_PER_HEADER = 500
MAX_ADDRESS_TOKENS = 10_000
MAX_ADDRESS_BYTES = 48 * 1024
_MIME_HEADERS = frozenset({"content-type", "content-disposition", "content-transfer-encoding", "mime-version"})
_ADDRESS_HEADERS = frozenset({"from", "sender", "to", "cc", "bcc", "reply-to", "resent-from", "resent-sender",
                              "resent-to", "resent-cc", "resent-bcc"})
# A quoted string (its separators are no separators), unterminated ones included.
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*(?:"|$)', re.DOTALL)
_ADDRESS_TOKEN = re.compile(r'\s+|[()<>\[\]:;@\\,.]|[^\s()<>\[\]:;@\\,.]+')


class MimeError(ValueError):
    """MIME content that cannot be read as a message (Graph: 400 ErrorMimeContentInvalidBase64String)."""


@dataclass(frozen=True)
class MimeAttachment:
    name: str
    content_type: str
    content: bytes
    is_inline: bool = False
    content_id: str | None = None


@dataclass(frozen=True)
class MimeItemAttachment:
    """An attached message (Graph's itemAttachment), carried as `message/rfc822`."""
    name: str
    message: bytes


@dataclass(frozen=True)
class ParsedMessage:
    message: dict[str, Any]
    internet_message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    sent: datetime | None
    attachments: tuple[MimeAttachment | MimeItemAttachment, ...]
    thread_index: str | None = None


# --- out: Graph message → RFC 5322 -------------------------------------------------------------------

def render(message: dict[str, Any], attachments: Sequence[MimeAttachment | MimeItemAttachment] = (), *,
           include_bcc: bool = False, in_reply_to: str | None = None, references: Sequence[str] = ()) -> bytes:
    """The message as RFC 5322 bytes with CRLF line ends. Bcc is written only with `include_bcc`
    (a copy for the sender's own mailbox; never on the wire). Names, subjects and custom header
    values have line breaks turned into spaces; an address, message id or content id holding one,
    or a custom header not named `x-…`, raises ValueError."""
    root = MIMEPart(policy=_BUILD)
    _write_headers(root, message, include_bcc, in_reply_to, references)
    _write_body(root, message.get("body") or {}, attachments)
    return root.as_bytes(policy=_WIRE)


def _write_headers(root: MIMEPart, message: dict[str, Any], include_bcc: bool, in_reply_to: str | None,
                   references: Sequence[str]) -> None:
    author = _writable(message.get("from")) or _writable(message.get("sender"))
    sender = _writable(message.get("sender"))
    if author:
        root["From"] = author
    if sender and author and sender.addr_spec.lower() != author.addr_spec.lower():
        root["Sender"] = sender
    lists = [("To", "toRecipients"), ("Cc", "ccRecipients"), ("Reply-To", "replyTo")]
    if include_bcc:
        lists.insert(2, ("Bcc", "bccRecipients"))
    for header, key in lists:
        addresses = [address for item in message.get(key) or () if (address := _writable(item))]
        if addresses:
            root[header] = addresses
    root["Subject"] = _clean(message.get("subject") or "")
    root["Date"] = _sent_at(message.get("sentDateTime"))
    domain = author.domain if author else _DEFAULT_DOMAIN
    given_id = message.get("internetMessageId")
    root["Message-ID"] = _message_id(given_id) if given_id else make_msgid(domain=domain)
    if in_reply_to:
        root["In-Reply-To"] = _message_id(in_reply_to)
    if references:
        root["References"] = " ".join(_message_id(value) for value in references)
    importance = str(message.get("importance") or "normal").lower()
    if importance in _PRIORITY:
        root["Importance"] = importance
        root["X-Priority"] = _PRIORITY[importance]
    if message.get("conversationIndex"):
        root["Thread-Index"] = _clean(str(message["conversationIndex"]))
    if author and message.get("isReadReceiptRequested"):
        root["Disposition-Notification-To"] = author.addr_spec
    if author and message.get("isDeliveryReceiptRequested"):
        root["Return-Receipt-To"] = author.addr_spec
    for header in message.get("internetMessageHeaders") or ():
        name = str(header.get("name") or "")
        if not FIELD_NAME.fullmatch(name) or not name.lower().startswith("x-"):
            raise ValueError(f"'{name}' is not a custom header name: it must start with 'x-' and hold only "
                             "printable ASCII characters without ':'.")
        if name.lower() == "x-priority" and "X-Priority" in root:
            continue
        root[name] = _clean(str(header.get("value") or ""))
    root["MIME-Version"] = "1.0"


def _write_body(root: MIMEPart, body: dict[str, Any], attachments: Sequence[MimeAttachment | MimeItemAttachment]
                ) -> None:
    content = str(body.get("content") or "")
    is_html = str(body.get("contentType") or "text").lower() == "html"
    related = [item for item in attachments
               if is_html and isinstance(item, MimeAttachment) and item.is_inline and _content_id(item.content_id)]
    if is_html:
        # Clients that cannot show HTML fall back to the text alternative.
        root.set_content(text_of_html(content).strip(), subtype="plain")
        root.add_alternative(content, subtype="html")
        html = list(root.iter_parts())[1]
        for image in related:
            html.add_related(image.content, *_split_type(image.content_type), disposition="inline",
                             filename=_clean(image.name), cid=_content_id(image.content_id))
    else:
        root.set_content(content, subtype="plain")
    inline = {id(item) for item in related}
    for item in attachments:
        if id(item) in inline:
            continue
        if isinstance(item, MimeItemAttachment):
            attached = BytesParser(policy=_BUILD).parsebytes(item.message)
            root.add_attachment(attached, disposition="attachment", filename=_clean(item.name))
        else:
            root.add_attachment(item.content, *_split_type(item.content_type),
                                disposition="inline" if item.is_inline else "attachment",
                                filename=_clean(item.name),
                                cid=_content_id(item.content_id))


def _clean(value: str) -> str:
    """A header's free text with every line break turned into a space and other controls dropped:
    such a character must never end a header line and start another."""
    return _CONTROL.sub("", _LINE_BREAK.sub(" ", value))


def _address(recipient: Any) -> Address | None:
    address = ((recipient or {}).get("emailAddress") or {}) if isinstance(recipient, dict) else {}
    spec = str(address.get("address") or "").strip(" \t")
    if not spec:
        return None
    if _UNSAFE_IN_TOKEN.search(spec) or spec.count("@") != 1 or any(c in spec for c in "<>,;"):
        raise ValueError(f"{spec!r} is not an email address.")
    local, domain = spec.split("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"{spec!r} has an invalid domain.") from None
    if not local.isascii():
        raise ValueError(f"{spec!r} has a non-ASCII local part, which needs SMTPUTF8.")
    name = _clean(str(address.get("name") or "")).strip()
    if name.lower() == spec.lower():
        name = ""
    try:
        parsed = Address(display_name=name, addr_spec=f"{local}@{domain}")
    except (ValueError, IndexError, email_errors.HeaderParseError):
        raise ValueError(f"{spec!r} is not an email address.") from None
    if not parsed.username or not parsed.domain:
        raise ValueError(f"{spec!r} is not an email address.")
    return parsed


def _writable(recipient: Any) -> Address | None:
    """The address if it can be written into a header. A draft may hold one that cannot (Graph
    checks recipients only when sending); its MIME leaves that one out rather than failing."""
    try:
        return _address(recipient)
    except ValueError:
        return None


def _message_id(value: Any) -> str:
    text = str(value).strip()
    if not text or _UNSAFE_IN_TOKEN.search(text):
        raise ValueError(f"{text!r} is not a message id.")
    return text if text.startswith("<") else f"<{text}>"


def _content_id(value: str | None) -> str | None:
    # Whitespace, controls and angle brackets cannot stand inside a Content-ID: they are dropped,
    # never written (a client may have stored anything in contentId).
    text = re.sub("[<>]", "", _UNSAFE_IN_TOKEN.sub("", str(value or "")))
    return f"<{text}>" if text else None


def _split_type(content_type: str) -> tuple[str, str]:
    # A file attachment is always base64; message/* and multipart/* parts cannot be (RFC 2046 §5).
    mime_type = (content_type or "").split(";")[0].strip().lower()
    if not _MIME_TYPE.fullmatch(mime_type) or mime_type.split("/")[0] in ("message", "multipart"):
        mime_type = "application/octet-stream"
    maintype, subtype = mime_type.split("/")
    return maintype, subtype


def _sent_at(value: Any) -> datetime:
    if not value:
        return datetime.now(timezone.utc).replace(microsecond=0)
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


# --- in: RFC 5322 → Graph message --------------------------------------------------------------------

def decode_base64_mime(text: bytes | str) -> bytes:
    """The MIME message in a `Content-Type: text/plain` request body: strict base64, line breaks
    and other whitespace allowed anywhere."""
    compact = re.sub(rb"\s+", b"", text.encode("ascii", "replace") if isinstance(text, str) else text)
    if not compact:
        raise MimeError("The request body holds no MIME content.")
    try:
        if len(compact) % 4:
            raise binascii.Error("base64 comes in groups of four characters")
        return binascii.a2b_base64(compact, strict_mode=True)
    except binascii.Error:
        raise MimeError("Invalid base64 string for MIME content.") from None


def parse(raw: bytes) -> ParsedMessage:
    """Read an RFC 5322 message into Graph-cased fields (as graphpost.mail.model.parse_message takes
    them), its threading headers and its attachments. Raises MimeError for what is no message."""
    if not raw.strip():
        raise MimeError("The MIME content is empty.")
    try:
        parser = _NestingBoundedParser(policy=_READ)
        parser.feed(raw)
        # The _READ policy is an EmailPolicy, whose message factory is EmailMessage; the stubs say Message.
        return _parse(cast(EmailMessage, parser.close()))
    except MimeError:
        raise
    except (ValueError, LookupError, TypeError, AttributeError, email_errors.MessageError) as exc:
        # The stdlib parser is lenient but not flawless: whatever it trips on is unreadable input.
        raise MimeError("The MIME content could not be read as a message.") from exc
    except RecursionError as exc:
        # The header parser recurses once per nested comment in an address header (RFC 5322 §3.2.2
        # lets comments nest) and has no bound of its own: "From: ((((…" thousands deep.
        raise MimeError("The MIME content has a header nested too deeply to be read.") from exc


class _NestingBoundedParser(BytesFeedParser):
    """The stdlib's parser, refusing parts nested deeper than MAX_NESTING, or more than MAX_PARTS
    of them, as it meets them (before its own recursion goes any deeper or its time grows). The stdlib has no option for it; _new_message is the one
    place where FeedParser opens a part (so since Python 3.2), and tests/mail/test_mime.py would
    see the bound go if that changed."""

    _parts = 0

    def _new_message(self) -> None:
        # Called for every part and attached message the parser enters; _msgstack holds the open ones.
        if len(self._msgstack) >= MAX_NESTING:  # type: ignore[attr-defined]
            raise MimeError(f"The MIME content nests parts or attached messages more than {MAX_NESTING} "
                            "levels deep.")
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise MimeError(f"The MIME content has more than {MAX_PARTS} parts.")
        super()._new_message()  # type: ignore[misc]

    def _parse_headers(self, lines: list[str]) -> None:
        # Called with each header block's raw lines (bytes read as surrogate-escaped ASCII, a
        # character a byte) before any value is read: the one place to bound them cheaply.
        _check_header_block(lines)
        super()._parse_headers(lines)  # type: ignore[misc]


def _check_header_block(lines: list[str]) -> None:
    """Refuse a header block past the bounds above, in linear passes over its raw lines."""
    if sum(map(len, lines)) > MAX_HEADER_BLOCK_BYTES:
        raise MimeError(f"The MIME content has a header block larger than {MAX_HEADER_BLOCK_BYTES} bytes.")
    fields: list[tuple[str, list[str]]] = []  # a header's lines, joined once (not once a line)
    for line in lines:
        if line[:1] in (" ", "\t"):
            if fields:  # a continuation; the parser drops one before any header
                fields[-1][1].append(line)
            continue
        if len(fields) == MAX_HEADERS:
            raise MimeError(f"The MIME content has more than {MAX_HEADERS} headers in one part.")
        name, _, value = line.partition(":")
        fields.append((name.strip().lower(), [value]))
    address_bytes = address_tokens = 0
    # Repeats of an address header are read together (get_all), so they are counted together.
    addresses: dict[str, list[str]] = {}
    for name, parts in fields:
        value = "".join(parts)
        if name in _ADDRESS_HEADERS:
            addresses.setdefault(name, []).append(value)
            address_bytes += len(value)
            continue
        if len(value) > MAX_HEADER_BYTES:
            raise MimeError(f"The MIME content has a {name} header larger than {MAX_HEADER_BYTES} bytes.")
        if name in _MIME_HEADERS:
            bare = _QUOTED.sub("", value)
            if bare.count(";") + bare.count("(") + bare.count("\\") > MAX_PARAMETERS_PER_HEADER:
                raise MimeError(f"The MIME content has a {name} header with more than {MAX_PARAMETERS_PER_HEADER} "
                                "parameters.")
    if address_bytes > MAX_ADDRESS_BYTES:
        raise MimeError(f"The MIME content has address headers larger than {MAX_ADDRESS_BYTES} bytes.")
    for name, values in addresses.items():
        # An upper bound on the addresses: commas and angle brackets outside quoted strings, or the
        # quoted strings (display names; a run of empty ones costs the parser quadratic time).
        bare, quoted = _QUOTED.subn("", "".join(values))
        if max(bare.count(",") + 1, bare.count("<"), quoted) > MAX_ADDRESS_ITEMS_PER_HEADER:
            raise MimeError(f"The MIME content has a {name} header with more than {MAX_ADDRESS_ITEMS_PER_HEADER} "
                            "addresses.")
        address_tokens += quoted + sum(1 for _ in _ADDRESS_TOKEN.finditer(bare))
    if address_tokens > MAX_ADDRESS_TOKENS:
        raise MimeError(f"The MIME content has address headers of more than {MAX_ADDRESS_TOKENS} words and "
                        "separators.")


def _parse(root: EmailMessage) -> ParsedMessage:
    if not root.keys():
        raise MimeError("The MIME content has no headers.")
    message: dict[str, Any] = {"subject": _clean(str(root.get("Subject") or "")).strip()}
    authors = _recipients(root, "From")
    if authors:
        message["from"] = authors[0]
        message["sender"] = (_recipients(root, "Sender") or authors)[0]
    for header, key in (("To", "toRecipients"), ("Cc", "ccRecipients"), ("Bcc", "bccRecipients"),
                        ("Reply-To", "replyTo")):
        message[key] = _recipients(root, header)
    if not authors and not any(message[key] for key in ("toRecipients", "ccRecipients", "bccRecipients")):
        raise MimeError("The MIME content has no From header and no recipient.")
    message["importance"] = _importance(root)
    message["isReadReceiptRequested"] = "Disposition-Notification-To" in root
    message["isDeliveryReceiptRequested"] = "Return-Receipt-To" in root
    message["internetMessageHeaders"] = _custom_headers(root)

    _check_structure(root)
    body = root.get_body(preferencelist=("html", "plain"))
    attachments: list[MimeAttachment | MimeItemAttachment] = []
    _collect(root, body, attachments, in_alternative=False)
    if body is None:
        message["body"] = {"contentType": "text", "content": ""}
    else:
        message["body"] = {"contentType": "html" if body.get_content_subtype() == "html" else "text",
                           "content": _text(body)}
    references = _MESSAGE_ID.findall(str(root.get("References") or ""))
    in_reply_to = _MESSAGE_ID.findall(str(root.get("In-Reply-To") or ""))
    return ParsedMessage(message=message, internet_message_id=_single_id(root.get("Message-ID")),
                         in_reply_to=in_reply_to[0] if in_reply_to else None, references=tuple(references),
                         sent=_date(root), attachments=tuple(attachments),
                         thread_index=str(root["Thread-Index"]).strip() if "Thread-Index" in root else None)


def _recipients(root: EmailMessage, header: str) -> list[dict[str, Any]]:
    found = []
    for value in root.get_all(header) or ():
        for address in getattr(value, "addresses", ()):
            spec = _readable(address.addr_spec)
            if address.username and address.domain:
                name = _clean(_readable(address.display_name)).strip() or spec
                found.append({"emailAddress": {"name": name, "address": spec}})
    return found


def _custom_headers(root: EmailMessage) -> list[dict[str, str]]:
    """The x-… headers in their order. Only those are read: items() would parse every header's
    value, To, Cc and Bcc a second time."""
    names = [name for name in root.keys() if name.lower().startswith("x-") and name.lower() not in _DERIVED_HEADERS]
    values = {name.lower(): iter(root.get_all(name) or ()) for name in names}
    return [{"name": name, "value": _clean(str(next(values[name.lower()]))).strip()} for name in names]


def _readable(text: str) -> str:
    """An address's text as the parser leaves it, its 8-bit bytes decoded as UTF-8 (or replaced).
    The parser keeps raw 8-bit bytes, and bytes of an encoded word that are no UTF-8, as lone
    surrogates, which neither a database nor JSON takes: "From: Zoë <…>" sent 8-bit would fail."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return text.encode("utf-8", "replace").decode("utf-8")


def _importance(root: EmailMessage) -> str:
    stated = str(root.get("Importance") or "").strip().lower()
    if stated in ("low", "normal", "high"):
        return stated
    priority = str(root.get("X-Priority") or "").strip()[:1]
    if priority:
        return {"1": "high", "2": "high", "4": "low", "5": "low"}.get(priority, "normal")
    return {"urgent": "high", "non-urgent": "low", "high": "high", "low": "low"}.get(
        str(root.get("Priority") or root.get("X-MSMail-Priority") or "").strip().lower(), "normal")


def _single_id(value: Any) -> str | None:
    text = str(value or "").strip()
    ids = _MESSAGE_ID.findall(text)
    return ids[0] if ids else (text or None)


def _date(root: EmailMessage) -> datetime | None:
    when: datetime | None = getattr(root.get("Date"), "datetime", None)  # None when unparseable
    return when.replace(tzinfo=when.tzinfo or timezone.utc) if when else None


def _check_structure(part: MIMEPart) -> None:
    """Refuse a tree whose multipart boundaries the parser had to guess (an attached message may be
    as broken as it likes: it is kept as it came)."""
    if any(isinstance(defect, _BROKEN) for defect in part.defects) or (
            part.get_content_maintype() == "multipart" and not part.is_multipart()):
        raise MimeError(f"The MIME content has a broken part ({_kind(part)}).")
    if part.get_content_maintype() == "multipart":
        for sub in part.iter_parts():
            _check_structure(sub)


def _kind(part: MIMEPart) -> str:
    # Only a well-formed type goes into an error message; the rest is whatever the client sent.
    content_type = part.get_content_type()
    if _MIME_TYPE.fullmatch(content_type):
        return content_type
    return "multipart" if part.get_content_maintype() == "multipart" else "MIME"


def _collect(part: MIMEPart, body: MIMEPart | None, found: list[MimeAttachment | MimeItemAttachment],
             in_alternative: bool) -> None:
    content_type = part.get_content_type()
    if part.get_content_maintype() == "multipart":
        for sub in part.iter_parts():
            _collect(sub, body, found, in_alternative=content_type == "multipart/alternative")
        return
    if part is body:
        return
    disposition = part.get_content_disposition()
    name = part.get_filename()
    if content_type in ("message/rfc822", "message/global") and part.is_multipart():
        attached = part.get_payload(0)
        assert isinstance(attached, Message)  # the parser's shape of message/rfc822
        found.append(MimeItemAttachment(
            name=_clean(name or str(attached.get("Subject") or "") or "Untitled").strip(),
            message=attached.as_bytes(policy=_WIRE)))
        return
    if in_alternative and disposition != "attachment" and not name and part.get_content_maintype() == "text":
        return  # another rendering of the body, not an attachment
    content = _content(part)
    if any(isinstance(defect, _BROKEN) for defect in part.defects):
        raise MimeError(f"The MIME content has a part ({_kind(part)}) whose base64 cannot be decoded.")
    content_id = str(part.get("Content-ID") or "").strip().removeprefix("<").removesuffix(">") or None
    found.append(MimeAttachment(
        name=_clean(name or _unnamed(content_type, len(found) + 1)).strip(), content_type=content_type,
        content=content, is_inline=bool(content_id) and disposition != "attachment", content_id=content_id))


def _content(part: MIMEPart) -> bytes:
    payload = part.get_payload() if part.is_multipart() else part.get_payload(decode=True)
    if isinstance(payload, list):  # message/* other than rfc822 (delivery-status…): its header blocks
        return b"".join(sub.as_bytes(policy=_WIRE) for sub in payload if isinstance(sub, Message))
    return payload if isinstance(payload, bytes) else b""


def _unnamed(content_type: str, number: int) -> str:
    # Exchange names a part that has no file name ATT00001.txt, ATT00002.htm, …
    extension = {"text/plain": ".txt", "text/html": ".htm"}.get(content_type, ".bin")
    return f"ATT{number:05d}{extension}"


def _text(part: MIMEPart) -> str:
    data = _content(part)
    if any(isinstance(defect, _BROKEN) for defect in part.defects):
        raise MimeError("The MIME content has a body whose base64 cannot be decoded.")
    charset = part.get_content_charset() or "utf-8"
    if charset in ("us-ascii", "ascii"):
        charset = "utf-8"  # 8-bit text mislabelled ASCII is common; UTF-8 reads ASCII alike
    try:
        text = data.decode(charset, errors="replace")
    except (LookupError, ValueError):  # an unknown or garbled charset name
        text = data.decode("utf-8", errors="replace")
    # The generator ends every body with a line break; a round trip should not grow the content.
    text = text.replace("\r\n", "\n")
    return text[:-1] if text.endswith("\n") else text
