#!/usr/bin/env python3
"""Kestra's own Python SDK (kestrapy 2.0.3) against `batchledger serve`, on a ledger with one execution.

Usage: kestra_sdk.py BATCHLEDGER LEDGER EXECUTION_ID   (requires `pip install kestrapy==2.0.3 regex`)

Starts `BATCHLEDGER serve --ledger LEDGER --port 0 --token-file F` with a token of its own, reads the port it
prints, and through the SDK: gets the execution (strict models, Kestra's state names, every task run with its
outputs), finds it with a search filtered on its flow, lists its logs (and only the errors), checks that a
missing execution is the SDK's NotFoundException and that a wrong token is refused (401). Exits 1 naming the
first failure.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
import warnings

warnings.filterwarnings("ignore")

from kestrapy import KestraClient, QueryFilter, QueryFilterField, QueryFilterOp  # noqa: E402
from kestrapy.models.execution import Execution  # noqa: E402


def fail(message):
    print(f"kestra_sdk: FAIL {message}")
    sys.exit(1)


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    binary, ledger, execution_id = sys.argv[1:]
    token = "conformance-token-" + os.urandom(8).hex()
    with tempfile.NamedTemporaryFile("w", suffix=".tokens", delete=False) as tokens:
        tokens.write(f"conformance:{token}\n")
    server = subprocess.Popen(
        [binary, "serve", "--ledger", ledger, "--port", "0", "--token-file", tokens.name],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = server.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not found:
            fail(f"serve did not say where it listens: {line!r}")
        host = f"http://127.0.0.1:{found.group(1)}"
        client = KestraClient(host=host, token=token)

        execution = client.executions.execution(execution_id=execution_id, tenant="main")
        if not isinstance(execution, Execution) or execution.id != execution_id:
            fail(f"execution: got {execution!r}")
        # The SDK falls back to an unchecked model when strict validation fails: validate the JSON itself too.
        request = urllib.request.Request(
            f"{host}/api/v1/main/executions/{execution_id}", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = json.loads(response.read())
        Execution.from_dict(raw)
        if execution.state.current.value not in ("SUCCESS", "WARNING", "FAILED", "KILLED"):
            fail(f"execution state {execution.state.current}")
        if not execution.task_run_list:
            fail("execution has no task runs")
        for run in execution.task_run_list:
            if run.execution_id != execution_id or not run.attempts:
                fail(f"task run {run.id}: {run!r}")
        print(f"ok execution {execution.id} {execution.state.current.value}, "
              f"{len(execution.task_run_list)} task run(s), {execution.state.get_duration}")

        page = client.executions.search_executions(
            tenant="main", page=1, size=10,
            filters=[QueryFilter(var_field=QueryFilterField.FLOW_ID, operation=QueryFilterOp.EQUALS,
                                 value=execution.flow_id)])
        if execution_id not in [item["id"] for item in page["results"]] or page["total"] < 1:
            fail(f"search by flow: {page}")
        for item in page["results"]:
            Execution.from_dict(item)
        print(f"ok search: {page['total']} execution(s) of {execution.flow_id}")

        logs = client.logs.list_logs_from_execution(execution_id=execution_id, tenant="main")
        if not logs or any(entry.execution_id != execution_id for entry in logs):
            fail(f"logs: {logs!r}")
        errors = client.logs.list_logs_from_execution(execution_id=execution_id, tenant="main", min_level="ERROR")
        if any(entry.level.value != "ERROR" for entry in errors):
            fail(f"minLevel=ERROR gave {[entry.level for entry in errors]}")
        print(f"ok logs: {len(logs)} line(s), {len(errors)} at ERROR")

        try:
            client.executions.execution(execution_id="no-such-execution", tenant="main")
            fail("a missing execution was found")
        except Exception as error:  # the SDK's NotFoundException
            if getattr(error, "status", None) != 404:
                fail(f"a missing execution: {error!r}")
        print("ok missing execution: 404")

        stranger = KestraClient(host=host, token="not-the-token-0123456789")
        try:
            stranger.executions.execution(execution_id=execution_id, tenant="main")
            fail("a wrong token was accepted")
        except Exception as error:
            if getattr(error, "status", None) != 401:
                fail(f"a wrong token: {error!r}")
        print("ok wrong token: 401")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            fail("serve did not stop on SIGTERM within 30 s")
        os.unlink(tokens.name)
    if server.returncode not in (0, -15):
        fail(f"serve exited {server.returncode} on SIGTERM")
    print("kestra_sdk: all checks passed")


if __name__ == "__main__":
    main()
