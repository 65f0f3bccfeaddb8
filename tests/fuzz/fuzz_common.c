/*
 * Shared pieces of the kvstrail fuzz targets (see fuzz_common.h).
 */
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz invariant broken: %s\n", what);
    abort();
}

/* ---- Header ---------------------------------------------------------------- */

enum {
    H_PULL = 0x01,
    H_KVS_ONLY = 0x02,
    H_KEEP_RAW = 0x04,
    H_NO_VALIDATE = 0x08,
    H_SMALL_LIMITS = 0x10,
    H_FAIL_ALLOC = 0x20,
    H_ALLOC_HIGH = 0x80,
};

void fuzz_plan_from_header(const uint8_t *h, fuzz_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    plan->pull = (h[0] & H_PULL) != 0;
    if (h[0] & H_KVS_ONLY)
        plan->flags |= KVST_FLAG_KVS_ONLY;
    if (h[0] & H_KEEP_RAW)
        plan->flags |= KVST_FLAG_KEEP_RAW;
    if (h[0] & H_NO_VALIDATE)
        plan->flags |= KVST_FLAG_NO_VALIDATE;
    if (h[0] & H_SMALL_LIMITS) {
        plan->max_depth = 1u + h[2] % 12u;
        plan->max_string_bytes = 1u + h[3] * 4u;
        plan->max_record_bytes = 64u + h[2] * 64u;
        plan->max_inflate_ratio = 2u + h[1] % 16u;
    }
    if (h[0] & H_FAIL_ALLOC)
        plan->fail_alloc = 1u + h[3] + ((h[0] & H_ALLOC_HIGH) ? 256u : 0u);
    memcpy(plan->chunks, h + 1, sizeof plan->chunks);
    /* Stop early now and then, to cover KVST_E_ABORTED. */
    if (!plan->pull && h[1] % 8 == 7)
        plan->stop_after = 1u + h[2] % 4u;
}

/* Codes below 128 give 1..128 bytes (splits everywhere); the others give
 * 512..65024 bytes (fast runs over big inputs). */
static size_t chunk_size(uint8_t code)
{
    return code < 128 ? (size_t)code + 1u : (size_t)(code - 127) * 512u;
}

/* ---- Allocator that fails once --------------------------------------------- */

typedef struct fail_alloc {
    uint64_t count;
    uint64_t fail_at;
} fail_alloc;

static int should_fail(fail_alloc *fa)
{
    return ++fa->count == fa->fail_at;
}

static void *fa_malloc(size_t size, void *ctx)
{
    return should_fail((fail_alloc *)ctx) ? NULL : malloc(size);
}

static void *fa_realloc(void *ptr, size_t size, void *ctx)
{
    return should_fail((fail_alloc *)ctx) ? NULL : realloc(ptr, size);
}

static void fa_free(void *ptr, void *ctx)
{
    (void)ctx;
    free(ptr);
}

/* ---- Positions --------------------------------------------------------------- */

/* Line and column (1-based, bytes) of every offset of the plain input, by
 * the newline offsets, so positions the library reports can be checked. */
typedef struct line_index {
    size_t *nl; /* offsets of '\n' */
    size_t count;
} line_index;

static void line_index_build(line_index *li, const uint8_t *s, size_t len)
{
    size_t i, n = 0;
    for (i = 0; i < len; i++)
        n += s[i] == '\n';
    li->count = 0;
    li->nl = (size_t *)malloc((n ? n : 1) * sizeof *li->nl);
    FUZZ_CHECK(li->nl != NULL);
    for (i = 0; i < len; i++) {
        if (s[i] == '\n')
            li->nl[li->count++] = i;
    }
}

static int position_ok(const line_index *li, uint64_t offset, uint64_t line,
                       uint64_t column)
{
    size_t lo = 0, hi = li->count; /* newlines before offset: lo */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (li->nl[mid] < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return line == lo + 1 && column == offset - (lo ? li->nl[lo - 1] + 1 : 0) + 1;
}

static void check_position(const line_index *li, uint64_t offset, uint64_t line,
                           uint64_t column)
{
    if (!position_ok(li, offset, line, column)) {
        fprintf(stderr, "offset %llu given as line %llu column %llu\n",
                (unsigned long long)offset, (unsigned long long)line,
                (unsigned long long)column);
        fuzz_fail("line and column agree with the offset");
    }
}

/* ---- Event invariants -------------------------------------------------------- */

typedef struct run_ctx {
    const fuzz_plan *plan;
    fuzz_result *res;
    line_index lines;
} run_ctx;

static int utf8_valid(const unsigned char *u, size_t n);

/* A view handed out by the library: readable over len bytes, NUL after;
 * text (every string the library decoded, and its messages) is
 * well-formed UTF-8 too, whatever the input -- the raw bytes of a record
 * or an excerpt need not be (check_bytes). */
static void check_view_named(kvst_str v, const char *name, int text)
{
    if (v.ptr ? v.ptr[v.len] == '\0' : v.len == 0) {
        if (!text || !v.ptr || utf8_valid((const unsigned char *)v.ptr, v.len))
            return;
        fprintf(stderr, "view %s (%zu bytes): ", name, v.len);
        fuzz_fail("a decoded string is well-formed UTF-8");
    }
    fprintf(stderr, "view %s (%zu bytes): ", name, v.len);
    fuzz_fail(v.ptr ? "NUL after the view" : "absent view with a length");
}
#define check_view(v) check_view_named((v), #v, 1)
#define check_bytes(v) check_view_named((v), #v, 0)

static void check_value(const kvst_value *v, int depth)
{
    size_t i;
    FUZZ_CHECK(v->state <= KVST_VALUE_MISTYPED);
    FUZZ_CHECK(v->json_type <= KVST_JSON_ARRAY);
    check_view(v->text);
    if (depth > 4)
        return;
    for (i = 0; v->items && i < v->count; i++) {
        check_value(&v->items[i], depth + 1);
        if (v->keys)
            check_view(v->keys[i]);
    }
}

static void check_identity(const kvst_user_identity *u)
{
    if (!u)
        return;
    FUZZ_CHECK(u->struct_size == sizeof *u);
    check_view(u->type);
    check_view(u->principal_id);
    check_view(u->arn);
    check_view(u->account_id);
    check_view(u->access_key_id);
    check_view(u->user_name);
    check_view(u->invoked_by);
    check_view(u->credential_id);
    check_view(u->identity_provider);
    if (u->session_context) {
        const kvst_session_context *sc = u->session_context;
        check_view(sc->web_id_federated_provider);
        check_value(&sc->web_id_attributes, 0);
        check_view(sc->creation_date);
        check_view(sc->mfa_authenticated);
        check_view(sc->source_identity);
        check_view(sc->ec2_role_delivery);
        check_view(sc->assumed_root);
        if (sc->session_issuer) {
            check_view(sc->session_issuer->type);
            check_view(sc->session_issuer->arn);
            check_view(sc->session_issuer->account_id);
            check_view(sc->session_issuer->user_name);
        }
    }
    if (u->on_behalf_of) {
        check_view(u->on_behalf_of->user_id);
        check_view(u->on_behalf_of->identity_store_arn);
    }
    if (u->in_scope_of) {
        check_view(u->in_scope_of->issuer_type);
        check_view(u->in_scope_of->source_arn);
    }
}

/* A digest: every view NUL-terminated, decoded hashes where the hex was
 * valid, the log file list as long as it says. */
static void check_digest(const kvst_digest *d)
{
    size_t i;

    if (d == NULL)
        return;
    FUZZ_CHECK(d->struct_size == sizeof *d);
    check_view(d->aws_account_id);
    check_view(d->digest_end_time);
    check_view(d->digest_s3_object);
    check_view(d->digest_public_key_fingerprint);
    check_view(d->previous_digest_signature);
    check_view(d->previous_digest_hash_value);
    FUZZ_CHECK(!d->previous_hash_valid || d->previous_digest_hash_value.len == 64);
    FUZZ_CHECK(!d->digest_end_time_valid || d->digest_end_time.len == 20);
    FUZZ_CHECK((d->log_file_count == 0) == (d->log_files == NULL));
    for (i = 0; i < d->log_file_count; i++) {
        const kvst_digest_log_file *lf = d->log_files[i];
        if (lf == NULL)
            continue; /* not an object: a finding says so */
        FUZZ_CHECK(lf->struct_size == sizeof *lf);
        check_view(lf->s3_object);
        check_view(lf->hash_value);
        FUZZ_CHECK(!lf->hash_valid || lf->hash_value.len == 64);
    }
}

static void check_verdict(const kvst_identity_info *id)
{
    FUZZ_CHECK(id->struct_size == sizeof *id);
    FUZZ_CHECK(id->principal <= KVST_PRINCIPAL_DIRECTORY);
    FUZZ_CHECK(id->credential <= KVST_CREDENTIAL_UNKNOWN);
    FUZZ_CHECK(id->mfa >= KVST_BOOL_ABSENT && id->mfa <= KVST_BOOL_TRUE);
    check_view(id->type);
    check_view(id->account_id);
    check_view(id->arn);
    check_view(id->other_account_id);
}

/* RFC 3629 UTF-8 (yajl's own check lets overlong forms and surrogates
 * through, so the output is checked here too). */
static int utf8_valid(const unsigned char *u, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len, k;
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        if ((u[i] & 0xe0) == 0xc0) {
            len = 2;
            cp = u[i] & 0x1fu;
        } else if ((u[i] & 0xf0) == 0xe0) {
            len = 3;
            cp = u[i] & 0x0fu;
        } else if ((u[i] & 0xf8) == 0xf0) {
            len = 4;
            cp = u[i] & 0x07u;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (k = 1; k < len; k++) {
            if ((u[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (u[i + k] & 0x3fu);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return 0;
        i += len;
    }
    return 1;
}

/* The JSON Lines contract: valid JSON (UTF-8 included), the same length
 * when asked with no buffer, NUL-terminated, truncated prefixes too. */
static char *event_json(const kvst_event *ev, size_t *len)
{
    char small[9];
    size_t n = kvst_event_to_json(ev, NULL, NULL, 0), m;
    char *buf = (char *)malloc(n + 1);
    yajl_handle h;
    yajl_status s;

    FUZZ_CHECK(buf != NULL);
    m = kvst_event_to_json(ev, NULL, buf, n + 1);
    FUZZ_CHECK(m == n);
    FUZZ_CHECK(buf[n] == '\0');
    FUZZ_CHECK(strlen(buf) == n);
    m = kvst_event_to_json(ev, NULL, small, sizeof small);
    FUZZ_CHECK(m == n);
    FUZZ_CHECK(memcmp(small, buf, n < sizeof small ? n + 1 : sizeof small - 1) == 0);
    FUZZ_CHECK(small[n < sizeof small ? n : sizeof small - 1] == '\0');

    h = yajl_alloc(NULL, NULL, NULL);
    FUZZ_CHECK(h != NULL);
    s = yajl_parse(h, (const unsigned char *)buf, n);
    if (s == yajl_status_ok)
        s = yajl_complete_parse(h);
    if (s != yajl_status_ok) {
        fprintf(stderr, "kvst_event_to_json gave invalid JSON:\n%s\n", buf);
        fuzz_fail("kvst_event_to_json output parses as JSON");
    }
    yajl_free(h);
    if (!utf8_valid((const unsigned char *)buf, n)) {
        fprintf(stderr, "kvst_event_to_json gave ill-formed UTF-8:\n%s\n", buf);
        fuzz_fail("kvst_event_to_json output is UTF-8");
    }
    *len = n;
    return buf;
}

static const char *const lookup_pointers[] = {
    "",
    "/eventName",
    "/requestParameters",
    "/requestParameters/streamName",
    "/resources/0/ARN",
    "/userIdentity/sessionContext/attributes/mfaAuthenticated",
    "/requestParameters/tags/a~1b",
    "/responseElements/0",
    "/x~2",   /* malformed escape */
    "nope",   /* no leading slash */
};

/* may_fail: the parser's allocator fails on purpose, so a lookup on the
 * original may run out of memory where the copy (malloc) does not. */
static void check_copy(const kvst_event *ev, const char *json, size_t json_len, int may_fail)
{
    kvst_event *copy = NULL;
    size_t i, n;
    char *cj;
    int rc = kvst_event_copy(ev, &copy);
    if (rc == KVST_E_NOMEM)
        return;
    FUZZ_CHECK(rc == 0 && copy != NULL);
    cj = event_json(copy, &n);
    if (n != json_len || memcmp(cj, json, n) != 0) {
        fprintf(stderr, "original: %s\ncopy:     %s\n", json, cj);
        fuzz_fail("a copy prints as its original");
    }
    for (i = 0; i < sizeof lookup_pointers / sizeof lookup_pointers[0]; i++) {
        kvst_value a, b;
        int ra = kvst_event_lookup(ev, lookup_pointers[i], &a);
        int rb = kvst_event_lookup(copy, lookup_pointers[i], &b);
        if (ra == KVST_E_NOMEM && may_fail)
            continue;
        if (ra != rb) {
            fprintf(stderr, "lookup \"%s\": %s on the event, %s on its copy\n",
                    lookup_pointers[i], kvst_status_name(ra), kvst_status_name(rb));
            fuzz_fail("a copy looks up as its original");
        }
        if (ra == 0) {
            FUZZ_CHECK(a.text.len == b.text.len);
            FUZZ_CHECK(a.text.len == 0 || memcmp(a.text.ptr, b.text.ptr, a.text.len) == 0);
        }
    }
    free(cj);
    kvst_event_free(copy);
}

static void check_event(run_ctx *c, const kvst_event *ev)
{
    const fuzz_plan *plan = c->plan;
    size_t i, json_len;
    char *json;
    const unsigned char *d;
    uint64_t h;

    FUZZ_CHECK(ev != NULL);
    FUZZ_CHECK(ev->struct_size == sizeof *ev);
    FUZZ_CHECK(ev->action < KVST_ACTION__COUNT);
    FUZZ_CHECK((ev->container >= KVST_CONTAINER_LOG_FILE &&
                ev->container <= KVST_CONTAINER_CLOUDWATCH_LOGS) ||
               (ev->container == KVST_CONTAINER_DIGEST && (plan->flags & KVST_FLAG_DIGESTS)));
    FUZZ_CHECK((kvst_event_digest(ev) != NULL) ==
               (ev->container == KVST_CONTAINER_DIGEST && ev->status == 0));
    check_digest(kvst_event_digest(ev));
    if (ev->record_index < c->res->events) { /* indexes count every record */
        fprintf(stderr, "event %llu (status %d) has record_index %llu\n",
                (unsigned long long)c->res->events, ev->status,
                (unsigned long long)ev->record_index);
        fuzz_fail("record_index grows with every event");
    }
    if ((plan->flags & KVST_FLAG_KVS_ONLY) && ev->status == 0)
        FUZZ_CHECK(ev->action != KVST_ACTION_NONE);
    if (plan->plain && ev->container == KVST_CONTAINER_CLOUDWATCH_LOGS && ev->status == 0) {
        /* A message: at its string's quote; raw and length are the decoded
         * text's, longer or shorter than the string as written. */
        FUZZ_CHECK(ev->offset < plan->plain_len && plan->plain[ev->offset] == '"');
        check_position(&c->lines, ev->offset, ev->line, ev->column);
    } else if (plan->plain) {
        FUZZ_CHECK(ev->offset <= plan->plain_len &&
                   ev->length <= plan->plain_len - ev->offset);
        check_position(&c->lines, ev->offset, ev->line, ev->column);
    }
    check_bytes(ev->raw);
    if (ev->raw.ptr && plan->plain && ev->status == 0 &&
        ev->container != KVST_CONTAINER_CLOUDWATCH_LOGS) {
        FUZZ_CHECK(ev->raw.len == ev->length);
        FUZZ_CHECK(memcmp(ev->raw.ptr, plan->plain + ev->offset, ev->length) == 0);
    }
    check_view(ev->event_version);
    check_view(ev->event_time);
    check_view(ev->event_source);
    check_view(ev->event_name);
    check_view(ev->aws_region);
    check_view(ev->source_ip_address);
    check_view(ev->user_agent);
    check_view(ev->error_code);
    check_view(ev->error_message);
    check_view(ev->request_id);
    check_view(ev->event_id);
    check_view(ev->recipient_account_id);
    check_view(ev->vpc_endpoint_id);
    check_identity(ev->user_identity);
    for (i = 0; i < ev->resource_count; i++) {
        FUZZ_CHECK(ev->resources[i] != NULL);
        check_view(ev->resources[i]->arn);
        check_view(ev->resources[i]->account_id);
        check_view(ev->resources[i]->type);
    }
    if (ev->tls_details)
        check_view(ev->tls_details->cipher_suite);
    if (ev->addendum)
        check_view(ev->addendum->reason);
    if (ev->status == 0) {
        FUZZ_CHECK(ev->identity != NULL);
        check_verdict(ev->identity);
    } else {
        /* Recovery mode: a broken record says where and what it was. */
        FUZZ_CHECK(ev->status < 0);
        if (c->res->broken == 0) {
            c->res->prefix_events = c->res->events;
            c->res->prefix_digest = c->res->digest;
        }
        FUZZ_CHECK(ev->error != NULL && ev->error->code == ev->status);
        check_view(ev->error->message);
        check_bytes(ev->error->excerpt);
        check_bytes(ev->error->record_text);
        if (plan->plain && ev->error->record_text.len == ev->error->record_length &&
            ev->error->record_offset <= plan->plain_len &&
            ev->error->record_length <= plan->plain_len - ev->error->record_offset)
            FUZZ_CHECK(ev->error->record_length == 0 ||
                       memcmp(ev->error->record_text.ptr,
                              plan->plain + ev->error->record_offset,
                              ev->error->record_length) == 0);
        c->res->broken++;
    }
    if ((plan->flags & KVST_FLAG_NO_VALIDATE) && ev->finding_count) {
        fprintf(stderr, "finding %s with KVST_FLAG_NO_VALIDATE\n",
                kvst_finding_name(ev->findings[0]->code));
        fuzz_fail("no findings without validation");
    }
    for (i = 0; i < ev->finding_count; i++) {
        const kvst_finding *f = ev->findings[i];
        FUZZ_CHECK(f != NULL && f->struct_size == sizeof *f);
        FUZZ_CHECK(f->severity >= KVST_SEVERITY_INFO && f->severity <= KVST_SEVERITY_ERROR);
        FUZZ_CHECK(kvst_finding_name(f->code) != NULL);
        FUZZ_CHECK(f->record_index == ev->record_index);
        check_view(f->pointer);
        check_view(f->message);
        FUZZ_CHECK(f->pointer.len == 0 || f->pointer.ptr[0] == '/');
        if (plan->plain) {
            if (f->code == KVST_F_DUPLICATE_KEY && f->pointer.len == 0 && f->offset < ev->offset)
                /* the one finding placed before its event: a log file's
                 * repeated "Records" key, on the first event of the later
                 * array (event_build.c), at the key's opening quote */
                FUZZ_CHECK(f->offset < plan->plain_len && plan->plain[f->offset] == '"');
            else
                FUZZ_CHECK(f->offset >= ev->offset && f->offset <= ev->offset + ev->length);
            check_position(&c->lines, f->offset, f->line, f->column);
        }
    }
    for (i = 0; i < sizeof lookup_pointers / sizeof lookup_pointers[0]; i++) {
        kvst_value v;
        int rc = kvst_event_lookup(ev, lookup_pointers[i], &v);
        /* Payloads of other services are parsed on demand, which can run
         * out of memory (event.h allows KVST_E_NOMEM). */
        if (rc == KVST_E_NOMEM && plan->fail_alloc)
            continue;
        if (rc != 0 && rc != KVST_E_NOT_FOUND && rc != KVST_E_INVAL) {
            fprintf(stderr, "kvst_event_lookup(\"%s\") gave %s\n", lookup_pointers[i],
                    kvst_status_name(rc));
            fuzz_fail("lookup gives 0, KVST_E_NOT_FOUND or KVST_E_INVAL");
        }
        if (rc == 0)
            check_value(&v, 0);
    }

    json = event_json(ev, &json_len);
    check_copy(ev, json, json_len, plan->fail_alloc != 0);
    h = c->res->digest ? c->res->digest : UINT64_C(14695981039346656037);
    for (d = (const unsigned char *)json; *d; d++)
        h = (h ^ *d) * UINT64_C(1099511628211);
    h = (h ^ (uint64_t)(uint32_t)ev->status) * UINT64_C(1099511628211);
    c->res->digest = h;
    c->res->events++;
    free(json);
}

static int on_event(const kvst_event *ev, void *payload)
{
    run_ctx *c = (run_ctx *)payload;
    check_event(c, ev);
    return c->plan->stop_after && c->res->events >= c->plan->stop_after;
}

/* Pull mode: take every queued event; returns the iterator's error. */
static int drain(run_ctx *c, kvst_parser *p)
{
    const kvst_event *ev;
    int rc;
    while ((rc = kvst_parser_next(p, &ev)) == 1)
        check_event(c, ev);
    return rc;
}

/* Pull mode: drain after feed/finish returned rc. The iterator may only
 * repeat that error, or bring one of its own (building an event can fail)
 * that then becomes the parser's sticky status. Returns the status. */
static int pull_status(run_ctx *c, kvst_parser *p, int rc, int *unsticky)
{
    int nrc = drain(c, p);
    if (nrc == 0 || nrc == rc)
        return rc;
    FUZZ_CHECK(nrc < 0);
    if (rc != 0) {
        /* Building a queued event failed after the parse had stopped: only
         * memory can do that; the parser keeps its first error. */
        FUZZ_CHECK(nrc == KVST_E_NOMEM && c->plan->fail_alloc);
        *unsticky = 1;
        return nrc;
    }
    FUZZ_CHECK(kvst_parser_error(p)->code == nrc);
    return nrc;
}

static void check_error(const run_ctx *c, const kvst_parser *p, int status)
{
    const kvst_error *e = kvst_parser_error(p);
    FUZZ_CHECK(e != NULL && e->struct_size == sizeof *e);
    FUZZ_CHECK(e->code == status);
    check_view(e->message);
    check_bytes(e->excerpt);
    check_view(e->pointer);
    FUZZ_CHECK(kvst_strerror(status) != NULL);
    if (status == 0)
        return;
    FUZZ_CHECK(e->message.len > 0);
    if (c->plan->plain && (status == KVST_E_SYNTAX || status == KVST_E_ENCODING)) {
        FUZZ_CHECK(e->offset <= c->plan->plain_len);
        check_position(&c->lines, e->offset, e->line, e->column);
    }
}

void fuzz_run(const uint8_t *in, size_t in_len, const fuzz_plan *plan,
              fuzz_result *res)
{
    kvst_parser_options opts = KVST_PARSER_OPTIONS_INIT;
    fail_alloc fa;
    run_ctx c;
    kvst_parser *p = NULL;
    size_t pos = 0, turn = 0;
    int rc = 0, unsticky = 0;

    memset(res, 0, sizeof *res);
    memset(&c, 0, sizeof c);
    c.plan = plan;
    c.res = res;
    opts.flags = plan->flags;
    if (!plan->pull) {
        opts.on_event = on_event;
        opts.payload = &c;
    }
    opts.max_depth = plan->max_depth;
    opts.max_string_bytes = plan->max_string_bytes;
    opts.max_record_bytes = plan->max_record_bytes;
    opts.max_inflate_ratio = plan->max_inflate_ratio;
    opts.filter = plan->filter;
    if (plan->fail_alloc) {
        fa.count = 0;
        fa.fail_at = plan->fail_alloc;
        opts.allocator.malloc_fn = fa_malloc;
        opts.allocator.realloc_fn = fa_realloc;
        opts.allocator.free_fn = fa_free;
        opts.allocator.ctx = &fa;
    }
    if (plan->plain)
        line_index_build(&c.lines, plan->plain, plan->plain_len);

    res->new_status = kvst_parser_new(&opts, &p);
    if (res->new_status != 0) {
        FUZZ_CHECK(p == NULL || res->new_status == 0);
        FUZZ_CHECK(res->new_status == KVST_E_NOMEM || res->new_status == KVST_E_INVAL);
        free(c.lines.nl);
        return;
    }
    while (pos < in_len && rc == 0) {
        size_t n = chunk_size(plan->chunks[turn++ % 3]);
        if (n > in_len - pos)
            n = in_len - pos;
        rc = kvst_parser_feed(p, in + pos, n);
        pos += n;
        if (plan->pull)
            rc = pull_status(&c, p, rc, &unsticky);
    }
    if (rc == 0) {
        rc = kvst_parser_finish(p);
        if (plan->pull)
            rc = pull_status(&c, p, rc, &unsticky);
    }
    if (rc != 0 && !unsticky) {
        /* Errors are sticky. */
        FUZZ_CHECK(kvst_parser_feed(p, "{}", 2) == rc);
        FUZZ_CHECK(kvst_parser_finish(p) == rc);
    }
    if (plan->fail_alloc == 0 && rc == KVST_E_NOMEM)
        fuzz_fail("KVST_E_NOMEM without a failed allocation");
    FUZZ_CHECK(rc <= 0 && kvst_status_name(rc) != NULL);
    if (!unsticky)
        check_error(&c, p, rc);
    {
        uint64_t records = 0;
        kvst_parser_stats(p, &records, NULL, NULL);
        FUZZ_CHECK(records >= res->events - res->broken);
    }
    res->status = rc;
    if (res->broken == 0) {
        res->prefix_events = res->events;
        res->prefix_digest = res->digest;
    }
    res->error_offset = kvst_parser_error(p)->offset;
    kvst_parser_free(p);
    free(c.lines.nl);
}

void fuzz_same_result(const fuzz_result *a, const fuzz_result *b, const char *what)
{
    if (a->status == b->status && a->events == b->events && a->digest == b->digest &&
        a->error_offset == b->error_offset)
        return;
    fprintf(stderr,
            "%s: status %d vs %d, events %llu vs %llu, digest %016llx vs %016llx, "
            "error offset %llu vs %llu\n",
            what, a->status, b->status, (unsigned long long)a->events,
            (unsigned long long)b->events, (unsigned long long)a->digest,
            (unsigned long long)b->digest, (unsigned long long)a->error_offset,
            (unsigned long long)b->error_offset);
    fuzz_fail(what);
}

void fuzz_run_twice(const uint8_t *in, size_t in_len, const fuzz_plan *plan,
                    fuzz_result *res)
{
    fuzz_plan whole = *plan;
    fuzz_result other;

    fuzz_run(in, in_len, plan, res);
    if (plan->fail_alloc || plan->stop_after)
        return;
    whole.pull = !plan->pull;
    memset(whole.chunks, 254, sizeof whole.chunks); /* 65024-byte chunks */
    fuzz_run(in, in_len, &whole, &other);
    fuzz_same_result(res, &other, "same events for every split and delivery mode");
}

int fuzz_parse_input(const uint8_t *data, size_t size, uint32_t flags, fuzz_plan *plan,
                     fuzz_result *res, const uint8_t **body, size_t *len)
{
    if (size < FUZZ_HEADER_LEN)
        return 0;
    *body = data + FUZZ_HEADER_LEN;
    *len = size - FUZZ_HEADER_LEN;
    fuzz_plan_from_header(data, plan);
    plan->flags |= flags;
    /* Positions are in the inflated stream: check them on plain input. */
    if (!(*len >= 2 && (*body)[0] == 0x1f && (*body)[1] == 0x8b)) {
        plan->plain = *body;
        plan->plain_len = *len;
    }
    fuzz_run_twice(*body, *len, plan, res);
    return 1;
}
