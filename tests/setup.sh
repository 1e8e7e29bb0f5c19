#!/usr/bin/env bash
# Installs what xlite's build and tests need on a fresh Debian machine, then builds the
# native test peers (libxlutil oracle, xenstored shim) into .build/. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

DENO_VERSION=2.9.6
# Debian packages the tests use as real peers (see README, "Tests").
DEBIAN_PACKAGES=(gcc make libxen-dev xen-utils-4.17 xenstore-utils device-tree-compiler libfdt-dev
  qemu-system-arm cpio  # qemu-system-arm + cpio: the real-Xen testbed (tests/testbed/)
  gcc-aarch64-linux-gnu flex bison xz-utils python3  # testbed/build-ioreq-xen.sh
  emscripten linux-source-6.1)  # rebuild wasm/libfdt.wasm from Debian's libfdt (tests/fdt/)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v deno >/dev/null 2>&1 || [ "$(deno --version | head -1 | cut -d' ' -f2)" != "$DENO_VERSION" ]; then
  echo "setup: installing deno $DENO_VERSION from npm (outside the project)"
  npm install -g --silent "deno@$DENO_VERSION" >/dev/null
fi

if [ ! -d node_modules/assemblyscript ] || [ ! -d node_modules/binaryen ]; then
  echo "setup: installing npm packages"
  npm install --silent --no-audit --no-fund >/dev/null
fi

# Native test peers, built from the project's own sources.
for script in tests/native/*/build.sh; do
  [ -e "$script" ] || continue
  bash "$script"
done
