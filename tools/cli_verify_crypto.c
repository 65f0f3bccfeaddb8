/* kvstrail verify: hashing, public keys and signatures (OpenSSL libcrypto). */
#include "cli_verify_crypto.h"

#include "cli_walk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <yajl/yajl_tree.h>
#include <zlib.h>

#define READ_BYTES (256u * 1024u)

/* ---- hashing -------------------------------------------------------------- */

struct hasher {
    EVP_MD_CTX *md;
    struct cli_buf *keep;
    size_t keep_max;
    struct cli_hash_result *res;
};

static int hash_bytes(struct hasher *h, const unsigned char *p, size_t n)
{
    if (n == 0)
        return 0;
    if (EVP_DigestUpdate(h->md, p, n) != 1)
        return -1;
    h->res->inflated += n;
    if (h->keep != NULL) {
        if (h->keep->len + n > h->keep_max) {
            h->res->err = EFBIG;
            return -1;
        }
        cli_buf_add(h->keep, (const char *)p, n);
    }
    return 0;
}

/* Inflate the first gzip member of the file, hashing what comes out; what
 * follows the member is counted, not hashed (CloudTrail's hash covers the
 * one member it wrote). */
static int hash_gzip(struct hasher *h, int fd, unsigned char *in, size_t have,
                     unsigned char *out)
{
    z_stream zs;
    int zrc = Z_OK, rc = 0;

    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return -1;
    zs.next_in = in;
    zs.avail_in = (uInt)have;
    for (;;) {
        if (zs.avail_in == 0) {
            ssize_t n = read(fd, in, READ_BYTES);
            if (n < 0) {
                h->res->err = errno;
                rc = -1;
                break;
            }
            if (n == 0) {
                h->res->gzip_error = 1; /* truncated member */
                rc = -1;
                break;
            }
            zs.next_in = in;
            zs.avail_in = (uInt)n;
        }
        zs.next_out = out;
        zs.avail_out = READ_BYTES;
        zrc = inflate(&zs, Z_NO_FLUSH);
        if (zrc != Z_OK && zrc != Z_STREAM_END) {
            h->res->gzip_error = 1;
            rc = -1;
            break;
        }
        if (hash_bytes(h, out, READ_BYTES - zs.avail_out) != 0) {
            rc = -1;
            break;
        }
        if (zrc == Z_STREAM_END) {
            ssize_t n;
            h->res->appended = zs.avail_in;
            while ((n = read(fd, in, READ_BYTES)) > 0)
                h->res->appended += (uint64_t)n;
            if (n < 0) {
                h->res->err = errno;
                rc = -1;
            }
            break;
        }
    }
    inflateEnd(&zs);
    return rc;
}

int cli_hash_file(const char *path, struct cli_hash_result *res, struct cli_buf *keep,
                  size_t keep_max)
{
    struct hasher h;
    unsigned char *in, *out;
    ssize_t n;
    int fd, rc = 0;

    memset(res, 0, sizeof *res);
    fd = open(path, O_RDONLY);
    if (fd < 0) {
        res->err = errno;
        return -1;
    }
    in = cli_xrealloc(NULL, 2 * READ_BYTES);
    out = in + READ_BYTES;
    h.md = EVP_MD_CTX_new();
    h.keep = keep;
    h.keep_max = keep_max;
    h.res = res;
    if (h.md == NULL || EVP_DigestInit_ex(h.md, EVP_sha256(), NULL) != 1) {
        res->err = ENOMEM;
        rc = -1;
    } else if ((n = read(fd, in, READ_BYTES)) < 0) {
        res->err = errno;
        rc = -1;
    } else if (n >= 2 && in[0] == 0x1f && in[1] == 0x8b) {
        rc = hash_gzip(&h, fd, in, (size_t)n, out);
    } else {
        /* A copy stored inflated: its bytes are what CloudTrail hashed. */
        while (rc == 0 && n > 0) {
            rc = hash_bytes(&h, in, (size_t)n);
            n = read(fd, in, READ_BYTES);
        }
        if (n < 0) {
            res->err = errno;
            rc = -1;
        }
    }
    if (rc == 0 && EVP_DigestFinal_ex(h.md, res->sha256, NULL) != 1)
        rc = -1;
    EVP_MD_CTX_free(h.md);
    free(in);
    close(fd);
    return rc;
}

void cli_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int unhex(const char *s, size_t len, unsigned char *out)
{
    size_t i;
    for (i = 0; i < len; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0)
            return -1;
        if (i % 2 == 0)
            out[i / 2] = (unsigned char)(v << 4);
        else
            out[i / 2] |= (unsigned char)v;
    }
    return 0;
}

/* ---- keys ------------------------------------------------------------------ */

#define NO_LIMIT_LO (-(1LL << 62))
#define NO_LIMIT_HI (1LL << 62)

struct cli_key {
    EVP_PKEY *pkey;
    /* Fingerprints it answers to: MD5 of the DER bytes it came as, and of
     * its PKCS#1 and SubjectPublicKeyInfo encodings (AWS never says which
     * one it hashes; the samples match the bytes of list-public-keys). */
    char fp[3][33];
    long long valid_from, valid_until; /* epoch seconds */
};

struct cli_keys {
    struct cli_key *items;
    size_t n;
};

struct cli_keys *cli_keys_new(void)
{
    struct cli_keys *k = cli_xrealloc(NULL, sizeof *k);
    memset(k, 0, sizeof *k);
    return k;
}

void cli_keys_free(struct cli_keys *k)
{
    size_t i;
    if (k == NULL)
        return;
    for (i = 0; i < k->n; i++)
        EVP_PKEY_free(k->items[i].pkey);
    free(k->items);
    free(k);
}

static void md5_hex(const unsigned char *p, size_t n, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    out[0] = '\0';
    if (EVP_Digest(p, n, md, &len, EVP_md5(), NULL) == 1 && len == 16)
        cli_hex(md, 16, out);
}

/* The MD5 of an encoding of pkey (i2d: i2d_PublicKey or i2d_PUBKEY). */
static void fingerprint_of(EVP_PKEY *pkey, int spki, char out[33])
{
    unsigned char *der = NULL;
    int n = spki ? i2d_PUBKEY(pkey, &der) : i2d_PublicKey(pkey, &der);
    out[0] = '\0';
    if (n > 0)
        md5_hex(der, (size_t)n, out);
    OPENSSL_free(der);
}

/* Decode one RSA public key from PEM or DER bytes (any structure). */
static EVP_PKEY *decode_key(const unsigned char *data, size_t len)
{
    EVP_PKEY *pkey = NULL;
    OSSL_DECODER_CTX *dc = OSSL_DECODER_CTX_new_for_pkey(&pkey, NULL, NULL, "RSA",
                                                         EVP_PKEY_PUBLIC_KEY, NULL, NULL);
    const unsigned char *p = data;
    size_t left = len;

    if (dc == NULL)
        return NULL;
    if (OSSL_DECODER_from_data(dc, &p, &left) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    OSSL_DECODER_CTX_free(dc);
    return pkey;
}

static void key_add(struct cli_keys *k, EVP_PKEY *pkey, const unsigned char *der, size_t der_len,
                    long long from, long long until)
{
    struct cli_key *key;

    k->items = cli_xrealloc(k->items, (k->n + 1) * sizeof *k->items);
    key = &k->items[k->n++];
    key->pkey = pkey;
    md5_hex(der, der_len, key->fp[0]);
    fingerprint_of(pkey, 0, key->fp[1]);
    fingerprint_of(pkey, 1, key->fp[2]);
    key->valid_from = from;
    key->valid_until = until;
}

/* "2015-08-12T19:12:03+00:00", "...Z", with or without fraction; or epoch
 * seconds as a number. -1 when it is neither. */
static int parse_validity(const yajl_val v, long long *out)
{
    int y, mo, d, h, mi, s, n = 0;
    const char *t;

    if (YAJL_IS_NUMBER(v)) {
        *out = (long long)YAJL_GET_DOUBLE(v);
        return 0;
    }
    if (!YAJL_IS_STRING(v))
        return -1;
    t = YAJL_GET_STRING(v);
    if (sscanf(t, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 ||
        n == 0)
        return -1;
    *out = cli_days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + s;
    t += n;
    while (*t == '.' || (*t >= '0' && *t <= '9'))
        t++;
    if ((t[0] == '+' || t[0] == '-') && strlen(t) >= 6) {
        long long off = ((t[1] - '0') * 10 + (t[2] - '0')) * 3600LL +
                        ((t[4] - '0') * 10 + (t[5] - '0')) * 60LL;
        *out += t[0] == '+' ? -off : off;
    }
    return 0;
}

static int load_key_list(struct cli_keys *k, yajl_val root, struct cli_buf *why)
{
    static const char *list_path[] = { "PublicKeyList", NULL };
    yajl_val list = yajl_tree_get(root, list_path, yajl_t_array);
    size_t i;
    int added = 0;

    if (list == NULL) {
        cli_buf_adds(why, "JSON without a PublicKeyList array");
        return -1;
    }
    for (i = 0; i < YAJL_GET_ARRAY(list)->len; i++) {
        static const char *value_path[] = { "Value", NULL };
        static const char *from_path[] = { "ValidityStartTime", NULL };
        static const char *until_path[] = { "ValidityEndTime", NULL };
        yajl_val item = YAJL_GET_ARRAY(list)->values[i];
        yajl_val value = yajl_tree_get(item, value_path, yajl_t_string);
        const char *b64 = value != NULL ? YAJL_GET_STRING(value) : NULL;
        long long from = NO_LIMIT_LO, until = NO_LIMIT_HI;
        unsigned char *der;
        size_t b64_len;
        int der_len;
        EVP_PKEY *pkey;

        if (b64 == NULL) {
            cli_buf_printf(why, "PublicKeyList[%lu] has no Value", (unsigned long)i);
            return -1;
        }
        b64_len = strlen(b64);
        der = cli_xrealloc(NULL, b64_len + 1);
        der_len = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)b64_len);
        /* EVP_DecodeBlock counts the padding as zero bytes: drop them. */
        while (der_len > 0 && b64_len > 0 && b64[b64_len - 1] == '=') {
            der_len--;
            b64_len--;
        }
        pkey = der_len > 0 ? decode_key(der, (size_t)der_len) : NULL;
        if (pkey == NULL) {
            free(der);
            cli_buf_printf(why, "PublicKeyList[%lu].Value is not an RSA public key",
                           (unsigned long)i);
            return -1;
        }
        if (yajl_tree_get(item, from_path, yajl_t_any) != NULL)
            parse_validity(yajl_tree_get(item, from_path, yajl_t_any), &from);
        if (yajl_tree_get(item, until_path, yajl_t_any) != NULL)
            parse_validity(yajl_tree_get(item, until_path, yajl_t_any), &until);
        key_add(k, pkey, der, (size_t)der_len, from, until);
        free(der);
        added++;
    }
    return added;
}

int cli_keys_load(struct cli_keys *k, const char *path, struct cli_buf *why)
{
    struct cli_buf data = CLI_BUF_INIT;
    char buf[65536];
    size_t n, i = 0;
    FILE *f = fopen(path, "rb");
    int rc = -1;

    if (f == NULL) {
        cli_buf_adds(why, strerror(errno));
        return -1;
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        cli_buf_add(&data, buf, n);
    if (ferror(f)) {
        cli_buf_adds(why, strerror(errno));
        fclose(f);
        cli_buf_free(&data);
        return -1;
    }
    fclose(f);
    cli_buf_addc(&data, '\0');
    while (i < data.len && (data.data[i] == ' ' || data.data[i] == '\n' || data.data[i] == '\r' ||
                            data.data[i] == '\t'))
        i++;
    if (i < data.len && data.data[i] == '{') {
        char err[256];
        yajl_val root = yajl_tree_parse(data.data, err, sizeof err);
        if (root == NULL)
            cli_buf_printf(why, "not valid JSON: %s", err);
        else
            rc = load_key_list(k, root, why);
        yajl_tree_free(root);
    } else {
        EVP_PKEY *pkey = decode_key((const unsigned char *)data.data, data.len - 1);
        if (pkey == NULL) {
            cli_buf_adds(why, "neither list-public-keys JSON nor a PEM or DER RSA public key");
        } else {
            unsigned char *der = NULL;
            int der_len = i2d_PublicKey(pkey, &der);
            key_add(k, pkey, der, der_len > 0 ? (size_t)der_len : 0, NO_LIMIT_LO, NO_LIMIT_HI);
            OPENSSL_free(der);
            rc = 1;
        }
    }
    cli_buf_free(&data);
    return rc;
}

static int key_answers(const struct cli_key *key, const char *fingerprint)
{
    size_t i;
    for (i = 0; i < 3; i++)
        if (key->fp[i][0] != '\0' && strcasecmp(key->fp[i], fingerprint) == 0)
            return 1;
    return 0;
}

int cli_keys_verify(const struct cli_keys *k, const char *fingerprint, long long at,
                    const char *msg, size_t msg_len, const char *sig_hex, size_t sig_len)
{
    const struct cli_key *pick = NULL;
    unsigned char *sig;
    EVP_MD_CTX *md;
    size_t i;
    int ok;

    /* Keys rotate: the one valid at the digest's end, else any that matches. */
    for (i = 0; i < k->n; i++) {
        const struct cli_key *key = &k->items[i];
        if (!key_answers(key, fingerprint))
            continue;
        if (pick == NULL || (at >= key->valid_from && at <= key->valid_until))
            pick = key;
    }
    if (pick == NULL)
        return -1;
    if (sig_len == 0 || sig_len % 2 != 0)
        return -2;
    sig = cli_xrealloc(NULL, sig_len / 2);
    if (unhex(sig_hex, sig_len, sig) != 0) {
        free(sig);
        return -2;
    }
    md = EVP_MD_CTX_new();
    ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pick->pkey) == 1 &&
         EVP_DigestVerify(md, sig, sig_len / 2, (const unsigned char *)msg, msg_len) == 1;
    EVP_MD_CTX_free(md);
    free(sig);
    return ok;
}

/* ---- the module's table -------------------------------------------------- */

__attribute__((visibility("default"))) const struct cli_crypto *kvstrail_cli_crypto(unsigned abi);

const struct cli_crypto *kvstrail_cli_crypto(unsigned abi)
{
    static const struct cli_crypto table = {
        CLI_CRYPTO_ABI, sizeof table, cli_hash_file, cli_hex,
        cli_keys_new, cli_keys_free, cli_keys_load, cli_keys_verify,
    };
    return abi == CLI_CRYPTO_ABI ? &table : NULL;
}
