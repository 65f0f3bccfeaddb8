/*
 * A program as a kvstrail 1.0 user wrote it: built twice by tests/abi, once
 * against the 1.0 headers committed under tests/abi/v1.0/ and once against
 * the current ones, both linked to the current library. Each parses the
 * files it is given with a parser options struct of its headers' size and
 * prints every 1.0 member of every event (envelope, identity, resources,
 * typed control-plane payloads, findings), what kvst_identity_classify()
 * says for an event of its headers' size, and the same dump of a copy.
 * tests/abi/compare_consumers.py runs both and wants the same text: the
 * library serves a 1.0-sized caller as it serves a current one.
 *
 *   consumer FILE...      (exit 0; 1 on a broken promise of the ABI)
 */
#include <kvstrail/kvstrail.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textbuf.h"

#define CHUNK 4093 /* odd, so records straddle the feeds */

/* The program builds each event's text (tests/textbuf.h) to print it and
 * to compare its copy with it. */

static void out_fmt(textbuf *o, const char *fmt, unsigned long long a,
                    unsigned long long b)
{
    char tmp[160];
    int n = snprintf(tmp, sizeof tmp, fmt, a, b);
    textbuf_add(o, tmp, (size_t)n);
}

/* name=len:"bytes" with everything but printable ASCII as \xHH. */
static void put_str(textbuf *o, const char *name, kvst_str s)
{
    size_t i;
    textbuf_add(o, " ", 1);
    textbuf_add(o, name, strlen(name));
    if (s.ptr == NULL) {
        textbuf_add(o, "=absent", 7);
        return;
    }
    if (s.ptr[s.len] != '\0')
        textbuf_add(o, "=NOT-NUL-TERMINATED", 19);
    out_fmt(o, "=%llu:\"", (unsigned long long)s.len, 0);
    for (i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            textbuf_add(o, (const char *)&c, 1);
        else
            out_fmt(o, "\\x%02llx", c, 0);
    }
    textbuf_add(o, "\"", 1);
}

static void put_int(textbuf *o, const char *name, long long v)
{
    textbuf_add(o, " ", 1);
    textbuf_add(o, name, strlen(name));
    out_fmt(o, "=%lld", (unsigned long long)v, 0);
}

static void put_value(textbuf *o, const char *name, const kvst_value *v)
{
    textbuf_add(o, " ", 1);
    textbuf_add(o, name, strlen(name));
    out_fmt(o, "={state %llu json %llu", v->state, v->json_type);
    out_fmt(o, " model %llu count %llu", v->model_type, (unsigned long long)v->count);
    out_fmt(o, " i %lld}", (unsigned long long)v->i, 0);
    put_str(o, "text", v->text);
}

static void put_identity_info(textbuf *o, const kvst_identity_info *id)
{
    put_int(o, "principal", id->principal);
    put_int(o, "credential", id->credential);
    put_int(o, "root_or_iam_user", id->root_or_iam_user);
    put_int(o, "role_or_federated_temporary", id->role_or_federated_temporary);
    put_int(o, "aws_service", id->aws_service);
    put_int(o, "mfa", id->mfa);
    put_int(o, "console", id->console);
    put_int(o, "cross_account", id->cross_account);
    put_int(o, "root_access_key", id->root_access_key);
    put_int(o, "assumed_root", id->assumed_root);
    put_int(o, "imdsv1", id->imdsv1);
    put_str(o, "type", id->type);
    put_str(o, "account_id", id->account_id);
    put_str(o, "arn", id->arn);
    put_str(o, "user_name", id->user_name);
    put_str(o, "invoked_by", id->invoked_by);
    put_str(o, "issuer_type", id->issuer_type);
    put_str(o, "issuer_name", id->issuer_name);
    put_str(o, "issuer_arn", id->issuer_arn);
    put_str(o, "issuer_account_id", id->issuer_account_id);
    put_str(o, "on_behalf_of_user_id", id->on_behalf_of_user_id);
    put_str(o, "identity_store_arn", id->identity_store_arn);
    put_str(o, "other_account_id", id->other_account_id);
    textbuf_add(o, "\n", 1);
}

static void put_user_identity(textbuf *o, const kvst_user_identity *u)
{
    textbuf_add(o, "  userIdentity", 14);
    if (u == NULL) {
        textbuf_add(o, " absent\n", 8);
        return;
    }
    put_str(o, "type", u->type);
    put_str(o, "principal_id", u->principal_id);
    put_str(o, "arn", u->arn);
    put_str(o, "account_id", u->account_id);
    put_str(o, "access_key_id", u->access_key_id);
    put_str(o, "user_name", u->user_name);
    put_str(o, "invoked_by", u->invoked_by);
    put_str(o, "credential_id", u->credential_id);
    put_str(o, "identity_provider", u->identity_provider);
    if (u->session_context != NULL) {
        const kvst_session_context *c = u->session_context;
        put_str(o, "web_id_federated_provider", c->web_id_federated_provider);
        put_int(o, "web_id_attributes", (long long)c->web_id_attributes.count);
        put_str(o, "creation_date", c->creation_date);
        put_str(o, "mfa_authenticated", c->mfa_authenticated);
        put_str(o, "source_identity", c->source_identity);
        put_str(o, "ec2_role_delivery", c->ec2_role_delivery);
        put_str(o, "assumed_root", c->assumed_root);
        if (c->session_issuer != NULL) {
            put_str(o, "issuer.type", c->session_issuer->type);
            put_str(o, "issuer.principal_id", c->session_issuer->principal_id);
            put_str(o, "issuer.arn", c->session_issuer->arn);
            put_str(o, "issuer.account_id", c->session_issuer->account_id);
            put_str(o, "issuer.user_name", c->session_issuer->user_name);
        }
    }
    if (u->on_behalf_of != NULL) {
        put_str(o, "on_behalf_of.user_id", u->on_behalf_of->user_id);
        put_str(o, "on_behalf_of.identity_store_arn",
                u->on_behalf_of->identity_store_arn);
    }
    if (u->in_scope_of != NULL) {
        put_str(o, "in_scope_of.issuer_type", u->in_scope_of->issuer_type);
        put_str(o, "in_scope_of.credentials_issued_to",
                u->in_scope_of->credentials_issued_to);
        put_str(o, "in_scope_of.source_arn", u->in_scope_of->source_arn);
        put_str(o, "in_scope_of.source_account", u->in_scope_of->source_account);
    }
    textbuf_add(o, "\n", 1);
}

/* The typed payloads of a few 1.0 actions, through the 1.0 structs. */
static void put_payload(textbuf *o, const kvst_event *ev)
{
    textbuf_add(o, "  payload", 9);
    switch (ev->action) {
    case KVST_ACTION_CREATE_STREAM:
        if (ev->request != NULL) {
            const kvst_kvs_create_stream_input *in = ev->request;
            put_value(o, "streamName", &in->stream_name);
            put_value(o, "mediaType", &in->media_type);
            put_value(o, "dataRetentionInHours", &in->data_retention_in_hours);
            put_value(o, "tags", &in->tags);
        }
        break;
    case KVST_ACTION_DESCRIBE_STREAM:
        if (ev->response != NULL) {
            const kvst_kvs_describe_stream_output *r = ev->response;
            const kvst_kvs_stream_info *si = r->stream_info.object;
            if (si != NULL) {
                put_value(o, "streamARN", &si->stream_arn);
                put_value(o, "status", &si->status);
                put_value(o, "creationTime", &si->creation_time);
            }
        }
        break;
    case KVST_ACTION_GET_DATA_ENDPOINT:
        if (ev->request != NULL) {
            const kvst_kvs_get_data_endpoint_input *in = ev->request;
            put_value(o, "streamName", &in->stream_name);
            put_value(o, "aPIName", &in->api_name);
        }
        if (ev->response != NULL) {
            const kvst_kvs_get_data_endpoint_output *r = ev->response;
            put_value(o, "dataEndpoint", &r->data_endpoint);
        }
        break;
    case KVST_ACTION_LIST_STREAMS:
        if (ev->response != NULL) {
            const kvst_kvs_list_streams_output *r = ev->response;
            put_value(o, "streamInfoList", &r->stream_info_list);
        }
        break;
    default:
        /* Actions this program does not know (1.1 added 33..46) are
         * reachable by lookup, as a 1.0 program would read them. */
        out_fmt(o, " request %llu response %llu",
                (unsigned long long)(ev->request != NULL),
                (unsigned long long)(ev->response != NULL));
        break;
    }
    {
        kvst_value v;
        int rc = kvst_event_lookup(ev, "/requestParameters/streamName", &v);
        put_int(o, "lookup", rc);
        if (rc == 0)
            put_value(o, "streamName", &v);
    }
    textbuf_add(o, "\n", 1);
}

static void put_event(textbuf *o, const kvst_event *ev)
{
    size_t i;
    out_fmt(o, "event %llu status %lld", (unsigned long long)ev->record_index,
            (unsigned long long)(long long)ev->status);
    out_fmt(o, " action %llu container %llu", ev->action, ev->container);
    out_fmt(o, " offset %llu length %llu", (unsigned long long)ev->offset,
            (unsigned long long)ev->length);
    out_fmt(o, " line %llu column %llu", (unsigned long long)ev->line,
            (unsigned long long)ev->column);
    {
        kvst_str name;
        name.ptr = kvst_action_name(ev->action);
        name.len = name.ptr != NULL ? strlen(name.ptr) : 0;
        put_str(o, "action_name", name);
    }
    put_int(o, "raw_len", (long long)ev->raw.len);
    textbuf_add(o, "\n ", 2);
    put_str(o, "eventVersion", ev->event_version);
    put_int(o, "major", ev->event_version_major);
    put_int(o, "minor", ev->event_version_minor);
    put_str(o, "eventTime", ev->event_time);
    put_int(o, "ms", ev->event_time_ms);
    put_int(o, "valid", ev->event_time_valid);
    put_int(o, "readOnly", ev->read_only);
    put_int(o, "managementEvent", ev->management_event);
    put_int(o, "fromConsole", ev->session_credential_from_console);
    put_str(o, "eventSource", ev->event_source);
    put_str(o, "eventName", ev->event_name);
    put_str(o, "awsRegion", ev->aws_region);
    put_str(o, "sourceIPAddress", ev->source_ip_address);
    put_str(o, "userAgent", ev->user_agent);
    put_str(o, "errorCode", ev->error_code);
    put_str(o, "errorMessage", ev->error_message);
    put_str(o, "requestID", ev->request_id);
    put_str(o, "eventID", ev->event_id);
    put_str(o, "eventType", ev->event_type);
    put_str(o, "apiVersion", ev->api_version);
    put_str(o, "recipientAccountId", ev->recipient_account_id);
    put_str(o, "sharedEventID", ev->shared_event_id);
    put_str(o, "eventCategory", ev->event_category);
    put_str(o, "vpcEndpointId", ev->vpc_endpoint_id);
    put_str(o, "vpcEndpointAccountId", ev->vpc_endpoint_account_id);
    textbuf_add(o, "\n", 1);
    put_user_identity(o, ev->user_identity);
    for (i = 0; i < ev->resource_count; i++) {
        textbuf_add(o, "  resource", 10);
        put_str(o, "arn", ev->resources[i]->arn);
        put_str(o, "account_id", ev->resources[i]->account_id);
        put_str(o, "type", ev->resources[i]->type);
        textbuf_add(o, "\n", 1);
    }
    if (ev->tls_details != NULL) {
        textbuf_add(o, "  tls", 5);
        put_str(o, "version", ev->tls_details->tls_version);
        put_str(o, "cipher", ev->tls_details->cipher_suite);
        put_str(o, "host", ev->tls_details->client_provided_host_header);
        textbuf_add(o, "\n", 1);
    }
    if (ev->addendum != NULL) {
        textbuf_add(o, "  addendum", 10);
        put_str(o, "reason", ev->addendum->reason);
        put_str(o, "updated_fields", ev->addendum->updated_fields);
        put_str(o, "original_request_id", ev->addendum->original_request_id);
        put_str(o, "original_event_id", ev->addendum->original_event_id);
        textbuf_add(o, "\n", 1);
    }
    out_fmt(o, "  states %llu %llu", ev->request_state, ev->response_state);
    textbuf_add(o, "\n", 1);
    put_payload(o, ev);
    if (ev->identity != NULL) {
        textbuf_add(o, "  identity", 10);
        put_identity_info(o, ev->identity);
    }
    for (i = 0; i < ev->finding_count; i++) {
        const kvst_finding *f = ev->findings[i];
        out_fmt(o, "  finding %llu severity %llu", f->code, f->severity);
        textbuf_add(o, " ", 1);
        textbuf_add(o, kvst_finding_name(f->code), strlen(kvst_finding_name(f->code)));
        out_fmt(o, " line %llu column %llu", (unsigned long long)f->line,
                (unsigned long long)f->column);
        out_fmt(o, " offset %llu record %llu", (unsigned long long)f->offset,
                (unsigned long long)f->record_index);
        put_str(o, "pointer", f->pointer);
        put_str(o, "message", f->message);
        textbuf_add(o, "\n", 1);
    }
    if (ev->error != NULL) {
        out_fmt(o, "  error %lld line %llu", (unsigned long long)(long long)ev->error->code,
                (unsigned long long)ev->error->line);
        put_str(o, "message", ev->error->message);
        textbuf_add(o, "\n", 1);
    }
}

struct run {
    int broken_promises;
};

static void broken(struct run *r, const kvst_event *ev, const char *what)
{
    fprintf(stderr, "consumer: record %llu: %s\n",
            (unsigned long long)ev->record_index, what);
    r->broken_promises++;
}

static int on_event(const kvst_event *ev, void *payload)
{
    struct run *r = payload;
    textbuf text = { NULL, 0, 0 }, copied = { NULL, 0, 0 };
    kvst_event *copy = NULL;

    if (ev->struct_size < sizeof(kvst_event))
        broken(r, ev, "the event is smaller than these headers' kvst_event");
    put_event(&text, ev);

    /* kvst_identity_classify() with a context of this program's size: a
     * 1.0 program can only build a 1.0-sized event. */
    if (ev->status == 0 && ev->user_identity != NULL) {
        kvst_event ctx;
        kvst_identity_info info;
        int rc;
        memcpy(&ctx, ev, sizeof ctx);
        ctx.struct_size = sizeof ctx;
        memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        rc = kvst_identity_classify(ev->user_identity, &ctx, &info);
        out_fmt(&text, "  classify %lld", (unsigned long long)(long long)rc, 0);
        if (rc == 0)
            put_identity_info(&text, &info);
        else
            textbuf_add(&text, "\n", 1);
        if (rc == 0 && ev->identity != NULL &&
            (info.principal != ev->identity->principal ||
             info.credential != ev->identity->credential ||
             info.cross_account != ev->identity->cross_account ||
             info.console != ev->identity->console))
            broken(r, ev, "kvst_identity_classify disagrees with the event's identity");
    }

    if (kvst_event_copy(ev, &copy) != 0) {
        broken(r, ev, "kvst_event_copy failed");
    } else {
        put_event(&copied, copy);
        if (copied.len == 0 || copied.len > text.len ||
            memcmp(text.data, copied.data, copied.len) != 0)
            broken(r, ev, "the copy does not read as the event");
        kvst_event_free(copy);
    }
    fwrite(text.data, 1, text.len, stdout);
    free(text.data);
    free(copied.data);
    return 0;
}

static int parse_file(const char *path, struct run *r)
{
    kvst_parser_options opts = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    const kvst_error *e;
    char buf[CHUNK];
    size_t n;
    int rc;
    uint64_t records = 0, bytes_in = 0, bytes_json = 0;
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        fprintf(stderr, "consumer: cannot open %s\n", path);
        return 1;
    }
    /* The options as this program knows them, both ways of making them. */
    if (kvst_parser_options_init(&opts, sizeof opts) != 0 ||
        opts.struct_size != sizeof opts) {
        fprintf(stderr, "consumer: kvst_parser_options_init refused %lu bytes\n",
                (unsigned long)sizeof opts);
        fclose(f);
        return 1;
    }
    opts.flags = KVST_FLAG_KEEP_RAW | KVST_FLAG_RECOVER;
    opts.on_event = on_event;
    opts.payload = r;
    rc = kvst_parser_new(&opts, &p);
    if (rc != 0) {
        fprintf(stderr, "consumer: kvst_parser_new: %s\n", kvst_strerror(rc));
        fclose(f);
        return 1;
    }
    printf("file %s\n", strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path);
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0)
        rc = kvst_parser_feed(p, buf, n);
    if (rc == 0)
        rc = kvst_parser_finish(p);
    e = kvst_parser_error(p);
    kvst_parser_stats(p, &records, &bytes_in, &bytes_json);
    printf("end %d %s error %d line %llu column %llu records %llu in %llu json %llu\n",
           rc, kvst_status_name(rc), e->code, (unsigned long long)e->line,
           (unsigned long long)e->column, (unsigned long long)records,
           (unsigned long long)bytes_in, (unsigned long long)bytes_json);
    kvst_parser_free(p);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    struct run r = { 0 };
    int i;
    /* Which headers: the only line the two builds print differently. */
    fprintf(stderr, "consumer: headers %s, library %s, options %lu bytes, "
            "event %lu bytes\n", KVST_VERSION_STRING, kvst_version_string(),
            (unsigned long)sizeof(kvst_parser_options),
            (unsigned long)sizeof(kvst_event));
    for (i = 1; i < argc; i++)
        if (parse_file(argv[i], &r) != 0)
            return 1;
    return r.broken_promises == 0 ? 0 : 1;
}
