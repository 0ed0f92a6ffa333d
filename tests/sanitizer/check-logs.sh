#!/bin/sh
# tests/sanitizer/check-logs.sh DIR [NAME] — look for new sanitizer and
# valgrind reports in DIR; exit 1 when there is one. Called by tests/run.sh
# after each test when SAN_LOG_DIR is set (make check-asan, check-valgrind).
#
#   DIR/san.PID        ASan/UBSan/LSan report (log_path from
#                      tests/sanitizer/san_options.c): any such file is
#                      a failure.
#   DIR/vg.PID.log     valgrind memcheck log (tests/sanitizer/vg-approverd):
#                      a failure when it reports an error (invalid access,
#                      uninitialised value, bad free, fd/syscall misuse) or a
#                      definite or indirect leak (--errors-for-leak-kinds
#                      makes those count in the ERROR SUMMARY). A log without
#                      a summary belongs to a process killed with SIGKILL
#                      (t_attack_kill9) or still running: its errors count,
#                      its leaks could not be checked (noted, not failed).
#
# Each file checked is moved to DIR/done/NAME/, so the next test starts
# clean and the reports stay for reading. Prints each report it fails on.
set -u
dir=$1
name=$(printf '%s' "${2:-unnamed}" | tr '/ ' '__')
done_dir=$dir/done/$name
bad=0

vg_bad() { # log: true when valgrind reported something that fails
	grep -Eq 'ERROR SUMMARY: [1-9]' "$1" && return 0
	grep -Eq '(definitely|indirectly) lost: [1-9]' "$1" && return 0
	grep -Eq '^==[0-9]+== (Invalid |Conditional jump|Use of uninitialised|Mismatched free|Syscall param|Source and destination overlap|Argument .* of function)' "$1"
}

for f in "$dir"/san.* "$dir"/vg.*.log; do
	[ -f "$f" ] || continue
	mkdir -p "$done_dir" || exit 1
	case ${f##*/} in
	san.*)
		bad=1
		echo "# sanitizer report $f:"
		sed 's/^/#   /' "$f" | head -n 80
		;;
	vg.*)
		if vg_bad "$f"; then
			bad=1
			echo "# valgrind report $f:"
			sed 's/^/#   /' "$f" | head -n 120
		elif ! grep -q 'ERROR SUMMARY:' "$f"; then
			echo "# valgrind: no summary in $f (process killed or still running; leaks not checked)"
		fi
		;;
	esac
	mv "$f" "$done_dir/" || exit 1
done
exit "$bad"
