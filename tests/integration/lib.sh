# tests/integration/lib.sh — the namespace test harness (POSIX sh).
#
# Sourced by every tests/integration/t_*.sh:
#
#   . "$(dirname "$0")/lib.sh"
#   ns_reexec "$0" "$@"        # re-run inside a private mount namespace
#   ns_users                   # namespace-only users (see below)
#   ns_devlog                  # private /dev, syslog lands in $T/syslog
#   ns_sudo "$sudoers_text"    # real setuid sudo with our sudo.conf
#   out=$(as_user ai-deploy sudo -n /bin/true 2>&1); rc=$?
#   tap_is "$rc" 0 "ai-deploy runs true"
#   tap_done
#
# Invariants (DESIGN.md §8): nothing on the host changes. Every mount is made
# inside a private mount namespace (unshare -m --propagation private) and
# vanishes with the test process; every file lives under $T (a fresh mktemp
# directory, removed on exit); there are no fixed paths outside $T and no
# network ports, so two runs may go in parallel, from different checkouts.
#
# Variables set for the test:
#   T                 the temp dir (0755 root); also $T/etc, $T/home, $T/run
#   APPROVERD_TOP     source tree (default: two levels above this file)
#   APPROVERD_BUILD   absolute build dir (default: $APPROVERD_TOP/build)
#   NS_SYSLOG         $T/syslog, one received datagram per line
#
# Users (ns_users): ai-deploy 2001, ai-ops 2002, alice 2101, bob 2102,
# carol 2103, dave 2201; each with an own group of the same id and the
# password "pw-NAME"; group ai-agents (2000) has member ai-ops.
#
# TAP: tap_ok DESC CMD [ARG...]    ok when CMD exits 0 (e.g. tap_ok "x" [ -s f ])
#      tap_nok DESC CMD [ARG...]   ok when CMD exits non-zero
#      tap_is GOT WANT DESC        ok when the strings are equal
#      tap_isnt GOT UNWANTED DESC  ok when they differ
#      tap_like TEXT REGEX DESC    ok when TEXT matches the ERE (grep -E)
#      tap_unlike TEXT REGEX DESC  ok when it does not
#      tap_pass DESC / tap_fail DESC / tap_diag TEXT
#      tap_done                    prints the plan; exits 1 if any failed
#      ns_must DESC CMD [ARG...]   setup step: on failure "not ok" + exit 1
# Helpers: ns_track_pid PID (killed at exit), wait_for SECS CMD [ARG...],
#          ns_file PATH MODE TEXT (root-owned), ns_bind SRC DST,
#          syslog_wait ERE [SECS], ns_client_conf [WAIT] [SOCKET] [EXTRA],
#          as_user USER CMD... ($AS_CWD, $AS_LOGINUID adjust it).
# Keep $T: NS_KEEP=1. Background jobs: `wait $pid`, never a bare `wait`
# (the syslog sink and daemons are children too).

NS_TAP_N=0
NS_TAP_FAILED=0

# ---------------------------------------------------------------- TAP
tap_diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}
tap_result() { # status(0=ok) desc
	NS_TAP_N=$((NS_TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$NS_TAP_N" "$2"
	else
		printf 'not ok %d - %s\n' "$NS_TAP_N" "$2"
		NS_TAP_FAILED=$((NS_TAP_FAILED + 1))
	fi
}
tap_pass() { tap_result 0 "$1"; }
tap_fail() { tap_result 1 "$1"; }
# The description is kept in a local-ish name and re-read after the command
# (which may be a function that uses the same globals).
tap_ok() {
	_tap_ok_desc=$1; shift
	"$@"
	_tap_ok_rc=$?
	tap_result "$_tap_ok_rc" "$_tap_ok_desc"
}
tap_nok() {
	_tap_nok_desc=$1; shift
	if "$@"; then
		tap_result 1 "$_tap_nok_desc"
	else
		tap_result 0 "$_tap_nok_desc"
	fi
}
tap_is() {
	if [ "$1" = "$2" ]; then
		tap_result 0 "$3"
	else
		tap_result 1 "$3"
		tap_diag "got:  '$1'" "want: '$2'"
	fi
}
tap_isnt() {
	if [ "$1" != "$2" ]; then
		tap_result 0 "$3"
	else
		tap_result 1 "$3"
		tap_diag "got unwanted: '$1'"
	fi
}
tap_like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		tap_result 0 "$3"
	else
		tap_result 1 "$3"
		tap_diag "text does not match /$2/:" "$1"
	fi
}
tap_unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		tap_result 1 "$3"
		tap_diag "text matches /$2/:" "$1"
	else
		tap_result 0 "$3"
	fi
}
tap_done() {
	printf '1..%d\n' "$NS_TAP_N"
	if [ "$NS_TAP_FAILED" -ne 0 ] || [ "$NS_TAP_N" -eq 0 ]; then
		exit 1
	fi
	exit 0
}
# A setup step that must work; otherwise report and stop.
ns_must() {
	_ns_must_desc=$1; shift
	if ! "$@"; then
		tap_fail "setup: $_ns_must_desc"
		tap_done
	fi
}

# ---------------------------------------------------------------- namespace
ns_reexec() { # "$0" "$@"
	_script=$1; shift
	if [ "${NS_INSIDE:-}" = "$$" ]; then
		ns_setup_dirs
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "not ok 1 - integration test $_script must run as root (needs unshare -m)"
		echo "1..1"
		exit 1
	fi
	# exec keeps the pid, so the inner run recognises itself by $$.
	exec unshare -m --propagation private -- \
		sh -c 'NS_INSIDE=$$; export NS_INSIDE; exec sh "$0" "$@"' \
		"$_script" "$@"
	echo "not ok 1 - $_script: could not enter a mount namespace (unshare -m)"
	echo "1..1"
	exit 1
}

ns_cleanup() {
	_rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "${T:-}" ] && [ -f "$T/.pids" ]; then
		while read -r _p; do
			kill -TERM "$_p" 2>/dev/null
		done <"$T/.pids"
		ns_grace
		while read -r _p; do
			kill -KILL "$_p" 2>/dev/null
		done <"$T/.pids"
	fi
	# Our mounts die with the namespace; but unmount anything still mounted
	# under $T first (a half-done ns_devlog), and never let rm cross into
	# another file system, so that cleanup can never touch host files.
	if [ -n "${T:-}" ] && [ -d "$T" ] && [ -z "${NS_KEEP:-}" ]; then
		awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/self/mounts |
			sort -r | while read -r _m; do umount -l "$_m"; done
		case $T in
		/*/approverd-test.*) rm -rf --one-file-system -- "$T" ;;
		esac
	elif [ -n "${NS_KEEP:-}" ]; then
		echo "# kept $T" >&2
	fi
	exit "$_rc"
}

ns_track_pid() {
	echo "$1" >>"$T/.pids"
}

# After SIGTERM, time for tracked processes to exit: 0.2 s, or up to
# 2 s x DL_SLOW when set (a daemon under valgrind or ASan runs its leak
# check at exit). A zombie counts as gone.
ns_grace() {
	_n=$(( ${DL_SLOW:+40 * ${DL_SLOW}} + 0 ))
	[ "$_n" -gt 0 ] || { sleep 0.2; return 0; }
	while [ "$_n" -gt 0 ]; do
		_alive=0
		while read -r _p; do
			[ -r "/proc/$_p/stat" ] || continue
			case $(cut -d')' -f2 "/proc/$_p/stat" 2>/dev/null) in
			" Z"* | "") ;;
			*) _alive=1 ;;
			esac
		done <"$T/.pids"
		[ "$_alive" -eq 1 ] || return 0
		sleep 0.05
		_n=$((_n - 1))
	done
}

# DL_SLOW=N (make check-valgrind, check-asan) multiplies every wait_for
# limit, for daemons that run N times slower than usual.
wait_for() { # secs cmd...
	_deadline=$(( $(date +%s) + $1 * ${DL_SLOW:-1} )); shift
	while ! "$@" 2>/dev/null; do
		[ "$(date +%s)" -ge "$_deadline" ] && return 1
		sleep 0.05
	done
	return 0
}

ns_file() { # path mode text
	printf '%s\n' "$3" >"$1" && chmod "$2" "$1" && chown 0:0 "$1"
}

ns_bind() { # src dst
	mount --bind "$1" "$2"
}

ns_setup_dirs() {
	: "${APPROVERD_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
	: "${APPROVERD_BUILD:=$APPROVERD_TOP/build}"
	APPROVERD_BUILD=$(cd "$APPROVERD_BUILD" 2>/dev/null && pwd || echo "$APPROVERD_BUILD")
	export APPROVERD_TOP APPROVERD_BUILD
	T=$(mktemp -d "${TMPDIR:-/tmp}/approverd-test.XXXXXXXX") || {
		echo "not ok 1 - mktemp -d failed"; echo "1..1"; exit 1; }
	trap ns_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	chmod 0755 "$T"
	mkdir -p "$T/etc" "$T/home" "$T/run"
	chmod 0755 "$T/etc" "$T/home" "$T/run"
	: >"$T/.pids"
	NS_SYSLOG=$T/syslog
	export T NS_SYSLOG
}

# ---------------------------------------------------------------- users
NS_USERS="ai-deploy:2001 ai-ops:2002 alice:2101 bob:2102 carol:2103 dave:2201"

ns_users() {
	_days=$(( $(date +%s) / 86400 - 1 ))
	for _f in passwd group shadow gshadow; do
		if [ -f "/etc/$_f" ]; then cp "/etc/$_f" "$T/etc/$_f"; else : >"$T/etc/$_f"; fi
	done
	echo "ai-agents:x:2000:ai-ops" >>"$T/etc/group"
	echo "ai-agents:!::ai-ops" >>"$T/etc/gshadow"
	for _e in $NS_USERS; do
		_u=${_e%%:*}; _id=${_e#*:}
		_h=$(openssl passwd -6 -salt "ns$_id" "pw-$_u") || return 1
		echo "$_u:x:$_id:$_id:$_u (approverd test):$T/home/$_u:/bin/sh" >>"$T/etc/passwd"
		echo "$_u:x:$_id:" >>"$T/etc/group"
		echo "$_u:!::" >>"$T/etc/gshadow"
		echo "$_u:$_h:$_days:0:99999:7:::" >>"$T/etc/shadow"
		mkdir -p "$T/home/$_u"
		chown "$_id:$_id" "$T/home/$_u"
		chmod 0700 "$T/home/$_u"
	done
	chmod 0644 "$T/etc/passwd" "$T/etc/group"
	chmod 0640 "$T/etc/shadow" "$T/etc/gshadow"
	for _f in passwd group shadow gshadow; do
		[ -f "/etc/$_f" ] || continue
		ns_bind "$T/etc/$_f" "/etc/$_f" || return 1
	done
	id alice >/dev/null 2>&1 || return 1
}

# uid of a user (namespace passwd)
ns_uid() { id -u "$1"; }

# as_user USER CMD...: run CMD as USER with a clean, sane environment in the
# user's home (or $AS_CWD). The login uid of the process is set to the user's
# own uid, as after a real login, or to $AS_LOGINUID when given (sponsor
# tests). Extra variables: as_user ai-deploy env APPROVERD_REASON=x sudo ...
as_user() {
	_u=$1; shift
	_uid=$(id -u "$_u") || return 1
	_home=$(getent passwd "$_u" | cut -d: -f6)
	(
		cd "${AS_CWD:-$_home}" || exit 1
		echo "${AS_LOGINUID:-$_uid}" >/proc/self/loginuid 2>/dev/null
		exec setpriv --reuid="$_u" --regid="$(id -g "$_u")" --init-groups \
			env -i HOME="$_home" USER="$_u" LOGNAME="$_u" SHELL=/bin/sh \
			PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 TERM=dumb \
			"$@"
	)
}

# ---------------------------------------------------------------- /dev, syslog
ns_devlog() {
	_nd=$T/newdev
	mkdir -p "$_nd" || return 1
	mount -t tmpfs -o mode=0755,size=1m tmpfs "$_nd" || return 1
	for _n in null zero full random urandom tty ptmx; do
		: >"$_nd/$_n" && ns_bind "/dev/$_n" "$_nd/$_n" || return 1
	done
	mkdir -p "$_nd/pts" "$_nd/shm" && chmod 1777 "$_nd/shm"
	ns_bind /dev/pts "$_nd/pts" || return 1
	ln -s /proc/self/fd "$_nd/fd"
	ln -s /proc/self/fd/0 "$_nd/stdin"
	ln -s /proc/self/fd/1 "$_nd/stdout"
	ln -s /proc/self/fd/2 "$_nd/stderr"
	mount --move "$_nd" /dev || return 1
	rmdir "$_nd" 2>/dev/null
	ns_syslog_start
}

ns_syslog_start() {
	: >"$NS_SYSLOG"
	_sink=$APPROVERD_BUILD/tests/helpers/syslog_sink
	if [ -x "$_sink" ]; then
		"$_sink" /dev/log "$NS_SYSLOG" &
	else
		python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b"\n")
' /dev/log "$NS_SYSLOG" &
	fi
	ns_track_pid $!
	wait_for 10 test -S /dev/log
}

# Wait until syslog has a line matching the ERE (sudo logs asynchronously
# only in the sense that the sink needs a moment to write).
syslog_wait() { # regex [secs]
	wait_for "${2:-5}" grep -Eq -- "$1" "$NS_SYSLOG"
}

# ---------------------------------------------------------------- sudo
# ns_sudo SUDOERS_TEXT [SUDO_CONF_TEXT]: real setuid sudo reading our
# sudoers (0440 root) and sudo.conf (default: sudoers plus our two plugins
# with config=$T/approverd.conf). /etc/sudoers.d becomes an empty dir; sudo's
# time stamps and lecture files go under $T. The sudoers text is prefixed by
# a few Defaults (timestampdir, no lecture/mail, syslog=authpriv) and
# "root ALL=(ALL:ALL) ALL", and is checked with visudo -c first.
ns_sudo() {
	mkdir -p "$T/etc/sudoers.d" "$T/sudo/ts" "$T/sudo/lectured"
	chmod 0750 "$T/etc/sudoers.d"; chmod 0700 "$T/sudo/ts" "$T/sudo/lectured"
	ns_file "$T/etc/sudoers" 0440 "Defaults timestampdir=$T/sudo/ts
Defaults lecture_status_dir=$T/sudo/lectured
Defaults !lecture, !mail_no_user, !mail_badpass, !mail_no_host, !mail_no_perms
Defaults syslog=authpriv
root ALL=(ALL:ALL) ALL
$1" || return 1
	_conf=${2:-"Plugin sudoers_policy sudoers.so
Plugin sudoers_io sudoers.so
Plugin sudoers_audit sudoers.so
Plugin approverd_approval $APPROVERD_BUILD/sudo_approverd.so config=$T/approverd.conf
Plugin approverd_audit $APPROVERD_BUILD/sudo_approverd.so
Set disable_coredump true"}
	ns_file "$T/etc/sudo.conf" 0644 "$_conf" || return 1
	visudo -c -q -f "$T/etc/sudoers" >/dev/null || return 1
	ns_bind "$T/etc/sudoers" /etc/sudoers || return 1
	ns_bind "$T/etc/sudo.conf" /etc/sudo.conf || return 1
	ns_bind "$T/etc/sudoers.d" /etc/sudoers.d || return 1
}

# Client config for the sudo plugin / PAM module tests: root-owned 0644,
# [subjects] (users ai-deploy, group ai-agents) and [client]. The client
# reads only [subjects] and [client], so the socket is given in [client]
# (default: daemon_lib.sh's $T/run/approverd/approverd.sock).
ns_client_conf() { # [wait] [socket] [extra-text]
	ns_file "$T/approverd.conf" 0644 "[subjects]
users = ai-deploy
groups = ai-agents

[client]
socket = ${2:-$T/run/approverd/approverd.sock}
wait = ${1:-0}
${3:-}"
}

# ---------------------------------------------------------------- sshd
# A test OpenSSH server (t_pam_sshd.sh, bench/s_sshd.sh): a private /run
# (sshd wants /run/sshd), a host key and an sshd_config in $NS_SSHD_DIR
# for 127.0.0.1 and a free high port ($NS_SSHD_PORT), and ed25519 keys
# $T/home/USER/id with authorized_keys for ai-deploy and dave. Public-key
# logins only, UsePAM yes: the account stack of /etc/pam.d/sshd decides.
ns_sshd_files() { # [extra sshd_config lines]
	NS_SSHD_DIR=$T/ssh
	NS_SSHD_PORT=
	mount -t tmpfs -o mode=0755 tmpfs /run || return 1
	mkdir -p /run/sshd "$NS_SSHD_DIR/authorized_keys" || return 1
	chmod 0755 /run/sshd "$NS_SSHD_DIR" "$NS_SSHD_DIR/authorized_keys" || return 1
	ssh-keygen -q -t ed25519 -N '' -f "$NS_SSHD_DIR/host_key" || return 1
	for _u in ai-deploy dave; do
		ssh-keygen -q -t ed25519 -N '' -f "$T/home/$_u/id" -C "$_u" &&
			chown "$_u:$_u" "$T/home/$_u/id" "$T/home/$_u/id.pub" || return 1
		ns_file "$NS_SSHD_DIR/authorized_keys/$_u" 0644 \
			"$(cat "$T/home/$_u/id.pub")" || return 1
	done
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		_p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
		ss -Hltn "sport = :$_p" 2>/dev/null | grep -q . ||
			{ NS_SSHD_PORT=$_p; break; }
	done
	[ -n "$NS_SSHD_PORT" ] || return 1
	ns_file "$NS_SSHD_DIR/sshd_config" 0644 "Port $NS_SSHD_PORT
ListenAddress 127.0.0.1
HostKey $NS_SSHD_DIR/host_key
PidFile $NS_SSHD_DIR/sshd.pid
AuthorizedKeysFile $NS_SSHD_DIR/authorized_keys/%u
StrictModes no
UsePAM yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers ai-deploy dave
MaxStartups 20
X11Forwarding no
PrintMotd no
UseDNS no
${1:-}" || return 1
	/usr/sbin/sshd -t -f "$NS_SSHD_DIR/sshd_config"
}

# sshd -D in the background (killed with the namespace), once it listens.
ns_sshd_start() {
	/usr/sbin/sshd -D -e -f "$NS_SSHD_DIR/sshd_config" 2>"$T/sshd.log" &
	ns_track_pid $!
	wait_for 10 sh -c "ss -Hltn 'sport = :$NS_SSHD_PORT' | grep -q ."
}

# ---------------------------------------------------------------- front/core
# The sudo plugin and the PAM module are small fronts that load a core .so
# from their own directory (t_sudo_core.sh, t_pam_core.sh). The test sets
# CORE_SRC (the built core) and CORE_SO (the core's path beside a copy of
# the front, in a root-owned 0755 directory), and defines human_ok DESC and
# ai_refused DESC ERE, which run the front as a human and as ai-deploy.
tap_exports() { # file "sym... " desc: the dynamic symbols it defines
	tap_is "$(nm -D --defined-only "$1" | awk '{print $3}' | sort | tr '\n' ' ')" "$2" "$3"
}
tap_needed() { # file "lib... " desc: the libraries it needs (DT_NEEDED)
	tap_is "$(readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' |
		sort | tr '\n' ' ')" "$2" "$3"
}
# A root-owned plugin directory $L holding a copy of the front $1 named $2;
# CORE_SO is where core_install puts the core ($3).
ns_front_dir() { # front-so name core-name
	L=$T/lib
	mkdir -p "$L" && chmod 0755 "$L" || return 1
	cp "$1" "$L/$2" && chmod 0644 "$L/$2" || return 1
	CORE_SO=$L/$3
}
core_install() { # mode: a fresh root-owned copy of $CORE_SRC at $CORE_SO
	rm -f "$CORE_SO"
	cp "$CORE_SRC" "$CORE_SO" && chmod "$1" "$CORE_SO"
}
# Each untrusted core is refused to ai-deploy with the reason, and never
# stops a human: missing (logged to syslog, ERE $2), world- or
# group-writable, owned by user $1, a symbolic link, in a world-writable
# directory, a library without the core's symbol $3.
core_refusals() { # owner-user syslog-ERE core-symbol
	_cr_dir=$(dirname "$CORE_SO"); _cr_name=$(basename "$CORE_SO")
	rm -f "$CORE_SO"
	human_ok "core missing"
	ai_refused "core missing" "cannot load the approval core .*$CORE_SO"
	tap_ok "core missing: logged to syslog" syslog_wait "$2" 5
	core_install 0646
	human_ok "core world-writable"
	ai_refused "core world-writable" "$_cr_name: world-writable"
	core_install 0664
	ai_refused "core group-writable" "$_cr_name: group-writable"
	core_install 0644
	chown "$1" "$CORE_SO"
	human_ok "core owned by $1"
	ai_refused "core owned by $1" "$_cr_name: owned by uid $(ns_uid "$1"), not root"
	rm -f "$CORE_SO"
	ln -s "$CORE_SRC" "$CORE_SO"
	ai_refused "core is a symlink" "$_cr_name: is a symbolic link"
	core_install 0644
	chmod 0777 "$_cr_dir"
	human_ok "directory world-writable"
	ai_refused "directory world-writable" "$_cr_dir: world-writable"
	chmod 0755 "$_cr_dir"
	cp "$(ldconfig -p | awk '/libinih.so.1 /{print $NF; exit}')" "$CORE_SO"
	chmod 0644 "$CORE_SO"
	ai_refused "not a core" "no symbol $3"
}
