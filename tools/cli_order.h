/*
 * kvstrail CLI: output in file order while files are parsed in parallel.
 *
 * Each input file writes into its own sink. The sink of the earliest
 * unfinished file (the head) goes straight to stdout/stderr; the others
 * collect their output in memory and are written out when every file
 * before them is done. Memory stays bounded: past a budget shared by all
 * waiting files their output spills to temporary files, and no file is
 * started more than a window of files ahead of the head.
 */
#ifndef KVSTRAIL_CLI_ORDER_H
#define KVSTRAIL_CLI_ORDER_H

#include "cli_buf.h"
#include "cli_progress.h"

#include <pthread.h>
#include <stdio.h>

struct cli_order;

struct cli_sink {
    struct cli_order *order;
    struct cli_buf out;  /* stdout bytes not yet written */
    struct cli_buf err;  /* stderr bytes held while not the head */
    FILE *spill;         /* stdout bytes beyond the memory budget */
    size_t held;         /* bytes of out counted in order->held */
    int direct;          /* head: write through (guarded by order->lock) */
    int done;
};

struct cli_order {
    pthread_mutex_t lock;
    pthread_cond_t turn;  /* signalled when the head moves */
    struct cli_sink *sinks;
    size_t count;
    size_t head;
    size_t held;          /* stdout bytes in memory of non-head sinks */
    struct cli_progress *progress;
    int strip_comma;     /* see cli_order_strip_next_comma() */
    int write_failed;
    int output_closed;   /* stdout's reader went away (EPIPE): stop quietly */
};

void cli_order_init(struct cli_order *o, size_t count,
                    struct cli_progress *progress);
/* Non-zero once stdout's reader has gone away (EPIPE): the rest of the
 * input need not be read. Takes the lock. */
int cli_order_output_closed(struct cli_order *o);
void cli_order_destroy(struct cli_order *o);
struct cli_sink *cli_order_sink(struct cli_order *o, size_t index);
/* Block until file index is close enough to the head to be started. */
void cli_order_wait_turn(struct cli_order *o, size_t index);

/* Write to stdout now, ahead of every sink (headers and footers). */
void cli_order_stdout(struct cli_order *o, const char *s, size_t n);

/*
 * The next byte written to stdout, if it is a comma, is dropped. Lets
 * every file write each element of a JSON array (SARIF results) with a
 * leading comma without knowing whether an earlier file wrote one.
 */
void cli_order_strip_next_comma(struct cli_order *o);

/* Reserve room for at least n more bytes in the sink's stdout buffer;
 * write into out.data + out.len, then call cli_sink_commit(). */
void cli_sink_commit(struct cli_sink *s);
/* Push buffered stdout bytes through when the sink is the head. */
void cli_sink_flush(struct cli_sink *s);
/* One stderr message (a whole line). */
void cli_sink_err(struct cli_sink *s, const char *msg, size_t n);
/* The file is complete: write it and every completed file after it. */
void cli_sink_done(struct cli_sink *s);

#endif /* KVSTRAIL_CLI_ORDER_H */
