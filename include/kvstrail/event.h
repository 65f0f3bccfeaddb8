/*
 * kvstrail: the event handed out for every CloudTrail record.
 *
 * Part of the public API; include <kvstrail/kvstrail.h> rather than this file.
 *
 * Ownership: every struct reached from a kvst_event is owned by the parser
 * and read-only. An event given to the on_event callback is valid until the
 * callback returns; an event from kvst_parser_next() until the next call to
 * kvst_parser_next/feed/finish/free on the same parser. kvst_event_copy()
 * makes a deep copy that stays valid until kvst_event_free().
 *
 * Growth: structs that begin with struct_size may gain members at their end
 * in later versions (check struct_size before reading a member marked
 * "since" a version newer than the one you built against); they are reached
 * through pointers, never embedded in arrays. kvst_str, kvst_value and the
 * pointer arrays are frozen.
 */
#ifndef KVSTRAIL_EVENT_H
#define KVSTRAIL_EVENT_H

#include <kvstrail/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Tri-state booleans of the envelope (readOnly, managementEvent, ...). */
#define KVST_BOOL_ABSENT (-1)
#define KVST_BOOL_FALSE   0
#define KVST_BOOL_TRUE    1

/* Principal kinds (kvst_identity_info.principal). Numbers frozen. Since 1.0. */
#define KVST_PRINCIPAL_UNKNOWN              0u
#define KVST_PRINCIPAL_ROOT                 1u
#define KVST_PRINCIPAL_IAM_USER             2u
#define KVST_PRINCIPAL_ASSUMED_ROLE         3u
#define KVST_PRINCIPAL_ROLE                 4u
#define KVST_PRINCIPAL_FEDERATED_USER       5u
#define KVST_PRINCIPAL_AWS_SERVICE          6u
#define KVST_PRINCIPAL_AWS_ACCOUNT          7u
#define KVST_PRINCIPAL_IDENTITY_CENTER_USER 8u
#define KVST_PRINCIPAL_SAML_USER            9u
#define KVST_PRINCIPAL_WEB_IDENTITY_USER   10u
#define KVST_PRINCIPAL_DIRECTORY           11u

/* Credential kinds from accessKeyId (kvst_identity_info.credential).
 * Numbers frozen. Since 1.0. */
#define KVST_CREDENTIAL_NONE           0u /* empty or absent accessKeyId */
#define KVST_CREDENTIAL_LONG_TERM      1u /* AKIA... */
#define KVST_CREDENTIAL_TEMPORARY      2u /* ASIA... */
#define KVST_CREDENTIAL_SERVICE_BEARER 3u /* ABIA... */
#define KVST_CREDENTIAL_UNKNOWN        4u /* any other prefix */

/* Finding severities (kvst_finding.severity). Numbers frozen. Since 1.0. */
#define KVST_SEVERITY_INFO    1u
#define KVST_SEVERITY_WARNING 2u
#define KVST_SEVERITY_ERROR   3u

/* How the record was found in the input (kvst_event.container).
 * Numbers frozen. Since 1.0. */
#define KVST_CONTAINER_LOG_FILE    1u /* an element of {"Records":[...]} */
#define KVST_CONTAINER_ARRAY       2u /* an element of a top-level array */
#define KVST_CONTAINER_SINGLE      3u /* a top-level event object (one, or
                                         one of concatenated/JSON Lines) */
#define KVST_CONTAINER_EVENTBRIDGE 4u /* under "detail" of an EventBridge
                                         envelope */
#define KVST_CONTAINER_CLOUDWATCH_LOGS 5u /* the message of a logEvents
                                         element of a CloudWatch Logs
                                         subscription envelope (DATA_MESSAGE);
                                         the event and its findings are at
                                         the message string (docs/api.md).
                                         Since 1.1 */
#define KVST_CONTAINER_DIGEST      6u /* a CloudTrail digest file (only with
                                         KVST_FLAG_DIGESTS; the event's
                                         envelope is empty and
                                         kvst_event_digest() gives the
                                         digest). Since 1.1 */

/* What a KVS call does to the video (kvst_event.access), from a table kept
 * with the KVS model (docs/kvs-model.md). GetDataEndpoint takes the kind of
 * the API its request names (aPIName), so a management-only trail still
 * shows who prepared to read or write video. Records of other services, and
 * KVS records of an unknown eventName, have KVST_ACCESS_NONE.
 * Numbers frozen. Since 1.1. */
#define KVST_ACCESS_NONE         0u /* not a KVS call */
#define KVST_ACCESS_MEDIA_READ   1u /* "media-read": GetMedia, GetClip, HLS/DASH URLs, GetImages, ... */
#define KVST_ACCESS_MEDIA_WRITE  2u /* "media-write": PutMedia, JoinStorageSession */
#define KVST_ACCESS_SIGNALING    3u /* "signaling": ConnectAs*, GetIceServerConfig, ... */
#define KVST_ACCESS_CONFIG_READ  4u /* "config-read": Describe*, List* */
#define KVST_ACCESS_CONFIG_WRITE 5u /* "config-write": Create*, Update*, Tag*, Untag*, Start* */
#define KVST_ACCESS_DELETE       6u /* "delete": Delete* */

/* Whether the call succeeded (kvst_event.outcome): a failure when
 * errorCode or errorMessage is a non-empty string (AWS writes sign-in
 * failures with errorMessage alone) or responseElements.ConsoleLogin is
 * "Failure". Numbers frozen. Since 1.1. */
#define KVST_OUTCOME_NONE    0u /* a broken record (recovery mode), a digest */
#define KVST_OUTCOME_SUCCESS 1u /* "success" */
#define KVST_OUTCOME_FAILURE 2u /* "failure" */

/* userIdentity.sessionContext.sessionIssuer. Since 1.0. */
typedef struct kvst_session_issuer {
    size_t struct_size;
    kvst_str type;
    kvst_str principal_id;
    kvst_str arn;
    kvst_str account_id;
    kvst_str user_name;
} kvst_session_issuer;

/* userIdentity.sessionContext. Since 1.0. */
typedef struct kvst_session_context {
    size_t struct_size;
    const kvst_session_issuer *session_issuer; /* NULL when absent */
    /* webIdFederationData */
    kvst_str web_id_federated_provider;
    /* webIdFederationData.attributes as a map (keys[i] -> items[i]) */
    kvst_value web_id_attributes;
    /* attributes */
    kvst_str creation_date;
    kvst_str mfa_authenticated; /* "true" / "false" as written */
    kvst_str source_identity;
    kvst_str ec2_role_delivery; /* "1.0" or "2.0" */
    kvst_str assumed_root;      /* "true" when the session is an assumed root */
} kvst_session_context;

/* userIdentity.onBehalfOf (IAM Identity Center). Since 1.0. */
typedef struct kvst_on_behalf_of {
    size_t struct_size;
    kvst_str user_id;
    kvst_str identity_store_arn;
} kvst_on_behalf_of;

/* userIdentity.inScopeOf. Since 1.0. */
typedef struct kvst_in_scope_of {
    size_t struct_size;
    kvst_str issuer_type;
    kvst_str credentials_issued_to;
    kvst_str source_arn;
    kvst_str source_account;
} kvst_in_scope_of;

/* userIdentity. Strings are NULL-ptr views when absent. Since 1.0. */
typedef struct kvst_user_identity {
    size_t struct_size;
    kvst_str type;
    kvst_str principal_id;
    kvst_str arn;
    kvst_str account_id;
    kvst_str access_key_id;
    kvst_str user_name;
    kvst_str invoked_by;
    kvst_str credential_id;
    kvst_str identity_provider;
    const kvst_session_context *session_context; /* NULL when absent */
    const kvst_on_behalf_of *on_behalf_of;       /* NULL when absent */
    const kvst_in_scope_of *in_scope_of;         /* NULL when absent */
} kvst_user_identity;

/*
 * The identity verdict. Filled by the parser for every event and by
 * kvst_identity_classify(). The caller of kvst_identity_classify() sets
 * struct_size; the library fills only what fits. Strings are views into the
 * kvst_user_identity (or event) it was computed from.
 * Since 1.0.
 */
typedef struct kvst_identity_info {
    size_t struct_size;
    uint32_t principal;  /* KVST_PRINCIPAL_* */
    uint32_t credential; /* KVST_CREDENTIAL_* */
    /* The seed document's three questions. */
    int32_t root_or_iam_user;            /* Root or IAMUser credentials */
    int32_t role_or_federated_temporary; /* AssumedRole, Role, FederatedUser */
    int32_t aws_service;                 /* AWSService, or invokedBy present and not
                                            a console host (1.1: docs/identity.md) */
    int32_t mfa;             /* KVST_BOOL_*: ABSENT when not recorded */
    int32_t console;         /* console session */
    int32_t cross_account;   /* identity/issuer account != recipient or ARN account */
    int32_t root_access_key; /* Root with an AKIA key */
    int32_t assumed_root;    /* sessionContext.assumedRoot */
    int32_t imdsv1;          /* ec2RoleDelivery "1.0" */
    kvst_str type;           /* raw userIdentity.type (kept for Unknown) */
    kvst_str account_id;     /* the identity's account */
    kvst_str arn;
    kvst_str user_name;
    kvst_str invoked_by;
    kvst_str issuer_type;    /* session issuer */
    kvst_str issuer_name;
    kvst_str issuer_arn;
    kvst_str issuer_account_id;
    kvst_str on_behalf_of_user_id;
    kvst_str identity_store_arn;
    kvst_str other_account_id; /* the other account when cross_account */
} kvst_identity_info;

/* One element of "resources". Since 1.0. */
typedef struct kvst_resource {
    size_t struct_size;
    kvst_str arn;        /* "ARN" (also accepts "arn") */
    kvst_str account_id;
    kvst_str type;
} kvst_resource;

/* "tlsDetails". Since 1.0. */
typedef struct kvst_tls_details {
    size_t struct_size;
    kvst_str tls_version;
    kvst_str cipher_suite;
    kvst_str client_provided_host_header;
} kvst_tls_details;

/* "addendum". Since 1.0. */
typedef struct kvst_addendum {
    size_t struct_size;
    kvst_str reason;
    kvst_str updated_fields;
    kvst_str original_request_id;
    kvst_str original_event_id;
} kvst_addendum;

/*
 * A validation finding. code is a KVST_F_* value of <kvstrail/validate.h>
 * (numbers frozen); pointer is a JSON pointer within the record
 * ("/requestParameters/mediaType", "" for the record itself); offset, line
 * and column (1-based, in bytes) locate the offending value in the input
 * (the inflated stream for gzip). Since 1.0.
 */
typedef struct kvst_finding {
    size_t struct_size;
    uint32_t code;
    uint32_t severity;   /* KVST_SEVERITY_* */
    kvst_str pointer;
    kvst_str message;    /* names the rule and the value */
    uint64_t record_index;
    uint64_t offset;
    uint64_t line;
    uint64_t column;
} kvst_finding;

/* Where and why parsing stopped (see kvst_parser_error()). Since 1.0. */
typedef struct kvst_error {
    size_t struct_size;
    int32_t code;          /* KVST_E_*, 0 when there is no error */
    uint32_t reserved;
    uint64_t offset;       /* absolute byte offset over all input (inflated for gzip) */
    uint64_t line;         /* 1-based */
    uint64_t column;       /* 1-based, in bytes */
    uint64_t record_index; /* index of the record being read */
    kvst_str pointer;      /* JSON pointer within that record, "" if none */
    kvst_str message;      /* what went wrong, where */
    kvst_str excerpt;      /* the line around the error, a newline, a caret;
                              raw input bytes, not escaped: escape them
                              before printing to a terminal */
    /* Recovery mode: the broken record's byte range and raw text. */
    uint64_t record_offset;
    uint64_t record_length;
    kvst_str record_text;
} kvst_error;

/*
 * One CloudTrail record. Delivered for every record of every service
 * (action KVST_ACTION_NONE for non-KVS ones) unless KVST_FLAG_KVS_ONLY.
 * Envelope strings are NULL-ptr views when absent, JSON null, or not a
 * string (a finding then says so). Since 1.0.
 */
typedef struct kvst_event {
    size_t struct_size;
    int32_t status;        /* 0; in recovery mode a broken record is an event
                              with a negative status and error set */
    uint32_t action;       /* KVST_ACTION_* of <kvstrail/kvs_model.h> */
    uint32_t container;    /* KVST_CONTAINER_* */
    uint32_t reserved;
    uint64_t record_index; /* 0-based index of the record in the input */
    uint64_t offset;       /* where the record's '{' is (EventBridge:
                              detail's '{', and length and raw are
                              detail's, since 1.1; CloudWatch Logs: the
                              message string's '"', and length and raw
                              are the decoded message's, since 1.1) */
    uint64_t line;
    uint64_t column;
    uint64_t length;       /* record length in bytes */
    kvst_str raw;          /* the record's exact bytes (KVST_FLAG_KEEP_RAW) */

    /* Envelope. */
    kvst_str event_version;
    int32_t event_version_major; /* -1 when unparseable */
    int32_t event_version_minor; /* as an integer: 1.10 > 1.9 */
    kvst_str event_time;
    int64_t event_time_ms;       /* epoch milliseconds */
    int32_t event_time_valid;    /* 1 when event_time_ms is meaningful */
    int32_t read_only;           /* KVST_BOOL_* */
    int32_t management_event;    /* KVST_BOOL_* */
    int32_t session_credential_from_console; /* KVST_BOOL_* */
    kvst_str event_source;
    kvst_str event_name;
    kvst_str aws_region;
    kvst_str source_ip_address;
    kvst_str user_agent;
    kvst_str error_code;
    kvst_str error_message;
    kvst_str request_id;
    kvst_str event_id;
    kvst_str event_type;
    kvst_str api_version;
    kvst_str recipient_account_id;
    kvst_str shared_event_id;
    kvst_str event_category;
    kvst_str vpc_endpoint_id;
    kvst_str vpc_endpoint_account_id;
    const kvst_user_identity *user_identity; /* NULL when absent */
    size_t resource_count;
    const kvst_resource *const *resources;
    const kvst_tls_details *tls_details;     /* NULL when absent */
    const kvst_addendum *addendum;           /* NULL when absent */

    /* KVS payload: request points to the operation's input struct and
     * response to its output struct (see the table in kvs_model.h); NULL
     * when the action is NONE or the record has no such object. */
    const void *request;
    const void *response;
    uint32_t request_state;  /* KVST_VALUE_* of requestParameters */
    uint32_t response_state; /* KVST_VALUE_* of responseElements */

    const kvst_identity_info *identity;      /* never NULL for status 0 */
    size_t finding_count;
    const kvst_finding *const *findings;
    const kvst_error *error;                 /* broken records only */

    /* Since 1.1 (check struct_size before reading). */
    uint32_t access;       /* KVST_ACCESS_*; KVST_ACCESS_NONE when action is NONE */
    uint32_t outcome; /* KVST_OUTCOME_*: SUCCESS or FAILURE for every
                         delivered record, NONE for a broken one or a
                         digest */

    /* Since 1.1: the members CloudTrail writes as free-form JSON, so that
     * the JSON contract (and any caller) has them without a lookup. Each
     * is a kvst_value as kvst_event_lookup() gives it: state
     * KVST_VALUE_ABSENT or KVST_VALUE_NULL, else KVST_VALUE_OK with the
     * json_type found. An object or array has text = its JSON text as the
     * record writes it (white space and escapes kept) and count = its
     * members or elements as written (a repeated key counted each time);
     * a string has its decoded text, a number its text. Any JSON type is
     * valid (AWS writes some additionalEventData as a string), so none is
     * a finding. Valid as long as the event; text is NUL-terminated.
     * Values, not structs: their members differ per service and event,
     * and three kvst_values keep this struct's growth to frozen types. */
    kvst_value additional_event_data; /* "additionalEventData" */
    kvst_value service_event_details; /* "serviceEventDetails" */
    kvst_value insight_details;       /* "insightDetails" */
} kvst_event;

/*
 * One element of a digest file's "logFiles": a log file CloudTrail
 * delivered in the digest's hour, and the SHA-256 of its inflated bytes.
 * Strings are NULL-ptr views when absent or JSON null; hash holds the
 * decoded hashValue when hash_valid is 1 (64 hex digits). Times are epoch
 * milliseconds when their *_valid member is 1. Since 1.1.
 */
typedef struct kvst_digest_log_file {
    size_t struct_size;
    kvst_str s3_bucket;          /* "s3Bucket" */
    kvst_str s3_object;          /* "s3Object": the log file's S3 key */
    kvst_str hash_value;         /* "hashValue": hex */
    kvst_str hash_algorithm;     /* "hashAlgorithm": "SHA-256" */
    kvst_str newest_event_time;  /* "newestEventTime" */
    kvst_str oldest_event_time;  /* "oldestEventTime" */
    int64_t newest_event_time_ms;
    int64_t oldest_event_time_ms;
    int32_t newest_event_time_valid;
    int32_t oldest_event_time_valid;
    int32_t hash_valid;
    uint32_t reserved;
    unsigned char hash[32];
} kvst_digest_log_file;

/*
 * A CloudTrail digest file (KVST_CONTAINER_DIGEST): the hour it covers,
 * where CloudTrail put it, the key that signed it, the previous digest of
 * the chain and the log files of the hour. Strings are NULL-ptr views when
 * absent or JSON null (a starting digest has every previous_* NULL).
 * previous_hash holds the decoded previousDigestHashValue when
 * previous_hash_valid is 1. Checking hashes and signatures is the job of
 * `kvstrail verify` (docs/verify.md); the library only parses and
 * validates the fields (findings KVST_F_DIGEST_*). Owned by the event, with
 * its lifetime. Since 1.1.
 */
typedef struct kvst_digest {
    size_t struct_size;
    kvst_str aws_account_id;                 /* "awsAccountId" */
    kvst_str digest_start_time;              /* "digestStartTime" */
    kvst_str digest_end_time;                /* "digestEndTime" */
    kvst_str digest_s3_bucket;               /* "digestS3Bucket" */
    kvst_str digest_s3_object;               /* "digestS3Object" */
    kvst_str digest_public_key_fingerprint;  /* "digestPublicKeyFingerprint" */
    kvst_str digest_signature_algorithm;     /* "digestSignatureAlgorithm" */
    kvst_str newest_event_time;              /* "newestEventTime" */
    kvst_str oldest_event_time;              /* "oldestEventTime" */
    kvst_str previous_digest_s3_bucket;      /* "previousDigestS3Bucket" */
    kvst_str previous_digest_s3_object;      /* "previousDigestS3Object" */
    kvst_str previous_digest_hash_value;     /* "previousDigestHashValue" */
    kvst_str previous_digest_hash_algorithm; /* "previousDigestHashAlgorithm" */
    kvst_str previous_digest_signature;      /* "previousDigestSignature": hex */
    int64_t digest_start_time_ms;
    int64_t digest_end_time_ms;
    int64_t newest_event_time_ms;
    int64_t oldest_event_time_ms;
    int32_t digest_start_time_valid;
    int32_t digest_end_time_valid;
    int32_t newest_event_time_valid;
    int32_t oldest_event_time_valid;
    int32_t previous_hash_valid;
    uint32_t reserved;
    unsigned char previous_hash[32];
    size_t log_file_count;
    const kvst_digest_log_file *const *log_files;
} kvst_digest;

/*
 * The digest of an event of container KVST_CONTAINER_DIGEST, or NULL for
 * any other event (and for NULL). Valid as long as the event (copies
 * included). Pure and thread-safe. Since 1.1.
 */
KVST_EXPORT const kvst_digest *kvst_event_digest(const kvst_event *ev);

/*
 * Look a value up in the event's record by JSON pointer (RFC 6901), e.g.
 * "/requestParameters/streamName" or "/resources/0/ARN". On success fills
 * *out (objects and arrays as their raw JSON text, with count set) and
 * returns 0; KVST_E_NOT_FOUND when there is no such value; KVST_E_INVAL
 * for a malformed pointer; KVST_E_NOMEM when memory ran out (payloads the
 * library did not need, such as another service's requestParameters, are
 * kept as raw bytes and parsed on demand, into the event's memory). The
 * views in *out are valid while the event is; works on copies too. Not
 * thread-safe for one event (it may add to the event's memory). Since 1.0.
 */
KVST_EXPORT int kvst_event_lookup(const kvst_event *ev, const char *pointer,
                                  kvst_value *out);

/*
 * Write the event as one JSON object (the contract of `kvstrail events
 * --format jsonl`, docs/cli.md) into buf, NUL-terminated. file is the
 * "file" member (NULL prints null). Returns the length the text needs
 * (without the NUL), like snprintf: when it is >= cap, buf holds a truncated
 * prefix and the caller retries with a larger buffer. buf may be NULL when
 * cap is 0. Pure and thread-safe. Since 1.0.
 */
KVST_EXPORT size_t kvst_event_to_json(const kvst_event *ev, const char *file,
                                      char *buf, size_t cap);

/*
 * Deep-copy an event (with everything it points to and its record's values,
 * so lookups work on the copy), in memory from malloc() (not the parser's
 * allocator: the copy outlives the parser). Returns 0 and sets *out, or
 * KVST_E_NOMEM / KVST_E_INVAL. Thread-safe for distinct events. Since 1.0.
 */
KVST_EXPORT int kvst_event_copy(const kvst_event *ev, kvst_event **out);

/* Free a copy made by kvst_event_copy(). NULL is a no-op. Since 1.0. */
KVST_EXPORT void kvst_event_free(kvst_event *ev);

/* Names for enum values ("AssumedRole", "temporary", "warning");
 * static, never NULL ("Unknown"/"unknown" for unknown values). Since 1.0. */
KVST_EXPORT const char *kvst_principal_name(uint32_t principal);
KVST_EXPORT const char *kvst_credential_name(uint32_t credential);
KVST_EXPORT const char *kvst_severity_name(uint32_t severity);

/* The name of a KVST_ACCESS_* kind as the JSON contract writes it
 * ("media-read", "config-write"); NULL for KVST_ACCESS_NONE and unknown
 * numbers. Static, thread-safe. Since 1.1. */
KVST_EXPORT const char *kvst_access_name(uint32_t access);

#ifdef __cplusplus
}
#endif

#endif /* KVSTRAIL_EVENT_H */
