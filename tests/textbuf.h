/*
 * A growable NUL-terminated text buffer for the C test programs, and the
 * one way they log an event into it (its JSON line, as the CLI prints it).
 * Shared by tests/core/kvst_dump.c and tests/gzip/test_gzip_parser.c.
 */
#ifndef KVST_TEST_TEXTBUF_H
#define KVST_TEST_TEXTBUF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kvstrail/kvstrail.h>

typedef struct textbuf {
    char *data;
    size_t len, cap;
} textbuf;

/* Append n bytes; a test program out of memory stops (exit status 3). */
static void textbuf_add(textbuf *b, const char *s, size_t n)
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
static void textbuf_add_event(textbuf *b, const kvst_event *ev, const char *source)
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

#endif /* KVST_TEST_TEXTBUF_H */
