/* kvstrail CLI: the command line (commands, options, usage text). */
#include "cli_options.h"

#include "cli_columns.h"
#include "cli_dedup.h"
#include "cli_walk.h"
#include "cli_buf.h"

#include <kvstrail/kvstrail.h>

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "Usage: kvstrail COMMAND [OPTIONS] [FILE...]\n"
    "\n"
    "Read AWS CloudTrail logs (plain or gzip; a log file, an event, an array,\n"
    "JSON Lines, EventBridge or CloudWatch Logs envelopes, or a directory) and\n"
    "report Kinesis Video Streams calls.\n"
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
    "                            terminal, else jsonl), csv, ocsf (OCSF 1.8.0\n"
    "                            API Activity); check: text\n"
    "                            (default), jsonl, sarif; stats: text\n"
    "                            (default), jsonl; detect: jsonl (default),\n"
    "                            text, sarif\n"
    "      --columns LIST        table and csv: the contract's fields, dotted,\n"
    "                            e.g. eventTime,action,identity.arn\n"
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
    "\n"
    "Filters (all given must hold; a directory's S3 keys are pruned by them):\n"
    "      --action NAME         a KVS action, e.g. DeleteStream (repeatable)\n"
    "      --principal KIND      identity.principal, e.g. Root (repeatable)\n"
    "      --arn GLOB            identity.arn ('*' any run, '?' one byte)\n"
    "      --access-key ID       userIdentity.accessKeyId\n"
    "      --account ID          recipientAccountId (the S3 key's account)\n"
    "      --region NAME         awsRegion\n"
    "      --source-ip CIDR      sourceIPAddress inside the address or CIDR\n"
    "      --since TIME          eventTime at or after TIME (RFC 3339, any\n"
    "                            offset, or a date: its start)\n"
    "      --until TIME          eventTime at or before TIME (a date: its end)\n"
    "      --event-kind KIND     management or data (managementEvent)\n"
    "      --outcome WHAT        success or failure (the contract's outcome)\n"
    "      --access KIND         media-read, media-write, signaling,\n"
    "                            config-read, config-write, delete (repeatable)\n"
    "      --min-severity LEVEL  check: info, warning or error and above\n"
    "      --dedup               drop records whose eventID came before\n"
    "      --dedup-cap N         eventIDs --dedup keeps before it starts\n"
    "                            again (default 4194304, at most 67108864)\n"
    "      --prune-margin MIN    minutes an S3 key's time may lie outside\n"
    "                            --since/--until and still be read (60)\n"
    "\n"
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
    OPT_COLUMNS,
    OPT_ACTION,
    OPT_PRINCIPAL,
    OPT_ARN,
    OPT_ACCESS_KEY,
    OPT_ACCOUNT,
    OPT_REGION,
    OPT_SOURCE_IP,
    OPT_SINCE,
    OPT_UNTIL,
    OPT_EVENT_KIND,
    OPT_OUTCOME,
    OPT_ACCESS,
    OPT_MIN_SEVERITY,
    OPT_DEDUP,
    OPT_DEDUP_CAP,
    OPT_PRUNE_MARGIN,
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
    { "columns", required_argument, NULL, OPT_COLUMNS },
    { "action", required_argument, NULL, OPT_ACTION },
    { "principal", required_argument, NULL, OPT_PRINCIPAL },
    { "arn", required_argument, NULL, OPT_ARN },
    { "access-key", required_argument, NULL, OPT_ACCESS_KEY },
    { "account", required_argument, NULL, OPT_ACCOUNT },
    { "region", required_argument, NULL, OPT_REGION },
    { "source-ip", required_argument, NULL, OPT_SOURCE_IP },
    { "since", required_argument, NULL, OPT_SINCE },
    { "until", required_argument, NULL, OPT_UNTIL },
    { "event-kind", required_argument, NULL, OPT_EVENT_KIND },
    { "outcome", required_argument, NULL, OPT_OUTCOME },
    { "access", required_argument, NULL, OPT_ACCESS },
    { "min-severity", required_argument, NULL, OPT_MIN_SEVERITY },
    { "dedup", no_argument, NULL, OPT_DEDUP },
    { "dedup-cap", required_argument, NULL, OPT_DEDUP_CAP },
    { "prune-margin", required_argument, NULL, OPT_PRUNE_MARGIN },
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

/* A decimal count, digits only, of at most max: 1 and *out, or 0. */
static int parse_count(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;
    if (*s < '0' || *s > '9')
        return 0;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return 0;
    *out = v;
    return 1;
}

static int parse_jobs(const char *s, unsigned *out)
{
    unsigned long v;
    if (!parse_count(s, 1024, &v))
        return 0;
    if (v == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        v = n > 0 ? (unsigned long)n : 1;
    }
    *out = (unsigned)v;
    return 1;
}

/* A name -> value table: every option that takes one of a few words is
 * a lookup in one of these. */
struct name_value {
    const char *name;
    int value;
};

#define NAME_TABLE(t) (t), sizeof(t) / sizeof((t)[0])

/* 1 and *out set when s is one of the n names of t, else 0. */
static int lookup_name(const struct name_value *t, size_t n, const char *s,
                       int *out)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(s, t[i].name) == 0) {
            *out = t[i].value;
            return 1;
        }
    return 0;
}

/* The same, for the uint32_t fields of the library's structs. */
static int lookup_u32(const struct name_value *t, size_t n, const char *s,
                      uint32_t *out)
{
    int v;
    if (!lookup_name(t, n, s, &v))
        return 0;
    *out = (uint32_t)v;
    return 1;
}

static int parse_format(const char *s, enum cli_format *out)
{
    static const struct name_value names[] = {
        { "jsonl", CLI_FMT_JSONL }, { "table", CLI_FMT_TABLE },
        { "text", CLI_FMT_TEXT }, { "sarif", CLI_FMT_SARIF },
        { "csv", CLI_FMT_CSV }, { "ocsf", CLI_FMT_OCSF },
    };
    int v;
    if (!lookup_name(NAME_TABLE(names), s, &v))
        return 0;
    *out = (enum cli_format)v;
    return 1;
}

/* Which formats each command prints; the first is its default when the
 * default does not depend on the terminal. */
static int format_allowed(enum cli_command cmd, enum cli_format fmt)
{
    switch (cmd) {
    case CLI_CMD_EVENTS:
        return fmt == CLI_FMT_JSONL || fmt == CLI_FMT_TABLE ||
               fmt == CLI_FMT_CSV || fmt == CLI_FMT_OCSF;
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
    static const struct name_value whens[] = {
        { "always", 1 }, { "never", 0 },
    };
    const char *no_color = getenv("NO_COLOR");
    if (when == NULL || strcmp(when, "auto") == 0) {
        /* https://no-color.org: set and non-empty turns colour off. */
        *out = isatty(STDOUT_FILENO) && (no_color == NULL || *no_color == '\0');
        return 1;
    }
    return lookup_name(NAME_TABLE(whens), when, out);
}

/* n digits at *s, advancing; -1 when they are not there. */
static int take_digits(const char **s, int n)
{
    int v = 0, i;
    for (i = 0; i < n; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *s += n;
    return v;
}

static int month_days(int y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* RFC 3339 (T or space, Z or an offset, a fraction kept to the
 * millisecond), or a bare date: its first millisecond, or with end_of_day
 * its last. Epoch milliseconds in *ms. */
int cli_time_parse(const char *s, int end_of_day, int64_t *ms)
{
    int y, mo, d, h, mi, sec, frac = 0, scale = 100, sign, oh, om;
    long long t;

    y = take_digits(&s, 4);
    if (y < 0 || *s++ != '-' || (mo = take_digits(&s, 2)) < 1 || mo > 12 ||
        *s++ != '-' || (d = take_digits(&s, 2)) < 1 || d > month_days(y, mo))
        return 0;
    t = cli_days_from_civil(y, mo, d) * 86400LL;
    if (*s == '\0') {
        *ms = (int64_t)(t * 1000 + (end_of_day ? 86400LL * 1000 - 1 : 0));
        return 1;
    }
    if (*s != 'T' && *s != 't' && *s != ' ')
        return 0;
    s++;
    if ((h = take_digits(&s, 2)) < 0 || h > 23 || *s++ != ':' ||
        (mi = take_digits(&s, 2)) < 0 || mi > 59 || *s++ != ':' ||
        (sec = take_digits(&s, 2)) < 0 || sec > 59)
        return 0;
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return 0;
        for (; *s >= '0' && *s <= '9'; s++) {
            frac += (*s - '0') * scale;
            scale /= 10;
        }
    }
    t += h * 3600 + mi * 60 + sec;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s++ == '+' ? 1 : -1;
        if ((oh = take_digits(&s, 2)) < 0 || oh > 23 || *s++ != ':' ||
            (om = take_digits(&s, 2)) < 0 || om > 59)
            return 0;
        t -= sign * (oh * 3600 + om * 60);
    } else {
        return 0;
    }
    if (*s != '\0')
        return 0;
    *ms = (int64_t)(t * 1000 + frac);
    return 1;
}

static int parse_principal(const char *s, uint64_t *mask)
{
    uint32_t v;
    /* kvst_principal_name() gives "Unknown" past the last kind. */
    for (v = 0; v < 64; v++) {
        const char *n = kvst_principal_name(v);
        if (v > 0 && strcmp(n, kvst_principal_name(0)) == 0)
            break;
        if (strcasecmp(s, n) == 0) {
            *mask |= KVST_FILTER_PRINCIPAL_BIT(v);
            return 1;
        }
    }
    return 0;
}

/* A filter string: refused when empty, since "" would set no condition. */
static int set_text(const char **dst, const char *s)
{
    if (*s == '\0')
        return 0;
    *dst = s;
    return 1;
}

/* Whether the library takes the filter as given (the source CIDR and the
 * time range are checked there). */
static int filter_accepted(const kvst_filter *f)
{
    kvst_parser_options po = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    int rc;
    po.filter = f;
    rc = kvst_parser_new(&po, &p);
    kvst_parser_free(p);
    return rc == 0;
}

/* Handle one filter option; 1 when taken, 0 for a bad value. */
static int filter_option(int c, const char *arg, struct cli_options *out)
{
    kvst_filter *f = &out->filter;
    int64_t ms;
    out->filtering = 1;
    switch (c) {
    case OPT_ACTION: {
        uint32_t a = kvst_action_from_name(arg, strlen(arg));
        if (a == KVST_ACTION_NONE || f->action_count == CLI_MAX_ACTIONS)
            return 0;
        out->actions[f->action_count++] = a;
        f->actions = out->actions;
        return 1;
    }
    case OPT_PRINCIPAL: return parse_principal(arg, &f->principals);
    case OPT_ARN: return set_text(&f->arn_glob, arg);
    case OPT_ACCESS_KEY: return set_text(&f->access_key_id, arg);
    case OPT_ACCOUNT: return set_text(&f->account_id, arg);
    case OPT_REGION: return set_text(&f->region, arg);
    case OPT_SOURCE_IP: {
        kvst_filter one = KVST_FILTER_INIT;
        one.source_cidr = arg;
        return set_text(&f->source_cidr, arg) && filter_accepted(&one);
    }
    case OPT_SINCE:
    case OPT_UNTIL:
        if (!cli_time_parse(arg, c == OPT_UNTIL, &ms))
            return 0;
        if (c == OPT_SINCE) {
            f->since_ms = ms;
            f->flags |= KVST_FILTER_SINCE;
        } else {
            f->until_ms = ms;
            f->flags |= KVST_FILTER_UNTIL;
        }
        return 1;
    case OPT_OUTCOME: {
        static const struct name_value outcomes[] = {
            { "success", KVST_OUTCOME_SUCCESS },
            { "failure", KVST_OUTCOME_FAILURE },
        };
        return lookup_u32(NAME_TABLE(outcomes), arg, &f->outcome);
    }
    case OPT_ACCESS: {
        uint32_t k;
        for (k = 1; k <= KVST_ACCESS_DELETE; k++) {
            const char *n = kvst_access_name(k);
            if (n != NULL && strcmp(arg, n) == 0) {
                f->access |= KVST_FILTER_ACCESS_BIT(k);
                return 1;
            }
        }
        return 0;
    }
    case OPT_EVENT_KIND: {
        static const struct name_value kinds[] = {
            { "management", KVST_FILTER_MANAGEMENT },
            { "data", KVST_FILTER_DATA },
        };
        return lookup_u32(NAME_TABLE(kinds), arg, &f->event_kind);
    }
    default:
        return 0;
    }
}

static int parse_severity(const char *s, uint32_t *out)
{
    static const struct name_value levels[] = {
        { "info", KVST_SEVERITY_INFO }, { "warning", KVST_SEVERITY_WARNING },
        { "error", KVST_SEVERITY_ERROR },
    };
    return lookup_u32(NAME_TABLE(levels), s, out);
}

static int parse_minutes(const char *s, long long *seconds)
{
    unsigned long v;
    if (!parse_count(s, 100000, &v))
        return 0;
    *seconds = (long long)v * 60;
    return 1;
}

static int parse_dedup_cap(const char *s, size_t *cap)
{
    unsigned long v;
    if (!parse_count(s, CLI_DEDUP_CAP_MAX, &v) || v < 1)
        return 0;
    *cap = (size_t)v;
    return 1;
}

int cli_options_parse(int argc, char **argv, struct cli_options *out,
                      int *exit_status)
{
    static char *stdin_only[] = { "-", NULL };
    static const struct name_value commands[] = {
        { "events", CLI_CMD_EVENTS }, { "check", CLI_CMD_CHECK },
        { "stats", CLI_CMD_STATS }, { "detect", CLI_CMD_DETECT },
    };
    const char *format_arg = NULL, *color_arg = NULL, *columns_arg = NULL, *cmd;
    int progress = -1, c, longindex = 0, command;

    memset(out, 0, sizeof *out);
    out->jobs = 1;
    out->filter.struct_size = sizeof out->filter;
    out->prune_margin = 3600;
    out->dedup_cap = CLI_DEDUP_CAP;
    *exit_status = CLI_EXIT_OK;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:j:hV", long_options,
                             &longindex)) != -1) {
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
        case OPT_COLUMNS: columns_arg = optarg; break;
        case OPT_MIN_SEVERITY:
            if (!parse_severity(optarg, &out->min_severity))
                return usage_error(exit_status,
                                   "invalid --min-severity '%s' (info, "
                                   "warning or error)", optarg);
            break;
        case OPT_DEDUP: out->dedup = 1; break;
        case OPT_DEDUP_CAP:
            if (!parse_dedup_cap(optarg, &out->dedup_cap))
                return usage_error(exit_status, "invalid --dedup-cap '%s' "
                                   "(1 to %u)", optarg, CLI_DEDUP_CAP_MAX);
            break;
        case OPT_PRUNE_MARGIN:
            if (!parse_minutes(optarg, &out->prune_margin))
                return usage_error(exit_status, "invalid --prune-margin '%s'",
                                   optarg);
            break;
        case OPT_ACTION: case OPT_PRINCIPAL: case OPT_ARN: case OPT_ACCESS_KEY:
        case OPT_ACCOUNT: case OPT_REGION: case OPT_SOURCE_IP: case OPT_SINCE:
        case OPT_UNTIL: case OPT_EVENT_KIND: case OPT_OUTCOME: case OPT_ACCESS:
            if (!filter_option(c, optarg, out))
                return usage_error(exit_status, "invalid --%s '%s'",
                                   long_options[longindex].name, optarg);
            break;
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
    if (strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!lookup_name(NAME_TABLE(commands), cmd, &command))
        return usage_error(exit_status, "unknown command '%s'", cmd);
    out->command = (enum cli_command)command;
    if (out->command == CLI_CMD_EVENTS)
        out->parser_flags |= KVST_FLAG_DIGESTS; /* printed as typed digests */

    if (format_arg == NULL && out->command == CLI_CMD_DETECT)
        out->format = CLI_FMT_JSONL;
    else if (format_arg == NULL)
        out->format = out->command == CLI_CMD_EVENTS
                          ? (isatty(STDOUT_FILENO) ? CLI_FMT_TABLE : CLI_FMT_JSONL)
                          : CLI_FMT_TEXT;
    else if (!parse_format(format_arg, &out->format) ||
             !format_allowed(out->command, out->format)) {
        static const char *const allowed[] = {
            [CLI_CMD_EVENTS] = "jsonl, table, csv or ocsf",
            [CLI_CMD_CHECK] = "text, jsonl or sarif",
            [CLI_CMD_STATS] = "text or jsonl",
            [CLI_CMD_DETECT] = "jsonl, text or sarif",
        };
        return usage_error(exit_status, "%s prints %s, not '%s'", cmd,
                           allowed[out->command], format_arg);
    }

    if ((out->filter.flags & KVST_FILTER_SINCE) &&
        (out->filter.flags & KVST_FILTER_UNTIL) &&
        out->filter.since_ms > out->filter.until_ms)
        return usage_error(exit_status, "%s", "--since is after --until");
    if (out->dedup_cap != CLI_DEDUP_CAP && !out->dedup)
        return usage_error(exit_status, "%s", "--dedup-cap goes with --dedup");
    if (out->min_severity != 0 && out->command != CLI_CMD_CHECK)
        return usage_error(exit_status, "%s", "--min-severity is for check");
    if (columns_arg != NULL) {
        if (out->command != CLI_CMD_EVENTS ||
            (out->format != CLI_FMT_TABLE && out->format != CLI_FMT_CSV))
            return usage_error(exit_status, "%s",
                               "--columns is for events --format table or csv");
        const char *bad;
        if (!cli_columns_parse(columns_arg, out, &bad))
            return usage_error(exit_status,
                               "--columns: '%s' is not a field of the events "
                               "contract (see docs/cli.md)", bad);
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
