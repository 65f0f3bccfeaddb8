/*
 * kvstrail CLI: the runner. Reads every input file in 64 KiB chunks into
 * its own parser, on -j worker threads, and collects the exit status and
 * the counters of the whole run.
 */
#ifndef KVSTRAIL_CLI_RUNNER_H
#define KVSTRAIL_CLI_RUNNER_H

#include "cli_options.h"
#include "cli_stats.h"

/*
 * Whether the library accepts the parser options (flags it may not support,
 * limits), before any file is opened: one clear error line on stderr
 * instead of one per file. Returns 0 or the library's status.
 */
int cli_runner_check_options(const struct cli_options *opts);

/*
 * Run opts->command over opts->files. Output goes to stdout in file order,
 * errors to stderr; *total receives the merged counters and *elapsed the
 * wall time of the parsing. Returns the exit status (CLI_EXIT_*).
 */
int cli_run(const struct cli_options *opts, struct cli_stats *total,
            double *elapsed);

#endif /* KVSTRAIL_CLI_RUNNER_H */
