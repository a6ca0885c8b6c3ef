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
  2  r1 is frozen (SIGSTOP) past its lease TTL; r2 takes its executions over; r1 is continued (SIGCONT): its
     writes are refused by fencing and nothing is doubled
  3  PostgreSQL is restarted (pg_ctl restart -m fast) under load: every acknowledged execution ends terminal and
     verify passes

Usage: replicas_test.py --binary PATH [--scenario N]... [--keep-logs DIR]
Exit status: 0 when every scenario run passed, 1 when one failed, 2 for bad usage (not root, no binary).
"""
import argparse
import collections
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

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
TERMINAL = {"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED"}

# The flow every scenario runs: one shell task on the emulator that prints LINES numbered lines, `pause` seconds
# apart, then its outputs. The lines and outputs depend only on `n`, so a run's are known in advance.
FLOW = f"""id: {FLOW_ID}
namespace: {NAMESPACE}
inputs:
  - id: n
    type: INT
  - id: pause
    type: FLOAT
tasks:
  - id: talk
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


class Failure(Exception):
    """A check or a wait that did not hold; its message says what was expected and what was seen."""


class Fatal(Failure):
    """A failure no further polling can mend (a process that should serve exited): ends a wait at once."""


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(argv, check=True, timeout=120, **options):
    """Runs a command to its end, output captured; a non-zero exit (with check) is a Failure naming it."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **options)
    except subprocess.TimeoutExpired as error:
        raise Failure(f"{' '.join(argv)} did not end within {timeout} s") from error
    if check and done.returncode != 0:
        raise Failure(f"{' '.join(argv)} exited {done.returncode}: {(done.stderr or done.stdout).strip()[-2000:]}")
    return done


def wait_for(what, probe, timeout, interval=0.25):
    """Polls `probe` (returning (done, seen)) until done; past `timeout` seconds, a Failure saying what it waited
    for and what it saw last."""
    deadline = time.monotonic() + timeout
    seen = "nothing yet"
    while True:
        try:
            done, seen = probe()
        except Fatal:
            raise
        except (OSError, Failure, ValueError) as error:
            done, seen = False, f"{type(error).__name__}: {error}"
        if done:
            return seen
        if time.monotonic() >= deadline:
            raise Failure(f"gave up after {timeout:.0f} s waiting for {what}; last seen: {seen}")
        time.sleep(interval)


def alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def process_state(pid):
    """The state letter of `pid` (R, S, T for stopped …), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return None


def descendants(roots):
    """`roots` and every process below them, from /proc (a snapshot)."""
    children = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children[parent].append(int(entry))
    found, pending = set(), list(roots)
    while pending:
        pid = pending.pop()
        if pid in found:
            continue
        found.add(pid)
        pending.extend(children.get(pid, []))
    return found


def kill_all(pids, sig=signal.SIGKILL):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def shared_memory_created_by(pid):
    """The System V shared memory segments `pid` created (`ipcs -mp`)."""
    if pid is None:
        return []
    listed = run(["ipcs", "-mp"], check=False).stdout
    return [fields[0] for fields in (line.split() for line in listed.splitlines())
            if len(fields) >= 4 and fields[0].isdigit() and fields[2] == str(pid)]


def netns_names():
    listed = run(["ip", "netns", "list"], check=False).stdout
    return [line.split()[0] for line in listed.splitlines() if line.strip()]


def link_names():
    listed = run(["ip", "-o", "link", "show"], check=False).stdout
    return [line.split(":")[1].strip().split("@")[0] for line in listed.splitlines() if ":" in line]


def netns_pids(namespace):
    listed = run(["ip", "netns", "pids", namespace], check=False).stdout
    return [int(pid) for pid in listed.split() if pid.isdigit()]


def leftovers(prefix):
    """What remains of a topology: its namespaces, its links, its processes (by namespace)."""
    namespaces = [name for name in netns_names() if name.startswith(prefix + "-")]
    links = [name for name in link_names() if name.startswith(prefix + "-")]
    return namespaces, links


def sweep_crashed_runs():
    """Removes namespaces, links and folders that a run whose process is gone left behind (a run killed with
    SIGKILL cannot clean up); a live run's are left alone."""
    def orphaned(name):
        match = NAME_PATTERN.match(name)
        return match and int(match.group(1)) != os.getpid() and not alive(int(match.group(1)))

    for namespace in filter(orphaned, netns_names()):
        for _ in range(50):
            pids = [pid for pid in netns_pids(namespace) if alive(pid)]
            if not pids:
                break
            kill_all(pids)
            time.sleep(0.1)
        run(["ip", "netns", "del", namespace], check=False)
        log(f"removed {namespace}, left by a run that no longer exists")
    for link in filter(orphaned, link_names()):
        run(["ip", "link", "del", link], check=False)
        log(f"removed link {link}, left by a run that no longer exists")
    for entry in os.listdir(tempfile.gettempdir()):
        match = re.match(r"^batchledger-replicas-(\d+)-", entry)
        if match and int(match.group(1)) != os.getpid() and not alive(int(match.group(1))):
            shutil.rmtree(os.path.join(tempfile.gettempdir(), entry), ignore_errors=True)


def free_subnet():
    """A 10.x.y.0/24 no address or route of the root namespace touches."""
    taken = run(["ip", "-4", "addr"], check=False).stdout + run(["ip", "-4", "route"], check=False).stdout
    generator = random.Random()
    for _ in range(200):
        candidate = f"10.{generator.randint(100, 250)}.{generator.randint(0, 255)}"
        if f"{candidate}." not in taken:
            return candidate
    raise Failure("no free 10.x.y.0/24 subnet for the test network")


def secrets_text():
    with open(SAMPLE_SECRETS) as file:
        return file.read()


def sample_service_account():
    """The throw-away service-account key of Samples/local.env (it grants nothing anywhere)."""
    for line in secrets_text().splitlines():
        if line.startswith("GOOGLE_SA="):
            return line.split("=", 1)[1]
    raise Failure(f"{SAMPLE_SECRETS} has no GOOGLE_SA line")


class Process:
    """A process started in a namespace, its output in a log file."""

    def __init__(self, role, name, popen, log_path):
        self.role, self.name, self.popen, self.log_path = role, name, popen, log_path

    @property
    def pid(self):
        return self.popen.pid

    def output(self, tail=4000):
        try:
            with open(self.log_path, errors="replace") as file:
                return file.read()[-tail:]
        except OSError:
            return ""


class Topology:
    """One simulated data centre: a bridge, four namespaces (hosts), their processes; `down` removes it all."""

    def __init__(self, binary, index, lease_ttl=None, keep_logs=None):
        self.binary = binary
        self.prefix = f"blr{os.getpid()}s{index % 10}"
        self.namespace = {role: f"{self.prefix}-{role}" for role in ROLES}
        self.bridge = f"{self.prefix}-br"
        self.subnet = None
        self.lease_ttl = lease_ttl
        self.keep_logs = keep_logs
        self.workdir = tempfile.mkdtemp(prefix=f"batchledger-replicas-{os.getpid()}-{index}-")
        os.chmod(self.workdir, 0o711)
        self.processes = []
        self.replicas = {}
        self.postgres_dir = None
        self.pg_bin = None
        self.database = None

    # Addresses and URLs.

    def address(self, role):
        return f"{self.subnet}.{HOST_NUMBER[role]}"

    @property
    def emulator_url(self):
        return f"http://{self.address('cloud')}:{EMULATOR_PORT}"

    def ledger_url(self, database=None):
        return f"postgres://postgres@{self.address('db')}:{POSTGRES_PORT}/{database or self.database}?sslmode=disable"

    def api_url(self, role):
        return f"http://{self.address(role)}:{API_PORT}/api/v1/main"

    # The network.

    def up(self):
        self.subnet = free_subnet()
        log(f"network {self.prefix}: bridge {self.bridge} {self.subnet}.0/24")
        run(["ip", "link", "add", self.bridge, "type", "bridge"])
        run(["ip", "addr", "add", f"{self.address('bridge')}/24", "dev", self.bridge])
        run(["ip", "link", "set", self.bridge, "up"])
        for number, role in enumerate(ROLES):
            # The inner end is named eth0 once inside; until then it needs a name of its own in this namespace.
            namespace, outer = self.namespace[role], f"{self.prefix}-{LINK_SUFFIX[role]}"
            inner = f"{self.prefix}-p{number}"
            run(["ip", "netns", "add", namespace])
            run(["ip", "link", "add", outer, "type", "veth", "peer", "name", inner])
            run(["ip", "link", "set", inner, "netns", namespace])
            run(["ip", "link", "set", outer, "master", self.bridge])
            run(["ip", "link", "set", outer, "up"])
            inside = ["ip", "netns", "exec", namespace]
            run(inside + ["ip", "link", "set", inner, "name", "eth0"])
            run(inside + ["ip", "addr", "add", f"{self.address(role)}/24", "dev", "eth0"])
            run(inside + ["ip", "link", "set", "eth0", "up"])
            run(inside + ["ip", "link", "set", "lo", "up"])

    def host_command(self, role, argv):
        """`argv` run on `role`'s host: in its network namespace, with a UTS namespace named after the role."""
        return ["ip", "netns", "exec", self.namespace[role], "unshare", "--uts", "--", "sh", "-c",
                'hostname "$0" && exec "$@"', role] + list(argv)

    def spawn(self, role, name, argv, env=None, cwd=None):
        log_path = os.path.join(self.workdir, f"{name}.log")
        output = open(log_path, "w")
        popen = subprocess.Popen(
            self.host_command(role, argv), stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, cwd=cwd or self.workdir, start_new_session=True)
        output.close()
        process = Process(role, name, popen, log_path)
        self.processes.append(process)
        return process

    def run_on(self, role, argv, check=True, timeout=120, **options):
        return run(self.host_command(role, argv), check=check, timeout=timeout, **options)

    def kill_host(self, role):
        """SIGKILLs every process in `role`'s namespace (`ip netns pids`), until none is left."""
        killed = set()

        def probe():
            pids = [pid for pid in netns_pids(self.namespace[role]) if alive(pid)]
            kill_all(pids)
            killed.update(pids)
            for process in self.processes:
                if process.role == role:
                    process.popen.poll()
            return not pids, f"still in {self.namespace[role]}: {pids}"

        wait_for(f"no process left in {self.namespace[role]}", probe, 30, interval=0.1)
        return sorted(killed)

    # The hosts' services.

    def start_postgres(self):
        pg_bins = sorted(
            (os.path.join("/usr/lib/postgresql", v, "bin") for v in os.listdir("/usr/lib/postgresql")),
            key=lambda path: [int(part) for part in re.findall(r"\d+", path)]) if os.path.isdir(
                "/usr/lib/postgresql") else []
        if not pg_bins or not os.access(os.path.join(pg_bins[-1], "initdb"), os.X_OK):
            raise Failure("PostgreSQL's initdb is missing under /usr/lib/postgresql (apt-get install postgresql)")
        self.pg_bin = pg_bins[-1]
        self.postgres_dir = os.path.join(self.workdir, "postgres")
        os.mkdir(self.postgres_dir)
        shutil.chown(self.postgres_dir, "postgres")
        data = os.path.join(self.postgres_dir, "data")
        run(["su", "postgres", "-s", "/bin/sh", "-c",
             f"'{self.pg_bin}/initdb' -D '{data}' -A trust -U postgres"], timeout=180)
        with open(os.path.join(data, "pg_hba.conf"), "a") as hba:
            hba.write(f"host all all {self.subnet}.0/24 trust\n")
        options = (f"-c listen_addresses={self.address('db')} -p {POSTGRES_PORT} -k {self.postgres_dir} "
                   "-c max_connections=300")
        self.run_on("db", ["su", "postgres", "-s", "/bin/sh", "-c",
                           f"'{self.pg_bin}/pg_ctl' -D '{data}' -l '{self.postgres_dir}/server.log' -w -t 60 start "
                           f"-o '{options}'"], timeout=120)
        log(f"PostgreSQL on {self.address('db')}:{POSTGRES_PORT} in {self.namespace['db']}")

    def pg_ctl(self, action, timeout=120):
        """Runs `pg_ctl ACTION` on the db host (a restarted server stays in its namespace)."""
        data = os.path.join(self.postgres_dir, "data")
        return self.run_on("db", ["su", "postgres", "-s", "/bin/sh", "-c",
                                  f"'{self.pg_bin}/pg_ctl' -D '{data}' -l '{self.postgres_dir}/server.log' -w "
                                  f"-t 60 {action}"], timeout=timeout)

    def psql(self, role, sql, database="postgres"):
        return self.run_on(role, ["psql", "-h", self.address("db"), "-p", str(POSTGRES_PORT), "-U", "postgres",
                                  "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql]).stdout.strip()

    def create_database(self, name):
        self.psql("r1", f"CREATE DATABASE {name}")
        self.database = name

    def start_emulator(self):
        key = os.path.join(self.workdir, "service-account.json")
        with open(key, "w") as file:
            file.write(sample_service_account())
        state = os.path.join(self.workdir, "emulator-state")
        emulator = self.spawn("cloud", "emulator", [
            self.binary, "emulator", "--host", self.address("cloud"), "--port", str(EMULATOR_PORT),
            "--require-auth", "--service-account-key", key, "--state-dir", state])
        wait_for(f"the emulator to answer at {self.emulator_url}/_emulator/health",
                 lambda: self.process_answers(emulator, f"{self.emulator_url}/_emulator/health"), 120)
        log(f"emulator at {self.emulator_url} in {self.namespace['cloud']}")
        return emulator

    def process_answers(self, process, url):
        if process.popen.poll() is not None:
            raise Fatal(f"{process.name} exited {process.popen.returncode}: {process.output()}")
        status, _ = http("GET", url, timeout=2)
        return status == 200, f"HTTP {status}"

    def start_replica(self, role):
        folder = os.path.join(self.workdir, role)
        os.makedirs(folder, exist_ok=True)
        tokens = os.path.join(folder, "tokens")
        with open(tokens, "w") as file:
            file.write(f"replicas-test:{TOKEN}\n")
        os.chmod(tokens, 0o600)
        argv = [self.binary, "serve", "--ledger", self.ledger_url(), "--endpoint", self.emulator_url,
                "--host", "0.0.0.0", "--port", str(API_PORT), "--token-file", tokens,
                "--secrets-file", SAMPLE_SECRETS, "--output-dir", os.path.join(folder, "outputs")]
        if self.lease_ttl is not None:
            argv += ["--lease-ttl", str(self.lease_ttl)]
        env = dict(os.environ, NO_COLOR="1", BATCHLEDGER_TIMING="responsive", BATCHLEDGER_USER=f"replica-{role}")
        replica = self.spawn(role, f"serve-{role}", argv, env=env, cwd=folder)
        wait_for(f"serve on {role} to answer at {self.api_url(role)}/flows/search",
                 lambda: self.process_answers_api(replica, role), 120)
        self.replicas[role] = replica
        log(f"serve {role} (pid {replica.pid}) at {self.api_url(role)}")
        return replica

    def process_answers_api(self, process, role):
        if process.popen.poll() is not None:
            raise StartupFailure(f"serve on {role} exited {process.popen.returncode} at startup: "
                                 f"{process.output().strip()}")
        status, _ = api("GET", role, self, "/flows/search")
        return status == 200, f"HTTP {status}"

    def emulator_stats(self):
        status, body = http("GET", f"{self.emulator_url}/_emulator/stats", timeout=10)
        if status != 200:
            raise Failure(f"/_emulator/stats answered {status}: {body}")
        return body

    # Teardown.

    def down(self):
        """Removes every process, namespace, link and folder of this topology, whatever state it is in; returns
        what could not be removed (nothing, when all went well). Signals wait until it is done."""
        pending = []
        saved = {number: signal.signal(number, lambda received, _: pending.append(received))
                 for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            return self._down()
        finally:
            for number, handler in saved.items():
                signal.signal(number, handler)
            if pending:
                if pending[0] == signal.SIGINT:
                    raise KeyboardInterrupt
                raise SystemExit(128 + pending[0])

    def _down(self):
        if self.keep_logs:
            self.save_logs(self.keep_logs)
        # Every process this topology started, their children (job sandboxes of the emulator live in network
        # namespaces of their own) and every process in its namespaces, taken before anything is killed.
        known = descendants([process.pid for process in self.processes])
        for role in ROLES:
            if self.namespace[role] in netns_names():
                known |= descendants(netns_pids(self.namespace[role]))
        known.discard(os.getpid())
        postmaster = self.postmaster_pid()
        if postmaster:
            # An immediate stop lets the server remove its shared memory; killing it would leave that behind.
            try:
                self.pg_ctl("-m immediate stop", timeout=60)
            except Failure as error:
                log(f"stopping PostgreSQL: {error}")
        for process in self.processes:
            if process.popen.poll() is None:
                try:
                    os.kill(process.pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
        kill_all(known)
        for process in self.processes:
            try:
                process.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in known) and time.monotonic() < deadline:
            kill_all([pid for pid in known if alive(pid)])
            time.sleep(0.05)
        for role in ROLES:
            namespace = self.namespace[role]
            if namespace in netns_names():
                kill_all([pid for pid in netns_pids(namespace) if alive(pid)])
                run(["ip", "netns", "del", namespace], check=False)
        for link in link_names():
            if link.startswith(self.prefix + "-"):
                run(["ip", "link", "del", link], check=False)
        shutil.rmtree(self.workdir, ignore_errors=True)
        namespaces, links = leftovers(self.prefix)
        processes = sorted(pid for pid in known if alive(pid))
        memory = [f"shared memory {shmid} of PostgreSQL" for shmid in shared_memory_created_by(postmaster)]
        return namespaces + links + [f"pid {pid}" for pid in processes] + memory

    def postmaster_pid(self):
        try:
            with open(os.path.join(self.postgres_dir, "data", "postmaster.pid")) as file:
                return int(file.readline())
        except (TypeError, OSError, ValueError):
            return None

    def save_logs(self, folder):
        target = os.path.join(folder, self.prefix)
        os.makedirs(target, exist_ok=True)
        for process in self.processes:
            shutil.copy(process.log_path, target) if os.path.exists(process.log_path) else None
        if self.postgres_dir and os.path.exists(os.path.join(self.postgres_dir, "server.log")):
            shutil.copy(os.path.join(self.postgres_dir, "server.log"), os.path.join(target, "postgres.log"))


class StartupFailure(Fatal):
    """serve did not start (for now: a build without the PostgreSQL ledger for serve)."""


def http(method, url, body=None, headers=None, timeout=15):
    """(status, parsed JSON or text); status None when the connection failed."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except (urllib.error.URLError, OSError) as error:
        return None, f"{type(error).__name__}: {getattr(error, 'reason', error)}"
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def api(method, role, topology, path, body=None, content_type=None, timeout=30):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if content_type:
        headers["Content-Type"] = content_type
    return http(method, topology.api_url(role) + path, body=body, headers=headers, timeout=timeout)


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


def start_execution(topology, role, n, pause, wait=False, timeout=30):
    """The new execution's id, or raises Failure with the answer."""
    form = urllib.parse.urlencode({"n": n, "pause": pause}).encode()
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
        runs = record.get("taskRunList") or []
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
        done = topology.run_on("r2", argv, check=False, timeout=600, env=dict(os.environ, NO_COLOR="1"))
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


def start_many(topology, plan, pause, acknowledged, refused):
    """Starts executions `plan` [(role, n)] from one thread per role, recording each answer."""
    def worker(role, numbers):
        for n in numbers:
            try:
                acknowledged[n] = (role, start_execution(topology, role, n, pause))
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
    outputs = record["taskRunList"][0].get("outputs") if record.get("taskRunList") else None
    same = record["state"]["current"] == "SUCCESS" and lines == expected_lines(0) and outputs == expected_outputs(0)
    report.check(same, "an uninterrupted run gives the expected lines and outputs",
                 f"{record['state']['current']}, {len(lines)} lines, outputs {outputs}")
    if not same:
        raise Failure("the uninterrupted reference run differs from what the flow prints; every comparison would "
                      "be wrong")


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
        threads = start_many(topology, plan, 0.1, acknowledged, refused)

        def half_created():
            created = topology.emulator_stats()["jobsCreated"] - baseline
            return created >= half, f"{created} jobs created"

        seen = wait_for(f"{half} of {total} jobs to exist", half_created, 300, interval=0.1)
        sending = sum(1 for thread in threads if thread.is_alive())
        killed = topology.kill_host("r1")
        report.note(f"SIGKILLed {len(killed)} process(es) of r1 {killed} at {seen}; "
                    f"{len(acknowledged)} starts acknowledged, {len(refused)} refused, "
                    f"{sending} of {len(threads)} replicas still being sent starts")
        for thread in threads:
            thread.join(120)
        for n, (role, error) in sorted(refused.items()):
            report.note(f"start n={n} on {role} not acknowledged: {error[:200]}")
        report.check(not any(role == "r2" for role, _ in refused.values()), "every start sent to r2 is acknowledged",
                     f"{sum(1 for role, _ in refused.values() if role == 'r2')} refused by r2")
        ids = {n: execution_id for n, (_, execution_id) in acknowledged.items()}
        wait_all_terminal(topology, "r2", list(ids.values()), options.timeout, "acknowledged executions")
        problems, attempts = outcome_problems(topology, "r2", ids)
        report.check(not problems, f"all {len(ids)} acknowledged executions end SUCCESS with the uninterrupted "
                     "run's outputs and each log line once", "; ".join(problems[:5]) or "as expected")
        check_jobs_match_attempts(report, topology, baseline, attempts)
        check_verify(report, topology)
    except StartupFailure as error:
        report.check(False, "the replicas start on the PostgreSQL ledger", str(error)[:1500])
    except Failure as error:
        report.check(False, "the scenario runs to its end", str(error)[:1500])
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
            current = states(topology, "r2", ids.values())
            return created >= count and all(state == "RUNNING" for state in current.values()), \
                f"{created} jobs, states {dict(collections.Counter(current.values()))}"

        wait_for(f"r1's {count} executions to be RUNNING with their jobs", all_running, 120)
        serve = topology.replicas["r1"]
        os.kill(serve.pid, signal.SIGSTOP)
        wait_for(f"r1's serve (pid {serve.pid}) to be stopped", lambda: (
            process_state(serve.pid) == "T", f"state {process_state(serve.pid)}"), 10, interval=0.05)
        frozen_at = time.monotonic()
        before = {n: event_count(topology, "r2", execution_id) for n, execution_id in ids.items()}

        def taken_over():
            grown = {n for n, execution_id in ids.items() if event_count(topology, "r2", execution_id) > before[n]}
            return len(grown) == count, f"{len(grown)} of {count} executions written to since r1 froze"

        # While r1 is stopped only another process can append to its executions.
        wait_for(f"r2 to write to all {count} of r1's executions while r1 is frozen (lease TTL {ttl} s)",
                 taken_over, 6 * ttl + 60, interval=0.25)
        report.check(True, "r2 takes r1's executions over while r1 is frozen",
                     f"all {count} written to {time.monotonic() - frozen_at:.1f} s after SIGSTOP")
        still_running = states(topology, "r2", ids.values())
        report.note(f"states at SIGCONT: {dict(collections.Counter(still_running.values()))}")
        output_before = len(serve.output(tail=10**7))
        os.kill(serve.pid, signal.SIGCONT)
        wait_all_terminal(topology, "r2", list(ids.values()), options.timeout, "executions")
        problems, attempts = outcome_problems(topology, "r2", ids)
        report.check(not problems, f"all {count} executions end SUCCESS with each log line once and their outputs",
                     "; ".join(problems[:5]) or "as expected")
        check_jobs_match_attempts(report, topology, baseline, attempts)
        said = serve.output(tail=10**7)[output_before:]
        fenced = [line for line in said.splitlines()
                  if re.search(r"lease|fenc|taken over|another process", line, re.IGNORECASE)]
        report.check(bool(fenced), "r1, continued, reports that its lease was taken (its writes refused)",
                     (fenced[0][:300] if fenced else f"nothing of the kind in its output: {said[-500:]!r}"))
        report.check(serve.popen.poll() is None, "r1 keeps serving after losing the lease",
                     "alive" if serve.popen.poll() is None else f"exited {serve.popen.returncode}")
        check_verify(report, topology)
    except StartupFailure as error:
        report.check(False, "the replicas start on the PostgreSQL ledger", str(error)[:1500])
    except Failure as error:
        report.check(False, "the scenario runs to its end", str(error)[:1500])
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
        first = [("r1" if n % 2 else "r2", n) for n in range(1, 41)]
        threads = start_many(topology, first, 0.1, acknowledged, refused)

        def some_created():
            created = topology.emulator_stats()["jobsCreated"] - baseline
            return created >= 10, f"{created} jobs created"

        wait_for("10 jobs to exist", some_created, 300, interval=0.1)
        # More starts while the database goes down and comes back: some may be refused, none acknowledged lost.
        threads += start_many(topology, [("r1" if n % 2 else "r2", n) for n in range(41, 61)], 0.1, acknowledged,
                              refused)
        started = time.monotonic()
        topology.pg_ctl("-m fast restart")
        report.note(f"pg_ctl restart -m fast took {time.monotonic() - started:.1f} s, with "
                    f"{len(acknowledged)} starts acknowledged so far")
        for thread in threads:
            thread.join(300)
        for n, (role, error) in sorted(refused.items()):
            report.note(f"start n={n} on {role} not acknowledged: {error[:200]}")
        ids = {n: execution_id for n, (_, execution_id) in acknowledged.items()}
        for role in ("r1", "r2"):
            missing = [n for n, execution_id in ids.items()
                       if api("GET", role, topology, f"/executions/{execution_id}")[0] != 200]
            report.check(not missing, f"every acknowledged execution is in the ledger, read from {role}",
                         f"{len(ids)} acknowledged, missing {missing[:10]}")
        wait_all_terminal(topology, "r2", list(ids.values()), options.timeout, "acknowledged executions")
        final = states(topology, "r2", ids.values())
        report.check(all(state in TERMINAL for state in final.values()),
                     f"all {len(ids)} acknowledged executions end in a terminal state",
                     f"{dict(collections.Counter(final.values()))}")
        problems, attempts = outcome_problems(topology, "r2", ids, require_success=False)
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
    finally:
        report_teardown(report, topology)
    return report


def bring_up(topology, replicas):
    topology.up()
    topology.start_postgres()
    topology.create_database("ledger")
    topology.start_emulator()
    for role in replicas:
        topology.start_replica(role)


def report_teardown(report, topology):
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
        report.check(topology.run_on("r1", ["curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-w",
                                            "%{http_code}", f"{topology.emulator_url}/v1/projects/p/locations/r/jobs"],
                                     check=False).stdout == "401", "the emulator refuses a call without a token",
                     "401 expected")
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
    for how in ("SIGINT", "SIGTERM", "exception"):
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
        "--input", "n=7", "--input", "pause=0.01", "--json"], check=False, timeout=300, cwd=folder,
        env=dict(os.environ, NO_COLOR="1", BATCHLEDGER_TIMING="responsive"))
    try:
        result = json.loads(done.stdout)
        task = result["tasks"][0]
        seen = f"{result['state']}, vars {task.get('vars')}, exit {done.returncode}"
        passed = done.returncode == 0 and result["state"] == "SUCCEEDED" and task.get("vars") == {"n": 7, "lines": 20}
    except (ValueError, KeyError, IndexError):
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
        child.wait(timeout=120)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    if not prefix:
        report.check(False, f"a run interrupted by {how} cleans up", f"it never set up: {lines[-5:]}")
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
