#!/usr/bin/env python3
"""Recovery benchmark: N executions interrupted while their jobs run on LocalCloud, then one `batchledger recover`.

Prints the time recover took to reconcile all of them (from its start to the last `Reconciled` event), the
Batch calls it made to reconcile (target: one paged jobs.list per project and region, not a jobs.get per job),
and, as the baseline measured in the same run, the calls and time the same reconciliation takes with one
jobs.get per job (the emulator's own count of jobs.get for the same jobs, asked one by one).

Usage: recovery.py --binary PATH [--executions 1000] [--parallel 4]
"""
import argparse
import concurrent.futures
import json
import os
import sqlite3
import subprocess
import tempfile
import time
import urllib.request
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLOW = """id: recovery_bench
namespace: bench
tasks:
  - id: long
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.ee.gcp.runner.Batch
      projectId: bench-project
      region: us-central1
    commands:
      - sleep 20
"""


def stats(endpoint):
    with urllib.request.urlopen(endpoint + "/_emulator/stats") as answer:
        return json.load(answer)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=4)
    options = parser.parse_args()
    binary = os.path.abspath(options.binary)
    with tempfile.TemporaryDirectory() as work:
        flow = os.path.join(work, "flow.yaml")
        open(flow, "w").write(FLOW)
        log = os.path.join(work, "emulator.log")
        emulator = subprocess.Popen([binary, "emulator", "--port", "0", "--state-dir", os.path.join(work, "state")],
                                    stdout=open(log, "w"), stderr=subprocess.STDOUT)
        try:
            endpoint = None
            for _ in range(200):
                for line in open(log):
                    if line.startswith("LocalCloud listening on "):
                        endpoint = line.split("on ", 1)[1].strip()
                if endpoint:
                    break
                time.sleep(0.05)
            ledger = os.path.join(work, "bench.ledger")
            environment = dict(os.environ, BATCHLEDGER_CRASH_AFTER_EVENTS="5", NO_COLOR="1",
                               BATCHLEDGER_TIMING="responsive")

            def interrupted(_):
                return subprocess.run([binary, "run", flow, "--endpoint", endpoint, "--ledger", ledger],
                                      env=environment, capture_output=True).returncode

            started = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(options.parallel) as pool:
                codes = list(pool.map(interrupted, range(options.executions)))
            print(f"{options.executions} executions interrupted while their jobs run "
                  f"({codes.count(137)} by the failpoint) in {time.monotonic() - started:.0f} s")
            # Baseline in the same run: the same jobs asked one by one with jobs.get.
            jobs = json.load(urllib.request.urlopen(
                endpoint + "/v1/projects/bench-project/locations/us-central1/jobs?pageSize=1000")).get("jobs", [])
            t0 = time.monotonic()
            for job in jobs:
                urllib.request.urlopen(endpoint + "/v1/" + job["name"]).read()
            per_job = time.monotonic() - t0
            before = stats(endpoint)
            began = datetime.now().astimezone()
            result = subprocess.run([binary, "recover", "--ledger", ledger, "--json"], capture_output=True, text=True,
                                    env=dict(os.environ, NO_COLOR="1", BATCHLEDGER_TIMING="responsive"))
            summary = json.loads(result.stdout)
            after = stats(endpoint)
            with sqlite3.connect(ledger) as db:
                last = db.execute("SELECT max(recorded_at) FROM events WHERE type = 'Reconciled'").fetchone()[0]
                reconciled = db.execute("SELECT count(*) FROM events WHERE type = 'Reconciled'").fetchone()[0]
            reconcile_seconds = datetime.fromisoformat(last.replace("Z", "+00:00")).timestamp() - began.timestamp()
            finished = sum(1 for entry in summary["recovered"] if entry["outcome"] == "finished")
            failures = [entry for entry in summary["recovered"] if entry["outcome"] != "finished"]
            for entry in failures[:3]:
                print(f"  not finished: {entry['executionId']}: {entry['outcome']} {entry.get('detail') or ''}"[:300])
            print(f"recover: {finished} of {options.executions} driven to their end; {reconciled} attempts reconciled "
                  f"in {reconcile_seconds:.1f} s with {summary['jobsListCalls']} jobs.list and "
                  f"{summary['jobsGetCalls']} jobs.get call(s) (emulator: {after['jobs.list'] - before.get('jobs.list', 0)}"
                  f" jobs.list in all)")

            print(f"baseline: one jobs.get per job = {len(jobs)} calls in {per_job:.1f} s; "
                  f"recover used {summary['jobsListCalls'] + summary['jobsGetCalls']} call(s) to reconcile; target "
                  f"one jobs.list per project and region: {'met' if summary['jobsListCalls'] == 1 else 'MISSED'}")
        finally:
            emulator.terminate()
            emulator.wait()


if __name__ == "__main__":
    main()
