/*
 * Fuzz target: every kvst_validate_* and kvst_arn_parse on each line of the
 * input. Each line is copied to a heap block of its exact length (no NUL
 * after it), so a read past the end is an ASan error. Where the header
 * gives the rule as a regular expression, a POSIX regex is the reference
 * the validator must agree with; ARN views must lie inside the input.
 */
#define _DEFAULT_SOURCE /* timegm */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { RX_STREAM_NAME, RX_RESOURCE_ARN, RX_REGION, RX_ACCOUNT, RX_UUID, RX_VERSION,
       RX_EVENT_VERSION, RX_TIMESTAMP, RX__COUNT };

/* The rules of <kvstrail/validate.h>, anchored (lengths checked apart). */
static const char *const rx_text[RX__COUNT] = {
    "^[a-zA-Z0-9_.-]+$",
    "^arn:[a-z0-9-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+$",
    "^[a-z]+(-[a-z]+){1,3}-[0-9]{1,3}$",
    "^[0-9]{12}$",
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "^[a-zA-Z0-9]+$",
    "^[0-9]{1,9}[.][0-9]{1,9}$",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
};

static regex_t rx[RX__COUNT];

static void rx_init(void)
{
    static int done;
    size_t i;
    if (done)
        return;
    for (i = 0; i < RX__COUNT; i++)
        FUZZ_CHECK(regcomp(&rx[i], rx_text[i], REG_EXTENDED | REG_NOSUB) == 0);
    done = 1;
}

/* z is the slice NUL-terminated (only used when it holds no NUL). */
static int rx_match(int which, const char *z)
{
    return regexec(&rx[which], z, 0, NULL, 0) == 0;
}

static void check_arn_views(const kvst_arn *a, const char *s, size_t len)
{
    const kvst_str *v[] = { &a->partition, &a->service, &a->region, &a->account,
                            &a->resource, &a->resource_type, &a->name, &a->creation };
    size_t i;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        if (!v[i]->ptr) {
            FUZZ_CHECK(v[i]->len == 0);
            continue;
        }
        FUZZ_CHECK(v[i]->ptr >= s && v[i]->len <= len &&
                   (size_t)(v[i]->ptr - s) <= len - v[i]->len);
    }
}

/* Reference epoch milliseconds of a YYYY-MM-DDTHH:MM:SSZ the validator
 * accepted, by timegm; -1 when the C library says no such date. */
static int64_t ref_epoch_ms(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = atoi(s) - 1900;
    tm.tm_mon = atoi(s + 5) - 1;
    tm.tm_mday = atoi(s + 8);
    tm.tm_hour = atoi(s + 11);
    tm.tm_min = atoi(s + 14);
    tm.tm_sec = atoi(s + 17);
    return (int64_t)timegm(&tm) * 1000;
}

static void check_line(const char *s, size_t len)
{
    kvst_arn a;
    int64_t ms;
    int32_t major, minor;
    uint32_t r;
    char *z = NULL;
    int plain_text = !memchr(s, '\0', len) && len <= 4096;

    if (plain_text) {
        z = (char *)malloc(len + 1);
        FUZZ_CHECK(z != NULL);
        memcpy(z, s, len);
        z[len] = '\0';
    }

    r = kvst_validate_stream_name(s, len);
    FUZZ_CHECK(r == 0 || r == KVST_F_STREAM_NAME);
    if (z)
        FUZZ_CHECK((r == 0) == (len <= 256 && rx_match(RX_STREAM_NAME, z)));

    r = kvst_validate_resource_arn(s, len, &a);
    FUZZ_CHECK(r == 0 || r == KVST_F_STREAM_ARN);
    check_arn_views(&a, s, len);
    if (z)
        FUZZ_CHECK((r == 0) == (len <= 1024 && rx_match(RX_RESOURCE_ARN, z)));
    if (r == 0) {
        kvst_arn b;
        FUZZ_CHECK(kvst_arn_parse(s, len, &b) == 0);
        FUZZ_CHECK(b.service.len == 12 && memcmp(b.service.ptr, "kinesisvideo", 12) == 0);
        FUZZ_CHECK(kvst_validate_resource_arn(s, len, NULL) == 0);
    }

    r = kvst_arn_parse(s, len, &a);
    FUZZ_CHECK(r == 0 || r == KVST_F_STREAM_ARN);
    check_arn_views(&a, s, len);
    if (r == 0) {
        FUZZ_CHECK(len >= 4 && memcmp(s, "arn:", 4) == 0);
        FUZZ_CHECK(a.partition.len && a.service.len && a.resource.len);
        /* The resource is the tail of the text. */
        FUZZ_CHECK(a.resource.ptr + a.resource.len == s + len);
    }

    r = kvst_validate_kms_key_id(s, len);
    FUZZ_CHECK(r == 0 || r == KVST_F_MEMBER_LENGTH || r == KVST_F_MEMBER_PATTERN ||
               r == KVST_F_KMS_KEY_ARN);
    if (len >= 1 && len <= 2048 && !memchr(s, '\n', len) && !memchr(s, '\r', len) &&
        !(len >= 4 && memcmp(s, "arn:", 4) == 0))
        FUZZ_CHECK(r == 0);

    r = kvst_validate_media_type(s, len);
    FUZZ_CHECK(r == 0 || r == KVST_F_MEDIA_TYPE);
    if (r == 0)
        FUZZ_CHECK(len <= 128 && memchr(s, '/', len) != NULL);

    ms = 12345;
    r = kvst_validate_timestamp(s, len, &ms);
    FUZZ_CHECK(r == 0 || r == KVST_F_EVENT_TIME_FORMAT || r == KVST_F_EVENT_TIME_CALENDAR);
    if (z)
        FUZZ_CHECK((r != KVST_F_EVENT_TIME_FORMAT) == rx_match(RX_TIMESTAMP, z));
    if (r == 0) {
        FUZZ_CHECK(ms == ref_epoch_ms(z));
    } else {
        FUZZ_CHECK(ms == 0);
    }

    r = kvst_validate_region(s, len);
    FUZZ_CHECK(r == 0 || r == KVST_F_REGION_FORMAT);
    if (z)
        FUZZ_CHECK((r == 0) == rx_match(RX_REGION, z));

    r = kvst_validate_account_id(s, len);
    if (z)
        FUZZ_CHECK((r == 0) == rx_match(RX_ACCOUNT, z));
    r = kvst_validate_uuid(s, len);
    if (z)
        FUZZ_CHECK((r == 0) == rx_match(RX_UUID, z));
    r = kvst_validate_version_string(s, len);
    if (z)
        FUZZ_CHECK((r == 0) == (len <= 64 && rx_match(RX_VERSION, z)));

    r = kvst_validate_event_version(s, len, &major, &minor);
    FUZZ_CHECK(r == 0 || r == KVST_F_EVENT_VERSION_FORMAT || r == KVST_F_EVENT_VERSION_MAJOR);
    if (z)
        FUZZ_CHECK((r != KVST_F_EVENT_VERSION_FORMAT) == rx_match(RX_EVENT_VERSION, z));
    if (r == KVST_F_EVENT_VERSION_FORMAT)
        FUZZ_CHECK(major == -1 && minor == -1);
    else
        FUZZ_CHECK(major >= 0 && minor >= 0 && (r == 0) == (major == 1));

    r = kvst_validate_source_ip(s, len);
    FUZZ_CHECK(r == 0 || r == KVST_F_SOURCE_IP_FORMAT);
    r = kvst_validate_event_source(s, len);
    FUZZ_CHECK(r == 0 || r == KVST_F_EVENT_SOURCE_SPACE || r == KVST_F_EVENT_SOURCE_FORMAT);
    r = kvst_validate_tag_key(s, len);
    FUZZ_CHECK(r == 0 || r == KVST_F_TAG_KEY);
    if (r == 0)
        FUZZ_CHECK(len >= 1 && len <= 128 * 4);
    r = kvst_validate_tag_value(s, len);
    FUZZ_CHECK(r == 0 || r == KVST_F_TAG_VALUE);
    FUZZ_CHECK(kvst_credential_kind(s, len) <= KVST_CREDENTIAL_UNKNOWN);
    FUZZ_CHECK(kvst_principal_kind(s, len) <= KVST_PRINCIPAL_DIRECTORY);
    free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t start = 0, i;
    rx_init();
    for (i = 0; i <= size; i++) {
        if (i == size || data[i] == '\n') {
            size_t len = i - start;
            char *copy = (char *)malloc(len ? len : 1);
            FUZZ_CHECK(copy != NULL);
            if (len)
                memcpy(copy, data + start, len);
            check_line(copy, len);
            free(copy);
            start = i + 1;
        }
    }
    return 0;
}
