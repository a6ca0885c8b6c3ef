/* The baseline of the ledger benchmark: the same three workloads as `ledger-bench`, written directly against
 * libsqlite3 and libcrypto with the same pragmas, the same SQL, the same payload bytes and the same SHA-256
 * hashing per event (payload digest, global chain link, stream chain link).
 *
 *   ledger_baseline single PATH N | batched PATH B K | concurrent PATH S N | scan PATH
 * prints `<workload> <events> <seconds>` like ledger-bench. PATH must hold a ledger made by `ledger-bench init`.
 * `concurrent` is the plain answer to S streams appending at once: one durable transaction per event, taking
 * the S streams in turn, N events each (what a writer without group commit does).
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_chain.h"

static void die(sqlite3 *db, const char *what) {
    fprintf(stderr, "ledger_baseline: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
    exit(1);
}

static sqlite3 *open_ledger(const char *path) {
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) die(db, "open");
    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", 0, 0, 0))
        die(db, "pragmas");
    return db;
}

/* One transaction appending `count` events to `stream`, exactly as EventStore.append does. */
static void append(sqlite3 *db, sqlite3_stmt *head, sqlite3_stmt *last, sqlite3_stmt *insert, const char *stream,
                   int count, int64_t *index) {
    static const char *type = "JobPolled";
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0)) die(db, "begin");
    char at[96];
    rfc3339(at, sizeof at);
    int64_t version = 0, seq = 0;
    unsigned char stream_hash[32] = {0}, prev[32] = {0};
    sqlite3_reset(head);
    sqlite3_bind_text(head, 1, stream, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(head) == SQLITE_ROW) {
        version = sqlite3_column_int64(head, 0);
        memcpy(stream_hash, sqlite3_column_blob(head, 1), 32);
    }
    sqlite3_reset(head);
    sqlite3_reset(last);
    if (sqlite3_step(last) == SQLITE_ROW) {
        seq = sqlite3_column_int64(last, 0);
        memcpy(prev, sqlite3_column_blob(last, 1), 32);
    }
    sqlite3_reset(last);
    for (int e = 0; e < count; e++) {
        char payload[512];
        int n = snprintf(payload, sizeof payload,
                         "{\"attempt\":1,\"i\":%lld,\"jobName\":\"projects/bench/locations/us-central1/jobs/"
                         "gcp-batch-runner-scrape-environment-info-a1\",\"newStatusEvents\":[],\"state\":\"RUNNING\","
                         "\"task\":\"scrape_environment_info\"}",
                         (long long)(*index)++);
        seq++;
        version++;
        unsigned char digest[32], hash[32], shash[32];
        chain_event(prev, stream_hash, seq, stream, version, type, at, payload, n, digest, hash, shash);
        sqlite3_reset(insert);
        sqlite3_bind_int64(insert, 1, seq);
        sqlite3_bind_text(insert, 2, stream, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert, 3, version);
        sqlite3_bind_text(insert, 4, type, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert, 5, 1);
        sqlite3_bind_text(insert, 6, at, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(insert, 7, payload, n, SQLITE_TRANSIENT);
        sqlite3_bind_blob(insert, 8, digest, 32, SQLITE_TRANSIENT);
        sqlite3_bind_blob(insert, 9, prev, 32, SQLITE_TRANSIENT);
        sqlite3_bind_blob(insert, 10, hash, 32, SQLITE_TRANSIENT);
        sqlite3_bind_blob(insert, 11, shash, 32, SQLITE_TRANSIENT);
        if (sqlite3_step(insert) != SQLITE_DONE) die(db, "insert");
        memcpy(prev, hash, 32);
        memcpy(stream_hash, shash, 32);
    }
    if (sqlite3_exec(db, "COMMIT", 0, 0, 0)) die(db, "commit");
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: ledger_baseline single PATH N | batched PATH B K | concurrent PATH S N | scan PATH\n");
        return 2;
    }
    sqlite3 *db = open_ledger(argv[2]);
    if (!strcmp(argv[1], "scan")) {
        sqlite3_stmt *all;
        if (sqlite3_prepare_v2(db,
                               "SELECT seq, stream, version, type, schema_version, recorded_at, payload, "
                               "payload_sha256, prev_hash, hash, stream_hash FROM events WHERE seq > ? AND seq <= ? "
                               "ORDER BY seq",
                               -1, &all, 0))
            die(db, "prepare");
        sqlite3_bind_int64(all, 1, 0);
        sqlite3_bind_int64(all, 2, INT64_MAX);
        double start = now();
        long long events = 0, bytes = 0, polled = 0;
        char *copy = malloc(1 << 16);
        while (sqlite3_step(all) == SQLITE_ROW) {
            /* Materialise every column, as the Swift reader builds a RecordedEvent. */
            for (int c = 1; c <= 10; c++) {
                if (c == 2 || c == 4) continue;
                int n = sqlite3_column_bytes(all, c);
                memcpy(copy, sqlite3_column_blob(all, c), n);
            }
            if (!strcmp((const char *)sqlite3_column_text(all, 3), "JobPolled")) polled++;
            bytes += sqlite3_column_bytes(all, 6);
            events++;
        }
        printf("scan %lld %f bytes=%lld polled=%lld\n", events, now() - start, bytes, polled);
        free(copy);
        sqlite3_finalize(all);
    } else {
        sqlite3_stmt *head, *last, *insert;
        if (sqlite3_prepare_v2(db, "SELECT version, stream_hash FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1", -1, &head, 0) ||
            sqlite3_prepare_v2(db, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", -1, &last, 0) ||
            sqlite3_prepare_v2(db,
                               "INSERT INTO events(seq, stream, version, type, schema_version, recorded_at, payload, "
                               "payload_sha256, prev_hash, hash, stream_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                               -1, &insert, 0))
            die(db, "prepare");
        int64_t index = 0;
        double start = now();
        if (!strcmp(argv[1], "single") && argc == 4) {
            int n = atoi(argv[3]);
            for (int i = 0; i < n; i++) append(db, head, last, insert, "bench", 1, &index);
        } else if (!strcmp(argv[1], "batched") && argc == 5) {
            int b = atoi(argv[3]), k = atoi(argv[4]);
            for (int i = 0; i < b; i++) append(db, head, last, insert, "bench", k, &index);
        } else if (!strcmp(argv[1], "concurrent") && argc == 5) {
            int streams = atoi(argv[3]), n = atoi(argv[4]);
            char stream[32];
            for (int i = 0; i < n; i++) {
                for (int s = 0; s < streams; s++) {
                    snprintf(stream, sizeof stream, "bench-%d", s);
                    append(db, head, last, insert, stream, 1, &index);
                }
            }
        } else {
            fprintf(stderr, "ledger_baseline: unknown workload\n");
            return 2;
        }
        printf("%s %lld %f\n", argv[1], (long long)index, now() - start);
        sqlite3_finalize(head);
        sqlite3_finalize(last);
        sqlite3_finalize(insert);
    }
    sqlite3_close(db);
    return 0;
}
