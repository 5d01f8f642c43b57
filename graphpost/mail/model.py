"""Graph's message shapes as pydantic models: the one definition that validates what clients
write and fixes the casing of what graphpost stores and returns."""

from __future__ import annotations

from typing import Any, Literal, NoReturn

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from graphpost.errors import RequestBodyRead

_GRAPH = ConfigDict(alias_generator=to_camel, populate_by_name=True, strict=True, extra="ignore")


def _enum(value: Any, allowed: tuple[str, ...], type_name: str) -> str:
    # Graph accepts enum members in any case ("HTML", "Normal") and writes them back in its own.
    if isinstance(value, str) and value.lower() in allowed:
        return value.lower()
    raise ValueError(f"The value '{value}' is not valid for enum type 'microsoft.graph.{type_name}'.")


class EmailAddress(BaseModel):
    model_config = _GRAPH
    name: str | None = None
    address: str | None = None


class Recipient(BaseModel):
    model_config = _GRAPH
    email_address: EmailAddress | None = None


class ItemBody(BaseModel):
    model_config = _GRAPH
    content_type: str = "text"
    content: str | None = ""

    @field_validator("content_type", mode="before")
    @classmethod
    def _content_type(cls, value: Any) -> str:
        return _enum(value, ("text", "html"), "bodyType")


class FollowupFlag(BaseModel):
    model_config = _GRAPH
    flag_status: str = "notFlagged"
    start_date_time: dict[str, Any] | None = None
    due_date_time: dict[str, Any] | None = None
    completed_date_time: dict[str, Any] | None = None

    @field_validator("flag_status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str:
        status = _enum(value, ("notflagged", "complete", "flagged"), "followupFlagStatus")
        return {"notflagged": "notFlagged"}.get(status, status)


class InternetMessageHeader(BaseModel):
    model_config = _GRAPH
    name: str
    value: str


class MessageInput(BaseModel):
    """The writable properties of a message, as a client may send them in POST or PATCH."""
    model_config = _GRAPH
    subject: str | None = None
    body: ItemBody | None = None
    to_recipients: list[Recipient] | None = None
    cc_recipients: list[Recipient] | None = None
    bcc_recipients: list[Recipient] | None = None
    reply_to: list[Recipient] | None = None
    from_: Recipient | None = Field(None, alias="from")
    sender: Recipient | None = None
    importance: str | None = None
    is_read: bool | None = None
    is_delivery_receipt_requested: bool | None = None
    is_read_receipt_requested: bool | None = None
    categories: list[str] | None = None
    flag: FollowupFlag | None = None
    inference_classification: str | None = None
    internet_message_id: str | None = None
    internet_message_headers: list[InternetMessageHeader] | None = None

    @field_validator("importance", mode="before")
    @classmethod
    def _importance(cls, value: Any) -> Any:
        return None if value is None else _enum(value, ("low", "normal", "high"), "importance")

    @field_validator("inference_classification", mode="before")
    @classmethod
    def _classification(cls, value: Any) -> Any:
        return None if value is None else _enum(value, ("focused", "other"), "inferenceClassificationType")


WRITABLE = frozenset(field.alias or name for name, field in MessageInput.model_fields.items())
# Properties Graph computes itself: a client echoing them back (as SDKs do) is not an error.
READ_ONLY = frozenset({
    "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "receivedDateTime", "sentDateTime",
    "hasAttachments", "bodyPreview", "parentFolderId", "conversationId", "conversationIndex", "isDraft",
    "webLink", "uniqueBody", "attachments", "extensions", "singleValueExtendedProperties",
    "multiValueExtendedProperties", "mentionsPreview", "unsubscribeData", "unsubscribeEnabled",
})
# Only a draft's content can change; on a sent or received message Graph refuses these.
DRAFT_ONLY = frozenset({
    "subject", "body", "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "from", "sender",
    "isDeliveryReceiptRequested", "isReadReceiptRequested", "internetMessageId", "internetMessageHeaders",
})
RECIPIENT_LISTS = ("toRecipients", "ccRecipients", "bccRecipients")
_RECIPIENTS = TypeAdapter(list[Recipient])
# Recipient lists are validated this many at a time: pydantic holds the GIL for a whole call (2 s
# for 50,000 recipients on the CI machine), so a parse run in a thread (graphpost.mail.content)
# would still stall the event loop; between slices the loop gets its turn.
RECIPIENT_SLICE = 500
_FIELD_ORDER = tuple(field.alias or name for name, field in MessageInput.model_fields.items())
# Properties every message has a value for (NOT NULL columns, flags and lists Graph always
# returns): null is no value of theirs, refused like a value of the wrong type. The others take
# null as "none" (from, sender, body, subject, the recipient lists).
NEVER_NULL = frozenset({"isRead", "importance", "isDeliveryReceiptRequested", "isReadReceiptRequested",
                        "inferenceClassification", "categories", "flag", "internetMessageId"})


def parse_message(payload: Any) -> tuple[MessageInput, dict[str, Any]]:
    """Validate a message from a request; return the model and its given fields in Graph's
    casing, each normalised (enums lower-cased, absent sub-properties filled in)."""
    if not isinstance(payload, dict):
        raise RequestBodyRead("The request body must be a JSON object describing a microsoft.graph.message.")
    for key in payload:
        if key in NEVER_NULL and payload[key] is None:
            raise RequestBodyRead(f"Invalid value for property '{key}': a message's {key} cannot be null.")
        if key.startswith("@odata.") or key in WRITABLE or key in READ_ONLY:
            continue
        raise RequestBodyRead(f"The property '{key}' does not exist on type 'microsoft.graph.message'. Make "
                              "sure to only use property names that are defined by the type or mark the type "
                              "as open type.")
    lists = {key: value for key, value in payload.items()
             if key in RECIPIENT_LISTS + ("replyTo",) and isinstance(value, list)}
    try:
        parsed = MessageInput.model_validate({key: value for key, value in payload.items() if key not in lists})
    except ValidationError as exc:
        _refuse(exc)
    given = parsed.model_dump(by_alias=True, include=parsed.model_fields_set)
    if given.get("flag") is not None:
        # Graph leaves unset flag dates out rather than writing them as null.
        given["flag"] = parsed.flag.model_dump(by_alias=True, exclude_none=True)  # type: ignore[union-attr]
    for key in RECIPIENT_LISTS + ("replyTo",):
        if key in lists:
            given[key] = _recipient_list(key, lists[key])
        elif key in given:
            given[key] = []  # null
    given = {key: given[key] for key in _FIELD_ORDER if key in given}
    for key in ("from", "sender"):
        if given.get(key) is not None:
            given[key] = _recipient(given[key])
    return parsed, given


def costly_to_parse(payload: Any) -> bool:
    """Whether parsing this message is worth a thread: attachments (base64 to decode, an item
    attachment's MIME to render) or more recipients than one validation slice."""
    if not isinstance(payload, dict):
        return False
    count = sum(len(value) for key in RECIPIENT_LISTS + ("replyTo",) if isinstance(value := payload.get(key), list))
    return bool(payload.get("attachments")) or count > RECIPIENT_SLICE


def _refuse(exc: ValidationError, key: str | None = None, offset: int = 0) -> NoReturn:
    error = exc.errors()[0]
    loc = list(error["loc"])
    if key is not None:  # an error in a slice of a recipient list: where in the whole list
        loc = [key, loc[0] + offset if isinstance(loc[0], int) else loc[0], *loc[1:]]
    where = ".".join(str(part) for part in loc)
    raise RequestBodyRead(f"Invalid value for property '{where}': {error['msg']}") from None


def _recipient_list(key: str, items: list[Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for start in range(0, len(items), RECIPIENT_SLICE):
        try:
            valid = _RECIPIENTS.validate_python(items[start:start + RECIPIENT_SLICE])
        except ValidationError as exc:
            _refuse(exc, key, start)
        found += [_recipient(item.model_dump(by_alias=True)) for item in valid]
    return found


def _recipient(item: dict[str, Any]) -> dict[str, Any]:
    address = item.get("emailAddress") or {}
    return {"emailAddress": {"name": address.get("name") or address.get("address") or "",
                             "address": address.get("address") or ""}}


def recipient_for(name: str, address: str) -> dict[str, Any]:
    return {"emailAddress": {"name": name, "address": address}}


Kind = Literal["create", "update"]
