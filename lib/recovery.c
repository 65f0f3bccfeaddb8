/*
 * Recovery mode (KVST_FLAG_RECOVER): after a syntax or encoding error
 * inside a Records array, a top-level array of events or a stream of
 * concatenated events, report the broken record with its byte range and
 * raw text, find the next record and go on.
 *
 * Resynchronisation: the bytes from the start of the broken record on are
 * kept (up to the record limit); every '{' after the error is a candidate,
 * probed with a yajl handle of its own that is fed each new chunk as it
 * comes: a candidate is accepted only if it parses whole as an object with
 * an event key (or has one within the record limit).
 *
 * Recovery is a mode of the parser, not a stage of the flow: when a record
 * breaks, the parser switches its byte handler from lexing to recovery
 * (kvst__recover_begin, then kvst__recover_feed for every later byte) and
 * takes the tokenizer's handle away. Once the next record is found,
 * recovery hands control back (p->resume): the parser makes the main yajl
 * handle anew, primed with a virtual prefix that reopens the container
 * ("{\"Records\":[" or "["), placed so that the real bytes keep their
 * absolute offsets, and lexes on from the candidate. Recovery calls
 * nothing of the tokenizer.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* ---- the probe: does an object start here and end as an event? ---------- */

/* The probe (kvst_probe, internal.h) is kept between feeds while it waits
 * for more of its candidate: each feed parses only the new bytes, so a
 * long candidate costs its length once, not once per chunk. */
typedef kvst_probe probe;

static void pr_mark(probe *pr)
{
    pr->last_end = pr->base + yajl_get_bytes_consumed(pr->h);
}

static int pr_scalar(void *ctx)
{
    pr_mark((probe *)ctx);
    ((probe *)ctx)->last_kind = KVST_TOK_VALUE;
    return 1;
}

static int pr_bool(void *ctx, int b)
{
    (void)b;
    return pr_scalar(ctx);
}

static int pr_text(void *ctx, const char *s, size_t len)
{
    (void)s;
    (void)len;
    return pr_scalar(ctx);
}

static int pr_string(void *ctx, const unsigned char *s, size_t len)
{
    return pr_text(ctx, (const char *)s, len);
}

static int pr_open(void *ctx)
{
    pr_mark((probe *)ctx);
    ((probe *)ctx)->last_kind = KVST_TOK_OPEN;
    ((probe *)ctx)->depth++;
    return 1;
}

static int pr_key(void *ctx, const unsigned char *k, size_t len)
{
    probe *pr = (probe *)ctx;
    pr_mark(pr);
    pr->last_kind = KVST_TOK_KEY;
    if (pr->depth == 1 && kvst__is_event_key(k, len))
        pr->event_key = 1;
    return 1;
}

static int pr_close(void *ctx)
{
    probe *pr = (probe *)ctx;
    pr_mark(pr);
    pr->last_kind = KVST_TOK_VALUE;
    if (--pr->depth == 0) {
        pr->done = 1;
        return 0; /* stop right after the object */
    }
    return 1;
}

static const yajl_callbacks probe_callbacks = {
    pr_scalar, pr_bool, NULL, NULL, pr_text, pr_string,
    pr_open, pr_key, pr_close, pr_open, pr_close
};

/* PROBE_BROKEN: it began as an event (an event key at depth 1) and then
 * broke: the next broken record starts here. */
enum { PROBE_NO, PROBE_YES, PROBE_MORE, PROBE_BROKEN, PROBE_ERROR };

/* Whether buf[at] is inside a string of the JSON text that starts at
 * buf[from] (outside one, a byte from 0x80 on is a syntax error). */
static int in_string(const unsigned char *buf, size_t from, size_t at)
{
    int in = 0, esc = 0;
    size_t i;

    for (i = from; i < at; i++) {
        if (esc)
            esc = 0;
        else if (in && buf[i] == '\\')
            esc = 1;
        else if (buf[i] == '"')
            in = !in;
    }
    return in;
}

/* A byte of the resync buffer (kvst_byte_fn). */
typedef struct probe_bytes {
    const unsigned char *buf;
    size_t len;
} probe_bytes;

static int probe_byte(const void *ctx, uint64_t at)
{
    const probe_bytes *b = (const probe_bytes *)ctx;
    return at < b->len ? b->buf[at] : -1;
}

/* The probe's error, kept for the broken record that starts at cand. */
static int probe_error(kvst_parser *p, yajl_handle h, const probe *pr, const unsigned char *buf,
                       size_t cand, size_t len)
{
    unsigned char *msg = kvst__yajl_guarded_error(p, h);
    size_t e = cand + pr->base + yajl_get_bytes_consumed(h), at, i, ls, n, lim, bad;
    uint64_t line = p->resync_line, line_start = p->resync_offset - (p->resync_column - 1);
    int why, code = KVST_E_SYNTAX;
    probe_bytes pb;
    size_t t1, t;

    if (!msg)
        return -1; /* p->jmp_code says why */
    /* the token after the last good one, t1 (and after a separator there,
     * t: a separator only where one may stand, ':' after a key, ',' after
     * a value inside the object; else yajl rejected it, before the bytes
     * after it, which a split may not have fed yet) */
    pb.buf = buf;
    pb.len = len;
    for (t1 = cand + pr->last_end; t1 < len && kvst__json_space(buf[t1]); t1++)
        ;
    t = t1;
    if (t < len && ((buf[t] == ':' && pr->last_kind == KVST_TOK_KEY) ||
                    (buf[t] == ',' && pr->last_kind == KVST_TOK_VALUE && pr->depth > 0)))
        for (t++; t < len && kvst__json_space(buf[t]); t++)
            ;
    /* placed as the tokenizer places it (tokenizer.c offending_start): a
     * lexical error at its offending byte, by the tokenizer's own rule; a
     * grammar error at the rejected token, the one after a separator that
     * may stand when yajl got that far */
    if (kvst__yajl_lexical(probe_byte, &pb, t, e))
        at = (size_t)kvst__lexical_offender(probe_byte, &pb, t, e);
    else
        at = t < len && t < e ? t : t1;
    if (at >= len)
        at = len ? len - 1 : 0;
    /* Ill-formed UTF-8 at or before that, or before where yajl stopped:
     * the tokenizer's strict check (utf8.h) names it, where yajl's lax one
     * may not (or a byte later), as the tokenizer does, which gives yajl
     * nothing past it. */
    lim = e + 4 < len ? e + 4 : len;
    bad = cand + kvst__utf8_check(buf + cand, lim - cand, &why);
    if ((bad <= at || bad < e) && bad < lim && in_string(buf, cand, bad)) {
        at = bad;
        code = KVST_E_ENCODING;
    }
    ls = 0;
    for (i = 0; i < at; i++)
        if (buf[i] == '\n') {
            line++;
            ls = i + 1;
            line_start = p->resync_offset + i + 1;
        }
    p->next_broken.code = code;
    p->next_broken.offset = p->resync_offset + at;
    p->next_broken.line = line;
    p->next_broken.column = p->resync_offset + at - line_start + 1;
    if (code == KVST_E_ENCODING)
        kvst__text_printf(p->next_msg, sizeof p->next_msg, "invalid UTF-8 in a string: %s",
                          kvst__utf8_why(why));
    else
        kvst__text_printf(p->next_msg, sizeof p->next_msg, "%s", (const char *)msg);
    n = strlen(p->next_msg);
    while (n && (p->next_msg[n - 1] == '\n' || p->next_msg[n - 1] == ' ' ||
                 p->next_msg[n - 1] == '.'))
        p->next_msg[--n] = '\0';
    yajl_free_error(h, msg);
    /* excerpt: the line up to the error, then a caret under it */
    if (at - ls > 60)
        ls = at - 60;
    kvst__excerpt(p->next_exc, sizeof p->next_exc, buf + ls, at - ls + 1, at - ls);
    return 0;
}

static void probe_release(kvst_parser *p)
{
    if (p->probe.h)
        kvst__yajl_release(p, p->probe.h);
    p->probe.h = NULL;
}

/* Probe the candidate at resync.data[cand]. at_end: no more input. */
static int probe_at(kvst_parser *p, size_t cand, int at_end)
{
    const unsigned char *buf = p->resync.data;
    size_t len = p->resync.len;
    probe *pr = &p->probe;
    yajl_status st;
    int rc = 0, v;

    size_t n = len - cand, cap = p->opts.max_record_bytes + 1;
    int capped = 0;

    /* A candidate is judged on at most the record limit's bytes, however
     * the input was split: a longer one is a record when an event key came
     * first (the builder then reports it too large), else not one. */
    if (cap > p->opts.max_record_bytes && n >= cap) {
        n = cap;
        capped = 1;
    }
    if (pr->h && pr->cand != cand)
        probe_release(p);
    if (!pr->h) {
        memset(pr, 0, sizeof *pr);
        if (kvst__yajl_guarded_alloc(p, &probe_callbacks, pr, &pr->h)) {
            pr->h = NULL;
            return PROBE_ERROR;
        }
        pr->cand = cand;
        pr->st = yajl_status_ok;
    }
    if (n > pr->fed && pr->st == yajl_status_ok && !pr->done) {
        pr->base = pr->fed;
        rc = kvst__yajl_guarded_parse(p, pr->h, buf + cand + pr->fed, n - pr->fed, &pr->st);
        pr->fed = n;
    }
    st = pr->st;
    if (!rc && st == yajl_status_ok && !pr->done && at_end)
        st = yajl_status_error; /* truncated: not a whole object */
    if (!rc && !pr->done && st == yajl_status_error && pr->event_key) {
        int bad = probe_error(p, pr->h, pr, buf, cand, len);
        probe_release(p);
        return bad ? PROBE_ERROR : PROBE_BROKEN;
    }
    if (rc)
        v = PROBE_ERROR;
    else if (!pr->done && st == yajl_status_ok && !capped)
        return PROBE_MORE; /* the probe waits, kept, for the next feed */
    else if (pr->done || st == yajl_status_ok) /* closed, or judged on the limit's bytes */
        v = pr->event_key ? PROBE_YES : PROBE_NO;
    else
        v = PROBE_NO;
    probe_release(p);
    return v;
}

/* ---- the broken record ---------------------------------------------------- */

/* Deliver buf[0..len) as the broken record (trimmed of the separator, and
 * at the end of the input of the container's closing brackets). */
static int deliver_broken(kvst_parser *p, size_t len, int at_end)
{
    kvst_record *r = p->cur;
    const unsigned char *b = p->resync.data;
    int rc;

    while (len && (kvst__json_space(b[len - 1]) || b[len - 1] == ','))
        len--;
    if (at_end && p->resync_top == KVST_TOP_RECORDS) {
        if (len && b[len - 1] == '}')
            len--;
        while (len && kvst__json_space(b[len - 1]))
            len--;
    }
    if (at_end && (p->resync_top == KVST_TOP_RECORDS || p->resync_top == KVST_TOP_ARRAY)) {
        if (len && b[len - 1] == ']')
            len--;
        while (len && kvst__json_space(b[len - 1]))
            len--;
    }
    kvst__record_reset(r);
    r->broken = p->broken.code;
    r->container = p->resync_container;
    /* every report takes an index, even of an error between two records
     * (empty text): indexes identify events */
    r->index = kvst__builder_count_record(p);
    r->offset = p->resync_offset;
    r->line = p->resync_line;
    r->column = p->resync_column;
    r->broken_err = p->broken;
    memcpy(r->broken_msg, p->broken_msg, sizeof r->broken_msg);
    memcpy(r->broken_ptr, p->broken_ptr, sizeof r->broken_ptr);
    memcpy(r->broken_exc, p->broken_exc, sizeof r->broken_exc);
    if (kvst__buf_append(&r->raw, &p->alloc, b, len))
        return kvst__cursor_fail_at(&p->cursor, KVST_E_NOMEM, p->resync_offset, "out of memory");
    rc = p->record_sink.put(p->record_sink.ctx, r);
    if (rc)
        return rc;
    if (p->cur == r)
        kvst__record_reset(r);
    return 0;
}

/* Line, and offset of that line's start, of resync.data[at]. */
static void region_line(const kvst_parser *p, size_t at, uint64_t *line, uint64_t *line_start)
{
    const unsigned char *b = p->resync.data;
    size_t i;

    *line = p->resync_line;
    *line_start = p->resync_offset - (p->resync_column - 1);
    for (i = 0; i < at; i++)
        if (b[i] == '\n') {
            (*line)++;
            *line_start = p->resync_offset + i + 1;
        }
}

/* The candidate at resync.data[at] is the next record: report the broken
 * one, and say (p->resume) how the parser reopens the container and
 * parses on from there. */
static int resume_at(kvst_parser *p, size_t at)
{
    static const char records_prefix[] = "{\"Records\":[";
    kvst_buf rest;
    uint64_t line, line_start, abs = p->resync_offset + at;
    const char *prefix = "";
    size_t plen = 0;
    int rc;

    rc = deliver_broken(p, at, 0);
    if (rc)
        return rc;
    if (p->resync_top == KVST_TOP_RECORDS) {
        prefix = records_prefix;
        plen = sizeof records_prefix - 1;
    } else if (p->resync_top == KVST_TOP_ARRAY) {
        prefix = "[";
        plen = 1;
    }
    /* The bytes from the candidate on are fed as the next chunk; take them
     * out of the resync buffer, which a new error may refill. */
    region_line(p, at, &line, &line_start);
    rest = p->resync;
    memset(&p->resync, 0, sizeof p->resync);
    p->resyncing = 0;
    kvst__builder_restart(p);
    /* history: the bytes just before the candidate, for error excerpts */
    kvst__cursor_resume(&p->cursor, abs, line, line_start, rest.data, at);
    /* Control goes back to the parser: it restarts the tokenizer with the
     * prefix and feeds it the bytes from the candidate on (p->resume). */
    p->resume.rest = rest;
    p->resume.from = at;
    p->resume.prefix = prefix;
    p->resume.prefix_len = plen;
    p->resume.abs = abs;
    p->resume.pending = 1;
    return 0;
}

/* The candidate at resync.data[at] began as an event and broke too: what
 * is before it is one broken record, and it starts the next one (its error
 * is already in p->broken, set by the probe). */
static int split_broken(kvst_parser *p, size_t at)
{
    size_t err_at = (size_t)(p->next_broken.offset - p->resync_offset);
    uint64_t line, line_start;
    int rc = deliver_broken(p, at, 0);

    if (rc)
        return rc;
    region_line(p, at, &line, &line_start);
    /* drop the delivered bytes; the region now starts at the candidate */
    memmove(p->resync.data, p->resync.data + at, p->resync.len - at);
    p->resync.len -= at;
    p->resync_offset += at;
    p->resync_line = line;
    p->resync_column = p->resync_offset - line_start + 1;
    p->broken = p->next_broken;
    memcpy(p->broken_msg, p->next_msg, sizeof p->broken_msg);
    memcpy(p->broken_exc, p->next_exc, sizeof p->broken_exc);
    p->broken_ptr[0] = '\0';
    p->resync_scan = err_at - at;
    return 0;
}

/* Fail at resync.data[at]. The tokenizer no longer holds those bytes: the
 * line comes from the region, the excerpt from its bytes (the region is
 * made the chunk for that), so that the error is the same for every split
 * of the input. */
static int resync_fail(kvst_parser *p, int code, size_t at, const char *msg)
{
    uint64_t line, line_start;

    region_line(p, at, &line, &line_start);
    kvst__cursor_drop_chunk(&p->cursor);
    return kvst__cursor_fail_region(&p->cursor, code, p->resync.data, p->resync.len,
                                    p->resync_offset, p->resync_offset + at, line,
                                    p->resync_offset + at - line_start + 1, msg);
}

/* The broken record runs past the record limit without a next record in
 * sight: reported where the limit is crossed, whatever the split. */
static int no_record_found(kvst_parser *p)
{
    char msg[160];

    kvst__text_printf(msg, sizeof msg,
             "no next record within %llu bytes of a broken record's start (the record limit)",
             (unsigned long long)p->opts.max_record_bytes);
    return resync_fail(p, KVST_E_LIMIT, (size_t)p->opts.max_record_bytes, msg);
}

/* Look for the next record in what has been kept so far. */
static int resync_scan(kvst_parser *p, int at_end)
{
    const unsigned char *b;
    size_t len;

    for (;;) {
        const unsigned char *hit;
        int v;

        b = p->resync.data;
        len = p->resync.len;
        if (p->resync_scan >= len)
            break;
        hit = (const unsigned char *)memchr(b + p->resync_scan, '{', len - p->resync_scan);
        if (!hit) {
            p->resync_scan = len;
            break;
        }
        p->resync_scan = (size_t)(hit - b);
        if (p->resync_scan > p->opts.max_record_bytes)
            return no_record_found(p);
        v = probe_at(p, p->resync_scan, at_end);
        if (v == PROBE_ERROR)
            return resync_fail(p, p->jmp_code, p->resync_scan,
                               p->jmp_code == KVST_E_LIMIT
                                   ? "a string after a broken record is longer than the limit"
                                   : "out of memory");
        if (v == PROBE_MORE)
            return 0; /* wait for more input */
        if (v == PROBE_YES)
            return resume_at(p, p->resync_scan);
        if (v == PROBE_BROKEN) {
            int rc = split_broken(p, p->resync_scan);
            if (rc)
                return rc;
            continue;
        }
        p->resync_scan++;
    }
    /* the limit first, so that the end of the input changes nothing */
    if (len > p->opts.max_record_bytes)
        return no_record_found(p);
    if (at_end)
        return deliver_broken(p, len, 1);
    return 0;
}

int kvst__recover_begin(kvst_parser *p)
{
    uint64_t err_off = p->cursor.err.offset, start, from;
    int top = p->top;
    uint32_t container;

    if (!(p->opts.flags & KVST_FLAG_RECOVER) ||
        (p->cursor.status != KVST_E_SYNTAX && p->cursor.status != KVST_E_ENCODING))
        return p->cursor.status;
    /* Only inside a container of records do we know what "the next
     * record" is. */
    if (top == KVST_TOP_RECORDS && p->depth >= 2 && p->levels[2].node == 1) {
        container = KVST_CONTAINER_LOG_FILE;
    } else if (top == KVST_TOP_ARRAY && p->depth >= 1) {
        container = KVST_CONTAINER_ARRAY;
    } else if ((top == KVST_TOP_OBJECT && p->rec_active && p->rec_depth == 1 &&
                (p->top_has_event_key || p->records > 0)) ||
               (top == KVST_TOP_BETWEEN && p->records > 0)) {
        top = KVST_TOP_OBJECT;
        container = KVST_CONTAINER_SINGLE;
    } else {
        return p->cursor.status;
    }

    start = p->rec_active ? p->cur->offset : err_off;
    p->broken = p->cursor.err;
    memcpy(p->broken_msg, p->cursor.message, sizeof p->broken_msg);
    memcpy(p->broken_ptr, p->cursor.pointer, sizeof p->broken_ptr);
    memcpy(p->broken_exc, p->cursor.excerpt, sizeof p->broken_exc);
    p->resync_top = top;
    p->resync_container = container;
    p->resync_offset = start;
    if (p->rec_active) {
        p->resync_line = p->cur->line;
        p->resync_column = p->cur->column;
    } else {
        p->resync_line = p->cursor.err.line;
        p->resync_column = p->cursor.err.column;
    }
    /* Keep the broken record's bytes: those already captured, then the
     * rest of this chunk. */
    p->resync.len = 0;
    if (p->rec_active && kvst__buf_append(&p->resync, &p->alloc, p->cur->raw.data,
                                          p->cur->raw.len))
        goto nomem;
    from = p->rec_active ? p->raw_from : err_off;
    if (!p->rec_active && from < p->cursor.chunk_base) {
        /* the offending token began in an earlier chunk: the tokenizer
         * still holds its bytes (or else the region starts with what is
         * left: lost bytes are inside the one token, and JSON tokens hold
         * no newline, so the same line, further right) */
        uint64_t first;
        if (kvst__cursor_held(&p->cursor, &p->alloc, from, &p->resync, &first))
            goto nomem;
        if (first > start) {
            p->resync_column += first - start;
            start = first;
            p->resync_offset = start;
        }
    }
    if (from < p->cursor.chunk_base)
        from = p->cursor.chunk_base;
    if (from < p->cursor.chunk_base + p->cursor.chunk_len &&
        kvst__buf_append(&p->resync, &p->alloc, p->cursor.chunk + (from - p->cursor.chunk_base),
                         (size_t)(p->cursor.chunk_base + p->cursor.chunk_len - from)))
        goto nomem;
    p->resync_scan = err_off > start ? (size_t)(err_off - start) : 0;
    /* the chunk now lives in the resync buffer */
    kvst__cursor_skip_to(&p->cursor, p->cursor.chunk_base + p->cursor.chunk_len);
    kvst__tok_parsed_at(p, p->cursor.chunk_base);
    kvst__builder_abandon(p);

    /* The error is now the broken record's: the parser goes on (and takes
     * the tokenizer's handle away: its state is the broken record's). */
    kvst__cursor_clear(&p->cursor);
    p->resyncing = 1;
    p->resyncs++;
    return resync_scan(p, 0);

nomem:
    kvst__cursor_clear(&p->cursor);
    return kvst__cursor_fail_at(&p->cursor, KVST_E_NOMEM, err_off, "out of memory");
}

int kvst__recover_feed(kvst_parser *p, const unsigned char *buf, size_t len)
{
    if (kvst__buf_append(&p->resync, &p->alloc, buf, len))
        return kvst__cursor_fail_at(&p->cursor, KVST_E_NOMEM, p->cursor.chunk_base, "out of memory");
    kvst__cursor_skip_to(&p->cursor, p->cursor.chunk_base + len);
    kvst__tok_parsed_add(p, len);
    return resync_scan(p, 0);
}

int kvst__recover_take_resume(kvst_parser *p, kvst_resume *out)
{
    if (!p->resume.pending)
        return 0;
    *out = p->resume;
    memset(&p->resume, 0, sizeof p->resume);
    return 1;
}

void kvst__recover_free(kvst_parser *p)
{
    kvst__buf_free(&p->resync, &p->alloc);
    kvst__buf_free(&p->resume.rest, &p->alloc);
}

int kvst__recover_finish(kvst_parser *p)
{
    return resync_scan(p, 1);
}
