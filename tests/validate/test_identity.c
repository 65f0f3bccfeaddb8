/*
 * The identity classifier: every principal kind, every credential kind,
 * every flag, the struct_size contract, and the JSON entry.
 */
#include <stdlib.h>

#include <kvstrail/kvstrail.h>

#include "check.h"
#include "validate_internal.h"

#define S(lit) { (lit), sizeof(lit) - 1 }

static kvst_str str(const char *s)
{
    kvst_str v;
    v.ptr = s;
    v.len = s ? strlen(s) : 0;
    return v;
}

static kvst_user_identity identity(const char *type, const char *account,
                                   const char *key)
{
    kvst_user_identity u;
    memset(&u, 0, sizeof u);
    u.struct_size = sizeof u;
    u.type = str(type);
    u.account_id = str(account);
    u.access_key_id = str(key);
    return u;
}

static kvst_event context(void)
{
    kvst_event ev;
    memset(&ev, 0, sizeof ev);
    ev.struct_size = sizeof ev;
    ev.read_only = ev.management_event = KVST_BOOL_ABSENT;
    ev.session_credential_from_console = KVST_BOOL_ABSENT;
    return ev;
}

static kvst_identity_info classify(const kvst_user_identity *u,
                                   const kvst_event *ctx)
{
    kvst_identity_info info;
    memset(&info, 0x5a, sizeof info); /* garbage the classifier must clear */
    info.struct_size = sizeof info;
    CHECK_EQ(kvst_identity_classify(u, ctx, &info), 0);
    return info;
}

static void test_kinds_and_names(void)
{
    static const struct {
        const char *type;
        uint32_t kind;
    } kinds[] = {
        { "Root", KVST_PRINCIPAL_ROOT },
        { "IAMUser", KVST_PRINCIPAL_IAM_USER },
        { "AssumedRole", KVST_PRINCIPAL_ASSUMED_ROLE },
        { "Role", KVST_PRINCIPAL_ROLE },
        { "FederatedUser", KVST_PRINCIPAL_FEDERATED_USER },
        { "AWSService", KVST_PRINCIPAL_AWS_SERVICE },
        { "AWSAccount", KVST_PRINCIPAL_AWS_ACCOUNT },
        { "IdentityCenterUser", KVST_PRINCIPAL_IDENTITY_CENTER_USER },
        { "SAMLUser", KVST_PRINCIPAL_SAML_USER },
        { "WebIdentityUser", KVST_PRINCIPAL_WEB_IDENTITY_USER },
        { "Directory", KVST_PRINCIPAL_DIRECTORY },
        { "Unknown", KVST_PRINCIPAL_UNKNOWN },
        { "iamuser", KVST_PRINCIPAL_UNKNOWN },
        { "IAMUser ", KVST_PRINCIPAL_UNKNOWN },
        { "QuantumAgent", KVST_PRINCIPAL_UNKNOWN },
        { "", KVST_PRINCIPAL_UNKNOWN },
    };
    size_t i;
    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        uint32_t k = kvst_principal_kind(kinds[i].type, strlen(kinds[i].type));
        CHECK_EQ(k, kinds[i].kind);
        /* Names spell the type as CloudTrail does. */
        if (k != KVST_PRINCIPAL_UNKNOWN)
            CHECK(strcmp(kvst_principal_name(k), kinds[i].type) == 0);
    }
    CHECK_EQ(kvst_principal_kind(NULL, 0), KVST_PRINCIPAL_UNKNOWN);
    CHECK(strcmp(kvst_principal_name(KVST_PRINCIPAL_UNKNOWN), "Unknown") == 0);
    CHECK(strcmp(kvst_principal_name(999), "Unknown") == 0);

    CHECK_EQ(kvst_credential_kind("AKIAIOSFODNN7EXAMPLE", 20),
             KVST_CREDENTIAL_LONG_TERM);
    CHECK_EQ(kvst_credential_kind("ASIAIOSFODNN7EXAMPLE", 20),
             KVST_CREDENTIAL_TEMPORARY);
    CHECK_EQ(kvst_credential_kind("ABIAIOSFODNN7EXAMPLE", 20),
             KVST_CREDENTIAL_SERVICE_BEARER);
    CHECK_EQ(kvst_credential_kind("EXAMPLE_KEY_ID", 14),
             KVST_CREDENTIAL_UNKNOWN);
    CHECK_EQ(kvst_credential_kind("AKI", 3), KVST_CREDENTIAL_UNKNOWN);
    CHECK_EQ(kvst_credential_kind("akiaiosfodnn7example", 20),
             KVST_CREDENTIAL_UNKNOWN);
    CHECK_EQ(kvst_credential_kind("", 0), KVST_CREDENTIAL_NONE);
    CHECK_EQ(kvst_credential_kind(NULL, 0), KVST_CREDENTIAL_NONE);

    CHECK(strcmp(kvst_credential_name(KVST_CREDENTIAL_NONE), "none") == 0);
    CHECK(strcmp(kvst_credential_name(KVST_CREDENTIAL_LONG_TERM),
                 "long-term") == 0);
    CHECK(strcmp(kvst_credential_name(KVST_CREDENTIAL_TEMPORARY),
                 "temporary") == 0);
    CHECK(strcmp(kvst_credential_name(KVST_CREDENTIAL_SERVICE_BEARER),
                 "service-bearer") == 0);
    CHECK(strcmp(kvst_credential_name(KVST_CREDENTIAL_UNKNOWN), "unknown") == 0);
    CHECK(strcmp(kvst_credential_name(77), "unknown") == 0);
    CHECK(strcmp(kvst_severity_name(KVST_SEVERITY_INFO), "info") == 0);
    CHECK(strcmp(kvst_severity_name(KVST_SEVERITY_WARNING), "warning") == 0);
    CHECK(strcmp(kvst_severity_name(KVST_SEVERITY_ERROR), "error") == 0);
    CHECK(strcmp(kvst_severity_name(0), "unknown") == 0);
    CHECK(strcmp(kvst_severity_name(4), "unknown") == 0);
}

static void test_three_questions(void)
{
    kvst_user_identity u;
    kvst_identity_info i;

    u = identity("IAMUser", "123456789012", "AKIAIOSFODNN7EXAMPLE");
    u.user_name = str("Alice");
    u.arn = str("arn:aws:iam::123456789012:user/Alice");
    i = classify(&u, NULL);
    CHECK_EQ(i.principal, KVST_PRINCIPAL_IAM_USER);
    CHECK_EQ(i.credential, KVST_CREDENTIAL_LONG_TERM);
    CHECK(i.root_or_iam_user == 1 && i.role_or_federated_temporary == 0 &&
          i.aws_service == 0);
    CHECK(i.root_access_key == 0 && i.cross_account == 0 && i.console == 0);
    CHECK(i.mfa == KVST_BOOL_ABSENT && i.assumed_root == 0 && i.imdsv1 == 0);
    CHECK_VIEW(i.type, "IAMUser");
    CHECK_VIEW(i.user_name, "Alice");
    CHECK_VIEW(i.account_id, "123456789012");
    CHECK_VIEW(i.arn, "arn:aws:iam::123456789012:user/Alice");
    CHECK(i.issuer_arn.ptr == NULL && i.other_account_id.ptr == NULL);

    u = identity("Root", "123456789012", "AKIAIOSFODNN7EXAMPLE");
    i = classify(&u, NULL);
    CHECK(i.root_or_iam_user == 1 && i.root_access_key == 1);
    /* Root in the console signs with temporary keys: no root key use. */
    u = identity("Root", "123456789012", "ASIAIOSFODNN7EXAMPLE");
    i = classify(&u, NULL);
    CHECK(i.root_or_iam_user == 1 && i.root_access_key == 0);
    CHECK_EQ(i.credential, KVST_CREDENTIAL_TEMPORARY);

    u = identity("AssumedRole", "123456789012", "ASIAIOSFODNN7EXAMPLE");
    i = classify(&u, NULL);
    CHECK(i.role_or_federated_temporary == 1 && i.root_or_iam_user == 0);
    u = identity("Role", "123456789012", NULL);
    i = classify(&u, NULL);
    CHECK(i.role_or_federated_temporary == 1);
    CHECK_EQ(i.credential, KVST_CREDENTIAL_NONE);
    u = identity("FederatedUser", "123456789012", "ASIAIOSFODNN7EXAMPLE");
    i = classify(&u, NULL);
    CHECK(i.role_or_federated_temporary == 1);

    u = identity("AWSService", NULL, NULL);
    u.invoked_by = str("kinesisvideo.amazonaws.com");
    i = classify(&u, NULL);
    CHECK(i.aws_service == 1 && i.root_or_iam_user == 0);
    CHECK_VIEW(i.invoked_by, "kinesisvideo.amazonaws.com");
    /* A role session used by a service on the caller's behalf. */
    u = identity("AssumedRole", "123456789012", "ASIAIOSFODNN7EXAMPLE");
    u.invoked_by = str("cloudformation.amazonaws.com");
    i = classify(&u, NULL);
    CHECK(i.aws_service == 1 && i.role_or_federated_temporary == 1);

    u = identity("SAMLUser", NULL, NULL);
    i = classify(&u, NULL);
    CHECK_EQ(i.principal, KVST_PRINCIPAL_SAML_USER);
    CHECK(i.root_or_iam_user == 0 && i.role_or_federated_temporary == 0 &&
          i.aws_service == 0);
    u = identity("WebIdentityUser", NULL, NULL);
    CHECK_EQ(classify(&u, NULL).principal, KVST_PRINCIPAL_WEB_IDENTITY_USER);
    u = identity("Directory", "123456789012", NULL);
    CHECK_EQ(classify(&u, NULL).principal, KVST_PRINCIPAL_DIRECTORY);

    /* A type AWS adds later: Unknown, raw string kept, no error. */
    u = identity("QuantumAgent", "123456789012", "AKIAIOSFODNN7EXAMPLE");
    i = classify(&u, NULL);
    CHECK_EQ(i.principal, KVST_PRINCIPAL_UNKNOWN);
    CHECK_VIEW(i.type, "QuantumAgent");
    CHECK(i.root_or_iam_user == 0 && i.role_or_federated_temporary == 0);
}

static void test_session_flags(void)
{
    kvst_user_identity u;
    kvst_session_context sc;
    kvst_session_issuer si;
    kvst_on_behalf_of obo;
    kvst_identity_info i;
    kvst_event ev = context();

    memset(&sc, 0, sizeof sc);
    memset(&si, 0, sizeof si);
    sc.struct_size = sizeof sc;
    si.struct_size = sizeof si;
    si.type = str("Role");
    si.user_name = str("KvsWriter");
    si.arn = str("arn:aws:iam::123456789012:role/KvsWriter");
    si.account_id = str("123456789012");
    sc.session_issuer = &si;
    sc.mfa_authenticated = str("true");
    u = identity("AssumedRole", "123456789012", "ASIAIOSFODNN7EXAMPLE");
    u.session_context = &sc;
    i = classify(&u, NULL);
    CHECK(i.mfa == KVST_BOOL_TRUE);
    CHECK_VIEW(i.issuer_type, "Role");
    CHECK_VIEW(i.issuer_name, "KvsWriter");
    CHECK_VIEW(i.issuer_arn, "arn:aws:iam::123456789012:role/KvsWriter");
    CHECK_VIEW(i.issuer_account_id, "123456789012");

    sc.mfa_authenticated = str("false");
    CHECK(classify(&u, NULL).mfa == KVST_BOOL_FALSE);
    sc.mfa_authenticated = str("yes");
    CHECK(classify(&u, NULL).mfa == KVST_BOOL_ABSENT);
    sc.mfa_authenticated = str(NULL);
    CHECK(classify(&u, NULL).mfa == KVST_BOOL_ABSENT);

    sc.ec2_role_delivery = str("1.0");
    CHECK(classify(&u, NULL).imdsv1 == 1);
    sc.ec2_role_delivery = str("2.0");
    CHECK(classify(&u, NULL).imdsv1 == 0);

    sc.assumed_root = str("true");
    CHECK(classify(&u, NULL).assumed_root == 1);
    sc.assumed_root = str("false");
    CHECK(classify(&u, NULL).assumed_root == 0);

    /* Console: sessionCredentialFromConsole, or a console user agent with
     * a session context. */
    ev.session_credential_from_console = KVST_BOOL_TRUE;
    CHECK(classify(&u, &ev).console == 1);
    ev.session_credential_from_console = KVST_BOOL_ABSENT;
    ev.user_agent = str("aws-sdk-java/1.12");
    CHECK(classify(&u, &ev).console == 0);
    ev.user_agent = str("signin.amazonaws.com");
    CHECK(classify(&u, &ev).console == 1);
    ev.user_agent = str("console.amazonaws.com");
    CHECK(classify(&u, &ev).console == 1);
    ev.user_agent = str("kinesisvideo.console.aws.amazon.com");
    CHECK(classify(&u, &ev).console == 1);
    ev.user_agent = str("evilconsole.aws.amazon.com");
    CHECK(classify(&u, &ev).console == 0);
    u.session_context = NULL;
    ev.user_agent = str("console.amazonaws.com");
    CHECK(classify(&u, &ev).console == 0);
    /* Without a context nothing says console. */
    u.session_context = &sc;
    CHECK(classify(&u, NULL).console == 0);

    /* A sub-struct too small for the 1.0 layout is ignored, not read. */
    sc.struct_size = sizeof(size_t);
    sc.mfa_authenticated = str("true");
    i = classify(&u, NULL);
    CHECK(i.mfa == KVST_BOOL_ABSENT && i.issuer_arn.ptr == NULL);

    memset(&obo, 0, sizeof obo);
    obo.struct_size = sizeof obo;
    obo.user_id = str("f8a1b2c3-0000-4000-8000-000000000001");
    obo.identity_store_arn = str("arn:aws:identitystore::123456789012:"
                                 "identitystore/d-1234567890");
    u = identity("IdentityCenterUser", "123456789012", "ASIAIOSFODNN7EXAMPLE");
    u.on_behalf_of = &obo;
    i = classify(&u, NULL);
    CHECK_EQ(i.principal, KVST_PRINCIPAL_IDENTITY_CENTER_USER);
    CHECK_VIEW(i.on_behalf_of_user_id, "f8a1b2c3-0000-4000-8000-000000000001");
    CHECK_VIEW(i.identity_store_arn,
               "arn:aws:identitystore::123456789012:identitystore/d-1234567890");
}

/* awsService: the service that made the call, never the console a
 * principal used with its own credentials. console: the console hosts in
 * invokedBy too, and every sign-in event. */
static void test_service_or_console(void)
{
    static const struct {
        const char *invoked_by;
        int aws_service, console;
    } cases[] = {
        { "signin.amazonaws.com", 0, 1 },
        { "console.amazonaws.com", 0, 1 },
        { "console.aws.amazon.com", 0, 1 },
        { "kinesisvideo.console.aws.amazon.com", 0, 1 },
        { "evilconsole.aws.amazon.com", 1, 0 }, /* not under the host */
        { "signin.amazonaws.com.", 1, 0 },
        { "Signin.amazonaws.com", 1, 0 },
        { "cloudformation.amazonaws.com", 1, 0 },
        { "AWS Internal", 1, 0 },
        { "", 0, 0 },
        { NULL, 0, 0 },
    };
    kvst_user_identity u;
    kvst_identity_info i;
    kvst_event ev = context();
    size_t k;

    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        u = identity("IAMUser", "123456789012", "ASIAIOSFODNN7EXAMPLE");
        u.invoked_by = str(cases[k].invoked_by);
        i = classify(&u, NULL);
        CHECK_EQ(i.aws_service, cases[k].aws_service);
        CHECK_EQ(i.console, cases[k].console);
        CHECK(i.root_or_iam_user == 1);
        i = classify(&u, &ev);
        CHECK_EQ(i.aws_service, cases[k].aws_service);
        CHECK_EQ(i.console, cases[k].console);
    }
    /* The AWSService principal is a service whatever invokedBy says. */
    u = identity("AWSService", NULL, NULL);
    u.invoked_by = str("signin.amazonaws.com");
    CHECK_EQ(classify(&u, NULL).aws_service, 1);

    /* Sign-in events: eventType AwsConsoleSignIn or eventSource
     * signin.amazonaws.com is a console sign-in, with no session context
     * and no user agent of the console. */
    u = identity("IAMUser", "123456789012", NULL);
    ev.event_source = str("signin.amazonaws.com");
    ev.event_name = str("ConsoleLogin");
    ev.user_agent = str("Mozilla/5.0");
    CHECK_EQ(classify(&u, &ev).console, 1);
    CHECK(kvst__is_sign_in(&ev) == 1);
    ev.event_source = str("iam.amazonaws.com");
    CHECK_EQ(classify(&u, &ev).console, 0);
    CHECK(kvst__is_sign_in(&ev) == 0);
    ev.event_type = str("AwsConsoleSignIn");
    CHECK_EQ(classify(&u, &ev).console, 1);
    ev.event_type = str("AwsConsoleSignin");
    CHECK_EQ(classify(&u, &ev).console, 0);
    CHECK(kvst__is_sign_in(NULL) == 0);

    /* MFAUsed as written: "Yes" and "No" only; else what was there. */
    i = classify(&u, &ev);
    kvst__identity_mfa_used(&i, str("Yes"));
    CHECK_EQ(i.mfa, KVST_BOOL_TRUE);
    kvst__identity_mfa_used(&i, str("No"));
    CHECK_EQ(i.mfa, KVST_BOOL_FALSE);
    kvst__identity_mfa_used(&i, str("yes"));
    CHECK_EQ(i.mfa, KVST_BOOL_FALSE);
    i.mfa = KVST_BOOL_ABSENT;
    kvst__identity_mfa_used(&i, str("YES"));
    CHECK_EQ(i.mfa, KVST_BOOL_ABSENT);
    kvst__identity_mfa_used(&i, str(""));
    CHECK_EQ(i.mfa, KVST_BOOL_ABSENT);
    kvst__identity_mfa_used(&i, str(NULL));
    CHECK_EQ(i.mfa, KVST_BOOL_ABSENT);
}

static void test_cross_account(void)
{
    kvst_user_identity u;
    kvst_session_context sc;
    kvst_session_issuer si;
    kvst_kvs_delete_stream_input req;
    kvst_identity_info i;
    kvst_event ev = context();
    static const char arn_other[] =
        "arn:aws:kinesisvideo:us-east-1:012345678910:stream/VideoStream/12345";
    static const char arn_same[] =
        "arn:aws:kinesisvideo:us-east-1:123456789012:stream/VideoStream/12345";

    u = identity("IAMUser", "123456789012", "AKIAIOSFODNN7EXAMPLE");
    ev.recipient_account_id = str("123456789012");
    i = classify(&u, &ev);
    CHECK(i.cross_account == 0 && i.other_account_id.ptr == NULL);

    /* A caller from another account: the other account is the caller's. */
    u = identity("AWSAccount", "111122223333", NULL);
    i = classify(&u, &ev);
    CHECK(i.cross_account == 1);
    CHECK_VIEW(i.other_account_id, "111122223333");

    /* The session issuer's account counts too. */
    memset(&sc, 0, sizeof sc);
    memset(&si, 0, sizeof si);
    sc.struct_size = sizeof sc;
    si.struct_size = sizeof si;
    si.account_id = str("444455556666");
    sc.session_issuer = &si;
    u = identity("AssumedRole", NULL, "ASIAIOSFODNN7EXAMPLE");
    u.session_context = &sc;
    i = classify(&u, &ev);
    CHECK(i.cross_account == 1);
    CHECK_VIEW(i.other_account_id, "444455556666");

    /* No accountId: the account of the identity's ARN is compared, but
     * not handed out (a cut-out view would not be NUL-terminated). */
    u = identity("AssumedRole", NULL, NULL);
    u.arn = str("arn:aws:sts::777788889999:assumed-role/R/s");
    i = classify(&u, &ev);
    CHECK(i.cross_account == 1);
    CHECK(i.other_account_id.ptr == NULL);

    /* A KVS ARN of the request in another account (the seed's DeleteStream:
     * no recipientAccountId in eventVersion 1.05 samples). */
    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.stream_arn.state = KVST_VALUE_OK;
    req.stream_arn.json_type = KVST_JSON_STRING;
    req.stream_arn.model_type = KVST_TYPE_STRING;
    req.stream_arn.text = str(arn_other);
    ev = context();
    ev.action = KVST_ACTION_DELETE_STREAM;
    ev.request = &req;
    ev.request_state = KVST_VALUE_OK;
    u = identity("IAMUser", "123456789012", "AKIAIOSFODNN7EXAMPLE");
    i = classify(&u, &ev);
    CHECK(i.cross_account == 1);
    CHECK(i.other_account_id.ptr == NULL); /* inside the ARN: not handed out */
    req.stream_arn.text = str(arn_same);
    CHECK(classify(&u, &ev).cross_account == 0);
    /* A malformed ARN says nothing about accounts. */
    req.stream_arn.text = str("arn:aws:kinesisvideo:us-east-1:0123:stream/V");
    CHECK(classify(&u, &ev).cross_account == 0);
    /* Not the typed payload of the action: not read. */
    ev.request_state = KVST_VALUE_MISTYPED;
    req.stream_arn.text = str(arn_other);
    CHECK(classify(&u, &ev).cross_account == 0);
}

static void test_struct_size(void)
{
    kvst_user_identity u = identity("IAMUser", "123456789012", NULL);
    kvst_event ev = context();
    struct {
        kvst_identity_info info;
        unsigned char tail[32];
    } big;
    kvst_identity_info info;
    size_t k;
    int tail_ok = 1;

    info.struct_size = sizeof info;
    CHECK_EQ(kvst_identity_classify(NULL, NULL, &info), KVST_E_INVAL);
    CHECK_EQ(kvst_identity_classify(&u, NULL, NULL), KVST_E_INVAL);
    info.struct_size = offsetof(kvst_identity_info, other_account_id);
    CHECK_EQ(kvst_identity_classify(&u, NULL, &info), KVST_E_ABI);
    info.struct_size = sizeof info;
    u.struct_size = sizeof(size_t);
    CHECK_EQ(kvst_identity_classify(&u, NULL, &info), KVST_E_ABI);
    u.struct_size = sizeof u;
    ev.struct_size = 8;
    CHECK_EQ(kvst_identity_classify(&u, &ev, &info), KVST_E_ABI);

    /* A caller built against a later version: its tail is left alone. */
    memset(&big, 0xa5, sizeof big);
    big.info.struct_size = sizeof big;
    CHECK_EQ(kvst_identity_classify(&u, NULL, &big.info), 0);
    CHECK(big.info.struct_size == sizeof big);
    CHECK_EQ(big.info.principal, KVST_PRINCIPAL_IAM_USER);
    for (k = 0; k < sizeof big.tail; k++)
        tail_ok &= big.tail[k] == 0xa5;
    CHECK(tail_ok);
}

static int classify_json(const char *json, kvst_identity_info *info)
{
    memset(info, 0, sizeof *info);
    info->struct_size = sizeof *info;
    return kvst_identity_classify_json(json, strlen(json), info);
}

static int inside(const char *json, kvst_str v)
{
    return v.ptr >= json && v.ptr + v.len <= json + strlen(json);
}

static void test_json_entry(void)
{
    kvst_identity_info i;
    const char *j;

    j = "{\"type\":\"IAMUser\",\"principalId\":\"EX_PRINCIPAL_ID\","
        "\"arn\":\"arn:aws:iam::123456789012:user/Alice\","
        "\"accountId\":\"123456789012\",\"accessKeyId\":\"EXAMPLE_KEY_ID\","
        "\"userName\":\"Alice\"}";
    CHECK_EQ(classify_json(j, &i), 0);
    CHECK_EQ(i.principal, KVST_PRINCIPAL_IAM_USER);
    CHECK_EQ(i.credential, KVST_CREDENTIAL_UNKNOWN);
    CHECK(i.root_or_iam_user == 1);
    CHECK_VIEW(i.user_name, "Alice");
    CHECK(inside(j, i.user_name) && inside(j, i.arn) && inside(j, i.type));

    /* Nested: session issuer, attributes (booleans too), unknown objects
     * and arrays skipped, keys of the same name elsewhere ignored. */
    j = "{ \"type\": \"AssumedRole\", \"accountId\": \"123456789012\",\n"
        "  \"accessKeyId\": \"ASIAIOSFODNN7EXAMPLE\",\n"
        "  \"extra\": {\"type\": \"Root\", \"list\": [1, {\"arn\": \"x\"}]},\n"
        "  \"sessionContext\": {\n"
        "    \"sessionIssuer\": {\"type\": \"Role\", \"userName\": \"R\",\n"
        "      \"accountId\": \"123456789012\",\n"
        "      \"arn\": \"arn:aws:iam::123456789012:role/R\"},\n"
        "    \"webIdFederationData\": {\"federatedProvider\": \"x\",\n"
        "      \"attributes\": {\"k\": \"v\"}},\n"
        "    \"attributes\": {\"creationDate\": \"2024-01-01T00:00:00Z\",\n"
        "      \"mfaAuthenticated\": true},\n"
        "    \"ec2RoleDelivery\": \"1.0\", \"assumedRoot\": \"true\"},\n"
        "  \"onBehalfOf\": {\"userId\": \"u-1\",\n"
        "    \"identityStoreArn\": \"arn:aws:identitystore::1:identitystore/d\"},\n"
        "  \"invokedBy\": null, \"n\": 12.5 }";
    CHECK_EQ(classify_json(j, &i), 0);
    CHECK_EQ(i.principal, KVST_PRINCIPAL_ASSUMED_ROLE);
    CHECK_EQ(i.credential, KVST_CREDENTIAL_TEMPORARY);
    CHECK(i.mfa == KVST_BOOL_TRUE && i.imdsv1 == 1 && i.assumed_root == 1);
    CHECK(i.role_or_federated_temporary == 1 && i.aws_service == 0);
    CHECK_VIEW(i.issuer_type, "Role");
    CHECK_VIEW(i.issuer_name, "R");
    CHECK_VIEW(i.issuer_arn, "arn:aws:iam::123456789012:role/R");
    CHECK_VIEW(i.on_behalf_of_user_id, "u-1");
    CHECK(i.invoked_by.ptr == NULL);

    /* Escapes: classified on the decoded text, views show it as written. */
    j = "{\"type\":\"IAM\\u0055ser\",\"userName\":\"Al\\\"ice\\\\\"}";
    CHECK_EQ(classify_json(j, &i), 0);
    CHECK_EQ(i.principal, KVST_PRINCIPAL_IAM_USER);
    CHECK_VIEW(i.type, "IAM\\u0055ser");
    CHECK_VIEW(i.user_name, "Al\\\"ice\\\\");
    CHECK(inside(j, i.type) && inside(j, i.user_name));
    /* A repeated key: the last one wins. */
    j = "{\"type\":\"R\\u006f\\u006ft\",\"type\":\"Role\"}";
    CHECK_EQ(classify_json(j, &i), 0);
    CHECK_EQ(i.principal, KVST_PRINCIPAL_ROLE);

    CHECK_EQ(classify_json("{}", &i), 0);
    CHECK_EQ(i.principal, KVST_PRINCIPAL_UNKNOWN);
    CHECK(i.type.ptr == NULL && i.mfa == KVST_BOOL_ABSENT);

    CHECK_EQ(classify_json("{\"type\":\"IAMUser\"", &i), KVST_E_SYNTAX);
    CHECK_EQ(classify_json("{\"type\" \"IAMUser\"}", &i),
             KVST_E_SYNTAX);
    CHECK_EQ(classify_json("{} {}", &i), KVST_E_SYNTAX);
    CHECK_EQ(classify_json("", &i), KVST_E_SYNTAX);
    CHECK_EQ(classify_json("   ", &i), KVST_E_SYNTAX);
    CHECK_EQ(classify_json("[{\"type\":\"Root\"}]", &i),
             KVST_E_NOT_CLOUDTRAIL);
    CHECK_EQ(classify_json("\"IAMUser\"", &i), KVST_E_NOT_CLOUDTRAIL);
    CHECK_EQ(classify_json("42", &i), KVST_E_NOT_CLOUDTRAIL);
    CHECK_EQ(classify_json("null", &i), KVST_E_NOT_CLOUDTRAIL);
    CHECK_EQ(classify_json("true", &i), KVST_E_NOT_CLOUDTRAIL);
    CHECK_EQ(classify_json("{\"type\":\"IAM\xff\"}", &i),
             KVST_E_ENCODING);
    /* UTF-8 by the strict check, not yajl's lax one (nor its message):
     * an overlong form and an encoded surrogate in a string, a sequence
     * cut short by the quote; a syntax error before an ill-formed
     * sequence is the syntax error; one outside a string is a byte that
     * JSON does not allow there, and well-formed UTF-8 passes. */
    CHECK_EQ(classify_json("{\"type\":\"IAM\xc0\xafUser\"}", &i), KVST_E_ENCODING);
    CHECK_EQ(classify_json("{\"type\":\"IAM\xed\xa0\x80\"}", &i), KVST_E_ENCODING);
    CHECK_EQ(classify_json("{\"type\":\"IAM\xe2\x82\"}", &i), KVST_E_ENCODING);
    CHECK_EQ(classify_json("{\"t\\\"\xff\":1}", &i), KVST_E_ENCODING); /* after an escaped quote */
    CHECK_EQ(classify_json("{\"type\" 1 \"IAM\xff\"}", &i), KVST_E_SYNTAX);
    CHECK_EQ(classify_json("{\"type\":\xff}", &i), KVST_E_SYNTAX);
    CHECK_EQ(classify_json("{\"type\":\xc3\xa9}", &i), KVST_E_SYNTAX);
    CHECK_EQ(classify_json("{\"type\":\"IAMUs\xc3\xa9r\"}", &i), 0);

    CHECK_EQ(kvst_identity_classify_json(NULL, 0, &i), KVST_E_INVAL);
    CHECK_EQ(kvst_identity_classify_json("{}", 2, NULL), KVST_E_INVAL);
    i.struct_size = 4;
    CHECK_EQ(kvst_identity_classify_json("{}", 2, &i), KVST_E_ABI);
    /* len bounds the text: the rest of the buffer is not read. */
    i.struct_size = sizeof i;
    CHECK_EQ(kvst_identity_classify_json("{\"type\":\"Root\"}garbage", 15, &i),
             0);
    CHECK_EQ(i.principal, KVST_PRINCIPAL_ROOT);
}

/* Every prefix and every single-byte change of a userIdentity: a status
 * from the documented set, never a crash (run under ASan in CI). */
static void test_json_robustness(void)
{
    static const char base[] =
        "{\"type\":\"AssumedRole\",\"arn\":\"a\\u00e9\",\"sessionContext\":"
        "{\"sessionIssuer\":{\"accountId\":\"1\"},\"attributes\":"
        "{\"mfaAuthenticated\":\"true\"}},\"x\":[1,{\"y\":null}]}";
    static const char bytes[] = "{}[]\":,\\ a0\x80\xff";
    char buf[sizeof base];
    kvst_identity_info info;
    size_t n, k, b;
    int ok = 1;

    info.struct_size = sizeof info;
    for (n = 0; n < sizeof base - 1; n++) {
        int rc = kvst_identity_classify_json(base, n, &info);
        ok &= rc == KVST_E_SYNTAX || rc == KVST_E_ENCODING;
    }
    CHECK(ok); /* every strict prefix is incomplete */
    CHECK_EQ(kvst_identity_classify_json(base, sizeof base - 1, &info), 0);
    ok = 1;
    for (k = 0; k < sizeof base - 1; k++) {
        for (b = 0; b < sizeof bytes - 1; b++) {
            int rc;
            memcpy(buf, base, sizeof base);
            buf[k] = bytes[b];
            rc = kvst_identity_classify_json(buf, sizeof base - 1, &info);
            ok &= rc == 0 || rc == KVST_E_SYNTAX || rc == KVST_E_ENCODING ||
                  rc == KVST_E_NOT_CLOUDTRAIL;
            if (rc == 0)
                ok &= info.type.ptr == NULL ||
                      (info.type.ptr >= buf &&
                       info.type.ptr + info.type.len <= buf + sizeof base);
        }
    }
    CHECK(ok);
}

int main(void)
{
    test_kinds_and_names();
    test_three_questions();
    test_session_flags();
    test_service_or_console();
    test_cross_account();
    test_struct_size();
    test_json_entry();
    test_json_robustness();
    return check_done("identity");
}
