# The PostgreSQL half of the ledger benchmark, sourced by Tools/bench/ledger.sh --backend postgres (which parsed
# the options and defined $ours, $work, median and report); not a script of its own.
#
# Each round creates a database bench_<random> through the URL's role, creates the ledger's schema in it
# (ledger-bench pg-init), runs one side's workload, verifies both chains (ledger-bench pg-verify) and drops it.

# A failure inside a round's $(...) ends the benchmark.
shopt -s inherit_errexit

pg_dir=
# The databases created so far, one a line; a benchmark stopped midway drops them on exit.
created="$work/databases"
: > "$created"
stop_postgres() {
  while read -r database; do
    psql "$url" -qAt -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  done < "$created"
  if [ -n "$pg_dir" ]; then
    as_postgres "'$pg_bin/pg_ctl' -D '$pg_dir/data' -m immediate stop" >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
  rm -rf "$work"
}
trap stop_postgres EXIT

# as_postgres COMMAND: a shell command as the cluster's owner (the postgres user when run as root).
as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}

if [ -z "$url" ]; then
  # A throw-away cluster, as .ci/run starts one: Debian's binaries, a temporary folder, a free loopback port,
  # trust authentication; room for the concurrent workload's connections.
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  test -x "$pg_bin/initdb" \
    || { echo "PostgreSQL's initdb is missing under /usr/lib/postgresql: give --url" >&2; exit 1; }
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/ledger-bench-pg.XXXXXX")
  [ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
  pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  max_connections=$((streams + 50))
  [ "$max_connections" -ge 100 ] || max_connections=100
  as_postgres "'$pg_bin/initdb' -D '$pg_dir/data' -A trust -U postgres" > "$pg_dir/initdb.log" 2>&1 \
    || { cat "$pg_dir/initdb.log" >&2; echo "initdb failed" >&2; exit 1; }
  as_postgres "'$pg_bin/pg_ctl' -D '$pg_dir/data' -l '$pg_dir/server.log' -w -t 60 start \
    -o \"-c listen_addresses=127.0.0.1 -p $pg_port -k '$pg_dir' -c max_connections=$max_connections\"" >/dev/null \
    || { cat "$pg_dir/server.log" >&2; echo "the benchmark's PostgreSQL cluster did not start" >&2; exit 1; }
  url="postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable"
  echo "PostgreSQL cluster for the benchmark on 127.0.0.1:$pg_port ($pg_dir)" >&2
fi
psql "$url" -qAt -c 'SELECT 1' >/dev/null || { echo "PostgreSQL does not answer at the --url given" >&2; exit 1; }

cc -O2 -I"$(pg_config --includedir)" -o "$work/ledger_pg_baseline" Tools/bench/ledger_pg_baseline.c \
  -lpq -lcrypto -lpthread
baseline="$work/ledger_pg_baseline"

# with_database URL NAME: URL naming database NAME instead (user, host, port, password and sslmode kept).
with_database() {
  python3 - "$1" "$2" <<'PY'
import sys, urllib.parse
parts = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(parts._replace(path="/" + sys.argv[2])))
PY
}

# run_pg SIDE WORKLOAD ARGS...: a fresh database each time; prints the seconds.
run_pg() {
  local side=$1; shift
  local workload=$1; shift
  local database="bench_$RANDOM$RANDOM"
  echo "$database" >> "$created"
  psql "$url" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE $database" >/dev/null
  local ledger
  ledger=$(with_database "$url" "$database")
  "$ours" pg-init "$ledger"
  local line
  if [ "$side" = c ]; then
    line=$("$baseline" "$workload" "$ledger" "$@")
  else
    line=$("$ours" "pg-$workload" "$ledger" "$@")
  fi
  echo "$line" >> "$work/lines"
  "$ours" pg-verify "$ledger" >/dev/null
  psql "$url" -qAt -v ON_ERROR_STOP=1 -c "DROP DATABASE $database WITH (FORCE)" >/dev/null
  echo "$line" | awk '{print $3}'
}

declare -a s_single c_single s_batch c_batch s_concurrent c_concurrent
for _ in $(seq "$rounds"); do
  t=$(run_pg swift single "$single"); s_single+=("$t")
  t=$(run_pg c single "$single"); c_single+=("$t")
  t=$(run_pg swift batched "$batches" 100); s_batch+=("$t")
  t=$(run_pg c batched "$batches" 100); c_batch+=("$t")
  t=$(run_pg swift concurrent "$streams" "$per_stream"); s_concurrent+=("$t")
  t=$(run_pg c concurrent "$streams" "$per_stream"); c_concurrent+=("$t")
done

settings=$(psql "$url" -qAt -F ' ' -c \
  "SELECT 'synchronous_commit=' || current_setting('synchronous_commit'), 'fsync=' || current_setting('fsync')")
echo "ledger benchmark (PostgreSQL $(psql "$url" -qAt -c 'SHOW server_version' | cut -d' ' -f1)):" \
  "median of $rounds rounds, $settings, same statements and hashing on both sides, every run verified"
report "(a) 1 event per transaction" "$single" "$(median "${s_single[@]}")" "$(median "${c_single[@]}")" 0.8
report "(b) 100 events per transaction" "$((batches * 100))" "$(median "${s_batch[@]}")" "$(median "${c_batch[@]}")" -
report "(d) $streams concurrent appenders" "$((streams * per_stream))" "$(median "${s_concurrent[@]}")" \
  "$(median "${c_concurrent[@]}")" 5
store=$(grep '^pg-concurrent ' "$work/lines" | tail -1 | grep -o 'store=[^ ]*' | cut -d= -f2)
echo "    ours appended through ${store:-?}; C through $streams connections, one transaction per event"
