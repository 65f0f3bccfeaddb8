/*
 * suite_driver: feed one file to a parser in pull mode and print what the
 * library made of it, for the runners of this folder:
 *
 *   suite_driver FILE [CHUNK]     prints "STATUS_NAME EVENTS\n"
 *
 * CHUNK is the feed size in bytes (default: the whole file in one feed).
 * No callback: kvst_parser_next() is drained after every feed and after
 * finish. Exit status 0 whenever the library answered, whatever the answer
 * (so any other exit, a signal or a sanitizer report, is a crash); 2 for a
 * usage or I/O error; 3 when the status returned and kvst_parser_error()
 * disagree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kvstrail/kvstrail.h>

static unsigned long long events;

/* Count the queued events; 0, or the error once they are all taken. */
static int drain(kvst_parser *p)
{
    const kvst_event *ev;
    int rc;

    while ((rc = kvst_parser_next(p, &ev)) == 1)
        events++;
    return rc;
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    size_t cap = 0, n;

    *len = 0;
    if (!f)
        return NULL;
    for (;;) {
        if (*len == cap) {
            unsigned char *bigger;
            cap = cap ? cap * 2 : 65536;
            bigger = realloc(data, cap);
            if (!bigger)
                break;
            data = bigger;
        }
        n = fread(data + *len, 1, cap - *len, f);
        *len += n;
        if (n == 0)
            break;
    }
    if (ferror(f) || !data) {
        free(data);
        data = NULL;
    }
    fclose(f);
    return data;
}

int main(int argc, char **argv)
{
    kvst_parser *p = NULL;
    unsigned char *data;
    size_t len, chunk, off = 0;
    int rc;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: suite_driver FILE [CHUNK]\n");
        return 2;
    }
    data = read_file(argv[1], &len);
    if (!data) {
        perror(argv[1]);
        return 2;
    }
    chunk = argc == 3 ? strtoul(argv[2], NULL, 10) : 0;
    if (chunk == 0)
        chunk = len ? len : 1;

    rc = kvst_parser_new(NULL, &p);
    while (rc == 0 && off < len) {
        size_t n = len - off < chunk ? len - off : chunk;
        int fed = kvst_parser_feed(p, data + off, n);
        off += n;
        rc = drain(p);
        if (rc == 0)
            rc = fed;
    }
    if (rc == 0) {
        int finished = kvst_parser_finish(p);
        rc = drain(p);
        if (rc == 0)
            rc = finished;
    }
    printf("%s %llu\n", kvst_status_name(rc), events);
    if (p && kvst_parser_error(p)->code != rc) {
        fprintf(stderr, "status %s but kvst_parser_error() says %s\n",
                kvst_status_name(rc),
                kvst_status_name(kvst_parser_error(p)->code));
        rc = 3;
    } else {
        rc = 0;
    }
    kvst_parser_free(p);
    free(data);
    return rc;
}
