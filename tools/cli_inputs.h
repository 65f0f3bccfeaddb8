/*
 * kvstrail CLI: the list of files a run reads. Each FILE argument is
 * taken as it is; a directory argument is walked (cli_walk: recursively,
 * in byte order of the full paths) and of what it holds are kept the
 * files that look like logs by name (.json, .jsonl, .gz) or by content
 * (a first byte '{' or '[', or gzip's magic); digest files
 * (CloudTrail-Digest/ in the S3 layout, or _CloudTrail-Digest_ in the
 * name) are skipped, and files in the S3 layout are pruned by their key
 * when --account, --region, --since or --until rule them out (see
 * cli_inputs_prunes()).
 */
#ifndef KVSTRAIL_CLI_INPUTS_H
#define KVSTRAIL_CLI_INPUTS_H

#include "cli_options.h"
#include "cli_stats.h"
#include "cli_walk.h"

struct cli_inputs {
    char **files;   /* owned; "-" is stdin */
    size_t count;
};

/* Build the list; counts pruned, skipped and digest files and walk
 * errors (reported on stderr) in *st. */
void cli_inputs_collect(const struct cli_options *opts, struct cli_inputs *in,
                        struct cli_stats *st);
void cli_inputs_free(struct cli_inputs *in);

/*
 * Whether a file with this key holds no event the filters let through.
 * The key's time (the file name's, else the whole day of its folders) is
 * when CloudTrail wrote the file; its events happened before it, most
 * within minutes, some later (AWS gives no bound). A file is kept while
 * its time lies within [since - margin, until + margin]: events more
 * than margin away from their file's time are missed.
 */
int cli_inputs_prunes(const struct cli_options *opts,
                      const struct cli_s3_key *key);

#endif /* KVSTRAIL_CLI_INPUTS_H */
