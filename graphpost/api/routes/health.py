"""Probes and metrics on the API port, outside Graph's paths and without a token: GET /healthz
(the process answers), GET /readyz (its database answers at the schema this graphpost expects),
GET /metrics (Prometheus's text format; off with the `metrics` setting).

Prometheus scrapes without credentials by default, and what /metrics shows is counts, never
content: a deployment that must hide it turns it off, or keeps the port behind its proxy."""

from __future__ import annotations

from typing import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from graphpost import metrics
from graphpost.api.runtime import runtime_of
from graphpost.monitoring import queues, readiness

probes = APIRouter()
scrape = APIRouter()


@probes.api_route("/healthz", methods=["GET", "HEAD"])
async def healthz() -> Response:
    return JSONResponse({"status": "ok"})


@probes.api_route("/readyz", methods=["GET", "HEAD"])
async def readyz(request: Request) -> Response:
    found = await readiness.check(runtime_of(request).db)
    body = {"status": "ready" if found.ready else "not ready", "database": found.database,
            "schema": found.schema, "expectedSchema": found.expected}
    return JSONResponse(body, status_code=200 if found.ready else 503)


class _Depths:
    """The scrape's queue gauges, as a collector of a registry made for one scrape."""

    def __init__(self, depths: queues.QueueDepths) -> None:
        self.depths = depths

    def collect(self) -> Iterator[Metric]:
        outbox = GaugeMetricFamily("graphpost_outbox_entries",
                                   f"Outbox entries by state, read from the database (each at most {self.depths.cap}).",
                                   labels=("state",))
        for state, count in self.depths.outbox.items():
            outbox.add_metric((state,), count)
        yield outbox
        yield GaugeMetricFamily("graphpost_notification_backlog",
                                f"Change notifications waiting to be POSTed (at most {self.depths.cap}).",
                                value=self.depths.notifications)


@scrape.get("/metrics")
async def metrics_text(request: Request) -> Response:
    gauges = CollectorRegistry(auto_describe=False)
    gauges.register(_Depths(await queues.read(runtime_of(request).db)))  # type: ignore[arg-type]
    return Response(generate_latest(metrics.registry) + generate_latest(gauges), media_type=CONTENT_TYPE_LATEST)
