/* kvstrail CLI: detect and stats --rules (Sigma rules over the events). */
#include "cli_detect.h"

#include "cli_format.h"
#include "cli_progress.h"
#include "cli_sarif.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef KVST_RULES_DIR
#define KVST_RULES_DIR "/usr/local/share/kvstrail/rules"
#endif

static void err_line(const char *s, size_t n)
{
    (void)cli_write_all(STDERR_FILENO, s, n);
}

static void report_errors(const kvst_sigma_builder *b, size_t from)
{
    size_t i;
    for (i = from; i < kvst_sigma_builder_error_count(b); i++) {
        const kvst_sigma_error *e = kvst_sigma_builder_error(b, i);
        struct cli_buf line = CLI_BUF_INIT, msg = CLI_BUF_INIT;
        cli_buf_add(&msg, e->message.ptr, e->message.len);
        if (e->title.len) {
            cli_buf_adds(&msg, " (rule '");
            cli_buf_add(&msg, e->title.ptr, e->title.len);
            cli_buf_adds(&msg, "')");
        }
        cli_format_error(&line, e->file.len ? e->file.ptr : "rules", e->line,
                         e->column, msg.data, msg.len, KVST_E_SYNTAX);
        err_line(line.data, line.len);
        cli_buf_free(&line);
        cli_buf_free(&msg);
    }
}

static void report_skipped(const kvst_sigma_builder *b)
{
    size_t i, n = kvst_sigma_builder_skipped_count(b);
    for (i = 0; i < n; i++) {
        const kvst_sigma_rule *r = kvst_sigma_builder_skipped(b, i);
        struct cli_buf line = CLI_BUF_INIT;
        cli_buf_safe_text(&line, r->file.ptr, r->file.len);
        cli_buf_adds(&line, ": note: skipped rule '");
        cli_buf_safe_text(&line, r->title.ptr, r->title.len);
        cli_buf_adds(&line, "': logsource ");
        cli_buf_safe_text(&line, r->logsource.ptr, r->logsource.len);
        cli_buf_adds(&line, " is not aws/cloudtrail\n");
        err_line(line.data, line.len);
        cli_buf_free(&line);
    }
}

/* NAME=VALUE of --placeholder. */
static int add_placeholder(kvst_sigma_builder *b, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char *name;
    int rc;
    if (eq == NULL || eq == arg)
        return KVST_E_INVAL;
    name = cli_xrealloc(NULL, (size_t)(eq - arg) + 1);
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = '\0';
    rc = kvst_sigma_builder_placeholder(b, name, eq + 1);
    free(name);
    return rc;
}

static void rule_jsonl(struct cli_buf *b, const kvst_sigma_rule *r);

/* Rules by address, open addressing: every match looks its rule's index
 * up. The slot a rule's address starts probing at. */
static size_t address_slot(const struct cli_detect *d, const kvst_sigma_rule *r)
{
    return (size_t)(((uint64_t)(uintptr_t)r * 0x9e3779b97f4a7c15ull) >> 32) &
           d->rule_slot_mask;
}

int cli_detect_load(struct cli_detect *d, const struct cli_options *opts)
{
    kvst_sigma_builder *b = NULL;
    size_t i, n;
    int rc, refused = 0;
    int32_t next = 0;
    const char *bundled = getenv("KVSTRAIL_RULES_DIR");

    memset(d, 0, sizeof *d);
    d->command = opts->command;
    d->format = opts->format;
    rc = kvst_sigma_builder_new(NULL, &b);
    for (i = 0; rc == 0 && i < opts->placeholder_count; i++) {
        rc = add_placeholder(b, opts->placeholders[i]);
        if (rc == KVST_E_INVAL) {
            fprintf(stderr, "kvstrail: invalid --placeholder '%s' (NAME=VALUE)\n",
                    opts->placeholders[i]);
            kvst_sigma_builder_free(b);
            return CLI_EXIT_USAGE;
        }
    }
    if (rc == 0 && opts->rule_path_count == 0)
        rc = kvst_sigma_builder_add_path(b, bundled && *bundled ? bundled
                                                                : KVST_RULES_DIR);
    for (i = 0; i < opts->rule_path_count && rc != KVST_E_NOMEM; i++) {
        int one = kvst_sigma_builder_add_path(b, opts->rule_paths[i]);
        if (one != 0)
            rc = one;
    }
    if (rc == KVST_E_NOMEM) {
        kvst_sigma_builder_free(b);
        fputs("kvstrail: error: out of memory [KVST_E_NOMEM]\n", stderr);
        return CLI_EXIT_INPUT;
    }
    refused = rc != 0;
    rc = kvst_sigma_builder_build(b, &d->rules);
    refused |= rc != 0;
    report_errors(b, 0);
    report_skipped(b);
    kvst_sigma_builder_free(b);
    if (d->rules == NULL || kvst_sigma_ruleset_rule_count(d->rules) == 0) {
        fputs("kvstrail: error: no Sigma rule loaded\n", stderr);
        cli_detect_free(d);
        return CLI_EXIT_INPUT;
    }
    d->refused = refused;
    n = kvst_sigma_ruleset_rule_count(d->rules);
    d->sarif_index = cli_xrealloc(NULL, n * sizeof *d->sarif_index);
    d->matches = cli_xrealloc(NULL, n * sizeof *d->matches);
    memset(d->matches, 0, n * sizeof *d->matches);
    d->rule_json = cli_xrealloc(NULL, n * sizeof *d->rule_json);
    {
        size_t slots = 16;
        while (slots < 2 * n)
            slots *= 2;
        d->rule_slot_mask = slots - 1;
        d->rule_slot = cli_xrealloc(NULL, slots * sizeof *d->rule_slot); // NOLINT(bugprone-sizeof-expression): an array of pointers
        memset(d->rule_slot, 0, slots * sizeof *d->rule_slot); // NOLINT(bugprone-sizeof-expression): an array of pointers
        d->rule_slot_index = cli_xrealloc(NULL, slots * sizeof *d->rule_slot_index);
    }
    for (i = 0; i < n; i++) {
        const kvst_sigma_rule *r = kvst_sigma_ruleset_rule(d->rules, i);
        size_t at = address_slot(d, r);
        d->sarif_index[i] = r->reported ? next++ : -1;
        d->rule_json[i] = (struct cli_buf)CLI_BUF_INIT;
        rule_jsonl(&d->rule_json[i], r);
        while (d->rule_slot[at] != NULL)
            at = (at + 1) & d->rule_slot_mask;
        d->rule_slot[at] = r;
        d->rule_slot_index[at] = i;
    }
    return 0;
}

void cli_detect_free(struct cli_detect *d)
{
    size_t i;
    for (i = 0; d->rule_json && i < kvst_sigma_ruleset_rule_count(d->rules); i++)
        cli_buf_free(&d->rule_json[i]);
    free(d->rule_json);
    free(d->rule_slot);
    free(d->rule_slot_index);
    kvst_sigma_ruleset_free(d->rules);
    free(d->sarif_index);
    free(d->matches);
    memset(d, 0, sizeof *d);
}

void cli_detect_worker_init(struct cli_detect_worker *w, const struct cli_detect *d)
{
    w->detect = d;
    w->head = (struct cli_buf)CLI_BUF_INIT;
    w->head_valid = 0;
    w->file_json = (struct cli_buf)CLI_BUF_INIT;
    w->file_label = (struct cli_buf)CLI_BUF_INIT;
    if (kvst_sigma_state_new(d->rules, &w->state) != 0) {
        fputs("kvstrail: error: out of memory [KVST_E_NOMEM]\n", stderr);
        exit(CLI_EXIT_INPUT);
    }
}

void cli_detect_worker_free(struct cli_detect_worker *w)
{
    kvst_sigma_state_free(w->state);
    w->state = NULL;
    cli_buf_free(&w->head);
    cli_buf_free(&w->file_json);
    cli_buf_free(&w->file_label);
}

/* The index of a match's rule (the rule count for none), by its address
 * (some rules match most events). */
static size_t rule_index(const struct cli_detect *d, const kvst_sigma_rule *r)
{
    size_t at = address_slot(d, r);
    while (d->rule_slot[at] != NULL) {
        if (d->rule_slot[at] == r)
            return d->rule_slot_index[at];
        at = (at + 1) & d->rule_slot_mask;
    }
    return kvst_sigma_ruleset_rule_count(d->rules);
}

static void json_member(struct cli_buf *b, const char *key, const kvst_str *s)
{
    CLI_BUF_LIT(b, ",\"");
    cli_buf_put(b, key, strlen(key));
    CLI_BUF_LIT(b, "\":");
    cli_buf_json_str(b, s->ptr ? s->ptr : "", s->len);
}

/* json_member with the ,"key": text given whole. */
#define JSON_MEMBER(b, lit, s) \
    (CLI_BUF_LIT((b), lit), cli_buf_json_str((b), (s)->ptr ? (s)->ptr : "", (s)->len))

static void fields_json(struct cli_buf *b, const kvst_sigma_result *m)
{
    size_t i, j;
    CLI_BUF_LIT(b, "{");
    for (i = 0; i < m->field_count; i++) {
        int seen = 0;
        for (j = 0; j < i && !seen; j++)
            seen = m->fields[j].name.len == m->fields[i].name.len &&
                   !memcmp(m->fields[j].name.ptr, m->fields[i].name.ptr,
                           m->fields[i].name.len);
        if (seen)
            continue;
        if (b->data[b->len - 1] != '{')
            CLI_BUF_LIT(b, ",");
        cli_buf_json_str(b, m->fields[i].name.ptr, m->fields[i].name.len);
        CLI_BUF_LIT(b, ":");
        cli_buf_json_str(b, m->fields[i].value.ptr, m->fields[i].value.len);
    }
    CLI_BUF_LIT(b, "}");
}

static void correlation_json(struct cli_buf *b, const kvst_sigma_result *m)
{
    if (m->rule->kind != KVST_SIGMA_CORRELATION)
        return;
    cli_buf_adds(b, ",\"correlation\":{\"type\":");
    cli_buf_json_str(b, m->rule->correlation_type.ptr, m->rule->correlation_type.len);
    cli_buf_printf(b, ",\"count\":%llu,\"window_start_ms\":%lld,"
                      "\"window_end_ms\":%lld}",
                   (unsigned long long)m->count, (long long)m->window_start_ms,
                   (long long)m->window_end_ms);
}

/* The "rule" member of a jsonl match, the same for each of its matches. */
static void rule_jsonl(struct cli_buf *b, const kvst_sigma_rule *r)
{
    size_t i;
    cli_buf_adds(b, ",\"rule\":{\"id\":");
    cli_buf_json_str(b, r->id.ptr, r->id.len);
    json_member(b, "title", &r->title);
    json_member(b, "level", &r->level);
    json_member(b, "status", &r->status);
    json_member(b, "author", &r->author);
    cli_buf_adds(b, ",\"tags\":[");
    for (i = 0; i < r->tag_count; i++) {
        if (i)
            cli_buf_addc(b, ',');
        cli_buf_json_str(b, r->tags[i].ptr, r->tags[i].len);
    }
    cli_buf_adds(b, "]}");
}

/* A number's decimal digits, straight into the buffer (cli_buf_add_u64
 * without its copy: this runs three times for every event that matches). */
static void put_u64(struct cli_buf *b, uint64_t v)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    char *p;
    size_t n = 1;
    uint64_t t = 10;
    /* The digits: counted against powers of ten, then written two at a
     * time from the last. */
    while (n < 20 && v >= t) {
        n++;
        if (n < 20)
            t *= 10;
    }
    if (b->len + n + 1 > b->cap)
        cli_buf_reserve(b, n);
    p = b->data + b->len + n;
    *p = '\0';
    while (v >= 100) {
        size_t d = (size_t)(v % 100) * 2;
        v /= 100;
        *--p = pairs[d + 1];
        *--p = pairs[d];
    }
    if (v >= 10) {
        *--p = pairs[v * 2 + 1];
        *--p = pairs[v * 2];
    } else {
        *--p = (char)('0' + v);
    }
    b->len += n;
}

/* The event's members of a jsonl match, before "rule". */
static void event_jsonl(struct cli_detect_worker *w, struct cli_file_out *fo,
                        const kvst_event *ev, struct cli_buf *b)
{
    /* The file's label is escaped once per file, not per event. */
    if (!w->file_json.len || fo->label == NULL ||
        strcmp(w->file_label.data, fo->label) != 0) {
        w->file_json.len = 0;
        CLI_BUF_LIT(&w->file_json, "{\"file\":");
        cli_buf_json_strz(&w->file_json, fo->label);
        CLI_BUF_LIT(&w->file_json, ",\"record\":");
        w->file_label.len = 0;
        cli_buf_add(&w->file_label, fo->label ? fo->label : "", fo->label ? strlen(fo->label) : 0);
    }
    /* No printf: this runs for every match. */
    cli_buf_put(b, w->file_json.data, w->file_json.len);
    put_u64(b, ev->record_index);
    CLI_BUF_LIT(b, ",\"line\":");
    put_u64(b, ev->line);
    CLI_BUF_LIT(b, ",\"column\":");
    put_u64(b, ev->column);
    JSON_MEMBER(b, ",\"eventID\":", &ev->event_id);
    JSON_MEMBER(b, ",\"eventName\":", &ev->event_name);
    JSON_MEMBER(b, ",\"eventSource\":", &ev->event_source);
    JSON_MEMBER(b, ",\"eventTime\":", &ev->event_time);
}

static void match_jsonl(struct cli_detect_worker *w, struct cli_file_out *fo,
                        const struct cli_buf *rule_json,
                        const kvst_sigma_result *m, struct cli_buf *b)
{
    if (!w->head_valid) {
        w->head.len = 0;
        event_jsonl(w, fo, m->event, &w->head);
        w->head_valid = 1;
    }
    cli_buf_put(b, w->head.data, w->head.len);
    if (rule_json != NULL)
        cli_buf_put(b, rule_json->data, rule_json->len);
    else
        rule_jsonl(b, m->rule);
    CLI_BUF_LIT(b, ",\"fields\":");
    fields_json(b, m);
    correlation_json(b, m);
    CLI_BUF_LIT(b, "}\n");
}

static void match_text(struct cli_file_out *fo, const kvst_sigma_result *m,
                       struct cli_buf *b)
{
    const kvst_event *ev = m->event;
    const kvst_sigma_rule *r = m->rule;
    size_t i;
    cli_buf_safe_text(b, fo->label, strlen(fo->label));
    cli_buf_printf(b, ":%llu:%llu: ", (unsigned long long)ev->line,
                   (unsigned long long)ev->column);
    cli_buf_safe_text(b, r->level.len ? r->level.ptr : "match",
                      r->level.len ? r->level.len : 5);
    cli_buf_adds(b, ": ");
    cli_buf_safe_text(b, r->title.ptr, r->title.len);
    cli_buf_adds(b, " [");
    cli_buf_safe_text(b, r->id.ptr, r->id.len);
    cli_buf_adds(b, "] ");
    cli_buf_safe_text(b, ev->event_name.ptr ? ev->event_name.ptr : "-",
                      ev->event_name.ptr ? ev->event_name.len : 1);
    if (m->rule->kind == KVST_SIGMA_CORRELATION)
        cli_buf_printf(b, " (%llu in the window)", (unsigned long long)m->count);
    for (i = 0; i < m->field_count; i++) {
        cli_buf_adds(b, i ? ", " : "; ");
        cli_buf_safe_text(b, m->fields[i].name.ptr, m->fields[i].name.len);
        cli_buf_addc(b, '=');
        cli_buf_safe_text(b, m->fields[i].value.ptr, m->fields[i].value.len);
    }
    cli_buf_adds(b, " (author: ");
    cli_buf_safe_text(b, r->author.len ? r->author.ptr : "unknown",
                      r->author.len ? r->author.len : 7);
    cli_buf_adds(b, ")\n");
}

static const char *sarif_level(uint32_t rank)
{
    if (rank >= KVST_SIGMA_LEVEL_HIGH)
        return "error";
    if (rank == KVST_SIGMA_LEVEL_MEDIUM)
        return "warning";
    return "note";
}

static void rule_id(struct cli_buf *b, const kvst_sigma_rule *r)
{
    if (r->id.len)
        cli_buf_json_str(b, r->id.ptr, r->id.len);
    else
        cli_buf_json_str(b, r->title.ptr, r->title.len);
}

static void match_sarif(struct cli_file_out *fo, const struct cli_detect *d,
                        const kvst_sigma_result *m, struct cli_buf *b)
{
    const kvst_event *ev = m->event;
    const kvst_sigma_rule *r = m->rule;
    size_t ri = rule_index(d, r);
    int32_t index = ri < kvst_sigma_ruleset_rule_count(d->rules)
                        ? d->sarif_index[ri] : -1;
    struct cli_buf id = CLI_BUF_INIT, text = CLI_BUF_INIT, props = CLI_BUF_INIT;
    struct cli_sarif_where w;
    /* The rule's id, else its title (cli_buf keeps a NUL after it). */
    if (r->id.len)
        cli_buf_add(&id, r->id.ptr, r->id.len);
    else
        cli_buf_add(&id, r->title.ptr, r->title.len);
    cli_buf_add(&text, r->title.ptr, r->title.len);
    cli_buf_adds(&text, ": ");
    cli_buf_add(&text, ev->event_name.ptr ? ev->event_name.ptr : "-",
                ev->event_name.ptr ? ev->event_name.len : 1);
    cli_buf_adds(&text, " (rule author: ");
    cli_buf_add(&text, r->author.len ? r->author.ptr : "unknown",
                r->author.len ? r->author.len : 7);
    cli_buf_addc(&text, ')');
    /* Columns count bytes: a property, never SARIF's startColumn. */
    cli_buf_printf(&props, "{\"record\":%llu,\"byteColumn\":%llu",
                   (unsigned long long)ev->record_index,
                   (unsigned long long)ev->column);
    json_member(&props, "eventID", &ev->event_id);
    json_member(&props, "eventName", &ev->event_name);
    json_member(&props, "author", &r->author);
    cli_buf_adds(&props, ",\"fields\":");
    fields_json(&props, m);
    correlation_json(&props, m);
    cli_buf_addc(&props, '}');
    w.path = fo->label;
    w.gzip = fo->gzip;
    w.line = ev->line;
    w.offset = ev->offset;
    /* Every result starts with a comma; cli_order drops the very first. */
    cli_sarif_result(b, id.data, index, sarif_level(r->level_rank),
                     text.data, text.len, &w, props.data);
    cli_buf_free(&id);
    cli_buf_free(&text);
    cli_buf_free(&props);
}

struct match_ctx {
    struct cli_detect_worker *w;
    struct cli_file_out *fo;
};

static int on_match(const kvst_sigma_result *m, void *payload)
{
    struct match_ctx *mc = payload;
    const struct cli_detect *d = mc->w->detect;
    struct cli_buf *out = &mc->fo->sink->out;
    size_t ri = rule_index(d, m->rule);
    if (ri < kvst_sigma_ruleset_rule_count(d->rules))
        __atomic_fetch_add(&d->matches[ri], 1, __ATOMIC_RELAXED);
    if (m->rule->level_rank >= KVST_SIGMA_LEVEL_HIGH)
        mc->fo->high_matches++;
    if (d->command != CLI_CMD_DETECT)
        return 0;
    if (d->format == CLI_FMT_SARIF)
        match_sarif(mc->fo, d, m, out);
    else if (d->format == CLI_FMT_TEXT)
        match_text(mc->fo, m, out);
    else
        match_jsonl(mc->w, mc->fo, ri < kvst_sigma_ruleset_rule_count(d->rules)
                                ? &d->rule_json[ri] : NULL, m, out);
    return 0;
}

void cli_detect_event(struct cli_detect_worker *w, struct cli_file_out *fo,
                      const kvst_event *ev)
{
    struct match_ctx mc;
    int rc;
    mc.w = w;
    mc.fo = fo;
    w->head_valid = 0; /* a new event */
    rc = kvst_sigma_match(w->state, ev, on_match, &mc);
    if (rc == KVST_E_NOMEM) {
        struct cli_buf line = CLI_BUF_INIT;
        cli_format_error(&line, fo->label, ev->line, ev->column,
                         "out of memory matching rules", 28, rc);
        cli_sink_err(fo->sink, line.data, line.len);
        cli_buf_free(&line);
    }
    if (rc > 0)
        cli_sink_commit(fo->sink);
}

static void sarif_rule(struct cli_buf *b, const kvst_sigma_rule *r)
{
    size_t i;
    cli_buf_adds(b, "{\"id\":");
    rule_id(b, r);
    cli_buf_adds(b, ",\"name\":");
    cli_buf_json_str(b, r->title.ptr, r->title.len);
    cli_buf_adds(b, ",\"shortDescription\":{\"text\":");
    cli_buf_json_str(b, r->title.ptr, r->title.len);
    cli_buf_adds(b, "}");
    if (r->description.len) {
        cli_buf_adds(b, ",\"fullDescription\":{\"text\":");
        cli_buf_json_str(b, r->description.ptr, r->description.len);
        cli_buf_adds(b, "}");
    }
    if (r->reference_count && !strncmp(r->references[0].ptr, "http", 4)) {
        cli_buf_adds(b, ",\"helpUri\":");
        cli_buf_json_str(b, r->references[0].ptr, r->references[0].len);
    }
    cli_buf_printf(b, ",\"defaultConfiguration\":{\"level\":\"%s\"},"
                      "\"properties\":{\"tags\":[",
                   sarif_level(r->level_rank));
    for (i = 0; i < r->tag_count; i++) {
        if (i)
            cli_buf_addc(b, ',');
        cli_buf_json_str(b, r->tags[i].ptr, r->tags[i].len);
    }
    cli_buf_adds(b, "]");
    json_member(b, "author", &r->author);
    json_member(b, "level", &r->level);
    json_member(b, "status", &r->status);
    json_member(b, "file", &r->file);
    cli_buf_adds(b, "}}");
}

void cli_detect_begin(const struct cli_detect *d, struct cli_buf *out)
{
    size_t i, n = kvst_sigma_ruleset_rule_count(d->rules);
    int first = 1;
    if (d->command != CLI_CMD_DETECT || d->format != CLI_FMT_SARIF)
        return;
    cli_sarif_head(out);
    for (i = 0; i < n; i++) {
        const kvst_sigma_rule *r = kvst_sigma_ruleset_rule(d->rules, i);
        if (d->sarif_index[i] < 0)
            continue;
        if (!first)
            cli_buf_adds(out, ",\n");
        first = 0;
        sarif_rule(out, r);
    }
    cli_sarif_results(out);
}

void cli_detect_end(const struct cli_detect *d, int exit_status,
                    const struct cli_buf *notes, struct cli_buf *out)
{
    if (d->command != CLI_CMD_DETECT || d->format != CLI_FMT_SARIF)
        return;
    cli_sarif_tail(out, exit_status != CLI_EXIT_INPUT, exit_status,
                   notes->data, notes->len);
}

void cli_detect_stats_append(const struct cli_detect *d, enum cli_format format,
                             struct cli_buf *out)
{
    size_t i, n = kvst_sigma_ruleset_rule_count(d->rules);
    int first = 1;
    if (format == CLI_FMT_JSONL) {
        /* Into the stats object: drop its closing "}\n". */
        if (out->len >= 2 && out->data[out->len - 1] == '\n' &&
            out->data[out->len - 2] == '}')
            out->len -= 2;
        cli_buf_adds(out, ",\"rules\":[");
        for (i = 0; i < n; i++) {
            const kvst_sigma_rule *r = kvst_sigma_ruleset_rule(d->rules, i);
            if (!r->reported)
                continue;
            if (!first)
                cli_buf_addc(out, ',');
            first = 0;
            cli_buf_adds(out, "{\"id\":");
            cli_buf_json_str(out, r->id.ptr, r->id.len);
            json_member(out, "title", &r->title);
            json_member(out, "level", &r->level);
            cli_buf_printf(out, ",\"matches\":%llu}",
                           (unsigned long long)d->matches[i]);
        }
        cli_buf_adds(out, "]}\n");
        return;
    }
    cli_buf_adds(out, "\nmatches per rule:\n");
    for (i = 0; i < n; i++) {
        const kvst_sigma_rule *r = kvst_sigma_ruleset_rule(d->rules, i);
        if (!r->reported)
            continue;
        cli_buf_printf(out, "  %10llu  %-8.*s ", (unsigned long long)d->matches[i],
                       (int)r->level.len, r->level.ptr);
        cli_buf_safe_text(out, r->title.ptr, r->title.len);
        cli_buf_addc(out, '\n');
    }
}
