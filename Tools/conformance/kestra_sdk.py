#!/usr/bin/env python3
"""Kestra's own Python SDK (kestrapy 2.0.3) against `batchledger serve`, on a ledger with one execution.

Usage: kestra_sdk.py BATCHLEDGER LEDGER EXECUTION_ID   (requires `pip install kestrapy==2.0.3 regex`)

Starts `BATCHLEDGER serve --ledger LEDGER --port 0 --token-file F` with a token of its own, reads the port it
prints, and through the SDK: gets the execution (strict models, Kestra's state names, every task run with its
outputs), finds it with a search filtered on its flow, lists its logs (and only the errors), follows the
finished execution (one update with its final state, then the stream ends) and its logs (the same lines as the
list), downloads each output file with the SDK's download method and compares it with the file `batchledger show
--json` names (and its metas' size), checks that a path the execution does not list, a missing execution and a
wrong token are refused (404, 404, 401). Exits 1 naming the first failure.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.request
import warnings

import serve_process

warnings.filterwarnings("ignore")

from kestrapy import KestraClient, QueryFilter, QueryFilterField, QueryFilterOp  # noqa: E402
from kestrapy.models.execution import Execution  # noqa: E402


def fail(message):
    print(f"kestra_sdk: FAIL {message}")
    sys.exit(1)


class Timeout(Exception):
    pass


def within(seconds, what, body):
    """Runs body(), failing with `what` if it takes longer than `seconds` (a follow that never ends)."""
    def expired(signum, frame):
        raise Timeout()
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        return body()
    except Timeout:
        fail(f"{what} did not end within {seconds} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check_follow_and_files(binary, ledger, execution_id, host, token, logs):
    # A read timeout too, so that a silent stream fails instead of hanging.
    client = KestraClient(host=host, token=token, timeout=60)

    updates = within(120, "follow_execution", lambda: list(
        client.executions.follow_execution(execution_id=execution_id, tenant="main")))
    if not updates or any(not isinstance(update, Execution) for update in updates):
        fail(f"follow_execution: {updates!r}")
    final = updates[-1]
    if final.id != execution_id or final.state.current.value not in ("SUCCESS", "WARNING", "FAILED", "KILLED"):
        fail(f"follow_execution ended on {final.id} {final.state.current}")
    print(f"ok follow execution: {len(updates)} update(s), ended at {final.state.current.value}")

    followed = within(120, "follow_logs_from_execution", lambda: list(
        client.logs.follow_logs_from_execution(execution_id=execution_id, tenant="main")))
    if [entry.message for entry in followed] != [entry.message for entry in logs]:
        fail(f"follow logs gave {len(followed)} line(s), the list {len(logs)}")
    print(f"ok follow logs: {len(followed)} line(s), the same as the list")

    shown = json.loads(subprocess.run(
        [binary, "show", execution_id, "--ledger", ledger, "--json"], check=True, capture_output=True,
        text=True).stdout)
    local = {task["id"]: task.get("outputFiles", {}) for task in shown["tasks"]}
    # kestrapy's TaskRun model has no `outputs`: read them from the execution's JSON.
    request = urllib.request.Request(
        f"{host}/api/v1/main/executions/{execution_id}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        raw = json.loads(response.read())
    downloaded = 0
    for run in raw["taskRunList"]:
        files = run.get("outputs", {}).get("outputFiles", {})
        for name, uri in files.items():
            content = client.executions.download_file_from_execution(
                execution_id=execution_id, path_uri=uri, tenant="main")
            with open(local[run["taskId"]][name], "rb") as handle:
                expected = handle.read()
            if content != expected:
                fail(f"download {uri}: {len(content)} bytes, the file has {len(expected)}")
            metas = client.executions.file_metadatas_from_execution(
                execution_id=execution_id, path_uri=uri, tenant="main")
            if metas.size != len(expected):
                fail(f"file metas {uri}: size {metas.size}, the file has {len(expected)}")
            downloaded += 1
            try:
                client.executions.download_file_from_execution(
                    execution_id=execution_id, path_uri=uri + "/../../../../../../../etc/passwd", tenant="main")
                fail("a path the execution does not list was served")
            except Exception as error:
                if getattr(error, "status", None) != 404:
                    fail(f"a path the execution does not list: {error!r}")
    if downloaded == 0:
        fail("the execution lists no output file to download")
    print(f"ok files: {downloaded} output file(s) downloaded and equal to the files on disk; an unlisted path: 404")


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    binary, ledger, execution_id = sys.argv[1:]
    token = "conformance-token-" + os.urandom(8).hex()
    with tempfile.NamedTemporaryFile("w", suffix=".tokens", delete=False) as tokens:
        tokens.write(f"conformance:{token}\n")
    server, host = serve_process.start(binary, ["--ledger", ledger, "--token-file", tokens.name], fail)
    try:
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

        check_follow_and_files(binary, ledger, execution_id, host, token, logs)

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
        os.unlink(tokens.name)
        serve_process.stop(server, fail)
    print("kestra_sdk: all checks passed")


if __name__ == "__main__":
    main()
