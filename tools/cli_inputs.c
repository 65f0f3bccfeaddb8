/* kvstrail CLI: the files of a run (arguments, walked directories). */
#include "cli_inputs.h"

#include "cli_buf.h"
#include "cli_format.h"
#include "cli_progress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct collect {
    const struct cli_options *opts;
    struct cli_inputs *in;
    struct cli_stats *st;
};

static void add(struct cli_inputs *in, const char *path)
{
    size_t n = strlen(path) + 1;
    in->files = cli_xrealloc(in->files, (in->count + 1) * sizeof *in->files);
    in->files[in->count] = cli_xrealloc(NULL, n);
    memcpy(in->files[in->count++], path, n);
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* A log by name, or by its first byte. */
static int looks_like_log(const char *path)
{
    static const char *const names[] = { ".json", ".jsonl", ".ndjson", ".gz" };
    unsigned char head[2];
    size_t i;
    ssize_t n;
    int fd;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (ends_with(path, names[i]))
            return 1;
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return 1; /* reading it reports why it cannot be read */
    n = read(fd, head, sizeof head);
    close(fd);
    return n >= 1 && (head[0] == '{' || head[0] == '[' ||
                      (n == 2 && head[0] == 0x1f && head[1] == 0x8b));
}

int cli_inputs_prunes(const struct cli_options *opts,
                      const struct cli_s3_key *key)
{
    const kvst_filter *f = &opts->filter;
    long long lo, hi;
    if (!key->valid)
        return 0;
    if (f->account_id != NULL && strcmp(f->account_id, key->account) != 0)
        return 1;
    if (f->region != NULL && strcmp(f->region, key->region) != 0)
        return 1;
    if (key->file_time >= 0) {
        lo = hi = key->file_time;
    } else {
        lo = cli_days_from_civil(key->year, key->month, key->day) * 86400;
        hi = lo + 86399;
    }
    /* Whole seconds against milliseconds: compare in milliseconds. */
    if ((f->flags & KVST_FILTER_SINCE) &&
        (hi + opts->prune_margin) * 1000 + 999 < f->since_ms)
        return 1;
    if ((f->flags & KVST_FILTER_UNTIL) &&
        (lo - opts->prune_margin) * 1000 > f->until_ms)
        return 1;
    return 0;
}

static int on_file(const char *file, void *ctx)
{
    struct collect *c = ctx;
    struct cli_s3_key key;
    const char *base = strrchr(file, '/');
    base = base != NULL ? base + 1 : file;
    cli_s3_key_parse(file, &key);
    if ((key.valid && key.is_digest) ||
        strstr(base, "_CloudTrail-Digest_") != NULL) {
        c->st->digests_skipped++;
        return 0;
    }
    if (cli_inputs_prunes(c->opts, &key)) {
        c->st->files_pruned++;
        return 0;
    }
    if (!looks_like_log(file)) {
        c->st->files_skipped++;
        return 0;
    }
    add(c->in, file);
    return 0;
}

static void on_error(const char *path, int err, void *ctx)
{
    struct collect *c = ctx;
    struct cli_buf line = CLI_BUF_INIT, msg = CLI_BUF_INIT;
    cli_buf_printf(&msg, "cannot read: %s", strerror(err));
    cli_format_error(&line, path, 0, 0, msg.data, msg.len, KVST_E_IO);
    cli_write_all(STDERR_FILENO, line.data, line.len);
    c->st->input_errors++;
    cli_buf_free(&line);
    cli_buf_free(&msg);
}

void cli_inputs_collect(const struct cli_options *opts, struct cli_inputs *in,
                        struct cli_stats *st)
{
    struct collect c;
    size_t i;
    c.opts = opts;
    c.in = in;
    c.st = st;
    in->files = NULL;
    in->count = 0;
    for (i = 0; i < opts->file_count; i++) {
        struct stat sb;
        const char *path = opts->files[i];
        if (strcmp(path, "-") != 0 && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            cli_walk(path, on_file, on_error, &c);
        else
            add(in, path); /* opening it reports what is wrong */
    }
}

void cli_inputs_free(struct cli_inputs *in)
{
    size_t i;
    for (i = 0; i < in->count; i++)
        free(in->files[i]);
    free(in->files);
    in->files = NULL;
    in->count = 0;
}
