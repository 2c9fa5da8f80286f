#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Aggregate the '# JSON' measurements of 'make bench' boots.

Rows are keyed by (backend, size, nprocs). 'base' is the pristine kernel,
'patched' the patched kernel with deferred free on, 'sync' the patched
kernel with the switch off (same boot as 'patched'). Medians with min/max.

Each run has the selftest's "op": munmap (the children unmap; lines written
before the key existed count as munmap), kill (SIGKILL) or mrelease
(pidfd_send_signal(SIGKILL) + process_mrelease(), as lmkd does). The munmap
rows go to 'rows' of results.json, the kill path to 'kill' (reaped_ms:
first signal until the last child is reaped; signal_ms: the signals and,
for mrelease, the process_mrelease() calls), the issue's targets with their
verdicts to 'issue_targets'.

Each boot's directory is OUTDIR/boot-<index>-<variant>-<part> (variant base
or patched; part single, multi, kill or breakdown). The headline cells use
only the alternating boots (single, multi, kill); the breakdown boot is
reported in its own table. Every run, of every boot, is written to
OUTDIR/raw-runs.jsonl, one JSON object per line: the selftest's keys plus
boot, variant, part, boot_dir and rep (the run's number within its cell,
op and mode in that boot).
"""
import datetime
import glob
import json
import os
import statistics
import sys

RAW = 'raw-runs.jsonl'
VARIANTS = {'base': 0, 'patched': 1}
PARTS = {'single': 0, 'multi': 1, 'kill': 2, 'breakdown': 3}
KILL_OPS = ('kill', 'mrelease')
# Issue #15's targets for the kill path and memory returned.
KILL_SPEEDUP_TARGET = 4.0
RETURNED_RATIO_TARGET = 1.0
# CPU spent freeing (tasks plus drains), patched/base.
CPU_RATIO_TARGET = 1.1


def boot_key(path):
    """(index, variant, part) from boot-<index>-<variant>-<part>."""
    name = os.path.basename(path)
    f = name.split('-', 3) + ['', '', '']
    idx = int(f[1]) if f[1].isdigit() else 0
    return idx, f[2], f[3]


def boot_order(log):
    """The order bench.sh boots in: index, then base before patched, then part."""
    idx, kernel, part = boot_key(os.path.dirname(log))
    return idx, VARIANTS.get(kernel, 9), PARTS.get(part, 9), log


def load(outdir):
    """Every '# JSON' line of every boot's ktap.log, in boot order, tagged."""
    rows = []
    for log in sorted(glob.glob(os.path.join(outdir, 'boot-*', 'ktap.log')), key=boot_order):
        idx, kernel, part = boot_key(os.path.dirname(log))
        seen = {}
        with open(log, encoding='utf-8', errors='replace') as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line.startswith('# JSON '):
                    continue
                try:
                    m = json.loads(line[len('# JSON '):])
                except ValueError:
                    print(f'{log}:{n}: unparsable JSON line skipped', file=sys.stderr)
                    continue
                # Before the selftest had --op, every run unmapped.
                m.setdefault('op', 'munmap')
                # Lines that are not runs (op 'runs': run lengths) have
                # no size or process count.
                m.setdefault('size_mb', None)
                m.setdefault('nprocs', None)
                # Runs of one cell, op and mode are numbered in order
                # unless the guest plan tagged them.
                cellmode = (m.get('backend'), m.get('size_mb'), m.get('nprocs'), m['op'],
                            m.get('mode'))
                seen[cellmode] = seen.get(cellmode, 0) + 1
                tags = {'boot': idx, 'variant': kernel, 'part': part,
                        'boot_dir': os.path.basename(os.path.dirname(log)),
                        'rep': m.pop('rep', seen[cellmode])}
                m.setdefault('mode', 'default')
                rows.append({**tags, **m})
    return rows


def write_raw(outdir, rows):
    with open(os.path.join(outdir, RAW), 'w', encoding='utf-8') as f:
        for r in rows:
            f.write(json.dumps(r) + '\n')


def boots_summary(rows):
    out = {}
    for r in rows:
        b = out.setdefault(r['boot_dir'], {'dir': r['boot_dir'], 'boot': r['boot'],
                                           'variant': r['variant'], 'part': r['part'],
                                           'kernel': r.get('kernel'), 'runs': 0})
        b['runs'] += 1
    return list(out.values())


def stats(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None, None, None
    return statistics.median(vals), min(vals), max(vals)


def cell(rows, backend, size, nprocs, variant, mode, key='munmap_ms', op='munmap'):
    return [r.get(key) for r in rows if r['backend'] == backend and r.get('size_mb') == size
            and r.get('nprocs') == nprocs and r['variant'] == variant and r['mode'] == mode
            and r.get('op', 'munmap') == op]


def fmt(v):
    return '-' if v is None else f'{v:.2f}ms'


def fmt_range(r, key):
    """'median [min-max]' of r[key_ms], r[key_min_ms], r[key_max_ms]."""
    if r[f'{key}_ms'] is None:
        return '-'
    return f"{r[f'{key}_ms']:.2f}ms [{r[f'{key}_min_ms']:.2f}-{r[f'{key}_max_ms']:.2f}]"


def main():
    outdir, version, arch = sys.argv[1], sys.argv[2], sys.argv[3]
    raw = load(outdir)
    write_raw(outdir, raw)
    # Headline cells: the alternating boots only, never the breakdown boot.
    alt = [r for r in raw if r['part'] != 'breakdown']
    rows = [r for r in alt if r['op'] == 'munmap']
    keys = sorted({(r['backend'], r['size_mb'], r['nprocs']) for r in rows})
    modes = {r['mode'] for r in alt if r['variant'] == 'patched'}
    pmode = 'deferred' if 'deferred' in modes else 'default'
    results = []
    for backend, size, nprocs in keys:
        def get(variant, mode, key='munmap_ms'):
            return cell(rows, backend, size, nprocs, variant, mode, key)
        base = stats(get('base', 'default'))
        pat = stats(get('patched', pmode))
        off = stats(get('patched', 'sync'))
        floor = stats(get('patched', pmode, 'floor_ms') + get('base', 'default', 'floor_ms'))
        ret = stats(get('patched', pmode, 'returned_ms'))
        base_ret = stats(get('base', 'default', 'returned_ms'))
        test = {('zram', True): 1, ('zram', False): 2, ('zswap', True): 3,
                ('zswap', False): 4}[(backend, size == 256)]
        if nprocs > 1:
            test = 1 if backend == 'zram' else 3
        results.append({
            'test': test, 'backend': backend, 'mode': 'single' if nprocs == 1 else f'multi {nprocs}p',
            'size_mb': size, 'nprocs': nprocs,
            'base_ms': base[0], 'base_min_ms': base[1], 'base_max_ms': base[2],
            'patched_ms': pat[0], 'patched_min_ms': pat[1], 'patched_max_ms': pat[2],
            'speedup': (base[0] / pat[0]) if base[0] and pat[0] else None,
            'switch_off_ms': off[0], 'switch_off_min_ms': off[1], 'switch_off_max_ms': off[2],
            'same_boot_speedup': (off[0] / pat[0]) if off[0] and pat[0] else None,
            'floor_ms': floor[0],
            'returned_ms': ret[0], 'returned_min_ms': ret[1], 'returned_max_ms': ret[2],
            'base_returned_ms': base_ret[0], 'base_returned_min_ms': base_ret[1],
            'base_returned_max_ms': base_ret[2],
            'returned_ratio': (ret[0] / base_ret[0]) if ret[0] and base_ret[0] else None,
            'runs_base': len([v for v in get('base', 'default') if v is not None]),
            'runs_patched': len([v for v in get('patched', pmode) if v is not None]),
            'runs_switch_off': len([v for v in get('patched', 'sync') if v is not None]),
            # Runs whose memory was not back within the selftest's timeout
            # (returned_ms null): left out of the returned medians.
            'base_not_returned': get('base', 'default', 'returned_ms').count(None),
            'patched_not_returned': get('patched', pmode, 'returned_ms').count(None),
        })
    kills = kill_rows(alt, pmode)
    cpus = cpu_rows(alt, pmode)
    refills = refill_rows(alt, pmode)
    meta = {'kernel': version, 'arch': arch, 'qemu_accel': 'tcg,thread=multi',
            'guest': 'QEMU TCG, 2 vCPUs, 3 GiB', 'date': datetime.date.today().isoformat(),
            'headline': 'alternating boots only (parts single, multi, kill); '
                        'breakdown boot excluded',
            'raw': RAW, 'boots': boots_summary(raw)}

    lines = [f"Guest: {meta['guest']} ({arch}, {version}); medians [min-max] over "
             "all runs of the alternating boots; TCG times are not comparable with hardware, "
             "speedups are.", '']
    for backend in ('zram', 'zswap'):
        mine = [r for r in results if r['backend'] == backend]
        if mine:
            lines += munmap_lines(backend, mine)
        lines += kill_lines(backend, [k for k in kills if k['backend'] == backend])
        lines += cpu_lines(backend, [c for c in cpus if c['backend'] == backend])
        lines += refill_lines(backend, [r for r in refills if r['backend'] == backend])
    lines += push_lines(results)
    lines += target_lines(results)
    issue = issue_targets(results, kills, cpus, refills)
    lines += issue_target_lines(issue)
    swapins = swapin_rows(alt, pmode)
    lines += swapin_lines(swapins)
    runs = run_length_rows(raw)
    lines += run_length_lines(runs)
    breakdown, source = breakdown_rows(raw)
    lines += ladder_lines(breakdown, source)
    phases = phase_rows(raw)
    lines += phase_lines(phases)
    ranged = ranged_targets(results, swapins, breakdown)
    lines += ranged_target_lines(ranged)
    lines += ['', f"Runs: {len(raw)} in {len(meta['boots'])} boots, every one in {RAW}."]
    text = '\n'.join(lines)
    print(text)
    with open(os.path.join(outdir, 'results.json'), 'w', encoding='utf-8') as f:
        json.dump({'meta': meta, 'rows': results, 'breakdown': breakdown, 'kill': kills,
                   'cpu': cpus, 'refill': refills, 'swapin': swapins, 'run_lengths': runs,
                   'issue_targets': issue, 'ranged_targets': ranged,
                   'zswap_phases': phases}, f, indent=1)
    with open(os.path.join(outdir, 'report.md'), 'w', encoding='utf-8') as f:
        f.write('# munmap latency of swap-filled VMAs\n\n```\n' + text + '\n```\n')
        if plot(outdir, results):
            f.write('\n![munmap latency by size](munmap.png)\n')


def munmap_lines(backend, mine):
    """The munmap tables of one backend: by processes, by size, memory returned."""
    lines = []
    lines.append(f'{backend}: munmap latency, 256MB, by processes')
    lines.append(header('mode'))
    for r in mine:
        if r['size_mb'] != 256:
            continue
        lines.append(row(r['mode'], r))
    lines.append('')
    lines.append(f'{backend}: munmap latency by size, single process')
    lines.append(header('Size'))
    for r in mine:
        if r['nprocs'] == 1:
            lines.append(row(f"{r['size_mb']}MB", r))
    lines.append('')
    lines.append(f'{backend}: memory returned after munmap, base vs patched')
    lines.append(f"{'case':<10} {'Base [min-max]':>26} {'Patched [min-max]':>26} "
                 f"{'Pat/Base':>8}")
    for r in mine:
        ratio = '-' if r['returned_ratio'] is None else f"{r['returned_ratio']:.2f}x"
        case = f"{r['size_mb']}MB x{r['nprocs']}"
        lines.append(f"{case:<10} {fmt_range(r, 'base_returned'):>26} "
                     f"{fmt_range(r, 'returned'):>26} {ratio:>8}")
    for r in mine:
        if r['base_not_returned'] or r['patched_not_returned']:
            lines.append(f"  {r['size_mb']}MB x{r['nprocs']}: not returned in time (left out): "
                         f"{r['base_not_returned']} base, {r['patched_not_returned']} patched runs")
    lines.append('')
    return lines


# The kill path's variants: who ran it, on which kernel, in which mode.
KILL_WHO = (('base', 'base', 'default'), ('patched', 'patched', None),
            ('switch_off', 'patched', 'sync'))
KILL_KEYS = ('reaped', 'signal', 'returned')


def ratio(a, b):
    return a / b if a and b else None


def kill_rows(alt, pmode):
    """The kill path per (backend, op, size, nprocs): reaped, signal and
    memory-returned medians with min/max for base, patched (deferred free
    on) and the patched kernel's switch off, with their ratios."""
    keys = sorted({(r['backend'], KILL_OPS.index(r['op']), r['size_mb'], r['nprocs'])
                   for r in alt if r['op'] in KILL_OPS})
    out = []
    for backend, opi, size, nprocs in keys:
        op = KILL_OPS[opi]
        k = {'backend': backend, 'op': op, 'size_mb': size, 'nprocs': nprocs}
        for who, variant, mode in KILL_WHO:
            mode = mode or pmode
            for key in KILL_KEYS:
                vals = cell(alt, backend, size, nprocs, variant, mode, f'{key}_ms', op)
                med, lo, hi = stats(vals)
                k[f'{who}_{key}_ms'] = med
                k[f'{who}_{key}_min_ms'] = lo
                k[f'{who}_{key}_max_ms'] = hi
            k[f'runs_{who}'] = len([v for v in cell(alt, backend, size, nprocs, variant, mode,
                                                    'reaped_ms', op) if v is not None])
            # Runs whose memory was not back within the selftest's timeout
            # (returned_ms null): left out of the returned medians.
            k[f'{who}_not_returned'] = cell(alt, backend, size, nprocs, variant, mode,
                                            'returned_ms', op).count(None)
        k['reaped_speedup'] = ratio(k['base_reaped_ms'], k['patched_reaped_ms'])
        k['same_boot_reaped_speedup'] = ratio(k['switch_off_reaped_ms'], k['patched_reaped_ms'])
        k['signal_speedup'] = ratio(k['base_signal_ms'], k['patched_signal_ms'])
        k['same_boot_signal_speedup'] = ratio(k['switch_off_signal_ms'], k['patched_signal_ms'])
        k['returned_ratio'] = ratio(k['patched_returned_ms'], k['base_returned_ms'])
        out.append(k)
    return out


def fx(v):
    return '-' if v is None else f'{v:.2f}x'


def kill_lines(backend, ks):
    """The kill path tables of one backend."""
    if not ks:
        return []
    case = lambda k: f"{k['op']} {k['size_mb']}MB x{k['nprocs']}"
    head = (f"{'case':<18} {'Base [min-max]':>26} {'Patched [min-max]':>26} {'Speedup':>8} "
            f"{'SwitchOff [min-max]':>26} {'SameBoot':>8}")
    lines = [f'{backend}: kill path, reaped_ms (first signal until the last child is reaped)',
             head]
    for k in ks:
        lines.append(f"{case(k):<18} {fmt_range(k, 'base_reaped'):>26} "
                     f"{fmt_range(k, 'patched_reaped'):>26} {fx(k['reaped_speedup']):>8} "
                     f"{fmt_range(k, 'switch_off_reaped'):>26} "
                     f"{fx(k['same_boot_reaped_speedup']):>8}")
    mr = [k for k in ks if k['op'] == 'mrelease']
    if mr:
        lines += ['', f'{backend}: process_mrelease(), signal_ms (pidfd_send_signal() + '
                  'process_mrelease() of every victim: what lmkd waits for)', head]
        for k in mr:
            lines.append(f"{case(k):<18} {fmt_range(k, 'base_signal'):>26} "
                         f"{fmt_range(k, 'patched_signal'):>26} {fx(k['signal_speedup']):>8} "
                         f"{fmt_range(k, 'switch_off_signal'):>26} "
                         f"{fx(k['same_boot_signal_speedup']):>8}")
    lines += ['', f'{backend}: memory returned after the kill (from the first signal), '
              'base vs patched',
              f"{'case':<18} {'Base [min-max]':>26} {'Patched [min-max]':>26} {'Pat/Base':>8} "
              f"{'runs':>11}"]
    for k in ks:
        runs = f"{k['runs_base']}/{k['runs_patched']}/{k['runs_switch_off']}"
        lines.append(f"{case(k):<18} {fmt_range(k, 'base_returned'):>26} "
                     f"{fmt_range(k, 'patched_returned'):>26} {fx(k['returned_ratio']):>8} "
                     f"{runs:>11}")
    lines.append(f"{'':<18} (runs: base/patched/switch off)")
    for k in ks:
        if k['base_not_returned'] or k['patched_not_returned'] or k['switch_off_not_returned']:
            lines.append(f"  {case(k)}: not returned in time (left out): "
                         f"{k['base_not_returned']} base, {k['patched_not_returned']} patched, "
                         f"{k['switch_off_not_returned']} switch-off runs")
    lines.append('')
    return lines


def cpu_rows(alt, pmode):
    """CPU spent freeing, per GiB freed, for every 256 MiB case whose runs
    carry it: the freeing tasks' CPU from the start of the free (the
    children's munmap() and exit, or their exit after the kill, plus the
    killer's own pidfd_send_signal()/process_mrelease() calls) and the CPU
    of the kernel's workers meanwhile (every kworker and the drain queues'
    rescuers, from /proc/<pid>/sched: the deferred frees' drains and
    whatever else ran there, on both kernels). Medians of the per-run
    totals for base, patched and the switch off, and of the patched
    kernel's two parts."""
    ops = ('munmap',) + KILL_OPS
    keys = sorted({(r['backend'], ops.index(r['op']), r['nprocs'])
                   for r in alt if r['size_mb'] == 256 and r['op'] in ops
                   and r.get('task_cpu_ms') is not None})
    out = []
    for backend, opi, nprocs in keys:
        op = ops[opi]
        gib = 256 * nprocs / 1024
        c = {'backend': backend, 'op': op, 'size_mb': 256, 'nprocs': nprocs}
        for who, variant, mode in KILL_WHO:
            mode = mode or pmode
            runs = [r for r in alt if r['backend'] == backend and r['op'] == op
                    and r['size_mb'] == 256 and r['nprocs'] == nprocs
                    and r['variant'] == variant and r['mode'] == mode
                    and r.get('task_cpu_ms') is not None]
            tot = stats([(r['task_cpu_ms'] + (r.get('worker_cpu_ms') or 0)) / gib for r in runs])
            c[f'{who}_cpu_ms_per_gib'], c[f'{who}_cpu_min'], c[f'{who}_cpu_max'] = tot
            c[f'{who}_task_ms_per_gib'] = stats([r['task_cpu_ms'] / gib for r in runs])[0]
            c[f'{who}_workers_ms_per_gib'] = stats([(r.get('worker_cpu_ms') or 0) / gib
                                                  for r in runs])[0]
            c[f'runs_{who}'] = len(runs)
        c['cpu_ratio'] = ratio(c['patched_cpu_ms_per_gib'], c['base_cpu_ms_per_gib'])
        c['same_boot_cpu_ratio'] = ratio(c['patched_cpu_ms_per_gib'],
                                         c['switch_off_cpu_ms_per_gib'])
        out.append(c)
    return out


def cpu_lines(backend, cs):
    """The CPU table of one backend."""
    if not cs:
        return []
    f = lambda v: '-' if v is None else f'{v:.1f}'
    lines = [f'{backend}: CPU spent freeing, ms per GiB freed (freeing tasks + kernel workers), '
             'medians',
             f"{'case':<18} {'Base':>8} {'Patched':>8} {'(tasks':>8} {'workers)':>8} "
             f"{'Pat/Base':>8} {'SwitchOff':>9} {'Pat/Off':>8} {'runs':>8}"]
    for c in cs:
        runs = f"{c['runs_base']}/{c['runs_patched']}/{c['runs_switch_off']}"
        lines.append(f"{c['op'] + ' 256MB x' + str(c['nprocs']):<18} "
                     f"{f(c['base_cpu_ms_per_gib']):>8} {f(c['patched_cpu_ms_per_gib']):>8} "
                     f"{f(c['patched_task_ms_per_gib']):>8} "
                     f"{f(c['patched_workers_ms_per_gib']):>8} {fx(c['cpu_ratio']):>8} "
                     f"{f(c['switch_off_cpu_ms_per_gib']):>9} "
                     f"{fx(c['same_boot_cpu_ratio']):>8} {runs:>8}")
    lines.append('')
    return lines


# What went wrong while B refilled, summed over the runs of a cell.
REFILL_TROUBLE = ('failed_writes', 'pswpout', 'zswpwb', 'oom_kill')


def refill_rows(alt, pmode):
    """kill_refill per backend and size: B's time from the kill (refill_ms)
    and how much of B stayed resident, medians with min/max, and the
    failures of the refill summed over the runs, for base, patched and the
    switch off."""
    keys = sorted({(r['backend'], r['size_mb']) for r in alt if r['op'] == 'refill'})
    out = []
    for backend, size in keys:
        f = {'backend': backend, 'op': 'refill', 'size_mb': size, 'nprocs': 1}
        for who, variant, mode in KILL_WHO:
            mode = mode or pmode
            runs = [r for r in alt if r['backend'] == backend and r['size_mb'] == size
                    and r['op'] == 'refill' and r['variant'] == variant
                    and r['mode'] == mode]
            med, lo, hi = stats([r.get('refill_ms') for r in runs])
            f[f'{who}_refill_ms'], f[f'{who}_refill_min_ms'], f[f'{who}_refill_max_ms'] = \
                med, lo, hi
            f[f'{who}_resident_pct'] = stats([r.get('b_resident_pct') for r in runs])[0]
            for key in REFILL_TROUBLE:
                f[f'{who}_{key}'] = sum(r.get(key) or 0 for r in runs)
            f[f'runs_{who}'] = len(runs)
        f['refill_ratio'] = ratio(f['patched_refill_ms'], f['base_refill_ms'])
        f['same_boot_refill_ratio'] = ratio(f['patched_refill_ms'], f['switch_off_refill_ms'])
        out.append(f)
    return out


def refill_lines(backend, fs):
    """The kill-then-refill table of one backend."""
    if not fs:
        return []
    lines = [f"{backend}: kill then refill: B pages out as much as the killed A held, "
             "under a limit just above it; B's time from the kill",
             f"{'case':<18} {'Base [min-max]':>26} {'Patched [min-max]':>26} {'Pat/Base':>8} "
             f"{'SwitchOff [min-max]':>26} {'Pat/Off':>8}"]
    for f in fs:
        lines.append(f"{'refill ' + str(f['size_mb']) + 'MB':<18} "
                     f"{fmt_range(f, 'base_refill'):>26} {fmt_range(f, 'patched_refill'):>26} "
                     f"{fx(f['refill_ratio']):>8} {fmt_range(f, 'switch_off_refill'):>26} "
                     f"{fx(f['same_boot_refill_ratio']):>8}")
    lines.append(f"{'':<18} summed over the runs: failed writes / to disk (pswpout) / "
                 "written back (zswpwb) / OOM kills; B resident (median)")
    for f in fs:
        for who in ('base', 'patched', 'switch_off'):
            t = ' / '.join(str(f[f'{who}_{k}']) for k in REFILL_TROUBLE)
            res = f[f'{who}_resident_pct']
            res = '-' if res is None else f'{res:.1f}%'
            lines.append(f"  {who:<11} {t:>24}; resident {res}; {f[f'runs_{who}']} runs")
    lines.append('')
    return lines


def issue_targets(results, kills, cpus=(), refills=()):
    """Issue #15's targets at 256 MiB, each with its verdict from the data:
    kill latency (reaped_ms, op kill) >= 4x faster than base,
    process_mrelease() (signal_ms, op mrelease) >= 4x faster than base,
    memory returned <= 1.0x base at 1, 2 and 3 processes, for munmap and
    for the kill ops. Cells that were not measured are not listed; a cell
    without a value on either kernel is 'no data'."""
    out = []

    def add(target, what, backend, op, nprocs, value, limit, higher):
        if value is None:
            verdict, met = 'no data', None
        else:
            met = value >= limit if higher else value <= limit
            verdict = 'met' if met else 'MISSED'
        out.append({'target': target, 'what': what, 'backend': backend, 'op': op,
                    'size_mb': 256, 'nprocs': nprocs, 'value': value,
                    'limit': limit, 'comparison': '>=' if higher else '<=',
                    'met': met, 'verdict': verdict})

    for k in kills:
        if k['size_mb'] == 256 and k['op'] == 'kill':
            add('kill_reaped_speedup', 'kill latency (reaped_ms), base/patched', k['backend'],
                'kill', k['nprocs'], k['reaped_speedup'], KILL_SPEEDUP_TARGET, True)
    for k in kills:
        if k['size_mb'] == 256 and k['op'] == 'mrelease':
            add('mrelease_signal_speedup', 'process_mrelease() (signal_ms), base/patched',
                k['backend'], 'mrelease', k['nprocs'], k['signal_speedup'],
                KILL_SPEEDUP_TARGET, True)
    for r in results:
        if r['size_mb'] == 256 and r['nprocs'] in (1, 2, 3):
            add('returned_ratio', 'memory returned, patched/base', r['backend'], 'munmap',
                r['nprocs'], r['returned_ratio'], RETURNED_RATIO_TARGET, False)
    for k in kills:
        if k['size_mb'] == 256 and k['nprocs'] in (1, 2, 3):
            add('returned_ratio', 'memory returned, patched/base', k['backend'], k['op'],
                k['nprocs'], k['returned_ratio'], RETURNED_RATIO_TARGET, False)
    for c in cpus:
        add('cpu_ratio', 'CPU spent freeing, patched/base', c['backend'], c['op'],
            c['nprocs'], c['cpu_ratio'], CPU_RATIO_TARGET, False)
    for f in refills:
        add('refill_ratio', "B's refill time, patched/base", f['backend'], 'refill', 1,
            f['refill_ratio'], 1.0, False)
        extra = None
        if f['runs_base'] and f['runs_patched']:
            extra = float(sum(f[f'patched_{k}'] for k in REFILL_TROUBLE) -
                          sum(f[f'base_{k}'] for k in REFILL_TROUBLE))
        out.append({'target': 'refill_extra_failures',
                    'what': 'extra failed writes, disk writes, writebacks and OOM kills '
                            'while B refills, patched minus base',
                    'backend': f['backend'], 'op': 'refill', 'size_mb': f['size_mb'],
                    'nprocs': 1, 'value': extra, 'limit': 0.0, 'comparison': '<=',
                    'met': None if extra is None else extra <= 0,
                    'verdict': 'no data' if extra is None else
                               ('met' if extra <= 0 else 'MISSED')})
    order = {'zram': 0, 'zswap': 1}
    out.sort(key=lambda t: (order.get(t['backend'], 9), t['backend']))
    return out


def issue_target_lines(issue):
    if not issue:
        return []
    out = ['', 'Issue #15 targets (256MB; computed from the runs above):']
    for t in issue:
        unit = '' if t['target'] == 'refill_extra_failures' else 'x'
        value = '-' if t['value'] is None else f"{t['value']:.2f}{unit}"
        out.append(f"  {t['backend']} {t['op']} x{t['nprocs']}: {t['what']} {value} "
                   f"(target {t['comparison']} {t['limit']:.1f}{unit}): {t['verdict']}")
    met = sum(1 for t in issue if t['met'] is True)
    missed = sum(1 for t in issue if t['met'] is False)
    nodata = sum(1 for t in issue if t['met'] is None)
    out.append(f"  {met} met, {missed} MISSED" + (f", {nodata} without data" if nodata else ''))
    return out


# The ladder: what each part of the deferred free gives, same boot, by the
# bench-only modes of each backend (not part of the upstream series).
LADDER = ('sync', 'handle', 'slot', 'deferred', 'timed')
LADDER_LABELS = {
    'zram': {'sync': 'synchronous (deferred_free=0)',
             'handle': 'zs_free() only (=2)',
             'slot': 'whole slot free, one push per slot (=3)',
             'deferred': 'whole slot free, one push per run (=1)'},
    'zswap': {'sync': 'synchronous (deferred_free=0)',
              'handle': 'zs_free() only (bench_variant=2)',
              'slot': 'whole entry, erase per slot (=1)',
              'deferred': 'whole entry, erase per run (=0)',
              'timed': 'the same, its phases timed (=4)'},
}

# Phases of zswap_invalidate() the timed rung adds up (bench_phases).
PHASES = (('erase_ns', 'erase: tree walk under the tree lock'),
          ('unaccount_ns', 'unaccount: counters and objcg charges'),
          ('dispose_ns', 'push: zs_deferred_push_runs() of the batch'))


def phase_rows(raw):
    """zswap 256 MiB x1, timed rung: medians over its runs of each phase
    of zswap_invalidate(), of its total, and of the munmap and floor of the
    same runs; the rest of the munmap above the floor is outside
    zswap_invalidate() (the swap core's range free and its page walk)."""
    rows = [r for r in raw if r['part'] == 'breakdown'] or \
        [r for r in raw if r['variant'] == 'patched']
    ph = [r for r in rows if r['op'] == 'phases' and r['backend'] == 'zswap'
          and r.get('size_mb') == 256 and r.get('nprocs') == 1 and r.get('entries')]
    if not ph:
        return None
    med = {k: stats([r[k] / 1e6 for r in ph])[0]
           for k, _ in PHASES + (('total_ns', ''),)}
    out = {'runs': len(ph), 'entries': stats([r['entries'] for r in ph])[0],
           'calls': stats([r['calls'] for r in ph])[0],
           'munmap_ms': stats(cell(rows, 'zswap', 256, 1, 'patched', 'timed'))[0],
           'floor_ms': stats(cell(rows, 'zswap', 256, 1, 'patched', 'timed', 'floor_ms'))[0],
           **{k.replace('_ns', '_ms'): v for k, v in med.items()}}
    return out


def phase_lines(p):
    if not p or not p['munmap_ms'] or not p['floor_ms']:
        return []
    n = p['entries']
    inside = p['total_ms']
    above = p['munmap_ms'] - p['floor_ms']

    def row(label, ms):
        return f"  {label:<52} {ms:>7.2f}ms {1e6 * ms / n:>6.0f} ns/entry"
    out = ['', f"zswap 256MB, single process: where the munmap time goes (timed rung, "
               f"medians of {p['runs']} runs; {n:.0f} entries in {p['calls']:.0f} calls)",
           row('munmap, timed rung', p['munmap_ms']),
           row('floor (zero-page VMA of the same size)', p['floor_ms']),
           row('above the floor', above),
           row('in zswap_invalidate()', inside)]
    for k, label in PHASES:
        out.append(row('  ' + label, p[k.replace('_ns', '_ms')]))
    rest = inside - sum(p[k.replace('_ns', '_ms')] for k, _ in PHASES)
    out.append(row('  the rest: loop, timestamps, run statistics', rest))
    out.append(row('outside zswap_invalidate(): swap core, page walk', above - inside))
    return out


def breakdown_rows(raw):
    """The ladder, 256 MiB x1 on the patched kernel, for each backend: the
    munmap median of every mode and its speedup over the synchronous free.

    From the ladder boot when there is one (a full bench), else from the
    patched boots that ran the extra modes (QUICK=1). Returns the rows and
    a description of where they come from.
    """
    rows = [r for r in raw if r['part'] == 'breakdown']
    source = 'ladder boot'
    if not rows:
        rows = [r for r in raw if r['variant'] == 'patched']
        source = 'same boots'
    out = []
    for backend in ('zram', 'zswap'):
        st = {m: stats(cell(rows, backend, 256, 1, 'patched', m)) for m in LADDER}
        if st['sync'][0] is None or all(st[m][0] is None for m in ('handle', 'slot')):
            continue
        floor = stats(cell(rows, backend, 256, 1, 'patched', 'sync', 'floor_ms'))[0]
        for m in LADDER:
            if st[m][0] is None:
                continue
            out.append({'backend': backend, 'mode': m, 'label': LADDER_LABELS[backend][m],
                        'ms': st[m][0], 'min_ms': st[m][1], 'max_ms': st[m][2],
                        'speedup': st['sync'][0] / st[m][0],
                        'floor_ms': floor,
                        'over_floor': st[m][0] / floor if floor else None,
                        'runs': len([v for v in cell(rows, backend, 256, 1, 'patched', m)
                                     if v is not None])})
    return out, source


def ladder_lines(ladder, source):
    out = []
    for backend in ('zram', 'zswap'):
        mine = [b for b in ladder if b['backend'] == backend]
        if not mine:
            continue
        out += ['', f'{backend} 256MB, single process, patched kernel, {source}: '
                    'what each part gives (munmap)',
                f"{'mode':<42} {'munmap':>9} {'min-max':>17} {'vs sync':>8} "
                f"{'vs floor':>9} {'runs':>5}"]
        for b in mine:
            vf = '-' if b['over_floor'] is None else f"{b['over_floor']:.2f}x"
            out.append(f"{b['label']:<42} {fmt(b['ms']):>9} "
                       f"{b['min_ms']:>7.2f}-{b['max_ms']:<7.2f}ms "
                       f"{b['speedup']:>7.2f}x {vf:>9} {b['runs']:>5}")
    return out


def swapin_rows(alt, pmode):
    """Faulting 256 MiB back in (munmap_swap_latency --op swapin), per
    backend: base, patched and the switch off, with patched/base."""
    out = []
    for backend in sorted({r['backend'] for r in alt if r['op'] == 'swapin'}):
        s = {'backend': backend, 'op': 'swapin', 'size_mb': 256, 'nprocs': 1}
        for who, variant, mode in KILL_WHO:
            mode = mode or pmode
            for key in ('swapin', 'returned'):
                vals = cell(alt, backend, 256, 1, variant, mode, f'{key}_ms', 'swapin')
                s[f'{who}_{key}_ms'], s[f'{who}_{key}_min_ms'], s[f'{who}_{key}_max_ms'] = \
                    stats(vals)
            s[f'runs_{who}'] = len([v for v in cell(alt, backend, 256, 1, variant, mode,
                                                    'swapin_ms', 'swapin') if v is not None])
        s['swapin_ratio'] = ratio(s['patched_swapin_ms'], s['base_swapin_ms'])
        s['same_boot_swapin_ratio'] = ratio(s['patched_swapin_ms'], s['switch_off_swapin_ms'])
        out.append(s)
    return out


def swapin_lines(swapins):
    if not swapins:
        return []
    out = ['', 'Swap-in: fault 256MB back in (one process), time of the reads; '
               'patched/base below 1 is faster',
           f"{'backend':<10} {'base':>26} {'patched':>26} {'pat/base':>8} "
           f"{'switch off':>26} {'pat/off':>8}"]
    for s in swapins:
        out.append(f"{s['backend']:<10} {fmt_range(s, 'base_swapin'):>26} "
                   f"{fmt_range(s, 'patched_swapin'):>26} {fx(s['swapin_ratio']):>8} "
                   f"{fmt_range(s, 'switch_off_swapin'):>26} {fx(s['same_boot_swapin_ratio']):>8}")
    return out


# Buckets of the core's run-length statistics (runs_1, runs_2, ...).
RUN_BUCKETS = [1 << b for b in range(12)]


def run_length_rows(raw):
    """The runs of freed slots each backend's instance saw in the patched
    boots (the core's debugfs runs_* after the boot's cells), summed."""
    out = []
    for backend in ('zram', 'zswap'):
        # Not the ladder boot: its per-slot rung reports every slot alone.
        hists = [r['runs'] for r in raw if r['op'] == 'runs' and r['backend'] == backend
                 and r['variant'] == 'patched' and r['part'] != 'breakdown'
                 and r.get('runs')]
        if not hists:
            continue
        counts = [sum(h[i] for h in hists if i < len(h)) for i in range(len(RUN_BUCKETS))]
        total = sum(counts)
        # Slots in runs of each bucket, taking each run at its bucket's
        # lower bound: a lower bound on the share of slots in long runs.
        slots = [c * RUN_BUCKETS[i] for i, c in enumerate(counts)]
        long_share = sum(slots[6:]) / sum(slots) if sum(slots) else None
        out.append({'backend': backend, 'buckets': RUN_BUCKETS, 'runs': counts,
                    'total_runs': total, 'boots': len(hists),
                    'slots_in_runs_of_64_or_more_min_share': long_share})
    return out


def run_length_lines(runs):
    out = []
    for r in runs:
        if not r['total_runs']:
            continue
        parts = ' '.join(f"{b}+:{c}" for b, c in zip(r['buckets'], r['runs']) if c)
        share = r['slots_in_runs_of_64_or_more_min_share']
        out += ['', f"{r['backend']}: run lengths freed (patched boots, {r['boots']} boot(s), "
                    f"{r['total_runs']} runs): {parts}",
                f"{r['backend']}: slots freed in runs of 64 or more: at least "
                f"{100 * share:.0f}%" if share is not None else '']
    return out


def ranged_targets(results, swapins, ladder):
    """Issue #16's targets, from the alternating boots (speedups against the
    base kernel) and the floor measured with them."""
    out = []

    def add(what, backend, nprocs, size, value, limit, higher):
        met = None if value is None else (value >= limit if higher else value <= limit)
        out.append({'what': what, 'backend': backend, 'nprocs': nprocs, 'size_mb': size,
                    'value': value, 'limit': limit, 'comparison': '>=' if higher else '<=',
                    'met': met,
                    'verdict': 'no data' if met is None else ('met' if met else 'MISSED')})

    speed = {('zram', 1024, 1): 5.0, ('zswap', 256, 1): 5.0, ('zram', 256, 2): 4.0,
             ('zram', 256, 3): 3.0, ('zswap', 256, 2): 3.0, ('zswap', 256, 3): 2.5}
    for r in results:
        if r['backend'] == 'zram' and r['size_mb'] == 256 and r['nprocs'] == 1:
            v = r['patched_ms'] / r['floor_ms'] if r['patched_ms'] and r['floor_ms'] else None
            add('munmap, patched/floor', 'zram', 1, 256, v, 1.3, False)
        limit = speed.get((r['backend'], r['size_mb'], r['nprocs']))
        if limit:
            add('munmap speedup, base/patched', r['backend'], r['nprocs'], r['size_mb'],
                r['speedup'], limit, True)
    for s in swapins:
        if s['backend'] == 'zswap':
            add('swap-in time, patched/base', 'zswap', 1, 256, s['swapin_ratio'], 1.0, False)
    return out


def ranged_target_lines(ranged):
    if not ranged:
        return []
    out = ['', 'Issue #16 targets (computed from the runs above):']
    for t in ranged:
        value = '-' if t['value'] is None else f"{t['value']:.2f}x"
        out.append(f"  {t['backend']} {t['size_mb']}MB x{t['nprocs']}: {t['what']} {value} "
                   f"(target {t['comparison']} {t['limit']:.1f}x): {t['verdict']}")
    met = sum(1 for t in ranged if t['met'] is True)
    missed = sum(1 for t in ranged if t['met'] is False)
    out.append(f"  {met} met, {missed} MISSED")
    return out


def target_lines(results):
    """The issue's targets, each against the floor measured in the same boots."""
    out = ['', 'Targets (reported, not asserted):']
    for r in results:
        if not r['patched_ms'] or not r['floor_ms']:
            continue
        if r['nprocs'] == 1:
            ratio = r['patched_ms'] / r['floor_ms']
            verdict = 'met' if ratio <= 1.3 else f'missed by {ratio / 1.3:.2f}x'
            out.append(f"  {r['backend']} {r['size_mb']}MB x1: patched {ratio:.2f}x the floor "
                       f"(target <= 1.3x: {verdict})")
        if r['returned_ms'] and r['base_ms']:
            ratio = r['returned_ms'] / r['base_ms']
            if ratio > 1.2:
                out.append(f"  {r['backend']} {r['size_mb']}MB x{r['nprocs']}: memory returned "
                           f"after {ratio:.2f}x the base munmap time (target <= 1.2x: missed)")
    return out


def push_lines(results):
    """Hot-path cost per entry and drain throughput, from the 256 MiB rows.

    Per entry: (patched munmap - floor) / entries, the whole deferred free
    path on the munmap side (swap layer + notify + push). Drain throughput:
    entries / memory-returned time.
    """
    out = []
    for r in results:
        if r['size_mb'] != 256 or r['nprocs'] != 1 or not r['patched_ms'] or not r['floor_ms']:
            continue
        entries = 256 * 1024 * 1024 // 4096
        per = (r['patched_ms'] - r['floor_ms']) * 1e6 / entries
        rate = entries / (r['returned_ms'] / 1e3) if r['returned_ms'] else None
        out.append(f"{r['backend']}: deferred free path on munmap {per:.0f} ns/entry over the floor; "
                   f"drain throughput {rate / 1e6:.2f} M entries/s" if rate else '')
        r['hot_path_ns_per_entry'] = round(per, 1)
        r['drain_entries_per_s'] = round(rate) if rate else None
    return out


def plot(outdir, results):
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        print('(matplotlib missing: no plot)')
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for backend, colour in (('zram', 'tab:blue'), ('zswap', 'tab:orange')):
        rows = sorted((r for r in results if r['backend'] == backend and r['nprocs'] == 1),
                      key=lambda r: r['size_mb'])
        if not rows:
            continue
        x = [r['size_mb'] for r in rows]
        ax.plot(x, [r['base_ms'] for r in rows], 'o-', color=colour, label=f'{backend} base')
        ax.plot(x, [r['patched_ms'] for r in rows], 's--', color=colour,
                label=f'{backend} patched')
        ax.plot(x, [r['floor_ms'] for r in rows], ':', color='grey',
                label='floor (zero-page PTEs)' if backend == 'zram' else None)
    ax.set_xlabel('VMA size (MiB)')
    ax.set_ylabel('munmap latency, median (ms)')
    ax.set_title('munmap of a swap-filled VMA (QEMU TCG, 2 vCPUs)')
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, 'munmap.png'), dpi=110)
    return True


def header(label):
    return (f"{label:<10} {'Base':>10} {'Patched':>10} {'Speedup':>8} {'SwitchOff':>10} "
            f"{'SameBoot':>8} {'Floor':>9} {'RetBase':>9} {'RetPatch':>9}")


def row(label, r):
    sp = '-' if r['speedup'] is None else f"{r['speedup']:.2f}x"
    sb = '-' if r['same_boot_speedup'] is None else f"{r['same_boot_speedup']:.2f}x"
    return (f"{label:<10} {fmt(r['base_ms']):>10} {fmt(r['patched_ms']):>10} {sp:>8} "
            f"{fmt(r['switch_off_ms']):>10} {sb:>8} {fmt(r['floor_ms']):>9} "
            f"{fmt(r['base_returned_ms']):>9} {fmt(r['returned_ms']):>9}")


if __name__ == '__main__':
    main()
