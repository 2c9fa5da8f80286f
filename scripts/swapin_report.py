#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The swap-in boots of bench_swapin.sh: medians per kernel and per boot.

argv: OUTDIR DEST COMMAND. Writes DEST.md (the tables) and DEST-raw.jsonl
(every run). 'patched' is the patched kernel with the switch on, 'off' the
same boots with it off.
"""
import datetime
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_report  # noqa: E402


def med(vals):
    return statistics.median(vals) if vals else None


def ms(v):
    return '-' if v is None else f'{v:.1f}'


def main():
    outdir, dest, command = sys.argv[1:4]
    rows = [r for r in bench_report.load(outdir) if r['op'] == 'swapin'
            and r.get('swapin_ms') is not None]
    with open(dest + '-raw.jsonl', 'w', encoding='utf-8') as f:
        for r in rows:
            f.write(json.dumps(r) + '\n')
    who = {'base': ('base', 'default'), 'off': ('patched', 'sync'),
           'patched': ('patched', 'deferred')}
    boots = sorted({r['boot'] for r in rows})
    out = ['# Swap-in of 256 MiB, alternating boots', '',
           'Time to fault 256 MiB back in (`munmap_swap_latency --op swapin`), '
           'ms, median [min-max] of every run; below 1 the patched kernel is faster.', '',
           '| backend | base | patched, switch off | patched | patched/base '
           '| patched/off | per-round patched/base |',
           '| --- | --- | --- | --- | --- | --- | --- |']
    for backend in sorted({r['backend'] for r in rows}):
        cells = {}
        for name, (variant, mode) in who.items():
            cells[name] = [r['swapin_ms'] for r in rows if r['backend'] == backend
                           and r['variant'] == variant and r['mode'] == mode]
        rounds = []
        for b in boots:
            pb = med([r['swapin_ms'] for r in rows if r['backend'] == backend
                      and r['boot'] == b and r['variant'] == 'base'])
            pp = med([r['swapin_ms'] for r in rows if r['backend'] == backend
                      and r['boot'] == b and r['variant'] == 'patched'
                      and r['mode'] == 'deferred'])
            if pb and pp:
                rounds.append(f'{pp / pb:.2f}x')

        def rng(v):
            return f'{ms(med(v))} [{ms(min(v))}-{ms(max(v))}]' if v else '-'
        ratio = (med(cells['patched']) / med(cells['base'])
                 if cells['patched'] and cells['base'] else None)
        same = (med(cells['patched']) / med(cells['off'])
                if cells['patched'] and cells['off'] else None)
        out.append(f"| {backend} | {rng(cells['base'])} | {rng(cells['off'])} | "
                   f"{rng(cells['patched'])} | "
                   f"{'-' if ratio is None else f'{ratio:.2f}x'} | "
                   f"{'-' if same is None else f'{same:.2f}x'} | {', '.join(rounds)} |")
    out += ['', '## Each boot', '', '| boot | kernel | backend | mode | runs | median ms |',
            '| --- | --- | --- | --- | --- | --- |']
    for b in boots:
        for variant in ('base', 'patched'):
            for backend in sorted({r['backend'] for r in rows}):
                for mode in ('default', 'sync', 'deferred'):
                    v = [r['swapin_ms'] for r in rows if r['boot'] == b
                         and r['variant'] == variant and r['backend'] == backend
                         and r['mode'] == mode]
                    if v:
                        out.append(f'| {b} | {variant} | {backend} | {mode} | {len(v)} '
                                   f'| {ms(med(v))} |')
    out += ['', f'Command: `{command}`, {datetime.date.today()}.']
    with open(dest + '.md', 'w', encoding='utf-8') as f:
        f.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main()
