/*
 * Every public validator with valid and invalid values at the boundaries,
 * the ARN parser, the finding table, and the pattern classes of the schema.
 */
#include <stdlib.h>

#include <kvstrail/kvstrail.h>

#include "schema.h"
#include "validate_internal.h"
#include "check.h"

#define V(fn, lit) fn((lit), strlen(lit))

/* A string of n copies of c (static buffer, reused). */
static const char *rep(char c, size_t n)
{
    static char buf[4200];
    if (n >= sizeof buf)
        abort();
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

/* Single-string adapters for the V() macro. */
static uint32_t ts_only(const char *s, size_t n)
{
    return kvst_validate_timestamp(s, n, NULL);
}
static uint32_t version_only(const char *s, size_t n)
{
    return kvst_validate_event_version(s, n, NULL, NULL);
}
static uint32_t arn_only(const char *s, size_t n)
{
    return kvst_arn_parse(s, n, NULL);
}
static uint32_t resource_arn_only(const char *s, size_t n)
{
    return kvst_validate_resource_arn(s, n, NULL);
}
static uint32_t pat_name(const char *s, size_t n)
{
    return kvst__pattern_check(KVST_PAT_NAME, s, n);
}
static uint32_t pat_uri(const char *s, size_t n)
{
    return kvst__pattern_check(KVST_PAT_DESTINATION_URI, s, n);
}
static uint32_t pat_iot(const char *s, size_t n)
{
    return kvst__pattern_check(KVST_PAT_IOT_THING_ARN, s, n);
}
static uint32_t pat_secret(const char *s, size_t n)
{
    return kvst__pattern_check(KVST_PAT_SECRET_ARN, s, n);
}

static void test_stream_name(void)
{
    CHECK_EQ(V(kvst_validate_stream_name, "VideoStream"), 0);
    CHECK_EQ(V(kvst_validate_stream_name, "my-device_1.x"), 0);
    CHECK_EQ(V(kvst_validate_stream_name, "a"), 0);
    CHECK_EQ(V(kvst_validate_stream_name, ""), KVST_F_STREAM_NAME);
    CHECK_EQ(kvst_validate_stream_name(rep('a', 256), 256), 0);
    CHECK_EQ(kvst_validate_stream_name(rep('a', 257), 257), KVST_F_STREAM_NAME);
    CHECK_EQ(V(kvst_validate_stream_name, "Video Stream"), KVST_F_STREAM_NAME);
    CHECK_EQ(V(kvst_validate_stream_name, "a/b"), KVST_F_STREAM_NAME);
    CHECK_EQ(V(kvst_validate_stream_name, "caf\xc3\xa9"), KVST_F_STREAM_NAME);
    CHECK_EQ(kvst_validate_stream_name(NULL, 0), KVST_F_STREAM_NAME);
    /* Embedded NUL is not a name character. */
    CHECK_EQ(kvst_validate_stream_name("ab\0c", 4), KVST_F_STREAM_NAME);
}

static void test_arn_parse(void)
{
    kvst_arn a;
    const char *s = "arn:aws:kinesisvideo:us-east-1:123456789012:"
                    "stream/VideoStream/1234567890123";
    CHECK_EQ(V(arn_only, s), 0);
    kvst_arn_parse(s, strlen(s), &a);
    CHECK_VIEW(a.partition, "aws");
    CHECK_VIEW(a.service, "kinesisvideo");
    CHECK_VIEW(a.region, "us-east-1");
    CHECK_VIEW(a.account, "123456789012");
    CHECK_VIEW(a.resource, "stream/VideoStream/1234567890123");
    CHECK_VIEW(a.resource_type, "stream");
    CHECK_VIEW(a.name, "VideoStream");
    CHECK_VIEW(a.creation, "1234567890123");
    CHECK(a.creation_time == INT64_C(1234567890123));

    /* A KVS ARN without creation time: name only, creation -1. */
    s = "arn:aws:kinesisvideo:us-east-1:123456789012:stream/VideoStream";
    CHECK_EQ(kvst_arn_parse(s, strlen(s), &a), 0);
    CHECK_VIEW(a.name, "VideoStream");
    CHECK(a.creation.ptr == NULL);
    CHECK(a.creation_time == -1);

    /* Non-KVS ARNs: IAM user, KMS alias with '/', a ':'-typed resource. */
    s = "arn:aws:iam::123456789012:user/Alice";
    CHECK_EQ(kvst_arn_parse(s, strlen(s), &a), 0);
    CHECK_EQ(a.region.len, 0);
    CHECK_VIEW(a.resource_type, "user");
    CHECK_VIEW(a.name, "Alice");
    s = "arn:aws:kms:us-east-1:123456789012:alias/aws/kinesisvideo";
    CHECK_EQ(kvst_arn_parse(s, strlen(s), &a), 0);
    CHECK_VIEW(a.resource_type, "alias");
    CHECK_VIEW(a.name, "aws/kinesisvideo");
    s = "arn:aws:secretsmanager:us-east-1:123456789012:secret:my-secret";
    CHECK_EQ(kvst_arn_parse(s, strlen(s), &a), 0);
    CHECK_VIEW(a.resource_type, "secret");
    CHECK_VIEW(a.name, "my-secret");

    CHECK_EQ(V(arn_only, "arn:aws:iam::123456789012"), KVST_F_STREAM_ARN);
    CHECK_EQ(V(arn_only, "arn::iam::1:user/x"), KVST_F_STREAM_ARN);
    CHECK_EQ(V(arn_only, "arn:aws:iam::1:"), KVST_F_STREAM_ARN);
    CHECK_EQ(V(arn_only, "urn:aws:iam::1:user/x"), KVST_F_STREAM_ARN);
    CHECK_EQ(kvst_arn_parse(NULL, 0, &a), KVST_F_STREAM_ARN);
    CHECK(a.creation_time == -1 && a.partition.ptr == NULL);
    CHECK_EQ(kvst_arn_parse("arn:a:b:c:d:e", 13, NULL), 0);
}

static void test_resource_arn(void)
{
    kvst_arn a;
    const char *ok = "arn:aws:kinesisvideo:us-east-1:123456789012:"
                     "stream/VideoStream/12345";
    char big[1100];

    CHECK_EQ(kvst_validate_resource_arn(ok, strlen(ok), &a), 0);
    CHECK(a.creation_time == 12345);
    CHECK_VIEW(a.account, "123456789012");
    CHECK_EQ(V(resource_arn_only,
               "arn:aws-cn:kinesisvideo:cn-north-1:1:channel/ch.1/0"), 0);
    /* The creation-time suffix is required. */
    CHECK_EQ(kvst_validate_resource_arn(
                 "arn:aws:kinesisvideo:us-east-1:123456789012:stream/Video",
                 55, &a), KVST_F_STREAM_ARN);
    CHECK(a.creation_time == -1);
    CHECK_EQ(V(resource_arn_only,
               "arn:aws:kinesisvideo:us-east-1:123456789012:stream/V/12a"),
             KVST_F_STREAM_ARN);
    CHECK_EQ(V(resource_arn_only,
               "arn:aws:kinesis:us-east-1:123456789012:stream/V/1"),
             KVST_F_STREAM_ARN);
    CHECK_EQ(V(resource_arn_only,
               "arn:aws:kinesisvideo:US-EAST-1:123456789012:stream/V/1"),
             KVST_F_STREAM_ARN);
    CHECK_EQ(V(resource_arn_only,
               "arn:aws:kinesisvideo:us-east-1:12345678901x:stream/V/1"),
             KVST_F_STREAM_ARN);
    CHECK_EQ(V(resource_arn_only,
               "arn:aws:kinesisvideo:us-east-1:1:Stream/V/1"),
             KVST_F_STREAM_ARN);
    CHECK_EQ(V(resource_arn_only,
               "arn:aws:kinesisvideo:us-east-1:1:stream/V w/1"),
             KVST_F_STREAM_ARN);
    CHECK_EQ(V(resource_arn_only, ""), KVST_F_STREAM_ARN);
    /* 1024 bytes is the maximum length; 1025 is one too many. */
    memcpy(big, "arn:aws:kinesisvideo:us-east-1:1:stream/", 40);
    memset(big + 40, 'n', 1024 - 40 - 2);
    memcpy(big + 1022, "/1", 2);
    CHECK_EQ(kvst_validate_resource_arn(big, 1024, NULL), 0);
    memmove(big + 1023, "/1", 2);
    big[1022] = 'n';
    CHECK_EQ(kvst_validate_resource_arn(big, 1025, NULL), KVST_F_STREAM_ARN);
}

static void test_kms_key_id(void)
{
    CHECK_EQ(V(kvst_validate_kms_key_id,
               "1234abcd-12ab-34cd-56ef-1234567890ab"), 0);
    CHECK_EQ(V(kvst_validate_kms_key_id, "alias/my-key"), 0);
    CHECK_EQ(V(kvst_validate_kms_key_id,
               "arn:aws:kms:us-east-1:123456789012:key/"
               "1234abcd-12ab-34cd-56ef-1234567890ab"), 0);
    CHECK_EQ(V(kvst_validate_kms_key_id,
               "arn:aws:kms:us-east-1:123456789012:alias/aws/kinesisvideo"),
             0);
    CHECK_EQ(V(kvst_validate_kms_key_id,
               "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/k"), 0);
    /* The seed document's: region in the account slot, no alias name. */
    CHECK_EQ(V(kvst_validate_kms_key_id,
               "arn:aws:kms::us-east-1:123456789012:alias"),
             KVST_F_KMS_KEY_ARN);
    CHECK_EQ(V(kvst_validate_kms_key_id,
               "arn:aws:kms:us-east-1:123456789012:alias/"),
             KVST_F_KMS_KEY_ARN);
    CHECK_EQ(V(kvst_validate_kms_key_id,
               "arn:aws:kms:us-east-1:123456789012:grant/x"),
             KVST_F_KMS_KEY_ARN);
    CHECK_EQ(V(kvst_validate_kms_key_id,
               "arn:aws:s3:us-east-1:123456789012:key/x"), KVST_F_KMS_KEY_ARN);
    CHECK_EQ(V(kvst_validate_kms_key_id,
               "arn:aws:kms:us-east-1:12345678901:key/x"), KVST_F_KMS_KEY_ARN);
    CHECK_EQ(V(kvst_validate_kms_key_id, "arn:"), KVST_F_KMS_KEY_ARN);
    CHECK_EQ(V(kvst_validate_kms_key_id, ""), KVST_F_MEMBER_LENGTH);
    CHECK_EQ(V(kvst_validate_kms_key_id, "a"), 0);
    CHECK_EQ(kvst_validate_kms_key_id(rep('k', 2048), 2048), 0);
    CHECK_EQ(kvst_validate_kms_key_id(rep('k', 2049), 2049),
             KVST_F_MEMBER_LENGTH);
    CHECK_EQ(V(kvst_validate_kms_key_id, "two\nlines"), KVST_F_MEMBER_PATTERN);
}

static void test_media_type(void)
{
    char big[140];
    CHECK_EQ(V(kvst_validate_media_type, "video/h264"), 0);
    CHECK_EQ(V(kvst_validate_media_type, "video/h264,audio/aac"), 0);
    CHECK_EQ(V(kvst_validate_media_type, "video/x-matroska+v1.0"), 0);
    CHECK_EQ(V(kvst_validate_media_type, "h264"), KVST_F_MEDIA_TYPE);
    CHECK_EQ(V(kvst_validate_media_type, "mediaType"), KVST_F_MEDIA_TYPE);
    CHECK_EQ(V(kvst_validate_media_type, "video/"), KVST_F_MEDIA_TYPE);
    CHECK_EQ(V(kvst_validate_media_type, "/h264"), KVST_F_MEDIA_TYPE);
    CHECK_EQ(V(kvst_validate_media_type, "video/h264,"), KVST_F_MEDIA_TYPE);
    CHECK_EQ(V(kvst_validate_media_type, "video/h264, audio/aac"),
             KVST_F_MEDIA_TYPE);
    CHECK_EQ(V(kvst_validate_media_type, "video/h/264"), KVST_F_MEDIA_TYPE);
    CHECK_EQ(V(kvst_validate_media_type, ""), KVST_F_MEDIA_TYPE);
    /* 128 bytes is the maximum. */
    memset(big, 'v', sizeof big);
    big[60] = '/';
    CHECK_EQ(kvst_validate_media_type(big, 128), 0);
    CHECK_EQ(kvst_validate_media_type(big, 129), KVST_F_MEDIA_TYPE);
}

static void test_timestamp(void)
{
    int64_t ms = -1;
    CHECK_EQ(kvst_validate_timestamp("2018-05-25T00:16:31Z", 20, &ms), 0);
    CHECK(ms == INT64_C(1527207391000));
    CHECK_EQ(kvst_validate_timestamp("1970-01-01T00:00:00Z", 20, &ms), 0);
    CHECK(ms == 0);
    /* Year 0000 (proleptic Gregorian, a leap year), before the epoch. */
    CHECK_EQ(kvst_validate_timestamp("0000-01-01T00:00:00Z", 20, &ms), 0);
    CHECK(ms == INT64_C(-62167219200000));
    CHECK_EQ(kvst_validate_timestamp("0000-02-29T23:59:59Z", 20, &ms), 0);
    CHECK(ms == INT64_C(-62162035201000));
    CHECK_EQ(kvst_validate_timestamp("9999-12-31T23:59:59Z", 20, &ms), 0);
    CHECK(ms == INT64_C(253402300799000));
    CHECK_EQ(kvst_validate_timestamp("2017-11-29T00:00:00Z", 20, &ms), 0);
    CHECK(ms == KVST__KVS_LAUNCH_MS);
    CHECK_EQ(V(ts_only, "2024-02-29T12:00:00Z"), 0);
    CHECK_EQ(V(ts_only, "2000-02-29T12:00:00Z"), 0);
    CHECK_EQ(V(ts_only, "1900-02-29T12:00:00Z"),
             KVST_F_EVENT_TIME_CALENDAR);
    CHECK_EQ(V(ts_only, "2023-02-29T12:00:00Z"),
             KVST_F_EVENT_TIME_CALENDAR);
    CHECK_EQ(V(ts_only, "2024-02-30T12:00:00Z"),
             KVST_F_EVENT_TIME_CALENDAR);
    CHECK_EQ(V(ts_only, "2024-04-31T12:00:00Z"),
             KVST_F_EVENT_TIME_CALENDAR);
    CHECK_EQ(V(ts_only, "2024-12-31T23:59:59Z"), 0);
    CHECK_EQ(V(ts_only, "2024-12-31T24:00:00Z"),
             KVST_F_EVENT_TIME_CALENDAR);
    CHECK_EQ(V(ts_only, "2024-12-31T23:60:00Z"),
             KVST_F_EVENT_TIME_CALENDAR);
    CHECK_EQ(V(ts_only, "2024-12-31T23:59:60Z"),
             KVST_F_EVENT_TIME_CALENDAR);
    CHECK_EQ(V(ts_only, "2024-13-01T00:00:00Z"),
             KVST_F_EVENT_TIME_CALENDAR);
    CHECK_EQ(V(ts_only, "2024-00-01T00:00:00Z"),
             KVST_F_EVENT_TIME_CALENDAR);
    CHECK_EQ(V(ts_only, "2024-01-00T00:00:00Z"),
             KVST_F_EVENT_TIME_CALENDAR);
    /* The seed document's eventTime. */
    CHECK_EQ(V(ts_only, "2018-05-25:17:06Z"),
             KVST_F_EVENT_TIME_FORMAT);
    CHECK_EQ(V(ts_only, "2018-05-25T00:16:31"),
             KVST_F_EVENT_TIME_FORMAT);
    CHECK_EQ(V(ts_only, "2018-05-25T00:16:31.000Z"),
             KVST_F_EVENT_TIME_FORMAT);
    CHECK_EQ(V(ts_only, "2018-05-25 00:16:31Z"),
             KVST_F_EVENT_TIME_FORMAT);
    CHECK_EQ(V(ts_only, "2018-05-25t00:16:31z"),
             KVST_F_EVENT_TIME_FORMAT);
    CHECK_EQ(V(ts_only, ""), KVST_F_EVENT_TIME_FORMAT);
    CHECK_EQ(kvst_validate_timestamp(NULL, 20, NULL), KVST_F_EVENT_TIME_FORMAT);
}

static void test_region(void)
{
    CHECK_EQ(V(kvst_validate_region, "us-east-1"), 0);
    CHECK_EQ(V(kvst_validate_region, "us-gov-west-1"), 0);
    CHECK_EQ(V(kvst_validate_region, "cn-north-1"), 0);
    CHECK_EQ(V(kvst_validate_region, "eu-central-2"), 0);
    CHECK_EQ(V(kvst_validate_region, "us-isob-east-1"), 0);
    CHECK_EQ(V(kvst_validate_region, "eusc-de-east-1"), 0);
    CHECK_EQ(V(kvst_validate_region, "US-EAST-1"), KVST_F_REGION_FORMAT);
    CHECK_EQ(V(kvst_validate_region, "us-east"), KVST_F_REGION_FORMAT);
    CHECK_EQ(V(kvst_validate_region, "useast1"), KVST_F_REGION_FORMAT);
    CHECK_EQ(V(kvst_validate_region, "us-east-1 "), KVST_F_REGION_FORMAT);
    CHECK_EQ(V(kvst_validate_region, "-us-east-1"), KVST_F_REGION_FORMAT);
    CHECK_EQ(V(kvst_validate_region, "us--east-1"), KVST_F_REGION_FORMAT);
    CHECK_EQ(V(kvst_validate_region, "us-east-1a"), KVST_F_REGION_FORMAT);
    CHECK_EQ(V(kvst_validate_region, ""), KVST_F_REGION_FORMAT);
}

static void test_account_uuid(void)
{
    CHECK_EQ(V(kvst_validate_account_id, "123456789012"), 0);
    CHECK_EQ(V(kvst_validate_account_id, "012345678910"), 0);
    CHECK_EQ(V(kvst_validate_account_id, "12345678901"),
             KVST_F_ACCOUNT_ID_FORMAT);
    CHECK_EQ(V(kvst_validate_account_id, "1234567890123"),
             KVST_F_ACCOUNT_ID_FORMAT);
    CHECK_EQ(V(kvst_validate_account_id, "12345678901a"),
             KVST_F_ACCOUNT_ID_FORMAT);
    CHECK_EQ(V(kvst_validate_account_id, ""), KVST_F_ACCOUNT_ID_FORMAT);

    CHECK_EQ(V(kvst_validate_uuid, "b7acfcd0-6ca9-4ee1-a3d7-c4e8d420d99b"), 0);
    CHECK_EQ(V(kvst_validate_uuid, "B7ACFCD0-6CA9-4EE1-A3D7-C4E8D420D99B"), 0);
    CHECK_EQ(V(kvst_validate_uuid, "b7acfcd0-6ca9-4ee1-a3d7-c4e8d420d99"),
             KVST_F_EVENT_ID_FORMAT);
    CHECK_EQ(V(kvst_validate_uuid, "b7acfcd0-6ca9-4ee1-a3d7-c4e8d420d99bb"),
             KVST_F_EVENT_ID_FORMAT);
    CHECK_EQ(V(kvst_validate_uuid, "b7acfcd0x6ca9-4ee1-a3d7-c4e8d420d99b"),
             KVST_F_EVENT_ID_FORMAT);
    CHECK_EQ(V(kvst_validate_uuid, "g7acfcd0-6ca9-4ee1-a3d7-c4e8d420d99b"),
             KVST_F_EVENT_ID_FORMAT);
}

static void test_source_ip(void)
{
    CHECK_EQ(V(kvst_validate_source_ip, "127.0.0.1"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "0.0.0.0"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "255.255.255.255"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "300.1.1.1"), KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "256.1.1.1"), KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "1.2.3"), KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "1.2.3.4.5"), KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "01.2.3.4"), KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "1.2.3.4 "), KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "2001:db8::1"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "::1"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "::"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "fe80::"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "::ffff:1.2.3.4"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "1:2:3:4:5:6:7:8"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "1:2:3:4:5:6:1.2.3.4"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "1:2:3:4:5:6:7"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "1:2:3:4:5:6:7:8:9"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "1:2:3:4::5:6:7:8"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "2001:db8::1::2"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "2001:db8:::1"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "12345::1"), KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, ":1:2:3:4:5:6:7"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "1:"), KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "::ffff:300.2.3.4"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "ec2.amazonaws.com"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "AWS Internal"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "aws internal"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "example.com"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, ".amazonaws.com"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, ""), KVST_F_SOURCE_IP_FORMAT);
    /* Service hosts as real logs write them; another domain is not one. */
    CHECK_EQ(V(kvst_validate_source_ip, "cloudformation.amazonaws.com"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "s3.cn-north-1.amazonaws.com.cn"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "ec2.amazonaws.com.example.com"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "amazonaws.com"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "EC2.amazonaws.com"),
             KVST_F_SOURCE_IP_FORMAT);
    /* Address lists: with and without spaces, IPv4 and IPv6 mixed. */
    CHECK_EQ(V(kvst_validate_source_ip, "192.0.2.1,198.51.100.7"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "192.0.2.1, 198.51.100.7"), 0);
    CHECK_EQ(V(kvst_validate_source_ip, "192.0.2.1 , 2001:db8::1, 10.0.0.1"), 0);
    /* A list of one address (a trailing comma) has an empty member. */
    CHECK_EQ(V(kvst_validate_source_ip, "192.0.2.1,"), KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, ",192.0.2.1"), KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "192.0.2.1,,10.0.0.1"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, ","), KVST_F_SOURCE_IP_FORMAT);
    /* One bad member spoils the list: first, middle, last. */
    CHECK_EQ(V(kvst_validate_source_ip, "192.0.2.256, 10.0.0.1"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "10.0.0.1, 10.0.0, 10.0.0.2"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "10.0.0.1, ec2.amazonaws.com"),
             KVST_F_SOURCE_IP_FORMAT);
    CHECK_EQ(V(kvst_validate_source_ip, "10.0.0.1, AWS Internal"),
             KVST_F_SOURCE_IP_FORMAT);
    /* Only spaces separate: a tab is not one. */
    CHECK_EQ(V(kvst_validate_source_ip, "10.0.0.1,\t10.0.0.2"),
             KVST_F_SOURCE_IP_FORMAT);
}

static void test_event_version(void)
{
    int32_t ma = 0, mi = 0, ma2, mi2;
    CHECK_EQ(kvst_validate_event_version("1.05", 4, &ma, &mi), 0);
    CHECK(ma == 1 && mi == 5);
    CHECK_EQ(kvst_validate_event_version("1.10", 4, &ma, &mi), 0);
    CHECK_EQ(kvst_validate_event_version("1.9", 3, &ma2, &mi2), 0);
    CHECK(ma == ma2 && mi > mi2); /* 1.10 is newer than 1.9 */
    CHECK_EQ(kvst_validate_event_version("1.99", 4, NULL, NULL), 0);
    CHECK_EQ(kvst_validate_event_version("2.0", 3, &ma, &mi),
             KVST_F_EVENT_VERSION_MAJOR);
    CHECK(ma == 2 && mi == 0);
    CHECK_EQ(kvst_validate_event_version("0.9", 3, NULL, NULL),
             KVST_F_EVENT_VERSION_MAJOR);
    CHECK_EQ(kvst_validate_event_version("1", 1, &ma, &mi),
             KVST_F_EVENT_VERSION_FORMAT);
    CHECK(ma == -1 && mi == -1);
    CHECK_EQ(V(version_only, "1."), KVST_F_EVENT_VERSION_FORMAT);
    CHECK_EQ(V(version_only, ".5"), KVST_F_EVENT_VERSION_FORMAT);
    CHECK_EQ(V(version_only, "1.0a"),
             KVST_F_EVENT_VERSION_FORMAT);
    CHECK_EQ(V(version_only, "v1.05"),
             KVST_F_EVENT_VERSION_FORMAT);
    CHECK_EQ(V(version_only, "1.2.3"),
             KVST_F_EVENT_VERSION_FORMAT);
    CHECK_EQ(V(version_only, "1.9999999999"),
             KVST_F_EVENT_VERSION_FORMAT);
    CHECK_EQ(V(version_only, ""), KVST_F_EVENT_VERSION_FORMAT);
}

static void test_event_source(void)
{
    CHECK_EQ(V(kvst_validate_event_source, "kinesisvideo.amazonaws.com"), 0);
    CHECK_EQ(V(kvst_validate_event_source, "s3-outposts.amazonaws.com"), 0);
    CHECK_EQ(V(kvst_validate_event_source, " kinesisvideo.amazonaws.com"),
             KVST_F_EVENT_SOURCE_SPACE);
    CHECK_EQ(V(kvst_validate_event_source, "kinesisvideo.amazonaws.com\t"),
             KVST_F_EVENT_SOURCE_SPACE);
    CHECK_EQ(V(kvst_validate_event_source, "KinesisVideo.amazonaws.com"),
             KVST_F_EVENT_SOURCE_FORMAT);
    CHECK_EQ(V(kvst_validate_event_source, "kinesisvideo"),
             KVST_F_EVENT_SOURCE_FORMAT);
    CHECK_EQ(V(kvst_validate_event_source, "kinesis video.amazonaws.com"),
             KVST_F_EVENT_SOURCE_FORMAT);
    CHECK_EQ(V(kvst_validate_event_source, "a..amazonaws.com"),
             KVST_F_EVENT_SOURCE_FORMAT);
    CHECK_EQ(V(kvst_validate_event_source, ""), KVST_F_EVENT_SOURCE_FORMAT);
}

static void test_tags_version(void)
{
    char buf[600];
    size_t i;
    CHECK_EQ(V(kvst_validate_tag_key, "Owner"), 0);
    CHECK_EQ(V(kvst_validate_tag_key, "team:video/cam-1 =+@_."), 0);
    CHECK_EQ(V(kvst_validate_tag_key, "caf\xc3\xa9 \xe6\x9d\xb1\xe4\xba\xac"), 0);
    CHECK_EQ(V(kvst_validate_tag_key, "a"), 0);
    CHECK_EQ(V(kvst_validate_tag_key, ""), KVST_F_TAG_KEY);
    CHECK_EQ(kvst_validate_tag_key(rep('k', 128), 128), 0);
    CHECK_EQ(kvst_validate_tag_key(rep('k', 129), 129), KVST_F_TAG_KEY);
    CHECK_EQ(V(kvst_validate_tag_key, "a*b"), KVST_F_TAG_KEY);
    CHECK_EQ(V(kvst_validate_tag_key, "a\tb"), KVST_F_TAG_KEY);
    CHECK_EQ(kvst_validate_tag_key("a\0b", 3), KVST_F_TAG_KEY);
    CHECK_EQ(V(kvst_validate_tag_key, "bad\xc3"), KVST_F_TAG_KEY);
    CHECK_EQ(V(kvst_validate_tag_key, "\xed\xa0\x80"), KVST_F_TAG_KEY);
    /* 128 characters of two bytes each: counted in characters. */
    for (i = 0; i < 129; i++)
        memcpy(buf + 2 * i, "\xc3\xa9", 2);
    CHECK_EQ(kvst_validate_tag_key(buf, 256), 0);
    CHECK_EQ(kvst_validate_tag_key(buf, 258), KVST_F_TAG_KEY);

    CHECK_EQ(V(kvst_validate_tag_value, ""), 0);
    CHECK_EQ(kvst_validate_tag_value(NULL, 0), 0);
    CHECK_EQ(V(kvst_validate_tag_value, "Alice"), 0);
    CHECK_EQ(kvst_validate_tag_value(rep('v', 256), 256), 0);
    CHECK_EQ(kvst_validate_tag_value(rep('v', 257), 257), KVST_F_TAG_VALUE);
    CHECK_EQ(V(kvst_validate_tag_value, "a#b"), KVST_F_TAG_VALUE);

    CHECK_EQ(V(kvst_validate_version_string, "keqrjeqkj9"), 0);
    CHECK_EQ(V(kvst_validate_version_string, "a"), 0);
    CHECK_EQ(kvst_validate_version_string(rep('v', 64), 64), 0);
    CHECK_EQ(kvst_validate_version_string(rep('v', 65), 65),
             KVST_F_VERSION_STRING);
    CHECK_EQ(V(kvst_validate_version_string, ""), KVST_F_VERSION_STRING);
    CHECK_EQ(V(kvst_validate_version_string, "v-1"), KVST_F_VERSION_STRING);
}

static void test_patterns(void)
{
    CHECK_EQ(V(pat_name, "ok.name-1"), 0);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_NAME, "a b", 3), KVST_F_STREAM_NAME);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_REGION, "us-east-1", 9), 0);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_REGION, "us-gov-west-1", 13), 0);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_REGION, "us-east-12", 10),
             KVST_F_MEMBER_PATTERN);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_REGION, "us-1", 4),
             KVST_F_MEMBER_PATTERN);
    CHECK_EQ(V(pat_uri, "s3://bucket/prefix/key"), 0);
    CHECK_EQ(V(pat_uri, "s3:bucket"), 0);
    CHECK_EQ(V(pat_uri, "s3://b*cket/x"), 0);
    CHECK_EQ(V(pat_uri, "s3://bucket/x*"),
             KVST_F_MEMBER_PATTERN);
    CHECK_EQ(V(pat_uri, "s3:///x"), KVST_F_MEMBER_PATTERN);
    CHECK_EQ(V(pat_uri, "bucket/x"), KVST_F_MEMBER_PATTERN);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_FORMAT_CONFIG, "JPEG q=80", 9), 0);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_FORMAT_CONFIG, " x", 2),
             KVST_F_MEMBER_PATTERN);
    CHECK_EQ(V(pat_iot,
               "arn:aws:iot:us-east-1:123456789012:thing/cam_1"), 0);
    CHECK_EQ(V(pat_iot,
               "arn:aws:iot:us-east-1:123456789012:thing/"),
             KVST_F_MEMBER_PATTERN);
    CHECK_EQ(V(pat_iot,
               "arn:aws:iot:us-east-1:123456789012:rule/x"),
             KVST_F_MEMBER_PATTERN);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_ANY, "x", 1), 0);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_ANY, "", 0), KVST_F_MEMBER_PATTERN);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_ANY, "a\nb", 3),
             KVST_F_MEMBER_PATTERN);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_MEDIA_TYPE, "h264", 4),
             KVST_F_MEDIA_TYPE);
    CHECK_EQ(V(pat_secret,
               "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-1"), 0);
    CHECK_EQ(V(pat_secret,
               "arn:aws:secretsmanager:us-east-1:123456789012:secret/s-1"),
             KVST_F_MEMBER_PATTERN);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_NEXT_TOKEN, "", 0), 0);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_NEXT_TOKEN, "aGk+/w==", 8), 0);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_NEXT_TOKEN, "a_b", 3),
             KVST_F_NEXT_TOKEN);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_RESOURCE_ARN, "arn:x", 5),
             KVST_F_STREAM_ARN);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_SCHEDULE, "rate(5 minutes)", 15), 0);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_SCHEDULE, "rate(5)", 7),
             KVST_F_MEMBER_PATTERN);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_SCHEDULE, "rate(5\nminutes)", 15),
             KVST_F_MEMBER_PATTERN);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_TAG_KEY, "a:b", 3), 0);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_TAG_KEY, "a!b", 3), KVST_F_TAG_KEY);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_TAG_VALUE, "a!b", 3),
             KVST_F_TAG_VALUE);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_VERSION, "abc", 3), 0);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_VERSION, "a.c", 3),
             KVST_F_VERSION_STRING);
    CHECK_EQ(kvst__pattern_check(KVST_PAT_NONE, "anything\n", 9), 0);
}

static void test_utf8_length(void)
{
    size_t n = 0;
    CHECK(kvst__utf8_length("abc", 3, &n) == 0 && n == 3);
    CHECK(kvst__utf8_length("\xc3\xa9\xe2\x82\xac\xf0\x9f\x8e\xa5", 9, &n) ==
              0 && n == 3);
    CHECK(kvst__utf8_length("\xc0\xaf", 2, &n) == -1 && n == 2); /* overlong */
    CHECK(kvst__utf8_length("\xf4\x90\x80\x80", 4, &n) == -1); /* > U+10FFFF */
    CHECK(kvst__utf8_length("\xe2\x82", 2, &n) == -1);         /* cut short */
}

static void test_finding_table(void)
{
    static const uint32_t codes[] = {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112,
        113, 114, 115, 116, 117, 118, 200, 201, 202, 203, 204, 205,
    };
    size_t i;
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *name = kvst_finding_name(codes[i]);
        uint32_t sev = kvst_finding_severity(codes[i]);
        CHECK(name != NULL && strncmp(name, "KVST_F_", 7) == 0);
        CHECK(sev >= KVST_SEVERITY_INFO && sev <= KVST_SEVERITY_ERROR);
        CHECK(kvst_finding_rule(codes[i]) != NULL &&
              strlen(kvst_finding_rule(codes[i])) > 10);
        CHECK(kvst__finding_expect(codes[i])[0] != '\0');
    }
    CHECK(strcmp(kvst_finding_name(KVST_F_MEDIA_TYPE), "KVST_F_MEDIA_TYPE") == 0);
    CHECK(strcmp(kvst_finding_name(KVST_F_ROOT_ACCESS_KEY),
                 "KVST_F_ROOT_ACCESS_KEY") == 0);
    CHECK_EQ(kvst_finding_severity(KVST_F_MEDIA_TYPE), KVST_SEVERITY_ERROR);
    CHECK_EQ(kvst_finding_severity(KVST_F_REQUIRED_FIELD_MISSING),
             KVST_SEVERITY_WARNING);
    CHECK_EQ(kvst_finding_severity(KVST_F_ROOT_ACCESS_KEY),
             KVST_SEVERITY_WARNING);
    CHECK_EQ(kvst_finding_severity(KVST_F_ACCOUNT_ID_FORMAT),
             KVST_SEVERITY_WARNING);
    CHECK_EQ(kvst_finding_severity(KVST_F_EVENT_TIME_EARLY), KVST_SEVERITY_INFO);
    CHECK_EQ(kvst_finding_severity(KVST_F_ARN_OTHER_ACCOUNT),
             KVST_SEVERITY_INFO);
    CHECK_EQ(kvst_finding_severity(KVST_F_VERSION_FIELD_MISSING),
             KVST_SEVERITY_INFO);
    CHECK(kvst_finding_name(0) == NULL);
    CHECK(kvst_finding_name(99) == NULL); /* a gap of the envelope range */
    CHECK(kvst_finding_rule(999) == NULL);
    CHECK_EQ(kvst_finding_severity(999), 0);
}

int main(void)
{
    test_stream_name();
    test_arn_parse();
    test_resource_arn();
    test_kms_key_id();
    test_media_type();
    test_timestamp();
    test_region();
    test_account_uuid();
    test_source_ip();
    test_event_version();
    test_event_source();
    test_tags_version();
    test_patterns();
    test_utf8_length();
    test_finding_table();
    return check_done("validators");
}
