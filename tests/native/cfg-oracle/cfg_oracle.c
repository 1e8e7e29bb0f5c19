/*
 * cfg-oracle: reads an xl config with Debian's real libxlutil and prints, as one JSON
 * object, what libxlutil made of it: the return code, every report line, and for each
 * setting its value plus what the typed getters (string/long/list) say about it.
 *
 * usage: cfg-oracle <source name> <file>...   (one JSON line per file)
 *
 * The setting list is walked through libxlutil's internal layout (libxlu_internal.h,
 * Xen 4.17), mirrored below; values are then read with the public API.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxlutil.h>

/* Mirror of libxlu_internal.h (Xen 4.17): only the prefix we read. */
typedef struct Setting {
    struct Setting *next;
    char *name;
    XLU_ConfigValue *value;
    enum XLU_Operation op;
    int lineno;
} Setting;
struct ConfigHead { Setting *settings; };

static char *report_buf;
static size_t report_len;
static FILE *report;
static size_t report_mark;

static void json_string(const char *s) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
}

/* Prints what was reported since the last call, as a JSON string. */
static void report_since_mark(void) {
    fflush(report);
    char *chunk = strndup(report_buf + report_mark, report_len - report_mark);
    report_mark = report_len;
    json_string(chunk);
    free(chunk);
}

static void json_value(const XLU_Config *cfg, XLU_ConfigValue *v) {
    if (xlu_cfg_value_type(v) == XLU_STRING) {
        char *s;
        xlu_cfg_value_get_string(cfg, v, &s, 1);
        json_string(s);
        return;
    }
    XLU_ConfigList *list;
    xlu_cfg_value_get_list(cfg, v, &list, 1);
    putchar('[');
    for (int i = 0;; i++) {
        XLU_ConfigValue *item = xlu_cfg_get_listitem2(list, i);
        if (!item) break;
        if (i) putchar(',');
        json_value(cfg, item);
    }
    putchar(']');
}

static void oracle_one(const char *path, const char *source) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    char *data = NULL;
    size_t cap = 0, len = 0, n;
    do {
        if (len + 65536 > cap) { cap = (len + 65536) * 2; data = realloc(data, cap); }
        n = fread(data + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);

    report_buf = NULL;
    report_len = 0;
    report_mark = 0;
    report = open_memstream(&report_buf, &report_len);
    XLU_Config *cfg = xlu_cfg_init(report, source);
    int rc = xlu_cfg_readdata(cfg, data, (int)len);
    printf("{\"rc\":%d,\"report\":", rc);
    report_since_mark();
    printf(",\"settings\":[");
    if (rc == 0) {
        /* The list is newest first; print oldest first, one entry per setting. */
        int count = 0;
        for (Setting *s = ((struct ConfigHead *)cfg)->settings; s; s = s->next) count++;
        Setting **all = calloc(count ? count : 1, sizeof(*all));
        int i = count;
        for (Setting *s = ((struct ConfigHead *)cfg)->settings; s; s = s->next) all[--i] = s;
        for (i = 0; i < count; i++) {
            Setting *s = all[i];
            if (i) putchar(',');
            printf("{\"name\":");
            json_string(s->name);
            printf(",\"op\":%d,\"lineno\":%d,\"value\":", (int)s->op, s->lineno);
            json_value(cfg, s->value);
            putchar('}');
        }
        free(all);
    }
    printf("],\"getters\":{");
    if (rc == 0) {
        int first = 1;
        for (Setting *s = ((struct ConfigHead *)cfg)->settings; s; s = s->next) {
            /* Getters see the newest setting of a name; report each name once. */
            int seen = 0;
            for (Setting *t = ((struct ConfigHead *)cfg)->settings; t != s; t = t->next)
                if (!strcmp(t->name, s->name)) { seen = 1; break; }
            if (seen) continue;
            if (!first) putchar(',');
            first = 0;
            json_string(s->name);
            const char *str = NULL;
            long l = 0;
            int entries = -1;
            printf(":{\"string\":{\"rc\":%d", xlu_cfg_get_string(cfg, s->name, &str, 0));
            if (str) { printf(",\"value\":"); json_string(str); }
            printf(",\"report\":"); report_since_mark();
            int lrc = xlu_cfg_get_long(cfg, s->name, &l, 0);
            printf("},\"long\":{\"rc\":%d", lrc);
            if (!lrc) printf(",\"value\":\"%ld\"", l);
            printf(",\"report\":"); report_since_mark();
            printf("},\"list\":{\"rc\":%d",
                   xlu_cfg_get_list(cfg, s->name, NULL, &entries, 0));
            printf(",\"entries\":%d,\"report\":", entries);
            report_since_mark();
            printf("}}");
        }
    }
    printf("}}\n");
    xlu_cfg_destroy(cfg);
    fclose(report);
    free(report_buf);
    free(data);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: cfg-oracle <source name> <file>...\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) oracle_one(argv[i], argv[1]);
    return 0;
}
