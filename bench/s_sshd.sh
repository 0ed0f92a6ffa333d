#!/bin/sh
# bench/s_sshd.sh — public-key logins through a real OpenSSH server
# (Debian's /usr/sbin/sshd on 127.0.0.1 and a free high port, its own
# config, host key and authorized_keys under $T) with pam_approverd.so in
# the account stack of a bind-mounted /etc/pam.d/sshd, against the same
# server with the module left out of the stack, the two stacks switched
# run by run (sshd reads its PAM stack at each login):
#   human   dave's `ssh ... true` (the module judges dave and lets go)
#   AI      ai-deploy's `ssh ... true` covered by an approved, unconsumed
#           request (made untimed just before the pair: one login refused
#           with wait = 0 makes the pending request, approverctl approve
#           signs it with alice's key; the module's run consumes it)
# Wall time and CPU of the ssh client's process tree as bench_spawn sees
# them: the client waits for the whole login, so wall time includes the
# server's work; CPU is the client's only.
. "$APPROVERD_TOP/tests/integration/lib.sh"
ns_reexec "$0" "$@"
. "$APPROVERD_TOP/tests/integration/daemon_lib.sh"
. "$APPROVERD_TOP/bench/lib.sh"
SP=$BENCH_BIN/bench_spawn
SO=$APPROVERD_BUILD/pam_approverd.so

for f in /usr/sbin/sshd /usr/bin/ssh /usr/bin/ssh-keygen; do
	[ -x "$f" ] || { bench_fail "$f not installed"; bench_done; }
done
ns_users >/dev/null 2>&1 || { bench_fail "ns_users"; bench_done; }
ns_devlog || { bench_fail "ns_devlog"; bench_done; }
dl_setup "[role sre]
members = alice

[default]
require = 1 sre" >/dev/null || { bench_fail "dl_setup"; bench_done; }
dl_key alice alice || { bench_fail "dl_key"; bench_done; }
dl_start || { bench_fail "daemon start"; bench_done; }
ns_client_conf 0 "$DL_SOCK" || { bench_fail "client config"; bench_done; }

# the server's files (tests/integration/lib.sh): /run private to us,
# keys for ai-deploy and dave, a config for 127.0.0.1 and a free port
# shellcheck disable=SC2119 # no extra config lines
ns_sshd_files || { bench_fail "sshd files and config"; bench_done; }
PORT=$NS_SSHD_PORT
# public-key logins: PAM auth is not used; the account stack decides
mkdir -p "$T/pam.d" && cp -a /etc/pam.d/. "$T/pam.d/"
sshd_stack() { # extra account line
	printf 'auth required pam_deny.so\n%saccount required pam_permit.so\nsession required pam_permit.so\n' "$1"
}
sshd_stack "" >"$T/sshd.plain"
sshd_stack "account required $SO config=$T/approverd.conf require=sshd:*
" >"$T/sshd.approverd"
chmod 0644 "$T/sshd.plain" "$T/sshd.approverd"
cp "$T/sshd.plain" "$T/pam.d/sshd"
ns_bind "$T/pam.d" /etc/pam.d || { bench_fail "bind /etc/pam.d"; bench_done; }
stack() { cat "$T/sshd.$1" >/etc/pam.d/sshd; }
ns_sshd_start || { bench_fail "sshd does not listen"; bench_done; }

# login USER [-a]: one timed ssh login running `true`; bench_spawn's output
login() {
	_u=$1; shift
	"$SP" "$@" -u "$_u" -n 1 -- /usr/bin/ssh -i "$T/home/$_u/id" -p "$PORT" \
		-o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-o ConnectTimeout=30 "$_u@127.0.0.1" true 2>&1
}
# timed_login WALL CPU STACK USER: one login with that PAM stack; its wall
# and CPU times appended to the lists named WALL and CPU
timed_login() {
	stack "$3"
	out=$(login "$4") || { bench_fail "$4's login, $3 stack: $out"; return 1; }
	bench_add "$1" "$2" "$out"
}
requests() { dl_ev_count '"event":"request"'; }
pending_id() { # the newest sshd request id
	grep '"event":"request"' "$DL_EVIDENCE" | grep '"service":"sshd"' |
		tail -n 1 | grep -o '"id":"R-[0-9A-F-]*"' | head -n 1 | cut -d'"' -f4
}

# sanity: both stacks let dave in; the module holds ai-deploy (a request)
# and the plain stack does not
for v in plain approverd; do
	stack "$v"
	login dave -q >/dev/null || bench_fail "dave's login with the $v stack"
done
n0=$(requests)
stack approverd
login ai-deploy -a >/dev/null
[ "$(requests)" -gt "$n0" ] || bench_fail "the module did not hold ai-deploy's login"
out=$(ctl deny "$(pending_id)" -k "$T/keys/alice.key" --reason "bench sanity" \
	--yes 2>&1) || bench_fail "could not deny the sanity request: $out"
stack plain
login ai-deploy -q >/dev/null || bench_fail "the plain stack refused ai-deploy"

K=$([ "${BENCH_QUICK:-0}" = 1 ] && echo 5 || echo 15)
KA=$([ "${BENCH_QUICK:-0}" = 1 ] && echo 3 || echo 8)
hp=; ha=; chp=; cha=; ap=; aa=; cap=; caa=; r=0
while [ "$r" -lt "$BENCH_ROUNDS" ]; do
	wp=; wa=; up=; ua=; k=0
	while [ "$k" -lt "$K" ]; do
		timed_login wp up plain dave || break
		timed_login wa ua approverd dave || break
		k=$((k + 1))
	done
	# shellcheck disable=SC2086 # the lists are split on purpose
	{ bench_keep hp $wp; bench_keep chp $up; bench_keep ha $wa; bench_keep cha $ua; }
	# AI: sshd's request does not name the command (the account phase
	# comes first), so one approval at a time: refused login, approve,
	# then the pair
	pw=; aw=; pc=; ac=; i=0
	while [ "$i" -lt "$KA" ]; do
		stack approverd
		login ai-deploy -a >/dev/null
		id=$(pending_id)
		ctl approve "$id" -k "$T/keys/alice.key" --yes >/dev/null 2>&1 ||
			{ bench_fail "approve '$id'"; break; }
		timed_login pw pc plain ai-deploy || break
		timed_login aw ac approverd ai-deploy || break
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	{ bench_keep ap $pw; bench_keep cap $pc; bench_keep aa $aw; bench_keep caa $ac; }
	r=$((r + 1))
done
dl_stop
echo "# human: $K logins per stack per round, stacks alternating run by run;"
echo "# AI: $KA approved logins per round, each with the plain stack then the"
echo "# module's (which consumes the approval); value = median of the round's runs"
bench_consumes $((KA * BENCH_ROUNDS)) logins
# shellcheck disable=SC2086
{
bench_fig sshd_human_plain_us us $hp
bench_fig sshd_human_approverd_us us $ha
bench_fig sshd_ai_plain_us us $ap
bench_fig sshd_ai_approved_us us $aa
bench_fig sshd_human_plain_cpu_us us $chp
bench_fig sshd_human_approverd_cpu_us us $cha
bench_fig sshd_ai_plain_cpu_us us $cap
bench_fig sshd_ai_approved_cpu_us us $caa
}
bench_done
