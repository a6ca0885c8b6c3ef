#ifndef BATCHLEDGER_CRC32C_H
#define BATCHLEDGER_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Continues a CRC-32C (Castagnoli) over `length` bytes. `crc` is the finished value of what came before (0 to
/// start); the result is the finished value including these bytes. Uses the CPU's CRC32 instruction where there
/// is one (SSE 4.2 on x86-64, the CRC extension on ARMv8), a table otherwise.
uint32_t batchledger_crc32c_update(uint32_t crc, const void *data, size_t length);

/// The same through the table alone, whatever the CPU; for tests that compare the two.
uint32_t batchledger_crc32c_update_portable(uint32_t crc, const void *data, size_t length);

/// Whether `batchledger_crc32c_update` uses the CPU's instruction.
int batchledger_crc32c_is_accelerated(void);

#endif
