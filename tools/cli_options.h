/*
 * kvstrail CLI: the command line (commands, options, usage text).
 */
#ifndef KVSTRAIL_CLI_OPTIONS_H
#define KVSTRAIL_CLI_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

/* Exit statuses (64 is EX_USAGE of sysexits.h). */
#define CLI_EXIT_OK       0
#define CLI_EXIT_FINDINGS 1  /* check: a finding of severity error;
                                detect: a rule of level high or critical */
#define CLI_EXIT_INPUT    2  /* some input could not be read or parsed */
#define CLI_EXIT_USAGE    64

enum cli_command {
    CLI_CMD_EVENTS,
    CLI_CMD_CHECK,
    CLI_CMD_STATS,
    CLI_CMD_DETECT
};

enum cli_format {
    CLI_FMT_DEFAULT, /* resolved by cli_options_parse() */
    CLI_FMT_JSONL,
    CLI_FMT_TABLE,
    CLI_FMT_TEXT,
    CLI_FMT_SARIF
};

struct cli_options {
    enum cli_command command;
    enum cli_format format;
    uint32_t parser_flags;       /* KVST_FLAG_* */
    uint64_t max_depth;          /* 0: the library's default */
    uint64_t max_string_bytes;
    uint64_t max_record_bytes;
    uint64_t max_inflate_ratio;
    unsigned jobs;               /* files parsed at once, >= 1 */
    int progress;                /* progress bar on stderr */
    int color;                   /* ANSI colour in the table format */
    char **files;                /* "-" is stdin; never empty */
    size_t file_count;
    /* detect, stats --rules: Sigma rule files or folders, and
     * --placeholder NAME=VALUE (each adds one value) */
    char **rule_paths;
    size_t rule_path_count;
    char **placeholders;
    size_t placeholder_count;
    struct cli_detect *detect;   /* the loaded rules; NULL without them */
};

/*
 * Parse argv. Returns 1 when the command should run, 0 when the program
 * should exit now with *exit_status (after --help, --version, or a usage
 * error already reported on stderr).
 */
int cli_options_parse(int argc, char **argv, struct cli_options *out,
                      int *exit_status);

#endif /* KVSTRAIL_CLI_OPTIONS_H */
