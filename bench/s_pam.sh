#!/bin/sh
# bench/s_pam.sh — the PAM account (and auth) phase for a human (alice) through real
# Linux-PAM via pamtester, in a private mount namespace with a
# bind-mounted /etc/pam.d: a stack with pam_approverd.so + pam_permit.so
# vs the same stack with pam_permit.so only, batches alternating.
# With valgrind installed, also the instruction counts (callgrind) of one
# pamtester run per stack, not disturbed by other load, and of two floor
# stacks of the same shape that are never timed, with bench/null_pam.so
# in the module's place: "bench-null" (no argument: the floor of any PAM
# module, it returns PAM_IGNORE) and "bench-nssfloor" (argument nss: the
# floor of a module that judges the login user by uid, one getpwnam_r of
# PAM_USER).
# A realistic figure besides: the real su (util-linux), `su -s /bin/true
# alice` run by root, with Debian's /etc/pam.d/su as installed ("su-plain")
# and the same file with `account required pam_approverd.so ...
# require=su:*` before its common-account ("su-approverd"): the module
# judges root, the initiator, in full. su resolves groups itself
# (initgroups), so this ratio shows what a human pays in a service that
# does more than pamtester. Wall and CPU per run, and instructions
# (callgrind, every process of su's but the exec'd /bin/true).
# The AI path last, against a real approverd: ai-deploy's `su -c "true
# ai-R-I" root` covered by an approved, unconsumed request (made untimed
# before the round's timed runs: one refused su creates the pending
# request, approverctl approve signs it with alice's key), against the
# same su with the module left out of the stack, the two alternating run
# by run (both stacks authenticate with pam_rootok/pam_permit: there are
# no passwords in the namespace).
. "$APPROVERD_TOP/tests/integration/lib.sh"
ns_reexec "$0" "$@"
. "$APPROVERD_TOP/tests/integration/daemon_lib.sh"
. "$APPROVERD_TOP/bench/lib.sh"
SP=$BENCH_BIN/bench_spawn
PT=$(command -v pamtester) || { bench_fail "pamtester not installed"; bench_done; }

ns_users >/dev/null 2>&1 || { bench_fail "ns_users"; bench_done; }
ns_devlog || { bench_fail "ns_devlog"; bench_done; }
ns_file "$T/client.conf" 0644 "[subjects]
users = ai-deploy
groups = ai-agents

[client]
socket = $T/run/approverd.sock
wait = 0" || { bench_fail "client.conf"; bench_done; }
# the same, AI accounts named by uid range alone (ns_users: 2001, 2002)
ns_file "$T/client-uids.conf" 0644 "[subjects]
uids = 2001-2099

[client]
socket = $T/run/approverd.sock
wait = 0" || { bench_fail "client-uids.conf"; bench_done; }
cp -a /etc/pam.d "$T/pam.d" || { bench_fail "copy /etc/pam.d"; bench_done; }
printf 'auth required pam_permit.so\naccount required pam_permit.so\n' \
	>"$T/pam.d/bench-permit"
printf 'auth required pam_permit.so\naccount required %s config=%s mode=login require=bench-approverd:*\naccount required pam_permit.so\n' \
	"$APPROVERD_BUILD/pam_approverd.so" "$T/client.conf" >"$T/pam.d/bench-approverd"
printf 'auth required pam_permit.so\naccount required %s config=%s mode=login require=bench-debug:* debug\naccount required pam_permit.so\n' \
	"$APPROVERD_BUILD/pam_approverd.so" "$T/client.conf" >"$T/pam.d/bench-debug"
printf 'auth required pam_permit.so\naccount required %s config=%s mode=login require=bench-uids:*\naccount required pam_permit.so\n' \
	"$APPROVERD_BUILD/pam_approverd.so" "$T/client-uids.conf" >"$T/pam.d/bench-uids"
# the floors (callgrind only): bench/null_pam.so in the module's place
printf 'auth required pam_permit.so\naccount required %s\naccount required pam_permit.so\n' \
	"$BENCH_BIN/null_pam.so" >"$T/pam.d/bench-null"
printf 'auth required pam_permit.so\naccount required %s nss\naccount required pam_permit.so\n' \
	"$BENCH_BIN/null_pam.so" >"$T/pam.d/bench-nssfloor"
# the auth phase: the same module and arguments in the auth stack
printf 'auth required %s config=%s mode=login require=bench-auth:*\nauth required pam_permit.so\naccount required pam_permit.so\n' \
	"$APPROVERD_BUILD/pam_approverd.so" "$T/client.conf" >"$T/pam.d/bench-auth"
chmod 0644 "$T/pam.d/bench-permit" "$T/pam.d/bench-approverd" "$T/pam.d/bench-debug" \
	"$T/pam.d/bench-auth" "$T/pam.d/bench-uids" "$T/pam.d/bench-null" \
	"$T/pam.d/bench-nssfloor"
# su: Debian's file as is, and with the module in its account stack
SU_PAM=$T/pam.d/su
[ -f "$SU_PAM" ] || bench_fail "no /etc/pam.d/su to start from"
cp "$SU_PAM" "$T/su.plain" 2>/dev/null
su_with() { # config extra-module-arguments
	awk -v m="account required $APPROVERD_BUILD/pam_approverd.so config=$1 require=su:*$2" \
		'/^@include common-account/ && !done { print m; done = 1 } { print }' \
		"$T/su.plain"
}
su_with "$T/client.conf" "" >"$T/su.approverd"
su_with "$T/client.conf" " debug" >"$T/su.debug"
su_with "$T/client-uids.conf" "" >"$T/su.uids"
grep -q pam_approverd "$T/su.approverd" || bench_fail "no common-account line in /etc/pam.d/su"
chmod 0644 "$T/su.plain" "$T/su.approverd" "$T/su.debug" "$T/su.uids"
su_use() { cat "$T/su.$1" >"$SU_PAM"; }
ns_bind "$T/pam.d" /etc/pam.d || { bench_fail "bind /etc/pam.d"; bench_done; }

# The module runs as for a login service whose (service, user) pair needs
# approval (mode=login require=SERVICE:*), so it reads its config and
# decides from [subjects] that alice is no AI subject: the full human path.
# sanity: both stacks pass a human; the module really judges alice (debug
# line) and refuses ai-deploy (no daemon listens)
"$SP" -q -n 1 -- "$PT" bench-permit alice acct_mgmt >/dev/null || bench_fail "permit stack"
"$SP" -q -n 1 -- "$PT" bench-approverd alice acct_mgmt >/dev/null || bench_fail "approverd stack"
"$SP" -q -n 1 -- "$PT" bench-debug alice acct_mgmt >/dev/null || bench_fail "debug stack"
"$SP" -q -n 1 -- "$PT" bench-auth alice authenticate >/dev/null || bench_fail "auth stack"
if "$SP" -q -n 1 -- "$PT" bench-auth ai-deploy authenticate >/dev/null 2>&1; then
	bench_fail "pam_approverd (auth) did not refuse ai-deploy without a daemon"
fi
syslog_wait 'bench-debug as alice: no AI subject' 5 ||
	bench_fail "pam_approverd did not judge alice (debug line missing)"
"$SP" -q -n 1 -- "$PT" bench-uids alice acct_mgmt >/dev/null || bench_fail "uids stack"
"$SP" -q -n 1 -- "$PT" bench-null alice acct_mgmt >/dev/null || bench_fail "null stack"
"$SP" -q -n 1 -- "$PT" bench-nssfloor alice acct_mgmt >/dev/null || bench_fail "nssfloor stack"
if "$SP" -q -n 1 -- "$PT" bench-uids ai-deploy acct_mgmt >/dev/null 2>&1; then
	bench_fail "pam_approverd (uids) did not refuse ai-deploy without a daemon"
fi
if "$SP" -q -n 1 -- "$PT" bench-approverd ai-deploy acct_mgmt >/dev/null 2>&1; then
	bench_fail "pam_approverd did not refuse ai-deploy without a daemon"
fi
# su: every file lets root become alice, and the module really judges
# root, the initiator (debug line)
for v in plain approverd debug; do
	su_use "$v"
	"$SP" -q -n 1 -- /bin/su -s /bin/true alice >/dev/null || bench_fail "su with su.$v"
done
syslog_wait 'su as alice: no AI subject' 5 ||
	bench_fail "pam_approverd did not judge root in su (debug line missing)"

# timed WALL CPU WHAT COMMAND...: one quiet run as root; its wall and CPU
# times appended to the lists named WALL and CPU
timed() {
	_w=$1 _c=$2 _what=$3
	shift 3
	out=$("$SP" -q -n 1 -- "$@") || { bench_fail "$_what"; return 1; }
	bench_add "$_w" "$_c" "$out"
}
K=$([ "${BENCH_QUICK:-0}" = 1 ] && echo 10 || echo 30)
pp=; pa=; cpp=; cpa=; sup=; sua=; csup=; csua=; ap=; aa=; cap=; caa=; r=0
while [ "$r" -lt "$BENCH_ROUNDS" ]; do
	# alternate the two stacks run by run: load drift hits both
	wp=; wa=; up=; ua=; vp=; va=; xp=; xa=; tp=; ta=; yp=; ya=; k=0
	while [ "$k" -lt "$K" ]; do
		su_use plain
		timed vp xp "su plain" /bin/su -s /bin/true alice
		su_use approverd
		timed va xa "su approverd" /bin/su -s /bin/true alice
		timed wp up "pamtester bench-permit" "$PT" bench-permit alice acct_mgmt
		timed wa ua "pamtester bench-approverd" "$PT" bench-approverd alice acct_mgmt
		timed tp yp "pamtester bench-permit authenticate" \
			"$PT" bench-permit alice authenticate
		timed ta ya "pamtester bench-auth authenticate" \
			"$PT" bench-auth alice authenticate
		k=$((k + 1))
	done
	# shellcheck disable=SC2086
	{
	bench_keep pp $wp; bench_keep cpp $up; bench_keep pa $wa; bench_keep cpa $ua
	bench_keep sup $vp; bench_keep csup $xp; bench_keep sua $va; bench_keep csua $xa
	bench_keep ap $tp; bench_keep cap $yp; bench_keep aa $ta; bench_keep caa $ya
	}
	r=$((r + 1))
done
echo "# $K pamtester runs (account, auth) and $K su runs per stack per round, stacks"
echo "# alternating run by run (value = median of the round's runs)"
# shellcheck disable=SC2086
{
bench_fig pam_acct_human_permit_only_us us $pp
bench_fig pam_acct_human_approverd_us us $pa
bench_fig pam_acct_human_permit_only_cpu_us us $cpp
bench_fig pam_acct_human_approverd_cpu_us us $cpa
bench_fig pam_auth_human_permit_only_us us $ap
bench_fig pam_auth_human_approverd_us us $aa
bench_fig pam_auth_human_permit_only_cpu_us us $cap
bench_fig pam_auth_human_approverd_cpu_us us $caa
bench_fig su_human_plain_us us $sup
bench_fig su_human_approverd_us us $sua
bench_fig su_human_plain_cpu_us us $csup
bench_fig su_human_approverd_cpu_us us $csua
[ -n "$sup" ] && [ -n "$sua" ] &&
	awk -v a="$(bench_median $sua)" -v b="$(bench_median $sup)" \
	    -v c="$(bench_median $csua)" -v d="$(bench_median $csup)" 'BEGIN {
		if (b > 0 && d > 0)
			printf "# su wall approverd/plain %.3f, CPU %.3f\n", a / b, c / d }'
}
if command -v valgrind >/dev/null 2>&1; then
	pam_ir() { # NAME SERVICE PHASE: instructions of one pamtester run in ir_NAME
		valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			"$PT" "$2" alice "$3" >/dev/null 2>"$T/vg.$1" ||
			bench_fail "callgrind pamtester $2 $3"
		eval "ir_$1=\$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' \"\$T/vg.\$1\")"
	}
	ir_ratio() { # LABEL NUMERATOR DENOMINATOR [NOTE]: one "# instructions:" line
		[ -n "$2" ] && [ -n "$3" ] &&
			awk -v l="$1" -v a="$2" -v b="$3" -v n="${4:-}" 'BEGIN {
				printf "# instructions: %s %.3f%s\n", l, a / b, (n != "" ? " " n : "") }'
	}
	pam_ir permit bench-permit acct_mgmt
	pam_ir approverd bench-approverd acct_mgmt
	pam_ir auth bench-auth authenticate
	pam_ir authpermit bench-permit authenticate
	pam_ir uids bench-uids acct_mgmt
	pam_ir null bench-null acct_mgmt
	pam_ir nssfloor bench-nssfloor acct_mgmt
	# shellcheck disable=SC2154,SC2086 # set through eval above; one value
	{
	bench_fig pam_acct_human_permit_only_ir instr $ir_permit
	bench_fig pam_acct_human_approverd_ir instr $ir_approverd
	ir_ratio approverd/permit "$ir_approverd" "$ir_permit"
	bench_fig pam_acct_human_uids_ir instr $ir_uids
	ir_ratio uids/permit "$ir_uids" "$ir_permit" "([subjects] uids alone)"
	bench_fig pam_acct_human_null_ir instr $ir_null
	ir_ratio null/permit "$ir_null" "$ir_permit" "(the floor of any module)"
	bench_fig pam_acct_human_nssfloor_ir instr $ir_nssfloor
	ir_ratio nssfloor/permit "$ir_nssfloor" "$ir_permit" "(+ one getpwnam_r)"
	ir_ratio uids/nssfloor "$ir_uids" "$ir_nssfloor" \
		"(what approverd adds above that floor)"
	bench_fig pam_auth_human_permit_only_ir instr $ir_authpermit
	bench_fig pam_auth_human_approverd_ir instr $ir_auth
	ir_ratio "auth approverd/permit" "$ir_auth" "$ir_authpermit"
	}
	# valgrind cannot run a setuid file: a plain copy of su, run as root.
	# Should su fork before its exec, every traced process's count is
	# summed; the exec'd /bin/true is not traced.
	cp /bin/su "$T/su.copy" && chmod 0755 "$T/su.copy"
	for v in plain approverd uids; do
		su_use "$v"
		valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			"$T/su.copy" -s /bin/true alice >/dev/null 2>"$T/vg.su.$v" ||
			bench_fail "callgrind su with su.$v"
		eval "su_ir_$v=\$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' \"\$T/vg.su.\$v\" |
			awk '{ s += \$1 } END { if (NR) print s }')"
	done
	# shellcheck disable=SC2154,SC2086 # set through eval above; one value
	{
	bench_fig su_human_plain_ir instr $su_ir_plain
	bench_fig su_human_approverd_ir instr $su_ir_approverd
	bench_fig su_human_uids_ir instr $su_ir_uids
	[ -n "$su_ir_plain" ] && [ -n "$su_ir_approverd" ] &&
		awk -v a="$su_ir_approverd" -v b="$su_ir_plain" 'BEGIN {
			printf "# instructions: su approverd/plain %.3f (+%d)\n", a / b, a - b }'
	[ -n "$su_ir_plain" ] && [ -n "$su_ir_uids" ] &&
		awk -v a="$su_ir_uids" -v b="$su_ir_plain" 'BEGIN {
			printf "# instructions: su uids/plain %.3f (+%d)\n", a / b, a - b }'
	}
else
	echo "# valgrind not installed: no instruction counts"
fi
# ---- AI su with an approved request, against a real daemon
dl_setup "[role sre]
members = alice

[default]
require = 1 sre" >/dev/null || { bench_fail "dl_setup"; bench_done; }
dl_key alice alice || { bench_fail "dl_key"; bench_done; }
dl_start || { bench_fail "daemon start"; bench_done; }
ns_client_conf 0 "$DL_SOCK" || { bench_fail "client config"; bench_done; }
ai_stack() { # extra account line
	printf 'auth sufficient pam_rootok.so\nauth required pam_permit.so\n%saccount required pam_permit.so\nsession required pam_permit.so\n' "$1"
}
ai_stack "" >"$T/su.aiplain"
ai_stack "account required $APPROVERD_BUILD/pam_approverd.so config=$T/approverd.conf
" >"$T/su.aiapproverd"
chmod 0644 "$T/su.aiplain" "$T/su.aiapproverd"
AIRE='R-[0-9A-F]\{4\}-[0-9A-F]\{4\}'
# sanity: the module holds ai-deploy (pending, with an id); the plain stack
# does not
su_use aiapproverd
msg=$("$SP" -a -u ai-deploy -n 1 -- /bin/su -c "true ai-sanity" root 2>&1)
printf '%s\n' "$msg" | grep -q "$AIRE" || bench_fail "module did not hold ai-deploy's su: $msg"
su_use aiplain
"$SP" -q -u ai-deploy -n 1 -- /bin/su -c "true ai-sanity" root >/dev/null ||
	bench_fail "plain su stack refused ai-deploy"
# timed_ai_su WALL CPU STACK ARG: ai-deploy's `su -c "true ARG" root` with
# that stack; its wall and CPU times appended to the lists WALL and CPU
timed_ai_su() {
	su_use "$3"
	out=$("$SP" -u ai-deploy -n 1 -- /bin/su -c "true $4" root 2>&1) ||
		{ bench_fail "ai-deploy's su ($4), $3 stack: $out"; return 1; }
	bench_add "$1" "$2" "$out"
}
KA=$([ "${BENCH_QUICK:-0}" = 1 ] && echo 3 || echo 8)
gn=; ga=; cgn=; cga=; r=0
while [ "$r" -lt "$BENCH_ROUNDS" ]; do
	su_use aiapproverd
	i=0
	while [ "$i" -lt "$KA" ]; do
		msg=$("$SP" -a -u ai-deploy -n 1 -- /bin/su -c "true ai-$r-$i" root 2>&1)
		id=$(printf '%s\n' "$msg" | grep -o "$AIRE" | head -n 1)
		ctl approve "$id" -k "$T/keys/alice.key" --yes >/dev/null 2>&1 ||
			{ bench_fail "approve '$id': $msg"; break; }
		i=$((i + 1))
	done
	# both runs send su's output to the same pipe (alike but for the module)
	pw=; aw=; pc=; ac=; i=0
	while [ "$i" -lt "$KA" ]; do
		timed_ai_su pw pc aiplain "ai-$r-$i" || break
		timed_ai_su aw ac aiapproverd "ai-$r-$i" || break
		i=$((i + 1))
	done
	# shellcheck disable=SC2086 # the lists are split on purpose
	{ bench_keep gn $pw; bench_keep cgn $pc; bench_keep ga $aw; bench_keep cga $ac; }
	r=$((r + 1))
done
dl_stop
echo "# AI su: $KA commands per round, each run with the module left out, then"
echo "# with it (it consumes its approval); value = median of the round's runs"
bench_consumes $((KA * BENCH_ROUNDS)) "su runs"
# shellcheck disable=SC2086
{
bench_fig su_ai_plain_us us $gn
bench_fig su_ai_approved_us us $ga
bench_fig su_ai_plain_cpu_us us $cgn
bench_fig su_ai_approved_cpu_us us $cga
}
bench_done
