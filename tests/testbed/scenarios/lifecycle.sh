#!/bin/sh
# Lifecycle scenario: domains made by xl create, driven by xl (and, where xlite has the command,
# by xlite, compared with xl).
. /mnt/xlite/tests/testbed/scenarios/lib.sh

guest_cfg g1 /tmp/g1.cfg xlite.hold
say "xl create -p g1"
check "xl create -p" xl create -p /tmp/g1.cfg
check "g1 is paused" sh -c 'xl list g1 | tail -1 | grep -q "\-\-p\-\-\-"'
check "xl unpause" xl unpause g1
check "g1 boots and prints its device tree" wait_for 60 console_has g1 '===DOMU-DONE'
check "xl shutdown -w" xl shutdown -w g1
check "g1 is gone" gone g1
finish
