/*
 * tools/cli_walk.c: CloudTrail's S3 key layout (each field at, under and
 * over its bounds) and the directory walk (byte order of full paths,
 * stopping, errors, symbolic-link loops).
 */
#include "check.h"
#include "cli_walk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ACCT "123456789012"
#define TRAIL "AWSLogs/" ACCT "/CloudTrail/"

static void test_key_valid(void)
{
    struct cli_s3_key k;
    CHECK_EQ(cli_s3_key_parse("/data/bucket/" TRAIL "eu-west-1/2024/02/29/"
                              ACCT "_CloudTrail_eu-west-1_20240229T2355Z_Ab1.json.gz",
                              &k), 0);
    CHECK_EQ(k.valid, 1);
    CHECK_EQ(k.is_digest, 0);
    CHECK(strcmp(k.org_id, "") == 0);
    CHECK(strcmp(k.account, ACCT) == 0);
    CHECK(strcmp(k.region, "eu-west-1") == 0);
    CHECK_EQ(k.year, 2024);
    CHECK_EQ(k.month, 2);
    CHECK_EQ(k.day, 29);
    /* date -u -d 2024-02-29T23:55Z +%s */
    CHECK_EQ(k.file_time, 1709250900LL);

    /* An organisation trail, a relative path, no time in the name. */
    CHECK_EQ(cli_s3_key_parse("AWSLogs/o-abcdefghij/" ACCT
                              "/CloudTrail/us-east-1/1970/01/01/x.json", &k), 0);
    CHECK(strcmp(k.org_id, "o-abcdefghij") == 0);
    CHECK(strcmp(k.account, ACCT) == 0);
    CHECK_EQ(k.file_time, -1);

    /* A digest: seconds in the name. */
    CHECK_EQ(cli_s3_key_parse("b/AWSLogs/" ACCT "/CloudTrail-Digest/us-east-1/"
                              "2019/12/31/" ACCT "_CloudTrail-Digest_us-east-1_"
                              "t_us-east-1_20191231T235959Z.json.gz", &k), 0);
    CHECK_EQ(k.is_digest, 1);
    CHECK_EQ(k.file_time, 1577836799LL);

    /* The last AWSLogs/ counts. */
    CHECK_EQ(cli_s3_key_parse("AWSLogs/x/" TRAIL "eu-west-1/2024/01/31/f", &k), 0);
    CHECK_EQ(k.day, 31);
    /* The epoch of day 0 and one later. */
    CHECK_EQ(cli_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ(cli_days_from_civil(2000, 3, 1), 11017);
    CHECK_EQ(cli_days_from_civil(1969, 12, 31), -1);
}

static void test_key_invalid(void)
{
    static const char *const bad[] = {
        "",
        "/data/file.json.gz",
        "AWSLogs/12345678901/CloudTrail/eu-west-1/2024/01/01/f",    /* 11 */
        "AWSLogs/1234567890123/CloudTrail/eu-west-1/2024/01/01/f",  /* 13 */
        "AWSLogs/12345678901a/CloudTrail/eu-west-1/2024/01/01/f",
        TRAIL "eu-west-1/2023/02/29/f",          /* not a leap year */
        TRAIL "eu-west-1/2024/02/30/f",
        TRAIL "eu-west-1/2024/04/31/f",
        TRAIL "eu-west-1/2024/13/01/f",
        TRAIL "eu-west-1/2024/00/01/f",
        TRAIL "eu-west-1/2024/01/00/f",
        TRAIL "eu-west-1/2024/1/01/f",
        TRAIL "eu-west-1/2024/01/01/",           /* no file */
        TRAIL "eu-west-1/2024/01/01",            /* one folder short */
        TRAIL "eu-west-1/2024/01/01/x/f",        /* one too deep */
        TRAIL "EU-WEST-1/2024/01/01/f",
        "AWSLogs/" ACCT "/CloudTrail-Insight/eu-west-1/2024/01/01/f",
        "AWSLogs/o-/" ACCT "/CloudTrail/eu-west-1/2024/01/01/f",
        "AWSLogs/o-abc/" ACCT "/CloudTrail/eu-west-1/2024/01/01/f",
        "AWSLogs/o-ABCDEFGHIJ/" ACCT "/CloudTrail/eu-west-1/2024/01/01/f",
        "xAWSLogs/" ACCT "/CloudTrail/eu-west-1/2024/01/01/f",
        "AWSLogs/" ACCT "/CloudTrail//2024/01/01/f",
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cli_s3_key k;
        memset(&k, 0x55, sizeof k);
        if (cli_s3_key_parse(bad[i], &k) != -1 || k.valid != 0 ||
            k.file_time != -1 || k.account[0] != '\0') {
            check_failures++;
            fprintf(stderr, "accepted as an S3 key: '%s'\n", bad[i]);
        }
        check_count++;
    }
}

static void test_name_time(void)
{
    struct cli_s3_key k;
    static const struct { const char *name; long long t; } names[] = {
        { ACCT "_CloudTrail_r_20240101T0000Z_a.json.gz", 1704067200LL },
        { ACCT "_CloudTrail_r_20240101T2359Z_a.json.gz", 1704153540LL },
        { ACCT "_CloudTrail_r_20240101T2400Z_a.json.gz", -1 },
        { ACCT "_CloudTrail_r_20240101T0060Z_a.json.gz", -1 },
        { ACCT "_CloudTrail_r_20240132T0000Z_a.json.gz", -1 },
        { ACCT "_CloudTrail_r_2024011T0000Z_a.json.gz", -1 },
        { ACCT "_CloudTrail_r_20240101T0000_a.json.gz", -1 },
        { ACCT "_CloudTrail_r_20240101T000000Zx", -1 },
        { ACCT "_CloudTrail_r_20240101T000059Z.json.gz", 1704067259LL },
        { ACCT "_CloudTrail_r_20240101T000060Z.json.gz", -1 },
    };
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, TRAIL "r/2024/01/01/%s", names[i].name);
        CHECK_EQ(cli_s3_key_parse(path, &k), 0);
        if (k.file_time != names[i].t)
            fprintf(stderr, "file_time of '%s'\n", names[i].name);
        CHECK_EQ(k.file_time, names[i].t);
    }
}

struct seen {
    char text[4096];
    int stop_at;
    int calls;
    int errors;
    int last_err;
};

static int on_file(const char *file, void *ctx)
{
    struct seen *s = ctx;
    const char *rel = strrchr(file, '#');
    if (strstr(file, "//") != NULL)
        s->errors++;
    strcat(s->text, rel != NULL ? rel + 1 : file);
    strcat(s->text, "\n");
    return ++s->calls == s->stop_at ? 42 : 0;
}

static void on_error(const char *path, int err, void *ctx)
{
    struct seen *s = ctx;
    (void)path;
    s->errors++;
    s->last_err = err;
}

static void touch(const char *root, const char *rel)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", root, rel);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f != NULL)
        fclose(f);
}

static void sub(char *out, size_t n, const char *root, const char *rel)
{
    snprintf(out, n, "%s/%s", root, rel);
}

static void test_walk(void)
{
    char root[] = "/tmp/kvst_walk_XXXXXX", p[512], q[512];
    struct seen s;
    CHECK(mkdtemp(root) != NULL);
    /* '#' marks where the part the test compares starts. */
    sub(p, sizeof p, root, "#a"); CHECK(mkdir(p, 0700) == 0);
    sub(p, sizeof p, root, "#a-b"); CHECK(mkdir(p, 0700) == 0);
    sub(p, sizeof p, root, "#a/c"); CHECK(mkdir(p, 0700) == 0);
    touch(root, "#a/z");
    touch(root, "#a/c/y");
    touch(root, "#a-b/x");
    touch(root, "#B");
    sub(p, sizeof p, root, "#a/fifo"); CHECK(mkfifo(p, 0600) == 0);

    memset(&s, 0, sizeof s);
    CHECK_EQ(cli_walk(root, on_file, on_error, &s), 0);
    /* Byte order of full paths: 'B' < 'a', "a-b/" < "a/", and a FIFO
     * inside a folder is not a regular file. */
    CHECK(strcmp(s.text, "B\na-b/x\na/c/y\na/z\n") == 0);
    CHECK_EQ(s.errors, 0);

    /* Stop at the second file with fn's value. */
    memset(&s, 0, sizeof s);
    s.stop_at = 2;
    CHECK_EQ(cli_walk(root, on_file, on_error, &s), 42);
    CHECK(strcmp(s.text, "B\na-b/x\n") == 0);

    /* A path that is a file, a FIFO or "-" is handed over as it is. */
    memset(&s, 0, sizeof s);
    sub(p, sizeof p, root, "#a/fifo");
    CHECK_EQ(cli_walk(p, on_file, on_error, &s), 0);
    CHECK_EQ(cli_walk("-", on_file, on_error, &s), 0);
    CHECK(strcmp(s.text, "a/fifo\n-\n") == 0);

    /* A missing path and a dangling link are errors; a loop is one too,
     * and the files beside them are still found. */
    memset(&s, 0, sizeof s);
    sub(p, sizeof p, root, "#missing");
    CHECK_EQ(cli_walk(p, on_file, on_error, &s), 0);
    CHECK_EQ(s.errors, 1);
    CHECK_EQ(s.last_err, ENOENT);
    CHECK_EQ(s.calls, 0);
    sub(p, sizeof p, root, "#a/c/dangling");
    CHECK(symlink("nowhere", p) == 0);
    memset(&s, 0, sizeof s);
    CHECK_EQ(cli_walk(root, on_file, on_error, &s), 0);
    CHECK_EQ(s.errors, 1);
    CHECK_EQ(s.last_err, ENOENT);
    unlink(p);
    sub(p, sizeof p, root, "#a/c/up");
    CHECK(symlink("..", p) == 0);
    memset(&s, 0, sizeof s);
    CHECK_EQ(cli_walk(root, on_file, on_error, &s), 0);
    CHECK_EQ(s.errors, 1);
    CHECK_EQ(s.last_err, ELOOP);
    CHECK(strcmp(s.text, "B\na-b/x\na/c/y\na/z\n") == 0);
    unlink(p);

    /* A trailing slash does not double. */
    memset(&s, 0, sizeof s);
    sub(q, sizeof q, root, "#a-b/");
    CHECK_EQ(cli_walk(q, on_file, on_error, &s), 0);
    CHECK(strcmp(s.text, "a-b/x\n") == 0);

    sub(p, sizeof p, root, "#a/c/y"); unlink(p);
    sub(p, sizeof p, root, "#a/c"); rmdir(p);
    sub(p, sizeof p, root, "#a/z"); unlink(p);
    sub(p, sizeof p, root, "#a/fifo"); unlink(p);
    sub(p, sizeof p, root, "#a"); rmdir(p);
    sub(p, sizeof p, root, "#a-b/x"); unlink(p);
    sub(p, sizeof p, root, "#a-b"); rmdir(p);
    sub(p, sizeof p, root, "#B"); unlink(p);
    CHECK(rmdir(root) == 0);
}

int main(void)
{
    test_key_valid();
    test_key_invalid();
    test_name_time();
    test_walk();
    return check_done("cli_walk");
}
