/*
 * Internal, a leaf of lib/ (see lib/layers.txt): the CloudTrail words
 * more than one stage needs. Pure functions of their arguments; calls
 * nothing of lib/.
 */
#ifndef KVST_VOCAB_H
#define KVST_VOCAB_H

#include <stddef.h>

/* 1 when eventSource names KVS (surrounding white space allowed: that is
 * a finding, not another service). The record builder (for --kvs-only)
 * and the action mapper both ask. */
int kvst__is_kvs_source(const char *s, size_t len);

#endif /* KVST_VOCAB_H */
