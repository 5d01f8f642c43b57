"""graphpost/collector.py: once configured, the app's objects are out of every collection's way,
and garbage, older or newer, is still collected."""

from __future__ import annotations

import json
import subprocess
import sys

# Run in a fresh interpreter: the settings are per process.
CONFIGURED = """
import gc, json, weakref
from graphpost import collector

class Node:
    pass

def garbage_cycle():
    node = Node()
    node.itself = node  # freed only by the collector
    return weakref.ref(node)

older = garbage_cycle()
import graphpost.api.app  # the app's modules, schemas and routes
collector.configure()
newer = garbage_cycle()
gc.collect()
print(json.dumps({"frozen": gc.get_freeze_count(), "walked": len(gc.get_objects()),
                  "older_collected": older() is None, "newer_collected": newer() is None,
                  "youngest_threshold": gc.get_threshold()[0]}))
"""


def test_the_apps_objects_are_frozen_and_garbage_is_still_collected() -> None:
    done = subprocess.run([sys.executable, "-c", CONFIGURED], capture_output=True, text=True, timeout=120,
                          check=True)
    result = json.loads(done.stdout)
    assert result["frozen"] > 10 * result["walked"]  # a full collection walks a tenth of them at most
    assert result["older_collected"] and result["newer_collected"]
    assert result["youngest_threshold"] == 10_000
