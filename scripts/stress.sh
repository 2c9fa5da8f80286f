#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress.sh [DURATION_S] [LOGDIR]: boot the debug kernel (SLUB debug, DEBUG_PAGEALLOC, KFENCE, lockdep,
# kmemleak, fail_page_alloc, Rust assertions) and run the stress plan for
# DURATION_S seconds of churn; write LOGDIR/summary.json. Fails on a data
# mismatch, a kernel report in the log, a leak, or a hang.
set -uo pipefail
. "$(dirname "$0")/env.sh"

dur=${1:-${DURATION:-600}}
logdir=${2:-$OUT/stress}
mkdir -p "$logdir"
"$TOP/scripts/build.sh" debug || die "debug kernel build failed"
"$TOP/scripts/initramfs.sh" debug >/dev/null || die "initramfs build failed"
rc=0
"$TOP/scripts/boot.sh" debug stress "$logdir" $((dur * 3 + 900)) "zsd.args=duration=$dur" || rc=1
line=$(grep -h '^# STRESS ' "$logdir/ktap.log" | tail -1)
[ -n "$line" ] || { echo "stress: no summary line in $logdir/ktap.log" >&2; line='# STRESS {}'; rc=1; }
splats=$(grep -cE "$SPLAT_RE" \
	"$logdir/console.log")
python3 - "$logdir/summary.json" "$splats" "${line#\# STRESS }" <<'PY'
import json, sys
path, splats, raw = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = json.loads(raw)
s['splats'] = splats
s['leaked_pages'] = s.get('leaked_pages', 0) + s.pop('kmemleak_objects', 0)
with open(path, 'w', encoding='utf-8') as f:
    json.dump(s, f, indent=1)
print('stress summary: ' + json.dumps(s))
bad = [k for k in ('mismatches', 'splats', 'leaked_pages') if s.get(k, 1) != 0]
if bad:
    print('stress: FAILED on ' + ', '.join(bad))
    sys.exit(1)
PY
[ $? = 0 ] || rc=1
exit $rc
