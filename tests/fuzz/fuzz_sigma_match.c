/*
 * Fuzz target: matching (libkvstrail-sigma) with a rule and events in.
 * The input is a YAML rule text, a line "#events", then CloudTrail events
 * (any input the parser takes). Every event is matched twice, once with the
 * record's raw bytes (KVST_FLAG_KEEP_RAW) and once through
 * kvst_event_lookup: both must give the same matches. Every match must
 * name a rule of the set, and its field views must be NUL-terminated.
 */
#include <string.h>

#include <kvstrail/kvstrail.h>
#include <kvstrail/sigma.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    const kvst_sigma_ruleset *rs;
    uint64_t digest;
    uint64_t count;
};

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int on_match(const kvst_sigma_result *m, void *payload)
{
    struct seen *s = payload;
    size_t i, k, n = kvst_sigma_ruleset_rule_count(s->rs);
    int found = 0;
    for (k = 0; k < n; k++)
        found |= kvst_sigma_ruleset_rule(s->rs, k) == m->rule;
    FUZZ_CHECK(found);
    FUZZ_CHECK(m->event != NULL);
    s->count++;
    s->digest = mix(s->digest, &m->rule, sizeof m->rule);
    s->digest = mix(s->digest, &m->count, sizeof m->count);
    for (i = 0; i < m->field_count; i++) {
        FUZZ_CHECK(m->fields[i].name.ptr[m->fields[i].name.len] == '\0');
        FUZZ_CHECK(m->fields[i].value.ptr[m->fields[i].value.len] == '\0');
        s->digest = mix(s->digest, m->fields[i].name.ptr, m->fields[i].name.len);
        s->digest = mix(s->digest, m->fields[i].value.ptr, m->fields[i].value.len);
    }
    return 0;
}

static void run(const kvst_sigma_ruleset *rs, const uint8_t *ev, size_t len,
                uint32_t flags, struct seen *s)
{
    kvst_parser_options po = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    kvst_sigma_state *st = NULL;
    const kvst_event *e;
    memset(s, 0, sizeof *s);
    s->rs = rs;
    po.flags = flags | KVST_FLAG_RECOVER;
    FUZZ_CHECK(kvst_parser_new(&po, &p) == 0);
    FUZZ_CHECK(kvst_sigma_state_new(rs, &st) == 0);
    (void)kvst_parser_feed(p, ev, len);
    (void)kvst_parser_finish(p);
    while (kvst_parser_next(p, &e) == 1) {
        int rc = kvst_sigma_match(st, e, on_match, s);
        FUZZ_CHECK(rc >= 0);
    }
    kvst_sigma_state_free(st);
    kvst_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char sep[] = "\n#events\n";
    const uint8_t *events = NULL;
    size_t i, rule_len = size;
    kvst_sigma_builder *b = NULL;
    kvst_sigma_ruleset *rs = NULL;
    struct seen a, c;

    for (i = 0; i + sizeof sep - 1 <= size; i++)
        if (memcmp(data + i, sep, sizeof sep - 1) == 0) {
            rule_len = i;
            events = data + i + sizeof sep - 1;
            break;
        }
    if (!events)
        return 0;
    FUZZ_CHECK(kvst_sigma_builder_new(NULL, &b) == 0);
    (void)kvst_sigma_builder_add_text(b, "fuzz.yml", (const char *)data, rule_len);
    (void)kvst_sigma_builder_build(b, &rs);
    kvst_sigma_builder_free(b);
    FUZZ_CHECK(rs != NULL);
    run(rs, events, size - (size_t)(events - data), KVST_FLAG_KEEP_RAW, &a);
    run(rs, events, size - (size_t)(events - data), 0, &c);
    FUZZ_CHECK(a.count == c.count && a.digest == c.digest);
    kvst_sigma_ruleset_free(rs);
    return 0;
}
