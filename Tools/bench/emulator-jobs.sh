#!/usr/bin/env bash
# Benchmark: N concurrent `sleep 1` jobs (default 500) on `batchledger emulator`; prints the emulator's
# peak resident memory (VmHWM from /proc/PID/status) against the 300 MiB target.
# Usage: Tools/bench/emulator-jobs.sh [PATH_TO_BATCHLEDGER] [JOBS]
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=${1:-}
jobs=${2:-500}
if [ -z "$binary" ]; then
  swift build -c release --product batchledger >/dev/null
  binary="$(swift build -c release --show-bin-path)/batchledger"
fi
log=$(mktemp)
state=$(mktemp -d)
# The start-up delay lets every job be created before the first one starts, so they run together.
delay=${STARTUP_DELAY:-20}
"$binary" emulator --port 0 --state-dir "$state" --startup-delay "$delay" >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$state" "$log"; }
trap cleanup EXIT
endpoint=""
for _ in $(seq 1 100); do
  endpoint=$(sed -n 's/^LocalCloud listening on //p' "$log" | head -1)
  [ -n "$endpoint" ] && break
  sleep 0.1
done
[ -n "$endpoint" ] || { cat "$log" >&2; echo "bench: the emulator did not start" >&2; exit 1; }
peak_file=$(mktemp)
( peak=0; while kill -0 "$pid" 2>/dev/null; do
    n=$(pgrep -c -f '^sleep 1$' || true); if [ "$n" -gt "$peak" ]; then peak=$n; echo "$peak" >"$peak_file"; fi
    sleep 0.05; done ) &
sampler=$!
python3 "$(dirname "$0")/emulator_jobs.py" "$endpoint" "$jobs"
kill "$sampler" 2>/dev/null || true
echo "at most $(cat "$peak_file" 2>/dev/null || echo 0) 'sleep 1' processes were seen alive at once (sampled every 50 ms)"
rm -f "$peak_file"
cpu_ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
echo "emulator CPU time (user + system): $(awk -v t="$cpu_ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz}') s"
hwm_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
awk -v hwm="$hwm_kb" -v rss="$rss_kb" -v n="$jobs" 'BEGIN {
  printf "emulator peak RSS (VmHWM) %.1f MiB, RSS now %.1f MiB, after %d concurrent sleep-1 jobs; target < 300 MiB: %s\n",
    hwm / 1024, rss / 1024, n, (hwm / 1024 < 300 ? "met" : "NOT met") }'
