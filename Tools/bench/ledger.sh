#!/usr/bin/env bash
# Ledger benchmark: BatchLedger's EventStore (Swift, release build) against a minimal C program with the same
# pragmas, SQL, payload bytes and SHA-256 hashing (Tools/bench/ledger_baseline.c), measured in the same run.
#
#   Tools/bench/ledger.sh [--single N] [--batches B] [--streams S] [--per-stream N] [--scan-events N] [--rounds R]
#                         [--backend sqlite|postgres] [--url postgres://USER@HOST:PORT/DB] [--skip-build]
#
# Prints, per workload, the median time of each side and the ratio baseline/ours (1.0 = as fast as C;
# the targets are >= 0.9 for durable appends), and checks that a fold over the scanned events takes < 5 s.
# Workload (d) has S streams append at once, one event per append, through the async API (group commit on the
# ledger's writer thread), against C doing one durable transaction per event; its target is >= 5.
#
# With --backend postgres, the same appends go to PostgreSQL: ledger-bench's pg-* workloads against
# Tools/bench/ledger_pg_baseline.c (libpq, the store's statements per append), each round on a fresh database
# bench_<random> that is created through the URL's role (which may create databases) and dropped after the run,
# once both chains verified. Targets: (a) >= 0.8, (d) >= 5. Without --url, a throw-away cluster is started on a
# free loopback port (initdb, trust authentication; as the postgres user when run as root) and removed on exit.
# --skip-build uses the ledger-bench already built (swift build -c release --product ledger-bench).
set -euo pipefail
cd "$(dirname "$0")/../.."

single=2000
batches=500
streams=100
per_stream=20
scan_events=1000000
rounds=3
backend=sqlite
url=
skip_build=0
while [ $# -gt 0 ]; do
  case "$1" in
    --single) single=$2; shift 2 ;;
    --batches) batches=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --per-stream) per_stream=$2; shift 2 ;;
    --scan-events) scan_events=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    --url) url=$2; shift 2 ;;
    --skip-build) skip_build=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

case "$backend" in
  sqlite) [ -z "$url" ] || { echo "--url goes with --backend postgres" >&2; exit 2; } ;;
  postgres) ;;
  *) echo "--backend is sqlite or postgres, not $backend" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/ledger-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ "$skip_build" = 0 ]; then
  swift build -c release --product ledger-bench >&2
  ours="$(swift build -c release --show-bin-path)/ledger-bench"
else
  ours="$PWD/.build/release/ledger-bench"
fi
[ -x "$ours" ] || { echo "$ours is missing: build it with swift build -c release --product ledger-bench" >&2; exit 1; }

median() { python3 -c 'import sys,statistics; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

report() {
  local name=$1 events=$2 swift_s=$3 c_s=$4 target=$5
  python3 - "$name" "$events" "$swift_s" "$c_s" "$target" <<'PY'
import sys
name, events, ours, c, target = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
ratio = c / ours
verdict = "" if target == "-" else ("  target >= %s: %s" % (target, "met" if ratio >= float(target) else "MISSED"))
print("%-34s ours %8.3f s (%9.0f ev/s)   C %8.3f s (%9.0f ev/s)   ratio %.2f%s"
      % (name, ours, events / ours, c, events / c, ratio, verdict))
PY
}

if [ "$backend" = postgres ]; then
  # The PostgreSQL rounds, with this script's options, ledger-bench, median and report.
  . Tools/bench/ledger_pg.sh
  exit 0
fi

cc -O2 -o "$work/ledger_baseline" Tools/bench/ledger_baseline.c -lsqlite3 -lcrypto
baseline="$work/ledger_baseline"

# run SIDE WORKLOAD ARGS...: a fresh ledger each time; prints the seconds.
run() {
  local side=$1; shift
  local workload=$1; shift
  local file="$work/$side-$RANDOM$RANDOM.ledger"
  "$ours" init "$file"
  local tool=$ours
  [ "$side" = c ] && tool=$baseline
  "$tool" "$workload" "$file" "$@" | awk '{print $3}'
  rm -f "$file" "$file-wal" "$file-shm"
}

declare -a s_single c_single s_batch c_batch s_concurrent c_concurrent
for _ in $(seq "$rounds"); do
  s_single+=("$(run swift single "$single")"); c_single+=("$(run c single "$single")")
  s_batch+=("$(run swift batched "$batches" 100)"); c_batch+=("$(run c batched "$batches" 100)")
  s_concurrent+=("$(run swift concurrent "$streams" "$per_stream")")
  c_concurrent+=("$(run c concurrent "$streams" "$per_stream")")
done

echo "ledger benchmark: median of $rounds rounds, WAL + synchronous=FULL, same SQL and hashing on both sides"
report "(a) 1 event per transaction" "$single" "$(median "${s_single[@]}")" "$(median "${c_single[@]}")" 0.9
report "(b) 100 events per transaction" "$((batches * 100))" "$(median "${s_batch[@]}")" "$(median "${c_batch[@]}")" 0.9

scan_file="$work/scan.ledger"
"$ours" init "$scan_file"
"$ours" populate "$scan_file" "$scan_events" >/dev/null
declare -a s_scan c_scan
for _ in $(seq "$rounds"); do
  s_scan+=("$("$ours" scan "$scan_file" | awk '{print $3}')")
  c_scan+=("$("$baseline" scan "$scan_file" | awk '{print $3}')")
done
scan_median=$(median "${s_scan[@]}")
report "(c) full scan with a fold" "$scan_events" "$scan_median" "$(median "${c_scan[@]}")" -
python3 -c 'import sys; s=float(sys.argv[1]); n=int(sys.argv[2]); print("    fold over %d events in %.2f s: target < 5 s: %s" % (n, s, "met" if s < 5 else "MISSED"))' "$scan_median" "$scan_events"
report "(d) $streams concurrent appenders" "$((streams * per_stream))" "$(median "${s_concurrent[@]}")" \
  "$(median "${c_concurrent[@]}")" 5
