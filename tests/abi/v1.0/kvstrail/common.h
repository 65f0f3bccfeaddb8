/*
 * kvstrail: common definitions (export macro, string views, typed values,
 * status codes, version query).
 *
 * Part of the public API; include <kvstrail/kvstrail.h> rather than this file.
 * Every declaration here is C89-clean and usable from C++.
 */
#ifndef KVSTRAIL_COMMON_H
#define KVSTRAIL_COMMON_H

#include <stddef.h>

#if defined(_MSC_VER) && _MSC_VER < 1600
typedef __int64 int64_t;
typedef unsigned __int64 uint64_t;
typedef int int32_t;
typedef unsigned int uint32_t;
#else
#include <stdint.h>
#endif

#include <kvstrail/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(KVST_BUILDING_LIBRARY) && defined(__GNUC__)
#define KVST_EXPORT __attribute__((visibility("default")))
#else
#define KVST_EXPORT
#endif

/*
 * A string view. Views handed out by the library point into storage the
 * library owns; each says how long it stays valid. ptr is NUL-terminated
 * (ptr[len] == '\0'), so it can be passed to C string functions, but the
 * text may itself contain NUL bytes (JSON "\u0000"): use len.
 * ptr is NULL when the value is absent. Frozen layout: never grows.
 * Since 1.0.
 */
typedef struct kvst_str {
    const char *ptr;
    size_t len;
} kvst_str;

/* State of a kvst_value (kvst_value.state). Numbers frozen. Since 1.0. */
#define KVST_VALUE_ABSENT   0u /* the member is not in the record */
#define KVST_VALUE_OK       1u /* present with the JSON type the model wants */
#define KVST_VALUE_NULL     2u /* present as JSON null */
#define KVST_VALUE_MISTYPED 3u /* wrong JSON type, or a number out of range
                                  for its type: text holds it as written */

/* JSON type of a value as found in the record (kvst_value.json_type).
 * Numbers frozen. Since 1.0. */
#define KVST_JSON_NONE    0u
#define KVST_JSON_NULL    1u
#define KVST_JSON_BOOLEAN 2u
#define KVST_JSON_INTEGER 3u /* a number without fraction or exponent */
#define KVST_JSON_DOUBLE  4u /* a number with fraction or exponent */
#define KVST_JSON_STRING  5u
#define KVST_JSON_OBJECT  6u
#define KVST_JSON_ARRAY   7u

/* Type of a member in the KVS API model (kvst_value.model_type).
 * Numbers frozen. Since 1.0. */
#define KVST_TYPE_NONE      0u
#define KVST_TYPE_STRING    1u
#define KVST_TYPE_INTEGER   2u
#define KVST_TYPE_LONG      3u
#define KVST_TYPE_BOOLEAN   4u
#define KVST_TYPE_DOUBLE    5u
#define KVST_TYPE_TIMESTAMP 6u
#define KVST_TYPE_STRUCTURE 7u
#define KVST_TYPE_LIST      8u
#define KVST_TYPE_MAP       9u

/*
 * One typed value: a member of a KVS payload, or the result of a JSON
 * pointer lookup. Frozen layout (it is an array element): never grows.
 *
 * - text: for strings, the decoded string; for numbers and booleans, the
 *   JSON text as written ("24", "true"); for a MISTYPED value, the value as
 *   it was (the decoded string if it was a string, else its JSON text); for
 *   objects and arrays reached by lookup, their raw JSON text.
 * - i: integer, long, boolean (0 or 1), or timestamp (epoch milliseconds)
 *   when state is KVST_VALUE_OK.
 * - d: the number as a double (integers and doubles), when state is OK.
 * - count/items/keys: lists (items[0..count)) and maps (keys[i] -> items[i]).
 * - object: for a STRUCTURE member, the generated kvst_kvs_* struct named in
 *   <kvstrail/kvs_model.h>; NULL otherwise.
 * Since 1.0.
 */
typedef struct kvst_value {
    uint32_t state;      /* KVST_VALUE_* */
    uint32_t json_type;  /* KVST_JSON_* as found in the record */
    uint32_t model_type; /* KVST_TYPE_* the model wants (NONE for lookups) */
    uint32_t reserved;   /* zero */
    kvst_str text;
    int64_t i;
    double d;
    size_t count;
    const struct kvst_value *items;
    const kvst_str *keys;
    const void *object;
} kvst_value;

/*
 * Status codes. Every fallible call returns 0 on success and one of these
 * (negative) on failure. Numbers are frozen forever; retired codes keep
 * their number. kvst_strerror() gives static text, kvst_status_name() the
 * macro name ("KVST_E_SYNTAX").
 */
#define KVST_OK                 0
#define KVST_E_SYNTAX          (-1)  /* malformed JSON. Since 1.0 */
#define KVST_E_ENCODING        (-2)  /* invalid UTF-8 in a string. Since 1.0 */
#define KVST_E_TRUNCATED       (-3)  /* input ended inside a value or gzip member. Since 1.0 */
#define KVST_E_LIMIT           (-4)  /* a configured limit was exceeded. Since 1.0 */
#define KVST_E_NOMEM           (-5)  /* an allocation failed. Since 1.0 */
#define KVST_E_GZIP            (-6)  /* corrupt gzip data. Since 1.0 */
#define KVST_E_NOT_CLOUDTRAIL  (-7)  /* valid JSON that is not a CloudTrail log. Since 1.0 */
#define KVST_E_ABORTED         (-8)  /* a callback returned non-zero. Since 1.0 */
#define KVST_E_INVAL           (-9)  /* invalid argument or call order. Since 1.0 */
#define KVST_E_ABI            (-10)  /* struct_size not understood. Since 1.0 */
#define KVST_E_IO             (-11)  /* read error (used by tools). Since 1.0 */
#define KVST_E_NOT_FOUND      (-12)  /* lookup found nothing. Since 1.0 */

/* Static English text for a status code; never NULL. Thread-safe. Since 1.0. */
KVST_EXPORT const char *kvst_strerror(int status);

/* The code's macro name, e.g. "KVST_E_SYNTAX"; "KVST_E_UNKNOWN" for a code
 * this version does not know. Static, thread-safe. Since 1.0. */
KVST_EXPORT const char *kvst_status_name(int status);

/* Run-time version of the library ("1.0.0") and KVST_VERSION_NUM of the
 * library actually loaded. Since 1.0. */
KVST_EXPORT const char *kvst_version_string(void);
KVST_EXPORT unsigned long kvst_version_number(void);

#ifdef __cplusplus
}
#endif

#endif /* KVSTRAIL_COMMON_H */
