# Helpers for testbed scenarios (sourced; runs in dom0 under busybox sh).
# A scenario prints what it does, calls `check`/`fail`, and ends with `finish` (exit 0 only
# when no check failed).
FAILED=0
up() { cut -d' ' -f1 /proc/uptime; }
say() { echo "[$(up)] $*"; }
fail() { echo "[$(up)] FAIL: $*"; FAILED=$((FAILED + 1)); }
ok() { echo "[$(up)] ok: $*"; }
# check <description> <command...>: passes when the command exits 0
check() { d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
# expect_eq <description> <actual> <expected>
expect_eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got [$2], want [$3]"; fi
}
# guest_cfg <name> <file> [extra kernel args]: a busybox guest (tests/testbed/domu-init)
guest_cfg() {
  cat > "$2" <<EOC
name = "$1"
type = "pvh"
kernel = "/boot/domu-kernel.gz"
ramdisk = "/boot/domu-initrd.gz"
extra = "console=hvc0 rdinit=/init $3"
memory = 128
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
EOC
}
# wait_for <seconds> <command...>: polls every 0.5 s
wait_for() { n=$(( $1 * 2 )); shift; while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.5; n=$((n - 1)); done; return 1; }
console_has() { grep -q "$2" "/var/log/xen/console/guest-$1.log" 2>/dev/null; }
gone() { ! xl domid "$1" >/dev/null 2>&1; }
finish() {
  if [ "$FAILED" = 0 ]; then say "all checks passed"; exit 0; fi
  say "$FAILED check(s) failed"; exit 1
}
# same <description> <file> <file>: passes when the files are equal, else prints the diff
same() {
  if cmp -s "$2" "$3"; then ok "$1"; else fail "$1"; diff "$2" "$3" | head -40; fi
}
# notime: xl list text without the Time(s) column (CPU time moves between two runs)
notime() { sed -E 's/ +[0-9]+\.[0-9]$//; s/ +[0-9]+\.[0-9]( [0-9a-f]{8}-)/\1/'; }
