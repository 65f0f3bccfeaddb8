/*
 * The CloudTrail words more than one stage needs (vocab.h): a leaf, so
 * that the record builder need not call the action mapper, a later stage,
 * to ask whether a record is KVS.
 */
#include "vocab.h"

#include <string.h>

#include "utf8.h" /* kvst__json_space */

static const char kvs_host[] = "kinesisvideo.amazonaws.com";

int kvst__is_kvs_source(const char *s, size_t len)
{
    /* Surrounding white space is a finding, not another service: the seed
     * document's own records carry " kinesisvideo.amazonaws.com". */
    while (len && kvst__json_space((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && kvst__json_space((unsigned char)s[len - 1]))
        len--;
    return len == sizeof kvs_host - 1 && memcmp(s, kvs_host, len) == 0;
}
