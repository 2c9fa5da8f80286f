#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# series_recipients.sh to|cc: b4's send-auto-to-cmd / send-auto-cc-cmd.
# Reads one patch on stdin, runs get_maintainer.pl of the tree b4 runs in
# (maintainers and reviewers for 'to', lists for 'cc') and prints the
# addresses, one per line.
#
# DRBD's entry claims all of Documentation/admin-guide/blockdev/, of which
# the series only touches zram.rst (ZRAM's own entry covers it): its
# people and list are left out.
set -euo pipefail
case ${1:-} in
to) who=(--no-l) ;;
cc) who=(--no-m --no-r --l) ;;
*) echo "usage: $0 to|cc" >&2; exit 2 ;;
esac
# get_maintainer.pl reads the patch from stdin when given no file.
found=$(perl scripts/get_maintainer.pl --no-git --no-git-fallback --no-rolestats \
	--no-tree --no-keywords "${who[@]}")
grep -Ev 'linbit\.com|drbd-dev@' <<<"$found" || true
