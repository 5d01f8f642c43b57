"""The entity types of the mail API, as far as `$select`, `$filter` and `$orderby` need them."""

from __future__ import annotations

from graphpost.odata.types import (BINARY, BOOLEAN, DATETIME, INT32, STRING, EntityType, collection, complex_type,
                                   enum)

IMPORTANCE = enum("microsoft.graph.importance", "low", "normal", "high")
INFERENCE_CLASSIFICATION = enum("microsoft.graph.inferenceClassificationType", "focused", "other")
FLAG_STATUS = enum("microsoft.graph.followupFlagStatus", "notFlagged", "complete", "flagged")
BODY_TYPE = enum("microsoft.graph.bodyType", "text", "html")
EMAIL_ADDRESS = complex_type("microsoft.graph.emailAddress", name=STRING, address=STRING)
RECIPIENT = complex_type("microsoft.graph.recipient", emailAddress=EMAIL_ADDRESS)
ITEM_BODY = complex_type("microsoft.graph.itemBody", contentType=BODY_TYPE, content=STRING)
DATE_TIME_TIME_ZONE = complex_type("microsoft.graph.dateTimeTimeZone", dateTime=STRING, timeZone=STRING)
FOLLOWUP_FLAG = complex_type("microsoft.graph.followupFlag", completedDateTime=DATE_TIME_TIME_ZONE,
                             dueDateTime=DATE_TIME_TIME_ZONE, startDateTime=DATE_TIME_TIME_ZONE,
                             flagStatus=FLAG_STATUS)
INTERNET_MESSAGE_HEADER = complex_type("microsoft.graph.internetMessageHeader", name=STRING, value=STRING)

# In the order of a default GET (api/resources.py), with the two $select-only ones after.
MESSAGE_TYPE = complex_type(
    "microsoft.graph.message",
    id=STRING, createdDateTime=DATETIME, lastModifiedDateTime=DATETIME, changeKey=STRING,
    categories=collection(STRING), receivedDateTime=DATETIME, sentDateTime=DATETIME, hasAttachments=BOOLEAN,
    internetMessageId=STRING, subject=STRING, bodyPreview=STRING, importance=IMPORTANCE, parentFolderId=STRING,
    conversationId=STRING, conversationIndex=BINARY, isDeliveryReceiptRequested=BOOLEAN,
    isReadReceiptRequested=BOOLEAN, isRead=BOOLEAN, isDraft=BOOLEAN, webLink=STRING,
    inferenceClassification=INFERENCE_CLASSIFICATION, body=ITEM_BODY, sender=RECIPIENT, **{"from": RECIPIENT},
    toRecipients=collection(RECIPIENT), ccRecipients=collection(RECIPIENT), bccRecipients=collection(RECIPIENT),
    replyTo=collection(RECIPIENT), flag=FOLLOWUP_FLAG, uniqueBody=ITEM_BODY,
    internetMessageHeaders=collection(INTERNET_MESSAGE_HEADER),
)

_MESSAGE_SORTABLE = frozenset({
    "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "receivedDateTime", "sentDateTime",
    "hasAttachments", "internetMessageId", "subject", "bodyPreview", "importance", "parentFolderId",
    "conversationId", "isDeliveryReceiptRequested", "isReadReceiptRequested", "isRead", "isDraft",
    "inferenceClassification", "from/emailAddress/address", "from/emailAddress/name",
    "sender/emailAddress/address", "sender/emailAddress/name", "flag/flagStatus",
})

MESSAGE = EntityType(
    type=MESSAGE_TYPE,
    navigation=frozenset({"attachments", "extensions", "singleValueExtendedProperties",
                          "multiValueExtendedProperties"}),
    # Recipient collections are left out on purpose: Exchange refuses any() over them, however
    # it is written (ErrorInvalidUrlQueryFilter); categories/any() works.
    filterable=_MESSAGE_SORTABLE | {"categories"},
    sortable=_MESSAGE_SORTABLE,
    default_select=tuple(name for name in MESSAGE_TYPE.properties
                         if name not in ("uniqueBody", "internetMessageHeaders")),
    extra_select=("uniqueBody", "internetMessageHeaders"),
)

MAIL_FOLDER_TYPE = complex_type(
    "microsoft.graph.mailFolder",
    id=STRING, displayName=STRING, parentFolderId=STRING, childFolderCount=INT32, unreadItemCount=INT32,
    totalItemCount=INT32, isHidden=BOOLEAN,
)

# Every property of a folder is a plain value Exchange keeps on the folder (PR_DISPLAY_NAME,
# PR_CONTENT_COUNT, PR_CONTENT_UNREAD, PR_FOLDER_CHILD_COUNT…), so its hierarchy table can restrict
# and sort on each. Confirmed for displayName (eq, or; `in` refused: microsoftgraph/microsoft-graph-
# docs#15911) and childFolderCount gt (Microsoft's Graph SDK lab, OfficeDev/TrainingContent); the
# others are assumed to behave alike.
_MAIL_FOLDER_QUERYABLE = frozenset(MAIL_FOLDER_TYPE.properties)

MAIL_FOLDER = EntityType(
    type=MAIL_FOLDER_TYPE,
    navigation=frozenset({"childFolders", "messages", "messageRules", "singleValueExtendedProperties",
                          "multiValueExtendedProperties"}),
    filterable=_MAIL_FOLDER_QUERYABLE,
    sortable=_MAIL_FOLDER_QUERYABLE,
    default_select=tuple(MAIL_FOLDER_TYPE.properties),
)
