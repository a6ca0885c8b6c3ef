#!/usr/bin/env python3
"""Production failures of `batchledger serve` replicas sharing one PostgreSQL ledger, each replica on a host of its
own, simulated with Linux network namespaces (needs root and iproute2).

Topology (one per scenario, torn down after it):

    root namespace: bridge <prefix>-br, 10.A.B.1/24 (this script reaches every host through it)
      ├── <prefix>-db      10.A.B.2   PostgreSQL (Debian's initdb/pg_ctl as user postgres, trust for the subnet)
      ├── <prefix>-cloud   10.A.B.3   `batchledger emulator --require-auth` (LocalCloud) on port 8080
      ├── <prefix>-r1      10.A.B.11  `batchledger serve --ledger postgres://… --endpoint http://10.A.B.3:8080`
      └── <prefix>-r2      10.A.B.12  the same, a second replica

Each namespace also gets a UTS namespace with its own host name, so a replica sees the other as another host
(a lease held by a process "on this host" could otherwise be judged by its pid). Names are `blr<pid>s<N>-<role>`:
unique per run, and a run first removes what a crashed run (whose pid is gone) left behind. Everything (processes,
namespaces, links, folders) is removed on every exit path: success, failure, exception, SIGINT, SIGTERM, SIGHUP.

Scenarios (--scenario N, repeatable; default all):
  0  the harness itself: namespaces up, PostgreSQL reachable from r1 and r2 (psql and TCP), the emulator reachable
     and running a flow's job for a `batchledger run` in r1, processes killed per namespace, teardown leaves
     nothing, and a held run interrupted by SIGINT, SIGTERM or an exception leaves nothing either
  1  two replicas drive 100 executions; once about half the jobs exist every process of r1 is SIGKILLed; r2
     finishes every execution as an uninterrupted run would (SUCCESS, same outputs, each log line once), one Batch
     job per attempt, and verify passes
  2  r1 is frozen (SIGSTOP) past its lease TTL; r2 takes its executions over (their leases pass to r2 with higher
     fencing tokens); r1 is continued (SIGCONT): it never holds them again and nothing is doubled
  3  PostgreSQL is restarted (pg_ctl restart -m fast) under load: every start is answered, each replica takes
     new work afterwards, every execution (acknowledged or not) ends, nothing is doubled and verify passes

Usage: replicas_test.py --binary PATH [--scenario N]... [--keep-logs DIR]
Exit status: 0 when every scenario run passed, 1 when one failed, 2 for bad usage (not root, no binary).
"""
import argparse
import collections
import json
import os
import re
import signal
import subprocess
import sys
import time

from constants import SAMPLE_SECRETS, ROLES, POSTGRES_PORT, LINES, TASK_ID, TERMINAL, FLOW
from support import Failure, alive, descendants, log, process_state, wait_for
from topology import StartupFailure, Topology, api, leftovers, netns_names, netns_pids, sweep_crashed_runs
from serve_api import (Report, check_jobs_match_attempts, check_verify, event_counts, ledger_executions,
                       ledger_states, outcome_problems, reference_run, save_shared_flow, serve_supports_lease_ttl,
                       start_execution, start_many, states, wait_all_terminal)


# Scenarios.

def scenario_kill_replica(binary, index, options):
    """1: SIGKILL every process of r1 once about half of 100 executions have their jobs; r2 finishes them all."""
    report = Report("1: r1 SIGKILLed under 100 executions")
    topology = Topology(binary, index, lease_ttl=options.lease_ttl, keep_logs=options.keep_logs)
    try:
        bring_up(topology, replicas=("r1", "r2"))
        save_shared_flow(report, topology)
        reference_run(report, topology, "r2")
        baseline = topology.emulator_stats()["jobsCreated"]
        total, half = 100, 50
        acknowledged, refused = {}, {}
        plan = [("r1" if n % 2 else "r2", n) for n in range(1, total + 1)]
        # Execution n pauses 3 + n/10 seconds: all are acknowledged before their jobs are created, over 10 s.
        threads = start_many(topology, plan, 0.1, acknowledged, refused, delay=lambda n: 3 + n / 10)

        def half_created():
            created = topology.emulator_stats()["jobsCreated"] - baseline
            answered = len(acknowledged) + len(refused)
            return created >= half and answered == total, f"{created} jobs created, {answered} starts answered"

        seen = wait_for(f"all {total} starts answered and {half} of their jobs created", half_created, 300,
                        interval=0.1)
        killed = topology.kill_host("r1")
        killed_at = time.monotonic()
        report.note(f"SIGKILLed {len(killed)} process(es) of r1 {killed} at {seen}; "
                    f"{len(acknowledged)} starts acknowledged, {len(refused)} refused")
        for thread in threads:
            thread.join(120)
        # r1 is dead: its unfinished executions are taken over when their leases, no longer renewed, expire.
        orphans = {n: execution_id for n, (role, execution_id) in acknowledged.items() if role == "r1"}
        in_ledger = ledger_states(topology, list(orphans.values()))
        orphans = {n: execution_id for n, execution_id in orphans.items() if not in_ledger[execution_id][1]}

        def adopted():
            held = leases(topology, list(orphans.values()))
            taken = [stream for stream, (host, _) in held.items() if host == "r2"]
            hosts = dict(collections.Counter(host for host, _ in held.values()))
            return len(taken) == len(orphans), f"r2 holds {len(taken)} of {len(orphans)} leases (holders {hosts})"

        wait_for(f"r2 to take the leases of r1's {len(orphans)} unfinished executions", adopted, options.timeout,
                 interval=0.2)
        report.check(True, f"r2 takes over r1's {len(orphans)} unfinished executions",
                     f"r2 holds all their leases {time.monotonic() - killed_at:.1f} s after the kill "
                     f"(lease TTL {options.lease_ttl or 'default'} s)")
        for n, (role, error) in sorted(refused.items()):
            report.note(f"start n={n} on {role} not acknowledged: {error[:200]}")
        report.check(not any(role == "r2" for role, _ in refused.values()), "every start sent to r2 is acknowledged",
                     f"{sum(1 for role, _ in refused.values() if role == 'r2')} refused by r2")
        ids = {n: execution_id for n, (_, execution_id) in acknowledged.items()}
        wait_all_terminal(topology, list(ids.values()), options.timeout, "acknowledged executions")
        problems, attempts = outcome_problems(topology, "r2", ids)
        report.check(not problems, f"all {len(ids)} acknowledged executions end SUCCESS with the uninterrupted "
                     "run's outputs and each log line once", "; ".join(problems[:5]) or "as expected")
        check_jobs_match_attempts(report, topology, baseline, attempts)
        check_verify(report, topology)
    except StartupFailure as error:
        report.check(False, "the replicas start on the PostgreSQL ledger", str(error)[:1500])
    except Failure as error:
        report.check(False, "the scenario runs to its end", str(error)[:1500])
        check_after_failure(report, topology)
    finally:
        report_teardown(report, topology)
    return report


def scenario_freeze_replica(binary, index, options):
    """2: SIGSTOP r1's serve past its lease TTL, r2 takes over, SIGCONT r1: fenced, nothing doubled."""
    report = Report("2: r1 frozen past its lease TTL")
    topology = Topology(binary, index, lease_ttl=options.lease_ttl, keep_logs=options.keep_logs)
    try:
        bring_up(topology, replicas=("r1", "r2"))
        save_shared_flow(report, topology)
        baseline = topology.emulator_stats()["jobsCreated"]
        ttl = options.lease_ttl or 10
        # Jobs that run three lease TTLs: r2 takes them over while they run, and r1 wakes up while they still do.
        pause = round(3 * ttl / LINES, 2)
        count = 6
        ids = {n: start_execution(topology, "r1", n, pause) for n in range(1, count + 1)}

        def all_running():
            created = topology.emulator_stats()["jobsCreated"] - baseline
            current = states(topology, "r1", ids.values())
            return created >= count and all(state == "RUNNING" for state in current.values()), \
                f"{created} jobs, states {dict(collections.Counter(current.values()))}"

        wait_for(f"r1's {count} executions to be RUNNING with their jobs", all_running, 120)
        serve = topology.replicas["r1"]
        os.kill(serve.pid, signal.SIGSTOP)
        wait_for(f"r1's serve (pid {serve.pid}) to be stopped", lambda: (
            process_state(serve.pid) == "T", f"state {process_state(serve.pid)}"), 10, interval=0.05)
        frozen_at = time.monotonic()
        before = event_counts(topology, list(ids.values()))
        leases_before = leases(topology, list(ids.values()))
        report.check(all(host == "r1" for host, _ in leases_before.values()),
                     "r1 holds the leases of its executions when it freezes", summary_of(leases_before))

        def taken_over():
            now = event_counts(topology, list(ids.values()))
            grown = [execution_id for execution_id in ids.values() if now[execution_id] > before[execution_id]]
            return len(grown) == count, f"{len(grown)} of {count} executions written to since r1 froze"

        # While r1 is stopped only another process can append to its executions.
        wait_for(f"r2 to write to all {count} of r1's executions while r1 is frozen (lease TTL {ttl} s)",
                 taken_over, 6 * ttl + 60, interval=0.25)
        report.check(True, "r2 takes r1's executions over while r1 is frozen",
                     f"all {count} written to {time.monotonic() - frozen_at:.1f} s after SIGSTOP")
        leases_after = leases(topology, list(ids.values()))
        report.check(all(leases_after[stream][0] == "r2" and leases_after[stream][1] > leases_before[stream][1]
                         for stream in leases_after),
                     "the leases pass to r2 with higher fencing tokens", summary_of(leases_after))
        still_running = states(topology, "r2", ids.values())
        report.note(f"states at SIGCONT: {dict(collections.Counter(still_running.values()))}")
        output_before = len(serve.output(tail=10**7))
        os.kill(serve.pid, signal.SIGCONT)
        wait_all_terminal(topology, list(ids.values()), options.timeout, "executions")
        problems, attempts = outcome_problems(topology, "r2", ids)
        report.check(not problems, f"all {count} executions end SUCCESS with each log line once and their outputs",
                     "; ".join(problems[:5]) or "as expected")
        check_jobs_match_attempts(report, topology, baseline, attempts)
        leases_end = leases(topology, list(ids.values()))
        report.check(all(host != "r1" and token >= leases_after[stream][1] for stream, (host, token) in
                         leases_end.items()), "r1, continued, never holds those leases again", summary_of(leases_end))
        # What r1 says about it is shown, not required: its fencing is proved by the ledger above (no line, job or
        # lease of its after the takeover).
        said = serve.output(tail=10**7)[output_before:]
        fenced = [line for line in said.splitlines()
                  if re.search(r"lease|fenc|taken over|another process", line, re.IGNORECASE)]
        report.note("r1 after SIGCONT said: " + (fenced[0][:300] if fenced else f"nothing about its lease "
                                                 f"({len(said.splitlines())} lines of output)"))
        seen_by_r1 = {}
        if serve.popen.poll() is None:
            seen_by_r1 = dict(collections.Counter(states(topology, "r1", ids.values()).values()))
        report.check(seen_by_r1 == {"SUCCESS": count}, "r1 keeps serving after losing the lease and reads r2's ending",
                     f"states read from r1: {seen_by_r1}" if seen_by_r1 else f"exited {serve.popen.returncode}")
        check_verify(report, topology)
    except StartupFailure as error:
        report.check(False, "the replicas start on the PostgreSQL ledger", str(error)[:1500])
    except Failure as error:
        report.check(False, "the scenario runs to its end", str(error)[:1500])
        check_after_failure(report, topology)
    finally:
        report_teardown(report, topology)
    return report


def scenario_restart_postgres(binary, index, options):
    """3: pg_ctl restart -m fast under load: every acknowledged execution ends terminal, verify passes."""
    report = Report("3: PostgreSQL restarted under load")
    topology = Topology(binary, index, lease_ttl=options.lease_ttl, keep_logs=options.keep_logs)
    try:
        bring_up(topology, replicas=("r1", "r2"))
        save_shared_flow(report, topology)
        baseline = topology.emulator_stats()["jobsCreated"]
        acknowledged, refused = {}, {}
        # Jobs of 4 s whose creations are spread over 6 s: the restart comes while some are being created, some
        # run and some end.
        first = [("r1" if n % 2 else "r2", n) for n in range(1, 41)]
        threads = start_many(topology, first, 0.2, acknowledged, refused, delay=lambda n: n / 7)

        def some_created():
            created = topology.emulator_stats()["jobsCreated"] - baseline
            return created >= 10, f"{created} jobs created"

        wait_for("10 jobs to exist", some_created, 300, interval=0.1)
        # More starts while the database goes down and comes back: some may be refused, none acknowledged lost.
        threads += start_many(topology, [("r1" if n % 2 else "r2", n) for n in range(41, 61)], 0.2, acknowledged,
                              refused)
        running = ledger_states(topology, [execution_id for _, execution_id in list(acknowledged.values())])
        report.note(f"states in the ledger when PostgreSQL restarts: "
                    f"{dict(collections.Counter(state for state, _ in running.values()))}")
        started = time.monotonic()
        topology.pg_ctl("-m fast restart")
        report.note(f"pg_ctl restart -m fast took {time.monotonic() - started:.1f} s, with "
                    f"{len(acknowledged)} starts acknowledged so far")
        for thread in threads:
            thread.join(300)
        for n, (role, error) in sorted(refused.items()):
            report.note(f"start n={n} on {role} not acknowledged: {error[:200]}")
        hung = sorted(f"n={n} on {role}" for n, (role, error) in refused.items() if "timed out" in error)
        report.check(not hung, "every start sent around the restart is answered within 30 s (acknowledged or "
                     "refused, not left hanging)", f"{len(hung)} hung: {', '.join(hung[:8])}" if hung else
                     f"{len(acknowledged)} acknowledged, {len(refused)} refused")
        # Once the database is back, each replica takes new work again.
        for role, n in (("r1", 61), ("r2", 62)):
            try:
                acknowledged[n] = (role, start_execution(topology, role, n, 0.01, timeout=60))
                report.check(True, f"{role} acknowledges a start after the restart", acknowledged[n][1])
            except Failure as error:
                report.check(False, f"{role} acknowledges a start after the restart", str(error)[:300])
        ids = {n: execution_id for n, (_, execution_id) in acknowledged.items()}
        absent = [n for n, execution_id in ids.items()
                  if ledger_states(topology, [execution_id])[execution_id][0] == "absent"]
        report.check(not absent, "every acknowledged execution is in the PostgreSQL ledger",
                     f"{len(ids)} acknowledged, absent {absent[:10]}")
        try:
            wait_all_terminal(topology, list(ids.values()), options.timeout, "acknowledged executions")
        finally:
            final = ledger_states(topology, list(ids.values()))
            report.check(all(ended for _, ended in final.values()),
                         f"all {len(ids)} acknowledged executions end (in the ledger)",
                         f"{dict(collections.Counter(state for state, _ in final.values()))}")
        # A start that timed out may still have been recorded: it must end too, not be left half-started.
        everything = ledger_executions(topology)
        report.check(all(ended for _, ended in everything.values()),
                     "every execution in the ledger ends, acknowledged or not",
                     f"{len(everything)} in the ledger ({len(everything) - len(ids)} never acknowledged): "
                     f"{dict(collections.Counter(state for state, _ in everything.values()))}")
        readable = [role for role in ("r1", "r2") if check_api_shows_ends(report, topology, role, ids)]
        if not readable:
            raise Failure("no replica's API shows every execution ended: their outputs and log lines cannot be read")
        problems, attempts = outcome_problems(topology, readable[0], ids, require_success=False)
        report.check(not problems, "succeeded executions have the uninterrupted run's outputs and each line once",
                     "; ".join(problems[:5]) or "as expected")
        check_jobs_match_attempts(report, topology, baseline, attempts)
        report.check(all(replica.popen.poll() is None for replica in topology.replicas.values()),
                     "both replicas survive the restart",
                     ", ".join(f"{role} {'alive' if r.popen.poll() is None else f'exited {r.popen.returncode}'}"
                               for role, r in topology.replicas.items()))
        check_verify(report, topology)
    except StartupFailure as error:
        report.check(False, "the replicas start on the PostgreSQL ledger", str(error)[:1500])
    except Failure as error:
        report.check(False, "the scenario runs to its end", str(error)[:1500])
        check_after_failure(report, topology)
    finally:
        report_teardown(report, topology)
    return report


def leases(topology, ids):
    """(host, fencing token) of each execution's lease, from PostgreSQL's `leases` table."""
    listed = ", ".join(f"'{execution_id}'" for execution_id in ids if re.fullmatch(r"[0-9a-z]+", execution_id))
    answer = topology.psql("r2", f"SELECT stream || ' ' || host || ' ' || token FROM leases WHERE stream IN ({listed})",
                           database=topology.database)
    found = {}
    for line in answer.splitlines():
        # A lease's host is the host name, then (on Linux) its boot id and pid namespace in parentheses.
        stream, rest = line.split(" ", 1)
        host, token = rest.rsplit(" ", 1)
        found[stream] = (host.split(" (", 1)[0], int(token))
    return {execution_id: found.get(execution_id, ("none", 0)) for execution_id in ids}


def summary_of(held):
    return ", ".join(f"{host} token {token}" for host, token in sorted(held.values()))


def check_api_shows_ends(report, topology, role, ids):
    """Whether `role`'s API shows every one of `ids` ended, within 30 s of the ledger recording it."""
    def probe():
        shown = {}
        for execution_id in ids.values():
            status, body = api("GET", role, topology, f"/executions/{execution_id}")
            shown[execution_id] = body["state"]["current"] if status == 200 else f"HTTP {status}"
        counts = dict(collections.Counter(shown.values()))
        return all(state in TERMINAL for state in shown.values()), f"{counts}"

    try:
        seen = wait_for(f"{role}'s API to show all {len(ids)} executions ended", probe, 30, interval=1.0)
        report.check(True, f"{role}'s API shows every execution ended", seen)
        return True
    except Failure as error:
        report.check(False, f"{role}'s API shows every execution ended", str(error)[:600])
        return False


def check_after_failure(report, topology):
    """After a scenario stopped early: whether the ledger still verifies, as far as there is one."""
    if topology.database and topology.replicas:
        try:
            check_verify(report, topology)
        except Failure as error:
            report.note(f"verify could not run: {error}")


def bring_up(topology, replicas):
    topology.up()
    topology.start_postgres()
    topology.create_database("ledger")
    topology.start_emulator()
    for role in replicas:
        topology.start_replica(role)


def report_teardown(report, topology):
    if not report.passed:
        for process in topology.processes:
            said = process.output(tail=3000).strip()
            status = process.popen.poll()
            log(f"{process.name}: {'running' if status is None else f'exited {status}'}; its last lines:\n"
                + "\n".join(said.splitlines()[-15:]))
    left = topology.down()
    report.check(not left, "teardown leaves no namespace, link or process",
                 f"left: {left}" if left else f"nothing of {topology.prefix} in `ip netns list` or `ip link`")


def scenario_harness(binary, index, options):
    """0: the harness alone, without serve."""
    report = Report("0: the harness (namespaces, PostgreSQL, emulator, kills, teardown)")
    topology = Topology(binary, index, keep_logs=options.keep_logs)
    try:
        topology.up()
        names = netns_names()
        report.check(all(topology.namespace[role] in names for role in ROLES), "four namespaces exist",
                     ", ".join(topology.namespace.values()))
        hosts = {role: topology.run_on(role, ["hostname"]).stdout.strip() for role in ROLES}
        report.check(hosts == {role: role for role in ROLES}, "each namespace has its own host name", f"{hosts}")
        topology.start_postgres()
        for role in ("r1", "r2"):
            answer = topology.psql(role, "SELECT 'reached ' || inet_server_addr()::text")
            report.check(answer.startswith("reached " + topology.address("db")), f"psql from {role} reaches "
                         "PostgreSQL", answer)
            connect = topology.run_on(role, ["python3", "-c", (
                "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5).close(); "
                "print('connected')"), topology.address("db"), str(POSTGRES_PORT)], check=False)
            report.check(connect.returncode == 0, f"TCP from {role} to {topology.address('db')}:{POSTGRES_PORT}",
                         (connect.stdout + connect.stderr).strip()[-200:])
        topology.create_database("ledger")
        report.check(topology.psql("r2", "SELECT current_database()", database="ledger") == "ledger",
                     "the ledger database exists", topology.ledger_url().replace("postgres://", ""))
        topology.start_emulator()
        for role in ("r1", "r2"):
            answer = topology.run_on(role, ["curl", "-sS", "--max-time", "10", f"{topology.emulator_url}/_emulator"
                                            "/stats"], check=False)
            report.check(answer.returncode == 0 and "jobsCreated" in answer.stdout,
                         f"the emulator answers {role}", (answer.stdout or answer.stderr).strip()[:120])
        refused = topology.run_on("r1", ["curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}",
                                         f"{topology.emulator_url}/v1/projects/p/locations/r/jobs"], check=False)
        report.check(refused.stdout == "401", "the emulator refuses a call without a token",
                     f"HTTP {refused.stdout or refused.stderr.strip()}")
        run_flow_on_emulator(report, topology)
        # Kills per namespace: r1's processes die, r2's are left alone.
        sleepers = {role: topology.spawn(role, f"sleepers-{role}", ["sh", "-c", "sleep 600 & sleep 600 & wait"])
                    for role in ("r1", "r2")}
        wait_for("two sleeps under each sleeper", lambda: (
            all(len(descendants([s.pid])) == 3 for s in sleepers.values()),
            {role: sorted(descendants([s.pid])) for role, s in sleepers.items()}), 10, interval=0.05)
        r2_before = sorted(descendants([sleepers["r2"].pid]))
        killed = topology.kill_host("r1")
        report.check(len(killed) == 3 and not netns_pids(topology.namespace["r1"]),
                     "SIGKILL of every process in r1's namespace", f"killed {killed}, left "
                     f"{netns_pids(topology.namespace['r1'])}")
        report.check(all(alive(pid) for pid in r2_before), "r2's processes are untouched", f"{r2_before}")
    except Failure as error:
        report.check(False, "the harness runs to its end", str(error)[:1500])
    finally:
        report_teardown(report, topology)
    for how in ("SIGINT", "SIGTERM", "exception", "SIGKILL"):
        check_interrupted_run(report, binary, how)
    return report


def run_flow_on_emulator(report, topology):
    """`batchledger run` on r1 against the emulator on cloud (a SQLite ledger on r1): the flow, its secrets and the
    emulator's token exchange work across hosts before any replica starts."""
    folder = os.path.join(topology.workdir, "run-r1")
    os.makedirs(folder)
    flow = os.path.join(folder, "lines.yaml")
    with open(flow, "w") as file:
        file.write(FLOW)
    done = topology.run_on("r1", [
        topology.binary, "run", flow, "--endpoint", topology.emulator_url, "--secrets-file", SAMPLE_SECRETS,
        "--ledger", os.path.join(folder, "ledger.sqlite"), "--output-dir", os.path.join(folder, "out"),
        "--input", "n=7", "--input", "pause=0.01", "--input", "delay=PT0S", "--json"], check=False, timeout=300,
        cwd=folder,
        env=dict(os.environ, NO_COLOR="1", BATCHLEDGER_TIMING="responsive"))
    try:
        result = json.loads(done.stdout)
        task = next(task for task in result["tasks"] if task["id"] == TASK_ID)
        seen = f"{result['state']}, vars {task.get('vars')}, exit {done.returncode}"
        passed = done.returncode == 0 and result["state"] == "SUCCEEDED" and task.get("vars") == {"n": 7, "lines": 20}
    except (ValueError, KeyError, StopIteration):
        passed, seen = False, f"exit {done.returncode}: {(done.stderr or done.stdout)[-800:]}"
    report.check(passed, "a `batchledger run` on r1 runs the flow's job on the cloud host", seen)
    if passed:
        logs = topology.run_on("r1", [topology.binary, "logs", result["executionId"], "--ledger",
                                      os.path.join(folder, "ledger.sqlite")], check=False)
        lines = [line for line in logs.stdout.splitlines() if "n=7 line" in line]
        report.check(len(lines) == LINES, f"its {LINES} log lines are recorded once each", f"{len(lines)} lines")


def check_interrupted_run(report, binary, how):
    """Starts this script held after setup (`--hold`), interrupts it (SIGINT as Ctrl-C sends it, SIGTERM, or an
    exception after setup) and checks that nothing of its topology is left."""
    argv = [sys.executable, os.path.abspath(__file__), "--binary", binary, "--hold"]
    if how == "exception":
        argv.append("--fail-after-setup")
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
    prefix, lines = None, []
    try:
        for line in child.stdout:
            lines.append(line.rstrip())
            if line.startswith("HELD "):
                prefix = line.split()[1]
                if how == "SIGINT":
                    os.killpg(child.pid, signal.SIGINT)
                elif how == "SIGTERM":
                    os.kill(child.pid, signal.SIGTERM)
                elif how == "SIGKILL":
                    os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=120)
    except subprocess.TimeoutExpired:
        pass
    finally:
        if child.poll() is None:
            # It hangs, or this run is being interrupted itself: a SIGTERM makes it clean up.
            child.terminate()
            try:
                child.wait(timeout=120)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if how == "SIGKILL" and not prefix:
            sweep_crashed_runs()
    if not prefix:
        report.check(False, f"a run interrupted by {how} cleans up", f"it never set up: {lines[-5:]}")
        return
    if how == "SIGKILL":
        # Nothing runs on SIGKILL: what the run left is removed by the next run, before it sets anything up.
        namespaces, _ = leftovers(prefix)
        held = sorted({pid for namespace in namespaces for pid in netns_pids(namespace)})
        sweep_crashed_runs()
        namespaces, links = leftovers(prefix)
        still = [pid for pid in held if alive(pid)]
        report.check(held and not namespaces and not links and not still,
                     "what a SIGKILLed run left (namespaces, PostgreSQL, emulator) the next run removes",
                     f"{len(held)} processes found in its namespaces, left {namespaces + links + still or 'nothing'}")
        return
    namespaces, links = leftovers(prefix)
    report.check(not namespaces and not links and child.returncode != 0,
                 f"a run interrupted by {how} after setup removes everything and fails",
                 f"exit {child.returncode}, left {namespaces + links or 'nothing'} of {prefix}")


def hold(binary, fail):
    """Internal (for the harness's self-test): sets up a topology with PostgreSQL and the emulator, says so, then
    waits for a signal (or fails at once with `fail`); the cleanup under test is the one every scenario uses."""
    topology = Topology(binary, 9)
    try:
        topology.up()
        topology.start_postgres()
        topology.start_emulator()
        topology.spawn("r1", "sleeper", ["sleep", "600"])
        print(f"HELD {topology.prefix}", flush=True)
        if fail:
            raise RuntimeError("failing on purpose after setup")
        while True:
            signal.pause()
    finally:
        left = topology.down()
        print(f"teardown left: {left or 'nothing'}", flush=True)


def terminate(signal_number, _frame):
    raise SystemExit(128 + signal_number)


SCENARIOS = {0: scenario_harness, 1: scenario_kill_replica, 2: scenario_freeze_replica, 3: scenario_restart_postgres}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="the batchledger executable")
    parser.add_argument("--scenario", type=int, action="append", choices=sorted(SCENARIOS),
                        help="a scenario to run (repeatable; default: all)")
    parser.add_argument("--lease-ttl", type=int, default=None,
                        help="serve's --lease-ttl (default: 3 when `serve --help` offers it, else serve's own)")
    parser.add_argument("--timeout", type=int, default=900,
                        help="seconds to wait for all executions of a scenario to end (default 900)")
    parser.add_argument("--keep-logs", help="copy every process's output here before teardown")
    parser.add_argument("--hold", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fail-after-setup", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if os.geteuid() != 0:
        print("replicas_test.py: needs root (network namespaces, veth pairs, a bridge)", file=sys.stderr)
        return 2
    options.binary = os.path.abspath(options.binary)
    if not os.access(options.binary, os.X_OK):
        print(f"replicas_test.py: {options.binary} is not an executable; build batchledger first", file=sys.stderr)
        return 2
    # Ctrl-C raises KeyboardInterrupt even when this was started with SIGINT ignored; SIGTERM and SIGHUP end it
    # the same way, through every cleanup.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signal_number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signal_number, terminate)
    if options.hold:
        hold(options.binary, options.fail_after_setup)
        return 1
    sweep_crashed_runs()
    if options.lease_ttl is None and serve_supports_lease_ttl(options.binary):
        options.lease_ttl = 3
    log(f"serve's lease TTL: {options.lease_ttl or 'its default'} s"
        + ("" if serve_supports_lease_ttl(options.binary) else " (serve has no --lease-ttl)"))
    reports = []
    try:
        for index, number in enumerate(options.scenario or sorted(SCENARIOS)):
            log(f"scenario {number}")
            reports.append(SCENARIOS[number](options.binary, index, options))
    except KeyboardInterrupt:
        print("replicas_test.py: interrupted (everything it set up is removed)", file=sys.stderr)
        return 130
    print("\n--- replicas test summary ---")
    for report in reports:
        print(f"{'PASS' if report.passed else 'FAIL'}  scenario {report.name}")
        for passed, what, seen in report.checks:
            print(f"  {'ok  ' if passed else 'FAIL'} {what}: {seen}")
    return 0 if all(report.passed for report in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
