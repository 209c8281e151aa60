#!/usr/bin/python3
"""syscall_filter.py SET -- CMD [ARG]...: run CMD allowed only the system calls
of systemd's syscall set SET (e.g. @system-service), as a unit with
SystemCallFilter=SET runs: any other call kills the process (SIGSYS).

The set is systemd's own definition, expanded with `systemd-analyze
syscall-filter`, so the test follows the installed systemd.  Exit 77 when
systemd-analyze or python3-seccomp is missing."""
import os
import subprocess
import sys


def expand(name, seen):
    if name in seen:
        return set()
    seen.add(name)
    out = subprocess.run(["systemd-analyze", "syscall-filter", name], check=True,
                         capture_output=True, text=True).stdout
    calls = set()
    for line in out.splitlines()[1:]:   # the first line is the set's own name
        word = line.strip()
        if not word or word.startswith("#"):
            continue
        calls |= expand(word, seen) if word.startswith("@") else {word}
    return calls


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit("usage: syscall_filter.py SET -- CMD [ARG]...")
    try:
        import seccomp
        calls = expand(sys.argv[1], set())
    except (ImportError, FileNotFoundError, subprocess.CalledProcessError) as e:
        print(f"syscall_filter.py: cannot build the filter: {e}", file=sys.stderr)
        sys.exit(77)
    f = seccomp.SyscallFilter(defaction=seccomp.KILL_PROCESS)
    allowed = 0
    for call in sorted(calls):
        try:
            f.add_rule(seccomp.ALLOW, call)
            allowed += 1
        except (RuntimeError, ValueError, OSError):
            pass   # not a system call of this architecture
    if os.environ.get("SYSCALL_FILTER_SAY"):
        print(f"syscall_filter.py: {sys.argv[1]}: {allowed} system calls allowed", file=sys.stderr)
    f.load()
    os.execv(sys.argv[3], sys.argv[3:])


main()
