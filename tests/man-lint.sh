#!/bin/sh
# Every man page under docs/man must pass `mandoc -T lint` with no message at
# warning level or above, and the required pages must exist. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
n=0; bad=0
for page in approverd.8 approverctl.1 approverd.conf.5 approverd-evidence.5 \
	    sudo_approverd.8 pam_approverd.8; do
	n=$((n + 1))
	f=$top/docs/man/$page
	if [ ! -f "$f" ]; then
		echo "not ok $n - $page exists"; bad=$((bad + 1)); continue
	fi
	out=$(mandoc -T lint -W warning "$f" 2>&1)
	if [ -z "$out" ]; then
		echo "ok $n - $page: mandoc -T lint clean"
	else
		echo "not ok $n - $page: mandoc -T lint"; echo "$out" | sed 's/^/# /'
		bad=$((bad + 1))
	fi
done
[ "$bad" -eq 0 ]
