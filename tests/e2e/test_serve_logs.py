"""`graphpost serve --log-format json --log-level info`: one JSON object a line on stderr, and the
records of a request (its access line, what the domain logs while serving it) carry its id."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.server import ServerProcess
from tests.ports import free_port


def in_an_hour() -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")


def records(server: ServerProcess) -> list[dict[str, Any]]:
    lines = [line.removeprefix("err| ") for line in server.log.text().splitlines() if line.startswith("err| ")]
    return [json.loads(line) for line in lines]  # a line that is not JSON fails the test here


def test_json_logs_carry_each_request_id(data_dir: Path) -> None:
    with ServerProcess(data_dir, serve_args=["--log-format", "json", "--log-level", "info"]).start() as server:
        token = server.token(user="alice@contoso.test")
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            health = http.get("/healthz")
            # Nothing listens there: the subscription's validation fails, and is logged inside the request.
            refused = http.post("/v1.0/subscriptions", headers={"Authorization": f"Bearer {token}"}, json={
                "changeType": "created", "notificationUrl": f"http://127.0.0.1:{free_port()}/hook",
                "resource": "me/messages", "expirationDateTime": in_an_hour()})
        assert health.status_code == 200 and refused.status_code == 400, refused.text
        assert refused.json()["error"]["code"] == "ValidationError", refused.text
        server.stop()
    found = records(server)
    assert found, server.log.text()
    assert {"time", "level", "logger", "message"} <= set(found[0])
    access = {record["request_id"]: record for record in found if record["logger"] == "graphpost.access"}
    probe = access[health.headers["request-id"]]
    assert (probe["method"], probe["path"], probe["route"], probe["status"]) == ("GET", "/healthz", "/healthz", 200)
    assert probe["level"] == "info" and isinstance(probe["duration_ms"], float)
    subscription = access[refused.headers["request-id"]]
    assert (subscription["route"], subscription["status"]) == ("/v1.0/subscriptions", 400)
    validation = [record for record in found if record["message"].startswith("validation of")]
    assert len(validation) == 1 and re.match(r"validation of http://127\.0\.0\.1:\d+/hook failed", validation[0]["message"])
    assert validation[0]["request_id"] == refused.headers["request-id"]
    # Records outside a request (start-up) have no request id.
    assert any("request_id" not in record for record in found)
