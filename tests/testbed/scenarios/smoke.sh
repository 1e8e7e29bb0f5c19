#!/bin/sh
# Smoke scenario: the testbed boots, the Xen tools work, deno runs xlite in dom0.
set -e
up() { cut -d' ' -f1 /proc/uptime; }
echo "uptime $(up)"
xl list
echo "deno start uptime $(up)"
xlite help
echo "deno done uptime $(up)"
