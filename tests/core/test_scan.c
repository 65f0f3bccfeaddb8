/*
 * The structural scanning kernels (lib/scan.c, lib/scan_avx2.c), white
 * box: every kernel this build and CPU have against a byte-at-a-time
 * reference written here, on edge blocks and random ones:
 * - every length from 0 to 3 blocks of the widest kernel, at every
 *   alignment of the start within 64 bytes;
 * - stop bytes ('"', '\\', control bytes, bytes from 0x80 for the
 *   plain-run search) at every position of such a block, alone and
 *   before another: four kinds at every alignment, thirteen at the
 *   alignments around 16-byte boundaries;
 * - a stop byte just past the end, which must not be seen (the buffer
 *   around it is readable, so only the answer tells);
 * - random bytes, with stop bytes rare and common.
 * And the choice: KVSTRAIL_SCAN names each kernel the CPU has, and an
 * unknown or missing name gets the fastest.
 */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h"
#include "scan.h"

/* The kernel a parser made with KVSTRAIL_SCAN=name (NULL: unset) uses. */
static const kvst_scanner *parser_kernel(const char *name)
{
    kvst_parser *p = NULL;
    const kvst_scanner *k;

    if (name)
        setenv("KVSTRAIL_SCAN", name, 1);
    else
        unsetenv("KVSTRAIL_SCAN");
    if (kvst_parser_new(NULL, &p) != 0)
        exit(2);
    k = p->scan;
    kvst_parser_free(p);
    unsetenv("KVSTRAIL_SCAN");
    return k;
}

static const unsigned char *ref_str_run(const unsigned char *s, const unsigned char *end)
{
    while (s < end && *s != '"' && *s != '\\' && *s >= 0x20 && *s < 0x80)
        s++;
    return s;
}

static const unsigned char *ref_quote_or_escape(const unsigned char *s, const unsigned char *end)
{
    while (s < end && *s != '"' && *s != '\\')
        s++;
    return s;
}

#define SPAN 96u  /* three blocks of the widest kernel */
#define ALIGN 64u
static unsigned char arena[ALIGN + SPAN + 64u] __attribute__((aligned(64)));
static long compared;

/* Both searches of kernel k over [s, s + n) against the reference. */
static void compare(const kvst_scanner *k, const unsigned char *s, size_t n, const char *what,
                    size_t pos)
{
    const unsigned char *end = s + n;
    const unsigned char *a = k->str_run(s, end), *b = ref_str_run(s, end);
    const unsigned char *c = k->quote_or_escape(s, end), *d = ref_quote_or_escape(s, end);

    compared++;
    if (a != b || c != d) {
        fprintf(stderr, "%s: %s at %zu, length %zu, alignment %u: str_run %td (want %td), "
                "quote_or_escape %td (want %td)\n", k->name, what, pos, n,
                (unsigned)((size_t)s % ALIGN), a - s, b - s, c - s, d - s);
        check_failures++;
    }
}

static void fill_plain(void)
{
    size_t i;
    for (i = 0; i < sizeof arena; i++)
        arena[i] = (unsigned char)('a' + i % 26);
}

static void test_kernel(const kvst_scanner *k)
{
    static const unsigned char stops[] = { '"', '\\', 0x1f, 0x80, 0x00, 0x01, 0x09, 0x0a,
                                           0x9f, 0xc3, 0xe2, 0xf0, 0xff };
    static const unsigned char near[] = { 0x20, 0x21, 0x7e, 0x7f, '/', 'u', '[', '{', '}' };
    size_t al, n, pos, j, nstops;
    unsigned x = 12345u;

    for (al = 0; al < ALIGN; al++) {
        unsigned char *s = arena + al;
        for (n = 0; n <= SPAN; n++) {
            fill_plain();
            compare(k, s, n, "no stop byte", 0);
            /* a stop byte just past the end is not seen */
            for (j = 0; j < sizeof stops; j++) {
                s[n] = stops[j];
                compare(k, s, n, "stop byte past the end", n);
            }
            s[n] = 'a';
            /* bytes next to the stop bytes stop nothing */
            for (j = 0; j < sizeof near; j++) {
                memset(s, near[j], n);
                compare(k, s, n, "near-stop bytes", 0);
            }
            fill_plain();
            /* every stop byte at a few alignments, the first four
             * ('"', '\\', a control byte) at all of them */
            nstops = (al % 16 == 0 || al % 16 == 1 || al % 16 == 15) ? sizeof stops : 4;
            for (pos = 0; pos < n; pos++)
                for (j = 0; j < nstops; j++) {
                    unsigned char keep = s[pos];
                    s[pos] = stops[j];
                    compare(k, s, n, "one stop byte", pos);
                    /* and a second, later one of the other kind */
                    if (pos + 7 < n) {
                        s[pos + 7] = stops[(j + 1) % sizeof stops];
                        compare(k, s, n, "two stop bytes", pos);
                        s[pos + 7] = 'a';
                    }
                    s[pos] = keep;
                }
        }
    }
    /* Random blocks, stop bytes one in 4 to one in 256. */
    for (j = 0; j < 20000; j++) {
        unsigned rare = 4u << (j % 7);
        unsigned char buf[300];
        size_t i, len, off;
        x = x * 1103515245u + 12345u;
        len = (x >> 8) % 257u;
        off = (x >> 20) % 40u;
        for (i = 0; i < sizeof buf; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (x >> 16) % rare == 0 ? (unsigned char)(x >> 24) : (unsigned char)('A' + (x >> 24) % 50);
        }
        compare(k, buf + off, len, "random", 0);
    }
}

int main(void)
{
    static const char *names[KVST_SCAN_KINDS] = { "portable", "sse2", "avx2" };
    int kind, have = 0;
    const kvst_scanner *best = kvst__scanner_choose(NULL), *last = NULL;

    for (kind = 0; kind < KVST_SCAN_KINDS; kind++) {
        const kvst_scanner *k = kvst__scanner(kind);
        if (!k) {
            fprintf(stderr, "%s: not on this build or CPU\n", names[kind]);
            CHECK(kind != KVST_SCAN_PORTABLE);
            continue;
        }
        have++;
        CHECK(strcmp(k->name, names[kind]) == 0);
        /* forcing it by name gets it, and a parser made then uses it */
        CHECK(kvst__scanner_choose(names[kind]) == k);
        CHECK(parser_kernel(names[kind]) == k);
        compared = 0;
        test_kernel(k);
        fprintf(stderr, "%s: %ld comparisons\n", k->name, compared);
        fflush(stderr);
        /* the default is the fastest there is: the last kind found */
        last = k;
    }
    CHECK(best == last);
#if defined(__x86_64__)
    CHECK(kvst__scanner(KVST_SCAN_SSE2) != NULL); /* the x86-64 baseline */
#endif
    CHECK(kvst__scanner_choose("no-such-kernel") == best);
    CHECK(kvst__scanner_choose("") == best);
    CHECK(parser_kernel(NULL) == best);
    CHECK(parser_kernel("AVX2") == best); /* names are exact */
    CHECK(kvst__scanner(-1) == NULL && kvst__scanner(KVST_SCAN_KINDS) == NULL);
    fprintf(stderr, "default kernel: %s, %d kernel(s) here\n", best->name, have);
    return check_done("scan");
}
