/* The PostgreSQL baseline of the ledger benchmark: the workloads of `ledger-bench pg-*`, written directly against
 * libpq and libcrypto, doing per append what a writer without group commit does, statement for statement: BEGIN;
 * the append lock (pg_advisory_xact_lock); the stream's head; the chain's tail; per event the payload digest and both
 * chain links (SHA-256, the layout of HashChain.swift) and one INSERT; COMMIT. Every statement goes through the
 * extended protocol with typed binary parameters and binary results, as PostgresNIO sends them, and the session
 * works as the writer role, as the ledger's connection does.
 *
 *   ledger_pg_baseline single URL N | batched URL B K | concurrent URL S N
 * prints `<workload> <events> <seconds>` like ledger-bench. URL (postgres://USER@HOST:PORT/DB) must hold a ledger
 * made by `ledger-bench pg-init`. `concurrent` runs S threads, each on a connection of its own, appending N events
 * to a stream of its own, one transaction per event.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_chain.h"

/* PostgreSQL's type OIDs (pg_type.h), as PostgresNIO declares its parameters. */
#define BYTEAOID 17
#define INT8OID 20
#define TEXTOID 25

/* PostgresSchema.appendLockKey. */
static const int64_t append_lock_key = 0x424C475200000002LL;

static const char *writer_role = "batchledger_writer";

static void die(PGconn *db, const char *what) {
    fprintf(stderr, "ledger_pg_baseline: %s: %s\n", what, db ? PQerrorMessage(db) : "");
    exit(1);
}

static int64_t get64(const char *bytes) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | (unsigned char)bytes[i];
    return (int64_t)v;
}

/* A session on the ledger as the writer role (set by a startup parameter). */
static PGconn *connect_ledger(const char *url) {
    const char *keys[] = {"dbname", "options", NULL};
    char options[64];
    snprintf(options, sizeof options, "-c role=%s", writer_role);
    const char *values[] = {url, options, NULL};
    PGconn *db = PQconnectdbParams(keys, values, 1);
    if (PQstatus(db) != CONNECTION_OK) die(db, "connect");
    return db;
}

/* One statement with binary parameters and binary results; the result when it returned `expected`. */
static PGresult *run(PGconn *db, const char *sql, int count, const Oid *types, const char *const *values,
                     const int *lengths, ExecStatusType expected, const char *what) {
    static const int binary[11] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    PGresult *result = PQexecParams(db, sql, count, types, values, lengths, binary, 1);
    if (PQresultStatus(result) != expected) die(db, what);
    return result;
}

static void command(PGconn *db, const char *sql, const char *what) {
    PQclear(run(db, sql, 0, NULL, NULL, NULL, PGRES_COMMAND_OK, what));
}

/* One transaction appending `count` events to `stream`, one INSERT per event. `index` is the first payload's
 * number, then each next event's is `step` further. */
static void append(PGconn *db, const char *stream, int count, int64_t index, int64_t step) {
    static const char *type = "JobPolled";
    char at[96];
    rfc3339(at, sizeof at);
    command(db, "BEGIN;", "begin");

    unsigned char key[8], *kp = key;
    put64(&kp, append_lock_key);
    const Oid lock_types[] = {INT8OID};
    const char *lock_values[] = {(const char *)key};
    const int lock_lengths[] = {8};
    PQclear(run(db, "SELECT pg_advisory_xact_lock($1)", 1, lock_types, lock_values, lock_lengths, PGRES_TUPLES_OK,
                "lock appends"));

    int64_t version = 0, seq = 0;
    unsigned char stream_hash[32] = {0}, prev[32] = {0};
    const Oid head_types[] = {TEXTOID};
    const char *head_values[] = {stream};
    const int head_lengths[] = {(int)strlen(stream)};
    PGresult *head = run(db, "SELECT version, stream_hash FROM events WHERE stream = $1 ORDER BY version DESC LIMIT 1",
                         1, head_types, head_values, head_lengths, PGRES_TUPLES_OK, "read the stream head");
    if (PQntuples(head) == 1) {
        version = get64(PQgetvalue(head, 0, 0));
        memcpy(stream_hash, PQgetvalue(head, 0, 1), 32);
    }
    PQclear(head);
    PGresult *tail = run(db, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", 0, NULL, NULL, NULL,
                         PGRES_TUPLES_OK, "read the chain tail");
    if (PQntuples(tail) == 1) {
        seq = get64(PQgetvalue(tail, 0, 0));
        memcpy(prev, PQgetvalue(tail, 0, 1), 32);
    }
    PQclear(tail);

    for (int e = 0; e < count; e++, index += step) {
        char payload[512];
        int n = snprintf(payload, sizeof payload,
                         "{\"attempt\":1,\"i\":%lld,\"jobName\":\"projects/bench/locations/us-central1/jobs/"
                         "gcp-batch-runner-scrape-environment-info-a1\",\"newStatusEvents\":[],\"state\":\"RUNNING\","
                         "\"task\":\"scrape_environment_info\"}",
                         (long long)index);
        seq++;
        version++;
        unsigned char digest[32], hash[32], shash[32];
        chain_event(prev, stream_hash, seq, stream, version, type, at, payload, n, digest, hash, shash);

        unsigned char seq_bytes[8], version_bytes[8], schema_bytes[8], *q;
        q = seq_bytes, put64(&q, seq);
        q = version_bytes, put64(&q, version);
        q = schema_bytes, put64(&q, 1);
        const Oid types[] = {INT8OID, TEXTOID, INT8OID, TEXTOID, INT8OID, TEXTOID,
                             BYTEAOID, BYTEAOID, BYTEAOID, BYTEAOID, BYTEAOID};
        const char *values[] = {(const char *)seq_bytes, stream, (const char *)version_bytes, type,
                                (const char *)schema_bytes, at, payload, (const char *)digest, (const char *)prev,
                                (const char *)hash, (const char *)shash};
        const int lengths[] = {8, (int)strlen(stream), 8, (int)strlen(type), 8, (int)strlen(at), n, 32, 32, 32, 32};
        PQclear(run(db,
                    "INSERT INTO events(seq, stream, version, type, schema_version, recorded_at, payload, "
                    "payload_sha256,\n                   prev_hash, hash, stream_hash)\nVALUES ($1, $2, $3, $4, $5,\n"
                    "        $6, $7, $8,\n        $9, $10,\n        $11)",
                    11, types, values, lengths, PGRES_COMMAND_OK, "insert"));
        memcpy(prev, hash, 32);
        memcpy(stream_hash, shash, 32);
    }
    command(db, "COMMIT;", "commit");
}

struct appender {
    PGconn *db;
    char stream[32];
    int stream_index, streams, events;
    pthread_barrier_t *start;
};

static void *append_stream(void *argument) {
    struct appender *a = argument;
    pthread_barrier_wait(a->start);
    /* The same payloads as ledger-bench's: event i of stream s carries i * S + s. */
    for (int i = 0; i < a->events; i++) append(a->db, a->stream, 1, (int64_t)i * a->streams + a->stream_index, 0);
    return NULL;
}

static int positive(const char *text) {
    int value = atoi(text);
    if (value <= 0) {
        fprintf(stderr, "ledger_pg_baseline: '%s' is not a positive integer\n", text);
        exit(2);
    }
    return value;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: ledger_pg_baseline single URL N | batched URL B K | concurrent URL S N\n");
        return 2;
    }
    const char *workload = argv[1], *url = argv[2];
    long long events = 0;
    double elapsed;
    if (!strcmp(workload, "single") && argc == 4) {
        int n = positive(argv[3]);
        PGconn *db = connect_ledger(url);
        double start = now();
        for (int i = 0; i < n; i++) append(db, "bench", 1, i, 1);
        elapsed = now() - start;
        events = n;
        PQfinish(db);
    } else if (!strcmp(workload, "batched") && argc == 5) {
        int b = positive(argv[3]), k = positive(argv[4]);
        PGconn *db = connect_ledger(url);
        double start = now();
        for (int i = 0; i < b; i++) append(db, "bench", k, (int64_t)i * k, 1);
        elapsed = now() - start;
        events = (long long)b * k;
        PQfinish(db);
    } else if (!strcmp(workload, "concurrent") && argc == 5) {
        int streams = positive(argv[3]), n = positive(argv[4]);
        struct appender *appenders = calloc(streams, sizeof *appenders);
        pthread_t *threads = calloc(streams, sizeof *threads);
        pthread_barrier_t start_line;
        pthread_barrier_init(&start_line, NULL, streams + 1);
        for (int s = 0; s < streams; s++) {
            appenders[s].db = connect_ledger(url);
            snprintf(appenders[s].stream, sizeof appenders[s].stream, "bench-%d", s);
            appenders[s].stream_index = s;
            appenders[s].streams = streams;
            appenders[s].events = n;
            appenders[s].start = &start_line;
            if (pthread_create(&threads[s], NULL, append_stream, &appenders[s])) die(NULL, "start a thread");
        }
        double start = now();
        pthread_barrier_wait(&start_line);
        for (int s = 0; s < streams; s++) pthread_join(threads[s], NULL);
        elapsed = now() - start;
        events = (long long)streams * n;
        for (int s = 0; s < streams; s++) PQfinish(appenders[s].db);
        pthread_barrier_destroy(&start_line);
        free(appenders);
        free(threads);
    } else {
        fprintf(stderr, "ledger_pg_baseline: unknown workload or wrong arguments\n");
        return 2;
    }
    printf("%s %lld %f\n", workload, events, elapsed);
    return 0;
}
