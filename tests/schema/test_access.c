/*
 * The access kind of every KVS action, through the parser (public API only).
 * The expected kind is derived from the action's name by the rule of
 * docs/kvs-model.md (Describe and List read the configuration; Create,
 * Update, Tag, Untag and Start write it; Delete deletes), with the
 * data-plane and signaling calls listed by name, so the table in
 * lib/action_map.c is checked against the rule rather than against itself;
 * an action the numbering gains without a row fails here. GetDataEndpoint
 * takes the kind of the API its aPIName names; records of other services
 * and unknown KVS eventNames have none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kvstrail/kvstrail.h>

#include "check.h"

/* Calls whose name does not say their kind. */
static const struct {
    const char *name;
    uint32_t access;
} named[] = {
    {"GetMedia", KVST_ACCESS_MEDIA_READ},
    {"GetClip", KVST_ACCESS_MEDIA_READ},
    {"GetDASHStreamingSessionURL", KVST_ACCESS_MEDIA_READ},
    {"GetHLSStreamingSessionURL", KVST_ACCESS_MEDIA_READ},
    {"GetImages", KVST_ACCESS_MEDIA_READ},
    {"GetMediaForFragmentList", KVST_ACCESS_MEDIA_READ},
    {"PutMedia", KVST_ACCESS_MEDIA_WRITE},
    {"JoinStorageSession", KVST_ACCESS_MEDIA_WRITE},
    {"ConnectAsMaster", KVST_ACCESS_SIGNALING},
    {"ConnectAsViewer", KVST_ACCESS_SIGNALING},
    {"GetIceServerConfig", KVST_ACCESS_SIGNALING},
    {"SendAlexaOfferToMaster", KVST_ACCESS_SIGNALING},
    {"JoinStorageSessionAsViewer", KVST_ACCESS_SIGNALING},
    {"GetSignalingChannelEndpoint", KVST_ACCESS_SIGNALING},
    {"GetDataEndpoint", KVST_ACCESS_CONFIG_READ}, /* no aPIName */
};

static const struct {
    const char *prefix;
    uint32_t access;
} prefixes[] = {
    {"Describe", KVST_ACCESS_CONFIG_READ}, {"List", KVST_ACCESS_CONFIG_READ},
    {"Create", KVST_ACCESS_CONFIG_WRITE},  {"Update", KVST_ACCESS_CONFIG_WRITE},
    {"Tag", KVST_ACCESS_CONFIG_WRITE},     {"Untag", KVST_ACCESS_CONFIG_WRITE},
    {"Start", KVST_ACCESS_CONFIG_WRITE},   {"Delete", KVST_ACCESS_DELETE},
};

static uint32_t expected(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strcmp(named[i].name, name) == 0)
            return named[i].access;
    for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(prefixes[i].prefix, name, strlen(prefixes[i].prefix)) == 0)
            return prefixes[i].access;
    return KVST_ACCESS_NONE;
}

/* Parse one record and return its event's action and access kind. */
static void parse_one(const char *record, uint32_t *action, uint32_t *access)
{
    kvst_parser *p = NULL;
    const kvst_event *ev = NULL;

    *action = *access = 0xffffffffu;
    CHECK_EQ(kvst_parser_new(NULL, &p), 0);
    if (!p)
        return;
    CHECK_EQ(kvst_parser_feed(p, record, strlen(record)), 0);
    CHECK_EQ(kvst_parser_finish(p), 0);
    CHECK_EQ(kvst_parser_next(p, &ev), 1);
    if (ev) {
        CHECK(ev->struct_size >= offsetof(kvst_event, access) + sizeof ev->access);
        *action = ev->action;
        *access = ev->access;
    }
    kvst_parser_free(p);
}

static void test_every_action(void)
{
    char rec[512];
    uint32_t a, action, access;

    for (a = 1; a < KVST_ACTION__COUNT; a++) {
        const char *name = kvst_action_name(a);

        CHECK(name != NULL);
        if (!name)
            continue;
        snprintf(rec, sizeof rec,
                 "{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"%s\"}", name);
        parse_one(rec, &action, &access);
        CHECK_EQ(action, a);
        if (access != expected(name))
            fprintf(stderr, "%s: access %u, expected %u\n", name, access, expected(name));
        CHECK_EQ(access, expected(name));
        CHECK(kvst_access_name(access) != NULL);
    }
}

static void test_data_endpoint(void)
{
    static const struct {
        const char *request;
        uint32_t access;
    } cases[] = {
        {"{\"aPIName\":\"GET_MEDIA\"}", KVST_ACCESS_MEDIA_READ},
        {"{\"aPIName\":\"GET_HLS_STREAMING_SESSION_URL\"}", KVST_ACCESS_MEDIA_READ},
        {"{\"aPIName\":\"GET_DASH_STREAMING_SESSION_URL\"}", KVST_ACCESS_MEDIA_READ},
        {"{\"aPIName\":\"GET_MEDIA_FOR_FRAGMENT_LIST\"}", KVST_ACCESS_MEDIA_READ},
        {"{\"aPIName\":\"GET_CLIP\"}", KVST_ACCESS_MEDIA_READ},
        {"{\"aPIName\":\"GET_IMAGES\"}", KVST_ACCESS_MEDIA_READ},
        {"{\"aPIName\":\"PUT_MEDIA\",\"streamName\":\"cam\"}", KVST_ACCESS_MEDIA_WRITE},
        {"{\"aPIName\":\"LIST_FRAGMENTS\"}", KVST_ACCESS_CONFIG_READ},
        /* near misses and other shapes: the fallback */
        {"{\"aPIName\":\"GET_MEDIA \"}", KVST_ACCESS_CONFIG_READ},
        {"{\"aPIName\":\"GET_MEDI\"}", KVST_ACCESS_CONFIG_READ},
        {"{\"aPIName\":\"get_media\"}", KVST_ACCESS_CONFIG_READ},
        {"{\"aPIName\":1}", KVST_ACCESS_CONFIG_READ},
        {"{\"aPIName\":null}", KVST_ACCESS_CONFIG_READ},
        {"{\"APIName\":\"GET_MEDIA\"}", KVST_ACCESS_CONFIG_READ},
        {"{}", KVST_ACCESS_CONFIG_READ},
        {"null", KVST_ACCESS_CONFIG_READ},
        {"[\"GET_MEDIA\"]", KVST_ACCESS_CONFIG_READ},
    };
    char rec[512];
    size_t i;
    uint32_t action, access;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(rec, sizeof rec,
                 "{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":"
                 "\"GetDataEndpoint\",\"requestParameters\":%s}",
                 cases[i].request);
        parse_one(rec, &action, &access);
        CHECK_EQ(action, KVST_ACTION_GET_DATA_ENDPOINT);
        if (access != cases[i].access)
            fprintf(stderr, "%s: access %u, expected %u\n", cases[i].request, access,
                    cases[i].access);
        CHECK_EQ(access, cases[i].access);
    }
}

static void test_none(void)
{
    uint32_t action, access;

    parse_one("{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}", &action,
              &access);
    CHECK_EQ(action, KVST_ACTION_NONE);
    CHECK_EQ(access, KVST_ACCESS_NONE);
    parse_one("{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"GetMediaX\"}",
              &action, &access);
    CHECK_EQ(action, KVST_ACTION_NONE);
    CHECK_EQ(access, KVST_ACCESS_NONE);
    /* the seed's leading space is still KVS */
    parse_one("{\"eventSource\":\" kinesisvideo.amazonaws.com\",\"eventName\":\"DeleteStream\"}",
              &action, &access);
    CHECK_EQ(action, KVST_ACTION_DELETE_STREAM);
    CHECK_EQ(access, KVST_ACCESS_DELETE);
    CHECK(kvst_access_name(KVST_ACCESS_NONE) == NULL);
    CHECK(kvst_access_name(KVST_ACCESS_DELETE + 1) == NULL);
    CHECK(kvst_access_name(0xffffffffu) == NULL);
}

int main(void)
{
    test_every_action();
    test_data_endpoint();
    test_none();
    return check_done("access");
}
