#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# series_check.sh: bisectability. Builds the kernel at every commit of the
# series, with CONFIG_ZSMALLOC_DEFERRED_FREE on and off (incremental builds
# in a worktree of their own), and fails on the first commit that breaks.
# At the commits before the option exists, 'on' builds without it.
set -euo pipefail
. "$(dirname "$0")/env.sh"

wt=$BUILD/linux-bisect
[ -d "$wt" ] || git -C "$SRC_PATCHED" worktree add -f -q --detach "$wt" base
n=0
for c in $(git -C "$SRC_PATCHED" rev-list --reverse base..series); do
	n=$((n + 1))
	subj=$(git -C "$SRC_PATCHED" log -1 --format=%s "$c")
	git -C "$wt" checkout -q --detach "$c"
	for v in on off; do
		# Before the option exists there is nothing to turn on.
		if [ $v = on ] && [ ! -f "$wt/mm/Kconfig.deferred" ]; then
			log "patch $n ($subj): option not there yet, 'on' skipped"
			continue
		fi
		"$TOP/scripts/build.sh" "bisect-$v" ||
			die "patch $n ($subj) does not build with the option $v"
		log "patch $n ($subj): builds with the option $v in $(cat "$(OBJ_DIR "bisect-$v")/build-time")s"
	done
done
log "series-check: all $n patches build, option on and off"
