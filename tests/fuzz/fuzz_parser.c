/*
 * Fuzz target: the parser over arbitrary bytes. The first FUZZ_HEADER_LEN
 * bytes choose the options, the delivery mode and the chunk sizes (see
 * fuzz_common.c); the rest is fed as input. Every event is checked, printed,
 * looked up and copied, and a second run in one chunk with the other
 * delivery mode must give the same events and status.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_plan plan;
    fuzz_result res;
    const uint8_t *body = data + FUZZ_HEADER_LEN;
    size_t len;

    if (size < FUZZ_HEADER_LEN)
        return 0;
    len = size - FUZZ_HEADER_LEN;
    fuzz_plan_from_header(data, &plan);
    /* Positions are in the inflated stream: check them on plain input. */
    if (!(len >= 2 && body[0] == 0x1f && body[1] == 0x8b)) {
        plan.plain = body;
        plan.plain_len = len;
    }
    fuzz_run_twice(body, len, &plan, &res);
    return 0;
}
