/*
 * Stage 5b: the validators. Every function here is pure: no allocation, no
 * global mutable state, no regex engine. Each pattern of the KVS model is a
 * small hand-written matcher; docs/findings.md lists the rules.
 */
#include <string.h>

#include "schema.h"
#include "utf8.h"
#include "validate_internal.h"

/* ---- The finding table ---------------------------------------------------- */

typedef struct finding_def {
    uint32_t code;
    uint32_t severity;
    const char *name;
    const char *rule;   /* one line, for docs and tools */
    const char *expect; /* the short form used in messages */
} finding_def;

#define E KVST_SEVERITY_ERROR
#define W KVST_SEVERITY_WARNING
#define I KVST_SEVERITY_INFO
#define F(c, s, rule, expect) { c, s, #c, rule, expect }

/* One row per code; the numbers come from validate.h and never change. */
static const finding_def finding_table[] = {
    F(KVST_F_EVENT_VERSION_FORMAT, E,
      "eventVersion is MAJOR.MINOR, both decimal digits", "MAJOR.MINOR"),
    F(KVST_F_EVENT_VERSION_MAJOR, W,
      "eventVersion major is 1 (a new major changes the record format)",
      "major version 1"),
    F(KVST_F_EVENT_TIME_FORMAT, E,
      "eventTime is exactly YYYY-MM-DDTHH:MM:SSZ", "YYYY-MM-DDTHH:MM:SSZ"),
    F(KVST_F_EVENT_TIME_CALENDAR, E,
      "eventTime is a real date and time (month 1-12, day of that month, "
      "00:00:00-23:59:59)", "an existing date and time"),
    F(KVST_F_EVENT_TIME_EARLY, I,
      "eventTime of a KVS record is not before 2017-11-29, when KVS launched",
      "a time after 2017-11-29T00:00:00Z"),
    F(KVST_F_EVENT_SOURCE_SPACE, E,
      "eventSource has no leading or trailing white space",
      "a host name without surrounding white space"),
    F(KVST_F_EVENT_SOURCE_FORMAT, E,
      "eventSource is a service host name SERVICE.amazonaws.com",
      "SERVICE.amazonaws.com"),
    F(KVST_F_REGION_FORMAT, E,
      "awsRegion is a lower-case region code such as us-east-1, "
      "us-gov-west-1, cn-north-1", "a region code like us-east-1"),
    F(KVST_F_SOURCE_IP_FORMAT, W,
      "sourceIPAddress is an IPv4 or IPv6 address, a comma-separated list "
      "of them (spaces allowed around the commas), an AWS service host "
      "(*.amazonaws.com) or \"AWS Internal\"",
      "IPv4, IPv6, a list of them, *.amazonaws.com or AWS Internal"),
    F(KVST_F_EVENT_ID_FORMAT, E,
      "eventID is a UUID (8-4-4-4-12 hex digits)", "8-4-4-4-12 hex digits"),
    F(KVST_F_ACCOUNT_ID_FORMAT, W,
      "an account ID is 12 decimal digits", "12 digits"),
    F(KVST_F_REQUIRED_FIELD_MISSING, W,
      "a field every record of its eventVersion and type carries is present",
      "present"),
    F(KVST_F_ERROR_INCONSISTENT, W,
      "errorMessage comes with a non-empty errorCode",
      "errorCode with errorMessage"),
    F(KVST_F_FIELD_TYPE, E,
      "an envelope field has the JSON type CloudTrail writes", "its JSON type"),
    F(KVST_F_TIMESTAMP_FORMAT, W,
      "other timestamps (sessionContext creationDate) are "
      "YYYY-MM-DDTHH:MM:SSZ", "YYYY-MM-DDTHH:MM:SSZ"),
    F(KVST_F_VERSION_FIELD_MISSING, I,
      "a field that the record's eventVersion introduced is present",
      "present"),
    F(KVST_F_DUPLICATE_KEY, W,
      "a key appears once in its object: of the envelope, userIdentity, a typed "
      "payload, or a free-form value (additionalEventData, another service's "
      "requestParameters, ...: docs/cli.md); the last occurrence is the one read",
      "one occurrence"),
    F(KVST_F_LONE_SURROGATE, W,
      "a surrogate escape (U+D800..U+DFFF) is one half of a pair (a lone one "
      "is read as U+FFFD)", "a surrogate pair"),

    F(KVST_F_MEMBER_TYPE, E,
      "a KVS member has the JSON type of the API model", "the model's type"),
    F(KVST_F_MEMBER_LENGTH, E,
      "a KVS string member's length in characters is within the model's "
      "min..max", "the model's length"),
    F(KVST_F_MEMBER_PATTERN, E,
      "a KVS string member matches the model's pattern", "the model's pattern"),
    F(KVST_F_MEMBER_ENUM, W,
      "a KVS member is one of the model's enum values (AWS adds values: a "
      "warning)", "one of the model's values"),
    F(KVST_F_MEMBER_RANGE, E,
      "a KVS number is within the model's min..max (dataRetentionInHours "
      "0..87600)", "the model's range"),
    F(KVST_F_MEMBER_COUNT, E,
      "a KVS list or map has min..max entries (tags 1..50, tagKeyList 1..50)",
      "the model's entry count"),
    F(KVST_F_MEMBER_REQUIRED, W,
      "every member the model requires is in requestParameters", "present"),
    F(KVST_F_MEMBER_UNKNOWN, I,
      "a member of requestParameters is in the model (AWS adds members)",
      "a member of the model"),
    F(KVST_F_STREAM_ID_MISSING, W,
      "requestParameters carries streamName or streamARN where the API "
      "needs one", "streamName or streamARN"),
    F(KVST_F_STREAM_NAME, E,
      "stream, device and channel names match [a-zA-Z0-9_.-]+ (1..256)",
      "[a-zA-Z0-9_.-]+"),
    F(KVST_F_STREAM_ARN, E,
      "a KVS resource ARN is arn:PARTITION:kinesisvideo:REGION:ACCOUNT:"
      "TYPE/NAME/CREATION", "arn:P:kinesisvideo:REGION:ACCOUNT:TYPE/NAME/DIGITS"),
    F(KVST_F_KMS_KEY_ARN, E,
      "a kmsKeyId starting with arn: is arn:PARTITION:kms:REGION:ACCOUNT:"
      "key/ID or alias/NAME", "arn:P:kms:REGION:ACCOUNT:key/ID|alias/NAME"),
    F(KVST_F_MEDIA_TYPE, E,
      "mediaType is type/subtype[,type/subtype] (the model's pattern)",
      "type/subtype[,type/subtype]"),
    F(KVST_F_ARN_OTHER_ACCOUNT, I,
      "a KVS ARN of the call is in the recipient's (or caller's) account",
      "the record's account"),
    F(KVST_F_ARN_CREATION_EARLY, I,
      "a KVS ARN's creation time (epoch ms) is not before 2017-11-29",
      "a creation time after 2017-11-29"),
    F(KVST_F_TAG_KEY, E,
      "a tag key is 1..128 letters, digits, spaces and _ . : / = + - @",
      "letters, digits, spaces and _.:/=+-@"),
    F(KVST_F_TAG_VALUE, E,
      "a tag value is 0..256 letters, digits, spaces and _ . : / = + - @",
      "letters, digits, spaces and _.:/=+-@"),
    F(KVST_F_VERSION_STRING, E,
      "currentVersion matches [a-zA-Z0-9]+ (1..64)", "[a-zA-Z0-9]+"),
    F(KVST_F_NEXT_TOKEN, E,
      "nextToken matches [a-zA-Z0-9+/=]* (0..1024)", "[a-zA-Z0-9+/=]*"),
    F(KVST_F_RESOURCE_MISMATCH, W,
      "the request's stream name or ARN, or channel ARN, names a resource of "
      "the record's resources of its kind, a data event's KVS ARN is in its "
      "recipientAccountId, and each resource's accountId is its ARN's account",
      "the same resource"),

    F(KVST_F_ROOT_ACCESS_KEY, W,
      "the root user does not call with a long-term (AKIA) access key",
      "no root access key"),
    F(KVST_F_IDENTITY_TYPE_UNKNOWN, I,
      "userIdentity.type is a type this version knows", "a known type"),
    F(KVST_F_ACCESS_KEY_UNRECOGNISED, I,
      "accessKeyId starts with AKIA, ASIA or ABIA", "AKIA/ASIA/ABIA..."),
    F(KVST_F_IMDSV1, I,
      "EC2 role credentials were delivered by IMDSv2 (ec2RoleDelivery 2.0)",
      "ec2RoleDelivery 2.0"),
    F(KVST_F_CROSS_ACCOUNT, I,
      "the caller's account is the recipient's and the resources' account",
      "the same account"),
    F(KVST_F_IDENTITY_MISSING, I,
      "a record other than an Insight event has a userIdentity", "present"),
    F(KVST_F_CREDENTIAL_MISMATCH, W,
      "an AssumedRole or FederatedUser session signs with a temporary (ASIA) "
      "key, never a long-term (AKIA) one", "an ASIA key"),

    F(KVST_F_DIGEST_MEMBER_MISSING, E,
      "a digest file has awsAccountId, digestStartTime, digestEndTime, "
      "digestS3Bucket, digestS3Object, digestPublicKeyFingerprint, "
      "digestSignatureAlgorithm, the previousDigest* members and logFiles; "
      "a log file has s3Bucket, s3Object, hashValue and hashAlgorithm",
      "present"),
    F(KVST_F_DIGEST_MEMBER_TYPE, E,
      "a digest member is a string (previousDigest* and event times may be "
      "null; logFiles is an array)", "a string"),
    F(KVST_F_DIGEST_TIME, E,
      "a digest time is YYYY-MM-DDTHH:MM:SSZ", "YYYY-MM-DDTHH:MM:SSZ"),
    F(KVST_F_DIGEST_HASH, E,
      "hashValue and previousDigestHashValue are 64 hex digits (SHA-256)",
      "64 hex digits"),
    F(KVST_F_DIGEST_ALGORITHM, E,
      "hash algorithms are SHA-256 and the signature algorithm SHA256withRSA",
      "SHA-256 / SHA256withRSA"),
    F(KVST_F_DIGEST_FINGERPRINT, E,
      "digestPublicKeyFingerprint is 32 hex digits (MD5 of the key)",
      "32 hex digits"),
    F(KVST_F_DIGEST_SIGNATURE, E,
      "previousDigestSignature is an even number of hex digits",
      "hex digits"),
    F(KVST_F_DIGEST_ACCOUNT, E,
      "awsAccountId is 12 decimal digits", "12 digits"),
    F(KVST_F_DIGEST_PREVIOUS_PARTIAL, E,
      "previousDigestS3Bucket, S3Object, HashValue, HashAlgorithm and "
      "Signature are all null (a starting digest) or all set",
      "all null or all set"),
    F(KVST_F_DIGEST_TIME_ORDER, W,
      "digestStartTime is not after digestEndTime, oldestEventTime not "
      "after newestEventTime", "start <= end"),
    F(KVST_F_DIGEST_LOG_FILE, E,
      "each element of logFiles is an object", "an object"),
};

#undef F
#undef E
#undef W
#undef I

static const finding_def *finding_find(uint32_t code)
{
    size_t i;
    for (i = 0; i < sizeof finding_table / sizeof finding_table[0]; i++)
        if (finding_table[i].code == code)
            return &finding_table[i];
    return NULL;
}

const char *kvst_finding_name(uint32_t code)
{
    const finding_def *d = finding_find(code);
    return d ? d->name : NULL;
}

uint32_t kvst_finding_severity(uint32_t code)
{
    const finding_def *d = finding_find(code);
    return d ? d->severity : 0;
}

const char *kvst_finding_rule(uint32_t code)
{
    const finding_def *d = finding_find(code);
    return d ? d->rule : NULL;
}

const char *kvst__finding_expect(uint32_t code)
{
    const finding_def *d = finding_find(code);
    return d ? d->expect : "";
}

/* ---- Character classes ----------------------------------------------------- */

/* One table lookup per byte: the classes as bits (C_*), a class as a mask
 * of them (K_*). Generated from the definitions next to the masks. */
enum {
    C_DIGIT = 1, C_LOWER = 2, C_UPPER = 4, C_HEXL = 8, C_UNDERSCORE = 16,
    C_DOT = 32, C_DASH = 64, C_PLUS = 128, C_SLASH = 256, C_EQUALS = 512
};
static const unsigned short char_bits[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128, 0, 64, 32, 256,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 512, 0, 0,
    0, 12, 12, 12, 12, 12, 12, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 16,
    0, 10, 10, 10, 10, 10, 10, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

#define K_DIGIT C_DIGIT
#define K_LOWER C_LOWER
#define K_ALPHA (C_LOWER | C_UPPER)
#define K_ALNUM (C_DIGIT | C_LOWER | C_UPPER)
#define K_WORD (K_ALNUM | C_UNDERSCORE)                    /* \w */
#define K_HEX (C_DIGIT | C_HEXL)
#define K_NAME (K_WORD | C_DOT | C_DASH)                   /* [a-zA-Z0-9_.-] */
#define K_LOWER_DIGIT_DASH (C_LOWER | C_DIGIT | C_DASH)     /* [a-z0-9-] */
#define K_TOKEN (K_WORD | C_DASH | C_DOT | C_PLUS)          /* [\w\-\.\+] of MediaType */
#define K_NEXT_TOKEN (K_ALNUM | C_PLUS | C_SLASH | C_EQUALS) /* [a-zA-Z0-9+/=] */

static int in_class(int c, unsigned mask) { return (char_bits[c & 0xff] & mask) != 0; }
static int is_digit(int c) { return in_class(c, K_DIGIT); }
static int is_lower(int c) { return in_class(c, K_LOWER); }
static int is_alnum(int c) { return in_class(c, K_ALNUM); }
static int is_word(int c) { return in_class(c, K_WORD); }
static int is_hex(int c) { return in_class(c, K_HEX); }
static int is_token_char(int c) { return in_class(c, K_TOKEN); }
static int is_lower_digit_dash(int c) { return in_class(c, K_LOWER_DIGIT_DASH); }
/* C's white space: JSON's, form feed and vertical tab. */
static int is_space(int c)
{
    return kvst__json_space(c) || c == '\f' || c == '\v';
}

/* Whole string made of class members (mask K_*), at least min of them. */
static int all_of(const char *s, size_t len, size_t min, unsigned mask)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i;
    if (len < min)
        return 0;
    for (i = 0; i < len; i++)
        if (!(char_bits[u[i]] & mask))
            return 0;
    return 1;
}

static int starts_with(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(s, prefix, n) == 0;
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static int equals(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/* Decode one UTF-8 sequence at s[*i] with the one checker (utf8.h); 0
 * when it is not well-formed. */
static int utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
    int why;
    size_t n = kvst__utf8_decode(s + *i, len - *i, cp, &why);

    *i += n;
    return n != 0;
}

int kvst__utf8_length(const char *s, size_t len, size_t *chars)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, n = 0;
    uint32_t cp;
    /* ASCII, the usual case, is one character a byte */
    while (i < len && u[i] < 0x80)
        i++;
    n = i;
    while (i < len) {
        if (!utf8_next(u, len, &i, &cp)) {
            *chars = len;
            return -1;
        }
        n++;
    }
    *chars = n;
    return 0;
}

/* ---- ARNs ------------------------------------------------------------------ */

/* Next ':'-separated field of s[*pos..len); 0 when there is no ':'. */
static int arn_field(const char *s, size_t len, size_t *pos, kvst_str *out)
{
    const char *colon = memchr(s + *pos, ':', len - *pos);
    if (!colon)
        return 0;
    out->ptr = s + *pos;
    out->len = (size_t)(colon - out->ptr);
    *pos = (size_t)(colon - s) + 1;
    return 1;
}

static int64_t digits_value(const char *s, size_t len)
{
    int64_t v = 0;
    size_t i;
    if (len == 0 || len > 18) /* 18 digits cannot overflow int64 */
        return -1;
    for (i = 0; i < len; i++) {
        if (!is_digit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

uint32_t kvst_arn_parse(const char *s, size_t len, kvst_arn *out)
{
    kvst_arn local;
    /* cppcheck-suppress uninitvar ; only its address is taken, memset below fills it */
    kvst_arn *a = out ? out : &local;
    size_t pos = 4;
    const char *res, *slash, *last;
    size_t rlen;

    memset(a, 0, sizeof *a);
    a->creation_time = -1;
    if (!s || !starts_with(s, len, "arn:"))
        return KVST_F_STREAM_ARN;
    if (!arn_field(s, len, &pos, &a->partition) ||
        !arn_field(s, len, &pos, &a->service) ||
        !arn_field(s, len, &pos, &a->region) ||
        !arn_field(s, len, &pos, &a->account))
        goto bad;
    a->resource.ptr = s + pos;
    a->resource.len = len - pos;
    if (a->partition.len == 0 || a->service.len == 0 || a->resource.len == 0)
        goto bad;

    res = a->resource.ptr;
    rlen = a->resource.len;
    slash = memchr(res, '/', rlen);
    if (slash) {
        a->resource_type.ptr = res;
        a->resource_type.len = (size_t)(slash - res);
        a->name.ptr = slash + 1;
        a->name.len = rlen - a->resource_type.len - 1;
        /* KVS resources end in /CREATION: split it off the name. */
        if (equals(a->service.ptr, a->service.len, "kinesisvideo")) {
            last = res + rlen;
            while (last > slash + 1 && last[-1] != '/')
                last--;
            if (last > slash + 1) {
                a->name.len = (size_t)(last - 1 - a->name.ptr);
                a->creation.ptr = last;
                a->creation.len = (size_t)(res + rlen - last);
                a->creation_time = digits_value(a->creation.ptr,
                                                a->creation.len);
            }
        }
    } else {
        const char *colon = memchr(res, ':', rlen);
        if (colon) { /* "secret:NAME", "function:NAME" */
            a->resource_type.ptr = res;
            a->resource_type.len = (size_t)(colon - res);
            a->name.ptr = colon + 1;
            a->name.len = rlen - a->resource_type.len - 1;
        } else {
            a->name = a->resource;
        }
    }
    return 0;
bad:
    memset(a, 0, sizeof *a);
    a->creation_time = -1;
    return KVST_F_STREAM_ARN;
}

/* arn:[a-z\d-]+:SERVICE:[a-z0-9-]+:[0-9]+: and the rest in *rest. The
 * model's ARN patterns all start this way. */
static int arn_head(const char *s, size_t len, const char *service,
                    kvst_str *rest)
{
    kvst_str part, svc, region, account;
    size_t pos = 4;
    if (!starts_with(s, len, "arn:") || !arn_field(s, len, &pos, &part) ||
        !arn_field(s, len, &pos, &svc) || !arn_field(s, len, &pos, &region) ||
        !arn_field(s, len, &pos, &account))
        return 0;
    if (!all_of(part.ptr, part.len, 1, K_LOWER_DIGIT_DASH) ||
        !equals(svc.ptr, svc.len, service) ||
        !all_of(region.ptr, region.len, 1, K_LOWER_DIGIT_DASH) ||
        !all_of(account.ptr, account.len, 1, K_DIGIT))
        return 0;
    rest->ptr = s + pos;
    rest->len = len - pos;
    return 1;
}

/* ResourceARN: ...:kinesisvideo:...:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+ */
static int resource_arn_match(const char *s, size_t len)
{
    kvst_str r;
    const char *p, *end, *slash1, *slash2;
    if (!arn_head(s, len, "kinesisvideo", &r))
        return 0;
    p = r.ptr;
    end = r.ptr + r.len;
    slash1 = memchr(p, '/', r.len);
    if (!slash1 || !all_of(p, (size_t)(slash1 - p), 1, K_LOWER))
        return 0;
    slash2 = memchr(slash1 + 1, '/', (size_t)(end - slash1 - 1));
    if (!slash2 ||
        !all_of(slash1 + 1, (size_t)(slash2 - slash1 - 1), 1, K_NAME) ||
        !all_of(slash2 + 1, (size_t)(end - slash2 - 1), 1, K_DIGIT))
        return 0;
    return 1;
}

/* The data-plane models write the partition as "aws" exactly, or as
 * aws[a-zA-Z-]* (the WebRTC storage model); the rest as ResourceARN. An
 * upper-case letter in the partition, which the second allows, is refused
 * by resource_arn_match's [a-z\d-]+: no such partition exists. */
static int aws_resource_arn_match(const char *s, size_t len, int exact)
{
    size_t i;
    if (!starts_with(s, len, "arn:aws"))
        return 0;
    if (exact)
        return starts_with(s, len, "arn:aws:") && resource_arn_match(s, len);
    for (i = 7; i < len && s[i] != ':'; i++)
        if (!is_lower((unsigned char)s[i]) && s[i] != '-')
            return 0;
    return resource_arn_match(s, len);
}

/* [a-zA-Z0-9+/]+={0,2} */
static int base64_match(const char *s, size_t len)
{
    size_t pad = 0;
    while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
        pad++;
    return all_of(s, len - pad, 1, K_ALNUM | C_PLUS | C_SLASH);
}

/* ...:iot:...:thing/[a-zA-Z0-9_.-]+ and ...:secretsmanager:...:secret:NAME */
static int prefixed_arn_match(const char *s, size_t len, const char *service,
                              const char *resource_prefix)
{
    kvst_str r;
    size_t n = strlen(resource_prefix);
    if (!arn_head(s, len, service, &r) ||
        !starts_with(r.ptr, r.len, resource_prefix))
        return 0;
    return all_of(r.ptr + n, r.len - n, 1, K_NAME);
}

/* ---- Validators ------------------------------------------------------------ */

uint32_t kvst_validate_stream_name(const char *s, size_t len)
{
    if (!s || len < 1 || len > 256 || !all_of(s, len, 1, K_NAME))
        return KVST_F_STREAM_NAME;
    return 0;
}

uint32_t kvst_validate_resource_arn(const char *s, size_t len, kvst_arn *out)
{
    if (out) {
        memset(out, 0, sizeof *out);
        out->creation_time = -1;
    }
    if (!s || len < 1 || len > 1024 || !resource_arn_match(s, len))
        return KVST_F_STREAM_ARN;
    if (out)
        kvst_arn_parse(s, len, out);
    return 0;
}

uint32_t kvst_validate_kms_key_id(const char *s, size_t len)
{
    kvst_arn a;
    if (!s || len < 1 || len > 2048)
        return KVST_F_MEMBER_LENGTH;
    if (memchr(s, '\n', len) || memchr(s, '\r', len)) /* the model's .+ */
        return KVST_F_MEMBER_PATTERN;
    if (!starts_with(s, len, "arn:"))
        return 0; /* a key ID or alias name: the model allows any text */
    if (kvst_arn_parse(s, len, &a) != 0 ||
        !all_of(a.partition.ptr, a.partition.len, 1, K_LOWER_DIGIT_DASH) ||
        !equals(a.service.ptr, a.service.len, "kms") ||
        kvst_validate_region(a.region.ptr, a.region.len) != 0 ||
        kvst_validate_account_id(a.account.ptr, a.account.len) != 0 ||
        a.name.len == 0 || a.name.ptr[-1] != '/' ||
        !(equals(a.resource_type.ptr, a.resource_type.len, "key") ||
          equals(a.resource_type.ptr, a.resource_type.len, "alias")))
        return KVST_F_KMS_KEY_ARN;
    return 0;
}

static int media_type_match(const char *s, size_t len)
{
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i < len && is_token_char((unsigned char)s[i]))
            i++;
        if (i == start || i == len || s[i] != '/')
            return 0;
        start = ++i;
        while (i < len && is_token_char((unsigned char)s[i]))
            i++;
        if (i == start)
            return 0;
        if (i == len)
            return 1;
        if (s[i] != ',')
            return 0;
        i++;
    }
}

uint32_t kvst_validate_media_type(const char *s, size_t len)
{
    if (!s || len < 1 || len > 128 || !media_type_match(s, len))
        return KVST_F_MEDIA_TYPE;
    return 0;
}

static int two_digits(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t kvst__days_from_civil(int y, int m, int d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2; /* -1 for January and February of year 0 */
    era = (y >= 0 ? y : y - 399) / 400; /* floor, not truncation */
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

uint32_t kvst_validate_timestamp(const char *s, size_t len, int64_t *epoch_ms)
{
    /* dddd-dd-ddTdd:dd:ddZ: the separators, then the digits */
    static const unsigned char digit_at[14] = { 0, 1, 2, 3, 5, 6, 8, 9,
                                                11, 12, 14, 15, 17, 18 };
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31 };
    size_t i;
    unsigned bad = 0;
    int y, mo, d, h, mi, se, dim;
    if (epoch_ms)
        *epoch_ms = 0;
    if (!s || len != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':' || s[16] != ':' || s[19] != 'Z')
        return KVST_F_EVENT_TIME_FORMAT;
    for (i = 0; i < sizeof digit_at; i++)
        bad |= (unsigned)((unsigned char)s[digit_at[i]] - '0') > 9u;
    if (bad)
        return KVST_F_EVENT_TIME_FORMAT;
    y = two_digits(s) * 100 + two_digits(s + 2);
    mo = two_digits(s + 5);
    d = two_digits(s + 8);
    h = two_digits(s + 11);
    mi = two_digits(s + 14);
    se = two_digits(s + 17);
    if (mo < 1 || mo > 12)
        return KVST_F_EVENT_TIME_CALENDAR;
    dim = mdays[mo - 1] + (mo == 2 && is_leap(y));
    /* 24:00:00 and leap second 60 are ISO forms CloudTrail never writes. */
    if (d < 1 || d > dim || h > 23 || mi > 59 || se > 59)
        return KVST_F_EVENT_TIME_CALENDAR;
    if (epoch_ms)
        *epoch_ms = ((kvst__days_from_civil(y, mo, d) * 24 + h) * 60 + mi) *
                        INT64_C(60000) + se * INT64_C(1000);
    return 0;
}

uint32_t kvst_validate_region(const char *s, size_t len)
{
    /* [a-z]+(-[a-z]+){1,3}-[0-9]{1,3}: covers us-east-1, us-gov-west-1,
     * us-iso-east-1, eusc-de-east-1; rejects upper case. */
    size_t i = 0, letter_groups = 0, start;
    if (!s || len == 0)
        return KVST_F_REGION_FORMAT;
    for (;;) {
        start = i;
        while (i < len && is_lower((unsigned char)s[i]))
            i++;
        if (i == start)
            break;
        letter_groups++;
        if (i == len || s[i] != '-')
            return KVST_F_REGION_FORMAT;
        i++;
    }
    if (letter_groups < 2 || letter_groups > 4 || len - i < 1 || len - i > 3 ||
        !all_of(s + i, len - i, 1, K_DIGIT))
        return KVST_F_REGION_FORMAT;
    return 0;
}

uint32_t kvst_validate_account_id(const char *s, size_t len)
{
    if (!s || len != 12 || !all_of(s, len, 12, K_DIGIT))
        return KVST_F_ACCOUNT_ID_FORMAT;
    return 0;
}

uint32_t kvst_validate_uuid(const char *s, size_t len)
{
    size_t i;
    if (!s || len != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
        return KVST_F_EVENT_ID_FORMAT;
    for (i = 0; i < len; i++) {
        if (i != 8 && i != 13 && i != 18 && i != 23 && !is_hex((unsigned char)s[i]))
            return KVST_F_EVENT_ID_FORMAT;
    }
    return 0;
}

/* Dotted quad, each part 0..255 without leading zeros (as inet_pton). */
static int ipv4_match(const char *s, size_t len)
{
    size_t i = 0;
    int part;
    for (part = 0; part < 4; part++) {
        size_t start = i;
        int v = 0;
        while (i < len && is_digit((unsigned char)s[i]) && i - start < 3)
            v = v * 10 + (s[i++] - '0');
        if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
            return 0;
        if (part < 3) {
            if (i == len || s[i] != '.')
                return 0;
            i++;
        }
    }
    return i == len;
}

/* RFC 4291 text forms: eight groups, one "::", an IPv4 tail. */
static int ipv6_match(const char *s, size_t len)
{
    size_t i = 0;
    int groups = 0, compressed = 0;
    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        compressed = 1;
        i = 2;
    } else if (len == 0 || s[0] == ':') {
        return 0;
    }
    while (i < len) {
        size_t start = i;
        while (i < len && is_hex((unsigned char)s[i]))
            i++;
        if (i < len && s[i] == '.') {
            if (!ipv4_match(s + start, len - start))
                return 0;
            groups += 2;
            break;
        }
        if (i == start || i - start > 4)
            return 0;
        groups++;
        if (i == len)
            break;
        if (s[i] != ':')
            return 0;
        if (++i == len)
            return 0; /* a single trailing ':' */
        if (s[i] == ':') {
            if (compressed)
                return 0;
            compressed = 1;
            i++;
        }
    }
    return compressed ? groups <= 7 : groups == 8;
}

/* label(.label)*.amazonaws.com with labels [a-z0-9-]+. */
static int aws_host_match(const char *s, size_t len)
{
    static const char *const suffixes[] = { ".amazonaws.com",
                                            ".amazonaws.com.cn" };
    size_t k, i;
    for (k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++) {
        size_t n = strlen(suffixes[k]);
        int ok = 1, prev_dot = 1;
        if (len <= n || !ends_with(s, len, suffixes[k]))
            continue;
        for (i = 0; i < len - n && ok; i++) {
            int c = (unsigned char)s[i];
            if (c == '.') {
                ok = !prev_dot;
                prev_dot = 1;
            } else {
                ok = is_lower_digit_dash(c);
                prev_dot = 0;
            }
        }
        if (ok && !prev_dot)
            return 1;
    }
    return 0;
}

static int address_match(const char *s, size_t len)
{
    return ipv4_match(s, len) || ipv6_match(s, len);
}

/* "192.0.2.1, 198.51.100.7": the addresses a request passed through, as
 * AWS writes them for some services (each member an address, spaces
 * around the commas allowed; no empty member, no host name). */
static int address_list_match(const char *s, size_t len)
{
    size_t i = 0;
    if (!memchr(s, ',', len))
        return 0;
    while (i <= len) {
        const char *comma = memchr(s + i, ',', len - i);
        size_t end = comma ? (size_t)(comma - s) : len, a = i, b = end;
        while (a < b && s[a] == ' ')
            a++;
        while (b > a && s[b - 1] == ' ')
            b--;
        if (!address_match(s + a, b - a))
            return 0;
        i = end + 1;
    }
    return 1;
}

uint32_t kvst_validate_source_ip(const char *s, size_t len)
{
    if (s && (address_match(s, len) || aws_host_match(s, len) ||
              equals(s, len, "AWS Internal") || address_list_match(s, len)))
        return 0;
    return KVST_F_SOURCE_IP_FORMAT;
}

uint32_t kvst_validate_event_version(const char *s, size_t len,
                                     int32_t *major, int32_t *minor)
{
    const char *dot = s ? memchr(s, '.', len) : NULL;
    size_t ml, nl;
    int64_t ma, mi;
    if (major)
        *major = -1;
    if (minor)
        *minor = -1;
    if (!dot)
        return KVST_F_EVENT_VERSION_FORMAT;
    ml = (size_t)(dot - s);
    nl = len - ml - 1;
    /* Nine digits keep both parts inside int32. */
    if (ml > 9 || nl > 9)
        return KVST_F_EVENT_VERSION_FORMAT;
    ma = digits_value(s, ml);
    mi = digits_value(dot + 1, nl);
    if (ma < 0 || mi < 0)
        return KVST_F_EVENT_VERSION_FORMAT;
    if (major)
        *major = (int32_t)ma;
    if (minor)
        *minor = (int32_t)mi;
    return ma == 1 ? 0 : KVST_F_EVENT_VERSION_MAJOR;
}

uint32_t kvst_validate_event_source(const char *s, size_t len)
{
    if (!s || len == 0)
        return KVST_F_EVENT_SOURCE_FORMAT;
    if (is_space((unsigned char)s[0]) || is_space((unsigned char)s[len - 1]))
        return KVST_F_EVENT_SOURCE_SPACE;
    return aws_host_match(s, len) ? 0 : KVST_F_EVENT_SOURCE_FORMAT;
}

/* \p{L}\p{Z}\p{N}_.:/=+\-@ approximated without Unicode tables: ASCII
 * letters, digits and space, the listed punctuation, and any well-formed
 * non-ASCII character (counted as a letter). ASCII controls such as tab or
 * newline are rejected, as the real classes reject them. */
static int tag_text_match(const char *s, size_t len, size_t min, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, chars = 0;
    uint32_t cp;
    while (i < len) {
        if (!utf8_next(u, len, &i, &cp))
            return 0;
        /* cp 0 first: strchr would find the literal's terminator */
        if (cp == 0 ||
            (cp < 0x80 && !is_alnum((int)cp) && !strchr(" _.:/=+-@", (int)cp)))
            return 0;
        chars++;
    }
    return chars >= min && chars <= max;
}

uint32_t kvst_validate_tag_key(const char *s, size_t len)
{
    if (!s || !tag_text_match(s, len, 1, 128))
        return KVST_F_TAG_KEY;
    return 0;
}

uint32_t kvst_validate_tag_value(const char *s, size_t len)
{
    if (!s)
        return len == 0 ? 0 : KVST_F_TAG_VALUE;
    if (!tag_text_match(s, len, 0, 256))
        return KVST_F_TAG_VALUE;
    return 0;
}

uint32_t kvst_validate_version_string(const char *s, size_t len)
{
    if (!s || len < 1 || len > 64 || !all_of(s, len, 1, K_ALNUM))
        return KVST_F_VERSION_STRING;
    return 0;
}

/* ---- Pattern classes of the schema -------------------------------------- */

/* ^[a-zA-Z_0-9]+:(//)?([^/]+)/?([^*]*)$ : after the scheme, the host takes
 * as many non-'/' characters as it can (it may hold '*'); what follows it
 * must hold no '*'. Trying with and without "//" covers the optional group. */
static int destination_uri_match(const char *s, size_t len)
{
    size_t i = 0, attempt;
    while (i < len && is_word((unsigned char)s[i]))
        i++;
    if (i == 0 || i == len || s[i] != ':')
        return 0;
    i++;
    for (attempt = 0; attempt < 2; attempt++) {
        size_t j = i, host;
        if (attempt == 0) {
            if (len - i < 2 || s[i] != '/' || s[i + 1] != '/')
                continue;
            j += 2;
        }
        host = j;
        while (j < len && s[j] != '/')
            j++;
        if (j > host && !memchr(s + j, '*', len - j))
            return 1;
    }
    return 0;
}

uint32_t kvst__pattern_check(uint32_t pattern_id, const char *s, size_t len)
{
    if (!s && len == 0)
        s = "";
    if (!s)
        return KVST_F_MEMBER_PATTERN;
    switch (pattern_id) {
    case KVST_PAT_NAME:
        return all_of(s, len, 1, K_NAME) ? 0 : KVST_F_STREAM_NAME;
    case KVST_PAT_REGION: {
        /* ^[a-z]+(-[a-z]+)?-[a-z]+-[0-9]$ */
        size_t groups = 0, i = 0;
        for (;;) {
            size_t start = i;
            while (i < len && is_lower((unsigned char)s[i]))
                i++;
            if (i == start)
                break;
            groups++;
            if (i == len || s[i] != '-')
                return KVST_F_MEMBER_PATTERN;
            i++;
        }
        return groups >= 2 && groups <= 3 && len - i == 1 &&
                       is_digit((unsigned char)s[i])
                   ? 0 : KVST_F_MEMBER_PATTERN;
    }
    case KVST_PAT_DESTINATION_URI:
        return destination_uri_match(s, len) ? 0 : KVST_F_MEMBER_PATTERN;
    case KVST_PAT_FORMAT_CONFIG:
        /* ^[a-zA-Z_0-9]+ is anchored only at the start. */
        return len > 0 && is_word((unsigned char)s[0]) ? 0
                                                       : KVST_F_MEMBER_PATTERN;
    case KVST_PAT_IOT_THING_ARN:
        return prefixed_arn_match(s, len, "iot", "thing/")
                   ? 0 : KVST_F_MEMBER_PATTERN;
    case KVST_PAT_ANY:
        /* .+ : at least one character, no line terminator */
        return len > 0 && !memchr(s, '\n', len) && !memchr(s, '\r', len)
                   ? 0 : KVST_F_MEMBER_PATTERN;
    case KVST_PAT_MEDIA_TYPE:
        return media_type_match(s, len) ? 0 : KVST_F_MEDIA_TYPE;
    case KVST_PAT_SECRET_ARN:
        return prefixed_arn_match(s, len, "secretsmanager", "secret:")
                   ? 0 : KVST_F_MEMBER_PATTERN;
    case KVST_PAT_NEXT_TOKEN:
        return all_of(s, len, 0, K_NEXT_TOKEN) ? 0 : KVST_F_NEXT_TOKEN;
    case KVST_PAT_RESOURCE_ARN:
        return resource_arn_match(s, len) ? 0 : KVST_F_STREAM_ARN;
    case KVST_PAT_SCHEDULE: {
        /* [^\n]{11,100} */
        size_t chars;
        if (memchr(s, '\n', len) || kvst__utf8_length(s, len, &chars) != 0)
            return KVST_F_MEMBER_PATTERN;
        return chars >= 11 && chars <= 100 ? 0 : KVST_F_MEMBER_PATTERN;
    }
    case KVST_PAT_TAG_KEY:
        return tag_text_match(s, len, 0, (size_t)-1) ? 0 : KVST_F_TAG_KEY;
    case KVST_PAT_TAG_VALUE:
        return tag_text_match(s, len, 0, (size_t)-1) ? 0 : KVST_F_TAG_VALUE;
    case KVST_PAT_VERSION:
        return all_of(s, len, 1, K_ALNUM) ? 0 : KVST_F_VERSION_STRING;
    case KVST_PAT_DIGITS:
        return all_of(s, len, 1, K_DIGIT) ? 0 : KVST_F_MEMBER_PATTERN;
    case KVST_PAT_BASE64:
        return base64_match(s, len) ? 0 : KVST_F_MEMBER_PATTERN;
    case KVST_PAT_BASE64_TEXT:
        return all_of(s, len, 1, K_NEXT_TOKEN) ? 0 : KVST_F_MEMBER_PATTERN;
    case KVST_PAT_RESOURCE_ARN_AWS:
        return aws_resource_arn_match(s, len, 1) ? 0 : KVST_F_STREAM_ARN;
    case KVST_PAT_RESOURCE_ARN_AWS_ANY:
        return aws_resource_arn_match(s, len, 0) ? 0 : KVST_F_STREAM_ARN;
    default:
        return 0;
    }
}
