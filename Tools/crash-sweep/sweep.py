#!/usr/bin/env python3
"""Crash sweep: run a flow with the failpoint BATCHLEDGER_CRASH_AFTER_EVENTS=N for N = 1 … total (or a sample),
then `batchledger recover`, and check each time that nothing was lost or doubled:

  * the final `show --json` equals the uninterrupted run's (ids, times and paths that contain them aside);
  * the emulator created exactly one job per attempt (`/_emulator/stats` jobsCreated);
  * every log line is stored once, in order (`batchledger logs`);
  * the bucket holds nothing of the execution afterwards (its prefix was cleaned);
  * `batchledger verify` passes.

Also kills runs with SIGKILL at random moments (during uploads, during polling) and checks the same.

Usage: sweep.py --binary PATH [--flow FILE]... [--points N] [--kills K] [--seed S]
  --points 0 sweeps every event number (the full sweep); N > 0 takes N points spread over the range.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRETS = os.path.join(ROOT, "Samples", "local.env")


def start_emulator(binary, state_dir, log_path):
    log = open(log_path, "w")
    process = subprocess.Popen([binary, "emulator", "--port", "0", "--state-dir", state_dir], stdout=log,
                               stderr=subprocess.STDOUT)
    for _ in range(200):
        with open(log_path) as f:
            for line in f:
                if line.startswith("LocalCloud listening on "):
                    return process, line.split("LocalCloud listening on ", 1)[1].strip()
        if process.poll() is not None:
            sys.exit("crash-sweep: the emulator exited: " + open(log_path).read())
        time.sleep(0.05)
    sys.exit("crash-sweep: the emulator did not start")


def stats(endpoint):
    with urllib.request.urlopen(endpoint + "/_emulator/stats") as answer:
        return json.load(answer)


KEPT_PREFIX = "kestra-outputs/"


def kept_outputs(endpoint, execution):
    """The output files kept for `execution`, by their path under its folder."""
    folder = f"{KEPT_PREFIX}{execution}/"
    return sorted(name[len(folder):] for name in bucket_objects(endpoint, "batchledger-local")
                  if name.startswith(folder))


def bucket_objects(endpoint, bucket):
    names, token = [], None
    while True:
        query = "?pageToken=" + urllib.parse.quote(token) if token else ""
        try:
            with urllib.request.urlopen(f"{endpoint}/storage/v1/b/{bucket}/o{query}") as answer:
                page = json.load(answer)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return names
            raise
        names += [item["name"] for item in page.get("items", [])]
        token = page.get("nextPageToken")
        if not token:
            return names


def cli(binary, args, workdir, env=None, timeout=300):
    # The emulator answers at once: poll it quickly, by configuration.
    environment = dict(os.environ, NO_COLOR="1", BATCHLEDGER_TIMING="responsive")
    environment.pop("BATCHLEDGER_CRASH_AFTER_EVENTS", None)
    environment.update(env or {})
    return subprocess.run([binary] + args, cwd=workdir, env=environment, capture_output=True, text=True,
                          timeout=timeout)


def normalized(report):
    execution = report["executionId"]
    for key in ("executionId", "startedAt", "endedAt", "outputDirectory"):
        report.pop(key, None)
    for task in report["tasks"]:
        task.pop("jobName", None)
        task["outputFiles"] = {k: v.replace(execution, "<execution>").split("/outputs/", 1)[-1]
                               for k, v in task["outputFiles"].items()}
    return report


def log_lines(binary, workdir, ledger, execution):
    result = cli(binary, ["logs", execution, "--ledger", ledger], workdir)
    lines = []
    for line in result.stdout.splitlines():
        parts = line.split(" ", 3)  # time task severity text
        if len(parts) == 4:
            lines.append((parts[1], parts[3]))
    return lines


class Sweep:
    def __init__(self, binary, endpoint, flow, workdir):
        self.binary, self.endpoint, self.flow, self.workdir = binary, endpoint, flow, workdir
        self.failures = []
        self.checked = 0

    def run_args(self, ledger):
        return ["run", self.flow, "--endpoint", self.endpoint, "--secrets-file", SECRETS, "--ledger", ledger,
                "--json", "--output-dir", os.path.join(self.workdir, "outputs")]

    def reference(self):
        ledger = os.path.join(self.workdir, "reference.ledger")
        before = stats(self.endpoint)["jobsCreated"]
        result = cli(self.binary, self.run_args(ledger), self.workdir)
        if result.returncode != 0:
            sys.exit(f"crash-sweep: the uninterrupted run of {self.flow} failed: {result.stderr}")
        report = json.loads(result.stdout)
        self.expected_jobs = stats(self.endpoint)["jobsCreated"] - before
        # The output files the uninterrupted run kept in the bucket, under its own execution's folder.
        self.expected_kept = kept_outputs(self.endpoint, report["executionId"])
        self.total_events = int(cli(self.binary, ["verify", "--ledger", ledger, "--json"], self.workdir).stdout and
                                json.loads(cli(self.binary, ["verify", "--ledger", ledger, "--json"],
                                               self.workdir).stdout)["eventsChecked"])
        self.expected_logs = log_lines(self.binary, self.workdir, ledger, report["executionId"])
        self.expected = normalized(report)
        return self.total_events

    def check(self, label, ledger, jobs_before):
        recovered = cli(self.binary, ["recover", "--ledger", ledger, "--secrets-file", SECRETS, "--json"],
                        self.workdir)
        problems = []
        if recovered.returncode != 0:
            problems.append(f"recover exited {recovered.returncode}: {recovered.stderr.strip()[-400:]}")
        executions = json.loads(cli(self.binary, ["executions", "--ledger", ledger, "--json"],
                                    self.workdir).stdout or '{"executions": []}')["executions"]
        if len(executions) != 1:
            problems.append(f"{len(executions)} executions in the ledger")
        else:
            execution = executions[0]["executionId"]
            shown = cli(self.binary, ["show", execution, "--ledger", ledger, "--json"], self.workdir)
            report = normalized(json.loads(shown.stdout))
            if report != self.expected:
                problems.append("final state differs: " + json.dumps(report, sort_keys=True)[:600])
            jobs = stats(self.endpoint)["jobsCreated"] - jobs_before
            attempts = sum(task["attempts"] for task in report["tasks"])
            if jobs != attempts or jobs != self.expected_jobs:
                problems.append(f"{jobs} jobs created for {attempts} attempts (uninterrupted: {self.expected_jobs})")
            lines = log_lines(self.binary, self.workdir, ledger, execution)
            if lines != self.expected_logs:
                missing = [l for l in self.expected_logs if l not in lines]
                doubled = [l for l in set(lines) if lines.count(l) > self.expected_logs.count(l)]
                problems.append(f"log lines differ: missing {missing[:3]}, doubled {doubled[:3]}")
        # Staging is cleaned; the output files kept outside it (kestra-outputs/EXECUTION/…) stay, once each.
        left = [name for name in bucket_objects(self.endpoint, "batchledger-local")
                if not name.startswith(KEPT_PREFIX)]
        if left:
            problems.append(f"bucket not cleaned: {left[:5]}")
        if len(executions) == 1:
            kept = kept_outputs(self.endpoint, executions[0]["executionId"])
            if kept != self.expected_kept:
                problems.append(f"kept output files {kept[:5]}, uninterrupted {self.expected_kept[:5]}")
        verify = cli(self.binary, ["verify", "--ledger", ledger], self.workdir)
        if verify.returncode != 0:
            problems.append("verify failed: " + verify.stdout.strip())
        self.checked += 1
        if problems:
            self.failures.append((label, problems))
            print(f"  {label}: FAILED: {'; '.join(problems)}", flush=True)

    def crash_at(self, point):
        ledger = os.path.join(self.workdir, f"crash-{point}.ledger")
        before = stats(self.endpoint)["jobsCreated"]
        result = cli(self.binary, self.run_args(ledger), self.workdir, env={"BATCHLEDGER_CRASH_AFTER_EVENTS": str(point)})
        if result.returncode not in (0, 137):
            self.failures.append((f"crash after event {point}", [f"run exited {result.returncode}: {result.stderr[-300:]}"]))
            return
        self.check(f"crash after event {point}", ledger, before)

    def kill_at(self, delay, index):
        ledger = os.path.join(self.workdir, f"kill-{index}.ledger")
        before = stats(self.endpoint)["jobsCreated"]
        environment = dict(os.environ, NO_COLOR="1", BATCHLEDGER_TIMING="responsive")
        process = subprocess.Popen([self.binary] + self.run_args(ledger), cwd=self.workdir, env=environment,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.check(f"SIGKILL after {delay:.2f} s", ledger, before)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--flow", action="append")
    parser.add_argument("--points", type=int, default=40)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    flows = options.flow or [os.path.join(ROOT, "Samples", "gcp_batch_runner.yaml"),
                             os.path.join(ROOT, "Samples", "multi_task.yaml")]
    binary = os.path.abspath(options.binary)
    random.seed(options.seed)
    scratch = tempfile.mkdtemp(prefix="crash-sweep-")
    emulator, endpoint = start_emulator(binary, os.path.join(scratch, "state"), os.path.join(scratch, "emulator.log"))
    failed = 0
    try:
        for flow in flows:
            workdir = os.path.join(scratch, os.path.basename(flow))
            os.makedirs(workdir)
            sweep = Sweep(binary, endpoint, flow, workdir)
            total = sweep.reference()
            if options.points <= 0 or options.points >= total:
                points = list(range(1, total + 1))
            else:
                points = sorted(set(round(1 + i * (total - 1) / (options.points - 1)) for i in range(options.points)))
            started = time.time()
            print(f"{os.path.basename(flow)}: {total} events; crashing at {len(points)} points, "
                  f"{options.kills} random SIGKILLs", flush=True)
            for point in points:
                sweep.crash_at(point)
            for index in range(options.kills):
                sweep.kill_at(random.uniform(0.05, 1.2), index)
            print(f"{os.path.basename(flow)}: {sweep.checked} recoveries checked, {len(sweep.failures)} failed "
                  f"({time.time() - started:.0f} s)", flush=True)
            failed += len(sweep.failures)
    finally:
        emulator.terminate()
        emulator.wait()
        shutil.rmtree(scratch, ignore_errors=True)
    if failed:
        sys.exit(f"crash-sweep: {failed} recoveries failed")
    print("crash-sweep: every recovery matched the uninterrupted run")


if __name__ == "__main__":
    main()
