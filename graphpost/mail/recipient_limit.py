"""Exchange Online's limit of recipients per message (To, Cc and Bcc together), and what a message
over it gets: not an API error but a non-delivery report.

Exchange checks the limit in transport, after the submission was accepted (Graph's 202): the
message stays in Sent Items, reaches no one, and the sender receives an NDR reading "This message
wasn't delivered to anyone because there are too many recipients. The limit is 500. This message
has N recipients." with "550 5.5.3 RESOLVER.ADR.RecipLimit; too many recipients" for administrators
(Microsoft KB 3024804, "Error (too many recipients) when you update a meeting in a large Outlook
distribution group"). Drafts are not checked: the limit applies to sending. The default is 500
("Exchange Online limits"; an admin may set 1 to 1,000). Unlike Exchange's NDR, this one lists no
recipients and does not attach the original: both would cost as much as the fan-out it refuses."""

from __future__ import annotations

import html
from datetime import datetime

from graphpost.mail.bounces import report_message
from graphpost.store.mailbox import MessageRow

MAX_RECIPIENTS_PER_MESSAGE = 500
DIAGNOSTIC = "550 5.5.3 RESOLVER.ADR.RecipLimit; too many recipients"


def exceeded(recipients: list[str]) -> bool:
    return len(recipients) > MAX_RECIPIENTS_PER_MESSAGE


def _body(sent: MessageRow, count: int) -> str:
    return ("<html><body><p>Your message wasn't delivered to anyone because there are too many recipients. "
            f"The limit is {MAX_RECIPIENTS_PER_MESSAGE}. This message has {count} recipients.</p>"
            "<p>Please try to resend with fewer recipients.</p>"
            f"<p>Diagnostic information for administrators:<br>{html.escape(DIAGNOSTIC)}</p>"
            f"<p>Original message: <i>{html.escape(sent.subject)}</i>, {html.escape(sent.internet_message_id)}</p>"
            "</body></html>")


def report(sent: MessageRow, sender: str, inbox_id: str, count: int, at: datetime) -> MessageRow:
    """The NDR for `sent` (to `count` recipients), for the Inbox of its sender."""
    return report_message(sent.user_id, sender, inbox_id, f"Undeliverable: {sent.subject}", _body(sent, count), at,
                          has_attachments=False)
