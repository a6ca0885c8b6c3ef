"""Waiting, commands and processes: the primitives every part of the replicas test uses."""
import collections
import os
import signal
import subprocess
import time



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


def command_name(pid):
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return comm.read().strip()
    except OSError:
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
