/*
 * kvstrail CLI: the pieces of a SARIF 2.1.0 log (OASIS, errata 01), for
 * every command that writes one (check; detect). A log is written as
 *   cli_sarif_head, cli_sarif_rule..., cli_sarif_results,
 *   cli_sarif_result... (each with a leading comma but the first),
 *   cli_sarif_tail (with the cli_sarif_notification... of input errors)
 * and validates against sarif-schema-2.1.0.json (tests/cli).
 *
 * Positions: lines are 1-based, columns are not given (the library counts
 * them in bytes, SARIF in UTF-16 code units or code points); byteOffset
 * is in the artifact, or for a gzip artifact in its inflated text, which
 * the location's properties then say ("positionsIn": "inflated").
 */
#ifndef KVSTRAIL_CLI_SARIF_H
#define KVSTRAIL_CLI_SARIF_H

#include "cli_buf.h"

#include <stdint.h>

/* SARIF's level of a KVST_SEVERITY_*: error, warning, note. */
const char *cli_sarif_level(uint32_t severity);

/* From the log's start to the driver's "rules":[. */
void cli_sarif_head(struct cli_buf *out);

/* A file path as a URI reference (RFC 3986): unreserved characters and
 * '/' kept, every other byte percent-encoded. */
void cli_sarif_uri_path(struct cli_buf *out, const char *s);
/* One rule; first: no comma before it. properties_json is the text of
 * a JSON object or NULL. */
void cli_sarif_rule(struct cli_buf *out, int first, const char *id,
                    const char *text, const char *level,
                    const char *properties_json);
/* Closes the rules and opens "results":[. */
void cli_sarif_results(struct cli_buf *out);

struct cli_sarif_where {
    const char *path;     /* the input as given ("-": stdin) */
    int gzip;
    uint64_t line;        /* 0: unknown (no region) */
    uint64_t offset;
};

/* One location object. */
void cli_sarif_location(struct cli_buf *out, const struct cli_sarif_where *w);

/* One result, with a leading comma: ruleIndex < 0 is left out;
 * properties_json as above. */
void cli_sarif_result(struct cli_buf *out, const char *rule_id,
                      int32_t rule_index, const char *level,
                      const char *message, size_t message_len,
                      const struct cli_sarif_where *w,
                      const char *properties_json);

/* One toolExecutionNotification, with a leading comma (the tail drops
 * the first). */
void cli_sarif_notification(struct cli_buf *out, const char *level,
                            const char *message, size_t message_len,
                            const struct cli_sarif_where *w);

/* Closes the results, then the invocation with its notifications
 * (notes: what cli_sarif_notification wrote, may be empty) and the log. */
void cli_sarif_tail(struct cli_buf *out, int success, int exit_code,
                    const char *notes, size_t notes_len);

#endif /* KVSTRAIL_CLI_SARIF_H */
