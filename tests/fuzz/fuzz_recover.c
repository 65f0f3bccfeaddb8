/*
 * Fuzz target: recovery mode (KVST_FLAG_RECOVER). Same input layout and
 * checks as fuzz_parser; broken records come out as events with a negative
 * status whose byte range and raw text must match the input. Until the
 * library accepts the flag, kvst_parser_new says KVST_E_INVAL and there is
 * nothing to do.
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
    plan.flags |= KVST_FLAG_RECOVER;
    if (!(len >= 2 && body[0] == 0x1f && body[1] == 0x8b)) {
        plan.plain = body;
        plan.plain_len = len;
    }
    fuzz_run_twice(body, len, &plan, &res);
    if (res.new_status == KVST_E_INVAL)
        return 0; /* the flag is not implemented by this library yet */
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
