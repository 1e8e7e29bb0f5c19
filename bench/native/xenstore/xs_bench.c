/*
 * xs_bench: the native peer of bench/xenstore.ts. Times COUNT sequential xs_read or
 * xs_write calls through Debian's libxenstore (xs_open(0): XENSTORED_PATH, else the daemon
 * socket) and prints {"ops":N,"seconds":S}. libxenstore holds one request in flight per
 * handle (xs_talkv waits for each reply), so it has no pipelined mode.
 *
 *   xs_bench read|write COUNT KEY
 *   xs_bench device COUNT OPSFILE
 *
 * `device` (added for lib/devices): COUNT full device adds as libxl's device_disk_add does
 * them, each ONE transaction: read the libxl directory (the "already exists" check), then
 * every operation of OPSFILE (one per line, tab-separated: `rm PATH`, `mkdir PATH`,
 * `perms PATH n5,r0`, `write PATH VALUE`), retried on EAGAIN. Only the transactions are
 * timed; the device's directories (OPSFILE's `rm` lines) are removed between adds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define MAX_OPS 256

struct op {
    char kind; /* r(m), m(kdir), p(erms), w(rite) */
    char *path, *arg;
    struct xs_permissions perms[8];
    unsigned int nperms;
};

static int parse_perms(struct op *op, char *text)
{
    char *tok, *save = NULL;
    for (tok = strtok_r(text, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (op->nperms == 8)
            return -1;
        struct xs_permissions *p = &op->perms[op->nperms++];
        p->id = strtoul(tok + 1, NULL, 10);
        p->perms = tok[0] == 'r' ? XS_PERM_READ : tok[0] == 'w' ? XS_PERM_WRITE
                 : tok[0] == 'b' ? (XS_PERM_READ | XS_PERM_WRITE) : XS_PERM_NONE;
    }
    return 0;
}

static int device_bench(struct xs_handle *xsh, unsigned long count, const char *file)
{
    static struct op ops[MAX_OPS];
    static char line[8192];
    unsigned int nops = 0, i;
    unsigned long n;
    double seconds = 0;
    const char *libxl_path = NULL;
    FILE *f = fopen(file, "r");

    if (!f) {
        perror(file);
        return 1;
    }
    while (fgets(line, sizeof(line), f) && nops < MAX_OPS) {
        struct op *op = &ops[nops++];
        char *kind, *path, *arg, *save = NULL;
        line[strcspn(line, "\n")] = 0;
        kind = strtok_r(line, "\t", &save);
        path = strtok_r(NULL, "\t", &save);
        arg = strtok_r(NULL, "", &save);
        if (!kind || !path)
            return 2;
        op->kind = kind[0];
        op->path = strdup(path);
        op->arg = strdup(arg ? arg : "");
        if (op->kind == 'p' && parse_perms(op, op->arg))
            return 2;
    }
    fclose(f);
    libxl_path = ops[0].path; /* the plan starts by removing the stale libxl directory */
    for (n = 0; n < count; n++) {
        double start = now();
        for (;;) {
            xs_transaction_t t = xs_transaction_start(xsh);
            unsigned int len;
            char *exists = xs_read(xsh, t, libxl_path, &len);
            if (exists) {
                fprintf(stderr, "device already exists in xenstore\n");
                return 1;
            }
            for (i = 0; i < nops; i++) {
                struct op *op = &ops[i];
                bool ok = true;
                if (op->kind == 'r')
                    xs_rm(xsh, t, op->path); /* absent is fine, as in libxl */
                else if (op->kind == 'm')
                    ok = xs_mkdir(xsh, t, op->path);
                else if (op->kind == 'p')
                    ok = xs_set_permissions(xsh, t, op->path, op->perms, op->nperms);
                else
                    ok = xs_write(xsh, t, op->path, op->arg, strlen(op->arg));
                if (!ok) {
                    perror(op->path);
                    return 1;
                }
            }
            if (xs_transaction_end(xsh, t, false))
                break;
            if (errno != EAGAIN) {
                perror("xs_transaction_end");
                return 1;
            }
        }
        seconds += now() - start;
        for (i = 0; i < nops; i++)
            if (ops[i].kind == 'r')
                xs_rm(xsh, XBT_NULL, ops[i].path);
    }
    printf("{\"ops\":%lu,\"seconds\":%.6f}\n", count, seconds);
    return 0;
}

int main(int argc, char **argv)
{
    struct xs_handle *xsh;
    unsigned long count, i;
    const char *mode, *key;
    char value[32];
    double start, seconds;

    if (argc != 4) {
        fprintf(stderr, "usage: %s read|write COUNT KEY\n", argv[0]);
        return 2;
    }
    mode = argv[1];
    count = strtoul(argv[2], NULL, 10);
    key = argv[3];
    xsh = xs_open(0);
    if (!xsh) {
        perror("xs_open");
        return 1;
    }
    if (!strcmp(mode, "device"))
        return device_bench(xsh, count, key);
    if (!xs_write(xsh, XBT_NULL, key, "0", 1)) {
        perror("xs_write");
        return 1;
    }
    start = now();
    for (i = 0; i < count; i++) {
        if (!strcmp(mode, "read")) {
            unsigned int len;
            char *v = xs_read(xsh, XBT_NULL, key, &len);
            if (!v) {
                perror("xs_read");
                return 1;
            }
            free(v);
        } else {
            int n = snprintf(value, sizeof(value), "%lu", i);
            if (!xs_write(xsh, XBT_NULL, key, value, n)) {
                perror("xs_write");
                return 1;
            }
        }
    }
    seconds = now() - start;
    printf("{\"ops\":%lu,\"seconds\":%.6f}\n", count, seconds);
    xs_close(xsh);
    return 0;
}
