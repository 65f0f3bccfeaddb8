/*
 * libkvstrail-sigma: shared vocabulary of the engine's stages.
 *
 *   rule_load.c    YAML documents -> rule metadata, detection or correlation
 *   detection.c    search identifiers and their values (modifiers) -> tests
 *   condition.c    the condition expression -> a tree; evaluation; prefilter
 *   value_match.c  one compiled value against one field value (the leaf)
 *   flatten.c      a record's JSON -> dotted paths and values, once per event
 *   correlation.c  correlation windows per group, bounded
 *   ruleset.c      builder, rule set, prefilter index, state, kvst_sigma_match
 *   sg_mem.c       the allocator hooks; sg_text.c buffers, hashing, folding
 *
 * Nothing here is exported; the public API is <kvstrail/sigma.h>.
 */
#ifndef KVSTRAIL_SIGMA_INTERNAL_H
#define KVSTRAIL_SIGMA_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8

#include <kvstrail/kvstrail.h>
#include <kvstrail/sigma.h>

#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

/* ---- memory (sg_mem.c) -------------------------------------------------- */

/* The allocator of an object: in's hooks when all three are set, else
 * the C library's. */
void sg_mem_take(const kvst_allocator *in, kvst_allocator *out);
/* Make a the thread's current allocator for a public call; returns the
 * one to put back with sg_mem_leave when the call returns. */
const kvst_allocator *sg_mem_enter(const kvst_allocator *a);
void sg_mem_leave(const kvst_allocator *prev);
/* The engine's malloc, calloc, realloc and free, through the current
 * allocator. */
void *sg_malloc(size_t n);
void *sg_calloc(size_t count, size_t size);
void *sg_realloc(void *p, size_t n);
void sg_free(void *p);
/* A PCRE2 general context whose memory goes through the same; NULL when
 * out of memory. */
pcre2_general_context *sg_pcre2_context(void);

/* ---- growable byte buffer and error text ------------------------------ */

typedef struct sg_buf {
    char *data;
    size_t len, cap;
    int failed; /* an allocation failed: the contents are incomplete */
} sg_buf;

void sg_buf_add(sg_buf *b, const void *p, size_t n);
/* Room for n more bytes and a NUL after them: 1, or 0 (and failed set)
 * when memory ran out or had already. */
int sg_buf_reserve(sg_buf *b, size_t n);
void sg_buf_addc(sg_buf *b, char c);
void sg_buf_addz(sg_buf *b, const char *s);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void sg_buf_printf(sg_buf *b, const char *fmt, ...);
void sg_buf_free(sg_buf *b);

char *sg_strndup(const char *s, size_t n);
uint64_t sg_hash(const char *s, size_t n);
/* The hash of a text continued by s[0..n): sg_hash(a + b) is
 * sg_hash_more(sg_hash(a), b), so a dotted path is hashed as it grows. */
#define SG_HASH_INIT 14695981039346656037ull
uint64_t sg_hash_more(uint64_t h, const char *s, size_t n);
/* ASCII case folding: Sigma compares case-insensitively by default. */
extern const unsigned char sg_fold[256];
/* Whether a[0..n) and b[0..n) are equal after folding both. */
int sg_fold_eq(const char *a, const char *b, size_t n);
/* Eight bytes folded as sg_fold does (ASCII 'A'..'Z' to 'a'..'z', every
 * other byte kept): a byte below 0x80 whose low seven bits are in
 * 'A'..'Z' gets 0x20 added. */
static inline uint64_t sg_fold8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t low7 = w & ~high;
    uint64_t ge_a = low7 + ones * (0x80 - 'A');      /* high bit: >= 'A' */
    uint64_t gt_z = low7 + ones * (0x80 - 'Z' - 1);  /* high bit: > 'Z' */
    uint64_t upper = ge_a & ~gt_z & ~w & high;
    return w | (upper >> 2);
}


/* ---- flattened record (flatten.c) ------------------------------------- */

/* JSON types of a leaf; containers are listed too (for exists). */
enum { SG_J_STRING = 1, SG_J_NUMBER, SG_J_BOOL, SG_J_NULL, SG_J_OBJECT, SG_J_ARRAY };

typedef struct sg_leaf {
    uint64_t hash;      /* sg_hash of the dotted path */
    const char *path;
    const char *val;    /* decoded string, or the JSON text */
    uint32_t path_len;
    uint32_t val_len;
    uint8_t type;       /* SG_J_* */
} sg_leaf;

typedef struct sg_record {
    sg_leaf *leaves;
    size_t count, cap;
    sg_buf text;        /* decoded strings and paths */
    int truncated;      /* the JSON was deeper or odder than the scanner
                           follows: what came before is kept */
} sg_record;

/* The dotted paths a rule set reads, so that flattening keeps only those
 * (and everything beneath them) and skips the rest of the record; a set
 * with all set (a keyword search reads every string) keeps everything.
 * An open-addressed table of path hashes: SG_PATH_WANTED for a path a
 * rule names, SG_PATH_PREFIX for an object on the way to one. */
enum { SG_PATH_WANTED = 1, SG_PATH_PREFIX = 2 };

/* A top-level member the paths of a set begin with (the text before a
 * path's first '.'), for flattening a record by looking its members up
 * instead of scanning it (sg_flatten_event). */
typedef struct sg_top {
    char *quoted;       /* '"' and the name, as the record's bytes hold it */
    size_t len;         /* of the name */
    uint64_t hash;      /* sg_hash of the name */
    char *pointer;      /* "/name", for kvst_event_lookup */
    size_t rare;        /* the byte of the name memchr looks for */
} sg_top;

typedef struct sg_pathset {
    uint64_t *hashes;   /* 0: an empty slot */
    uint8_t *kinds;
    size_t cap, count;  /* cap a power of two, or 0 */
    int all;
    sg_top *tops;       /* the distinct first names of the paths added */
    size_t top_count;
    int odd_top;        /* a first name with a byte outside [A-Za-z0-9_-] */
} sg_pathset;

/* Add a path and its prefixes (at each '.'). 0 or KVST_E_NOMEM. */
int sg_pathset_add(sg_pathset *ps, const char *path, size_t len);
void sg_pathset_free(sg_pathset *ps);

/* Flatten one record's JSON object: every member at every depth by its
 * dotted path, array elements under the array's path (matched
 * element-wise). With want_count sets, only the members one of them
 * holds and what is beneath them (all of it when a set has all; with 0
 * sets, everything). any, when not NULL, holds every path of every set
 * (a member it does not hold is skipped after one probe). Reuses rec's
 * memory. Returns 0 or KVST_E_NOMEM. */
int sg_flatten(sg_record *rec, const char *json, size_t len,
               const sg_pathset *const *want, size_t want_count,
               const sg_pathset *any);
/* sg_flatten of an event's record (json, len: its bytes), with the same
 * leaves for every path: a KVS event's record, whose payloads the parser
 * keeps on its tape, is flattened by looking up (kvst_event_lookup) only
 * the top-level members any's paths begin with, when the bytes show that
 * each of them is written once, plainly (no \u escape in the record);
 * any other record is scanned whole. any is as for sg_flatten (NULL: some
 * set has all, and the record is scanned). */
int sg_flatten_event(sg_record *rec, const kvst_event *ev, const char *json,
                     size_t len, const sg_pathset *const *want,
                     size_t want_count, const sg_pathset *any);
void sg_record_free(sg_record *rec);
/* The first leaf of a path at or after *from (start with 0); NULL when
 * there is none. */
const sg_leaf *sg_record_find(const sg_record *rec, uint64_t hash,
                              const char *path, size_t path_len, size_t *from);

/* ---- compiled values and tests (detection.c, value_match.c) ------------ */

enum sg_op {
    SG_OP_STRING,   /* glob over text (exact, prefix, suffix, contains, any) */
    SG_OP_REGEX,
    SG_OP_CIDR,
    SG_OP_NUMBER,   /* gt, gte, lt, lte */
    SG_OP_EXISTS,
    SG_OP_NULL,
    SG_OP_FIELDREF
};

enum sg_shape { SG_EXACT, SG_PREFIX, SG_SUFFIX, SG_CONTAINS, SG_GLOB };
enum sg_cmp { SG_GT, SG_GTE, SG_LT, SG_LTE };

typedef struct sg_value {
    uint8_t op;        /* enum sg_op */
    uint8_t cased;     /* compare case-sensitively */
    uint8_t shape;     /* enum sg_shape, for SG_OP_STRING */
    uint8_t cmp;       /* enum sg_cmp, for SG_OP_NUMBER */
    uint8_t exists;    /* for SG_OP_EXISTS */
    uint8_t family;    /* 4 or 6, for SG_OP_CIDR */
    uint8_t prefix;    /* network prefix length, for SG_OP_CIDR */
    unsigned char addr[16];
    char *text;        /* the literal (folded unless cased); for SG_GLOB the
                          pattern with wild[] marking wildcards; for
                          FIELDREF the other field's path */
    size_t len;
    unsigned char *wild; /* SG_GLOB: 0 literal, '*' any run, '?' one char */
    uint64_t ref_hash;   /* FIELDREF */
    int ref_envelope;    /* FIELDREF: the other field's sg_envelope_field */
    double number;
    pcre2_code *re;
    char *needle;        /* REGEX: bytes every match contains, or NULL */
    size_t needle_len;
    size_t needle_rare;  /* the needle's byte searched for first */
} sg_value;

typedef struct sg_test {
    char *path;        /* NULL: a keyword, searched in every string value */
    size_t path_len;
    uint64_t hash;
    int envelope;      /* index of sg_envelope_fields, -1: read the record */
    int all;           /* every value must match (|all) */
    int neq;           /* the test is negated (|neq) */
    size_t value_count;
    sg_value *values;
} sg_test;

typedef struct sg_map {   /* AND of its tests */
    size_t test_count;
    sg_test *tests;
} sg_map;

typedef struct sg_search { /* OR of its maps */
    char *name;
    size_t map_count;
    sg_map *maps;
} sg_search;

/* What a value test needs at match time. The record is flattened only
 * when a test needs a field the event's envelope does not hold. */
typedef struct sg_match_ctx {
    const kvst_event *ev;
    const sg_record *rec;
    int (*need_record)(void *ctx); /* flatten now; 0 or KVST_E_NOMEM */
    /* flatten now keeping every member, even after need_record: what a
     * test reads that the rules' paths leave out (0 or KVST_E_NOMEM) */
    int (*need_all)(void *ctx);
    void *need_ctx;
    int failed;                    /* need_record failed: tests are false */
    sg_leaf scratch;               /* an envelope field as a leaf */
    pcre2_match_data *md;
    pcre2_match_context *mc;
    uint64_t *regex_errors;
} sg_match_ctx;

/* The envelope field a dotted path names (eventName,
 * userIdentity.sessionContext.sessionIssuer.type, ...), read from the
 * kvst_event instead of the record; -1 for any other path. */
int sg_envelope_field(const char *path, size_t len);
/* That field of the event (NULL when its struct is absent). */
const kvst_str *sg_envelope_get(const kvst_event *ev, int field);
/* How many envelope fields there are, and the dotted path of one. */
int sg_envelope_count(void);
const char *sg_envelope_path(int field);

int sg_value_match(const sg_value *v, const sg_leaf *leaf, sg_match_ctx *mx);
/* Whether a test holds on the record; *hit receives the leaf that matched
 * (NULL for a test that holds without one, such as exists: false). */
int sg_test_match(const sg_test *t, sg_match_ctx *mx, const sg_leaf **hit);
int sg_map_match(const sg_map *m, sg_match_ctx *mx);
void sg_value_free(sg_value *v);
void sg_search_free(sg_search *s);

/* ---- the condition (condition.c) -------------------------------------- */

enum sg_cond_op { SG_C_SEARCH, SG_C_AND, SG_C_OR, SG_C_NOT, SG_C_OF };

typedef struct sg_cond {
    uint8_t op;
    uint32_t search;          /* SG_C_SEARCH */
    struct sg_cond *a, *b;    /* AND, OR (a, b), NOT (a) */
    uint32_t *set;            /* SG_C_OF: the searches */
    uint32_t set_count;
    uint32_t need;            /* SG_C_OF: how many must hold */
} sg_cond;

/* A set of exact values (folded) one field must have, or "any". */
typedef struct sg_prefilter {
    int any;
    size_t count;
    const char **values;      /* point into the rule's compiled values */
    size_t *lens;
} sg_prefilter;

void sg_cond_free(sg_cond *c);
int sg_cond_eval(const sg_cond *c, const sg_search *searches, int8_t *memo,
                 sg_match_ctx *mx);
/* Reorder the operands of every chain of ANDs so that those reading only
 * the event's envelope come first: AND is pure, commutative and
 * associative, and a false cheap operand spares flattening the record. */
void sg_cond_order(sg_cond *c, const sg_search *searches);
/* Mark in positive[] the searches that count for the condition without a
 * negation above them. */
void sg_cond_positive(const sg_cond *c, int negated, uint8_t *positive);
/* Over-approximate which eventSource (field "eventSource") or eventName
 * values the condition can hold for. Returns 0 or KVST_E_NOMEM. */
int sg_cond_prefilter(const sg_cond *c, const sg_search *searches,
                      const char *field, sg_prefilter *out);
void sg_prefilter_free(sg_prefilter *p);

/* ---- rules ------------------------------------------------------------- */

struct sg_compile;   /* a text being compiled (rule_load.c) */

enum sg_ctype { SG_EVENT_COUNT, SG_VALUE_COUNT, SG_TEMPORAL, SG_TEMPORAL_ORDERED };

typedef struct sg_corr {
    uint8_t type;              /* enum sg_ctype */
    size_t ref_count;
    char **refs;               /* ids or names as written */
    uint32_t *ref_rules;       /* resolved at build */
    size_t group_count;
    char **group_by;
    /* aliases: alias_field[g * ref_count + r] the field of group-by g for
     * referenced rule r (NULL: the group-by name itself) */
    char **alias_field;
    int64_t timespan_ms;
    int has_gt, has_gte, has_lt, has_lte, has_eq, has_neq;
    uint64_t gt, gte, lt, lte, eq, neq;
    char *field;               /* value_count */
    size_t field_len;
    uint64_t field_hash;
    int generate;
} sg_corr;

typedef struct sg_rule {
    /* What kvst_sigma_match reads of every candidate, first and together
     * (one cache line for most rules; the metadata comes after). */
    /* One more envelope field the condition needs an exact value of (the
     * one with the fewest values), checked before the rule is evaluated:
     * key_field + 1, 0 for none. */
    int key_field1;
    sg_prefilter key;
    sg_cond *cond;             /* OR of the conditions given */
    sg_search *searches;
    size_t search_count;
    uint8_t *positive;         /* per search */
    /* set at build */
    uint32_t *dependents;      /* correlations referring to this rule */
    size_t dependent_count;
    sg_corr *corr;             /* correlations only */
    kvst_sigma_rule info;
    void **owned;              /* the info strings and arrays */
    size_t owned_count;
    sg_prefilter sources, names;
} sg_rule;

void sg_rule_free(sg_rule *r);

/* Limits and placeholders a compile needs. */
typedef struct sg_env {
    kvst_sigma_options opts;   /* allocator: the resolved hooks */
    pcre2_compile_context *pcre2_compile; /* through them */
    size_t placeholder_count;
    char **placeholder_names;
    char **placeholder_values;
} sg_env;

/* Errors and rules out of one text. */
typedef struct sg_sink {
    void *ctx;
    /* The rule is handed over (the callee owns it); skipped: logsource
     * not CloudTrail. Return 0 or KVST_E_NOMEM. */
    int (*rule)(void *ctx, sg_rule *r, int skipped);
    int (*error)(void *ctx, const char *file, uint64_t line, uint64_t column,
                 const char *title, const char *message);
} sg_sink;

/* Compile every document of a YAML text (rule_load.c). Returns 0, or
 * KVST_E_SYNTAX when a rule was refused, KVST_E_LIMIT, KVST_E_NOMEM. */
int sg_load_text(const sg_env *env, const char *file, const char *text,
                 size_t len, const sg_sink *sink);

/* Detection compile (detection.c): the detection map of a rule document. */
struct yaml_document_s;
struct yaml_node_s;
typedef struct sg_diag {
    char message[512];
    uint64_t line, column;
} sg_diag;

typedef struct sg_budget {
    uint64_t nodes;            /* YAML nodes left */
    uint64_t values;           /* values left for this rule */
    const sg_env *env;
} sg_budget;

int sg_detection_compile(struct yaml_document_s *doc, struct yaml_node_s *det,
                         sg_budget *bud, sg_rule *r, sg_diag *d);
int sg_condition_compile(const char *text, size_t len, const sg_rule *r,
                         uint64_t max_depth, sg_cond **out, sg_diag *d);

/* ---- correlation state (correlation.c) --------------------------------- */

typedef struct sg_corr_state sg_corr_state;

/* What a fired correlation reports. */
typedef struct sg_fire {
    uint64_t count;
    int64_t start_ms, end_ms;
} sg_fire;

sg_corr_state *sg_corr_state_new(const sg_corr *c);
void sg_corr_state_free(sg_corr_state *cs);
/* An event matched referenced rule slot (index in c->refs) in group key;
 * returns 1 when the correlation fires (*fire filled, group cleared), 0
 * when not, KVST_E_NOMEM. */
int sg_corr_add(sg_corr_state *cs, const sg_corr *c, const kvst_sigma_options *o,
                const char *key, size_t key_len, uint32_t slot, int64_t t_ms,
                int64_t watermark_ms, uint64_t value_hash, sg_fire *fire,
                kvst_sigma_stats *stats);

#endif /* KVSTRAIL_SIGMA_INTERNAL_H */
