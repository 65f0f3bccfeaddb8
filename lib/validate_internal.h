/*
 * Internal: helpers shared by the validators (lib/validate.c), the identity
 * classifier (lib/identity.c) and the per-record validation stage
 * (lib/validate_record.c). All pure: no allocation, no global state.
 */
#ifndef KVST_VALIDATE_INTERNAL_H
#define KVST_VALIDATE_INTERNAL_H

#include <kvstrail/kvstrail.h>

/* 2017-11-29T00:00:00Z, when Kinesis Video Streams was announced: an
 * eventTime or ARN creation time before it cannot be a real KVS one. */
#define KVST__KVS_LAUNCH_MS INT64_C(1511913600000)

/* The exact eventSource of KVS records. */
#define KVST__KVS_EVENT_SOURCE "kinesisvideo.amazonaws.com"

/*
 * Check s against a pattern class of the model (enum kvst_pattern_id of
 * lib/schema.h), as a whole-string match. Returns 0 when it matches, else
 * the most specific finding code (KVST_F_STREAM_NAME for KVST_PAT_NAME,
 * KVST_F_STREAM_ARN for KVST_PAT_RESOURCE_ARN, ... KVST_F_MEMBER_PATTERN
 * for the generic ones). Lengths are not checked here: the schema's
 * min/max are, separately. KVST_PAT_NONE and unknown ids match anything.
 */
uint32_t kvst__pattern_check(uint32_t pattern_id, const char *s, size_t len);

/* Number of Unicode code points of a UTF-8 string into *chars. Returns 0,
 * or -1 when s is not well-formed UTF-8 (then *chars is the byte count). */
/* Days since 1970-01-01 of a proleptic Gregorian date (also used by the
 * action mapper for response timestamps). */
int64_t kvst__days_from_civil(int y, int m, int d);

int kvst__utf8_length(const char *s, size_t len, size_t *chars);

/* Short text of what a code expects, used in messages ("type/subtype
 * [,type/subtype]"); "" for an unknown code. Static. */
const char *kvst__finding_expect(uint32_t code);

/* Fill *out (every 1.0 member; out->struct_size untouched) from uid, which
 * may be NULL (then the principal is Unknown and only the context flags are
 * set). ctx may be NULL. Used by kvst_identity_classify and by the
 * per-record stage for records without a userIdentity. */
void kvst__identity_fill(const kvst_user_identity *uid, const kvst_event *ctx,
                         kvst_identity_info *out);

/* 1 for a sign-in event (eventType AwsConsoleSignIn or eventSource
 * signin.amazonaws.com): console, MFA from additionalEventData, failures
 * written as errorMessage alone (docs/identity.md). ev may be NULL. */
int kvst__is_sign_in(const kvst_event *ev);

/* A sign-in event's additionalEventData.MFAUsed into out->mfa: "Yes" true,
 * "No" false, anything else leaves out->mfa as it was. The parser looks
 * the value up (the event struct does not carry additionalEventData). */
void kvst__identity_mfa_used(kvst_identity_info *out, kvst_str mfa_used);

/* Size of the 1.0 kvst_identity_info: callers must provide at least this. */
#define KVST__IDENTITY_INFO_SIZE_1_0 \
    (offsetof(kvst_identity_info, other_account_id) + sizeof(kvst_str))

/* Size of the 1.0 kvst_event: the context classification reads no member
 * past it, so a 1.0 caller's event is still a context. */
#define KVST__EVENT_SIZE_1_0 (offsetof(kvst_event, error) + sizeof(const kvst_error *))

#endif /* KVST_VALIDATE_INTERNAL_H */
