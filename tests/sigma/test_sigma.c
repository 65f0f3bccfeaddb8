/*
 * libkvstrail-sigma through its public API: refused rules with file, line,
 * column and the construct named; the other rules of the text still load;
 * logsource skipping; limits exactly at, one under and one over; hostile
 * rules (alias bombs, catastrophic regexes, 20000-deep nesting, windash
 * blow-up) refused or bounded; options struct_size; the same matches with
 * and without the record's raw bytes; two threads sharing one rule set.
 */
#include "check.h"

#include <kvstrail/kvstrail.h>
#include <kvstrail/sigma.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char logsource[] =
    "logsource:\n  product: aws\n  service: cloudtrail\n";

static const char event_json[] =
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\","
    "\"arn\":\"arn:aws:iam::123456789012:user/alice\",\"accountId\":"
    "\"123456789012\",\"userName\":\"alice\"},\"eventTime\":"
    "\"2024-05-01T10:00:00Z\",\"eventSource\":\"kinesisvideo.amazonaws.com\","
    "\"eventName\":\"DeleteStream\",\"awsRegion\":\"us-east-1\","
    "\"sourceIPAddress\":\"203.0.113.7\",\"userAgent\":\"aaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\","
    "\"requestParameters\":{\"streamName\":\"cam\\u00e91\",\"tags\":[\"x\",\"y\"]},"
    "\"eventID\":\"11111111-0000-4000-8000-000000000001\"}";

/* Build a rule set from one text; *errors receives the error count. */
static kvst_sigma_ruleset *build(const kvst_sigma_options *o, const char *text,
                                 size_t *errors, kvst_sigma_builder **keep)
{
    kvst_sigma_builder *b = NULL;
    kvst_sigma_ruleset *rs = NULL;
    CHECK_EQ(kvst_sigma_builder_new(o, &b), 0);
    if (!b)
        return NULL;
    (void)kvst_sigma_builder_add_text(b, "t.yml", text, strlen(text));
    (void)kvst_sigma_builder_build(b, &rs);
    *errors = kvst_sigma_builder_error_count(b);
    if (keep)
        *keep = b;
    else
        kvst_sigma_builder_free(b);
    return rs;
}

/* Whether the first error of b names what it is about. */
static int first_error_says(const kvst_sigma_builder *b, const char *what)
{
    const kvst_sigma_error *e = kvst_sigma_builder_error(b, 0);
    return e != NULL && e->message.ptr != NULL && strstr(e->message.ptr, what) != NULL;
}

struct counter {
    int matches;
    char last_field[128];
};

static int on_match(const kvst_sigma_result *m, void *payload)
{
    struct counter *c = payload;
    c->matches++;
    if (m->field_count)
        snprintf(c->last_field, sizeof c->last_field, "%.*s=%.*s",
                 (int)m->fields[0].name.len, m->fields[0].name.ptr,
                 (int)m->fields[0].value.len, m->fields[0].value.ptr);
    return 0;
}

/* Matches of rs over the event, parsed with or without the raw bytes. */
static int matches(const kvst_sigma_ruleset *rs, const char *json, uint32_t flags,
                   struct counter *c)
{
    kvst_parser_options po = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    kvst_sigma_state *st = NULL;
    const kvst_event *ev;
    int total = 0;
    memset(c, 0, sizeof *c);
    po.flags = flags;
    CHECK_EQ(kvst_parser_new(&po, &p), 0);
    CHECK_EQ(kvst_sigma_state_new(rs, &st), 0);
    CHECK_EQ(kvst_parser_feed(p, json, strlen(json)), 0);
    CHECK_EQ(kvst_parser_finish(p), 0);
    while (kvst_parser_next(p, &ev) == 1) {
        int n = kvst_sigma_match(st, ev, on_match, c);
        CHECK(n >= 0);
        total += n;
    }
    kvst_sigma_state_free(st);
    kvst_parser_free(p);
    return total;
}

static char *rule(const char *detection)
{
    size_t n = strlen(detection) + 200;
    char *s = malloc(n);
    snprintf(s, n, "title: t\nid: r1\nauthor: me\nlevel: high\n%sdetection:\n%s",
             logsource, detection);
    return s;
}

static void test_errors_have_positions(void)
{
    kvst_sigma_builder *b = NULL;
    kvst_sigma_ruleset *rs;
    const kvst_sigma_error *e;
    size_t errors;
    char text[1024];
    /* A bad rule, then a good one, in one text. */
    snprintf(text, sizeof text,
             "title: bad\n%sdetection:\n  sel:\n    eventName|minute: 3\n"
             "  condition: sel\n---\ntitle: good\n%sdetection:\n  sel:\n"
             "    eventName: DeleteStream\n  condition: sel\n",
             logsource, logsource);
    rs = build(NULL, text, &errors, &b);
    CHECK_EQ(errors, 1);
    e = kvst_sigma_builder_error(b, 0);
    CHECK(e != NULL);
    if (e) {
        CHECK_VIEW(e->file, "t.yml");
        CHECK_EQ(e->line, 7);
        CHECK_EQ(e->column, 5);
        CHECK(strstr(e->message.ptr, "'minute'") != NULL);
        CHECK_VIEW(e->title, "bad");
    }
    CHECK(kvst_sigma_builder_error(b, 1) == NULL);
    CHECK_EQ(kvst_sigma_ruleset_rule_count(rs), 1);
    CHECK_VIEW(kvst_sigma_ruleset_rule(rs, 0)->title, "good");
    kvst_sigma_ruleset_free(rs);
    kvst_sigma_builder_free(b);

    /* YAML syntax: where the parser stopped. */
    rs = build(NULL, "title: x\ndetection: [\n", &errors, &b);
    CHECK_EQ(errors, 1);
    e = kvst_sigma_builder_error(b, 0);
    CHECK(e && e->line >= 2 && strstr(e->message.ptr, "YAML") != NULL);
    kvst_sigma_ruleset_free(rs);
    kvst_sigma_builder_free(b);
}

static void refused(const char *detection, const char *why)
{
    kvst_sigma_builder *b = NULL;
    kvst_sigma_ruleset *rs;
    size_t errors;
    char *text = rule(detection);
    rs = build(NULL, text, &errors, &b);
    CHECK_EQ(errors, 1);
    if (errors == 1 && !strstr(kvst_sigma_builder_error(b, 0)->message.ptr, why)) {
        fprintf(stderr, "  message '%s' does not say '%s'\n",
                kvst_sigma_builder_error(b, 0)->message.ptr, why);
        CHECK(0);
    }
    kvst_sigma_ruleset_free(rs);
    kvst_sigma_builder_free(b);
    free(text);
}

static void test_refusals_name_the_feature(void)
{
    refused("  sel:\n    a|nosuch: 1\n  condition: sel\n", "unknown modifier 'nosuch'");
    refused("  sel:\n    a|expand: '%missing%'\n  condition: sel\n",
            "placeholder %missing% has no value");
    refused("  sel:\n    a: 1\n  condition: sel and other\n", "unknown search identifier");
    refused("  sel:\n    a: 1\n  condition: sel and\n", "an operand is missing");
    refused("  sel:\n    a: 1\n  condition: (sel\n", "')' expected");
    refused("  sel:\n    a: 1\n  condition: 1 of nothing*\n", "no search identifier matches");
    refused("  sel:\n    a|re: '(unclosed'\n  condition: sel\n", "invalid regular expression");
    refused("  sel:\n    a|cidr: 10.0.0.0/33\n  condition: sel\n", "invalid CIDR prefix");
    refused("  sel:\n    a|gt: many\n  condition: sel\n", "a number must follow");
    refused("  sel:\n    a|exists: maybe\n  condition: sel\n", "|exists takes true or false");
    refused("  sel:\n    a|i: x\n  condition: sel\n", "only follows 're'");
    refused("  sel:\n    a|re|contains: x\n  condition: sel\n", "type modifier");
    refused("  sel:\n    a|all: x\n  condition: sel\n", "|all needs a list");
    refused("  sel:\n    a|base64: 'x*'\n  condition: sel\n", "wildcards");
    refused("  sel:\n    a: 1\n  timeframe: 5m\n  condition: sel\n", "timeframe");
    refused("  sel:\n    a: 1\n", "no condition");
}

static void test_logsource_skipped(void)
{
    kvst_sigma_builder *b = NULL;
    kvst_sigma_ruleset *rs;
    size_t errors;
    const char *text = "title: win\nlogsource:\n  product: windows\n  service: security\n"
                       "detection:\n  sel:\n    EventID: 1\n  condition: sel\n";
    rs = build(NULL, text, &errors, &b);
    CHECK_EQ(errors, 0);
    CHECK_EQ(kvst_sigma_builder_skipped_count(b), 1);
    CHECK_VIEW(kvst_sigma_builder_skipped(b, 0)->logsource, "windows/security/");
    CHECK_EQ(kvst_sigma_ruleset_rule_count(rs), 0);
    kvst_sigma_ruleset_free(rs);
    kvst_sigma_builder_free(b);
}

/* max_text_bytes exactly at the text's size, one under, one over. */
static void test_text_limit(void)
{
    char *text = rule("  sel:\n    eventName: DeleteStream\n  condition: sel\n");
    size_t len = strlen(text), errors;
    uint64_t limits[3];
    int i;
    limits[0] = len - 1;
    limits[1] = len;
    limits[2] = len + 1;
    for (i = 0; i < 3; i++) {
        kvst_sigma_options o = KVST_SIGMA_OPTIONS_INIT;
        kvst_sigma_builder *b = NULL;
        int rc;
        o.max_text_bytes = limits[i];
        CHECK_EQ(kvst_sigma_builder_new(&o, &b), 0);
        rc = kvst_sigma_builder_add_text(b, "t.yml", text, len);
        CHECK_EQ(rc, i == 0 ? KVST_E_LIMIT : 0);
        errors = kvst_sigma_builder_error_count(b);
        CHECK_EQ(errors, i == 0 ? 1 : 0);
        if (i == 0)
            CHECK(first_error_says(b, "more than max_text_bytes"));
        kvst_sigma_builder_free(b);
    }
    free(text);
}

/* max_values: a windash over three dashes makes 5^3 = 125 values. */
static void test_values_limit(void)
{
    const char *det = "  sel:\n    a|windash: ' -a -b -c'\n  condition: sel\n";
    char *text = rule(det);
    uint64_t limits[3] = { 124, 125, 126 };
    int i;
    for (i = 0; i < 3; i++) {
        kvst_sigma_options o = KVST_SIGMA_OPTIONS_INIT;
        size_t errors;
        kvst_sigma_ruleset *rs;
        kvst_sigma_builder *b = NULL;
        o.max_values = limits[i];
        rs = build(&o, text, &errors, &b);
        CHECK_EQ(errors, i == 0 ? 1 : 0);
        if (i == 0)
            CHECK(first_error_says(b, "too many values (max_values)"));
        kvst_sigma_builder_free(b);
        kvst_sigma_ruleset_free(rs);
    }
    free(text);
}

/* Condition depth: parentheses at max_depth load, one more is refused. */
static void test_condition_depth(void)
{
    int depth;
    for (depth = 3; depth <= 5; depth++) {
        kvst_sigma_options o = KVST_SIGMA_OPTIONS_INIT;
        char det[512], cond[128];
        char *text;
        size_t errors, k = 0;
        int i;
        kvst_sigma_ruleset *rs;
        kvst_sigma_builder *b = NULL;
        for (i = 0; i < depth; i++)
            cond[k++] = '(';
        memcpy(cond + k, "sel", 3);
        k += 3;
        for (i = 0; i < depth; i++)
            cond[k++] = ')';
        cond[k] = '\0';
        snprintf(det, sizeof det, "  sel:\n    eventName: x\n  condition: %s\n", cond);
        text = rule(det);
        o.max_depth = 4;
        rs = build(&o, text, &errors, &b);
        CHECK_EQ(errors, depth <= 4 ? 0 : 1);
        if (depth > 4)
            CHECK(first_error_says(b, "nested too deeply"));
        kvst_sigma_builder_free(b);
        kvst_sigma_ruleset_free(rs);
        free(text);
    }
}

/* A billion-laughs alias chain costs nodes and values each time it is
 * used: 40 searches of 10 maps of 5 fields of 10 values. */
static void test_alias_bomb(void)
{
    {
        char text[4096];
        size_t k, errors;
        kvst_sigma_builder *b = NULL;
        kvst_sigma_ruleset *rs;
        k = (size_t)snprintf(text, sizeof text,
            "title: bomb\nlogsource: {product: aws, service: cloudtrail}\n"
            "x0: &a0 [v, v, v, v, v, v, v, v, v, v]\n"
            "x1: &a1 {f: *a0, g: *a0, h: *a0, i: *a0, j: *a0}\n"
            "x2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]\n"
            "detection:\n");
        for (int i = 0; i < 40; i++)
            k += (size_t)snprintf(text + k, sizeof text - k, "  s%d: *a2\n", i);
        snprintf(text + k, sizeof text - k, "  condition: 1 of them\n");
        rs = build(NULL, text, &errors, &b);
        CHECK_EQ(errors, 1);
        if (errors)
            CHECK(strstr(kvst_sigma_builder_error(b, 0)->message.ptr, "too large") ||
                  strstr(kvst_sigma_builder_error(b, 0)->message.ptr, "too many values"));
        kvst_sigma_ruleset_free(rs);
        kvst_sigma_builder_free(b);
    }
}

/* Hostile nesting at the default limits, 20000 deep: a flow list as a
 * field's value, maps in a search, and parentheses in the condition. Each
 * is refused with its reason, without exhausting the stack. */
static void test_deep_nesting(void)
{
    enum { DEEP = 20000 };
    static const struct {
        const char *head, *open, *close, *tail, *why;
    } cases[] = {
        { "  sel:\n    eventName: ", "[", "]", "\n  condition: sel\n",
          "a value list holds scalars only" },
        { "  sel: ", "{a: ", "}", "\n  condition: sel\n",
          "a field takes a value or a list of values" },
        { "  sel:\n    eventName: x\n  condition: ", "(", ")", "\n",
          "nested too deeply" },
    };
    size_t c;
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t ho = strlen(cases[c].head), oo = strlen(cases[c].open),
               co = strlen(cases[c].close), n = ho + DEEP * (oo + co) + 8 +
                                                strlen(cases[c].tail);
        char *det = malloc(n), *text, *p;
        size_t errors, i;
        kvst_sigma_builder *b = NULL;
        kvst_sigma_ruleset *rs;
        CHECK(det != NULL);
        if (!det)
            return;
        p = det;
        memcpy(p, cases[c].head, ho);
        p += ho;
        for (i = 0; i < DEEP; i++, p += oo)
            memcpy(p, cases[c].open, oo);
        memcpy(p, c == 2 ? "sel" : "x", c == 2 ? 3 : 1);
        p += c == 2 ? 3 : 1;
        for (i = 0; i < DEEP; i++, p += co)
            memcpy(p, cases[c].close, co);
        strcpy(p, cases[c].tail);
        text = rule(det);
        rs = build(NULL, text, &errors, &b);
        CHECK_EQ(errors, 1);
        CHECK_EQ(kvst_sigma_ruleset_rule_count(rs), 0);
        if (errors && !first_error_says(b, cases[c].why)) {
            fprintf(stderr, "deep case %zu: %s\n", c,
                    kvst_sigma_builder_error(b, 0)->message.ptr);
            CHECK(0);
        }
        kvst_sigma_builder_free(b);
        kvst_sigma_ruleset_free(rs);
        free(text);
        free(det);
    }
}

/* A catastrophic regex stops at the match limit: no match, counted. */
static void test_regex_bounded(void)
{
    char *text = rule("  sel:\n    userAgent|re: '^(a+)+$'\n  condition: sel\n");
    size_t errors;
    kvst_sigma_ruleset *rs = build(NULL, text, &errors, NULL);
    struct counter c;
    kvst_parser_options po = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    kvst_sigma_state *st = NULL;
    kvst_sigma_stats stats;
    const kvst_event *ev;
    CHECK_EQ(errors, 0);
    po.flags = KVST_FLAG_KEEP_RAW;
    CHECK_EQ(kvst_parser_new(&po, &p), 0);
    CHECK_EQ(kvst_sigma_state_new(rs, &st), 0);
    CHECK_EQ(kvst_parser_feed(p, event_json, strlen(event_json)), 0);
    CHECK_EQ(kvst_parser_finish(p), 0);
    memset(&c, 0, sizeof c);
    while (kvst_parser_next(p, &ev) == 1)
        CHECK_EQ(kvst_sigma_match(st, ev, on_match, &c), 0);
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    kvst_sigma_state_stats(st, &stats);
    CHECK_EQ(stats.events, 1);
    CHECK_EQ(stats.regex_errors, 1);
    kvst_sigma_state_free(st);
    kvst_parser_free(p);
    kvst_sigma_ruleset_free(rs);
    free(text);
}

static void test_raw_or_lookup_same(void)
{
    char *text = rule("  sel:\n    eventName: deletestream\n"
                      "    requestParameters.streamName|contains: '\xc3\xa9'\n"
                      "    requestParameters.tags: 'Y'\n  condition: sel\n");
    size_t errors;
    kvst_sigma_ruleset *rs = build(NULL, text, &errors, NULL);
    struct counter c;
    CHECK_EQ(errors, 0);
    CHECK_EQ(matches(rs, event_json, KVST_FLAG_KEEP_RAW, &c), 1);
    CHECK(strcmp(c.last_field, "eventName=DeleteStream") == 0);
    CHECK_EQ(matches(rs, event_json, 0, &c), 1);
    CHECK(strcmp(c.last_field, "eventName=DeleteStream") == 0);
    kvst_sigma_ruleset_free(rs);
    free(text);
}

/* One event with the given userAgent (NULL: none) through rs: its
 * matches, and in *evaluated the rules evaluated past the prefilter. */
static int agent_matches(const kvst_sigma_ruleset *rs, const char *agent,
                         uint64_t *evaluated)
{
    char json[512];
    kvst_parser_options po = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    kvst_sigma_state *st = NULL;
    kvst_sigma_stats stats;
    const kvst_event *ev;
    struct counter c;
    int total = 0;
    snprintf(json, sizeof json,
             "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-05-01T10:00:00Z\","
             "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\"%s%s%s}",
             agent ? ",\"userAgent\":\"" : "", agent ? agent : "", agent ? "\"" : "");
    memset(&c, 0, sizeof c);
    po.flags = KVST_FLAG_KEEP_RAW;
    CHECK_EQ(kvst_parser_new(&po, &p), 0);
    CHECK_EQ(kvst_sigma_state_new(rs, &st), 0);
    CHECK_EQ(kvst_parser_feed(p, json, strlen(json)), 0);
    CHECK_EQ(kvst_parser_finish(p), 0);
    while (kvst_parser_next(p, &ev) == 1)
        total += kvst_sigma_match(st, ev, on_match, &c);
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    kvst_sigma_state_stats(st, &stats);
    CHECK_EQ(stats.events, 1);
    *evaluated = stats.rule_evaluations;
    kvst_sigma_state_free(st);
    kvst_parser_free(p);
    return total;
}

/* A rule no eventName indexes is still evaluated only for the events
 * with a value its condition needs in an envelope field (its key, here
 * userAgent): folded compares let 'trufflehog' through to a |cased rule,
 * which then does not match; one byte under or over, or no userAgent,
 * never reaches it. A negated test gives no key. */
static void test_key_prefilter(void)
{
    char *text = rule("  sel:\n    userAgent|cased: TruffleHog\n  condition: sel\n");
    char *negated = rule("  sel:\n    userAgent: TruffleHog\n  condition: not sel\n");
    size_t errors;
    kvst_sigma_ruleset *rs = build(NULL, text, &errors, NULL);
    kvst_sigma_ruleset *neg;
    uint64_t evaluated;
    CHECK_EQ(errors, 0);
    CHECK_EQ(agent_matches(rs, "TruffleHog", &evaluated), 1);
    CHECK_EQ(evaluated, 1);
    CHECK_EQ(agent_matches(rs, "trufflehog", &evaluated), 0);
    CHECK_EQ(evaluated, 1);
    CHECK_EQ(agent_matches(rs, "TruffleHo", &evaluated), 0);
    CHECK_EQ(evaluated, 0);
    CHECK_EQ(agent_matches(rs, "TruffleHogs", &evaluated), 0);
    CHECK_EQ(evaluated, 0);
    CHECK_EQ(agent_matches(rs, NULL, &evaluated), 0);
    CHECK_EQ(evaluated, 0);
    neg = build(NULL, negated, &errors, NULL);
    CHECK_EQ(errors, 0);
    CHECK_EQ(agent_matches(neg, "TruffleHo", &evaluated), 1);
    CHECK_EQ(evaluated, 1);
    CHECK_EQ(agent_matches(neg, "TruffleHog", &evaluated), 0);
    CHECK_EQ(evaluated, 1);
    kvst_sigma_ruleset_free(rs);
    kvst_sigma_ruleset_free(neg);
    free(text);
    free(negated);
}

/* A regular expression's literal run is searched at its rarest byte (the
 * 'u' of ':assumed-role/aws:') before PCRE2 runs: found after other
 * u's, right at the subject's ends, one byte short of it or one byte
 * different, the answers are PCRE2's. */
static void test_regex_needle_anchor(void)
{
    char *text = rule("  sel:\n    userAgent|re: '.+:assumed-role/aws:.+'\n"
                      "  condition: sel\n");
    size_t errors;
    kvst_sigma_ruleset *rs = build(NULL, text, &errors, NULL);
    uint64_t evaluated;
    CHECK_EQ(errors, 0);
    CHECK_EQ(agent_matches(rs, "uuu:assumed-role/aws:y", &evaluated), 1);
    CHECK_EQ(agent_matches(rs, "u:assumed-role/aws:x", &evaluated), 1);
    CHECK_EQ(agent_matches(rs, "x:assumed-role/aws:assumed-role/aws:y", &evaluated), 1);
    CHECK_EQ(agent_matches(rs, "x:assumed-role/aws:y", &evaluated), 1);
    CHECK_EQ(agent_matches(rs, ":assumed-role/aws:y", &evaluated), 0);
    CHECK_EQ(agent_matches(rs, "x:assumed-role/aws:", &evaluated), 0);
    CHECK_EQ(agent_matches(rs, "x:assumed-role/aws", &evaluated), 0);
    CHECK_EQ(agent_matches(rs, "x:assumed-rolu/aws:y", &evaluated), 0);
    CHECK_EQ(agent_matches(rs, "x:assumed-role/awz:y", &evaluated), 0);
    CHECK_EQ(agent_matches(rs, "uuuuuuuuuuuuuuuuuuuuuuu", &evaluated), 0);
    CHECK_EQ(agent_matches(rs, "u", &evaluated), 0);
    kvst_sigma_ruleset_free(rs);
    free(text);
    /* The run alone: at the subject's start, at its end, the whole of it. */
    text = rule("  sel:\n    userAgent|re: ':assumed-role/aws:'\n  condition: sel\n");
    rs = build(NULL, text, &errors, NULL);
    CHECK_EQ(errors, 0);
    CHECK_EQ(agent_matches(rs, ":assumed-role/aws:", &evaluated), 1);
    CHECK_EQ(agent_matches(rs, "x:assumed-role/aws:", &evaluated), 1);
    CHECK_EQ(agent_matches(rs, ":assumed-role/aws:x", &evaluated), 1);
    CHECK_EQ(agent_matches(rs, ":assumed-role/aws", &evaluated), 0);
    CHECK_EQ(agent_matches(rs, "assumed-role/aws:", &evaluated), 0);
    kvst_sigma_ruleset_free(rs);
    free(text);
}

/* One state over many (eventName, eventSource) pairs, twice: more pairs
 * than the state keeps (its slots are reused), pairs whose bytes are
 * longer than it keeps (name and source 120 bytes together, one under,
 * one over), names that differ only in case: every event gets the
 * prefilter's answer of its own pair. */
static void test_pair_slots(void)
{
    char *text = rule("  sel:\n    eventSource: s3.amazonaws.com\n"
                      "    eventName|startswith: 'Get'\n  condition: sel\n");
    size_t errors, len = 0, cap = 1 << 20, i;
    kvst_sigma_ruleset *rs = build(NULL, text, &errors, NULL);
    kvst_parser_options po = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    kvst_sigma_state *st = NULL;
    const kvst_event *ev;
    struct counter c;
    char *json = malloc(cap), name[160];
    int round, total = 0, want = 0;
    CHECK_EQ(errors, 0);
    len += (size_t)snprintf(json + len, cap - len, "{\"Records\":[");
    for (round = 0; round < 2; round++)
        for (i = 0; i < 700; i++) {
            const char *source = i % 3 == 0 ? "ec2.amazonaws.com" : "s3.amazonaws.com";
            if (i < 600)
                snprintf(name, sizeof name, "%s%zu", i % 2 ? "Get" : "gET", i);
            else if (i < 606) {
                /* 120 - 16 bytes of name beside s3's 16: 103, 104, 105. */
                memset(name, 'e', sizeof name);
                memcpy(name, i % 2 ? "Get" : "Put", 3);
                name[103 + (i - 600) % 3] = '\0';
            } else
                snprintf(name, sizeof name, "Put%zu", i);
            want += strcmp(source, "s3.amazonaws.com") == 0 &&
                    (name[0] == 'G' || name[0] == 'g') &&
                    (name[1] == 'E' || name[1] == 'e') &&
                    (name[2] == 'T' || name[2] == 't');
            len += (size_t)snprintf(json + len, cap - len,
                                    "%s{\"eventVersion\":\"1.08\",\"eventTime\":"
                                    "\"2024-05-01T10:00:00Z\",\"eventSource\":\"%s\","
                                    "\"eventName\":\"%s\"}",
                                    round || i ? "," : "", source, name);
        }
    len += (size_t)snprintf(json + len, cap - len, "]}");
    CHECK(len < cap);
    memset(&c, 0, sizeof c);
    po.flags = KVST_FLAG_KEEP_RAW;
    CHECK_EQ(kvst_parser_new(&po, &p), 0);
    CHECK_EQ(kvst_sigma_state_new(rs, &st), 0);
    CHECK_EQ(kvst_parser_feed(p, json, len), 0);
    CHECK_EQ(kvst_parser_finish(p), 0);
    while (kvst_parser_next(p, &ev) == 1) {
        int n = kvst_sigma_match(st, ev, on_match, &c);
        CHECK(n >= 0);
        total += n;
    }
    CHECK(want > 600);
    CHECK_EQ(total, want);
    CHECK_EQ(c.matches, want);
    kvst_sigma_state_free(st);
    kvst_parser_free(p);
    kvst_sigma_ruleset_free(rs);
    free(json);
    free(text);
}

static void test_options_size(void)
{
    struct {
        kvst_sigma_options o;
        uint64_t tail;
    } big;
    kvst_sigma_builder *b = NULL;
    kvst_sigma_options small = KVST_SIGMA_OPTIONS_INIT;
    memset(&big, 0, sizeof big);
    big.o.struct_size = sizeof big;
    CHECK_EQ(kvst_sigma_builder_new(&big.o, &b), 0);
    kvst_sigma_builder_free(b);
    big.tail = 1;
    CHECK_EQ(kvst_sigma_builder_new(&big.o, &b), KVST_E_ABI);
    small.struct_size = sizeof small - 1;
    CHECK_EQ(kvst_sigma_builder_new(&small, &b), KVST_E_ABI);
    CHECK_EQ(kvst_sigma_builder_new(NULL, NULL), KVST_E_INVAL);
    kvst_sigma_builder_free(NULL);
    kvst_sigma_ruleset_free(NULL);
    kvst_sigma_state_free(NULL);
}

struct thread_arg {
    const kvst_sigma_ruleset *rs;
    int result;
};

static void *thread_main(void *p)
{
    struct thread_arg *a = p;
    struct counter c;
    int i;
    a->result = 0;
    for (i = 0; i < 50; i++)
        a->result += matches(a->rs, event_json, KVST_FLAG_KEEP_RAW, &c);
    return NULL;
}

static void test_threads_share_a_ruleset(void)
{
    char *text = rule("  sel:\n    userIdentity.userName|startswith: AL\n"
                      "  condition: sel\n");
    size_t errors;
    kvst_sigma_ruleset *rs = build(NULL, text, &errors, NULL);
    pthread_t t[2];
    struct thread_arg a[2];
    int i;
    for (i = 0; i < 2; i++) {
        a[i].rs = rs;
        CHECK_EQ(pthread_create(&t[i], NULL, thread_main, &a[i]), 0);
    }
    for (i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ(a[i].result, 50);
    }
    kvst_sigma_ruleset_free(rs);
    free(text);
}

int main(void)
{
    test_errors_have_positions();
    test_refusals_name_the_feature();
    test_logsource_skipped();
    test_text_limit();
    test_values_limit();
    test_condition_depth();
    test_alias_bomb();
    test_deep_nesting();
    test_regex_bounded();
    test_raw_or_lookup_same();
    test_key_prefilter();
    test_regex_needle_anchor();
    test_pair_slots();
    test_options_size();
    test_threads_share_a_ruleset();
    return check_done("test_sigma");
}
