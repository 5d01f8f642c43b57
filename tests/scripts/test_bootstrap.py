"""scripts/bootstrap as a new user meets it: the first install says it takes a while, shows its
progress and ends with a "done" line; a run with nothing to do prints nothing. Python and pip are
stand-ins here (a first install for real downloads for minutes), answering as pip does."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FAKE_PYTHON = """#!/usr/bin/env bash
# Answers the version check, makes a "venv" holding a copy of itself, and talks like pip.
case "$1 $2" in
    "-m venv") mkdir -p "$3/bin" && cp "$0" "$3/bin/python" ;;
    "-m pip")
        if [[ " $* " == *" -r "* ]]; then
            echo "Looking in indexes: https://pypi.org/simple"
            echo "Collecting aiosmtpd==1.4.6 (from -r requirements/runtime.lock (line 12))"
            echo "  Using cached aiosmtpd-1.4.6-py3-none-any.whl (154 kB)"
            echo "Collecting alembic==1.14.0 (from -r requirements/runtime.lock (line 15))"
            echo "Installing collected packages: aiosmtpd, alembic"
            [ -z "${FAKE_PIP_FAILS:-}" ] || { echo "ERROR: No matching distribution found for alembic"; exit 1; }
            echo "Successfully installed aiosmtpd-1.4.6 alembic-1.14.0"
        fi ;;
esac
"""


def _bootstrap(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    python = tmp_path / "python3"
    if not python.exists():
        python.write_text(FAKE_PYTHON)
        python.chmod(0o755)
    return subprocess.run([str(ROOT / "scripts" / "bootstrap"), "runtime"], capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHON": str(python),
                                            "GRAPHPOST_VENV": str(tmp_path / "venv"), **env})


def _packages_in_the_lock() -> int:
    return len(re.findall(r"^[A-Za-z0-9].*==", (ROOT / "requirements" / "runtime.lock").read_text(), re.MULTILINE))


def test_the_first_install_says_it_takes_a_while_shows_progress_and_says_done(tmp_path: Path) -> None:
    done = _bootstrap(tmp_path)
    assert done.returncode == 0, done.stderr
    total = _packages_in_the_lock()
    lines = done.stderr.splitlines()
    assert lines[0] == (f"graphpost: first run: installing {total} packages from requirements/runtime.lock into "
                        f"{tmp_path / 'venv'}; this takes a minute or two")
    assert lines[1:4] == [f"  [1/{total}] aiosmtpd==1.4.6", f"  [2/{total}] alembic==1.14.0", "  installing..."]
    assert re.fullmatch(rf"graphpost: done: {re.escape(str(tmp_path / 'venv'))} is ready \(\d+s\)", lines[4])
    assert len(lines) == 5 and done.stdout == ""


def test_a_run_with_nothing_to_do_prints_nothing(tmp_path: Path) -> None:
    assert _bootstrap(tmp_path).returncode == 0
    again = _bootstrap(tmp_path)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")


def test_a_failed_install_shows_pips_output_and_installs_again_next_time(tmp_path: Path) -> None:
    failed = _bootstrap(tmp_path, FAKE_PIP_FAILS="1")
    assert failed.returncode == 1
    assert "ERROR: No matching distribution found for alembic" in failed.stderr
    assert failed.stderr.splitlines()[-1] == (f"graphpost: installing requirements/runtime.lock into "
                                              f"{tmp_path / 'venv'} failed (pip's output above)")
    retried = _bootstrap(tmp_path)
    assert retried.returncode == 0 and retried.stderr.splitlines()[-1].startswith("graphpost: done: ")
