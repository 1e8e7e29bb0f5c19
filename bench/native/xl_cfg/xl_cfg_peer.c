/*
 * Native peer for bench/xl_cfg.ts: parses every config of a corpus with Debian's
 * libxlutil (xlu_cfg_init + xlu_cfg_readdata + xlu_cfg_destroy), ROUNDS times, and prints
 * {"configs": N, "seconds": S}. The corpus file has one hex-encoded config per line.
 *
 * usage: xl_cfg_peer <corpus> <rounds>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxlutil.h>

static int unhex(int c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: xl_cfg_peer <corpus> <rounds>\n"); return 2; }
    FILE *f = fopen(argv[1], "r");
    if (!f) { perror(argv[1]); return 2; }
    char **configs = NULL;
    int *lengths = NULL, n = 0, cap = 0;
    char *line = NULL;
    size_t linecap = 0;
    ssize_t len;
    while ((len = getline(&line, &linecap, f)) > 0) {
        if (line[len - 1] == '\n') len--;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            configs = realloc(configs, cap * sizeof(*configs));
            lengths = realloc(lengths, cap * sizeof(*lengths));
        }
        configs[n] = malloc(len / 2 + 1);
        for (ssize_t i = 0; i + 1 < len; i += 2)
            configs[n][i / 2] = (char)(unhex(line[i]) << 4 | unhex(line[i + 1]));
        lengths[n++] = (int)(len / 2);
    }
    fclose(f);
    FILE *null = fopen("/dev/null", "w");
    long rounds = atol(argv[2]);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++) {
            XLU_Config *cfg = xlu_cfg_init(null, "bench.cfg");
            xlu_cfg_readdata(cfg, configs[i], lengths[i]);
            xlu_cfg_destroy(cfg);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("{\"configs\": %ld, \"seconds\": %.6f}\n", rounds * n,
           (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
