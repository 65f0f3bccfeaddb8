/*
 * Fuzz target: kvst_identity_classify_json over arbitrary bytes. Every view
 * of the verdict must point into the caller's text, the kinds must be in
 * range, and the principal kind must agree with kvst_principal_kind() on
 * the type string as written.
 */
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_inside(kvst_str v, const char *base, size_t len)
{
    if (!v.ptr) {
        FUZZ_CHECK(v.len == 0);
        return;
    }
    FUZZ_CHECK(v.ptr >= base && v.len <= len && (size_t)(v.ptr - base) <= len - v.len);
}

static int is_tri(int32_t b)
{
    return b >= KVST_BOOL_ABSENT && b <= KVST_BOOL_TRUE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    kvst_identity_info info;
    int rc;

    memset(&info, 0xa5, sizeof info); /* the library must fill every member */
    info.struct_size = sizeof info;
    rc = kvst_identity_classify_json(json, size, &info);
    FUZZ_CHECK(rc == 0 || rc == KVST_E_SYNTAX || rc == KVST_E_ENCODING ||
               rc == KVST_E_NOT_CLOUDTRAIL || rc == KVST_E_NOMEM);
    if (rc != 0)
        return 0;
    FUZZ_CHECK(info.struct_size == sizeof info);
    FUZZ_CHECK(info.principal <= KVST_PRINCIPAL_DIRECTORY);
    FUZZ_CHECK(info.credential <= KVST_CREDENTIAL_UNKNOWN);
    FUZZ_CHECK(is_tri(info.root_or_iam_user) && is_tri(info.role_or_federated_temporary) &&
               is_tri(info.aws_service) && is_tri(info.mfa) && is_tri(info.console) &&
               is_tri(info.cross_account) && is_tri(info.root_access_key) &&
               is_tri(info.assumed_root) && is_tri(info.imdsv1));
    check_inside(info.type, json, size);
    check_inside(info.account_id, json, size);
    check_inside(info.arn, json, size);
    check_inside(info.user_name, json, size);
    check_inside(info.invoked_by, json, size);
    check_inside(info.issuer_type, json, size);
    check_inside(info.issuer_name, json, size);
    check_inside(info.issuer_arn, json, size);
    check_inside(info.issuer_account_id, json, size);
    check_inside(info.on_behalf_of_user_id, json, size);
    check_inside(info.identity_store_arn, json, size);
    check_inside(info.other_account_id, json, size);
    /* Without escapes the raw type is the decoded one. */
    if (info.type.ptr && !memchr(info.type.ptr, '\\', info.type.len))
        FUZZ_CHECK(info.principal == kvst_principal_kind(info.type.ptr, info.type.len));
    if (info.principal == KVST_PRINCIPAL_UNKNOWN && info.type.ptr)
        FUZZ_CHECK(info.root_or_iam_user != KVST_BOOL_TRUE);

    /* A struct smaller than the 1.0 one is refused before anything else. */
    info.struct_size = sizeof info.struct_size;
    FUZZ_CHECK(kvst_identity_classify_json(json, size, &info) == KVST_E_ABI);
    return 0;
}
