/* kvstrail CLI: output formats of events and check, and error lines. */
#include "cli_format.h"

#include "cli_columns.h"
#include "cli_ocsf.h"
#include "cli_sarif.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>


#define ANSI_BOLD   "\033[1m"
#define ANSI_DIM    "\033[2m"
#define ANSI_RED    "\033[31m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_CYAN   "\033[36m"
#define ANSI_RESET  "\033[0m"

/* Table columns. Action and stream share what a terminal leaves; off a
 * terminal action is as wide as the longest action name. */
#define COL_TIME       20 /* 2018-05-25T00:16:31Z */
#define COL_PRINCIPAL  18 /* IdentityCenterUser */
#define COL_WHO        17 /* the last part of the identity's ARN */
#define COL_REGION     14 /* ap-southeast-1 */
#define COL_FINDINGS    8
#define COL_FIXED (COL_TIME + COL_PRINCIPAL + COL_WHO + COL_REGION + \
                   COL_FINDINGS + 6)
#define COL_GENERIC    24 /* a --columns column without a width of its own */
#define COL_STREAM_MIN 16
#define COL_STREAM_DEF 32
#define COL_STREAM_MAX 64
#define COL_ACTION_MIN 20

void cli_format_init(struct cli_formatter *f, const struct cli_options *opts)
{
    uint32_t code, a;
    int32_t next = 0;
    memset(f, 0, sizeof *f);
    f->command = opts->command;
    f->format = opts->format;
    f->color = opts->color;
    f->min_severity = opts->min_severity;
    f->columns = opts->columns;
    f->column_count = opts->column_count;
    f->action_width = 6;
    for (a = 1; a < CLI_STATS_ACTIONS; a++) {
        const char *n = kvst_action_name(a);
        if (n != NULL && (int)strlen(n) > f->action_width)
            f->action_width = (int)strlen(n);
    }
    f->stream_width = COL_STREAM_DEF;
    if (f->format == CLI_FMT_TABLE) {
        struct winsize ws;
        if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
            ws.ws_col > 0) {
            /* Fit the terminal when it can be done: long action names and
             * stream names are cut (and marked) rather than wrapped. */
            int room = (int)ws.ws_col - 1 - COL_FIXED; /* no auto-wrap */
            int longest = f->action_width;
            f->stream_width = room - longest > COL_STREAM_MIN ? room - longest
                                                              : COL_STREAM_MIN;
            if (f->stream_width > COL_STREAM_MAX)
                f->stream_width = COL_STREAM_MAX;
            f->action_width = room - f->stream_width;
            if (f->action_width > longest)
                f->action_width = longest;
            if (f->action_width < COL_ACTION_MIN)
                f->action_width = COL_ACTION_MIN;
        }
    }
    for (code = 0; code < CLI_STATS_FINDINGS; code++)
        f->rule_index[code] = kvst_finding_name(code) != NULL ? next++ : -1;
}

static void pad(struct cli_buf *b, size_t cells, int width)
{
    while ((int)cells++ < width)
        cli_buf_addc(b, ' ');
}

/* One table cell: terminal-safe text cut to width, padded, then a space. */
static void cell(struct cli_buf *b, const char *s, size_t n, int width,
                 const char *color)
{
    size_t start = b->len, cells;
    if (s == NULL || n == 0) {
        s = "-";
        n = 1;
    }
    if (color != NULL)
        cli_buf_adds(b, color);
    start = b->len;
    cli_buf_safe_text(b, s, n);
    cells = cli_text_cells(b->data + start, b->len - start);
    if ((int)cells > width) {
        /* Cut on a code point boundary and mark the cut. */
        size_t keep = 0, i, seen = 0;
        for (i = start; i < b->len; i++) {
            if (((unsigned char)b->data[i] & 0xC0) != 0x80) {
                if ((int)seen == width - 1)
                    break;
                seen++;
            }
            keep = i + 1;
        }
        while (keep < b->len && ((unsigned char)b->data[keep] & 0xC0) == 0x80)
            keep++;
        b->len = keep;
        cli_buf_addc(b, '~');
        cells = (size_t)width;
    }
    if (color != NULL)
        cli_buf_adds(b, ANSI_RESET);
    pad(b, cells, width);
    cli_buf_addc(b, ' ');
}

/* The width of a --columns column in the table. */
static int column_width(const struct cli_formatter *f, const char *name)
{
    static const struct { const char *name; int width; } widths[] = {
        { "eventTime", COL_TIME }, { "identity.principal", COL_PRINCIPAL },
        { "identity.credential", 14 }, { "awsRegion", COL_REGION },
        { "sourceIPAddress", 15 }, { "eventID", 36 }, { "requestID", 36 },
        { "recipientAccountId", 12 }, { "identity.accountId", 12 },
        { "record", 8 }, { "line", 8 }, { "column", 8 }, { "readOnly", 8 },
    };
    size_t i;
    if (strcmp(name, "action") == 0 || strcmp(name, "eventName") == 0)
        return f->action_width;
    for (i = 0; i < sizeof widths / sizeof widths[0]; i++)
        if (strcmp(name, widths[i].name) == 0)
            return widths[i].width;
    return COL_GENERIC;
}

static void table_header(const struct cli_formatter *f, struct cli_buf *out)
{
    size_t i;
    if (f->color)
        cli_buf_adds(out, ANSI_BOLD);
    if (f->column_count > 0) {
        for (i = 0; i < f->column_count; i++)
            cell(out, f->columns[i], strlen(f->columns[i]),
                 column_width(f, f->columns[i]), NULL);
        while (out->len > 0 && out->data[out->len - 1] == ' ')
            out->len--;
    } else {
        cell(out, "TIME", 4, COL_TIME, NULL);
        cell(out, "ACTION", 6, f->action_width, NULL);
        cell(out, "WHO", 3, COL_WHO, NULL);
        cell(out, "PRINCIPAL", 9, COL_PRINCIPAL, NULL);
        cell(out, "REGION", 6, COL_REGION, NULL);
        cell(out, "STREAM", 6, f->stream_width, NULL);
        cli_buf_printf(out, "%*s", COL_FINDINGS, "FINDINGS");
    }
    if (f->color)
        cli_buf_adds(out, ANSI_RESET);
    cli_buf_addc(out, '\n');
}

/* RFC 4180: a field is quoted when it holds a comma, a quote, CR or LF;
 * quotes inside are doubled. Records end with CRLF. */
static void csv_field(struct cli_buf *out, const char *s, size_t n)
{
    size_t i;
    if (n > 0 && strcspn(s, ",\"\r\n") >= n) {
        cli_buf_add(out, s, n);
        return;
    }
    if (n == 0)
        return;
    cli_buf_addc(out, '"');
    for (i = 0; i < n; i++) {
        if (s[i] == '"')
            cli_buf_addc(out, '"');
        cli_buf_addc(out, s[i]);
    }
    cli_buf_addc(out, '"');
}

/* The columns of --format csv without --columns. */
static const char *const csv_defaults[] = {
    "eventTime", "action", "eventName", "identity.principal", "identity.arn",
    "identity.accountId", "recipientAccountId", "awsRegion", "sourceIPAddress",
    "errorCode", "eventID",
};

static void csv_columns(const struct cli_formatter *f,
                        const char *const **names, size_t *n)
{
    if (f->column_count > 0) {
        *names = f->columns;
        *n = f->column_count;
    } else {
        *names = csv_defaults;
        *n = sizeof csv_defaults / sizeof csv_defaults[0];
    }
}

static void csv_header(const struct cli_formatter *f, struct cli_buf *out)
{
    const char *const *names;
    size_t n, i;
    csv_columns(f, &names, &n);
    for (i = 0; i < n; i++) {
        if (i > 0)
            cli_buf_addc(out, ',');
        csv_field(out, names[i], strlen(names[i]));
    }
    cli_buf_adds(out, "\r\n");
}

static void sarif_begin(struct cli_buf *out)
{
    uint32_t code;
    int first = 1;
    cli_sarif_head(out);
    /* Every rule this library knows, so ruleIndex is stable across runs. */
    for (code = 0; code < CLI_STATS_FINDINGS; code++) {
        const char *name = kvst_finding_name(code);
        const char *rule;
        char props[32];
        if (name == NULL)
            continue;
        rule = kvst_finding_rule(code);
        snprintf(props, sizeof props, "{\"code\":%u}", (unsigned)code);
        cli_sarif_rule(out, first, name, rule != NULL ? rule : name,
                       cli_sarif_level(kvst_finding_severity(code)), props);
        first = 0;
    }
    cli_sarif_results(out);
}

void cli_format_begin(const struct cli_formatter *f, struct cli_buf *out)
{
    if (f->command == CLI_CMD_EVENTS && f->format == CLI_FMT_TABLE)
        table_header(f, out);
    else if (f->command == CLI_CMD_EVENTS && f->format == CLI_FMT_CSV)
        csv_header(f, out);
    else if (f->command == CLI_CMD_CHECK && f->format == CLI_FMT_SARIF)
        sarif_begin(out);
}

void cli_format_end(const struct cli_formatter *f, int exit_status,
                    const struct cli_buf *notes, struct cli_buf *out)
{
    if (f->command == CLI_CMD_CHECK && f->format == CLI_FMT_SARIF)
        cli_sarif_tail(out, exit_status != CLI_EXIT_INPUT, exit_status,
                       notes->data, notes->len);
}

void cli_format_note(struct cli_file_out *fo, uint64_t line, uint64_t offset,
                     const char *message, size_t message_len, int status)
{
    struct cli_sarif_where w;
    struct cli_buf text = CLI_BUF_INIT;
    if (fo->notes == NULL)
        return;
    if (message == NULL || message_len == 0) {
        message = kvst_strerror(status);
        message_len = strlen(message);
    }
    cli_buf_add(&text, message, message_len);
    cli_buf_printf(&text, " [%s]", kvst_status_name(status));
    w.path = fo->label;
    w.gzip = fo->gzip;
    w.line = line;
    w.offset = offset;
    cli_sarif_notification(fo->notes, "error", text.data, text.len, &w);
    cli_buf_free(&text);
}

/* The option that changes the limit a KVST_E_LIMIT message is about,
 * found by the library's wording of each limit (lib/record_builder.c,
 * lib/tokenizer.c, lib/gzip_stage.c). */
static const struct {
    const char *phrase;
    const char *option;
} limit_options[] = {
    { "nesting deeper than the limit", "--max-depth" },
    { "is larger than the limit", "--max-record-bytes" },
    { "record limit", "--max-record-bytes" },
    { "longer than the limit", "--max-string-bytes" },
    { "ratio exceeds", "--max-inflate-ratio" },
};

static const char *limit_option(const char *message, size_t len)
{
    size_t i, n, at;
    for (i = 0; i < sizeof limit_options / sizeof limit_options[0]; i++) {
        n = strlen(limit_options[i].phrase);
        for (at = 0; at + n <= len; at++)
            if (memcmp(message + at, limit_options[i].phrase, n) == 0)
                return limit_options[i].option;
    }
    return NULL;
}

void cli_format_error(struct cli_buf *b, const char *label, uint64_t line,
                      uint64_t column, const char *message, size_t message_len,
                      int status)
{
    cli_buf_safe_text(b, label, strlen(label));
    if (line > 0)
        cli_buf_printf(b, ":%llu:%llu", (unsigned long long)line,
                       (unsigned long long)column);
    cli_buf_adds(b, ": error: ");
    if (message == NULL || message_len == 0) {
        message = kvst_strerror(status);
        message_len = strlen(message);
    }
    cli_buf_safe_text(b, message, message_len);
    if (status == KVST_E_LIMIT) {
        const char *option = limit_option(message, message_len);
        if (option != NULL)
            cli_buf_printf(b, " (raise it with %s)", option);
    }
    cli_buf_printf(b, " [%s]\n", kvst_status_name(status));
}

/* The stream a call is about: its name, or the name inside its ARN. */
static kvst_str stream_of(const kvst_event *ev)
{
    static const char *const pointers[] = {
        /* The older stream calls use camelCase, the newer ones PascalCase. */
        "/requestParameters/streamName", "/requestParameters/streamARN",
        "/requestParameters/StreamName", "/requestParameters/StreamARN",
        "/requestParameters/ChannelName", "/requestParameters/ChannelARN",
        "/requestParameters/ResourceARN",
    };
    kvst_str none = { NULL, 0 };
    size_t i;
    for (i = 0; i < sizeof pointers / sizeof pointers[0]; i++) {
        kvst_value v;
        kvst_arn arn;
        if (kvst_event_lookup(ev, pointers[i], &v) != 0 ||
            v.json_type != KVST_JSON_STRING || v.text.len == 0)
            continue;
        if (strstr(pointers[i], "ARN") != NULL &&
            kvst_arn_parse(v.text.ptr, v.text.len, &arn) == 0 &&
            arn.name.len > 0)
            return arn.name;
        return v.text;
    }
    return none;
}

/* Who made the call, short: the last part of the identity's ARN (the
 * user, the role session, "root"), else userIdentity's principalId (a
 * record without an ARN: an AWS account of another organisation, a
 * web identity), else the service that invoked it. */
static kvst_str who_of(const kvst_event *ev)
{
    kvst_str who = { NULL, 0 };
    const kvst_identity_info *id = ev->identity;
    if (id == NULL)
        return who;
    if (id->arn.ptr != NULL && id->arn.len > 0) {
        size_t i = id->arn.len;
        while (i > 0 && id->arn.ptr[i - 1] != '/' && id->arn.ptr[i - 1] != ':')
            i--;
        who.ptr = id->arn.ptr + i;
        who.len = id->arn.len - i;
        return who;
    }
    if (ev->user_identity != NULL && ev->user_identity->principal_id.ptr != NULL &&
        ev->user_identity->principal_id.len > 0)
        return ev->user_identity->principal_id;
    return id->invoked_by;
}

/* The cells of a CloudTrail record, up to the findings column. */
static void table_event_cells(struct cli_file_out *fo, const kvst_event *ev,
                              struct cli_buf *out)
{
    const struct cli_formatter *f = fo->fmt;
    const char *action = ev->action != 0 ? kvst_action_name(ev->action) : NULL;
    const char *principal = ev->identity != NULL
                                ? kvst_principal_name(ev->identity->principal)
                                : NULL;
    kvst_str stream = stream_of(ev), who = who_of(ev);

    cell(out, ev->event_time.ptr, ev->event_time.len, COL_TIME, NULL);
    /* Records of other services show their eventName, dimmed. */
    if (action != NULL)
        cell(out, action, strlen(action), f->action_width, NULL);
    else
        cell(out, ev->event_name.ptr, ev->event_name.len, f->action_width,
             f->color ? ANSI_DIM : NULL);
    cell(out, who.ptr, who.len, COL_WHO, NULL);
    cell(out, principal, principal ? strlen(principal) : 0, COL_PRINCIPAL, NULL);
    cell(out, ev->aws_region.ptr, ev->aws_region.len, COL_REGION, NULL);
    cell(out, stream.ptr, stream.len, f->stream_width, NULL);
}

static void table_row(struct cli_file_out *fo, const kvst_event *ev,
                      struct cli_buf *out)
{
    const struct cli_formatter *f = fo->fmt;
    const kvst_digest *digest = kvst_event_digest(ev);
    uint32_t worst = 0;
    size_t i;

    for (i = 0; i < ev->finding_count; i++)
        if (ev->findings[i]->severity > worst)
            worst = ev->findings[i]->severity;

    if (digest != NULL) {
        /* A digest file: the hour it closes, its account and log files. */
        char what[48];
        int n = snprintf(what, sizeof what, "digest of %lu log files",
                         (unsigned long)digest->log_file_count);
        cell(out, digest->digest_end_time.ptr, digest->digest_end_time.len, COL_TIME, NULL);
        cell(out, what, (size_t)n, f->action_width, NULL);
        cell(out, digest->aws_account_id.ptr, digest->aws_account_id.len, COL_WHO,
             NULL);
        cell(out, NULL, 0, COL_PRINCIPAL, NULL);
        cell(out, NULL, 0, COL_REGION, NULL);
        cell(out, NULL, 0, f->stream_width, NULL);
    } else {
        table_event_cells(fo, ev, out);
    }
    if (f->color && worst != 0)
        cli_buf_adds(out, worst >= KVST_SEVERITY_ERROR ? ANSI_RED
                          : worst == KVST_SEVERITY_WARNING ? ANSI_YELLOW
                                                           : ANSI_CYAN);
    cli_buf_printf(out, "%*llu", COL_FINDINGS,
                   (unsigned long long)ev->finding_count);
    if (f->color && worst != 0)
        cli_buf_adds(out, ANSI_RESET);
    cli_buf_addc(out, '\n');
}

/* --columns in the table, and every CSV row: the contract's values. */
static void columns_row(struct cli_file_out *fo, const kvst_event *ev,
                        struct cli_buf *out)
{
    const struct cli_formatter *f = fo->fmt;
    const char *const *names = f->columns;
    size_t n = f->column_count, i;
    struct cli_row row;
    struct cli_buf v = CLI_BUF_INIT;
    int csv = f->format == CLI_FMT_CSV;

    if (csv)
        csv_columns(f, &names, &n);
    cli_row_open(&row, ev, fo->label);
    for (i = 0; i < n; i++) {
        v.len = 0;
        cli_row_value(&row, names[i], &v);
        if (csv) {
            if (i > 0)
                cli_buf_addc(out, ',');
            csv_field(out, v.data, v.len);
        } else {
            cell(out, v.data, v.len, column_width(f, names[i]), NULL);
        }
    }
    if (csv) {
        cli_buf_adds(out, "\r\n");
    } else {
        while (out->len > 0 && out->data[out->len - 1] == ' ')
            out->len--;
        cli_buf_addc(out, '\n');
    }
    cli_buf_free(&v);
    cli_row_close(&row);
}

static void events_jsonl(struct cli_file_out *fo, const kvst_event *ev,
                         struct cli_buf *out)
{
    size_t room, n;
    cli_buf_reserve(out, 2048);
    room = out->cap - out->len;
    n = kvst_event_to_json(ev, fo->label, out->data + out->len, room);
    if (n >= room) {
        cli_buf_reserve(out, n + 1);
        n = kvst_event_to_json(ev, fo->label, out->data + out->len,
                               out->cap - out->len);
    }
    out->len += n;
    cli_buf_addc(out, '\n');
}

/* Minified files put every finding on line 1: the record is named too. */
static void check_text(struct cli_file_out *fo, const kvst_event *ev,
                       const kvst_finding *fd, struct cli_buf *out)
{
    const char *name = kvst_finding_name(fd->code);
    cli_buf_safe_text(out, fo->label, strlen(fo->label));
    cli_buf_printf(out, ":%llu:%llu: %s: ", (unsigned long long)fd->line,
                   (unsigned long long)fd->column,
                   kvst_severity_name(fd->severity));
    cli_buf_safe_text(out, fd->message.ptr ? fd->message.ptr : "",
                      fd->message.len);
    if (name != NULL)
        cli_buf_printf(out, " [%s]", name);
    else
        cli_buf_printf(out, " [%u]", (unsigned)fd->code);
    cli_buf_printf(out, " (record %llu", (unsigned long long)fd->record_index);
    if (ev->event_name.ptr != NULL) {
        cli_buf_adds(out, ", ");
        cli_buf_safe_text(out, ev->event_name.ptr, ev->event_name.len);
    }
    if (ev->event_id.ptr != NULL) {
        cli_buf_adds(out, ", eventID ");
        cli_buf_safe_text(out, ev->event_id.ptr, ev->event_id.len);
    }
    cli_buf_adds(out, ")\n");
}

static void check_jsonl(struct cli_file_out *fo, const kvst_finding *fd,
                        struct cli_buf *out)
{
    cli_buf_adds(out, "{\"file\":");
    cli_buf_json_strz(out, fo->label);
    cli_buf_printf(out, ",\"record\":%llu,\"offset\":%llu,\"code\":%u,\"name\":",
                   (unsigned long long)fd->record_index,
                   (unsigned long long)fd->offset, (unsigned)fd->code);
    cli_buf_json_strz(out, kvst_finding_name(fd->code));
    cli_buf_adds(out, ",\"severity\":");
    cli_buf_json_strz(out, kvst_severity_name(fd->severity));
    cli_buf_adds(out, ",\"pointer\":");
    cli_buf_json_str(out, fd->pointer.ptr ? fd->pointer.ptr : "",
                     fd->pointer.len);
    cli_buf_printf(out, ",\"line\":%llu,\"column\":%llu,\"message\":",
                   (unsigned long long)fd->line,
                   (unsigned long long)fd->column);
    cli_buf_json_str(out, fd->message.ptr ? fd->message.ptr : "",
                     fd->message.len);
    cli_buf_adds(out, "}\n");
}

static void check_sarif(struct cli_file_out *fo, const kvst_finding *fd,
                        struct cli_buf *out)
{
    const char *name = kvst_finding_name(fd->code);
    int32_t index = fd->code < CLI_STATS_FINDINGS
                        ? fo->fmt->rule_index[fd->code] : -1;
    struct cli_buf props = CLI_BUF_INIT;
    struct cli_sarif_where w;
    char code[16];

    snprintf(code, sizeof code, "%u", (unsigned)fd->code);
    cli_buf_printf(&props, "{\"record\":%llu,\"byteColumn\":%llu,\"pointer\":",
                   (unsigned long long)fd->record_index,
                   (unsigned long long)fd->column);
    cli_buf_json_str(&props, fd->pointer.ptr ? fd->pointer.ptr : "",
                     fd->pointer.len);
    cli_buf_addc(&props, '}');
    w.path = fo->label;
    w.gzip = fo->gzip;
    w.line = fd->line;
    w.offset = fd->offset;
    /* Every result starts with a comma; cli_order drops the very first. */
    cli_sarif_result(out, name != NULL ? name : code, index,
                     cli_sarif_level(fd->severity),
                     fd->message.ptr ? fd->message.ptr : "", fd->message.len,
                     &w, props.data);
    cli_buf_free(&props);
}

void cli_format_event(struct cli_file_out *fo, const kvst_event *ev)
{
    const struct cli_formatter *f = fo->fmt;
    struct cli_buf *out = &fo->sink->out;
    size_t i;

    if (ev->status < 0) {
        /* A broken record (recovery mode): reported, never printed. */
        struct cli_buf line = CLI_BUF_INIT, msg = CLI_BUF_INIT;
        const kvst_error *e = ev->error;
        int code = e != NULL && e->code != 0 ? e->code : ev->status;
        fo->broken_records++;
        /* Said so that it does not read as the end of the run. */
        cli_buf_printf(&msg, "record %llu skipped, reading goes on "
                             "(recovery mode): ",
                       (unsigned long long)ev->record_index);
        if (e != NULL && e->message.len > 0)
            cli_buf_add(&msg, e->message.ptr, e->message.len);
        else
            cli_buf_adds(&msg, kvst_strerror(code));
        cli_format_error(&line, fo->label, e != NULL ? e->line : ev->line,
                         e != NULL ? e->column : ev->column, msg.data, msg.len,
                         code);
        cli_format_note(fo, e != NULL ? e->line : ev->line,
                        e != NULL ? e->offset : ev->offset, msg.data, msg.len,
                        code);
        cli_sink_err(fo->sink, line.data, line.len);
        cli_buf_free(&line);
        cli_buf_free(&msg);
        return;
    }

    for (i = 0; i < ev->finding_count; i++)
        if (ev->findings[i]->severity >= KVST_SEVERITY_ERROR)
            fo->error_findings++;

    switch (f->command) {
    case CLI_CMD_EVENTS:
        if (f->format == CLI_FMT_TABLE && f->column_count == 0)
            table_row(fo, ev, out);
        else if (f->format == CLI_FMT_TABLE || f->format == CLI_FMT_CSV)
            columns_row(fo, ev, out);
        else if (f->format == CLI_FMT_OCSF)
            cli_ocsf_event(ev, fo->label, out);
        else
            events_jsonl(fo, ev, out);
        break;
    case CLI_CMD_CHECK:
        for (i = 0; i < ev->finding_count; i++) {
            const kvst_finding *fd = ev->findings[i];
            if (fd->severity < f->min_severity)
                continue;
            if (f->format == CLI_FMT_SARIF)
                check_sarif(fo, fd, out);
            else if (f->format == CLI_FMT_JSONL)
                check_jsonl(fo, fd, out);
            else
                check_text(fo, ev, fd, out);
        }
        break;
    case CLI_CMD_STATS:
    case CLI_CMD_DETECT:
        return;
    }
    cli_sink_commit(fo->sink);
}
