/*
 * kvstrail CLI: `events --format ocsf`, one OCSF 1.8.0 event per
 * CloudTrail record (docs/ocsf.md says where every attribute comes from).
 * A record that OCSF's API Activity class (6003) can describe becomes
 * one; a record without what that class requires (an eventName, a source
 * address, someone who made the call) becomes a Base Event (class 0)
 * whose message says what was missing, so no record is lost and every
 * line stays valid against the schema (tests/cli/ocsf_check.py).
 */
#ifndef KVSTRAIL_CLI_OCSF_H
#define KVSTRAIL_CLI_OCSF_H

#include "cli_buf.h"

#include <kvstrail/kvstrail.h>

/* The OCSF schema version written in metadata.version. */
#define CLI_OCSF_VERSION "1.8.0"

/* Append ev as one OCSF JSON object and a newline to out; label is the
 * input as given (unmapped.file). Digest files are not API calls: they
 * write nothing. Reads ev (and looks values up in its record), so not
 * thread-safe for one event; distinct events may be written at once. */
void cli_ocsf_event(const kvst_event *ev, const char *label,
                    struct cli_buf *out);

#endif /* KVSTRAIL_CLI_OCSF_H */
