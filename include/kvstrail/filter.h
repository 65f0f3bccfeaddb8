/*
 * kvstrail: record filters ("which calls did this key make last week").
 *
 * Part of the public API; include <kvstrail/kvstrail.h> rather than this file.
 *
 * A kvst_filter is reached from kvst_parser_options.filter. A parser given
 * one delivers only the events that pass every condition that is set (an
 * unset condition, NULL or 0, lets everything through), and drops the
 * others before they are built as far as the data allows: a record whose
 * eventSource/eventName rules it out (actions) is dropped as soon as its
 * tape is complete, before the envelope, payload, identity and validators
 * are built. Broken records of recovery mode always pass: a filter never
 * hides an input error. Dropped records still count in
 * kvst_parser_stats()'s records, as KVST_FLAG_KVS_ONLY's do.
 *
 * Ownership: the parser copies what it needs in kvst_parser_new(); the
 * filter struct, its strings and its action array may be freed as soon
 * as that returns.
 */
#ifndef KVSTRAIL_FILTER_H
#define KVSTRAIL_FILTER_H

#include <kvstrail/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* kvst_filter.flags. Since 1.1. */
#define KVST_FILTER_SINCE 0x1u /* since_ms is set */
#define KVST_FILTER_UNTIL 0x2u /* until_ms is set */

/* kvst_filter.event_kind. Numbers frozen. Since 1.1. */
#define KVST_FILTER_ANY_EVENT  0u
#define KVST_FILTER_MANAGEMENT 1u /* managementEvent is true */
#define KVST_FILTER_DATA       2u /* managementEvent is false */

/* The bit of a principal kind in kvst_filter.principals. Since 1.1. */
#define KVST_FILTER_PRINCIPAL_BIT(kind) ((uint64_t)1 << (kind))

/*
 * Set struct_size = sizeof(kvst_filter) (KVST_FILTER_INIT does) and fill
 * what you need. Like the parser options, a newer, larger struct is
 * accepted when the members this library does not know are zero, else
 * kvst_parser_new() returns KVST_E_ABI; it returns KVST_E_INVAL for an
 * unknown flag, event kind or outcome, an access bit of no kind, an action number the library does not know,
 * a source_cidr that is not an address or CIDR, or a since after the
 * until. Strings are NUL-terminated, compared byte for byte; NULL or ""
 * sets no condition. Since 1.1.
 */
typedef struct kvst_filter {
    size_t struct_size;
    uint32_t flags;             /* KVST_FILTER_SINCE | KVST_FILTER_UNTIL */
    uint32_t event_kind;        /* KVST_FILTER_ANY_EVENT, _MANAGEMENT, _DATA;
                                   an event without managementEvent is
                                   neither */
    const uint32_t *actions;    /* KVST_ACTION_* (KVS calls); the event's
                                   action is one of them */
    size_t action_count;        /* 0: any action, other services too */
    uint64_t principals;        /* KVST_FILTER_PRINCIPAL_BIT() of the
                                   kinds wanted (identity.principal) */
    const char *arn_glob;       /* userIdentity.arn matches: '*' any run of
                                   bytes, '?' one byte, '\' quotes the next;
                                   a missing arn never matches */
    const char *access_key_id;  /* userIdentity.accessKeyId equals */
    const char *account_id;     /* recipientAccountId equals (the account
                                   the log belongs to, as the S3 key says) */
    const char *region;         /* awsRegion equals */
    const char *source_cidr;    /* sourceIPAddress is inside: an IPv4 or
                                   IPv6 address, or ADDRESS/PREFIX; a
                                   sourceIPAddress that is not an address
                                   (a service name) never matches */
    int64_t since_ms;           /* eventTime >= since_ms (epoch ms) */
    int64_t until_ms;           /* eventTime <= until_ms; with either
                                   bound an event without a valid eventTime
                                   never matches */
    uint32_t outcome;           /* 0: any; KVST_OUTCOME_SUCCESS or
                                   KVST_OUTCOME_FAILURE (kvst_event.outcome) */
    uint32_t access;            /* KVST_FILTER_ACCESS_BIT() of the kinds
                                   wanted (kvst_event.access); 0: any */
} kvst_filter;

/* The bit of an access kind (KVST_ACCESS_*) in kvst_filter.access.
 * Since 1.1. */
#define KVST_FILTER_ACCESS_BIT(kind) ((uint32_t)1 << (kind))

#define KVST_FILTER_INIT \
    { sizeof(kvst_filter), 0u, 0u, 0, 0u, 0u, 0, 0, 0, 0, 0, 0, 0, 0u, 0u }

#ifdef __cplusplus
}
#endif

#endif /* KVSTRAIL_FILTER_H */
