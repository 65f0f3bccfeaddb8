/*
 * A growable NUL-terminated text buffer for the C test programs, the one
 * way they log an event into it (its JSON line, as the CLI prints it),
 * read a whole file into it and gzip it. Shared by tests/core/kvst_dump.c,
 * tests/core/test_fastlex.c, tests/gzip/test_gzip_parser.c,
 * tests/abi/consumer.c and tests/validate/test_data_events.c (all link
 * zlib). A program may use only some of them (TEXTBUF_FN: no warning for
 * the others).
 */
#ifndef KVST_TEST_TEXTBUF_H
#define KVST_TEST_TEXTBUF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <kvstrail/kvstrail.h>

#if defined(__GNUC__)
#define TEXTBUF_FN __attribute__((unused))
#else
#define TEXTBUF_FN
#endif

typedef struct textbuf {
    char *data;
    size_t len, cap;
} textbuf;

/* Append n bytes; a test program out of memory stops (exit status 3). */
static TEXTBUF_FN void textbuf_add(textbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        b->data = (char *)realloc(b->data, cap);
        if (!b->data) {
            fprintf(stderr, "test: out of memory\n");
            exit(3);
        }
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Append the event's JSON line (kvst_event_to_json with source) and '\n'. */
static TEXTBUF_FN void textbuf_add_event(textbuf *b, const kvst_event *ev, const char *source)
{
    char stack[4096];
    size_t need = kvst_event_to_json(ev, source, stack, sizeof stack);

    if (need < sizeof stack) {
        textbuf_add(b, stack, need);
    } else {
        char *big = (char *)malloc(need + 1);
        if (!big) {
            fprintf(stderr, "test: out of memory\n");
            exit(3);
        }
        kvst_event_to_json(ev, source, big, need + 1);
        textbuf_add(b, big, need);
        free(big);
    }
    textbuf_add(b, "\n", 1);
}

/* Append the whole file at path (exit status 2 when it cannot be read);
 * the buffer is allocated even for an empty file. */
static TEXTBUF_FN void textbuf_load(textbuf *t, const char *path)
{
    char buf[65536];
    size_t n;
    FILE *f = fopen(path, "rb");

    if (!f) {
        perror(path);
        exit(2);
    }
    textbuf_add(t, "", 0);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        textbuf_add(t, buf, n);
    fclose(f);
}

/* Append the gzip of plain[0, len): one member (level 6) per `member`
 * plain bytes, 0 for one member; an empty input gives one empty member. */
static TEXTBUF_FN void textbuf_gzip(textbuf *gz, const char *plain, size_t len, size_t member)
{
    size_t pos = 0;

    if (!member)
        member = len;
    do {
        size_t n = len - pos < member ? len - pos : member;
        uLong bound;
        z_stream zs;
        char *out;
        memset(&zs, 0, sizeof zs);
        if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            exit(3);
        bound = deflateBound(&zs, (uLong)n);
        out = (char *)malloc(bound);
        if (!out)
            exit(3);
        zs.next_in = (Bytef *)plain + pos;
        zs.avail_in = (uInt)n;
        zs.next_out = (Bytef *)out;
        zs.avail_out = (uInt)bound;
        if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
            exit(3);
        textbuf_add(gz, out, bound - zs.avail_out);
        deflateEnd(&zs);
        free(out);
        pos += n;
    } while (pos < len);
}

#endif /* KVST_TEST_TEXTBUF_H */
