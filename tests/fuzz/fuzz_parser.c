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
    const uint8_t *body;
    size_t len;

    fuzz_parse_input(data, size, 0, &plan, &res, &body, &len);
    return 0;
}
