#!/usr/bin/env python3
"""Schemathesis against `batchledger serve --local`, from the OpenAPI document the server itself serves.

Usage: schemathesis_serve.py BATCHLEDGER FOLDER SECRETS_FILE
(run with the Python of a virtual environment that has `schemathesis==4.32.5`; its `st` is the one used)

Starts `BATCHLEDGER serve --local --ledger FOLDER/ledger --port 0 --token-file FOLDER/tokens --secrets-file
SECRETS_FILE` on a fresh ledger, seeds it through the API (three flows; one execution that ends SUCCESS with an
output file and one that ends FAILED), checks that GET /api/v1/openapi.json answers without a token, then runs
`st run` against http://127.0.0.1:PORT/api/v1/openapi.json with the bearer token and these checks:
not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance (server-sent
events are checked one event at a time, each payload against its schema). Every phase runs (examples,
coverage, fuzzing, stateful), with a fixed seed and a fixed number of examples per operation, so a run is
repeatable and bounded by counts, not by a clock. Path parameters (and the file routes' `path`) are half the
time the seeded flows, executions and output file (so the answers of real objects are checked too) and half the
time generated.

Afterwards the server must still be running, stop on SIGTERM with status 0, and `verify` must pass on the ledger.
Exits 1 naming the first failure; schemathesis's own report is printed as it runs.
"""

import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request

# CI's run; a longer search for a bug can set others (SCHEMATHESIS_SEED=7 SCHEMATHESIS_MAX_EXAMPLES=500).
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261207"))
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "40"))
NAMESPACE = "conformance.fuzz"

RUNNER = """    taskRunner:
      type: io.kestra.plugin.ee.gcp.runner.Batch
      projectId: local-project
      region: europe-west9
      bucket: batchledger-local
"""


def flow(flow_id, commands, inputs=""):
    lines = "".join(f"      - {command}\n" for command in commands)
    return (f"id: {flow_id}\nnamespace: {NAMESPACE}\n{inputs}tasks:\n  - id: step\n"
            f"    type: io.kestra.plugin.scripts.shell.Commands\n{RUNNER}    commands:\n{lines}")


FLOWS = {
    "hello": flow("hello", ["echo 'hello {{ inputs.name }}' | tee '{{ workingDir }}/out.txt'"],
                  "inputs:\n  - id: name\n    type: STRING\n    defaults: world\n")
    + "    outputFiles:\n      - out.txt\n",
    "failing": flow("failing", ["echo failing", "exit 3"]),
    # Deleted by the fuzzing of DELETE flows/{namespace}/{id}, so that the other two stay.
    "doomed": flow("doomed", ["echo doomed"]),
}


def fail(message):
    print(f"schemathesis_serve: FAIL {message}", flush=True)
    sys.exit(1)


def call(base, method, path, token, body=None, content_type=None):
    request = urllib.request.Request(base + path, data=body, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def seed(base, token):
    """The flows and the two ended executions; returns the executions' ids and the first one's output files'
    URIs."""
    for flow_id, source in FLOWS.items():
        status, _, body = call(base, "POST", "/api/v1/main/flows", token, source.encode(), "application/x-yaml")
        if status != 200:
            fail(f"seeding flow {flow_id}: {status} {body[:300]!r}")
    ids = []
    files = []
    for flow_id, expected in [("hello", "SUCCESS"), ("failing", "FAILED")]:
        status, _, body = call(base, "POST", f"/api/v1/main/executions/{NAMESPACE}/{flow_id}?wait=true", token)
        if status != 200:
            fail(f"seeding an execution of {flow_id}: {status} {body[:300]!r}")
        execution = json.loads(body)
        if execution["state"]["current"] != expected:
            fail(f"the seeded execution of {flow_id} ended {execution['state']['current']}, not {expected}")
        ids.append(execution["id"])
        files += [uri for run in execution["taskRunList"] for uri in run["outputs"].get("outputFiles", {}).values()]
    if not files:
        fail("the seeded execution of hello has no output file")
    return ids, files


def configuration(path, execution_ids, files, report):
    """schemathesis.toml: the seeded objects as dictionaries bound to the path parameters, half the time."""
    def values(items):
        return "[" + ", ".join(json.dumps(item) for item in items) + "]"

    text = f"""# Written by Tools/conformance/schemathesis_serve.py for one run.
[dictionaries.executions]
values = {values(execution_ids)}

[dictionaries.namespaces]
values = {values([NAMESPACE])}

[dictionaries.flows]
values = {values(["hello", "failing"])}

[dictionaries.files]
values = {values(files)}

[parameters]
"path.executionId" = {{ dictionary = "executions", probability = 0.5 }}
"path.namespace" = {{ dictionary = "namespaces", probability = 0.5 }}
"path.id" = {{ dictionary = "flows", probability = 0.5 }}
"query.path" = {{ dictionary = "files", probability = 0.5 }}

[[operations]]
include-method = "DELETE"
include-path = "/api/v1/main/flows/{{namespace}}/{{id}}"
parameters = {{ "path.namespace" = "{NAMESPACE}", "path.id" = "doomed" }}

[reports]
directory = {json.dumps(report)}
"""
    with open(path, "w") as handle:
        handle.write(text)


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    binary, folder, secrets = sys.argv[1:]
    st = os.path.join(os.path.dirname(sys.executable), "st")
    if not os.access(st, os.X_OK):
        fail(f"no schemathesis next to {sys.executable}: pip install schemathesis==4.32.5 in that environment")
    token = "schemathesis-" + os.urandom(12).hex()
    tokens = os.path.join(folder, "tokens")
    with open(tokens, "w") as handle:
        handle.write(f"fuzz:{token}\n")
    ledger = os.path.join(folder, "ledger")
    server_log = open(os.path.join(folder, "serve.log"), "w+")
    server = subprocess.Popen(
        [binary, "serve", "--local", "--ledger", ledger, "--port", "0", "--token-file", tokens,
         "--secrets-file", secrets, "--output-dir", os.path.join(folder, "outputs")],
        stdout=subprocess.PIPE, stderr=server_log, text=True)
    try:
        line = server.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not found:
            fail(f"serve did not say where it listens: {line!r}")
        # Whatever else serve prints is read, so that it never waits on a full pipe.
        threading.Thread(target=server.stdout.read, daemon=True).start()
        base = f"http://127.0.0.1:{found.group(1)}"

        status, content_type, body = call(base, "GET", "/api/v1/openapi.json", None)
        if status != 200 or not content_type.startswith("application/json"):
            fail(f"GET /api/v1/openapi.json without a token: {status} {content_type}")
        document = json.loads(body)
        print(f"schemathesis_serve: serve at {base}, OpenAPI {document['openapi']}, "
              f"{sum(len(item) for item in document['paths'].values())} operations")
        execution_ids, files = seed(base, token)
        print(f"schemathesis_serve: seeded flows {', '.join(FLOWS)} and executions {', '.join(execution_ids)}")

        config = os.path.join(folder, "schemathesis.toml")
        configuration(config, execution_ids, files, os.path.join(folder, "report"))
        command = [
            st, "--config-file", config, "--no-color", "run", f"{base}/api/v1/openapi.json",
            "--header", f"Authorization: Bearer {token}",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                        "response_schema_conformance",
            "--phases", "examples,coverage,fuzzing,stateful",
            "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--generation-database", "none",
            # One worker: Python 3.11's ast module is not safe across the threads of several workers.
            "--workers", "1",
            # Only a hung request fails this way; no answer is timed.
            "--request-timeout", "300",
            "--continue-on-failure",
        ]
        result = subprocess.run(command, cwd=folder)
        if server.poll() is not None:
            server_log.seek(0)
            fail(f"serve exited with status {server.returncode} during the run: {server_log.read()[-2000:]}")
        if result.returncode != 0:
            server_log.seek(0)
            errors = server_log.read()
            if errors:
                print(f"schemathesis_serve: serve's standard error:\n{errors[-4000:]}")
            fail(f"schemathesis found failures (exit status {result.returncode}); see its report above")
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=120)
            except subprocess.TimeoutExpired:
                server.kill()
                fail("serve did not stop on SIGTERM within 120 s")
    if server.returncode != 0:
        fail(f"serve exited {server.returncode} on SIGTERM")
    verified = subprocess.run([binary, "verify", "--ledger", ledger], capture_output=True, text=True)
    if verified.returncode != 0:
        fail(f"verify after the run: {verified.stdout[-2000:]} {verified.stderr[-2000:]}")
    print("schemathesis_serve: serve answered every request within its document; verify passes on the ledger")


if __name__ == "__main__":
    main()
