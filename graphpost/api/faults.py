"""Faults on purpose, when the `faults` setting is above 0: that share of Graph's requests fails
with one of the statuses Dev Proxy's GraphRandomErrorPlugin uses (429, 500, 502, 503, 504, 507;
507 only for POST, PUT and DELETE, as the plugin draws them per method), before the request runs,
so a faulted write has written nothing.

The draws come from one random generator seeded with `fault_seed`: the same requests, in the same
order, fail the same way in every run. Requests sent concurrently reach the draw in the order they
arrive. Only Graph's paths (/v1.0, /beta) fail; the identity endpoint and upload URLs do not. A
$batch itself is answered, and its requests fail one by one inside it (each runs through the app
again), as Graph reports failures of a batch's requests.

The body is Graph's envelope, with the code Graph's error page gives the status where it gives one
(learn.microsoft.com/graph/errors: generalException, serviceNotAvailable, quotaLimitReached; 429's
is the throttling guidance's TooManyRequests); 429 and 503 carry Retry-After (`fault_retry_after`
seconds), as Graph's do."""

from __future__ import annotations

import random

from graphpost.config import Settings
from graphpost.errors import InjectedFault

GRAPH_PREFIXES = ("/v1.0/", "/beta/")
CODES = {429: "TooManyRequests", 500: "generalException", 502: "BadGateway", 503: "serviceNotAvailable",
         504: "GatewayTimeout", 507: "quotaLimitReached"}
# The plugin's draw per method: 507 (Insufficient Storage) only where a request stores something.
STORING_METHODS = frozenset({"POST", "PUT", "DELETE"})
WITH_RETRY_AFTER = frozenset({429, 503})


class Faults:
    def __init__(self, settings: Settings) -> None:
        self.share = settings.faults
        self.retry_after = settings.fault_retry_after
        self.random = random.Random(settings.fault_seed)
        statuses = tuple(settings.fault_statuses)
        self.by_storing = {True: statuses, False: tuple(status for status in statuses if status != 507)}

    def draw(self, method: str, path: str) -> InjectedFault | None:
        """The fault this request fails with, or None to run it."""
        if not path.startswith(GRAPH_PREFIXES) or path.endswith("/$batch"):
            return None
        if self.random.random() >= self.share:
            return None
        statuses = self.by_storing[method in STORING_METHODS]
        if not statuses:
            return None
        status = self.random.choice(statuses)
        return InjectedFault(status, CODES[status], self.retry_after if status in WITH_RETRY_AFTER else None)
