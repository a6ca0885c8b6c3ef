"""serve's API as the scenarios use it, and the checks of executions against an uninterrupted run."""
import collections
import json
import os
import re
import threading
import time
import urllib.parse

from constants import NAMESPACE, FLOW_ID, LINES, TASK_ID, FLOW
from support import Failure, log, run, wait_for
from topology import StartupFailure, api


# What an uninterrupted run gives, and the checks of one execution against it.

def expected_lines(n):
    return [f"n={n} line {i}/{LINES}" for i in range(1, LINES + 1)]


def expected_outputs(n):
    return {"vars": {"lines": LINES, "n": n}, "exitCode": 0}


def save_flow(topology, role):
    status, body = api("POST", role, topology, "/flows", body=FLOW.encode(), content_type="application/x-yaml")
    if status not in (200, 201):
        raise Failure(f"saving the flow on {role} answered {status}: {body}")


def save_shared_flow(report, topology, read_wait=30):
    """Saves the flow on r1 and checks that it is in PostgreSQL and that r2 reads it (polled: r2 may learn of
    another host's writes a little later). A serve that took the URL for a file name keeps a ledger of its own and
    writes nothing to PostgreSQL: the scenario stops there. When r2 does not read the flow, that is recorded and
    the flow is saved on r2 as well, so that the scenario goes on to what else it checks."""
    save_flow(topology, "r1")
    try:
        rows = topology.psql("r1", f"SELECT count(*) FROM events WHERE stream = 'flow/{NAMESPACE}/{FLOW_ID}'",
                             database=topology.database)
    except Failure as error:
        said = [line for line in str(error).splitlines() if "ERROR" in line] or [str(error)]
        rows = f"none ({said[0].strip()[:200]})"
    report.check(rows == "1", "the flow saved on r1 is one event in PostgreSQL",
                 f"events of the flow's stream in PostgreSQL: {rows}")
    if rows != "1":
        raise StartupFailure("serve does not write to the PostgreSQL ledger (it printed: "
                             f"{topology.replicas['r1'].output().strip()[:300]})")
    started = time.monotonic()
    try:
        wait_for(f"r2 to read the flow r1 saved (GET flows/{NAMESPACE}/{FLOW_ID})", lambda: (
            api("GET", "r2", topology, f"/flows/{NAMESPACE}/{FLOW_ID}")[0] == 200, "HTTP 404"), read_wait)
        report.check(True, "r2 reads the flow r1 saved", f"within {time.monotonic() - started:.1f} s")
    except Failure as error:
        report.check(False, "r2 reads the flow r1 saved", f"{error}; saving it on r2 too, to go on")

        def saved_on_r2():
            status, body = api("POST", "r2", topology, "/flows", body=FLOW.encode(), content_type="application/x-yaml")
            readable = api("GET", "r2", topology, f"/flows/{NAMESPACE}/{FLOW_ID}")[0]
            return status in (200, 201) or readable == 200, f"save answered {status} {str(body)[:200]}, GET {readable}"

        report.note("saving on r2: " + wait_for("r2 to save or read the flow", saved_on_r2, 30, interval=1))


def start_execution(topology, role, n, pause, delay=0.0, wait=False, timeout=30):
    """The new execution's id, or raises Failure with the answer."""
    form = urllib.parse.urlencode({"n": n, "pause": pause, "delay": f"PT{delay:.2f}S"}).encode()
    path = f"/executions/{NAMESPACE}/{FLOW_ID}" + ("?wait=true" if wait else "")
    status, body = api("POST", role, topology, path, body=form, content_type="application/x-www-form-urlencoded",
                       timeout=timeout)
    if status != 200 or not isinstance(body, dict) or "id" not in body:
        raise Failure(f"starting n={n} on {role} answered {status}: {str(body)[:500]}")
    return body["id"]


def execution(topology, role, execution_id):
    status, body = api("GET", role, topology, f"/executions/{execution_id}")
    if status != 200 or not isinstance(body, dict):
        raise Failure(f"GET executions/{execution_id} on {role} answered {status}: {str(body)[:300]}")
    return body


def script_lines(topology, role, execution_id):
    status, body = api("GET", role, topology, f"/logs/{execution_id}")
    if status != 200 or not isinstance(body, list):
        raise Failure(f"GET logs/{execution_id} on {role} answered {status}: {str(body)[:300]}")
    return [entry.get("message", "") for entry in body if str(entry.get("message", "")).startswith("n=")]


def event_counts(topology, ids):
    """How many events each execution has in PostgreSQL itself (not in any replica's cache), by id."""
    if not ids:
        return {}
    listed = ", ".join(f"'{execution_id}'" for execution_id in ids if re.fullmatch(r"[0-9a-z]+", execution_id))
    answer = topology.psql("r2", f"SELECT stream || ' ' || count(*) FROM events WHERE stream IN ({listed}) "
                                 "GROUP BY stream", database=topology.database)
    counts = dict.fromkeys(ids, 0)
    for line in answer.splitlines():
        stream, count = line.split()
        counts[stream] = int(count)
    return counts


def states(topology, role, ids):
    """Each execution's state name, read one by one from `role`'s API."""
    return {execution_id: execution(topology, role, execution_id)["state"]["current"] for execution_id in ids}


def ledger_states(topology, ids):
    """Each execution's state as the PostgreSQL ledger itself holds it (`batchledger executions --json` from the r2
    host, with a cache of its own): (state, ended) by id; ('absent', False) for one the ledger does not have."""
    cache = os.path.join(topology.workdir, "reader-cache")
    done = topology.run_on("r2", [topology.binary, "executions", "--ledger", topology.ledger_url(), "--json"],
                           timeout=120, env=dict(os.environ, NO_COLOR="1", BATCHLEDGER_CACHE_DIR=cache))
    listed = {item["executionId"]: (item["state"], item.get("endedAt") is not None)
              for item in json.loads(done.stdout)["executions"]}
    return {execution_id: listed.get(execution_id, ("absent", False)) for execution_id in ids}


def ledger_executions(topology):
    """Every execution of the flow the PostgreSQL ledger holds, acknowledged or not: (state, ended) by id."""
    cache = os.path.join(topology.workdir, "reader-cache")
    done = topology.run_on("r2", [topology.binary, "executions", "--ledger", topology.ledger_url(), "--json"],
                           timeout=120, env=dict(os.environ, NO_COLOR="1", BATCHLEDGER_CACHE_DIR=cache))
    return {item["executionId"]: (item["state"], item.get("endedAt") is not None)
            for item in json.loads(done.stdout)["executions"] if item.get("flowId") == FLOW_ID}


def wait_all_terminal(topology, ids, timeout, what):
    """Waits until the ledger (not a replica's view of it) records an end for every one of `ids`."""
    def probe():
        current = ledger_states(topology, ids)
        counts = collections.Counter(state for state, _ in current.values())
        return all(ended for _, ended in current.values()), f"states in the ledger {dict(counts)}"

    return wait_for(f"all {len(ids)} {what} to end (read from the PostgreSQL ledger)", probe, timeout, interval=1.0)


def compare_line_lists(expected, seen):
    """'' when equal, else what differs: missing, doubled, foreign or out-of-order lines."""
    if seen == expected:
        return ""
    counts = collections.Counter(seen)
    missing = [line for line in expected if counts[line] == 0]
    doubled = sorted(line for line, count in counts.items() if count > 1)
    foreign = sorted(set(seen) - set(expected))
    parts = []
    if missing:
        parts.append(f"missing {missing[:3]}{'…' if len(missing) > 3 else ''}")
    if doubled:
        parts.append(f"doubled {doubled[:3]}{'…' if len(doubled) > 3 else ''}")
    if foreign:
        parts.append(f"foreign {foreign[:3]}")
    if not parts:
        parts.append("out of order")
    return "; ".join(parts)


def outcome_problems(topology, role, executions_by_n, require_success=True):
    """Per execution: state, outputs and script log lines against an uninterrupted run's; returns (problems,
    total attempts)."""
    problems, attempts = [], 0
    for n, execution_id in sorted(executions_by_n.items()):
        record = execution(topology, role, execution_id)
        state = record["state"]["current"]
        runs = [run for run in record.get("taskRunList") or [] if run.get("taskId") == TASK_ID]
        attempts += sum(len(run.get("attempts") or []) for run in runs)
        if require_success and state != "SUCCESS":
            problems.append(f"n={n} {execution_id}: {state}, not SUCCESS")
            continue
        if state != "SUCCESS":
            continue
        outputs = runs[0].get("outputs") if runs else None
        if outputs != expected_outputs(n):
            problems.append(f"n={n} {execution_id}: outputs {outputs}, expected {expected_outputs(n)}")
        difference = compare_line_lists(expected_lines(n), script_lines(topology, role, execution_id))
        if difference:
            problems.append(f"n={n} {execution_id}: log lines {difference}")
    return problems, attempts


def verify_ledger(topology):
    """`batchledger verify --ledger URL` and `batchledger ledger verify URL`, run from the r2 host."""
    results = []
    for argv in ([topology.binary, "verify", "--ledger", topology.ledger_url()],
                 [topology.binary, "ledger", "verify", topology.ledger_url()]):
        cache = os.path.join(topology.workdir, "verify-cache")
        done = topology.run_on("r2", argv, check=False, timeout=600,
                               env=dict(os.environ, NO_COLOR="1", BATCHLEDGER_CACHE_DIR=cache))
        shown = " ".join(argv[1:]).replace(topology.ledger_url(), "URL")
        results.append((shown, done.returncode, (done.stdout + done.stderr).strip()[-600:]))
    return results


class Report:
    """The checks of one scenario: each one a line, PASS or FAIL with what it saw."""

    def __init__(self, name):
        self.name, self.checks, self.notes = name, [], []

    def check(self, passed, what, seen):
        self.checks.append((bool(passed), what, seen))
        log(f"  {'ok  ' if passed else 'FAIL'} {what}: {seen}")

    def note(self, text):
        self.notes.append(text)
        log(f"  note: {text}")

    @property
    def passed(self):
        return bool(self.checks) and all(passed for passed, _, _ in self.checks)


def serve_supports_lease_ttl(binary):
    done = run([binary, "serve", "--help"], check=False)
    return "--lease-ttl" in done.stdout + done.stderr


def check_verify(report, topology):
    for shown, status, output in verify_ledger(topology):
        report.check(status == 0, f"`{shown}` passes", f"exit {status}: {output.splitlines()[-1] if output else ''}")


def check_jobs_match_attempts(report, topology, baseline, attempts):
    stats = topology.emulator_stats()
    created = stats["jobsCreated"] - baseline
    report.check(created == attempts, "one Batch job per attempt (emulator jobsCreated == attempts in the ledger)",
                 f"jobsCreated {created}, attempts {attempts}")


def start_many(topology, plan, pause, acknowledged, refused, delay=lambda n: 0.0):
    """Starts executions `plan` [(role, n)] from one thread per role, recording each answer; execution n pauses
    `delay(n)` seconds before its job."""
    def worker(role, numbers):
        for n in numbers:
            try:
                acknowledged[n] = (role, start_execution(topology, role, n, pause, delay(n)))
            except Failure as error:
                refused[n] = (role, str(error))

    by_role = collections.defaultdict(list)
    for role, n in plan:
        by_role[role].append(n)
    threads = [threading.Thread(target=worker, args=item, daemon=True) for item in by_role.items()]
    for thread in threads:
        thread.start()
    return threads


def reference_run(report, topology, role):
    """An uninterrupted run (n=0, started with wait=true), against which the others are compared."""
    reference = start_execution(topology, role, 0, 0.01, wait=True, timeout=300)
    record = execution(topology, role, reference)
    lines = script_lines(topology, role, reference)
    runs = [run for run in record.get("taskRunList") or [] if run.get("taskId") == TASK_ID]
    outputs = runs[0].get("outputs") if runs else None
    same = record["state"]["current"] == "SUCCESS" and lines == expected_lines(0) and outputs == expected_outputs(0)
    report.check(same, "an uninterrupted run gives the expected lines and outputs",
                 f"{record['state']['current']}, {len(lines)} lines, outputs {outputs}")
    if not same:
        raise Failure("the uninterrupted reference run differs from what the flow prints; every comparison would "
                      "be wrong")
