/*
 * diskparse.c - xlite's oracle for xl disk-spec parsing: runs the REAL Xen 4.17
 * libxlutil parser (xlu_disk_parse, Debian libxen-dev) and libxl's own JSON
 * generator. No hypervisor and no libxl_ctx needed.
 *
 * Adapted from the project's reference oracle: every input is hex-encoded so that
 * specs may contain newlines, tabs and any other byte except NUL (xl's specs are C
 * strings), and byte strings in the output (error texts) are hex-encoded too, so the
 * differential tests compare bytes, not decoded text.
 *
 * Modes (one input per stdin line, one JSON object per output line):
 *   diskparse       line = hex of one spec (one `disk=[...]` entry)
 *   diskparse -t    line = hex specs separated by '.', parsed as one disk
 *                   (nspecs > 1, like `xl block-attach d A B C`)
 *   diskparse -v    line = hex of a vdev name: libxl__device_disk_dev_number and
 *                   the reverse libxl__devid_to_vdev
 *   diskparse -d    line = decimal devid: libxl__devid_to_vdev only
 *   diskparse -j    line = hex spec, then space-separated decimal overrides for the
 *                   fields the grammar cannot set: backend_domid transport irq base
 *                   colo_restore_enable(-1 default/0/1); prints {"json":...} or the error
 *
 * Output for a disk spec:
 *   {"rc":0,"json":"<libxl_device_disk_to_json, as xl -N prints it>","devnum":N}
 *   {"rc":22,"error_hex":"<the report text, trailing newline stripped>"}
 *   {"rc":-2,"jammed":true,"exit":N}   flex aborted ("flex scanner jammed": a
 *                   character the scanner rejects followed by a newline); specs with
 *                   a newline are parsed in a child process so the oracle survives.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <libxl.h>
#include <libxlutil.h>

/* libxl internals (hidden in libxenlight.so, present in libxenlight.a) */
typedef struct {
    int alloc_maxsize; /* -1: dummy non-gc gc, allocations not tracked */
    void **alloc_ptrs;
    libxl_ctx *owner;
} fake_gc;
extern int libxl__device_disk_dev_number(const char *virtpath, int *pdisk,
                                         int *ppartition);
extern char *libxl__devid_to_vdev(void *gc, int devid);

static void jstr(FILE *o, const char *s)
{
    if (!s) {
        fputs("null", o);
        return;
    }
    fputc('"', o);
    for (; *s; s++) {
        unsigned char c = *s;
        switch (c) {
        case '"':  fputs("\\\"", o); break;
        case '\\': fputs("\\\\", o); break;
        case '\n': fputs("\\n", o); break;
        case '\t': fputs("\\t", o); break;
        default:
            if (c < 0x20)
                fprintf(o, "\\u%04x", c);
            else
                fputc(c, o);
        }
    }
    fputc('"', o);
}

static void jhex(FILE *o, const char *s, size_t n)
{
    size_t i;
    fputc('"', o);
    for (i = 0; i < n; i++)
        fprintf(o, "%02x", (unsigned char)s[i]);
    fputc('"', o);
}

static int unhex(char *s)
{
    size_t i, n = strlen(s);
    if (n % 2) return -1;
    for (i = 0; i < n / 2; i++) {
        unsigned int b;
        if (sscanf(s + 2 * i, "%2x", &b) != 1) return -1;
        s[i] = (char)b;
    }
    s[n / 2] = 0;
    return 0;
}

static void do_parse(XLU_Config *cfg, FILE *rep, char **pmsg, size_t *pmsglen,
                     int nspecs, const char **specs);

static void do_spec(char *line, int multi)
{
    const char *specs[256];
    int nspecs = 0, i;
    char *msg = NULL;
    size_t msglen = 0;
    FILE *rep = open_memstream(&msg, &msglen);
    XLU_Config *cfg = xlu_cfg_init(rep, "command line");

    if (multi) {
        char *save, *tok = strtok_r(line, ".", &save);
        while (tok && nspecs < 256) {
            specs[nspecs++] = tok;
            tok = strtok_r(NULL, ".", &save);
        }
    } else {
        specs[nspecs++] = line;
    }
    for (i = 0; i < nspecs; i++)
        if (unhex((char *)specs[i])) {
            printf("{\"rc\":-1,\"bad_input\":true}\n");
            fflush(stdout);
            xlu_cfg_destroy(cfg);
            fclose(rep);
            free(msg);
            return;
        }

    for (i = 0; i < nspecs; i++)
        if (strchr(specs[i], '\n'))
            break;
    if (i < nspecs) {
        int status = 0;
        pid_t pid;
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
            do_parse(cfg, rep, &msg, &msglen, nspecs, specs);
            _exit(0);
        }
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            printf("{\"rc\":-2,\"jammed\":true,\"exit\":%d}\n",
                   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            fflush(stdout);
        }
    } else {
        do_parse(cfg, rep, &msg, &msglen, nspecs, specs);
    }
    xlu_cfg_destroy(cfg);
    fclose(rep);
    free(msg);
}

static void do_parse(XLU_Config *cfg, FILE *rep, char **pmsg, size_t *pmsglen,
                     int nspecs, const char **specs)
{
    libxl_device_disk disk;
    int rc;
    char *msg;
    size_t msglen;

    libxl_device_disk_init(&disk); /* exactly what xl does before parsing */
    rc = xlu_disk_parse(cfg, nspecs, specs, &disk);
    fflush(rep);
    msg = *pmsg;
    msglen = *pmsglen;

    printf("{\"rc\":%d", rc);
    if (rc) {
        while (msglen && (msg[msglen - 1] == '\n'))
            msg[--msglen] = 0;
        fputs(",\"error_hex\":", stdout);
        jhex(stdout, msg, msglen);
    } else {
        /* what `xl block-attach -N` prints after "disk: "; a NULL ctx is only
         * dereferenced on a generator error */
        char *json = libxl_device_disk_to_json(NULL, &disk);
        fputs(",\"json\":", stdout);
        jstr(stdout, json);
        free(json);
        printf(",\"devnum\":%d",
               disk.vdev ? libxl__device_disk_dev_number(disk.vdev, NULL, NULL) : -1);
    }
    fputs("}\n", stdout);
    fflush(stdout);

    libxl_device_disk_dispose(&disk);
}

static void do_vdev(char *vdev)
{
    int disk = -1, part = -1, devnum;
    fake_gc gc = { -1, NULL, NULL };

    if (unhex(vdev)) {
        printf("{\"bad_input\":true}\n");
        fflush(stdout);
        return;
    }
    devnum = libxl__device_disk_dev_number(vdev, &disk, &part);
    printf("{\"devnum\":%d", devnum);
    if (devnum >= 0) {
        char *back = libxl__devid_to_vdev(&gc, devnum);
        printf(",\"disk\":%d,\"partition\":%d,\"devid_to_vdev\":", disk, part);
        jstr(stdout, back);
        free(back);
    }
    /* without pdisk/ppartition: plain numbers are accepted too */
    printf(",\"devnum_nodisk\":%d}\n",
           libxl__device_disk_dev_number(vdev, NULL, NULL));
    fflush(stdout);
}

static void do_json(char *line)
{
    char *rest = strchr(line, ' ');
    unsigned int domid = 0, transport = 0, irq = 0;
    unsigned long long base = 0;
    int colo_restore = -1, rc;
    const char *spec = line;
    libxl_device_disk disk;
    XLU_Config *cfg = xlu_cfg_init(stderr, "command line");

    if (rest) {
        *rest++ = 0;
        sscanf(rest, "%u %u %u %llu %d", &domid, &transport, &irq, &base, &colo_restore);
    }
    if (unhex(line)) {
        printf("{\"bad_input\":true}\n");
        fflush(stdout);
        xlu_cfg_destroy(cfg);
        return;
    }
    libxl_device_disk_init(&disk);
    rc = xlu_disk_parse(cfg, 1, &spec, &disk);
    if (rc) {
        printf("{\"rc\":%d}\n", rc);
    } else {
        char *json;
        disk.backend_domid = domid;
        disk.transport = transport;
        disk.irq = irq;
        disk.base = base;
        if (colo_restore >= 0)
            libxl_defbool_set(&disk.colo_restore_enable, colo_restore);
        json = libxl_device_disk_to_json(NULL, &disk);
        fputs("{\"rc\":0,\"json\":", stdout);
        jstr(stdout, json);
        fputs("}\n", stdout);
        free(json);
    }
    fflush(stdout);
    libxl_device_disk_dispose(&disk);
    xlu_cfg_destroy(cfg);
}

static void do_devid(const char *line)
{
    fake_gc gc = { -1, NULL, NULL };
    char *back = libxl__devid_to_vdev(&gc, atoi(line));
    fputs("{\"vdev\":", stdout);
    jstr(stdout, back);
    fputs("}\n", stdout);
    fflush(stdout);
    free(back);
}

int main(int argc, char **argv)
{
    int opt, mode = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    while ((opt = getopt(argc, argv, "tvdj")) != -1) {
        if (opt == 't' || opt == 'v' || opt == 'd' || opt == 'j') mode = opt;
        else {
            fprintf(stderr, "usage: %s [-t|-v|-d|-j] < lines\n", argv[0]);
            return 2;
        }
    }
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        if (n && line[n - 1] == '\n')
            line[--n] = 0;
        if (mode == 'v')
            do_vdev(line);
        else if (mode == 'd')
            do_devid(line);
        else if (mode == 'j')
            do_json(line);
        else
            do_spec(line, mode == 't');
    }
    free(line);
    return 0;
}
