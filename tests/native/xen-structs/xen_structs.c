/*
 * C peer for xlite's Xen struct encoders: fills Xen 4.17's public structs from Debian's
 * libxen-dev headers (the Arm layout: arch-arm.h, on any host, since the header is plain
 * fixed-width C) and prints their bytes as hex.
 *   xen-structs createdomain HANDLE32HEX FLAGS MAX_VCPUS MAX_EVTCHN MAX_GRANT MAX_MAPTRACK
 *               GRANT_OPTS GIC TEE NR_SPIS
 *   xen-structs vcpu ENTRY DTB      (vcpu_arm64 in tools/libs/guest/xg_dom_arm.c)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#undef __x86_64__
#undef __i386__
#define __aarch64__ 1
#define __XEN_TOOLS__ 1
#include <xen/xen.h>
#include <xen/domctl.h>

static void hex(const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
  printf("\n");
}

int main(int argc, char **argv) {
  if (argc == 12 && !strcmp(argv[1], "createdomain")) {
    struct xen_domctl_createdomain c;
    memset(&c, 0, sizeof(c));
    for (int i = 0; i < 16; i++) {
      char byte[3] = {argv[2][2 * i], argv[2][2 * i + 1], 0};
      c.handle[i] = (uint8_t)strtoul(byte, NULL, 16);
    }
    c.flags = strtoul(argv[3], NULL, 0);
    c.max_vcpus = strtoul(argv[4], NULL, 0);
    c.max_evtchn_port = strtoul(argv[5], NULL, 0);
    c.max_grant_frames = strtol(argv[6], NULL, 0);
    c.max_maptrack_frames = strtol(argv[7], NULL, 0);
    c.grant_opts = XEN_DOMCTL_GRANT_version(strtoul(argv[8], NULL, 0));
    c.arch.gic_version = strtoul(argv[9], NULL, 0);
    c.arch.tee_type = strtoul(argv[10], NULL, 0);
    c.arch.nr_spis = strtoul(argv[11], NULL, 0);
    hex(&c, sizeof(c));
    return 0;
  }
  if (argc == 4 && !strcmp(argv[1], "vcpu")) {
    vcpu_guest_context_t ctxt;
    memset(&ctxt, 0, sizeof(ctxt));
    ctxt.user_regs.pc64 = strtoull(argv[2], NULL, 0);
    ctxt.user_regs.x0 = strtoull(argv[3], NULL, 0);
    ctxt.user_regs.x1 = 0;
    ctxt.user_regs.x2 = 0;
    ctxt.user_regs.x3 = 0;
    ctxt.sctlr = SCTLR_GUEST_INIT;
    ctxt.ttbr0 = 0;
    ctxt.ttbr1 = 0;
    ctxt.ttbcr = 0;
    ctxt.user_regs.cpsr = PSR_GUEST64_INIT;
    ctxt.flags = VGCF_online;
    hex(&ctxt, sizeof(ctxt));
    return 0;
  }
  fprintf(stderr, "usage: xen-structs createdomain ... | vcpu ENTRY DTB\n");
  return 2;
}
