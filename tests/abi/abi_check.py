#!/usr/bin/python3
"""ABI gate: compare a committed baseline (abidw of a release build, one
per release under abi/: docs/abi.md, "Baselines") with a freshly built
library.

    abi_check.py --baseline abi/libkvstrail.so.1.abi --lib build/lib/libkvstrail.so \
                 --headers-dir include/kvstrail --headers-dir build/include/kvstrail
    abi_check.py --exact --release 1.1 --baseline abi/libkvstrail-1.1.abi ...

Against an older release's baseline (without --exact) it fails (exit 1) on
any change docs/abi.md forbids:
- an exported symbol removed, or moved to another version node;
- a symbol added to a version node the baseline already has (new symbols
  go in a new node);
- a function whose return or parameter types changed;
- in a public struct: a member removed, renamed, retyped or moved, or a
  member added anywhere but after the baseline's last byte; any change at
  all to the frozen structs (kvst_str, kvst_value, kvst_allocator, kvst_arn);
- abidiff itself calling the change incompatible (exit bit 8) or failing.
Additions (new symbols in a new node, members appended to structs that
begin with struct_size) pass and are listed.

With --exact (the baseline of the release the tree is: the newest one) any
difference fails, additions too, and so does abidiff seeing any change
(exit bit 4): the baseline must be refreshed with the change, in the same
commit, so that review sees every change of the ABI in abi/.

abidw only keeps types declared in the public headers (--headers-dir,
--drop-private-types), so -O levels and sanitizers do not matter; a library
without debug info is a skip (exit 77), since only symbols could be
compared.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

FROZEN = {'kvst_str', 'kvst_value', 'kvst_allocator', 'kvst_arn'}

# abidiff exit status bits (abidiff(1), "Return values").
ABIDIFF_ERROR = 1
ABIDIFF_USAGE_ERROR = 2
ABIDIFF_ABI_CHANGE = 4
ABIDIFF_ABI_INCOMPATIBLE_CHANGE = 8


def abidw_args(headers):
    args = ['--no-corpus-path', '--short-locs', '--drop-private-types',
            '--drop-undefined-syms']
    for h in headers:
        args += ['--headers-dir', h]
    return args


class Corpus:
    """Symbols, functions and public structs of one abidw XML file."""

    def __init__(self, path):
        root = ET.parse(path).getroot()
        self.types = {}
        for el in root.iter():
            tid = el.get('id')
            if tid and el.tag != 'elf-symbol':
                self.types[tid] = el
        self.symbols = {}
        for el in root.iter('elf-symbol'):
            if el.get('is-defined', 'yes') == 'yes':
                self.symbols[el.get('name')] = el.get('version', '')
        self.functions = {}
        for el in root.iter('function-decl'):
            if el.get('elf-symbol-id'):
                params = [self.type_name(p.get('type-id')) for p in el.findall('parameter')]
                ret = el.find('return')
                sig = '%s (%s)' % (self.type_name(ret.get('type-id')) if ret is not None else 'void',
                                   ', '.join(params))
                self.functions[el.get('name')] = sig
        self.structs = {}
        for el in root.iter('class-decl'):
            name = el.get('name', '')
            if el.get('is-declaration-only') == 'yes' or not name.startswith('kvst_'):
                continue
            members = []
            for dm in el.findall('data-member'):
                var = dm.find('var-decl')
                members.append((var.get('name'), int(dm.get('layout-offset-in-bits')),
                                self.type_name(var.get('type-id'))))
            self.structs[name] = (int(el.get('size-in-bits', '0')), members)

    def type_name(self, tid, depth=0):
        """A spelling of a type that does not depend on abidw's ids."""
        el = self.types.get(tid)
        if el is None or depth > 12:
            return '?'
        tag = el.tag
        if tag in ('type-decl', 'typedef-decl', 'enum-decl'):
            return el.get('name')
        if tag == 'class-decl':
            return 'struct ' + el.get('name', '?')
        if tag == 'union-decl':
            return 'union ' + el.get('name', '?')
        if tag == 'pointer-type-def':
            return self.type_name(el.get('type-id'), depth + 1) + '*'
        if tag == 'reference-type-def':
            return self.type_name(el.get('type-id'), depth + 1) + '&'
        if tag == 'qualified-type-def':
            quals = [q for q in ('const', 'volatile', 'restrict') if el.get(q) == 'yes']
            return ' '.join(quals + [self.type_name(el.get('type-id'), depth + 1)])
        if tag == 'array-type-def':
            return '%s[%s]' % (self.type_name(el.get('type-id'), depth + 1),
                               el.get('size-in-bits', '?'))
        if tag == 'function-type':
            params = [self.type_name(p.get('type-id'), depth + 1)
                      for p in el.findall('parameter')]
            ret = el.find('return')
            return 'fn(%s)->%s' % (', '.join(params),
                                   self.type_name(ret.get('type-id'), depth + 1)
                                   if ret is not None else 'void')
        return tag


def compare(old, new):
    """Problems (forbidden changes) and notes (allowed additions)."""
    problems, notes = [], []
    old_nodes = set(old.symbols.values())
    for sym, node in sorted(old.symbols.items()):
        if sym not in new.symbols:
            problems.append('symbol %s@%s removed' % (sym, node))
        elif new.symbols[sym] != node:
            problems.append('symbol %s moved from %s to %s' % (sym, node, new.symbols[sym]))
    for sym, node in sorted(new.symbols.items()):
        if sym in old.symbols:
            continue
        if node in old_nodes:
            problems.append('symbol %s added to the released node %s (add a new node)'
                            % (sym, node))
        else:
            notes.append('symbol %s added in %s' % (sym, node))
    for fn, sig in sorted(old.functions.items()):
        if fn in new.functions and new.functions[fn] != sig:
            problems.append('function %s changed: %s -> %s' % (fn, sig, new.functions[fn]))
    for name, (size, members) in sorted(old.structs.items()):
        if name not in new.structs:
            # a struct no exported function reaches any more is still ABI
            problems.append('struct %s no longer reachable from the exports' % name)
            continue
        nsize, nmembers = new.structs[name]
        if name in FROZEN and (nsize, nmembers) != (size, members):
            problems.append('frozen struct %s changed' % name)
            continue
        if nmembers[:len(members)] != members:
            for i, m in enumerate(members):
                got = nmembers[i] if i < len(nmembers) else None
                if got != m:
                    problems.append('struct %s: member %s (offset %d bits, %s) is now %s'
                                    % (name, m[0], m[1], m[2],
                                       '%s (offset %d bits, %s)' % got if got else 'gone'))
                    break
            continue
        if members and members[0][0] != 'struct_size' and nsize != size:
            problems.append('struct %s has no struct_size and changed size %d -> %d bits'
                            % (name, size, nsize))
        for m in nmembers[len(members):]:
            if m[1] < size:
                problems.append('struct %s: new member %s inside the old %d bits'
                                % (name, m[0], size))
            else:
                notes.append('struct %s: member %s appended' % (name, m[0]))
    for name in sorted(set(new.structs) - set(old.structs)):
        notes.append('struct %s added' % name)
    return problems, notes


def exact_problems(old, new, notes):
    """What --exact adds: every allowed addition (a symbol, a struct, a
    member), and any other difference of a struct, is a difference from the
    baseline too. Changed functions are compare()'s already."""
    problems = ['not in the baseline: ' + n for n in notes]
    for name, layout in sorted(old.structs.items()):
        if name in new.structs and new.structs[name] != layout and \
                not any(n.startswith('struct %s:' % name) for n in notes):
            problems.append('struct %s differs from the baseline' % name)
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--baseline', required=True)
    ap.add_argument('--lib', required=True)
    ap.add_argument('--headers-dir', action='append', default=[])
    ap.add_argument('--abidw', default='abidw')
    ap.add_argument('--abidiff', default='abidiff')
    ap.add_argument('--exact', action='store_true',
                    help='any difference fails, additions too')
    ap.add_argument('--release', default='',
                    help='the release the baseline is of (for the messages)')
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        fresh = os.path.join(tmp, 'fresh.abi')
        with open(fresh, 'w') as out:
            r = subprocess.run([args.abidw] + abidw_args(args.headers_dir) + [args.lib],
                               stdout=out)
        if r.returncode != 0:
            print('abidw failed on %s (exit %d)' % (args.lib, r.returncode))
            return 1
        old, new = Corpus(args.baseline), Corpus(fresh)
        if not new.structs:
            print('SKIP: %s has no debug info; configure with -Ddebug=true' % args.lib)
            return 77
        problems, notes = compare(old, new)
        if args.exact:
            problems += exact_problems(old, new, notes)
            notes = []

        diff = subprocess.run([args.abidiff, '--no-show-locs', args.baseline, fresh],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True)
        bits = diff.returncode
        if bits & (ABIDIFF_ERROR | ABIDIFF_USAGE_ERROR):
            problems.append('abidiff failed (exit %d)' % bits)
        if bits & ABIDIFF_ABI_INCOMPATIBLE_CHANGE:
            problems.append('abidiff reports an incompatible change (exit %d)' % bits)
        elif args.exact and bits & ABIDIFF_ABI_CHANGE:
            problems.append('abidiff reports a change (exit %d)' % bits)
        if bits:
            print('abidiff %s %s (exit %d):\n%s' % (args.baseline, args.lib, bits, diff.stdout))

    for n in notes:
        print('ok: ' + n)
    for p in problems:
        print('ABI BREAK: ' + p)
    if problems and args.exact:
        print('%d difference(s) from %s, the %s baseline. An addition the older '
              'baselines accept, made while %s is unreleased, refreshes it in the '
              'same commit: tests/abi/update_baseline.sh %s (docs/abi.md, '
              '"Baselines"); a released baseline never changes.'
              % (len(problems), args.baseline, args.release or 'newest', args.release or 'it',
                 args.release or 'RELEASE'))
        return 1
    if problems:
        print('%d incompatible change(s) against %s; see docs/abi.md' % (len(problems),
                                                                       args.baseline))
        return 1
    print('ABI %s %s (%d symbols, %d structs)' % (
        'identical to' if args.exact else 'compatible with', args.baseline,
        len(old.symbols), len(old.structs)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
