/*
 * kvstrail verify: the crypto, from OpenSSL's libcrypto (never written by
 * hand): SHA-256 of a file's inflated bytes, streamed in bounded memory;
 * CloudTrail's public keys and their fingerprints; RSA PKCS#1 v1.5 with
 * SHA-256 signatures over a digest's signing string.
 *
 * This file is built as a module of its own, kvstrail-verify-crypto.so,
 * which `kvstrail verify` loads when it starts (cli_crypto_open below), so
 * that the other commands never map libcrypto: linked into the program, it
 * cost every `kvstrail stats` 1.6 MiB of its peak RSS (docs/performance.md).
 * The program reaches the functions below only through struct cli_crypto.
 */
#ifndef KVSTRAIL_CLI_VERIFY_CRYPTO_H
#define KVSTRAIL_CLI_VERIFY_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "cli_buf.h"

/* What reading a file gave. */
struct cli_hash_result {
    int err;                 /* 0, or an errno (open/read) */
    int gzip_error;          /* 1: not a valid gzip member (zlib said so) */
    unsigned char sha256[32];/* of the inflated bytes of the first member
                                (of the bytes themselves when not gzip) */
    uint64_t inflated;       /* bytes hashed */
    uint64_t appended;       /* bytes after the first gzip member */
};

/*
 * Hash the file at path. When keep is not NULL the hashed bytes are also
 * appended to it (up to keep_max bytes; more sets err to EFBIG), for
 * digests, which are parsed after hashing. Returns 0 when the bytes were
 * hashed, else -1 with res->err or res->gzip_error set.
 */
int cli_hash_file(const char *path, struct cli_hash_result *res, struct cli_buf *keep,
                  size_t keep_max);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void cli_hex(const unsigned char *in, size_t n, char *out);

/* A set of public keys (opaque). */
struct cli_keys;

struct cli_keys *cli_keys_new(void);
void cli_keys_free(struct cli_keys *k);

/*
 * Add the keys of a file: the JSON of `aws cloudtrail list-public-keys`
 * ({"PublicKeyList":[{"Value": base64 DER, "ValidityStartTime",
 * "ValidityEndTime", "Fingerprint"}]}), or one key as PEM or DER
 * (SubjectPublicKeyInfo or PKCS#1). Returns the number of keys added, or
 * -1 with a message in *why.
 */
int cli_keys_load(struct cli_keys *k, const char *path, struct cli_buf *why);

/*
 * Verify an RSA PKCS#1 v1.5 SHA-256 signature (hex) over msg with the key
 * whose fingerprint (hex MD5 of its DER bytes, any case) is fingerprint and
 * whose validity covers at (epoch seconds). Returns 1 valid, 0 invalid, -1
 * no such key, -2 signature not hex.
 */
int cli_keys_verify(const struct cli_keys *k, const char *fingerprint, long long at,
                    const char *msg, size_t msg_len, const char *sig_hex, size_t sig_len);

/*
 * The module's table. CLI_CRYPTO_ABI changes whenever this struct, struct
 * cli_hash_result or struct cli_buf changes, so that a program and a
 * module of different builds refuse each other instead of misreading.
 */
#define CLI_CRYPTO_ABI 1u
#define CLI_CRYPTO_ENTRY "kvstrail_cli_crypto"
#define CLI_CRYPTO_MODULE "kvstrail-verify-crypto.so"

struct cli_crypto {
    unsigned abi;
    size_t size; /* sizeof (struct cli_crypto) */
    int (*hash_file)(const char *path, struct cli_hash_result *res, struct cli_buf *keep,
                     size_t keep_max);
    void (*hex)(const unsigned char *in, size_t n, char *out);
    struct cli_keys *(*keys_new)(void);
    void (*keys_free)(struct cli_keys *k);
    int (*keys_load)(struct cli_keys *k, const char *path, struct cli_buf *why);
    int (*keys_verify)(const struct cli_keys *k, const char *fingerprint, long long at,
                       const char *msg, size_t msg_len, const char *sig_hex, size_t sig_len);
};

/* The module's one exported symbol (CLI_CRYPTO_ENTRY): its table, or NULL
 * when abi is not the one it was built with. */
typedef const struct cli_crypto *(*cli_crypto_entry)(unsigned abi);

/*
 * In the program (cli_verify_load.c): load the module, once, and return its
 * table; NULL with a message in *why (the paths tried and the loader's
 * error) when it cannot be loaded. Looked for beside the program first (the
 * build tree), then in the directory it was installed to (KVST_MODULE_DIR).
 */
const struct cli_crypto *cli_crypto_open(struct cli_buf *why);

#endif /* KVSTRAIL_CLI_VERIFY_CRYPTO_H */
