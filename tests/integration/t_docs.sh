#!/bin/bash
# t_docs.sh - the documentation explains itself: every link in README.md and
# docs/*.md leads to a file of the tree (and to a heading there when it names
# one), every path of the tree and every test it names exists, nothing points
# at a document outside the tree, and make install ships every docs/*.md
# (doc_DATA in Makefile.am, which the Debian package installs too).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

[ -x "$PYTHON3" ] || skip_all "$PYTHON3 not found"
LOG=$T/log
DOCLINKS=$_lib_dir/doclinks.py

cd "$top_srcdir" || hard_error "cannot enter $top_srcdir"
docs=(README.md docs/*.md)
[ -f README.md ] && [ -f docs/judgement.md ] || hard_error "no README.md or docs/ in $top_srcdir"

for f in "${docs[@]}"; do
    case_begin "$f: links, paths and tests it names are in the tree"
    OUT=$T/out ERR=$T/err RUN_CMD="doclinks.py $f"
    "$PYTHON3" "$DOCLINKS" "$top_srcdir" "$f" >"$OUT" 2>"$ERR"
    RC=$?
    [ "$RC" = 0 ] || case_fail "$(cat "$OUT" "$ERR")"
    case_end
done

case_begin "no document points outside the tree (the design contract, absolute paths of a checkout)"
OUT=$T/out ERR=$T/err RUN_CMD="grep DESIGN.md|/work/"
: >"$ERR"
grep -nE 'DESIGN\.md|DESIGN [0-9]|\]\(/' "${docs[@]}" >"$OUT"
[ -s "$OUT" ] && case_fail "$(cat "$OUT")"
case_end

case_begin "make install ships every docs/*.md (doc_DATA)"
OUT=$T/out ERR=$T/err RUN_CMD="doc_DATA of Makefile.am"
: >"$ERR"
# doc_DATA's value, its continuation lines joined.
sed -n '/^doc_DATA *=/,/[^\\]$/p' Makefile.am | tr -d '\\\n\t' >"$OUT"
for f in docs/*.md; do
    grep -qw -- "$f" "$OUT" || case_fail "doc_DATA lacks $f"
done
case_end

finish
