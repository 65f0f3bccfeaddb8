/* kvstrail CLI: the runner (files -> parsers, on -j worker threads). */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sched_getaffinity: the CPUs we may actually run on */
#endif
#include "cli_runner.h"

#include "cli_dedup.h"
#include "cli_detect.h"
#include "cli_format.h"
#include "cli_inputs.h"
#include "cli_order.h"
#include "cli_progress.h"

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_BYTES (64u * 1024u)

/* The CPUs this process may run on (its affinity mask, else those
 * online). */
static long cpus_usable(void)
{
#if defined(__linux__) && defined(CPU_COUNT)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set);
#endif
    return sysconf(_SC_NPROCESSORS_ONLN);
}

struct run {
    const struct cli_options *opts;
    struct cli_inputs inputs;  /* the files, directories walked */
    struct cli_buf *notes;     /* SARIF: each file's notifications */
    struct cli_dedup dedup;    /* --dedup (files are read one at a time) */
    struct cli_formatter fmt;
    struct cli_order order;
    struct cli_progress progress;
    int *file_status;          /* exit status of each file */
    pthread_mutex_t next_lock;
    size_t next;               /* next file to take */
    unsigned parser_flags;     /* added to every parser's (cli_run) */
};

/* What the parser's callback needs. */
struct file_ctx {
    struct cli_file_out out;
    struct cli_stats *stats;
    struct cli_dedup *dedup;   /* NULL without --dedup */
    uint64_t delivered;        /* events the parser gave, before --dedup */
    struct cli_detect_worker *detect; /* NULL without rules */
    int count;                 /* count each event: only stats prints the
                                  counters */
};

static int on_event(const kvst_event *ev, void *payload)
{
    struct file_ctx *fc = payload;
    fc->delivered++;
    if (fc->dedup != NULL && ev->status == 0 && ev->event_id.ptr != NULL &&
        cli_dedup_seen(fc->dedup, ev->event_id.ptr, ev->event_id.len)) {
        fc->stats->duplicates++;
        return 0;
    }
    if (fc->count)
        cli_stats_add_event(fc->stats, ev);
    cli_format_event(&fc->out, ev);
    if (fc->detect != NULL)
        cli_detect_event(fc->detect, &fc->out, ev);
    return 0;
}

static void report_parser_error(struct cli_file_out *out, const kvst_parser *p,
                                int status)
{
    const kvst_error *e = p != NULL ? kvst_parser_error(p) : NULL;
    struct cli_buf line = CLI_BUF_INIT;
    if (e != NULL && e->code != 0) {
        cli_format_error(&line, out->label, e->line, e->column, e->message.ptr,
                         e->message.len, e->code);
        cli_format_note(out, e->line, e->offset, e->message.ptr,
                        e->message.len, e->code);
    } else {
        cli_format_error(&line, out->label, 0, 0, NULL, 0, status);
        cli_format_note(out, 0, 0, NULL, 0, status);
    }
    cli_sink_err(out->sink, line.data, line.len);
    cli_buf_free(&line);
}

static void report_io_error(struct cli_file_out *out, const char *what, int err)
{
    struct cli_buf line = CLI_BUF_INIT, msg = CLI_BUF_INIT;
    cli_buf_printf(&msg, "%s: %s", what, strerror(err));
    cli_format_error(&line, out->label, 0, 0, msg.data, msg.len, KVST_E_IO);
    cli_format_note(out, 0, 0, msg.data, msg.len, KVST_E_IO);
    cli_sink_err(out->sink, line.data, line.len);
    cli_buf_free(&line);
    cli_buf_free(&msg);
}

static void parser_options(const struct cli_options *opts,
                           kvst_parser_options *po)
{
    po->flags = opts->parser_flags;  /* (run_file adds the run's own) */
    po->max_depth = opts->max_depth;
    po->max_string_bytes = opts->max_string_bytes;
    po->max_record_bytes = opts->max_record_bytes;
    po->max_inflate_ratio = opts->max_inflate_ratio;
    po->filter = opts->filtering ? &opts->filter : NULL;
}

int cli_runner_check_options(const struct cli_options *opts)
{
    kvst_parser_options po = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    int status;
    parser_options(opts, &po);
    status = kvst_parser_new(&po, &p);
    kvst_parser_free(p);
    if (status != 0) {
        struct cli_buf line = CLI_BUF_INIT;
        cli_buf_printf(&line,
                       "kvstrail: error: libkvstrail %s refuses these options: "
                       "%s [%s]\n",
                       kvst_version_string(), kvst_strerror(status),
                       kvst_status_name(status));
        cli_write_all(STDERR_FILENO, line.data, line.len);
        cli_buf_free(&line);
    }
    return status;
}

/* Parse one file; returns its exit status. */
static int run_file(struct run *r, size_t index, char *chunk,
                    struct cli_stats *stats, struct cli_detect_worker *detect)
{
    const struct cli_options *opts = r->opts;
    const char *path = r->inputs.files[index];
    int is_stdin = strcmp(path, "-") == 0;
    kvst_parser_options po = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    struct file_ctx fc;
    uint64_t records_seen = 0, bytes_json = 0, bytes_in = 0, bytes_read = 0;
    uint64_t json = 0;
    int fd, status = 0, exit_status = CLI_EXIT_OK, streaming;
    struct stat st;

    memset(&fc, 0, sizeof fc);
    fc.out.fmt = &r->fmt;
    fc.out.sink = cli_order_sink(&r->order, index);
    fc.out.label = path;
    fc.out.notes = r->notes != NULL ? &r->notes[index] : NULL;
    fc.stats = stats;
    fc.dedup = opts->dedup ? &r->dedup : NULL;
    fc.detect = detect;
    fc.count = opts->command == CLI_CMD_STATS;
    stats->files++;

    parser_options(opts, &po);
    po.flags |= r->parser_flags;
    po.on_event = on_event;
    po.payload = &fc;

    fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY);
    if (fd < 0) {
        report_io_error(&fc.out, "cannot open", errno);
        stats->input_errors++;
        return CLI_EXIT_INPUT;
    }
    /* A pipe or terminal may be a stream whose lines are wanted as they
     * come; a regular file is read to its end without waiting. */
    streaming = fstat(fd, &st) != 0 || !S_ISREG(st.st_mode);
    status = kvst_parser_new(&po, &p);
    if (status != 0) {
        report_parser_error(&fc.out, NULL, status);
    } else {
        for (;;) {
            ssize_t n = read(fd, chunk, CHUNK_BYTES);
            uint64_t records;
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                report_io_error(&fc.out, "read error", errno);
                status = KVST_E_IO;
                break;
            }
            if (n >= 2 && bytes_read == 0 && (unsigned char)chunk[0] == 0x1f &&
                (unsigned char)chunk[1] == 0x8b)
                fc.out.gzip = 1; /* positions count the inflated text */
            bytes_read += (uint64_t)n;
            status = n > 0 ? kvst_parser_feed(p, chunk, (size_t)n)
                           : kvst_parser_finish(p);
            /* An empty file or stdin is an empty stream of events (the
             * library, asked to parse it, says there is no JSON value). */
            if (n == 0 && bytes_read == 0 && status == KVST_E_SYNTAX)
                status = 0;
            kvst_parser_stats(p, &records, NULL, &json);
            cli_progress_add(&r->progress, (uint64_t)n, json - bytes_json,
                             records - records_seen);
            records_seen = records;
            bytes_json = json;
            /* Lines appear as their input arrives (tail -f | kvstrail);
             * from a regular file they go out in blocks of 64 KiB
             * (cli_order.c), not one write per chunk read. */
            if (streaming)
                cli_sink_flush(fc.out.sink);
            else
                cli_sink_commit(fc.out.sink);
            if (status == 0 && cli_order_output_closed(&r->order))
                break; /* `| head` has what it wanted: stop reading */
            if (status != 0) {
                report_parser_error(&fc.out, p, status);
                break;
            }
            if (n == 0)
                break;
        }
        kvst_parser_stats(p, &records_seen, &bytes_in, &bytes_json);
        stats->bytes_in += bytes_in;
        stats->bytes_json += bytes_json;
        stats->filtered += records_seen - fc.delivered;
        kvst_parser_free(p);
    }
    if (!is_stdin)
        close(fd);

    if (status != 0 || fc.out.broken_records > 0) {
        stats->input_errors++;
        exit_status = CLI_EXIT_INPUT;
    } else if ((opts->command == CLI_CMD_CHECK && fc.out.error_findings > 0) ||
               (opts->command == CLI_CMD_DETECT && fc.out.high_matches > 0)) {
        exit_status = CLI_EXIT_FINDINGS;
    }
    return exit_status;
}

struct worker {
    struct run *run;
    pthread_t thread;
    struct cli_stats stats;
    struct cli_detect_worker detect;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *r = w->run;
    char *chunk = cli_xrealloc(NULL, CHUNK_BYTES);
    if (r->opts->detect != NULL)
        cli_detect_worker_init(&w->detect, r->opts->detect);
    for (;;) {
        size_t index;
        pthread_mutex_lock(&r->next_lock);
        index = r->next++;
        pthread_mutex_unlock(&r->next_lock);
        if (index >= r->inputs.count)
            break;
        cli_order_wait_turn(&r->order, index);
        r->file_status[index] = run_file(r, index, chunk, &w->stats,
                                         r->opts->detect ? &w->detect : NULL);
        cli_sink_done(cli_order_sink(&r->order, index));
        cli_progress_file_done(&r->progress);
    }
    free(chunk);
    if (r->opts->detect != NULL)
        cli_detect_worker_free(&w->detect);
    return NULL;
}

static uint64_t total_bytes(const struct cli_inputs *in, int *known)
{
    uint64_t total = 0;
    size_t i;
    *known = 1;
    for (i = 0; i < in->count; i++) {
        struct stat st;
        if (strcmp(in->files[i], "-") != 0 && stat(in->files[i], &st) == 0 &&
            S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
        else
            *known = 0;
    }
    return total;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int cli_run(const struct cli_options *opts, struct cli_stats *total,
            double *elapsed)
{
    struct run r;
    struct cli_buf text = CLI_BUF_INIT;
    struct cli_buf notes = CLI_BUF_INIT;
    struct cli_stats *found = cli_xrealloc(NULL, sizeof *found);
    struct cli_stats readers;
    pthread_mutex_t readers_lock;
    struct worker *workers;
    size_t nworkers, count, i, started;
    uint64_t bytes;
    int known, exit_status = CLI_EXIT_OK;
    double t0;

    memset(&r, 0, sizeof r);
    memset(found, 0, sizeof *found);
    r.opts = opts;
    cli_inputs_collect(opts, &r.inputs, found);
    count = r.inputs.count;
    /* --dedup keeps the first copy in file order: one file at a time. */
    nworkers = opts->dedup ? 1 : opts->jobs < count ? opts->jobs : count;
    if (nworkers == 0)
        nworkers = 1; /* an empty directory: nothing to read, same path */
    /* When the workers alone fill the CPUs, each parser inflates gzip on
     * its own thread: a second thread per parser would only wait for a
     * CPU, and its queue and inflate state cost memory (docs/
     * performance.md: stats -j 2 within 4 MiB). */
    if (nworkers > 1 && (long)nworkers >= cpus_usable())
        r.parser_flags |= KVST_FLAG_SINGLE_THREAD;
    cli_dedup_init(&r.dedup, opts->dedup_cap);
    cli_format_init(&r.fmt, opts);
    if ((r.fmt.command == CLI_CMD_CHECK || r.fmt.command == CLI_CMD_DETECT) &&
        r.fmt.format == CLI_FMT_SARIF) {
        r.notes = cli_xrealloc(NULL, (count ? count : 1) * sizeof *r.notes);
        memset(r.notes, 0, (count ? count : 1) * sizeof *r.notes);
    }
    bytes = total_bytes(&r.inputs, &known);
    cli_progress_start(&r.progress, opts->progress, bytes, known, count);
    cli_order_init(&r.order, count, &r.progress);
    r.file_status = cli_xrealloc(NULL, (count ? count : 1) * sizeof *r.file_status);
    pthread_mutex_init(&r.next_lock, NULL);

    cli_format_begin(&r.fmt, &text);
    if (opts->detect != NULL)
        cli_detect_begin(opts->detect, &text);
    cli_order_stdout(&r.order, text.data, text.len);
    if ((r.fmt.command == CLI_CMD_CHECK || r.fmt.command == CLI_CMD_DETECT) &&
        r.fmt.format == CLI_FMT_SARIF)
        cli_order_strip_next_comma(&r.order);

    t0 = now_seconds();
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
    /* One malloc arena for every worker: glibc would give each thread its
     * own, a few hundred KiB of heap apiece that the others cannot reuse
     * (docs/performance.md: stats -j 2 within 4 MiB). The parsers take
     * their memory in blocks, so the workers seldom meet in malloc. */
    if (nworkers > 1)
        mallopt(M_ARENA_MAX, 1);
#endif
    workers = cli_xrealloc(NULL, nworkers * sizeof *workers);
    memset(workers, 0, nworkers * sizeof *workers);
    /* one media readers table for every worker (its memory is bounded
     * once, not once a worker); merged into the total below */
    memset(&readers, 0, sizeof readers);
    pthread_mutex_init(&readers_lock, NULL);
    for (i = 0; i < nworkers; i++) {
        workers[i].stats.readers_into = &readers;
        workers[i].stats.readers_lock = &readers_lock;
    }
    /* The main thread is worker 0: -j 1 starts no thread at all. */
    for (started = 1; started < nworkers; started++) {
        workers[started].run = &r;
        if (pthread_create(&workers[started].thread, NULL, worker_main,
                           &workers[started]) != 0)
            break;
    }
    workers[0].run = &r;
    worker_main(&workers[0]);
    for (i = 1; i < started; i++)
        pthread_join(workers[i].thread, NULL);
    *elapsed = now_seconds() - t0;
    cli_progress_stop(&r.progress);

    memset(total, 0, sizeof *total);
    cli_stats_merge(total, found);
    for (i = 0; i < started; i++) {
        cli_stats_merge(total, &workers[i].stats);
        cli_stats_free(&workers[i].stats);
    }
    cli_stats_merge(total, &readers);
    cli_stats_free(&readers);
    pthread_mutex_destroy(&readers_lock);
    total->dedup_resets = r.dedup.resets;
    if (found->input_errors > 0)
        exit_status = CLI_EXIT_INPUT;
    for (i = 0; i < count; i++) {
        if (r.file_status[i] > exit_status)
            exit_status = r.file_status[i];
        if (r.notes != NULL && r.notes[i].len > 0) {
            cli_buf_add(&notes, r.notes[i].data, r.notes[i].len);
        }
        if (r.notes != NULL)
            cli_buf_free(&r.notes[i]);
    }

    text.len = 0;
    if (opts->detect != NULL && opts->detect->refused &&
        exit_status < CLI_EXIT_INPUT)
        exit_status = CLI_EXIT_INPUT;
    cli_format_end(&r.fmt, exit_status, &notes, &text);
    if (opts->detect != NULL)
        cli_detect_end(opts->detect, exit_status, &notes, &text);
    cli_order_stdout(&r.order, text.data, text.len);
    if (r.order.write_failed) {
        static const char msg[] =
            "kvstrail: error: cannot write the output [KVST_E_IO]\n";
        cli_write_all(STDERR_FILENO, msg, sizeof msg - 1);
        exit_status = CLI_EXIT_INPUT;
    }

    cli_buf_free(&text);
    cli_buf_free(&notes);
    free(r.notes);
    cli_stats_free(found);
    free(found);
    cli_dedup_free(&r.dedup);
    cli_inputs_free(&r.inputs);
    free(workers);
    free(r.file_status);
    pthread_mutex_destroy(&r.next_lock);
    cli_order_destroy(&r.order);
    return exit_status;
}
