#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the cover letter for b4 from out/bench/results.json, the intro
text and a 'make stress' summary."""
import json
import textwrap
import sys


def fmt(v):
    return '-' if v is None else f'{v:.2f}ms'


def table(rows, key_label, key):
    out = [f'{key_label:<10} {"Base":>9} {"Patched":>9} {"Speedup":>8}']
    for r in rows:
        sp = '-' if r['speedup'] is None else f"{r['speedup']:.2f}x"
        out.append(f'{key(r):<10} {fmt(r["base_ms"]):>9} {fmt(r["patched_ms"]):>9} {sp:>8}')
    return out


def ratio(v):
    return '-' if v is None else f'{v:.2f}x'


def kill_case(k, op=None):
    """A kill cell's name: backend, op, the size unless 256 MB, processes."""
    words = [k['backend']] + ([op] if op else [])
    if k['size_mb'] != 256:
        words.append(f"{k['size_mb']}MB")
    return ' '.join(words + [f"x{k['nprocs']}"])


def kill_table(kills):
    """The kill path, as a low-memory killer sees it (results.json 'kill')."""
    if not kills:
        return []
    lines = ['Killing instead of unmapping (the victims swapped out, then SIGKILL,',
             'or pidfd_send_signal() + process_mrelease() as lmkd does): time from',
             'the first signal until the last victim is reaped, and until the',
             'backend memory is back (patched/base):', '',
             f'{"case":<20} {"Base":>9} {"Patched":>9} {"Speedup":>8} {"memory":>8}']
    for k in kills:
        case = kill_case(k, k['op'])
        lines.append(f"{case:<20} {fmt(k['base_reaped_ms']):>9} "
                     f"{fmt(k['patched_reaped_ms']):>9} {ratio(k['reaped_speedup']):>8} "
                     f"{ratio(k['returned_ratio']):>8}")
    mr = [k for k in kills if k['op'] == 'mrelease']
    if mr:
        lines += ['', 'process_mrelease(), what lmkd waits for (signal and mrelease of',
                  'every victim):', '',
                  f'{"case":<20} {"Base":>9} {"Patched":>9} {"Speedup":>8}']
        for k in mr:
            case = kill_case(k)
            lines.append(f"{case:<20} {fmt(k['base_signal_ms']):>9} "
                         f"{fmt(k['patched_signal_ms']):>9} {ratio(k['signal_speedup']):>8}")
    lines.append('')
    return lines


def cpu_table(cpus):
    """CPU spent freeing per GiB: base vs patched, with the patched split."""
    if not cpus:
        return []
    f = lambda v: '-' if v is None else f'{v:.0f}'
    lines = ['CPU spent freeing, ms per GiB freed: the freeing tasks (their munmap()',
             "and exit, the killer's process_mrelease()) plus every kernel worker",
             'meanwhile (the drains, and whatever else ran there):', '',
             f"{'case':<20} {'base':>6} {'patched':>8} {'(tasks':>7} {'workers)':>9} {'ratio':>6}"]
    for c in cpus:
        lines.append(f"{c['backend'] + ' ' + c['op'] + ' x' + str(c['nprocs']):<20} "
                     f"{f(c['base_cpu_ms_per_gib']):>6} {f(c['patched_cpu_ms_per_gib']):>8} "
                     f"{f(c['patched_task_ms_per_gib']):>7} "
                     f"{f(c['patched_workers_ms_per_gib']):>9} {ratio(c['cpu_ratio']):>6}")
    lines.append('')
    return lines


def refill_table(refills):
    """Kill then refill: B's time and the failures on each kernel."""
    if not refills:
        return []
    lines = ["Kill, then refill: A (256MB in swap) is killed, B at once pages out as",
             "much under a limit just above what A held (zram mem_limit, memcg",
             "memory.zswap.max); B's time from the kill, and failed writes / pages to",
             'disk / writebacks / OOM kills summed over the runs:', '',
             f"{'case':<12} {'base':>9} {'patched':>9} {'ratio':>6}  {'base fails':>12} "
             f"{'patched fails':>14}"]
    for r in refills:
        fails = lambda who: '/'.join(str(r[f'{who}_{k}']) for k in
                                     ('failed_writes', 'pswpout', 'zswpwb', 'oom_kill'))
        lines.append(f"{r['backend'] + ' ' + str(r['size_mb']) + 'MB':<12} "
                     f"{fmt(r['base_refill_ms']):>9} {fmt(r['patched_refill_ms']):>9} "
                     f"{ratio(r['refill_ratio']):>6}  {fails('base'):>12} {fails('patched'):>14}")
    lines.append('')
    return lines


def body(res):
    meta, rows = res['meta'], res['rows']
    lines = []
    n = 1
    for backend in ('zram', 'zswap'):
        mine = [r for r in rows if r['backend'] == backend]
        if not mine:
            continue
        by_procs = [r for r in mine if r['size_mb'] == 256]
        lines.append(f'Test {n}: munmap latency for 256MB swap-filled VMA ({backend} backend)')
        lines.append('')
        lines += table(by_procs, 'mode', lambda r: r['mode'])
        lines.append('')
        n += 1
        singles = [r for r in mine if r['nprocs'] == 1]
        lines.append(f'Test {n}: munmap latency for different sizes ({backend}, single process)')
        lines.append('')
        lines += table(singles, 'Size', lambda r: f"{r['size_mb']}MB")
        lines.append('')
        n += 1
    lines.append('Same boot, patched kernel, switch off vs on (the headline: boot-to-boot')
    lines.append('drift under TCG is about +-30%), with the floor (munmap of an equal VMA of')
    lines.append('zero-page PTEs) and the time until the backend memory is back:')
    lines.append('')
    lines.append(f'{"case":<16} {"off":>9} {"on":>9} {"speedup":>8} {"floor":>9} {"returned":>9}')
    for r in rows:
        sb = '-' if r.get('same_boot_speedup') is None else f"{r['same_boot_speedup']:.2f}x"
        case = f"{r['backend']} {r['size_mb']}MB x{r['nprocs']}"
        lines.append(f'{case:<16} {fmt(r.get("switch_off_ms")):>9} {fmt(r["patched_ms"]):>9} '
                     f'{sb:>8} {fmt(r["floor_ms"]):>9} {fmt(r["returned_ms"]):>9}')
    lines.append('')
    lines += kill_table(res.get('kill') or [])
    lines += cpu_table(res.get('cpu') or [])
    lines += refill_table(res.get('refill') or [])
    for s in res.get('swapin') or []:
        lines.append(f"Swap-in, {s['backend']} 256MB faulted back in: base "
                     f"{fmt(s['base_swapin_ms'])}, patched {fmt(s['patched_swapin_ms'])} "
                     f"({ratio(s['swapin_ratio'])} of base, "
                     f"{ratio(s['same_boot_swapin_ratio'])} of the switch off).")
    if res.get('swapin'):
        lines.append('')
    for r in res.get('run_lengths') or []:
        share = r.get('slots_in_runs_of_64_or_more_min_share')
        if share is not None:
            lines.append(f"Runs the swap core handed {r['backend']} (patched boots): "
                         f"{r['total_runs']} runs, at least {100 * share:.0f}% of the slots")
            lines.append('in runs of 64 or more.')
    if res.get('run_lengths'):
        lines.append('')
    if res.get('breakdown'):
        for backend in ('zram', 'zswap'):
            mine = [b for b in res['breakdown'] if b.get('backend', 'zram') == backend]
            if not mine:
                continue
            lines.append(f'What each change gives ({backend} 256MB, one process, same boot;')
            lines.append('the intermediate rungs are a bench-only knob, not in this series):')
            lines.append('')
            for b in mine:
                vf = '' if b.get('over_floor') is None else f"  {b['over_floor']:.2f}x floor"
                lines.append(f"  {b['label']:<42} {fmt(b['ms']):>9} {b['speedup']:.2f}x{vf}")
            lines.append('')
        ph = res.get('zswap_phases')
        if ph and ph.get('munmap_ms') and ph.get('floor_ms'):
            n = ph['entries']

            def per(ms):
                return f"{ms:6.2f}ms {1e6 * ms / n:4.0f} ns/entry"
            inside = ph['total_ms']
            above = ph['munmap_ms'] - ph['floor_ms']
            lines.append('Where zswap\'s per-run munmap time goes (the same rung with each phase')
            lines.append(f"of zswap_invalidate() timed, medians of {ph['runs']} runs, "
                         f"{n:.0f} entries):")
            lines.append('')
            lines.append(f"  above the floor                      {per(above)}")
            lines.append(f"    tree erase, under the tree lock    {per(ph['erase_ms'])}")
            lines.append(f"    accounting (counters, objcg)       {per(ph['unaccount_ms'])}")
            lines.append(f"    push (zs_deferred_push_runs())     {per(ph['dispose_ms'])}")
            lines.append(f"    swap core, outside zswap           {per(above - inside)}")
            lines.append('')
        lines.append('Memory cost: one page per CPU being filled plus the pool, min = max/8')
        lines.append('pages held while idle, max = one page per 510 outstanding elements')
        lines.append('(a zram run or a zswap entry), at most RAM/64; zram adds one byte per')
        lines.append('slot.')
        lines.append('')
    lines.append(f"Guest: {meta['guest']}, {meta['kernel']}, QEMU accel {meta['qemu_accel']},")
    lines.append(f"{meta['date']}; medians of every run of each cell ('make bench').")
    lines.append('TCG runs every guest instruction through a translator: absolute times are')
    lines.append('several times those of hardware, an out-of-line call costs more, and two')
    lines.append('vCPUs on two host cores are the worst case for work moved to a worker.')
    lines.append('Ratios between kernels in the same setup are what these figures can say;')
    lines.append('per-entry costs and scaling with more CPUs need hardware.')
    return '\n'.join(lines)


def stress(path):
    """The stress paragraph, from a 'make stress' summary.json."""
    try:
        with open(path, encoding='utf-8') as f:
            s = json.load(f)
    except (OSError, ValueError):
        return "Stress: no 'make stress' summary was found."
    detectors = ', '.join(s.get('detectors', [])) or 'none recorded'
    return textwrap.fill(
        f"Stress ('make stress DURATION={s['duration_s']}'): a debug kernel "
        f"(detectors seen running: {detectors}) with {s['gib_verified']} GiB "
        f"swapped and verified by concurrent workers while CPUs went offline "
        f"{s['hotplug_cycles']} times, zram devices were reset or removed "
        f"{s['resets']} times with frees pending, the zswap compressor "
        f"switched {s['compressor_switches']} times and fail_page_alloc "
        f"failed {s['injected_alloc_failures']} allocations: "
        f"{s['pushed']} pushed, {s['drained']} drained, {s['fallbacks']} "
        f"fallbacks; {s['mismatches']} mismatches, {s['splats']} kernel "
        f"reports, {s['leaked_pages']} leaked pages.", 72)


SUBJECT = 'mm/zsmalloc: per-CPU deferred free to accelerate swap entry release'


def main():
    """cover_letter.py OUT RESULTS INTRO STRESS [NOTE]: writes the cover
    letter as b4 prep --edit-cover takes it (subject, blank line, body)."""
    out, results, intro_path, stress_path = sys.argv[1:5]
    note = sys.argv[5] if len(sys.argv) > 5 else ''
    with open(results, encoding='utf-8') as f:
        res = json.load(f)
    with open(intro_path, encoding='utf-8') as f:
        intro = f.read()
    intro = intro.replace('@RESULTS@', body(res))
    intro = intro.replace('@STRESS@', stress(stress_path))
    text = SUBJECT + '\n\n' + intro.rstrip('\n') + '\n'
    if note:
        text += '\n' + textwrap.fill(note, 72) + '\n'
    # b4 drops lines starting with '#' from the cover letter.
    bad = [line for line in text.splitlines() if line.startswith('#')]
    if bad:
        sys.exit(f'cover letter line would be dropped by b4: {bad[0]!r}')
    with open(out, 'w', encoding='utf-8') as f:
        f.write(text)


if __name__ == '__main__':
    main()
