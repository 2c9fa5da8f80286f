#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarize one test boot: KUnit (console) and kselftest (ktap) results.

Both logs are parsed by the kernel's own KTAP parser (kunit.py parse --json);
this script only walks the JSON it writes. Prints one line per suite, then
'N passed, N failed' counting individual test cases, and exits non-zero when
anything failed or a log held no results at all.
"""
import json
import os
import subprocess
import sys


def parse(kunit_py, log, out_json):
    subprocess.run([sys.executable, kunit_py, 'parse', '--json=' + out_json, log],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    try:
        with open(out_json, encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def suites(group, prefix=''):
    """Yield (name, misc counts, failed case names) for each suite."""
    for sub in group.get('sub_groups', []):
        if sub.get('sub_groups') and not sub.get('test_cases'):
            yield from suites(sub, prefix)
            continue
        failed = [c['name'] for c in sub.get('test_cases', [])
                  if c['status'] not in ('PASS', 'SKIP')]
        for nested in sub.get('sub_groups', []):
            if nested['misc']['failed'] + nested['misc']['crashed'] + nested['misc']['errors']:
                failed.append(nested['name'])
        yield prefix + sub['name'], sub['misc'], failed
    for case in group.get('test_cases', []):
        # A top-level case without subtests (e.g. a shell check) is its own suite.
        status = case['status']
        yield prefix + case['name'], {
            'passed': status == 'PASS', 'skipped': status == 'SKIP',
            'failed': status not in ('PASS', 'SKIP'), 'crashed': 0, 'errors': 0,
        }, [case['name']] if status not in ('PASS', 'SKIP') else []


def main():
    kunit_py, logdirs = sys.argv[1], sys.argv[2:]
    total = {'passed': 0, 'failed': 0, 'skipped': 0}
    ok = True
    for logdir, kind, log in [(d, k, f) for d in logdirs
                              for k, f in (('kunit', 'console.log'), ('kselftest', 'ktap.log'))]:
        path = os.path.join(logdir, log)
        res = parse(kunit_py, path, os.path.join(logdir, kind + '.json'))
        where = os.path.basename(logdir)
        if not res or res['misc']['tests'] == 0:
            print(f'{where}: {kind}: no results parsed from {path}')
            ok = False
            continue
        for name, misc, failed in suites(res):
            nfail = int(misc['failed']) + int(misc['crashed']) + int(misc['errors'])
            print(f'{where}: {kind}: {name}: {int(misc["passed"])} passed, {nfail} failed, '
                  f'{int(misc["skipped"])} skipped' +
                  (f'  FAILED: {", ".join(failed)}' if failed else ''))
        m = res['misc']
        total['passed'] += m['passed']
        total['failed'] += m['failed'] + m['crashed'] + m['errors']
        total['skipped'] += m['skipped']
    print(f'{total["skipped"]} skipped')
    print(f'{total["passed"]} passed, {total["failed"]} failed')
    sys.exit(0 if ok and total['failed'] == 0 else 1)


if __name__ == '__main__':
    main()
