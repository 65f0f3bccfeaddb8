/*
 * libkvstrail-sigma, stage "detection": the `detection` map of a rule
 * document -> search identifiers, each an OR of maps, each map an AND of
 * field tests, each test a list of compiled values.
 *
 * A value goes through its modifiers in the order they are written (the
 * specification's rule): first the Sigma string syntax (wildcards '*' and
 * '?', backslash escapes) or, with |expand, placeholders; then each
 * transformation (contains, startswith, endswith, base64, base64offset,
 * utf16le/utf16be/utf16/wide, windash) on every value so far; finally the
 * type modifiers (re, cidr, gt/gte/lt/lte, exists, fieldref) take the text
 * as it was written. Case folding (ASCII) happens last, unless |cased.
 */
#include "sigma_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* A value while modifiers are applied: bytes and a wildcard mask. */
typedef struct piece {
    unsigned char *b, *w;
    size_t n;
} piece;

typedef struct pieces {
    piece *v;
    size_t count;
} pieces;

/* Modifier flags, one bit each. */
enum {
    M_CONTAINS = 1u << 0, M_STARTSWITH = 1u << 1, M_ENDSWITH = 1u << 2,
    M_ALL = 1u << 3, M_RE = 1u << 4, M_I = 1u << 5, M_M = 1u << 6,
    M_S = 1u << 7, M_CIDR = 1u << 8, M_EXISTS = 1u << 9, M_GT = 1u << 10,
    M_GTE = 1u << 11, M_LT = 1u << 12, M_LTE = 1u << 13, M_NEQ = 1u << 14,
    M_BASE64 = 1u << 15, M_BASE64OFFSET = 1u << 16, M_UTF16LE = 1u << 17,
    M_UTF16BE = 1u << 18, M_UTF16 = 1u << 19, M_WINDASH = 1u << 20,
    M_FIELDREF = 1u << 21, M_EXPAND = 1u << 22, M_CASED = 1u << 23
};

#define M_TRANSFORM (M_CONTAINS | M_STARTSWITH | M_ENDSWITH | M_BASE64 | \
                     M_BASE64OFFSET | M_UTF16LE | M_UTF16BE | M_UTF16 | M_WINDASH)
#define M_TYPE (M_RE | M_CIDR | M_EXISTS | M_GT | M_GTE | M_LT | M_LTE | M_FIELDREF)

static const struct { const char *name; uint32_t bit; } modifier_names[] = {
    { "contains", M_CONTAINS }, { "startswith", M_STARTSWITH },
    { "endswith", M_ENDSWITH }, { "all", M_ALL }, { "re", M_RE },
    { "i", M_I }, { "m", M_M }, { "s", M_S }, { "cidr", M_CIDR },
    { "exists", M_EXISTS }, { "gt", M_GT }, { "gte", M_GTE }, { "lt", M_LT },
    { "lte", M_LTE }, { "neq", M_NEQ }, { "base64", M_BASE64 },
    { "base64offset", M_BASE64OFFSET }, { "utf16le", M_UTF16LE },
    { "wide", M_UTF16LE }, { "utf16be", M_UTF16BE }, { "utf16", M_UTF16 },
    { "windash", M_WINDASH }, { "fieldref", M_FIELDREF },
    { "expand", M_EXPAND }, { "cased", M_CASED },
};

/* Modifiers of the specification this engine does not run, with why. */
static const struct { const char *name; const char *why; } refused_modifiers[] = {
    { "minute", "time modifiers are not supported" },
    { "hour", "time modifiers are not supported" },
    { "day", "time modifiers are not supported" },
    { "week", "time modifiers are not supported" },
    { "month", "time modifiers are not supported" },
    { "year", "time modifiers are not supported" },
};

typedef struct dctx {
    yaml_document_t *doc;
    sg_budget *bud;
    sg_diag *d;
} dctx;

static int diag(dctx *c, const yaml_node_t *n, const char *fmt, const char *arg)
{
    snprintf(c->d->message, sizeof c->d->message, fmt, arg ? arg : "");
    if (n) {
        c->d->line = (uint64_t)n->start_mark.line + 1;
        c->d->column = (uint64_t)n->start_mark.column + 1;
    }
    return KVST_E_SYNTAX;
}

static int visit(dctx *c, const yaml_node_t *n)
{
    if (c->bud->nodes == 0)
        return diag(c, n, "%srule is too large (max_yaml_nodes)", NULL);
    c->bud->nodes--;
    return 0;
}

/* ---- pieces ------------------------------------------------------------- */

static void pieces_free(pieces *ps)
{
    size_t i;
    for (i = 0; i < ps->count; i++) {
        sg_free(ps->v[i].b);
        sg_free(ps->v[i].w);
    }
    sg_free(ps->v);
    ps->v = NULL;
    ps->count = 0;
}

static int piece_push(pieces *ps, const unsigned char *b, const unsigned char *w,
                      size_t n)
{
    piece *v = sg_realloc(ps->v, (ps->count + 1) * sizeof *v);
    piece *p;
    if (!v)
        return KVST_E_NOMEM;
    ps->v = v;
    p = &v[ps->count];
    p->b = sg_malloc(n + 1);
    p->w = sg_calloc(n + 1, 1);
    if (!p->b || !p->w) {
        sg_free(p->b);
        sg_free(p->w);
        return KVST_E_NOMEM;
    }
    if (n) {
        memcpy(p->b, b, n);
        if (w)
            memcpy(p->w, w, n);
    }
    p->b[n] = '\0';
    p->n = n;
    ps->count++;
    return 0;
}

/* The Sigma string syntax: '*' and '?' are wildcards; "\*", "\?" and "\\"
 * are the plain characters; any other backslash is itself. */
static int parse_sigma_string(const char *s, size_t n, pieces *out)
{
    unsigned char *b = sg_malloc(n + 1), *w = sg_calloc(n + 1, 1);
    size_t i, k = 0;
    int rc;
    if (!b || !w) {
        sg_free(b);
        sg_free(w);
        return KVST_E_NOMEM;
    }
    for (i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '\\' && i + 1 < n &&
            (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
            b[k++] = (unsigned char)s[++i];
        } else if (ch == '*' || ch == '?') {
            w[k] = (unsigned char)ch;
            b[k++] = (unsigned char)ch;
        } else {
            b[k++] = (unsigned char)ch;
        }
    }
    rc = piece_push(out, b, w, k);
    sg_free(b);
    sg_free(w);
    return rc;
}

static int has_wildcards(const piece *p)
{
    size_t i;
    for (i = 0; i < p->n; i++)
        if (p->w[i])
            return 1;
    return 0;
}

/* |expand: each %name% becomes each of its values (every combination);
 * "\%" is a plain percent sign. The expanded text is a Sigma string. */
static int expand(dctx *c, const yaml_node_t *n, const char *s, size_t len,
                  pieces *out)
{
    const sg_env *env = c->bud->env;
    size_t i = 0;
    sg_buf head = { 0 };
    int rc = 0;
    while (i < len) {
        if (s[i] == '\\' && i + 1 < len && s[i + 1] == '%') {
            sg_buf_addc(&head, '%');
            i += 2;
            continue;
        }
        if (s[i] == '%') {
            const char *close = memchr(s + i + 1, '%', len - i - 1);
            size_t nlen, k, found = 0;
            if (!close) {
                sg_buf_free(&head);
                return diag(c, n, "unterminated placeholder in '%s'", s);
            }
            nlen = (size_t)(close - (s + i + 1));
            for (k = 0; k < env->placeholder_count; k++) {
                const char *name = env->placeholder_names[k];
                if (strlen(name) == nlen && memcmp(name, s + i + 1, nlen) == 0) {
                    sg_buf v = { 0 };
                    size_t rest = len - (size_t)(close + 1 - s);
                    sg_buf_add(&v, head.data ? head.data : "", head.len);
                    sg_buf_addz(&v, env->placeholder_values[k]);
                    sg_buf_add(&v, close + 1, rest);
                    found++;
                    if (v.failed)
                        rc = KVST_E_NOMEM;
                    else
                        /* The rest may hold more placeholders. */
                        rc = expand(c, n, v.data, v.len, out);
                    sg_buf_free(&v);
                    if (rc != 0)
                        break;
                }
            }
            if (rc == 0 && !found) {
                char name[128];
                snprintf(name, sizeof name, "%.*s", (int)(nlen > 100 ? 100 : nlen),
                         s + i + 1);
                rc = diag(c, n, "placeholder %%%s%% has no value (give it with "
                          "--placeholder NAME=VALUE)", name);
            }
            sg_buf_free(&head);
            return rc;
        }
        sg_buf_addc(&head, s[i]);
        i++;
    }
    rc = head.failed ? KVST_E_NOMEM
                     : parse_sigma_string(head.data ? head.data : "", head.len, out);
    sg_buf_free(&head);
    return rc;
}

/* ---- transformations ---------------------------------------------------- */

static int wrap(piece *p, int before, int after)
{
    size_t add = (size_t)(before && !(p->n && p->w[0] == '*')) +
                 (size_t)(after && !(p->n && p->w[p->n - 1] == '*'));
    unsigned char *b = sg_malloc(p->n + add + 1), *w = sg_calloc(p->n + add + 1, 1);
    size_t k = 0;
    if (!b || !w) {
        sg_free(b);
        sg_free(w);
        return KVST_E_NOMEM;
    }
    if (before && !(p->n && p->w[0] == '*')) {
        b[k] = '*';
        w[k++] = '*';
    }
    if (p->n) {
        memcpy(b + k, p->b, p->n);
        memcpy(w + k, p->w, p->n);
    }
    k += p->n;
    if (after && !(p->n && p->w[p->n - 1] == '*')) {
        b[k] = '*';
        w[k++] = '*';
    }
    b[k] = '\0';
    sg_free(p->b);
    sg_free(p->w);
    p->b = b;
    p->w = w;
    p->n = k;
    return 0;
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(const unsigned char *in, size_t n, sg_buf *out)
{
    size_t i;
    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        sg_buf_addc(out, b64chars[(v >> 18) & 63]);
        sg_buf_addc(out, b64chars[(v >> 12) & 63]);
        sg_buf_addc(out, b64chars[(v >> 6) & 63]);
        sg_buf_addc(out, b64chars[v & 63]);
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        sg_buf_addc(out, b64chars[(v >> 18) & 63]);
        sg_buf_addc(out, b64chars[(v >> 12) & 63]);
        sg_buf_addz(out, "==");
    } else if (n - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        sg_buf_addc(out, b64chars[(v >> 18) & 63]);
        sg_buf_addc(out, b64chars[(v >> 12) & 63]);
        sg_buf_addc(out, b64chars[(v >> 6) & 63]);
        sg_buf_addc(out, '=');
    }
}

/* base64offset: the three encodings of the value shifted by 0, 1 and 2
 * bytes, without the characters that depend on the unknown neighbours
 * (pySigma's offsets: start 0, 2, 3; end by (len + shift) % 3). */
static int base64_variants(const piece *p, int offsets, pieces *out)
{
    static const size_t start[3] = { 0, 2, 3 };
    static const size_t cut_end[3] = { 0, 3, 2 };
    int shift, rc = 0;
    for (shift = 0; shift < (offsets ? 3 : 1) && rc == 0; shift++) {
        sg_buf in = { 0 }, enc = { 0 };
        size_t s = offsets ? start[shift] : 0, e;
        int k;
        for (k = 0; k < shift; k++)
            sg_buf_addc(&in, ' ');
        sg_buf_add(&in, p->b, p->n);
        if (in.failed) {
            sg_buf_free(&in);
            return KVST_E_NOMEM;
        }
        base64((const unsigned char *)in.data, in.len, &enc);
        e = enc.len;
        if (offsets) {
            size_t cut = cut_end[(p->n + (size_t)shift) % 3];
            e = e > cut ? e - cut : 0;
        }
        if (enc.failed)
            rc = KVST_E_NOMEM;
        else if (e > s)
            rc = piece_push(out, (const unsigned char *)enc.data + s, NULL, e - s);
        sg_buf_free(&in);
        sg_buf_free(&enc);
    }
    return rc;
}

/* UTF-8 -> UTF-16 (le or be, with a byte order mark for bom). Invalid
 * UTF-8 bytes are taken as Latin-1. */
static int utf16(const piece *p, int be, int bom, pieces *out)
{
    sg_buf o = { 0 };
    size_t i = 0;
    int rc;
    if (bom)
        sg_buf_add(&o, be ? "\xFE\xFF" : "\xFF\xFE", 2);
    while (i < p->n) {
        unsigned cp = p->b[i], units[2];
        size_t len = 1, k, count = 1;
        if (cp >= 0xF0 && i + 3 < p->n + 0 && i + 3 <= p->n - 1) {
            cp = (cp & 7u) << 18 | (p->b[i + 1] & 63u) << 12 |
                 (p->b[i + 2] & 63u) << 6 | (p->b[i + 3] & 63u);
            len = 4;
        } else if (cp >= 0xE0 && i + 2 <= p->n - 1) {
            cp = (cp & 15u) << 12 | (p->b[i + 1] & 63u) << 6 | (p->b[i + 2] & 63u);
            len = 3;
        } else if (cp >= 0xC0 && i + 1 <= p->n - 1) {
            cp = (cp & 31u) << 6 | (p->b[i + 1] & 63u);
            len = 2;
        }
        if (cp >= 0x10000) {
            units[0] = 0xD800 + ((cp - 0x10000) >> 10);
            units[1] = 0xDC00 + ((cp - 0x10000) & 0x3FF);
            count = 2;
        } else {
            units[0] = cp;
        }
        for (k = 0; k < count; k++) {
            char two[2];
            two[be ? 0 : 1] = (char)(units[k] >> 8);
            two[be ? 1 : 0] = (char)(units[k] & 0xFF);
            sg_buf_add(&o, two, 2);
        }
        i += len;
    }
    rc = o.failed ? KVST_E_NOMEM
                  : piece_push(out, (const unsigned char *)o.data, NULL, o.len);
    sg_buf_free(&o);
    return rc;
}

/* windash: every '-' or '/' that starts a word (pySigma's \B[-/]\b) takes
 * each of '-', '/', en dash, em dash and horizontal bar. */
static int is_word(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_' || ch >= 0x80;
}

static int windash(dctx *c, const yaml_node_t *n, const piece *p, size_t at,
                   sg_buf *b, sg_buf *w, pieces *out)
{
    static const char *const dashes[] = { "-", "/", "\xE2\x80\x93",
                                          "\xE2\x80\x94", "\xE2\x80\x95" };
    size_t i, base_b = b->len, base_w = w->len;
    for (i = at; i < p->n; i++) {
        int starts_word = (p->b[i] == '-' || p->b[i] == '/') && !p->w[i] &&
                          (i == 0 || !is_word(p->b[i - 1])) && i + 1 < p->n &&
                          is_word(p->b[i + 1]);
        if (starts_word) {
            size_t k;
            for (k = 0; k < 5; k++) {
                size_t dl = strlen(dashes[k]);
                int rc;
                sg_buf_add(b, dashes[k], dl);
                sg_buf_add(w, "\0\0\0", dl);
                rc = windash(c, n, p, i + 1, b, w, out);
                b->len = base_b + (i - at);
                w->len = base_w + (i - at);
                if (rc != 0)
                    return rc;
            }
            return 0;
        }
        sg_buf_addc(b, (char)p->b[i]);
        sg_buf_addc(w, (char)p->w[i]);
    }
    if (b->failed || w->failed)
        return KVST_E_NOMEM;
    if (out->count >= c->bud->values)
        return diag(c, n, "%swindash makes too many values (max_values)", NULL);
    return piece_push(out, (const unsigned char *)b->data,
                      (const unsigned char *)w->data, b->len);
}

static int transform(dctx *c, const yaml_node_t *n, uint32_t mod, pieces *ps)
{
    pieces out = { 0 };
    size_t i;
    int rc = 0;
    for (i = 0; i < ps->count && rc == 0; i++) {
        piece *p = &ps->v[i];
        if (mod & (M_CONTAINS | M_STARTSWITH | M_ENDSWITH)) {
            rc = wrap(p, (mod & (M_CONTAINS | M_ENDSWITH)) != 0,
                      (mod & (M_CONTAINS | M_STARTSWITH)) != 0);
            if (rc == 0)
                rc = piece_push(&out, p->b, p->w, p->n);
            continue;
        }
        if (has_wildcards(p) && !(mod & M_WINDASH)) {
            rc = diag(c, n, "%sencoding modifiers (base64, utf16) cannot take a "
                      "value with wildcards", NULL);
            break;
        }
        if (mod & (M_BASE64 | M_BASE64OFFSET))
            rc = base64_variants(p, (mod & M_BASE64OFFSET) != 0, &out);
        else if (mod & (M_UTF16LE | M_UTF16BE | M_UTF16))
            rc = utf16(p, (mod & M_UTF16BE) != 0, (mod & M_UTF16) != 0, &out);
        else {
            sg_buf b = { 0 }, w = { 0 };
            rc = windash(c, n, p, 0, &b, &w, &out);
            sg_buf_free(&b);
            sg_buf_free(&w);
        }
    }
    if (rc == 0 && out.count > c->bud->values)
        rc = diag(c, n, "%sthe value's modifiers make too many values (max_values)",
                  NULL);
    if (rc != 0) {
        pieces_free(&out);
        return rc;
    }
    pieces_free(ps);
    *ps = out;
    return 0;
}

/* ---- values -------------------------------------------------------------- */

static int scalar_is_null(const yaml_node_t *n)
{
    const char *s = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    return len == 0 || (len == 1 && s[0] == '~') ||
           (len == 4 && (!strcmp(s, "null") || !strcmp(s, "Null") ||
                         !strcmp(s, "NULL")));
}

/* A string value from its pattern piece: shape, folding. */
static int string_value(const piece *p, int cased, sg_value *v)
{
    size_t i, wilds = 0;
    int lead, trail;
    v->op = SG_OP_STRING;
    v->cased = (uint8_t)cased;
    for (i = 0; i < p->n; i++)
        wilds += p->w[i] != 0;
    lead = p->n > 0 && p->w[0] == '*';
    trail = p->n > 1 && p->w[p->n - 1] == '*';
    if (wilds == 0)
        v->shape = SG_EXACT;
    else if ((lead && trail && wilds == 2) || (p->n == 1 && lead))
        v->shape = SG_CONTAINS; /* '*x*', or '*' alone: anything */
    else if (lead && wilds == 1)
        v->shape = SG_SUFFIX;
    else if (trail && wilds == 1)
        v->shape = SG_PREFIX;
    else
        v->shape = SG_GLOB;
    if (v->shape == SG_GLOB) {
        v->text = sg_strndup((const char *)p->b, p->n);
        v->wild = sg_malloc(p->n + 1);
        v->len = p->n;
        if (!v->text || !v->wild)
            return KVST_E_NOMEM;
        memcpy(v->wild, p->w, p->n);
    } else {
        size_t from = (v->shape == SG_SUFFIX || v->shape == SG_CONTAINS) ? 1 : 0;
        size_t to = p->n - ((v->shape == SG_PREFIX ||
                             (v->shape == SG_CONTAINS && p->n > 1)) ? 1 : 0);
        if (p->n == 1 && lead)
            to = 1; /* '*' alone: the empty literal, contained everywhere */
        v->len = to > from ? to - from : 0;
        v->text = sg_strndup((const char *)p->b + from, v->len);
        if (!v->text)
            return KVST_E_NOMEM;
    }
    if (!cased)
        for (i = 0; i < v->len; i++)
            v->text[i] = (char)sg_fold[(unsigned char)v->text[i]];
    return 0;
}

/* The longest run of literal bytes every match of a regular expression
 * contains, so that a subject without it is refused by a byte search
 * before PCRE2 runs (most values of a field match no rule's pattern).
 * Only for a pattern read here with certainty: printable ASCII outside
 * groups, classes, alternation and counted repeats, case-sensitive; any
 * other pattern gets no needle (0 and v->needle NULL), and PCRE2 decides
 * every subject. A literal is an ASCII letter, digit or other printable
 * byte that is no metacharacter, or a backslash before punctuation; '.',
 * '^', '$' and \d \D \w \W \s \S \b \B end a run; '*' and '?' take back
 * the byte before them (it may be absent) and end the run, '+' ends it
 * after that byte (it is there at least once). */
/* The byte of a needle a search looks for first: the first of the rarest
 * in CloudTrail's text (the punctuation and digits of ARNs, times and
 * addresses are in every record, then common lowercase letters). The
 * IMDS rule's ':assumed-role/aws:' is looked for at its 'u', not at each
 * ':' of an ARN. */
static size_t rare_byte(const char *s, size_t n)
{
    size_t i, best = 0;
    int best_rank = 3;
    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        int rank = strchr(":/.-_ 0123456789", c) ? 2 : strchr("aeiorstnlc", c) ? 1 : 0;
        if (rank < best_rank) {
            best_rank = rank;
            best = i;
        }
    }
    return best;
}

static int regex_needle(const char *pat, size_t n, uint32_t mod, sg_value *v)
{
    size_t i, at, run = 0, run_len = 0, best = 0, best_len = 0;
    if (mod & M_I)
        return 0;
    for (i = 0; i <= n; i++) {
        unsigned char ch = i < n ? (unsigned char)pat[i] : 0;
        int lit = 0;
        at = i;
        if (i == n) {
            /* the end: the last run ends */
        } else if (ch < 0x20 || ch >= 0x7f || ch == '(' || ch == ')' || ch == '[' ||
                   ch == ']' || ch == '|' || ch == '{' || ch == '}' || ch == '#') {
            return 0; /* not read here: no needle */
        } else if (ch == '\\') {
            unsigned char e;
            if (i + 1 >= n)
                return 0;
            e = (unsigned char)pat[++i];
            if (e < 0x20 || e >= 0x7f)
                return 0;
            if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') ||
                (e >= '0' && e <= '9')) {
                if (!strchr("dDwWsSbB", e))
                    return 0; /* \x41, \Q, \1, \p{..}: not read here */
            } else {
                lit = 1; /* \. \/ \- \\: that byte */
            }
        } else if (ch == '*' || ch == '?') {
            if (run_len)
                run_len--; /* the byte before may be absent */
        } else if (ch != '+' && ch != '.' && ch != '^' && ch != '$') {
            lit = 1; /* '+' keeps the byte before (there at least once) */
        }
        if (lit) {
            if (run_len == 0)
                run = at; /* where the run starts in the pattern */
            run_len++;    /* its literals */
            continue;
        }
        if (run_len > best_len) {
            best = run;
            best_len = run_len;
        }
        run_len = 0;
    }
    if (best_len == 0)
        return 0;
    v->needle = sg_malloc(best_len + 1);
    if (!v->needle)
        return KVST_E_NOMEM;
    /* The run's literals, without their escapes. */
    for (i = best, run_len = 0; run_len < best_len; i++) {
        if (pat[i] == '\\')
            i++;
        v->needle[run_len++] = pat[i];
    }
    v->needle[best_len] = '\0';
    v->needle_len = best_len;
    v->needle_rare = rare_byte(v->needle, best_len);
    return 0;
}

static int regex_value(dctx *c, const yaml_node_t *n, uint32_t mod, sg_value *v)
{
    int err;
    PCRE2_SIZE off;
    uint32_t opt = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    if (mod & M_I)
        opt |= PCRE2_CASELESS;
    if (mod & M_M)
        opt |= PCRE2_MULTILINE;
    if (mod & M_S)
        opt |= PCRE2_DOTALL;
    v->op = SG_OP_REGEX;
    v->re = pcre2_compile((PCRE2_SPTR)n->data.scalar.value, n->data.scalar.length,
                          opt, &err, &off, c->bud->env->pcre2_compile);
    if (!v->re && err == PCRE2_ERROR_HEAP_FAILED)
        return KVST_E_NOMEM;
    if (!v->re) {
        char msg[256], why[320];
        pcre2_get_error_message(err, (PCRE2_UCHAR *)msg, sizeof msg);
        snprintf(why, sizeof why, "%s at offset %lu", msg, (unsigned long)off);
        return diag(c, n, "invalid regular expression: %s", why);
    }
    /* JIT where the platform has it; the interpreter otherwise. */
    (void)pcre2_jit_compile(v->re, PCRE2_JIT_COMPLETE);
    return regex_needle((const char *)n->data.scalar.value, n->data.scalar.length,
                        mod, v);
}

static int cidr_value(dctx *c, const yaml_node_t *n, sg_value *v)
{
    char buf[64];
    const char *s = (const char *)n->data.scalar.value, *slash;
    size_t len = n->data.scalar.length;
    unsigned long prefix;
    char *end;
    v->op = SG_OP_CIDR;
    slash = memchr(s, '/', len);
    if (len >= sizeof buf)
        return diag(c, n, "invalid CIDR '%s'", s);
    memcpy(buf, s, slash ? (size_t)(slash - s) : len);
    buf[slash ? (size_t)(slash - s) : len] = '\0';
    if (inet_pton(AF_INET, buf, v->addr) == 1)
        v->family = 4;
    else if (inet_pton(AF_INET6, buf, v->addr) == 1)
        v->family = 6;
    else
        return diag(c, n, "invalid CIDR '%s'", s);
    prefix = v->family == 4 ? 32 : 128;
    if (slash) {
        prefix = strtoul(slash + 1, &end, 10);
        if (end == slash + 1 || *end != '\0' || prefix > (v->family == 4 ? 32u : 128u))
            return diag(c, n, "invalid CIDR prefix length in '%s'", s);
    }
    v->prefix = (uint8_t)prefix;
    return 0;
}

/* One scalar of a field test -> values appended to t; order[] lists the
 * transformation modifiers as written. */
static int add_values(dctx *c, const yaml_node_t *n, uint32_t mod,
                      const uint32_t *order, size_t order_count, sg_test *t)
{
    const char *s = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length, i;
    pieces ps = { 0 };
    sg_value *grown;
    int rc = 0;

    if (mod & M_EXISTS) {
        int yes = !strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "yes");
        int no = !strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "no");
        if (!yes && !no)
            return diag(c, n, "|exists takes true or false, not '%s'", s);
        rc = piece_push(&ps, (const unsigned char *)"", NULL, 0);
        if (rc != 0) {
            pieces_free(&ps); /* the grown list, empty */
            return rc;
        }
        ps.v[0].n = (size_t)yes; /* carried to the value below */
    } else if (scalar_is_null(n) && !(mod & (M_TYPE | M_TRANSFORM | M_EXPAND))) {
        rc = piece_push(&ps, NULL, NULL, 0);
    } else if (mod & (M_RE | M_CIDR | M_GT | M_GTE | M_LT | M_LTE | M_FIELDREF)) {
        rc = piece_push(&ps, (const unsigned char *)s, NULL, len);
    } else if (mod & M_EXPAND) {
        rc = expand(c, n, s, len, &ps);
    } else {
        rc = parse_sigma_string(s, len, &ps);
    }
    if (rc != 0) {
        pieces_free(&ps);
        return rc;
    }
    for (i = 0; i < order_count && rc == 0; i++)
        rc = transform(c, n, order[i], &ps);
    if (rc != 0) {
        pieces_free(&ps);
        return rc;
    }
    if (ps.count > c->bud->values) {
        pieces_free(&ps);
        return diag(c, n, "%stoo many values (max_values)", NULL);
    }
    grown = sg_realloc(t->values, (t->value_count + ps.count) * sizeof *grown);
    if (!grown) {
        pieces_free(&ps);
        return KVST_E_NOMEM;
    }
    t->values = grown;
    for (i = 0; i < ps.count && rc == 0; i++) {
        sg_value *v = &t->values[t->value_count];
        memset(v, 0, sizeof *v);
        t->value_count++;
        if (mod & M_EXISTS) {
            v->op = SG_OP_EXISTS;
            v->exists = (uint8_t)ps.v[i].n;
        } else if (scalar_is_null(n) && !(mod & (M_TYPE | M_TRANSFORM | M_EXPAND))) {
            v->op = SG_OP_NULL;
        } else if (mod & M_RE) {
            rc = regex_value(c, n, mod, v);
        } else if (mod & M_CIDR) {
            rc = cidr_value(c, n, v);
        } else if (mod & (M_GT | M_GTE | M_LT | M_LTE)) {
            char *end;
            v->op = SG_OP_NUMBER;
            v->cmp = (mod & M_GT) ? SG_GT : (mod & M_GTE) ? SG_GTE
                   : (mod & M_LT) ? SG_LT : SG_LTE;
            v->number = strtod(s, &end);
            if (end == s || *end != '\0')
                rc = diag(c, n, "a number must follow gt/gte/lt/lte, not '%s'", s);
        } else if (mod & M_FIELDREF) {
            v->op = SG_OP_FIELDREF;
            v->cased = (mod & M_CASED) != 0;
            v->text = sg_strndup(s, len);
            v->len = len;
            v->ref_hash = sg_hash(s, len);
            v->ref_envelope = sg_envelope_field(s, len);
            if (!v->text)
                rc = KVST_E_NOMEM;
        } else {
            rc = string_value(&ps.v[i], (mod & M_CASED) != 0, v);
        }
    }
    if (rc == 0) {
        if (c->bud->values < ps.count)
            rc = diag(c, n, "%stoo many values (max_values)", NULL);
        else
            c->bud->values -= ps.count;
    }
    pieces_free(&ps);
    return rc;
}

/* Parse "field|mod|mod" into the path and the modifiers (in order). */
static int parse_key(dctx *c, const yaml_node_t *key, sg_test *t,
                     uint32_t *mods, uint32_t *order, size_t *order_count)
{
    const char *s = (const char *)key->data.scalar.value;
    size_t len = key->data.scalar.length;
    const char *bar = memchr(s, '|', len);
    size_t plen = bar ? (size_t)(bar - s) : len;
    *mods = 0;
    *order_count = 0;
    t->envelope = -1;
    if (plen) {
        t->path = sg_strndup(s, plen);
        t->path_len = plen;
        t->hash = sg_hash(s, plen);
        t->envelope = sg_envelope_field(s, plen);
        if (!t->path)
            return KVST_E_NOMEM;
    }
    while (bar) {
        const char *m = bar + 1, *next = memchr(m, '|', len - (size_t)(m - s));
        size_t mlen = next ? (size_t)(next - m) : len - (size_t)(m - s), i;
        char name[64];
        uint32_t bit = 0;
        snprintf(name, sizeof name, "%.*s", (int)(mlen > 60 ? 60 : mlen), m);
        for (i = 0; i < sizeof modifier_names / sizeof modifier_names[0]; i++)
            if (strlen(modifier_names[i].name) == mlen &&
                memcmp(modifier_names[i].name, m, mlen) == 0)
                bit = modifier_names[i].bit;
        if (!bit) {
            for (i = 0; i < sizeof refused_modifiers / sizeof refused_modifiers[0]; i++)
                if (!strcmp(refused_modifiers[i].name, name)) {
                    char why[160];
                    snprintf(why, sizeof why, "unsupported modifier '%s' (%s)",
                             name, refused_modifiers[i].why);
                    return diag(c, key, "%s", why);
                }
            return diag(c, key, "unknown modifier '%s'", name);
        }
        if ((bit & (M_I | M_M | M_S)) && !(*mods & M_RE))
            return diag(c, key, "modifier '%s' only follows 're'", name);
        if ((bit & M_TYPE) && (*mods & M_TYPE))
            return diag(c, key, "modifier '%s' after another type modifier", name);
        *mods |= bit;
        if ((bit & M_TRANSFORM) && *order_count < 32)
            order[(*order_count)++] = bit;
        else if (bit & M_TRANSFORM)
            return diag(c, key, "%stoo many modifiers", NULL);
        bar = next;
    }
    if ((*mods & M_TYPE) && (*mods & M_TRANSFORM))
        return diag(c, key, "%sa type modifier (re, cidr, gt..., exists, fieldref) "
                    "cannot be combined with contains/startswith/endswith or "
                    "encodings", NULL);
    return 0;
}

/* The values of one key: a scalar or a list of scalars. */
static int compile_test(dctx *c, const yaml_node_t *key, const yaml_node_t *val,
                        sg_test *t)
{
    uint32_t mods, order[32];
    size_t order_count;
    int rc = parse_key(c, key, t, &mods, order, &order_count);
    if (rc != 0)
        return rc;
    t->all = (mods & M_ALL) != 0;
    t->neq = (mods & M_NEQ) != 0;
    if (val->type == YAML_SCALAR_NODE) {
        if (t->all)
            return diag(c, key, "%s|all needs a list of values", NULL);
        if (scalar_is_null(val) && mods)
            return diag(c, val, "%snull cannot take modifiers", NULL);
        return add_values(c, val, mods, order, order_count, t);
    }
    if (val->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it;
        if (val->data.sequence.items.start == val->data.sequence.items.top)
            return diag(c, val, "%san empty list of values", NULL);
        for (it = val->data.sequence.items.start;
             it < val->data.sequence.items.top && rc == 0; it++) {
            yaml_node_t *v = yaml_document_get_node(c->doc, *it);
            if (!v)
                return diag(c, val, "%sbroken YAML list", NULL);
            rc = visit(c, v);
            if (rc == 0 && v->type != YAML_SCALAR_NODE)
                rc = diag(c, v, "%sa value list holds scalars only", NULL);
            if (rc == 0 && scalar_is_null(v) && mods)
                rc = diag(c, v, "%snull cannot take modifiers", NULL);
            if (rc == 0)
                rc = add_values(c, v, mods, order, order_count, t);
        }
        return rc;
    }
    return diag(c, val, "%sa field takes a value or a list of values", NULL);
}

static int add_test(sg_map *m, sg_test **out)
{
    sg_test *t = sg_realloc(m->tests, (m->test_count + 1) * sizeof *t);
    if (!t)
        return KVST_E_NOMEM;
    m->tests = t;
    *out = &t[m->test_count++];
    memset(*out, 0, sizeof **out);
    return 0;
}

static int add_map(sg_search *s, sg_map **out)
{
    sg_map *m = sg_realloc(s->maps, (s->map_count + 1) * sizeof *m);
    if (!m)
        return KVST_E_NOMEM;
    s->maps = m;
    *out = &m[s->map_count++];
    memset(*out, 0, sizeof **out);
    return 0;
}

static int compile_map(dctx *c, const yaml_node_t *n, sg_search *s)
{
    yaml_node_pair_t *pair;
    sg_map *m;
    int rc = add_map(s, &m);
    for (pair = n->data.mapping.pairs.start;
         rc == 0 && pair < n->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, pair->value);
        sg_test *t;
        if (!k || !v)
            return diag(c, n, "%sbroken YAML map", NULL);
        rc = visit(c, k);
        if (rc == 0)
            rc = visit(c, v);
        if (rc == 0 && k->type != YAML_SCALAR_NODE)
            rc = diag(c, k, "%sa field name must be a string", NULL);
        if (rc == 0)
            rc = add_test(m, &t);
        if (rc == 0)
            rc = compile_test(c, k, v, t);
    }
    return rc;
}

/* A keyword list: strings searched in every string value, OR-ed. */
static int compile_keywords(dctx *c, const yaml_node_t *n, sg_search *s)
{
    sg_map *m;
    sg_test *t;
    int rc = add_map(s, &m);
    yaml_node_item_t *it;
    if (rc == 0) {
        rc = add_test(m, &t);
        if (rc == 0)
            t->envelope = -1;
    }
    if (n->type == YAML_SCALAR_NODE)
        return rc != 0 ? rc : add_values(c, n, 0, NULL, 0, t);
    for (it = n->data.sequence.items.start;
         rc == 0 && it < n->data.sequence.items.top; it++) {
        yaml_node_t *v = yaml_document_get_node(c->doc, *it);
        if (!v)
            return diag(c, n, "%sbroken YAML list", NULL);
        rc = visit(c, v);
        if (rc == 0 && v->type != YAML_SCALAR_NODE)
            rc = diag(c, v, "%sa keyword list holds strings only", NULL);
        if (rc == 0)
            rc = add_values(c, v, 0, NULL, 0, t);
    }
    return rc;
}

static int compile_search(dctx *c, const yaml_node_t *n, sg_search *s)
{
    yaml_node_item_t *it;
    int maps = 0, scalars = 0, rc = 0;
    if (n->type == YAML_MAPPING_NODE)
        return compile_map(c, n, s);
    if (n->type == YAML_SCALAR_NODE)
        return compile_keywords(c, n, s);
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *v = yaml_document_get_node(c->doc, *it);
        if (!v)
            return diag(c, n, "%sbroken YAML list", NULL);
        maps += v->type == YAML_MAPPING_NODE;
        scalars += v->type == YAML_SCALAR_NODE;
    }
    if (maps && scalars)
        return diag(c, n, "%sa search list holds either maps or keywords, not both",
                    NULL);
    if (!maps)
        return compile_keywords(c, n, s);
    for (it = n->data.sequence.items.start;
         rc == 0 && it < n->data.sequence.items.top; it++) {
        yaml_node_t *v = yaml_document_get_node(c->doc, *it);
        rc = visit(c, v);
        if (rc == 0 && v->type != YAML_MAPPING_NODE)
            rc = diag(c, v, "%sa search list holds maps only", NULL);
        if (rc == 0)
            rc = compile_map(c, v, s);
    }
    return rc;
}

/* The condition: a string, or a list of strings (OR-ed, Sigma 1's form). */
static int compile_condition(dctx *c, const yaml_node_t *n, sg_rule *r)
{
    const yaml_node_t *one[1];
    const yaml_node_t *const *list = one;
    size_t count = 1, i;
    yaml_node_item_t *it;
    const yaml_node_t *many[64];
    if (n->type == YAML_SCALAR_NODE) {
        one[0] = n;
    } else if (n->type == YAML_SEQUENCE_NODE) {
        count = 0;
        for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            const yaml_node_t *v = yaml_document_get_node(c->doc, *it);
            if (!v || v->type != YAML_SCALAR_NODE || count == 64)
                return diag(c, n, "%sa condition list holds up to 64 strings", NULL);
            many[count++] = v;
        }
        if (count == 0)
            return diag(c, n, "%sthe condition list is empty", NULL);
        list = many;
    } else {
        return diag(c, n, "%sthe condition must be a string", NULL);
    }
    for (i = 0; i < count; i++) {
        const yaml_node_t *v = list[i];
        sg_cond *cond;
        int rc = sg_condition_compile((const char *)v->data.scalar.value,
                                      v->data.scalar.length, r,
                                      c->bud->env->opts.max_depth, &cond, c->d);
        if (rc == KVST_E_SYNTAX) {
            c->d->line = (uint64_t)v->start_mark.line + 1;
            c->d->column = (uint64_t)v->start_mark.column + 1;
        }
        if (rc != 0)
            return rc;
        if (r->cond) {
            sg_cond *or = sg_calloc(1, sizeof *or);
            if (!or) {
                sg_cond_free(cond);
                return KVST_E_NOMEM;
            }
            or->op = SG_C_OR;
            or->a = r->cond;
            or->b = cond;
            cond = or;
        }
        r->cond = cond;
    }
    return 0;
}

int sg_detection_compile(yaml_document_t *doc, yaml_node_t *det, sg_budget *bud,
                         sg_rule *r, sg_diag *d)
{
    dctx c;
    yaml_node_pair_t *pair;
    const yaml_node_t *cond = NULL;
    int rc = 0;
    c.doc = doc;
    c.bud = bud;
    c.d = d;
    if (det->type != YAML_MAPPING_NODE)
        return diag(&c, det, "%sdetection must be a map", NULL);
    for (pair = det->data.mapping.pairs.start;
         rc == 0 && pair < det->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(doc, pair->value);
        const char *name;
        sg_search *grown;
        if (!k || !v || k->type != YAML_SCALAR_NODE)
            return diag(&c, det, "%sdetection keys must be strings", NULL);
        rc = visit(&c, k);
        if (rc != 0)
            return rc;
        name = (const char *)k->data.scalar.value;
        if (!strcmp(name, "condition")) {
            cond = v;
            continue;
        }
        if (!strcmp(name, "timeframe"))
            return diag(&c, k, "%sunsupported 'timeframe' (Sigma 1 aggregation): "
                        "write a correlation rule", NULL);
        grown = sg_realloc(r->searches, (r->search_count + 1) * sizeof *grown);
        if (!grown)
            return KVST_E_NOMEM;
        r->searches = grown;
        memset(&grown[r->search_count], 0, sizeof *grown);
        grown[r->search_count].name = sg_strndup(name, k->data.scalar.length);
        r->search_count++;
        if (!grown[r->search_count - 1].name)
            return KVST_E_NOMEM;
        rc = visit(&c, v);
        if (rc == 0)
            rc = compile_search(&c, v, &grown[r->search_count - 1]);
    }
    if (rc != 0)
        return rc;
    if (!cond)
        return diag(&c, det, "%sdetection has no condition", NULL);
    if (r->search_count == 0)
        return diag(&c, det, "%sdetection has no search identifier", NULL);
    return compile_condition(&c, cond, r);
}
