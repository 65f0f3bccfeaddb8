/* kvstrail CLI: the command line (commands, options, usage text). */
#include "cli_options.h"

#include "cli_buf.h"

#include <kvstrail/kvstrail.h>

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "Usage: kvstrail COMMAND [OPTIONS] [FILE...]\n"
    "\n"
    "Read AWS CloudTrail logs (plain or gzip; a log file, an event, an array,\n"
    "JSON Lines or EventBridge envelopes) and report Kinesis Video Streams calls.\n"
    "With no FILE, or when FILE is -, read standard input.\n"
    "\n"
    "Commands:\n"
    "  events   one line per event (or digest file): JSON Lines or a table\n"
    "  check    validation findings only: text, JSON Lines or SARIF 2.1.0\n"
    "  stats    counts per action, principal, credential and finding; rates\n"
    "  detect   Sigma rules over the events: one line per match\n"
    "  verify   check an archive's digests, hash chain and signatures offline\n"
    "           (kvstrail verify --help)\n"
    "  help     print this help\n"
    "\n"
    "Options:\n"
    "  -f, --format FMT          events: jsonl, table (default: table on a\n"
    "                            terminal, else jsonl); check: text (default),\n"
    "                            jsonl, sarif; stats: text (default), jsonl;\n"
    "                            detect: jsonl (default), text, sarif\n"
    "      --rules PATH          detect, stats: a Sigma rule file or folder\n"
    "                            (repeatable; default: the bundled KVS pack)\n"
    "      --placeholder N=V     a value of the |expand placeholder %N%\n"
    "                            (repeatable, each adds one value)\n"
    "      --kvs-only            skip records of other services\n"
    "      --recover             report a broken record and go on with the next\n"
    "  -j, --jobs N              parse N files at once (0: one per CPU);\n"
    "                            output stays in file order\n"
    "      --progress            progress bar on stderr\n"
    "      --no-progress         no progress bar (default unless stderr is a\n"
    "                            terminal)\n"
    "      --color[=WHEN]        colour the table: auto (default), always, never\n"
    "      --max-depth N         JSON nesting depth limit\n"
    "      --max-string-bytes N  longest string or number\n"
    "      --max-record-bytes N  largest record\n"
    "      --max-inflate-ratio N largest inflated/compressed ratio of gzip\n"
    "                            (limits take K, M, G suffixes or \"unlimited\")\n"
    "  -h, --help                print this help\n"
    "  -V, --version             print the version\n"
    "\n"
    "Exit status: 0 all input read; 1 check found an error, or detect matched a\n"
    "rule of level high or critical; 2 some input (or rule) could not be read or\n"
    "parsed; 64 usage error. See kvstrail(1).\n";

enum {
    OPT_KVS_ONLY = 256,
    OPT_RECOVER,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_COLOR,
    OPT_MAX_DEPTH,
    OPT_MAX_STRING,
    OPT_MAX_RECORD,
    OPT_MAX_RATIO,
    OPT_RULES,
    OPT_PLACEHOLDER
};

static const struct option long_options[] = {
    { "format", required_argument, NULL, 'f' },
    { "kvs-only", no_argument, NULL, OPT_KVS_ONLY },
    { "recover", no_argument, NULL, OPT_RECOVER },
    { "jobs", required_argument, NULL, 'j' },
    { "progress", no_argument, NULL, OPT_PROGRESS },
    { "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
    { "color", optional_argument, NULL, OPT_COLOR },
    { "colour", optional_argument, NULL, OPT_COLOR },
    { "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
    { "max-string-bytes", required_argument, NULL, OPT_MAX_STRING },
    { "max-record-bytes", required_argument, NULL, OPT_MAX_RECORD },
    { "max-inflate-ratio", required_argument, NULL, OPT_MAX_RATIO },
    { "rules", required_argument, NULL, OPT_RULES },
    { "placeholder", required_argument, NULL, OPT_PLACEHOLDER },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 }
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int usage_error(int *exit_status, const char *fmt, ...)
{
    va_list ap;
    fputs("kvstrail: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'kvstrail --help'.\n", stderr);
    *exit_status = CLI_EXIT_USAGE;
    return 0;
}

/* A limit: decimal digits with an optional K/M/G (binary) suffix, or
 * "unlimited". 0 is refused: the library reads it as "default", which
 * is not what someone typing 0 means. */
static int parse_limit(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;
    if (strcmp(s, "unlimited") == 0) {
        *out = KVST_UNLIMITED;
        return 1;
    }
    if (*s < '0' || *s > '9')
        return 0;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0)
        return 0;
    switch (*end) {
    case 'K': case 'k': shift = 10; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    default: break;
    }
    if (*end != '\0' || v == 0 || v > (UINT64_MAX >> shift) ||
        (v << shift) == KVST_UNLIMITED)
        return 0;
    *out = (uint64_t)v << shift;
    return 1;
}

static int parse_jobs(const char *s, unsigned *out)
{
    char *end;
    unsigned long v;
    if (*s < '0' || *s > '9')
        return 0;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > 1024)
        return 0;
    if (v == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        v = n > 0 ? (unsigned long)n : 1;
    }
    *out = (unsigned)v;
    return 1;
}

static int parse_format(const char *s, enum cli_format *out)
{
    static const struct { const char *name; enum cli_format fmt; } names[] = {
        { "jsonl", CLI_FMT_JSONL }, { "table", CLI_FMT_TABLE },
        { "text", CLI_FMT_TEXT }, { "sarif", CLI_FMT_SARIF },
    };
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].fmt;
            return 1;
        }
    return 0;
}

/* Which formats each command prints; the first is its default when the
 * default does not depend on the terminal. */
static int format_allowed(enum cli_command cmd, enum cli_format fmt)
{
    switch (cmd) {
    case CLI_CMD_EVENTS: return fmt == CLI_FMT_JSONL || fmt == CLI_FMT_TABLE;
    case CLI_CMD_CHECK:
        return fmt == CLI_FMT_TEXT || fmt == CLI_FMT_JSONL ||
               fmt == CLI_FMT_SARIF;
    case CLI_CMD_STATS: return fmt == CLI_FMT_TEXT || fmt == CLI_FMT_JSONL;
    case CLI_CMD_DETECT:
        return fmt == CLI_FMT_JSONL || fmt == CLI_FMT_TEXT || fmt == CLI_FMT_SARIF;
    }
    return 0;
}

static int color_wanted(const char *when, int *out)
{
    const char *no_color = getenv("NO_COLOR");
    if (when == NULL || strcmp(when, "auto") == 0) {
        /* https://no-color.org: set and non-empty turns colour off. */
        *out = isatty(STDOUT_FILENO) && (no_color == NULL || *no_color == '\0');
        return 1;
    }
    if (strcmp(when, "always") == 0) {
        *out = 1;
        return 1;
    }
    if (strcmp(when, "never") == 0) {
        *out = 0;
        return 1;
    }
    return 0;
}

int cli_options_parse(int argc, char **argv, struct cli_options *out,
                      int *exit_status)
{
    static char *stdin_only[] = { "-", NULL };
    const char *format_arg = NULL, *color_arg = NULL, *cmd;
    int progress = -1, c;

    memset(out, 0, sizeof *out);
    out->jobs = 1;
    *exit_status = CLI_EXIT_OK;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:j:hV", long_options, NULL)) != -1) {
        uint64_t *limit = NULL;
        switch (c) {
        case 'f': format_arg = optarg; break;
        case 'j':
            if (!parse_jobs(optarg, &out->jobs))
                return usage_error(exit_status,
                                   "invalid number of jobs '%s'", optarg);
            break;
        case OPT_KVS_ONLY: out->parser_flags |= KVST_FLAG_KVS_ONLY; break;
        case OPT_RECOVER: out->parser_flags |= KVST_FLAG_RECOVER; break;
        case OPT_PROGRESS: progress = 1; break;
        case OPT_NO_PROGRESS: progress = 0; break;
        case OPT_COLOR: color_arg = optarg ? optarg : "always"; break;
        case OPT_MAX_DEPTH: limit = &out->max_depth; break;
        case OPT_MAX_STRING: limit = &out->max_string_bytes; break;
        case OPT_MAX_RECORD: limit = &out->max_record_bytes; break;
        case OPT_MAX_RATIO: limit = &out->max_inflate_ratio; break;
        case OPT_RULES:
            out->rule_paths = cli_xrealloc(out->rule_paths,
                (out->rule_path_count + 1) * sizeof *out->rule_paths);
            out->rule_paths[out->rule_path_count++] = optarg;
            break;
        case OPT_PLACEHOLDER:
            out->placeholders = cli_xrealloc(out->placeholders,
                (out->placeholder_count + 1) * sizeof *out->placeholders);
            out->placeholders[out->placeholder_count++] = optarg;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'V':
            printf("kvstrail %s (libkvstrail %s)\n", KVST_VERSION_STRING,
                   kvst_version_string());
            return 0;
        default:
            return usage_error(exit_status,
                               "unknown option or missing value in '%s'",
                               argv[optind - 1]);
        }
        if (limit != NULL && !parse_limit(optarg, limit))
            return usage_error(exit_status, "invalid limit '%s'", optarg);
    }

    if (optind >= argc)
        return usage_error(exit_status, "%s", "no command given");
    cmd = argv[optind++];
    if (strcmp(cmd, "events") == 0) {
        out->command = CLI_CMD_EVENTS;
        out->parser_flags |= KVST_FLAG_DIGESTS; /* printed as typed digests */
    }
    else if (strcmp(cmd, "check") == 0)
        out->command = CLI_CMD_CHECK;
    else if (strcmp(cmd, "stats") == 0)
        out->command = CLI_CMD_STATS;
    else if (strcmp(cmd, "detect") == 0)
        out->command = CLI_CMD_DETECT;
    else if (strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    } else
        return usage_error(exit_status, "unknown command '%s'", cmd);

    if (format_arg == NULL && out->command == CLI_CMD_DETECT)
        out->format = CLI_FMT_JSONL;
    else if (format_arg == NULL)
        out->format = out->command == CLI_CMD_EVENTS
                          ? (isatty(STDOUT_FILENO) ? CLI_FMT_TABLE : CLI_FMT_JSONL)
                          : CLI_FMT_TEXT;
    else if (!parse_format(format_arg, &out->format) ||
             !format_allowed(out->command, out->format)) {
        static const char *const allowed[] = {
            [CLI_CMD_EVENTS] = "jsonl or table",
            [CLI_CMD_CHECK] = "text, jsonl or sarif",
            [CLI_CMD_STATS] = "text or jsonl",
            [CLI_CMD_DETECT] = "jsonl, text or sarif",
        };
        return usage_error(exit_status, "%s prints %s, not '%s'", cmd,
                           allowed[out->command], format_arg);
    }

    if (!color_wanted(color_arg, &out->color))
        return usage_error(exit_status, "invalid --color value '%s'", color_arg);
    out->progress = progress >= 0 ? progress : isatty(STDERR_FILENO);
    if ((out->rule_path_count || out->placeholder_count) &&
        out->command != CLI_CMD_DETECT && out->command != CLI_CMD_STATS)
        return usage_error(exit_status, "--rules and --placeholder go with detect "
                           "and stats, not %s", cmd);
    /* Rules read fields from the record's own bytes. */
    if (out->command == CLI_CMD_DETECT || out->rule_path_count)
        out->parser_flags |= KVST_FLAG_KEEP_RAW;

    if (optind < argc) {
        out->files = argv + optind;
        out->file_count = (size_t)(argc - optind);
    } else {
        out->files = stdin_only;
        out->file_count = 1;
    }
    return 1;
}
