#!/usr/bin/env python3
"""`batchledger serve` under load: executions started through Kestra's API while wrk reads it.

Against a standalone `batchledger emulator` (Google's intervals and quotas: BATCHLEDGER_TIMING=standard), one
`batchledger serve --endpoint` process:

  1. baseline: wrk reads an idle server (one finished execution in the ledger) at about --rate requests per
     second for --seconds: GET execution and GET search, alternately;
  2. load: --executions executions of a one-task flow (its job sleeps --sleep seconds) are created through
     POST /api/v1/main/executions/{namespace}/{id} by --clients threads, then wrk reads the same way while the
     jobs start (the emulator runs each job as a local process, on the same cores), and again once 95 % of them
     run and sleep, when --sleep leaves at least 5 s for it; then every execution is awaited.

While the jobs start, and again while they sleep, a second `serve` that drives nothing (one finished execution)
is read the same way at the same time: the latency the machine alone adds (the emulator starts every job as
processes on the same cores).

With --backend postgres --replicas N, N `serve` replicas share one fresh database on a throw-away PostgreSQL
cluster (pg_cluster.py: initdb and pg_ctl as the postgres user in a mktemp folder, a free loopback port, trust
authentication; stopped and removed on every exit, SIGTERM and SIGHUP included), each on its own port with its own
BATCHLEDGER_CACHE_DIR and output folder. The flow is saved once (on the first replica, awaited on the others), the
executions are started round robin over the replicas, and each replica is read by a wrk of its own at --rate.
--compare runs SQLite x1, then PostgreSQL x--replicas (default 2), each with a fresh emulator, and prints both.

Printed per run: executions per second (from the first start to the last execution's endDate), executions
accepted per second, per replica API p99 idle, while the executions start and while the jobs sleep, and peak RSS
(VmHWM), an idle server's p99 beside them, Cloud Logging reads (entries.list) in the busiest minute, Batch watch
calls per second, and the checks: RSS < 256 MiB, p99 < 50 ms, Logging reads <= 60 per minute per project, every
execution SUCCESS, the emulator's jobsCreated during the load == executions (no job started twice), and
`batchledger verify --ledger LEDGER` passing once the replicas stopped. The exit status is 1 when one of the last
three fails.

Usage: serve.py [--executions 1000] [--sleep 20] [--rate 100] [--seconds 15] [--clients 16]
                [--backend sqlite|postgres] [--replicas N] [--lease-ttl SECONDS] [--compare] [--skip-build] [--keep]
The release build goes through $SWIFT (default `swift`), e.g. SWIFT=/work/bin/swiftlock; wrk comes from Debian.
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pg_cluster  # noqa: E402
from concurrency import ROOT, Emulator, Sampler, log  # noqa: E402

PROJECT, REGION = "local-project", "europe-west9"
ROUND_SECONDS = 2.0  # Timing.standard.minimumRoundInterval
TOKEN = "bench-token-" + os.urandom(8).hex()


def flow(sleep):
    return f"""id: serve_bench
namespace: bench
tasks:
  - id: sleeper
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.ee.gcp.runner.Batch
      projectId: {PROJECT}
      region: {REGION}
    commands:
      - echo "started {{{{ execution.id }}}}"
      - sleep {sleep}
"""


class Server:
    """One `batchledger serve` on `ledger` (an SQLite file, or a PostgreSQL URL with `cache` as its cache folder)."""

    def __init__(self, binary, work, endpoint, ledger=None, cache=None, lease_ttl=None):
        os.makedirs(work, exist_ok=True)
        tokens = os.path.join(work, "tokens")
        with open(tokens, "w") as handle:
            handle.write(f"bench:{TOKEN}\n")
        self.log = os.path.join(work, "serve.log")
        environment = dict(os.environ, BATCHLEDGER_TIMING="standard")
        if cache:
            environment["BATCHLEDGER_CACHE_DIR"] = cache
        command = [binary, "serve", "--endpoint", endpoint, "--ledger", ledger or os.path.join(work, "ledger"),
                   "--port", "0", "--token-file", tokens, "--output-dir", os.path.join(work, "outputs")]
        if lease_ttl:
            command += ["--lease-ttl", str(lease_ttl)]
        # In its own folder: whatever it writes beside a relative path stays in the benchmark's temporary folder.
        self.process = subprocess.Popen(command, stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
                                        env=environment, cwd=work)
        self.base = None
        for _ in range(1200):
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", open(self.log).read())
            if found:
                self.base = f"http://127.0.0.1:{found.group(1)}"
                break
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        if not self.base:
            self.stop()
            raise SystemExit(f"serve did not start:\n{open(self.log).read()[-2000:]}")

    def call(self, method, path, body=None, content_type=None):
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("Authorization", f"Bearer {TOKEN}")
        if content_type:
            request.add_header("Content-Type", content_type)
        with urllib.request.urlopen(request, timeout=120) as answer:
            return json.load(answer) if answer.status != 204 else None

    def await_visible(self, path, seconds=60):
        """Waits until this replica answers `path` (what another replica wrote reaches it through the ledger)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                return self.call("GET", path)
            except urllib.error.HTTPError as error:
                if error.code != 404 or time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    def peak_rss_mib(self):
        try:
            for line in open(f"/proc/{self.process.pid}/status"):
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def stop(self):
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wrk(server, execution_id, rate, seconds, work):
    """wrk with 10 connections, each waiting 10 000 / rate ms after every answer: about `rate` requests a second."""
    script = os.path.join(work, "reads.lua")
    connections = 10
    with open(script, "w") as handle:
        handle.write(f"""
local paths = {{"/api/v1/main/executions/{execution_id}", "/api/v1/main/executions/search?page=1&size=25"}}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % 2) + 1], {{["Authorization"] = "Bearer {TOKEN}"}})
end
delay = function() return {int(connections * 1000 / rate)} end
""")
    output = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", script, server.base],
        capture_output=True, text=True, check=True).stdout
    figures = {"requestsPerSecond": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for percentile in ("50", "99"):
        found = re.search(rf"\s{percentile}(?:\.000)?%\s+([\d.]+)(us|ms|s)\b", output)
        value, unit = float(found.group(1)), found.group(2)
        figures[f"p{percentile}Ms"] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    figures["non2xx"] = int(errors.group(1)) if errors else 0
    # The machine's 1-minute load average as the reads end: other work on the same cores shows in the p99.
    figures["loadAverage"] = round(os.getloadavg()[0], 2)
    return figures


def in_parallel(calls):
    """Runs the calls at the same time; their results in order."""
    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return [future.result() for future in [pool.submit(call) for call in calls]]


def terminal_time(execution):
    """The wall-clock time (seconds since the epoch) the execution ended, from its endDate; None when absent."""
    end = execution["state"].get("endDate")
    try:
        return datetime.datetime.fromisoformat(end).timestamp() if end else None
    except ValueError:
        return None


def measure(binary, arguments, backend, replicas, work):
    """One run: `replicas` serves on one fresh ledger (`backend`: sqlite or postgres), its own emulator; figures."""
    os.makedirs(work, exist_ok=True)
    emulator = Emulator(binary, work, "serve")
    cluster = None
    servers = []
    control = None
    try:
        if backend == "postgres":
            cluster = pg_cluster.Cluster(max_connections=100 + 50 * replicas)
            ledger = cluster.create_database("serve_bench")
            log(f"PostgreSQL ledger {ledger}")
        else:
            ledger = os.path.join(work, "ledger")
        # One after the other: the first creates the ledger's schema in the empty database.
        for index in range(replicas):
            folder = os.path.join(work, f"replica-{index}")
            servers.append(Server(binary, folder, emulator.endpoint, ledger,
                                  cache=os.path.join(folder, "cache") if cluster else None,
                                  lease_ttl=arguments.lease_ttl))
            log(f"replica {index}: {servers[-1].base}")
        first = servers[0]
        first.call("POST", "/api/v1/main/flows", flow(1).replace("serve_bench", "serve_warmup").encode(),
                   "application/x-yaml")
        warm = first.call("POST", "/api/v1/main/executions/bench/serve_warmup?wait=true")
        log(f"warm-up execution {warm['id']} {warm['state']['current']}")
        for server in servers:
            server.await_visible(f"/api/v1/main/executions/{warm['id']}")
        baselines = in_parallel([lambda server=server, index=index: wrk(
            server, warm["id"], arguments.rate, arguments.seconds, os.path.join(work, f"replica-{index}"))
            for index, server in enumerate(servers)])
        log(f"baseline reads: {baselines}")
        # A second server on the same machine that drives nothing (an SQLite ledger of its own): read beside the
        # loaded ones, it tells how much of the latency under load is the machine's (the emulator starting a
        # thousand jobs on the same cores).
        control = Server(binary, os.path.join(work, "control"), emulator.endpoint)
        control.call("POST", "/api/v1/main/flows", flow(1).replace("serve_bench", "serve_control").encode(),
                     "application/x-yaml")
        control_id = control.call("POST", "/api/v1/main/executions/bench/serve_control?wait=true")["id"]

        # The flow is saved once; every replica reads it from the shared ledger.
        first.call("POST", "/api/v1/main/flows", flow(arguments.sleep).encode(), "application/x-yaml")
        for server in servers:
            server.await_visible("/api/v1/main/flows/bench/serve_bench")
        jobs_before = emulator.stats().get("jobsCreated", 0)
        sampler = Sampler(emulator)
        sampler.start()
        began_wall = time.time()
        began = time.monotonic()

        def start(number):
            replica = number % replicas  # round robin
            return replica, servers[replica].call("POST", "/api/v1/main/executions/bench/serve_bench")["id"]

        with concurrent.futures.ThreadPoolExecutor(arguments.clients) as pool:
            started = list(pool.map(start, range(arguments.executions)))
        accepted_seconds = time.monotonic() - began
        ids = [execution_id for _, execution_id in started]
        mine = [[execution_id for replica, execution_id in started if replica == index] for index in range(replicas)]
        rss_accepted = [server.peak_rss_mib() for server in servers]
        log(f"{len(ids)} executions accepted in {accepted_seconds:.1f} s; peak RSS so far {rss_accepted} MiB")
        reads = in_parallel(
            [lambda server=server, index=index: wrk(server, mine[index][len(mine[index]) // 2], arguments.rate,
                                                     arguments.seconds, os.path.join(work, f"replica-{index}"))
             for index, server in enumerate(servers)]
            + [lambda: wrk(control, control_id, arguments.rate, arguments.seconds, os.path.join(work, "control"))])
        loaded, beside = reads[:-1], reads[-1]
        log(f"reads under load: {loaded}; an idle server beside them meanwhile: {beside}")
        # Then once every job has started and sleeps: the servers only watch (when --sleep leaves time for it).
        steady = None
        settle_deadline = time.monotonic() + arguments.sleep
        while time.monotonic() < settle_deadline:
            if emulator.stats().get("jobStates", {}).get("RUNNING", 0) >= 0.95 * len(ids):
                break
            time.sleep(0.5)
        remaining = arguments.sleep - (time.monotonic() - began) - 2
        beside_sleeping = None
        if remaining >= 5:
            seconds = min(arguments.seconds, int(remaining))
            reads = in_parallel(
                [lambda server=server, index=index: wrk(server, mine[index][len(mine[index]) // 3], arguments.rate,
                                                         seconds, os.path.join(work, f"replica-{index}"))
                 for index, server in enumerate(servers)]
                + [lambda: wrk(control, control_id, arguments.rate, seconds, os.path.join(work, "control"))])
            steady, beside_sleeping = reads[:-1], reads[-1]
            log(f"reads while every job sleeps: {steady}; the idle server beside them: {beside_sleeping}")
        control.stop()
        control = None
        states = {}
        ends = []
        deadline = time.monotonic() + arguments.sleep * 20 + 600
        pending = started
        while pending and time.monotonic() < deadline:
            still = []
            for replica, execution_id in pending:
                execution = servers[replica].call("GET", f"/api/v1/main/executions/{execution_id}")
                state = execution["state"]["current"]
                if state in ("SUCCESS", "WARNING", "FAILED", "KILLED"):
                    states[state] = states.get(state, 0) + 1
                    ends.append(terminal_time(execution) or time.time())
                else:
                    still.append((replica, execution_id))
            pending = still
            if pending:
                time.sleep(1)
        wall = time.monotonic() - began
        # From the first start to the last execution's end (the executions' own endDate, not the polling's).
        to_terminal = (max(ends) - began_wall) if ends and not pending else None
        sampler.finish()
        peaks = [server.peak_rss_mib() for server in servers]
        jobs_created = emulator.stats().get("jobsCreated", 0) - jobs_before
        watch_rate = sampler.steady_rate(["jobs.list", "jobs.get"], len(ids))
        for server in servers:
            server.stop()
        verified = verify(binary, ledger, os.path.join(work, "verify-cache") if cluster else None)
        figures = {
            "backend": backend, "replicas": replicas, "executions": len(ids), "finalStates": states,
            "unfinished": len(pending), "wallSeconds": round(wall, 1),
            "secondsToAllTerminal": round(to_terminal, 1) if to_terminal else None,
            "executionsPerSecond": round(len(ids) / to_terminal, 2) if to_terminal else None,
            "acceptedPerSecond": round(len(ids) / accepted_seconds, 1),
            "startsPerReplica": [len(own) for own in mine],
            "peakRSSMiB": [round(peak, 1) for peak in peaks],
            "peakRSSMiBWhenAccepted": [round(peak, 1) for peak in rss_accepted],
            "baseline": baselines, "underLoad": loaded, "idleServerBeside": beside, "whileJobsSleep": steady,
            "idleServerBesideWhileJobsSleep": beside_sleeping,
            "loggingReadsMostInAMinute": sampler.most_in_a_minute("entries.list"),
            "batchWatchCallsPerSecond": round(watch_rate, 2) if watch_rate is not None else None,
            "jobsCreated": jobs_created, "verify": verified,
        }
        return figures
    finally:
        if control:
            control.stop()
        for server in servers:
            server.stop()
        emulator.stop()
        if cluster:
            cluster.stop()


def verify(binary, ledger, cache):
    """`batchledger verify --ledger LEDGER` once every replica stopped: its exit status and last line."""
    environment = dict(os.environ)
    if cache:
        environment["BATCHLEDGER_CACHE_DIR"] = cache
    result = subprocess.run([binary, "verify", "--ledger", ledger], capture_output=True, text=True, env=environment)
    lines = (result.stdout + result.stderr).strip().splitlines()
    return {"exitStatus": result.returncode, "output": lines[-1][:200] if lines else ""}


def checks(figures):
    """(name, passed or None when not measured) for one run."""
    executions = figures["executions"]
    steady = figures["whileJobsSleep"]
    return [
        ("peak RSS under 256 MiB on every replica", max(figures["peakRSSMiB"]) < 256),
        ("API p99 under 50 ms while the executions start", max(r["p99Ms"] for r in figures["underLoad"]) < 50),
        ("API p99 under 50 ms while the jobs sleep", max(r["p99Ms"] for r in steady) < 50 if steady else None),
        ("at most 60 Logging reads a minute per project", figures["loggingReadsMostInAMinute"] <= 60),
        ("every execution SUCCESS", figures["finalStates"].get("SUCCESS", 0) == executions),
        ("one Batch job per execution (emulator jobsCreated)", figures["jobsCreated"] == executions),
        ("batchledger verify passes", figures["verify"]["exitStatus"] == 0),
        ("no failed read", all(r["non2xx"] == 0 for r in figures["underLoad"] + figures["baseline"])),
    ]


def table(figures):
    """The run as text: one line per replica, then the totals and the checks."""
    name = f"{'SQLite' if figures['backend'] == 'sqlite' else 'PostgreSQL'} x{figures['replicas']}"
    steady = figures["whileJobsSleep"]
    lines = [f"{name}: {figures['executions']} executions, {figures['executionsPerSecond']} executions/s "
             f"(first start to all terminal: {figures['secondsToAllTerminal']} s), accepted "
             f"{figures['acceptedPerSecond']}/s, states {figures['finalStates']}, jobsCreated "
             f"{figures['jobsCreated']}, verify exit {figures['verify']['exitStatus']}",
             "  replica  starts  p99 idle  p99 starting  p99 sleeping  p50 starting  req/s  peak RSS MiB  load"]
    for index in range(figures["replicas"]):
        loaded, baseline = figures["underLoad"][index], figures["baseline"][index]
        sleeping = f"{steady[index]['p99Ms']:9.2f} ms" if steady else "          n/a"
        lines.append(f"  {index:>7}  {figures['startsPerReplica'][index]:>6}  {baseline['p99Ms']:5.2f} ms  "
                     f"{loaded['p99Ms']:9.2f} ms  {sleeping}  {loaded['p50Ms']:9.2f} ms  "
                     f"{loaded['requestsPerSecond']:5.0f}  {figures['peakRSSMiB'][index]:12.1f}  "
                     f"{loaded['loadAverage']:4.1f}")
    beside = figures["idleServerBeside"]
    sleeping = figures["idleServerBesideWhileJobsSleep"]
    lines.append(f"  an idle SQLite server beside them: p99 {beside['p99Ms']:.2f} ms while the executions start, "
                 + (f"{sleeping['p99Ms']:.2f} ms while the jobs sleep" if sleeping else "not read while they sleep")
                 + f"; {figures['loggingReadsMostInAMinute']} entries.list in the busiest "
                 f"minute; Batch watch calls {figures['batchWatchCallsPerSecond']} per second")
    for check, passed in checks(figures):
        lines.append(f"  {'ok  ' if passed else 'n/a ' if passed is None else 'MISS'} {check}"
                     + (": not measured, --sleep left no time after the reads under load" if passed is None else ""))
    return "\n".join(lines)


def side_by_side(results):
    """The runs' headline figures in columns, the worst replica's where there are several."""
    def worst(figures, key, field):
        runs = figures[key]
        return f"{max(run[field] for run in runs):.2f}" if runs else "n/a"

    rows = [
        ("executions/s (first start to all terminal)", lambda f: str(f["executionsPerSecond"])),
        ("seconds, first start to all terminal", lambda f: str(f["secondsToAllTerminal"])),
        ("accepted/s", lambda f: str(f["acceptedPerSecond"])),
        ("API p99 ms idle (worst replica)", lambda f: worst(f, "baseline", "p99Ms")),
        ("API p99 ms while starting (worst replica)", lambda f: worst(f, "underLoad", "p99Ms")),
        ("API p99 ms while jobs sleep (worst replica)", lambda f: worst(f, "whileJobsSleep", "p99Ms")
         if f["whileJobsSleep"] else "n/a"),
        ("idle server beside: p99 ms while starting", lambda f: f"{f['idleServerBeside']['p99Ms']:.2f}"),
        ("idle server beside: p99 ms while jobs sleep", lambda f: f"{f['idleServerBesideWhileJobsSleep']['p99Ms']:.2f}"
         if f["idleServerBesideWhileJobsSleep"] else "n/a"),
        ("load average (1 min) as the start reads end", lambda f: f"{f['underLoad'][0]['loadAverage']:.1f}"),
        ("peak RSS MiB per replica", lambda f: " ".join(f"{peak:.1f}" for peak in f["peakRSSMiB"])),
        ("SUCCESS / executions", lambda f: f"{f['finalStates'].get('SUCCESS', 0)}/{f['executions']}"),
        ("emulator jobsCreated", lambda f: str(f["jobsCreated"])),
        ("verify exit status", lambda f: str(f["verify"]["exitStatus"])),
    ]
    names = [f"{'SQLite' if f['backend'] == 'sqlite' else 'PostgreSQL'} x{f['replicas']}" for f in results]
    width = max(len(label) for label, _ in rows)
    lines = [f"{'':<{width}}  " + "  ".join(f"{name:>16}" for name in names)]
    for label, value in rows:
        lines.append(f"{label:<{width}}  " + "  ".join(f"{value(f):>16}" for f in results))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--sleep", type=int, default=20)
    parser.add_argument("--rate", type=int, default=100, help="requests per second read from each replica")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--replicas", type=int, default=None,
                        help="serve replicas on one ledger (postgres only; default 1, with --compare 2)")
    parser.add_argument("--lease-ttl", type=int, default=None, help="each replica's --lease-ttl, in seconds")
    parser.add_argument("--compare", action="store_true",
                        help="SQLite x1, then PostgreSQL x--replicas, in the same run; both tables")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--keep", action="store_true")
    arguments = parser.parse_args()
    if arguments.replicas is None:
        arguments.replicas = 2 if arguments.compare else 1
    for name, value, low, high in (("--executions", arguments.executions, 1, 100_000),
                                   ("--sleep", arguments.sleep, 1, 3600), ("--rate", arguments.rate, 1, 10_000),
                                   ("--seconds", arguments.seconds, 1, 3600), ("--clients", arguments.clients, 1, 256),
                                   ("--replicas", arguments.replicas, 1, 16)):
        if not low <= value <= high:
            parser.error(f"{name} must be from {low} to {high}, not {value}")
    if arguments.lease_ttl is not None and not 1 <= arguments.lease_ttl <= 3600:
        parser.error(f"--lease-ttl must be from 1 to 3600 seconds, not {arguments.lease_ttl}")
    if arguments.replicas > 1 and arguments.backend == "sqlite" and not arguments.compare:
        parser.error("several replicas share a PostgreSQL ledger: add --backend postgres")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    runs = [("sqlite", 1), ("postgres", arguments.replicas)] if arguments.compare else \
        [(arguments.backend, arguments.replicas)]
    if any(backend == "postgres" for backend, _ in runs) and shutil.which("psql") is None:
        raise SystemExit("psql is missing: apt-get install postgresql")
    pg_cluster.stop_on_signals()
    swift = os.environ.get("SWIFT", "swift").split()
    if not arguments.skip_build:
        subprocess.run(swift + ["build", "-c", "release", "--product", "batchledger"], cwd=ROOT, check=True)
    binary = os.path.join(
        subprocess.run(swift + ["build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                       capture_output=True, text=True).stdout.strip(), "batchledger")
    if any(backend == "postgres" for backend, _ in runs) and "--lease-ttl" not in subprocess.run(
            [binary, "serve", "--help"], capture_output=True, text=True).stdout:
        raise SystemExit(f"{binary} predates serve replicas on a PostgreSQL ledger (no --lease-ttl): build it again")
    work = tempfile.mkdtemp(prefix="serve-bench-")
    results = []
    try:
        for backend, replicas in runs:
            log(f"--- {backend} x{replicas}")
            results.append(measure(binary, arguments, backend, replicas, os.path.join(work, f"{backend}-{replicas}")))
    finally:
        if arguments.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"serve benchmark: {arguments.executions} executions (jobs sleep {arguments.sleep} s), wrk at "
          f"{arguments.rate} requests/s on each replica for {arguments.seconds} s, {arguments.clients} clients "
          f"starting executions round robin over the replicas, {os.cpu_count()} cores")
    for figures in results:
        print(json.dumps(figures, sort_keys=True))
    for figures in results:
        print(table(figures))
    if len(results) > 1:
        print(side_by_side(results))
    if not all(passed is not False for figures in results for _, passed in checks(figures)[4:7]):
        sys.exit(1)


if __name__ == "__main__":
    main()
