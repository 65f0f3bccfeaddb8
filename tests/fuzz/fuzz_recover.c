/*
 * Fuzz target: recovery mode (KVST_FLAG_RECOVER). Same input layout and
 * checks as fuzz_parser; broken records come out as events with a negative
 * status whose byte range and raw text must match the input.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_plan plan;
    fuzz_result res;
    const uint8_t *body;
    size_t len;

    if (!fuzz_parse_input(data, size, KVST_FLAG_RECOVER, &plan, &res, &body, &len))
        return 0;
    /* Recovery changes nothing before the first broken record: strict
     * mode delivers exactly those events. */
    if (!plan.fail_alloc && !plan.stop_after) {
        fuzz_result strict;
        plan.flags &= ~KVST_FLAG_RECOVER;
        fuzz_run(body, len, &plan, &strict);
        FUZZ_CHECK(strict.events == res.prefix_events);
        FUZZ_CHECK(strict.digest == res.prefix_digest);
    }
    return 0;
}
