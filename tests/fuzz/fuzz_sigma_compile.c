/*
 * Fuzz target: the Sigma rule compiler (libkvstrail-sigma) over arbitrary
 * YAML. Whatever the text, building must not crash, leak or hang, every
 * error must name a file and carry a message, rule counts and skipped
 * counts must be consistent, and a rule set that was built must give a
 * state. Small limits (the first byte's low bits) exercise the refusals.
 */
#include <string.h>

#include <kvstrail/sigma.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kvst_sigma_options o = KVST_SIGMA_OPTIONS_INIT;
    kvst_sigma_builder *b = NULL;
    kvst_sigma_ruleset *rs = NULL;
    kvst_sigma_state *st = NULL;
    size_t i, n;
    int rc;

    if (size < 1)
        return 0;
    if (data[0] & 1) {
        o.max_yaml_nodes = 64;
        o.max_values = 16;
        o.max_depth = 4;
    }
    FUZZ_CHECK(kvst_sigma_builder_new(&o, &b) == 0);
    FUZZ_CHECK(kvst_sigma_builder_placeholder(b, "p", "v*") == 0);
    rc = kvst_sigma_builder_add_text(b, "fuzz.yml", (const char *)data + 1, size - 1);
    FUZZ_CHECK(rc == 0 || rc == KVST_E_SYNTAX || rc == KVST_E_LIMIT);
    FUZZ_CHECK((rc == 0) == (kvst_sigma_builder_error_count(b) == 0));
    n = kvst_sigma_builder_error_count(b);
    for (i = 0; i < n; i++) {
        const kvst_sigma_error *e = kvst_sigma_builder_error(b, i);
        FUZZ_CHECK(e != NULL && e->message.len > 0 && e->file.len == 8);
        FUZZ_CHECK(e->message.ptr[e->message.len] == '\0');
    }
    FUZZ_CHECK(kvst_sigma_builder_error(b, n) == NULL);
    rc = kvst_sigma_builder_build(b, &rs);
    FUZZ_CHECK(rc == 0 || rc == KVST_E_SYNTAX);
    FUZZ_CHECK(rs != NULL);
    for (i = 0; i < kvst_sigma_ruleset_rule_count(rs); i++) {
        const kvst_sigma_rule *r = kvst_sigma_ruleset_rule(rs, i);
        FUZZ_CHECK(r->title.len > 0 && r->title.ptr[r->title.len] == '\0');
        FUZZ_CHECK(r->kind == KVST_SIGMA_DETECTION || r->kind == KVST_SIGMA_CORRELATION);
        FUZZ_CHECK(r->level_rank <= KVST_SIGMA_LEVEL_CRITICAL);
    }
    FUZZ_CHECK(kvst_sigma_state_new(rs, &st) == 0);
    kvst_sigma_state_free(st);
    kvst_sigma_ruleset_free(rs);
    kvst_sigma_builder_free(b);
    return 0;
}
