/*
 * kvstrail CLI: the command line (commands, options, usage text).
 */
#ifndef KVSTRAIL_CLI_OPTIONS_H
#define KVSTRAIL_CLI_OPTIONS_H

#include <kvstrail/kvstrail.h>

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
    CLI_FMT_SARIF,
    CLI_FMT_CSV,
    CLI_FMT_OCSF
};

#define CLI_MAX_ACTIONS 256 /* --action given more often is a usage error */
#define CLI_MAX_COLUMNS 64

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
    char **files;                /* "-" is stdin; may name directories */
    size_t file_count;
    /* Filters (the library's, docs/cli.md "Filters"); filter.actions
     * points into actions[]. */
    kvst_filter filter;
    int filtering;               /* some filter option was given */
    uint32_t actions[CLI_MAX_ACTIONS];
    uint32_t min_severity;       /* check: findings below it are not shown */
    int dedup;                   /* --dedup: drop repeated eventIDs */
    size_t dedup_cap;            /* --dedup-cap: IDs kept before a reset */
    long long prune_margin;      /* seconds around --since/--until for keys */
    /* --columns: the contract's dotted names; column_count 0: defaults */
    const char *columns[CLI_MAX_COLUMNS];
    size_t column_count;
    char *columns_text;          /* the copy columns[] point into */
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

/* --since/--until: RFC 3339 with any offset, or a bare date (its first
 * millisecond, or its last with end_of_day). 1 and *ms, or 0. */
int cli_time_parse(const char *s, int end_of_day, int64_t *ms);

#endif /* KVSTRAIL_CLI_OPTIONS_H */
