/*
 * Stage 5c: run the identity classifier and every validator on one record.
 * Findings name the offending value by JSON pointer within the record; the
 * event builder turns pointers into offsets, lines and columns.
 *
 * Envelope and identity rules run on every record; KVS member rules walk
 * the typed request and response through the schema tables when the record
 * is a KVS call. Unknown members and wrongly typed envelope fields are
 * reported by the stages that see the raw JSON (action_map.c, envelope.c).
 */
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "findings.h"
#include "schema.h"
#include "validate_internal.h"

/* Longest JSON pointer built; a deeper value is reported at its parent. */
#define POINTER_MAX 512
/* The deepest path a finding's pointer names: the members the validators
 * walk nest as the models' shapes do (a few levels), far less than this. */
#define PATH_STEPS 64
/* Longest excerpt of a value quoted in a message. */
#define QUOTE_MAX 96

static int sink_add(kvst_finding_sink *sink, uint32_t code, uint32_t severity,
                    const char *pointer, size_t pointer_len, const char *fmt,
                    ...) KVST_PRINTF(6, 7);

static int sink_add(kvst_finding_sink *sink, uint32_t code, uint32_t severity,
                    const char *pointer, size_t pointer_len, const char *fmt,
                    ...)
{
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = sink->add(sink, code, severity, pointer, pointer_len, fmt, ap);
    va_end(ap);
    return rc;
}

/* A finding of code's default severity (kvst_finding_severity), placed
 * at 1 + tape node at (0: where pointer leads). */
static int finding_v(kvst_finding_sink *sink, uint32_t at, uint32_t code, const char *pointer,
                     const char *fmt, va_list ap)
{
    int rc;

    if (!pointer)
        pointer = "";
    sink->at = at;
    rc = sink->add(sink, code, kvst_finding_severity(code), pointer, strlen(pointer), fmt, ap);
    sink->at = 0;
    return rc;
}

int kvst__finding(kvst_finding_sink *sink, uint32_t code, const char *pointer,
                  const char *fmt, ...)
{
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = finding_v(sink, 0, code, pointer, fmt, ap);
    va_end(ap);
    return rc;
}

int kvst__finding_at(kvst_finding_sink *sink, uint32_t node, uint32_t code, const char *pointer,
                     const char *fmt, ...)
{
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = finding_v(sink, node + 1, code, pointer, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- The walk state -------------------------------------------------------- */

typedef struct walker {
    kvst_finding_sink *sink;
    const kvst_event *ev;
    const kvst_identity_info *info;
    int rc;               /* first error of the sink; stops the walk */
    int request;          /* walking requestParameters */
    int data_event;       /* managementEvent false or eventCategory Data */
    kvst_str home_account; /* the account a KVS ARN is expected in */
    /* The path to the value being checked, as a stack of steps: made a
     * JSON pointer (ptr_text) only for a finding. Deeper than the models
     * nest, steps are counted but not kept. */
    struct ptr_step {
        const char *seg; /* NULL: an index (len) */
        size_t len;      /* SIZE_MAX: seg is a C string */
    } steps[PATH_STEPS];
    size_t depth;
} walker;

/* Enter a member (seg) of the value; returns the depth to restore. */
static size_t ptr_push(walker *w, const char *seg, size_t len)
{
    size_t saved = w->depth;

    if (saved < PATH_STEPS) {
        w->steps[saved].seg = seg;
        w->steps[saved].len = len;
    }
    w->depth = saved + 1;
    return saved;
}

static size_t ptr_push_cstr(walker *w, const char *seg)
{
    return ptr_push(w, seg, SIZE_MAX);
}

static size_t ptr_push_index(walker *w, size_t index)
{
    return ptr_push(w, NULL, index);
}

static void ptr_pop(walker *w, size_t saved)
{
    w->depth = saved;
}

/* The JSON pointer of the path (RFC 6901): a step that does not fit
 * leaves it at the parent. Its length. */
static size_t ptr_text(const walker *w, char *out, size_t cap)
{
    size_t i, n = 0;

    out[0] = '\0';
    for (i = 0; i < w->depth && i < PATH_STEPS; i++) {
        const struct ptr_step *st = &w->steps[i];
        if (!st->seg)
            n = kvst__ptr_push_index(out, cap, n, st->len);
        else
            n = kvst__ptr_push(out, cap, n, st->seg,
                               st->len == SIZE_MAX ? strlen(st->seg) : st->len);
    }
    return n;
}

/* Length of a quoted excerpt of s: at most QUOTE_MAX bytes, cut on a UTF-8
 * character boundary (kvst__text_cut). *more is set when the value was cut. */
static int quote_len(const char *s, size_t len, int *more)
{
    size_t n;
    *more = 0;
    if (!s)
        return 0;
    n = kvst__text_cut(s, len, QUOTE_MAX);
    *more = n < len;
    return (int)n;
}

/* Report at the current pointer. Request findings of a failed call are
 * only info: AWS rejected the call, so the bad value is the evidence of
 * why, not a malformed record. */
static void report(walker *w, uint32_t code, const char *fmt, ...)
    KVST_PRINTF(3, 4);

static void report(walker *w, uint32_t code, const char *fmt, ...)
{
    char msg[512], ptr[POINTER_MAX];
    uint32_t severity = kvst_finding_severity(code);
    const kvst_str *err = &w->ev->error_code;
    size_t ptr_len;
    va_list ap;
    if (w->rc)
        return;
    va_start(ap, fmt);
    kvst__text_vprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ptr_len = ptr_text(w, ptr, sizeof ptr);
    if (w->request && err->ptr && err->len > 0 &&
        severity > KVST_SEVERITY_INFO) {
        int more;
        int n = quote_len(err->ptr, err->len, &more);
        severity = KVST_SEVERITY_INFO;
        w->rc = sink_add(w->sink, code, severity, ptr, ptr_len,
                         "%s (the call failed with %.*s%s)", msg, n, err->ptr,
                         more ? "..." : "");
        return;
    }
    w->rc = sink_add(w->sink, code, severity, ptr, ptr_len, "%s", msg);
}

/* "name 'value' does not match EXPECT" for a string value. */
static void report_value(walker *w, uint32_t code, const char *name,
                         kvst_str v)
{
    int more;
    int n = quote_len(v.ptr, v.len, &more);
    report(w, code, "%s '%.*s%s' does not match %s", name, n,
           v.ptr ? v.ptr : "", more ? "..." : "", kvst__finding_expect(code));
}

static int present(kvst_str v) { return v.ptr != NULL; }

static int str_is(kvst_str v, const char *lit)
{
    return v.ptr && strlen(lit) == v.len && memcmp(v.ptr, lit, v.len) == 0;
}

/* ---- KVS members --------------------------------------------------------- */

/* A tighter bound than the model's, where the KVS documentation gives one
 * the model leaves out. */
typedef struct range_override {
    const char *shape;
    int64_t max;
} range_override;

static const range_override range_overrides[] = {
    { "DataRetentionInHours", 87600 }, /* ten years: CreateStream docs */
};

/* Members whose rule is a dedicated public validator rather than a pattern
 * class alone; the validator's finding code names the rule. */
static uint32_t dedicated_check(const kvst_shape *shape, kvst_str s)
{
    if (shape->name[0] == 'K' && strcmp(shape->name, "KmsKeyId") == 0)
        return kvst_validate_kms_key_id(s.ptr, s.len);
    return kvst__pattern_check(shape->pattern, s.ptr, s.len);
}

static const char *json_type_name(uint32_t t)
{
    static const char *const names[] = {
        "nothing", "null", "a boolean", "an integer", "a number",
        "a string", "an object", "an array",
    };
    return t < sizeof names / sizeof names[0] ? names[t] : "a value";
}

static const char *model_type_name(uint32_t t)
{
    static const char *const names[] = {
        "any", "a string", "an integer", "a long", "a boolean", "a number",
        "a timestamp", "an object", "a list", "a map",
    };
    return t < sizeof names / sizeof names[0] ? names[t] : "a value";
}

static int names_resource_by_arn(const char *member);

/* Where a KVS ARN points: creation time and account. The account of a data
 * event's request ARN is check_resources()'s warning instead. */
static void check_arn_details(walker *w, const char *name, kvst_str s)
{
    kvst_arn arn;
    if (kvst_validate_resource_arn(s.ptr, s.len, &arn) != 0)
        return;
    if (arn.creation_time >= 0 && arn.creation_time < KVST__KVS_LAUNCH_MS)
        report(w, KVST_F_ARN_CREATION_EARLY,
               "%s creation time %.*s (epoch ms) is before KVS launched "
               "(2017-11-29)", name, (int)arn.creation.len, arn.creation.ptr);
    if (present(w->home_account) && w->home_account.len > 0 &&
        !(w->data_event && w->request && names_resource_by_arn(name)) &&
        (arn.account.len != w->home_account.len ||
         memcmp(arn.account.ptr, w->home_account.ptr, arn.account.len) != 0))
        report(w, KVST_F_ARN_OTHER_ACCOUNT,
               "%s is in account %.*s, the record's account is %.*s", name,
               (int)arn.account.len, arn.account.ptr,
               (int)w->home_account.len, w->home_account.ptr);
}

/* "1..256", "0.." for a shape's min..max. */
static void range_text(char *buf, size_t cap, const kvst_shape *shape)
{
    if (shape->has_max)
        snprintf(buf, cap, "%lld..%lld",
                 (long long)(shape->has_min ? shape->min : 0),
                 (long long)shape->max);
    else
        snprintf(buf, cap, "%lld..",
                 (long long)(shape->has_min ? shape->min : 0));
}

static void check_string(walker *w, const kvst_shape *shape, const char *name,
                         kvst_str s)
{
    size_t chars;
    uint32_t code;
    (void)kvst__utf8_length(s.ptr, s.len, &chars);
    if ((shape->has_min && (int64_t)chars < shape->min) ||
        (shape->has_max && (int64_t)chars > shape->max)) {
        int more;
        int n = quote_len(s.ptr, s.len, &more);
        char range[48];
        range_text(range, sizeof range, shape);
        report(w, KVST_F_MEMBER_LENGTH,
               "%s '%.*s%s' has %lu characters, the model allows %s", name, n,
               s.ptr ? s.ptr : "", more ? "..." : "", (unsigned long)chars,
               range);
        return;
    }
    code = dedicated_check(shape, s);
    if (code) {
        report_value(w, code, name, s);
        return;
    }
    if (shape->enum_count > 0) {
        uint32_t i;
        for (i = 0; i < shape->enum_count; i++)
            if (str_is(s, shape->enum_values[i]))
                break;
        if (i == shape->enum_count) {
            int more;
            int n = quote_len(s.ptr, s.len, &more);
            report(w, KVST_F_MEMBER_ENUM,
                   "%s '%.*s%s' is not one of the %lu values of %s", name, n,
                   s.ptr ? s.ptr : "", more ? "..." : "",
                   (unsigned long)shape->enum_count, shape->name);
        }
    }
    if (kvst__pattern_is_kvs_arn(shape->pattern))
        check_arn_details(w, name, s);
}

static void check_number(walker *w, const kvst_shape *shape, const char *name,
                         const kvst_value *v)
{
    int has_max = (int)shape->has_max;
    int64_t max = shape->max;
    size_t i;
    for (i = 0; i < sizeof range_overrides / sizeof range_overrides[0]; i++) {
        if (shape->name[0] == range_overrides[i].shape[0] &&
            strcmp(shape->name, range_overrides[i].shape) == 0 &&
            (!has_max || range_overrides[i].max < max)) {
            has_max = 1;
            max = range_overrides[i].max;
        }
    }
    if (shape->type == KVST_TYPE_DOUBLE) {
        if ((shape->has_min && v->d < (double)shape->min) ||
            (has_max && v->d > (double)max))
            report(w, KVST_F_MEMBER_RANGE, "%s %.*s is outside %ld..%ld",
                   name, (int)v->text.len, v->text.ptr,
                   (long)(shape->has_min ? shape->min : 0), (long)max);
        return;
    }
    if (shape->has_min && v->i < shape->min)
        report(w, KVST_F_MEMBER_RANGE, "%s %lld is below the minimum %lld",
               name, (long long)v->i, (long long)shape->min);
    else if (has_max && v->i > max)
        report(w, KVST_F_MEMBER_RANGE, "%s %lld is above the maximum %lld",
               name, (long long)v->i, (long long)max);
}

static void check_struct(walker *w, const kvst_shape *shape, const void *base,
                         int depth);

/* name then suffix into buf (cap > 0 bytes), cut as snprintf("%s%s")
 * would cut them: the names of a map's keys and values, built for each
 * entry and read only by a finding. */
static void name_with(char *buf, size_t cap, const char *name, const char *suffix)
{
    size_t a = strlen(name), b = strlen(suffix);

    if (a > cap - 1)
        a = cap - 1;
    if (b > cap - 1 - a)
        b = cap - 1 - a;
    memcpy(buf, name, a);
    memcpy(buf + a, suffix, b);
    buf[a + b] = '\0';
}

static void check_value(walker *w, const kvst_shape *shape, const char *name,
                        const kvst_value *v, int depth)
{
    size_t i;
    if (!shape || w->rc || depth > 32)
        return;
    if (v->state == KVST_VALUE_MISTYPED) {
        int more;
        int n = quote_len(v->text.ptr, v->text.len, &more);
        report(w, KVST_F_MEMBER_TYPE, "%s '%.*s%s' is %s, the model wants %s",
               name, n, v->text.ptr ? v->text.ptr : "", more ? "..." : "",
               json_type_name(v->json_type), model_type_name(shape->type));
        return;
    }
    if (v->state != KVST_VALUE_OK)
        return;
    switch (shape->type) {
    case KVST_TYPE_STRING:
        check_string(w, shape, name, v->text);
        break;
    case KVST_TYPE_INTEGER:
    case KVST_TYPE_LONG:
    case KVST_TYPE_DOUBLE:
        check_number(w, shape, name, v);
        break;
    case KVST_TYPE_STRUCTURE:
        check_struct(w, shape, v->object, depth + 1);
        break;
    case KVST_TYPE_LIST:
    case KVST_TYPE_MAP:
        if ((shape->has_min && (int64_t)v->count < shape->min) ||
            (shape->has_max && (int64_t)v->count > shape->max)) {
            char range[48];
            range_text(range, sizeof range, shape);
            report(w, KVST_F_MEMBER_COUNT,
                   "%s has %lu entries, the model allows %s", name,
                   (unsigned long)v->count, range);
        }
        for (i = 0; i < v->count && v->items && !w->rc; i++) {
            size_t saved;
            if (shape->type == KVST_TYPE_MAP && v->keys) {
                char key_name[80], value_name[80];
                name_with(key_name, sizeof key_name, name, " key");
                name_with(value_name, sizeof value_name, name, " value");
                saved = ptr_push(w, v->keys[i].ptr, v->keys[i].len);
                /* The key is judged at the entry it names. */
                if (shape->key && shape->key->type == KVST_TYPE_STRING)
                    check_string(w, shape->key, key_name, v->keys[i]);
                check_value(w, shape->item, value_name, &v->items[i],
                            depth + 1);
            } else {
                saved = ptr_push_index(w, i);
                check_value(w, shape->item, name, &v->items[i], depth + 1);
            }
            ptr_pop(w, saved);
        }
        break;
    default:
        break;
    }
}

static const kvst_value *member_value(const void *base,
                                      const kvst_member_def *m)
{
    return (const kvst_value *)((const char *)base + m->offset);
}

static int member_given(const kvst_value *v)
{
    return v->state == KVST_VALUE_OK || v->state == KVST_VALUE_MISTYPED;
}

static void check_struct(walker *w, const kvst_shape *shape, const void *base,
                         int depth)
{
    uint32_t i;
    int stream_id = 0;
    if (!shape || !base || shape->type != KVST_TYPE_STRUCTURE)
        return;
    for (i = 0; i < shape->member_count && !w->rc; i++) {
        const kvst_member_def *m = &shape->members[i];
        const kvst_value *v = member_value(base, m);
        size_t saved;
        if ((m->json_name_len == 10 && memcmp(m->json_name, "streamName", 10) == 0) ||
            (m->json_name_len == 9 && memcmp(m->json_name, "streamARN", 9) == 0))
            stream_id |= member_given(v);
        /* CloudTrail leaves parts of responses out: only requests must
         * carry what the model requires. */
        if (m->required && w->request && !member_given(v)) {
            report(w, KVST_F_MEMBER_REQUIRED,
                   "required member %s of %s is missing", m->json_name,
                   shape->name);
            continue;
        }
        saved = ptr_push(w, m->json_name, m->json_name_len);
        check_value(w, m->shape, m->json_name, v, depth);
        ptr_pop(w, saved);
    }
    if (shape->stream_id_rule && w->request && !stream_id)
        report(w, KVST_F_STREAM_ID_MISSING,
               "%s needs streamName or streamARN; neither is present",
               shape->name);
}

/* ---- Data events: the request and "resources" name the same thing ------ */

/* Request members that name a KVS resource, and the resource type whose
 * entries of "resources" they must match (by ARN, or by the name in it). */
static const struct {
    const char *member;
    const char *type;
    int by_name;
} resource_members[] = {
    {"streamARN", "AWS::KinesisVideo::Stream", 0},
    {"streamName", "AWS::KinesisVideo::Stream", 1},
    {"channelARN", "AWS::KinesisVideo::SignalingChannel", 0},
    {"channelArn", "AWS::KinesisVideo::SignalingChannel", 0},
};

static int str_eq(kvst_str a, kvst_str b)
{
    return a.ptr && b.ptr && a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

static int names_resource_by_arn(const char *member)
{
    size_t i;
    for (i = 0; i < sizeof resource_members / sizeof resource_members[0]; i++)
        if (!resource_members[i].by_name && strcmp(resource_members[i].member, member) == 0)
            return 1;
    return 0;
}

/* A data event's KVS ARN in another account than recipientAccountId, the
 * account whose trail holds the record: KVS has no resource policies, so a
 * call on a resource is made in (a role of) its own account. member is
 * the request member that names the ARN, or NULL for the ARN of
 * resources[index] (its name is written only for a finding). Returns 1
 * when it reported. */
static int check_arn_account(walker *w, kvst_str value, const char *member, size_t index)
{
    const kvst_event *ev = w->ev;
    kvst_arn arn;
    char res_name[48];
    const char *at = member;
    int n, more;

    if (!w->data_event || !present(ev->recipient_account_id) ||
        ev->recipient_account_id.len == 0 ||
        kvst_validate_resource_arn(value.ptr, value.len, &arn) != 0 ||
        str_eq(arn.account, ev->recipient_account_id))
        return 0;
    if (!at) {
        snprintf(res_name, sizeof res_name, "resources[%lu].ARN", (unsigned long)index);
        at = res_name;
    }
    n = quote_len(value.ptr, value.len, &more);
    report(w, KVST_F_RESOURCE_MISMATCH,
           "%s '%.*s%s' is in account %.*s, not the record's recipientAccountId %.*s", at, n,
           value.ptr, more ? "..." : "", (int)arn.account.len, arn.account.ptr,
           (int)ev->recipient_account_id.len, ev->recipient_account_id.ptr);
    return 1;
}

/* 1 when a resource of that type matches v, 0 when none does but the
 * record has one of that type or of the other KVS type (a stream named
 * where only a channel is listed), -1 when it has no KVS resource. */
static int resource_matches(const kvst_event *ev, const char *type, int by_name, kvst_str v)
{
    static const char kvs_type[] = "AWS::KinesisVideo::";
    size_t i;
    int seen = 0;

    for (i = 0; i < ev->resource_count && ev->resources; i++) {
        const kvst_resource *r = ev->resources[i];
        kvst_arn arn;

        if (!r || !present(r->arn))
            continue;
        if (!str_is(r->type, type)) {
            if (r->type.ptr && r->type.len >= sizeof kvs_type - 1 &&
                memcmp(r->type.ptr, kvs_type, sizeof kvs_type - 1) == 0)
                seen = 1;
            continue;
        }
        seen = 1;
        if (!by_name ? str_eq(r->arn, v)
                     : kvst_validate_resource_arn(r->arn.ptr, r->arn.len, &arn) == 0 &&
                           str_eq(arn.name, v))
            return 1;
    }
    return seen ? 0 : -1;
}

static void check_resources(walker *w, const kvst_operation_def *op)
{
    const kvst_event *ev = w->ev;
    size_t i, saved;
    int request_arn = 0; /* the request names its resource by ARN */

    for (i = 0; ev->request && ev->request_state == KVST_VALUE_OK &&
                i < sizeof resource_members / sizeof resource_members[0];
         i++) {
        const char *name = resource_members[i].member;
        const kvst_member_def *m = kvst__member_find(op->input, name, strlen(name));
        const kvst_value *v = m ? member_value(ev->request, m) : NULL;
        int more, n;

        if (!v || v->state != KVST_VALUE_OK || v->model_type != KVST_TYPE_STRING)
            continue;
        saved = ptr_push_cstr(w, "requestParameters");
        ptr_push(w, m->json_name, m->json_name_len);
        if (!resource_members[i].by_name)
            request_arn = 1;
        if (resource_matches(ev, resource_members[i].type, resource_members[i].by_name,
                             v->text) == 0) {
            n = quote_len(v->text.ptr, v->text.len, &more);
            report(w, KVST_F_RESOURCE_MISMATCH,
                   "%s '%.*s%s' names no %s of the record's resources", name, n, v->text.ptr,
                   more ? "..." : "", resource_members[i].type);
        } else if (!resource_members[i].by_name) {
            check_arn_account(w, v->text, name, 0);
        }
        ptr_pop(w, saved);
    }
    for (i = 0; i < ev->resource_count && ev->resources; i++) {
        const kvst_resource *r = ev->resources[i];
        kvst_arn arn;

        if (!r || !present(r->arn))
            continue;
        if (!request_arn && (str_is(r->type, "AWS::KinesisVideo::Stream") ||
                             str_is(r->type, "AWS::KinesisVideo::SignalingChannel"))) {
            /* A request by name: the resource's ARN says the account. */
            saved = ptr_push_cstr(w, "resources");
            ptr_push_index(w, i);
            ptr_push_cstr(w, "ARN");
            check_arn_account(w, r->arn, NULL, i);
            ptr_pop(w, saved);
        }
        if (!present(r->account_id) ||
            kvst_validate_resource_arn(r->arn.ptr, r->arn.len, &arn) != 0 ||
            str_eq(arn.account, r->account_id))
            continue;
        saved = ptr_push_cstr(w, "resources");
        ptr_push_index(w, i);
        ptr_push_cstr(w, "accountId");
        report(w, KVST_F_RESOURCE_MISMATCH, "resources[%lu].accountId '%.*s' is not the account of its ARN (%.*s)",
               (unsigned long)i, (int)r->account_id.len, r->account_id.ptr, (int)arn.account.len,
               arn.account.ptr);
        ptr_pop(w, saved);
    }
}

static void check_payload(walker *w, const kvst_operation_def *op)
{
    const kvst_event *ev = w->ev;
    size_t saved;

    w->request = 1;
    saved = ptr_push_cstr(w, "requestParameters");
    if (ev->request && ev->request_state == KVST_VALUE_OK) {
        check_struct(w, op->input, ev->request, 0);
    } else if (ev->request_state != KVST_VALUE_MISTYPED && op->input) {
        /* No requestParameters object: name the first required member (or
         * the stream rule) the call cannot have done without. */
        uint32_t i;
        for (i = 0; i < op->input->member_count; i++)
            if (op->input->members[i].required)
                break;
        if (i < op->input->member_count)
            report(w, KVST_F_MEMBER_REQUIRED,
                   "%s has no requestParameters; %s requires %s", op->name,
                   op->name, op->input->members[i].json_name);
        else if (op->input->stream_id_rule)
            report(w, KVST_F_STREAM_ID_MISSING,
                   "%s has no requestParameters; it needs streamName or "
                   "streamARN", op->name);
    }
    ptr_pop(w, saved);
    check_resources(w, op);

    w->request = 0;
    saved = ptr_push_cstr(w, "responseElements");
    if (ev->response && ev->response_state == KVST_VALUE_OK)
        check_struct(w, op->output, ev->response, 0);
    ptr_pop(w, saved);
}

/* ---- Envelope ---------------------------------------------------------- */

/* A field the record should have, with the eventVersion that introduced
 * it. core: missing is a warning (REQUIRED_FIELD_MISSING); otherwise an
 * info (VERSION_FIELD_MISSING). insight: Insight events carry it too. */
typedef struct envelope_field {
    const char *name;
    size_t offset;     /* kvst_str member, or a KVST_BOOL_* int32_t */
    int is_bool;
    int32_t since_minor; /* 1.x */
    int core;
    int insight;
} envelope_field;

#define STR_FIELD(n, m, since, core, insight) \
    { n, offsetof(kvst_event, m), 0, since, core, insight }
#define BOOL_FIELD(n, m, since, core, insight) \
    { n, offsetof(kvst_event, m), 1, since, core, insight }

/* CloudTrail record contents (management, data and network activity
 * events), "Since" of each field. */
static const envelope_field envelope_fields[] = {
    STR_FIELD("eventVersion", event_version, 0, 1, 1),
    STR_FIELD("eventTime", event_time, 0, 1, 1),
    STR_FIELD("eventSource", event_source, 0, 1, 0),
    STR_FIELD("eventName", event_name, 0, 1, 0),
    STR_FIELD("awsRegion", aws_region, 0, 1, 1),
    STR_FIELD("sourceIPAddress", source_ip_address, 0, 1, 0),
    STR_FIELD("eventID", event_id, 1, 1, 1),
    STR_FIELD("requestID", request_id, 1, 0, 0),
    BOOL_FIELD("readOnly", read_only, 1, 0, 0),
    STR_FIELD("eventType", event_type, 2, 0, 1),
    STR_FIELD("recipientAccountId", recipient_account_id, 2, 0, 1),
    BOOL_FIELD("managementEvent", management_event, 6, 0, 0),
    STR_FIELD("eventCategory", event_category, 7, 0, 1),
};

static void check_presence(walker *w, int insight)
{
    const kvst_event *ev = w->ev;
    /* the envelope parsed eventVersion already (-1 when it could not) */
    int32_t major = ev->event_version.ptr ? ev->event_version_major : -1;
    int32_t minor = ev->event_version.ptr ? ev->event_version_minor : -1;
    size_t i;
    for (i = 0; i < sizeof envelope_fields / sizeof envelope_fields[0]; i++) {
        const envelope_field *f = &envelope_fields[i];
        const char *at = (const char *)ev + f->offset;
        int has = f->is_bool ? *(const int32_t *)at != KVST_BOOL_ABSENT
                             : ((const kvst_str *)at)->ptr != NULL;
        if (has || (insight && !f->insight))
            continue;
        if (f->since_minor > 0 && (major != 1 || minor < f->since_minor))
            continue; /* the record's version predates the field */
        if (f->core)
            report(w, KVST_F_REQUIRED_FIELD_MISSING,
                   "%s is missing (or null, or not a string)", f->name);
        else
            report(w, KVST_F_VERSION_FIELD_MISSING,
                   "%s is missing; eventVersion %.*s has it since 1.%02d",
                   f->name, (int)ev->event_version.len, ev->event_version.ptr,
                   (int)f->since_minor);
    }
}

/* Run a public validator on an envelope string and report at its pointer. */
static void check_field(walker *w, const char *name, kvst_str v,
                        uint32_t (*validate)(const char *, size_t))
{
    uint32_t code;
    size_t saved;
    if (!present(v))
        return;
    code = validate(v.ptr, v.len);
    if (!code)
        return;
    saved = ptr_push_cstr(w, name);
    report_value(w, code, name, v);
    ptr_pop(w, saved);
}

static uint32_t validate_time(const char *s, size_t len)
{
    return kvst_validate_timestamp(s, len, NULL);
}

static uint32_t validate_version(const char *s, size_t len)
{
    return kvst_validate_event_version(s, len, NULL, NULL);
}

static int is_kvs_record(const kvst_event *ev)
{
    const char *s = ev->event_source.ptr;
    size_t len = ev->event_source.len;
    if (ev->action != 0)
        return 1;
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    return len == strlen(KVST__KVS_EVENT_SOURCE) &&
           memcmp(s, KVST__KVS_EVENT_SOURCE, len) == 0;
}

static void check_envelope(walker *w, int insight)
{
    const kvst_event *ev = w->ev;
    size_t saved;

    check_presence(w, insight);
    /* The envelope parsed both already: validate again only what it could
     * not read (for the finding's code). */
    if (ev->event_version_major != 1)
        check_field(w, "eventVersion", ev->event_version, validate_version);
    if (!ev->event_time_valid)
        check_field(w, "eventTime", ev->event_time, validate_time);
    check_field(w, "eventSource", ev->event_source, kvst_validate_event_source);
    check_field(w, "awsRegion", ev->aws_region, kvst_validate_region);
    check_field(w, "sourceIPAddress", ev->source_ip_address,
                kvst_validate_source_ip);
    check_field(w, "eventID", ev->event_id, kvst_validate_uuid);
    check_field(w, "recipientAccountId", ev->recipient_account_id,
                kvst_validate_account_id);

    if (ev->event_time_valid && ev->event_time_ms < KVST__KVS_LAUNCH_MS &&
        present(ev->event_time) && is_kvs_record(ev)) {
        {
            saved = ptr_push_cstr(w, "eventTime");
            report(w, KVST_F_EVENT_TIME_EARLY,
                   "eventTime %.*s is before KVS launched (2017-11-29)",
                   (int)ev->event_time.len, ev->event_time.ptr);
            ptr_pop(w, saved);
        }
    }

    /* A sign-in event writes its failure as errorMessage alone ("Failed
     * authentication"): AWS's form, not an inconsistency. */
    if (present(ev->error_message) &&
        (!present(ev->error_code) || ev->error_code.len == 0) &&
        !(kvst__is_sign_in(ev) && !present(ev->error_code))) {
        saved = ptr_push_cstr(w, "errorMessage");
        report(w, KVST_F_ERROR_INCONSISTENT,
               "errorMessage is present without an errorCode");
        ptr_pop(w, saved);
    } else if (present(ev->error_code) && ev->error_code.len == 0) {
        saved = ptr_push_cstr(w, "errorCode");
        report(w, KVST_F_ERROR_INCONSISTENT, "errorCode is empty");
        ptr_pop(w, saved);
    }
}

/* ---- userIdentity ------------------------------------------------------ */

static void check_identity(walker *w, int insight)
{
    const kvst_event *ev = w->ev;
    const kvst_user_identity *uid = ev->user_identity;
    const kvst_identity_info *info = w->info;
    const kvst_session_context *sc;
    size_t saved, inner;

    if (!uid) {
        if (!insight)
            report(w, KVST_F_IDENTITY_MISSING, "the record has no userIdentity");
        return;
    }
    saved = ptr_push_cstr(w, "userIdentity");

    if (!present(uid->type)) {
        report(w, KVST_F_IDENTITY_TYPE_UNKNOWN, "userIdentity has no type");
    } else if (info->principal == KVST_PRINCIPAL_UNKNOWN &&
               !str_is(uid->type, "Unknown")) {
        /* "Unknown" is itself a documented CloudTrail type. */
        inner = ptr_push_cstr(w, "type");
        report(w, KVST_F_IDENTITY_TYPE_UNKNOWN,
               "userIdentity type '%.*s' is not known to this version "
               "(classified as Unknown)", (int)uid->type.len, uid->type.ptr);
        ptr_pop(w, inner);
    }
    check_field(w, "accountId", uid->account_id, kvst_validate_account_id);

    inner = ptr_push_cstr(w, "accessKeyId");
    if (info->credential == KVST_CREDENTIAL_UNKNOWN)
        report_value(w, KVST_F_ACCESS_KEY_UNRECOGNISED, "accessKeyId",
                     uid->access_key_id);
    if (info->root_access_key)
        report(w, KVST_F_ROOT_ACCESS_KEY,
               "the root user called with a long-term access key %.*s",
               (int)uid->access_key_id.len, uid->access_key_id.ptr);
    /* Role and federation sessions get temporary credentials from STS,
     * whose keys are ASIA (IAM temporary credentials pages). */
    if (info->credential == KVST_CREDENTIAL_LONG_TERM &&
        (info->principal == KVST_PRINCIPAL_ASSUMED_ROLE ||
         info->principal == KVST_PRINCIPAL_FEDERATED_USER))
        report(w, KVST_F_CREDENTIAL_MISMATCH,
               "this %s session signed with the long-term access key %.*s; "
               "its credentials are temporary (ASIA)",
               kvst_principal_name(info->principal),
               (int)uid->access_key_id.len, uid->access_key_id.ptr);
    ptr_pop(w, inner);

    sc = uid->session_context;
    if (sc) {
        size_t at_sc = ptr_push_cstr(w, "sessionContext");
        if (present(sc->creation_date)) {
            size_t at_attr = ptr_push_cstr(w, "attributes");
            size_t at_date = ptr_push_cstr(w, "creationDate");
            if (kvst_validate_timestamp(sc->creation_date.ptr,
                                        sc->creation_date.len, NULL) != 0)
                report_value(w, KVST_F_TIMESTAMP_FORMAT, "creationDate",
                             sc->creation_date);
            ptr_pop(w, at_date);
            ptr_pop(w, at_attr);
        }
        if (info->imdsv1) {
            inner = ptr_push_cstr(w, "ec2RoleDelivery");
            report(w, KVST_F_IMDSV1,
                   "EC2 role credentials delivered by IMDSv1 "
                   "(ec2RoleDelivery 1.0)");
            ptr_pop(w, inner);
        }
        if (sc->session_issuer && present(sc->session_issuer->account_id)) {
            size_t at_si = ptr_push_cstr(w, "sessionIssuer");
            check_field(w, "accountId", sc->session_issuer->account_id,
                        kvst_validate_account_id);
            ptr_pop(w, at_si);
        }
        ptr_pop(w, at_sc);
    }

    if (info->cross_account) {
        kvst_str caller = present(info->account_id) ? info->account_id
                                                    : info->issuer_account_id;
        kvst_str to = ev->recipient_account_id;
        if (present(caller) && present(to) &&
            (caller.len != to.len || memcmp(caller.ptr, to.ptr, to.len) != 0))
            report(w, KVST_F_CROSS_ACCOUNT,
                   "the caller's account %.*s is not the recipient account "
                   "%.*s", (int)caller.len, caller.ptr, (int)to.len, to.ptr);
        else
            report(w, KVST_F_CROSS_ACCOUNT,
                   "a KVS ARN of the request is outside the caller's account "
                   "%.*s", (int)caller.len, caller.ptr ? caller.ptr : "");
    }
    ptr_pop(w, saved);
}

/* ---- The stage ----------------------------------------------------------- */

int kvst__validate_event(const kvst_event *ev, kvst_identity_info *info,
                         kvst_finding_sink *sink)
{
    walker w;
    int insight;

    if (!ev || !info || !sink || info->struct_size < KVST__IDENTITY_INFO_SIZE_1_0)
        return KVST_E_INVAL;
    kvst__identity_fill(ev->user_identity, ev, info);

    w.rc = 0;
    w.request = 0;
    w.depth = 0;
    w.sink = sink;
    w.ev = ev;
    w.info = info;
    w.data_event = ev->management_event == KVST_BOOL_FALSE ||
                   str_is(ev->event_category, "Data");
    /* A KVS ARN is expected in the recipient's account, else the caller's. */
    w.home_account = present(ev->recipient_account_id)
                         ? ev->recipient_account_id
                         : present(info->account_id) ? info->account_id
                                                     : info->issuer_account_id;

    insight = str_is(ev->event_type, "AwsCloudTrailInsight");
    check_envelope(&w, insight);
    check_identity(&w, insight);
    if (ev->action != 0 && ev->action < kvst__operation_count && !w.rc)
        check_payload(&w, &kvst__operations[ev->action]);
    return w.rc;
}
