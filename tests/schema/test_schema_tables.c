/*
 * The generated KVS schema tables (lib/kvs_schema.c): the frozen action
 * numbering, the name lookups, and spot checks of members, enums, ranges
 * and the stream-id rule against the 2017-09-30 model; then a walk over
 * every reachable shape for the invariants the mapper relies on.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"

#include "check.h"

#define CHECK_STR(a, b) CHECK((a) != NULL && strcmp((a), (b)) == 0)

/* tools/kvs_actions.txt: numbers are ABI, so the test spells them out. */
static const char *const expected_names[] = {
    NULL,
    "CreateStream", "DeleteStream", "DescribeStream", "GetDataEndpoint",
    "ListStreams", "ListTagsForStream", "TagStream", "UntagStream",
    "UpdateDataRetention", "UpdateStream",
    "CreateSignalingChannel", "DeleteEdgeConfiguration",
    "DeleteSignalingChannel", "DescribeEdgeConfiguration",
    "DescribeImageGenerationConfiguration",
    "DescribeMappedResourceConfiguration",
    "DescribeMediaStorageConfiguration",
    "DescribeNotificationConfiguration", "DescribeSignalingChannel",
    "DescribeStreamStorageConfiguration", "GetSignalingChannelEndpoint",
    "ListEdgeAgentConfigurations", "ListSignalingChannels",
    "ListTagsForResource", "StartEdgeConfigurationUpdate", "TagResource",
    "UntagResource", "UpdateImageGenerationConfiguration",
    "UpdateMediaStorageConfiguration", "UpdateNotificationConfiguration",
    "UpdateSignalingChannel", "UpdateStreamStorageConfiguration",
    /* 1.1: the four data-plane models, then the actions with no model */
    "GetMedia", "GetClip", "GetDASHStreamingSessionURL", "GetHLSStreamingSessionURL",
    "GetImages", "GetMediaForFragmentList", "ListFragments", "GetIceServerConfig",
    "SendAlexaOfferToMaster", "JoinStorageSession", "JoinStorageSessionAsViewer",
    "PutMedia", "ConnectAsMaster", "ConnectAsViewer",
};

/* The operations that answer with no body (no output shape). */
static int has_no_output(uint32_t a)
{
    return a == KVST_ACTION_JOIN_STORAGE_SESSION || a == KVST_ACTION_JOIN_STORAGE_SESSION_AS_VIEWER ||
           a >= KVST_ACTION_PUT_MEDIA;
}

static void test_operations(void)
{
    uint32_t a;
    char tmp[64];

    CHECK(kvst__operation_count == KVST_ACTION__COUNT);
    CHECK(KVST_ACTION__COUNT == 47u);
    CHECK(sizeof expected_names / sizeof expected_names[0] == 47u);
    CHECK(KVST_ACTION_CREATE_STREAM == 1u && KVST_ACTION_UPDATE_STREAM == 10u);
    CHECK(KVST_ACTION_CREATE_SIGNALING_CHANNEL == 11u);
    CHECK(KVST_ACTION_UPDATE_STREAM_STORAGE_CONFIGURATION == 32u);
    CHECK(KVST_ACTION_GET_MEDIA == 33u && KVST_ACTION_JOIN_STORAGE_SESSION_AS_VIEWER == 43u);
    CHECK(KVST_ACTION_PUT_MEDIA == 44u && KVST_ACTION_CONNECT_AS_VIEWER == 46u);

    CHECK(kvst__operations[0].name == NULL);
    CHECK(kvst__operations[0].input == NULL && kvst__operations[0].output == NULL);
    CHECK(kvst__operations[0].action == KVST_ACTION_NONE);

    for (a = 1; a < KVST_ACTION__COUNT; a++) {
        const kvst_operation_def *op = &kvst__operations[a];
        const char *name = expected_names[a];
        size_t len = strlen(name);

        CHECK_STR(op->name, name);
        CHECK(op->name_len == len);
        CHECK(op->action == a);
        CHECK(op->input != NULL && op->input->type == KVST_TYPE_STRUCTURE);
        if (has_no_output(a))
            CHECK(op->output == NULL);
        else
            CHECK(op->output != NULL && op->output->type == KVST_TYPE_STRUCTURE);
        CHECK(kvst__operation_find(name, len) == op);
        CHECK(kvst_action_from_name(name, len) == a);
        CHECK_STR(kvst_action_name(a), name);

        /* Not NUL-terminated: the name inside a longer buffer. */
        memcpy(tmp, name, len);
        memcpy(tmp + len, "Xyz", 4);
        CHECK(kvst__operation_find(tmp, len) == op);

        /* Near misses. */
        CHECK(kvst__operation_find(tmp, len + 1) == NULL);     /* extra char */
        CHECK(kvst__operation_find(name, len - 1) == NULL);    /* prefix */
        memcpy(tmp, name, len + 1);
        tmp[0] = (char)(tmp[0] - 'A' + 'a');                   /* case */
        CHECK(kvst__operation_find(tmp, len) == NULL);
        CHECK(kvst_action_from_name(tmp, len) == KVST_ACTION_NONE);
        memcpy(tmp, name, len + 1);
        tmp[len - 1] ^= 0x20;                                  /* last char */
        CHECK(kvst__operation_find(tmp, len) == NULL);
    }

    CHECK(kvst__operation_find(NULL, 12) == NULL);
    CHECK(kvst__operation_find("", 0) == NULL);
    CHECK(kvst__operation_find("CreateStreams", 13) == NULL);
    CHECK(kvst__operation_find("CREATESTREAM", 12) == NULL);
    CHECK(kvst__operation_find("AssumeRole", 10) == NULL);
    CHECK(kvst_action_from_name(NULL, 0) == KVST_ACTION_NONE);
    CHECK(kvst_action_name(KVST_ACTION_NONE) == NULL);
    CHECK(kvst_action_name(KVST_ACTION__COUNT) == NULL);
    CHECK(kvst_action_name(0xffffffffu) == NULL);
}

static const kvst_member_def *member(const kvst_shape *s, const char *json)
{
    return kvst__member_find(s, json, strlen(json));
}

static void test_create_stream(void)
{
    static const struct {
        const char *json, *c;
        uint32_t required;
        size_t offset;
        uint32_t type;
    } want[] = {
        {"deviceName", "device_name", 0,
         offsetof(kvst_kvs_create_stream_input, device_name), KVST_TYPE_STRING},
        {"streamName", "stream_name", 1,
         offsetof(kvst_kvs_create_stream_input, stream_name), KVST_TYPE_STRING},
        {"mediaType", "media_type", 0,
         offsetof(kvst_kvs_create_stream_input, media_type), KVST_TYPE_STRING},
        {"kmsKeyId", "kms_key_id", 0,
         offsetof(kvst_kvs_create_stream_input, kms_key_id), KVST_TYPE_STRING},
        {"dataRetentionInHours", "data_retention_in_hours", 0,
         offsetof(kvst_kvs_create_stream_input, data_retention_in_hours),
         KVST_TYPE_INTEGER},
        {"tags", "tags", 0, offsetof(kvst_kvs_create_stream_input, tags),
         KVST_TYPE_MAP},
        {"streamStorageConfiguration", "stream_storage_configuration", 0,
         offsetof(kvst_kvs_create_stream_input, stream_storage_configuration),
         KVST_TYPE_STRUCTURE},
    };
    const kvst_shape *in = kvst__operations[KVST_ACTION_CREATE_STREAM].input;
    const kvst_shape *out = kvst__operations[KVST_ACTION_CREATE_STREAM].output;
    const kvst_member_def *m;
    size_t i;

    CHECK_STR(in->name, "CreateStreamInput");
    CHECK(in->struct_size == sizeof(kvst_kvs_create_stream_input));
    CHECK(in->stream_id_rule == 0);
    CHECK(in->member_count == sizeof want / sizeof want[0]);
    for (i = 0; i < in->member_count && i < sizeof want / sizeof want[0]; i++) {
        m = &in->members[i];
        CHECK_STR(m->json_name, want[i].json);
        CHECK_STR(m->c_name, want[i].c);
        CHECK(m->json_name_len == strlen(want[i].json));
        CHECK(m->required == want[i].required);
        CHECK(m->offset == want[i].offset);
        CHECK(m->shape != NULL && m->shape->type == want[i].type);
        CHECK(member(in, want[i].json) == m);
    }

    m = member(in, "streamName");
    CHECK(m != NULL && m->shape->has_min && m->shape->min == 1
          && m->shape->has_max && m->shape->max == 256
          && m->shape->pattern == KVST_PAT_NAME);
    m = member(in, "mediaType");
    CHECK(m != NULL && m->shape->pattern == KVST_PAT_MEDIA_TYPE
          && m->shape->max == 128);
    m = member(in, "kmsKeyId");
    CHECK(m != NULL && m->shape->pattern == KVST_PAT_ANY
          && m->shape->max == 2048);
    m = member(in, "dataRetentionInHours");
    CHECK(m != NULL && m->shape->has_min && m->shape->min == 0
          && !m->shape->has_max);

    /* The tags map: TagKey -> TagValue, 1..50 entries. */
    m = member(in, "tags");
    CHECK(m != NULL && m->shape->key != NULL && m->shape->item != NULL);
    if (m != NULL && m->shape->key != NULL && m->shape->item != NULL) {
        CHECK_STR(m->shape->name, "ResourceTags");
        CHECK(m->shape->min == 1 && m->shape->max == 50);
        CHECK_STR(m->shape->key->name, "TagKey");
        CHECK(m->shape->key->pattern == KVST_PAT_TAG_KEY);
        CHECK(m->shape->key->min == 1 && m->shape->key->max == 128);
        CHECK_STR(m->shape->item->name, "TagValue");
        CHECK(m->shape->item->pattern == KVST_PAT_TAG_VALUE);
        CHECK(m->shape->item->min == 0 && m->shape->item->max == 256);
    }

    m = member(in, "streamStorageConfiguration");
    CHECK(m != NULL && m->shape->struct_size
                           == sizeof(kvst_kvs_stream_storage_configuration));
    if (m != NULL) {
        const kvst_member_def *tier = member(m->shape, "defaultStorageTier");
        CHECK(tier != NULL && tier->required == 1
              && tier->shape->enum_count == 2);
        CHECK(tier != NULL && tier->offset
              == offsetof(kvst_kvs_stream_storage_configuration,
                          default_storage_tier));
    }

    /* CloudTrail spelling only: no model spelling, no prefix, no extra. */
    CHECK(member(in, "StreamName") == NULL);
    CHECK(member(in, "streamNam") == NULL);
    CHECK(member(in, "streamNames") == NULL);
    CHECK(kvst__member_find(in, NULL, 0) == NULL);
    CHECK(kvst__member_find(NULL, "tags", 4) == NULL);
    CHECK(kvst__member_find(member(in, "tags")->shape, "tags", 4) == NULL);

    CHECK_STR(out->name, "CreateStreamOutput");
    m = member(out, "streamARN");
    CHECK(m != NULL && m->shape->pattern == KVST_PAT_RESOURCE_ARN);
    CHECK(m != NULL && strcmp(m->c_name, "stream_arn") == 0);
}

static void test_spot_checks(void)
{
    static const char *const api_names[] = {
        "PUT_MEDIA", "GET_MEDIA", "LIST_FRAGMENTS",
        "GET_MEDIA_FOR_FRAGMENT_LIST", "GET_HLS_STREAMING_SESSION_URL",
        "GET_DASH_STREAMING_SESSION_URL", "GET_CLIP", "GET_IMAGES",
    };
    const kvst_shape *gde = kvst__operations[KVST_ACTION_GET_DATA_ENDPOINT].input;
    const kvst_shape *ls = kvst__operations[KVST_ACTION_LIST_STREAMS].input;
    const kvst_shape *lso = kvst__operations[KVST_ACTION_LIST_STREAMS].output;
    const kvst_shape *csc =
        kvst__operations[KVST_ACTION_CREATE_SIGNALING_CHANNEL].input;
    const kvst_member_def *m;
    uint32_t i;

    m = member(gde, "aPIName");
    CHECK(m != NULL);
    if (m != NULL) {
        CHECK_STR(m->c_name, "api_name");
        CHECK(m->required == 1);
        CHECK(m->offset == offsetof(kvst_kvs_get_data_endpoint_input, api_name));
        CHECK_STR(m->shape->name, "APIName");
        CHECK(m->shape->enum_count == 8);
        for (i = 0; i < m->shape->enum_count && i < 8; i++)
            CHECK_STR(m->shape->enum_values[i], api_names[i]);
    }

    m = member(ls, "maxResults");
    CHECK(m != NULL);
    if (m != NULL) {
        CHECK_STR(m->shape->name, "ListStreamsInputLimit");
        CHECK(m->shape->type == KVST_TYPE_INTEGER);
        CHECK(m->shape->has_min && m->shape->min == 1);
        CHECK(m->shape->has_max && m->shape->max == 10000);
    }
    m = member(ls, "streamNameCondition");
    CHECK(m != NULL && m->shape->type == KVST_TYPE_STRUCTURE
          && m->shape->struct_size == sizeof(kvst_kvs_stream_name_condition));

    /* streamInfoList: a list of StreamInfo structures, shared by name with
     * DescribeStream's streamInfo. */
    m = member(lso, "streamInfoList");
    CHECK(m != NULL && m->shape->type == KVST_TYPE_LIST
          && m->shape->item != NULL
          && m->shape->item->struct_size == sizeof(kvst_kvs_stream_info));
    if (m != NULL) {
        const kvst_member_def *si = member(
            kvst__operations[KVST_ACTION_DESCRIBE_STREAM].output, "streamInfo");
        CHECK(si != NULL && si->shape == m->shape->item);
        CHECK(member(m->shape->item, "creationTime") != NULL
              && member(m->shape->item, "creationTime")->shape->type
                     == KVST_TYPE_TIMESTAMP);
    }

    /* CreateSignalingChannel's tags are a list of Tag structures, unlike
     * CreateStream's map. */
    m = member(csc, "tags");
    CHECK(m != NULL && m->shape->type == KVST_TYPE_LIST
          && m->shape->item != NULL
          && m->shape->item->type == KVST_TYPE_STRUCTURE
          && m->shape->max == 50);
    if (m != NULL && m->shape->item != NULL) {
        CHECK(member(m->shape->item, "key") != NULL
              && member(m->shape->item, "key")->required == 1);
        CHECK(member(m->shape->item, "value") != NULL
              && member(m->shape->item, "value")->c_name[5] == '\0');
    }

    /* The stream-id rule: both members present and both optional. */
    CHECK(kvst__operations[KVST_ACTION_DESCRIBE_STREAM].input->stream_id_rule == 1);
    CHECK(gde->stream_id_rule == 1);
    CHECK(kvst__operations[KVST_ACTION_UPDATE_STREAM].input->stream_id_rule == 1);
    CHECK(kvst__operations[KVST_ACTION_CREATE_STREAM].input->stream_id_rule == 0);
    CHECK(kvst__operations[KVST_ACTION_DELETE_STREAM].input->stream_id_rule == 0);
    CHECK(ls->stream_id_rule == 0);
    CHECK(kvst__operations[KVST_ACTION_DESCRIBE_STREAM].output->stream_id_rule == 0);

    /* APIName -> aPIName, MaxLocalMediaSizeInMB -> max_local_media_size_in_mb. */
    CHECK(offsetof(kvst_kvs_local_size_config, max_local_media_size_in_mb)
          == member(member(member(member(
                 kvst__operations[KVST_ACTION_START_EDGE_CONFIGURATION_UPDATE]
                     .input, "edgeConfig")->shape,
                 "deletionConfig")->shape, "localSizeConfig")->shape,
                 "maxLocalMediaSizeInMB")->offset);
}

struct value_align {
    char c;
    kvst_value v;
};

/* Every shape reachable from an operation, recursively. */
static void walk(const kvst_shape *s, int depth)
{
    uint32_t i;

    CHECK(depth < 16); /* the model has no recursive shapes */
    if (depth >= 16)
        return;
    CHECK(s->name != NULL && s->name[0] >= 'A' && s->name[0] <= 'Z');
    CHECK(s->type >= KVST_TYPE_STRING && s->type <= KVST_TYPE_MAP);
    CHECK(s->pattern < KVST_PAT__COUNT);
    CHECK(s->pattern == KVST_PAT_NONE || s->type == KVST_TYPE_STRING);
    CHECK(!(s->has_min && s->has_max) || s->min <= s->max);
    CHECK((s->enum_count == 0) == (s->enum_values == NULL));
    for (i = 0; i < s->enum_count; i++)
        CHECK(s->enum_values[i] != NULL && s->enum_values[i][0] != '\0');
    switch (s->type) {
    case KVST_TYPE_STRUCTURE: {
        size_t prev = 0;

        CHECK(s->struct_size >= sizeof(size_t));
        if (s->member_count == 0)
            CHECK(s->struct_size == sizeof(size_t));
        CHECK((s->member_count == 0) == (s->members == NULL));
        for (i = 0; i < s->member_count; i++) {
            const kvst_member_def *m = &s->members[i];

            CHECK(m->json_name_len == strlen(m->json_name));
            CHECK(m->json_name[0] >= 'a' && m->json_name[0] <= 'z');
            CHECK(m->c_name != NULL && m->c_name[0] >= 'a' && m->c_name[0] <= 'z');
            CHECK(m->required <= 1);
            /* Members in model order, each a whole kvst_value inside the
             * struct, after struct_size. */
            CHECK(m->offset >= sizeof(size_t) && m->offset > prev);
            CHECK(m->offset % offsetof(struct value_align, v) == 0);
            CHECK(m->offset + sizeof(kvst_value) <= s->struct_size);
            CHECK(kvst__member_find(s, m->json_name, m->json_name_len) == m);
            prev = m->offset;
            CHECK(m->shape != NULL);
            if (m->shape != NULL)
                walk(m->shape, depth + 1);
        }
        break;
    }
    case KVST_TYPE_LIST:
        CHECK(s->item != NULL && s->key == NULL);
        if (s->item != NULL)
            walk(s->item, depth + 1);
        break;
    case KVST_TYPE_MAP:
        CHECK(s->item != NULL && s->key != NULL);
        if (s->key != NULL) {
            CHECK(s->key->type == KVST_TYPE_STRING);
            walk(s->key, depth + 1);
        }
        if (s->item != NULL)
            walk(s->item, depth + 1);
        break;
    default:
        CHECK(s->members == NULL && s->item == NULL && s->key == NULL);
        CHECK(s->struct_size == 0);
        break;
    }
}

static void test_walk(void)
{
    uint32_t a;

    for (a = 1; a < kvst__operation_count; a++) {
        walk(kvst__operations[a].input, 0);
        if (kvst__operations[a].output) /* NULL: the call answers with no body */
            walk(kvst__operations[a].output, 0);
    }
}

int main(void)
{
    test_operations();
    test_create_stream();
    test_spot_checks();
    test_walk();
    return check_done("schema tables");
}
