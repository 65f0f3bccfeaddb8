/*
 * kvst_event_to_json() on hand-built events: the JSON Lines contract byte
 * for byte (key order, null for absent, escapes, typed payloads walked
 * through the schema tables, findings, broken records), snprintf-style
 * truncation, and that every line is one valid JSON text (checked with
 * yajl's tree parser).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "schema.h"

#include "check.h"

static kvst_str S(const char *s)
{
    kvst_str v;
    v.ptr = s;
    v.len = s != NULL ? strlen(s) : 0;
    return v;
}

static kvst_value v_string(const char *s)
{
    kvst_value v;
    memset(&v, 0, sizeof v);
    v.state = KVST_VALUE_OK;
    v.json_type = KVST_JSON_STRING;
    v.model_type = KVST_TYPE_STRING;
    v.text = S(s);
    return v;
}

static kvst_value v_int(int64_t i, const char *text)
{
    kvst_value v;
    memset(&v, 0, sizeof v);
    v.state = KVST_VALUE_OK;
    v.json_type = KVST_JSON_INTEGER;
    v.model_type = KVST_TYPE_INTEGER;
    v.text = S(text);
    v.i = i;
    v.d = (double)i;
    return v;
}

static kvst_value v_state(uint32_t state, uint32_t json_type,
                          uint32_t model_type, const char *text)
{
    kvst_value v;
    memset(&v, 0, sizeof v);
    v.state = state;
    v.json_type = json_type;
    v.model_type = model_type;
    v.text = S(text);
    return v;
}

static kvst_value v_object(const void *object)
{
    kvst_value v;
    memset(&v, 0, sizeof v);
    v.state = KVST_VALUE_OK;
    v.json_type = KVST_JSON_OBJECT;
    v.model_type = KVST_TYPE_STRUCTURE;
    v.object = object;
    return v;
}

static kvst_value v_list(const kvst_value *items, size_t count)
{
    kvst_value v;
    memset(&v, 0, sizeof v);
    v.state = KVST_VALUE_OK;
    v.json_type = KVST_JSON_ARRAY;
    v.model_type = KVST_TYPE_LIST;
    v.items = items;
    v.count = count;
    return v;
}

static kvst_value v_map(const kvst_str *keys, const kvst_value *items,
                        size_t count)
{
    kvst_value v = v_list(items, count);
    v.json_type = KVST_JSON_OBJECT;
    v.model_type = KVST_TYPE_MAP;
    v.keys = keys;
    return v;
}

static void init_event(kvst_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->struct_size = sizeof *ev;
    ev->read_only = KVST_BOOL_ABSENT;
    ev->management_event = KVST_BOOL_ABSENT;
    ev->session_credential_from_console = KVST_BOOL_ABSENT;
}

/* Whether text is exactly one JSON value, per yajl. */
static int is_json(const char *text)
{
    char err[128];
    yajl_val v = yajl_tree_parse(text, err, sizeof err);
    if (v == NULL) {
        fprintf(stderr, "not JSON (%s): %s\n", err, text);
        return 0;
    }
    yajl_tree_free(v);
    return 1;
}

/* Render, check the length contract and that the line is valid JSON, and
 * compare with the expected text. */
static void expect(const kvst_event *ev, const char *file, const char *want,
                   size_t want_len, int line)
{
    size_t n = kvst_event_to_json(ev, file, NULL, 0);
    char *buf = malloc(n + 1);

    if (buf == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    CHECK(kvst_event_to_json(ev, file, buf, n + 1) == n);
    CHECK(strlen(buf) == n);
    CHECK(memchr(buf, '\n', n) == NULL);
    if (n != want_len || memcmp(buf, want, n) != 0) {
        fprintf(stderr, "%s:%d: output differs\n  want: %.*s\n  got:  %s\n",
                __FILE__, line, (int)want_len, want, buf);
        check_failures++;
    }
    CHECK(is_json(buf));
    free(buf);
}

#define EXPECT(ev, file, want) expect((ev), (file), (want), sizeof(want) - 1, __LINE__)

/* Pieces of the expected lines that several events share. */
#define NEW_ENVELOPE                                                       \
    "\"apiVersion\":null,\"managementEvent\":null,\"sharedEventID\":null,"  \
    "\"vpcEndpointId\":null,\"vpcEndpointAccountId\":null,"                 \
    "\"eventCategory\":null,\"sessionCredentialFromConsole\":null,"
#define IDENTITY_TAIL                                                      \
    ",\"principalId\":null,\"accessKeyId\":null,\"assumedRoot\":false,"     \
    "\"imdsv1\":false,\"issuerType\":null,\"issuerName\":null,"             \
    "\"issuerArn\":null,\"issuerAccountId\":null,\"onBehalfOfUserId\":null,"\
    "\"identityStoreArn\":null,\"otherAccountId\":null"
#define NULL_TAIL                                                          \
    "\"additionalEventData\":null,\"serviceEventDetails\":null,"            \
    "\"insightDetails\":null,\"resources\":null,\"tlsDetails\":null,"       \
    "\"addendum\":null,"
#define AT_ORIGIN \
    "{\"file\":null,\"record\":0,\"offset\":0,\"line\":0,\"column\":0,"
#define NULL_ENVELOPE                                                      \
    "\"eventVersion\":null,\"eventTime\":null,\"eventSource\":null,"          \
    "\"eventName\":null,\"awsRegion\":null,\"sourceIPAddress\":null,"         \
    "\"userAgent\":null,\"requestID\":null,\"eventID\":null,"                 \
    "\"eventType\":null,\"recipientAccountId\":null,\"readOnly\":null,"       \
    "\"errorCode\":null,\"errorMessage\":null," NEW_ENVELOPE              \
    "\"outcome\":\"success\","
#define CREATE_STREAM_HEAD(file)                                           \
    "{\"file\":" file ",\"record\":0,\"offset\":14,\"line\":2,\"column\":5,"  \
    "\"eventVersion\":null,\"eventTime\":null,"                              \
    "\"eventSource\":\"kinesisvideo.amazonaws.com\","                        \
    "\"eventName\":\"CreateStream\",\"awsRegion\":null,"                     \
    "\"sourceIPAddress\":null,\"userAgent\":null,\"requestID\":null,"         \
    "\"eventID\":null,\"eventType\":null,\"recipientAccountId\":null,"        \
    "\"readOnly\":null,\"errorCode\":null,\"errorMessage\":null,"          \
    NEW_ENVELOPE "\"outcome\":\"success\","                                \
    "\"action\":\"CreateStream\",\"access\":\"config-write\","
#define ROLE_IDENTITY(user, issuer)                                        \
    "\"userIdentity\":" user ","                                            \
    "\"identity\":{\"type\":\"AssumedRole\",\"principal\":\"AssumedRole\","   \
    "\"credential\":\"temporary\",\"rootOrIamUser\":false,"                  \
    "\"roleOrFederatedTemporary\":true,\"awsService\":false,\"mfa\":null,"    \
    "\"console\":false,\"crossAccount\":true,\"rootAccessKey\":false,"        \
    "\"invokedBy\":null,"                                                   \
    "\"arn\":\"arn:aws:sts::123456789012:assumed-role/Admin/alice\","         \
    "\"accountId\":\"123456789012\",\"userName\":null,"                      \
    "\"sessionIssuer\":" issuer IDENTITY_TAIL "},"
#define IAM_IDENTITY(mfa)                                                  \
    "\"userIdentity\":null,"                                                \
    "\"identity\":{\"type\":null,\"principal\":\"IAMUser\","                 \
    "\"credential\":\"long-term\",\"rootOrIamUser\":true,"                   \
    "\"roleOrFederatedTemporary\":false,\"awsService\":false,"               \
    "\"mfa\":" mfa ",\"console\":true,\"crossAccount\":false,"               \
    "\"rootAccessKey\":false,"                                              \
    "\"invokedBy\":\"kinesisvideo.amazonaws.com\",\"arn\":null,"             \
    "\"accountId\":null,\"userName\":\"alice\",\"sessionIssuer\":null"     \
    IDENTITY_TAIL "},"

static void test_empty_event(void)
{
    kvst_event ev;

    init_event(&ev);
    EXPECT(&ev, NULL,
           AT_ORIGIN NULL_ENVELOPE "\"action\":null,\"access\":null,"
           "\"userIdentity\":null,\"identity\":null,\"request\":null,\"response\":null,"
           NULL_TAIL "\"findings\":[]}");

    /* NULL event: nothing to print, still a terminated buffer. */
    {
        char buf[4] = "xyz";
        CHECK(kvst_event_to_json(NULL, "f", buf, sizeof buf) == 0);
        CHECK(buf[0] == '\0');
    }
}

/* A non-KVS record with every envelope string set, escapes included. */
static void test_envelope_escapes(void)
{
    static const char agent[] = "a\"b\\c\n\r\t\b\f\x01\x1f\x7f" "\xc3\xa9" "\0z";
    kvst_event ev;

    init_event(&ev);
    ev.record_index = 7;
    ev.offset = 12345678901ull;
    ev.line = 3;
    ev.column = 9;
    ev.event_version = S("1.08");
    ev.event_time = S("2018-05-25T17:06:26Z");
    ev.event_source = S("s3.amazonaws.com");
    ev.event_name = S("GetObject");
    ev.aws_region = S("us-east-1");
    ev.source_ip_address = S("192.0.2.1");
    ev.user_agent.ptr = agent;
    ev.user_agent.len = sizeof agent - 1; /* the NUL and 'z' included */
    ev.request_id = S("r-1");
    ev.event_id = S("e-1");
    ev.event_type = S("AwsApiCall");
    ev.recipient_account_id = S("123456789012");
    ev.read_only = KVST_BOOL_TRUE;
    ev.error_code = S("");
    ev.error_message = S("/slash/ stays");
    EXPECT(&ev, "dir/a \"b\".json",
           "{\"file\":\"dir/a \\\"b\\\".json\",\"record\":7,"
           "\"offset\":12345678901,\"line\":3,\"column\":9,"
           "\"eventVersion\":\"1.08\",\"eventTime\":\"2018-05-25T17:06:26Z\","
           "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
           "\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"192.0.2.1\","
           "\"userAgent\":\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\x7f"
           "\xc3\xa9\\u0000z\","
           "\"requestID\":\"r-1\",\"eventID\":\"e-1\",\"eventType\":\"AwsApiCall\","
           "\"recipientAccountId\":\"123456789012\",\"readOnly\":true,"
           "\"errorCode\":\"\",\"errorMessage\":\"/slash/ stays\"," NEW_ENVELOPE "\"outcome\":\"failure\","
           "\"action\":null,\"access\":null,\"userIdentity\":null,\"identity\":null,\"request\":null,"
           "\"response\":null," NULL_TAIL "\"findings\":[]}");

    ev.read_only = KVST_BOOL_FALSE;
    ev.user_agent = S("ua");
    ev.error_code.ptr = NULL;
    ev.error_message.ptr = NULL;
    EXPECT(&ev, NULL,
           "{\"file\":null,\"record\":7,\"offset\":12345678901,\"line\":3,"
           "\"column\":9,\"eventVersion\":\"1.08\","
           "\"eventTime\":\"2018-05-25T17:06:26Z\","
           "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
           "\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"192.0.2.1\","
           "\"userAgent\":\"ua\",\"requestID\":\"r-1\",\"eventID\":\"e-1\","
           "\"eventType\":\"AwsApiCall\",\"recipientAccountId\":\"123456789012\","
           "\"readOnly\":false,\"errorCode\":null,\"errorMessage\":null," NEW_ENVELOPE "\"outcome\":\"success\","
           "\"action\":null,\"access\":null,\"userIdentity\":null,\"identity\":null,\"request\":null,"
           "\"response\":null," NULL_TAIL "\"findings\":[]}");
}

/* The pieces of a CreateStream event, kept alive for the whole test. */
static kvst_kvs_stream_storage_configuration storage;
static kvst_str tag_keys[2];
static kvst_value tag_values[2];
static kvst_kvs_create_stream_input cs_in;
static kvst_kvs_create_stream_output cs_out;
static kvst_session_issuer issuer;
static kvst_session_context session;
static kvst_user_identity uid;
static kvst_identity_info ident;
static kvst_finding finding_a, finding_b;
static const kvst_finding *findings[2];

static void build_create_stream(kvst_event *ev)
{
    init_event(ev);
    ev->action = KVST_ACTION_CREATE_STREAM;
    ev->access = KVST_ACCESS_CONFIG_WRITE;
    ev->record_index = 0;
    ev->offset = 14;
    ev->line = 2;
    ev->column = 5;
    ev->event_name = S("CreateStream");
    ev->event_source = S("kinesisvideo.amazonaws.com");

    memset(&storage, 0, sizeof storage);
    storage.struct_size = sizeof storage;
    storage.default_storage_tier = v_string("HOT");

    tag_keys[0] = S("team");
    tag_keys[1] = S("k\"2");
    tag_values[0] = v_string("video");
    tag_values[1] = v_state(KVST_VALUE_NULL, KVST_JSON_NULL, KVST_TYPE_STRING,
                            NULL);

    memset(&cs_in, 0, sizeof cs_in);
    cs_in.struct_size = sizeof cs_in;
    cs_in.device_name = v_state(KVST_VALUE_NULL, KVST_JSON_NULL,
                                KVST_TYPE_STRING, NULL);
    cs_in.stream_name = v_string("VideoStream");
    /* media_type stays ABSENT: not printed at all. */
    cs_in.kms_key_id = v_string("arn:aws:kms:us-east-1:123456789012:alias");
    /* An integer written as a string: kept as the text it was. */
    cs_in.data_retention_in_hours = v_state(KVST_VALUE_MISTYPED,
                                            KVST_JSON_STRING,
                                            KVST_TYPE_INTEGER, "24");
    cs_in.tags = v_map(tag_keys, tag_values, 2);
    cs_in.stream_storage_configuration = v_object(&storage);
    ev->request = &cs_in;
    ev->request_state = KVST_VALUE_OK;

    memset(&cs_out, 0, sizeof cs_out);
    cs_out.struct_size = sizeof cs_out;
    cs_out.stream_arn = v_string(
        "arn:aws:kinesisvideo:us-east-1:123456789012:stream/VideoStream/1");
    ev->response = &cs_out;
    ev->response_state = KVST_VALUE_OK;

    memset(&issuer, 0, sizeof issuer);
    issuer.struct_size = sizeof issuer;
    issuer.type = S("Role");
    issuer.principal_id = S("AROAEXAMPLE");
    issuer.arn = S("arn:aws:iam::123456789012:role/Admin");
    issuer.account_id = S("123456789012");
    issuer.user_name = S("Admin");
    memset(&session, 0, sizeof session);
    session.struct_size = sizeof session;
    session.session_issuer = &issuer;
    memset(&uid, 0, sizeof uid);
    uid.struct_size = sizeof uid;
    uid.type = S("AssumedRole");
    uid.session_context = &session;
    ev->user_identity = &uid;

    memset(&ident, 0, sizeof ident);
    ident.struct_size = sizeof ident;
    ident.principal = KVST_PRINCIPAL_ASSUMED_ROLE;
    ident.credential = KVST_CREDENTIAL_TEMPORARY;
    ident.role_or_federated_temporary = 1;
    ident.mfa = KVST_BOOL_ABSENT;
    ident.cross_account = 1;
    ident.type = S("AssumedRole");
    ident.arn = S("arn:aws:sts::123456789012:assumed-role/Admin/alice");
    ident.account_id = S("123456789012");
    ev->identity = &ident;

    memset(&finding_a, 0, sizeof finding_a);
    finding_a.struct_size = sizeof finding_a;
    finding_a.code = KVST_F_EVENT_SOURCE_SPACE;
    finding_a.severity = KVST_SEVERITY_WARNING;
    finding_a.pointer = S("/eventSource");
    finding_a.message = S("eventSource has a leading space: \" kinesis\"");
    finding_a.line = 4;
    finding_a.column = 20;
    finding_b = finding_a;
    finding_b.code = 9999; /* a code this version does not know */
    finding_b.severity = KVST_SEVERITY_INFO;
    finding_b.pointer = S("");
    finding_b.message.ptr = NULL;
    findings[0] = &finding_a;
    findings[1] = &finding_b;
    ev->findings = findings;
    ev->finding_count = 2;
}

#define ROLE_USER_IDENTITY                                                 \
    "{\"type\":\"AssumedRole\",\"principalId\":null,\"arn\":null,"            \
    "\"accountId\":null,\"accessKeyId\":null,\"userName\":null,"             \
    "\"invokedBy\":null,\"credentialId\":null,\"identityProvider\":null,"     \
    "\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\","              \
    "\"principalId\":\"AROAEXAMPLE\","                                       \
    "\"arn\":\"arn:aws:iam::123456789012:role/Admin\","                       \
    "\"accountId\":\"123456789012\",\"userName\":\"Admin\"},"                \
    "\"webIdFederationData\":null,\"attributes\":null,"                      \
    "\"sourceIdentity\":null,\"ec2RoleDelivery\":null,\"assumedRoot\":null},"  \
    "\"onBehalfOf\":null,\"inScopeOf\":null}"

static const char create_stream_json[] =
    CREATE_STREAM_HEAD("\"t.json\"")
    ROLE_IDENTITY(ROLE_USER_IDENTITY,
                  "{\"type\":\"Role\",\"principalId\":\"AROAEXAMPLE\","
                  "\"arn\":\"arn:aws:iam::123456789012:role/Admin\","
                  "\"accountId\":\"123456789012\",\"userName\":\"Admin\"}")
    "\"request\":{\"deviceName\":null,\"streamName\":\"VideoStream\","
    "\"kmsKeyId\":\"arn:aws:kms:us-east-1:123456789012:alias\","
    "\"dataRetentionInHours\":\"24\","
    "\"tags\":{\"team\":\"video\",\"k\\\"2\":null},"
    "\"streamStorageConfiguration\":{\"defaultStorageTier\":\"HOT\"}},"
    "\"response\":{\"streamARN\":"
    "\"arn:aws:kinesisvideo:us-east-1:123456789012:stream/VideoStream/1\"},"
    NULL_TAIL "\"findings\":[{\"code\":6,\"name\":\"KVST_F_EVENT_SOURCE_SPACE\","
    "\"severity\":\"warning\",\"pointer\":\"/eventSource\",\"line\":4,"
    "\"column\":20,"
    "\"message\":\"eventSource has a leading space: \\\" kinesis\\\"\"},"
    "{\"code\":9999,\"name\":null,\"severity\":\"info\",\"pointer\":\"\","
    "\"line\":4,\"column\":20,\"message\":null}]}";

static void test_create_stream(void)
{
    kvst_event ev;

    build_create_stream(&ev);
    EXPECT(&ev, "t.json", create_stream_json);

    /* The same integer written as a number with a fraction: its JSON text,
     * unquoted; and a typed integer prints as the integer. */
    cs_in.data_retention_in_hours = v_state(KVST_VALUE_MISTYPED,
                                            KVST_JSON_DOUBLE,
                                            KVST_TYPE_INTEGER, "2.5e1");
    cs_in.stream_storage_configuration.state = KVST_VALUE_ABSENT;
    cs_in.tags.count = 0;
    ev.response = NULL;
    ev.finding_count = 0;
    ev.user_identity = NULL; /* no sessionIssuer to show */
    EXPECT(&ev, NULL,
           CREATE_STREAM_HEAD("null") ROLE_IDENTITY("null", "null")
           "\"request\":{\"deviceName\":null,\"streamName\":\"VideoStream\","
           "\"kmsKeyId\":\"arn:aws:kms:us-east-1:123456789012:alias\","
           "\"dataRetentionInHours\":2.5e1,\"tags\":{}},"
           "\"response\":null," NULL_TAIL "\"findings\":[]}");
}

/* snprintf semantics: every cap gives the full length back and a
 * NUL-terminated prefix, and nothing is written past cap. */
static void test_truncation(void)
{
    kvst_event ev;
    size_t n, cap;
    char *buf;

    build_create_stream(&ev);
    n = kvst_event_to_json(&ev, "t.json", NULL, 0);
    CHECK(n == sizeof create_stream_json - 1);
    buf = malloc(n + 16);
    if (buf == NULL)
        exit(2);
    for (cap = 0; cap <= n + 2; cap++) {
        size_t kept = cap == 0 ? 0 : (cap - 1 < n ? cap - 1 : n);
        size_t i;
        int bad = 0;

        memset(buf, '#', n + 16);
        if (kvst_event_to_json(&ev, "t.json", buf, cap) != n)
            bad = 1;
        if (cap > 0 && (buf[kept] != '\0'
                        || memcmp(buf, create_stream_json, kept) != 0))
            bad = 1;
        for (i = cap; i < n + 16; i++)
            if (buf[i] != '#')
                bad = 1;
        if (bad) {
            fprintf(stderr, "truncation wrong at cap %zu\n", cap);
            check_failures++;
        }
    }
    /* cap 0 with a real buffer: untouched. */
    memset(buf, '#', 4);
    CHECK(kvst_event_to_json(&ev, "t.json", buf, 0) == n && buf[0] == '#');
    free(buf);
}

/* ListStreams: a nested structure in the request, a list of structures in
 * the response, timestamps as written, a value of the wrong type that was
 * an object in a pretty-printed record, and the extremes of int64. */
static void test_list_streams(void)
{
    static kvst_kvs_list_streams_input in;
    static kvst_kvs_stream_name_condition cond;
    static kvst_kvs_list_streams_output out;
    static kvst_kvs_stream_info info[2];
    static kvst_value items[3];
    kvst_event ev;

    init_event(&ev);
    ev.action = KVST_ACTION_LIST_STREAMS;
    ev.access = KVST_ACCESS_CONFIG_READ;
    ev.record_index = 2;

    memset(&cond, 0, sizeof cond);
    cond.struct_size = sizeof cond;
    cond.comparison_operator = v_string("BEGINS_WITH");
    cond.comparison_value = v_string("my");
    memset(&in, 0, sizeof in);
    in.struct_size = sizeof in;
    in.max_results = v_int(INT64_MIN, "-9223372036854775808");
    in.next_token = v_state(KVST_VALUE_MISTYPED, KVST_JSON_OBJECT,
                            KVST_TYPE_STRING, "{\n  \"a\": [1,\r\n 2]\n}");
    in.stream_name_condition = v_object(&cond);
    ev.request = &in;

    memset(info, 0, sizeof info);
    info[0].struct_size = sizeof info[0];
    info[0].stream_name = v_string("one");
    info[0].creation_time = v_state(KVST_VALUE_OK, KVST_JSON_DOUBLE,
                                    KVST_TYPE_TIMESTAMP, "1.527267986E9");
    info[0].creation_time.i = 1527267986000;
    info[0].data_retention_in_hours = v_int(INT64_MAX, "9223372036854775807");
    info[1].struct_size = sizeof info[1];
    info[1].stream_name = v_string("two");
    info[1].creation_time = v_state(KVST_VALUE_OK, KVST_JSON_STRING,
                                    KVST_TYPE_TIMESTAMP,
                                    "May 25, 2018 5:06:26 PM");
    info[1].status = v_state(KVST_VALUE_MISTYPED, KVST_JSON_BOOLEAN,
                             KVST_TYPE_STRING, "true");
    items[0] = v_object(&info[0]);
    items[1] = v_state(KVST_VALUE_NULL, KVST_JSON_NULL, KVST_TYPE_STRUCTURE,
                       NULL);
    items[2] = v_object(&info[1]);
    memset(&out, 0, sizeof out);
    out.struct_size = sizeof out;
    out.stream_info_list = v_list(items, 3);
    out.next_token = v_string("");
    ev.response = &out;

    EXPECT(&ev, "l.json",
           "{\"file\":\"l.json\",\"record\":2,\"offset\":0,\"line\":0,"
           "\"column\":0," NULL_ENVELOPE
           "\"action\":\"ListStreams\",\"access\":\"config-read\",\"userIdentity\":null,\"identity\":null,"
           "\"request\":{\"maxResults\":-9223372036854775808,"
           "\"nextToken\":{\"a\":[1,2]},"
           "\"streamNameCondition\":{\"comparisonOperator\":\"BEGINS_WITH\","
           "\"comparisonValue\":\"my\"}},"
           "\"response\":{\"streamInfoList\":["
           "{\"streamName\":\"one\",\"creationTime\":1.527267986E9,"
           "\"dataRetentionInHours\":9223372036854775807},"
           "null,"
           "{\"streamName\":\"two\",\"status\":true,"
           "\"creationTime\":\"May 25, 2018 5:06:26 PM\"}],"
           "\"nextToken\":\"\"},"
           NULL_TAIL "\"findings\":[]}");
}

/* UntagStream's list of strings; StartEdgeConfigurationUpdate's structures
 * three deep with a boolean and a long integer; mfa true and false. */
static void test_lists_and_depth(void)
{
    static kvst_kvs_untag_stream_input un;
    static kvst_value keys[2];
    static kvst_kvs_start_edge_configuration_update_input se;
    static kvst_kvs_edge_config edge;
    static kvst_kvs_deletion_config del;
    static kvst_kvs_local_size_config local;
    static kvst_identity_info id;
    kvst_event ev;

    init_event(&ev);
    ev.action = KVST_ACTION_UNTAG_STREAM;
    memset(&un, 0, sizeof un);
    un.struct_size = sizeof un;
    un.stream_name = v_string("s");
    keys[0] = v_string("team");
    keys[1] = v_string("tab\there");
    un.tag_key_list = v_list(keys, 2);
    ev.request = &un;
    memset(&id, 0, sizeof id);
    id.struct_size = sizeof id;
    id.principal = KVST_PRINCIPAL_IAM_USER;
    id.credential = KVST_CREDENTIAL_LONG_TERM;
    id.root_or_iam_user = 1;
    id.mfa = KVST_BOOL_TRUE;
    id.console = 1;
    id.user_name = S("alice");
    id.invoked_by = S("kinesisvideo.amazonaws.com");
    ev.identity = &id;
    EXPECT(&ev, NULL,
           AT_ORIGIN NULL_ENVELOPE "\"action\":\"UntagStream\",\"access\":null,"
           IAM_IDENTITY("true")
           "\"request\":{\"streamName\":\"s\","
           "\"tagKeyList\":[\"team\",\"tab\\there\"]},"
           "\"response\":null," NULL_TAIL "\"findings\":[]}");

    init_event(&ev);
    ev.action = KVST_ACTION_START_EDGE_CONFIGURATION_UPDATE;
    memset(&local, 0, sizeof local);
    local.struct_size = sizeof local;
    local.max_local_media_size_in_mb = v_int(2000000, "2000000");
    local.strategy_on_full_size = v_string("DENY_NEW_MEDIA");
    memset(&del, 0, sizeof del);
    del.struct_size = sizeof del;
    del.edge_retention_in_hours = v_int(720, "720");
    del.local_size_config = v_object(&local);
    del.delete_after_upload = v_state(KVST_VALUE_OK, KVST_JSON_BOOLEAN,
                                      KVST_TYPE_BOOLEAN, "false");
    memset(&edge, 0, sizeof edge);
    edge.struct_size = sizeof edge;
    edge.hub_device_arn = v_string("arn:aws:iot:us-east-1:123456789012:thing/t");
    edge.deletion_config = v_object(&del);
    memset(&se, 0, sizeof se);
    se.struct_size = sizeof se;
    se.stream_arn = v_string("x");
    se.edge_config = v_object(&edge);
    ev.request = &se;
    id.mfa = KVST_BOOL_FALSE;
    ev.identity = &id;
    EXPECT(&ev, NULL,
           AT_ORIGIN NULL_ENVELOPE "\"action\":\"StartEdgeConfigurationUpdate\",\"access\":null,"
           IAM_IDENTITY("false")
           "\"request\":{\"streamARN\":\"x\",\"edgeConfig\":{"
           "\"hubDeviceArn\":\"arn:aws:iot:us-east-1:123456789012:thing/t\","
           "\"deletionConfig\":{\"edgeRetentionInHours\":720,"
           "\"localSizeConfig\":{\"maxLocalMediaSizeInMB\":2000000,"
           "\"strategyOnFullSize\":\"DENY_NEW_MEDIA\"},"
           "\"deleteAfterUpload\":false}}},"
           "\"response\":null," NULL_TAIL "\"findings\":[]}");
}

/* "access": every kind by its name, null for NONE and for a number this
 * library does not know, and null for an event of the 1.0 size (no access
 * member: the writer must not read past struct_size). */
static void test_access(void)
{
    static const char *const names[] = {
        NULL, "media-read", "media-write", "signaling", "config-read", "config-write", "delete",
    };
    char buf[2048];
    kvst_event ev;
    uint32_t a;

    for (a = KVST_ACCESS_NONE; a <= KVST_ACCESS_DELETE + 1; a++) {
        const char *want = a < sizeof names / sizeof names[0] ? names[a] : NULL;
        const char *got = kvst_access_name(a);
        char key[64];

        CHECK(want == NULL ? got == NULL : got != NULL && strcmp(got, want) == 0);
        init_event(&ev);
        ev.action = KVST_ACTION_DELETE_STREAM;
        ev.access = a;
        kvst_event_to_json(&ev, NULL, buf, sizeof buf);
        if (want == NULL)
            snprintf(key, sizeof key, "\"access\":null,");
        else
            snprintf(key, sizeof key, "\"access\":\"%s\",", want);
        CHECK(strstr(buf, key) != NULL);
    }
    init_event(&ev);
    ev.action = KVST_ACTION_DELETE_STREAM;
    ev.access = KVST_ACCESS_DELETE;
    ev.struct_size = offsetof(kvst_event, access);
    kvst_event_to_json(&ev, NULL, buf, sizeof buf);
    CHECK(strstr(buf, "\"action\":\"DeleteStream\",\"access\":null,") != NULL);
    ev.struct_size = offsetof(kvst_event, access) + sizeof ev.access;
    kvst_event_to_json(&ev, NULL, buf, sizeof buf);
    CHECK(strstr(buf, "\"action\":\"DeleteStream\",\"access\":\"delete\",") != NULL);
}

/* Recovery mode: a broken record prints where it is and why, nothing else. */
static void test_broken_record(void)
{
    static const char text[] = "{\"eventVersion\": \"1.05\",\n  \"streamARN\": arn:aws}";
    kvst_error err;
    kvst_event ev;

    init_event(&ev);
    ev.status = KVST_E_SYNTAX;
    ev.record_index = 4;
    ev.offset = 880;
    ev.line = 20;
    ev.column = 9;
    ev.length = sizeof text - 1;
    ev.action = KVST_ACTION_CREATE_STREAM; /* ignored for a broken record */
    memset(&err, 0, sizeof err);
    err.struct_size = sizeof err;
    err.code = KVST_E_SYNTAX;
    err.offset = 915;
    err.line = 27;
    err.column = 21;
    err.message = S("invalid literal 'arn'");
    err.record_offset = 880;
    err.record_length = sizeof text - 1;
    err.record_text = S(text);
    ev.error = &err;
    EXPECT(&ev, "seed.json",
           "{\"file\":\"seed.json\",\"record\":4,\"offset\":880,\"line\":20,"
           "\"column\":9,\"error\":{\"code\":\"KVST_E_SYNTAX\","
           "\"message\":\"invalid literal 'arn'\",\"line\":27,\"column\":21,"
           "\"offset\":915,\"length\":48,"
           "\"text\":\"{\\\"eventVersion\\\": \\\"1.05\\\",\\n  "
           "\\\"streamARN\\\": arn:aws}\"}}");

    /* Without the detail only the status and the record's place are known. */
    ev.error = NULL;
    ev.status = KVST_E_LIMIT;
    EXPECT(&ev, NULL,
           "{\"file\":null,\"record\":4,\"offset\":880,\"line\":20,"
           "\"column\":9,\"error\":{\"code\":\"KVST_E_LIMIT\","
           "\"message\":null,\"line\":20,\"column\":9,\"offset\":880,"
           "\"length\":48,\"text\":null}}");
}

/* A kvst_value holding JSON text, as the parser fills the free-form
 * members (additionalEventData, webIdFederationData.attributes). */
static kvst_value v_text(uint32_t json_type, const char *text)
{
    return v_state(KVST_VALUE_OK, json_type, KVST_TYPE_NONE, text);
}

/* Since 1.1: every member the C event has, in the contract's order. The
 * free-form values are re-serialised: white space dropped, escapes
 * decoded and strings re-escaped, numbers as written, a repeated key once
 * with its last value at its first place, a lone surrogate U+FFFD. */
static void test_whole_event(void)
{
    static kvst_session_issuer si;
    static kvst_session_context sc;
    static kvst_on_behalf_of obo;
    static kvst_in_scope_of iso;
    static kvst_user_identity u;
    static kvst_identity_info id;
    static kvst_resource r0, r1;
    static const kvst_resource *res[2];
    static kvst_tls_details tls;
    static kvst_addendum add;
    kvst_event ev;

    init_event(&ev);
    ev.event_source = S("sts.amazonaws.com");
    ev.api_version = S("2011-06-15");
    ev.management_event = KVST_BOOL_TRUE;
    ev.shared_event_id = S("s-1");
    ev.vpc_endpoint_id = S("vpce-1");
    ev.vpc_endpoint_account_id = S("111122223333");
    ev.event_category = S("Management");
    ev.session_credential_from_console = KVST_BOOL_FALSE;

    memset(&si, 0, sizeof si);
    si.struct_size = sizeof si;
    si.type = S("Role");
    si.arn = S("arn:aws:iam::111122223333:role/R");
    memset(&sc, 0, sizeof sc);
    sc.struct_size = sizeof sc;
    sc.session_issuer = &si;
    sc.web_id_federated_provider = S("accounts.google.com");
    sc.web_id_attributes = v_text(KVST_JSON_OBJECT,
                                  "{ \"k\" : \"v1\",\n \"\\u006b\" : \"v2\", \"n\": [ 1 , 2.50 ] }");
    sc.creation_date = S("2024-01-01T00:00:00Z");
    sc.source_identity = S("alice");
    sc.ec2_role_delivery = S("2.0");
    sc.assumed_root = S("true");
    memset(&obo, 0, sizeof obo);
    obo.struct_size = sizeof obo;
    obo.user_id = S("u-1");
    obo.identity_store_arn = S("arn:aws:identitystore::111122223333:identitystore/d-1");
    memset(&iso, 0, sizeof iso);
    iso.struct_size = sizeof iso;
    iso.issuer_type = S("AWS::Lambda::Function");
    iso.source_account = S("444455556666");
    memset(&u, 0, sizeof u);
    u.struct_size = sizeof u;
    u.type = S("AssumedRole");
    u.principal_id = S("AROA:alice");
    u.access_key_id = S("ASIAEXAMPLE");
    u.credential_id = S("c-1");
    u.identity_provider = S("idp");
    u.session_context = &sc;
    u.on_behalf_of = &obo;
    u.in_scope_of = &iso;
    ev.user_identity = &u;

    memset(&id, 0, sizeof id);
    id.struct_size = sizeof id;
    id.principal = KVST_PRINCIPAL_ASSUMED_ROLE;
    id.credential = KVST_CREDENTIAL_TEMPORARY;
    id.mfa = KVST_BOOL_ABSENT;
    id.assumed_root = 1;
    id.imdsv1 = 1;
    id.issuer_type = S("Role");
    id.issuer_name = S("R");
    id.issuer_arn = S("arn:aws:iam::111122223333:role/R");
    id.issuer_account_id = S("111122223333");
    id.on_behalf_of_user_id = S("u-1");
    id.identity_store_arn = S("arn:aws:identitystore::111122223333:identitystore/d-1");
    id.other_account_id = S("444455556666");
    ev.identity = &id;

    memset(&r0, 0, sizeof r0);
    r0.struct_size = sizeof r0;
    r0.arn = S("arn:aws:s3:::b");
    r0.type = S("AWS::S3::Bucket");
    r1 = r0;
    r1.arn.ptr = NULL;
    r1.account_id = S("111122223333");
    res[0] = &r0;
    res[1] = &r1;
    ev.resources = res;
    ev.resource_count = 2;
    memset(&tls, 0, sizeof tls);
    tls.struct_size = sizeof tls;
    tls.tls_version = S("TLSv1.3");
    memset(&add, 0, sizeof add);
    add.struct_size = sizeof add;
    add.reason = S("DELIVERY_DELAY");
    add.original_event_id = S("e-0");
    ev.tls_details = &tls;
    ev.addendum = &add;

    ev.additional_event_data = v_text(KVST_JSON_OBJECT,
        "{\"b\" : 1, \"a\\u0041\": \"x\\u00e9\\ud83d\\ude00\\ud800\\/\\t\\u0001\","
        " \"b\": [true, false, null, -1.5e+3, \"\\\"\"], \"c\": {\"d\": {}, \"e\": []}}");
    ev.service_event_details = v_text(KVST_JSON_OBJECT, "{\"a\": }"); /* not JSON */
    ev.insight_details = v_state(KVST_VALUE_NULL, KVST_JSON_NULL, KVST_TYPE_NONE, "null");

    EXPECT(&ev, NULL,
           AT_ORIGIN
           "\"eventVersion\":null,\"eventTime\":null,"
           "\"eventSource\":\"sts.amazonaws.com\",\"eventName\":null,"
           "\"awsRegion\":null,\"sourceIPAddress\":null,\"userAgent\":null,"
           "\"requestID\":null,\"eventID\":null,\"eventType\":null,"
           "\"recipientAccountId\":null,\"readOnly\":null,\"errorCode\":null,"
           "\"errorMessage\":null,\"apiVersion\":\"2011-06-15\","
           "\"managementEvent\":true,\"sharedEventID\":\"s-1\","
           "\"vpcEndpointId\":\"vpce-1\",\"vpcEndpointAccountId\":\"111122223333\","
           "\"eventCategory\":\"Management\",\"sessionCredentialFromConsole\":false,"
           "\"outcome\":\"success\",\"action\":null,\"access\":null,"
           "\"userIdentity\":{\"type\":\"AssumedRole\",\"principalId\":\"AROA:alice\","
           "\"arn\":null,\"accountId\":null,\"accessKeyId\":\"ASIAEXAMPLE\","
           "\"userName\":null,\"invokedBy\":null,\"credentialId\":\"c-1\","
           "\"identityProvider\":\"idp\","
           "\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":null,"
           "\"arn\":\"arn:aws:iam::111122223333:role/R\",\"accountId\":null,\"userName\":null},"
           "\"webIdFederationData\":{\"federatedProvider\":\"accounts.google.com\","
           "\"attributes\":{\"k\":\"v2\",\"n\":[1,2.50]}},"
           "\"attributes\":{\"creationDate\":\"2024-01-01T00:00:00Z\",\"mfaAuthenticated\":null},"
           "\"sourceIdentity\":\"alice\",\"ec2RoleDelivery\":\"2.0\",\"assumedRoot\":\"true\"},"
           "\"onBehalfOf\":{\"userId\":\"u-1\","
           "\"identityStoreArn\":\"arn:aws:identitystore::111122223333:identitystore/d-1\"},"
           "\"inScopeOf\":{\"issuerType\":\"AWS::Lambda::Function\",\"credentialsIssuedTo\":null,"
           "\"sourceArn\":null,\"sourceAccount\":\"444455556666\"}},"
           "\"identity\":{\"type\":null,\"principal\":\"AssumedRole\",\"credential\":\"temporary\","
           "\"rootOrIamUser\":false,\"roleOrFederatedTemporary\":false,\"awsService\":false,"
           "\"mfa\":null,\"console\":false,\"crossAccount\":false,\"rootAccessKey\":false,"
           "\"invokedBy\":null,\"arn\":null,\"accountId\":null,\"userName\":null,"
           "\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":null,"
           "\"arn\":\"arn:aws:iam::111122223333:role/R\",\"accountId\":null,\"userName\":null},"
           "\"principalId\":\"AROA:alice\",\"accessKeyId\":\"ASIAEXAMPLE\","
           "\"assumedRoot\":true,\"imdsv1\":true,\"issuerType\":\"Role\",\"issuerName\":\"R\","
           "\"issuerArn\":\"arn:aws:iam::111122223333:role/R\",\"issuerAccountId\":\"111122223333\","
           "\"onBehalfOfUserId\":\"u-1\","
           "\"identityStoreArn\":\"arn:aws:identitystore::111122223333:identitystore/d-1\","
           "\"otherAccountId\":\"444455556666\"},"
           "\"request\":null,\"response\":null,"
           "\"additionalEventData\":{\"b\":[true,false,null,-1.5e+3,\"\\\"\"],"
           "\"aA\":\"x\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd/\\t\\u0001\",\"c\":{\"d\":{},\"e\":[]}},"
           "\"serviceEventDetails\":null,\"insightDetails\":null,"
           "\"resources\":[{\"ARN\":\"arn:aws:s3:::b\",\"accountId\":null,\"type\":\"AWS::S3::Bucket\"},"
           "{\"ARN\":null,\"accountId\":\"111122223333\",\"type\":\"AWS::S3::Bucket\"}],"
           "\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":null,"
           "\"clientProvidedHostHeader\":null},"
           "\"addendum\":{\"reason\":\"DELIVERY_DELAY\",\"updatedFields\":null,"
           "\"originalRequestID\":null,\"originalEventID\":\"e-0\"},"
           "\"findings\":[]}");

    /* An event of the 1.0 size has no free-form members: null, never a
     * read past struct_size. An empty resources array stays an array. */
    ev.struct_size = offsetof(kvst_event, access);
    ev.resource_count = 0;
    ev.user_identity = NULL;
    ev.identity = NULL;
    {
        char buf[4096];
        kvst_event_to_json(&ev, NULL, buf, sizeof buf);
        CHECK(strstr(buf, "\"additionalEventData\":null,\"serviceEventDetails\":null,"
                          "\"insightDetails\":null,\"resources\":[],") != NULL);
    }
}

/* Free-form JSON text at the limits: depth 128 is printed and 129 is
 * null; an object of 64 members collapses a repeated key and one of 65 is
 * printed as written (a reader keeps the last, as the rule says);
 * invalid escapes, numbers and trailing bytes print null. */
static void test_json_text_limits(void)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"{\"a\":1,\"a\":2}", "{\"a\":2}"},
        {"{\"a\":1,\"\\u0061\":2,\"b\":3,\"a\":4}", "{\"a\":4,\"b\":3}"},
        {" [1, {\"x\":[]}] ", "[1,{\"x\":[]}]"},
        {"\"\\ud800\\u0041\"", "\"\xef\xbf\xbd" "A\""},
        {"\"\\udc00\"", "\"\xef\xbf\xbd\""},
        {"\"\\q\"", "null"},
        {"\"\\u12\"", "null"},
        {"01", "null"},
        {"1.", "null"},
        {"-", "null"},
        {"1e", "null"},
        {"{} {}", "null"},
        {"{\"a\" 1}", "null"},
        {"[1,]", "null"},
        {"tru", "null"},
        {"\"a\x01\"", "null"},
        {"-0.5E-7", "-0.5E-7"},
    };
    char text[2048], want[2048], buf[8192];
    kvst_event ev;
    size_t i, k;

    init_event(&ev);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ev.additional_event_data = v_text(KVST_JSON_OBJECT, cases[i].text);
        kvst_event_to_json(&ev, NULL, buf, sizeof buf);
        snprintf(want, sizeof want, "\"additionalEventData\":%s,", cases[i].want);
        if (strstr(buf, want) == NULL) {
            fprintf(stderr, "json text %s: want %s in %s\n", cases[i].text, want, buf);
            check_failures++;
        }
    }
    for (k = 128; k <= 129; k++) {
        size_t n = 0;
        for (i = 0; i < k; i++)
            text[n++] = '[';
        for (i = 0; i < k; i++)
            text[n++] = ']';
        text[n] = '\0';
        ev.additional_event_data = v_text(KVST_JSON_ARRAY, text);
        kvst_event_to_json(&ev, NULL, buf, sizeof buf);
        snprintf(want, sizeof want, "\"additionalEventData\":%s,", k == 128 ? text : "null");
        CHECK(strstr(buf, want) != NULL);
    }
    for (k = 64; k <= 65; k++) {
        size_t n = 0, m = 0;
        n += (size_t)snprintf(text + n, sizeof text - n, "{\"d\":0");
        m += (size_t)snprintf(want + m, sizeof want - m, "\"additionalEventData\":{\"d\":");
        m += (size_t)snprintf(want + m, sizeof want - m, k == 64 ? "1" : "0");
        for (i = 1; i + 1 < k; i++) {
            n += (size_t)snprintf(text + n, sizeof text - n, ",\"k%zu\":%zu", i, i);
            m += (size_t)snprintf(want + m, sizeof want - m, ",\"k%zu\":%zu", i, i);
        }
        n += (size_t)snprintf(text + n, sizeof text - n, ",\"d\":1}");
        m += (size_t)snprintf(want + m, sizeof want - m, k == 64 ? "}," : ",\"d\":1},");
        ev.additional_event_data = v_text(KVST_JSON_OBJECT, text);
        kvst_event_to_json(&ev, NULL, buf, sizeof buf);
        if (strstr(buf, want) == NULL) {
            fprintf(stderr, "%zu members: want %s in %s\n", k, want, buf);
            check_failures++;
        }
    }
}

int main(void)
{
    test_empty_event();
    test_envelope_escapes();
    test_create_stream();
    test_truncation();
    test_list_streams();
    test_lists_and_depth();
    test_broken_record();
    test_access();
    test_whole_event();
    test_json_text_limits();
    return check_done("event json");
}
