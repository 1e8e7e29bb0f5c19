/*
 * C peer for xlite's Xen struct encoders: fills Xen 4.17's public structs from Debian's
 * libxen-dev headers (the Arm layout: arch-arm.h, on any host, since the header is plain
 * fixed-width C) and prints their bytes as hex.
 *   xen-structs createdomain HANDLE32HEX FLAGS MAX_VCPUS MAX_EVTCHN MAX_GRANT MAX_MAPTRACK
 *               GRANT_OPTS GIC TEE NR_SPIS
 *   xen-structs vcpu ENTRY DTB      (vcpu_arm64 in tools/libs/guest/xg_dom_arm.c)
 *   xen-structs ioreq ADDR DATA COUNT SIZE PORT STATE DATA_IS_PTR DIR DF TYPE
 *                                   (struct ioreq, public/hvm/ioreq.h)
 *   xen-structs ioreq-constants     (NAME=VALUE lines: ioreq.h, memory.h, hvm_op.h)
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
#include <xen/memory.h>
#include <xen/hvm/ioreq.h>
#include <xen/hvm/hvm_op.h>

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
  if (argc == 12 && !strcmp(argv[1], "ioreq")) {
    struct ioreq r;
    memset(&r, 0, sizeof(r));
    r.addr = strtoull(argv[2], NULL, 0);
    r.data = strtoull(argv[3], NULL, 0);
    r.count = strtoul(argv[4], NULL, 0);
    r.size = strtoul(argv[5], NULL, 0);
    r.vp_eport = strtoul(argv[6], NULL, 0);
    r.state = strtoul(argv[7], NULL, 0);
    r.data_is_ptr = strtoul(argv[8], NULL, 0);
    r.dir = strtoul(argv[9], NULL, 0);
    r.df = strtoul(argv[10], NULL, 0);
    r.type = strtoul(argv[11], NULL, 0);
    hex(&r, sizeof(r));
    return 0;
  }
  if (argc == 2 && !strcmp(argv[1], "ioreq-constants")) {
    printf("sizeof_ioreq=%zu\n", sizeof(struct ioreq));
    printf("STATE_IOREQ_NONE=%d\nSTATE_IOREQ_READY=%d\nSTATE_IOREQ_INPROCESS=%d\n",
           STATE_IOREQ_NONE, STATE_IOREQ_READY, STATE_IOREQ_INPROCESS);
    printf("STATE_IORESP_READY=%d\nIOREQ_READ=%d\nIOREQ_WRITE=%d\n", STATE_IORESP_READY,
           IOREQ_READ, IOREQ_WRITE);
    printf("IOREQ_TYPE_PIO=%d\nIOREQ_TYPE_COPY=%d\nIOREQ_TYPE_PCI_CONFIG=%d\n", IOREQ_TYPE_PIO,
           IOREQ_TYPE_COPY, IOREQ_TYPE_PCI_CONFIG);
    printf("IOREQ_TYPE_TIMEOFFSET=%d\nIOREQ_TYPE_INVALIDATE=%d\n", IOREQ_TYPE_TIMEOFFSET,
           IOREQ_TYPE_INVALIDATE);
    printf("XENMEM_resource_ioreq_server=%d\n", XENMEM_resource_ioreq_server);
    printf("XENMEM_resource_ioreq_server_frame_bufioreq=%d\n",
           XENMEM_resource_ioreq_server_frame_bufioreq);
    printf("XENMEM_resource_ioreq_server_frame_ioreq_0=%d\n",
           XENMEM_resource_ioreq_server_frame_ioreq(0));
    printf("HVM_IOREQSRV_BUFIOREQ_OFF=%d\n", HVM_IOREQSRV_BUFIOREQ_OFF);
    return 0;
  }
  fprintf(stderr, "usage: xen-structs createdomain ... | vcpu ENTRY DTB | ioreq ... | ioreq-constants\n");
  return 2;
}
