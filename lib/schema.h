/*
 * Internal: the shape of the KVS schema tables. The tables themselves are
 * generated from the KVS API model by tools/kvst_gen_schema.py into
 * lib/kvs_schema.c (and the payload structs into
 * include/kvstrail/kvs_model.h); both files are committed.
 */
#ifndef KVST_SCHEMA_H
#define KVST_SCHEMA_H

#include <kvstrail/kvstrail.h>

/* Pattern classes of the model, each checked by a hand-written matcher in
 * lib/validate.c (no regex engine). The generator maps every pattern string
 * of the model to one of these and refuses a pattern it does not know. */
enum kvst_pattern_id {
    KVST_PAT_NONE = 0,
    KVST_PAT_NAME,              /* [a-zA-Z0-9_.-]+ */
    KVST_PAT_REGION,            /* ^[a-z]+(-[a-z]+)?-[a-z]+-[0-9]$ */
    KVST_PAT_DESTINATION_URI,   /* ^[a-zA-Z_0-9]+:(//)?([^/]+)/?([^*]*)$ */
    KVST_PAT_FORMAT_CONFIG,     /* ^[a-zA-Z_0-9]+ */
    KVST_PAT_IOT_THING_ARN,     /* arn:...:iot:...:thing/NAME */
    KVST_PAT_ANY,               /* .+ (kmsKeyId: checked as a KMS ARN when arn:) */
    KVST_PAT_MEDIA_TYPE,
    KVST_PAT_SECRET_ARN,        /* arn:...:secretsmanager:...:secret:NAME */
    KVST_PAT_NEXT_TOKEN,        /* [a-zA-Z0-9+/=]* */
    KVST_PAT_RESOURCE_ARN,      /* arn:...:kinesisvideo:... /NAME/DIGITS */
    KVST_PAT_SCHEDULE,          /* [^\n]{11,100} */
    KVST_PAT_TAG_KEY,
    KVST_PAT_TAG_VALUE,
    KVST_PAT_VERSION,           /* [a-zA-Z0-9]+ */
    /* the data-plane models (1.1) */
    KVST_PAT_DIGITS,            /* ^[0-9]+$ (fragment numbers) */
    KVST_PAT_BASE64,            /* [a-zA-Z0-9+/]+={0,2} */
    KVST_PAT_BASE64_TEXT,       /* [a-zA-Z0-9+/=]+ */
    KVST_PAT_RESOURCE_ARN_AWS,  /* arn:aws:kinesisvideo:... /NAME/DIGITS */
    KVST_PAT_RESOURCE_ARN_AWS_ANY, /* ^arn:(aws[a-zA-Z-]*):kinesisvideo:...$ */
    KVST_PAT__COUNT
};

/* The classes whose values are KVS resource ARNs (a stream or a channel):
 * the account and cross-account checks read them. */
static inline int kvst__pattern_is_kvs_arn(uint32_t pattern)
{
    return pattern == KVST_PAT_RESOURCE_ARN || pattern == KVST_PAT_RESOURCE_ARN_AWS ||
           pattern == KVST_PAT_RESOURCE_ARN_AWS_ANY;
}

typedef struct kvst_shape kvst_shape;

typedef struct kvst_member_def {
    const char *json_name;   /* CloudTrail spelling: "streamName", "aPIName" */
    const char *c_name;      /* struct field: "stream_name", "api_name" */
    uint32_t json_name_len;
    uint32_t required;       /* 1 when the model lists it as required */
    uint32_t offset;         /* offsetof(struct, field): a kvst_value */
    const kvst_shape *shape;
} kvst_member_def;

struct kvst_shape {
    const char *name;        /* model shape name */
    uint32_t type;           /* KVST_TYPE_* */
    uint32_t struct_size;    /* STRUCTURE: sizeof the generated struct */
    uint32_t has_min, has_max;
    int64_t min, max;        /* string length, list/map size, number value */
    uint32_t pattern;        /* enum kvst_pattern_id */
    uint32_t enum_count;
    const char *const *enum_values;
    uint32_t member_count;   /* STRUCTURE: members in the model's order */
    const kvst_member_def *members;
    const kvst_shape *item;  /* LIST: member shape; MAP: value shape */
    const kvst_shape *key;   /* MAP: key shape */
    uint32_t stream_id_rule; /* STRUCTURE input: streamName or streamARN
                                required (both optional in the model) */
};

typedef struct kvst_operation_def {
    const char *name;        /* "CreateStream" */
    uint32_t name_len;
    uint32_t action;         /* KVST_ACTION_* */
    const kvst_shape *input;
    const kvst_shape *output;
} kvst_operation_def;

/* Indexed by KVST_ACTION_*; entry 0 is KVST_ACTION_NONE (all NULL). */
extern const kvst_operation_def kvst__operations[];
extern const uint32_t kvst__operation_count; /* KVST_ACTION__COUNT */

/* The operation named name (eventName), or NULL. Generated lookup. */
const kvst_operation_def *kvst__operation_find(const char *name, size_t len);

/* A member of a STRUCTURE shape by CloudTrail name, or NULL. */
const kvst_member_def *kvst__member_find(const kvst_shape *shape,
                                         const char *name, size_t len);

#endif /* KVST_SCHEMA_H */
