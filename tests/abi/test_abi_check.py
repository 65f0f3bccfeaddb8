#!/usr/bin/python3
"""abi_check.py's two modes on a baseline that lacks one addition.

    test_abi_check.py ABI_CHECK BASELINE LIB [abi_check options...]

Writes a copy of BASELINE (the newest one, which LIB matches exactly) with
the last member of kvst_event taken out and the struct ended where that
member began, as if it had been added after the baseline was cut. Then the
library must pass the check that allows additions and fail --exact, naming
the member; and pass --exact against BASELINE itself.
"""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET


def check(args):
    r = subprocess.run([sys.executable] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    return r.returncode, r.stdout


def main():
    abi_check, baseline, lib, rest = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    tree = ET.parse(baseline)
    event = next(el for el in tree.getroot().iter('class-decl')
                 if el.get('name') == 'kvst_event' and el.get('is-declaration-only') != 'yes')
    last = event.findall('data-member')[-1]
    name = last.find('var-decl').get('name')
    event.set('size-in-bits', last.get('layout-offset-in-bits'))
    event.remove(last)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        older = os.path.join(tmp, 'older.abi')
        tree.write(older)
        common = ['--lib', lib] + rest
        rc, out = check([abi_check, '--baseline', older] + common)
        if rc != 0 or ('struct kvst_event: member %s appended' % name) not in out:
            failures.append('an appended member did not pass the additions check '
                            '(exit %d):\n%s' % (rc, out))
        rc, out = check([abi_check, '--exact', '--release', '9.9', '--baseline', older] + common)
        if rc != 1 or ('not in the baseline: struct kvst_event: member %s appended' % name) \
                not in out or 'update_baseline.sh 9.9' not in out:
            failures.append('--exact let an appended member pass (exit %d):\n%s' % (rc, out))
        rc, out = check([abi_check, '--exact', '--baseline', baseline] + common)
        if rc != 0:
            failures.append('--exact failed on the baseline itself (exit %d):\n%s' % (rc, out))
    for f in failures:
        print('FAIL: ' + f)
    if not failures:
        print('kvst_event.%s without its baseline entry: an addition for 1.0, a '
              'difference for --exact' % name)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
