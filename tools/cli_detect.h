/*
 * kvstrail CLI: `kvstrail detect` and `kvstrail stats --rules` (issue 18,
 * docs/cli.md, docs/sigma.md): the rule set loaded once from --rules (or
 * the bundled KVS pack), one libkvstrail-sigma state per worker thread,
 * and the match output (JSON Lines, text, SARIF 2.1.0).
 */
#ifndef KVSTRAIL_CLI_DETECT_H
#define KVSTRAIL_CLI_DETECT_H

#include "cli_buf.h"
#include "cli_options.h"

#include <kvstrail/kvstrail.h>
#include <kvstrail/sigma.h>

struct cli_file_out;

/* Shared by every worker; read-only once loaded except the counters. */
struct cli_detect {
    kvst_sigma_ruleset *rules;
    enum cli_command command;
    enum cli_format format;
    int32_t *sarif_index;    /* rule -> tool.driver.rules[] index, -1 none */
    uint64_t *matches;       /* per rule, added atomically */
    struct cli_buf *rule_json; /* per rule, the "rule" object of a jsonl
                                  match, written once at load */
    const kvst_sigma_rule **rule_slot; /* the rules by address (open */
    size_t *rule_slot_index;           /* addressing), each one's index */
    size_t rule_slot_mask;             /* slots - 1 (a power of two) */
    int refused;             /* some rule was refused: exit status 2 */
};

struct cli_detect_worker {
    const struct cli_detect *detect;
    kvst_sigma_state *state;
    /* The event's part of a jsonl match line ({"file" .. "eventTime"),
     * the same for each match of the event: written at its first match. */
    struct cli_buf head;
    int head_valid;
    /* {"file":LABEL,"record": of the file being matched, escaped once per
     * file, and the label it was written for (a copy: a walked file's
     * label may be freed and its memory reused by the next one's). */
    struct cli_buf file_json;
    struct cli_buf file_label;
};

/*
 * Load the rules of opts (--rules paths, --placeholder values; the bundled
 * pack when no --rules was given). Errors and skipped rules go to stderr,
 * one line each. Returns 0, or an exit status when no rule could load.
 */
int cli_detect_load(struct cli_detect *d, const struct cli_options *opts);
void cli_detect_free(struct cli_detect *d);

void cli_detect_worker_init(struct cli_detect_worker *w,
                            const struct cli_detect *d);
void cli_detect_worker_free(struct cli_detect_worker *w);

/* Match one event; matches are written to fo's sink (detect) or counted
 * (stats). Counts the matches of level high or critical in
 * fo->high_matches. */
void cli_detect_event(struct cli_detect_worker *w, struct cli_file_out *fo,
                      const kvst_event *ev);

/* The SARIF head (with a rule per reported Sigma rule) and end (with
 * the input errors of every file, notes, as notifications). */
void cli_detect_begin(const struct cli_detect *d, struct cli_buf *out);
void cli_detect_end(const struct cli_detect *d, int exit_status,
                    const struct cli_buf *notes, struct cli_buf *out);

/* stats --rules: the matches per rule, after the stats summary (text), or
 * as a "rules" member of its JSON object (jsonl). */
void cli_detect_stats_append(const struct cli_detect *d, enum cli_format format,
                             struct cli_buf *out);

#endif /* KVSTRAIL_CLI_DETECT_H */
