/*
 * xlshim.c - LD_PRELOAD shim that lets Debian's real Xen 4.17 `xl` run its device
 * commands (block-attach / block-detach / block-list) with no hypervisor, against a
 * private xenstored started by the tests (tests/support/xenstored.ts). Preload it BEFORE
 * the xenstored shim (.build/xenstored-shim/xsshim.so), which supplies the rest of the
 * libxenctrl stand-ins:
 *
 *   LD_PRELOAD=.build/xl-shim/xlshim.so:.build/xenstored-shim/xsshim.so \
 *   XENSTORED_PATH=... XLSHIM_UUID=0123456789abcdef xl block-list 5
 *
 * What it replaces (each is a hypercall xl makes on these paths):
 *  - xc_domain_getinfolist: domains 0..63 exist and run; every domain but 0 is an HVM
 *    container (so libxl reads /libxl/<domid>/type: a PVH guest, as on Arm). The domain
 *    handle (UUID) is XLSHIM_UUID's first 15 hex digit pairs with the domid as last byte,
 *    so parallel tests get distinct libxl userdata files in /var/lib/xen.
 *  - xc_flask_sid_to_context: no XSM (libxl then leaves the security label unset).
 *
 * Build: tests/native/xl-shim/build.sh -> .build/xl-shim/xlshim.so
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenctrl.h>

#define NR_DOMAINS 64

static void domain_handle(uint32_t domid, uint8_t handle[16])
{
    const char *seed = getenv("XLSHIM_UUID");
    unsigned int i, byte;

    memset(handle, 0, 16);
    handle[0] = 0x11;
    for (i = 0; seed && i < 15 && sscanf(seed + 2 * i, "%2x", &byte) == 1; i++)
        handle[i] = (uint8_t)byte;
    handle[15] = (uint8_t)domid;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain,
                          unsigned int max_domains, xc_domaininfo_t *info)
{
    unsigned int n = 0;
    uint32_t d;

    (void)xch;
    for (d = first_domain; d < NR_DOMAINS && n < max_domains; d++) {
        memset(&info[n], 0, sizeof(info[n]));
        info[n].domain = d;
        info[n].flags = XEN_DOMINF_running | (d ? XEN_DOMINF_hvm_guest : 0);
        domain_handle(d, info[n].handle);
        n++;
    }
    return n;
}

int xc_flask_sid_to_context(xc_interface *xch, int sid, char *buf, uint32_t size)
{
    (void)xch; (void)sid; (void)buf; (void)size;
    errno = ENOSYS;
    return -1;
}
