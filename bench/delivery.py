"""End-to-end relay throughput: graphpost (sendMail -> outbox -> delivery worker -> SMTP sink) vs the
Postfix reference (smtp-source -> Postfix -> smtp-sink), in one run, on the same machine.

    .venv/bin/python bench/delivery.py [--seconds 15] [--warmup 3] [--concurrency 16]
                                       [--database-url URL] [--relay-max-connections N] [--split-roles]
                                       [--skip-postfix [--sink python]] [--keep]

Everything runs on 127.0.0.1 and stops by itself (bounded waits everywhere; servers are stopped
at the end, also on errors):

  * the sink is Postfix's `smtp-sink -c` (one fresh process per system, so each counts from 0);
    the driver reads its running counter (`mesg=N`) and samples it;
  * Postfix: a private instance (its own config directory, queue and data directories in a temp
    dir, smtpd on a free 127.0.0.1 port, `relayhost = [127.0.0.1]:SINK`), started with
    `postfix -c DIR start` and stopped with `postfix -c DIR stop`; the load is
    `smtp-source -c -l 1400 -s CONCURRENCY -m <many>`, stopped after warm-up + seconds;
  * graphpost: `graphpost serve` on a fresh temp data dir (SQLite there, or --database-url) with
    GRAPHPOST_RELAY_HOST=127.0.0.1, GRAPHPOST_RELAY_PORT=SINK, GRAPHPOST_RELAY_TLS=none; the load
    is POST /v1.0/me/sendMail (one external recipient, saveToSentItems false, a 1,400-byte HTML
    body) from a separate process (bench/sendmail.py's raw HTTP/1.1 client, CONCURRENCY
    keep-alive connections, one request in flight each), for warm-up + seconds.

The figure, for both: messages counted by the sink during the measured window (after the warm-up,
while the load is still running) / seconds. Also printed: the drain (how long the queue takes to
empty once the load stops), the overall rate (everything delivered / from first injection to last
delivery), CPU, and the check: every message accepted (202 / 250) reached the sink exactly once
(graphpost: sink count == 202s, and the outbox says all delivered, none queued/deferred/failed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from sendmail import (HOST, ROOT, RawClient, Series, Server, _cpu_ticks, _timed,  # noqa: E402
                      fmt, graphpost_cli, ratio)

SENDER = "alice@contoso.test"
RECIPIENT = "to@example.com"  # not an accepted domain: external, relayed
BODY_BYTES = 1400  # graphpost: the HTML body content; Postfix: smtp-source -l
LOREM = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. "
DRAIN_TIMEOUT_S = 300.0  # after the load: at most this long for the queue to empty
STALL_TIMEOUT_S = 60.0  # ... and give up earlier if the sink count does not move for this long
SMTP_SINK = "/usr/sbin/smtp-sink"
SMTP_SOURCE = "/usr/sbin/smtp-source"
POSTFIX = "/usr/sbin/postfix"


def send_mail_body() -> bytes:
    head = "<html><body><p>Hello,</p><p>This is a graphpost relay benchmark message.</p><p>"
    tail = "</p></body></html>"
    pad = BODY_BYTES - len(head) - len(tail)
    content = head + (LOREM * (pad // len(LOREM) + 1))[:pad] + tail
    return json.dumps({"message": {
        "subject": "graphpost relay bench",
        "body": {"contentType": "HTML", "content": content},
        "toRecipients": [{"emailAddress": {"address": RECIPIENT, "name": "Recipient"}}],
    }, "saveToSentItems": False}).encode()


# ----------------------------------------------------------------------------- load generator (graphpost)

async def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    client = RawClient(spec["host"], spec["port"], spec["token"])
    body = send_mail_body()
    head = client.head("/v1.0/me/sendMail", body)
    series = Series()
    start = time.perf_counter()
    t0, t1 = start + spec["warmup"], start + spec["warmup"] + spec["seconds"]

    async def worker() -> None:
        conn = client.connection()
        try:
            while time.perf_counter() < t1:
                began = time.perf_counter()
                status, data = await _timed(client, conn, head, body)
                series.record(status, began, time.perf_counter(), t0, t1, data)
        finally:
            conn.close()

    c0 = time.process_time()
    await asyncio.gather(*(worker() for _ in range(spec["concurrency"])))
    return {"series": series.summary(spec["seconds"]), "client": client.name,
            "loadgen_cpu_s": time.process_time() - c0, "body_bytes": len(body)}


def loadgen_main() -> None:
    spec = json.loads(sys.stdin.read())
    sys.stdout.write(json.dumps(asyncio.run(run_load(spec))))


# ----------------------------------------------------------------------------- helpers

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {HOST}:{port} after {timeout:g} s")


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def tree_cpu(pid: int | None) -> float:
    """CPU seconds of a process, its reaped children and its live children (one level)."""
    if not pid:
        return float("nan")
    tick = os.sysconf("SC_CLK_TCK")

    def fields(p: int) -> list[str] | None:
        try:
            with open(f"/proc/{p}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None

    own = fields(pid)
    if own is None:
        return float("nan")
    total = sum(int(v) for v in own[11:15])  # utime stime cutime cstime
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            f = fields(int(entry))
            if f is not None and f[1] == str(pid):
                total += sum(int(v) for v in f[11:15])
    return total / tick


class Counter:
    """Reads a `\\r`-separated running counter from a child's stdout (smtp-sink -c, smtp-source -c)."""

    def __init__(self, name: str, argv: list[str], pattern: str, logdir: Path) -> None:
        self.name = name
        self.count = 0
        self.last_change = time.perf_counter()
        self.first_change: float | None = None
        self.pattern = re.compile(pattern.encode())
        self.err = open(logdir / f"{name}.stderr", "wb")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.err, stdin=subprocess.DEVNULL)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        buffer = b""
        while True:
            chunk = self.proc.stdout.read1(65536)
            if not chunk:
                return
            buffer += chunk
            *lines, buffer = re.split(rb"[\r\n]", buffer)
            for line in reversed(lines):
                found = self.pattern.search(line)
                if found:
                    value = int(found.group(1))
                    if value != self.count:
                        now = time.perf_counter()
                        self.first_change = self.first_change or now
                        self.count, self.last_change = value, now
                    break

    def cpu(self) -> float:
        return _cpu_ticks(self.proc.pid)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.thread.join(5)
        self.err.close()


def start_sink(logdir: Path, name: str, kind: str = "smtp-sink") -> tuple[Counter, int]:
    port = free_port()
    if kind == "python":
        argv = [sys.executable, str(HERE / "smtp_sink.py"), f"{HOST}:{port}"]
    else:
        user = ["-u", "postfix"] if os.geteuid() == 0 else []  # smtp-sink refuses to run as root without -u
        argv = [SMTP_SINK, "-c", *user, f"{HOST}:{port}", "100"]
    sink = Counter(name, argv, r"mesg=(\d+)", logdir)
    wait_for_port(port)
    return sink, port


def drain(sink: Counter, target: int | None, done: Any = None) -> tuple[bool, float]:
    """Wait until the sink reached target (or done() says the queue is empty). (drained, when)."""
    deadline = time.perf_counter() + DRAIN_TIMEOUT_S
    while time.perf_counter() < deadline:
        if (target is not None and sink.count >= target) or (done is not None and done()):
            time.sleep(0.3)  # anything late (a duplicate) still gets counted
            return True, sink.last_change
        if time.perf_counter() - sink.last_change > STALL_TIMEOUT_S:
            break
        time.sleep(0.05)
    return False, sink.last_change


class Window:
    """Counters sampled at the start and the end of the measured window."""

    def __init__(self, sink: Counter, pids: dict[str, int | None]) -> None:
        self.sink, self.pids = sink, pids

    def snap(self) -> dict[str, Any]:
        busy, total = machine_cpu()
        return {"t": time.perf_counter(), "sink": self.sink.count, "busy": busy, "total": total,
                "cpu": {name: tree_cpu(pid) for name, pid in self.pids.items()},
                "sink_cpu": self.sink.cpu()}

    @staticmethod
    def result(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        elapsed = b["t"] - a["t"]
        delivered = b["sink"] - a["sink"]
        return {"seconds": elapsed, "delivered": delivered, "rate": delivered / elapsed,
                "machine_busy_pct": (b["busy"] - a["busy"]) / (b["total"] - a["total"]) * 100 * os.cpu_count(),
                "cpu_pct": {k: (b["cpu"][k] - a["cpu"][k]) / elapsed * 100 for k in a["cpu"]},
                "sink_cpu_pct": (b["sink_cpu"] - a["sink_cpu"]) / elapsed * 100}


def whole_run(first: dict[str, Any], stopped: dict[str, Any], end: dict[str, Any], name: str, at_load_end: int,
              load_end: float, last: float) -> dict[str, Any]:
    """From the first injection to the end of the drain: CPU per delivered message, and the drain
    rate (what is left in the queue when the load stops / time to deliver it, no more injection)."""
    delivered = end["sink"] - first["sink"]
    backlog = end["sink"] - at_load_end

    def cpu(snap: dict[str, Any]) -> float:  # the system's processes: name, name-delivery
        return sum(v for k, v in snap["cpu"].items() if k == name or k.startswith(name + "-"))

    return {"cpu_ms_per_msg": (cpu(end) - cpu(first)) / delivered * 1000 if delivered else float("nan"),
            "backlog_at_load_end": backlog,
            # the drain's CPU (the few idle tenths of a second after the last delivery included)
            "drain_cpu_pct": (cpu(end) - cpu(stopped)) / (end["t"] - stopped["t"]) * 100,
            "drain_machine_pct": ((end["busy"] - stopped["busy"]) / (end["total"] - stopped["total"]) * 100
                                  * os.cpu_count()),
            "drain_rate": backlog / (last - load_end) if backlog > 0 and last > load_end else float("nan")}


# ----------------------------------------------------------------------------- Postfix

def postfix_config(base: Path, smtpd_port: int, sink_port: int) -> Path:
    conf = base / "etc"
    for d in ("etc", "queue", "data"):
        (base / d).mkdir()
    shutil.chown(base / "data", "postfix", "postfix")
    conf.joinpath("main.cf").write_text(f"""\
compatibility_level = 3.6
queue_directory = {base / 'queue'}
data_directory = {base / 'data'}
maillog_file = {base / 'maillog'}
maillog_file_prefixes = {base}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = postfix-bench.localdomain
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relayhost = [127.0.0.1]:{sink_port}
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtp_dns_support_level = disabled
biff = no
""")
    lines = []
    for line in Path("/etc/postfix/master.cf").read_text().splitlines():
        fields = line.split()
        if line and not line[0].isspace() and not line.startswith("#") and len(fields) >= 8:
            if fields[0] == "smtp" and fields[1] == "inet":
                fields[0] = f"{HOST}:{smtpd_port}"
            fields[4] = "n"  # no chroot: the queue directory holds no copy of /etc
            line = "  ".join(fields)
        lines.append(line)
    conf.joinpath("master.cf").write_text("\n".join(lines) + "\n")
    return conf


def postfix_cmd(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def master_pid(base: Path) -> int | None:
    try:
        return int((base / "queue/pid/master.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def run_postfix(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    base = tmp / "postfix"
    base.mkdir()
    sink, sink_port = start_sink(tmp, "postfix-sink")
    smtpd_port = free_port()
    conf = postfix_config(base, smtpd_port, sink_port)
    source: Counter | None = None
    started = False
    try:
        done = postfix_cmd([POSTFIX, "-c", str(conf), "start"])
        if done.returncode != 0:
            # postfix(1) writes its reasons to stderr only when that is a terminal: ask again on one.
            again = postfix_cmd(["script", "-qc", f"{POSTFIX} -c {conf} check", "/dev/null"])
            raise RuntimeError(f"`postfix -c {conf} start` failed ({done.returncode}):\n{done.stdout}{done.stderr}"
                               f"`postfix check` on a terminal says: {again.stdout}{again.stderr}")
        started = True
        wait_for_port(smtpd_port)
        window = Window(sink, {"postfix": master_pid(base)})
        first = window.snap()
        began = time.perf_counter()
        source = Counter("smtp-source", [SMTP_SOURCE, "-c", "-l", str(BODY_BYTES), "-m", "100000000",
                                         "-s", str(args.concurrency), "-f", "from@bench.test",
                                         "-t", RECIPIENT, f"{HOST}:{smtpd_port}"], r"^(\d+)$", tmp)
        window.pids["smtp-source"] = source.proc.pid
        time.sleep(args.warmup)
        a = window.snap()
        time.sleep(args.seconds)
        b = window.snap()
        source.stop(signal.SIGTERM)
        load_end, at_load_end = time.perf_counter(), sink.count
        stopped = window.snap()
        injected = source.count

        def queue_empty() -> bool:
            out = postfix_cmd(["/usr/sbin/postqueue", "-c", str(conf), "-p"], 30).stdout
            return "Mail queue is empty" in out

        drained, last = drain(sink, None, queue_empty)
        result = Window.result(a, b)
        result.update(whole_run(first, stopped, window.snap(), "postfix", at_load_end, load_end, last))
        result.update({"accepted": injected, "delivered_total": sink.count, "drained": drained,
                       "drain_s": max(0.0, last - load_end),
                       "overall_rate": sink.count / (last - began) if last > began else float("nan"),
                       "inject_rate": injected / (load_end - began),
                       "version": postfix_cmd(["/usr/sbin/postconf", "-c", str(conf), "-h", "mail_version"]).stdout.strip(),
                       "smtpd_port": smtpd_port, "sink_port": sink_port, "conf": str(conf)})
        return result
    finally:
        if source is not None:
            source.stop(signal.SIGKILL)
        if started:
            stop = postfix_cmd([POSTFIX, "-c", str(conf), "stop"])
            if stop.returncode != 0:
                print(f"`postfix -c {conf} stop` failed: {stop.stdout}{stop.stderr}")
            deadline = time.monotonic() + 15
            pid = master_pid(base)
            while pid and time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
                time.sleep(0.1)
        sink.stop()


# ----------------------------------------------------------------------------- graphpost

def run_graphpost(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    sink, sink_port = start_sink(tmp, "graphpost-sink", args.sink)
    data_dir = tmp / "data"
    common = ["--data-dir", str(data_dir)]
    if args.database_url:
        common += ["--database-url", args.database_url]
    env = dict(os.environ, GRAPHPOST_RELAY_HOST=HOST, GRAPHPOST_RELAY_PORT=str(sink_port),
               GRAPHPOST_RELAY_TLS="none")
    if args.relay_max_connections:
        env["GRAPHPOST_RELAY_MAX_CONNECTIONS"] = str(args.relay_max_connections)
    gp: Server | None = None
    worker: subprocess.Popen[bytes] | None = None
    graphpost = str(Path(sys.executable).with_name("graphpost"))
    try:
        token = graphpost_cli(["token", "--user", SENDER], common)
        roles = ["--role", "api"] if args.split_roles else []
        gp = Server("graphpost", [graphpost, "serve", "--port", "0", *roles, *common], tmp, env=env)
        pid = gp.proc.pid
        window = Window(sink, {"graphpost": pid})
        if args.split_roles:
            # The delivery worker in a second process (`serve --role delivery`) on the same database.
            with open(tmp / "graphpost-delivery.stdout", "wb") as out, \
                    open(tmp / "graphpost-delivery.stderr", "wb") as err:
                worker = subprocess.Popen([graphpost, "serve", "--role", "delivery", *common], stdout=out,
                                          stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT, env=env)
            deadline = time.monotonic() + 60
            while b"delivery worker relaying" not in (tmp / "graphpost-delivery.stderr").read_bytes():
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("`graphpost serve --role delivery` did not start: "
                                       + (tmp / "graphpost-delivery.stderr").read_text(errors="replace")[-2000:])
                time.sleep(0.1)
            window.pids["graphpost-delivery"] = worker.pid
        first = window.snap()
        spec = {"host": HOST, "port": gp.port, "token": token, "concurrency": args.concurrency,
                "warmup": args.warmup, "seconds": args.seconds}
        began = time.perf_counter()
        loadgen = subprocess.Popen([sys.executable, __file__, "--loadgen"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert loadgen.stdin is not None
        loadgen.stdin.write(json.dumps(spec))
        loadgen.stdin.close()
        loadgen.stdin = None  # communicate() below must not flush it again
        window.pids["loadgen"] = loadgen.pid
        time.sleep(args.warmup)
        m0 = _cpu_ticks(pid, pid)
        a = window.snap()
        time.sleep(args.seconds)
        b = window.snap()
        m1 = _cpu_ticks(pid, pid)
        try:
            out, err = loadgen.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            loadgen.kill()
            out, err = loadgen.communicate()
        if loadgen.returncode != 0:
            raise RuntimeError(f"load generator failed:\n{err}")
        load = json.loads(out)
        load_end, at_load_end = time.perf_counter(), sink.count
        stopped, l0 = window.snap(), _cpu_ticks(pid, pid)
        accepted = load["series"]["ok_total"]
        drained, last = drain(sink, accepted)
        result = Window.result(a, b)
        end = window.snap()
        result.update(whole_run(first, stopped, end, "graphpost", at_load_end, load_end, last))
        result["drain_loop_cpu_pct"] = (_cpu_ticks(pid, pid) - l0) / (end["t"] - stopped["t"]) * 100
        result["graphpost_loop_cpu_pct"] = (m1 - m0) / result["seconds"] * 100
        states = {}
        for state in ("delivered", "queued", "deferred", "failed", "captured"):
            listing = graphpost_cli(["queue", "list", "--state", state, "--limit", "100000000"], common)
            states[state] = len([ln for ln in listing.splitlines()[1:] if ln.strip()])  # after the header
        result.update({"accepted": accepted, "delivered_total": sink.count, "drained": drained,
                       "drain_s": max(0.0, last - load_end),
                       "overall_rate": sink.count / (last - began) if last > began else float("nan"),
                       "api_rate_window": load["series"]["rate"], "inject_rate": accepted / (load_end - began),
                       "errors": load["series"]["errors_total"], "error_samples": load["series"]["error_samples"],
                       "body_bytes": load["body_bytes"], "states": states,
                       "loadgen_cpu_s": load["loadgen_cpu_s"]})
        return result
    finally:
        if gp is not None:
            gp.stop()
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGINT)
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(5)
        sink.stop()


# ----------------------------------------------------------------------------- report

def report(name: str, r: dict[str, Any]) -> None:
    print(f"  {name}: {fmt(r['rate'])} msg/s at the sink ({r['delivered']} in {r['seconds']:.2f} s)")
    print(f"      accepted during the whole load {r['accepted']} ({fmt(r['inject_rate'])}/s injected); "
          f"sink total {r['delivered_total']}; drain after the load: {fmt(r['drain_s'], 2)} s "
          f"({'emptied' if r['drained'] else 'NOT emptied'}); overall {fmt(r['overall_rate'])} msg/s "
          f"(all delivered / first injection to last delivery)")
    print(f"      queue left when the load stopped: {r['backlog_at_load_end']} messages, delivered at "
          f"{fmt(r['drain_rate'])} msg/s with no more injection (CPU meanwhile: {fmt(r['drain_cpu_pct'], 0)}% "
          f"of a core, machine {fmt(r['drain_machine_pct'], 0)}%); CPU of the whole run per delivered message: "
          f"{fmt(r['cpu_ms_per_msg'], 2)} ms")
    cpu = ", ".join(f"{k} {fmt(v, 0)}%" for k, v in r["cpu_pct"].items())
    print(f"      CPU in the window (100% = one core): machine {fmt(r['machine_busy_pct'], 0)}% of "
          f"{os.cpu_count() * 100}%; {cpu}; smtp-sink {fmt(r['sink_cpu_pct'], 0)}%")


def main() -> None:
    parser = argparse.ArgumentParser(description="graphpost relay throughput vs Postfix (see bench/README.md)")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds per system [15]")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per system [3]")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections / smtp-source -s [16]")
    parser.add_argument("--database-url", help="graphpost's database (default: SQLite in a fresh temp data dir)")
    parser.add_argument("--relay-max-connections", type=int, help="GRAPHPOST_RELAY_MAX_CONNECTIONS (default: "
                        "graphpost's own default)")
    parser.add_argument("--split-roles", action="store_true", help="graphpost as two processes: "
                        "`serve --role api` and `serve --role delivery` (default: one `serve` with both)")
    parser.add_argument("--skip-postfix", action="store_true", help="measure graphpost alone")
    parser.add_argument("--sink", choices=["smtp-sink", "python"], default="smtp-sink",
                        help="graphpost's SMTP sink: Postfix's smtp-sink, or bench/smtp_sink.py (aiosmtpd; "
                        "only with --skip-postfix, where Postfix is not installed) [smtp-sink]")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, queues, database)")
    parser.add_argument("--loadgen", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loadgen:
        loadgen_main()
        return
    if args.seconds <= 0 or args.warmup < 0 or not 1 <= args.concurrency <= 1024:
        parser.error("need --seconds > 0, --warmup >= 0 and 1 <= --concurrency <= 1024")
    if args.sink == "python" and not args.skip_postfix:
        parser.error("--sink python only with --skip-postfix: both systems must relay to the same sink")
    for tool in (() if args.sink == "python" else (SMTP_SINK,)) + (() if args.skip_postfix else (SMTP_SOURCE, POSTFIX)):
        if not os.access(tool, os.X_OK):
            raise SystemExit(f"{tool} not found: apt-get install --no-install-recommends postfix")

    tmp = Path(tempfile.mkdtemp(prefix="graphpost-delivery-bench-"))
    tmp.chmod(0o755)  # Postfix's daemons (user postfix) reach their data directory in it
    failed = False
    try:
        print(f"relay bench: {args.seconds:g} s measured after {args.warmup:g} s warm-up per system, "
              f"concurrency {args.concurrency}, on {HOST}; machine: nproc={os.cpu_count()}, "
              f"python {sys.version.split()[0]}")
        sink = "bench/smtp_sink.py (aiosmtpd)" if args.sink == "python" else f"{SMTP_SINK} -c"
        print(f"sink: {sink} (a fresh one per system); graphpost message: sendMail to {RECIPIENT}, "
              f"saveToSentItems false, {BODY_BYTES}-byte HTML body; Postfix: smtp-source -l {BODY_BYTES}")
        pf: dict[str, Any] | None = None
        if not args.skip_postfix:
            try:
                pf = run_postfix(args, tmp)
            except (RuntimeError, SystemExit, OSError, subprocess.SubprocessError) as exc:
                print(f"Postfix could not be measured: {exc}")
                failed = True
        gp = run_graphpost(args, tmp)
        print()
        print(f"results (messages counted by the sink over the {args.seconds:g} s window, load still running):")
        if pf is not None:
            report(f"Postfix {pf['version']} (smtp-source -s {args.concurrency} -> smtpd :{pf['smtpd_port']} "
                   f"-> smtp -> smtp-sink)", pf)
        report(f"graphpost ({'SQLite' if not args.database_url else args.database_url.split(':')[0]}; "
               f"sendMail -> outbox -> delivery worker -> smtp-sink; "
               f"{'two processes: --role api + --role delivery' if args.split_roles else 'one process'})", gp)
        print(f"      graphpost: API accepted {fmt(gp['api_rate_window'])} sendMail/s in the window; "
              f"its event-loop thread {fmt(gp['graphpost_loop_cpu_pct'], 0)}% of a core "
              f"({fmt(gp['drain_loop_cpu_pct'], 0)}% during the drain); "
              f"request errors in the run: {gp['errors']}")
        for sample in gp["error_samples"]:
            print(f"      error sample: {sample}")
        if pf is not None:
            print()
            print(f"ratio graphpost/Postfix = {fmt(ratio(gp['rate'], pf['rate']), 3)} (window rates; goal >= 0.5); "
                  f"overall rates: {fmt(ratio(gp['overall_rate'], pf['overall_rate']), 3)}; "
                  f"from CPU per delivered message: {fmt(ratio(pf['cpu_ms_per_msg'], gp['cpu_ms_per_msg']), 3)}")
        print()
        states = gp["states"]
        ok = (gp["drained"] and gp["delivered_total"] == gp["accepted"] and states["delivered"] == gp["accepted"]
              and not any(states[s] for s in ("queued", "deferred", "failed", "captured")) and not gp["errors"])
        print(f"check graphpost: {gp['accepted']} sendMail 202s; sink counted {gp['delivered_total']}; outbox: "
              + ", ".join(f"{k} {v}" for k, v in states.items()) + f" -> {'passed' if ok else 'FAILED'}")
        failed |= not ok
        if pf is not None:
            # smtp-source counts a message when it reads the 250 after DATA; when it is stopped, up to
            # `concurrency` messages may have been accepted by Postfix without being counted.
            pf_ok = pf["drained"] and pf["accepted"] <= pf["delivered_total"] <= pf["accepted"] + args.concurrency
            print(f"check Postfix: smtp-source counted {pf['accepted']} accepted (250 after DATA); sink counted "
                  f"{pf['delivered_total']}; queue {'empty' if pf['drained'] else 'NOT empty'} -> "
                  f"{'passed' if pf_ok else 'FAILED'}")
            failed |= not pf_ok
        if failed:
            sys.exit(1)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
