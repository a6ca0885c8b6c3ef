#!/usr/bin/env python3
"""Submits N `sleep 1` jobs at once to a LocalCloud endpoint and waits until all have finished."""
import concurrent.futures
import json
import sys
import time
import urllib.request

endpoint, count = sys.argv[1], int(sys.argv[2])
parent = f"{endpoint}/v1/projects/bench/locations/us-central1"
body = json.dumps({
    "taskGroups": [{"taskSpec": {"runnables": [{"container": {
        "imageUri": "ubuntu:22.04", "entrypoint": "/bin/sh", "commands": ["-c", "sleep 1; echo done"]}}]}}],
    "logsPolicy": {"destination": "CLOUD_LOGGING"},
}).encode()


def create(index):
    request = urllib.request.Request(f"{parent}/jobs?jobId=bench-{index}", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


started = time.time()
with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
    statuses = list(pool.map(create, range(count)))
created = time.time() - started
assert all(s == 200 for s in statuses), statuses
# Progress comes from /_emulator/stats (jobs per state), so polling costs the emulator almost nothing.
finished = {}
peak_running = 0
while time.time() - started < 600:
    with urllib.request.urlopen(f"{endpoint}/_emulator/stats", timeout=60) as response:
        states = json.load(response).get("jobStates", {})
    peak_running = max(peak_running, states.get("RUNNING", 0))
    finished = {k: v for k, v in states.items() if k in ("SUCCEEDED", "FAILED")}
    if sum(finished.values()) >= count:
        break
    time.sleep(0.2)
succeeded = finished.get("SUCCEEDED", 0)
print(f"{count} jobs created in {created:.1f} s; {succeeded} SUCCEEDED, {finished.get('FAILED', 0)} FAILED, "
      f"all finished after {time.time() - started:.1f} s; at most {peak_running} seen RUNNING at once")
if succeeded != count:
    sys.exit(1)
