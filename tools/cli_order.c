/* kvstrail CLI: output in file order while files are parsed in parallel. */
#include "cli_order.h"
#include <errno.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SINK_FLUSH_BYTES    (64u * 1024u)        /* batch writes to stdout */
#define ORDER_MEMORY_BYTES  (32u * 1024u * 1024u) /* held by waiting files */
#define ORDER_WINDOW        64u /* files started ahead of the head (each may
                                   hold a temporary file open) */

void cli_order_init(struct cli_order *o, size_t count,
                    struct cli_progress *progress)
{
    size_t i;
    memset(o, 0, sizeof *o);
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->turn, NULL);
    o->sinks = cli_xrealloc(NULL, count * sizeof *o->sinks);
    memset(o->sinks, 0, count * sizeof *o->sinks);
    for (i = 0; i < count; i++)
        o->sinks[i].order = o;
    o->count = count;
    o->progress = progress;
    if (count > 0)
        o->sinks[0].direct = 1;
}

void cli_order_destroy(struct cli_order *o)
{
    size_t i;
    for (i = 0; i < o->count; i++) {
        cli_buf_free(&o->sinks[i].out);
        cli_buf_free(&o->sinks[i].err);
        if (o->sinks[i].spill != NULL)
            fclose(o->sinks[i].spill);
    }
    free(o->sinks);
    pthread_cond_destroy(&o->turn);
    pthread_mutex_destroy(&o->lock);
}

struct cli_sink *cli_order_sink(struct cli_order *o, size_t index)
{
    return &o->sinks[index];
}

void cli_order_wait_turn(struct cli_order *o, size_t index)
{
    pthread_mutex_lock(&o->lock);
    /* The head file is always running (files are taken in order), so this
     * wait ends. */
    while (index >= o->head + ORDER_WINDOW)
        pthread_cond_wait(&o->turn, &o->lock);
    pthread_mutex_unlock(&o->lock);
}

/* Called with the lock held (or before any worker runs). */
static void write_stdout(struct cli_order *o, const char *s, size_t n)
{
    if (n > 0 && o->strip_comma) {
        o->strip_comma = 0;
        if (*s == ',') {
            s++;
            n--;
        }
    }
    /* Once the reader of a pipe is gone (`kvstrail events | head`), the
     * rest of the output has nowhere to go: drop it, and say nothing. */
    if (o->output_closed)
        return;
    if (n > 0 && cli_write_all(STDOUT_FILENO, s, n) != 0) {
        if (errno == EPIPE)
            o->output_closed = 1;
        else
            o->write_failed = 1;
    }
}

int cli_order_output_closed(struct cli_order *o)
{
    int closed;
    pthread_mutex_lock(&o->lock);
    closed = o->output_closed;
    pthread_mutex_unlock(&o->lock);
    return closed;
}

void cli_order_stdout(struct cli_order *o, const char *s, size_t n)
{
    pthread_mutex_lock(&o->lock);
    write_stdout(o, s, n);
    pthread_mutex_unlock(&o->lock);
}

void cli_order_strip_next_comma(struct cli_order *o)
{
    pthread_mutex_lock(&o->lock);
    o->strip_comma = 1;
    pthread_mutex_unlock(&o->lock);
}

/* Write what a sink holds under the lock: the spilled part of its stdout
 * and its stderr lines. Its stdout buffer belongs to the worker while the
 * file is being parsed, so it is left alone here. Lock held. */
static void drain_held(struct cli_sink *s)
{
    struct cli_order *o = s->order;
    if (s->spill != NULL) {
        char chunk[SINK_FLUSH_BYTES];
        size_t n;
        rewind(s->spill);
        while ((n = fread(chunk, 1, sizeof chunk, s->spill)) > 0)
            write_stdout(o, chunk, n);
        if (ferror(s->spill))
            o->write_failed = 1;
        fclose(s->spill);
        s->spill = NULL;
    }
    if (s->err.len > 0)
        cli_progress_stderr(o->progress, s->err.data, s->err.len);
    s->err.len = 0;
}

/* Stop counting a sink's buffer against the memory budget. Lock held. */
static void release(struct cli_sink *s)
{
    s->order->held -= s->held;
    s->held = 0;
}

/* Move a waiting sink's buffer to its temporary file. Lock held. */
static void spill(struct cli_sink *s)
{
    if (s->spill == NULL)
        s->spill = tmpfile();
    /* Without a temporary file the bytes stay in memory: slower to lose
     * than to grow. */
    if (s->spill == NULL ||
        fwrite(s->out.data, 1, s->out.len, s->spill) != s->out.len)
        return;
    release(s);
    s->out.len = 0;
    if (s->done)
        cli_buf_free(&s->out);
}

/* Lock held. */
static void flush_locked(struct cli_sink *s)
{
    struct cli_order *o = s->order;
    if (s->direct) {
        write_stdout(o, s->out.data, s->out.len);
        s->out.len = 0;
        return;
    }
    o->held += s->out.len - s->held;
    s->held = s->out.len;
    if (o->held > ORDER_MEMORY_BYTES)
        spill(s);
}

void cli_sink_flush(struct cli_sink *s)
{
    pthread_mutex_lock(&s->order->lock);
    flush_locked(s);
    pthread_mutex_unlock(&s->order->lock);
}

void cli_sink_commit(struct cli_sink *s)
{
    if (s->out.len >= SINK_FLUSH_BYTES)
        cli_sink_flush(s);
}

void cli_sink_err(struct cli_sink *s, const char *msg, size_t n)
{
    struct cli_order *o = s->order;
    pthread_mutex_lock(&o->lock);
    if (s->direct) {
        /* stdout first, so a terminal shows the error after the events
         * that came before it. */
        write_stdout(o, s->out.data, s->out.len);
        s->out.len = 0;
        cli_progress_stderr(o->progress, msg, n);
    } else {
        cli_buf_add(&s->err, msg, n);
    }
    pthread_mutex_unlock(&o->lock);
}

void cli_sink_done(struct cli_sink *s)
{
    struct cli_order *o = s->order;
    pthread_mutex_lock(&o->lock);
    s->done = 1;
    if (!s->direct)
        flush_locked(s);
    while (o->head < o->count && o->sinks[o->head].done) {
        struct cli_sink *h = &o->sinks[o->head];
        /* A finished file: its worker is gone, its buffer is ours. Spilled
         * bytes come before the buffered ones; stderr after stdout. */
        struct cli_buf err = h->err;
        h->err = (struct cli_buf)CLI_BUF_INIT;
        drain_held(h);
        write_stdout(o, h->out.data, h->out.len);
        if (err.len > 0)
            cli_progress_stderr(o->progress, err.data, err.len);
        cli_buf_free(&err);
        release(h);
        cli_buf_free(&h->out);
        o->head++;
    }
    pthread_cond_broadcast(&o->turn);
    if (o->head < o->count) {
        /* Still being parsed (or not started): from now on it writes
         * through; its worker flushes its own buffer at its next commit. */
        struct cli_sink *h = &o->sinks[o->head];
        drain_held(h);
        release(h);
        h->direct = 1;
    }
    pthread_mutex_unlock(&o->lock);
}
