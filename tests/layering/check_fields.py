#!/usr/bin/env python3
"""Each stage's state is written by its own file only (issue 15).

    check_fields.py [--selftest] INTERNAL_H LAYERS LIBDIR

Reads the members of `struct kvst_parser` from INTERNAL_H and finds, in
every .c file of LIBDIR, each write to one of them through the parser
(`p->m = ...`, `p->m += ...`, `p->m++`, `++p->m`, `p->m[i].x = ...`, and
`&p->m` handed to a function or kept in a pointer not to const, which
may write it). Fails (exit 1) on:
- a member written by more than one file, unless LAYERS names it in a
  line `shared MEMBER: FILE FILE ...  # why` (the list can only shrink:
  a line that no longer matches what the code does fails too);
- a write to a member of the cursor (`p->cursor.x = ...`) outside
  lib/cursor.c and lib/cursor.h: the cursor is the one leaf module of
  positions and errors, and only its functions change it. `&p->cursor`
  and `&p->alloc` handed to a function are the leaves' own calls and do
  not count as writes of the file that makes them;
- a file where the parser is not called `p` (the check reads writes
  through `p` only, so another name would hide them).
With --selftest, checks that each kind of breach, made from the real
sources (a second writer, a stale shared line, a cursor write, a parser
called otherwise), fails the check.
"""
import collections
import os
import re
import sys

ASSIGN = r'(?:=(?!=)|\+=|-=|\|=|&=|\^=|<<=|>>=|\+\+|--)'
LEAVES = {'cursor', 'alloc'}  # &p->cursor, &p->alloc: the leaves' calls


def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'), text, flags=re.S)
    return re.sub(r'//[^\n]*', '', text)


def read_members(path):
    text = strip_comments(open(path, encoding='utf-8').read())
    m = re.search(r'struct kvst_parser \{(.*?)\n\};', text, re.S)
    if not m:
        sys.exit(f'{path}: no struct kvst_parser')
    members = set()
    for decl in m.group(1).split(';'):
        decl = re.sub(r'\[[^\]]*\]', '', decl).strip()
        if not decl:
            continue
        fp = re.search(r'\(\s*\*\s*(\w+)\s*\)', decl)
        if fp:
            members.add(fp.group(1))
            continue
        for part in decl.split(','):
            names = re.findall(r'(\w+)\s*$', part.strip())
            if names:
                members.add(names[0])
    return members


def read_shared(path):
    shared = {}
    with open(path, encoding='utf-8') as f:
        for n, raw in enumerate(f, 1):
            line = raw.split('#', 1)[0].strip()
            m = re.match(r'shared (\w+): (.+)$', line)
            if m:
                shared[m.group(1)] = (set(m.group(2).split()), n)
    return shared


def writes_of(text, members):
    """member -> set of line numbers written in text (through p)."""
    text = strip_comments(text)
    out = collections.defaultdict(set)
    cursor_writes = []

    def line_of(pos):
        return text.count('\n', 0, pos) + 1

    for m in re.finditer(r'\bp->(\w+)((?:\s*(?:\.|->)\s*\w+|\s*\[[^\]]*\])*)\s*' + ASSIGN, text):
        name, rest = m.group(1), m.group(2)
        if name in members:
            out[name].add(line_of(m.start()))
            if name == 'cursor' and rest.strip():
                cursor_writes.append(line_of(m.start()))
    for m in re.finditer(r'(?:\+\+|--)\s*p->(\w+)((?:\.\w+)*)', text):
        if m.group(1) in members:
            out[m.group(1)].add(line_of(m.start()))
            if m.group(1) == 'cursor' and m.group(2):
                cursor_writes.append(line_of(m.start()))
    # an address taken (a unary '&'), which lets the taker write the
    # member: handed to a function, or kept in a pointer that is not to
    # const; returned or kept as const, it is a read
    for m in re.finditer(r'&\s*p->(\w+)((?:\s*(?:\.|->)\s*\w+|\s*\[[^\]]*\])*)', text):
        name, rest = m.group(1), m.group(2).strip()
        before = text[:m.start()].rstrip()
        if before.endswith('&') or re.search(r'[\w)\]]$', before):
            continue  # '&&', or a binary '&'
        stmt = re.split(r'[;{}]', before)[-1].strip()
        if stmt.startswith('return') or re.match(r'const\s+\w+\s*\*\s*\w+\s*=$', stmt):
            continue
        if name not in members or (name in LEAVES and not rest and before.endswith((',', '('))):
            continue
        out[name].add(line_of(m.start()))
        if name == 'cursor':
            cursor_writes.append(line_of(m.start()))
    return out, cursor_writes


def other_names(text):
    """Names other than p given to a kvst_parser pointer."""
    text = strip_comments(text)
    return sorted({m.group(1) for m in re.finditer(r'\bkvst_parser\s*\*\s*(?:const\s+)?(\w+)', text)
                   if m.group(1) != 'p'})


def check(members, shared, sources, layers):
    """sources: file name (no .c) -> text. The errors (a list)."""
    errors = []
    writers = collections.defaultdict(dict)  # member -> file -> lines
    for f, text in sorted(sources.items()):
        w, cw = writes_of(text, members)
        for name, lines in w.items():
            writers[name][f] = lines
        if f != 'cursor' and cw:
            errors.append(f'lib/{f}.c writes the cursor directly (line {", ".join(map(str, sorted(cw)))}): '
                          f'call a function of cursor.h')
        for n in other_names(text):
            errors.append(f'lib/{f}.c names a kvst_parser pointer {n}: call it p '
                          f'(the check reads writes through p)')
    for name, files in sorted(writers.items()):
        if name in LEAVES:
            continue
        if len(files) > 1:
            allowed = shared.get(name, (set(), 0))[0]
            if set(files) != allowed:
                where = '; '.join(f'{f}.c line {", ".join(map(str, sorted(l)))}'
                                  for f, l in sorted(files.items()))
                errors.append(f'p->{name} is written by {len(files)} files ({where}): '
                              f'one file owns it; the others call it')
    for name, (files, n) in sorted(shared.items()):
        if name not in members:
            errors.append(f'{layers}:{n}: shared {name}: struct kvst_parser has no such member')
        elif set(writers.get(name, {})) != files:
            errors.append(f'{layers}:{n}: shared {name}: its writers are now '
                          f'{" ".join(sorted(writers.get(name, {}))) or "none"}: '
                          f'mend the line (the list only shrinks)')
    return errors


def load(internal_h, layers, libdir):
    sources = {}
    for fn in sorted(os.listdir(libdir)):
        if fn.endswith('.c'):
            with open(os.path.join(libdir, fn), encoding='utf-8') as f:
                sources[fn[:-2]] = f.read()
    return read_members(internal_h), read_shared(layers), sources


def selftest(members, shared, sources, layers):
    def fails(desc, srcs, sh=shared):
        errs = check(members, sh, srcs, layers)
        if not errs:
            print(f'selftest: {desc}: the check did not fail')
            return 1
        print(f'selftest: {desc}: fails as it should ({errs[0]})')
        return 0

    bad = 0
    if check(members, shared, sources, layers):
        print('selftest: the real sources do not pass the check')
        return 1
    # each breach made by adding one function to one real file
    breaches = [
        ('fastlex', 'p->top_values = 0;', 'a second writer of p->top_values'),
        ('recovery', 'p->levels[p->depth].items++;',
         'a second writer through an index (p->levels[...].items++)'),
        ('parser', 'kvst__buf_free(&p->fl_text, &p->alloc);', 'a second writer by address (&p->fl_text)'),
        ('envelope', 'kvst_level *l = &p->levels[0]; l->items = 0;',
         'a second writer through a pointer (kvst_level *l = &p->levels[0])'),
        ('tokenizer', 'p->cursor.chunk_len = 0;', 'a direct write of the cursor'),
    ]
    for f, body, desc in breaches:
        s = dict(sources)
        s[f] += '\nstatic void x(kvst_parser *p) { %s }\n' % body
        bad += fails(desc, s)
    s = dict(sources)
    s['event_build'] += '\nstatic void x(kvst_parser *q) { (void)q; }\n'
    bad += fails('a parser not called p', s)
    sh = dict(shared)
    sh['top_kind'] = ({'record_builder', 'fastlex'}, 1)
    bad += fails('a stale shared line', sources, sh)
    sh = dict(shared)
    sh['no_such_member'] = ({'parser', 'recovery'}, 1)
    bad += fails('a shared line for no member', sources, sh)
    return bad


def main(argv):
    args = argv[1:]
    test = args[:1] == ['--selftest']
    if test:
        args = args[1:]
    if len(args) != 3:
        sys.exit(__doc__)
    internal_h, layers, libdir = args
    members, shared, sources = load(internal_h, layers, libdir)
    if test:
        return 1 if selftest(members, shared, sources, layers) else 0
    errors = check(members, shared, sources, layers)
    for name, (files, _) in sorted(shared.items()):
        print(f'shared (named in {layers}): p->{name}: {" ".join(sorted(files))}')
    for e in errors:
        print(f'error: {e}')
    print(f'{len(members)} members of struct kvst_parser, {len(sources)} files: '
          f'{len(errors)} error(s)')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
