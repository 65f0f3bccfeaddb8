/*
 * Internal: the structural scanning kernels of the fast lexer
 * (fastlex.c), chosen per parser at run time.
 *
 * Each kernel answers two questions over [s, end): where the plain run of
 * a string ends (the first '"', '\\', control byte below 0x20 or byte
 * from 0x80 on: UTF-8 is checked out of line), and where the first '"'
 * or '\\' is (the scanner, inside a string). Both return end when there
 * is none, never read at or past end, and give the same answer whatever
 * the alignment of s: the kernels differ only in speed.
 *
 *   portable  one byte at a time, every platform (the reference)
 *   sse2      16 bytes at a time, the x86-64 baseline
 *   avx2      32 bytes at a time, x86-64 CPUs that have AVX2
 *
 * kvst__scanner_choose() picks the fastest the CPU has, or the one named
 * by the environment variable KVSTRAIL_SCAN (portable, sse2 or avx2: read
 * when a parser is made; a name the CPU or build lacks, or any other
 * value, gets the fastest). The tables are constant: no global state.
 */
#ifndef KVST_SCAN_H
#define KVST_SCAN_H

typedef const unsigned char *(*kvst_scan_fn)(const unsigned char *s, const unsigned char *end);

typedef struct kvst_scanner {
    const char *name;
    kvst_scan_fn str_run;         /* end of a string's plain run */
    kvst_scan_fn quote_or_escape; /* first '"' or '\\' */
} kvst_scanner;

enum { KVST_SCAN_PORTABLE, KVST_SCAN_SSE2, KVST_SCAN_AVX2, KVST_SCAN_KINDS };

/* The kernel of a kind, or NULL when this build or CPU has not got it. */
const kvst_scanner *kvst__scanner(int kind);
/* The kernel a parser uses: want names one (NULL: the fastest). Never
 * NULL. */
const kvst_scanner *kvst__scanner_choose(const char *want);

/* The SSE2 kernel (scan.c; the AVX2 one ends with it), x86-64 only. */
const unsigned char *kvst__sse2_str_run(const unsigned char *s, const unsigned char *end);
const unsigned char *kvst__sse2_quote_or_escape(const unsigned char *s, const unsigned char *end);
/* The AVX2 kernel (scan_avx2.c), for kvst__scanner(). */
const unsigned char *kvst__avx2_str_run(const unsigned char *s, const unsigned char *end);
const unsigned char *kvst__avx2_quote_or_escape(const unsigned char *s, const unsigned char *end);

#endif /* KVST_SCAN_H */
