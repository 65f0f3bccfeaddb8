/*
 * kvstrail CLI: growable byte buffers and the text escapes every output
 * format needs (JSON strings, terminal-safe text).
 */
#ifndef KVSTRAIL_CLI_BUF_H
#define KVSTRAIL_CLI_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cli_buf {
    char *data;
    size_t len;
    size_t cap;
};

#define CLI_BUF_INIT { NULL, 0, 0 }

/* Make room for extra more bytes (plus a NUL). Out of memory ends the
 * program with status 2: a CLI has nothing sensible left to do. */
void cli_buf_reserve(struct cli_buf *b, size_t extra);
void cli_buf_add(struct cli_buf *b, const char *s, size_t n);
void cli_buf_adds(struct cli_buf *b, const char *s);
void cli_buf_addc(struct cli_buf *b, char c);
void cli_buf_add_u64(struct cli_buf *b, uint64_t v);
void cli_buf_printf(struct cli_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void cli_buf_free(struct cli_buf *b);

/* cli_buf_add inline, for the writers that run per match or per event:
 * the room is checked here and made by cli_buf_reserve only when short. */
static inline void cli_buf_put(struct cli_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap)
        cli_buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* A string literal, its length known when compiled (no strlen). */
#define CLI_BUF_LIT(b, lit) cli_buf_put((b), "" lit, sizeof(lit) - 1)

/* A quoted JSON string. Invalid UTF-8 (possible in file names, never in
 * what the library hands out) becomes U+FFFD so the output stays JSON. */
void cli_buf_json_str(struct cli_buf *b, const char *s, size_t n);
void cli_buf_json_strz(struct cli_buf *b, const char *s);

/* Text for a terminal or a log: control bytes (ESC, CR, ...) from hostile
 * records are shown as \xNN so they cannot drive the terminal. */
void cli_buf_safe_text(struct cli_buf *b, const char *s, size_t n);

/* Number of terminal cells of UTF-8 text, counting one per code point. */
size_t cli_text_cells(const char *s, size_t n);

/* Out-of-memory exit shared by every allocation of the CLI. */
void *cli_xrealloc(void *p, size_t n);

#endif /* KVSTRAIL_CLI_BUF_H */
