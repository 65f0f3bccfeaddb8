/*
 * kvstrail: the command-line tool. `events`, `check`, `stats` and `detect` over
 * CloudTrail files or stdin, `verify` over an archive; see docs/cli.md,
 * docs/verify.md and kvstrail(1).
 *
 * This file only ties the pieces together: cli_options (the command line),
 * cli_detect (Sigma rules: detect, stats --rules),
 * cli_runner (files -> parsers, -j threads), cli_format (events and check
 * output), cli_stats (the stats summary), cli_order (output in file order)
 * and cli_progress (the progress bar).
 */
#include "cli_buf.h"
#include "cli_detect.h"
#include "cli_options.h"
#include "cli_progress.h"
#include "cli_runner.h"
#include "cli_stats.h"
#include "cli_verify.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What cli_options_parse allocated; returns status. */
static int options_free(struct cli_options *opts, int status)
{
    free(opts->columns_text);
    free(opts->rule_paths);
    free(opts->placeholders);
    return status;
}

int main(int argc, char **argv)
{
    struct cli_options opts;
    struct cli_stats *total;
    double elapsed = 0;
    int exit_status;

    /* A closed output pipe is an EPIPE from write(), handled where the
     * output is written, not a signal that kills the process (exit 141). */
    signal(SIGPIPE, SIG_IGN);

    /* verify has options of its own (and its own crypto): cli_verify.c */
    if (argc >= 2 && strcmp(argv[1], "verify") == 0)
        return cli_verify_main(argc - 1, argv + 1);

    /* A usage error may come after options that allocate (--columns,
     * --rules): freed on every way out. */
    if (!cli_options_parse(argc, argv, &opts, &exit_status))
        return options_free(&opts, exit_status);

    if (cli_runner_check_options(&opts) != 0)
        return options_free(&opts, CLI_EXIT_INPUT);
    if (opts.command == CLI_CMD_DETECT || opts.rule_path_count > 0) {
        static struct cli_detect detect;
        int status = cli_detect_load(&detect, &opts);
        if (status != 0)
            return options_free(&opts, status);
        opts.detect = &detect;
    }

    /* The counters are large (about 11 KiB): keep them off the stack. */
    total = cli_xrealloc(NULL, sizeof *total);
    exit_status = cli_run(&opts, total, &elapsed);
    if (opts.command == CLI_CMD_STATS) {
        struct cli_buf text = CLI_BUF_INIT;
        struct cli_stats_spill spill = { STDOUT_FILENO, 0 };
        cli_stats_format(total, elapsed, opts.format, &text, &spill);
        if (opts.detect != NULL)
            cli_detect_stats_append(opts.detect, opts.format, &text);
        if (((cli_write_all(STDOUT_FILENO, text.data, text.len) != 0 && errno != EPIPE) ||
             spill.failed) &&
            exit_status == CLI_EXIT_OK)
            exit_status = CLI_EXIT_INPUT;
        cli_buf_free(&text);
    }
    cli_stats_free(total);
    free(total);
    if (opts.detect != NULL)
        cli_detect_free(opts.detect);
    return options_free(&opts, exit_status);
}
