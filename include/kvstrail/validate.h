/*
 * kvstrail: identity classifier, validators and finding codes.
 *
 * Part of the public API; include <kvstrail/kvstrail.h> rather than this file.
 *
 * Every function here is pure: no allocation, no global state, safe from
 * any number of threads. A validator returns 0 when the value is valid and
 * a KVST_F_* finding code otherwise. Inputs are (pointer, length) pairs and
 * need not be NUL-terminated.
 */
#ifndef KVSTRAIL_VALIDATE_H
#define KVSTRAIL_VALIDATE_H

#include <kvstrail/common.h>
#include <kvstrail/event.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Finding codes. Numbers are frozen forever; a retired code keeps its
 * number. docs/findings.md gives the severity and rule of each.
 * 1..99 envelope, 100..199 KVS members, 200..299 identity.
 */
#define KVST_F_EVENT_VERSION_FORMAT      1  /* not MAJOR.MINOR digits */
#define KVST_F_EVENT_VERSION_MAJOR       2  /* major other than 1 */
#define KVST_F_EVENT_TIME_FORMAT         3  /* not YYYY-MM-DDTHH:MM:SSZ */
#define KVST_F_EVENT_TIME_CALENDAR       4  /* no such date or time */
#define KVST_F_EVENT_TIME_EARLY          5  /* before the service existed (info) */
#define KVST_F_EVENT_SOURCE_SPACE        6  /* leading/trailing white space */
#define KVST_F_EVENT_SOURCE_FORMAT       7  /* not a service host name */
#define KVST_F_REGION_FORMAT             8
#define KVST_F_SOURCE_IP_FORMAT          9
#define KVST_F_EVENT_ID_FORMAT          10  /* eventID not a UUID */
#define KVST_F_ACCOUNT_ID_FORMAT        11  /* not 12 digits */
#define KVST_F_REQUIRED_FIELD_MISSING   12  /* for the record's eventVersion */
#define KVST_F_ERROR_INCONSISTENT       13  /* errorMessage without errorCode */
#define KVST_F_FIELD_TYPE               14  /* envelope field of wrong JSON type */
#define KVST_F_TIMESTAMP_FORMAT         15  /* other timestamp fields */
#define KVST_F_VERSION_FIELD_MISSING    16  /* a field its eventVersion has (info) */
#define KVST_F_DUPLICATE_KEY            17  /* a repeated key; the last counts (1.1) */
#define KVST_F_LONE_SURROGATE           18  /* a \u escape of half a pair, read as U+FFFD (1.1) */

#define KVST_F_MEMBER_TYPE             100  /* JSON type other than the model's */
#define KVST_F_MEMBER_LENGTH           101  /* string length outside min..max */
#define KVST_F_MEMBER_PATTERN          102  /* string does not match the pattern */
#define KVST_F_MEMBER_ENUM             103  /* not one of the enum values */
#define KVST_F_MEMBER_RANGE            104  /* number outside min..max */
#define KVST_F_MEMBER_COUNT            105  /* list/map size outside min..max */
#define KVST_F_MEMBER_REQUIRED         106  /* required member missing */
#define KVST_F_MEMBER_UNKNOWN          107  /* member not in the model (info) */
#define KVST_F_STREAM_ID_MISSING       108  /* neither streamName nor streamARN */
#define KVST_F_STREAM_NAME             109  /* stream/device/channel name */
#define KVST_F_STREAM_ARN              110  /* not a KVS resource ARN */
#define KVST_F_KMS_KEY_ARN             111  /* kmsKeyId "arn:..." not a KMS ARN */
#define KVST_F_MEDIA_TYPE              112  /* not type/subtype[,type/subtype] */
#define KVST_F_ARN_OTHER_ACCOUNT       113  /* ARN account differs (info) */
#define KVST_F_ARN_CREATION_EARLY      114  /* creation time before KVS (info) */
#define KVST_F_TAG_KEY                 115
#define KVST_F_TAG_VALUE               116
#define KVST_F_VERSION_STRING          117  /* currentVersion */
#define KVST_F_NEXT_TOKEN              118
/* Data events (Since 1.1; issue 16 holds 119..139). */
#define KVST_F_RESOURCE_MISMATCH       119  /* request, resources and account disagree (warning) */

#define KVST_F_ROOT_ACCESS_KEY         200  /* Root with an AKIA key (warning) */
#define KVST_F_IDENTITY_TYPE_UNKNOWN   201  /* type not known to this version (info) */
#define KVST_F_ACCESS_KEY_UNRECOGNISED 202  /* accessKeyId prefix unknown (info) */
#define KVST_F_IMDSV1                  203  /* ec2RoleDelivery 1.0 (info) */
#define KVST_F_CROSS_ACCOUNT           204  /* (info) */
#define KVST_F_IDENTITY_MISSING        205  /* no userIdentity (info) */
#define KVST_F_CREDENTIAL_MISMATCH     206  /* role/federated session, AKIA key (1.1) */
/* Digest files (KVST_FLAG_DIGESTS). Since 1.1. */
#define KVST_F_DIGEST_MEMBER_MISSING   300  /* a required member is absent */
#define KVST_F_DIGEST_MEMBER_TYPE      301  /* not a string (or null) */
#define KVST_F_DIGEST_TIME             302  /* not YYYY-MM-DDTHH:MM:SSZ */
#define KVST_F_DIGEST_HASH             303  /* a hash value not 64 hex digits */
#define KVST_F_DIGEST_ALGORITHM        304  /* not SHA-256 / SHA256withRSA */
#define KVST_F_DIGEST_FINGERPRINT      305  /* not 32 hex digits */
#define KVST_F_DIGEST_SIGNATURE        306  /* previous signature not hex */
#define KVST_F_DIGEST_ACCOUNT          307  /* awsAccountId not 12 digits */
#define KVST_F_DIGEST_PREVIOUS_PARTIAL 308  /* some previous* null, some not */
#define KVST_F_DIGEST_TIME_ORDER       309  /* start after end, oldest after newest */
#define KVST_F_DIGEST_LOG_FILE         310  /* a logFiles element not an object */

/* Name ("KVST_F_MEDIA_TYPE"), default severity and one-line rule of a
 * code. Static; NULL / 0 for an unknown code. Since 1.0. */
KVST_EXPORT const char *kvst_finding_name(uint32_t code);
KVST_EXPORT uint32_t kvst_finding_severity(uint32_t code);
KVST_EXPORT const char *kvst_finding_rule(uint32_t code);

/* ---- Identity classifier ---------------------------------------------- */

/*
 * Classify a userIdentity. context (may be NULL) supplies
 * recipientAccountId, the request's KVS ARNs, sessionCredentialFromConsole
 * and userAgent for the cross-account and console flags. out->struct_size
 * must be set by the caller; the library fills what fits. Views in *out
 * point into uid/context. Returns 0, KVST_E_INVAL (NULL uid/out),
 * KVST_E_ABI (struct_size too small). Pure, thread-safe. Since 1.0.
 */
KVST_EXPORT int kvst_identity_classify(const kvst_user_identity *uid,
                                       const kvst_event *context,
                                       kvst_identity_info *out);

/*
 * Classify the JSON text of a userIdentity object. Views in *out point
 * into json. Returns 0, KVST_E_SYNTAX / KVST_E_ENCODING for bad JSON,
 * KVST_E_NOT_CLOUDTRAIL when it is not an object, KVST_E_NOMEM, KVST_E_INVAL,
 * KVST_E_ABI. Allocates temporarily (malloc); thread-safe. Since 1.0.
 */
KVST_EXPORT int kvst_identity_classify_json(const char *json, size_t len,
                                            kvst_identity_info *out);

/* Credential kind of an accessKeyId (KVST_CREDENTIAL_*). Since 1.0. */
KVST_EXPORT uint32_t kvst_credential_kind(const char *key, size_t len);

/* Principal kind of a userIdentity.type string (KVST_PRINCIPAL_*;
 * UNKNOWN for an unknown, empty or NULL string). Since 1.0. */
KVST_EXPORT uint32_t kvst_principal_kind(const char *type, size_t len);

/* ---- ARNs --------------------------------------------------------------- */

/* Parts of an ARN: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE. For KVS
 * resources (TYPE/NAME/CREATION) type, name and creation_time are split
 * out. Views point into the input. Frozen layout. Since 1.0. */
typedef struct kvst_arn {
    kvst_str partition;
    kvst_str service;
    kvst_str region;
    kvst_str account;
    kvst_str resource;      /* everything after the account */
    kvst_str resource_type; /* "stream", "channel", "key", "alias" ... */
    kvst_str name;
    kvst_str creation;      /* digits after the last '/' for KVS */
    int64_t creation_time;  /* epoch ms, -1 when absent */
} kvst_arn;

/* Split any ARN; returns 0 or KVST_F_STREAM_ARN when it is not
 * arn:P:S:R:A:RES with non-empty partition, service and resource.
 * Since 1.0. */
KVST_EXPORT uint32_t kvst_arn_parse(const char *s, size_t len, kvst_arn *out);

/* ---- Validators --------------------------------------------------------- */

/* Stream, device and channel names: [a-zA-Z0-9_.-]+, 1..256 bytes
 * (KVST_F_STREAM_NAME). Since 1.0. */
KVST_EXPORT uint32_t kvst_validate_stream_name(const char *s, size_t len);
/* A KVS resource ARN per the model's ResourceARN pattern
 * arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+
 * (1..1024 bytes, creation-time suffix required). out may be NULL.
 * Since 1.0. */
KVST_EXPORT uint32_t kvst_validate_resource_arn(const char *s, size_t len,
                                                kvst_arn *out);
/* kmsKeyId: any 1..2048 bytes; when it starts with "arn:", a KMS ARN
 * arn:PARTITION:kms:REGION:ACCOUNT:key/... or alias/... Since 1.0. */
KVST_EXPORT uint32_t kvst_validate_kms_key_id(const char *s, size_t len);
/* mediaType: type/subtype[,type/subtype]*, 1..128 bytes. Since 1.0. */
KVST_EXPORT uint32_t kvst_validate_media_type(const char *s, size_t len);
/* YYYY-MM-DDTHH:MM:SSZ with a calendar check; *epoch_ms may be NULL.
 * Since 1.0. */
KVST_EXPORT uint32_t kvst_validate_timestamp(const char *s, size_t len,
                                             int64_t *epoch_ms);
/* us-east-1, us-gov-west-1, cn-north-1, eu-central-2 ... (lower case).
 * Since 1.0. */
KVST_EXPORT uint32_t kvst_validate_region(const char *s, size_t len);
/* 12 digits. Since 1.0. */
KVST_EXPORT uint32_t kvst_validate_account_id(const char *s, size_t len);
/* 8-4-4-4-12 hex digits. Since 1.0. */
KVST_EXPORT uint32_t kvst_validate_uuid(const char *s, size_t len);
/* IPv4, IPv6, an AWS service host (*.amazonaws.com) or "AWS Internal".
 * Since 1.0. */
KVST_EXPORT uint32_t kvst_validate_source_ip(const char *s, size_t len);
/* eventVersion "1.08"; *major and *minor (may be NULL) get the parts.
 * Since 1.0. */
KVST_EXPORT uint32_t kvst_validate_event_version(const char *s, size_t len,
                                                 int32_t *major,
                                                 int32_t *minor);
/* eventSource: a service host name with no surrounding white space.
 * Since 1.0. */
KVST_EXPORT uint32_t kvst_validate_event_source(const char *s, size_t len);
/* Tag keys (1..128) and values (0..256 characters): Unicode letters,
 * digits, white space and _ . : / = + - @. Since 1.0. */
KVST_EXPORT uint32_t kvst_validate_tag_key(const char *s, size_t len);
KVST_EXPORT uint32_t kvst_validate_tag_value(const char *s, size_t len);
/* currentVersion: [a-zA-Z0-9]+, 1..64. Since 1.0. */
KVST_EXPORT uint32_t kvst_validate_version_string(const char *s, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* KVSTRAIL_VALIDATE_H */
