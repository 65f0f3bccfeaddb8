/*
 * The AVX2 structural scanning kernel (see scan.h): 32 bytes at a time,
 * compiled for AVX2 whatever the build's baseline, and only called once
 * kvst__scanner() has seen the CPU has it. The last bytes go to the SSE2
 * kernel (16 at a time, then one), so nothing is read past end.
 */
#include "scan.h"

#include <immintrin.h>

#define KVST_AVX2 __attribute__((target("avx2")))

KVST_AVX2 const unsigned char *kvst__avx2_str_run(const unsigned char *s, const unsigned char *end)
{
    const __m256i quote = _mm256_set1_epi8('"'), bslash = _mm256_set1_epi8('\\');
    /* signed compare: 0x80..0xff are negative, so below 0x20 as well */
    const __m256i space = _mm256_set1_epi8(0x20);

    while (end - s >= 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)s);
        __m256i m = _mm256_or_si256(_mm256_cmpeq_epi8(v, quote), _mm256_cmpeq_epi8(v, bslash));
        unsigned bits;
        m = _mm256_or_si256(m, _mm256_cmpgt_epi8(space, v));
        bits = (unsigned)_mm256_movemask_epi8(m);
        if (bits)
            return s + __builtin_ctz(bits);
        s += 32;
    }
    return kvst__sse2_str_run(s, end); /* below 32 bytes left */
}

KVST_AVX2 const unsigned char *kvst__avx2_quote_or_escape(const unsigned char *s,
                                                          const unsigned char *end)
{
    const __m256i quote = _mm256_set1_epi8('"'), bslash = _mm256_set1_epi8('\\');

    while (end - s >= 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)s);
        unsigned bits = (unsigned)_mm256_movemask_epi8(
            _mm256_or_si256(_mm256_cmpeq_epi8(v, quote), _mm256_cmpeq_epi8(v, bslash)));
        if (bits)
            return s + __builtin_ctz(bits);
        s += 32;
    }
    return kvst__sse2_quote_or_escape(s, end);
}
