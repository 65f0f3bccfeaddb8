/*
 * kvstrail-sigma: a streaming Sigma rule engine over kvstrail events.
 *
 * The library libkvstrail-sigma (its own SONAME, libkvstrail-sigma.so.1;
 * pkg-config name kvstrail-sigma) compiles Sigma detection and correlation
 * rules (https://sigmahq.io, the specification's version 2) into data once,
 * and matches them against the events libkvstrail hands out. docs/sigma.md
 * describes every choice the specification leaves open.
 *
 * The life of a rule set:
 *   1. kvst_sigma_builder_new(), then kvst_sigma_builder_placeholder() for
 *      every `|expand` value, then kvst_sigma_builder_add_text() or
 *      kvst_sigma_builder_add_path() any number of times. A rule that does
 *      not compile is refused with one kvst_sigma_error (file, line, column,
 *      why); the other rules of the same text still load. A rule whose
 *      logsource is not AWS CloudTrail is skipped and listed.
 *   2. kvst_sigma_builder_build(): resolves correlation references and
 *      builds the prefilter. The rule set it returns is immutable: share it
 *      between any number of threads.
 *   3. Per thread, kvst_sigma_state_new(); kvst_sigma_match() for every
 *      event, in input order. The state holds the per-event scratch memory
 *      and the correlation windows; one state is used by one thread at a
 *      time.
 *
 * Errors are the negative KVST_E_* statuses of <kvstrail/common.h>.
 * Every declaration is C89-clean and usable from C++. Since 1.1.
 */
#ifndef KVSTRAIL_SIGMA_H
#define KVSTRAIL_SIGMA_H

#include <kvstrail/common.h>
#include <kvstrail/event.h>
#include <kvstrail/parser.h> /* kvst_allocator */

#ifdef __cplusplus
extern "C" {
#endif

#if defined(KVST_SIGMA_BUILDING_LIBRARY) && defined(__GNUC__)
#define KVST_SIGMA_EXPORT __attribute__((visibility("default")))
#else
#define KVST_SIGMA_EXPORT
#endif

typedef struct kvst_sigma_builder kvst_sigma_builder;
typedef struct kvst_sigma_ruleset kvst_sigma_ruleset;
typedef struct kvst_sigma_state kvst_sigma_state;

/* Rule kinds (kvst_sigma_rule.kind). Numbers frozen. Since 1.1. */
#define KVST_SIGMA_DETECTION   1u
#define KVST_SIGMA_CORRELATION 2u

/* Levels (kvst_sigma_rule.level_rank), in rising order. Numbers frozen.
 * Since 1.1. */
#define KVST_SIGMA_LEVEL_NONE          0u /* no level given */
#define KVST_SIGMA_LEVEL_INFORMATIONAL 1u
#define KVST_SIGMA_LEVEL_LOW           2u
#define KVST_SIGMA_LEVEL_MEDIUM        3u
#define KVST_SIGMA_LEVEL_HIGH          4u
#define KVST_SIGMA_LEVEL_CRITICAL      5u

/* Defaults of the limits (0 in the options means "default"). */
#define KVST_SIGMA_DEFAULT_MAX_TEXT_BYTES       (1024u * 1024u)
#define KVST_SIGMA_DEFAULT_MAX_YAML_NODES       20000u
#define KVST_SIGMA_DEFAULT_MAX_DEPTH            32u
#define KVST_SIGMA_DEFAULT_MAX_VALUES           4096u
#define KVST_SIGMA_DEFAULT_REGEX_MATCH_LIMIT    100000u
#define KVST_SIGMA_DEFAULT_REGEX_DEPTH_LIMIT    1000u
#define KVST_SIGMA_DEFAULT_MAX_GROUPS           4096u
#define KVST_SIGMA_DEFAULT_MAX_GROUP_ENTRIES    1024u
#define KVST_SIGMA_DEFAULT_TOLERANCE_MS         (15 * 60 * 1000)

/*
 * Options of a builder (and of the rule sets it builds). Set struct_size =
 * sizeof(kvst_sigma_options) (the INIT macro does) and fill what you need;
 * a limit of 0 means its default. The library accepts every size from the
 * 1.1 one up to its own; a larger struct only when the members it does not
 * know are zero, else KVST_E_ABI. Since 1.1.
 */
typedef struct kvst_sigma_options {
    size_t struct_size;
    uint32_t flags;                /* zero: none defined yet */
    uint32_t reserved;             /* zero */
    uint64_t max_text_bytes;       /* one YAML text or file */
    uint64_t max_yaml_nodes;       /* YAML nodes visited per text (aliases
                                      count each time they are used) */
    uint64_t max_depth;            /* YAML and condition nesting */
    uint64_t max_values;           /* values of one rule after modifiers
                                      (windash, base64offset multiply) */
    uint64_t regex_match_limit;    /* PCRE2 match limit per match */
    uint64_t regex_depth_limit;    /* PCRE2 depth limit per match */
    uint64_t max_groups;           /* correlation groups per rule and state */
    uint64_t max_group_entries;    /* events kept per correlation group */
    int64_t tolerance_ms;          /* how far out of eventTime order an
                                      event may arrive and still count */
    /* Allocator hooks, as the core's (<kvstrail/parser.h>): used when all
     * three functions are set, else malloc/realloc/free. Every allocation
     * of the builder, of the rule sets it builds and of the states made
     * from them goes through them, PCRE2's included; libyaml's, which has
     * no hooks, and PCRE2's JIT code pages do not. A NULL return makes the
     * call fail with KVST_E_NOMEM, never a crash or a leak; what was built
     * before stays usable. The functions may be called from every thread
     * that uses a rule set or a state. Since 1.1. */
    kvst_allocator allocator;
} kvst_sigma_options;

#define KVST_SIGMA_OPTIONS_INIT \
    { sizeof(kvst_sigma_options), 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0, \
      { 0, 0, 0, 0 } }

/*
 * A refused rule: where (file as given, 1-based line and column of the
 * YAML node at fault, 0 when unknown) and why. Valid while the builder is.
 * Frozen layout. Since 1.1.
 */
typedef struct kvst_sigma_error {
    size_t struct_size;
    kvst_str file;
    uint64_t line;
    uint64_t column;
    kvst_str title;    /* the rule's title when it was read, else empty */
    kvst_str message;  /* names the construct, e.g. "unsupported modifier 'minute'" */
} kvst_sigma_error;

/*
 * A rule as loaded. Strings are empty (len 0, ptr "") when the rule does
 * not give them. Owned by the rule set (or the builder, for skipped rules)
 * and valid while it is. Since 1.1.
 */
typedef struct kvst_sigma_rule {
    size_t struct_size;
    uint32_t kind;        /* KVST_SIGMA_DETECTION or _CORRELATION */
    uint32_t level_rank;  /* KVST_SIGMA_LEVEL_* */
    kvst_str id;
    kvst_str name;
    kvst_str title;
    kvst_str status;
    kvst_str level;       /* as written */
    kvst_str author;      /* kept in every match: the Detection Rule
                             License asks it of messages based on a match */
    kvst_str description;
    kvst_str date;
    kvst_str modified;
    kvst_str license;
    size_t tag_count;
    const kvst_str *tags;
    size_t reference_count;
    const kvst_str *references;
    size_t falsepositive_count;
    const kvst_str *falsepositives;
    kvst_str logsource;   /* "product/service/category" as written */
    kvst_str file;        /* as given to the builder */
    uint64_t line;        /* of the YAML document */
    kvst_str correlation_type; /* event_count, value_count, temporal,
                                  temporal_ordered; empty for detections */
    int32_t reported;     /* 1 when its matches are reported: 0 for a rule
                             only referenced by correlations (unless it says
                             generate: true) */
    uint32_t reserved;
} kvst_sigma_rule;

/* A field that matched: its dotted name and the value as text (a number or
 * boolean as written, an object or array as its JSON). Frozen. Since 1.1. */
typedef struct kvst_sigma_field {
    kvst_str name;
    kvst_str value;
} kvst_sigma_field;

/*
 * One match. For a detection, event is the event that matched and fields
 * the field tests of its positive selections that held. For a correlation,
 * event is the event that completed it, fields the group-by values, count
 * the events (event_count, temporal*) or distinct values (value_count) in
 * the window [window_start_ms, window_end_ms] of eventTime. Valid until the
 * callback returns. Since 1.1.
 */
typedef struct kvst_sigma_result {
    size_t struct_size;
    const kvst_sigma_rule *rule;
    const kvst_event *event;
    size_t field_count;
    const kvst_sigma_field *fields;
    uint64_t count;
    int64_t window_start_ms;
    int64_t window_end_ms;
} kvst_sigma_result;

/* Called once per match, in the order the rules were loaded. Return 0 to go
 * on, non-zero to stop: kvst_sigma_match() then returns KVST_E_ABORTED. */
typedef int (*kvst_sigma_match_fn)(const kvst_sigma_result *m, void *payload);

/* Counters of a state (kvst_sigma_state_stats()). Since 1.1. */
typedef struct kvst_sigma_stats {
    size_t struct_size;
    uint64_t events;            /* events given to kvst_sigma_match() */
    uint64_t rule_evaluations;  /* rules evaluated after the prefilter */
    uint64_t matches;           /* matches reported */
    uint64_t regex_errors;      /* regex matches stopped by a limit (no match) */
    uint64_t untimed;           /* events without a valid eventTime, which
                                   correlations cannot place */
    uint64_t dropped;           /* correlation entries dropped past a cap */
    uint64_t late;              /* events older than the tolerance allows */
} kvst_sigma_stats;

/*
 * Create a builder. opts may be NULL (defaults). Returns 0 and sets *out,
 * or KVST_E_INVAL, KVST_E_ABI, KVST_E_NOMEM. Free with
 * kvst_sigma_builder_free(). Not thread-safe for one builder. Since 1.1.
 */
KVST_SIGMA_EXPORT int kvst_sigma_builder_new(const kvst_sigma_options *opts,
                                             kvst_sigma_builder **out);

/* Add one value for the placeholder %name% of `|expand` values (call once
 * per value). A rule naming a placeholder with no value is refused.
 * Call before adding rules. Returns 0, KVST_E_INVAL or KVST_E_NOMEM.
 * Since 1.1. */
KVST_SIGMA_EXPORT int kvst_sigma_builder_placeholder(kvst_sigma_builder *b,
                                                     const char *name,
                                                     const char *value);

/*
 * Compile the rules of one YAML text (one or more documents). file labels
 * the errors and rules (may be NULL). Returns 0 when every rule loaded or
 * was skipped for its logsource; KVST_E_SYNTAX when at least one rule was
 * refused (see kvst_sigma_builder_error()); KVST_E_LIMIT when the text is
 * larger than max_text_bytes; KVST_E_NOMEM. Since 1.1.
 */
KVST_SIGMA_EXPORT int kvst_sigma_builder_add_text(kvst_sigma_builder *b,
                                                  const char *file,
                                                  const char *text, size_t len);

/* Read a rule file, or every *.yml and *.yaml file below a directory (in
 * name order), and add each. Returns as kvst_sigma_builder_add_text(), or
 * KVST_E_IO (an error then names the path). Since 1.1. */
KVST_SIGMA_EXPORT int kvst_sigma_builder_add_path(kvst_sigma_builder *b,
                                                  const char *path);

/* Refused rules so far: count, and the i-th (NULL past the end). */
KVST_SIGMA_EXPORT size_t kvst_sigma_builder_error_count(const kvst_sigma_builder *b);
KVST_SIGMA_EXPORT const kvst_sigma_error *kvst_sigma_builder_error(
    const kvst_sigma_builder *b, size_t i);

/* Rules skipped because their logsource is not AWS CloudTrail (product
 * aws, service cloudtrail): count, and the i-th (NULL past the end). */
KVST_SIGMA_EXPORT size_t kvst_sigma_builder_skipped_count(const kvst_sigma_builder *b);
KVST_SIGMA_EXPORT const kvst_sigma_rule *kvst_sigma_builder_skipped(
    const kvst_sigma_builder *b, size_t i);

/*
 * Build the rule set of every rule loaded so far. A correlation whose
 * referenced rules are missing is refused here (an error is added). The
 * builder may go on, build again, or be freed: the rule set does not
 * depend on it. Returns 0 and sets *out, or KVST_E_SYNTAX (*out is still
 * set, without the refused correlations), KVST_E_NOMEM. Since 1.1.
 */
KVST_SIGMA_EXPORT int kvst_sigma_builder_build(kvst_sigma_builder *b,
                                               kvst_sigma_ruleset **out);

/* Free a builder. NULL is a no-op. Since 1.1. */
KVST_SIGMA_EXPORT void kvst_sigma_builder_free(kvst_sigma_builder *b);

/* The rules of a rule set, in load order. Thread-safe. Since 1.1. */
KVST_SIGMA_EXPORT size_t kvst_sigma_ruleset_rule_count(const kvst_sigma_ruleset *rs);
KVST_SIGMA_EXPORT const kvst_sigma_rule *kvst_sigma_ruleset_rule(
    const kvst_sigma_ruleset *rs, size_t i);

/* Free a rule set; every state made from it must be freed first. NULL is
 * a no-op. Since 1.1. */
KVST_SIGMA_EXPORT void kvst_sigma_ruleset_free(kvst_sigma_ruleset *rs);

/* A matching state for one thread. Returns 0 and sets *out, or
 * KVST_E_INVAL, KVST_E_NOMEM. Since 1.1. */
KVST_SIGMA_EXPORT int kvst_sigma_state_new(const kvst_sigma_ruleset *rs,
                                           kvst_sigma_state **out);

/*
 * Match one event (status 0; a broken record is ignored) against every
 * rule, calling fn for each match. Reads the record's fields from ev->raw
 * when the parser kept it (KVST_FLAG_KEEP_RAW, faster), else through
 * kvst_event_lookup(). Returns the number of matches (>= 0), or
 * KVST_E_ABORTED when fn stopped, KVST_E_NOMEM (the state stays usable).
 * Since 1.1.
 */
KVST_SIGMA_EXPORT int kvst_sigma_match(kvst_sigma_state *st, const kvst_event *ev,
                                       kvst_sigma_match_fn fn, void *payload);

/* Counters of the state; the caller sets stats->struct_size. Since 1.1. */
KVST_SIGMA_EXPORT void kvst_sigma_state_stats(const kvst_sigma_state *st,
                                              kvst_sigma_stats *stats);

/* Free a state. NULL is a no-op. Since 1.1. */
KVST_SIGMA_EXPORT void kvst_sigma_state_free(kvst_sigma_state *st);

/* Run-time version of libkvstrail-sigma ("1.1.0"). Since 1.1. */
KVST_SIGMA_EXPORT const char *kvst_sigma_version_string(void);

#ifdef __cplusplus
}
#endif

#endif /* KVSTRAIL_SIGMA_H */
