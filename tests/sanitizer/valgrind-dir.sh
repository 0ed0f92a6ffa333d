#!/bin/sh
# tests/sanitizer/valgrind-dir.sh BUILD DIR — prepare DIR for
# `make check-valgrind`: a build directory for the integration tests
# (APPROVERD_BUILD=DIR) whose approverd is a wrapper running BUILD's
# approverd under valgrind memcheck; the rest are symlinks to BUILD (the
# .so files are copies).
# Each daemon process writes DIR/logs/vg.PID.log, which
# tests/sanitizer/check-logs.sh reads after each test.
set -eu
build=$(cd "$1" && pwd)
mkdir -p "$2"
dir=$(cd "$2" && pwd)
supp=$(cd "$(dirname "$0")" && pwd)/valgrind.supp
[ -x "$build/approverd" ] || { echo "$build/approverd is not built" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
rm -rf "$dir/logs" "$dir/test-logs"
mkdir -p "$dir/logs"
for f in approverctl tests; do
	rm -f "$dir/$f"
	[ ! -e "$build/$f" ] || ln -s "$build/$f" "$dir/$f"
done
# The .so files are copied: a client core .so is opened with O_NOFOLLOW.
rm -f "$dir"/*.so
for f in "$build"/*.so; do
	[ ! -e "$f" ] || cp -p "$f" "$dir/"
done
# The pid stays the daemon's (exec), so the tests' kill/wait work as usual.
# --error-exitcode: an error also changes the exit status the tests see.
cat >"$dir/approverd.tmp" <<WRAP
#!/bin/sh
exec valgrind --tool=memcheck --leak-check=full \\
	--errors-for-leak-kinds=definite,indirect \\
	--show-leak-kinds=definite,indirect --error-exitcode=99 \\
	--track-fds=no --num-callers=30 \\
	--suppressions="$supp" \\
	--log-file="$dir/logs/vg.%p.log" "$build/approverd" "\$@"
WRAP
chmod 0755 "$dir/approverd.tmp"
mv "$dir/approverd.tmp" "$dir/approverd"
