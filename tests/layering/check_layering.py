#!/usr/bin/env python3
"""The static layering check of lib/ (issue 15).

    check_layering.py [--selftest] NM ARCHIVE LAYERS LIBDIR

Reads which file of lib/ defines and which references each global symbol
from the object files in ARCHIVE (nm -A: every member is one lib/ file),
and checks the references between files against the order and the named
exceptions of LAYERS (lib/layers.txt). Fails (exit 1) on:
- a .c file of LIBDIR missing from the order, or listed but not built;
- a reference from a file to one listed above it that no exception names;
- a call cycle between files that no exception breaks (reported as a
  cycle, though an order violation always comes with it);
- an exception, or a symbol of one, that no longer exists (the list can
  only shrink), or that is not against the order.
Prints every reference against the order that an exception covers.
With --selftest, checks that each kind of breach, made from the real
tables (a new back-call, a removed or stale exception, an unlisted file,
two files swapped), fails the check.
"""
import collections
import os
import re
import subprocess
import sys


def read_layers(path):
    order, exceptions = [], {}
    section = None
    with open(path, encoding='utf-8') as f:
        for n, raw in enumerate(f, 1):
            line = raw.split('#', 1)[0].rstrip()
            if not line.strip():
                continue
            if line == 'order:':
                section = 'order'
                continue
            m = re.match(r'exception ([a-z0-9-]+): (\w+) -> (\w+) (.+)$', line.strip())
            if m:
                name, src, dst, syms = m.groups()
                if name in exceptions:
                    sys.exit(f'{path}:{n}: exception {name} named twice')
                exceptions[name] = (src, dst, set(syms.split()))
                section = None
                continue
            if line.startswith('shared '):  # tests/layering/check_fields.py's
                section = None
                continue
            if section == 'order' and raw.startswith('  '):
                order.append(line.split()[0])
                continue
            sys.exit(f'{path}:{n}: cannot read: {raw.rstrip()}')
    return order, exceptions


def read_objects(nm, archive):
    out = subprocess.run([nm, '-A', archive], capture_output=True, text=True, check=True).stdout
    defined, refs = {}, collections.defaultdict(set)
    for line in out.splitlines():
        m = re.match(r'.*?([A-Za-z0-9_]+)\.c\.o:\s*(?:[0-9a-f]+)?\s+([A-Za-z]) (\S+)$', line)
        if not m:
            continue
        f, kind, sym = m.groups()
        if kind == 'U':
            refs[f].add(sym)
        elif kind.isupper():
            defined[sym] = f
    files = set(refs) | set(defined.values())
    edges = collections.defaultdict(set)  # (src, dst) -> symbols
    for src, syms in refs.items():
        for sym in syms:
            dst = defined.get(sym)
            if dst and dst != src:
                edges[(src, dst)].add(sym)
    return files, edges


def find_cycles(nodes, edges):
    """Strongly connected components with more than one file."""
    succ = collections.defaultdict(set)
    for a, b in edges:
        succ[a].add(b)
    index, low, stack, on, comps = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(succ[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return comps


def check(order, exceptions, files, edges, sources, layers, report=print):
    """The errors of the layering (a list of messages)."""
    rank = {f: i for i, f in enumerate(order)}
    errors = []

    for f in sorted(sources - set(order)):
        errors.append(f'lib/{f}.c is not in the order of {layers}: list it where it belongs')
    for f in sorted(set(order) - sources):
        errors.append(f'{layers} lists {f}, which lib/ has not got')
    for f in sorted(files - set(order) - sources):
        errors.append(f'object {f}.c.o is not in the order of {layers}')
    if len(set(order)) != len(order):
        errors.append(f'{layers} lists a file twice')

    covered = collections.defaultdict(set)  # exception -> symbols seen
    by_edge = {(src, dst): name for name, (src, dst, _) in exceptions.items()}
    for (src, dst), syms in sorted(edges.items()):
        if src not in rank or dst not in rank or rank[src] < rank[dst]:
            continue
        name = by_edge.get((src, dst))
        allowed = exceptions[name][2] if name else set()
        for sym in sorted(syms):
            if sym in allowed:
                covered[name].add(sym)
            else:
                errors.append(f'{src}.c references {sym} of {dst}.c, which is above it in '
                              f'{layers}: a call against the order')
    for name, (src, dst, syms) in sorted(exceptions.items()):
        if src in rank and dst in rank and rank[src] < rank[dst]:
            errors.append(f'exception {name}: {src} -> {dst} is not against the order: remove it')
            continue
        for sym in sorted(syms - covered[name]):
            errors.append(f'exception {name}: {src}.c no longer references {sym} of {dst}.c: '
                          f'remove it from {layers}')
        if covered[name]:
            report(f'known exception {name}: {src} -> {dst}: {" ".join(sorted(covered[name]))}')

    # Cycles once the exceptions' edges are taken out: none may be left.
    kept = {e for e in edges if e not in by_edge or edges[e] - exceptions[by_edge[e]][2]}
    for comp in find_cycles(files, kept):
        errors.append('call cycle between ' + ', '.join(f'{f}.c' for f in comp))
    for comp in find_cycles(files, set(edges)):
        report('known cycle (through the exceptions): ' + ', '.join(f'{f}.c' for f in comp))
    return errors


def selftest(order, exceptions, files, edges, sources, layers):
    """The check fails on each kind of breach, made from the real tables."""
    quiet = lambda _msg: None
    cases = []
    # A new call against the order: the last file calls the first.
    e2 = dict(edges)
    e2[(order[-1], order[0])] = {'kvst__made_up'}
    cases.append(('a new call against the order', order, exceptions, files, e2, sources))
    # The exception cases start from a table with an exception: the real
    # one, or (once every exception is gone) a back-call made up against a
    # real forward call, excepted.
    xe, ee = exceptions, edges
    if not exceptions:
        fwd = sorted(e for e in edges if e[0] in order and e[1] in order)[0]
        ee = {k: set(v) for k, v in edges.items()}
        ee[(fwd[1], fwd[0])] = {'kvst__made_up_back_call'}
        xe = {'made-up': (fwd[1], fwd[0], {'kvst__made_up_back_call'})}
        if check(order, xe, files, ee, sources, layers, quiet):
            print('FAIL: the made-up exception does not pass')
            return 1
    # An exception gone from the table: its calls are against the order.
    name = sorted(xe)[0]
    x2 = {k: v for k, v in xe.items() if k != name}
    cases.append((f'exception {name} removed', order, x2, files, ee, sources))
    # A stale symbol in an exception.
    src, dst, syms = xe[name]
    x3 = dict(xe)
    x3[name] = (src, dst, syms | {'kvst__no_longer_called'})
    cases.append(('a stale symbol in an exception', order, x3, files, ee, sources))
    # A new symbol on an excepted edge.
    e4 = {k: set(v) for k, v in ee.items()}
    e4[(src, dst)].add('kvst__new_back_call')
    cases.append(('a new symbol on an excepted edge', order, xe, files, e4, sources))
    # A file not in the order.
    cases.append(('a file not in the order', order, exceptions, files, edges, sources | {'new_stage'}))
    # Two files swapped: a forward call turns against the order.
    o6 = list(order)
    i, j = o6.index('parser'), o6.index('alloc')
    o6[i], o6[j] = o6[j], o6[i]
    cases.append(('parser and alloc swapped', o6, exceptions, files, edges, sources))
    failed = 0
    if check(order, exceptions, files, edges, sources, layers, quiet):
        print('FAIL: the real tables do not pass')
        failed += 1
    for what, *args in cases:
        errs = check(*args, layers, quiet)
        print(f'{"ok" if errs else "FAIL"}: {what}: {len(errs)} error(s)' +
              (f', first: {errs[0]}' if errs else ''))
        failed += not errs
    return 1 if failed else 0


def main():
    args = sys.argv[1:]
    self_test = args[:1] == ['--selftest']
    if self_test:
        args = args[1:]
    if len(args) != 4:
        sys.exit(__doc__)
    nm, archive, layers_path, libdir = args
    layers = 'lib/' + os.path.basename(layers_path)
    order, exceptions = read_layers(layers_path)
    files, edges = read_objects(nm, archive)
    sources = {os.path.splitext(f)[0] for f in os.listdir(libdir) if f.endswith('.c')}
    if self_test:
        return selftest(order, exceptions, files, edges, sources, layers)
    errors = check(order, exceptions, files, edges, sources, layers)
    n_refs = sum(len(s) for s in edges.values())
    print(f'{len(files)} files, {len(edges)} file-to-file edges, {n_refs} references, '
          f'{len(exceptions)} exceptions')
    for e in errors:
        print('FAIL: ' + e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
