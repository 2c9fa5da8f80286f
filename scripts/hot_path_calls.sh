#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hot_path_calls.sh [VARIANT]: the calls out of the core's push (the
# export zs_deferred_push_runs(), which every zs_deferred_push*() inline
# calls, and Deferred::push_many in hot_path.rs if the compiler kept it out
# of line) in
# VARIANT's object (default: modules), one line per target with the number
# of call sites: what the hot path can cost beyond its own instructions.
# The common case (room in this CPU's page) reaches only the C helpers for
# per-CPU access and preemption, unless CONFIG_RUST_INLINE_HELPERS inlined
# them; the other calls are once per page or on fallback.
set -euo pipefail
. "$(dirname "$0")/env.sh"

variant=${1:-modules}
o=$(OBJ_DIR "$variant")/mm/zsmalloc_deferred/zsmalloc_deferred_main.o
[ -f "$o" ] || die "no $o: build the $variant kernel first"
dump=objdump
[ "$ARCH" = arm64 ] && dump=${CROSS}objdump
# The export by its C name; Rust v0 mangling of
# zsmalloc_deferred_main::hot_path::<Deferred>::push_many.
$dump -dr --no-show-raw-insn "$o" |
	awk '/^[0-9a-f]+ <(zs_deferred_push_runs|.*8hot_path.*8Deferred9push_many)>:$/ { on = 1; next }
		on && /^[0-9a-f]+ </ { on = 0 }
		on && / R_(X86_64_PLT32|AARCH64_CALL26|AARCH64_JUMP26)/ { print $NF }' |
	sed 's/-0x4$//' | sort | uniq -c | sort -rn |
	while read -r n sym; do
		printf '%3d  %s\n' "$n" "$( (echo "$sym" | rustfilt 2>/dev/null) || echo "$sym")"
	done
