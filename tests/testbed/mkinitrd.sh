#!/usr/bin/env bash
# Builds the testbed's two initramfs images from the unpacked packages in $C (see fetch.sh):
#   $B/domu-initrd.cpio.gz  busybox + domu-init (prints its device tree) + the PV/virtio disk and
#                           ext4 modules; reproducible byte for
#                           byte (its size decides where libxc puts the ramdisk and the DTB)
#   $B/domu-net-initrd.cpio.gz  the same rootfs with domu-net-init as /init and xen-netfront
#                           (the network scenario's guest; the image above stays unchanged)
#   $B/dom0-initrd.cpio.gz  busybox + glibc + Xen tools (4.17 bookworm, 4.20 trixie) + bash/flock (block hotplug script)
#                           + Xen/loop/virtio/9p modules (and xen-netback/bridge, which the
#                           network scenario loads) + the domU kernel and initrds in /boot
# Idempotent: rebuilds only when its inputs (this script, the init scripts, the packages) change.
# usage: C=<cache dir> mkinitrd.sh      prints the build directory $B
set -euo pipefail
C=${C:?cache dir}
S=$(cd "$(dirname "$0")" && pwd)
KEY=$(cat "$0" "$S/dom0-init" "$S/domu-init" "$S/domu-net-init" "$S/busybox_applets.ts" "$C/fetch.stamp" | sha256sum | cut -c1-16)
B=$C/build/$KEY
if [ -f "$B/done" ]; then echo "$B"; exit 0; fi
rm -rf "$C/build"; mkdir -p "$B"
X=$C/x; F=$C/full
MD=$X/lib/modules; [ -d "$MD" ] || MD=$X/usr/lib/modules   # trixie's kernel package is /usr-merged
KV=$(ls "$MD" | head -1); K=$MD/$KV/kernel
# copies module $1 (a path under $K, no .ko) to directory $2: trixie's 6.12 ships them
# xz-compressed, which busybox insmod cannot read; one the kernel lacks is left out (6.12 has no
# fscache.ko: netfs took it in), and the init scripts insmod only what is there
module() {
  if [ -f "$K/$1.ko" ]; then cp "$K/$1.ko" "$2/"
  elif [ -f "$K/$1.ko.xz" ]; then xz -dc "$K/$1.ko.xz" > "$2/$(basename "$1").ko"
  else echo "testbed: kernel $KV has no module $1 (left out)" >&2
  fi
}
deno run --allow-read "$S/busybox_applets.ts" "$F/bin/busybox" > "$B/applets.txt"

# --- domU initramfs ---
D=$B/rootfs-domu; mkdir -p "$D"/{bin,sbin,dev,proc,sys}
cp "$F/bin/busybox" "$D/bin/busybox"
for a in $(cat "$B/applets.txt"); do
  case $a in busybox|init|linuxrc) continue ;; esac
  ln -sf busybox "$D/bin/$a"
done
# the kernel's orderly_poweroff() (xl shutdown -> xenbus control/shutdown) execs /sbin/poweroff
printf '#!/bin/sh\n/bin/busybox poweroff -f\n' > "$D/sbin/poweroff"; chmod +x "$D/sbin/poweroff"
cp "$S/domu-init" "$D/init"; chmod 755 "$D/init"
# PV block frontend, loaded only when the command line says xlite.readdisk=<dev>
mkdir -p "$D/lib/modules"; module drivers/block/xen-blkfront "$D/lib/modules"
# virtio-mmio disks and ext4 (Debian's 6.1 builds them as modules: CONFIG_VIRTIO_MMIO=m,
# CONFIG_VIRTIO_BLK=m, CONFIG_EXT4_FS=m), loaded only when the command line says xlite.virtio
for m in drivers/virtio/virtio_mmio drivers/block/virtio_blk lib/crc16 fs/mbcache \
         fs/jbd2/jbd2 crypto/crc32c_generic fs/ext4/ext4; do
  module $m "$D/lib/modules"
done
find "$D" -exec touch -h -d @0 {} +
(cd "$D" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible -R 0:0 | gzip -9 -n > "$B/domu-initrd.cpio.gz")
# the network guest: PV network frontend (CONFIG_XEN_NETDEV_FRONTEND=m) and its own /init
module drivers/net/xen-netfront "$D/lib/modules"
cp "$S/domu-net-init" "$D/init"; chmod 755 "$D/init"
find "$D" -exec touch -h -d @0 {} +
(cd "$D" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible -R 0:0 | gzip -9 -n > "$B/domu-net-initrd.cpio.gz")

# --- dom0 rootfs ---
R=$B/rootfs-dom0; mkdir -p "$R"
cp -a "$F/." "$R/"
rm -rf "$R"/usr/share/{doc,man,locale,info} "$R/usr/lib/aarch64-linux-gnu/gconv" "$R"/usr/lib/xen-4.*/lib/python
mkdir -p "$R"/{dev,proc,sys,tmp,run,root,var/run/xen,var/lib/xen,var/lib/xenstored,var/log/xen/console,var/lock,sbin,usr/bin,usr/local/bin,etc/xen,boot,mnt}
cp -a "$C/extra/bin/bash" "$R/bin/bash"; cp "$C/extra/usr/bin/flock" "$R/usr/bin/flock"
for a in $(cat "$B/applets.txt"); do
  case $a in busybox|init|linuxrc|'['|'[[') continue ;; esac
  [ -e "$R/bin/$a" ] || [ -e "$R/usr/bin/$a" ] || [ -e "$R/sbin/$a" ] || [ -e "$R/usr/sbin/$a" ] || ln -sf busybox "$R/bin/$a"
done
ln -sf busybox "$R/bin/["; ln -sf busybox "$R/bin/[["; ln -sf /bin/busybox "$R/sbin/modprobe"
mkdir -p "$R/lib/modules/xen"
for m in drivers/xen/xen-evtchn drivers/xen/xen-privcmd drivers/xen/xenfs/xenfs drivers/xen/xen-gntdev \
         drivers/xen/xen-gntalloc drivers/block/xen-blkback/xen-blkback drivers/block/loop \
         drivers/virtio/virtio_mmio net/9p/9pnet net/9p/9pnet_virtio fs/netfs/netfs \
         fs/fscache/fscache fs/9p/9p drivers/net/xen-netback/xen-netback net/llc/llc \
         net/802/stp net/bridge/bridge; do
  module $m "$R/lib/modules/xen"
done
# the guest kernel (a raw arm64 Image; gzip it, libxc gunzips) and the guest initramfs
gzip -1 -n -c "$X/boot/vmlinuz-$KV" > "$R/boot/domu-kernel.gz"
cp "$B/domu-initrd.cpio.gz" "$R/boot/domu-initrd.gz"
cp "$B/domu-net-initrd.cpio.gz" "$R/boot/domu-net-initrd.gz"
# xlite in dom0: deno (aarch64, from the tools share) running the shared working tree
cat > "$R/usr/local/bin/xlite" <<'EOW'
#!/bin/sh
export DENO_DIR=${DENO_DIR:-/tmp/deno-dir} DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
exec /mnt/tools/deno-aarch64 run -A --no-lock --config /mnt/xlite/deno.json /mnt/xlite/main.ts "$@"
EOW
chmod +x "$R/usr/local/bin/xlite"
echo "root:x:0:0:root:/root:/bin/sh" > "$R/etc/passwd"; echo "root:x:0:" > "$R/etc/group"
cp "$S/dom0-init" "$R/init"; chmod 755 "$R/init"
(cd "$R" && find . | cpio -o -H newc --quiet -R 0:0 | gzip -1 > "$B/dom0-initrd.cpio.gz")
rm -rf "$R" "$D"
touch "$B/done"
echo "$B"
