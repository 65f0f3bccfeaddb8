#!/usr/bin/python3
"""A 1.0 program keeps working with the current library (docs/abi.md).

    compare_consumers.py V1_0_CONSUMER CURRENT_CONSUMER FILE...

Runs tests/abi/consumer.c as built against the 1.0 headers
(tests/abi/v1.0/) and as built against the current ones, both linked to the
current library, on the same files. Both must exit 0 (no broken promise:
events at least as large as the caller's kvst_event, classification and
copies agreeing with the event) and print the same text: every 1.0 member
of every event, read through a 1.0-sized kvst_parser_options and kvst_event,
as the current headers read it. The 1.0 build must really be the 1.0 one:
headers 1.0.0 and smaller structs than the current build's.
"""
import re
import subprocess
import sys


def run(exe, files):
    r = subprocess.run([exe] + files, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    head = r.stderr.splitlines()[0] if r.stderr else ''
    m = re.match(r'consumer: headers (\S+), library (\S+), options (\d+) bytes, '
                 r'event (\d+) bytes$', head)
    if r.returncode != 0 or m is None:
        print('%s exited %d:\n%s' % (exe, r.returncode, r.stderr))
        sys.exit(1)
    return r.stdout, m.group(1), int(m.group(3)), int(m.group(4))


def main():
    old_exe, new_exe, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    old, old_ver, old_opts, old_ev = run(old_exe, files)
    new, new_ver, new_opts, new_ev = run(new_exe, files)
    failures = []
    if old_ver != '1.0.0':
        failures.append('the 1.0 consumer was built with headers %s' % old_ver)
    if not (old_opts < new_opts and old_ev < new_ev):
        failures.append('the 1.0 structs (options %d, event %d bytes) are not smaller '
                        'than the current ones (%d, %d)' % (old_opts, old_ev, new_opts, new_ev))
    # Every file was read, and each gave as many events as its parser counted.
    ends = re.findall(r'^end .* records (\d+) ', old, re.M)
    if len(ends) != len(files):
        failures.append('%d of %d files read' % (len(ends), len(files)))
    for block in re.split(r'^file ', old, flags=re.M)[1:]:
        events = len(re.findall(r'^event ', block, re.M))
        counted = int(re.search(r'^end .* records (\d+) ', block, re.M).group(1))
        if events != counted or events == 0:
            failures.append('%s: %d events printed, %d counted'
                            % (block.split('\n', 1)[0], events, counted))
    if old != new:
        a, b = old.splitlines(), new.splitlines()
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                failures.append('line %d differs:\n  1.0:     %s\n  current: %s' % (i + 1, x, y))
                break
        else:
            failures.append('%d lines against %d' % (len(a), len(b)))
    for f in failures:
        print('FAIL: ' + f)
    if failures:
        return 1
    print('1.0 consumer (options %d, event %d bytes) and current consumer (%d, %d) '
          'read the same %d events of %d files'
          % (old_opts, old_ev, new_opts, new_ev, len(re.findall(r'^event ', old, re.M)),
             len(files)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
