#!/usr/bin/env bash
# Reading-history benchmark: the commands that read one long execution back, timed on the ledger of a real
# 1,000-iteration ForEach (Tools/bench/history/foreach_1000.yaml, concurrencyLimit 0) run by `batchledger run
# --local` in release mode. Reading must stay linear in the history's length.
#
#   Tools/bench/history.sh [--rounds R] [--ledger FILE]
#
# --ledger reuses a ledger made by an earlier round (its last execution is timed), so two builds can be compared
# on the same history; without it a new one is recorded (about 30 s; the number of JobPolled events, hence of
# events, depends on the machine's load: about 15,000 to 23,000). SWIFT names the swift driver (default swift).
#
# Prints the workload (events by type), then per command the median wall time of R rounds, the events read per
# second, and the target where the issue sets one (replay < 2 s, replay --check < 5 s, export --format html < 1 s,
# each for a 23,382-event ledger; the verdict scales the target to the events of this ledger). A replay --check
# that finds a divergence (exit 1) is timed all the same and named in a note.
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=3
ledger=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --ledger) ledger=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

swift=${SWIFT:-swift}
$swift build -c release --product batchledger >&2
bin="$($swift build -c release --show-bin-path)/batchledger"

work=$(mktemp -d "${TMPDIR:-/tmp}/history-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ -z "$ledger" ]; then
  ledger="$work/history.ledger"
  echo "recording the workload: batchledger run --local Tools/bench/history/foreach_1000.yaml …" >&2
  "$bin" run Tools/bench/history/foreach_1000.yaml --local --ledger "$ledger" --output-dir "$work/outputs" \
    --json >"$work/run.json" 2>"$work/run.err" || { tail -5 "$work/run.err" >&2; exit 1; }
fi
"$bin" verify --ledger "$ledger" >/dev/null
execution=$("$bin" executions --ledger "$ledger" | awk 'NF { id = $1 } END { print id }')

python3 - "$bin" "$ledger" "$execution" "$rounds" <<'PY'
import collections, json, statistics, subprocess, sys, time

binary, ledger, execution, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
reference = 23382  # events of the ledger the issue measured

notes = {}

def run(arguments, allowed=(0,), name=None):
    started = time.monotonic()
    done = subprocess.run([binary, *arguments, "--ledger", ledger], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.monotonic() - started
    if done.returncode not in allowed:
        sys.exit("batchledger %s failed (%d): %s" % (" ".join(arguments), done.returncode, done.stderr.decode()[-500:]))
    if done.returncode != 0:
        notes[name] = (done.stdout.decode().splitlines() or [""])[0][:160]
    return elapsed

export = subprocess.run([binary, "export", execution, "--ledger", ledger], capture_output=True, check=True)
types = collections.Counter(json.loads(line)["type"] for line in export.stdout.splitlines()[1:])
events = sum(types.values())
print("history benchmark: execution %s, %d events (%d task runs), median of %d rounds, output to /dev/null"
      % (execution, events, types["AttemptStarted"], rounds))
print("    " + ", ".join("%s %d" % (name, count) for name, count in types.most_common()))

commands = [
    ("show", ["show", execution], None),
    ("events", ["events", execution], None),
    ("export --format ndjson", ["export", "--format", "ndjson", execution], None),
    ("export --format html", ["export", "--format", "html", execution], 1.0),
    ("replay", ["replay", execution], 2.0),
    ("replay --check", ["replay", "--check", execution], 5.0),
]
run(["show", execution])  # warm the page cache
for name, arguments, target in commands:
    # replay --check exits 1 when the engine decides differently; it is timed all the same, and says so.
    allowed = (0, 1) if "--check" in arguments else (0,)
    seconds = statistics.median(run(arguments, allowed, name) for _ in range(rounds))
    verdict = ""
    if target is not None:
        scaled = target * events / reference
        verdict = "   target < %.2f s (%.0f s at %d events): %s" % (
            scaled, target, reference, "met" if seconds < scaled else "MISSED")
    print("%-24s %8.3f s (%9.0f ev/s)%s" % (name, seconds, events / seconds, verdict))
for command, first_line in notes.items():
    print("    note: %s exited 1 in at least one round: %s" % (command, first_line))
PY
