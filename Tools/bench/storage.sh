#!/usr/bin/env bash
# Cloud Storage client benchmark: upload and download of one large file (default 1 GiB) against a standalone
# batchledger emulator, by BatchLedger's client and by curl, side by side in the same run.
# Prints each side's throughput, the ratio ours/curl (target >= 0.8) and our peak memory growth (target < 64 MiB).
# The client uses its libcurl transport; --urlsession also measures it over Foundation's URLSession.
#
#   Tools/bench/storage.sh [--size-mib N] [--rounds R] [--urlsession]
set -euo pipefail
cd "$(dirname "$0")/../.."

size_mib=1024
rounds=2
urlsession=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --urlsession) urlsession=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

swift build -c release --product storage-bench >&2
swift build -c release --product batchledger >&2
bin="$(swift build -c release --show-bin-path)"
work=$(mktemp -d "${TMPDIR:-/tmp}/storage-bench.XXXXXX")
"$bin/batchledger" emulator --port 0 --state-dir "$work/state" >"$work/emulator.log" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null; wait $emulator 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  endpoint=$(sed -n 's/^LocalCloud listening on //p' "$work/emulator.log" | head -1)
  [ -n "$endpoint" ] && break
  sleep 0.1
done
[ -n "${endpoint:-}" ] || { echo "the emulator did not start" >&2; exit 1; }

head -c $((size_mib * 1024 * 1024)) /dev/urandom >"$work/source.bin"
bytes=$((size_mib * 1024 * 1024))
curl -s -X POST -H 'Content-Type: application/json' -d '{"name":"bench"}' "$endpoint/storage/v1/b?project=bench" >/dev/null

median() { python3 -c 'import sys,statistics; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
declare -a ours_up curl_up ours_down curl_down growth_up growth_down us_up us_down us_growth_up us_growth_down
# Each transfer starts after `sync`, so that none pays for writing back what an earlier one left in the page cache,
# and the two sides take turns going first.
ours_upload() {
  sync
  read -r _ _ seconds growth < <("$bin/storage-bench" upload "$endpoint" bench "ours-$1.bin" "$work/source.bin")
  ours_up+=("$seconds"); growth_up+=("$growth")
}
curl_upload() {
  sync
  curl_up+=("$(curl -s -o /dev/null -w '%{time_total}' -X POST -H 'Content-Type: application/octet-stream' \
    -T "$work/source.bin" "$endpoint/upload/storage/v1/b/bench/o?uploadType=media&name=curl-$1.bin")")
}
ours_download() {
  sync
  read -r _ _ seconds growth < <("$bin/storage-bench" download "$endpoint" bench "ours-$1.bin" "$work/copy.bin")
  ours_down+=("$seconds"); growth_down+=("$growth")
  cmp -s "$work/source.bin" "$work/copy.bin" || { echo "downloaded copy differs" >&2; exit 1; }
  rm -f "$work/copy.bin"
}
curl_download() {
  sync
  curl_down+=("$(curl -s -o "$work/curl-copy.bin" -w '%{time_total}' \
    "$endpoint/download/storage/v1/b/bench/o/curl-$1.bin?alt=media")")
  cmp -s "$work/source.bin" "$work/curl-copy.bin" || { echo "curl's copy differs" >&2; exit 1; }
  rm -f "$work/curl-copy.bin"
}
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then
    ours_upload "$round"; curl_upload "$round"; ours_download "$round"; curl_download "$round"
  else
    curl_upload "$round"; ours_upload "$round"; curl_download "$round"; ours_download "$round"
  fi
  if [ "$urlsession" = 1 ]; then
    sync
    read -r _ _ seconds growth < <(STORAGE_BENCH_TRANSPORT=urlsession "$bin/storage-bench" upload "$endpoint" bench \
      "us-$round.bin" "$work/source.bin")
    us_up+=("$seconds"); us_growth_up+=("$growth")
    sync
    read -r _ _ seconds growth < <(STORAGE_BENCH_TRANSPORT=urlsession "$bin/storage-bench" download "$endpoint" bench \
      "us-$round.bin" "$work/copy.bin")
    us_down+=("$seconds"); us_growth_down+=("$growth")
    cmp -s "$work/source.bin" "$work/copy.bin" || { echo "downloaded copy differs" >&2; exit 1; }
    rm -f "$work/copy.bin"
  fi
done

peak() { printf '%s\n' "$@" | sort -n | tail -1; }
extra=()
if [ "$urlsession" = 1 ]; then
  extra=("$(median "${us_up[@]}")" "$(median "${us_down[@]}")" "$(peak "${us_growth_up[@]}")" \
    "$(peak "${us_growth_down[@]}")")
fi
python3 - "$bytes" "$(median "${ours_up[@]}")" "$(median "${curl_up[@]}")" "$(median "${ours_down[@]}")" \
  "$(median "${curl_down[@]}")" "$(peak "${growth_up[@]}")" "$(peak "${growth_down[@]}")" "${extra[@]}" <<'PY'
import sys
size, ours_up, curl_up, ours_down, curl_down, grow_up, grow_down = int(sys.argv[1]), *map(float, sys.argv[2:8])
mib = size / 1048576
def line(name, ours, curl, growth):
    ratio = curl / ours
    print("%-9s %6.0f MiB  ours %6.2f s (%6.0f MiB/s)  curl %6.2f s (%6.0f MiB/s)  ratio %.2f (target >= 0.8: %s)"
          "  peak memory growth %.1f MiB (target < 64: %s)"
          % (name, mib, ours, mib / ours, curl, mib / curl, ratio, "met" if ratio >= 0.8 else "MISSED", growth,
             "met" if growth < 64 else "MISSED"))
line("upload", ours_up, curl_up, grow_up)
line("download", ours_down, curl_down, grow_down)
if len(sys.argv) > 8:
    us_up, us_down, us_grow_up, us_grow_down = map(float, sys.argv[8:12])
    print("over Foundation's URLSession, for comparison:")
    line("upload", us_up, curl_up, us_grow_up)
    line("download", us_down, curl_down, us_grow_down)
PY
