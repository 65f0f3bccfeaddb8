/*
 * Fuzz target: the fast lexer (lib/fastlex.c) against yajl alone. The
 * header chooses the options and chunk sizes as for fuzz_parser; the body
 * is parsed with the fast lexer on, then off, and the two runs must give
 * the same events, status and error offset. Failed allocations are not
 * injected: the two paths allocate differently, and each is checked for
 * that by the other targets.
 */
#include "fuzz_common.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_plan plan;
    fuzz_result fast, slow;

    if (size < FUZZ_HEADER_LEN)
        return 0;
    fuzz_plan_from_header(data, &plan);
    plan.fail_alloc = 0;
    fuzz_run(data + FUZZ_HEADER_LEN, size - FUZZ_HEADER_LEN, &plan, &fast);
    kvst__fastlex_off = 1;
    fuzz_run(data + FUZZ_HEADER_LEN, size - FUZZ_HEADER_LEN, &plan, &slow);
    kvst__fastlex_off = 0;
    fuzz_same_result(&fast, &slow, "fast lexer against yajl alone");
    return 0;
}
