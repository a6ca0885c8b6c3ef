"""The simulated hosts: a bridge and network (and UTS) namespaces, their services, their teardown."""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from constants import (API_PORT, EMULATOR_PORT, HOST_NUMBER, LINK_SUFFIX, NAME_PATTERN, POSTGRES_PORT, ROLES,
                       SAMPLE_SECRETS, TOKEN)
from support import Failure, Fatal, log, run, wait_for, alive, command_name, descendants, kill_all


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
        for _ in range(100):
            pids = [pid for pid in netns_pids(namespace) if alive(pid)]
            if not pids:
                break
            # PostgreSQL's immediate shutdown (SIGQUIT) removes its shared memory; SIGKILL would leave it behind.
            postgres = [pid for pid in pids if command_name(pid) == "postgres"]
            kill_all(postgres, signal.SIGQUIT)
            kill_all([pid for pid in pids if pid not in postgres])
            time.sleep(0.1)
        kill_all([pid for pid in netns_pids(namespace) if alive(pid)])
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
        # Each host keeps its own cache of the PostgreSQL ledger, as hosts that share no disk would.
        env = dict(os.environ, NO_COLOR="1", BATCHLEDGER_TIMING="responsive", BATCHLEDGER_USER=f"replica-{role}",
                   BATCHLEDGER_CACHE_DIR=os.path.join(folder, "cache"))
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
    status, body = http(method, topology.api_url(role) + path, body=body, headers=headers, timeout=timeout)
    replica = topology.replicas.get(role)
    if status is None and replica is not None and replica.popen.poll() is not None:
        raise Fatal(f"serve on {role} exited {replica.popen.returncode} (a negative status is the signal that "
                    f"ended it): {replica.output(tail=1500).strip()}")
    return status, body
