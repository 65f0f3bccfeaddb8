/*
 * kvst_bench: kvstrail's pipeline against the tokenizer and inflater it
 * stands on, timed in one process, contenders interleaved.
 *
 *   kvst_bench [--reps N] [--chunk BYTES] [--only NAME] [--no-rss] FILE
 *
 * Contenders (NAME for --only):
 *   yajl      bare yajl, no-op callbacks, over the plain JSON in memory
 *   inflate   zlib inflate then yajl no-op callbacks, one thread (.gz only)
 *   kvstrail  kvst_parser_feed/finish through the public API, plain or gz
 *             as given, counting events and findings
 *   kvstrail-1t  the same with KVST_FLAG_SINGLE_THREAD (.gz only): the
 *             one-thread path the second thread must never be slower than
 * Throughput is always over the plain JSON size, so the rows compare.
 *
 * Peak RSS: each contender runs once more in a fork()ed child forked
 * before the file is loaded, reading the file in chunks as a real
 * streaming consumer would, so neither the loaded file nor another
 * contender inflates its figure. The "baseline" row is a child that only
 * reads the file: the process's own floor.
 *
 * Under callgrind, use --only NAME --no-rss with
 * --toggle-collect=bench_run_NAME to count one contender's instructions.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* wait4(), for the child's rusage */

#include <kvstrail/kvstrail.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>
#include <zlib.h>

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

#define INFLATE_BUF (64u * 1024u)

/* zlib and isal: inflate alone, output dropped (the floor a gzip parse
 * can reach with each inflater; isal only when built with ISA-L). */
enum { C_YAJL, C_INFLATE, C_KVSTRAIL, C_KVSTRAIL_1T, C_ZLIB, C_ISAL, C_COUNT };
static const char *const contender_names[C_COUNT] = { "yajl", "inflate", "kvstrail",
                                                      "kvstrail-1t", "zlib", "isal" };
static const char *const contender_labels[C_COUNT] = {
    "yajl no-op callbacks", "inflate + yajl no-op", "kvstrail pipeline",
    "kvstrail, one thread", "zlib inflate alone", "ISA-L inflate alone"
};
/* The contenders that need gzip input. */
#define GZIP_ONLY(c) ((c) == C_INFLATE || (c) == C_KVSTRAIL_1T || (c) == C_ZLIB || (c) == C_ISAL)

typedef struct bench_cfg {
    int reps;
    size_t chunk;
    int only;     /* -1: all applicable contenders */
    int rss;
    const char *path;
} bench_cfg;

/* What a run found; compared across contenders as a sanity check. */
typedef struct run_result {
    int status;        /* 0, or an error (message printed) */
    uint64_t records;  /* kvstrail: events delivered */
    uint64_t findings;
} run_result;

static void die(const char *what)
{
    fprintf(stderr, "kvst_bench: %s: %s\n", what, strerror(errno));
    exit(2);
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int is_gzip(const unsigned char *p, size_t n)
{
    return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

/* ---- bare yajl ---- */

static int nop_null(void *c) { (void)c; return 1; }
static int nop_bool(void *c, int b) { (void)c; (void)b; return 1; }
static int nop_number(void *c, const char *s, size_t l) { (void)c; (void)s; (void)l; return 1; }
static int nop_string(void *c, const unsigned char *s, size_t l) { (void)c; (void)s; (void)l; return 1; }
static int nop_start(void *c) { (void)c; return 1; }
static int nop_end(void *c) { (void)c; return 1; }

/* Every callback set, numbers as raw text (what a consumer that keeps
 * number text, as kvstrail does, asks yajl for): yajl lexes, validates
 * UTF-8 and unescapes strings, and nothing else happens. */
static const yajl_callbacks nop_callbacks = {
    nop_null, nop_bool, NULL, NULL, nop_number, nop_string,
    nop_start, nop_string, nop_end, nop_start, nop_end
};

static yajl_handle yajl_nop_new(void)
{
    yajl_handle h = yajl_alloc(&nop_callbacks, NULL, NULL);
    if (!h) {
        fprintf(stderr, "kvst_bench: yajl_alloc failed\n");
        exit(2);
    }
    /* JSON Lines inputs are several top-level values. */
    yajl_config(h, yajl_allow_multiple_values, 1);
    return h;
}

static int yajl_report(yajl_handle h, yajl_status st, const unsigned char *buf, size_t len)
{
    if (st == yajl_status_ok)
        return 0;
    {
        unsigned char *e = yajl_get_error(h, 1, buf, len);
        fprintf(stderr, "kvst_bench: yajl: %s", e ? (const char *)e : "error\n");
        yajl_free_error(h, e);
    }
    return -1;
}

NOINLINE static void bench_run_yajl(const unsigned char *json, size_t len, size_t chunk,
                                    run_result *r)
{
    yajl_handle h = yajl_nop_new();
    size_t pos = 0;
    r->status = 0;
    while (pos < len && r->status == 0) {
        size_t n = len - pos < chunk ? len - pos : chunk;
        r->status = yajl_report(h, yajl_parse(h, json + pos, n), json + pos, n);
        pos += n;
    }
    if (r->status == 0)
        r->status = yajl_report(h, yajl_complete_parse(h), NULL, 0);
    yajl_free(h);
}

/* ---- inflate then yajl, one thread ---- */

typedef struct inflater {
    z_stream zs;
    int inited;
    int in_member;
    unsigned char out[INFLATE_BUF];
} inflater;

static void inflater_init(inflater *z)
{
    memset(&z->zs, 0, sizeof z->zs);
    if (inflateInit2(&z->zs, 16 + MAX_WBITS) != Z_OK) {
        fprintf(stderr, "kvst_bench: inflateInit2 failed\n");
        exit(2);
    }
    z->inited = 1;
    z->in_member = 0;
}

/* Inflate one chunk, multi-member aware, handing each 64 KiB of output to
 * fn. Returns 0 or -1 (message printed). */
static int inflater_feed(inflater *z, const unsigned char *buf, size_t len,
                         int (*fn)(void *, const unsigned char *, size_t), void *ctx)
{
    z->zs.next_in = (Bytef *)buf;
    z->zs.avail_in = (uInt)len;
    while (z->zs.avail_in > 0) {
        int zr;
        if (!z->in_member) {
            if (inflateReset(&z->zs) != Z_OK)
                return -1;
            z->in_member = 1;
        }
        z->zs.next_out = z->out;
        z->zs.avail_out = INFLATE_BUF;
        zr = inflate(&z->zs, Z_NO_FLUSH);
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
            fprintf(stderr, "kvst_bench: inflate: %s\n", z->zs.msg ? z->zs.msg : "error");
            return -1;
        }
        if (INFLATE_BUF - z->zs.avail_out > 0 &&
            fn(ctx, z->out, INFLATE_BUF - z->zs.avail_out) != 0)
            return -1;
        if (zr == Z_STREAM_END)
            z->in_member = 0;
        else if (zr == Z_BUF_ERROR)
            break;
    }
    return 0;
}

static void inflater_end(inflater *z)
{
    if (z->inited)
        inflateEnd(&z->zs);
    z->inited = 0;
}

static int to_nothing(void *ctx, const unsigned char *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return 0;
}

NOINLINE static void bench_run_zlib(const unsigned char *gz, size_t len, size_t chunk,
                                    run_result *r);
NOINLINE static void bench_run_isal(const unsigned char *gz, size_t len, size_t chunk,
                                    run_result *r);

static int to_yajl(void *ctx, const unsigned char *buf, size_t len)
{
    yajl_handle h = (yajl_handle)ctx;
    return yajl_report(h, yajl_parse(h, buf, len), buf, len);
}

NOINLINE static void bench_run_inflate(const unsigned char *gz, size_t len, size_t chunk,
                                       run_result *r)
{
    static inflater z; /* 64 KiB: off the stack */
    yajl_handle h = yajl_nop_new();
    size_t pos = 0;

    inflater_init(&z);
    r->status = 0;
    while (pos < len && r->status == 0) {
        size_t n = len - pos < chunk ? len - pos : chunk;
        r->status = inflater_feed(&z, gz + pos, n, to_yajl, h);
        pos += n;
    }
    if (r->status == 0 && z.in_member) {
        fprintf(stderr, "kvst_bench: gzip input ends inside a member\n");
        r->status = -1;
    }
    if (r->status == 0)
        r->status = yajl_report(h, yajl_complete_parse(h), NULL, 0);
    inflater_end(&z);
    yajl_free(h);
}

NOINLINE static void bench_run_zlib(const unsigned char *gz, size_t len, size_t chunk,
                                    run_result *r)
{
    static inflater z;
    size_t pos = 0;

    inflater_init(&z);
    r->status = 0;
    while (pos < len && r->status == 0) {
        size_t n = len - pos < chunk ? len - pos : chunk;
        r->status = inflater_feed(&z, gz + pos, n, to_nothing, NULL);
        pos += n;
    }
    inflater_end(&z);
}

#if defined(KVST_BENCH_ISAL)
#include <isa-l/igzip_lib.h>
NOINLINE static void bench_run_isal(const unsigned char *gz, size_t len, size_t chunk,
                                    run_result *r)
{
    static struct inflate_state st;
    static unsigned char out[INFLATE_BUF];
    size_t pos = 0;

    isal_inflate_init(&st);
    st.crc_flag = ISAL_GZIP;
    r->status = 0;
    while (pos < len && r->status == 0) {
        size_t n = len - pos < chunk ? len - pos : chunk;
        st.next_in = (uint8_t *)(uintptr_t)(gz + pos);
        st.avail_in = (uint32_t)n;
        pos += n;
        do {
            if (st.block_state == ISAL_BLOCK_FINISH) { /* the next member */
                uint8_t *next = st.next_in;
                uint32_t avail = st.avail_in;
                isal_inflate_init(&st);
                st.crc_flag = ISAL_GZIP;
                st.next_in = next;
                st.avail_in = avail;
            }
            st.next_out = out;
            st.avail_out = sizeof out;
            if (isal_inflate(&st) != ISAL_DECOMP_OK) {
                fprintf(stderr, "kvst_bench: isal_inflate failed\n");
                r->status = -1;
            }
        } while (r->status == 0 && (st.avail_in > 0 || st.avail_out == 0));
    }
}
#else
NOINLINE static void bench_run_isal(const unsigned char *gz, size_t len, size_t chunk,
                                    run_result *r)
{
    (void)gz;
    (void)len;
    (void)chunk;
    r->status = -1;
}
#endif

/* ---- kvstrail through the public API ---- */

static int count_event(const kvst_event *ev, void *payload)
{
    run_result *r = (run_result *)payload;
    r->records++;
    r->findings += ev->finding_count;
    return 0;
}

/* KVST_BENCH_FLAGS: parser flags for the kvstrail contenders. */
static uint32_t bench_flags(void)
{
    const char *f = getenv("KVST_BENCH_FLAGS");
    return (uint32_t)strtoul(f ? f : "0", NULL, 0);
}

/* extra: flags added to KVST_BENCH_FLAGS (KVST_FLAG_SINGLE_THREAD for
 * the one-thread contender). */
static kvst_parser *kvstrail_new(run_result *r, uint32_t extra)
{
    kvst_parser_options opts = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    int rc;
    opts.on_event = count_event;
    opts.payload = r;
    opts.flags = bench_flags(); /* e.g. 0x10: one thread */
    opts.flags |= extra;
    rc = kvst_parser_new(&opts, &p);
    if (rc != 0) {
        fprintf(stderr, "kvst_bench: kvst_parser_new: %s\n", kvst_strerror(rc));
        return NULL;
    }
    return p;
}

static int kvstrail_report(kvst_parser *p, int rc)
{
    if (rc != 0) {
        const kvst_error *e = kvst_parser_error(p);
        fprintf(stderr, "kvst_bench: kvstrail: %s (%s) at line %llu column %llu: %s\n",
                kvst_status_name(rc), kvst_strerror(rc),
                (unsigned long long)e->line, (unsigned long long)e->column,
                e->message.ptr ? e->message.ptr : "");
    }
    return rc;
}

static void run_kvstrail(const unsigned char *in, size_t len, size_t chunk, uint32_t extra,
                        run_result *r)
{
    kvst_parser *p;
    size_t pos = 0;

    r->records = r->findings = 0;
    p = kvstrail_new(r, extra);
    if (!p) {
        r->status = -1;
        return;
    }
    r->status = 0;
    while (pos < len && r->status == 0) {
        size_t n = len - pos < chunk ? len - pos : chunk;
        r->status = kvstrail_report(p, kvst_parser_feed(p, in + pos, n));
        pos += n;
    }
    if (r->status == 0)
        r->status = kvstrail_report(p, kvst_parser_finish(p));
    kvst_parser_free(p);
}

NOINLINE static void bench_run_kvstrail(const unsigned char *in, size_t len, size_t chunk,
                                        run_result *r)
{
    run_kvstrail(in, len, chunk, 0, r);
}

/* The .gz path on the caller's thread only: what the second thread is
 * measured against ("never slower than the single-threaded path"). */
NOINLINE static void bench_run_kvstrail_1t(const unsigned char *in, size_t len, size_t chunk,
                                           run_result *r)
{
    run_kvstrail(in, len, chunk, KVST_FLAG_SINGLE_THREAD, r);
}

/* ---- loading, record count ---- */

static unsigned char *load_file(const char *path, size_t *len)
{
    struct stat st;
    unsigned char *buf;
    size_t got = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0)
        die(path);
    buf = (unsigned char *)malloc((size_t)st.st_size + 1);
    if (!buf)
        die("out of memory loading the file");
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0)
            die(path);
        got += (size_t)n;
    }
    close(fd);
    *len = got;
    return buf;
}

typedef struct grow {
    unsigned char *p;
    size_t n, cap;
} grow;

static int grow_append(void *ctx, const unsigned char *buf, size_t len)
{
    grow *g = (grow *)ctx;
    if (g->n + len > g->cap) {
        size_t cap = g->cap ? g->cap : (1u << 20);
        while (cap < g->n + len)
            cap *= 2;
        g->p = (unsigned char *)realloc(g->p, cap);
        if (!g->p)
            die("out of memory inflating the file");
        g->cap = cap;
    }
    memcpy(g->p + g->n, buf, len);
    g->n += len;
    return 0;
}

static unsigned char *inflate_all(const unsigned char *gz, size_t len, size_t *out_len)
{
    static inflater z;
    grow g = { NULL, 0, 0 };
    inflater_init(&z);
    if (inflater_feed(&z, gz, len, grow_append, &g) != 0 || z.in_member) {
        fprintf(stderr, "kvst_bench: the gzip input is corrupt or truncated\n");
        exit(2);
    }
    inflater_end(&z);
    *out_len = g.n;
    return g.p;
}

/*
 * Records, counted once with yajl for records/s: the objects in a
 * top-level "Records" array, else the elements of a top-level array, else
 * the top-level objects (JSON Lines).
 */
typedef struct counter {
    int depth;
    int records_key;   /* the last depth-1 key was "Records" */
    int top_is_array;
    uint64_t in_records, in_array, top_objects;
} counter;

static int cnt_scalar(counter *c)
{
    if (c->depth == 0)
        c->top_is_array = 0;
    return 1;
}
static int cnt_null(void *ctx) { return cnt_scalar((counter *)ctx); }
static int cnt_bool(void *ctx, int b) { (void)b; return cnt_scalar((counter *)ctx); }
static int cnt_number(void *ctx, const char *s, size_t l) { (void)s; (void)l; return cnt_scalar((counter *)ctx); }
static int cnt_string(void *ctx, const unsigned char *s, size_t l) { (void)s; (void)l; return cnt_scalar((counter *)ctx); }
static int cnt_key(void *ctx, const unsigned char *s, size_t l)
{
    counter *c = (counter *)ctx;
    if (c->depth == 1)
        c->records_key = l == 7 && memcmp(s, "Records", 7) == 0;
    return 1;
}
static int cnt_start_map(void *ctx)
{
    counter *c = (counter *)ctx;
    if (c->depth == 0)
        c->top_objects++;
    else if (c->depth == 1 && c->top_is_array)
        c->in_array++;
    else if (c->depth == 2 && c->records_key && !c->top_is_array)
        c->in_records++;
    if (c->depth == 0)
        c->top_is_array = 0;
    c->depth++;
    return 1;
}
static int cnt_start_array(void *ctx)
{
    counter *c = (counter *)ctx;
    if (c->depth == 0)
        c->top_is_array = 1;
    c->depth++;
    return 1;
}
static int cnt_end(void *ctx)
{
    ((counter *)ctx)->depth--;
    return 1;
}

static uint64_t count_records(const unsigned char *json, size_t len)
{
    static const yajl_callbacks cb = {
        cnt_null, cnt_bool, NULL, NULL, cnt_number, cnt_string,
        cnt_start_map, cnt_key, cnt_end, cnt_start_array, cnt_end
    };
    counter c;
    yajl_handle h;
    memset(&c, 0, sizeof c);
    h = yajl_alloc(&cb, NULL, &c);
    if (!h)
        die("yajl_alloc");
    yajl_config(h, yajl_allow_multiple_values, 1);
    if (yajl_report(h, yajl_parse(h, json, len), json, len) != 0 ||
        yajl_report(h, yajl_complete_parse(h), NULL, 0) != 0) {
        fprintf(stderr, "kvst_bench: the input is not valid JSON\n");
        exit(2);
    }
    yajl_free(h);
    if (c.in_records)
        return c.in_records;
    if (c.in_array)
        return c.in_array;
    return c.top_objects;
}

/* ---- peak RSS in a child that streams the file ---- */

/* Read the file in chunks and hand each to the contender's streaming
 * form; returns 0 or -1. */
static int stream_file(int which, const char *path, size_t chunk)
{
    unsigned char *buf = (unsigned char *)malloc(chunk);
    yajl_handle h = NULL;
    static inflater z;
    kvst_parser *p = NULL;
    run_result r;
    int fd = open(path, O_RDONLY), rc = 0;
    ssize_t n;

    if (fd < 0 || !buf)
        return -1;
    memset(&r, 0, sizeof r);
    if (which == C_YAJL || which == C_INFLATE)
        h = yajl_nop_new();
    if (which == C_INFLATE)
        inflater_init(&z);
    if ((which == C_KVSTRAIL || which == C_KVSTRAIL_1T) &&
        !(p = kvstrail_new(&r, which == C_KVSTRAIL_1T ? KVST_FLAG_SINGLE_THREAD : 0)))
        rc = -1;
    while (rc == 0 && (n = read(fd, buf, chunk)) > 0) {
        if (which == C_YAJL)
            rc = to_yajl(h, buf, (size_t)n);
        else if (which == C_INFLATE)
            rc = inflater_feed(&z, buf, (size_t)n, to_yajl, h);
        else if (p)
            rc = kvstrail_report(p, kvst_parser_feed(p, buf, (size_t)n));
    }
    if (rc == 0 && h)
        rc = yajl_report(h, yajl_complete_parse(h), NULL, 0);
    if (rc == 0 && p)
        rc = kvstrail_report(p, kvst_parser_finish(p));
    if (h)
        yajl_free(h);
    if (which == C_INFLATE)
        inflater_end(&z);
    kvst_parser_free(p);
    close(fd);
    free(buf);
    return rc == 0 ? 0 : -1;
}

/* Peak RSS in KiB of a child running contender which (C_COUNT: only
 * reading the file), or -1 when it failed. */
static long child_peak_rss(int which, const char *path, size_t chunk)
{
    int st;
    pid_t pid;
    struct rusage ru;

    fflush(NULL);
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0)
        _exit(stream_file(which, path, chunk) == 0 ? 0 : 1);
    if (wait4(pid, &st, 0, &ru) < 0)
        die("wait4");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return ru.ru_maxrss; /* KiB on Linux */
}

/* ---- statistics and output ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: kvst_bench [--reps N] [--chunk BYTES]\n"
            "                  [--only yajl|inflate|kvstrail|kvstrail-1t|zlib|isal]\n"
            "                  [--no-rss] FILE\n");
    exit(2);
}

static void parse_args(int argc, char **argv, bench_cfg *cfg)
{
    int i, c;
    cfg->reps = 5;
    cfg->chunk = 64u * 1024u;
    cfg->only = -1;
    cfg->rss = 1;
    cfg->path = NULL;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            cfg->reps = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--chunk") == 0 && i + 1 < argc) {
            cfg->chunk = (size_t)strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            ++i;
            for (c = 0; c < C_COUNT; c++)
                if (strcmp(argv[i], contender_names[c]) == 0)
                    cfg->only = c;
            if (cfg->only < 0)
                usage();
        } else if (strcmp(argv[i], "--no-rss") == 0) {
            cfg->rss = 0;
        } else if (argv[i][0] == '-' || cfg->path) {
            usage();
        } else {
            cfg->path = argv[i];
        }
    }
    if (!cfg->path || cfg->reps < 1 || cfg->chunk < 1)
        usage();
}

int main(int argc, char **argv)
{
    bench_cfg cfg;
    unsigned char *raw, *json;
    size_t raw_len, json_len;
    int gz, c, rep, k, active[C_COUNT], failed = 0;
    long rss[C_COUNT + 1];
    double *times[C_COUNT], med[C_COUNT], best[C_COUNT];
    uint64_t records;
    run_result res[C_COUNT];

    parse_args(argc, argv, &cfg);

    {
        /* Sniff without loading: the RSS children run before the load. */
        unsigned char head[2] = { 0, 0 };
        int fd = open(cfg.path, O_RDONLY);
        if (fd < 0)
            die(cfg.path);
        gz = read(fd, head, 2) == 2 && is_gzip(head, 2);
        close(fd);
    }
    for (c = 0; c < C_COUNT; c++)
        active[c] = (cfg.only < 0 || cfg.only == c) && (!GZIP_ONLY(c) || gz);
#if !defined(KVST_BENCH_ISAL)
    active[C_ISAL] = 0;
#endif
    if (cfg.only >= 0 && GZIP_ONLY(cfg.only) && !gz) {
        fprintf(stderr, "kvst_bench: --only %s needs a gzip input\n", contender_names[cfg.only]);
        return 2;
    }

    for (c = 0; c <= C_COUNT; c++)
        rss[c] = -2; /* not measured */
    if (cfg.rss) {
        rss[C_COUNT] = child_peak_rss(C_COUNT, cfg.path, cfg.chunk);
        for (c = 0; c < C_COUNT; c++)
            /* bare yajl streams only a plain file; on .gz that is "inflate" */
            if (active[c] && !(c == C_YAJL && gz) && c != C_ZLIB && c != C_ISAL)
                rss[c] = child_peak_rss(c, cfg.path, cfg.chunk);
    }

    raw = load_file(cfg.path, &raw_len);
    json = gz ? inflate_all(raw, raw_len, &json_len) : raw;
    if (!gz)
        json_len = raw_len;
    records = cfg.only < 0 ? count_records(json, json_len) : 0;

    printf("kvst_bench: %s: %s, %.1f MB%s%.1f MB JSON, %llu records (0: not counted with --only); chunk %zu, %d reps\n",
           cfg.path, gz ? "gzip" : "plain", raw_len / 1e6, gz ? " compressed, " : ", ",
           json_len / 1e6, (unsigned long long)records, cfg.chunk, cfg.reps);

    for (c = 0; c < C_COUNT; c++) {
        times[c] = (double *)calloc((size_t)cfg.reps, sizeof(double));
        if (!times[c])
            die("calloc");
        memset(&res[c], 0, sizeof res[c]);
    }
    /* Interleave, and rotate the order each rep so that no contender
     * always runs first (cold caches) or right after another. */
    for (rep = 0; rep < cfg.reps; rep++)
        for (k = 0; k < C_COUNT; k++) {
            double t0, t1;
            c = (k + rep) % C_COUNT;
            if (!active[c] || res[c].status != 0)
                continue;
            t0 = now_sec();
            if (c == C_YAJL)
                bench_run_yajl(json, json_len, cfg.chunk, &res[c]);
            else if (c == C_INFLATE)
                bench_run_inflate(raw, raw_len, cfg.chunk, &res[c]);
            else if (c == C_KVSTRAIL_1T)
                bench_run_kvstrail_1t(raw, raw_len, cfg.chunk, &res[c]);
            else if (c == C_ZLIB)
                bench_run_zlib(raw, raw_len, cfg.chunk, &res[c]);
            else if (c == C_ISAL)
                bench_run_isal(raw, raw_len, cfg.chunk, &res[c]);
            else
                bench_run_kvstrail(raw, raw_len, cfg.chunk, &res[c]);
            t1 = now_sec();
            times[c][rep] = t1 - t0;
        }

    printf("%-22s %10s %10s %12s %10s %10s\n", "contender", "MB/s med", "MB/s best",
           "records/s", "s median", "RSS KiB");
    for (c = 0; c < C_COUNT; c++) {
        double *t = times[c];
        char rss_txt[32], rate_txt[32];
        if (!active[c])
            continue;
        if (res[c].status != 0) {
            printf("%-22s failed (see above)\n", contender_labels[c]);
            failed = 1;
            continue;
        }
        best[c] = t[0];
        for (rep = 1; rep < cfg.reps; rep++)
            if (t[rep] < best[c])
                best[c] = t[rep];
        med[c] = median(t, cfg.reps);
        if (rss[c] >= 0)
            snprintf(rss_txt, sizeof rss_txt, "%ld", rss[c]);
        else
            snprintf(rss_txt, sizeof rss_txt, "%s", rss[c] == -1 ? "failed" : "-");
        /* --only skips the counting pass: no records/s then. */
        if (records > 0)
            snprintf(rate_txt, sizeof rate_txt, "%.0f", records / med[c]);
        else
            snprintf(rate_txt, sizeof rate_txt, "-");
        printf("%-22s %10.1f %10.1f %12s %10.4f %10s\n", contender_labels[c],
               json_len / med[c] / 1e6, json_len / best[c] / 1e6,
               rate_txt, med[c], rss_txt);
    }
    if (rss[C_COUNT] >= 0)
        printf("%-22s %10s %10s %12s %10s %10ld\n", "baseline (read only)", "", "", "", "",
               rss[C_COUNT]);
    if (active[C_KVSTRAIL] && res[C_KVSTRAIL].status == 0) {
        printf("kvstrail: %llu events, %llu findings\n",
               (unsigned long long)res[C_KVSTRAIL].records,
               (unsigned long long)res[C_KVSTRAIL].findings);
        /* Timings of a pipeline that drops records compare nothing
         * (--kvs-only in KVST_BENCH_FLAGS drops the others by design). */
        if (cfg.only < 0 && res[C_KVSTRAIL].records != records && !(bench_flags() & KVST_FLAG_KVS_ONLY)) {
            printf("error: kvstrail delivered %llu events, the file has %llu records\n",
                   (unsigned long long)res[C_KVSTRAIL].records, (unsigned long long)records);
            failed = 1;
        }
        /* Ratios of throughputs = inverse ratios of times. */
        if (active[C_YAJL] && res[C_YAJL].status == 0)
            printf("ratio kvstrail/yajl%s: %.3f median, %.3f best\n", gz ? " (kvstrail inflating)" : "",
                   med[C_YAJL] / med[C_KVSTRAIL], best[C_YAJL] / best[C_KVSTRAIL]);
        if (active[C_INFLATE] && res[C_INFLATE].status == 0)
            printf("ratio kvstrail/inflate+yajl: %.3f median, %.3f best\n",
                   med[C_INFLATE] / med[C_KVSTRAIL], best[C_INFLATE] / best[C_KVSTRAIL]);
    }
    if (active[C_KVSTRAIL_1T] && res[C_KVSTRAIL_1T].status == 0) {
        if (cfg.only < 0 && res[C_KVSTRAIL_1T].records != records && !(bench_flags() & KVST_FLAG_KVS_ONLY)) {
            printf("error: kvstrail on one thread delivered %llu events, the file has %llu records\n",
                   (unsigned long long)res[C_KVSTRAIL_1T].records, (unsigned long long)records);
            failed = 1;
        }
        if (active[C_INFLATE] && res[C_INFLATE].status == 0)
            printf("ratio kvstrail one thread/inflate+yajl: %.3f median, %.3f best\n",
                   med[C_INFLATE] / med[C_KVSTRAIL_1T], best[C_INFLATE] / best[C_KVSTRAIL_1T]);
        if (active[C_KVSTRAIL] && res[C_KVSTRAIL].status == 0)
            printf("ratio two threads/one thread: %.3f median, %.3f best\n",
                   med[C_KVSTRAIL_1T] / med[C_KVSTRAIL], best[C_KVSTRAIL_1T] / best[C_KVSTRAIL]);
    }
    /* The gzip parse against inflating alone, with each inflater. */
    for (c = C_ZLIB; c <= C_ISAL; c++) {
        if (!active[c] || res[c].status != 0)
            continue;
        if (active[C_KVSTRAIL] && res[C_KVSTRAIL].status == 0)
            printf("ratio kvstrail/%s: %.3f median, %.3f best\n", contender_labels[c],
                   med[c] / med[C_KVSTRAIL], best[c] / best[C_KVSTRAIL]);
        if (active[C_KVSTRAIL_1T] && res[C_KVSTRAIL_1T].status == 0)
            printf("ratio kvstrail one thread/%s: %.3f median, %.3f best\n", contender_labels[c],
                   med[c] / med[C_KVSTRAIL_1T], best[c] / best[C_KVSTRAIL_1T]);
    }
    if (active[C_ZLIB] && active[C_ISAL] && res[C_ZLIB].status == 0 && res[C_ISAL].status == 0)
        printf("ratio ISA-L/zlib inflate alone: %.3f median, %.3f best\n",
               med[C_ZLIB] / med[C_ISAL], best[C_ZLIB] / best[C_ISAL]);
    for (c = 0; c < C_COUNT; c++)
        free(times[c]);
    if (json != raw)
        free(json);
    free(raw);
    return failed ? 1 : 0;
}
