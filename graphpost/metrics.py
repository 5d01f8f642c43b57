"""The process's own counters, exposed at GET /metrics (api/routes/health.py) in Prometheus's format.

Counters live in this process's memory: with several `serve` processes (or nodes) each exposes
its own, and Prometheus adds them up across its targets (`sum by (route, status)`). Queue depths
are not counters: they are read from the database at each scrape (monitoring/queues.py), so every
process answers the same numbers for them.

Labels are bounded sets: a route is its template (`/v1.0/users/{user_ref}/messages/{message_id}`),
never the path a client sent, and a method outside HTTP's usual ones is `other`."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter

registry = CollectorRegistry(auto_describe=True)

http_requests = Counter("graphpost_http_requests", "HTTP requests answered, by route template, method and status.",
                        ("route", "method", "status"), registry=registry)
send_mail_accepted = Counter("graphpost_sendmail_accepted", "sendMail requests answered 202 Accepted (stored).",
                             registry=registry)
drafts_sent = Counter("graphpost_drafts_sent", "Drafts sent (POST …/messages/{id}/send answered 202).",
                      registry=registry)
delivery_attempts = Counter("graphpost_delivery_attempts",
                            "Outbox entries relayed, by outcome: delivered (2xx), deferred (4xx, timeout, refused "
                            "connection), failed (5xx or out of retries: bounced).", ("outcome",), registry=registry)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # no route took the request (Graph's 400 for an unknown segment, a 405)


# The counter of each (route, method, status) met so far: `labels()` validates and locks on every
# call, a few microseconds on each request's way out; a dict lookup is a fraction of that. The
# labels are bounded, so is the dict.
_request_counters: dict[tuple[str, str, int], Any] = {}


def count_request(route: str, method: str, status: int) -> None:
    key = (route, method if method in METHODS else "other", status)
    counter = _request_counters.get(key)
    if counter is None:
        counter = _request_counters[key] = http_requests.labels(key[0], key[1], str(status))
    counter.inc()
