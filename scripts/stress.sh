#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress.sh [DURATION_S] [LOGDIR]: boot the debug kernel (clang-built, KASAN,
# KFENCE, lockdep, kmemleak, fail_page_alloc, Rust assertions) and run the
# stress plan for DURATION_S seconds of churn; write LOGDIR/summary.json.
# Fails on a data mismatch, a kernel report in the log, a leak, a hang, a
# detector the config asks for that did not start (a KASAN run without
# KASAN would pass vacuously), a plan result that is not ok (a skip means
# broken setup), a half (zram, zswap) without its own summary, or an event
# the run is meant to cause that never happened.
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
# Every top-level result of the plan, all of them present: each failure is
# shown with the comment lines the check printed before it.
tr -d '\r' <"$logdir/ktap.log" | awk '
	/^1\.\.[0-9]+/ && !plan { plan = substr($0, 4) + 0 }
	/^# / { why = why "\n    " $0; next }
	/^(not )?ok / {
		n++
		if (/^not ok / || / # SKIP/) { print "stress: " $0 why; bad = 1 }
		why = ""
	}
	END {
		if (n != plan) { print "stress: " n " of " plan " plan results in the KTAP log"; bad = 1 }
		exit bad
	}' >&2 || rc=1
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
# The guest's copy of what kmemleak found (only there when it found any),
# before the verdict: the first object and the start of its backtrace.
grep -h '^# kmemleak: ' "$logdir/ktap.log" | tr -d '\r' | sed 's/^# /stress: /' | head -n 10 >&2
python3 - "$logdir/summary.json" "$splats" "${line#\# STRESS }" "$detectors" <<'PY'
import json, sys
path, splats, raw, detectors = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split()
# The events each half must cause (the plan's events_of() lists the same).
EVENTS = {
    'zram': ('hotplug_cycles', 'switch_flips', 'injected_alloc_failures', 'resets'),
    'zswap': ('hotplug_cycles', 'switch_flips', 'injected_alloc_failures',
              'compressor_switches', 'swap_cycles'),
}


def num(v):
    """v if it is an integer; None for a value that is missing or null."""
    return v if isinstance(v, int) and not isinstance(v, bool) else None


try:
    s = json.loads(raw)
except ValueError:
    print('stress: the summary line is not JSON: ' + raw)
    s = {}
s['splats'] = splats
s['detectors'] = detectors
leaked, objects = num(s.get('leaked_pages')), num(s.pop('kmemleak_objects', None))
s['leaked_pages'] = None if leaked is None or objects is None else leaked + objects
with open(path, 'w', encoding='utf-8') as f:
    json.dump(s, f, indent=1)
print('stress summary: ' + json.dumps(s))
# A missing or null count is a failure, never 0.
bad = [f'{k}={s.get(k)}' for k in ('mismatches', 'splats', 'leaked_pages')
       if num(s.get(k)) != 0]
bad += [d for d in detectors if d.endswith(':missing')]
for b, events in EVENTS.items():
    h = s.get(b)
    if not isinstance(h, dict):
        bad.append(f'{b}: no summary of its own')
        continue
    if num(h.get('mismatches')) != 0:
        bad.append(f'{b}.mismatches={h.get("mismatches")}')
    bad += [f'{b}.{e}={h.get(e)}' for e in events if (num(h.get(e)) or 0) <= 0]
    pushed, drained = num(h.get('pushed')), num(h.get('drained'))
    if pushed is None or pushed <= 0 or pushed != drained:
        bad.append(f'{b}: pushed={pushed} drained={drained}')
if bad:
    print('stress: FAILED on ' + ', '.join(bad))
    sys.exit(1)
PY
[ $? = 0 ] || rc=1
exit $rc
