/*
 * kvstrail CLI: output formats. events: JSON Lines (the library's
 * kvst_event_to_json contract) or an aligned table; check: compiler-style
 * text, JSON Lines or SARIF 2.1.0; and the error lines of every command.
 */
#ifndef KVSTRAIL_CLI_FORMAT_H
#define KVSTRAIL_CLI_FORMAT_H

#include "cli_buf.h"
#include "cli_options.h"
#include "cli_order.h"
#include "cli_stats.h"

#include <kvstrail/kvstrail.h>

/* Read-only once built: shared by every worker thread. */
struct cli_formatter {
    enum cli_command command;
    enum cli_format format;
    int color;
    int action_width;                      /* table columns */
    int stream_width;
    int32_t rule_index[CLI_STATS_FINDINGS]; /* SARIF: code -> rules[] index */
    uint32_t min_severity;                 /* check: findings shown */
    const char *const *columns;            /* --columns; count 0: defaults */
    size_t column_count;
};

/* What one input file is writing. */
struct cli_file_out {
    const struct cli_formatter *fmt;
    struct cli_sink *sink;
    const char *label;        /* the path as given, "-" for stdin */
    uint64_t error_findings;  /* findings of severity error */
    uint64_t broken_records;
    int gzip;                 /* the input is gzip: positions are in the
                                 inflated text */
    struct cli_buf *notes;    /* SARIF: this file's notifications, or NULL */
    uint64_t high_matches;    /* detect: matches of level high or critical */
};

void cli_format_init(struct cli_formatter *f, const struct cli_options *opts);
/* What goes before the first file's output (table header, SARIF head). */
void cli_format_begin(const struct cli_formatter *f, struct cli_buf *out);
/* What goes after the last (the end of the SARIF document, with the
 * notifications of every file, in file order, in notes). */
void cli_format_end(const struct cli_formatter *f, int exit_status,
                    const struct cli_buf *notes, struct cli_buf *out);
/* An input error as a SARIF toolExecutionNotification of the file (a
 * no-op unless fo->notes is set). */
void cli_format_note(struct cli_file_out *fo, uint64_t line, uint64_t offset,
                     const char *message, size_t message_len, int status);
/* One event (or, in recovery mode, one broken record). */
void cli_format_event(struct cli_file_out *fo, const kvst_event *ev);


/* FILE:LINE:COL: error: MESSAGE [KVST_E_NAME] (FILE: error: ... when the
 * position is unknown), with a newline. */
void cli_format_error(struct cli_buf *b, const char *label, uint64_t line,
                      uint64_t column, const char *message, size_t message_len,
                      int status);

#endif /* KVSTRAIL_CLI_FORMAT_H */
