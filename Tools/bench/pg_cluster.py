"""A throw-away PostgreSQL cluster for the benchmarks, started the way .ci/run and ledger_pg.sh start one.

Debian's binaries (the newest under /usr/lib/postgresql), run as the postgres user when run as root, in a mktemp
folder, on a free loopback port, with trust authentication. `stop()` stops it (immediate mode) and removes the
folder; callers call it from a `finally`, and `stop_on_signals()` turns SIGTERM and SIGHUP into SystemExit so
that those `finally` blocks run on a kill too.
"""
import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.parse


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_on_signals():
    """SIGTERM and SIGHUP end the process through SystemExit, so every `finally` (cluster, servers) runs."""
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, lambda received, _frame: sys.exit(128 + received))


class Cluster:
    def __init__(self, max_connections=200):
        versions = glob.glob("/usr/lib/postgresql/*/bin")
        versions.sort(key=lambda path: [int(part) for part in re.findall(r"\d+", path)])
        self.bin = versions[-1] if versions else None
        if not self.bin or not os.access(os.path.join(self.bin, "initdb"), os.X_OK):
            raise SystemExit("PostgreSQL's initdb is missing under /usr/lib/postgresql: apt-get install postgresql")
        self.root = os.getuid() == 0
        self.dir = tempfile.mkdtemp(prefix="serve-bench-pg.")
        self.started = False
        if self.root:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        self.port = free_port()
        data = os.path.join(self.dir, "data")
        try:
            self._as_postgres([os.path.join(self.bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres"],
                              os.path.join(self.dir, "initdb.log"), "initdb failed")
            self.started = True  # from here on, stop() asks pg_ctl to stop whatever did start
            options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {shlex.quote(self.dir)} "
                       f"-c max_connections={max_connections}")
            self._as_postgres([os.path.join(self.bin, "pg_ctl"), "-D", data, "-l", os.path.join(self.dir, "server.log"),
                               "-w", "-t", "60", "start", "-o", options],
                              os.path.join(self.dir, "server.log"), "the benchmark's PostgreSQL cluster did not start")
        except BaseException:
            self.stop()
            raise
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres?sslmode=disable"
        self.psql("SELECT 1")

    def _as_postgres(self, command, log, failure):
        line = shlex.join(command)
        wrapped = ["su", "postgres", "-s", "/bin/sh", "-c", line] if self.root else ["sh", "-c", line]
        result = subprocess.run(wrapped, capture_output=True, text=True)
        if result.returncode != 0:
            shown = open(log).read()[-2000:] if os.path.exists(log) else result.stdout + result.stderr
            raise SystemExit(f"{failure}:\n{shown}")

    def psql(self, statement, database="postgres"):
        return subprocess.run(["psql", self.database_url(database), "-qAt", "-v", "ON_ERROR_STOP=1", "-c", statement],
                              capture_output=True, text=True, check=True).stdout.strip()

    def database_url(self, name):
        parts = urllib.parse.urlsplit(self.url)
        return urllib.parse.urlunsplit(parts._replace(path="/" + name))

    def create_database(self, name):
        """A fresh, empty database `name`; its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise ValueError(f"not a plain database name: {name!r}")
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.psql(f"CREATE DATABASE {name}")
        return self.database_url(name)

    def stop(self):
        if self.started:
            self.started = False
            try:
                self._as_postgres([os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.dir, "data"), "-m",
                                   "immediate", "stop"], os.devnull, "pg_ctl stop failed")
            except SystemExit:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
