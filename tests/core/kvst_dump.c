/*
 * kvst_dump: the core's test driver. Parses a file and prints a canonical
 * dump: one JSON line per event (kvst_event_to_json) then the final status
 * with its position, pointer, message and excerpt. Modes:
 *
 *   kvst_dump [opts] FILE            print the dump (goldens are these)
 *   kvst_dump --splits [opts] FILE   the dump must not change when the input
 *                                    is fed in chunks of every size 1..N and
 *                                    split at every single position
 *   kvst_dump --oom [opts] FILE      fail the k-th allocation for every k:
 *                                    KVST_E_NOMEM or the full dump, and no leak
 *
 * opts: --gzip (gzip the input in memory first), --pull (kvst_parser_next
 * instead of the callback), --kvs-only, --recover, --digests (digest files as
 * events), --no-fastlex (every byte to yajl), --chunk N, --max-splits N
 * (positions tried by --splits; default every one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kvstrail/kvstrail.h>

#include "textbuf.h"

static void sb_printf(textbuf *b, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof tmp - 1)
        n = (int)sizeof tmp - 1;
    textbuf_add(b, tmp, (size_t)n);
}

/* ---- allocation accounting and failure injection ------------------------ */

typedef struct counting {
    long allocs, frees, fail_at, calls;
    int failed;
} counting;

typedef struct hdr {
    size_t size;
    size_t pad;
} hdr;

static void *c_malloc(size_t size, void *ctx)
{
    counting *c = (counting *)ctx;
    hdr *h;
    if (++c->calls == c->fail_at) {
        c->failed = 1;
        return NULL;
    }
    h = (hdr *)malloc(sizeof *h + size);
    if (!h)
        return NULL;
    h->size = size;
    c->allocs++;
    return h + 1;
}

static void *c_realloc(void *ptr, size_t size, void *ctx)
{
    counting *c = (counting *)ctx;
    hdr *h;
    if (!ptr)
        return c_malloc(size, ctx);
    if (++c->calls == c->fail_at) {
        c->failed = 1;
        return NULL;
    }
    h = (hdr *)realloc((hdr *)ptr - 1, sizeof *h + size);
    if (!h)
        return NULL;
    h->size = size;
    return h + 1;
}

static void c_free(void *ptr, void *ctx)
{
    counting *c = (counting *)ctx;
    if (!ptr)
        return;
    c->frees++;
    free((hdr *)ptr - 1);
}

/* ---- one run ------------------------------------------------------------- */

typedef struct run_opts {
    int pull, kvs_only, recover, digests, no_fastlex;
    counting *counter; /* NULL: default allocator */
} run_opts;

static int on_event(const kvst_event *ev, void *payload)
{
    textbuf_add_event((textbuf *)payload, ev, "input");
    return 0;
}

static void dump_status(textbuf *b, kvst_parser *p, int rc)
{
    const kvst_error *e = kvst_parser_error(p);
    if (rc == 0) {
        sb_printf(b, "status: KVST_OK\n");
        return;
    }
    sb_printf(b, "status: %s at line %llu column %llu offset %llu record %llu pointer '%s'\n",
              kvst_status_name(rc), (unsigned long long)e->line, (unsigned long long)e->column,
              (unsigned long long)e->offset, (unsigned long long)e->record_index,
              e->pointer.ptr ? e->pointer.ptr : "");
    sb_printf(b, "message: %s\n", e->message.ptr ? e->message.ptr : "");
    if (e->excerpt.len)
        sb_printf(b, "excerpt:\n%s\n", e->excerpt.ptr);
}

static int drain(textbuf *b, kvst_parser *p)
{
    const kvst_event *ev;
    int rc;
    while ((rc = kvst_parser_next(p, &ev)) == 1)
        textbuf_add_event(b, ev, "input");
    return rc;
}

/* Feed the input cut at the given positions (sorted, within len). */
static int run(textbuf *out, const unsigned char *in, size_t len, const size_t *cuts, size_t ncuts,
               const run_opts *ro)
{
    kvst_parser_options o = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    size_t pos = 0, i;
    int rc;

    if (ro->kvs_only)
        o.flags |= KVST_FLAG_KVS_ONLY;
    if (ro->digests)
        o.flags |= KVST_FLAG_DIGESTS;
    if (ro->recover)
        o.flags |= KVST_FLAG_RECOVER;
    if (ro->no_fastlex)
        o.flags |= KVST_FLAG_NO_FASTLEX;
    if (!ro->pull) {
        o.on_event = on_event;
        o.payload = out;
    }
    if (ro->counter) {
        o.allocator.malloc_fn = c_malloc;
        o.allocator.realloc_fn = c_realloc;
        o.allocator.free_fn = c_free;
        o.allocator.ctx = ro->counter;
    }
    rc = kvst_parser_new(&o, &p);
    if (rc) {
        sb_printf(out, "new: %s\n", kvst_status_name(rc));
        return rc;
    }
    for (i = 0; i <= ncuts && rc == 0; i++) {
        size_t end = i < ncuts ? cuts[i] : len;
        rc = kvst_parser_feed(p, in + pos, end - pos);
        pos = end;
        if (ro->pull) {
            int d = drain(out, p);
            if (d < 0 && rc == 0)
                rc = d;
        }
    }
    if (rc == 0) {
        rc = kvst_parser_finish(p);
        if (ro->pull) {
            int d = drain(out, p);
            if (d < 0 && rc == 0)
                rc = d;
        }
    }
    dump_status(out, p, rc);
    kvst_parser_free(p);
    return rc;
}

static int check_same(const textbuf *want, const textbuf *got, const char *what)
{
    size_t i = 0;
    if (want->len == got->len && memcmp(want->data, got->data, want->len) == 0)
        return 0;
    while (i < want->len && i < got->len && want->data[i] == got->data[i])
        i++;
    fprintf(stderr, "FAIL: %s: dump differs at byte %zu\n--- expected:\n%.300s\n--- got:\n%.300s\n",
            what, i, want->data + (i > 100 ? i - 100 : 0), got->data + (i > 100 ? i - 100 : 0));
    return 1;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int mode = 0, gz = 0, i;
    size_t chunk = 0, max_splits = (size_t)-1, len;
    run_opts ro;
    const unsigned char *in;
    textbuf ref = { 0, 0, 0 }, file = { 0, 0, 0 }, zipped = { 0, 0, 0 };
    size_t *oom_cuts = NULL, cuts_n = 0;

    memset(&ro, 0, sizeof ro);
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--splits"))
            mode = 1;
        else if (!strcmp(argv[i], "--oom"))
            mode = 2;
        else if (!strcmp(argv[i], "--gzip"))
            gz = 1;
        else if (!strcmp(argv[i], "--pull"))
            ro.pull = 1;
        else if (!strcmp(argv[i], "--kvs-only"))
            ro.kvs_only = 1;
        else if (!strcmp(argv[i], "--recover"))
            ro.recover = 1;
        else if (!strcmp(argv[i], "--digests"))
            ro.digests = 1;
        else if (!strcmp(argv[i], "--no-fastlex"))
            ro.no_fastlex = 1;
        else if (!strcmp(argv[i], "--chunk") && i + 1 < argc)
            chunk = (size_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--max-splits") && i + 1 < argc)
            max_splits = (size_t)strtoul(argv[++i], NULL, 10);
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else {
            fprintf(stderr, "usage: kvst_dump [--splits|--oom] [--gzip] [--pull] [--kvs-only] "
                            "[--recover] [--digests] [--no-fastlex] [--chunk N] [--max-splits N] FILE\n");
            return 64;
        }
    }
    if (!path) {
        fprintf(stderr, "kvst_dump: no FILE\n");
        return 64;
    }
    textbuf_load(&file, path);
    if (gz)
        textbuf_gzip(&zipped, file.data, file.len, 0);
    in = (const unsigned char *)(gz ? zipped.data : file.data);
    len = gz ? zipped.len : file.len;

    if (mode == 0) {
        size_t *cuts = NULL, n = 0, c;
        if (chunk) {
            cuts = (size_t *)malloc((len / chunk + 1) * sizeof *cuts);
            for (c = chunk; c < len; c += chunk)
                cuts[n++] = c;
        }
        run(&ref, in, len, cuts, n, &ro);
        fwrite(ref.data, 1, ref.len, stdout);
        free(cuts);
        free(ref.data);
        free(file.data);
        free(zipped.data);
        return 0;
    }

    {
        /* --chunk also applies to --oom: more allocation points to fail */
        size_t c;
        cuts_n = 0;
        if (chunk) {
            oom_cuts = (size_t *)malloc((len / chunk + 1) * sizeof *oom_cuts);
            for (c = chunk; c < len; c += chunk)
                oom_cuts[cuts_n++] = c;
        }
    }
    run(&ref, in, len, oom_cuts, cuts_n, &ro);
    if (mode == 1) {
        size_t sz, k, step, *cuts = (size_t *)malloc((len + 1) * sizeof *cuts);
        int fails = 0;
        char what[96];
        /* every chunk size 1..1024, then a spread of larger ones */
        for (sz = 1; sz < len && !fails; sz = sz < 1024 ? sz + 1 : sz * 2) {
            size_t n = 0, c;
            textbuf got = { 0, 0, 0 };
            for (c = sz; c < len; c += sz)
                cuts[n++] = c;
            run(&got, in, len, cuts, n, &ro);
            snprintf(what, sizeof what, "chunks of %zu bytes", sz);
            fails += check_same(&ref, &got, what);
            free(got.data);
        }
        step = len > max_splits ? len / max_splits : 1;
        for (k = 1; k < len && !fails; k += step) {
            textbuf got = { 0, 0, 0 };
            cuts[0] = k;
            run(&got, in, len, cuts, 1, &ro);
            snprintf(what, sizeof what, "split at byte %zu", k);
            fails += check_same(&ref, &got, what);
            free(got.data);
        }
        free(cuts);
        free(ref.data);
        free(file.data);
        free(zipped.data);
        if (!fails)
            printf("splits: identical dumps for every split of %zu bytes\n", len);
        return fails ? 1 : 0;
    } else {
        long k;
        int fails = 0;
        for (k = 1; !fails; k++) {
            counting cnt;
            textbuf got = { 0, 0, 0 };
            int rc;
            memset(&cnt, 0, sizeof cnt);
            cnt.fail_at = k;
            ro.counter = &cnt;
            rc = run(&got, in, len, oom_cuts, cuts_n, &ro);
            if (cnt.allocs != cnt.frees) {
                fprintf(stderr, "FAIL: allocation %ld failed: %ld allocations, %ld frees\n", k,
                        cnt.allocs, cnt.frees);
                fails++;
            }
            if (!cnt.failed) {
                fails += check_same(&ref, &got, "run without a failed allocation");
                free(got.data);
                printf("oom: %ld allocation points, each gave KVST_E_NOMEM or the full result\n",
                       k - 1);
                break;
            }
            if (rc != KVST_E_NOMEM && check_same(&ref, &got, "run with a failed allocation")) {
                fprintf(stderr, "FAIL: allocation %ld failed but the status is %s\n", k,
                        kvst_status_name(rc));
                fails++;
            }
            free(got.data);
        }
        free(ref.data);
        free(file.data);
        free(zipped.data);
        free(oom_cuts);
        return fails ? 1 : 0;
    }
}
