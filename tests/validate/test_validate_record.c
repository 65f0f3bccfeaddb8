/*
 * The per-record validation stage on hand-built events: envelope rules,
 * identity findings, KVS member rules over typed payloads, pointers,
 * severities and messages, and the seed document's records.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <kvstrail/kvstrail.h>

#include "findings.h"
#include "check.h"

/* ---- A sink that keeps what it is given ----------------------------------- */

#define MAX_FOUND 64

typedef struct found {
    uint32_t code;
    uint32_t severity;
    char pointer[256];
    char message[512];
} found;

typedef struct capture {
    kvst_finding_sink sink;
    found items[MAX_FOUND];
    size_t count;
    int fail_with; /* returned by add when non-zero */
} capture;

static int capture_add(kvst_finding_sink *sink, uint32_t code,
                       uint32_t severity, const char *pointer,
                       size_t pointer_len, const char *fmt, va_list ap)
{
    capture *c = sink->ctx;
    found *f;
    if (c->fail_with)
        return c->fail_with;
    if (c->count == MAX_FOUND)
        abort();
    f = &c->items[c->count++];
    f->code = code;
    f->severity = severity;
    snprintf(f->pointer, sizeof f->pointer, "%.*s", (int)pointer_len, pointer);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    return 0;
}

static void capture_init(capture *c)
{
    memset(c, 0, sizeof *c);
    c->sink.add = capture_add;
    c->sink.ctx = c;
}

static kvst_identity_info last_info;

/* The stage reads what the envelope stage parsed (eventVersion's numbers,
 * eventTime's epoch): fill them as the envelope does for a hand-made event. */
static capture run(const kvst_event *given)
{
    capture c;
    kvst_event ev = *given;
    int64_t ms = 0;

    ev.event_version_major = ev.event_version_minor = -1;
    if (ev.event_version.ptr &&
        kvst_validate_event_version(ev.event_version.ptr, ev.event_version.len,
                                    &ev.event_version_major, &ev.event_version_minor) ==
            KVST_F_EVENT_VERSION_FORMAT)
        ev.event_version_major = ev.event_version_minor = -1;
    ev.event_time_valid = ev.event_time.ptr &&
                          kvst_validate_timestamp(ev.event_time.ptr, ev.event_time.len, &ms) == 0;
    ev.event_time_ms = ev.event_time_valid ? ms : 0;
    capture_init(&c);
    memset(&last_info, 0, sizeof last_info);
    last_info.struct_size = sizeof last_info;
    CHECK_EQ(kvst__validate_event(&ev, &last_info, &c.sink), 0);
    return c;
}

static const found *find(const capture *c, uint32_t code, const char *pointer)
{
    size_t i;
    for (i = 0; i < c->count; i++)
        if (c->items[i].code == code && strcmp(c->items[i].pointer, pointer) == 0)
            return &c->items[i];
    return NULL;
}

/* Exactly one finding, with this code, pointer and severity. */
#define CHECK_ONLY(c, code_, pointer_, severity_)                          \
    do {                                                                   \
        CHECK_EQ((c).count, 1);                                            \
        if ((c).count >= 1) {                                              \
            CHECK_EQ((c).items[0].code, code_);                            \
            CHECK(strcmp((c).items[0].pointer, pointer_) == 0);            \
            CHECK_EQ((c).items[0].severity, severity_);                    \
            if (strcmp((c).items[0].pointer, pointer_) != 0)               \
                fprintf(stderr, "  pointer was '%s'\n", (c).items[0].pointer); \
        }                                                                  \
        if ((c).count > 1)                                                 \
            dump(&(c));                                                    \
    } while (0)

static void dump(const capture *c)
{
    size_t i;
    for (i = 0; i < c->count; i++)
        fprintf(stderr, "  [%u %s] %s: %s\n", c->items[i].code,
                kvst_severity_name(c->items[i].severity), c->items[i].pointer,
                c->items[i].message);
}

static size_t count_at_least(const capture *c, uint32_t severity)
{
    size_t i, n = 0;
    for (i = 0; i < c->count; i++)
        n += c->items[i].severity >= severity;
    return n;
}

/* ---- Building events --------------------------------------------------------- */

static kvst_str str(const char *s)
{
    kvst_str v;
    v.ptr = s;
    v.len = s ? strlen(s) : 0;
    return v;
}

static kvst_value vstr(const char *s)
{
    kvst_value v;
    memset(&v, 0, sizeof v);
    v.state = KVST_VALUE_OK;
    v.json_type = KVST_JSON_STRING;
    v.model_type = KVST_TYPE_STRING;
    v.text = str(s);
    return v;
}

static kvst_value vint(int64_t i, const char *text)
{
    kvst_value v;
    memset(&v, 0, sizeof v);
    v.state = KVST_VALUE_OK;
    v.json_type = KVST_JSON_INTEGER;
    v.model_type = KVST_TYPE_INTEGER;
    v.text = str(text);
    v.i = i;
    v.d = (double)i;
    return v;
}

static kvst_user_identity the_user;

/* A clean eventVersion 1.08 KVS record: no finding at all. */
static kvst_event clean_event(uint32_t action, const char *name)
{
    kvst_event ev;
    memset(&the_user, 0, sizeof the_user);
    the_user.struct_size = sizeof the_user;
    the_user.type = str("IAMUser");
    the_user.principal_id = str("AIDAEXAMPLE");
    the_user.arn = str("arn:aws:iam::123456789012:user/Alice");
    the_user.account_id = str("123456789012");
    the_user.access_key_id = str("AKIAIOSFODNN7EXAMPLE");
    the_user.user_name = str("Alice");

    memset(&ev, 0, sizeof ev);
    ev.struct_size = sizeof ev;
    ev.action = action;
    ev.event_version = str("1.08");
    ev.event_time = str("2024-02-29T10:00:00Z");
    ev.event_source = str("kinesisvideo.amazonaws.com");
    ev.event_name = str(name);
    ev.aws_region = str("us-east-1");
    ev.source_ip_address = str("2001:db8::1");
    ev.user_agent = str("aws-cli/2.15");
    ev.request_id = str("db6c59f8-c757-11e3-bc3b-57923b443c1c");
    ev.event_id = str("b7acfcd0-6ca9-4ee1-a3d7-c4e8d420d99b");
    ev.event_type = str("AwsApiCall");
    ev.read_only = KVST_BOOL_FALSE;
    ev.management_event = KVST_BOOL_TRUE;
    ev.session_credential_from_console = KVST_BOOL_ABSENT;
    ev.recipient_account_id = str("123456789012");
    ev.event_category = str("Management");
    ev.user_identity = &the_user;
    ev.request_state = KVST_VALUE_ABSENT;
    ev.response_state = KVST_VALUE_ABSENT;
    return ev;
}

static kvst_event other_service_event(void)
{
    kvst_event ev = clean_event(KVST_ACTION_NONE, "PutObject");
    ev.event_source = str("s3.amazonaws.com");
    return ev;
}

/* ---- Envelope --------------------------------------------------------------- */

static void test_clean(void)
{
    kvst_kvs_describe_stream_input req;
    kvst_event ev = clean_event(KVST_ACTION_DESCRIBE_STREAM, "DescribeStream");
    capture c;

    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.stream_name = vstr("VideoStream");
    ev.request = &req;
    ev.request_state = KVST_VALUE_OK;
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    if (c.count)
        dump(&c);
    CHECK_EQ(last_info.principal, KVST_PRINCIPAL_IAM_USER);
    CHECK_EQ(last_info.credential, KVST_CREDENTIAL_LONG_TERM);
    CHECK(last_info.root_or_iam_user == 1 && last_info.cross_account == 0);

    ev = other_service_event();
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    if (c.count)
        dump(&c);
}

static void test_envelope_rules(void)
{
    kvst_event ev;
    capture c;
    const found *f;

    ev = other_service_event();
    ev.event_version = str("2.0");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_EVENT_VERSION_MAJOR, "/eventVersion",
               KVST_SEVERITY_WARNING);
    ev.event_version = str("1.x");
    c = run(&ev);
    CHECK(find(&c, KVST_F_EVENT_VERSION_FORMAT, "/eventVersion") != NULL);
    /* 1.10 is newer than 1.9: fields of 1.07 are expected. */
    ev = other_service_event();
    ev.event_version = str("1.10");
    ev.event_category = str(NULL);
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_VERSION_FIELD_MISSING, "", KVST_SEVERITY_INFO);
    ev.event_version = str("1.06");
    c = run(&ev);
    CHECK_EQ(c.count, 0);

    ev = other_service_event();
    ev.event_time = str("2018-05-25:17:06Z");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_EVENT_TIME_FORMAT, "/eventTime", KVST_SEVERITY_ERROR);
    f = find(&c, KVST_F_EVENT_TIME_FORMAT, "/eventTime");
    CHECK(f && strcmp(f->message, "eventTime '2018-05-25:17:06Z' does not "
                                  "match YYYY-MM-DDTHH:MM:SSZ") == 0);
    ev.event_time = str("2023-02-29T00:00:00Z");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_EVENT_TIME_CALENDAR, "/eventTime",
               KVST_SEVERITY_ERROR);
    /* Before 2017-11-29: a note for KVS records only. */
    ev.event_time = str("2014-04-19T00:15:02Z");
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    ev = clean_event(KVST_ACTION_LIST_STREAMS, "ListStreams");
    ev.event_time = str("2014-04-19T00:15:02Z");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_EVENT_TIME_EARLY, "/eventTime", KVST_SEVERITY_INFO);

    ev = other_service_event();
    ev.event_source = str("s3.amazonaws.com ");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_EVENT_SOURCE_SPACE, "/eventSource",
               KVST_SEVERITY_ERROR);
    ev.event_source = str("S3");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_EVENT_SOURCE_FORMAT, "/eventSource",
               KVST_SEVERITY_ERROR);

    ev = other_service_event();
    ev.aws_region = str("US-EAST-1");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_REGION_FORMAT, "/awsRegion", KVST_SEVERITY_ERROR);

    ev = other_service_event();
    ev.source_ip_address = str("300.1.1.1");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_SOURCE_IP_FORMAT, "/sourceIPAddress",
               KVST_SEVERITY_WARNING);
    ev.source_ip_address = str("AWS Internal");
    c = run(&ev);
    CHECK_EQ(c.count, 0);

    ev = other_service_event();
    ev.event_id = str("not-a-uuid");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_EVENT_ID_FORMAT, "/eventID", KVST_SEVERITY_ERROR);

    ev = other_service_event();
    ev.recipient_account_id = str("12345");
    c = run(&ev);
    CHECK(find(&c, KVST_F_ACCOUNT_ID_FORMAT, "/recipientAccountId") != NULL);
    CHECK_EQ(count_at_least(&c, KVST_SEVERITY_ERROR), 0);

    ev = other_service_event();
    ev.event_name = str(NULL);
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_REQUIRED_FIELD_MISSING, "", KVST_SEVERITY_WARNING);
    CHECK(c.count == 1 && strstr(c.items[0].message, "eventName") != NULL);
    ev = other_service_event();
    ev.event_time = str(NULL);
    ev.aws_region = str(NULL);
    ev.event_id = str(NULL);
    c = run(&ev);
    CHECK_EQ(c.count, 3);
    CHECK_EQ(count_at_least(&c, KVST_SEVERITY_WARNING), 3);

    /* Fields later versions added: info, and only from their version on. */
    ev = other_service_event();
    ev.event_version = str("1.05");
    ev.recipient_account_id = str(NULL);
    ev.event_type = str(NULL);
    ev.read_only = KVST_BOOL_ABSENT;
    ev.management_event = KVST_BOOL_ABSENT;
    ev.event_category = str(NULL);
    c = run(&ev);
    CHECK_EQ(c.count, 3); /* readOnly 1.01, eventType 1.02, recipient 1.02 */
    CHECK_EQ(count_at_least(&c, KVST_SEVERITY_WARNING), 0);
    ev.event_version = str("1.0");
    ev.request_id = str(NULL);
    ev.event_id = str(NULL);
    c = run(&ev);
    CHECK_EQ(c.count, 0);

    ev = other_service_event();
    ev.error_message = str("Access denied");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_ERROR_INCONSISTENT, "/errorMessage",
               KVST_SEVERITY_WARNING);
    ev.error_code = str("AccessDenied");
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    ev.error_code = str("");
    ev.error_message = str(NULL);
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_ERROR_INCONSISTENT, "/errorCode",
               KVST_SEVERITY_WARNING);

    /* A sign-in failure is written as errorMessage alone: AWS's form, by
     * eventSource or by eventType. An empty errorCode still is not. */
    ev = other_service_event();
    ev.event_source = str("signin.amazonaws.com");
    ev.event_name = str("ConsoleLogin");
    ev.error_message = str("Failed authentication");
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    ev.error_code = str("");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_ERROR_INCONSISTENT, "/errorMessage", KVST_SEVERITY_WARNING);
    ev = other_service_event();
    ev.event_type = str("AwsConsoleSignIn");
    ev.event_name = str("CheckMfa");
    ev.error_message = str("Failed authentication");
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    CHECK_EQ(last_info.console, 1);
    ev.event_type = str("AwsApiCall");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_ERROR_INCONSISTENT, "/errorMessage", KVST_SEVERITY_WARNING);
    CHECK_EQ(last_info.console, 0);

    /* An Insight event: no userIdentity, eventSource or eventName. */
    ev = other_service_event();
    ev.event_type = str("AwsCloudTrailInsight");
    ev.event_category = str("Insight");
    ev.user_identity = NULL;
    ev.event_source = str(NULL);
    ev.event_name = str(NULL);
    ev.source_ip_address = str(NULL);
    ev.request_id = str(NULL);
    ev.read_only = KVST_BOOL_ABSENT;
    ev.management_event = KVST_BOOL_ABSENT;
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    if (c.count)
        dump(&c);
    CHECK_EQ(last_info.principal, KVST_PRINCIPAL_UNKNOWN);
    CHECK(last_info.mfa == KVST_BOOL_ABSENT);
    /* The same without the Insight type: userIdentity is missing. */
    ev.event_type = str("AwsApiCall");
    ev.event_source = str("s3.amazonaws.com");
    ev.event_name = str("PutObject");
    ev.source_ip_address = str("1.2.3.4");
    ev.request_id = str("r");
    ev.read_only = KVST_BOOL_TRUE;
    ev.management_event = KVST_BOOL_FALSE;
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_IDENTITY_MISSING, "", KVST_SEVERITY_INFO);
}

/* ---- userIdentity --------------------------------------------------------- */

static void test_identity_findings(void)
{
    kvst_event ev;
    kvst_session_context sc;
    capture c;

    ev = other_service_event();
    the_user.type = str("Root");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_ROOT_ACCESS_KEY, "/userIdentity/accessKeyId",
               KVST_SEVERITY_WARNING);
    CHECK(last_info.root_access_key == 1);

    ev = other_service_event();
    the_user.type = str("QuantumAgent");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_IDENTITY_TYPE_UNKNOWN, "/userIdentity/type",
               KVST_SEVERITY_INFO);
    CHECK_VIEW(last_info.type, "QuantumAgent");
    the_user.type = str(NULL);
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_IDENTITY_TYPE_UNKNOWN, "/userIdentity",
               KVST_SEVERITY_INFO);
    /* CloudTrail's own "Unknown" type is known: no finding. */
    the_user.type = str("Unknown");
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    CHECK_EQ(last_info.principal, KVST_PRINCIPAL_UNKNOWN);

    ev = other_service_event();
    the_user.access_key_id = str("EXAMPLE_KEY_ID");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_ACCESS_KEY_UNRECOGNISED, "/userIdentity/accessKeyId",
               KVST_SEVERITY_INFO);
    the_user.access_key_id = str(NULL);
    c = run(&ev);
    CHECK_EQ(c.count, 0);

    /* A role or federated session with a long-term key: ASIA is what STS
     * issues; a 3-letter or other prefix is not a long-term key. */
    {
        static const char *const types[] = { "AssumedRole", "FederatedUser" };
        size_t t;
        for (t = 0; t < 2; t++) {
            const found *f;
            ev = other_service_event();
            the_user.type = str(types[t]);
            the_user.access_key_id = str("AKIAIOSFODNN7EXAMPLE");
            c = run(&ev);
            CHECK_ONLY(c, KVST_F_CREDENTIAL_MISMATCH, "/userIdentity/accessKeyId",
                       KVST_SEVERITY_WARNING);
            f = find(&c, KVST_F_CREDENTIAL_MISMATCH, "/userIdentity/accessKeyId");
            CHECK(f && strstr(f->message, types[t]) && strstr(f->message, "AKIAIOSFODNN7EXAMPLE"));
            the_user.access_key_id = str("ASIAIOSFODNN7EXAMPLE");
            CHECK_EQ(run(&ev).count, 0);
            the_user.access_key_id = str("AKIA");
            CHECK_EQ(run(&ev).items[0].code, KVST_F_CREDENTIAL_MISMATCH);
            the_user.access_key_id = str("AKI");
            c = run(&ev);
            CHECK_ONLY(c, KVST_F_ACCESS_KEY_UNRECOGNISED, "/userIdentity/accessKeyId",
                       KVST_SEVERITY_INFO);
            the_user.access_key_id = str("akiaIOSFODNN7EXAMPLE");
            c = run(&ev);
            CHECK(find(&c, KVST_F_CREDENTIAL_MISMATCH, "/userIdentity/accessKeyId") == NULL);
        }
        /* The converse is no mismatch: IAM users and root get ASIA keys
         * from GetSessionToken and console sign-in; Role, AWSService and
         * the rest are not said to be temporary. */
        static const char *const others[] = { "IAMUser", "Root", "Role", "AWSService",
                                              "IdentityCenterUser" };
        for (t = 0; t < sizeof others / sizeof others[0]; t++) {
            ev = other_service_event();
            the_user.type = str(others[t]);
            the_user.access_key_id = str("ASIAIOSFODNN7EXAMPLE");
            CHECK_EQ(run(&ev).count, 0);
            if (strcmp(others[t], "Root") != 0) {
                the_user.access_key_id = str("AKIAIOSFODNN7EXAMPLE");
                c = run(&ev);
                CHECK(find(&c, KVST_F_CREDENTIAL_MISMATCH, "/userIdentity/accessKeyId") == NULL);
            }
        }
    }

    ev = other_service_event();
    the_user.account_id = str("1234567890");
    c = run(&ev);
    CHECK(find(&c, KVST_F_ACCOUNT_ID_FORMAT, "/userIdentity/accountId") !=
          NULL);

    ev = other_service_event();
    memset(&sc, 0, sizeof sc);
    sc.struct_size = sizeof sc;
    sc.ec2_role_delivery = str("1.0");
    sc.creation_date = str("2024-02-30T00:00:00Z");
    the_user.type = str("AssumedRole");
    the_user.access_key_id = str("ASIAIOSFODNN7EXAMPLE");
    the_user.session_context = &sc;
    c = run(&ev);
    CHECK_EQ(c.count, 2);
    CHECK(find(&c, KVST_F_IMDSV1, "/userIdentity/sessionContext/ec2RoleDelivery")
          != NULL);
    CHECK(find(&c, KVST_F_TIMESTAMP_FORMAT,
               "/userIdentity/sessionContext/attributes/creationDate") != NULL);
    CHECK(last_info.imdsv1 == 1);

    ev = other_service_event();
    ev.recipient_account_id = str("999999999999");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_CROSS_ACCOUNT, "/userIdentity", KVST_SEVERITY_INFO);
    CHECK(c.count == 1 && strstr(c.items[0].message, "999999999999") != NULL);
}

/* ---- KVS members ------------------------------------------------------------ */

static void test_create_stream(void)
{
    static const char *const keys[] = { "Owner", "a/b~c", "bad*key" };
    kvst_kvs_create_stream_input req;
    kvst_kvs_create_stream_output resp;
    kvst_value tag_values[51];
    kvst_str tag_keys[51];
    kvst_event ev = clean_event(KVST_ACTION_CREATE_STREAM, "CreateStream");
    capture c;
    const found *f;
    size_t i;
    char names[51][8];

    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.stream_name = vstr("VideoStream");
    req.device_name = vstr("my-device");
    req.media_type = vstr("video/h264,audio/aac");
    req.kms_key_id = vstr("arn:aws:kms:us-east-1:123456789012:alias/aws/"
                          "kinesisvideo");
    req.data_retention_in_hours = vint(87600, "87600");
    for (i = 0; i < 3; i++) {
        tag_keys[i] = str(keys[i]);
        tag_values[i] = vstr("Alice");
    }
    req.tags.state = KVST_VALUE_OK;
    req.tags.json_type = KVST_JSON_OBJECT;
    req.tags.model_type = KVST_TYPE_MAP;
    req.tags.count = 1;
    req.tags.keys = tag_keys;
    req.tags.items = tag_values;
    memset(&resp, 0, sizeof resp);
    resp.struct_size = sizeof resp;
    resp.stream_arn = vstr("arn:aws:kinesisvideo:us-east-1:123456789012:"
                           "stream/VideoStream/1527207391000");
    ev.request = &req;
    ev.request_state = KVST_VALUE_OK;
    ev.response = &resp;
    ev.response_state = KVST_VALUE_OK;
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    if (c.count)
        dump(&c);

    req.media_type = vstr("h264");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEDIA_TYPE, "/requestParameters/mediaType",
               KVST_SEVERITY_ERROR);
    f = find(&c, KVST_F_MEDIA_TYPE, "/requestParameters/mediaType");
    CHECK(f && strcmp(f->message, "mediaType 'h264' does not match "
                                  "type/subtype[,type/subtype]") == 0);
    req.media_type = vstr("video/h264");

    req.kms_key_id = vstr("arn:aws:kms::us-east-1:123456789012:alias");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_KMS_KEY_ARN, "/requestParameters/kmsKeyId",
               KVST_SEVERITY_ERROR);
    req.kms_key_id = vstr("");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_LENGTH, "/requestParameters/kmsKeyId",
               KVST_SEVERITY_ERROR);
    req.kms_key_id = vstr("1234abcd-12ab-34cd-56ef-1234567890ab");

    /* dataRetentionInHours: 0..87600 (the model only gives min 0). */
    req.data_retention_in_hours = vint(87601, "87601");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_RANGE,
               "/requestParameters/dataRetentionInHours", KVST_SEVERITY_ERROR);
    req.data_retention_in_hours = vint(-1, "-1");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_RANGE,
               "/requestParameters/dataRetentionInHours", KVST_SEVERITY_ERROR);
    req.data_retention_in_hours = vint(0, "0");
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    /* A string where the model wants an integer. */
    req.data_retention_in_hours = vstr("24");
    req.data_retention_in_hours.state = KVST_VALUE_MISTYPED;
    req.data_retention_in_hours.model_type = KVST_TYPE_INTEGER;
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_TYPE,
               "/requestParameters/dataRetentionInHours", KVST_SEVERITY_ERROR);
    CHECK(c.count == 1 && strstr(c.items[0].message, "is a string") != NULL);
    req.data_retention_in_hours.state = KVST_VALUE_ABSENT;

    req.stream_name = vstr("Video Stream");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_STREAM_NAME, "/requestParameters/streamName",
               KVST_SEVERITY_ERROR);
    req.stream_name = vstr("");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_LENGTH, "/requestParameters/streamName",
               KVST_SEVERITY_ERROR);
    /* streamName is required by CreateStream. */
    req.stream_name.state = KVST_VALUE_ABSENT;
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_REQUIRED, "/requestParameters",
               KVST_SEVERITY_WARNING);
    req.stream_name.state = KVST_VALUE_NULL;
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_REQUIRED, "/requestParameters",
               KVST_SEVERITY_WARNING);
    req.stream_name = vstr("VideoStream");

    /* deviceName is at most 128 characters (stream names 256). */
    {
        static char long_name[130];
        memset(long_name, 'd', 129);
        req.device_name = vstr(long_name);
        c = run(&ev);
        CHECK_ONLY(c, KVST_F_MEMBER_LENGTH, "/requestParameters/deviceName",
                   KVST_SEVERITY_ERROR);
        long_name[128] = '\0';
        req.device_name = vstr(long_name);
        c = run(&ev);
        CHECK_EQ(c.count, 0);
    }

    /* Tags: keys judged at their entry, '/' and '~' escaped per RFC 6901. */
    req.tags.count = 3;
    tag_values[0] = vstr("a#b");
    c = run(&ev);
    CHECK_EQ(c.count, 3);
    CHECK(find(&c, KVST_F_TAG_VALUE, "/requestParameters/tags/Owner") != NULL);
    CHECK(find(&c, KVST_F_TAG_KEY, "/requestParameters/tags/bad*key") != NULL);
    /* the messages name the map's key and value */
    {
        const found *fv = find(&c, KVST_F_TAG_VALUE, "/requestParameters/tags/Owner");
        const found *fk = find(&c, KVST_F_TAG_KEY, "/requestParameters/tags/bad*key");
        CHECK(fv && strncmp(fv->message, "tags value 'a#b' does not match ", 32) == 0);
        CHECK(fk && strncmp(fk->message, "tags key 'bad*key' does not match ", 34) == 0);
    }
    /* '~' is no tag character; the pointer escapes both. */
    CHECK(find(&c, KVST_F_TAG_KEY, "/requestParameters/tags/a~1b~0c") != NULL);
    tag_values[0] = vstr("Alice");
    for (i = 0; i < 51; i++) {
        snprintf(names[i], sizeof names[i], "k%u", (unsigned)i);
        tag_keys[i] = str(names[i]);
        tag_values[i] = vstr("");
    }
    req.tags.count = 50;
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    req.tags.count = 51;
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_COUNT, "/requestParameters/tags",
               KVST_SEVERITY_ERROR);
    req.tags.count = 0;
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_COUNT, "/requestParameters/tags",
               KVST_SEVERITY_ERROR);
    req.tags.state = KVST_VALUE_ABSENT;

    /* The response ARN: pattern, creation time, account. */
    resp.stream_arn = vstr("arn:aws:kinesisvideo:us-east-1:123456789012:"
                           "stream/VideoStream");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_STREAM_ARN, "/responseElements/streamARN",
               KVST_SEVERITY_ERROR);
    resp.stream_arn = vstr("arn:aws:kinesisvideo:us-east-1:123456789012:"
                           "stream/VideoStream/12345");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_ARN_CREATION_EARLY, "/responseElements/streamARN",
               KVST_SEVERITY_INFO);
    resp.stream_arn = vstr("arn:aws:kinesisvideo:us-east-1:012345678910:"
                           "stream/VideoStream/1527207391000");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_ARN_OTHER_ACCOUNT, "/responseElements/streamARN",
               KVST_SEVERITY_INFO);

    /* A failed call: what the request got wrong is only a note. */
    resp.stream_arn.state = KVST_VALUE_ABSENT;
    req.media_type = vstr("h264");
    ev.error_code = str("InvalidArgumentException");
    ev.error_message = str("bad media type");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEDIA_TYPE, "/requestParameters/mediaType",
               KVST_SEVERITY_INFO);
    CHECK(c.count == 1 &&
          strstr(c.items[0].message, "InvalidArgumentException") != NULL);
}

static void test_other_actions(void)
{
    kvst_event ev;
    capture c;
    kvst_kvs_describe_stream_input ds;
    kvst_kvs_describe_stream_output dso;
    kvst_kvs_stream_info info;
    kvst_kvs_get_data_endpoint_input gde;
    kvst_kvs_list_streams_input ls;
    kvst_kvs_stream_name_condition cond;
    kvst_kvs_untag_stream_input us;
    kvst_kvs_update_data_retention_input udr;
    kvst_value keys[2];

    /* DescribeStream: streamName or streamARN. */
    ev = clean_event(KVST_ACTION_DESCRIBE_STREAM, "DescribeStream");
    memset(&ds, 0, sizeof ds);
    ds.struct_size = sizeof ds;
    ev.request = &ds;
    ev.request_state = KVST_VALUE_OK;
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_STREAM_ID_MISSING, "/requestParameters",
               KVST_SEVERITY_WARNING);
    ds.stream_arn = vstr("arn:aws:kinesisvideo:us-east-1:123456789012:"
                         "stream/VideoStream/1527207391000");
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    /* requestParameters null: the stream rule names what is missing. */
    ev.request = NULL;
    ev.request_state = KVST_VALUE_NULL;
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_STREAM_ID_MISSING, "/requestParameters",
               KVST_SEVERITY_WARNING);
    /* Not an object: action_map.c reports that; nothing more here. */
    ev.request_state = KVST_VALUE_MISTYPED;
    c = run(&ev);
    CHECK_EQ(c.count, 0);

    /* A nested response structure. */
    ev.request = &ds;
    ev.request_state = KVST_VALUE_OK;
    memset(&dso, 0, sizeof dso);
    memset(&info, 0, sizeof info);
    dso.struct_size = sizeof dso;
    info.struct_size = sizeof info;
    info.stream_arn = vstr("arn:aws:kinesisvideo:us-east-1:123456789012:x");
    info.status = vstr("ACTIVE");
    info.version = vstr("abc");
    dso.stream_info.state = KVST_VALUE_OK;
    dso.stream_info.json_type = KVST_JSON_OBJECT;
    dso.stream_info.model_type = KVST_TYPE_STRUCTURE;
    dso.stream_info.object = &info;
    ev.response = &dso;
    ev.response_state = KVST_VALUE_OK;
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_STREAM_ARN, "/responseElements/streamInfo/streamARN",
               KVST_SEVERITY_ERROR);
    info.stream_arn.state = KVST_VALUE_ABSENT;
    info.status = vstr("GONE");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_ENUM, "/responseElements/streamInfo/status",
               KVST_SEVERITY_WARNING);

    /* GetDataEndpoint: aPIName required, one of eight values. */
    ev = clean_event(KVST_ACTION_GET_DATA_ENDPOINT, "GetDataEndpoint");
    memset(&gde, 0, sizeof gde);
    gde.struct_size = sizeof gde;
    gde.stream_name = vstr("VideoStream");
    ev.request = &gde;
    ev.request_state = KVST_VALUE_OK;
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_REQUIRED, "/requestParameters",
               KVST_SEVERITY_WARNING);
    CHECK(c.count == 1 && strstr(c.items[0].message, "aPIName") != NULL);
    gde.api_name = vstr("GET_IMAGES");
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    gde.api_name = vstr("get_media");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_ENUM, "/requestParameters/aPIName",
               KVST_SEVERITY_WARNING);

    /* ListStreams: maxResults 1..10000, nested condition. */
    ev = clean_event(KVST_ACTION_LIST_STREAMS, "ListStreams");
    memset(&ls, 0, sizeof ls);
    memset(&cond, 0, sizeof cond);
    ls.struct_size = sizeof ls;
    cond.struct_size = sizeof cond;
    ls.max_results = vint(10000, "10000");
    cond.comparison_operator = vstr("BEGINS_WITH");
    cond.comparison_value = vstr("MyVideoStream");
    ls.stream_name_condition.state = KVST_VALUE_OK;
    ls.stream_name_condition.json_type = KVST_JSON_OBJECT;
    ls.stream_name_condition.model_type = KVST_TYPE_STRUCTURE;
    ls.stream_name_condition.object = &cond;
    ev.request = &ls;
    ev.request_state = KVST_VALUE_OK;
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    ls.max_results = vint(10001, "10001");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_RANGE, "/requestParameters/maxResults",
               KVST_SEVERITY_ERROR);
    ls.max_results = vint(0, "0");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_RANGE, "/requestParameters/maxResults",
               KVST_SEVERITY_ERROR);
    ls.max_results = vint(1, "1");
    cond.comparison_operator = vstr("ENDS_WITH");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_ENUM,
               "/requestParameters/streamNameCondition/comparisonOperator",
               KVST_SEVERITY_WARNING);
    cond.comparison_operator = vstr("BEGINS_WITH");
    ls.next_token = vstr("not a token!");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_NEXT_TOKEN, "/requestParameters/nextToken",
               KVST_SEVERITY_ERROR);

    /* UntagStream: tagKeyList items by index. */
    ev = clean_event(KVST_ACTION_UNTAG_STREAM, "UntagStream");
    memset(&us, 0, sizeof us);
    us.struct_size = sizeof us;
    us.stream_name = vstr("VideoStream");
    keys[0] = vstr("Owner");
    keys[1] = vstr("");
    us.tag_key_list.state = KVST_VALUE_OK;
    us.tag_key_list.json_type = KVST_JSON_ARRAY;
    us.tag_key_list.model_type = KVST_TYPE_LIST;
    us.tag_key_list.items = keys;
    us.tag_key_list.count = 2;
    ev.request = &us;
    ev.request_state = KVST_VALUE_OK;
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_LENGTH, "/requestParameters/tagKeyList/1",
               KVST_SEVERITY_ERROR);
    us.tag_key_list.count = 1;
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    us.tag_key_list.count = 0;
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_COUNT, "/requestParameters/tagKeyList",
               KVST_SEVERITY_ERROR);

    /* UpdateDataRetention: three required members, enum, minimum 1. */
    ev = clean_event(KVST_ACTION_UPDATE_DATA_RETENTION, "UpdateDataRetention");
    memset(&udr, 0, sizeof udr);
    udr.struct_size = sizeof udr;
    udr.stream_name = vstr("VideoStream");
    ev.request = &udr;
    ev.request_state = KVST_VALUE_OK;
    c = run(&ev);
    CHECK_EQ(c.count, 3);
    CHECK_EQ(count_at_least(&c, KVST_SEVERITY_ERROR), 0);
    udr.current_version = vstr("keqrjeqkj9");
    udr.operation = vstr("INCREASE_DATA_RETENTION");
    udr.data_retention_change_in_hours = vint(1, "1");
    c = run(&ev);
    CHECK_EQ(c.count, 0);
    udr.data_retention_change_in_hours = vint(0, "0");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_RANGE,
               "/requestParameters/dataRetentionChangeInHours",
               KVST_SEVERITY_ERROR);
    udr.data_retention_change_in_hours = vint(5, "5");
    udr.operation = vstr("GROW");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_MEMBER_ENUM, "/requestParameters/operation",
               KVST_SEVERITY_WARNING);
    udr.operation = vstr("DECREASE_DATA_RETENTION");
    udr.current_version = vstr("v-1");
    c = run(&ev);
    CHECK_ONLY(c, KVST_F_VERSION_STRING, "/requestParameters/currentVersion",
               KVST_SEVERITY_ERROR);
}

/* ---- The seed document's five records, as the parser builds them ----------- */

static void seed_identity(void)
{
    memset(&the_user, 0, sizeof the_user);
    the_user.struct_size = sizeof the_user;
    the_user.type = str("IAMUser");
    the_user.principal_id = str("EX_PRINCIPAL_ID");
    the_user.arn = str("arn:aws:iam::123456789012:user/Alice");
    the_user.account_id = str("123456789012");
    the_user.access_key_id = str("EXAMPLE_KEY_ID");
    the_user.user_name = str("Alice");
}

static kvst_event seed_event(uint32_t action, const char *name,
                             const char *time, const char *source)
{
    kvst_event ev;
    seed_identity();
    memset(&ev, 0, sizeof ev);
    ev.struct_size = sizeof ev;
    ev.action = action;
    ev.event_version = str("1.05");
    ev.user_identity = &the_user;
    ev.event_time = str(time);
    ev.event_source = str(source);
    ev.event_name = str(name);
    ev.aws_region = str("us-east-1");
    ev.source_ip_address = str("127.0.0.1");
    ev.user_agent = str("aws-sdk-java/unknown-version Linux/x.xx");
    ev.request_id = str("db6c59f8-c757-11e3-bc3b-57923b443c1c");
    ev.event_id = str("b7acfcd0-6ca9-4ee1-a3d7-c4e8d420d99b");
    ev.read_only = ev.management_event = KVST_BOOL_ABSENT;
    ev.session_credential_from_console = KVST_BOOL_ABSENT;
    return ev;
}

/* The errors and warnings of a record, as "code pointer" lines. */
static void serious(const capture *c, char *out, size_t cap)
{
    size_t i, n = 0;
    out[0] = '\0';
    for (i = 0; i < c->count; i++)
        if (c->items[i].severity >= KVST_SEVERITY_WARNING)
            n += (size_t)snprintf(out + n, cap - n, "%u %s\n",
                                  c->items[i].code, c->items[i].pointer);
}

static void test_seed_records(void)
{
    kvst_kvs_create_stream_input cs;
    kvst_kvs_create_stream_output cso;
    kvst_kvs_delete_stream_input del;
    kvst_kvs_describe_stream_input ds;
    kvst_kvs_get_data_endpoint_input gde;
    kvst_kvs_list_streams_input ls;
    kvst_kvs_stream_name_condition cond;
    kvst_event ev;
    capture c;
    char got[1024];

    memset(&cs, 0, sizeof cs);
    cs.struct_size = sizeof cs;
    cs.stream_name = vstr("VideoStream");
    cs.data_retention_in_hours = vint(2, "2");
    cs.media_type = vstr("mediaType");
    cs.kms_key_id = vstr("arn:aws:kms::us-east-1:123456789012:alias");
    cs.device_name = vstr("my-device");
    memset(&cso, 0, sizeof cso);
    cso.struct_size = sizeof cso;
    cso.stream_arn = vstr("arn:aws:kinesisvideo:us-east-1:123456789012:"
                          "stream/VideoStream/12345");
    ev = seed_event(KVST_ACTION_CREATE_STREAM, "CreateStream",
                    "2018-05-25T00:16:31Z", " kinesisvideo.amazonaws.com");
    ev.request = &cs;
    ev.request_state = KVST_VALUE_OK;
    ev.response = &cso;
    ev.response_state = KVST_VALUE_OK;
    c = run(&ev);
    serious(&c, got, sizeof got);
    CHECK(strcmp(got, "6 /eventSource\n"
                      "112 /requestParameters/mediaType\n"
                      "111 /requestParameters/kmsKeyId\n") == 0);
    CHECK(find(&c, KVST_F_ARN_CREATION_EARLY, "/responseElements/streamARN"));
    CHECK(find(&c, KVST_F_ACCESS_KEY_UNRECOGNISED, "/userIdentity/accessKeyId"));
    CHECK(find(&c, KVST_F_VERSION_FIELD_MISSING, ""));
    CHECK_EQ(last_info.credential, KVST_CREDENTIAL_UNKNOWN);
    CHECK(last_info.root_or_iam_user == 1 && last_info.cross_account == 0);

    memset(&del, 0, sizeof del);
    del.struct_size = sizeof del;
    del.stream_arn = vstr("arn:aws:kinesisvideo:us-east-1:012345678910:"
                          "stream/VideoStream/12345");
    del.current_version = vstr("keqrjeqkj9");
    ev = seed_event(KVST_ACTION_DELETE_STREAM, "DeleteStream",
                    "2018-05-25:17:06Z", " kinesisvideo.amazonaws.com");
    ev.request = &del;
    ev.request_state = KVST_VALUE_OK;
    ev.response_state = KVST_VALUE_NULL;
    c = run(&ev);
    serious(&c, got, sizeof got);
    CHECK(strcmp(got, "3 /eventTime\n6 /eventSource\n") == 0);
    CHECK(find(&c, KVST_F_ARN_OTHER_ACCOUNT, "/requestParameters/streamARN"));
    CHECK(find(&c, KVST_F_CROSS_ACCOUNT, "/userIdentity"));
    CHECK(last_info.cross_account == 1);
    CHECK(last_info.other_account_id.ptr == NULL);

    memset(&ds, 0, sizeof ds);
    ds.struct_size = sizeof ds;
    ds.stream_name = vstr("VideoStream");
    ev = seed_event(KVST_ACTION_DESCRIBE_STREAM, "DescribeStream",
                    "2014-04-19T00:15:02Z", " kinesisvideo.amazonaws.com");
    ev.request = &ds;
    ev.request_state = KVST_VALUE_OK;
    ev.response_state = KVST_VALUE_NULL;
    c = run(&ev);
    serious(&c, got, sizeof got);
    CHECK(strcmp(got, "6 /eventSource\n") == 0);
    CHECK(find(&c, KVST_F_EVENT_TIME_EARLY, "/eventTime"));

    memset(&gde, 0, sizeof gde);
    gde.struct_size = sizeof gde;
    gde.stream_name = vstr("VideoStream");
    gde.api_name = vstr("LIST_FRAGMENTS");
    ev = seed_event(KVST_ACTION_GET_DATA_ENDPOINT, "GetDataEndpoint",
                    "2014-04-19T00:15:03Z", "kinesisvideo.amazonaws.com");
    ev.request = &gde;
    ev.request_state = KVST_VALUE_OK;
    ev.response_state = KVST_VALUE_NULL;
    c = run(&ev);
    CHECK_EQ(count_at_least(&c, KVST_SEVERITY_WARNING), 0);
    if (count_at_least(&c, KVST_SEVERITY_WARNING))
        dump(&c);

    memset(&ls, 0, sizeof ls);
    memset(&cond, 0, sizeof cond);
    ls.struct_size = sizeof ls;
    cond.struct_size = sizeof cond;
    ls.max_results = vint(100, "100");
    cond.comparison_value = vstr("MyVideoStream");
    cond.comparison_operator = vstr("BEGINS_WITH");
    ls.stream_name_condition.state = KVST_VALUE_OK;
    ls.stream_name_condition.json_type = KVST_JSON_OBJECT;
    ls.stream_name_condition.model_type = KVST_TYPE_STRUCTURE;
    ls.stream_name_condition.object = &cond;
    ev = seed_event(KVST_ACTION_LIST_STREAMS, "ListStreams",
                    "2018-05-25T00:16:56Z", "kinesisvideo.amazonaws.com");
    ev.request = &ls;
    ev.request_state = KVST_VALUE_OK;
    ev.response_state = KVST_VALUE_NULL;
    c = run(&ev);
    CHECK_EQ(count_at_least(&c, KVST_SEVERITY_WARNING), 0);
    if (count_at_least(&c, KVST_SEVERITY_WARNING))
        dump(&c);
}

static void test_contract(void)
{
    kvst_event ev = other_service_event();
    kvst_identity_info info;
    capture c;

    /* The sink's error stops the stage and is returned. */
    ev.event_version = str("9.9");
    capture_init(&c);
    c.fail_with = KVST_E_NOMEM;
    info.struct_size = sizeof info;
    CHECK_EQ(kvst__validate_event(&ev, &info, &c.sink), KVST_E_NOMEM);
    info.struct_size = 8;
    CHECK_EQ(kvst__validate_event(&ev, &info, &c.sink), KVST_E_INVAL);
    CHECK_EQ(kvst__validate_event(NULL, &info, &c.sink), KVST_E_INVAL);

    /* kvst__finding uses the code's default severity. */
    capture_init(&c);
    CHECK_EQ(kvst__finding(&c.sink, KVST_F_MEDIA_TYPE, "/x", "m %d", 7), 0);
    CHECK(c.count == 1 && c.items[0].severity == KVST_SEVERITY_ERROR &&
          strcmp(c.items[0].message, "m 7") == 0 &&
          strcmp(c.items[0].pointer, "/x") == 0);
}

int main(void)
{
    test_clean();
    test_envelope_rules();
    test_identity_findings();
    test_create_stream();
    test_other_actions();
    test_seed_records();
    test_contract();
    return check_done("validate_record");
}
