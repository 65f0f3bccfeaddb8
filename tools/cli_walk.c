/* kvstrail CLI: directory walk and CloudTrail's S3 key layout. */
#include "cli_walk.h"

#include "cli_buf.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

long long cli_days_from_civil(int year, int month, int day)
{
    /* The era-based count of H. Hinnant's "chrono-compatible low-level
     * date algorithms": no table, exact for every year. */
    long long y = (long long)year - (month <= 2);
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long mp = (month + 9) % 12;
    long long doy = (153 * mp + 2) / 5 + day - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31 };
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* n decimal digits at s, or -1. */
static int digits(const char *s, size_t n)
{
    int v = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* One path component [s, s + n) copied into dst (size cap) when it is
 * 1..cap-1 bytes of the allowed set. */
static int take(char *dst, size_t cap, const char *s, size_t n,
                const char *allowed)
{
    size_t i;
    if (n == 0 || n >= cap)
        return 0;
    for (i = 0; i < n; i++)
        if (s[i] == '\0' || strchr(allowed, s[i]) == NULL)
            return 0;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 1;
}

#define LOWER_ALNUM "abcdefghijklmnopqrstuvwxyz0123456789"

/* The first _YYYYMMDDTHHMM[SS]Z_ or _..Z. in a file name, as epoch
 * seconds; -1 when there is none or it is not a real time. */
static long long name_time(const char *name)
{
    const char *p;
    for (p = strchr(name, '_'); p != NULL; p = strchr(p + 1, '_')) {
        const char *t = p + 1;
        int y = digits(t, 4), mo = digits(t + 4, 2), d = digits(t + 6, 2);
        int h, mi, s = 0;
        size_t len = 13;
        if (y < 0 || mo < 1 || mo > 12 || d < 1 || t[8] != 'T')
            continue;
        h = digits(t + 9, 2);
        mi = digits(t + 11, 2);
        if (h < 0 || mi < 0)
            continue;
        if (t[13] != 'Z') {
            s = digits(t + 13, 2);
            len = 15;
            if (s < 0 || t[15] != 'Z')
                continue;
        }
        if (d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 ||
            (t[len + 1] != '_' && t[len + 1] != '.'))
            continue;
        return cli_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    }
    return -1;
}

static int not_layout(struct cli_s3_key *out)
{
    memset(out, 0, sizeof *out);
    out->file_time = -1;
    return -1;
}

int cli_s3_key_parse(const char *path, struct cli_s3_key *out)
{
    const char *comp[8], *p, *base = NULL;
    size_t len[8];
    int n = 0, first = 0;

    not_layout(out);
    /* The last "AWSLogs/" that starts a component. */
    for (p = strstr(path, "AWSLogs/"); p != NULL; p = strstr(p + 1, "AWSLogs/"))
        if (p == path || p[-1] == '/')
            base = p + 8;
    if (base == NULL)
        return not_layout(out);
    /* Split what follows into at most 8 components. */
    for (p = base; *p != '\0'; n++) {
        const char *slash = strchr(p, '/');
        if (n == 8)
            return not_layout(out);
        comp[n] = p;
        len[n] = slash != NULL ? (size_t)(slash - p) : strlen(p);
        p += len[n];
        if (slash != NULL)
            p++;
    }
    if (n >= 1 && len[0] > 2 && memcmp(comp[0], "o-", 2) == 0) {
        if (!take(out->org_id, sizeof out->org_id, comp[0], len[0],
                  "o-" LOWER_ALNUM) ||
            len[0] < 12)
            return not_layout(out);
        first = 1;
    }
    if (n - first != 7 || len[first] != 12 ||
        !take(out->account, sizeof out->account, comp[first], 12, "0123456789"))
        return not_layout(out);
    if (len[first + 1] == 10 && memcmp(comp[first + 1], "CloudTrail", 10) == 0)
        out->is_digest = 0;
    else if (len[first + 1] == 17 &&
             memcmp(comp[first + 1], "CloudTrail-Digest", 17) == 0)
        out->is_digest = 1;
    else
        return not_layout(out);
    if (!take(out->region, sizeof out->region, comp[first + 2], len[first + 2],
              "-" LOWER_ALNUM))
        return not_layout(out);
    out->year = len[first + 3] == 4 ? digits(comp[first + 3], 4) : -1;
    out->month = len[first + 4] == 2 ? digits(comp[first + 4], 2) : -1;
    out->day = len[first + 5] == 2 ? digits(comp[first + 5], 2) : -1;
    if (out->year < 0 || out->month < 1 || out->month > 12 || out->day < 1 ||
        out->day > days_in_month(out->year, out->month) || len[first + 6] == 0)
        return not_layout(out);
    out->file_time = name_time(comp[first + 6]);
    out->valid = 1;
    return 0;
}

/* The walk: every file found is collected, then all are sorted at once,
 * because the byte order of full paths is not the order of a per-folder
 * sort ("a-b/x" sorts before "a/x", '-' being below '/'). */
struct found {
    char **paths;
    size_t count, cap;
};

/* The directories on the way down, to refuse a symbolic-link loop. */
struct ancestor {
    dev_t dev;
    ino_t ino;
    const struct ancestor *up;
};

static void found_add(struct found *f, const char *path)
{
    size_t n = strlen(path) + 1;
    if (f->count == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 64;
        f->paths = cli_xrealloc(f->paths, f->cap * sizeof *f->paths);
    }
    f->paths[f->count] = cli_xrealloc(NULL, n);
    memcpy(f->paths[f->count++], path, n);
}

static void walk_dir(const char *dir, const struct ancestor *up,
                     struct found *f,
                     void (*err_fn)(const char *path, int err, void *ctx),
                     void *ctx)
{
    struct cli_buf child = CLI_BUF_INIT;
    size_t dir_len = strlen(dir);
    struct dirent *de;
    DIR *d = opendir(dir);

    if (d == NULL) {
        if (err_fn != NULL)
            err_fn(dir, errno, ctx);
        return;
    }
    cli_buf_add(&child, dir, dir_len);
    if (dir_len == 0 || dir[dir_len - 1] != '/')
        cli_buf_addc(&child, '/');
    dir_len = child.len;
    for (;;) {
        struct stat st;
        errno = 0;
        de = readdir(d);
        if (de == NULL) {
            if (errno != 0 && err_fn != NULL)
                err_fn(dir, errno, ctx);
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        child.len = dir_len;
        cli_buf_adds(&child, de->d_name);
        if (stat(child.data, &st) != 0) {
            if (err_fn != NULL)
                err_fn(child.data, errno, ctx);
        } else if (S_ISDIR(st.st_mode)) {
            const struct ancestor *a;
            struct ancestor here;
            for (a = up; a != NULL; a = a->up)
                if (a->dev == st.st_dev && a->ino == st.st_ino)
                    break;
            if (a != NULL) {
                if (err_fn != NULL)
                    err_fn(child.data, ELOOP, ctx);
                continue;
            }
            here.dev = st.st_dev;
            here.ino = st.st_ino;
            here.up = up;
            walk_dir(child.data, &here, f, err_fn, ctx);
        } else if (S_ISREG(st.st_mode)) {
            found_add(f, child.data);
        }
    }
    closedir(d);
    cli_buf_free(&child);
}

static int by_bytes(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cli_walk(const char *path, int (*fn)(const char *file, void *ctx),
             void (*err_fn)(const char *path, int err, void *ctx), void *ctx)
{
    struct found f = { NULL, 0, 0 };
    struct ancestor top;
    struct stat st;
    size_t i;
    int rc = 0;

    if (strcmp(path, "-") == 0)
        return fn(path, ctx);
    if (stat(path, &st) != 0) {
        if (err_fn != NULL)
            err_fn(path, errno, ctx);
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return fn(path, ctx);
    top.dev = st.st_dev;
    top.ino = st.st_ino;
    top.up = NULL;
    walk_dir(path, &top, &f, err_fn, ctx);
    if (f.count > 1) /* qsort's base must not be NULL, even for 0 items */
        qsort(f.paths, f.count, sizeof *f.paths, by_bytes);
    for (i = 0; i < f.count; i++) {
        if (rc == 0)
            rc = fn(f.paths[i], ctx);
        free(f.paths[i]);
    }
    free(f.paths);
    return rc;
}
