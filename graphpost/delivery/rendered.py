"""A submission's MIME, rendered once and kept for the rounds that relay the rest of its recipients.

A round claims at most `batch` outbox entries, so a message to 500 recipients takes five rounds.
Rendering it in each one, on the event loop, cost a full render per 100 recipients: 24-30 s of a
stalled API per round for a 50,000-address To header (issue 13). Now the render runs in a thread
and its bytes are reused until newer messages push them out; the worker forgets them all when a
round finds nothing due, so an idle worker holds none.

A submission never changes once written, so its id is a safe key."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence

from graphpost.mail import mime
from graphpost.store.outbox import SubmissionRow

# Enough for the messages of a few rounds; the newest message is kept whatever its size, since the
# next round most likely relays it again.
DEFAULT_BUDGET = 64 * 1024 * 1024


class RenderedMessages:
    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self.renders = 0   # how many renders it took (for the logs and tests)

    def get(self, submission_id: str) -> bytes | None:
        return self._kept.get(submission_id)

    async def render(self, submission: SubmissionRow,
                     parts: Sequence[mime.MimeAttachment | mime.MimeItemAttachment]) -> bytes:
        """The message as the relay gets it: Bcc only in the envelope, never in a header. Raises
        ValueError for a message that cannot be written (mime.render)."""
        kept = self._kept.get(submission.id)
        if kept is not None:
            self._kept.move_to_end(submission.id)
            return kept
        message = submission.message
        raw = await asyncio.to_thread(mime.render, message, parts, include_bcc=False,
                                      in_reply_to=message.get("inReplyTo"),
                                      references=message.get("references") or ())
        self.renders += 1
        self._keep(submission.id, raw)
        return raw

    def _keep(self, submission_id: str, raw: bytes) -> None:
        self._kept[submission_id] = raw
        self._size += len(raw)
        while self._size > self.budget and len(self._kept) > 1:
            _, dropped = self._kept.popitem(last=False)
            self._size -= len(dropped)

    def clear(self) -> None:
        self._kept.clear()
        self._size = 0
