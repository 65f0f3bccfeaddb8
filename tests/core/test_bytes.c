/*
 * kvst__same_bytes (lib/internal.h), the inline comparison of keys, white
 * box: every length from 0 to 40 (across the 4-, 8- and 16-byte cases and
 * the memcmp beyond), both sides at every alignment within 8 bytes:
 * - equal bytes compare equal, with different bytes just before and just
 *   after the len bytes on either side (which must not be read as theirs);
 * - one byte changed at every position inside, on either side, in its
 *   lowest or highest bit, compares different.
 * The answer is checked against memcmp's.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "internal.h"

#define MAXLEN 40
#define ROOM (MAXLEN + 32)

int main(void)
{
    unsigned char a[ROOM], b[ROOM];
    size_t len, oa, ob, i, k;
    int bad = 0;

    for (len = 0; len <= MAXLEN; len++) {
        for (oa = 0; oa < 8; oa++) {
            for (ob = 0; ob < 8; ob++) {
                unsigned char *x = a + 8 + oa, *y = b + 8 + ob;
                /* the same text, different bytes around it */
                memset(a, 0xaa, sizeof a);
                memset(b, 0x55, sizeof b);
                for (i = 0; i < len; i++)
                    x[i] = y[i] = (unsigned char)('a' + (i * 7 + len) % 26);
                if (!kvst__same_bytes(x, y, len) || memcmp(x, y, len) != 0) {
                    fprintf(stderr, "len %zu at %zu/%zu: equal bytes differ\n", len, oa, ob);
                    bad++;
                }
                for (i = 0; i < len; i++) {
                    static const unsigned char flips[] = { 0x01, 0x80 };
                    for (k = 0; k < 2; k++) {
                        unsigned char *side = k ? y : x;
                        size_t f;
                        for (f = 0; f < sizeof flips; f++) {
                            side[i] ^= flips[f];
                            if (kvst__same_bytes(x, y, len) != (memcmp(x, y, len) == 0) ||
                                kvst__same_bytes(x, y, len)) {
                                fprintf(stderr, "len %zu at %zu/%zu: byte %zu of %s changed, "
                                        "still the same\n", len, oa, ob, i, k ? "b" : "a");
                                bad++;
                            }
                            side[i] ^= flips[f];
                        }
                    }
                }
            }
        }
    }
    CHECK_EQ(bad, 0);
    return check_done("test_bytes");
}
