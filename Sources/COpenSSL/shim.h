#ifndef BATCHLEDGER_COPENSSL_SHIM_H
#define BATCHLEDGER_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/rsa.h>
#include <openssl/crypto.h>
#endif
