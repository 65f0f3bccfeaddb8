/* kvstrail CLI: the progress bar on stderr. */
#include "cli_progress.h"

#include "cli_buf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define REDRAW_NS 100000000L /* 10 redraws a second at most */

int cli_write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) +
           (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static size_t terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/* Called with the lock held. */
static void draw(struct cli_progress *p)
{
    struct cli_buf line = CLI_BUF_INIT, tail = CLI_BUF_INIT;
    double elapsed = seconds_since(&p->start);
    double mb = (double)p->bytes_done / 1e6;
    double rate = elapsed > 0 ? mb / elapsed : 0;
    size_t width = terminal_width();

    cli_buf_printf(&tail, " %.1f", mb);
    if (p->total_known)
        cli_buf_printf(&tail, "/%.1f", (double)p->bytes_total / 1e6);
    /* Both figures, named: the bar and the rate follow the bytes read. */
    cli_buf_printf(&tail, " MB read (%.1f MB json)  %zu/%zu files  %llu records"
                          "  %.1f MB/s read",
                   (double)p->json_done / 1e6, p->files_done, p->files_total,
                   (unsigned long long)p->records, rate);
    if (p->total_known && rate > 0 && p->bytes_done <= p->bytes_total) {
        double left = ((double)(p->bytes_total - p->bytes_done) / 1e6) / rate;
        unsigned long s = (unsigned long)(left + 0.5);
        cli_buf_printf(&tail, "  ETA %lu:%02lu", s / 60, s % 60);
    }

    cli_buf_adds(&line, "\r");
    if (p->total_known && p->bytes_total > 0) {
        double frac = (double)p->bytes_done / (double)p->bytes_total;
        size_t room = width > tail.len + 12 ? width - tail.len - 12 : 0;
        size_t bar = room > 30 ? 30 : room, fill, i;
        if (frac > 1)
            frac = 1;
        fill = (size_t)(frac * (double)bar);
        if (bar >= 10) {
            cli_buf_addc(&line, '[');
            for (i = 0; i < bar; i++)
                cli_buf_addc(&line, i < fill ? '#' : '.');
            cli_buf_addc(&line, ']');
        }
        cli_buf_printf(&line, " %3d%%", (int)(frac * 100));
    }
    /* Never wider than the terminal: a wrapped bar cannot be erased by \r. */
    if (line.len - 1 + tail.len >= width)
        tail.len = width > line.len ? width - line.len : 0;
    cli_buf_add(&line, tail.data ? tail.data : "", tail.len);
    cli_buf_adds(&line, "\033[K");
    cli_write_all(STDERR_FILENO, line.data, line.len);
    p->shown = 1;
    cli_buf_free(&line);
    cli_buf_free(&tail);
}

static void erase(struct cli_progress *p)
{
    if (p->shown) {
        cli_write_all(STDERR_FILENO, "\r\033[K", 4);
        p->shown = 0;
    }
}

static void *redraw_loop(void *arg)
{
    struct cli_progress *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += REDRAW_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->wake, &p->lock, &until);
        if (!p->stop)
            draw(p);
    }
    erase(p);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

void cli_progress_start(struct cli_progress *p, int enabled,
                        uint64_t bytes_total, int total_known,
                        size_t files_total)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->bytes_total = bytes_total;
    p->total_known = total_known;
    p->files_total = files_total;
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    /* Without a thread the bar is simply off: parsing matters more. */
    p->enabled = enabled && pthread_create(&p->thread, NULL, redraw_loop, p) == 0;
}

void cli_progress_add(struct cli_progress *p, uint64_t bytes, uint64_t json,
                      uint64_t records)
{
    if (!p->enabled)
        return;
    pthread_mutex_lock(&p->lock);
    p->bytes_done += bytes;
    p->json_done += json;
    p->records += records;
    pthread_mutex_unlock(&p->lock);
}

void cli_progress_file_done(struct cli_progress *p)
{
    if (!p->enabled)
        return;
    pthread_mutex_lock(&p->lock);
    p->files_done++;
    pthread_mutex_unlock(&p->lock);
}

void cli_progress_stderr(struct cli_progress *p, const char *s, size_t n)
{
    pthread_mutex_lock(&p->lock);
    erase(p);
    cli_write_all(STDERR_FILENO, s, n);
    pthread_mutex_unlock(&p->lock);
}

void cli_progress_stop(struct cli_progress *p)
{
    if (p->enabled) {
        pthread_mutex_lock(&p->lock);
        p->stop = 1;
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->thread, NULL);
        p->enabled = 0;
    }
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
}
