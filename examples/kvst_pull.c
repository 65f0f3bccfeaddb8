/*
 * kvst_pull: print one line per Kinesis Video Streams call found in
 * CloudTrail log files (plain or gzip), using the pull iterator: feed a
 * chunk, then take the events it completed with kvst_parser_next().
 *
 *   kvst_pull FILE...
 *
 * Build: cc kvst_pull.c $(pkg-config --cflags --libs kvstrail)
 */
#include <stdio.h>
#include <kvstrail/kvstrail.h>

/* Absent strings are NULL views; print them as "-". */
static const char *or_dash(const char *s)
{
    return s ? s : "-";
}

/* Print the events the last feed/finish completed. Returns 0, or the
 * error that stopped the parser once every event before it is printed. */
static int drain(kvst_parser *p)
{
    const kvst_event *ev;
    kvst_value stream;
    int rc;

    while ((rc = kvst_parser_next(p, &ev)) == 1) {
        if (kvst_event_lookup(ev, "/requestParameters/streamName", &stream) &&
            kvst_event_lookup(ev, "/requestParameters/streamARN", &stream))
            stream.text.ptr = NULL;
        printf("%s  %-20s %-18s %s  findings=%lu\n",
               or_dash(ev->event_time.ptr),
               or_dash(kvst_action_name(ev->action)),
               kvst_principal_name(ev->identity->principal),
               or_dash(stream.text.ptr), (unsigned long)ev->finding_count);
    }
    return rc;
}

static int parse_file(const char *path)
{
    kvst_parser_options opts = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    char buf[65536];
    size_t n;
    int rc, ended = 0;
    FILE *f = fopen(path, "rb");

    if (!f) {
        perror(path);
        return 1;
    }
    opts.flags = KVST_FLAG_KVS_ONLY; /* on_event stays NULL: pull mode */
    rc = kvst_parser_new(&opts, &p);
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        ended = kvst_parser_feed(p, buf, n);
        rc = drain(p); /* also after an error: records before it are queued */
        rc = rc ? rc : ended;
    }
    if (rc == 0 && !ferror(f)) {
        ended = kvst_parser_finish(p);
        rc = drain(p);
        rc = rc ? rc : ended;
    }
    if (ferror(f)) {
        perror(path);
        rc = KVST_E_IO;
    } else if (rc != 0) {
        const kvst_error *err = p ? kvst_parser_error(p) : NULL;
        fprintf(stderr, "%s:%lu:%lu: error: %s [%s]\n", path,
                err ? (unsigned long)err->line : 0UL,
                err ? (unsigned long)err->column : 0UL,
                err && err->message.ptr ? err->message.ptr : kvst_strerror(rc),
                kvst_status_name(rc));
    }
    kvst_parser_free(p);
    fclose(f);
    return rc != 0;
}

int main(int argc, char **argv)
{
    int i, failed = 0;

    for (i = 1; i < argc; i++)
        failed |= parse_file(argv[i]);
    return failed;
}
