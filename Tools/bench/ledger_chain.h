/* What both baselines of the ledger benchmark share: the clock, the time format of `recorded_at`, and the SHA-256
 * hashing per event in the layout of HashChain.swift (payload digest, global chain link, stream chain link). */
#ifndef LEDGER_CHAIN_H
#define LEDGER_CHAIN_H

#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put64(unsigned char **p, int64_t v) {
    uint64_t b = (uint64_t)v;
    for (int s = 56; s >= 0; s -= 8) *(*p)++ = (unsigned char)(b >> s);
}

static void putstr(unsigned char **p, const char *s, size_t n) {
    uint32_t c = (uint32_t)n;
    for (int s2 = 24; s2 >= 0; s2 -= 8) *(*p)++ = (unsigned char)(c >> s2);
    memcpy(*p, s, n);
    *p += n;
}

static void meta(unsigned char **p, const char *stream, int64_t version, const char *type, int64_t schema,
                 const char *at) {
    putstr(p, stream, strlen(stream));
    put64(p, version);
    putstr(p, type, strlen(type));
    put64(p, schema);
    putstr(p, at, strlen(at));
}

/* Now, as `recorded_at` spells it. */
static void rfc3339(char *out, size_t size) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm parts;
    time_t secs = tv.tv_sec;
    gmtime_r(&secs, &parts);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", parts.tm_year + 1900, parts.tm_mon + 1,
             parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, (long)tv.tv_usec);
}

/* One event's digests: `digest` of the payload, `hash` linking it after `prev` (the global chain's tail) as `seq`,
 * `stream_hash` linking it after `stream_prev` (its stream's last link). Schema version 1. */
static void chain_event(const unsigned char prev[32], const unsigned char stream_prev[32], int64_t seq,
                        const char *stream, int64_t version, const char *type, const char *at, const char *payload,
                        size_t n, unsigned char digest[32], unsigned char hash[32], unsigned char stream_hash[32]) {
    unsigned char buf[512], *p;
    SHA256((const unsigned char *)payload, n, digest);
    p = buf;
    memcpy(p, "BLG1", 4), p += 4;
    memcpy(p, prev, 32), p += 32;
    put64(&p, seq);
    meta(&p, stream, version, type, 1, at);
    memcpy(p, digest, 32), p += 32;
    SHA256(buf, p - buf, hash);
    p = buf;
    memcpy(p, "BLS1", 4), p += 4;
    memcpy(p, stream_prev, 32), p += 32;
    meta(&p, stream, version, type, 1, at);
    memcpy(p, digest, 32), p += 32;
    SHA256(buf, p - buf, stream_hash);
}

#endif
