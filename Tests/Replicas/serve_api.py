"""serve's API as the scenarios use it, and the checks of executions against an uninterrupted run."""
import collections
import os
import threading
import urllib.parse

from constants import NAMESPACE, FLOW_ID, LINES, TASK_ID, TERMINAL, FLOW
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


def save_shared_flow(report, topology):
    """Saves the flow on r1 and checks that it is in PostgreSQL and that r2 reads it: the replicas share the ledger
    (a serve that took the URL for a file name would answer every request, each replica on a ledger of its own)."""
    save_flow(topology, "r1")
    try:
        rows = topology.psql("r1", f"SELECT count(*) FROM events WHERE stream = 'flow/{NAMESPACE}/{FLOW_ID}'",
                             database=topology.database)
    except Failure as error:
        said = [line for line in str(error).splitlines() if "ERROR" in line] or [str(error)]
        rows = f"none ({said[0].strip()[:200]})"
    status, _ = api("GET", "r2", topology, f"/flows/{NAMESPACE}/{FLOW_ID}")
    shared = rows == "1" and status == 200
    report.check(shared, "the flow saved on r1 is one event in PostgreSQL and r2 reads it",
                 f"events of the flow's stream in PostgreSQL: {rows}; GET on r2: HTTP {status}")
    if not shared:
        raise StartupFailure("the replicas do not share the PostgreSQL ledger: serve keeps its ledger elsewhere "
                             f"(it printed: {topology.replicas['r1'].output().strip()[:300]})")


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


def event_count(topology, role, execution_id):
    status, body = api("GET", role, topology, f"/executions/{execution_id}/events?after=0&size=1")
    if status != 200 or not isinstance(body, dict):
        raise Failure(f"GET executions/{execution_id}/events on {role} answered {status}: {str(body)[:300]}")
    return body["total"]


def states(topology, role, ids):
    """Each execution's state name, read one by one from `role`'s API."""
    return {execution_id: execution(topology, role, execution_id)["state"]["current"] for execution_id in ids}


def wait_all_terminal(topology, role, ids, timeout, what):
    def probe():
        current = states(topology, role, ids)
        counts = collections.Counter(current.values())
        return all(state in TERMINAL for state in current.values()), f"states {dict(counts)}"

    return wait_for(f"all {len(ids)} {what} to reach a terminal state (read from {role}'s API)", probe, timeout,
                    interval=1.0)


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
