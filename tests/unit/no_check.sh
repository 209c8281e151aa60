#!/bin/sh
# Run by make check in place of the unit tests when configure found no Check.
echo "the unit tests need Check: install the Debian package check, then ./configure again" >&2
exit 1
