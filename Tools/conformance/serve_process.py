"""`batchledger serve` as the SDK checks start and stop it: a process of its own on a free port."""

import re
import subprocess


def start(binary, arguments, fail):
    """Starts `BINARY serve --port 0 ARGUMENTS`; returns the process and its base URL (`fail` when it says none)."""
    server = subprocess.Popen(
        [binary, "serve", "--port", "0"] + arguments, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = server.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not found:
        server.kill()
        server.wait()
        fail(f"serve did not say where it listens: {line!r}")
    return server, f"http://127.0.0.1:{found.group(1)}"


def stop(server, fail, seconds=60):
    """SIGTERM, then `fail` unless serve ends within `seconds` with status 0 (or by the signal itself)."""
    server.terminate()
    try:
        server.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        fail(f"serve did not stop on SIGTERM within {seconds} s")
    if server.returncode not in (0, -15):
        fail(f"serve exited {server.returncode} on SIGTERM")
