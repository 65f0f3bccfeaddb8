/*
 * libkvstrail-sigma under allocation failure, as tests/exhaust does for
 * the core: the n-th allocation through kvst_sigma_options.allocator
 * fails, for every n, while compiling a rule set (the engine's test rules:
 * every modifier, regexes, placeholders, the four correlation types; and
 * the KVS pack) and while matching events against it (a state, the
 * flattened records, correlation windows and the fields of each match).
 *
 * Every call must return 0 or KVST_E_NOMEM (or the status a run without
 * failure gets); when none returned KVST_E_NOMEM, the rule set and the
 * matches must be exactly those of a run without failure, so nothing is
 * dropped silently; after the frees no block is live (the hooks count
 * them; ASan and valgrind check the rest).
 *
 *   test_sigma_oom RULE_DIR... -- EVENT_DIR...   (every *.jsonl in each)
 */
#include "check.h"

#include <kvstrail/kvstrail.h>
#include <kvstrail/sigma.h>

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct counter {
    uint64_t calls;     /* allocations asked for */
    uint64_t fail_at;   /* this one fails (0: none) */
    int64_t live;       /* blocks not freed */
};

/* Where an allocation is made to fail: a place for a debugger's
 * breakpoint (KVST_OOM_ONLY below). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void *failed_here(struct counter *c)
{
    (void)c;
    return NULL;
}

static void *t_malloc(size_t n, void *ctx)
{
    struct counter *c = ctx;
    void *p;
    if (++c->calls == c->fail_at)
        return failed_here(c);
    p = malloc(n);
    c->live += p != NULL;
    return p;
}

static void *t_realloc(void *p, size_t n, void *ctx)
{
    struct counter *c = ctx;
    void *q;
    if (++c->calls == c->fail_at)
        return failed_here(c);
    q = realloc(p, n);
    c->live += q != NULL && p == NULL;
    return q;
}

static void t_free(void *p, void *ctx)
{
    struct counter *c = ctx;
    if (p) {
        c->live--;
        free(p);
    }
}

static const char *const placeholders[][2] = {
    { "AllowedUsers", "alice" },
    { "kvs_allowed_readers", "arn:aws:iam::123456789012:role/*" },
    { "kvs_trusted_image_destinations", "s3://example-kvs-images/*" },
    { "kvs_trusted_notification_destinations", "arn:aws:sns:*:123456789012:*" },
};

/* The statuses of one compile, in call order. */
#define CALLS 16
struct compile {
    int status[CALLS];
    size_t calls;
    int nomem;
    size_t rules, errors;
};

static void note(struct compile *k, int rc)
{
    if (k->calls < CALLS)
        k->status[k->calls++] = rc;
    k->nomem |= rc == KVST_E_NOMEM;
}

static kvst_sigma_ruleset *compile(struct counter *c, char **dirs, size_t ndirs,
                                   struct compile *k)
{
    kvst_sigma_options o = KVST_SIGMA_OPTIONS_INIT;
    kvst_sigma_builder *b = NULL;
    kvst_sigma_ruleset *rs = NULL;
    size_t i;
    memset(k, 0, sizeof *k);
    o.allocator.malloc_fn = t_malloc;
    o.allocator.realloc_fn = t_realloc;
    o.allocator.free_fn = t_free;
    o.allocator.ctx = c;
    note(k, kvst_sigma_builder_new(&o, &b));
    if (!b)
        return NULL;
    for (i = 0; i < sizeof placeholders / sizeof placeholders[0]; i++)
        note(k, kvst_sigma_builder_placeholder(b, placeholders[i][0],
                                               placeholders[i][1]));
    for (i = 0; i < ndirs; i++)
        note(k, kvst_sigma_builder_add_path(b, dirs[i]));
    note(k, kvst_sigma_builder_build(b, &rs));
    k->errors = kvst_sigma_builder_error_count(b);
    kvst_sigma_builder_free(b);
    k->rules = kvst_sigma_ruleset_rule_count(rs);
    return rs;
}

/* What matching all events gave: a hash of every match (rule, record,
 * fields) and their count. */
struct outcome {
    uint64_t hash, matches;
    int nomem, other;
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

struct match_ctx {
    const kvst_sigma_ruleset *rs;
    struct outcome *out;
};

static int on_match(const kvst_sigma_result *m, void *payload)
{
    struct match_ctx *mc = payload;
    size_t i, rule = 0;
    while (kvst_sigma_ruleset_rule(mc->rs, rule) != m->rule)
        rule++;
    mc->out->matches++;
    mc->out->hash = mix(mc->out->hash, &rule, sizeof rule);
    mc->out->hash = mix(mc->out->hash, &m->event->record_index,
                        sizeof m->event->record_index);
    mc->out->hash = mix(mc->out->hash, &m->count, sizeof m->count);
    for (i = 0; i < m->field_count; i++) {
        mc->out->hash = mix(mc->out->hash, m->fields[i].name.ptr, m->fields[i].name.len);
        mc->out->hash = mix(mc->out->hash, m->fields[i].value.ptr, m->fields[i].value.len);
    }
    return 0;
}

static void run(const kvst_sigma_ruleset *rs, kvst_event *const *events,
                size_t nevents, struct outcome *out)
{
    kvst_sigma_state *st = NULL;
    struct match_ctx mc;
    size_t i;
    int rc;
    memset(out, 0, sizeof *out);
    out->hash = 14695981039346656037ull;
    mc.rs = rs;
    mc.out = out;
    rc = kvst_sigma_state_new(rs, &st);
    if (rc != 0) {
        out->nomem = rc == KVST_E_NOMEM;
        out->other = rc != KVST_E_NOMEM;
        return;
    }
    for (i = 0; i < nevents; i++) {
        rc = kvst_sigma_match(st, events[i], on_match, &mc);
        if (rc == KVST_E_NOMEM)
            out->nomem = 1;
        else if (rc < 0)
            out->other = 1;
    }
    kvst_sigma_state_free(st);
}

struct collect {
    kvst_event **events;
    size_t count;
};

static int on_event(const kvst_event *ev, void *payload)
{
    struct collect *c = payload;
    kvst_event *copy = NULL;
    if (ev->status != 0)
        return 0;
    CHECK_EQ(kvst_event_copy(ev, &copy), 0);
    c->events = realloc(c->events, (c->count + 1) * sizeof *c->events);
    if (!c->events || !copy)
        return 1;
    c->events[c->count++] = copy;
    return 0;
}

static void read_events(const char *path, struct collect *c)
{
    kvst_parser_options po = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    FILE *f = fopen(path, "rb");
    char buf[65536];
    size_t n;
    CHECK(f != NULL);
    if (!f)
        return;
    po.flags = KVST_FLAG_KEEP_RAW | KVST_FLAG_RECOVER;
    po.on_event = on_event;
    po.payload = c;
    CHECK_EQ(kvst_parser_new(&po, &p), 0);
    while (p && (n = fread(buf, 1, sizeof buf, f)) > 0)
        (void)kvst_parser_feed(p, buf, n);
    if (p)
        (void)kvst_parser_finish(p);
    kvst_parser_free(p);
    fclose(f);
}

/* Every *.jsonl file of dir, in name order. */
static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_dir(const char *dir, struct collect *c)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, i;
    CHECK(d != NULL);
    while (d && (de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        char *path;
        if (len < 6 || strcmp(de->d_name + len - 6, ".jsonl") != 0)
            continue;
        path = malloc(strlen(dir) + len + 2);
        names = realloc(names, (n + 1) * sizeof *names);
        if (!path || !names)
            break;
        sprintf(path, "%s/%s", dir, de->d_name);
        names[n++] = path;
    }
    if (d)
        closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, by_name);
    for (i = 0; i < n; i++) {
        read_events(names[i], c);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    struct counter c;
    struct compile ref, k;
    struct outcome want, got;
    struct collect ev = { NULL, 0 };
    kvst_sigma_ruleset *rs;
    char **dirs = argv + 1;
    size_t ndirs = 0, i;
    uint64_t n, compile_calls, match_calls, only;
    int a;

    while (1 + (int)ndirs < argc && strcmp(dirs[ndirs], "--") != 0)
        ndirs++;
    for (a = 2 + (int)ndirs; a < argc; a++)
        read_dir(argv[a], &ev);
    CHECK(ndirs > 0 && ev.count > 0);

    /* The reference: no failure. */
    memset(&c, 0, sizeof c);
    rs = compile(&c, dirs, ndirs, &ref);
    CHECK(rs != NULL && !ref.nomem && ref.rules > 0);
    compile_calls = c.calls;
    run(rs, ev.events, ev.count, &want);
    CHECK(!want.nomem && !want.other && want.matches > 0);
    match_calls = c.calls - compile_calls;
    kvst_sigma_ruleset_free(rs);
    CHECK_EQ(c.live, 0);
    printf("%zu rules, %zu events, %llu matches; %llu allocations to compile, "
           "%llu to match\n", ref.rules, ev.count, (unsigned long long)want.matches,
           (unsigned long long)compile_calls, (unsigned long long)match_calls);

    /* KVST_OOM_ONLY=n: that allocation alone (to look at one under a
     * debugger or valgrind). */
    only = getenv("KVST_OOM_ONLY") ? strtoull(getenv("KVST_OOM_ONLY"), NULL, 10) : 0;

    /* Compiling, with allocation n failing. */
    for (n = only ? only : 1; n <= compile_calls && (!only || n == only); n++) {
        memset(&c, 0, sizeof c);
        c.fail_at = n;
        rs = compile(&c, dirs, ndirs, &k);
        /* Past a KVST_E_NOMEM, later calls may differ (a placeholder that
         * could not be set refuses its rules); before, only that. */
        for (i = 0; i < k.calls && k.status[i] != KVST_E_NOMEM; i++)
            if (k.status[i] != 0 &&
                (i >= ref.calls || k.status[i] != ref.status[i])) {
                fprintf(stderr, "allocation %llu: call %zu returned %d\n",
                        (unsigned long long)n, i, k.status[i]);
                CHECK(0);
            }
        if (!k.nomem && (k.rules != ref.rules || k.errors != ref.errors)) {
            fprintf(stderr, "allocation %llu failed unreported: %zu rules, %zu "
                    "errors (want %zu, %zu)\n", (unsigned long long)n, k.rules,
                    k.errors, ref.rules, ref.errors);
            CHECK(0);
        }
        kvst_sigma_ruleset_free(rs);
        if (c.live != 0) {
            fprintf(stderr, "allocation %llu: %lld blocks leaked\n",
                    (unsigned long long)n, (long long)c.live);
            CHECK(0);
        }
    }

    /* Matching, with allocation n after the build failing. */
    for (n = only ? only : 1; n <= match_calls && (!only || n == only); n++) {
        memset(&c, 0, sizeof c);
        rs = compile(&c, dirs, ndirs, &k);
        CHECK(rs != NULL);
        if (!rs)
            break;
        c.fail_at = c.calls + n;
        run(rs, ev.events, ev.count, &got);
        CHECK(!got.other);
        if (!got.nomem && (got.matches != want.matches || got.hash != want.hash)) {
            fprintf(stderr, "allocation %llu of matching failed unreported: %llu "
                    "matches (want %llu)\n", (unsigned long long)n,
                    (unsigned long long)got.matches, (unsigned long long)want.matches);
            CHECK(0);
        }
        kvst_sigma_ruleset_free(rs);
        if (c.live != 0) {
            fprintf(stderr, "matching, allocation %llu: %lld blocks leaked\n",
                    (unsigned long long)n, (long long)c.live);
            CHECK(0);
        }
    }

    for (i = 0; i < ev.count; i++)
        kvst_event_free(ev.events[i]);
    free(ev.events);
    return check_done("test_sigma_oom");
}
