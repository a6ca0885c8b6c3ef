#!/usr/bin/env python3
"""Google's own Python clients against LocalCloud, unchanged.

Usage: test_clients.py ENDPOINT   (e.g. http://127.0.0.1:40123)

Exercises google-cloud-batch (REST transport, anonymous credentials), google-cloud-storage (via
STORAGE_EMULATOR_HOST, which this script sets) and google-cloud-logging (HTTP transport). Each check prints
one line; the script exits non-zero at the first failure and prints "N passed, 0 failed" at the end.
"""
import io
import os
import sys
import time
import uuid

ENDPOINT = sys.argv[1].rstrip("/")
os.environ["STORAGE_EMULATOR_HOST"] = ENDPOINT

from google.api_core import exceptions  # noqa: E402
from google.auth.credentials import AnonymousCredentials  # noqa: E402
from google.cloud import batch_v1  # noqa: E402
from google.cloud import logging as gl  # noqa: E402
from google.cloud import storage  # noqa: E402
from google.protobuf import duration_pb2  # noqa: E402

PROJECT = "conformance-project"
PARENT = f"projects/{PROJECT}/locations/us-central1"
RUN = uuid.uuid4().hex[:8]
BUCKET = f"conformance-{RUN}"
passed = 0


def check(name, condition, detail=""):
    global passed
    if not condition:
        print(f"FAIL {name} {detail}")
        print(f"{passed} passed, 1 failed")
        sys.exit(1)
    passed += 1
    print(f"ok   {name}")


# --- Cloud Storage -------------------------------------------------------------------------------------
gcs = storage.Client(project=PROJECT, credentials=AnonymousCredentials())
bucket = gcs.create_bucket(BUCKET)
check("storage: create bucket", bucket.name == BUCKET)
small = bucket.blob("in/small.txt")
small.upload_from_string(b"hello world\n", content_type="text/plain")
check("storage: small multipart upload with crc32c", small.crc32c == "8P9ykg==" and small.md5_hash == "b1kCrCNwJL3QwXbLkwY9xA==",
      f"{small.crc32c} {small.md5_hash}")
data = os.urandom(700_000)
big = bucket.blob("in/big.bin", chunk_size=256 * 1024)
big.upload_from_file(io.BytesIO(data))
check("storage: chunked resumable upload", big.size == len(data), str(big.size))
large = bucket.blob("in/large.bin")
large_data = os.urandom(9 * 1024 * 1024)
large.upload_from_string(large_data)
check("storage: 9 MiB upload (resumable, one chunk)", large.size == len(large_data))
try:
    bucket.blob("in/small.txt").upload_from_string(b"again", if_generation_match=0)
    check("storage: ifGenerationMatch=0 refuses overwrite", False, "overwrote")
except exceptions.PreconditionFailed:
    check("storage: ifGenerationMatch=0 refuses overwrite", True)
check("storage: download (crc32c checked by the client)",
      bucket.blob("in/big.bin").download_as_bytes(checksum="crc32c") == data)
check("storage: range download", bucket.blob("in/big.bin").download_as_bytes(start=10, end=19) == data[10:20])
for i in range(3):
    bucket.blob(f"out/f{i}.txt").upload_from_string(f"{i}")
names = [b.name for b in gcs.list_blobs(BUCKET, prefix="out/", page_size=2)]
check("storage: list with prefix and paging", names == ["out/f0.txt", "out/f1.txt", "out/f2.txt"], str(names))
iterator = gcs.list_blobs(BUCKET, delimiter="/")
top = [b.name for b in iterator]
check("storage: list with delimiter", top == [] and sorted(iterator.prefixes) == ["in/", "out/"], f"{top} {iterator.prefixes}")
bucket.blob("out/f0.txt").delete()
try:
    bucket.blob("out/f0.txt").download_as_bytes()
    check("storage: delete", False, "still there")
except exceptions.NotFound:
    check("storage: delete", True)

# --- Batch ---------------------------------------------------------------------------------------------
batch = batch_v1.BatchServiceClient(credentials=AnonymousCredentials(), transport="rest",
                                    client_options={"api_endpoint": ENDPOINT})
wid = f"wid{RUN}"
job = batch_v1.Job(
    task_groups=[batch_v1.TaskGroup(
        task_count=1,
        task_spec=batch_v1.TaskSpec(
            runnables=[batch_v1.Runnable(container=batch_v1.Runnable.Container(
                image_uri="ubuntu:22.04", entrypoint="/bin/sh",
                commands=["-c", f"echo hello from batch; cat /{wid}/in.txt; mkdir -p /{wid}/out; echo written > /{wid}/out/result.txt; echo oops >&2"],
                volumes=[f"/mnt/disks/share:/{wid}"]))],
            volumes=[batch_v1.Volume(gcs=batch_v1.GCS(remote_path=f"{BUCKET}/{wid}"), mount_path="/mnt/disks/share")],
            compute_resource=batch_v1.ComputeResource(cpu_milli=2000, memory_mib=2048),
            max_retry_count=0,
            max_run_duration=duration_pb2.Duration(seconds=600),
            lifecycle_policies=[batch_v1.LifecyclePolicy(action=batch_v1.LifecyclePolicy.Action.FAIL_TASK,
                                                         action_condition=batch_v1.LifecyclePolicy.ActionCondition(exit_codes=[1]))],
            environment=batch_v1.Environment(variables={"FOO": "bar"}),
        ))],
    allocation_policy=batch_v1.AllocationPolicy(instances=[batch_v1.AllocationPolicy.InstancePolicyOrTemplate(
        policy=batch_v1.AllocationPolicy.InstancePolicy(
            machine_type="e2-medium", provisioning_model=batch_v1.AllocationPolicy.ProvisioningModel.SPOT))]),
    labels={"execution": f"exec-{RUN}"},
    logs_policy=batch_v1.LogsPolicy(destination=batch_v1.LogsPolicy.Destination.CLOUD_LOGGING),
)
bucket.blob(f"{wid}/in.txt").upload_from_string(b"input uploaded before the job\n")
job_id = f"conformance-{RUN}"
created = batch.create_job(parent=PARENT, job=job, job_id=job_id)
check("batch: create", created.name == f"{PARENT}/jobs/{job_id}" and created.uid != "", created.name)
try:
    batch.create_job(parent=PARENT, job=job, job_id=job_id)
    check("batch: duplicate jobId is 409", False)
except exceptions.Conflict:
    check("batch: duplicate jobId is 409", True)
State = batch_v1.JobStatus.State
deadline = time.time() + 60
got = batch.get_job(name=created.name)
while got.status.state not in (State.SUCCEEDED, State.FAILED) and time.time() < deadline:
    time.sleep(0.2)
    got = batch.get_job(name=created.name)
check("batch: get until SUCCEEDED", got.status.state == State.SUCCEEDED, State(got.status.state).name)
check("batch: status counts", got.status.task_groups["group0"].counts.get("SUCCEEDED") == 1,
      str(got.status.task_groups["group0"].counts))
listed = [j.name for j in batch.list_jobs(request={"parent": PARENT, "filter": f'labels.execution="exec-{RUN}"', "page_size": 10})]
check("batch: list with label filter", listed == [created.name], str(listed))
tasks = list(batch.list_tasks(parent=created.name + "/taskGroups/group0"))
check("batch: tasks.list exit code", len(tasks) == 1 and tasks[0].status.status_events[-1].task_execution.exit_code == 0)
task = batch.get_task(name=created.name + "/taskGroups/group0/tasks/0")
check("batch: tasks.get", task.status.state == batch_v1.TaskStatus.State.SUCCEEDED)
result = bucket.blob(f"{wid}/out/result.txt").download_as_bytes()
check("batch: the job's file is an object in the bucket", result == b"written\n", repr(result))

# --- Logging -------------------------------------------------------------------------------------------
logging_client = gl.Client(project=PROJECT, credentials=AnonymousCredentials(), _use_grpc=False,
                           client_options={"api_endpoint": ENDPOINT})
flt = (f'logName=("projects/{PROJECT}/logs/batch_task_logs" OR "projects/{PROJECT}/logs/batch_agent_logs") '
       f'AND labels.job_uid="{created.uid}"')
entries = list(logging_client.list_entries(resource_names=[f"projects/{PROJECT}"], filter_=flt,
                                           order_by=gl.ASCENDING, page_size=1000))
payloads = [(e.payload, e.severity) for e in entries]
check("logging: entries of the job by labels.job_uid", payloads == [
    ("hello from batch", "INFO"), ("input uploaded before the job", "INFO"), ("oops", "ERROR")] or
    sorted(payloads) == sorted([("hello from batch", "INFO"), ("input uploaded before the job", "INFO"), ("oops", "ERROR")]),
    str(payloads))
errors = list(logging_client.list_entries(resource_names=[f"projects/{PROJECT}"],
                                          filter_=f'labels.job_uid="{created.uid}" AND severity>=ERROR'))
check("logging: severity filter", [e.payload for e in errors] == ["oops"], str([e.payload for e in errors]))

# --- Delete --------------------------------------------------------------------------------------------
operation = batch.delete_job(name=created.name)
operation.result(timeout=30)
try:
    batch.get_job(name=created.name)
    check("batch: delete (operation, then 404)", False, "still there")
except exceptions.NotFound:
    check("batch: delete (operation, then 404)", True)

print(f"{passed} passed, 0 failed")
