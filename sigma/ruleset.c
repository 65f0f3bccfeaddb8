/*
 * libkvstrail-sigma, delivery: the public API. The builder collects rules
 * and errors; building resolves correlation references and indexes the
 * detections by the eventName values their condition needs (the
 * prefilter: a rule that needs eventName DeleteStream is never looked at
 * for any other event); a state matches events, flattening a record only
 * when some rule passes the prefilter, and reports matches in load order.
 * The rules an (eventName, eventSource) pair lets through, and the paths
 * they read, are kept per state for the pairs last seen (a trail has few
 * pairs, each repeated many times): most events find them in one probe.
 */
#include "sigma_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SIGMA_VERSION "1.1.0"

struct kvst_sigma_builder {
    sg_env env;
    sg_rule **rules;
    size_t rule_count;
    sg_rule **skipped;
    size_t skipped_count;
    kvst_sigma_error *errors;
    size_t error_count;
    void **owned;            /* error strings */
    size_t owned_count;
};

typedef struct name_entry {
    uint64_t hash;
    const char *name;        /* folded */
    size_t len;
    uint32_t rule;
} name_entry;

struct kvst_sigma_ruleset {
    kvst_sigma_options opts;
    sg_rule **rules;
    size_t rule_count;
    name_entry *names;       /* sorted by hash */
    size_t name_count;
    uint32_t *unindexed;     /* detections without an eventName set */
    size_t unindexed_count;
    char *folded;            /* the folded names */
    size_t max_searches;
    /* The paths flatten keeps: want, those of the rules without an
     * eventName set and of every correlation (read for each candidate
     * event), and rule_want[i], those of indexed rule i, kept only for
     * the events of which it is a candidate. */
    sg_pathset want;
    sg_pathset *rule_want;
    sg_pathset any_want;     /* every path of want and of rule_want[] */
    int any_all;             /* some set has all: any_want is not used */
};

/* The prefilter's answer for one (eventName, eventSource) pair, as the
 * bytes are written: the rules whose eventName and eventSource sets admit
 * it (load order), and flatten's path sets for it. */
#define PAIR_SLOTS 256u          /* a power of two */
#define PAIR_KEY_MAX 120u        /* longer pairs are not kept */
typedef struct pair_slot {
    uint64_t hash;
    size_t name_len, key_len;    /* key: the name's bytes, the source's */
    char key[PAIR_KEY_MAX];
    uint32_t *eval;              /* room for rule_count, once allocated */
    size_t eval_count;
    const sg_pathset **want;     /* room for rule_count + 1 */
    size_t want_count;
} pair_slot;

struct kvst_sigma_state {
    const kvst_sigma_ruleset *rs;
    sg_record rec;
    int flattened;
    const sg_pathset *const *cur_want; /* flatten's sets for the event */
    size_t want_count;
    const sg_pathset **wantv;   /* cur_want when the pair is not kept */
    uint32_t *evalv;            /* the rules to evaluate, likewise */
    pair_slot *pairs;           /* PAIR_SLOTS, allocated at first use */
    const kvst_event *cur_ev;   /* the event being matched */
    int8_t *memo;
    uint32_t *cand;
    sg_corr_state **corr;
    pcre2_match_data *md;
    pcre2_match_context *mc;
    kvst_sigma_stats stats;
    int64_t watermark;
    int have_watermark;
    kvst_sigma_field *fields;
    size_t field_count, field_cap;
    sg_buf fieldtext;
    sg_buf key;
    int depth;               /* correlation chain being reported */
};

/* ---- options ------------------------------------------------------------ */

static int options_take(const kvst_sigma_options *in, kvst_sigma_options *out)
{
    static const kvst_sigma_options defaults = KVST_SIGMA_OPTIONS_INIT;
    *out = defaults;
    if (in) {
        size_t n = in->struct_size, i;
        if (n < sizeof *in) {
            return KVST_E_ABI;
        }
        for (i = sizeof *in; i < n; i++)
            if (((const unsigned char *)in)[i])
                return KVST_E_ABI;
        memcpy(out, in, sizeof *out);
        out->struct_size = sizeof *out;
        if (in->flags || in->reserved)
            return KVST_E_INVAL;
    }
#define DEF(f, v) if (out->f == 0) out->f = (v)
    DEF(max_text_bytes, KVST_SIGMA_DEFAULT_MAX_TEXT_BYTES);
    DEF(max_yaml_nodes, KVST_SIGMA_DEFAULT_MAX_YAML_NODES);
    DEF(max_depth, KVST_SIGMA_DEFAULT_MAX_DEPTH);
    DEF(max_values, KVST_SIGMA_DEFAULT_MAX_VALUES);
    DEF(regex_match_limit, KVST_SIGMA_DEFAULT_REGEX_MATCH_LIMIT);
    DEF(regex_depth_limit, KVST_SIGMA_DEFAULT_REGEX_DEPTH_LIMIT);
    DEF(max_groups, KVST_SIGMA_DEFAULT_MAX_GROUPS);
    DEF(max_group_entries, KVST_SIGMA_DEFAULT_MAX_GROUP_ENTRIES);
    DEF(tolerance_ms, KVST_SIGMA_DEFAULT_TOLERANCE_MS);
#undef DEF
    if (out->tolerance_ms < 0 || out->max_groups > INT32_MAX / 4)
        return KVST_E_INVAL;
    return 0;
}

/* ---- builder ------------------------------------------------------------ */

static void builder_free(kvst_sigma_builder *b);

/* Under the allocator of opts, made current by the caller. */
static int builder_new(const kvst_sigma_options *opts, kvst_sigma_builder **out)
{
    kvst_sigma_builder *b;
    pcre2_general_context *gc;
    int rc;
    b = sg_calloc(1, sizeof *b);
    if (!b)
        return KVST_E_NOMEM;
    rc = options_take(opts, &b->env.opts);
    sg_mem_take(opts && opts->struct_size >= sizeof *opts ? &opts->allocator : NULL,
                &b->env.opts.allocator);
    if (rc != 0) {
        sg_free(b);
        return rc;
    }
    /* Compiled regexes keep this context's hooks (PCRE2 copies them). */
    gc = sg_pcre2_context();
    b->env.pcre2_compile = gc ? pcre2_compile_context_create(gc) : NULL;
    pcre2_general_context_free(gc);
    if (!b->env.pcre2_compile) {
        builder_free(b);
        return KVST_E_NOMEM;
    }
    *out = b;
    return 0;
}

static char *own_copy(kvst_sigma_builder *b, const char *s, size_t n)
{
    void **o = sg_realloc(b->owned, (b->owned_count + 1) * sizeof *o);
    char *d;
    if (!o)
        return NULL;
    b->owned = o;
    d = sg_strndup(s ? s : "", s ? n : 0);
    if (d)
        o[b->owned_count++] = d;
    return d;
}

static int builder_placeholder(kvst_sigma_builder *b, const char *name,
                                   const char *value)
{
    char **n, **v;
    if (!b || !name || !value || !*name)
        return KVST_E_INVAL;
    n = sg_realloc(b->env.placeholder_names,
                (b->env.placeholder_count + 1) * sizeof *n);
    if (!n)
        return KVST_E_NOMEM;
    b->env.placeholder_names = n;
    v = sg_realloc(b->env.placeholder_values,
                (b->env.placeholder_count + 1) * sizeof *v);
    if (!v)
        return KVST_E_NOMEM;
    b->env.placeholder_values = v;
    n[b->env.placeholder_count] = own_copy(b, name, strlen(name));
    v[b->env.placeholder_count] = own_copy(b, value, strlen(value));
    if (!n[b->env.placeholder_count] || !v[b->env.placeholder_count])
        return KVST_E_NOMEM;
    b->env.placeholder_count++;
    return 0;
}

static int sink_rule(void *ctx, sg_rule *r, int skipped)
{
    kvst_sigma_builder *b = ctx;
    sg_rule ***list = skipped ? &b->skipped : &b->rules;
    size_t *count = skipped ? &b->skipped_count : &b->rule_count;
    sg_rule **n = sg_realloc(*list, (*count + 1) * sizeof(sg_rule *));
    if (!n) {
        sg_rule_free(r);
        return KVST_E_NOMEM;
    }
    *list = n;
    n[(*count)++] = r;
    return 0;
}

static int sink_error(void *ctx, const char *file, uint64_t line, uint64_t column,
                      const char *title, const char *message)
{
    kvst_sigma_builder *b = ctx;
    kvst_sigma_error *e = sg_realloc(b->errors, (b->error_count + 1) * sizeof *e);
    char *f, *t, *m;
    if (!e)
        return KVST_E_NOMEM;
    b->errors = e;
    f = own_copy(b, file, file ? strlen(file) : 0);
    t = own_copy(b, title, title ? strlen(title) : 0);
    m = own_copy(b, message, strlen(message));
    if (!f || !t || !m)
        return KVST_E_NOMEM;
    e = &e[b->error_count++];
    memset(e, 0, sizeof *e);
    e->struct_size = sizeof *e;
    e->file.ptr = f;
    e->file.len = strlen(f);
    e->line = line;
    e->column = column;
    e->title.ptr = t;
    e->title.len = strlen(t);
    e->message.ptr = m;
    e->message.len = strlen(m);
    return 0;
}

static int builder_add_text(kvst_sigma_builder *b, const char *file,
                                const char *text, size_t len)
{
    sg_sink sink;
    if (!b || (!text && len))
        return KVST_E_INVAL;
    sink.ctx = b;
    sink.rule = sink_rule;
    sink.error = sink_error;
    return sg_load_text(&b->env, file, text ? text : "", len, &sink);
}

static int io_error(kvst_sigma_builder *b, const char *path, const char *what)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
    return sink_error(b, path, 0, 0, "", msg) != 0 ? KVST_E_NOMEM : KVST_E_IO;
}

static int add_file(kvst_sigma_builder *b, const char *path)
{
    FILE *f = fopen(path, "rb");
    sg_buf text = { 0 };
    char chunk[65536];
    size_t n;
    int rc;
    if (!f)
        return io_error(b, path, "cannot open");
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        sg_buf_add(&text, chunk, n);
        if (text.len > b->env.opts.max_text_bytes)
            break;
    }
    if (ferror(f)) {
        fclose(f);
        sg_buf_free(&text);
        return io_error(b, path, "read error");
    }
    fclose(f);
    rc = text.failed ? KVST_E_NOMEM
                     : builder_add_text(b, path, text.data ? text.data : "",
                                                   text.len);
    sg_buf_free(&text);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_rule_suffix(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && !strcmp(name + n - 4, ".yml")) ||
           (n > 5 && !strcmp(name + n - 5, ".yaml"));
}

static int add_path_depth(kvst_sigma_builder *b, const char *path, int depth)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t count = 0, i;
    int status = 0;
    if (stat(path, &st) != 0)
        return io_error(b, path, "cannot open");
    if (!S_ISDIR(st.st_mode))
        return add_file(b, path);
    if (depth > 16)
        return 0;
    d = opendir(path);
    if (!d)
        return io_error(b, path, "cannot read directory");
    while ((de = readdir(d)) != NULL) {
        char **grown;
        sg_buf full = { 0 };
        if (de->d_name[0] == '.')
            continue;
        sg_buf_printf(&full, "%s/%s", path, de->d_name);
        grown = sg_realloc(names, (count + 1) * sizeof *grown);
        if (full.failed || !grown) {
            sg_buf_free(&full);
            if (grown)
                names = grown;
            for (i = 0; i < count; i++)
                sg_free(names[i]);
            sg_free(names);
            closedir(d);
            return KVST_E_NOMEM;
        }
        names = grown;
        names[count++] = full.data;
    }
    closedir(d);
    if (count > 1) /* names is NULL in an empty folder */
        qsort(names, count, sizeof *names, cmp_str);
    for (i = 0; i < count; i++) {
        struct stat es;
        int rc = 0;
        if (stat(names[i], &es) == 0 && S_ISDIR(es.st_mode))
            rc = add_path_depth(b, names[i], depth + 1);
        else if (has_rule_suffix(names[i]))
            rc = add_file(b, names[i]);
        /* Out of memory wins over any other status. */
        if (rc == KVST_E_NOMEM || (rc != 0 && status == 0))
            status = rc;
    }
    for (i = 0; i < count; i++)
        sg_free(names[i]);
    sg_free(names);
    return status;
}

static int builder_add_path(kvst_sigma_builder *b, const char *path)
{
    if (!b || !path)
        return KVST_E_INVAL;
    return add_path_depth(b, path, 0);
}

size_t kvst_sigma_builder_error_count(const kvst_sigma_builder *b)
{
    return b ? b->error_count : 0;
}

const kvst_sigma_error *kvst_sigma_builder_error(const kvst_sigma_builder *b, size_t i)
{
    return b && i < b->error_count ? &b->errors[i] : NULL;
}

size_t kvst_sigma_builder_skipped_count(const kvst_sigma_builder *b)
{
    return b ? b->skipped_count : 0;
}

const kvst_sigma_rule *kvst_sigma_builder_skipped(const kvst_sigma_builder *b, size_t i)
{
    return b && i < b->skipped_count ? &b->skipped[i]->info : NULL;
}

static void builder_free(kvst_sigma_builder *b)
{
    size_t i;
    for (i = 0; i < b->rule_count; i++)
        sg_rule_free(b->rules[i]);
    for (i = 0; i < b->skipped_count; i++)
        sg_rule_free(b->skipped[i]);
    for (i = 0; i < b->owned_count; i++)
        sg_free(b->owned[i]);
    sg_free(b->rules);
    sg_free(b->skipped);
    sg_free(b->errors);
    sg_free(b->owned);
    sg_free(b->env.placeholder_names);
    sg_free(b->env.placeholder_values);
    pcre2_compile_context_free(b->env.pcre2_compile);
    sg_free(b);
}

/* ---- build: correlation references, the eventName index ----------------- */

static int str_is(const kvst_str *s, const char *z)
{
    return s->len && s->len == strlen(z) && !memcmp(s->ptr, z, s->len);
}

static long find_rule(sg_rule **rules, size_t count, const char *ref)
{
    size_t i;
    for (i = 0; i < count; i++)
        if (str_is(&rules[i]->info.id, ref) || str_is(&rules[i]->info.name, ref))
            return (long)i;
    return -1;
}

/* A correlation chain that comes back to itself. */
static int cycles(sg_rule **rules, uint32_t at, uint32_t start, size_t depth)
{
    size_t i;
    const sg_corr *k = rules[at]->corr;
    if (!k || depth > 64)
        return depth > 64;
    for (i = 0; i < k->ref_count; i++) {
        if (k->ref_rules[i] == start)
            return 1;
        if (cycles(rules, k->ref_rules[i], start, depth + 1))
            return 1;
    }
    return 0;
}

static int add_dependent(sg_rule *r, uint32_t corr)
{
    uint32_t *d = sg_realloc(r->dependents, (r->dependent_count + 1) * sizeof *d);
    if (!d)
        return KVST_E_NOMEM;
    r->dependents = d;
    d[r->dependent_count++] = corr;
    return 0;
}

static void refuse(kvst_sigma_builder *b, sg_rule *r, const char *why, int *status)
{
    if (sink_error(b, r->info.file.ptr, r->info.line, 1, r->info.title.ptr, why) != 0)
        *status = KVST_E_NOMEM;
    else if (*status == 0)
        *status = KVST_E_SYNTAX;
}

/* Drop rule i from the builder (refused at build). */
static void drop_rule(kvst_sigma_builder *b, size_t i)
{
    sg_rule *r = b->rules[i];
    size_t j;
    for (j = i; j + 1 < b->rule_count; j++)
        b->rules[j] = b->rules[j + 1];
    b->rule_count--;
    sg_rule_free(r);
}

/* Correlations whose references resolve; the others are refused. Every
 * reference is resolved before any chain is followed (a correlation may
 * refer to one defined after it); dropping a rule shifts the indices, so
 * the whole resolution starts again. */
static int resolve(kvst_sigma_builder *b, int *status)
{
    size_t i, j;
    char why[512];
    for (i = 0; i < b->rule_count; i++) {
        sg_corr *c = b->rules[i]->corr;
        int ok = 1;
        if (!c)
            continue;
        sg_free(c->ref_rules);
        c->ref_rules = sg_calloc(c->ref_count, sizeof *c->ref_rules);
        if (!c->ref_rules)
            return KVST_E_NOMEM;
        for (j = 0; j < c->ref_count && ok; j++) {
            long at = find_rule(b->rules, b->rule_count, c->refs[j]);
            if (at < 0) {
                snprintf(why, sizeof why, "the correlation refers to '%s', which "
                         "is no loaded rule's id or name%s", c->refs[j],
                         find_rule(b->skipped, b->skipped_count, c->refs[j]) >= 0
                             ? " (it was skipped: not a CloudTrail logsource)" : "");
                ok = 0;
            } else {
                c->ref_rules[j] = (uint32_t)at;
            }
        }
        if (!ok) {
            refuse(b, b->rules[i], why, status);
            drop_rule(b, i);
            return resolve(b, status);
        }
    }
    for (i = 0; i < b->rule_count; i++) {
        if (!b->rules[i]->corr || !cycles(b->rules, (uint32_t)i, (uint32_t)i, 0))
            continue;
        refuse(b, b->rules[i], "the correlation refers to itself through its chain",
               status);
        drop_rule(b, i);
        return resolve(b, status);
    }
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    const name_entry *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* A correlation's field, unless it is one of the envelope's (field_value
 * reads those from the event). */
static int want_field(sg_pathset *ps, const char *path, size_t len)
{
    if (sg_envelope_field(path, len) >= 0)
        return 0;
    return sg_pathset_add(ps, path, len);
}

/* Whether a test reads its own field from the flattened record: any
 * field the envelope does not hold; an envelope field only for a fieldref
 * to a field the envelope does not hold (value_holds reads string, regex,
 * CIDR and number values of envelope fields, and fieldrefs between two of
 * them, from the event). exists and null on an envelope field read the
 * event too, and the record only for a field present there as null or
 * as another type than string (envelope_presence): rare, so that record
 * is then flattened whole (need_all) instead of every record keeping the
 * field. */
static int test_reads_record(const sg_test *te)
{
    size_t v;
    if (te->envelope < 0)
        return 1;
    for (v = 0; v < te->value_count; v++) {
        const sg_value *val = &te->values[v];
        if (val->op == SG_OP_FIELDREF && val->ref_envelope < 0)
            return 1;
    }
    return 0;
}

/* Every dotted path a rule reads from the record: tests, fieldref
 * targets, group-by fields (and their aliases) and value_count fields.
 * A keyword search reads every string: then flatten keeps everything.
 * The envelope's fields are read from the event and left out, so that
 * flattening keeps and descends into less (userIdentity, for one). */
static int want_rule(sg_pathset *ps, const sg_rule *r)
{
    size_t s, m, t, v, g;
    if (r->corr) {
        const sg_corr *c = r->corr;
        for (g = 0; g < c->group_count; g++)
            if (want_field(ps, c->group_by[g], strlen(c->group_by[g])) != 0)
                return KVST_E_NOMEM;
        for (g = 0; g < c->group_count * c->ref_count; g++)
            if (c->alias_field[g] &&
                want_field(ps, c->alias_field[g], strlen(c->alias_field[g])) != 0)
                return KVST_E_NOMEM;
        return c->field && want_field(ps, c->field, c->field_len) != 0
                   ? KVST_E_NOMEM : 0;
    }
    for (s = 0; s < r->search_count; s++)
        for (m = 0; m < r->searches[s].map_count; m++) {
            const sg_map *map = &r->searches[s].maps[m];
            for (t = 0; t < map->test_count; t++) {
                const sg_test *te = &map->tests[t];
                if (!te->path)
                    ps->all = 1;
                else if (test_reads_record(te) &&
                         sg_pathset_add(ps, te->path, te->path_len) != 0)
                    return KVST_E_NOMEM;
                /* A fieldref's other field, unless both are the
                 * envelope's (then value_holds reads the event). */
                for (v = 0; v < te->value_count; v++)
                    if (te->values[v].op == SG_OP_FIELDREF &&
                        (te->envelope < 0 || te->values[v].ref_envelope < 0) &&
                        sg_pathset_add(ps, te->values[v].text, te->values[v].len) != 0)
                        return KVST_E_NOMEM;
            }
        }
    return 0;
}

static int build_index(kvst_sigma_ruleset *rs)
{
    size_t i, j, total = 0, text = 0, t = 0, at = 0;
    for (i = 0; i < rs->rule_count; i++) {
        const sg_rule *r = rs->rules[i];
        if (r->corr)
            continue;
        if (r->search_count > rs->max_searches)
            rs->max_searches = r->search_count;
        if (r->names.any)
            rs->unindexed_count++;
        else
            for (j = 0; j < r->names.count; j++) {
                total++;
                text += r->names.lens[j] + 1;
            }
    }
    rs->names = sg_calloc(total + 1, sizeof *rs->names);
    rs->unindexed = sg_calloc(rs->unindexed_count + 1, sizeof *rs->unindexed);
    rs->folded = sg_malloc(text + 1);
    if (!rs->names || !rs->unindexed || !rs->folded)
        return KVST_E_NOMEM;
    rs->unindexed_count = 0;
    for (i = 0; i < rs->rule_count; i++) {
        const sg_rule *r = rs->rules[i];
        if (r->corr)
            continue;
        if (r->names.any) {
            rs->unindexed[rs->unindexed_count++] = (uint32_t)i;
            continue;
        }
        for (j = 0; j < r->names.count; j++) {
            size_t k, n = r->names.lens[j];
            char *f = rs->folded + t;
            for (k = 0; k < n; k++)
                f[k] = (char)sg_fold[(unsigned char)r->names.values[j][k]];
            f[n] = '\0';
            t += n + 1;
            rs->names[at].hash = sg_hash(f, n);
            rs->names[at].name = f;
            rs->names[at].len = n;
            rs->names[at].rule = (uint32_t)i;
            at++;
        }
    }
    rs->rule_want = sg_calloc(rs->rule_count + 1, sizeof *rs->rule_want);
    if (!rs->rule_want)
        return KVST_E_NOMEM;
    for (i = 0; i < rs->rule_count; i++) {
        const sg_rule *r = rs->rules[i];
        sg_pathset *ps = r->corr || r->names.any ? &rs->want : &rs->rule_want[i];
        if (want_rule(ps, r) != 0 || want_rule(&rs->any_want, r) != 0)
            return KVST_E_NOMEM;
    }
    rs->any_all = rs->any_want.all;
    rs->name_count = at;
    if (at > 1) /* rs->names is NULL when no rule names an eventName */
        qsort(rs->names, at, sizeof *rs->names, cmp_name);
    return 0;
}

static void ruleset_free(kvst_sigma_ruleset *rs)
{
    size_t i;
    sg_pathset_free(&rs->want);
    sg_pathset_free(&rs->any_want);
    if (rs->rule_want)
        for (i = 0; i < rs->rule_count; i++)
            sg_pathset_free(&rs->rule_want[i]);
    sg_free(rs->rule_want);
    for (i = 0; i < rs->rule_count; i++)
        sg_rule_free(rs->rules[i]);
    sg_free(rs->rules);
    sg_free(rs->names);
    sg_free(rs->unindexed);
    sg_free(rs->folded);
    sg_free(rs);
}

static int builder_build(kvst_sigma_builder *b, kvst_sigma_ruleset **out)
{
    kvst_sigma_ruleset *rs;
    int status = 0, rc;
    size_t i, j;
    if (!b || !out)
        return KVST_E_INVAL;
    *out = NULL;
    rc = resolve(b, &status);
    if (rc != 0)
        return rc;
    rs = sg_calloc(1, sizeof *rs);
    if (!rs)
        return KVST_E_NOMEM;
    rs->opts = b->env.opts;
    /* The rules move to the rule set. */
    rs->rules = b->rules;
    rs->rule_count = b->rule_count;
    b->rules = NULL;
    b->rule_count = 0;
    for (i = 0; i < rs->rule_count; i++) {
        sg_rule *r = rs->rules[i];
        sg_free(r->dependents);
        r->dependents = NULL;
        r->dependent_count = 0;
    }
    for (i = 0; i < rs->rule_count; i++) {
        const sg_corr *c = rs->rules[i]->corr;
        for (j = 0; c && j < c->ref_count; j++) {
            sg_rule *ref = rs->rules[c->ref_rules[j]];
            if (!c->generate)
                ref->info.reported = 0;
            if (add_dependent(ref, (uint32_t)i) != 0) {
                ruleset_free(rs);
                return KVST_E_NOMEM;
            }
        }
    }
    rc = build_index(rs);
    if (rc != 0) {
        ruleset_free(rs);
        return rc;
    }
    *out = rs;
    return status;
}

size_t kvst_sigma_ruleset_rule_count(const kvst_sigma_ruleset *rs)
{
    return rs ? rs->rule_count : 0;
}

const kvst_sigma_rule *kvst_sigma_ruleset_rule(const kvst_sigma_ruleset *rs, size_t i)
{
    return rs && i < rs->rule_count ? &rs->rules[i]->info : NULL;
}

/* ---- state and matching ------------------------------------------------- */

static void state_free(kvst_sigma_state *st);

static int state_new(const kvst_sigma_ruleset *rs, kvst_sigma_state **out)
{
    kvst_sigma_state *st;
    size_t i;
    if (!rs || !out)
        return KVST_E_INVAL;
    *out = NULL;
    st = sg_calloc(1, sizeof *st);
    if (!st)
        return KVST_E_NOMEM;
    st->rs = rs;
    st->stats.struct_size = sizeof st->stats;
    st->memo = sg_malloc(rs->max_searches + 1);
    st->cand = sg_malloc((rs->rule_count + 1) * sizeof *st->cand);
    st->wantv = sg_malloc((rs->rule_count + 1) * sizeof *st->wantv); // NOLINT(bugprone-sizeof-expression): an array of pointers
    st->evalv = sg_malloc((rs->rule_count + 1) * sizeof *st->evalv);
    st->corr = sg_calloc(rs->rule_count + 1, sizeof *st->corr); // NOLINT(bugprone-sizeof-expression): an array of pointers
    {
        pcre2_general_context *gc = sg_pcre2_context();
        st->md = gc ? pcre2_match_data_create(1, gc) : NULL;
        st->mc = gc ? pcre2_match_context_create(gc) : NULL;
        pcre2_general_context_free(gc);
    }
    if (!st->memo || !st->cand || !st->wantv || !st->evalv || !st->corr || !st->md ||
        !st->mc) {
        state_free(st);
        return KVST_E_NOMEM;
    }
    pcre2_set_match_limit(st->mc, (uint32_t)(rs->opts.regex_match_limit > UINT32_MAX
                                                 ? UINT32_MAX
                                                 : rs->opts.regex_match_limit));
    pcre2_set_depth_limit(st->mc, (uint32_t)(rs->opts.regex_depth_limit > UINT32_MAX
                                                 ? UINT32_MAX
                                                 : rs->opts.regex_depth_limit));
    for (i = 0; i < rs->rule_count; i++)
        if (rs->rules[i]->corr) {
            st->corr[i] = sg_corr_state_new(rs->rules[i]->corr);
            if (!st->corr[i]) {
                state_free(st);
                return KVST_E_NOMEM;
            }
        }
    *out = st;
    return 0;
}

static void state_free(kvst_sigma_state *st)
{
    size_t i;
    for (i = 0; st->corr && i < st->rs->rule_count; i++)
        sg_corr_state_free(st->corr[i]);
    sg_free(st->corr);
    sg_free(st->memo);
    sg_free(st->cand);
    sg_free(st->wantv);
    sg_free(st->evalv);
    for (i = 0; st->pairs && i < PAIR_SLOTS; i++) {
        sg_free(st->pairs[i].eval);
        sg_free((void *)st->pairs[i].want);
    }
    sg_free(st->pairs);
    pcre2_match_data_free(st->md);
    pcre2_match_context_free(st->mc);
    sg_record_free(&st->rec);
    sg_free(st->fields);
    sg_buf_free(&st->fieldtext);
    sg_buf_free(&st->key);
    sg_free(st);
}

void kvst_sigma_state_stats(const kvst_sigma_state *st, kvst_sigma_stats *stats)
{
    size_t n;
    if (!st || !stats || stats->struct_size < sizeof(size_t))
        return;
    n = stats->struct_size < sizeof st->stats ? stats->struct_size
                                              : sizeof st->stats;
    memcpy((char *)stats + sizeof(size_t), (const char *)&st->stats + sizeof(size_t),
           n - sizeof(size_t));
}

const char *kvst_sigma_version_string(void)
{
    return SIGMA_VERSION;
}

static int prefilter_holds(const sg_prefilter *p, const kvst_str *v)
{
    size_t i;
    if (p->any)
        return 1;
    if (!v->ptr)
        return 0;
    for (i = 0; i < p->count; i++)
        if (p->lens[i] == v->len && sg_fold_eq(p->values[i], v->ptr, v->len))
            return 1;
    return 0;
}

/* The rules the prefilter lets through, in load order. */
static size_t candidates(kvst_sigma_state *st, const kvst_event *ev)
{
    const kvst_sigma_ruleset *rs = st->rs;
    size_t n = 0, i;
    char folded[256];
    if (ev->event_name.ptr && ev->event_name.len < sizeof folded && rs->name_count) {
        uint64_t h;
        size_t lo = 0, hi = rs->name_count;
        for (i = 0; i < ev->event_name.len; i++)
            folded[i] = (char)sg_fold[(unsigned char)ev->event_name.ptr[i]];
        h = sg_hash(folded, ev->event_name.len);
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (rs->names[mid].hash < h)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (i = lo; i < rs->name_count && rs->names[i].hash == h; i++)
            if (rs->names[i].len == ev->event_name.len &&
                !memcmp(rs->names[i].name, folded, ev->event_name.len) &&
                (n == 0 || st->cand[n - 1] != rs->names[i].rule))
                st->cand[n++] = rs->names[i].rule;
    }
    /* Both lists are in load order: merge them from the back, in place
     * (cand has room for every rule). */
    {
        size_t a = n, b = rs->unindexed_count, at = n + b;
        while (b > 0) {
            if (a > 0 && st->cand[a - 1] > rs->unindexed[b - 1])
                st->cand[--at] = st->cand[--a];
            else
                st->cand[--at] = rs->unindexed[--b];
        }
        n += rs->unindexed_count;
    }
    return n;
}

/* The prefilter worked out for an event: the rules to evaluate (whose
 * eventName and eventSource sets admit it) into evalv, flatten's path sets
 * (those of every eventName candidate) into wantv. */
static size_t prefilter_event(kvst_sigma_state *st, const kvst_event *ev)
{
    const kvst_sigma_ruleset *rs = st->rs;
    size_t n = candidates(st, ev), i, ne = 0, nw = 0;
    st->wantv[nw++] = &rs->want;
    for (i = 0; i < n; i++) {
        const sg_pathset *ps = &rs->rule_want[st->cand[i]];
        if (ps->count || ps->all)
            st->wantv[nw++] = ps;
        if (prefilter_holds(&rs->rules[st->cand[i]]->sources, &ev->event_source))
            st->evalv[ne++] = st->cand[i];
    }
    st->cur_want = st->wantv;
    st->want_count = nw;
    return ne;
}

/* A cheap hash of the pair's bytes (its slot; the bytes are compared). */
static uint64_t pair_hash(const kvst_str *name, const kvst_str *source)
{
    uint64_t h = (name->len << 8) ^ source->len, w;
    const kvst_str *s[2];
    size_t k;
    s[0] = name;
    s[1] = source;
    for (k = 0; k < 2; k++) {
        size_t n = s[k]->len;
        if (n >= 8) {
            memcpy(&w, s[k]->ptr, 8);
            h = (h ^ w) * 0x9e3779b97f4a7c15ull;
            memcpy(&w, s[k]->ptr + n - 8, 8);
        } else {
            w = 0;
            memcpy(&w, s[k]->ptr, n);
        }
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    }
    return h ^ (h >> 29);
}

/* The rules to evaluate on ev (*eval, returns their count), cur_want set:
 * from the pair's slot, else worked out and kept there. */
static size_t prefilter_pair(kvst_sigma_state *st, const kvst_event *ev,
                             const uint32_t **eval)
{
    const kvst_str *name = &ev->event_name, *source = &ev->event_source;
    size_t n, rules = st->rs->rule_count + 1;
    uint64_t h;
    pair_slot *ps;
    *eval = st->evalv;
    if (!name->ptr || !source->ptr || name->len + source->len > PAIR_KEY_MAX)
        return prefilter_event(st, ev);
    h = pair_hash(name, source);
    if (st->pairs) {
        ps = &st->pairs[h & (PAIR_SLOTS - 1)];
        if (ps->eval && ps->hash == h && ps->name_len == name->len &&
            ps->key_len == name->len + source->len &&
            !memcmp(ps->key, name->ptr, name->len) &&
            !memcmp(ps->key + name->len, source->ptr, source->len)) {
            *eval = ps->eval;
            st->cur_want = ps->want;
            st->want_count = ps->want_count;
            return ps->eval_count;
        }
    }
    n = prefilter_event(st, ev);
    /* Kept for the next event of the pair; without memory, not kept. */
    if (!st->pairs)
        st->pairs = sg_calloc(PAIR_SLOTS, sizeof *st->pairs);
    if (!st->pairs)
        return n;
    ps = &st->pairs[h & (PAIR_SLOTS - 1)];
    if (!ps->eval) {
        ps->eval = sg_malloc(rules * sizeof *ps->eval);
        ps->want = sg_malloc(rules * sizeof *ps->want); // NOLINT(bugprone-sizeof-expression): an array of pointers
        if (!ps->eval || !ps->want) {
            sg_free(ps->eval);
            sg_free((void *)ps->want);
            ps->eval = NULL;
            ps->want = NULL;
            return n;
        }
    }
    ps->hash = h;
    ps->name_len = name->len;
    ps->key_len = name->len + source->len;
    memcpy(ps->key, name->ptr, name->len);
    memcpy(ps->key + name->len, source->ptr, source->len);
    memcpy(ps->eval, st->evalv, n * sizeof *ps->eval);
    ps->eval_count = n;
    memcpy((void *)ps->want, st->wantv, st->want_count * sizeof *ps->want); // NOLINT(bugprone-sizeof-expression): an array of pointers
    ps->want_count = st->want_count;
    return n;
}

static int flatten(kvst_sigma_state *st, const kvst_event *ev)
{
    kvst_str raw = ev->raw;
    if (st->flattened)
        return 0;
    if (!raw.ptr) {
        kvst_value v;
        int rc = kvst_event_lookup(ev, "", &v);
        if (rc == KVST_E_NOMEM)
            return rc;
        raw = rc == 0 ? v.text : raw;
    }
    st->flattened = 1;
    if (!raw.ptr) {
        st->rec.count = 0;
        return 0;
    }
    /* The paths of every candidate (prefilter_pair): each rule evaluated
     * on this event reads from the same flattening. */
    return sg_flatten_event(&st->rec, ev, raw.ptr, raw.len, st->cur_want,
                            st->want_count,
                            st->rs->any_all ? NULL : &st->rs->any_want);
}

static int need_record(void *ctx)
{
    kvst_sigma_state *st = ctx;
    return flatten(st, st->cur_ev);
}

/* The record with every member kept, whatever the rules' paths (an
 * envelope field present as null or another type than string). */
static int need_all(void *ctx)
{
    kvst_sigma_state *st = ctx;
    const kvst_event *ev = st->cur_ev;
    kvst_str raw = ev->raw;
    int rc;
    if (st->flattened == 2)
        return 0;
    if (!raw.ptr) {
        kvst_value v;
        rc = kvst_event_lookup(ev, "", &v);
        if (rc == KVST_E_NOMEM)
            return rc;
        raw = rc == 0 ? v.text : raw;
    }
    st->flattened = 2;
    if (!raw.ptr) {
        st->rec.count = 0;
        return 0;
    }
    rc = sg_flatten(&st->rec, raw.ptr, raw.len, NULL, 0, NULL);
    if (rc != 0)
        st->flattened = 0;
    return rc;
}

static int add_field(kvst_sigma_state *st, const char *name, size_t nlen,
                     const char *val, size_t vlen)
{
    char *p;
    if (st->field_count == st->field_cap) {
        size_t cap = st->field_cap ? st->field_cap * 2 : 16;
        kvst_sigma_field *f = sg_realloc(st->fields, cap * sizeof *f);
        if (!f)
            return KVST_E_NOMEM;
        st->fields = f;
        st->field_cap = cap;
    }
    /* Offsets now, pointers once the text stops growing. Name and value
     * with a NUL after each, written at once (this runs for every field
     * of every match). */
    if (nlen > SIZE_MAX / 2 || vlen > SIZE_MAX / 2 ||
        !sg_buf_reserve(&st->fieldtext, nlen + vlen + 2))
        return KVST_E_NOMEM;
    p = st->fieldtext.data + st->fieldtext.len;
    st->fields[st->field_count].name.ptr = (const char *)(uintptr_t)st->fieldtext.len;
    st->fields[st->field_count].name.len = nlen;
    st->fields[st->field_count].value.ptr =
        (const char *)(uintptr_t)(st->fieldtext.len + nlen + 1);
    st->fields[st->field_count].value.len = vlen;
    if (nlen)
        memcpy(p, name, nlen);
    p[nlen] = '\0';
    if (vlen)
        memcpy(p + nlen + 1, val, vlen);
    p[nlen + 1 + vlen] = '\0';
    st->fieldtext.len += nlen + vlen + 2;
    st->fieldtext.data[st->fieldtext.len] = '\0';
    st->field_count++;
    return 0;
}

static void fix_fields(kvst_sigma_state *st)
{
    size_t i;
    for (i = 0; i < st->field_count; i++) {
        st->fields[i].name.ptr = st->fieldtext.data +
                                 (size_t)(uintptr_t)st->fields[i].name.ptr;
        st->fields[i].value.ptr = st->fieldtext.data +
                                  (size_t)(uintptr_t)st->fields[i].value.ptr;
    }
}

/* The fields of a detection match: the tests of the first map that holds
 * in each positive search that held. */
static int detection_fields(kvst_sigma_state *st, const sg_rule *r, sg_match_ctx *mx)
{
    size_t s, m, t;
    for (s = 0; s < r->search_count; s++) {
        const sg_search *se = &r->searches[s];
        if (!r->positive[s] || st->memo[s] != 1)
            continue;
        /* One pass over each map's tests (they are pure): the fields of
         * a map that does not hold are taken back. */
        for (m = 0; m < se->map_count; m++) {
            const sg_map *map = &se->maps[m];
            size_t count = st->field_count, len = st->fieldtext.len;
            for (t = 0; t < map->test_count; t++) {
                const sg_leaf *hit;
                if (!sg_test_match(&map->tests[t], mx, &hit))
                    break;
                if (hit && add_field(st, hit->path, hit->path_len, hit->val,
                                     hit->val_len) != 0)
                    return KVST_E_NOMEM;
            }
            if (t == map->test_count)
                break;
            st->field_count = count;
            st->fieldtext.len = len;
        }
    }
    return 0;
}

static const sg_leaf *first_value(const sg_record *rec, const char *path)
{
    size_t from = 0, n = strlen(path);
    uint64_t h = sg_hash(path, n);
    const sg_leaf *l;
    while ((l = sg_record_find(rec, h, path, n, &from)))
        if (l->type != SG_J_ARRAY)
            return l;
    return NULL;
}

/* The first value of a field for a correlation (group-by, value_count):
 * from the event for an envelope field, else from the record, flattened
 * now if need be. 1 and *val, *len set; 0 when absent or null;
 * KVST_E_NOMEM. */
static int field_value(kvst_sigma_state *st, const kvst_event *ev,
                       const char *path, const char **val, size_t *len)
{
    int env = sg_envelope_field(path, strlen(path));
    const sg_leaf *l;
    if (env >= 0) {
        const kvst_str *s = sg_envelope_get(ev, env);
        if (!s || !s->ptr)
            return 0;
        *val = s->ptr;
        *len = s->len;
        return 1;
    }
    if (flatten(st, ev) != 0)
        return KVST_E_NOMEM;
    l = first_value(&st->rec, path);
    if (!l || l->type == SG_J_NULL)
        return 0;
    *val = l->val;
    *len = l->val_len;
    return 1;
}

typedef struct report_ctx {
    kvst_sigma_match_fn fn;
    void *payload;
    int matches;
} report_ctx;

static int rule_matched(kvst_sigma_state *st, uint32_t ri, const kvst_event *ev,
                        sg_match_ctx *mx, const sg_fire *fire, report_ctx *rep);

/* Feed rule ri's match to the correlations that refer to it. */
static int feed_dependents(kvst_sigma_state *st, uint32_t ri, const kvst_event *ev,
                           sg_match_ctx *mx, report_ctx *rep)
{
    const sg_rule *r = st->rs->rules[ri];
    size_t d;
    if (!ev->event_time_valid) {
        if (r->dependent_count)
            st->stats.untimed++;
        return 0;
    }
    for (d = 0; d < r->dependent_count; d++) {
        uint32_t ci = r->dependents[d];
        const sg_rule *cr = st->rs->rules[ci];
        const sg_corr *c = cr->corr;
        uint32_t slot = 0;
        size_t g;
        uint64_t vhash = 0;
        sg_fire fire;
        int rc;
        while (slot < c->ref_count && c->ref_rules[slot] != ri)
            slot++;
        st->key.len = 0;
        st->key.failed = 0; /* a past failure is not this key's */
        for (g = 0; g < c->group_count; g++) {
            const char *field = c->alias_field[g * c->ref_count + slot];
            const char *val;
            size_t len;
            rc = field_value(st, ev, field ? field : c->group_by[g], &val, &len);
            if (rc < 0)
                return rc;
            if (g)
                sg_buf_addc(&st->key, '\x1f');
            if (rc == 1)
                sg_buf_add(&st->key, val, len);
        }
        if (st->key.failed)
            return KVST_E_NOMEM;
        if (c->type == SG_VALUE_COUNT) {
            const char *val;
            size_t len;
            rc = field_value(st, ev, c->field, &val, &len);
            if (rc < 0)
                return rc;
            if (rc == 0)
                continue; /* no value to count */
            vhash = sg_hash(val, len);
        }
        rc = sg_corr_add(st->corr[ci], c, &st->rs->opts,
                         st->key.data ? st->key.data : "", st->key.len, slot,
                         ev->event_time_ms, st->watermark, vhash, &fire, &st->stats);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            rc = rule_matched(st, ci, ev, mx, &fire, rep);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

static int rule_matched(kvst_sigma_state *st, uint32_t ri, const kvst_event *ev,
                        sg_match_ctx *mx, const sg_fire *fire, report_ctx *rep)
{
    const sg_rule *r = st->rs->rules[ri];
    int rc;
    if (r->info.reported) {
        kvst_sigma_result m;
        st->field_count = 0;
        st->fieldtext.len = 0;
        st->fieldtext.failed = 0;
        if (r->corr) {
            /* The group-by values, from the key (\x1f between them). */
            const sg_corr *c = r->corr;
            const char *k = st->key.data ? st->key.data : "";
            size_t g, left = st->key.len;
            for (g = 0; g < c->group_count; g++) {
                const char *sep = memchr(k, '\x1f', left);
                size_t n = sep ? (size_t)(sep - k) : left;
                if (add_field(st, c->group_by[g], strlen(c->group_by[g]), k, n) != 0)
                    return KVST_E_NOMEM;
                k += n + (sep ? 1 : 0);
                left -= n + (sep ? 1 : 0);
            }
        } else if (detection_fields(st, r, mx) != 0) {
            return KVST_E_NOMEM;
        }
        fix_fields(st);
        memset(&m, 0, sizeof m);
        m.struct_size = sizeof m;
        m.rule = &r->info;
        m.event = ev;
        m.field_count = st->field_count;
        m.fields = st->fields;
        if (fire) {
            m.count = fire->count;
            m.window_start_ms = fire->start_ms;
            m.window_end_ms = fire->end_ms;
        }
        st->stats.matches++;
        rep->matches++;
        if (rep->fn && rep->fn(&m, rep->payload) != 0)
            return KVST_E_ABORTED;
    }
    if (!r->dependent_count)
        return 0;
    /* A chain of correlations is at most as deep as the rule count. */
    if (st->depth > 64)
        return 0;
    st->depth++;
    rc = feed_dependents(st, ri, ev, mx, rep);
    st->depth--;
    return rc;
}

static int match(kvst_sigma_state *st, const kvst_event *ev,
                 kvst_sigma_match_fn fn, void *payload)
{
    const kvst_sigma_ruleset *rs;
    sg_match_ctx mx;
    report_ctx rep;
    const uint32_t *eval;
    size_t n, i;
    if (!st || !ev)
        return KVST_E_INVAL;
    if (ev->status != 0)
        return 0;
    rs = st->rs;
    st->stats.events++;
    if (ev->event_time_valid && (!st->have_watermark || ev->event_time_ms > st->watermark)) {
        st->watermark = ev->event_time_ms;
        st->have_watermark = 1;
    }
    st->flattened = 0;
    st->cur_ev = ev;
    rep.fn = fn;
    rep.payload = payload;
    rep.matches = 0;
    memset(&mx, 0, sizeof mx);
    mx.ev = ev;
    mx.rec = &st->rec;
    mx.need_record = need_record;
    mx.need_all = need_all;
    mx.need_ctx = st;
    mx.md = st->md;
    mx.mc = st->mc;
    mx.regex_errors = &st->stats.regex_errors;
    n = prefilter_pair(st, ev, &eval);
    for (i = 0; i < n; i++) {
        const sg_rule *r = rs->rules[eval[i]];
        int rc;
        if (r->key_field1) {
            const kvst_str *k = sg_envelope_get(ev, r->key_field1 - 1);
            if (!k || !prefilter_holds(&r->key, k))
                continue;
        }
        st->stats.rule_evaluations++;
        memset(st->memo, -1, r->search_count);
        if (!sg_cond_eval(r->cond, r->searches, st->memo, &mx))
            continue;
        rc = rule_matched(st, eval[i], ev, &mx, NULL, &rep);
        if (rc != 0)
            return rc;
    }
    return mx.failed ? KVST_E_NOMEM : rep.matches;
}

/* ---- the public entry points: each under its object's allocator --------- */

int kvst_sigma_builder_new(const kvst_sigma_options *opts, kvst_sigma_builder **out)
{
    kvst_allocator a;
    const kvst_allocator *prev;
    int rc;
    if (!out)
        return KVST_E_INVAL;
    *out = NULL;
    sg_mem_take(opts && opts->struct_size >= sizeof *opts ? &opts->allocator : NULL, &a);
    prev = sg_mem_enter(&a);
    rc = builder_new(opts, out);
    sg_mem_leave(prev);
    return rc;
}

int kvst_sigma_builder_placeholder(kvst_sigma_builder *b, const char *name,
                                   const char *value)
{
    const kvst_allocator *prev;
    int rc;
    if (!b)
        return KVST_E_INVAL;
    prev = sg_mem_enter(&b->env.opts.allocator);
    rc = builder_placeholder(b, name, value);
    sg_mem_leave(prev);
    return rc;
}

int kvst_sigma_builder_add_text(kvst_sigma_builder *b, const char *file,
                                const char *text, size_t len)
{
    const kvst_allocator *prev;
    int rc;
    if (!b)
        return KVST_E_INVAL;
    prev = sg_mem_enter(&b->env.opts.allocator);
    rc = builder_add_text(b, file, text, len);
    sg_mem_leave(prev);
    return rc;
}

int kvst_sigma_builder_add_path(kvst_sigma_builder *b, const char *path)
{
    const kvst_allocator *prev;
    int rc;
    if (!b)
        return KVST_E_INVAL;
    prev = sg_mem_enter(&b->env.opts.allocator);
    rc = builder_add_path(b, path);
    sg_mem_leave(prev);
    return rc;
}

int kvst_sigma_builder_build(kvst_sigma_builder *b, kvst_sigma_ruleset **out)
{
    const kvst_allocator *prev;
    int rc;
    if (!b)
        return KVST_E_INVAL;
    prev = sg_mem_enter(&b->env.opts.allocator);
    rc = builder_build(b, out);
    sg_mem_leave(prev);
    return rc;
}

/* The frees copy the allocator first: the object holding it goes. */
void kvst_sigma_builder_free(kvst_sigma_builder *b)
{
    kvst_allocator a;
    const kvst_allocator *prev;
    if (!b)
        return;
    a = b->env.opts.allocator;
    prev = sg_mem_enter(&a);
    builder_free(b);
    sg_mem_leave(prev);
}

void kvst_sigma_ruleset_free(kvst_sigma_ruleset *rs)
{
    kvst_allocator a;
    const kvst_allocator *prev;
    if (!rs)
        return;
    a = rs->opts.allocator;
    prev = sg_mem_enter(&a);
    ruleset_free(rs);
    sg_mem_leave(prev);
}

int kvst_sigma_state_new(const kvst_sigma_ruleset *rs, kvst_sigma_state **out)
{
    const kvst_allocator *prev;
    int rc;
    if (!rs || !out)
        return KVST_E_INVAL;
    prev = sg_mem_enter(&rs->opts.allocator);
    rc = state_new(rs, out);
    sg_mem_leave(prev);
    return rc;
}

void kvst_sigma_state_free(kvst_sigma_state *st)
{
    kvst_allocator a;
    const kvst_allocator *prev;
    if (!st)
        return;
    a = st->rs->opts.allocator;
    prev = sg_mem_enter(&a);
    state_free(st);
    sg_mem_leave(prev);
}

int kvst_sigma_match(kvst_sigma_state *st, const kvst_event *ev,
                     kvst_sigma_match_fn fn, void *payload)
{
    const kvst_allocator *prev;
    int rc;
    if (!st || !ev)
        return KVST_E_INVAL;
    prev = sg_mem_enter(&st->rs->opts.allocator);
    rc = match(st, ev, fn, payload);
    sg_mem_leave(prev);
    return rc;
}
