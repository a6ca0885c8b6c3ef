#!/usr/bin/env bash
# Runs Google's Python clients (google-cloud-batch, -storage, -logging) against `batchledger emulator`.
# Usage: Tools/conformance/run.sh [PATH_TO_BATCHLEDGER]
# Without an argument, builds (under the shared build lock if /tmp/swiftbuild.lock is used) and uses the
# debug binary. The virtual environment lives in .build-conformance/venv (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

binary=${1:-}
if [ -z "$binary" ]; then
  scratch=${CONFORMANCE_SCRATCH_PATH:-.build}
  swift build --scratch-path "$scratch" --product batchledger >/dev/null
  binary="$(swift build --scratch-path "$scratch" --show-bin-path)/batchledger"
fi
[ -x "$binary" ] || { echo "conformance: $binary is not an executable; build batchledger first" >&2; exit 2; }

venv=${CONFORMANCE_VENV:-$root/.build-conformance/venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import google.cloud.batch_v1, google.cloud.storage, google.cloud.logging, google.auth.impersonated_credentials' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check google-cloud-batch google-cloud-storage google-cloud-logging google-auth
fi

log=$(mktemp)
state=$(mktemp -d)
"$binary" emulator --port 0 --state-dir "$state" >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$state" "$log"; }
trap cleanup EXIT

endpoint=""
for _ in $(seq 1 100); do
  endpoint=$(sed -n 's/^LocalCloud listening on //p' "$log" | head -1)
  [ -n "$endpoint" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "conformance: the emulator exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$endpoint" ] || { cat "$log" >&2; echo "conformance: the emulator did not print its endpoint" >&2; exit 1; }
echo "conformance: emulator at $endpoint"
results=$(mktemp)
"$venv/bin/python" "$root/Tools/conformance/test_clients.py" "$endpoint" | tee -a "$results"

# --require-auth with google-auth's own service-account flow: two keys made here, one trusted.
keys=$(mktemp -d)
for name in trusted other; do
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$keys/$name.pem" 2>/dev/null
  python3 - "$keys/$name.pem" "$keys/$name.json" "$name" <<'PY'
import json, sys
pem = open(sys.argv[1]).read()
json.dump({"type": "service_account", "project_id": "conformance-project", "private_key_id": f"kid-{sys.argv[3]}",
           "private_key": pem, "client_email": f"{sys.argv[3]}@conformance-project.iam.gserviceaccount.com",
           "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token"}, open(sys.argv[2], "w"))
PY
done
auth_log=$(mktemp)
impersonable="runner@conformance-project.iam.gserviceaccount.com"
"$binary" emulator --port 0 --require-auth --service-account-key "$keys/trusted.json" \
  --impersonable "$impersonable" >"$auth_log" 2>&1 &
auth_pid=$!
trap 'cleanup; kill "$auth_pid" 2>/dev/null || true; rm -rf "$keys" "$auth_log"' EXIT
auth_endpoint=""
for _ in $(seq 1 100); do
  auth_endpoint=$(sed -n 's/^LocalCloud listening on //p' "$auth_log" | head -1)
  [ -n "$auth_endpoint" ] && break
  sleep 0.1
done
[ -n "$auth_endpoint" ] || { cat "$auth_log" >&2; echo "conformance: the --require-auth emulator did not start" >&2; exit 1; }
"$venv/bin/python" "$root/Tools/conformance/test_auth.py" "$auth_endpoint" "$keys/trusted.json" "$keys/other.json" \
  | tee -a "$results"
# google-auth's impersonated credentials (IAM Credentials generateAccessToken), then a storage client with them.
"$venv/bin/python" "$root/Tools/conformance/test_impersonation.py" "$auth_endpoint" "$keys/trusted.json" \
  "$impersonable" | tee -a "$results"
total=$(grep -c '^ok ' "$results")
rm -f "$results"
echo "conformance: $total passed, 0 failed"
