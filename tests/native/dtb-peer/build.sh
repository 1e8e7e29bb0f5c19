#!/usr/bin/env bash
# The tests' native DTB peer is the benchmark's (bench/native/dtb): build it once for both.
set -euo pipefail
exec bash "$(dirname "$0")/../../../bench/native/dtb/build.sh"
