"""Graph's throttling, when the `throttling` setting is on: Outlook's limits and Exchange Online's
sending rate, answered as Graph answers them (429, Retry-After, Graph's error body).

- Requests per app per mailbox (10,000 per 10 minutes) and requests in progress per app per mailbox
  (4), as Outlook counts them "for each app ID and mailbox combination" (learn.microsoft.com/graph/
  throttling-limits, "Outlook service limits"). Over the rate: Graph's generic 429
  (`TooManyRequests`, "Please retry again later."); over the concurrency: `ApplicationThrottled`,
  "Application is over its MailboxConcurrency limit." (the answer quoted in
  magodo/terraform-provider-outlook#21 and alcionai/corso#3695).
- Bytes uploaded per mailbox (150 MB per 5 minutes, the bodies of POST, PUT and PATCH, upload
  session ranges included): per mailbox across apps, as the limit read in the docs of 2024 (docs-contrib
  PR #9394), because an upload URL carries no app; over it: `ApplicationThrottled`, "Application
  is over its IncomingBytes limit." (O365/python-o365#500). Bodies sent without Content-Length
  (chunked) are not counted.
- Messages a mailbox sends (30 per minute, Exchange Online's message rate limit): sendMail, a
  draft's send, reply/replyAll/forward. Exchange's documentation says both that excess messages are
  refused and that they are delayed; graphpost refuses with 429 `ErrorSubmissionQuotaExceeded`
  (Exchange's code for a sender over its submission quota; Graph's exact answer is not known).

A request is admitted, or refused, once the mailbox it acts on is known (api/mailbox.py, after the
token check and before the route does anything); refused requests are not counted. The counts live
in this process's memory: with several api processes each counts its own, so a client spread over
N of them gets N times the limits. Keeping them in the database would cost a write on every
request, for a feature meant for tests; a single `serve` (what tests run) counts exactly. Memory is
bounded: each counter is ten buckets, and past `throttle_max_keys` the counters idle longest are
forgotten (a forgotten counter starts again from zero)."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from itertools import islice
from typing import Callable, Generic, Hashable, TypeVar

from starlette.requests import Request

from graphpost.api.windows import SlidingWindow
from graphpost.auth.permissions import Principal
from graphpost.config import Settings
from graphpost.errors import Throttled

# Where a request's admission is kept, in its ASGI scope's state, for the middleware to release.
TICKET = "graphpost.throttle"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Graph sends no Retry-After of its own that is known for the concurrency limit: a request ends
# in well under a second here.
CONCURRENCY_RETRY_AFTER = 1
ApplicationThrottled = "ApplicationThrottled"
# How many of the counters idle longest are looked at to find one to forget.
BUSY_LOOKAHEAD = 64


@dataclass(slots=True)
class AppMailbox:
    """What is counted for one app on one mailbox."""

    requests: SlidingWindow
    in_progress: int = 0


@dataclass(slots=True)
class Mailbox:
    """What is counted for one mailbox, whatever the app."""

    uploaded: SlidingWindow
    sent: SlidingWindow


@dataclass(slots=True)
class Ticket:
    """One request's hold on a concurrency slot, released when its answer has been sent."""

    held: AppMailbox | None = None

    def release(self) -> None:
        if self.held is not None:
            self.held.in_progress -= 1
            self.held = None


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """At most `cap` entries, those used least recently forgotten first (unless `busy`)."""

    def __init__(self, cap: int, busy: Callable[[V], bool] = lambda value: False) -> None:
        self.cap = cap
        self.busy = busy
        self.entries: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self.entries)

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        value = self.entries.get(key)
        if value is None:
            value = self.entries[key] = make()
            if len(self.entries) > self.cap:
                self._forget()
        else:
            self.entries.move_to_end(key)
        return value

    def _forget(self) -> None:
        excess = len(self.entries) - self.cap
        # Busy entries (requests in progress) are stepped over; there are few of them.
        for key in list(islice(self.entries, excess + BUSY_LOOKAHEAD)):
            if excess <= 0:
                break
            if not self.busy(self.entries[key]):
                del self.entries[key]
                excess -= 1


class Throttle:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self.app_mailboxes: Recent[tuple[str, str, str], AppMailbox] = Recent(
            cap=settings.throttle_max_keys, busy=lambda counts: counts.in_progress > 0)
        self.mailboxes: Recent[str, Mailbox] = Recent(cap=settings.throttle_max_keys)

    def _app_mailbox(self, key: tuple[str, str, str]) -> AppMailbox:
        s = self.settings
        return self.app_mailboxes.get_or_make(key, lambda: AppMailbox(
            SlidingWindow(s.throttle_requests, s.throttle_requests_window.total_seconds())))

    def _mailbox(self, mailbox_id: str) -> Mailbox:
        s = self.settings
        return self.mailboxes.get_or_make(mailbox_id, lambda: Mailbox(
            SlidingWindow(s.throttle_upload_bytes, s.throttle_upload_window.total_seconds()),
            SlidingWindow(s.throttle_messages, s.throttle_messages_window.total_seconds())))

    def admit(self, ticket: Ticket, tenant_id: str, app_id: str, mailbox_id: str, upload_bytes: int,
              sending: bool) -> None:
        """Counts the request, or raises Throttled with Graph's answer; the ticket holds its
        concurrency slot until the middleware releases it."""
        now = self.clock()
        counts = self._app_mailbox((tenant_id, app_id, mailbox_id))
        mailbox = self._mailbox(mailbox_id)
        if counts.in_progress >= self.settings.throttle_concurrency:
            raise Throttled(CONCURRENCY_RETRY_AFTER, "Application is over its MailboxConcurrency limit.",
                            ApplicationThrottled)
        if counts.requests.full(now):
            raise Throttled(counts.requests.retry_after(now))
        self._check_upload(mailbox, upload_bytes, now)
        if sending and mailbox.sent.full(now):
            raise Throttled(mailbox.sent.retry_after(now), "Sender's submission quota was exceeded.",
                            "ErrorSubmissionQuotaExceeded")
        counts.requests.add(now)
        if upload_bytes:
            mailbox.uploaded.add(now, upload_bytes)
        if sending:
            mailbox.sent.add(now)
        if ticket.held is None:
            counts.in_progress += 1
            ticket.held = counts

    def admit_upload(self, mailbox_id: str, upload_bytes: int) -> None:
        """An upload session's range: counted against the mailbox's bytes only (its URL names no app)."""
        now = self.clock()
        mailbox = self._mailbox(mailbox_id)
        self._check_upload(mailbox, upload_bytes, now)
        if upload_bytes:
            mailbox.uploaded.add(now, upload_bytes)

    @staticmethod
    def _check_upload(mailbox: Mailbox, upload_bytes: int, now: float) -> None:
        if upload_bytes and mailbox.uploaded.full(now):
            raise Throttled(mailbox.uploaded.retry_after(now), "Application is over its IncomingBytes limit.",
                            ApplicationThrottled)


def upload_bytes(request: Request) -> int:
    """The declared size of a write's body (0 for a read, or a body sent without Content-Length)."""
    if request.method not in WRITE_METHODS:
        return 0
    length = request.headers.get("content-length", "")
    return int(length) if length.isdigit() else 0


def throttle_of(request: Request) -> Throttle | None:
    return request.app.state.runtime.throttle


def admit(request: Request, caller: Principal, mailbox_id: str, sending: bool) -> None:
    """The hook of the mail routes (api/mailbox.py): nothing when throttling is off."""
    throttle = throttle_of(request)
    if throttle is None:
        return
    ticket = request.scope.get("state", {}).get(TICKET)
    if ticket is None:  # a request the middleware did not see (an app built without it): not held
        ticket = Ticket()
    throttle.admit(ticket, caller.tenant_id, caller.app_id, mailbox_id, upload_bytes(request), sending)
