/*
 * libkvstrail-sigma, stage "condition": the condition expression of a
 * detection -> a tree over its search identifiers; evaluation with each
 * search computed at most once per event; and the prefilter, the set of
 * eventSource / eventName values the condition can hold for.
 *
 * Grammar (the specification's, lowest precedence first):
 *   or   := and ("or" and)*
 *   and  := not ("and" not)*
 *   not  := "not" not | atom
 *   atom := "(" or ")" | N "of" PATTERN | "all" "of" PATTERN
 *         | "any" "of" PATTERN | IDENTIFIER
 * PATTERN is "them" (every search not starting with '_') or a name with
 * '*' wildcards. N is a positive integer ("1 of" is the usual one).
 * Keywords are case-insensitive.
 */
#include "sigma_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cparser {
    const char *p, *end;
    const sg_rule *r;
    uint64_t max_depth;
    sg_diag *d;
    const char *text;
} cparser;

typedef struct tok {
    const char *s;
    size_t n;
} tok;

static int is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '*' || c == '-' ||
           c == '.';
}

/* The next token without taking it: "(", ")", or a word. n == 0 at end. */
static tok peek(cparser *cp)
{
    tok t;
    const char *p = cp->p;
    while (p < cp->end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    t.s = p;
    t.n = 0;
    if (p >= cp->end)
        return t;
    if (*p == '(' || *p == ')') {
        t.n = 1;
        return t;
    }
    while (p < cp->end && is_ident(*p))
        p++;
    t.n = (size_t)(p - t.s);
    if (t.n == 0)
        t.n = 1; /* a stray character: reported by the caller */
    return t;
}

static void take(cparser *cp, tok t)
{
    cp->p = t.s + t.n;
}

static int word_is(tok t, const char *w)
{
    size_t n = strlen(w), i;
    if (t.n != n)
        return 0;
    for (i = 0; i < n; i++)
        if (sg_fold[(unsigned char)t.s[i]] != (unsigned char)w[i])
            return 0;
    return 1;
}

static sg_cond *fail(cparser *cp, tok t, const char *why)
{
    snprintf(cp->d->message, sizeof cp->d->message,
             "condition: %s at column %u of \"%.*s\"", why,
             (unsigned)(t.s - cp->text) + 1u, (int)(cp->end - cp->text),
             cp->text);
    return NULL;
}

static sg_cond *node(uint8_t op)
{
    sg_cond *c = sg_calloc(1, sizeof *c);
    if (c)
        c->op = op;
    return c;
}

/* '*' matches any run in search names. */
static int name_glob(const char *pat, size_t pn, const char *s)
{
    size_t sn = strlen(s);
    size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0;
    while (si < sn) {
        if (pi < pn && pat[pi] == '*') {
            star_p = pi++;
            star_s = si;
        } else if (pi < pn && pat[pi] == s[si]) {
            pi++;
            si++;
        } else if (star_p != (size_t)-1) {
            pi = star_p + 1;
            si = ++star_s;
        } else {
            return 0;
        }
    }
    while (pi < pn && pat[pi] == '*')
        pi++;
    return pi == pn;
}

static sg_cond *parse_or(cparser *cp, uint64_t depth);

static sg_cond *parse_of(cparser *cp, tok quant, uint64_t need)
{
    tok pat;
    sg_cond *c;
    size_t i;
    take(cp, peek(cp)); /* "of" */
    pat = peek(cp);
    if (pat.n == 0 || *pat.s == '(' || *pat.s == ')')
        return fail(cp, pat, "a search pattern or 'them' must follow 'of'");
    take(cp, pat);
    c = node(SG_C_OF);
    if (!c)
        return NULL;
    c->set = sg_calloc(cp->r->search_count + 1, sizeof *c->set);
    if (!c->set) {
        sg_free(c);
        return NULL;
    }
    for (i = 0; i < cp->r->search_count; i++) {
        const char *name = cp->r->searches[i].name;
        int in = word_is(pat, "them") ? name[0] != '_'
                                      : name_glob(pat.s, pat.n, name);
        if (in)
            c->set[c->set_count++] = (uint32_t)i;
    }
    if (c->set_count == 0) {
        sg_cond_free(c);
        return fail(cp, pat, "no search identifier matches the pattern");
    }
    c->need = need == 0 ? c->set_count : (uint32_t)need;
    if (need > c->set_count) {
        sg_cond_free(c);
        return fail(cp, quant, "more searches asked for than the pattern names");
    }
    return c;
}

static sg_cond *parse_atom(cparser *cp, uint64_t depth)
{
    tok t = peek(cp);
    size_t i;
    if (depth > cp->max_depth)
        return fail(cp, t, "nested too deeply");
    if (t.n == 0)
        return fail(cp, t, "an operand is missing");
    if (*t.s == '(') {
        sg_cond *c;
        take(cp, t);
        c = parse_or(cp, depth + 1);
        if (!c)
            return NULL;
        t = peek(cp);
        if (t.n != 1 || *t.s != ')') {
            sg_cond_free(c);
            return fail(cp, t, "')' expected");
        }
        take(cp, t);
        return c;
    }
    if (*t.s == ')')
        return fail(cp, t, "unexpected ')'");
    if (!is_ident(*t.s))
        return fail(cp, t, "unexpected character");
    {
        cparser save = *cp;
        tok of;
        take(cp, t);
        of = peek(cp);
        if (word_is(of, "of")) {
            uint64_t need = 0;
            if (word_is(t, "all"))
                need = 0;
            else if (word_is(t, "any"))
                need = 1;
            else {
                size_t k;
                for (k = 0; k < t.n; k++) {
                    if (t.s[k] < '0' || t.s[k] > '9' || need > 100000)
                        return fail(cp, t, "'N of', 'all of' or 'any of' expected");
                    need = need * 10 + (uint64_t)(t.s[k] - '0');
                }
                if (need == 0)
                    return fail(cp, t, "'0 of' never holds");
            }
            return parse_of(cp, t, need);
        }
        *cp = save;
    }
    if (word_is(t, "and") || word_is(t, "or") || word_is(t, "of"))
        return fail(cp, t, "an operand is missing before this operator");
    for (i = 0; i < cp->r->search_count; i++) {
        const char *name = cp->r->searches[i].name;
        if (strlen(name) == t.n && memcmp(name, t.s, t.n) == 0) {
            sg_cond *c = node(SG_C_SEARCH);
            if (c)
                c->search = (uint32_t)i;
            take(cp, t);
            return c;
        }
    }
    return fail(cp, t, "unknown search identifier");
}

static sg_cond *parse_not(cparser *cp, uint64_t depth)
{
    tok t = peek(cp);
    if (word_is(t, "not")) {
        sg_cond *c, *a;
        if (depth > cp->max_depth)
            return fail(cp, t, "nested too deeply");
        take(cp, t);
        a = parse_not(cp, depth + 1);
        if (!a)
            return NULL;
        c = node(SG_C_NOT);
        if (!c) {
            sg_cond_free(a);
            return NULL;
        }
        c->a = a;
        return c;
    }
    return parse_atom(cp, depth);
}

static sg_cond *parse_binary(cparser *cp, uint64_t depth, int is_or)
{
    sg_cond *left = is_or ? parse_binary(cp, depth, 0) : parse_not(cp, depth);
    if (!left)
        return NULL;
    for (;;) {
        tok t = peek(cp);
        sg_cond *right, *c;
        if (!word_is(t, is_or ? "or" : "and"))
            return left;
        take(cp, t);
        right = is_or ? parse_binary(cp, depth, 0) : parse_not(cp, depth);
        if (!right) {
            sg_cond_free(left);
            return NULL;
        }
        c = node(is_or ? SG_C_OR : SG_C_AND);
        if (!c) {
            sg_cond_free(left);
            sg_cond_free(right);
            return NULL;
        }
        c->a = left;
        c->b = right;
        left = c;
    }
}

static sg_cond *parse_or(cparser *cp, uint64_t depth)
{
    return parse_binary(cp, depth, 1);
}

int sg_condition_compile(const char *text, size_t len, const sg_rule *r,
                         uint64_t max_depth, sg_cond **out, sg_diag *d)
{
    cparser cp;
    tok t;
    cp.p = text;
    cp.end = text + len;
    cp.text = text;
    cp.r = r;
    cp.max_depth = max_depth;
    cp.d = d;
    d->message[0] = '\0';
    *out = parse_or(&cp, 0);
    if (!*out)
        return d->message[0] ? KVST_E_SYNTAX : KVST_E_NOMEM;
    t = peek(&cp);
    if (t.n != 0) {
        sg_cond_free(*out);
        *out = NULL;
        fail(&cp, t, word_is(t, "not") ? "'and not' or 'or not' expected"
                                       : "an operator ('and', 'or') expected");
        return KVST_E_SYNTAX;
    }
    return 0;
}

void sg_cond_free(sg_cond *c)
{
    if (!c)
        return;
    sg_cond_free(c->a);
    sg_cond_free(c->b);
    sg_free(c->set);
    sg_free(c);
}

static int search_eval(const sg_search *searches, uint32_t i, int8_t *memo,
                       sg_match_ctx *mx)
{
    if (memo[i] < 0) {
        const sg_search *s = &searches[i];
        size_t k;
        memo[i] = 0;
        for (k = 0; k < s->map_count; k++)
            if (sg_map_match(&s->maps[k], mx)) {
                memo[i] = 1;
                break;
            }
    }
    return memo[i];
}

int sg_cond_eval(const sg_cond *c, const sg_search *searches, int8_t *memo,
                 sg_match_ctx *mx)
{
    switch (c->op) {
    case SG_C_SEARCH: return search_eval(searches, c->search, memo, mx);
    case SG_C_AND:
        return sg_cond_eval(c->a, searches, memo, mx) &&
               sg_cond_eval(c->b, searches, memo, mx);
    case SG_C_OR:
        return sg_cond_eval(c->a, searches, memo, mx) ||
               sg_cond_eval(c->b, searches, memo, mx);
    case SG_C_NOT: return !sg_cond_eval(c->a, searches, memo, mx);
    default: {
        uint32_t i, held = 0;
        for (i = 0; i < c->set_count; i++) {
            held += (uint32_t)search_eval(searches, c->set[i], memo, mx);
            if (held >= c->need)
                return 1;
            /* Not enough left to reach need. */
            if (held + (c->set_count - i - 1) < c->need)
                return 0;
        }
        return held >= c->need;
    }
    }
}

/* Whether a search may read the record (and so flatten it): a test of a
 * field the event's envelope does not hold, a keyword, or a fieldref to
 * such a field. (exists and null on an envelope field flatten only for a
 * field present as null or as another type than string.) */
static int search_reads_record(const sg_search *se)
{
    size_t m, t, v;
    for (m = 0; m < se->map_count; m++)
        for (t = 0; t < se->maps[m].test_count; t++) {
            const sg_test *te = &se->maps[m].tests[t];
            if (te->envelope < 0)
                return 1;
            for (v = 0; v < te->value_count; v++)
                if (te->values[v].op == SG_OP_FIELDREF && te->values[v].ref_envelope < 0)
                    return 1;
        }
    return 0;
}

static int cond_reads_record(const sg_cond *c, const sg_search *searches)
{
    uint32_t i;
    switch (c->op) {
    case SG_C_SEARCH: return search_reads_record(&searches[c->search]);
    case SG_C_NOT: return cond_reads_record(c->a, searches);
    case SG_C_AND:
    case SG_C_OR:
        return cond_reads_record(c->a, searches) || cond_reads_record(c->b, searches);
    default:
        for (i = 0; i < c->set_count; i++)
            if (search_reads_record(&searches[c->set[i]]))
                return 1;
        return 0;
    }
}

/* The i-th operand of the chain of ANDs at c (a and b and c is
 * AND(a, AND(b, c))), or NULL past the last. */
static sg_cond **and_operand(sg_cond *c, size_t i)
{
    for (; i > 0; i--) {
        if (c->b->op != SG_C_AND)
            return i == 1 ? &c->b : NULL;
        c = c->b;
    }
    return &c->a;
}

void sg_cond_order(sg_cond *c, const sg_search *searches)
{
    sg_cond **x, **y, *t;
    size_t i, j;
    if (c->op == SG_C_NOT)
        sg_cond_order(c->a, searches);
    if (c->op != SG_C_AND && c->op != SG_C_OR)
        return;
    sg_cond_order(c->a, searches);
    sg_cond_order(c->b, searches);
    /* Only AND: when it holds every operand was evaluated in any order,
     * so the fields a match reports do not change; OR keeps its written
     * order, which decides the search whose fields are reported. */
    if (c->op != SG_C_AND)
        return;
    for (i = 0; (x = and_operand(c, i)) != NULL; i++) {
        if (!cond_reads_record(*x, searches))
            continue;
        for (j = i + 1; (y = and_operand(c, j)) != NULL; j++)
            if (!cond_reads_record(*y, searches)) {
                t = *x;
                *x = *y;
                *y = t;
                break;
            }
    }
}

void sg_cond_positive(const sg_cond *c, int negated, uint8_t *positive)
{
    uint32_t i;
    switch (c->op) {
    case SG_C_SEARCH:
        if (!negated)
            positive[c->search] = 1;
        return;
    case SG_C_NOT: sg_cond_positive(c->a, !negated, positive); return;
    case SG_C_AND:
    case SG_C_OR:
        sg_cond_positive(c->a, negated, positive);
        sg_cond_positive(c->b, negated, positive);
        return;
    default:
        if (!negated)
            for (i = 0; i < c->set_count; i++)
                positive[c->set[i]] = 1;
        return;
    }
}

/* ---- prefilter ---------------------------------------------------------- */

static void pf_any(sg_prefilter *p)
{
    sg_prefilter_free(p);
    p->any = 1;
}

static int pf_append(sg_prefilter *p, const char *v, size_t n)
{
    const char **vals = sg_realloc(p->values, (p->count + 1) * sizeof *vals);
    size_t *lens;
    if (!vals)
        return KVST_E_NOMEM;
    p->values = vals;
    lens = sg_realloc(p->lens, (p->count + 1) * sizeof *lens);
    if (!lens)
        return KVST_E_NOMEM;
    p->lens = lens;
    p->values[p->count] = v;
    p->lens[p->count] = n;
    p->count++;
    return 0;
}

/* The values a map needs in the field: the exact strings of a positive,
 * single-path test on it. Any other shape says nothing ("any"). */
static int map_prefilter(const sg_map *m, const char *field, sg_prefilter *out)
{
    size_t i, k, n = strlen(field);
    out->any = 1;
    for (i = 0; i < m->test_count; i++) {
        const sg_test *t = &m->tests[i];
        int exact = t->path && t->path_len == n &&
                    memcmp(t->path, field, n) == 0 && !t->neq &&
                    !(t->all && t->value_count > 1) && t->value_count > 0;
        for (k = 0; exact && k < t->value_count; k++)
            exact = t->values[k].op == SG_OP_STRING &&
                    t->values[k].shape == SG_EXACT;
        if (!exact)
            continue;
        out->any = 0;
        for (k = 0; k < t->value_count; k++)
            if (pf_append(out, t->values[k].text, t->values[k].len) != 0)
                return KVST_E_NOMEM;
        return 0;
    }
    return 0;
}

static int pf_union(sg_prefilter *into, sg_prefilter *from)
{
    size_t i;
    if (into->any || from->any) {
        pf_any(into);
        sg_prefilter_free(from);
        return 0;
    }
    for (i = 0; i < from->count; i++)
        if (pf_append(into, from->values[i], from->lens[i]) != 0) {
            sg_prefilter_free(from);
            return KVST_E_NOMEM;
        }
    sg_prefilter_free(from);
    return 0;
}

/* AND: either side's set bounds the result; keep the smaller. */
static void pf_intersect(sg_prefilter *into, sg_prefilter *from)
{
    if (into->any || (!from->any && from->count < into->count)) {
        sg_prefilter_free(into);
        *into = *from;
        memset(from, 0, sizeof *from);
        return;
    }
    sg_prefilter_free(from);
}

static int search_prefilter(const sg_search *s, const char *field,
                            sg_prefilter *out)
{
    size_t i;
    memset(out, 0, sizeof *out);
    if (s->map_count == 0) {
        out->any = 1;
        return 0;
    }
    for (i = 0; i < s->map_count; i++) {
        sg_prefilter m;
        memset(&m, 0, sizeof m);
        if (map_prefilter(&s->maps[i], field, &m) != 0) {
            sg_prefilter_free(&m);
            return KVST_E_NOMEM;
        }
        if (i == 0)
            *out = m;
        else if (pf_union(out, &m) != 0)
            return KVST_E_NOMEM;
    }
    return 0;
}

int sg_cond_prefilter(const sg_cond *c, const sg_search *searches,
                      const char *field, sg_prefilter *out)
{
    sg_prefilter b;
    uint32_t i;
    int rc;
    memset(out, 0, sizeof *out);
    memset(&b, 0, sizeof b);
    switch (c->op) {
    case SG_C_SEARCH: return search_prefilter(&searches[c->search], field, out);
    case SG_C_NOT: out->any = 1; return 0;
    case SG_C_AND:
    case SG_C_OR:
        rc = sg_cond_prefilter(c->a, searches, field, out);
        if (rc == 0)
            rc = sg_cond_prefilter(c->b, searches, field, &b);
        if (rc != 0) {
            sg_prefilter_free(&b);
            return rc;
        }
        if (c->op == SG_C_AND) {
            pf_intersect(out, &b);
            return 0;
        }
        return pf_union(out, &b);
    default:
        for (i = 0; i < c->set_count; i++) {
            sg_prefilter one;
            rc = search_prefilter(&searches[c->set[i]], field, &one);
            if (rc != 0) {
                sg_prefilter_free(&one);
                return rc;
            }
            if (i == 0)
                *out = one;
            else if (c->need == c->set_count)
                pf_intersect(out, &one);
            else if (pf_union(out, &one) != 0)
                return KVST_E_NOMEM;
        }
        return 0;
    }
}

void sg_prefilter_free(sg_prefilter *p)
{
    sg_free(p->values); // NOLINT(clang-analyzer-unix.Malloc): every free of a set is followed by NULLing it (below) or by overwriting the whole struct; the analyzer loses that across pf_intersect
    sg_free(p->lens);
    p->values = NULL;
    p->lens = NULL;
    p->count = 0;
    p->any = 0;
}
