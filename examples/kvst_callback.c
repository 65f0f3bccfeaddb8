/*
 * kvst_callback: print one line per Kinesis Video Streams call found in
 * CloudTrail log files (plain or gzip), using the callback interface.
 *
 *   kvst_callback FILE...
 *
 * Build: cc kvst_callback.c $(pkg-config --cflags --libs kvstrail)
 */
#include <stdio.h>
#include <kvstrail/kvstrail.h>

/* Absent strings are NULL views; print them as "-". */
static const char *or_dash(const char *s)
{
    return s ? s : "-";
}

static int print_event(const kvst_event *ev, void *payload)
{
    kvst_value stream;

    (void)payload;
    /* Calls name their stream either way; the generic lookup covers both. */
    if (kvst_event_lookup(ev, "/requestParameters/streamName", &stream) != 0 &&
        kvst_event_lookup(ev, "/requestParameters/streamARN", &stream) != 0)
        stream.text.ptr = NULL;
    printf("%s  %-20s %-18s %s  findings=%lu\n",
           or_dash(ev->event_time.ptr),
           or_dash(kvst_action_name(ev->action)),
           kvst_principal_name(ev->identity->principal),
           or_dash(stream.text.ptr), (unsigned long)ev->finding_count);
    return 0; /* non-zero would stop the parser with KVST_E_ABORTED */
}

static int parse_file(const char *path)
{
    kvst_parser_options opts = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    char buf[65536];
    size_t n;
    int rc;
    FILE *f = fopen(path, "rb");

    if (!f) {
        perror(path);
        return 1;
    }
    opts.flags = KVST_FLAG_KVS_ONLY;
    opts.on_event = print_event;
    rc = kvst_parser_new(&opts, &p);
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0)
        rc = kvst_parser_feed(p, buf, n);
    if (rc == 0 && !ferror(f))
        rc = kvst_parser_finish(p);

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
