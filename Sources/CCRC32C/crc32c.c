#include "crc32c.h"

#include <pthread.h>
#include <string.h>

// Slicing-by-8 tables for the reflected polynomial 0x82F63B78, built once.
static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_table(void) {
    for (uint32_t byte = 0; byte < 256; byte++) {
        uint32_t crc = byte;
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        table[0][byte] = crc;
    }
    for (uint32_t byte = 0; byte < 256; byte++) {
        uint32_t crc = table[0][byte];
        for (int slice = 1; slice < 8; slice++) {
            crc = table[0][crc & 0xff] ^ (crc >> 8);
            table[slice][byte] = crc;
        }
    }
}

uint32_t batchledger_crc32c_update_portable(uint32_t crc, const void *data, size_t length) {
    pthread_once(&table_once, build_table);
    const unsigned char *bytes = data;
    uint32_t state = ~crc;
    while (length >= 8) {
        uint32_t low, high;
        memcpy(&low, bytes, 4);
        memcpy(&high, bytes + 4, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        low = __builtin_bswap32(low);
        high = __builtin_bswap32(high);
#endif
        low ^= state;
        state = table[7][low & 0xff] ^ table[6][(low >> 8) & 0xff] ^ table[5][(low >> 16) & 0xff] ^
                table[4][low >> 24] ^ table[3][high & 0xff] ^ table[2][(high >> 8) & 0xff] ^
                table[1][(high >> 16) & 0xff] ^ table[0][high >> 24];
        bytes += 8;
        length -= 8;
    }
    while (length--) {
        state = table[0][(state ^ *bytes++) & 0xff] ^ (state >> 8);
    }
    return ~state;
}

#if defined(__x86_64__)

__attribute__((target("sse4.2"))) static uint32_t update_hardware(uint32_t crc, const void *data, size_t length) {
    const unsigned char *bytes = data;
    uint64_t state = ~crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        state = __builtin_ia32_crc32di(state, word);
        bytes += 8;
        length -= 8;
    }
    uint32_t narrow = (uint32_t)state;
    while (length--) {
        narrow = __builtin_ia32_crc32qi(narrow, *bytes++);
    }
    return ~narrow;
}

int batchledger_crc32c_is_accelerated(void) {
    return __builtin_cpu_supports("sse4.2");
}

#elif defined(__aarch64__) && defined(__linux__)

#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif

__attribute__((target("crc"))) static uint32_t update_hardware(uint32_t crc, const void *data, size_t length) {
    const unsigned char *bytes = data;
    uint32_t state = ~crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        state = __builtin_arm_crc32cd(state, word);
        bytes += 8;
        length -= 8;
    }
    while (length--) {
        state = __builtin_arm_crc32cb(state, *bytes++);
    }
    return ~state;
}

int batchledger_crc32c_is_accelerated(void) {
    return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
}

#else

static uint32_t update_hardware(uint32_t crc, const void *data, size_t length) {
    return batchledger_crc32c_update_portable(crc, data, length);
}

int batchledger_crc32c_is_accelerated(void) {
    return 0;
}

#endif

uint32_t batchledger_crc32c_update(uint32_t crc, const void *data, size_t length) {
    static int accelerated = -1;
    int use = __atomic_load_n(&accelerated, __ATOMIC_RELAXED);
    if (use < 0) {
        use = batchledger_crc32c_is_accelerated();
        __atomic_store_n(&accelerated, use, __ATOMIC_RELAXED);
    }
    return use ? update_hardware(crc, data, length) : batchledger_crc32c_update_portable(crc, data, length);
}
