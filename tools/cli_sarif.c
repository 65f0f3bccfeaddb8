/* kvstrail CLI: the pieces of a SARIF 2.1.0 log. */
#include "cli_sarif.h"

#include <kvstrail/kvstrail.h>

#include <string.h>

#define SARIF_SCHEMA \
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/" \
    "sarif-schema-2.1.0.json"

const char *cli_sarif_level(uint32_t severity)
{
    switch (severity) {
    case KVST_SEVERITY_ERROR: return "error";
    case KVST_SEVERITY_WARNING: return "warning";
    default: return "note";
    }
}

void cli_sarif_head(struct cli_buf *out)
{
    /* No informationUri: the project has no public home page to name. */
    cli_buf_adds(out, "{\"version\":\"2.1.0\",\"$schema\":\"" SARIF_SCHEMA "\",\n"
                      "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"kvstrail\","
                      "\"version\":");
    cli_buf_json_strz(out, kvst_version_string());
    cli_buf_adds(out, ",\"semanticVersion\":");
    cli_buf_json_strz(out, kvst_version_string());
    cli_buf_adds(out, ",\"rules\":[\n");
}

void cli_sarif_rule(struct cli_buf *out, int first, const char *id,
                    const char *text, const char *level,
                    const char *properties_json)
{
    cli_buf_adds(out, first ? "{\"id\":" : ",\n{\"id\":");
    cli_buf_json_strz(out, id);
    cli_buf_adds(out, ",\"shortDescription\":{\"text\":");
    cli_buf_json_strz(out, text);
    cli_buf_printf(out, "},\"defaultConfiguration\":{\"level\":\"%s\"}", level);
    if (properties_json != NULL)
        cli_buf_printf(out, ",\"properties\":%s", properties_json);
    cli_buf_addc(out, '}');
}

void cli_sarif_results(struct cli_buf *out)
{
    cli_buf_adds(out, "]}},\n\"columnKind\":\"unicodeCodePoints\","
                      "\"results\":[\n");
}

/* RFC 3986: keep unreserved characters and '/', percent-encode the rest. */
void cli_sarif_uri_path(struct cli_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("-._~/", c) != NULL) {
            cli_buf_addc(out, (char)c);
        } else {
            char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
            cli_buf_add(out, esc, sizeof esc);
        }
    }
}

void cli_sarif_location(struct cli_buf *out, const struct cli_sarif_where *w)
{
    struct cli_buf uri = CLI_BUF_INIT;
    cli_sarif_uri_path(&uri, w->path);
    cli_buf_adds(out, "{\"physicalLocation\":{\"artifactLocation\":{\"uri\":");
    cli_buf_json_str(out, uri.data ? uri.data : "", uri.len);
    cli_buf_addc(out, '}');
    if (w->line > 0)
        cli_buf_printf(out, ",\"region\":{\"startLine\":%llu,\"byteOffset\":%llu}",
                       (unsigned long long)w->line,
                       (unsigned long long)w->offset);
    if (w->gzip)
        cli_buf_adds(out, ",\"properties\":{\"positionsIn\":\"inflated\","
                          "\"note\":\"lines and byteOffset count the inflated "
                          "text of this gzip artifact\"}");
    cli_buf_adds(out, "}}");
    cli_buf_free(&uri);
}

void cli_sarif_result(struct cli_buf *out, const char *rule_id,
                      int32_t rule_index, const char *level,
                      const char *message, size_t message_len,
                      const struct cli_sarif_where *w,
                      const char *properties_json)
{
    cli_buf_adds(out, ",{\"ruleId\":");
    cli_buf_json_strz(out, rule_id);
    if (rule_index >= 0)
        cli_buf_printf(out, ",\"ruleIndex\":%d", (int)rule_index);
    cli_buf_printf(out, ",\"level\":\"%s\",\"message\":{\"text\":", level);
    cli_buf_json_str(out, message, message_len);
    cli_buf_adds(out, "},\"locations\":[");
    cli_sarif_location(out, w);
    cli_buf_addc(out, ']');
    if (properties_json != NULL)
        cli_buf_printf(out, ",\"properties\":%s", properties_json);
    cli_buf_adds(out, "}\n");
}

void cli_sarif_notification(struct cli_buf *out, const char *level,
                            const char *message, size_t message_len,
                            const struct cli_sarif_where *w)
{
    cli_buf_printf(out, ",{\"level\":\"%s\",\"message\":{\"text\":", level);
    cli_buf_json_str(out, message, message_len);
    cli_buf_adds(out, "},\"locations\":[");
    cli_sarif_location(out, w);
    cli_buf_adds(out, "]}\n");
}

void cli_sarif_tail(struct cli_buf *out, int success, int exit_code,
                    const char *notes, size_t notes_len)
{
    cli_buf_printf(out, "],\n\"invocations\":[{\"executionSuccessful\":%s,"
                        "\"exitCode\":%d",
                   success ? "true" : "false", exit_code);
    if (notes_len > 1) {
        cli_buf_adds(out, ",\"toolExecutionNotifications\":[\n");
        cli_buf_add(out, notes + 1, notes_len - 1); /* without the comma */
        cli_buf_addc(out, ']');
    }
    cli_buf_adds(out, "}]}]}\n");
}
