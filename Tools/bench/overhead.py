#!/usr/bin/env python3
"""Orchestration overhead of `batchledger run` on LocalCloud (fast profile), for Kestra's sample flow.

For each of N runs: the wall time of the whole `run` command, and the script's own run time (from the task's
status events that LocalCloud wrote: ASSIGNED → RUNNING until RUNNING → SUCCEEDED). The overhead is the
difference: parsing, rendering, the embedded emulator's start, staging, job creation, polling, log reading,
collection, teardown and the ledger. Prints the medians; target: overhead under 300 ms.

Usage: overhead.py --binary PATH [--runs 10] [--flow FILE]
"""
import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import tempfile
import time
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_time(text):
    text = text.replace("Z", "+00:00")
    if "." in text:
        head, rest = text.split(".", 1)
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits):]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    return datetime.fromisoformat(text).timestamp()


def script_seconds(ledger):
    """From the task's status events: when it started RUNNING and when it left RUNNING."""
    start = end = None
    with sqlite3.connect(ledger) as db:
        for (payload,) in db.execute("SELECT payload FROM events WHERE type = 'JobPolled' ORDER BY seq"):
            for event in json.loads(payload)["newStatusEvents"]:
                description = event.get("description") or ""
                if event.get("time") and "Task state is updated from ASSIGNED to RUNNING" in description:
                    start = parse_time(event["time"])
                if event.get("time") and "Task state is updated from RUNNING to" in description:
                    end = parse_time(event["time"])
    if start is None or end is None:
        raise SystemExit("overhead: the task's RUNNING status events were not found in " + ledger)
    return end - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--flow", default=os.path.join(ROOT, "Samples", "gcp_batch_runner.yaml"))
    options = parser.parse_args()
    walls, scripts = [], []
    with tempfile.TemporaryDirectory() as work:
        # One warm-up run (the Python environment of the emulator is created on first use).
        for index in range(options.runs + 1):
            ledger = os.path.join(work, f"run-{index}.ledger")
            started = time.monotonic()
            result = subprocess.run(
                [os.path.abspath(options.binary), "run", options.flow, "--local", "--secrets-file",
                 os.path.join(ROOT, "Samples", "local.env"), "--ledger", ledger, "--output-dir",
                 os.path.join(work, "outputs"), "--json"], cwd=work, capture_output=True, text=True)
            wall = time.monotonic() - started
            if result.returncode != 0:
                raise SystemExit("overhead: the run failed: " + result.stderr[-500:])
            if index == 0:
                continue
            walls.append(wall)
            scripts.append(script_seconds(ledger))
    overheads = [w - s for w, s in zip(walls, scripts)]
    median = statistics.median(overheads)
    print(f"Kestra sample on LocalCloud, median of {options.runs} runs: run {statistics.median(walls) * 1000:.0f} ms, "
          f"script {statistics.median(scripts) * 1000:.0f} ms, orchestration overhead {median * 1000:.0f} ms "
          f"(min {min(overheads) * 1000:.0f}, max {max(overheads) * 1000:.0f}); target < 300 ms: "
          f"{'met' if median < 0.3 else 'MISSED'}")


if __name__ == "__main__":
    main()
