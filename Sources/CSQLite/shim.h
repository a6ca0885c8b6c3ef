#ifndef BATCHLEDGER_CSQLITE_SHIM_H
#define BATCHLEDGER_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
