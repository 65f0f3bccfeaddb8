/*
 * kvstrail CLI: archives on disk. Walks a directory tree (a folder synced
 * from S3) in a fixed order, and reads CloudTrail's S3 key layout from a
 * path so that files can be pruned by account, region and time before
 * they are opened.
 *
 * The S3 key layout, as CloudTrail writes it:
 *   .../AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
 *       ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz
 * and digest files under CloudTrail-Digest/ in the same shape (their names
 * carry YYYYMMDDTHHMMSSZ). Used by `events`, `check`, `stats` and `verify`.
 */
#ifndef KVSTRAIL_CLI_WALK_H
#define KVSTRAIL_CLI_WALK_H

struct cli_s3_key {          /* a path in CloudTrail's S3 key layout */
    int valid;               /* 1: .../AWSLogs/[o-ORG/]ACCOUNT/CloudTrail[-Digest]/REGION/YYYY/MM/DD/FILE */
    int is_digest;           /* under CloudTrail-Digest/ */
    char org_id[40];         /* "" when not an organisation trail */
    char account[13];
    char region[32];
    int year, month, day;    /* of the key's folders */
    long long file_time;     /* epoch seconds of the file name's YYYYMMDDTHHMMZ, -1 if none */
};

/*
 * Read the layout from path (any prefix before AWSLogs/ is allowed; the
 * last AWSLogs/ component counts). Returns 0 and fills *out (valid = 1),
 * or -1 when the path is not in the layout (*out zeroed, valid = 0,
 * file_time -1). Folder dates must be real calendar dates; the file name
 * need not carry a time (file_time is then -1).
 */
int cli_s3_key_parse(const char *path, struct cli_s3_key *out);

/*
 * Every regular file under path (or path itself when it is not a
 * directory, e.g. a file, a FIFO or "-" for stdin), recursively, in byte order
 * (strcmp) of the full paths; symbolic links are followed, a directory
 * already on the way down is not entered again. fn returning non-zero
 * stops the walk with that value; errors (missing path, unreadable
 * directory) are reported through err_fn (may be NULL) with the path and
 * errno, and the walk goes on. Returns 0 or fn's value. Out of memory
 * ends the program (cli_xrealloc). Not thread-safe with respect to ctx.
 */
int cli_walk(const char *path, int (*fn)(const char *file, void *ctx),
             void (*err_fn)(const char *path, int err, void *ctx), void *ctx);

/* Days since 1970-01-01 of a proleptic Gregorian date; shared by the key
 * parser and the --since/--until parser. */
long long cli_days_from_civil(int year, int month, int day);

#endif /* KVSTRAIL_CLI_WALK_H */
