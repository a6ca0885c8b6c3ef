#!/usr/bin/env python3
"""Concurrency benchmark: many executions in one process, against a standalone emulator.

Four workloads, each against a fresh `batchledger emulator`, with one-task executions whose Batch job runs
`sleep 20` (--sleep):

  in-process   N executions started at once in ONE process through the engine (`concurrency-bench`:
               `ExecutionRunner` with one shared `ServiceRegistry`), for each N of --executions (100,1000);
  engine       the same, through the engine API (`Engine.start`, every start on one shared target), as a server
               would call it;
  processes    the same N executions as N separate `batchledger run --endpoint` processes started at once
               (--processes, default 100; 1,000 processes is not attempted: see the printed note);
  foreach      one `batchledger run` of a ForEach over --foreach values (concurrencyLimit: 0), each iteration
               printing one line and sleeping.

Printed per workload: exit codes / final states, wall time, orchestrator peak RSS (getrusage of the process; for
N processes the sum of their peaks and the largest sum of their resident sets sampled each second), CPU seconds
per execution, ledger events, transactions and fsyncs per execution (counted with strace: the ledger does not
count them; a WAL commit is one fdatasync of the -wal file, a checkpoint one of the -wal file and one of the
database), Batch calls (jobs.get/jobs.list) per polling round and Cloud Logging calls (entries.list) per round and
in the busiest minute (the emulator's /_emulator/stats, sampled each second). Then the figures against the
issue's targets.

Usage: concurrency.py [--executions 100,1000] [--processes 100] [--foreach 1000] [--sleep 20]
                      [--workloads in-process,engine,processes,foreach] [--skip-build] [--keep]
The build goes through $SWIFT (default `swift`), e.g. SWIFT=/work/bin/swiftlock.
"""
import argparse
import json
import math
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROJECT, REGION, BUCKET = "local-project", "europe-west9", "batchledger-local"
MiB = 1024 * 1024
PAGE_SIZE = 500  # jobs.list page size of the engine's watchers (GoogleBatchJobs)


def flow_one_task(sleep):
    return f"""id: concurrency_bench
namespace: bench
tasks:
  - id: sleeper
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.ee.gcp.runner.Batch
      projectId: {PROJECT}
      region: {REGION}
      bucket: {BUCKET}
    commands:
      - echo "started {{{{ execution.id }}}}"
      - sleep {sleep}
"""


def flow_foreach(values, sleep):
    return f"""id: foreach_bench
namespace: bench
tasks:
  - id: fan
    type: io.kestra.plugin.core.flow.ForEach
    values: "{{{{ range(1, {values}) | json }}}}"
    concurrencyLimit: 0
    tasks:
      - id: item
        type: io.kestra.plugin.scripts.shell.Commands
        taskRunner:
          type: io.kestra.plugin.ee.gcp.runner.Batch
          projectId: {PROJECT}
          region: {REGION}
          bucket: {BUCKET}
        commands:
          - echo "iteration {{{{ taskrun.value }}}}"
          - sleep {sleep}
"""


def log(text):
    print(text, file=sys.stderr, flush=True)


class Emulator:
    """A standalone `batchledger emulator` with room for thousands of jobs, in its own state folder."""

    def __init__(self, binary, work, name):
        self.log = os.path.join(work, name + "-emulator.log")
        self.process = subprocess.Popen(
            [binary, "emulator", "--port", "0", "--state-dir", os.path.join(work, name + "-state"),
             "--max-jobs", "20000", "--max-tasks", "20000", "--max-log-entries", "2000000"],
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        self.endpoint = None
        for _ in range(400):
            for line in open(self.log):
                if line.startswith("LocalCloud listening on "):
                    self.endpoint = line.split("on ", 1)[1].strip()
            if self.endpoint or self.process.poll() is not None:
                break
            time.sleep(0.05)
        if not self.endpoint:
            raise SystemExit(f"the emulator did not start; see {self.log}:\n{open(self.log).read()[-2000:]}")

    def stats(self):
        with urllib.request.urlopen(self.endpoint + "/_emulator/stats", timeout=30) as answer:
            return json.load(answer)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Sampler(threading.Thread):
    """Reads the emulator's counters (and, when asked, the resident set of some processes) every second."""

    def __init__(self, emulator, rss_of=None):
        super().__init__(daemon=True)
        self.emulator, self.rss_of = emulator, rss_of
        self.samples, self.peak_rss = [], 0
        self.stopping = threading.Event()
        self.start_time = time.monotonic()

    def run(self):
        while not self.stopping.is_set():
            self.sample()
            self.stopping.wait(1.0)

    def sample(self):
        try:
            stats = self.emulator.stats()
            self.samples.append((time.monotonic() - self.start_time, stats.get("requests", {}),
                                 stats.get("jobStates", {})))
        except OSError:
            pass
        if self.rss_of:
            self.peak_rss = max(self.peak_rss, self.rss_of())

    def finish(self):
        self.stopping.set()
        self.join()
        self.sample()

    def total(self, method):
        return self.samples[-1][1].get(method, 0) - self.samples[0][1].get(method, 0) if self.samples else 0

    def most_in_a_minute(self, method):
        most, end = 0, 0
        for start in range(len(self.samples)):
            while end + 1 < len(self.samples) and self.samples[end + 1][0] - self.samples[start][0] <= 60:
                end += 1
            most = max(most, self.samples[end][1].get(method, 0) - self.samples[start][1].get(method, 0))
        return most

    def steady_rate(self, methods, executions):
        """Calls per second of `methods` while at least 90 % of the most jobs seen running ran (None when never)."""
        most = max((s[2].get("RUNNING", 0) for s in self.samples), default=0)
        running = [s for s in self.samples if most and s[2].get("RUNNING", 0) >= 0.9 * most]
        if len(running) < 2 or running[-1][0] - running[0][0] <= 0:
            return None
        calls = sum(running[-1][1].get(m, 0) - running[0][1].get(m, 0) for m in methods)
        return calls / (running[-1][0] - running[0][0])


def strace_prefix(output):
    """Counts fsync and fdatasync calls of the process and its threads, with the paths, at little cost."""
    return ["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=fsync,fdatasync", "-y", "-o", output]


def count_syncs(paths, ledger):
    """fsync/fdatasync calls on the ledger's files: WAL syncs, database syncs, others; and the commits."""
    wal = database = other = 0
    pattern = re.compile(r"f(?:data)?sync\(\d+<([^>]*)>\)")
    for path in paths:
        if not os.path.exists(path):
            continue
        for line in open(path, errors="replace"):
            match = pattern.search(line)
            if not match:
                continue
            if match.group(1) == ledger + "-wal":
                wal += 1
            elif match.group(1) == ledger:
                database += 1
            else:
                other += 1
    # Each commit syncs the WAL once; each checkpoint syncs the WAL, then the database.
    return {"fsyncs": wal + database + other, "walSyncs": wal, "databaseSyncs": database, "otherSyncs": other,
            "transactions": wal - database}


def wait_for_ledger(ledger, timeout=60):
    """Waits until `ledger` exists and is migrated (its user_version is set)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(ledger):
            try:
                with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as db:
                    if db.execute("PRAGMA user_version").fetchone()[0] > 0:
                        return
            except sqlite3.Error:
                pass
        time.sleep(0.05)
    raise SystemExit(f"{ledger} was not created within {timeout} s")


def ledger_events(ledger):
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as db:
        return db.execute("SELECT count(*) FROM events").fetchone()[0]


def tree_rss(root_pids):
    """Resident set of every `batchledger` process whose parent is one of `root_pids`, in bytes."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent not in root_pids or "(batchledger)" not in stat:
                continue
            for line in open(f"/proc/{entry}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            continue
    return total


def in_process(binaries, work, executions, sleep, via="runner"):
    name = f"inprocess-{via}-{executions}"
    emulator = Emulator(binaries["batchledger"], work, name)
    ledger = os.path.join(work, name + ".ledger")
    trace = os.path.join(work, name + ".strace")
    try:
        log(f"in-process ({via}): {executions} executions in one concurrency-bench process against "
            f"{emulator.endpoint}")
        result = subprocess.run(
            strace_prefix(trace) + [binaries["concurrency-bench"], "--endpoint", emulator.endpoint, "--ledger", ledger,
                                    "--executions", str(executions), "--sleep", str(sleep), "--timing", "standard",
                                    "--samples", os.path.join(work, name + ".samples.jsonl"), "--via", via],
            stdout=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise SystemExit(f"concurrency-bench exited {result.returncode}")
        figures = json.loads(result.stdout)
    finally:
        emulator.stop()
    syncs = count_syncs([trace], ledger)
    figures["ledger"] = syncs
    figures["ledgerTransactionsPerExecution"] = syncs["transactions"] / executions
    figures["ledgerFsyncsPerExecution"] = syncs["fsyncs"] / executions
    figures["eventsPerTransaction"] = figures["ledgerEvents"] / max(1, syncs["transactions"])
    return figures


def processes(binaries, work, executions, sleep):
    name = f"processes-{executions}"
    emulator = Emulator(binaries["batchledger"], work, name)
    ledger = os.path.join(work, name + ".ledger")
    flow = os.path.join(work, "one_task.yaml")
    open(flow, "w").write(flow_one_task(sleep))
    environment = dict(os.environ, NO_COLOR="1", BATCHLEDGER_TIMING="standard")
    traces = [os.path.join(work, f"{name}-{index}.strace") for index in range(executions)]
    children = {}
    try:
        log(f"processes: {executions} `batchledger run --endpoint` processes against {emulator.endpoint}")
        sampler = Sampler(emulator, rss_of=lambda: tree_rss(set(children)))
        sampler.start()
        started = time.monotonic()
        for index in range(executions):
            process = subprocess.Popen(
                strace_prefix(traces[index]) + [binaries["batchledger"], "run", flow, "--endpoint", emulator.endpoint,
                                                "--ledger", ledger, "--output-dir", os.path.join(work, "outputs")],
                stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, f"{name}-{index}.err"), "w"),
                env=environment, cwd=work)
            children[process.pid] = process
            if index == 0:
                # Processes that all find no ledger race to create it: let the first one create it.
                wait_for_ledger(ledger)
        codes, peak_sum, peak_max, cpu = {}, 0, 0, 0.0
        for pid in list(children):
            _, status, usage = os.wait4(pid, 0)
            children[pid].returncode = os.waitstatus_to_exitcode(status)
            codes[children[pid].returncode] = codes.get(children[pid].returncode, 0) + 1
            peak_sum += usage.ru_maxrss * 1024
            peak_max = max(peak_max, usage.ru_maxrss * 1024)
            cpu += usage.ru_utime + usage.ru_stime
        wall = time.monotonic() - started
        sampler.finish()
    finally:
        emulator.stop()
    failed = [i for i, pid in enumerate(children) if children[pid].returncode != 0]
    errors = [open(os.path.join(work, f"{name}-{i}.err")).read().strip()[-300:] for i in failed[:3]]
    syncs = count_syncs(traces, ledger)
    events = ledger_events(ledger)
    watch = sampler.total("jobs.get") + sampler.total("jobs.list")
    rate = sampler.steady_rate(["jobs.get", "jobs.list"], executions)
    return {
        "mode": "processes", "executions": executions, "exitCodes": codes, "errors": errors, "wallSeconds": wall,
        "peakRSSMiBSumOfProcesses": peak_sum / MiB, "peakRSSMiBLargestProcess": peak_max / MiB,
        "peakRSSMiBSampledTotal": sampler.peak_rss / MiB, "cpuSecondsPerExecution": cpu / executions,
        "ledgerEvents": events, "eventsPerExecution": events / executions, "ledger": syncs,
        "ledgerTransactionsPerExecution": syncs["transactions"] / executions,
        "ledgerFsyncsPerExecution": syncs["fsyncs"] / executions,
        "eventsPerTransaction": events / max(1, syncs["transactions"]),
        "apiCalls": {m: sampler.total(m) for m in sampler.samples[-1][1]} if sampler.samples else {},
        "batchWatchCalls": watch, "steadyBatchWatchCallsPerSecond": rate,
        "loggingCallsMostInAnyMinute": sampler.most_in_a_minute("entries.list"),
    }


def foreach(binaries, work, values, sleep):
    name = f"foreach-{values}"
    emulator = Emulator(binaries["batchledger"], work, name)
    ledger = os.path.join(work, name + ".ledger")
    flow = os.path.join(work, "foreach.yaml")
    open(flow, "w").write(flow_foreach(values, sleep))
    trace = os.path.join(work, name + ".strace")
    try:
        log(f"foreach: one `batchledger run` of a {values}-value ForEach against {emulator.endpoint}")
        sampler = Sampler(emulator)
        sampler.start()
        started = time.monotonic()
        process = subprocess.Popen(
            strace_prefix(trace) + [binaries["batchledger"], "run", flow, "--endpoint", emulator.endpoint,
                                    "--ledger", ledger, "--json", "--output-dir", os.path.join(work, "outputs")],
            stdout=subprocess.PIPE, stderr=open(os.path.join(work, name + ".err"), "w"),
            env=dict(os.environ, NO_COLOR="1", BATCHLEDGER_TIMING="standard"), cwd=work)
        report = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        sampler.finish()
    finally:
        emulator.stop()
    state = None
    try:
        state = json.loads(report).get("state")
    except ValueError:
        pass
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as db:
        texts = set()
        for (payload,) in db.execute("SELECT payload FROM events WHERE type = 'LogLinesReceived'"):
            for line in json.loads(payload).get("lines", []):
                texts.add(line.get("text", ""))
        events = db.execute("SELECT count(*) FROM events").fetchone()[0]
    # range(1, N) is inclusive in Kestra's Pebble: values 1..N.
    missing = [v for v in range(1, values + 1) if f"iteration {v}" not in texts]
    syncs = count_syncs([trace], ledger)
    minutes = max(wall, 1) / 60
    return {
        "mode": "foreach", "values": values, "exitCode": code, "state": state, "wallSeconds": wall,
        "iterationLinesStored": values - len(missing), "missingIterationLines": missing[:10],
        "peakRSSMiB": usage.ru_maxrss / 1024, "cpuSeconds": usage.ru_utime + usage.ru_stime,
        "ledgerEvents": events, "ledger": syncs, "eventsPerTransaction": events / max(1, syncs["transactions"]),
        "apiCalls": {m: sampler.total(m) for m in sampler.samples[-1][1]} if sampler.samples else {},
        "entriesListMostInAnyMinute": sampler.most_in_a_minute("entries.list"),
        "entriesListPerMinuteAverage": sampler.total("entries.list") / minutes,
        "stderrTail": open(os.path.join(work, name + ".err")).read()[-400:] if code != 0 else "",
    }


def mark(ok):
    return "met" if ok else "MISSED"


def report(results, notes):
    print()
    for figures in results:
        shown = {k: v for k, v in figures.items() if k not in ("samples",)}
        print(json.dumps(shown, sort_keys=True))
    print()
    for figures in results:
        mode = figures["mode"]
        if mode == "in-process" and figures["via"] == "engine":
            n = figures["executions"]
            rate = figures.get("steadyBatchWatchCallsPerSecond", float("nan"))
            print(f"in-process via Engine.start N={n}: states {figures['finalStates']}, log line stored for "
                  f"{figures['executionsWithLogLineStored']}; wall {figures['wallSeconds']:.1f} s; "
                  f"peak RSS {figures['peakRSSMiB']:.1f} MiB; CPU {figures['cpuSecondsPerExecution'] * 1000:.1f} ms/"
                  f"execution; {figures['eventsPerExecution']:.1f} events, "
                  f"{figures['ledgerTransactionsPerExecution']:.1f} transactions and "
                  f"{figures['ledgerFsyncsPerExecution']:.1f} fsyncs per execution "
                  f"({figures['eventsPerTransaction']:.2f} events per transaction); Batch calls {figures['apiCalls']}"
                  f", {rate:.1f} watch calls per second while {figures['mostJobsRunningAtOnce']} ran at most; "
                  f"{figures['loggingCallsMostInAnyMinute']} entries.list in the busiest minute")
        elif mode == "in-process":
            n = figures["executions"]
            steady = figures.get("steady") if isinstance(figures.get("steady"), dict) else {}
            print(f"in-process N={n}: states {figures['finalStates']}, log line stored for "
                  f"{figures['executionsWithLogLineStored']}; wall {figures['wallSeconds']:.1f} s; "
                  f"peak RSS {figures['peakRSSMiB']:.1f} MiB; CPU {figures['cpuSecondsPerExecution'] * 1000:.1f} ms/"
                  f"execution; {figures['eventsPerExecution']:.1f} events, "
                  f"{figures['ledgerTransactionsPerExecution']:.1f} transactions and "
                  f"{figures['ledgerFsyncsPerExecution']:.1f} fsyncs per execution "
                  f"({figures['eventsPerTransaction']:.2f} events per transaction; the writer's own count: "
                  f"{figures['writerEvents']} events in {figures['writerAppends']} appends in "
                  f"{figures['writerGroupTransactions']} group transactions, "
                  f"{figures['writerEventsPerGroupTransaction']:.2f} events per group transaction); "
                  f"{figures['engineWatcherRounds']} rounds ({figures['jobsListPagesPerRound']:.2f} jobs.list pages "
                  f"and {figures['jobsGetPerRound']:.2f} jobs.get per round), "
                  f"{figures['batchWatchCallsPerRound']:.2f} Batch watch "
                  f"calls per round (steady: {steady.get('batchWatchCallsPerRound', float('nan')):.2f}, worst "
                  f"{steady.get('worstBatchWatchCallsPerRound', float('nan')):.2f}), "
                  f"{figures['loggingCallsPerRound']:.2f} Logging calls per round, "
                  f"{figures['loggingCallsMostInAnyMinute']} entries.list in the busiest minute")
        elif mode == "processes":
            n = figures["executions"]
            rate = figures["steadyBatchWatchCallsPerSecond"]
            print(f"processes N={n}: exit codes {figures['exitCodes']}; wall {figures['wallSeconds']:.1f} s; "
                  f"peak RSS {figures['peakRSSMiBSumOfProcesses']:.1f} MiB summed over processes (largest "
                  f"{figures['peakRSSMiBLargestProcess']:.1f}, sampled total {figures['peakRSSMiBSampledTotal']:.1f}); "
                  f"CPU {figures['cpuSecondsPerExecution'] * 1000:.1f} ms/execution; "
                  f"{figures['eventsPerExecution']:.1f} events, {figures['ledgerTransactionsPerExecution']:.1f} "
                  f"transactions and {figures['ledgerFsyncsPerExecution']:.1f} fsyncs per execution "
                  f"({figures['eventsPerTransaction']:.2f} events per transaction); {figures['batchWatchCalls']} "
                  f"Batch watch calls ({'n/a' if rate is None else f'{rate:.1f}'} per second while all ran: one "
                  f"jobs.get per job per poll), {figures['loggingCallsMostInAnyMinute']} entries.list in the "
                  f"busiest minute")
        else:
            print(f"foreach {figures['values']}: exit {figures['exitCode']} ({figures['state']}); "
                  f"{figures['iterationLinesStored']} of {figures['values']} iteration lines stored; wall "
                  f"{figures['wallSeconds']:.1f} s; peak RSS {figures['peakRSSMiB']:.1f} MiB; CPU "
                  f"{figures['cpuSeconds']:.1f} s; {figures['ledgerEvents']} events in "
                  f"{figures['ledger']['transactions']} transactions ({figures['eventsPerTransaction']:.2f} per "
                  f"transaction); {figures['entriesListMostInAnyMinute']} entries.list in the busiest minute "
                  f"({figures['entriesListPerMinuteAverage']:.1f} per minute on average)")
    print()
    print("targets:")
    for figures in results:
        mode = figures["mode"]
        if mode == "in-process":
            n = figures["executions"]
            via = " via Engine.start" if figures["via"] == "engine" else ""
            steady = figures.get("steady") if isinstance(figures.get("steady"), dict) else {}
            pages = math.ceil(n / PAGE_SIZE)
            rate = figures.get("steadyBatchWatchCallsPerSecond")
            if rate is not None:
                # One round per location at most every 2 s (Timing.standard.minimumRoundInterval).
                bound = (pages + 1) / 2
                print(f"  in-process{via} N={n}: {rate:.2f} Batch watch calls per second while "
                      f"{figures['mostJobsRunningAtOnce']} jobs ran <= ({pages} page(s) + 1) per 2 s round = {bound}: "
                      f"{mark(rate <= bound)}")
            if figures["via"] == "engine":
                if n >= 1000:
                    print(f"  in-process{via} N={n}: peak RSS {figures['peakRSSMiB']:.1f} MiB < 256 MiB: "
                          f"{mark(figures['peakRSSMiB'] < 256)}")
                print(f"  in-process{via} N={n}: {figures['loggingCallsMostInAnyMinute']} entries.list in the busiest "
                      f"minute <= 60 (one project): {mark(figures['loggingCallsMostInAnyMinute'] <= 60)}")
                continue

            if n >= 1000:
                print(f"  in-process N={n}: peak RSS {figures['peakRSSMiB']:.1f} MiB < 256 MiB: "
                      f"{mark(figures['peakRSSMiB'] < 256)}")
            print(f"  in-process N={n}: {figures['eventsPerTransaction']:.2f} events per ledger transaction >= 2: "
                  f"{mark(figures['eventsPerTransaction'] >= 2)}")
            list_pages, gets = figures["jobsListPagesPerRound"], figures["jobsGetPerRound"]
            print(f"  in-process N={n}: Batch watch calls per round {figures['batchWatchCallsPerRound']:.2f} = "
                  f"{list_pages:.2f} jobs.list pages (<= 1 location x {pages} page(s) of {PAGE_SIZE}) + {gets:.2f} "
                  f"jobs.get (<= 1; one per job would be {n}): {mark(list_pages <= pages and gets <= 1)}")
            print(f"  in-process N={n}: {figures['loggingCallsMostInAnyMinute']} entries.list in the busiest minute "
                  f"<= 60 (one project): {mark(figures['loggingCallsMostInAnyMinute'] <= 60)}")
        elif mode == "processes":
            n = figures["executions"]
            print(f"  processes N={n}: {figures['eventsPerTransaction']:.2f} events per ledger transaction >= 2: "
                  f"{mark(figures['eventsPerTransaction'] >= 2)}")
            print(f"  processes N={n}: {figures['loggingCallsMostInAnyMinute']} entries.list in the busiest minute "
                  f"<= 60: {mark(figures['loggingCallsMostInAnyMinute'] <= 60)}")
        else:
            ok = figures["exitCode"] == 0 and figures["iterationLinesStored"] == figures["values"]
            print(f"  foreach {figures['values']}: exit 0 and every iteration's line stored: {mark(ok)}")
            print(f"  foreach {figures['values']}: peak RSS {figures['peakRSSMiB']:.1f} MiB < 256 MiB: "
                  f"{mark(figures['peakRSSMiB'] < 256)}")
            print(f"  foreach {figures['values']}: {figures['entriesListMostInAnyMinute']} entries.list in the "
                  f"busiest minute <= 60: {mark(figures['entriesListMostInAnyMinute'] <= 60)}")
            print(f"  foreach {figures['values']}: {figures['eventsPerTransaction']:.2f} events per ledger "
                  f"transaction >= 2: {mark(figures['eventsPerTransaction'] >= 2)}")
    for note in notes:
        print(f"note: {note}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executions", default="100,1000")
    parser.add_argument("--processes", type=int, default=100)
    parser.add_argument("--foreach", type=int, default=1000)
    parser.add_argument("--sleep", type=int, default=20)
    parser.add_argument("--workloads", default="in-process,engine,processes,foreach")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (ledgers, strace output, logs)")
    options = parser.parse_args()
    if not shutil.which("strace"):
        raise SystemExit("strace is needed to count the ledger's fsyncs; install it (apt-get install strace)")
    swift = os.environ.get("SWIFT", "swift").split()
    if not options.skip_build:
        for product in ("batchledger", "concurrency-bench"):
            subprocess.run(swift + ["build", "-c", "release", "--product", product], cwd=ROOT, check=True)
    bin_path = subprocess.run(swift + ["build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    binaries = {name: os.path.join(bin_path, name) for name in ("batchledger", "concurrency-bench")}
    workloads = options.workloads.split(",")
    # 1,000 jobs are 1,000 sandboxed processes of the emulator; each `run` process opens its own connections.
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    work = tempfile.mkdtemp(prefix="concurrency-bench-")
    results, notes = [], []
    try:
        if "in-process" in workloads:
            for n in [int(x) for x in options.executions.split(",") if x]:
                results.append(in_process(binaries, work, n, options.sleep))
        if "engine" in workloads:
            for n in [int(x) for x in options.executions.split(",") if x]:
                results.append(in_process(binaries, work, n, options.sleep, via="engine"))
        if "processes" in workloads and options.processes:
            results.append(processes(binaries, work, options.processes, options.sleep))
            notes.append("N separate processes is run for N=100 only: at N=1,000, 1,000 processes each polling its "
                         "own job and reading Cloud Logging with its own allowance of 55 calls a minute is what the "
                         "in-process figures replace (and 1,000 SQLite writers contend for one ledger lock)")
        if "foreach" in workloads and options.foreach:
            results.append(foreach(binaries, work, options.foreach, options.sleep))
        notes.append("transactions = fdatasync calls on the ledger's -wal file minus those on the database file "
                     "(checkpoints); lease acquisitions and releases share the writer's group transactions with "
                     "the appends, and one renewal of every lease the process holds goes in about every second")
        report(results, notes)
    finally:
        if options.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
