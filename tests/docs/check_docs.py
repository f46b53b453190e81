#!/usr/bin/env python3
"""The docs suite (issue 19, item 10): README.md is a short front page and
the rest of the manual lives in docs/. What must stay true, one check each:

  links     every relative link of the repository's Markdown pages (README.md,
            docs/, CHANGELOG.md, plugins/, examples/...) resolves to a file
            or folder of the repository, and its #anchor to a heading of the
            target page (GitHub's slugs); no link leaves the repository (no
            ../ past the root, no absolute path, no file: URL)
  length    README.md is at most 300 lines
  index     every page of docs/ is linked from README.md
  lost      nothing of the README before the split was lost: each heading,
            code block, table row and sentence of tests/docs/readme-before-
            split.md is in README.md or docs/*.md (links compared by their
            text, line breaks ignored), or listed in tests/docs/rewritten.txt
            with the reason it was rewritten
  commands  docs/commands.md has a section for every command `dbmig help`
            lists, and names every option of `dbmig help` and of each
            `dbmig CMD --help` (the command's own ones in its section)
  spec      docs/spec.md is ../shared/SPEC.md with one header line; without
            a ../shared folder (a plain clone) only that comparison is skipped

Usage: check_docs.py ROOT CHECK [DBMIG]. Prints what it found and exits 1 on
any failure. Python's standard library only: the CI image has python3.
"""
import os
import re
import subprocess
import sys

README_MAX_LINES = 300
SPEC_HEADER = ("<!-- A copy of SPEC.md from the project's steering folder "
               "(../shared/SPEC.md): update it with scripts/sync-spec.sh, "
               "never by hand. -->")

FENCE = re.compile(r'^(\s*)(```|~~~)')


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def doc_files(root):
    """README.md and every docs/*.md, as paths relative to root."""
    docs = sorted('docs/' + n for n in os.listdir(os.path.join(root, 'docs'))
                  if n.endswith('.md'))
    return ['README.md'] + docs


def link_files(root):
    """Every Markdown page of the source tree: not build trees (build*/),
    hidden folders, or the frozen copy of the old README."""
    out = []
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        dirs[:] = sorted(x for x in dirs if not x.startswith(('.', 'build'))
                         or rel != '.' and not x.startswith('.'))
        out += [os.path.normpath(os.path.join(rel, f)) for f in sorted(files)
                if f.endswith('.md')]
    return [p for p in out if p != 'tests/docs/readme-before-split.md']


def split_fences(text):
    """(prose lines with code blocks blanked, [code block texts]). A block's
    lines are dedented by its fence's indentation, so a block moved out of a
    list item compares equal."""
    prose, blocks, cur, indent, fence = [], [], None, 0, None
    for line in text.split('\n'):
        m = FENCE.match(line)
        if cur is None and m:
            cur, indent, fence = [], len(m.group(1)), m.group(2)
            prose.append('')
        elif cur is not None and line.strip().startswith(fence):
            blocks.append('\n'.join(cur).rstrip())
            cur = None
            prose.append('')
        elif cur is not None:
            cur.append(line[indent:] if line[:indent].strip() == '' else line)
            prose.append('')
        else:
            prose.append(line)
    return prose, blocks


def strip_code_spans(line):
    return re.sub(r'(`+).*?\1', '', line)


# ---------------------------------------------------------------- anchors

def slug(heading):
    """GitHub's anchor for a heading: the rendered text (code spans, links,
    emphasis reduced to their text), lower case, every character that is not
    a letter, digit, '_', '-' or space dropped, each space a '-'."""
    t = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', heading.strip())
    t = t.replace('`', '').replace('*', '')
    t = re.sub(r'<[^>]+>', '', t).lower()
    t = re.sub(r'[^\w\- ]', '', t)
    return t.replace(' ', '-')


def anchors(text):
    prose, _ = split_fences(text)
    seen, out = {}, set()
    for line in prose:
        m = re.match(r'^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$', line)
        if m:
            s = slug(m.group(1))
            n = seen.get(s, 0)
            seen[s] = n + 1
            out.add(s if n == 0 else '%s-%d' % (s, n))
        for a in re.findall(r'<a\s+(?:id|name)="([^"]+)"', line):
            out.add(a)
    return out


# ---------------------------------------------------------------- links

LINK = re.compile(r'!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)')
REFDEF = re.compile(r'^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$')
HREF = re.compile(r'<a\s[^>]*href="([^"]+)"')


def links_of(text):
    """(line number, target) of every link outside code."""
    prose, _ = split_fences(text)
    out = []
    for n, line in enumerate(prose, 1):
        line = strip_code_spans(line)
        for rx in (LINK, HREF):
            out += [(n, t) for t in rx.findall(line)]
        m = REFDEF.match(line)
        if m:
            out.append((n, m.group(1)))
    return out


def check_links(root):
    bad, count, cache = [], 0, {}
    real_root = os.path.realpath(root)
    pages = link_files(root)
    for rel in pages:
        text = read(os.path.join(root, rel))
        for line, target in links_of(text):
            count += 1
            where = '%s:%d: link %s' % (rel, line, target)
            if re.match(r'^(https?|mailto):', target):
                continue
            if re.match(r'^[a-zA-Z][a-zA-Z0-9+.-]*:', target):
                bad.append('%s: a %s link is not a page of the repository'
                           % (where, target.split(':')[0]))
                continue
            path, _, anchor = target.partition('#')
            if path.startswith('/'):
                bad.append('%s: an absolute path, which no clone has: write '
                           'it relative to %s' % (where, rel))
                continue
            dest = os.path.normpath(os.path.join(os.path.dirname(rel), path)) \
                if path else rel
            full = os.path.realpath(os.path.join(root, dest))
            if dest.startswith('..') or not (full + '/').startswith(real_root + '/'):
                bad.append('%s: leaves the repository (%s): a clone has only '
                           'the repository; copy what it needs into it' % (where, dest))
                continue
            if not os.path.exists(full):
                bad.append('%s: %s does not exist' % (where, dest))
                continue
            if anchor:
                if not dest.endswith('.md') or os.path.isdir(full):
                    bad.append('%s: an #anchor on %s, which is not a Markdown page'
                               % (where, dest))
                    continue
                if dest not in cache:
                    cache[dest] = anchors(read(full))
                if anchor not in cache[dest]:
                    near = sorted(cache[dest], key=lambda a: _distance(a, anchor))[:1]
                    bad.append('%s: %s has no heading #%s%s' % (
                        where, dest, anchor,
                        ' (did you mean #%s?)' % near[0] if near else ''))
    return bad, '%d links in %d pages' % (count, len(pages))


def _distance(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


# ---------------------------------------------------------------- length, index

def check_length(root):
    n = read(os.path.join(root, 'README.md')).count('\n')
    if n > README_MAX_LINES:
        return ['README.md has %d lines, more than %d: move the detail to a '
                'page of docs/ and link it' % (n, README_MAX_LINES)], ''
    return [], 'README.md: %d lines (at most %d)' % (n, README_MAX_LINES)


def check_index(root):
    linked = set()
    for _, t in links_of(read(os.path.join(root, 'README.md'))):
        linked.add(os.path.normpath(t.partition('#')[0]))
    pages = [p for p in doc_files(root) if p != 'README.md']
    bad = ['%s is not linked from README.md: add it to the documentation list'
           % p for p in pages if p not in linked]
    return bad, '%d pages of docs/, each linked from README.md' % len(pages)


# ---------------------------------------------------------------- nothing lost

def headings(text):
    prose, _ = split_fences(text)
    return [norm(m.group(1)) for m in
            (re.match(r'^ {0,3}#{1,6}\s+(.*?)\s*$', l) for l in prose) if m]


def norm(s):
    """Text as a reader sees it: links reduced to their text, emphasis kept,
    white space collapsed."""
    s = re.sub(r'!?\[((?:[^\]\[]|\[[^\]]*\])*)\]\([^)]*\)', r'\1', s)
    return re.sub(r'\s+', ' ', s).strip()


def units(text):
    """The prose of a page as units: each table row, and each sentence of
    each paragraph or list item (list markers and heading lines left out)."""
    prose, _ = split_fences(text)
    out, para = [], []

    def flush():
        if para:
            joined = norm(' '.join(para))
            out.extend(s for s in re.split(r'(?<=[.;!?])\s+(?=[A-Z`(*"\[])', joined) if s)
            para.clear()
    for line in prose:
        s = line.strip()
        if not s or re.match(r'^#{1,6}\s', s) or s.startswith('<!--'):
            flush()
        elif s.startswith('|'):
            flush()
            if not re.match(r'^\|[\s|:-]+\|$', s):
                out.append(norm(s))
        elif re.match(r'^([-*+]|\d+\.)\s', s):
            flush()
            para.append(re.sub(r'^([-*+]|\d+\.)\s+', '', s))
        else:
            para.append(s)
    flush()
    return out


def corpus(root):
    text = [read(os.path.join(root, p)) for p in doc_files(root)]
    prose = ' '.join(norm(' '.join(re.sub(r'^\s*([-*+]|\d+\.)\s+', '', l)
                                    for l in split_fences(t)[0])) for t in text)
    blocks = set()
    for t in text:
        blocks.update(split_fences(t)[1])
    heads = set()
    for t in text:
        heads.update(headings(t))
    return prose, blocks, heads


def rewritten(root):
    """tests/docs/rewritten.txt: a fragment of the old README a line, a tab,
    then why it was rewritten (and where the fact is now)."""
    out = {}
    for line in read(os.path.join(root, 'tests/docs/rewritten.txt')).split('\n'):
        if line.strip() and not line.startswith('#'):
            frag, _, why = line.partition('\t')
            out[frag.strip()] = why.strip()
    return out


def check_lost(root):
    old = read(os.path.join(root, 'tests/docs/readme-before-split.md'))
    prose, blocks, heads = corpus(root)
    allowed = rewritten(root)
    bad, used = [], set()
    for h in headings(old):
        if h not in heads:
            bad.append('heading "%s" of the old README is no heading of '
                       'README.md or docs/' % h)
    for b in split_fences(old)[1]:
        if b not in blocks:
            bad.append('code block of the old README is in no page:\n    '
                       + b.replace('\n', '\n    '))
    us = units(old)
    for u in us:
        if u in prose:
            continue
        if u in allowed:
            used.add(u)
            continue
        bad.append('the old README says, and no page does:\n    %s' % u)
    for frag in allowed:
        if frag not in used:
            bad.append('tests/docs/rewritten.txt lists "%s", which is no '
                       'longer missing (or never was a sentence of the old '
                       'README): remove the line' % frag)
    if bad:
        bad.append('each fact of the old README must land in README.md or a '
                   'page of docs/; a sentence deliberately rewritten goes in '
                   'tests/docs/rewritten.txt with the reason')
    return bad, ('%d headings, %d code blocks, %d sentences and table rows of '
                 'the old README found (%d rewritten on purpose)'
                 % (len(headings(old)), len(split_fences(old)[1]), len(us) - len(used),
                    len(used)))


# ---------------------------------------------------------------- commands

def help_text(dbmig, *args):
    r = subprocess.run([dbmig] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    if r.returncode != 0:
        raise SystemExit('%s %s: exit %d\n%s' % (dbmig, ' '.join(args), r.returncode, r.stdout))
    return r.stdout


def options_in(text):
    return set(re.findall(r'(?<![\w-])(--[a-z][a-z0-9-]*)', text))


def sections(text):
    """{heading slug: section text} for every heading of the page."""
    prose = text.split('\n')
    out, name, cur = {}, None, []
    for line in prose:
        m = re.match(r'^#{2,6}\s+(.*)$', line)
        if m:
            if name is not None:
                out[name] = '\n'.join(cur)
            name, cur = m.group(1), []
        else:
            cur.append(line)
    if name is not None:
        out[name] = '\n'.join(cur)
    return out


def check_commands(root, dbmig):
    general = help_text(dbmig, 'help')
    commands = []
    in_cmds = False
    for line in general.split('\n'):
        if re.match(r'^commands', line):
            in_cmds = True
        elif re.match(r'^\S', line):
            in_cmds = False
        elif in_cmds:
            m = re.match(r'^  ([a-z][a-z-]*)(\s|$)', line)
            if m:
                commands.append(m.group(1))
    if not commands:
        return ['no command found in `dbmig help`: has its layout changed? '
                'Update check_commands in tests/docs/check_docs.py'], ''
    page = read(os.path.join(root, 'docs/commands.md'))
    secs = sections(page)
    bad = []
    for o in sorted(options_in(general)):
        if o not in options_in(page):
            bad.append('docs/commands.md does not name %s (in `dbmig help`)' % o)
    for c in commands:
        head = [h for h in secs if re.match(r'^`?%s\b' % re.escape(c), h.replace('dbmig ', ''))]
        if not head:
            bad.append('docs/commands.md has no section for `%s`: add "### %s" '
                       'with what it does and its options' % (c, c))
            continue
        own = options_in(help_text(dbmig, c, '--help')) - options_in(general)
        body = '\n'.join(secs[h] + h for h in head)
        for o in sorted(own - options_in(body) - {'--help'}):
            bad.append('docs/commands.md, section %s, does not name %s (in '
                       '`dbmig %s --help`)' % (head[0], o, c))
    return bad, '%d commands and their options in docs/commands.md' % len(commands)


# ---------------------------------------------------------------- spec

def check_spec(root):
    shared = os.environ.get('DBMIG_SHARED_DIR') or os.path.join(root, '..', 'shared')
    src = os.path.join(shared, 'SPEC.md')
    copy = read(os.path.join(root, 'docs/spec.md'))
    head, _, body = copy.partition('\n')
    bad = []
    if head != SPEC_HEADER:
        bad.append('docs/spec.md does not start with the header line of '
                   'scripts/sync-spec.sh: run it again')
    if not os.path.exists(src):
        return bad, ('SKIPPED the comparison with %s: there is no steering '
                     'folder here (a plain clone has none); the header was '
                     'checked' % os.path.normpath(src))
    if body != read(src):
        bad.append('docs/spec.md differs from %s: run scripts/sync-spec.sh and '
                   'commit docs/spec.md' % os.path.normpath(src))
    return bad, 'docs/spec.md is %s, line for line' % os.path.normpath(src)


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    root, check = sys.argv[1], sys.argv[2]
    fn = {'links': check_links, 'length': check_length, 'index': check_index,
          'lost': check_lost, 'spec': check_spec,
          'commands': lambda r: check_commands(r, sys.argv[3])}[check]
    bad, summary = fn(root)
    for b in bad:
        print('FAIL: ' + b)
    if bad:
        print('%s: %d problem(s)' % (check, len(bad)))
        sys.exit(1)
    print('ok: ' + summary)


if __name__ == '__main__':
    main()
