/*
 * Stage 1: sniff gzip by its magic bytes and inflate it, or pass plain
 * bytes through untouched.
 *
 * Behaviour at the edges, chosen once and tested:
 * - Detection needs two bytes; one byte is held back until the second
 *   arrives, so any split works. An input of exactly one byte is plain.
 * - After a member ends, the next bytes must start another member (1f 8b),
 *   or be zeros to the end: trailing zero padding is accepted and ignored,
 *   as gzip(1) does (tape and block devices pad archives with zeros).
 *   Anything else is KVST_E_GZIP "trailing data after gzip member".
 * - Input ending inside a member (header included, except for the case of
 *   a one-byte input above) is KVST_E_TRUNCATED.
 * - All errors are sticky: later calls return the same code.
 *
 * Two ways to run, with the same bytes out in the same order and every
 * error at the same point:
 * - one thread: the state machine below runs on the caller's thread and
 *   hands each inflated buffer to out();
 * - two threads (chosen at the first gzip member when more than one CPU
 *   is usable): the same state machine runs over each fed chunk in steps
 *   of one buffer, into a bounded queue of buffers, while the caller's
 *   thread takes the full ones in order and hands them to out(). A worker
 *   takes the steps while it can; the caller takes one itself whenever
 *   the queue is empty and no step is under way (the worker asleep
 *   between feeds, or woken and not yet run), so it never waits for the
 *   worker to be scheduled. So the parse of buffer i overlaps the inflate
 *   of buffer i+1, events stay on the caller's thread, and feed still
 *   returns only once the whole chunk has been inflated and handed on.
 *   The worker never calls the caller's allocator (its hooks need not be
 *   thread-safe): its buffers and zlib's memory are reserved on the
 *   caller's thread before it starts.
 *
 * Two inflaters, with the same bytes out and the same errors (status and
 * message; the messages are the stage's own, by kind, not the
 * inflater's): zlib, always there, and ISA-L's igzip when the library is
 * built with it (meson -Dinflate=auto|isal), about twice as fast. Either
 * runs on either path; ISA-L's state is one block the stage allocates
 * (through the hooks, or from the worker's reserve), zlib's comes through
 * its zalloc hooks.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sched_getaffinity: the CPUs we may actually run on */
#endif
#include "gzip_stage.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#if defined(KVST_HAVE_ISAL)
#include <isa-l/igzip_lib.h>
#endif

/* Each inflater call is given KVST_INFLATE_CALL_OUT of output room, on
 * both paths and whatever the buffer it writes into: the calls then see
 * the same input and output room on either, so the ratio limit trips at
 * the same byte and a corrupt member hands on the same bytes. Inflated
 * bytes are handed on in buffers of up to KVST_INFLATE_OUT_SIZE (the
 * output of up to four calls, gzip_stage.h): the fewer the pieces, the
 * fewer records a piece's end cuts (the fast lexer holds and checks those
 * again) and the fewer hand-overs between the threads. The first buffers
 * of each feed are smaller (ramp_calls: one call's output, one, two,
 * then full ones), so that on two threads the caller starts parsing soon
 * and the inflate, about twice as fast as the parse, gets ahead of it:
 * the part of a feed that cannot overlap is about one call's inflate.
 * One thread hands on the same buffers (the stage stops at the same
 * input byte on either path when out() refuses one). */
#define KVST_RAMP_STEPS 3u
static const unsigned ramp_calls[KVST_RAMP_STEPS] = { 1, 1, 2 };
/* The worker's queue: enough buffers to absorb uneven speeds. The parse
 * is the slower side, so the worker mostly waits for room; it is woken
 * once the caller has drained the queue down to KVST_QUEUE_RESUME full
 * slots: one wake-up per two buffers (each costs a context switch, and
 * CPU the parse could use), while the two still full give the worker the
 * parse of 128 KiB, about 200 us, to wake in. (With 16 KiB buffers the
 * queue had eight and woke the worker at six: waking it at two made the
 * caller wait for it now and then.) Four buffers of 64 KiB hold twice
 * what eight of 16 KiB did; eight would take `kvstrail stats` on the
 * worst gzip input measured over its 4 MiB (docs/performance.md). */
#define KVST_QUEUE_SLOTS 4u
#define KVST_QUEUE_RESUME 2u
/* The ratio limit only applies past this much output, so that small,
 * highly compressible inputs (a few KiB of whitespace) pass. */
#define KVST_RATIO_GRACE_BYTES (1024u * 1024u)

/* ISA-L's fast loop runs only on calls with this much input or more. */
#define ISAL_FAST_IN 8u
/* The most input one ISA-L call is given. ISA-L builds the decoding table
 * of a member's last block by the input the call that reads its header
 * has left: up to 2 KiB (its SINGLE_SYM_THRESH), one symbol an entry;
 * more, two or three literals packed in one entry. Where the input stops
 * inside that block, a packed entry whose last symbol's bits are not all
 * there is not decoded at all, so the whole literals before it were
 * handed on or not by how the input was split (a byte or two of a
 * truncated member, fed whole or in pieces). Given at most this much,
 * every call reads the last block's header with 2 KiB or less: its table
 * is one symbol an entry, and each symbol whose bits are all there comes
 * out, as with zlib, whatever the split. (An earlier block's table is
 * always packed, by its header alone: input stopping there gives the
 * same bytes for every split, up to a few short of zlib's; see
 * tests/gzip's FLUSH_LAG.) A call then fills about its output room on
 * compressed text (16 KiB out of 2 KiB in at a ratio of 8). */
#define ISAL_CALL_IN 2048u

#if defined(KVST_HAVE_ISAL)
/* ISA-L's block: its state, then a copy of all of the state but its
 * output history (tmp_out_buffer, last), taken before each call that may
 * run ISA-L's fast loop. That loop, on a length/distance pair it finds
 * bad (a distance too far back, a bad distance code), has already
 * counted the pair's length as output: up to 258 bytes that were never
 * written are then reported as inflated. Its careful loop checks each
 * symbol before it counts it, and runs when a call has fewer than
 * ISAL_FAST_IN bytes of input (the fast loop's read-ahead slop). So on
 * corrupt data the stage puts the copy back and decodes the same input
 * again in pieces of ISAL_FAST_IN - 1 bytes: what comes out is exactly
 * what precedes the bad symbol, as with zlib, whatever the split. A call
 * that fails leaves the history alone (ISA-L returns before it moves
 * it), so the copy need not hold it. */
#define ISAL_SNAP_BYTES offsetof(struct inflate_state, tmp_out_buffer)
typedef struct isal_block {
    struct inflate_state st;
    unsigned char snap[ISAL_SNAP_BYTES];
} isal_block;
/* ISA-L's block and its alignment slack fit the share of the reserve
 * set aside for it. */
typedef char isal_state_fits[sizeof(isal_block) + 16u <= KVST_ISAL_STATE_RESERVE ? 1 : -1];
#endif

#define GZ_MAGIC0 0x1fu
#define GZ_MAGIC1 0x8bu

enum input_state {
    ST_MAGIC,   /* expecting 1f 8b: the first bytes, or after a member */
    ST_PLAIN,   /* not gzip: pass everything through */
    ST_MEMBER,  /* inside a gzip member */
    ST_PADDING  /* zeros after the last member */
};

/* One full buffer of the queue, and the stage's counters once it was
 * inflated (restored if out() refuses it, as if we had stopped there). */
typedef struct queue_slot {
    size_t len;
    uint64_t bytes_in, bytes_out;
} queue_slot;

typedef struct kvst_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t to_worker; /* a job, a free slot, stop or quit */
    pthread_cond_t to_caller; /* a full slot, or the job done */
    /* Guarded by mu. */
    const unsigned char *job; /* what is left of the chunk being fed */
    size_t job_len;
    int has_job, done, done_rc;
    int busy;  /* a thread is taking a step (see worker_main) */
    int caller_steps; /* the step under way is the caller's */
    uint64_t steps[2]; /* steps taken by the caller [0] and the worker [1] */
    /* The caller's out() while it takes a step (see worker_slot), and
     * its code and the slot it refused, if it did. */
    kvst_bytes_fn cout;
    void *cctx;
    int caller_rc;
    queue_slot caller_fail;
    int stop;  /* out() failed: abandon the job */
    int worker_waits; /* the worker waits for the queue to drain */
    int quit;  /* leave the thread */
    unsigned head, count; /* full slots head .. head + count - 1, mod N */
    queue_slot slots[KVST_QUEUE_SLOTS];
    /* zlib's reserve: used on the caller's thread before the worker starts. */
    unsigned char *pool;
    size_t pool_used;
    unsigned char *data; /* KVST_QUEUE_SLOTS * KVST_INFLATE_OUT_SIZE */
} kvst_worker;

struct kvst_input {
    kvst_alloc alloc;
    uint64_t max_ratio;
    int threads;       /* KVST_INPUT_THREADS_*; ONE once the choice is made */
    enum input_state state;
    int is_gzip;
    int held;          /* 1 when the first magic byte is held back; in
                          ST_MEMBER, the member's 1f is still to inflate */
    int err;           /* sticky status, 0 while healthy */
    int inflater;      /* KVST_INFLATE_ZLIB or KVST_INFLATE_ISAL */
    int zinit;         /* zs holds an initialised inflate stream */
    uint64_t bytes_in;   /* raw input consumed */
    uint64_t bytes_out;  /* inflated bytes produced, all members */
    unsigned ramp;       /* buffers of this feed handed on, up to KVST_RAMP_STEPS */
    unsigned char *outbuf; /* one-thread path only */
    kvst_worker *w;        /* two-thread path only */
    int worker_live;       /* w->thread is running (not yet joined) */
    z_stream zs;
    /* the member's header, as header_scan() has read it so far */
    unsigned hstate;   /* H_* */
    unsigned hflags;   /* its FLG byte */
    uint32_t hcount;   /* bytes of the current field read */
    uint32_t hxlen;    /* FEXTRA: the extra field's length */
    uLong hcrc;        /* FHCRC: CRC-32 of the header bytes before it */
    unsigned hstored;  /* FHCRC: the stored 16 bits */
#if defined(KVST_HAVE_ISAL)
    struct inflate_state *is; /* ISA-L's state, NULL until the first member */
    unsigned char *is_snap;   /* the copy of isal_block, beside *is */
    int is_snapped;           /* the last call was preceded by a copy */
    int is_own;               /* is came from the allocator, not the reserve */
#endif
    char msg[96];
};

/* Where the state machine's output goes: out(ctx) on the caller's thread,
 * or, on the worker (w set), the next slot of the queue. A step (step
 * set: the two-thread path, on either thread) stops after the first
 * buffer handed on while input is left, and says in left how much of
 * its input it did not use (paused set); ob, when set, is the buffer to
 * inflate into instead of in->outbuf. */
typedef struct drain {
    kvst_bytes_fn out;
    void *ctx;
    kvst_worker *w;
    unsigned char *ob;
    int step, paused;
    size_t left;
} drain;

/* zlib's allocations go through the caller's allocator too. */
static voidpf zalloc_hook(voidpf opaque, uInt items, uInt size)
{
    const kvst_alloc *a = (const kvst_alloc *)opaque;
    if (size != 0 && items > (size_t)-1 / size)
        return Z_NULL;
    return kvst__malloc(a, (size_t)items * size);
}

static void zfree_hook(voidpf opaque, voidpf ptr)
{
    kvst__free((const kvst_alloc *)opaque, ptr);
}

/* The worker's zlib carves from the reserve; nothing is given back before
 * the whole block is freed. */
static voidpf zalloc_pool(voidpf opaque, uInt items, uInt size)
{
    kvst_worker *w = (kvst_worker *)opaque;
    size_t n;
    if (size != 0 && items > (size_t)-1 / size)
        return Z_NULL;
    n = (size_t)items * size;
    if (n > KVST_INFLATE_POOL_SIZE - w->pool_used)
        return Z_NULL;
    n = (n + 15u) & ~(size_t)15u;
    if (n > KVST_INFLATE_POOL_SIZE - w->pool_used)
        n = KVST_INFLATE_POOL_SIZE - w->pool_used;
    w->pool_used += n;
    return w->pool + w->pool_used - n;
}

static void zfree_pool(voidpf opaque, voidpf ptr)
{
    (void)opaque;
    (void)ptr;
}

static int fail(kvst_input *in, int code, const char *msg)
{
    in->err = code;
    snprintf(in->msg, sizeof in->msg, "%s", msg);
    return code;
}

/* out() failed: keep its code (sticky) but it is not our error to explain. */
static int fail_out(kvst_input *in, int code)
{
    return fail(in, code, "stopped by the next stage");
}

int kvst__input_new(const kvst_alloc *a, uint64_t max_ratio, int threads,
                    kvst_input **out)
{
    kvst_input *in;

    *out = NULL;
    in = (kvst_input *)kvst__malloc(a, sizeof *in);
    if (!in)
        return KVST_E_NOMEM;
    memset(in, 0, sizeof *in);
    in->alloc = *a;
    in->max_ratio = max_ratio;
    in->threads = threads;
    in->state = ST_MAGIC;
#if defined(KVST_HAVE_ISAL)
    in->inflater = KVST_INFLATE_ISAL;
#else
    in->inflater = KVST_INFLATE_ZLIB;
#endif
    *out = in;
    return 0;
}

int kvst__input_set_inflater(kvst_input *in, int inflater)
{
    if (in->is_gzip || (inflater != KVST_INFLATE_ZLIB && inflater != KVST_INFLATE_DEFAULT
#if defined(KVST_HAVE_ISAL)
                        && inflater != KVST_INFLATE_ISAL
#endif
                        ))
        return KVST_E_INVAL;
    if (inflater != KVST_INFLATE_DEFAULT)
        in->inflater = inflater;
    return 0;
}

int kvst__input_inflater(const kvst_input *in)
{
    return in->inflater;
}

/* The ratio of the bytes the inflater has decoded to the bytes it has
 * decoded them from. zlib hands on what it decodes and keeps no whole
 * input byte unused, so that is bytes_out / bytes_in. ISA-L decodes up
 * to 64 KiB ahead into a buffer of its own and reads up to 8 bytes ahead
 * of its position: counted, so that the limit trips at the same ratio on
 * both (on a 1028:1 bomb, ISA-L's bytes_in alone lead by 55 bytes, which
 * at a limit of 1000 put off the trip by a whole MiB). It still trips
 * up to that 64 KiB of output earlier on ISA-L: the one place where the
 * two inflaters do not hand on the same bytes. */
static int ratio_exceeded(const kvst_input *in)
{
    uint64_t out = in->bytes_out, from = in->bytes_in;

#if defined(KVST_HAVE_ISAL)
    if (in->is && in->inflater == KVST_INFLATE_ISAL && in->state == ST_MEMBER) {
        out += (uint64_t)(in->is->tmp_out_valid - in->is->tmp_out_processed);
        from -= (uint64_t)in->is->read_in_length / 8u;
    }
#endif
    if (in->max_ratio == 0 || out <= KVST_RATIO_GRACE_BYTES)
        return 0;
    /* out > max_ratio * from, without overflowing the product */
    if (from > UINT64_MAX / in->max_ratio)
        return 0;
    return out > in->max_ratio * from;
}

/* ---- the inflaters ---- */

/* What one step of inflate came to, whichever inflater took it. */
enum inf_rc {
    INF_OK = 0, /* went on, or needs more input */
    INF_END,    /* the member ended, its trailer checked */
    INF_NOMEM,  /* from here on: errors, with inf_message[] */
    INF_START,
    INF_HEADER, /* the gzip header is invalid */
    INF_DATA,   /* the deflate data is invalid */
    INF_CHECK   /* a CRC or the length in the trailer does not match */
};

/* One message per kind, the same for both inflaters (their own texts
 * differ, and ISA-L has none). */
static const char *const inf_message[] = {
    "", "",
    "out of memory for inflate",
    "the inflater could not start a gzip member",
    "corrupt gzip data: invalid gzip header",
    "corrupt gzip data: invalid deflate data",
    "corrupt gzip data: incorrect check value (CRC or length)",
};

/* zlib tells a failed trailer check from bad data only by its (fixed)
 * messages; ISA-L reports both checks as one code, so they are one kind
 * here. (Headers never get this far: header_scan() checks them.) */
static int zlib_error_kind(const kvst_input *in)
{
    static const char *const checks[] = { "incorrect data check", "incorrect length check" };
    size_t i;

    for (i = 0; in->zs.msg && i < sizeof checks / sizeof checks[0]; i++)
        if (strcmp(in->zs.msg, checks[i]) == 0)
            return INF_CHECK;
    return INF_DATA;
}

/*
 * The gzip header (RFC 1952), read by the stage for both inflaters so
 * that a bad one fails the same way on either, and so that ISA-L, which
 * then inflates the raw deflate data and checks the trailer, never parses
 * a header itself (its own parser gets the header CRC wrong when the
 * header comes in pieces). zlib parses the header bytes again, and finds
 * nothing more wrong with them. The fields come in this order, each only
 * when its flag is set.
 */
enum { H_FIXED, H_XLEN, H_EXTRA, H_NAME, H_COMMENT, H_HCRC, H_DONE };
static const unsigned header_flag[H_DONE + 1] = { 0, 0x04, 0x04, 0x08, 0x10, 0x02, 0 };

/* The field after the current one that the header has. */
static void header_next(kvst_input *in)
{
    in->hcount = 0;
    do
        in->hstate++;
    while (in->hstate < H_DONE && !(in->hflags & header_flag[in->hstate]));
    if (in->hstate == H_EXTRA && in->hxlen == 0)
        header_next(in);
}

/* Read the header bytes at buf's start; *n gets how many there are (all
 * of len while the header goes on). 0 or the error. */
static int header_scan(kvst_input *in, const unsigned char *buf, size_t len, size_t *n)
{
    size_t i = 0;

    while (i < len && in->hstate != H_DONE) {
        unsigned c = buf[i];
        if (in->hstate < H_HCRC) /* a few dozen bytes: no need to skip it */
            in->hcrc = crc32(in->hcrc, buf + i, 1);
        i++;
        in->hcount++;
        switch (in->hstate) {
        case H_FIXED:
            if ((in->hcount == 3 && c != 8) || (in->hcount == 4 && (c & 0xe0)))
                return INF_HEADER; /* not deflate, or reserved flags set */
            if (in->hcount == 4)
                in->hflags = c;
            if (in->hcount == 10)
                header_next(in);
            break;
        case H_XLEN:
            in->hxlen |= c << (8u * (in->hcount - 1u));
            if (in->hcount == 2)
                header_next(in);
            break;
        case H_EXTRA:
            if (in->hcount == in->hxlen)
                header_next(in);
            break;
        case H_NAME:
        case H_COMMENT:
            if (c == 0)
                header_next(in);
            break;
        default: /* H_HCRC */
            in->hstored |= c << (8u * (in->hcount - 1u));
            if (in->hcount == 2) {
                if (in->hstored != (in->hcrc & 0xffffu))
                    return INF_CHECK;
                header_next(in);
            }
            break;
        }
    }
    *n = i;
    return INF_OK;
}

/* zlib's stream is set up (zalloc and friends filled in): start it. */
static int zlib_init(kvst_input *in)
{
    /* 16 + window bits: gzip wrapper only, no zlib or raw deflate */
    int zr = inflateInit2(&in->zs, 16 + MAX_WBITS);
    if (zr == Z_MEM_ERROR)
        return INF_NOMEM;
    if (zr != Z_OK)
        return INF_START;
    in->zinit = 1;
    return INF_OK;
}

#if defined(KVST_HAVE_ISAL)
/* A member starts: zeroed and init, not reset, every time. On corrupt
 * data ISA-L can read table entries that init leaves as they were (a
 * stale one from the last member, or whatever the memory held), and the
 * result then differed between the paths; zeroed, it is the same on
 * every path and run (87 KiB a member: microseconds). */
static void isal_start(struct inflate_state *is)
{
    memset(is, 0, sizeof *is);
    isal_inflate_init(is);
    /* raw deflate from the byte after the header (header_scan() reads
     * it); the trailer checked */
    is->crc_flag = ISAL_GZIP_NO_HDR_VER;
}
#endif

/* Begin a member: the first time, set the inflater up (allocates). */
static int inf_begin(kvst_input *in)
{

#if defined(KVST_HAVE_ISAL)
    if (in->inflater == KVST_INFLATE_ISAL) {
        if (!in->is) {
            isal_block *b = (isal_block *)kvst__malloc(&in->alloc, sizeof *b);
            if (!b)
                return INF_NOMEM;
            in->is = &b->st;
            in->is_snap = b->snap;
            in->is_own = 1;
        }
        isal_start(in->is);
        return INF_OK;
    }
#endif
    if (in->zinit)
        return inflateReset(&in->zs) == Z_OK ? INF_OK : INF_START;
    memset(&in->zs, 0, sizeof in->zs);
    in->zs.zalloc = zalloc_hook;
    in->zs.zfree = zfree_hook;
    in->zs.opaque = (voidpf)&in->alloc;
    return zlib_init(in);
}

/* Inflate from buf[0..*avail_in) into ob[0..*avail_out); both are set to
 * what is left. */
static int inf_step(kvst_input *in, const unsigned char *buf, uInt *avail_in,
                    unsigned char *ob, uInt *avail_out)
{
    int zr;

#if defined(KVST_HAVE_ISAL)
    if (in->inflater == KVST_INFLATE_ISAL) {
        struct inflate_state *is = in->is;
        in->is_snapped = *avail_in >= ISAL_FAST_IN;
        if (in->is_snapped)
            memcpy(in->is_snap, is, ISAL_SNAP_BYTES);
        is->next_in = (uint8_t *)buf;
        is->avail_in = *avail_in;
        is->next_out = ob;
        is->avail_out = *avail_out;
        zr = isal_inflate(is);
        *avail_in = is->avail_in;
        *avail_out = is->avail_out;
        switch (zr) {
        case ISAL_DECOMP_OK:
            return is->block_state == ISAL_BLOCK_FINISH ? INF_END : INF_OK;
        case ISAL_INVALID_WRAPPER:
        case ISAL_UNSUPPORTED_METHOD:
            return INF_HEADER;
        case ISAL_INCORRECT_CHECKSUM:
            return INF_CHECK;
        default:
            return INF_DATA;
        }
    }
#endif
    in->zs.next_in = (Bytef *)buf;
    in->zs.avail_in = *avail_in;
    in->zs.next_out = ob;
    in->zs.avail_out = *avail_out;
    zr = inflate(&in->zs, Z_NO_FLUSH);
    *avail_in = in->zs.avail_in;
    *avail_out = in->zs.avail_out;
    switch (zr) {
    case Z_OK:
    case Z_BUF_ERROR: /* no progress possible: needs more input */
        return INF_OK;
    case Z_STREAM_END:
        return INF_END;
    case Z_MEM_ERROR:
        return INF_NOMEM;
    case Z_DATA_ERROR:
        return zlib_error_kind(in);
    default: /* Z_NEED_DICT cannot be gzip */
        return INF_DATA;
    }
}

/* Let go of the inflater's memory (the reserve's goes with the block). */
static void inf_end(kvst_input *in)
{
    if (in->zinit)
        inflateEnd(&in->zs);
    in->zinit = 0;
#if defined(KVST_HAVE_ISAL)
    if (in->is_own)
        kvst__free(&in->alloc, in->is);
    in->is = NULL;
    in->is_snap = NULL;
    in->is_own = 0;
#endif
}

/* ISA-L's last call failed on corrupt data after running its fast loop:
 * put the state back as it was before the call (see isal_block) and
 * return 1, so the caller decodes the same input again carefully; 0
 * when there is no copy (zlib, or the call was careful already). */
static int isal_rewind(kvst_input *in)
{
#if defined(KVST_HAVE_ISAL)
    if (in->inflater == KVST_INFLATE_ISAL && in->is_snapped) {
        memcpy(in->is, in->is_snap, ISAL_SNAP_BYTES);
        in->is_snapped = 0;
        return 1;
    }
#else
    (void)in;
#endif
    return 0;
}

/* Bytes ISA-L decoded into its own buffer before it found the member
 * corrupt and has not copied out yet (0 for zlib, which decodes into
 * ours); *at gets where they are. */
static size_t isal_pending(kvst_input *in, const unsigned char **at)
{
#if defined(KVST_HAVE_ISAL)
    if (in->inflater == KVST_INFLATE_ISAL && in->is &&
        in->is->tmp_out_valid > in->is->tmp_out_processed) {
        *at = in->is->tmp_out_buffer + in->is->tmp_out_processed;
        return (size_t)(in->is->tmp_out_valid - in->is->tmp_out_processed);
    }
#else
    (void)in;
#endif
    *at = NULL;
    return 0;
}

/* ---- the worker's side of the queue ---- */

/* The slot to inflate into: waits while every slot is full (in the
 * caller's own step, which cannot wait for itself, it hands the oldest on
 * instead). NULL when the caller has stopped the job. */
static unsigned char *worker_slot(kvst_worker *w)
{
    unsigned char *slot = NULL;

    pthread_mutex_lock(&w->mu);
    while (w->caller_steps && w->count == KVST_QUEUE_SLOTS && !w->stop) {
        unsigned at = w->head;
        queue_slot s = w->slots[at];
        int rc;
        pthread_mutex_unlock(&w->mu);
        rc = w->cout(w->cctx, w->data + (size_t)at * KVST_INFLATE_OUT_SIZE, s.len);
        pthread_mutex_lock(&w->mu);
        if (rc != 0) {
            w->stop = 1;
            w->caller_rc = rc;
            w->caller_fail = s;
        } else {
            w->head = (at + 1) % KVST_QUEUE_SLOTS;
            w->count--;
        }
    }
    if (w->count == KVST_QUEUE_SLOTS) {
        w->worker_waits = 1;
        while (w->count > KVST_QUEUE_RESUME && !w->stop)
            pthread_cond_wait(&w->to_worker, &w->mu);
        w->worker_waits = 0;
    }
    if (!w->stop)
        slot = w->data + (size_t)((w->head + w->count) % KVST_QUEUE_SLOTS) *
                             KVST_INFLATE_OUT_SIZE;
    pthread_mutex_unlock(&w->mu);
    return slot;
}

/* The drain's out() on the worker: the slot worker_slot() gave is full. */
static int worker_put(void *ctx, const unsigned char *buf, size_t len)
{
    kvst_input *in = (kvst_input *)ctx;
    kvst_worker *w = in->w;
    queue_slot *s;
    int rc = 0;

    (void)buf;
    pthread_mutex_lock(&w->mu);
    if (w->stop) {
        rc = KVST_E_ABORTED; /* replaced by out()'s code on the caller's side */
    } else {
        s = &w->slots[(w->head + w->count) % KVST_QUEUE_SLOTS];
        s->len = len;
        s->bytes_in = in->bytes_in;
        s->bytes_out = in->bytes_out;
        w->count++;
        pthread_cond_signal(&w->to_caller);
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* ---- the state machine (either thread) ---- */

/* Begin a member: the first time, set zlib up (allocates); later, reuse. */
static int worker_start(kvst_input *in);

static int member_begin(kvst_input *in)
{
    int zr;

    if (in->threads != KVST_INPUT_THREADS_ONE) {
        zr = worker_start(in);
        if (zr < 0)
            return zr;
    }
    if (!in->w && !in->outbuf) {
        in->outbuf = (unsigned char *)kvst__malloc(&in->alloc,
                                                   KVST_INFLATE_OUT_SIZE);
        if (!in->outbuf)
            return fail(in, KVST_E_NOMEM, "out of memory for the gzip buffer");
    }
    zr = inf_begin(in);
    if (zr != INF_OK)
        return fail(in, zr == INF_NOMEM ? KVST_E_NOMEM : KVST_E_GZIP, inf_message[zr]);
    in->hstate = H_FIXED;
    in->hflags = 0;
    in->hcount = in->hxlen = 0;
    in->hcrc = crc32(0L, Z_NULL, 0);
    in->hstored = 0;
    in->is_gzip = 1;
    in->state = ST_MEMBER;
    return 0;
}

/*
 * Inflate from buf until it is used up or the member ends; *used gets the
 * bytes consumed. Output is handed to the drain each time inflate
 * returns, so everything this input completes has been handed on when we
 * return.
 */
/* What inflated before a corrupt spot, all of it and nothing after it,
 * is handed on before the error (ob holds the last step's produced
 * bytes; ISA-L may hold more in its own buffer), so the records before
 * it come out and the error is at the same byte whatever the chunking. */
static int hand_on_before_error(kvst_input *in, drain *d, unsigned char *ob,
                                size_t produced, int r)
{
    const unsigned char *at;
    size_t n;
    int rc;

    for (;;) {
        if (produced > 0) {
            rc = d->out(d->ctx, ob, produced);
            if (rc != 0)
                return fail_out(in, rc);
        }
        n = r == INF_DATA ? isal_pending(in, &at) : 0;
        if (n == 0)
            return fail(in, r == INF_NOMEM ? KVST_E_NOMEM : KVST_E_GZIP, inf_message[r]);
        ob = d->w ? worker_slot(d->w) : d->ob ? d->ob : in->outbuf;
        if (!ob)
            return fail_out(in, KVST_E_ABORTED);
        produced = n < KVST_INFLATE_OUT_SIZE ? n : KVST_INFLATE_OUT_SIZE;
        memcpy(ob, at, produced);
#if defined(KVST_HAVE_ISAL)
        in->is->tmp_out_processed += (int32_t)produced;
#endif
        in->bytes_out += produced;
    }
}

static int inflate_some(kvst_input *in, const unsigned char *buf, size_t len,
                        size_t *used, drain *d)
{
    size_t left = len, filled = 0; /* filled: of ob, not handed on yet */
    const size_t cap = KVST_INFLATE_OUT_SIZE;
    int careful = 0; /* ISA-L decodes a corrupt spot again: see isal_block */
    unsigned char *ob = NULL;
    unsigned made = 0, calls = 0; /* calls that made output into ob; 0 or
                                     * how many it takes (the feed's ramp) */

    *used = 0;
    for (;;) {
        uInt chunk = left > (uInt)-1 ? (uInt)-1 : (uInt)left;
        uInt avail_in, avail_out, given;
        size_t produced;
        int r, rc;

        if (!ob) {
            ob = d->w ? worker_slot(d->w) : d->ob ? d->ob : in->outbuf;
            if (!ob)
                return fail_out(in, KVST_E_ABORTED);
            filled = 0;
            made = 0;
            calls = in->ramp < KVST_RAMP_STEPS ? ramp_calls[in->ramp] : 0;
        }
        if (careful && chunk >= ISAL_FAST_IN)
            chunk = ISAL_FAST_IN - 1u;
        else if (in->inflater == KVST_INFLATE_ISAL && chunk > ISAL_CALL_IN)
            chunk = ISAL_CALL_IN;
        avail_in = chunk;
        avail_out = KVST_INFLATE_CALL_OUT; /* (ob has room: see below) */
        r = inf_step(in, buf, &avail_in, ob + filled, &avail_out);
        if (r == INF_DATA && isal_rewind(in)) {
            careful = 1;
            continue;
        }

        given = chunk - avail_in;
        buf += given;
        left -= given;
        in->bytes_in += given;
        produced = KVST_INFLATE_CALL_OUT - avail_out;
        in->bytes_out += produced;

        if (r >= INF_NOMEM)
            return hand_on_before_error(in, d, ob, filled + produced, r);
        if (ratio_exceeded(in)) {
            char m[sizeof in->msg];
            /* what earlier calls made goes on; this call's does not */
            if (filled > 0 && (rc = d->out(d->ctx, ob, filled)) != 0)
                return fail_out(in, rc);
            snprintf(m, sizeof m,
                     "inflated/compressed ratio exceeds %llu (gzip bomb?)",
                     (unsigned long long)in->max_ratio);
            return fail(in, KVST_E_LIMIT, m);
        }
        filled += produced;
        /* The buffer goes on once another call's room would not fit, or
         * when this input is used up, the member ends, the inflater is
         * stuck, or the feed's ramp says so. */
        made += produced > 0;
        if (filled > 0 && (cap - filled < KVST_INFLATE_CALL_OUT || (calls && made >= calls) ||
                           r == INF_END ||
                           (left == 0 && avail_out != 0) || (produced == 0 && given == 0))) {
            rc = d->out(d->ctx, ob, filled);
            if (rc != 0)
                return fail_out(in, rc);
            ob = NULL;
            if (in->ramp < KVST_RAMP_STEPS)
                in->ramp++;
            /* A step ends with a buffer handed on (not while decoding a
             * corrupt spot carefully: that goes on to its error). */
            if (d->step && left > 0 && r != INF_END && !careful && produced + given > 0) {
                *used = len - left;
                d->paused = 1;
                return 0;
            }
        }
        if (r == INF_OK && produced == 0 && given == 0) {
            /* No progress: it needs more input (an inflater that is stuck
             * with input and room left has met bytes it cannot take). */
            if (left > 0)
                return fail(in, KVST_E_GZIP, inf_message[INF_DATA]);
            *used = len;
            return 0;
        }
        if (r == INF_END) {
            in->state = ST_MAGIC;
            *used = len - left;
            return 0;
        }
        /* A full output buffer may hide more output even with no input
         * left; otherwise stop once the input is used up. */
        if (left == 0 && avail_out != 0) {
            *used = len;
            return 0;
        }
    }
}

/* The bytes of a member: its header is read here first; zlib is given
 * it too, ISA-L only what follows. */
static int member_bytes(kvst_input *in, const unsigned char *buf, size_t len,
                        size_t *used, drain *d)
{
    size_t h = 0;
    int rc;

    if (in->hstate != H_DONE) {
        rc = header_scan(in, buf, len, &h);
        if (rc != INF_OK)
            return fail(in, KVST_E_GZIP, inf_message[rc]);
        if (in->inflater != KVST_INFLATE_ZLIB) {
            in->bytes_in += h;
            *used = h;
            if (h == len)
                return 0;
            rc = inflate_some(in, buf + h, len - h, used, d);
            *used += h;
            return rc;
        }
    }
    return inflate_some(in, buf, len, used, d);
}

static const unsigned char gz_magic0 = GZ_MAGIC0;

/* The input is plain after all: the held 1f byte, if any, is text. */
static int become_plain(kvst_input *in, drain *d)
{
    int rc;

    in->state = ST_PLAIN;
    if (!in->held)
        return 0;
    in->held = 0;
    in->bytes_in++;
    rc = d->out(d->ctx, &gz_magic0, 1);
    return rc != 0 ? fail_out(in, rc) : 0;
}

/* The bytes at the start of the input, or after a member, are not gzip. */
static int magic_mismatch(kvst_input *in, unsigned char next, drain *d)
{
    if (!in->is_gzip)
        return become_plain(in, d);
    if (!in->held && next == 0) {
        in->state = ST_PADDING;
        return 0;
    }
    return fail(in, KVST_E_GZIP, "trailing data after gzip member");
}

static int worker_feed(kvst_input *in, const unsigned char *buf, size_t len,
                       kvst_bytes_fn out, void *ctx);

static int feed_core(kvst_input *in, const unsigned char *buf, size_t len,
                     drain *d)
{
    size_t used, i;
    int rc;

    while (len > 0) {
        /* On the caller's thread, once the worker runs, it does the rest,
         * in steps. */
        if (!d->step && in->worker_live)
            return worker_feed(in, buf, len, d->out, d->ctx);
        switch (in->state) {
        case ST_PLAIN:
            in->bytes_in += len;
            rc = d->out(d->ctx, buf, len);
            return rc != 0 ? fail_out(in, rc) : 0;
        case ST_PADDING:
            for (i = 0; i < len; i++)
                if (buf[i] != 0) {
                    in->bytes_in += i;
                    return fail(in, KVST_E_GZIP,
                                "trailing data after gzip member");
                }
            in->bytes_in += len;
            return 0;
        case ST_MAGIC:
            if (buf[0] != (in->held ? GZ_MAGIC1 : GZ_MAGIC0)) {
                rc = magic_mismatch(in, buf[0], d);
                if (rc != 0)
                    return rc;
                break;
            }
            if (!in->held) {
                in->held = 1;
                buf++;
                len--;
                break;
            }
            /* 1f 8b: a member starts with the held byte, which stays held
             * for ST_MEMBER to inflate (on whichever thread inflates);
             * the 8b is still in buf and goes to inflate with the rest. */
            rc = member_begin(in);
            if (rc != 0)
                return rc;
            break;
        case ST_MEMBER:
            if (in->held) {
                in->held = 0;
                rc = member_bytes(in, &gz_magic0, 1, &used, d);
                if (rc != 0)
                    return rc;
            }
            rc = member_bytes(in, buf, len, &used, d);
            if (rc != 0)
                return rc;
            buf += used;
            len -= used;
            if (d->paused) {
                d->left = len;
                return 0;
            }
            break;
        }
    }
    return 0;
}

/* ---- the two-thread path ---- */

/*
 * The state machine runs in steps, each taken by one thread at a time
 * (busy) over what is left of the job: a step inflates up to one buffer
 * and stops (more when the input ends on a full buffer, or on an error).
 * The worker takes steps while the queue has room and puts each buffer in
 * it. The caller takes a step itself whenever it would otherwise wait,
 * that is when the queue is empty and no step is under way: at the start
 * of each feed, while the worker sleeps between jobs, and whenever the
 * worker has been woken but not yet run (on a loaded machine that takes
 * from tens of microseconds to a scheduler tick). So two threads are never
 * slower than one for want of the worker: a feed's bytes are inflated by
 * whichever thread is free, in order, and the caller only waits while
 * the worker is in the middle of a step. Between steps the state machine
 * holds no thread's stack: all of it is in *in, and the mutex hands it
 * over.
 */

/* After a step (mu held): what is left of the job, or the job done. */
static void step_end(kvst_worker *w, int rc, drain *d)
{
    w->busy = 0;
    if (rc != 0 || !d->paused) {
        w->has_job = 0;
        w->done = 1;
        w->done_rc = rc;
    } else {
        w->job += w->job_len - d->left;
        w->job_len = d->left;
    }
}

/* The worker may take a step: a job, no step under way, and room in the
 * queue (once it was full, down to KVST_QUEUE_RESUME). */
static int worker_may_step(kvst_worker *w)
{
    if (!w->has_job || w->busy || w->stop)
        return 0;
    if (w->count == KVST_QUEUE_SLOTS)
        w->worker_waits = 1;
    if (w->worker_waits && w->count > KVST_QUEUE_RESUME)
        return 0;
    w->worker_waits = 0;
    return 1;
}

/* One step of the job, by the caller (who 0) or the worker (1): w->mu is
 * held on entry and on return, and let go while the step inflates. */
static void take_step(kvst_input *in, kvst_worker *w, drain *d, int who)
{
    const unsigned char *buf = w->job;
    size_t len = w->job_len;
    int rc;

    w->busy = 1;
    w->caller_steps = who == 0;
    w->steps[who]++;
    d->paused = 0;
    d->left = 0;
    pthread_mutex_unlock(&w->mu);
    rc = feed_core(in, buf, len, d);
    pthread_mutex_lock(&w->mu);
    w->caller_steps = 0;
    step_end(w, rc, d);
}

static void *worker_main(void *arg)
{
    kvst_input *in = (kvst_input *)arg;
    kvst_worker *w = in->w;
    drain d;

    memset(&d, 0, sizeof d);
    d.out = worker_put;
    d.ctx = in;
    d.w = w;
    d.step = 1;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->quit && !worker_may_step(w))
            pthread_cond_wait(&w->to_worker, &w->mu);
        if (w->quit)
            break;
        take_step(in, w, &d, 1);
        pthread_cond_signal(&w->to_caller);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/*
 * The caller's side of a feed: hand the chunk to the worker and pass each
 * full slot to out() in order until the chunk is used up, taking a step
 * itself whenever the queue is empty and the worker is not in a step
 * (into the queue, as the worker does, so that the worker can take the
 * next step while the caller parses this one's buffer). A slot is given
 * back only after out() returns, so no step writes into bytes out() is
 * reading.
 */
static int worker_feed(kvst_input *in, const unsigned char *buf, size_t len,
                       kvst_bytes_fn out, void *ctx)
{
    kvst_worker *w = in->w;
    queue_slot s;
    drain d;
    int rc = 0;

    memset(&s, 0, sizeof s);
    memset(&d, 0, sizeof d);
    d.out = worker_put;
    d.ctx = in;
    d.w = w;
    d.step = 1;
    pthread_mutex_lock(&w->mu);
    w->job = buf;
    w->job_len = len;
    w->has_job = 1;
    w->done = 0;
    w->cout = out;
    w->cctx = ctx;
    pthread_cond_signal(&w->to_worker);
    for (;;) {
        unsigned at;
        if (w->count == 0 && w->has_job && !w->busy && !w->stop) {
            /* Nothing to hand on and nobody inflating: the next step is
             * the caller's. */
            take_step(in, w, &d, 0);
            if (w->caller_rc != 0) {
                /* out() refused a slot that the step handed on itself. */
                rc = w->caller_rc;
                s = w->caller_fail;
                break;
            }
            rc = 0;
            if (w->has_job)
                pthread_cond_signal(&w->to_worker);
            continue;
        }
        while (w->count == 0 && !w->done && w->busy)
            pthread_cond_wait(&w->to_caller, &w->mu);
        if (w->count == 0) {
            if (w->done)
                break;
            continue;
        }
        at = w->head;
        s = w->slots[at];
        pthread_mutex_unlock(&w->mu);
        rc = out(ctx, w->data + (size_t)at * KVST_INFLATE_OUT_SIZE, s.len);
        pthread_mutex_lock(&w->mu);
        if (rc != 0)
            break;
        w->head = (at + 1) % KVST_QUEUE_SLOTS;
        w->count--;
        if (w->worker_waits && w->count <= KVST_QUEUE_RESUME)
            pthread_cond_signal(&w->to_worker);
    }
    if (rc != 0) {
        /* Stop the worker where it is (it checks before each buffer) and
         * wait until it has let go of the stage. */
        w->stop = 1;
        pthread_cond_signal(&w->to_worker);
        while (w->busy)
            pthread_cond_wait(&w->to_caller, &w->mu);
        w->has_job = 0;
        w->done = 1;
        pthread_mutex_unlock(&w->mu);
        in->bytes_in = s.bytes_in;
        in->bytes_out = s.bytes_out;
        return fail_out(in, rc);
    }
    rc = w->done_rc;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

static int two_cpus_usable(void)
{
#if defined(__linux__) && defined(CPU_COUNT)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < 2)
        return 0;
#endif
    return sysconf(_SC_NPROCESSORS_ONLN) > 1;
}

/* A whole gzip member of one byte ("x"): inflating it makes zlib allocate
 * its window now, from the reserve, instead of later on the worker. */
static const unsigned char probe_member[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x00,
    0x00, 0x83, 0x16, 0xdc, 0x8c, 0x01, 0x00, 0x00, 0x00
};

/* Set the inflater up from the worker's reserve with every block it will
 * need; 0 when the reserve does not suffice (or the inflater fails). */
static int inf_from_pool(kvst_input *in, kvst_worker *w)
{
    z_stream *zs = &in->zs;
    unsigned char one[4];
    int zr;

#if defined(KVST_HAVE_ISAL)
    if (in->inflater == KVST_INFLATE_ISAL) {
        /* One caller-allocated block, the reserve's start (aligned). */
        in->is = &((isal_block *)(void *)w->pool)->st;
        in->is_snap = ((isal_block *)(void *)w->pool)->snap;
        in->is_own = 0;
        w->pool_used = KVST_INFLATE_POOL_SIZE;
        isal_start(in->is);
        return 1;
    }
#endif
    memset(zs, 0, sizeof *zs);
    zs->zalloc = zalloc_pool;
    zs->zfree = zfree_pool;
    zs->opaque = (voidpf)w;
    if (zlib_init(in) != INF_OK)
        return 0;
    zs->next_in = (Bytef *)probe_member;
    zs->avail_in = sizeof probe_member;
    zs->next_out = one;
    zs->avail_out = sizeof one;
    zr = inflate(zs, Z_NO_FLUSH);
    if (zr != Z_STREAM_END || inflateReset(zs) != Z_OK) {
        inf_end(in);
        return 0;
    }
    return 1;
}

/*
 * At the first gzip member (caller's thread): reserve the queue and
 * zlib's memory in one block and start the worker. Returns 0, or
 * KVST_E_NOMEM when the block cannot be had. When the worker cannot run
 * (one CPU, the reserve too small for this zlib, no thread), the stage
 * stays on the caller's thread: that is a choice, not an error.
 */
static int worker_start(kvst_input *in)
{
    const size_t size = sizeof(kvst_worker) + 15u + KVST_INFLATE_POOL_SIZE +
                        (size_t)KVST_QUEUE_SLOTS * KVST_INFLATE_OUT_SIZE;
    kvst_worker *w;
    sigset_t all, old;
    uintptr_t at;
    int made = 0, rc;

    if (in->threads == KVST_INPUT_THREADS_AUTO && !two_cpus_usable()) {
        in->threads = KVST_INPUT_THREADS_ONE;
        return 0;
    }
    w = (kvst_worker *)kvst__malloc(&in->alloc, size);
    if (!w)
        return fail(in, KVST_E_NOMEM, "out of memory for the gzip buffers");
    in->threads = KVST_INPUT_THREADS_ONE; /* decided, whatever follows */
    memset(w, 0, sizeof *w);
    at = ((uintptr_t)(w + 1) + 15u) & ~(uintptr_t)15u;
    w->pool = (unsigned char *)at;
    w->data = w->pool + KVST_INFLATE_POOL_SIZE;
    if (!inf_from_pool(in, w))
        goto fallback;
    if (pthread_mutex_init(&w->mu, NULL) != 0)
        goto fallback;
    made = 1;
    if (pthread_cond_init(&w->to_worker, NULL) != 0)
        goto fallback;
    made = 2;
    if (pthread_cond_init(&w->to_caller, NULL) != 0)
        goto fallback;
    made = 3;
    in->w = w;
    /* Signals for the process stay with the caller's threads. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&w->thread, NULL, worker_main, in);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0) {
        in->worker_live = 1;
        return 0;
    }
    in->w = NULL;
fallback:
    if (made >= 3)
        pthread_cond_destroy(&w->to_caller);
    if (made >= 2)
        pthread_cond_destroy(&w->to_worker);
    if (made >= 1)
        pthread_mutex_destroy(&w->mu);
    inf_end(in);
    kvst__free(&in->alloc, w);
    return 0;
}

static void worker_join(kvst_input *in)
{
    kvst_worker *w = in->w;

    if (!in->worker_live)
        return;
    pthread_mutex_lock(&w->mu);
    w->quit = 1;
    pthread_cond_signal(&w->to_worker);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    in->worker_live = 0;
}

/* ---- the interface ---- */

int kvst__input_feed(kvst_input *in, const unsigned char *buf, size_t len,
                     kvst_bytes_fn out, void *ctx)
{
    drain d;
    int rc;

    if (in->err)
        return in->err;
    in->ramp = 0;
    memset(&d, 0, sizeof d);
    d.out = out;
    d.ctx = ctx;
    rc = feed_core(in, buf, len, &d);
    /* The stage is finished: no thread outlives an error. */
    if (rc != 0)
        worker_join(in);
    return rc;
}

int kvst__input_finish(kvst_input *in, kvst_bytes_fn out, void *ctx)
{
    drain d;

    if (in->err)
        return in->err;
    if (in->state == ST_MEMBER || (in->state == ST_MAGIC && in->held && in->is_gzip)) {
        worker_join(in);
        return fail(in, KVST_E_TRUNCATED, "gzip stream ends inside a member");
    }
    /* A single 1f byte is the whole input: plain. */
    if (in->state == ST_MAGIC && in->held) {
        memset(&d, 0, sizeof d);
        d.out = out;
        d.ctx = ctx;
        return become_plain(in, &d);
    }
    return 0;
}

const char *kvst__input_message(const kvst_input *in)
{
    return in->msg;
}

int kvst__input_is_gzip(const kvst_input *in)
{
    return in->is_gzip;
}

int kvst__input_threaded(const kvst_input *in)
{
    return in->w != NULL;
}

void kvst__input_steps(const kvst_input *in, uint64_t *caller, uint64_t *worker)
{
    *caller = *worker = 0;
    if (!in->w || !in->worker_live)
        return;
    pthread_mutex_lock(&in->w->mu);
    *caller = in->w->steps[0];
    *worker = in->w->steps[1];
    pthread_mutex_unlock(&in->w->mu);
}

uint64_t kvst__input_bytes_in(const kvst_input *in)
{
    return in->bytes_in;
}

void kvst__input_free(kvst_input *in)
{
    if (!in)
        return;
    worker_join(in);
    inf_end(in);
    if (in->w) {
        pthread_cond_destroy(&in->w->to_caller);
        pthread_cond_destroy(&in->w->to_worker);
        pthread_mutex_destroy(&in->w->mu);
        kvst__free(&in->alloc, in->w);
    }
    kvst__free(&in->alloc, in->outbuf);
    kvst__free(&in->alloc, in);
}
