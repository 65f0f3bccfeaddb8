/*
 * Internal: how the validation stage hands findings to the event builder.
 *
 * Validators name the offending value by JSON pointer within the record;
 * the builder resolves the pointer against the record's stored values to
 * get the byte offset, line and column, so the validation stage never
 * needs to know about the token tape.
 */
#ifndef KVST_FINDINGS_H
#define KVST_FINDINGS_H

#include <stdarg.h>
#include <kvstrail/kvstrail.h>

typedef struct kvst_finding_sink kvst_finding_sink;

struct kvst_finding_sink {
    /* Add one finding. pointer is a JSON pointer within the record
     * (not necessarily NUL-terminated); message is printf-formatted.
     * Returns 0 or KVST_E_NOMEM. */
    int (*add)(kvst_finding_sink *sink, uint32_t code, uint32_t severity,
               const char *pointer, size_t pointer_len, const char *fmt,
               va_list ap);
    void *ctx;
    /* 1 + the tape node the finding being added is at, for the length of
     * one add (kvst__finding_at); 0: its pointer locates it. A repeated
     * key's pointer names its last occurrence, not the one reported. */
    uint32_t at;
};

#if defined(__GNUC__)
#define KVST_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define KVST_PRINTF(f, a)
#endif

/* Convenience wrapper around sink->add with the code's default severity
 * (kvst_finding_severity). */
int kvst__finding(kvst_finding_sink *sink, uint32_t code, const char *pointer,
                  const char *fmt, ...) KVST_PRINTF(4, 5);

/* The same, placed at the value of tape node node rather than where
 * pointer leads (the envelope and the action mapper, which read the tape:
 * each occurrence of a repeated key at its own place). */
int kvst__finding_at(kvst_finding_sink *sink, uint32_t node, uint32_t code, const char *pointer,
                     const char *fmt, ...) KVST_PRINTF(5, 6);

/*
 * The identity + validation stage: classify ev->user_identity into *info
 * (info->struct_size set by the caller) and report every finding of the
 * record through sink: envelope rules, userIdentity rules, and every KVS
 * member of ev->request / ev->response against the schema tables.
 * ev is as the envelope stage built it: eventVersion's numbers and
 * eventTime's epoch are read from ev, not parsed again.
 * Returns 0 or the first error of sink->add (KVST_E_NOMEM).
 * Defined in lib/validate_record.c.
 */
int kvst__validate_event(const kvst_event *ev, kvst_identity_info *info,
                         kvst_finding_sink *sink);

#endif /* KVST_FINDINGS_H */
