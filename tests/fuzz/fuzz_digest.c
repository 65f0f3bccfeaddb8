/*
 * Fuzz target: digest files (KVST_FLAG_DIGESTS). The header picks the
 * options and chunk sizes as for fuzz_parser; every digest delivered is
 * checked (views, decoded hashes, log file list: fuzz_common.c), printed,
 * copied, and the one-chunk run must give the same digests.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_plan plan;
    fuzz_result res;
    const uint8_t *body;
    size_t len;

    fuzz_parse_input(data, size, KVST_FLAG_DIGESTS, &plan, &res, &body, &len);
    return 0;
}
