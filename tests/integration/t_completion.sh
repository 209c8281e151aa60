#!/bin/bash
# t_completion.sh - the bash completion (completions/pinshim) offers what the
# command really has: every subcommand `pinshim --help` lists, and for each
# exactly the options its own --help defines (so neither can drift from the
# other), the formats pin and export take, tofu's actions, commands after
# `exec --`, files after -c.  Run in a bash with the script sourced, as the
# bash-completion package would load it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

need_pinshim_bin
COMPLETION=${top_srcdir:-.}/completions/pinshim
[ -r "$COMPLETION" ] || hard_error "no $COMPLETION"

# complete LINE: the completions bash would offer at the end of LINE (the
# last word being completed; a trailing space starts a new, empty word),
# one a line, sorted.
complete_line() {
    bash --norc --noprofile -c '
        . "$1" || exit 99
        read -r -a COMP_WORDS <<<"$2"
        case $2 in *" ") COMP_WORDS+=("") ;; esac
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE=$2 COMP_POINT=${#2}
        _pinshim
        printf "%s\n" "${COMPREPLY[@]}" | sort -u' complete_line "$COMPLETION" "$1" | sed '/^$/d'
}

sorted() { tr ' ' '\n' | sed '/^$/d' | sort -u; }

case_begin "pinshim <TAB>: every subcommand of 'pinshim --help', and help, --help, --version"
want=$( { "$PINSHIM_BIN" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 { print $1 }'; echo help --help --version; } | sorted)
got=$(complete_line "pinshim ")
[ "$got" = "$want" ] || case_fail "got: $(echo $got); want: $(echo $want)"
case_end

case_begin "pinshim ch<TAB>: check"
[ "$(complete_line "pinshim ch")" = check ] || case_fail "got: $(complete_line "pinshim ch")"
case_end

# The options a subcommand's --help defines: the lines that start with them.
help_options() {
    "$PINSHIM_BIN" "$1" --help | grep -E '^ +(-[A-Za-z],? +)?--[a-z]' |
        grep -oE '(^ +-[A-Za-z]\b|--[a-z][a-z-]*)' | tr -d ' ' | sort -u
}
for sub in $("$PINSHIM_BIN" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 { print $1 }'); do
    case_begin "pinshim $sub -<TAB>: exactly the options 'pinshim $sub --help' defines"
    want=$(help_options "$sub")
    got=$(complete_line "pinshim $sub -")
    [ -n "$want" ] || case_fail "no options found in pinshim $sub --help"
    [ "$got" = "$want" ] || case_fail "completion: $(echo $got); --help: $(echo $want)"
    case_end
done

case_begin "pinshim pin --format <TAB> and export -f <TAB>: the formats their --help names"
got=$(complete_line "pinshim pin --format ")
[ "$got" = "$(echo curl json pin text | sorted)" ] || case_fail "pin: $(echo $got)"
for f in $got; do "$PINSHIM_BIN" pin --help | grep -qw -- "$f" || case_fail "pin --help does not name $f"; done
got=$(complete_line "pinshim export -f ")
[ "$got" = "$(echo android curl hpkp okhttp trustkit | sorted)" ] || case_fail "export: $(echo $got)"
for f in $got; do "$PINSHIM_BIN" export --help | grep -qw -- "$f" || case_fail "export --help does not name $f"; done
case_end

case_begin "pinshim tofu <TAB>: list forget trust; none after the action; --kind leaf|chain"
[ "$(complete_line "pinshim tofu " | sorted)" = "$(echo forget list trust | sorted)" ] || case_fail "got: $(complete_line "pinshim tofu ")"
[ -z "$(complete_line "pinshim tofu -c x.conf list ")" ] || case_fail "after list: $(complete_line "pinshim tofu -c x.conf list ")"
[ "$(complete_line "pinshim tofu trust h --kind ")" = "$(echo chain leaf | sorted)" ] || case_fail "--kind"
case_end

case_begin "pinshim exec -c X -- cur<TAB>: commands (curl among them); then files"
complete_line "pinshim exec -c x.conf -- cur" | grep -qx curl || case_fail "no curl after --"
mkdir -p "$T/files" && : > "$T/files/arg-one"
complete_line "pinshim exec -- curl $T/files/arg" | grep -qx "$T/files/arg-one" || case_fail "no file argument"
case_end

case_begin "pinshim check -c <file><TAB> and pinshim apply <file><TAB>: files"
: > "$T/files/new.conf"
complete_line "pinshim check -c $T/files/ne" | grep -qx "$T/files/new.conf" || case_fail "check -c"
complete_line "pinshim apply $T/files/ne" | grep -qx "$T/files/new.conf" || case_fail "apply"
case_end

case_begin "pinshim help <TAB>: the subcommands"
complete_line "pinshim help " | grep -qx covers || case_fail "got: $(complete_line "pinshim help " | tr '\n' ' ')"
case_end

finish
