/*
 * KVS data events through the public parser: the resource check
 * (KVST_F_RESOURCE_MISMATCH) at its boundaries, and every limit of every
 * data-plane member (actions 33..46) exactly at, one under and one over,
 * the cases generated from the schema tables (lib/schema.h) so that a
 * member the model adds is tested without editing this file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

#include "check.h"
#include "textbuf.h"

#define ACCOUNT "111122223333"
#define OTHER   "111122223334" /* one digit off */
#define STREAM_ARN "arn:aws:kinesisvideo:us-east-1:" ACCOUNT ":stream/front-door/1600000000000"
#define CHANNEL_ARN "arn:aws:kinesisvideo:us-east-1:" ACCOUNT ":channel/doorbell/1600000000001"
#define STREAM_RES "{\"type\":\"AWS::KinesisVideo::Stream\",\"ARN\":\"" STREAM_ARN "\"}"
#define CHANNEL_RES \
    "{\"type\":\"AWS::KinesisVideo::SignalingChannel\",\"ARN\":\"" CHANNEL_ARN "\"}"

/* ---- Texts (tests/textbuf.h) ---------------------------------------------- */

typedef textbuf text;

static void adds(text *t, const char *s) { textbuf_add(t, s, strlen(s)); }

/* ---- One record, parsed ---------------------------------------------------- */

typedef struct parsed {
    kvst_parser *p;
    const kvst_event *ev;
} parsed;

/* A data event (managementEvent false, eventCategory Data) of action name
 * with the given requestParameters, responseElements and resources (JSON
 * texts, NULL to leave out) and recipientAccountId. */
static text record(const char *name, const char *request, const char *response,
                   const char *resources, const char *recipient, int data)
{
    text t = { NULL, 0, 0 };
    adds(&t, "{\"eventVersion\":\"1.09\",\"eventTime\":\"2026-11-30T10:00:00Z\","
             "\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"");
    adds(&t, name);
    adds(&t, "\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"198.51.100.1\","
             "\"userAgent\":\"test\",\"userIdentity\":{\"type\":\"IAMUser\","
             "\"principalId\":\"AIDAEXAMPLE\",\"arn\":\"arn:aws:iam::" ACCOUNT ":user/u\","
             "\"accountId\":\"" ACCOUNT "\",\"accessKeyId\":\"AKIAEXAMPLE\"},"
             "\"requestID\":\"5f6c2a10-0000-4000-8000-000000000001\","
             "\"eventID\":\"9d0e1f20-0000-4000-8000-000000000001\",\"readOnly\":true,"
             "\"eventType\":\"AwsApiCall\"");
    adds(&t, data ? ",\"managementEvent\":false,\"eventCategory\":\"Data\""
                  : ",\"managementEvent\":true,\"eventCategory\":\"Management\"");
    if (recipient != NULL) {
        adds(&t, ",\"recipientAccountId\":\"");
        adds(&t, recipient);
        adds(&t, "\"");
    }
    if (request != NULL) {
        adds(&t, ",\"requestParameters\":");
        adds(&t, request);
    }
    if (response != NULL) {
        adds(&t, ",\"responseElements\":");
        adds(&t, response);
    }
    if (resources != NULL) {
        adds(&t, ",\"resources\":");
        adds(&t, resources);
    }
    adds(&t, "}");
    return t;
}

static parsed parse(const text *t)
{
    parsed r = { NULL, NULL };
    int rc = kvst_parser_new(NULL, &r.p);
    CHECK_EQ(rc, 0);
    if (rc != 0)
        return r;
    CHECK_EQ(kvst_parser_feed(r.p, t->data, t->len), 0);
    CHECK_EQ(kvst_parser_finish(r.p), 0);
    CHECK_EQ(kvst_parser_next(r.p, &r.ev), 1);
    if (r.ev == NULL || r.ev->status != 0) {
        fprintf(stderr, "not parsed: %s\n", t->data);
        r.ev = NULL;
    }
    return r;
}

/* Findings of code at pointer (any pointer when NULL). */
static int count(const kvst_event *ev, uint32_t code, const char *pointer)
{
    size_t i;
    int n = 0;
    for (i = 0; ev != NULL && i < ev->finding_count; i++) {
        const kvst_finding *f = ev->findings[i];
        if (f->code == code &&
            (pointer == NULL || (f->pointer.len == strlen(pointer) &&
                                 memcmp(f->pointer.ptr, pointer, f->pointer.len) == 0)))
            n++;
    }
    return n;
}

static void dump(const kvst_event *ev)
{
    size_t i;
    for (i = 0; ev != NULL && i < ev->finding_count; i++)
        fprintf(stderr, "    %s at %s: %s\n", kvst_finding_name(ev->findings[i]->code),
                ev->findings[i]->pointer.ptr, ev->findings[i]->message.ptr);
}

/* One record; the number of RESOURCE_MISMATCH findings at pointer (and
 * anywhere) must be as given. */
static void expect(const char *what, const char *name, const char *request,
                   const char *resources, const char *recipient, int data,
                   const char *pointer, int want)
{
    text t = record(name, request, NULL, resources, recipient, data);
    parsed r = parse(&t);
    int here = count(r.ev, KVST_F_RESOURCE_MISMATCH, pointer);
    int all = count(r.ev, KVST_F_RESOURCE_MISMATCH, NULL);
    CHECK(r.ev != NULL);
    CHECK_EQ(here, want);
    CHECK_EQ(all, want);
    if (here != want || all != want) {
        fprintf(stderr, "  case: %s\n", what);
        dump(r.ev);
    }
    kvst_parser_free(r.p);
    free(t.data);
}

/* ---- The resource check ---------------------------------------------------- */

static void test_resource_mismatch(void)
{
    const char *sarn = "/requestParameters/streamARN";
    const char *sname = "/requestParameters/streamName";

    /* The ARN, the stream's resource and the account agree. */
    expect("same account", "GetMedia", "{\"streamARN\":\"" STREAM_ARN "\"}",
           "[" STREAM_RES "]", ACCOUNT, 1, sarn, 0);
    /* The request's ARN in another account than the trail's. */
    expect("other account", "GetMedia", "{\"streamARN\":\"" STREAM_ARN "\"}",
           "[" STREAM_RES "]", OTHER, 1, sarn, 1);
    /* The same on a management event is not a data event's disagreement:
     * KVST_F_ARN_OTHER_ACCOUNT (info) says it. */
    expect("other account, management", "GetMedia", "{\"streamARN\":\"" STREAM_ARN "\"}",
           "[" STREAM_RES "]", OTHER, 0, sarn, 0);
    {
        text t = record("GetMedia", "{\"streamARN\":\"" STREAM_ARN "\"}", NULL,
                        "[" STREAM_RES "]", OTHER, 0);
        parsed r = parse(&t);
        CHECK_EQ(count(r.ev, KVST_F_ARN_OTHER_ACCOUNT, sarn), 1);
        kvst_parser_free(r.p);
        free(t.data);
        t = record("GetMedia", "{\"streamARN\":\"" STREAM_ARN "\"}", NULL,
                   "[" STREAM_RES "]", OTHER, 1);
        r = parse(&t);
        /* a data event says it once, as the warning */
        CHECK_EQ(count(r.ev, KVST_F_ARN_OTHER_ACCOUNT, NULL), 0);
        kvst_parser_free(r.p);
        free(t.data);
    }
    /* No recipientAccountId: nothing to compare with. */
    expect("no recipient", "GetMedia", "{\"streamARN\":\"" STREAM_ARN "\"}",
           "[" STREAM_RES "]", NULL, 1, sarn, 0);

    /* streamName against the name in the resource's ARN: equal, one
     * character changed, one more, one fewer. */
    expect("name equal", "GetMedia", "{\"streamName\":\"front-door\"}",
           "[" STREAM_RES "]", ACCOUNT, 1, sname, 0);
    expect("name one changed", "GetMedia", "{\"streamName\":\"front-doos\"}",
           "[" STREAM_RES "]", ACCOUNT, 1, sname, 1);
    expect("name one more", "GetMedia", "{\"streamName\":\"front-doorx\"}",
           "[" STREAM_RES "]", ACCOUNT, 1, sname, 1);
    expect("name one fewer", "GetMedia", "{\"streamName\":\"front-doo\"}",
           "[" STREAM_RES "]", ACCOUNT, 1, sname, 1);
    /* A request by name: the resource's ARN carries the account. */
    expect("by name, resource in another account", "GetMedia",
           "{\"streamName\":\"front-door\"}", "[" STREAM_RES "]", OTHER, 1,
           "/resources/0/ARN", 1);
    /* The finding names the resource by its index: the first, the tenth
     * (the last of one digit) and the eleventh, after S3 objects. */
    {
        static const size_t at[] = { 0, 9, 10 };
        size_t k, i;
        for (k = 0; k < sizeof at / sizeof at[0]; k++) {
            text res = { NULL, 0, 0 }, t;
            parsed r;
            char pointer[32], want[32];
            const kvst_finding *f = NULL;
            adds(&res, "[");
            for (i = 0; i < at[k]; i++)
                adds(&res, "{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::b/k\"},");
            adds(&res, STREAM_RES "]");
            textbuf_add(&res, "", 1);
            t = record("GetMedia", "{\"streamName\":\"front-door\"}", NULL, res.data, OTHER, 1);
            r = parse(&t);
            snprintf(pointer, sizeof pointer, "/resources/%zu/ARN", at[k]);
            snprintf(want, sizeof want, "resources[%zu].ARN '", at[k]);
            CHECK_EQ(count(r.ev, KVST_F_RESOURCE_MISMATCH, pointer), 1);
            for (i = 0; r.ev != NULL && i < r.ev->finding_count; i++)
                if (r.ev->findings[i]->code == KVST_F_RESOURCE_MISMATCH)
                    f = r.ev->findings[i];
            CHECK(f != NULL && strncmp(f->message.ptr, want, strlen(want)) == 0);
            CHECK(f != NULL && strstr(f->message.ptr, "is in account " ACCOUNT
                                      ", not the record's recipientAccountId " OTHER) != NULL);
            kvst_parser_free(r.p);
            free(t.data);
            free(res.data);
        }
    }
    /* The ARN of the stream one character off (creation time, name). */
    expect("ARN one digit off", "GetMedia",
           "{\"streamARN\":\"arn:aws:kinesisvideo:us-east-1:" ACCOUNT
           ":stream/front-door/1600000000001\"}",
           "[" STREAM_RES "]", ACCOUNT, 1, sarn, 1);
    expect("ARN name one off", "GetClip",
           "{\"streamARN\":\"arn:aws:kinesisvideo:us-east-1:" ACCOUNT
           ":stream/front-doos/1600000000000\"}",
           "[" STREAM_RES "]", ACCOUNT, 1, sarn, 1);
    /* Both members, both agreeing; then the name alone wrong. */
    expect("ARN and name", "GetHLSStreamingSessionURL",
           "{\"streamARN\":\"" STREAM_ARN "\",\"streamName\":\"front-door\"}",
           "[" STREAM_RES "]", ACCOUNT, 1, sname, 0);
    expect("ARN right, name wrong", "GetHLSStreamingSessionURL",
           "{\"streamARN\":\"" STREAM_ARN "\",\"streamName\":\"back-door\"}",
           "[" STREAM_RES "]", ACCOUNT, 1, sname, 1);

    /* Channel ARNs: channelARN (signaling, ConnectAs*) and channelArn
     * (webrtc-storage), each matching, off by one, in another account. */
    expect("channelARN", "GetIceServerConfig", "{\"channelARN\":\"" CHANNEL_ARN "\"}",
           "[" CHANNEL_RES "]", ACCOUNT, 1, "/requestParameters/channelARN", 0);
    expect("ConnectAsMaster channelARN", "ConnectAsMaster",
           "{\"channelARN\":\"" CHANNEL_ARN "\"}", "[" CHANNEL_RES "]", ACCOUNT, 1,
           "/requestParameters/channelARN", 0);
    expect("channelARN off", "ConnectAsViewer",
           "{\"channelARN\":\"arn:aws:kinesisvideo:us-east-1:" ACCOUNT
           ":channel/doorbelk/1600000000001\",\"clientId\":\"v\"}",
           "[" CHANNEL_RES "]", ACCOUNT, 1, "/requestParameters/channelARN", 1);
    expect("channelArn", "JoinStorageSession", "{\"channelArn\":\"" CHANNEL_ARN "\"}",
           "[" CHANNEL_RES "]", ACCOUNT, 1, "/requestParameters/channelArn", 0);
    expect("channelArn off", "JoinStorageSessionAsViewer",
           "{\"channelArn\":\"arn:aws:kinesisvideo:us-east-1:" ACCOUNT
           ":channel/doorbell/1600000000002\",\"clientId\":\"v\"}",
           "[" CHANNEL_RES "]", ACCOUNT, 1, "/requestParameters/channelArn", 1);
    expect("channelArn other account", "JoinStorageSession",
           "{\"channelArn\":\"" CHANNEL_ARN "\"}", "[" CHANNEL_RES "]", OTHER, 1,
           "/requestParameters/channelArn", 1);

    /* No resources: nothing to disagree with, but the account still. */
    expect("no resources", "GetMedia", "{\"streamName\":\"front-door\"}", NULL, ACCOUNT,
           1, sname, 0);
    expect("empty resources", "GetMedia", "{\"streamARN\":\"" STREAM_ARN "\"}", "[]",
           ACCOUNT, 1, sarn, 0);
    expect("no resources, other account", "GetMedia", "{\"streamARN\":\"" STREAM_ARN "\"}",
           NULL, OTHER, 1, sarn, 1);
    /* Resources of another service only: not KVS's to compare. */
    expect("S3 resource only", "GetMedia", "{\"streamARN\":\"" STREAM_ARN "\"}",
           "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::b/k\"}]", ACCOUNT, 1,
           sarn, 0);

    /* The resource of the other kind: a stream named where only a channel
     * is listed, and a channel where only a stream is. */
    expect("stream against a channel resource", "GetMedia",
           "{\"streamARN\":\"" STREAM_ARN "\"}", "[" CHANNEL_RES "]", ACCOUNT, 1, sarn, 1);
    expect("stream name against a channel resource", "GetMedia",
           "{\"streamName\":\"front-door\"}", "[" CHANNEL_RES "]", ACCOUNT, 1, sname, 1);
    expect("channel against a stream resource", "GetIceServerConfig",
           "{\"channelARN\":\"" CHANNEL_ARN "\"}", "[" STREAM_RES "]", ACCOUNT, 1,
           "/requestParameters/channelARN", 1);
    /* Both kinds listed: each member finds its own. */
    expect("both kinds", "GetMedia", "{\"streamARN\":\"" STREAM_ARN "\"}",
           "[" CHANNEL_RES "," STREAM_RES "]", ACCOUNT, 1, sarn, 0);

    /* A resource's accountId against its own ARN. */
    expect("resource accountId", "GetMedia", "{\"streamARN\":\"" STREAM_ARN "\"}",
           "[{\"type\":\"AWS::KinesisVideo::Stream\",\"ARN\":\"" STREAM_ARN
           "\",\"accountId\":\"" OTHER "\"}]",
           ACCOUNT, 1, "/resources/0/accountId", 1);
    expect("resource accountId agrees", "GetMedia", "{\"streamARN\":\"" STREAM_ARN "\"}",
           "[{\"type\":\"AWS::KinesisVideo::Stream\",\"ARN\":\"" STREAM_ARN
           "\",\"accountId\":\"" ACCOUNT "\"}]",
           ACCOUNT, 1, "/resources/0/accountId", 0);
}

/* ---- Every limit of every data-plane member ---------------------------------- */

static int tested_strings, tested_numbers, tested_counts;

/* A JSON value of shape with n characters (strings) or entries (lists,
 * maps), or the number v; the other limits of the shape need not hold. */
static void value_of(text *t, const kvst_shape *shape, long long n, long long v)
{
    char num[32];
    long long i;
    switch (shape->type) {
    case KVST_TYPE_STRING:
        adds(t, "\"");
        for (i = 0; i < n; i++)
            textbuf_add(t, "a", 1);
        adds(t, "\"");
        break;
    case KVST_TYPE_INTEGER:
    case KVST_TYPE_LONG:
    case KVST_TYPE_DOUBLE:
        snprintf(num, sizeof num, "%lld", v);
        adds(t, num);
        break;
    case KVST_TYPE_LIST:
        adds(t, "[");
        for (i = 0; i < n; i++) {
            if (i)
                adds(t, ",");
            value_of(t, shape->item, shape->item->has_min ? shape->item->min : 1,
                     shape->item->has_min ? shape->item->min : 0);
        }
        adds(t, "]");
        break;
    case KVST_TYPE_MAP:
        adds(t, "{");
        for (i = 0; i < n; i++) {
            snprintf(num, sizeof num, "%s\"k%lld\":", i ? "," : "", i);
            adds(t, num);
            value_of(t, shape->item, shape->item->has_min ? shape->item->min : 1,
                     shape->item->has_min ? shape->item->min : 0);
        }
        adds(t, "}");
        break;
    case KVST_TYPE_STRUCTURE:
        adds(t, "{}");
        break;
    case KVST_TYPE_BOOLEAN:
        adds(t, "true");
        break;
    default:
        adds(t, "1764496800");
        break;
    }
}

/* The path of members from the payload down to the one under test. */
typedef struct path {
    const kvst_member_def *m[8];
    int depth;
} path;

static void one_case(const kvst_operation_def *op, int request, const path *pa,
                     long long n, long long v, uint32_t code, int over)
{
    text payload = { NULL, 0, 0 }, pointer = { NULL, 0, 0 }, t;
    parsed r;
    int i, got;
    const kvst_shape *shape = pa->m[pa->depth - 1]->shape;

    adds(&pointer, request ? "/requestParameters" : "/responseElements");
    for (i = 0; i < pa->depth; i++) {
        adds(&payload, "{\"");
        adds(&payload, pa->m[i]->json_name);
        adds(&payload, "\":");
        adds(&pointer, "/");
        adds(&pointer, pa->m[i]->json_name);
    }
    value_of(&payload, shape, n, v);
    for (i = 0; i < pa->depth; i++)
        adds(&payload, "}");
    t = record(op->name, request ? payload.data : "{}", request ? NULL : payload.data, NULL,
               ACCOUNT, 1);
    r = parse(&t);
    got = count(r.ev, code, pointer.data);
    CHECK(r.ev != NULL);
    CHECK_EQ(got, over);
    if (got != over) {
        fprintf(stderr, "  %s %s: %s with %lld (%lld) wants %d %s\n", op->name, pointer.data,
                shape->name, n, v, over, kvst_finding_name(code));
        dump(r.ev);
    }
    kvst_parser_free(r.p);
    free(t.data);
    free(payload.data);
    free(pointer.data);
}

/* At, one under and one over each limit of the member at the end of pa. */
static void limits_of(const kvst_operation_def *op, int request, const path *pa)
{
    const kvst_shape *s = pa->m[pa->depth - 1]->shape;
    long long lo = s->has_min ? s->min : 0, hi = s->max;

    switch (s->type) {
    case KVST_TYPE_STRING:
        if (s->enum_count > 0 || (!s->has_min && !s->has_max))
            return;
        tested_strings++;
        if (s->has_min && lo > 0)
            one_case(op, request, pa, lo - 1, 0, KVST_F_MEMBER_LENGTH, 1);
        one_case(op, request, pa, lo, 0, KVST_F_MEMBER_LENGTH, 0);
        if (s->has_min)
            one_case(op, request, pa, lo + 1, 0, KVST_F_MEMBER_LENGTH, 0);
        if (s->has_max && hi <= 65536) {
            one_case(op, request, pa, hi - 1, 0, KVST_F_MEMBER_LENGTH, 0);
            one_case(op, request, pa, hi, 0, KVST_F_MEMBER_LENGTH, 0);
            one_case(op, request, pa, hi + 1, 0, KVST_F_MEMBER_LENGTH, 1);
        }
        break;
    case KVST_TYPE_INTEGER:
    case KVST_TYPE_LONG:
    case KVST_TYPE_DOUBLE:
        if (!s->has_min && !s->has_max)
            return;
        tested_numbers++;
        if (s->has_min) {
            one_case(op, request, pa, 0, lo - 1, KVST_F_MEMBER_RANGE, 1);
            one_case(op, request, pa, 0, lo, KVST_F_MEMBER_RANGE, 0);
            one_case(op, request, pa, 0, lo + 1, KVST_F_MEMBER_RANGE, 0);
        }
        if (s->has_max) {
            one_case(op, request, pa, 0, hi - 1, KVST_F_MEMBER_RANGE, 0);
            one_case(op, request, pa, 0, hi, KVST_F_MEMBER_RANGE, 0);
            one_case(op, request, pa, 0, hi + 1, KVST_F_MEMBER_RANGE, 1);
        }
        break;
    case KVST_TYPE_LIST:
    case KVST_TYPE_MAP:
        if (!s->has_min && !s->has_max)
            return;
        tested_counts++;
        if (s->has_min && lo > 0)
            one_case(op, request, pa, lo - 1, 0, KVST_F_MEMBER_COUNT, 1);
        one_case(op, request, pa, lo, 0, KVST_F_MEMBER_COUNT, 0);
        if (s->has_max && hi <= 10000) {
            one_case(op, request, pa, hi, 0, KVST_F_MEMBER_COUNT, 0);
            one_case(op, request, pa, hi + 1, 0, KVST_F_MEMBER_COUNT, 1);
        }
        break;
    default:
        break;
    }
}

static void walk(const kvst_operation_def *op, int request, const kvst_shape *shape, path *pa)
{
    uint32_t i;
    if (shape == NULL || shape->type != KVST_TYPE_STRUCTURE ||
        pa->depth >= (int)(sizeof pa->m / sizeof pa->m[0]))
        return;
    for (i = 0; i < shape->member_count; i++) {
        pa->m[pa->depth++] = &shape->members[i];
        limits_of(op, request, pa);
        walk(op, request, shape->members[i].shape, pa);
        pa->depth--;
    }
}

static void test_data_plane_limits(void)
{
    uint32_t a;
    for (a = KVST_ACTION_GET_MEDIA; a <= KVST_ACTION_CONNECT_AS_VIEWER; a++) {
        path pa;
        pa.depth = 0;
        walk(&kvst__operations[a], 1, kvst__operations[a].input, &pa);
        pa.depth = 0;
        walk(&kvst__operations[a], 0, kvst__operations[a].output, &pa);
    }
    /* The models have limits of each kind: a table that lost them would
     * make this test pass on nothing. */
    printf("data-plane limits: %d string, %d number, %d count members\n", tested_strings,
           tested_numbers, tested_counts);
    CHECK(tested_strings >= 20);
    CHECK(tested_numbers >= 4);
    CHECK(tested_counts >= 2);
}

int main(void)
{
    test_resource_mismatch();
    test_data_plane_limits();
    return check_done("validate-data-events");
}
