/*
 * kvstrail CLI: --columns, and the values of the columns of the table
 * and CSV formats. A column is a dotted name over the JSON Lines
 * contract of an event (docs/cli.md), e.g. identity.arn or
 * request.streamName or findings.0.name; its value is read from the
 * event's contract text, so a column means exactly what the same field
 * of `--format jsonl` means.
 */
#ifndef KVSTRAIL_CLI_COLUMNS_H
#define KVSTRAIL_CLI_COLUMNS_H

#include "cli_buf.h"
#include "cli_options.h"

#include <kvstrail/kvstrail.h>

/* Split list at commas into out->columns. Returns 1, or 0 with *bad the
 * first name whose first part is not a member of the contract (or that
 * is empty, or past CLI_MAX_COLUMNS). */
int cli_columns_parse(const char *list, struct cli_options *out,
                      const char **bad);

/* One event's contract, parsed once for all its columns. */
struct cli_row {
    struct cli_buf json;
    void *tree;          /* yajl_val */
};

/* Parse ev's contract (label as its "file"); 0, or -1 when it cannot be
 * parsed (then every value is null). */
int cli_row_open(struct cli_row *row, const kvst_event *ev, const char *label);
/* The value of a dotted name, appended to out: strings as they are,
 * numbers and booleans as JSON writes them, objects and arrays as
 * compact JSON. Returns 0 when the value is null or missing (nothing
 * appended), 1 otherwise. */
int cli_row_value(const struct cli_row *row, const char *dotted,
                  struct cli_buf *out);
void cli_row_close(struct cli_row *row);

#endif /* KVSTRAIL_CLI_COLUMNS_H */
