#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarize test boots: KUnit (console) and kselftest (ktap) results.

Both logs are parsed by the kernel's own KTAP parser (kunit.py parse --json);
this script only walks the JSON it writes. Prints one line per suite, then
per boot the project's own results apart from the kernel's in-tree suites,
then 'N passed, N failed' counting individual test cases, each once. The
project is the zs_deferred KUnit suite and everything in ktap.log (the
kselftests and the guest's shell checks); every other KUnit suite is
in-tree. A project test that skips counts as failed (its setup is broken);
in-tree skips stay skips. A log with no results at all counts as one failed
test. Exits non-zero when anything failed.
"""
import json
import os
import subprocess
import sys

PROJECT_SUITES = ('zs_deferred',)
CATEGORIES = ('project', 'in-tree')
# kunit.py's stand-in for a test the plan announced but never reported has
# no name: which suite it was is unknown, so it counts as the project's.
MISSING = '(missing)'


def parse(kunit_py, log, out_json):
    # A JSON file left by an earlier run must not stand in for this log's.
    if os.path.exists(out_json):
        os.remove(out_json)
    subprocess.run([sys.executable, kunit_py, 'parse', '--json=' + out_json, log],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    try:
        with open(out_json, encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def raw_failed(misc):
    return int(misc['failed']) + int(misc['crashed']) + int(misc['errors'])


def counts(misc, project):
    """(passed, failed, skipped) of a group's counts; a project skip fails."""
    passed, failed, skipped = int(misc['passed']), raw_failed(misc), int(misc['skipped'])
    if project:
        failed, skipped = failed + skipped, 0
    return passed, failed, skipped


def bad_names(group, project):
    """Names of the cases in group that count as failed."""
    names = [c['name'] + (' (SKIP)' if c['status'] == 'SKIP' else '')
             for c in group.get('test_cases', [])
             if c['status'] != 'PASS' and (project or c['status'] != 'SKIP')]
    for sub in group.get('sub_groups', []):
        inner = bad_names(sub, project)
        if inner:
            names += [sub['name'] + '.' + n for n in inner]
        elif counts(sub['misc'], project)[1]:
            # Failed as a whole (e.g. a program's exit code), not in a case.
            names.append(sub['name'])
    return names


def entries(res):
    """(name, misc, group) of each top-level test of a parsed log: a KUnit
    suite, a kselftest program, or a shell check (a case of its own)."""
    for sub in res.get('sub_groups', []):
        yield sub['name'], sub['misc'], sub
    for case in res.get('test_cases', []):
        name, status = case['name'] or MISSING, case['status']
        yield name, {
            'passed': int(status == 'PASS'), 'skipped': int(status == 'SKIP'),
            'failed': int(status not in ('PASS', 'SKIP')), 'crashed': 0, 'errors': 0,
        }, {'test_cases': [dict(case, name=name)]}


def count_log(where, kind, res, path=''):
    """Print one line per suite of one parsed log (res: kunit.py's JSON, or
    None); return {category: [passed, failed, skipped]}."""
    tally = {c: [0, 0, 0] for c in CATEGORIES}
    if not res or res['misc']['tests'] == 0:
        # A boot that ran nothing must not add up to '0 failed'.
        print(f'{where}: {kind}: no results parsed from {path}  FAILED')
        tally['project'][1] += 1
        return tally
    seen = 0
    for name, misc, group in entries(res):
        project = kind == 'kselftest' or name in PROJECT_SUITES or name == MISSING
        n = counts(misc, project)
        failed = bad_names(group, project) or ([name] if n[1] else [])
        print(f'{where}: {kind}: {name}: {n[0]} passed, {n[1]} failed, {n[2]} skipped' +
              (f'  FAILED: {", ".join(failed)}' if failed else ''))
        cat = tally['project' if project else 'in-tree']
        for i in range(3):
            cat[i] += n[i]
        seen += raw_failed(misc)
    # Failures the parser counted outside any suite (a suite missing from
    # the plan, an error at the top level): the log's own, so the project's.
    rest = raw_failed(res['misc']) - seen
    if rest > 0:
        print(f'{where}: {kind}: (outside any suite): 0 passed, {rest} failed, 0 skipped')
        tally['project'][1] += rest
    return tally


def main():
    kunit_py, logdirs = sys.argv[1], sys.argv[2:]
    total = [0, 0, 0]
    for logdir in logdirs:
        where = os.path.basename(logdir)
        boot = {c: [0, 0, 0] for c in CATEGORIES}
        for kind, log in (('kunit', 'console.log'), ('kselftest', 'ktap.log')):
            path = os.path.join(logdir, log)
            res = parse(kunit_py, path, os.path.join(logdir, kind + '.json'))
            for cat, n in count_log(where, kind, res, path).items():
                for i in range(3):
                    boot[cat][i] += n[i]
        for cat in CATEGORIES:
            p, f, s = boot[cat]
            print(f'{where}: {cat}: {p} passed, {f} failed, {s} skipped')
            total = [t + n for t, n in zip(total, boot[cat])]
    print(f'{total[2]} skipped')
    print(f'{total[0]} passed, {total[1]} failed')
    sys.exit(1 if total[1] else 0)


if __name__ == '__main__':
    main()
