"""What the replicas test runs: names, addresses and ports of the simulated hosts, and the flow every scenario runs."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE_SECRETS = os.path.join(ROOT, "Samples", "local.env")
ROLES = ("db", "cloud", "r1", "r2")
# Interface names are at most 15 bytes: the prefix is at most 12 (`blr` + a pid of up to 7 digits + `s` + one digit),
# followed by `-` and two letters.
LINK_SUFFIX = {"db": "db", "cloud": "cl", "r1": "r1", "r2": "r2"}
HOST_NUMBER = {"bridge": 1, "db": 2, "cloud": 3, "r1": 11, "r2": 12}
NAME_PATTERN = re.compile(r"^blr(\d+)s\d-")
API_PORT = 8080
EMULATOR_PORT = 8080
POSTGRES_PORT = 5432
NAMESPACE = "test.replicas"
FLOW_ID = "lines"
LINES = 20
TOKEN = "replicas-test-token-0123456789"
TASK_ID = "talk"
TERMINAL = {"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED"}

# The flow every scenario runs: a Pause of `delay` (so that the jobs of executions started together are created over
# a span of time, not all at once), then one shell task on the emulator that prints LINES numbered lines, `pause`
# seconds apart, and its outputs. The lines and outputs depend only on `n`, so a run's are known in advance.
FLOW = f"""id: {FLOW_ID}
namespace: {NAMESPACE}
inputs:
  - id: n
    type: INT
  - id: pause
    type: FLOAT
  - id: delay
    type: DURATION
tasks:
  - id: stagger
    type: io.kestra.plugin.core.flow.Pause
    delay: "{{{{ inputs.delay }}}}"
  - id: {TASK_ID}
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ubuntu:22.04
    taskRunner:
      type: io.kestra.plugin.ee.gcp.runner.Batch
      projectId: "{{{{ secret('GCP_PROJECT_ID') }}}}"
      region: europe-west9
      bucket: "{{{{ secret('GCS_BUCKET') }}}}"
      serviceAccount: "{{{{ secret('GOOGLE_SA') }}}}"
    commands:
      - 'for i in $(seq 1 {LINES}); do echo "n={{{{ inputs.n }}}} line $i/{LINES}"; sleep {{{{ inputs.pause }}}}; done'
      - 'echo ''::{{"outputs": {{"n": {{{{ inputs.n }}}}, "lines": {LINES}}} }}::'''
"""
