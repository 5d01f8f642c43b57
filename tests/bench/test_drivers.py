"""Every load driver in bench/ runs for about a second on tiny data and prints its figures: a
driver that rots (an import renamed under it, an API it no longer matches) fails here instead of
on the day someone needs its numbers. Nothing here asserts a timing or a ratio's value."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
# A driver stops by itself; this only keeps a hung one from holding CI forever.
TIMEOUT_S = 600

# Modules the drivers use, not drivers (each runs under one of the drivers below).
HELPERS = {"harness.py", "bare_app.py", "smtp_sink.py"}

# driver -> (its tiny-data arguments, lines its output must have)
DRIVERS: dict[str, tuple[list[str], list[str]]] = {
    "sendmail.py": (["--seconds", "1", "--warmup", "0.2", "--concurrency", "2"],
                    [r"^ratio b/a = \d", r"^ratio c/a = \d", r"^same ratios from server CPU per request",
                     r"^check: passed"]),
    "read.py": (["--messages", "100", "--unread", "0.5", "--batch", "50", "--seconds", "1", "--warmup", "0.2",
                 "--concurrency", "2"],
                [r"^seeded 100 messages", r"^ratio b/a = \d", r"^ratio c/a = \d", r"^ratio d/a = \d",
                 r"^check: passed"]),
    # Postfix is not installed in CI: graphpost alone, relaying to bench/smtp_sink.py.
    "delivery.py": (["--skip-postfix", "--sink", "python", "--seconds", "1", "--warmup", "0.2",
                     "--concurrency", "2"],
                    [r"^  graphpost .* msg/s at the sink", r"CPU of the whole run per delivered message: \d",
                     r"^check graphpost: .* -> passed"]),
    "notifications.py": (["--seconds", "1", "--concurrency", "2"],
                         [r"^\(a\) sendMail alone", r"^    notifications received end to end",
                          r"^ratio notifications/sendMail = \d", r"^check: passed"]),
    "delta.py": (["--messages", "100", "--seconds", "1"],
                 [r"^seeded 100 messages", r"^change-log rows read by round \(b\): 10 ", r"^ratio b/a = \d",
                  r"^ratio c/a = \d", r"^check: passed"]),
    "soak.py": (["--requests", "150", "--concurrency", "4", "--upload-mib", "2", "--sample-interval", "0.2",
                 "--idle-seconds", "0.5"],
                [r"^load: 1[56]\d requests answered", r"^  after the warm-up \(15 requests\) +\d+ MiB",
                 r"^  end of the load +\d+ MiB", r"^  growth from the warm-up to the end of the load",
                 r"^rss bound: within", r"^check: passed"]),
}


def run(driver: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BENCH / driver), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=TIMEOUT_S)


def test_every_driver_in_bench_is_run_here() -> None:
    drivers = {path.name for path in BENCH.glob("*.py")} - HELPERS
    assert drivers == set(DRIVERS)


@pytest.mark.e2e
@pytest.mark.parametrize("driver", sorted(DRIVERS))
def test_driver_runs_on_tiny_data_and_prints_its_figures(driver: str) -> None:
    args, expected = DRIVERS[driver]
    done = run(driver, args)
    assert done.returncode == 0, f"{driver} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    missing = [pattern for pattern in expected if not re.search(pattern, done.stdout, re.MULTILINE)]
    assert not missing, f"{driver} did not print {missing}:\n{done.stdout[-3000:]}"
    if driver == "soak.py":  # it sends every kind of its mix first, so that a short run covers them all
        kinds = re.findall(r"^  (\w+) +expects (?:2xx|4xx)  (.*)$", done.stdout, re.MULTILINE)
        assert len(kinds) >= 14
        assert [name for name, answers in kinds if answers.startswith("none sent")] == []


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (.ci/run installs it)")
def test_sendmail_driver_runs_with_wrk_as_its_load_generator() -> None:
    done = run("sendmail.py", ["--client", "wrk", "--seconds", "1", "--warmup", "0", "--concurrency", "2"])
    assert done.returncode == 0, f"exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert re.search(r"^load generator: wrk", done.stdout, re.MULTILINE), done.stdout[-3000:]
    assert re.search(r"^ratio b/a = \d", done.stdout, re.MULTILINE), done.stdout[-3000:]
    assert re.search(r"^check: passed", done.stdout, re.MULTILINE), done.stdout[-3000:]
