/*
 * docs/findings.md and the finding table agree: every code the library
 * names is listed with the same name, severity and rule text, and the page
 * lists no code the library does not know.
 */
#include <stdlib.h>

#include <kvstrail/kvstrail.h>

#include "check.h"

#define MAX_CODE 1000

/* Split "| a | b | c | d |" into four trimmed cells, in place. */
static int cells(char *line, char *out[4])
{
    int n = 0;
    char *p = line, *bar;
    if (*p != '|')
        return 0;
    p++;
    while (n < 4 && (bar = strstr(p, " |")) != NULL) {
        while (*p == ' ')
            p++;
        *bar = '\0';
        out[n++] = p;
        p = bar + 2;
    }
    return n;
}

int main(int argc, char **argv)
{
    static int listed[MAX_CODE];
    char line[1024];
    FILE *f;
    uint32_t code;

    if (argc != 2) {
        fprintf(stderr, "usage: %s docs/findings.md\n", argv[0]);
        return 2;
    }
    f = fopen(argv[1], "r");
    CHECK(f != NULL);
    if (!f)
        return check_done("findings-doc");
    while (fgets(line, sizeof line, f)) {
        char *c[4];
        char name[128];
        unsigned long n;
        char *end;
        line[strcspn(line, "\n")] = '\0';
        if (cells(line, c) != 4)
            continue;
        n = strtoul(c[0], &end, 10);
        if (end == c[0] || *end != '\0' || n >= MAX_CODE)
            continue; /* a header row, or the seed table */
        code = (uint32_t)n;
        listed[code]++;
        snprintf(name, sizeof name, "`%s`",
                 kvst_finding_name(code) ? kvst_finding_name(code) : "?");
        CHECK(kvst_finding_name(code) != NULL);
        CHECK(strcmp(c[1], name) == 0);
        CHECK(strcmp(c[2], kvst_severity_name(kvst_finding_severity(code))) ==
              0);
        CHECK(kvst_finding_rule(code) != NULL &&
              strcmp(c[3], kvst_finding_rule(code)) == 0);
        if (kvst_finding_rule(code) && strcmp(c[3], kvst_finding_rule(code)))
            fprintf(stderr, "  code %u: page says '%s'\n", code, c[3]);
    }
    fclose(f);
    for (code = 0; code < MAX_CODE; code++) {
        if (kvst_finding_name(code) != NULL) {
            CHECK_EQ(listed[code], 1);
            if (listed[code] != 1)
                fprintf(stderr, "  code %u listed %d times\n", code,
                        listed[code]);
        }
    }
    return check_done("findings-doc");
}
