/*
 * kvstrail: read AWS CloudTrail logs incrementally and get one typed event
 * per Amazon Kinesis Video Streams API call, with the caller's identity
 * classified and every field validated against the KVS API model.
 *
 * The umbrella header: include this one. The focused headers are
 *   common.h     string views, typed values, status codes, version
 *   event.h      the event, userIdentity, identity verdict, findings
 *   parser.h     the streaming parser (feed/finish, callback or pull)
 *   kvs_model.h  KVS actions and their typed payloads (generated)
 *   validate.h   identity classifier, validators, finding codes
 */
#ifndef KVSTRAIL_KVSTRAIL_H
#define KVSTRAIL_KVSTRAIL_H

#include <kvstrail/version.h>
#include <kvstrail/common.h>
#include <kvstrail/event.h>
#include <kvstrail/kvs_model.h>
#include <kvstrail/parser.h>
#include <kvstrail/validate.h>

#endif /* KVSTRAIL_KVSTRAIL_H */
