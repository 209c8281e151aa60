#!/usr/bin/env python3
"""doclinks.py TOP FILE...: the documentation explains itself.

For each Markdown FILE (a path relative to TOP), print one line per problem:
- a link [text](target) whose target is not a file or folder of the tree
  (relative to FILE's folder), or lies outside TOP, or names an anchor
  (#heading) that the target file does not have (GitHub's heading slugs);
- a path of the tree named in the text or in a code block (src/..., tests/...,
  scripts/..., conf/..., docs/..., debian/..., man/..., or a test t_NAME.sh)
  that matches no file.
Web links (http:, https:, mailto:) are not followed.  Exit 0 when there is
no problem, 1 otherwise.
"""
import glob
import os
import re
import sys

LINK = re.compile(r'(?<!!)\[[^\]]*\]\(([^)\s]+)\)')
TREE_PATH = re.compile(r'(?<![\w./$-])((?:src|tests|scripts|conf|docs|debian|man)/[\w./*-]*[\w*/])')
TEST_NAME = re.compile(r'(?<![\w/])(t_\w+\.sh)\b')
# Paths that exist only in a build tree.
BUILT = ('src/.libs', 'src/pinshim')


def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r'[^\w\- ]', '', s)
    return s.replace(' ', '-')


def anchors(path):
    found = set()
    counts = {}
    fence = False
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.startswith('```'):
                fence = not fence
                continue
            if fence:
                continue
            m = re.match(r'#{1,6}\s+(.*?)\s*#*\s*$', line)
            if m:
                base = slug(m.group(1))
                n = counts.get(base, 0)
                counts[base] = n + 1
                found.add(base if n == 0 else f'{base}-{n}')
    return found


def check(top, rel):
    problems = []
    path = os.path.join(top, rel)
    here = os.path.dirname(path)
    with open(path, encoding='utf-8') as f:
        text = f.read()
    for target in LINK.findall(text):
        if re.match(r'[a-z]+:', target):
            continue
        file_part, _, anchor = target.partition('#')
        dest = os.path.normpath(os.path.join(here, file_part)) if file_part else path
        real_top = os.path.realpath(top)
        if not os.path.realpath(dest).startswith(real_top + os.sep) and os.path.realpath(dest) != real_top:
            problems.append(f'{rel}: link {target}: outside the tree')
            continue
        if not os.path.exists(dest):
            problems.append(f'{rel}: link {target}: no such file in the tree')
            continue
        if anchor and (not dest.endswith('.md') or anchor not in anchors(dest)):
            problems.append(f'{rel}: link {target}: no heading #{anchor} there')
    for name in sorted(set(TREE_PATH.findall(text))):
        name = name.rstrip('.')
        if name.startswith(BUILT):
            continue
        if not glob.glob(os.path.join(top, name)):
            problems.append(f'{rel}: names {name}, which is not in the tree')
    for name in sorted(set(TEST_NAME.findall(text))):
        if not glob.glob(os.path.join(top, 'tests', '*', name)):
            problems.append(f'{rel}: names the test {name}, which is not in the tree')
    return problems


def main():
    top = sys.argv[1]
    problems = []
    for rel in sys.argv[2:]:
        problems += check(top, rel)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
