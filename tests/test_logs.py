"""graphpost/logs.py: text or JSON records, each carrying the id of the request it was logged in."""

from __future__ import annotations

import json
import logging

import pytest

from graphpost.logs import JsonFormatter, RequestIdFilter, configure, current_request_id


def record(message: str = "hello %s", *args: object, **extra: object) -> logging.LogRecord:
    made = logging.makeLogRecord({"name": "graphpost.test", "levelno": logging.WARNING, "levelname": "WARNING",
                                  "msg": message, "args": args, **extra})
    RequestIdFilter().filter(made)
    return made


def test_a_json_record_has_its_fields_and_the_request_id_it_was_logged_in() -> None:
    token = current_request_id.set("rid-1")
    try:
        line = json.loads(JsonFormatter().format(record("hello %s", "world", status=202)))
    finally:
        current_request_id.reset(token)
    assert line.pop("time").endswith("+00:00")
    assert line == {"level": "warning", "logger": "graphpost.test", "message": "hello world", "request_id": "rid-1",
                    "status": 202}


def test_a_json_record_outside_a_request_has_no_request_id_and_keeps_its_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        made = record("failed", exc_info=(type(exc), exc, exc.__traceback__))
    line = json.loads(JsonFormatter().format(made))
    assert "request_id" not in line
    assert line["exception"].startswith("Traceback") and "ValueError: boom" in line["exception"]


@pytest.mark.parametrize("form", ["text", "json"])
def test_configure_sets_the_level_and_one_handler_of_the_format(form: str) -> None:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    try:
        configure("warning", form)
        [handler] = root.handlers
        assert root.level == logging.WARNING
        assert isinstance(handler.formatter, JsonFormatter) == (form == "json")
        assert any(isinstance(found, RequestIdFilter) for found in handler.filters)
    finally:
        root.handlers[:] = saved[1]
        root.setLevel(saved[0])
