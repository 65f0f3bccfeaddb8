/* kvstrail verify: loading its crypto module (cli_verify_crypto.h). */
#include "cli_verify_crypto.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef KVST_MODULE_DIR
#error "KVST_MODULE_DIR must name the directory the module is installed to"
#endif

/* dlopen path; 0 and the table in *out, or -1 with the loader's words. */
static int try_load(const char *path, const struct cli_crypto **out, struct cli_buf *why)
{
    void *h;
    cli_crypto_entry entry;
    const struct cli_crypto *t;
    const char *err;

    if (access(path, R_OK) != 0) {
        cli_buf_printf(why, "%s%s: not found", why->len ? "; " : "", path);
        return -1;
    }
    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        err = dlerror();
        cli_buf_printf(why, "%s%s", why->len ? "; " : "", err ? err : path);
        return -1;
    }
    /* The one way POSIX gives to turn dlsym's object pointer into a
     * function pointer. */
    *(void **)(&entry) = dlsym(h, CLI_CRYPTO_ENTRY);
    t = entry != NULL ? entry(CLI_CRYPTO_ABI) : NULL;
    if (t == NULL || t->size != sizeof *t) {
        cli_buf_printf(why, "%s%s: %s", why->len ? "; " : "", path,
                       entry == NULL ? "no " CLI_CRYPTO_ENTRY " in it"
                                     : "built for another kvstrail (its table differs)");
        dlclose(h);
        return -1;
    }
    /* Never closed: libcrypto keeps exit handlers of its own. */
    *out = t;
    return 0;
}

const struct cli_crypto *cli_crypto_open(struct cli_buf *why)
{
    static const struct cli_crypto *loaded;
    char exe[PATH_MAX];
    struct cli_buf path = CLI_BUF_INIT;
    ssize_t n;

    if (loaded != NULL)
        return loaded;
    /* Beside the program: the build tree, where the module is built next to
     * it (an installed program finds nothing there and goes on). */
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        char *slash;
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash != NULL) {
            slash[1] = '\0';
            cli_buf_adds(&path, exe);
            cli_buf_adds(&path, CLI_CRYPTO_MODULE);
            cli_buf_addc(&path, '\0');
            if (try_load(path.data, &loaded, why) == 0) {
                cli_buf_free(&path);
                why->len = 0;
                return loaded;
            }
        }
    }
    path.len = 0;
    cli_buf_adds(&path, KVST_MODULE_DIR "/" CLI_CRYPTO_MODULE);
    cli_buf_addc(&path, '\0');
    if (try_load(path.data, &loaded, why) != 0)
        loaded = NULL;
    else
        why->len = 0;
    cli_buf_free(&path);
    return loaded;
}
