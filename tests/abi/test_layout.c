/*
 * Pins the layout of every public struct: sizeof and the offset of every
 * member, against the committed table layout_pins.h (x86_64 LP64, made by
 * gen_layout_pins.py). A member that moves, a struct that shrinks or grows
 * without the table being updated on purpose, fails here. Growth rules:
 * docs/abi.md.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <kvstrail/kvstrail.h>

static int failures, checked;

static void check(const char *what, size_t got, size_t want)
{
    checked++;
    if (got != want) {
        printf("FAIL %s: %zu, pinned %zu\n", what, got, want);
        failures++;
    }
}

/* Structs the ABI policy names; each must be in the table. */
static const char *const required[] = {
    "kvst_str", "kvst_value", "kvst_allocator", "kvst_parser_options", "kvst_error",
    "kvst_event", "kvst_user_identity", "kvst_session_context", "kvst_session_issuer",
    "kvst_on_behalf_of", "kvst_in_scope_of", "kvst_identity_info", "kvst_resource",
    "kvst_tls_details", "kvst_addendum", "kvst_finding", "kvst_arn",
    "kvst_kvs_create_stream_input", "kvst_kvs_update_stream_storage_configuration_output",
};

static const char *const pinned[] = {
#define KVST_PIN_SIZE(type, size) #type,
#define KVST_PIN_MEMBER(type, member, offset)
#include "layout_pins.h"
#undef KVST_PIN_SIZE
#undef KVST_PIN_MEMBER
};

int main(void)
{
    size_t i, j;

    if (sizeof(void *) != 8 || sizeof(long) != 8) {
        printf("SKIP: the pins are for LP64\n");
        return 77;
    }
#define KVST_PIN_SIZE(type, size) check("sizeof(" #type ")", sizeof(type), size);
#define KVST_PIN_MEMBER(type, member, offset) \
    check("offsetof(" #type ", " #member ")", offsetof(type, member), offset);
#include "layout_pins.h"

    for (i = 0; i < sizeof required / sizeof required[0]; i++) {
        for (j = 0; j < sizeof pinned / sizeof pinned[0]; j++)
            if (strcmp(required[i], pinned[j]) == 0)
                break;
        if (j == sizeof pinned / sizeof pinned[0]) {
            printf("FAIL %s is not pinned\n", required[i]);
            failures++;
        }
    }
    printf("%d of %d layout pins differ (%zu structs)\n", failures, checked,
           sizeof pinned / sizeof pinned[0]);
    return failures ? 1 : 0;
}
