#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress.sh [DURATION_S] [LOGDIR]: boot the debug kernel (clang-built, KASAN,
# KFENCE, lockdep, kmemleak, fail_page_alloc, Rust assertions) and run the
# stress plan for DURATION_S seconds of churn; write LOGDIR/summary.json.
# Fails on a data mismatch, a kernel report in the log, a leak, a hang, or
# a detector the config asks for that did not start (a KASAN run without
# KASAN would pass vacuously).
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
# Detectors configured in the debug kernel and the boot message each prints
# once it is running.
detectors=""
cfg=$(OBJ_DIR debug)/.config
for d in "KASAN:KernelAddressSanitizer initialized" "KFENCE:kfence: initialized" \
	"PROVE_LOCKING:Lock dependency validator" "DEBUG_KMEMLEAK:Kernel memory leak detector initialized"; do
	grep -qx "CONFIG_${d%%:*}=y" "$cfg" || continue
	if grep -q "${d#*:}" "$logdir/console.log"; then
		detectors="$detectors ${d%%:*}"
	else
		echo "stress: CONFIG_${d%%:*}=y but '${d#*:}' is not in the log" >&2
		detectors="$detectors ${d%%:*}:missing"
	fi
done
python3 - "$logdir/summary.json" "$splats" "${line#\# STRESS }" "$detectors" <<'PY'
import json, sys
path, splats, raw, detectors = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split()
s = json.loads(raw)
s['splats'] = splats
s['detectors'] = detectors
s['leaked_pages'] = s.get('leaked_pages', 0) + s.pop('kmemleak_objects', 0)
with open(path, 'w', encoding='utf-8') as f:
    json.dump(s, f, indent=1)
print('stress summary: ' + json.dumps(s))
bad = [k for k in ('mismatches', 'splats', 'leaked_pages') if s.get(k, 1) != 0]
bad += [d for d in detectors if d.endswith(':missing')]
if bad:
    print('stress: FAILED on ' + ', '.join(bad))
    sys.exit(1)
PY
[ $? = 0 ] || rc=1
exit $rc
