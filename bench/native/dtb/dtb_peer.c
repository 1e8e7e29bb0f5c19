/*
 * dtb_peer: builds an Arm guest device tree the way libxl does (node order and properties
 * of libxl_arm.c, spec §4.1-§4.4), with the system libfdt (libfdt-dev), then finalises it in
 * place. It is xlite's native peer: the tests compare xlite's bytes with it and bench/dtb.ts
 * times both. Written for xlite from the spec; no libxl code.
 *
 * usage: dtb_peer [--xen 4.17] [--vcpus N] [--gic 2|3] [--vuart] [--optee] [--cmdline S]
 *                 [--ramdisk START,END] [--disk BASE,IRQ,DOMID,GRANT]... [--virtio BASE,IRQ,DOMID,GRANT,TYPE]...
 *                 [--hyp-reg BASE,SIZE]... [--bank BASE,SIZE]... [--clock-frequency HZ]
 *                 [--no-finalise] [--iterations N] [-o FILE]
 * The rng-seed is 128 zero bytes (tests compare bytes; xlite is run with a zero seed).
 */
#include <libfdt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXDEV 64
#define PH_GIC 65000
#define PH_IOMMU 65001

struct dev { uint64_t base; uint32_t irq, domid; int grant; const char *type; };
static struct {
    int minor, vcpus, gic, vuart, optee, has_ramdisk, finalise, ndisks, nvirtios, nhyp, nbanks;
    uint32_t clock;
    const char *cmdline;
    uint64_t rd_start, rd_end, hyp[2 * 260], bank[4];
    struct dev disks[MAXDEV], virtios[MAXDEV];
} o = { .minor = 17, .vcpus = 1, .gic = 3, .finalise = 1 };

#define CHK(x) do { int r_ = (x); if (r_) return r_; } while (0)

static void cells64(uint32_t *c, uint64_t v) { c[0] = cpu_to_fdt32(v >> 32); c[1] = cpu_to_fdt32((uint32_t)v); }
static int prop_regs(void *f, const char *name, int n, const uint64_t *pairs) {
    uint32_t c[4 * 260];
    for (int i = 0; i < 2 * n; i++) cells64(&c[2 * i], pairs[i]);
    return fdt_property(f, name, c, 16 * n);
}
static int prop_compat(void *f, const char *a, const char *b, const char *c) {
    char buf[256]; size_t n = 0;
    const char *s[3] = { a, b, c };
    for (int i = 0; i < 3 && s[i]; i++) { strcpy(buf + n, s[i]); n += strlen(s[i]) + 1; }
    return fdt_property(f, "compatible", buf, n);
}
static int prop_irq(void *f, uint32_t irq, uint32_t type) {
    int ppi = irq < 32;
    uint32_t c[3] = { cpu_to_fdt32(ppi), cpu_to_fdt32(irq - (ppi ? 16 : 32)), cpu_to_fdt32(0xf00 | type) };
    CHK(fdt_property(f, "interrupts", c, sizeof c));
    return fdt_property_cell(f, "interrupt-parent", PH_GIC);
}
static int virtio_node(void *f, const struct dev *d, int generic) {
    char name[64]; uint64_t reg[2] = { d->base, 0x200 };
    snprintf(name, sizeof name, "virtio@%llx", (unsigned long long)d->base);
    CHK(fdt_begin_node(f, name));
    CHK(prop_compat(f, "virtio,mmio", NULL, NULL));
    CHK(prop_regs(f, "reg", 1, reg));
    CHK(prop_irq(f, d->irq, 1));
    CHK(fdt_property(f, "dma-coherent", NULL, 0));
    if (d->grant) { uint32_t c[2] = { cpu_to_fdt32(PH_IOMMU), cpu_to_fdt32(d->domid) }; CHK(fdt_property(f, "iommus", c, 8)); }
    if (generic && d->type && !strcmp(d->type, "virtio,device22")) {
        CHK(fdt_begin_node(f, "i2c")); CHK(prop_compat(f, "virtio,device22", NULL, NULL)); CHK(fdt_end_node(f));
    } else if (generic && d->type && !strcmp(d->type, "virtio,device29")) {
        CHK(fdt_begin_node(f, "gpio")); CHK(prop_compat(f, "virtio,device29", NULL, NULL));
        CHK(fdt_property(f, "gpio-controller", NULL, 0)); CHK(fdt_property_cell(f, "#gpio-cells", 2));
        CHK(fdt_property(f, "interrupt-controller", NULL, 0)); CHK(fdt_property_cell(f, "#interrupt-cells", 2));
        CHK(fdt_end_node(f));
    }
    return fdt_end_node(f);
}
static int iommu_node(void *f) {
    CHK(fdt_begin_node(f, "xen_iommu")); CHK(prop_compat(f, "xen,grant-dma", NULL, NULL));
    CHK(fdt_property_cell(f, "#iommu-cells", 1)); CHK(fdt_property_cell(f, "phandle", PH_IOMMU));
    return fdt_end_node(f);
}

static int build(void *f, int size) {
    char s1[64], s2[64]; uint8_t seed[128] = { 0 }; uint64_t zero[2 * 260] = { 0 };
    CHK(fdt_create(f, size)); CHK(fdt_finish_reservemap(f)); CHK(fdt_begin_node(f, ""));
    snprintf(s1, sizeof s1, "XENVM-4.%d", o.minor); CHK(fdt_property_string(f, "model", s1));
    snprintf(s1, sizeof s1, "xen,xenvm-4.%d", o.minor); CHK(prop_compat(f, s1, "xen,xenvm", NULL));
    CHK(fdt_property_cell(f, "interrupt-parent", PH_GIC));
    CHK(fdt_property_cell(f, "#address-cells", 2)); CHK(fdt_property_cell(f, "#size-cells", 2));
    CHK(fdt_begin_node(f, "chosen"));
    if (o.cmdline) CHK(fdt_property_string(f, "bootargs", o.cmdline));
    if (o.has_ramdisk) { uint64_t z = 0; CHK(fdt_property(f, "linux,initrd-start", &z, 8)); CHK(fdt_property(f, "linux,initrd-end", &z, 8)); }
    CHK(fdt_property(f, "rng-seed", seed, sizeof seed)); CHK(fdt_end_node(f));
    CHK(fdt_begin_node(f, "cpus")); CHK(fdt_property_cell(f, "#address-cells", 1)); CHK(fdt_property_cell(f, "#size-cells", 0));
    for (int i = 0; i < o.vcpus; i++) {
        uint32_t mpidr = (i & 0xf) | (((i >> 4) & 0xff) << 8);
        snprintf(s1, sizeof s1, "cpu@%x", mpidr); CHK(fdt_begin_node(f, s1));
        CHK(fdt_property_string(f, "device_type", "cpu")); CHK(prop_compat(f, "arm,armv8", NULL, NULL));
        CHK(fdt_property_string(f, "enable-method", "psci")); CHK(fdt_property_cell(f, "reg", mpidr)); CHK(fdt_end_node(f));
    }
    CHK(fdt_end_node(f));
    CHK(fdt_begin_node(f, "psci")); CHK(prop_compat(f, "arm,psci-1.0", "arm,psci-0.2", "arm,psci"));
    CHK(fdt_property_string(f, "method", "hvc")); CHK(fdt_property_cell(f, "cpu_off", 1)); CHK(fdt_property_cell(f, "cpu_on", 2)); CHK(fdt_end_node(f));
    const char *banks[2] = { "memory@40000000", "memory@200000000" };
    for (int i = 0; i < 2; i++) {
        CHK(fdt_begin_node(f, banks[i])); CHK(fdt_property_string(f, "device_type", "memory"));
        CHK(prop_regs(f, "reg", 1, zero)); CHK(fdt_end_node(f));
    }
    CHK(fdt_begin_node(f, "interrupt-controller@3001000"));
    if (o.gic == 2) CHK(prop_compat(f, "arm,cortex-a15-gic", "arm,cortex-a9-gic", NULL)); else CHK(prop_compat(f, "arm,gic-v3", NULL, NULL));
    CHK(fdt_property_cell(f, "#interrupt-cells", 3)); CHK(fdt_property_cell(f, "#address-cells", 0));
    CHK(fdt_property(f, "interrupt-controller", NULL, 0));
    uint64_t g2[4] = { 0x3001000, 0x1000, 0x3002000, 0x2000 }, g3[4] = { 0x3001000, 0x10000, 0x3020000, 0x1000000 };
    CHK(prop_regs(f, "reg", 2, o.gic == 2 ? g2 : g3));
    CHK(fdt_property_cell(f, "linux,phandle", PH_GIC)); CHK(fdt_property_cell(f, "phandle", PH_GIC)); CHK(fdt_end_node(f));
    CHK(fdt_begin_node(f, "timer")); CHK(prop_compat(f, "arm,armv8-timer", NULL, NULL));
    uint32_t t[9] = { cpu_to_fdt32(1), cpu_to_fdt32(13), cpu_to_fdt32(0xf08), cpu_to_fdt32(1), cpu_to_fdt32(14),
                      cpu_to_fdt32(0xf08), cpu_to_fdt32(1), cpu_to_fdt32(11), cpu_to_fdt32(0xf08) };
    CHK(fdt_property(f, "interrupts", t, sizeof t)); CHK(fdt_property_cell(f, "interrupt-parent", PH_GIC));
    if (o.clock) fdt_property_u32(f, "clock-frequency", o.clock);
    CHK(fdt_end_node(f));
    CHK(fdt_begin_node(f, "hypervisor"));
    snprintf(s2, sizeof s2, "xen,xen-4.%d", o.minor); CHK(prop_compat(f, s2, "xen,xen", NULL));
    CHK(prop_regs(f, "reg", o.minor >= 21 ? 257 : 3, zero)); CHK(prop_irq(f, 31, 8)); CHK(fdt_end_node(f));
    if (o.vuart) {
        uint64_t r[2] = { 0x22000000, 0x1000 };
        CHK(fdt_begin_node(f, "sbsa-pl011")); CHK(prop_compat(f, "arm,sbsa-uart", NULL, NULL)); CHK(prop_regs(f, "reg", 1, r));
        CHK(prop_irq(f, 32, 4)); fdt_property_u32(f, "current-speed", 115200); CHK(fdt_end_node(f));
    }
    if (o.optee) {
        CHK(fdt_begin_node(f, "firmware")); CHK(fdt_begin_node(f, "optee")); CHK(prop_compat(f, "linaro,optee-tz", NULL, NULL));
        CHK(fdt_property_string(f, "method", "hvc")); CHK(fdt_end_node(f)); CHK(fdt_end_node(f));
    }
    int iommu = 0;
    for (int i = 0; i < o.ndisks; i++) {
        if (o.minor < 18 && o.disks[i].grant && !iommu) { CHK(iommu_node(f)); iommu = 1; }
        if (o.disks[i].grant) iommu |= 2;
        CHK(virtio_node(f, &o.disks[i], 0));
    }
    for (int i = 0; i < o.nvirtios; i++) { if (o.virtios[i].grant) iommu |= 2; CHK(virtio_node(f, &o.virtios[i], 1)); }
    if (o.minor >= 18 && iommu) CHK(iommu_node(f));
    CHK(fdt_end_node(f));
    return fdt_finish(f);
}

static void *make_dtb(void) {
    for (int size = 4096; size <= (1 << 20); size <<= 1) {
        void *f = malloc(size);
        int r = build(f, size);
        if (r == 0) return f;
        free(f);
        if (r != -FDT_ERR_NOSPACE) { fprintf(stderr, "dtb_peer: %s\n", fdt_strerror(r)); exit(1); }
    }
    fprintf(stderr, "dtb_peer: too large\n"); exit(1);
}

static void finalise(void *f) {
    int n;
    if (o.has_ramdisk) {
        n = fdt_path_offset(f, "/chosen");
        fdt64_t v = cpu_to_fdt64(o.rd_start); fdt_setprop_inplace(f, n, "linux,initrd-start", &v, 8);
        v = cpu_to_fdt64(o.rd_end); fdt_setprop_inplace(f, n, "linux,initrd-end", &v, 8);
    }
    uint32_t c[4 * 260];
    for (int i = 0; i < 2 * o.nhyp; i++) cells64(&c[2 * i], o.hyp[i]);
    if (fdt_setprop(f, fdt_path_offset(f, "/hypervisor"), "reg", c, 16 * o.nhyp)) { fprintf(stderr, "dtb_peer: setprop failed\n"); exit(1); }
    const uint64_t bases[2] = { 0x40000000, 0x200000000ULL };
    for (int i = 0; i < 2; i++) {
        char name[64]; uint64_t size = i < o.nbanks ? o.bank[2 * i + 1] : 0;
        snprintf(name, sizeof name, "/memory@%llx", (unsigned long long)bases[i]);
        n = fdt_path_offset(f, name);
        if (!size) fdt_nop_node(f, n);
        else { uint32_t r[4]; cells64(r, bases[i]); cells64(r + 2, size); fdt_setprop_inplace(f, n, "reg", r, 16); }
    }
}

static void parse_dev(struct dev *d, char *s, int generic) {
    d->base = strtoull(strtok(s, ","), NULL, 0); d->irq = strtoul(strtok(NULL, ","), NULL, 0);
    d->domid = strtoul(strtok(NULL, ","), NULL, 0); d->grant = atoi(strtok(NULL, ","));
    d->type = generic ? strtok(NULL, "") : NULL;
}

int main(int argc, char **argv) {
    const char *out = NULL; long iterations = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i]; char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--xen")) { o.minor = atoi(strchr(v, '.') + 1); i++; }
        else if (!strcmp(a, "--vcpus")) { o.vcpus = atoi(v); i++; }
        else if (!strcmp(a, "--gic")) { o.gic = atoi(v); i++; }
        else if (!strcmp(a, "--vuart")) o.vuart = 1;
        else if (!strcmp(a, "--optee")) o.optee = 1;
        else if (!strcmp(a, "--cmdline")) { o.cmdline = v; i++; }
        else if (!strcmp(a, "--clock-frequency")) { o.clock = strtoul(v, NULL, 0); i++; }
        else if (!strcmp(a, "--ramdisk")) { o.has_ramdisk = 1; o.rd_start = strtoull(strtok(v, ","), NULL, 0); o.rd_end = strtoull(strtok(NULL, ","), NULL, 0); i++; }
        else if (!strcmp(a, "--disk")) { parse_dev(&o.disks[o.ndisks++], v, 0); i++; }
        else if (!strcmp(a, "--virtio")) { parse_dev(&o.virtios[o.nvirtios++], v, 1); i++; }
        else if (!strcmp(a, "--hyp-reg")) { o.hyp[2 * o.nhyp] = strtoull(strtok(v, ","), NULL, 0); o.hyp[2 * o.nhyp + 1] = strtoull(strtok(NULL, ","), NULL, 0); o.nhyp++; i++; }
        else if (!strcmp(a, "--bank")) { strtok(v, ","); o.bank[2 * o.nbanks + 1] = strtoull(strtok(NULL, ","), NULL, 0); o.nbanks++; i++; }
        else if (!strcmp(a, "--no-finalise")) o.finalise = 0;
        else if (!strcmp(a, "--iterations")) { iterations = atol(v); i++; }
        else if (!strcmp(a, "-o")) { out = v; i++; }
        else { fprintf(stderr, "dtb_peer: unknown argument %s\n", a); return 2; }
    }
    if (iterations > 0) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long k = 0; k < iterations; k++) { void *f = make_dtb(); if (o.finalise) finalise(f); free(f); }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("%.9f\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
        return 0;
    }
    void *f = make_dtb();
    if (o.finalise) finalise(f);
    FILE *fp = out ? fopen(out, "wb") : stdout;
    fwrite(f, 1, fdt_totalsize(f), fp);
    if (out) fclose(fp);
    return 0;
}
