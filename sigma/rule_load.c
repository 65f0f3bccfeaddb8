/*
 * libkvstrail-sigma, stage "rule load": a YAML text (one or more documents,
 * parsed by libyaml) -> rules. A document is a detection rule (it has
 * `detection`) or a correlation rule (`correlation`); its metadata goes to
 * kvst_sigma_rule, its detection to detection.c, its correlation section
 * is read here. A refused document costs one error; the next document of
 * the same text is still read (a YAML syntax error ends the text).
 */
#include "sigma_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct lctx {
    yaml_document_t *doc;
    sg_budget bud;
    sg_diag d;
    sg_rule *r;
} lctx;

static int ldiag(lctx *c, const yaml_node_t *n, const char *fmt, const char *arg)
{
    snprintf(c->d.message, sizeof c->d.message, fmt, arg ? arg : "");
    if (n) {
        c->d.line = (uint64_t)n->start_mark.line + 1;
        c->d.column = (uint64_t)n->start_mark.column + 1;
    }
    return KVST_E_SYNTAX;
}

static int own(sg_rule *r, void *p)
{
    void **o;
    if (!p)
        return KVST_E_NOMEM;
    o = sg_realloc(r->owned, (r->owned_count + 1) * sizeof *o);
    if (!o) {
        sg_free(p);
        return KVST_E_NOMEM;
    }
    r->owned = o;
    o[r->owned_count++] = p;
    return 0;
}

static int set_str(sg_rule *r, kvst_str *out, const char *s, size_t n)
{
    char *d = sg_strndup(s, n);
    if (own(r, d) != 0)
        return KVST_E_NOMEM;
    out->ptr = d;
    out->len = n;
    return 0;
}

static yaml_node_t *get(lctx *c, const yaml_node_t *map, const char *key)
{
    yaml_node_pair_t *p;
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE &&
            !strcmp((const char *)k->data.scalar.value, key))
            return yaml_document_get_node(c->doc, p->value);
    }
    return NULL;
}

static int scalar_of(const yaml_node_t *n, const char **s, size_t *len)
{
    if (!n || n->type != YAML_SCALAR_NODE)
        return 0;
    *s = (const char *)n->data.scalar.value;
    *len = n->data.scalar.length;
    return 1;
}

/* A scalar member, or a list of scalars joined with ", " (author). */
static int meta_str(lctx *c, const yaml_node_t *root, const char *key, kvst_str *out)
{
    yaml_node_t *n = get(c, root, key);
    const char *s;
    size_t len;
    if (scalar_of(n, &s, &len))
        return set_str(c->r, out, s, len);
    if (n && n->type == YAML_SEQUENCE_NODE) {
        sg_buf b = { 0 };
        yaml_node_item_t *it;
        int rc;
        for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
            if (scalar_of(yaml_document_get_node(c->doc, *it), &s, &len)) {
                if (b.len)
                    sg_buf_addz(&b, ", ");
                sg_buf_add(&b, s, len);
            }
        rc = b.failed ? KVST_E_NOMEM : set_str(c->r, out, b.data ? b.data : "", b.len);
        sg_buf_free(&b);
        return rc;
    }
    if (n)
        return ldiag(c, n, "'%s' must be a string", key);
    return 0;
}

/* A list of scalars (a lone scalar is a list of one). */
static int meta_list(lctx *c, const yaml_node_t *root, const char *key,
                     size_t *count, const kvst_str **out)
{
    yaml_node_t *n = get(c, root, key);
    kvst_str *v;
    yaml_node_item_t *it;
    const char *s;
    size_t len, k = 0;
    *count = 0;
    if (!n)
        return 0;
    if (n->type == YAML_SCALAR_NODE) {
        v = sg_calloc(1, sizeof *v);
        if (own(c->r, v) != 0)
            return KVST_E_NOMEM;
        *out = v;
        *count = 1;
        return set_str(c->r, v, (const char *)n->data.scalar.value,
                       n->data.scalar.length);
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return ldiag(c, n, "'%s' must be a list", key);
    v = sg_calloc((size_t)(n->data.sequence.items.top - n->data.sequence.items.start) + 1,
               sizeof *v);
    if (own(c->r, v) != 0)
        return KVST_E_NOMEM;
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(c->doc, *it);
        if (!scalar_of(e, &s, &len))
            return ldiag(c, e ? e : n, "'%s' must be a list of strings", key);
        if (set_str(c->r, &v[k++], s, len) != 0)
            return KVST_E_NOMEM;
    }
    *out = v;
    *count = k;
    return 0;
}

static uint32_t level_rank(const kvst_str *level)
{
    static const char *const names[] = { "", "informational", "low", "medium",
                                         "high", "critical" };
    uint32_t i;
    for (i = 1; i < sizeof names / sizeof names[0]; i++)
        if (level->len == strlen(names[i]) &&
            !memcmp(level->ptr, names[i], level->len))
            return i;
    return KVST_SIGMA_LEVEL_NONE;
}

static int metadata(lctx *c, const yaml_node_t *root, const char *file,
                    uint64_t line)
{
    sg_rule *r = c->r;
    kvst_sigma_rule *in = &r->info;
    static const struct { const char *key; size_t off; } strs[] = {
        { "id", offsetof(kvst_sigma_rule, id) },
        { "name", offsetof(kvst_sigma_rule, name) },
        { "title", offsetof(kvst_sigma_rule, title) },
        { "status", offsetof(kvst_sigma_rule, status) },
        { "level", offsetof(kvst_sigma_rule, level) },
        { "author", offsetof(kvst_sigma_rule, author) },
        { "description", offsetof(kvst_sigma_rule, description) },
        { "date", offsetof(kvst_sigma_rule, date) },
        { "modified", offsetof(kvst_sigma_rule, modified) },
        { "license", offsetof(kvst_sigma_rule, license) },
    };
    size_t i;
    int rc = 0;
    in->struct_size = sizeof *in;
    for (i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        kvst_str *s = (kvst_str *)(void *)((char *)in + strs[i].off);
        s->ptr = "";
        s->len = 0;
    }
    in->logsource.ptr = in->file.ptr = in->correlation_type.ptr = "";
    if (file)
        rc = set_str(r, &in->file, file, strlen(file));
    in->line = line;
    for (i = 0; rc == 0 && i < sizeof strs / sizeof strs[0]; i++)
        rc = meta_str(c, root, strs[i].key,
                      (kvst_str *)(void *)((char *)in + strs[i].off));
    if (rc == 0)
        rc = meta_list(c, root, "tags", &in->tag_count, &in->tags);
    if (rc == 0)
        rc = meta_list(c, root, "references", &in->reference_count, &in->references);
    if (rc == 0)
        rc = meta_list(c, root, "falsepositives", &in->falsepositive_count,
                       &in->falsepositives);
    in->level_rank = level_rank(&in->level);
    in->reported = 1;
    return rc;
}

/* "5m" -> milliseconds. */
static int parse_timespan(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0, unit;
    size_t i;
    if (n < 2)
        return 0;
    for (i = 0; i + 1 < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > 100000000)
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    switch (s[n - 1]) {
    case 's': unit = 1000; break;
    case 'm': unit = 60 * 1000; break;
    case 'h': unit = 3600 * 1000; break;
    case 'd': unit = 86400 * 1000; break;
    case 'w': unit = 7 * 86400 * 1000; break;
    default: return 0;
    }
    if (v == 0)
        return 0;
    *out = v * unit;
    return 1;
}

static int str_list(lctx *c, const yaml_node_t *n, const char *what,
                    char ***out, size_t *count)
{
    yaml_node_item_t *it;
    const char *s;
    size_t len;
    char **v;
    *count = 0;
    *out = NULL;
    if (!n)
        return 0;
    if (n->type == YAML_SCALAR_NODE) {
        v = sg_calloc(1, sizeof *v);
        if (!v || !(v[0] = sg_strndup((const char *)n->data.scalar.value,
                                      n->data.scalar.length))) {
            sg_free(v);
            return KVST_E_NOMEM;
        }
        *out = v;
        *count = 1;
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return ldiag(c, n, "'%s' must be a list of strings", what);
    v = sg_calloc((size_t)(n->data.sequence.items.top - n->data.sequence.items.start) + 1,
               sizeof *v);
    if (!v)
        return KVST_E_NOMEM;
    *out = v;
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(c->doc, *it);
        if (!scalar_of(e, &s, &len))
            return ldiag(c, e ? e : n, "'%s' must be a list of strings", what);
        v[*count] = sg_strndup(s, len);
        if (!v[*count])
            return KVST_E_NOMEM;
        (*count)++;
    }
    return 0;
}

static int count_condition(lctx *c, const yaml_node_t *n, sg_corr *k)
{
    yaml_node_pair_t *p;
    static const char *const ops[] = { "gt", "gte", "lt", "lte", "eq", "neq" };
    int *has[6];
    uint64_t *val[6];
    has[0] = &k->has_gt; val[0] = &k->gt;
    has[1] = &k->has_gte; val[1] = &k->gte;
    has[2] = &k->has_lt; val[2] = &k->lt;
    has[3] = &k->has_lte; val[3] = &k->lte;
    has[4] = &k->has_eq; val[4] = &k->eq;
    has[5] = &k->has_neq; val[5] = &k->neq;
    if (n->type != YAML_MAPPING_NODE)
        return ldiag(c, n, "%sthe correlation condition must be a map", NULL);
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *key = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        const char *ks, *vs;
        size_t kl, vl, i;
        int found = 0;
        if (!scalar_of(key, &ks, &kl) || !scalar_of(v, &vs, &vl))
            return ldiag(c, n, "%sthe correlation condition holds scalars", NULL);
        if (!strcmp(ks, "field")) {
            k->field = sg_strndup(vs, vl);
            k->field_len = vl;
            k->field_hash = sg_hash(vs, vl);
            if (!k->field)
                return KVST_E_NOMEM;
            continue;
        }
        for (i = 0; i < 6; i++)
            if (!strcmp(ks, ops[i])) {
                char *end;
                unsigned long long x = strtoull(vs, &end, 10);
                if (end == vs || *end != '\0' || vs[0] == '-')
                    return ldiag(c, v, "correlation condition '%s' takes a "
                                 "count (a non-negative integer)", ks);
                *has[i] = 1;
                *val[i] = (uint64_t)x;
                found = 1;
            }
        if (!found)
            return ldiag(c, key, "unknown correlation condition '%s'", ks);
    }
    return 0;
}

static int correlation(lctx *c, const yaml_node_t *root, const yaml_node_t *n)
{
    static const struct { const char *name; uint8_t type; } types[] = {
        { "event_count", SG_EVENT_COUNT }, { "value_count", SG_VALUE_COUNT },
        { "temporal", SG_TEMPORAL }, { "temporal_ordered", SG_TEMPORAL_ORDERED },
    };
    sg_corr *k;
    yaml_node_t *t, *ts, *cond, *aliases, *gen;
    const char *s;
    size_t len, i, g;
    int rc, found = 0;
    if (n->type != YAML_MAPPING_NODE)
        return ldiag(c, n, "%scorrelation must be a map", NULL);
    k = sg_calloc(1, sizeof *k);
    if (!k)
        return KVST_E_NOMEM;
    c->r->corr = k;
    t = get(c, n, "type");
    if (!scalar_of(t, &s, &len))
        return ldiag(c, n, "%scorrelation has no type", NULL);
    for (i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(s, types[i].name)) {
            k->type = types[i].type;
            found = 1;
            rc = set_str(c->r, &c->r->info.correlation_type, s, len);
            if (rc != 0)
                return rc;
        }
    if (!found)
        return ldiag(c, t, "unsupported correlation type '%s' (supported: "
                     "event_count, value_count, temporal, temporal_ordered)", s);
    rc = str_list(c, get(c, n, "rules"), "rules", &k->refs, &k->ref_count);
    if (rc != 0)
        return rc;
    if (k->ref_count == 0 || k->ref_count > 64)
        return ldiag(c, n, "%sa correlation names 1 to 64 rules", NULL);
    rc = str_list(c, get(c, n, "group-by"), "group-by", &k->group_by, &k->group_count);
    if (rc != 0)
        return rc;
    ts = get(c, n, "timespan");
    if (!ts)
        ts = get(c, n, "timeframe");
    if (!scalar_of(ts, &s, &len) || !parse_timespan(s, len, &k->timespan_ms))
        return ldiag(c, ts ? ts : n, "%scorrelation needs a timespan such as 5m, "
                     "1h or 2d", NULL);
    cond = get(c, n, "condition");
    if (cond) {
        rc = count_condition(c, cond, k);
        if (rc != 0)
            return rc;
    } else if (k->type == SG_EVENT_COUNT || k->type == SG_VALUE_COUNT) {
        return ldiag(c, n, "%sevent_count and value_count correlations need a condition", NULL);
    }
    if (k->type == SG_VALUE_COUNT && !k->field)
        return ldiag(c, cond ? cond : n, "%svalue_count needs condition.field", NULL);
    if (cond && !k->has_gt && !k->has_gte && !(k->has_eq && k->eq > 0))
        return ldiag(c, cond, "%sthe correlation condition needs a lower bound "
                     "(gt, gte, or eq above 0): a stream reports a window when it "
                     "reaches a count, and 'lt'/'lte' alone would need the "
                     "window's end", NULL);
    if (!cond) {
        k->has_gte = 1;
        k->gte = k->ref_count;
    }
    /* aliases: alias -> { rule name -> field } */
    k->alias_field = sg_calloc(k->group_count * k->ref_count + 1, sizeof *k->alias_field);
    if (!k->alias_field)
        return KVST_E_NOMEM;
    aliases = get(c, n, "aliases");
    for (g = 0; aliases && g < k->group_count; g++) {
        yaml_node_t *a = get(c, aliases, k->group_by[g]);
        for (i = 0; a && i < k->ref_count; i++) {
            yaml_node_t *f = get(c, a, k->refs[i]);
            if (scalar_of(f, &s, &len)) {
                k->alias_field[g * k->ref_count + i] = sg_strndup(s, len);
                if (!k->alias_field[g * k->ref_count + i])
                    return KVST_E_NOMEM;
            }
        }
    }
    gen = get(c, n, "generate");
    if (!gen)
        gen = get(c, root, "generate");
    k->generate = scalar_of(gen, &s, &len) && !strcmp(s, "true");
    return 0;
}

/* logsource: product aws and service cloudtrail (case-insensitive). */
static int logsource(lctx *c, const yaml_node_t *root, int *cloudtrail)
{
    yaml_node_t *ls = get(c, root, "logsource");
    const char *keys[3] = { "product", "service", "category" };
    const char *vals[3] = { "", "", "" };
    size_t lens[3] = { 0, 0, 0 }, i;
    sg_buf b = { 0 };
    int rc;
    if (!ls || ls->type != YAML_MAPPING_NODE)
        return ldiag(c, ls ? ls : root, "%sa detection rule needs a logsource map",
                     NULL);
    for (i = 0; i < 3; i++)
        if (!scalar_of(get(c, ls, keys[i]), &vals[i], &lens[i]))
            vals[i] = "";
    for (i = 0; i < 3; i++) {
        if (i)
            sg_buf_addc(&b, '/');
        sg_buf_add(&b, vals[i], lens[i]);
    }
    rc = b.failed ? KVST_E_NOMEM
                  : set_str(c->r, &c->r->info.logsource, b.data, b.len);
    sg_buf_free(&b);
    *cloudtrail = lens[0] == 3 && sg_fold_eq(vals[0], "aws", 3) &&
                  lens[1] == 10 && sg_fold_eq(vals[1], "cloudtrail", 10);
    return rc;
}

void sg_rule_free(sg_rule *r)
{
    size_t i;
    if (!r)
        return;
    for (i = 0; i < r->search_count; i++)
        sg_search_free(&r->searches[i]);
    sg_free(r->searches);
    sg_cond_free(r->cond);
    sg_free(r->positive);
    sg_prefilter_free(&r->sources);
    sg_prefilter_free(&r->names);
    sg_prefilter_free(&r->key);
    if (r->corr) {
        sg_corr *k = r->corr;
        for (i = 0; i < k->ref_count; i++)
            sg_free(k->refs[i]);
        for (i = 0; i < k->group_count; i++)
            sg_free(k->group_by[i]);
        for (i = 0; k->alias_field && i < k->group_count * k->ref_count; i++)
            sg_free(k->alias_field[i]);
        sg_free(k->refs);
        sg_free(k->ref_rules);
        sg_free(k->group_by);
        sg_free(k->alias_field);
        sg_free(k->field);
        sg_free(k);
    }
    for (i = 0; i < r->owned_count; i++)
        sg_free(r->owned[i]);
    sg_free(r->owned);
    sg_free(r->dependents);
    sg_free(r);
}

/* The rule's key: of the envelope's fields other than eventSource and
 * eventName (the index has those), the one whose prefilter has the fewest
 * values, so that a rule every event reaches (userIdentity.type: Root,
 * userAgent: TruffleHog, errorCode: AccessDenied) is evaluated only for
 * the events with such a value. The envelope's string is what every
 * string test of such a field reads (value_holds), so the set bounds the
 * events the condition can hold for, as sg_cond_prefilter does for
 * eventName. */
static int key_prefilter(sg_rule *r)
{
    int f, n = sg_envelope_count();
    r->key_field1 = 0;
    for (f = 0; f < n; f++) {
        const char *path = sg_envelope_path(f);
        sg_prefilter p;
        int rc;
        if (!strcmp(path, "eventSource") || !strcmp(path, "eventName"))
            continue;
        rc = sg_cond_prefilter(r->cond, r->searches, path, &p);
        if (rc != 0) {
            sg_prefilter_free(&p);
            return rc;
        }
        if (!p.any && (!r->key_field1 || p.count < r->key.count)) {
            sg_prefilter_free(&r->key);
            r->key = p;
            r->key_field1 = f + 1;
        } else {
            sg_prefilter_free(&p);
        }
    }
    return 0;
}

/* Finish a detection: which searches count for the fields reported, the
 * order of AND operands (cheap first), and the prefilter on eventSource
 * and eventName. */
static int finish_detection(sg_rule *r)
{
    int rc;
    r->positive = sg_calloc(r->search_count + 1, 1);
    if (!r->positive)
        return KVST_E_NOMEM;
    sg_cond_positive(r->cond, 0, r->positive);
    sg_cond_order(r->cond, r->searches);
    rc = sg_cond_prefilter(r->cond, r->searches, "eventSource", &r->sources);
    if (rc == 0)
        rc = sg_cond_prefilter(r->cond, r->searches, "eventName", &r->names);
    if (rc == 0)
        rc = key_prefilter(r);
    return rc;
}

static int load_document(const sg_env *env, const char *file, yaml_document_t *doc,
                         uint64_t *nodes_left, const sg_sink *sink)
{
    lctx c;
    yaml_node_t *root = yaml_document_get_root_node(doc), *det, *corr;
    int rc, cloudtrail = 1;
    memset(&c, 0, sizeof c);
    c.doc = doc;
    c.bud.nodes = *nodes_left;
    c.bud.values = env->opts.max_values;
    c.bud.env = env;
    c.r = sg_calloc(1, sizeof *c.r);
    if (!c.r)
        return KVST_E_NOMEM;
    if (root->type != YAML_MAPPING_NODE) {
        rc = ldiag(&c, root, "%sa rule document must be a map", NULL);
    } else {
        rc = metadata(&c, root, file, (uint64_t)root->start_mark.line + 1);
        det = get(&c, root, "detection");
        corr = get(&c, root, "correlation");
        if (rc == 0 && !c.r->info.title.len)
            rc = ldiag(&c, root, "%sthe rule has no title", NULL);
        if (rc == 0 && get(&c, root, "filter") && !det)
            rc = ldiag(&c, root, "%sunsupported Sigma filter document ('filter'): "
                       "meta filters are not applied by this engine", NULL);
        else if (rc == 0 && corr) {
            c.r->info.kind = KVST_SIGMA_CORRELATION;
            rc = correlation(&c, root, corr);
        } else if (rc == 0 && det) {
            c.r->info.kind = KVST_SIGMA_DETECTION;
            rc = logsource(&c, root, &cloudtrail);
            if (rc == 0 && cloudtrail)
                rc = sg_detection_compile(doc, det, &c.bud, c.r, &c.d);
            if (rc == 0 && cloudtrail)
                rc = finish_detection(c.r);
        } else if (rc == 0) {
            rc = ldiag(&c, root, "%sthe document has neither detection nor "
                       "correlation", NULL);
        }
    }
    *nodes_left = c.bud.nodes;
    if (rc == KVST_E_SYNTAX) {
        char title[300];
        snprintf(title, sizeof title, "%.*s", (int)(c.r->info.title.len > 256 ? 256
                                                   : c.r->info.title.len),
                 c.r->info.title.ptr ? c.r->info.title.ptr : "");
        rc = sink->error(sink->ctx, file, c.d.line, c.d.column, title, c.d.message);
        sg_rule_free(c.r);
        return rc != 0 ? rc : KVST_E_SYNTAX;
    }
    if (rc != 0) {
        sg_rule_free(c.r);
        return rc;
    }
    return sink->rule(sink->ctx, c.r, !cloudtrail);
}

int sg_load_text(const sg_env *env, const char *file, const char *text,
                 size_t len, const sg_sink *sink)
{
    yaml_parser_t parser;
    uint64_t nodes_left = env->opts.max_yaml_nodes;
    int status = 0;
    if (len > env->opts.max_text_bytes) {
        char msg[160];
        snprintf(msg, sizeof msg, "the text is %lu bytes, more than max_text_bytes "
                 "(%lu)", (unsigned long)len, (unsigned long)env->opts.max_text_bytes);
        status = sink->error(sink->ctx, file, 0, 0, "", msg);
        return status != 0 ? status : KVST_E_LIMIT;
    }
    if (!yaml_parser_initialize(&parser))
        return KVST_E_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    for (;;) {
        yaml_document_t doc;
        yaml_node_t *root;
        int rc;
        if (!yaml_parser_load(&parser, &doc)) {
            char msg[400];
            if (parser.error == YAML_MEMORY_ERROR) {
                status = KVST_E_NOMEM;
                break;
            }
            snprintf(msg, sizeof msg, "YAML: %s%s%s", parser.problem ? parser.problem
                                                                     : "syntax error",
                     parser.context ? " " : "", parser.context ? parser.context : "");
            rc = sink->error(sink->ctx, file, (uint64_t)parser.problem_mark.line + 1,
                             (uint64_t)parser.problem_mark.column + 1, "", msg);
            status = rc != 0 ? rc : KVST_E_SYNTAX;
            break;
        }
        root = yaml_document_get_root_node(&doc);
        if (!root) {
            yaml_document_delete(&doc);
            break;
        }
        rc = load_document(env, file, &doc, &nodes_left, sink);
        yaml_document_delete(&doc);
        if (rc == KVST_E_NOMEM) {
            status = rc;
            break;
        }
        if (rc != 0)
            status = rc;
    }
    yaml_parser_delete(&parser);
    return status;
}
