/*
 * Parsers on several threads at once (DESIGN.md: one parser per thread,
 * different parsers independent, validators and the classifier pure).
 * Each file given on the command line is parsed once on the main thread
 * for reference (event count and an FNV-1a digest of every event's JSON);
 * then 4 threads each parse every file, starting at different files so
 * different inputs run at the same time, in chunks of different sizes and
 * both delivery modes, and call the identity classifier and validators
 * between records. Every result must equal the reference. Run it under
 * ThreadSanitizer with tests/threads/run_tsan.sh.
 *
 *   test_threads FILE...
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kvstrail/kvstrail.h>

#define THREADS 4
#define ROUNDS 3

typedef struct input {
    const char *path;
    unsigned char *data;
    size_t len;
} input;

typedef struct result {
    int status;
    unsigned long long events;
    unsigned long long digest;
    unsigned long long pure; /* digest of the pure calls */
    int pure_differs;        /* a pure call between chunks gave another digest */
} result;

static input *inputs;
static int input_count;
static result *reference;

typedef struct digest_ctx {
    result *r;
    char *buf;
    size_t cap;
} digest_ctx;

static unsigned long long fnv(unsigned long long h, const void *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

static int add_event(const kvst_event *ev, void *payload)
{
    digest_ctx *d = (digest_ctx *)payload;
    size_t n = kvst_event_to_json(ev, NULL, d->buf, d->cap);
    if (n >= d->cap) {
        char *nb = (char *)realloc(d->buf, n + 1);
        if (!nb)
            return 1;
        d->buf = nb;
        d->cap = n + 1;
        kvst_event_to_json(ev, NULL, d->buf, d->cap);
    }
    d->r->digest = fnv(d->r->digest, d->buf, n);
    d->r->events++;
    return 0;
}

/* The pure entry points, on values taken from the input, so every thread
 * runs them on shared read-only data at the same time. */
static unsigned long long pure_calls(const input *in)
{
    static const char identity[] =
        "{\"type\":\"AssumedRole\",\"arn\":\"arn:aws:sts::123456789012:assumed-role/r/s\","
        "\"accountId\":\"123456789012\",\"accessKeyId\":\"ASIAEXAMPLE\","
        "\"sessionContext\":{\"sessionIssuer\":{\"accountId\":\"210987654321\"},"
        "\"attributes\":{\"mfaAuthenticated\":\"true\"}}}";
    kvst_identity_info info;
    kvst_arn arn;
    unsigned long long h = 14695981039346656037ull;
    size_t off;
    int64_t ms;

    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    h = fnv(h, &(int){kvst_identity_classify_json(identity, sizeof identity - 1, &info)},
            sizeof(int));
    h = fnv(h, &info.principal, sizeof info.principal);
    h = fnv(h, &info.cross_account, sizeof info.cross_account);
    /* slide a 64-byte window over the input through every validator */
    for (off = 0; off + 64 <= in->len && off < 4096; off += 61) {
        const char *s = (const char *)in->data + off;
        uint32_t v[8];
        v[0] = kvst_validate_stream_name(s, 20);
        v[1] = kvst_validate_resource_arn(s, 64, &arn);
        v[2] = kvst_validate_timestamp(s, 20, &ms);
        v[3] = kvst_validate_source_ip(s, 15);
        v[4] = kvst_validate_tag_value(s, 64);
        v[5] = kvst_validate_media_type(s, 10);
        v[6] = kvst_arn_parse(s, 64, &arn);
        v[7] = kvst_credential_kind(s, 20);
        h = fnv(h, v, sizeof v);
    }
    return h;
}

/* ref: the single-threaded result the pure calls between chunks must
 * match (NULL for the reference run itself). */
static void parse(const input *in, size_t chunk, int pull, const result *ref, result *r)
{
    kvst_parser_options o = KVST_PARSER_OPTIONS_INIT;
    digest_ctx d;
    kvst_parser *p = NULL;
    size_t pos = 0;
    int rc;

    memset(r, 0, sizeof *r);
    memset(&d, 0, sizeof d);
    d.r = r;
    r->digest = 14695981039346656037ull;
    if (!pull) {
        o.on_event = add_event;
        o.payload = &d;
    }
    rc = kvst_parser_new(&o, &p);
    while (rc == 0 && pos < in->len) {
        size_t n = in->len - pos < chunk ? in->len - pos : chunk;
        const kvst_event *ev;
        rc = kvst_parser_feed(p, in->data + pos, n);
        pos += n;
        while (pull && kvst_parser_next(p, &ev) == 1)
            add_event(ev, &d);
        if (ref && pure_calls(in) != ref->pure)
            r->pure_differs = 1;
    }
    if (rc == 0) {
        const kvst_event *ev;
        rc = kvst_parser_finish(p);
        while (pull && kvst_parser_next(p, &ev) == 1)
            add_event(ev, &d);
    }
    r->status = rc;
    r->pure = pure_calls(in);
    kvst_parser_free(p);
    free(d.buf);
}

static int same(const result *a, const result *b)
{
    return a->status == b->status && a->events == b->events && a->digest == b->digest &&
           a->pure == b->pure && a->pure_differs == b->pure_differs;
}

static void *worker(void *arg)
{
    int t = (int)(size_t)arg, round, k, bad = 0;
    for (round = 0; round < ROUNDS; round++) {
        for (k = 0; k < input_count; k++) {
            int i = (k + t) % input_count;
            result r;
            /* chunk sizes differ per thread and round; pull on odd threads */
            parse(&inputs[i], (size_t)(7 + 977 * t + 131 * round), t % 2, &reference[i], &r);
            if (!same(&r, &reference[i])) {
                fprintf(stderr, "thread %d round %d: %s gave status %d, %llu events, digest "
                        "%016llx; alone: status %d, %llu events, digest %016llx\n",
                        t, round, inputs[i].path, r.status, r.events, r.digest,
                        reference[i].status, reference[i].events, reference[i].digest);
                bad++;
            }
        }
    }
    return (void *)(size_t)bad;
}

static int load(input *in, const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    in->path = path;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        perror(path);
        if (f)
            fclose(f);
        return -1;
    }
    in->len = (size_t)n;
    in->data = (unsigned char *)malloc(in->len ? in->len : 1);
    if (!in->data || fread(in->data, 1, in->len, f) != in->len) {
        perror(path);
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    pthread_t th[THREADS];
    int i, bad = 0;
    unsigned long long total = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: test_threads FILE...\n");
        return 2;
    }
    input_count = argc - 1;
    inputs = (input *)calloc((size_t)input_count, sizeof *inputs);
    reference = (result *)calloc((size_t)input_count, sizeof *reference);
    if (!inputs || !reference)
        return 1;
    for (i = 0; i < input_count; i++) {
        if (load(&inputs[i], argv[i + 1]) != 0)
            return 1;
        parse(&inputs[i], 65536, 0, NULL, &reference[i]);
        total += reference[i].events;
    }
    if (total == 0) {
        fprintf(stderr, "no events in the inputs: nothing would be compared\n");
        return 1;
    }
    for (i = 0; i < THREADS; i++) {
        if (pthread_create(&th[i], NULL, worker, (void *)(size_t)i) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }
    }
    for (i = 0; i < THREADS; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        bad += (int)(size_t)ret;
    }
    printf("%d threads x %d rounds x %d files (%llu events per pass): %d mismatches\n", THREADS,
           ROUNDS, input_count, total, bad);
    for (i = 0; i < input_count; i++)
        free(inputs[i].data);
    free(inputs);
    free(reference);
    return bad ? 1 : 0;
}
