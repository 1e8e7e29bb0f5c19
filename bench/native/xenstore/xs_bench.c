/*
 * xs_bench: the native peer of bench/xenstore.ts. Times COUNT sequential xs_read or
 * xs_write calls through Debian's libxenstore (xs_open(0): XENSTORED_PATH, else the daemon
 * socket) and prints {"ops":N,"seconds":S}. libxenstore holds one request in flight per
 * handle (xs_talkv waits for each reply), so it has no pipelined mode.
 *
 *   xs_bench read|write COUNT KEY
 */
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
