/* kvstrail CLI: --columns and the values of table and CSV columns. */
#include "cli_columns.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

/* The members of an event's contract (docs/cli.md), the first part of
 * every column name. */
static const char *const contract_members[] = {
    "file", "record", "offset", "line", "column", "eventVersion", "eventTime",
    "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
    "requestID", "eventID", "eventType", "recipientAccountId", "readOnly",
    "errorCode", "errorMessage", "action", "identity", "request", "response",
    "findings", "outcome", "access", "error",
};

static int is_member(const char *name, size_t len)
{
    size_t i;
    for (i = 0; i < sizeof contract_members / sizeof contract_members[0]; i++)
        if (strlen(contract_members[i]) == len &&
            memcmp(contract_members[i], name, len) == 0)
            return 1;
    return 0;
}

int cli_columns_parse(const char *list, struct cli_options *out,
                      const char **bad)
{
    size_t n = strlen(list) + 1;
    char *text = cli_xrealloc(NULL, n), *p;
    memcpy(text, list, n);
    out->columns_text = text;
    out->column_count = 0;
    for (p = text;;) {
        char *comma = strchr(p, ',');
        size_t first;
        if (comma != NULL)
            *comma = '\0';
        first = strcspn(p, ".");
        *bad = p;
        if (*p == '\0' || !is_member(p, first) ||
            out->column_count == CLI_MAX_COLUMNS)
            return 0;
        out->columns[out->column_count++] = p;
        if (comma == NULL)
            return 1;
        p = comma + 1;
    }
}

int cli_row_open(struct cli_row *row, const kvst_event *ev, const char *label)
{
    size_t room, n;
    memset(row, 0, sizeof *row);
    cli_buf_reserve(&row->json, 2048);
    room = row->json.cap - row->json.len;
    n = kvst_event_to_json(ev, label, row->json.data, room);
    if (n >= room) {
        cli_buf_reserve(&row->json, n + 1);
        n = kvst_event_to_json(ev, label, row->json.data, row->json.cap);
    }
    row->json.len = n;
    row->tree = yajl_tree_parse(row->json.data, NULL, 0);
    return row->tree != NULL ? 0 : -1;
}

void cli_row_close(struct cli_row *row)
{
    if (row->tree != NULL)
        yajl_tree_free(row->tree);
    cli_buf_free(&row->json);
    row->tree = NULL;
}

/* Compact JSON of a value. */
static void json_of(yajl_val v, struct cli_buf *out)
{
    size_t i;
    if (YAJL_IS_STRING(v)) {
        cli_buf_json_strz(out, YAJL_GET_STRING(v));
    } else if (YAJL_IS_NUMBER(v)) {
        cli_buf_adds(out, YAJL_GET_NUMBER(v));
    } else if (YAJL_IS_TRUE(v)) {
        cli_buf_adds(out, "true");
    } else if (YAJL_IS_FALSE(v)) {
        cli_buf_adds(out, "false");
    } else if (YAJL_IS_OBJECT(v)) {
        cli_buf_addc(out, '{');
        for (i = 0; i < v->u.object.len; i++) {
            if (i > 0)
                cli_buf_addc(out, ',');
            cli_buf_json_strz(out, v->u.object.keys[i]);
            cli_buf_addc(out, ':');
            json_of(v->u.object.values[i], out);
        }
        cli_buf_addc(out, '}');
    } else if (YAJL_IS_ARRAY(v)) {
        cli_buf_addc(out, '[');
        for (i = 0; i < v->u.array.len; i++) {
            if (i > 0)
                cli_buf_addc(out, ',');
            json_of(v->u.array.values[i], out);
        }
        cli_buf_addc(out, ']');
    } else {
        cli_buf_adds(out, "null");
    }
}

/* The member or element named by [name, name + len) of v, or NULL. */
static yajl_val step(yajl_val v, const char *name, size_t len)
{
    size_t i;
    if (YAJL_IS_OBJECT(v)) {
        for (i = 0; i < v->u.object.len; i++)
            if (strlen(v->u.object.keys[i]) == len &&
                memcmp(v->u.object.keys[i], name, len) == 0)
                return v->u.object.values[i];
    } else if (YAJL_IS_ARRAY(v) && len > 0 && len < 10) {
        size_t index = 0;
        for (i = 0; i < len; i++) {
            if (name[i] < '0' || name[i] > '9')
                return NULL;
            index = index * 10 + (size_t)(name[i] - '0');
        }
        if (index < v->u.array.len)
            return v->u.array.values[index];
    }
    return NULL;
}

int cli_row_value(const struct cli_row *row, const char *dotted,
                  struct cli_buf *out)
{
    yajl_val v = row->tree;
    const char *p = dotted;
    while (v != NULL) {
        size_t len = strcspn(p, ".");
        v = step(v, p, len);
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    if (v == NULL || YAJL_IS_NULL(v))
        return 0;
    if (YAJL_IS_STRING(v))
        cli_buf_adds(out, YAJL_GET_STRING(v));
    else
        json_of(v, out);
    return 1;
}
