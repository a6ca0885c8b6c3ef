#!/usr/bin/env python3
"""Kestra's own Python SDK (kestrapy 2.0.3) driving `batchledger serve --local`: flows and executions.

Usage: kestra_sdk_actions.py BATCHLEDGER FOLDER SECRETS_FILE   (requires `pip install kestrapy==2.0.3 regex`)

Starts `BATCHLEDGER serve --local --ledger FOLDER/ledger --port 0 --token-file F --secrets-file SECRETS_FILE`
and through the SDK: creates a flow from YAML, updates it (revision 2), gets it with its source, searches and
validates flows (a broken flow's problem names its line), creates an execution with inputs and labels and
wait=true, restarts it after its failed task, replays it from a task run, kills a running one (the answer is
the Execution, KILLED), and deletes the flow. Exits 1 naming the first failure.
"""

import os
import re
import sys
import time
import warnings

import serve_process

warnings.filterwarnings("ignore")

from kestrapy import KestraClient, QueryFilter, QueryFilterField, QueryFilterOp  # noqa: E402
from kestrapy.models.execution import Execution  # noqa: E402

RUNNER = """    taskRunner:
      type: io.kestra.plugin.ee.gcp.runner.Batch
      projectId: local-project
      region: europe-west9
      bucket: batchledger-local
"""

FLOW = """id: sdk_gated
namespace: conformance.sdk
inputs:
  - id: marker
    type: STRING
tasks:
  - id: first
    type: io.kestra.plugin.scripts.shell.Commands
""" + RUNNER + """    commands:
      - echo first
  - id: second
    type: io.kestra.plugin.scripts.shell.Commands
""" + RUNNER + """    commands:
      - test -f '{{ inputs.marker }}' || exit 3
      - echo opened
"""

SLEEPER = """id: sdk_sleeper
namespace: conformance.sdk
tasks:
  - id: sleeps
    type: io.kestra.plugin.scripts.shell.Commands
""" + RUNNER + """    commands:
      - sleep 120
"""


def fail(message):
    print(f"kestra_sdk_actions: FAIL {message}")
    sys.exit(1)


def wait_for(client, execution_id, states, limit=300):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        execution = client.executions.execution(execution_id=execution_id, tenant="main")
        if execution.state.current.value in states:
            return execution
        time.sleep(0.2)
    fail(f"execution {execution_id} did not reach {states}")


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    binary, folder, secrets = sys.argv[1:]
    token = "conformance-token-" + os.urandom(8).hex()
    tokens = os.path.join(folder, "tokens")
    with open(tokens, "w") as handle:
        handle.write(f"sdk:{token}\n")
    server, host = serve_process.start(
        binary,
        ["--local", "--ledger", os.path.join(folder, "ledger"), "--token-file", tokens, "--secrets-file", secrets,
         "--output-dir", os.path.join(folder, "outputs")], fail)
    try:
        client = KestraClient(host=host, token=token)

        created = client.flows.create_flow(tenant="main", body=FLOW)
        if created.id != "sdk_gated" or created.revision != 1:
            fail(f"create_flow: {created!r}")
        updated = client.flows.update_flow(
            namespace="conformance.sdk", id="sdk_gated", tenant="main", body=FLOW + "description: second\n")
        if updated.revision != 2:
            fail(f"update_flow: revision {updated.revision}")
        got = client.flows.flow(namespace="conformance.sdk", id="sdk_gated", tenant="main", source=True)
        if got.revision != 2 or "description: second" not in (got.source or ""):
            fail(f"flow: {got!r}")
        page = client.flows.search_flows(
            tenant="main", page=1, size=10,
            filters=[QueryFilter(var_field=QueryFilterField.NAMESPACE, operation=QueryFilterOp.EQUALS,
                                 value="conformance.sdk")])
        if page.total != 1 or page.results[0].id != "sdk_gated":
            fail(f"search_flows: {page!r}")
        problems = client.flows.validate_flows(tenant="main", body="id: x\nnamespace: conformance.sdk\ntasks: 3\n")
        if len(problems) != 1 or not re.search(r":3:\d+:", problems[0].constraints or ""):
            fail(f"validate_flows: {problems!r}")
        print("ok flows: create, update (revision 2), get with source, search, validate with line and column")

        # Jobs see the host's files read-only, except /tmp (theirs is private): the gate is in /var/tmp.
        marker = f"/var/tmp/batchledger-gate-{os.urandom(8).hex()}"
        response = client.executions.create_execution(
            tenant="main", namespace="conformance.sdk", id="sdk_gated", wait=True, labels=["origin:sdk"],
            inputs={"marker": marker})
        if response.state.current.value != "FAILED" or response.flow_revision != 2:
            fail(f"create_execution: {response.state.current} revision {response.flow_revision}")
        if not any(label.key == "origin" and label.value == "sdk" for label in response.labels or []):
            fail(f"create_execution labels: {response.labels!r}")
        print(f"ok create_execution wait=true: {response.id} FAILED at its second task, labelled")

        open(marker, "w").close()
        restarted = client.executions.restart_execution(execution_id=response.id, tenant="main")
        if not isinstance(restarted, Execution) or restarted.original_id != response.id:
            fail(f"restart_execution: {restarted!r}")
        done = wait_for(client, restarted.id, {"SUCCESS", "FAILED", "KILLED"})
        if done.state.current.value != "SUCCESS":
            fail(f"restarted execution ended {done.state.current.value}")
        second = next(run for run in done.task_run_list if run.task_id == "second")
        replayed = client.executions.replay_execution(
            execution_id=done.id, tenant="main", task_run_id=second.id)
        if wait_for(client, replayed.id, {"SUCCESS", "FAILED", "KILLED"}).state.current.value != "SUCCESS":
            fail("replayed execution did not succeed")
        print(f"ok restart_execution {restarted.id} SUCCESS, replay_execution {replayed.id} SUCCESS")
        os.unlink(marker)

        client.flows.create_flow(tenant="main", body=SLEEPER)
        sleeping = client.executions.create_execution(tenant="main", namespace="conformance.sdk", id="sdk_sleeper")
        wait_for(client, sleeping.id, {"RUNNING"})
        killed = client.executions.kill_execution(execution_id=sleeping.id, tenant="main")
        if not isinstance(killed, Execution) or killed.state.current.value != "KILLED":
            fail(f"kill_execution: {killed!r}")
        print(f"ok kill_execution {killed.id} KILLED")

        client.flows.delete_flow(namespace="conformance.sdk", id="sdk_sleeper", tenant="main")
        try:
            client.flows.flow(namespace="conformance.sdk", id="sdk_sleeper", tenant="main")
            fail("a deleted flow was found")
        except Exception as error:
            if getattr(error, "status", None) != 404:
                fail(f"a deleted flow: {error!r}")
        print("ok delete_flow: then 404")
    finally:
        serve_process.stop(server, fail)
    print("kestra_sdk_actions: all checks passed")


if __name__ == "__main__":
    main()
