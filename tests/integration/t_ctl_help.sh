#!/bin/sh
# Every approverctl subcommand answers --help (exit 0, a usage line on
# stdout), and approverctl(1) documents every subcommand the binary lists.
. "$(dirname "$0")/lib.sh"
A=$APPROVERD_BUILD/approverctl
MAN=$APPROVERD_TOP/docs/man/approverctl.1
cmds=$("$A" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1}')
tap_isnt "$cmds" "" "approverctl --help lists its subcommands"
for c in $cmds; do
	out=$("$A" "$c" --help 2>/dev/null); rc=$?
	tap_is "$rc" 0 "approverctl $c --help exits 0"
	tap_like "$out" "usage: approverctl.* $c" "approverctl $c --help prints its usage on stdout"
	tap_ok "approverctl(1) documents '$c'" grep -q "^\.It Cm $c\( \|$\)" "$MAN"
done
out=$("$A" no-such-command 2>&1); rc=$?
tap_is "$rc" 2 "an unknown subcommand exits 2"
tap_like "$out" "unknown command 'no-such-command'" "...and says so"
tap_done
