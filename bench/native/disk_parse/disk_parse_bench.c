/*
 * Native peer for bench/disk_parse.ts: parses every line of a corpus file (hex-encoded
 * specs) with libxlutil's xlu_disk_parse, as xl does (libxl_device_disk_init, parse,
 * dispose; error texts written to /dev/null), `rounds` times, and prints
 * {"specs":N,"seconds":S}.
 *
 * usage: disk_parse_bench CORPUS ROUNDS
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxl.h>
#include <libxlutil.h>

static char *unhex(const char *s, size_t n)
{
    char *out = malloc(n / 2 + 1);
    size_t i;
    for (i = 0; i < n / 2; i++) {
        unsigned int b;
        sscanf(s + 2 * i, "%2x", &b);
        out[i] = (char)b;
    }
    out[n / 2] = 0;
    return out;
}

int main(int argc, char **argv)
{
    FILE *in, *devnull;
    char *line = NULL, **specs = NULL;
    size_t cap = 0, count = 0, alloc = 0, i;
    ssize_t n;
    long rounds, r;
    struct timespec t0, t1;
    XLU_Config *cfg;
    int sink = 0;

    if (argc != 3 || !(in = fopen(argv[1], "r"))) {
        fprintf(stderr, "usage: %s CORPUS ROUNDS\n", argv[0]);
        return 2;
    }
    rounds = atol(argv[2]);
    while ((n = getline(&line, &cap, in)) >= 0) {
        if (n && line[n - 1] == '\n') line[--n] = 0;
        if (count == alloc) specs = realloc(specs, (alloc = alloc * 2 + 1024) * sizeof(*specs));
        specs[count++] = unhex(line, n);
    }
    fclose(in);
    devnull = fopen("/dev/null", "w");
    cfg = xlu_cfg_init(devnull, "command line");

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (r = 0; r < rounds; r++) {
        for (i = 0; i < count; i++) {
            libxl_device_disk disk;
            const char *spec = specs[i];
            libxl_device_disk_init(&disk);
            sink += xlu_disk_parse(cfg, 1, &spec, &disk);
            libxl_device_disk_dispose(&disk);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("{\"specs\":%ld,\"seconds\":%.6f,\"sink\":%d}\n", (long)count * rounds,
           (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, sink & 1);
    xlu_cfg_destroy(cfg);
    fclose(devnull);
    return 0;
}
