/*
 * kvstrail CLI: the progress bar on stderr, and the one door to stderr
 * (a message first erases the bar so the two never mix on a line).
 */
#ifndef KVSTRAIL_CLI_PROGRESS_H
#define KVSTRAIL_CLI_PROGRESS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cli_progress {
    int enabled;
    pthread_mutex_t lock;  /* guards everything below and stderr */
    pthread_cond_t wake;
    pthread_t thread;
    int stop;
    int shown;             /* the bar is on the screen */
    uint64_t bytes_done;   /* as read: compressed for gzip */
    uint64_t json_done;    /* JSON parsed: inflated for gzip */
    uint64_t bytes_total;  /* sum of the regular files' sizes */
    int total_known;       /* 0 when some input is a pipe */
    uint64_t records;
    size_t files_done;
    size_t files_total;
    struct timespec start;
};

/* Start redrawing (at most 10 times a second) when enabled; otherwise
 * only stderr_write() does anything. */
void cli_progress_start(struct cli_progress *p, int enabled,
                        uint64_t bytes_total, int total_known,
                        size_t files_total);
/* Count bytes read, JSON bytes parsed and records; thread-safe. */
void cli_progress_add(struct cli_progress *p, uint64_t bytes, uint64_t json,
                      uint64_t records);
void cli_progress_file_done(struct cli_progress *p);
/* Write a message to stderr, erasing the bar first; thread-safe. */
void cli_progress_stderr(struct cli_progress *p, const char *s, size_t n);
/* Stop the redraw thread and erase the bar. */
void cli_progress_stop(struct cli_progress *p);

/* write(2) all of it, retrying on EINTR; -1 on error. */
int cli_write_all(int fd, const char *s, size_t n);

#endif /* KVSTRAIL_CLI_PROGRESS_H */
