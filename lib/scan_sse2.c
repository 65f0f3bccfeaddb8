/*
 * The SSE2 structural scanning kernel (see scan.h): 16 bytes at a time,
 * the last ones a byte at a time. The x86-64 baseline; the AVX2 kernel
 * ends with it.
 */
#include "scan.h"

#include <emmintrin.h>

const unsigned char *kvst__sse2_str_run(const unsigned char *s, const unsigned char *end)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);

    while (end - s >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash));
        int bits;
        /* signed: bytes from 0x80 compare below 0x20 as well */
        m = _mm_or_si128(m, _mm_cmplt_epi8(v, space));
        bits = _mm_movemask_epi8(m);
        if (bits)
            return s + __builtin_ctz((unsigned)bits);
        s += 16;
    }
    while (s < end && *s != '"' && *s != '\\' && *s >= 0x20 && *s < 0x80)
        s++;
    return s;
}

const unsigned char *kvst__sse2_quote_or_escape(const unsigned char *s,
                                                const unsigned char *end)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');

    while (end - s >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
        int bits = _mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)));
        if (bits)
            return s + __builtin_ctz((unsigned)bits);
        s += 16;
    }
    while (s < end && *s != '"' && *s != '\\')
        s++;
    return s;
}

