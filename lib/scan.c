/*
 * The structural scanning kernels and their choice (see scan.h): the
 * portable one here, SSE2 in scan_sse2.c, AVX2 in scan_avx2.c.
 */
#include "scan.h"

#include <stddef.h>
#include <string.h>


/* Bytes that end the plain run of a string: '"', '\\', controls and
 * everything from 0x80. */
static const unsigned char str_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
};

/* ---- portable: a byte at a time ---- */

static const unsigned char *portable_str_run(const unsigned char *s, const unsigned char *end)
{
    while (s < end && !str_stop[*s])
        s++;
    return s;
}

static const unsigned char *portable_quote_or_escape(const unsigned char *s,
                                                     const unsigned char *end)
{
    while (s < end && *s != '"' && *s != '\\')
        s++;
    return s;
}

/* ---- the choice ---- */

static const kvst_scanner scanners[KVST_SCAN_KINDS] = {
    { "portable", portable_str_run, portable_quote_or_escape },
#if defined(KVST_HAVE_SSE2_KERNEL)
    { "sse2", kvst__sse2_str_run, kvst__sse2_quote_or_escape },
#else
    { "sse2", NULL, NULL },
#endif
#if defined(KVST_HAVE_AVX2_KERNEL)
    { "avx2", kvst__avx2_str_run, kvst__avx2_quote_or_escape },
#else
    { "avx2", NULL, NULL },
#endif
};

/* 1 when the CPU runs this kind (the build has it). */
static int cpu_has(int kind)
{
    if (!scanners[kind].str_run)
        return 0;
#if defined(KVST_HAVE_AVX2_KERNEL)
    if (kind == KVST_SCAN_AVX2) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") != 0;
    }
#endif
    return 1;
}

const kvst_scanner *kvst__scanner(int kind)
{
    if (kind < 0 || kind >= KVST_SCAN_KINDS || !cpu_has(kind))
        return NULL;
    return &scanners[kind];
}

const kvst_scanner *kvst__scanner_choose(const char *want)
{
    int k;

    if (want)
        for (k = 0; k < KVST_SCAN_KINDS; k++)
            if (strcmp(want, scanners[k].name) == 0 && cpu_has(k))
                return &scanners[k];
    for (k = KVST_SCAN_KINDS - 1; k > 0; k--)
        if (cpu_has(k))
            return &scanners[k];
    return &scanners[KVST_SCAN_PORTABLE];
}
