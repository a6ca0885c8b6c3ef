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
done = {}
peak_running = 0
while len(done) < count and time.time() - started < 600:
    token = ""
    running = 0
    while True:
        url = f"{parent}/jobs?pageSize=1000" + (f"&pageToken={token}" if token else "")
        with urllib.request.urlopen(url, timeout=60) as response:
            page = json.load(response)
        for job in page.get("jobs", []):
            if job["status"]["state"] == "RUNNING":
                running += 1
            if job["status"]["state"] in ("SUCCEEDED", "FAILED"):
                done[job["name"]] = job["status"]["state"]
        token = page.get("nextPageToken", "")
        if not token:
            break
    peak_running = max(peak_running, running)
    time.sleep(0.2)
succeeded = sum(1 for s in done.values() if s == "SUCCEEDED")
print(f"{count} jobs created in {created:.1f} s; {succeeded} SUCCEEDED, {len(done) - succeeded} FAILED, "
      f"all finished after {time.time() - started:.1f} s; at most {peak_running} seen RUNNING at once")
if succeeded != count:
    sys.exit(1)
