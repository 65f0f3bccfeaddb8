/* Status codes and the run-time version. */
#include <kvstrail/kvstrail.h>

typedef struct status_entry {
    int code;
    const char *name;
    const char *text;
} status_entry;

/* Indexed by -code; numbers are frozen (see common.h). */
static const status_entry status_table[] = {
    { KVST_OK, "KVST_OK", "success" },
    { KVST_E_SYNTAX, "KVST_E_SYNTAX", "malformed JSON" },
    { KVST_E_ENCODING, "KVST_E_ENCODING", "invalid UTF-8 in a string" },
    { KVST_E_TRUNCATED, "KVST_E_TRUNCATED", "input ends inside a record or gzip member" },
    { KVST_E_LIMIT, "KVST_E_LIMIT", "a configured limit was exceeded" },
    { KVST_E_NOMEM, "KVST_E_NOMEM", "out of memory" },
    { KVST_E_GZIP, "KVST_E_GZIP", "corrupt gzip data" },
    { KVST_E_NOT_CLOUDTRAIL, "KVST_E_NOT_CLOUDTRAIL", "not a CloudTrail log" },
    { KVST_E_ABORTED, "KVST_E_ABORTED", "stopped by the caller's callback" },
    { KVST_E_INVAL, "KVST_E_INVAL", "invalid argument" },
    { KVST_E_ABI, "KVST_E_ABI", "struct size not understood by this library version" },
    { KVST_E_IO, "KVST_E_IO", "input/output error" },
    { KVST_E_NOT_FOUND, "KVST_E_NOT_FOUND", "no such value" },
};

static const status_entry *status_find(int status)
{
    if (status > 0 || -status >= (int)(sizeof status_table / sizeof status_table[0]))
        return NULL;
    return &status_table[-status];
}

const char *kvst_strerror(int status)
{
    const status_entry *e = status_find(status);
    return e ? e->text : "unknown status code";
}

const char *kvst_status_name(int status)
{
    const status_entry *e = status_find(status);
    return e ? e->name : "KVST_E_UNKNOWN";
}

const char *kvst_version_string(void)
{
    return KVST_VERSION_STRING;
}

unsigned long kvst_version_number(void)
{
    return (unsigned long)KVST_VERSION_NUM;
}
