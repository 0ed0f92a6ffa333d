#!/bin/sh
# bench/s_pam.sh — the PAM account phase for a human (alice) through real
# Linux-PAM via pamtester, in a private mount namespace with a
# bind-mounted /etc/pam.d: a stack with pam_approverd.so + pam_permit.so
# vs the same stack with pam_permit.so only, batches alternating.
# With valgrind installed, also the instruction counts (callgrind) of one
# pamtester run per stack, not disturbed by other load.
. "$APPROVERD_TOP/tests/integration/lib.sh"
ns_reexec "$0" "$@"
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
cp -a /etc/pam.d "$T/pam.d" || { bench_fail "copy /etc/pam.d"; bench_done; }
printf 'auth required pam_permit.so\naccount required pam_permit.so\n' \
	>"$T/pam.d/bench-permit"
printf 'auth required pam_permit.so\naccount required %s config=%s mode=login require=bench-approverd:*\naccount required pam_permit.so\n' \
	"$APPROVERD_BUILD/pam_approverd.so" "$T/client.conf" >"$T/pam.d/bench-approverd"
printf 'auth required pam_permit.so\naccount required %s config=%s mode=login require=bench-debug:* debug\naccount required pam_permit.so\n' \
	"$APPROVERD_BUILD/pam_approverd.so" "$T/client.conf" >"$T/pam.d/bench-debug"
chmod 0644 "$T/pam.d/bench-permit" "$T/pam.d/bench-approverd" "$T/pam.d/bench-debug"
ns_bind "$T/pam.d" /etc/pam.d || { bench_fail "bind /etc/pam.d"; bench_done; }

# The module runs as for a login service whose (service, user) pair needs
# approval (mode=login require=SERVICE:*), so it reads its config and
# decides from [subjects] that alice is no AI subject: the full human path.
# sanity: both stacks pass a human; the module really judges alice (debug
# line) and refuses ai-deploy (no daemon listens)
"$SP" -q -n 1 -- "$PT" bench-permit alice acct_mgmt >/dev/null || bench_fail "permit stack"
"$SP" -q -n 1 -- "$PT" bench-approverd alice acct_mgmt >/dev/null || bench_fail "approverd stack"
"$SP" -q -n 1 -- "$PT" bench-debug alice acct_mgmt >/dev/null || bench_fail "debug stack"
syslog_wait 'bench-debug as alice: no AI subject' 5 ||
	bench_fail "pam_approverd did not judge alice (debug line missing)"
if "$SP" -q -n 1 -- "$PT" bench-approverd ai-deploy acct_mgmt >/dev/null 2>&1; then
	bench_fail "pam_approverd did not refuse ai-deploy without a daemon"
fi

K=$([ "${BENCH_QUICK:-0}" = 1 ] && echo 10 || echo 30)
pp=; pa=; cpp=; cpa=; r=0
while [ "$r" -lt "$BENCH_ROUNDS" ]; do
	# alternate the two stacks run by run: load drift hits both
	wp=; wa=; up=; ua=; k=0
	while [ "$k" -lt "$K" ]; do
		out=$("$SP" -q -n 1 -- "$PT" bench-permit alice acct_mgmt) ||
			bench_fail "pamtester bench-permit"
		wp="$wp $(bench_val spawn_us_median "$out")"
		up="$up $(bench_val spawn_cpu_us_median "$out")"
		out=$("$SP" -q -n 1 -- "$PT" bench-approverd alice acct_mgmt) ||
			bench_fail "pamtester bench-approverd"
		wa="$wa $(bench_val spawn_us_median "$out")"
		ua="$ua $(bench_val spawn_cpu_us_median "$out")"
		k=$((k + 1))
	done
	# shellcheck disable=SC2086
	{
	pp="$pp $(bench_median $wp)"; cpp="$cpp $(bench_median $up)"
	pa="$pa $(bench_median $wa)"; cpa="$cpa $(bench_median $ua)"
	}
	r=$((r + 1))
done
echo "# $K pamtester runs per stack per round, stacks alternating run by run"
echo "# (value = median of the round's runs)"
# shellcheck disable=SC2086
{
bench_fig pam_acct_human_permit_only_us us $pp
bench_fig pam_acct_human_approverd_us us $pa
bench_fig pam_acct_human_permit_only_cpu_us us $cpp
bench_fig pam_acct_human_approverd_cpu_us us $cpa
}
if command -v valgrind >/dev/null 2>&1; then
	for s in permit approverd; do
		valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			"$PT" "bench-$s" alice acct_mgmt >/dev/null 2>"$T/vg.$s" ||
			bench_fail "callgrind pamtester bench-$s"
		eval "ir_$s=\$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' \"\$T/vg.\$s\")"
	done
	# shellcheck disable=SC2154,SC2086 # set through eval above; one value
	{
	bench_fig pam_acct_human_permit_only_ir instr $ir_permit
	bench_fig pam_acct_human_approverd_ir instr $ir_approverd
	[ -n "$ir_permit" ] && [ -n "$ir_approverd" ] &&
		awk -v a="$ir_approverd" -v b="$ir_permit" 'BEGIN {
			printf "# instructions: approverd/permit %.3f\n", a / b }'
	}
else
	echo "# valgrind not installed: no instruction counts"
fi
bench_done
