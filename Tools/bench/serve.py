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

While the jobs start, a second `serve` that drives nothing (one finished execution) is read the same way at the
same time: the latency the machine alone adds (the emulator starts every job as processes on the same cores).

Printed: executions accepted per second, API latency p50/p99 under load, at baseline (and their ratio) and of the
idle server beside it, the server's peak RSS (VmHWM), Cloud Logging reads (entries.list) in the busiest minute, Batch watch calls
(jobs.list + jobs.get) per second while the jobs ran and per polling round (the engine's standard round interval
is 2 s at the least), final states, and the figures against the targets (RSS < 256 MiB, p99 < 50 ms, Logging
reads <= 60 per minute per project).

Usage: serve.py [--executions 1000] [--sleep 20] [--rate 100] [--seconds 15] [--clients 16] [--skip-build]
                [--keep]
The release build goes through $SWIFT (default `swift`), e.g. SWIFT=/work/bin/swiftlock; wrk comes from Debian.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
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
    def __init__(self, binary, work, endpoint):
        os.makedirs(work, exist_ok=True)
        tokens = os.path.join(work, "tokens")
        with open(tokens, "w") as handle:
            handle.write(f"bench:{TOKEN}\n")
        self.log = os.path.join(work, "serve.log")
        environment = dict(os.environ, BATCHLEDGER_TIMING="standard")
        self.process = subprocess.Popen(
            [binary, "serve", "--endpoint", endpoint, "--ledger", os.path.join(work, "ledger"), "--port", "0",
             "--token-file", tokens, "--output-dir", os.path.join(work, "outputs")],
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT, env=environment)
        self.base = None
        for _ in range(600):
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", open(self.log).read())
            if found:
                self.base = f"http://127.0.0.1:{found.group(1)}"
                break
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        if not self.base:
            raise SystemExit(f"serve did not start:\n{open(self.log).read()[-2000:]}")

    def call(self, method, path, body=None, content_type=None):
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("Authorization", f"Bearer {TOKEN}")
        if content_type:
            request.add_header("Content-Type", content_type)
        with urllib.request.urlopen(request, timeout=120) as answer:
            return json.load(answer) if answer.status != 204 else None

    def peak_rss_mib(self):
        for line in open(f"/proc/{self.process.pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
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
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--sleep", type=int, default=20)
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--keep", action="store_true")
    arguments = parser.parse_args()
    for name, value, low, high in (("--executions", arguments.executions, 1, 100_000),
                                   ("--sleep", arguments.sleep, 1, 3600), ("--rate", arguments.rate, 1, 10_000),
                                   ("--seconds", arguments.seconds, 1, 3600), ("--clients", arguments.clients, 1, 256)):
        if not low <= value <= high:
            parser.error(f"{name} must be from {low} to {high}, not {value}")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    swift = os.environ.get("SWIFT", "swift").split()
    if not arguments.skip_build:
        subprocess.run(swift + ["build", "-c", "release", "--product", "batchledger"], cwd=ROOT, check=True)
    binary = os.path.join(
        subprocess.run(swift + ["build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                       capture_output=True, text=True).stdout.strip(), "batchledger")
    work = tempfile.mkdtemp(prefix="serve-bench-")
    emulator = Emulator(binary, work, "serve")
    server = None
    control = None
    try:
        server = Server(binary, work, emulator.endpoint)
        server.call("POST", "/api/v1/main/flows", flow(1).replace("serve_bench", "serve_warmup").encode(),
                    "application/x-yaml")
        warm = server.call("POST", "/api/v1/main/executions/bench/serve_warmup?wait=true")
        log(f"warm-up execution {warm['id']} {warm['state']['current']}")
        baseline = wrk(server, warm["id"], arguments.rate, arguments.seconds, work)
        log(f"baseline reads: {baseline}")
        # A second server on the same machine that drives nothing: read beside the loaded one, it tells how much of
        # the latency under load is the machine's (the emulator starting a thousand jobs on the same cores).
        control = Server(binary, os.path.join(work, "control"), emulator.endpoint)
        control.call("POST", "/api/v1/main/flows", flow(1).replace("serve_bench", "serve_control").encode(),
                     "application/x-yaml")
        control_id = control.call("POST", "/api/v1/main/executions/bench/serve_control?wait=true")["id"]

        server.call("POST", "/api/v1/main/flows", flow(arguments.sleep).encode(), "application/x-yaml")
        sampler = Sampler(emulator)
        sampler.start()
        began = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(arguments.clients) as pool:
            ids = list(pool.map(lambda _: server.call("POST", "/api/v1/main/executions/bench/serve_bench")["id"],
                                range(arguments.executions)))
        accepted_seconds = time.monotonic() - began
        rss_accepted = server.peak_rss_mib()
        log(f"{len(ids)} executions accepted in {accepted_seconds:.1f} s; peak RSS so far {rss_accepted:.1f} MiB")
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            loaded_reads = pool.submit(wrk, server, ids[len(ids) // 2], arguments.rate, arguments.seconds, work)
            beside_reads = pool.submit(wrk, control, control_id, arguments.rate, arguments.seconds,
                                       os.path.join(work, "control"))
            loaded, beside = loaded_reads.result(), beside_reads.result()
        control.stop()
        control = None
        rss_reads = server.peak_rss_mib()
        log(f"reads under load: {loaded}; an idle server beside it meanwhile: {beside}; peak RSS so far "
            f"{rss_reads:.1f} MiB")
        # Then once every job has started and sleeps: the server only watches (when --sleep leaves time for it).
        steady = None
        settle_deadline = time.monotonic() + arguments.sleep
        while time.monotonic() < settle_deadline:
            if emulator.stats().get("jobStates", {}).get("RUNNING", 0) >= 0.95 * len(ids):
                break
            time.sleep(0.5)
        remaining = arguments.sleep - (time.monotonic() - began) - 2
        if remaining >= 5:
            steady = wrk(server, ids[len(ids) // 3], arguments.rate, min(arguments.seconds, int(remaining)), work)
            log(f"reads while every job sleeps: {steady}")
        states = {}
        deadline = time.monotonic() + arguments.sleep * 20 + 600
        pending = list(ids)
        while pending and time.monotonic() < deadline:
            still = []
            for execution_id in pending:
                state = server.call("GET", f"/api/v1/main/executions/{execution_id}")["state"]["current"]
                if state in ("SUCCESS", "WARNING", "FAILED", "KILLED"):
                    states[state] = states.get(state, 0) + 1
                else:
                    still.append(execution_id)
            pending = still
            if pending:
                time.sleep(1)
        wall = time.monotonic() - began
        sampler.finish()
        peak = server.peak_rss_mib()
        watch_rate = sampler.steady_rate(["jobs.list", "jobs.get"], len(ids))
        figures = {
            "executions": len(ids), "finalStates": states, "unfinished": len(pending), "wallSeconds": round(wall, 1),
            "acceptedPerSecond": round(len(ids) / accepted_seconds, 1), "peakRSSMiB": round(peak, 1),
            "peakRSSMiBWhenAccepted": round(rss_accepted, 1), "peakRSSMiBAfterReads": round(rss_reads, 1),
            "baseline": baseline, "underLoad": loaded, "idleServerBeside": beside, "whileJobsSleep": steady,
            "p99Ratio": round(loaded["p99Ms"] / baseline["p99Ms"], 2) if baseline["p99Ms"] else None,
            "loggingReadsMostInAMinute": sampler.most_in_a_minute("entries.list"),
            "batchWatchCallsPerSecond": round(watch_rate, 2) if watch_rate is not None else None,
            "batchWatchCallsPerRound": round(watch_rate * ROUND_SECONDS, 2) if watch_rate is not None else None,
            "jobsCreated": emulator.stats().get("jobsCreated"),
        }
        print(json.dumps(figures, sort_keys=True))
        if steady:
            print(f"reads while every job sleeps: p50 {steady['p50Ms']:.2f} ms, p99 {steady['p99Ms']:.2f} ms at "
                  f"{steady['requestsPerSecond']:.0f} requests/s (p99 x{steady['p99Ms'] / baseline['p99Ms']:.2f} "
                  f"the idle baseline)")
        print(f"serve with {len(ids)} executions: accepted {figures['acceptedPerSecond']} per second; states "
              f"{states}; API p50 {loaded['p50Ms']:.2f} ms, p99 {loaded['p99Ms']:.2f} ms at "
              f"{loaded['requestsPerSecond']:.0f} requests/s (idle baseline p50 {baseline['p50Ms']:.2f} ms, p99 "
              f"{baseline['p99Ms']:.2f} ms: p99 x{figures['p99Ratio']}; an idle server beside it meanwhile p50 "
              f"{beside['p50Ms']:.2f} ms, p99 {beside['p99Ms']:.2f} ms); peak RSS {peak:.1f} MiB; "
              f"{figures['loggingReadsMostInAMinute']} entries.list in the busiest minute (one project); "
              f"Batch watch calls {figures['batchWatchCallsPerSecond']} per second, "
              f"{figures['batchWatchCallsPerRound']} per round")
        checks = [
            ("peak RSS under 256 MiB", peak < 256),
            ("API p99 under 50 ms while the executions start", loaded["p99Ms"] < 50),
            ("API p99 under 50 ms while the jobs sleep", steady["p99Ms"] < 50 if steady else None),
            ("at most 60 Logging reads a minute per project", figures["loggingReadsMostInAMinute"] <= 60),
            ("every execution SUCCESS", states.get("SUCCESS", 0) == len(ids)),
            ("no failed read", loaded["non2xx"] == 0 and baseline["non2xx"] == 0),
        ]
        for name, passed in checks:
            print(f"{'ok  ' if passed else 'n/a ' if passed is None else 'MISS'} {name}"
                  + (": not measured, --sleep left no time after the reads under load" if passed is None else ""))
    finally:
        if control:
            control.stop()
        if server:
            server.stop()
        emulator.stop()
        if arguments.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
