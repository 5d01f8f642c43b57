"""graphpost/allocator.py: the memory of large buffers goes back to the system once they are
freed, even after a larger one has been (glibc would otherwise keep them in its heap)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Run in a fresh interpreter: the settings are per process, and the heap must start clean.
FREED_AFTER_A_LARGE_BLOCK = """
import json, sys
from graphpost import allocator

def rss_kib():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

applied = allocator.configure() if sys.argv[1] == "configure" else []
large = bytearray(16 * 1024 * 1024)  # freed: glibc raises its mmap threshold to 16 MiB
del large
blocks, kept = [], []
for _ in range(64):
    blocks.append(bytearray(1024 * 1024))  # 1 MiB each, written to
    kept.append(bytearray(4096))  # small buffers that outlive them, between them in the heap
before = rss_kib()
del blocks
print(json.dumps({"applied": applied, "released_kib": before - rss_kib()}))
"""


def run(mode: str, env: dict[str, str] | None = None) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", FREED_AFTER_A_LARGE_BLOCK, mode], capture_output=True, text=True,
                          timeout=60, env=env, check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc and /proc")
def test_freed_megabyte_buffers_leave_the_rss_after_a_larger_one_was_freed() -> None:
    result = run("configure")
    assert result["applied"] == ["MALLOC_MMAP_THRESHOLD_=131072", "MALLOC_ARENA_MAX=2"]
    assert result["released_kib"] >= 48 * 1024  # of the 64 MiB freed


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_an_operators_malloc_environment_wins() -> None:
    env = dict(os.environ, MALLOC_ARENA_MAX="4")
    assert run("configure", env)["applied"] == ["MALLOC_MMAP_THRESHOLD_=131072"]
