/*
 * Standalone replay driver: runs a fuzz target's LLVMFuzzerTestOneInput
 * over every file of the files and directories named on the command line
 * (directories one level deep), so each corpus is an ordinary test in any
 * build, with gcc too. Like libgit2's fuzzers/standalone_driver.c.
 *
 *   fuzz_parser_replay tests/fuzz/corpus/fuzz_parser [more files or dirs]
 *
 * Exits 0 when every input ran; a broken invariant aborts (the file being
 * run is printed first). An empty or missing corpus is an error, so a
 * misnamed directory cannot pass silently.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;

    if (!f) {
        perror(path);
        return -1;
    }
    do {
        if (cap - len < 65536) {
            uint8_t *nb = (uint8_t *)realloc(buf, cap + 65536);
            if (!nb) {
                fclose(f);
                free(buf);
                return -1;
            }
            buf = nb;
            cap += 65536;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    if (ferror(f)) {
        perror(path);
        fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    fprintf(stderr, "running %s (%zu bytes)\n", path, len);
    /* An exact-size copy, so reads past the end are caught by ASan. */
    {
        uint8_t *exact = (uint8_t *)malloc(len ? len : 1);
        if (!exact) {
            free(buf);
            return -1;
        }
        memcpy(exact, buf, len);
        free(buf);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
    }
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir in name order; returns how many, or -1. */
static long run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t count = 0, i;
    long ran = 0;

    if (!d) {
        perror(dir);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char **nn;
        size_t need;
        struct stat st;
        char *path;
        if (e->d_name[0] == '.')
            continue;
        need = strlen(dir) + strlen(e->d_name) + 2;
        path = (char *)malloc(need);
        nn = (char **)realloc(names, (count + 1) * sizeof *names);
        if (!path || !nn) {
            free(path);
            free(nn ? nn : names);
            closedir(d);
            return -1;
        }
        names = nn;
        snprintf(path, need, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        names[count++] = path;
    }
    closedir(d);
    qsort(names, count, sizeof *names, cmp_names);
    for (i = 0; i < count; i++) {
        if (ran >= 0 && run_file(names[i]) == 0)
            ran++;
        else
            ran = -1;
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    long total = 0;
    int i;

    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++) {
        struct stat st;
        long ran;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        ran = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : (run_file(argv[i]) == 0 ? 1 : -1);
        if (ran < 0)
            return 1;
        total += ran;
    }
    if (total == 0) {
        fprintf(stderr, "no corpus files found\n");
        return 1;
    }
    printf("%ld inputs ran without a crash\n", total);
    return 0;
}
