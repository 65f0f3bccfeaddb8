/*
 * Lambda's form of CloudWatch Logs envelopes. A Lambda subscribed to a log
 * group receives each envelope base64'd and gzip'd under one key:
 *
 *   {"awslogs":{"data":"H4sIAAAAAAAA..."}}
 *
 * The record builder reads such an object as one record (bounded by the
 * record limit, so the base64 text with it) and marks it
 * KVST__CONTAINER_CW_AWSLOGS; delivery (parser.c) hands it here. This file
 * decodes the base64 (strict: only A-Z a-z 0-9 + /, written plainly or as
 * JSON escapes such as \/, in groups of four, '=' only at the end),
 * inflates it with the gzip stage (the same inflater as the parser's own
 * input, ISA-L or zlib), checks the text is UTF-8 (RFC 3629), and parses
 * it as a CloudWatch Logs envelope (cloudwatch.c) into a record of its own,
 * which delivery then reads as it reads a plain envelope.
 *
 * Limits: the inflated envelope is at most max_record_bytes, as a plain
 * envelope is (past it KVST_E_LIMIT); the decoded data is three quarters
 * of the base64 text, which the record limit bounds already.
 *
 * Positions (docs/api.md): the envelope record is pinned at the opening
 * quote of the data string in the input, so every event of it, its
 * findings and a message's error are there; a bad base64 character is at
 * its own byte. Nothing of the decoded text is a byte of the input.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The value of a base64 character, or -1. */
static int b64_value(unsigned c)
{
    if (c >= 'A' && c <= 'Z')
        return (int)(c - 'A');
    if (c >= 'a' && c <= 'z')
        return (int)(c - 'a') + 26;
    if (c >= '0' && c <= '9')
        return (int)(c - '0') + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* The character of the JSON string text s[i..end) at i, and its length in
 * the text: a byte written plainly, or an escape (\/ and \u00XX of an
 * ASCII byte are the characters of base64 a JSON writer may escape).
 * Anything else is returned as 0x100 | byte, which is no base64. */
static unsigned json_char(const unsigned char *s, size_t i, size_t end, size_t *n)
{
    *n = 1;
    if (s[i] != '\\')
        return s[i];
    if (i + 1 < end && s[i + 1] == '/') {
        *n = 2;
        return '/';
    }
    if (i + 5 < end && s[i + 1] == 'u') {
        int d0 = kvst__hex_digit(s[i + 2]), d1 = kvst__hex_digit(s[i + 3]);
        int d2 = kvst__hex_digit(s[i + 4]), d3 = kvst__hex_digit(s[i + 5]);
        if (d0 == 0 && d1 == 0 && d2 >= 0 && d3 >= 0 && d2 < 8) {
            *n = 6;
            return (unsigned)(d2 * 16 + d3);
        }
    }
    return 0x100u | s[i];
}

/* The error's place: the record's byte at (within its raw bytes), with an
 * excerpt of the input from there to the end of its line. */
static void aw_place(const kvst_tape *t, uint32_t at, cw_message *out)
{
    size_t n = 0;
    kvst__tape_position_at(t, at, &out->offset, &out->line, &out->column);
    while (at + n < t->raw_len && n < sizeof out->excerpt - 3 && t->raw[at + n] != '\n' &&
           t->raw[at + n] != '\r')
        n++;
    memcpy(out->excerpt, t->raw + at, n);
    memcpy(out->excerpt + n, "\n^", 3);
}

/* Decode the base64 text raw[from..to) (the string's body as written)
 * into buf. 0, KVST_E_NOMEM, or 1 with out's error set (and placed). */
static int b64_decode(const kvst_parser *p, const kvst_tape *t, uint32_t from, uint32_t to,
                      kvst_buf *buf, cw_message *out)
{
    const unsigned char *s = (const unsigned char *)t->raw;
    unsigned char group[3];
    uint32_t acc = 0, chars = 0, pad = 0, i;
    size_t n;

    if (kvst__buf_reserve(buf, &p->alloc, (to - from) / 4 * 3 + 3))
        return KVST_E_NOMEM;
    for (i = from; i < to; i += (uint32_t)n) {
        unsigned c = json_char(s, i, to, &n);
        int v = c < 0x100u ? b64_value(c) : -1;

        if (c == '=' && chars % 4 >= 2 && (pad == 0 || chars % 4 == 3)) {
            pad++;
            v = 0;
        } else if (v < 0 || pad) {
            aw_place(t, i, out);
            if (pad && v >= 0)
                kvst__cw_error(out, KVST_E_ENCODING,
                         "the awslogs data goes on after its base64 padding '=' (at byte "
                         "%llu of the data)", (unsigned long long)(i - from));
            else
                kvst__cw_error(out, KVST_E_ENCODING,
                         "the awslogs data is not base64: %s 0x%02X at byte %llu of the data",
                         c == '=' ? "padding" : "character", c & 0xffu,
                         (unsigned long long)(i - from));
            return 1;
        }
        acc = acc << 6 | (uint32_t)v;
        if (++chars % 4 == 0) {
            group[0] = (unsigned char)(acc >> 16);
            group[1] = (unsigned char)(acc >> 8);
            group[2] = (unsigned char)acc;
            memcpy(buf->data + buf->len, group, 3);
            buf->len += 3;
            acc = 0;
        }
    }
    if (chars % 4 != 0) {
        aw_place(t, to, out);
        kvst__cw_error(out, KVST_E_ENCODING,
                 "the awslogs data ends inside a group of four base64 characters (%u of "
                 "them)", (unsigned)(chars % 4));
        return 1;
    }
    buf->len -= pad; /* the last group's padding: one or two bytes fewer */
    return 0;
}

/* The inflated bytes go to the envelope's raw text, at most limit. */
typedef struct aw_sink {
    const kvst_parser *p;
    kvst_buf *text;
    uint64_t limit;
    int over; /* refused past the limit */
} aw_sink;

static int aw_put(void *ctx, const unsigned char *buf, size_t len)
{
    aw_sink *k = (aw_sink *)ctx;
    if (len > k->limit || k->text->len > k->limit - len) {
        k->over = 1;
        return KVST_E_LIMIT;
    }
    return kvst__buf_append(k->text, &k->p->alloc, buf, len);
}

/* Inflate the decoded data into env's raw text. 0, KVST_E_NOMEM, or 1 with
 * out's error set. */
static int inflate_data(const kvst_parser *p, const kvst_buf *data, kvst_record *env,
                        cw_message *out)
{
    kvst_input *in = NULL;
    const char *why;
    aw_sink k;
    int rc;

    k.p = p;
    k.text = &env->raw;
    k.limit = p->opts.max_record_bytes;
    k.over = 0;
    rc = kvst__input_new(&p->alloc,
                         p->opts.max_inflate_ratio == KVST_UNLIMITED ? 0 : p->opts.max_inflate_ratio,
                         KVST_INPUT_THREADS_ONE, &in);
    if (rc)
        return rc;
    rc = kvst__input_set_inflater(in, kvst__input_inflater(p->input));
    if (!rc && data->len >= 2 && (data->data[0] != 0x1f || data->data[1] != 0x8b))
        rc = 1; /* not gzip: the stage would pass it through */
    else if (!rc)
        rc = kvst__input_feed(in, data->data, data->len, aw_put, &k);
    if (!rc)
        rc = kvst__input_finish(in, aw_put, &k);
    if (!rc && !kvst__input_is_gzip(in))
        rc = 1;
    why = kvst__input_message(in);
    if (rc == 1)
        kvst__cw_error(out, KVST_E_GZIP,
                 "the awslogs data is not gzip (%llu bytes that do not begin with 1F 8B)",
                 (unsigned long long)data->len);
    else if (k.over)
        kvst__cw_error(out, KVST_E_LIMIT,
                 "the CloudWatch Logs envelope of the awslogs data inflates past the limit of "
                 "%llu bytes (max_record_bytes)", (unsigned long long)p->opts.max_record_bytes);
    else if (rc == KVST_E_TRUNCATED)
        kvst__cw_error(out, rc, "the awslogs data ends inside its gzip member");
    else if (rc && rc != KVST_E_NOMEM)
        kvst__cw_error(out, rc, "the awslogs data is not valid gzip: %s",
                 why && *why ? why : "corrupt data");
    kvst__input_free(in);
    if (rc == KVST_E_NOMEM && !k.over)
        return rc;
    return out->code ? 1 : 0;
}

int kvst__awslogs_envelope(const kvst_parser *p, kvst_record *rec, kvst_record *env,
                           cw_message *out)
{
    kvst_tape t;
    kvst_buf data = {0};
    uint32_t aw, d, from, to;
    size_t at;
    int why, rc;

    memset(out, 0, sizeof *out);
    kvst__record_tape(rec, &t);
    kvst__record_reset(env);
    aw = kvst__tape_get(&t, 0, "awslogs", 7);
    d = aw < t.count ? kvst__tape_get(&t, aw, "data", 4) : KVST_NO_NODE;
    if (d >= t.count || t.nodes[d].kind != KVST_JSON_STRING)
        return KVST_E_INVAL; /* the record builder checked it */
    from = kvst__tape_start(&t, d);
    to = t.nodes[d].end - 1; /* the closing quote */
    aw_place(&t, from, out);
    env->offset = out->offset;
    env->line = out->line;
    env->column = out->column;
    env->pinned = 1;
    env->index = rec->index;
    rc = b64_decode(p, &t, from + 1, to, &data, out);
    if (!rc)
        rc = inflate_data(p, &data, env, out);
    kvst__buf_free(&data, &p->alloc);
    if (rc)
        return rc == 1 ? 0 : rc;
    at = kvst__utf8_check((const unsigned char *)env->raw.data, env->raw.len, &why);
    if (at < env->raw.len) {
        kvst__cw_error(out, KVST_E_ENCODING,
                 "the CloudWatch Logs envelope of the awslogs data is not UTF-8: %s at byte "
                 "%llu of the inflated envelope",
                 kvst__utf8_why(why), (unsigned long long)at);
        return 0;
    }
    return kvst__cloudwatch_envelope(p, env, out);
}
