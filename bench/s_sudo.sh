#!/bin/sh
# shellcheck disable=SC2034 # per-variant lists are read through eval
# bench/s_sudo.sh — real setuid sudo (1.9) in a private mount namespace
# (tests/integration/lib.sh): the same `sudo -n true` timed with three
# /etc/sudo.conf variants, switched in place between batches so that every
# round measures all of them side by side:
#   none     sudoers plugins only (the baseline)
#   plugin   + approverd_approval/approverd_audit (sudo_approverd.so)
#   json     + sudo's own audit_json plugin (a second baseline)
#   null     + bench/null_plugin.so, an approval plugin whose open() and
#            check() return 1 and do nothing else: the floor of ANY
#            approval plugin (null/none), and what approverd adds on top
#            of it (plugin/null)
#   uids     the plugin of `plugin`, with [subjects] uids = 2001-2099
#            instead of users/groups: no name-service look-up for a human
#   nssfloor nssfloor_plugin.so (null_plugin.c built with its look-ups)
#            with users=ai-deploy groups=ai-agents: the null plugin plus the name-service look-ups the front makes
#            for a human with those [subjects] (getgrnam_r ai-agents,
#            getgrouplist of the user, getpwnam_r ai-deploy): the floor of
#            any plugin that judges users/groups (nssfloor/none), and what
#            approverd adds above it (plugin/nssfloor); instruction counts
#            only, not in the timed rounds
# Human: dave (NOPASSWD). AI: ai-deploy running `sudo -n true ARG` covered
# by an approved, unconsumed request (made untimed before the round's timed
# runs: one refused sudo run creates the pending request, approverctl
# approve signs it with alice's key), against the very same command with no
# plugin, the two variants alternating run by run; and, in the same
# alternation, `sudo -n true grant-...` covered by a standing grant (made
# once, untimed: approverctl grant ... -k alice's key), one use per run,
# in more runs a round (KG) than the approved ones (KA, each needing an
# approval).
# With valgrind installed, also the instruction counts (callgrind, not
# disturbed by other load) of one `sudo -n true` per variant, run as root
# by a non-setuid copy of sudo: root is no AI subject, so the plugin takes
# the same human path as for dave.
. "$APPROVERD_TOP/tests/integration/lib.sh"
ns_reexec "$0" "$@"
. "$APPROVERD_TOP/tests/integration/daemon_lib.sh"
. "$APPROVERD_TOP/bench/lib.sh"
SP=$BENCH_BIN/bench_spawn
SUDO=$(command -v sudo)
SO=$APPROVERD_BUILD/sudo_approverd.so
NULL_SO=$BENCH_BIN/null_plugin.so
NSSFLOOR_SO=$BENCH_BIN/nssfloor_plugin.so

ns_users >/dev/null 2>&1 || { bench_fail "ns_users"; bench_done; }
ns_devlog || { bench_fail "ns_devlog"; bench_done; }
# `sudo -n true grant-...` may be covered by a standing grant; everything
# else needs one approval from alice (sre)
dl_setup "[role sre]
members = alice

[rule true-grant]
command = /usr/bin/true grant-*
require = 1 sre
grant_max_ttl = 1d
grant_max_uses = 1000

[default]
require = 1 sre" >/dev/null || { bench_fail "dl_setup"; bench_done; }
dl_key alice alice || { bench_fail "dl_key"; bench_done; }
dl_start || { bench_fail "daemon start"; bench_done; }
ns_sudo "dave ALL=(ALL) NOPASSWD: ALL
ai-deploy ALL=(ALL) NOPASSWD: ALL" || { bench_fail "ns_sudo"; bench_done; }

# the clients read only [subjects] and [client]
ns_file "$T/client.conf" 0644 "[subjects]
users = ai-deploy
groups = ai-agents

[client]
socket = $DL_SOCK
wait = 0"
BASE="Plugin sudoers_policy sudoers.so
Plugin sudoers_io sudoers.so
Plugin sudoers_audit sudoers.so"
printf '%s\nSet disable_coredump true\n' "$BASE" >"$T/conf.none"
printf '%s\nPlugin approverd_approval %s config=%s\nPlugin approverd_audit %s\nSet disable_coredump true\n' \
	"$BASE" "$SO" "$T/client.conf" "$SO" >"$T/conf.plugin"
mkdir -p "$T/json" && chmod 0700 "$T/json"
printf '%s\nPlugin audit_json audit_json.so logfile=%s/sudo_audit.json\nSet disable_coredump true\n' \
	"$BASE" "$T/json" >"$T/conf.json"
printf '%s\nPlugin null_approval %s\nSet disable_coredump true\n' \
	"$BASE" "$NULL_SO" >"$T/conf.null"
printf '%s\nPlugin null_approval %s users=ai-deploy groups=ai-agents\nSet disable_coredump true\n' \
	"$BASE" "$NSSFLOOR_SO" >"$T/conf.nssfloor"
# the same clients, AI subjects named by uid range (ns_users: 2001, 2002)
ns_file "$T/client-uids.conf" 0644 "[subjects]
uids = 2001-2099

[client]
socket = $DL_SOCK
wait = 0"
printf '%s\nPlugin approverd_approval %s config=%s\nPlugin approverd_audit %s\nSet disable_coredump true\n' \
	"$BASE" "$SO" "$T/client-uids.conf" "$SO" >"$T/conf.uids"
use() { cat "$T/conf.$1" >"$T/etc/sudo.conf"; }

# sanity: each variant really works, and the plugin really holds ai-deploy
for v in none plugin json null uids nssfloor; do
	use "$v"
	"$SP" -q -u dave -n 1 -- "$SUDO" -n true >/dev/null ||
		bench_fail "human sudo with variant $v"
done
for v in plugin uids; do
	use "$v"
	out=$("$SP" -a -u ai-deploy -n 1 -- "$SUDO" -n true "held-$v" 2>&1)
	case $out in *R-*) ;; *) bench_fail "$v did not hold ai-deploy: $out" ;; esac
done
# nssfloor judges: it refuses ai-deploy (NOPASSWD in sudoers), so its
# options reached it
use nssfloor
"$SP" -q -u ai-deploy -n 1 -- "$SUDO" -n true >/dev/null 2>&1 &&
	bench_fail "nssfloor let ai-deploy run"
use json
"$SP" -q -u dave -n 1 -- "$SUDO" -n true >/dev/null
[ -s "$T/json/sudo_audit.json" ] || bench_fail "audit_json wrote nothing"

# one standing grant for ai-deploy's `true grant-*` runs, signed by alice
out=$(ctl grant --requester ai-deploy --rule true-grant --ttl 1d --uses 1000 \
	-k "$T/keys/alice.key" --yes 2>&1) || bench_fail "grant: $out"
case $out in *active*) ;; *) bench_fail "grant not active: $out" ;; esac

K=$([ "${BENCH_QUICK:-0}" = 1 ] && echo 10 || echo 30)
KA=$([ "${BENCH_QUICK:-0}" = 1 ] && echo 3 || echo 8)
KG=$([ "${BENCH_QUICK:-0}" = 1 ] && echo 10 || echo 24) # >= KA
hn=; hp=; hj=; hz=; hr=; an=; aa=; ag=; cn=; cp=; cj=; cz=; cr=; can=; caa=; cag=
med() { bench_val spawn_us_median "$1"; }
letter() { case $1 in none) echo n ;; plugin) echo p ;; json) echo j ;; null) echo z ;; uids) echo r ;; esac; }
cpu() { bench_val spawn_cpu_us_median "$1"; }
r=0
while [ "$r" -lt "$BENCH_ROUNDS" ]; do
	# one run of each variant in turn, K times: load drift hits them all
	wn=; wp=; wj=; wz=; wr=; un=; up=; uj=; uz=; ur=; k=0
	while [ "$k" -lt "$K" ]; do
		for v in none plugin json null uids; do
			use "$v"
			out=$("$SP" -q -u dave -n 1 -- "$SUDO" -n true) ||
				bench_fail "human $v"
			x=$(letter "$v")
			eval "w$x=\"\$w$x $(med "$out")\""
			eval "u$x=\"\$u$x $(cpu "$out")\""
		done
		k=$((k + 1))
	done
	for x in n p j z r; do
		eval "h$x=\"\$h$x \$(bench_median \$w$x)\""
		eval "c$x=\"\$c$x \$(bench_median \$u$x)\""
	done
	# AI: first (untimed) KA requests for distinct commands, each refused
	# once (pending) and approved by alice; then each command runs twice,
	# without and with the plugin, run by run, so that load drift and the
	# approverctl runs before (argon2id) hit both variants alike
	use plugin
	i=0
	while [ "$i" -lt "$KA" ]; do
		msg=$("$SP" -a -u ai-deploy -n 1 -- "$SUDO" -n true "ai-$r-$i" 2>&1)
		id=$(printf '%s\n' "$msg" | grep -o 'R-[0-9A-F]\{4\}-[0-9A-F]\{4\}' | head -n 1)
		ctl approve "$id" -k "$T/keys/alice.key" --yes >/dev/null 2>&1 ||
			{ bench_fail "approve '$id': $msg"; break; }
		i=$((i + 1))
	done
	# ... and a command the standing grant covers (one use per run; KG
	# of them, more than KA: a grant needs no approval per run, and the
	# round's median of 8 runs moved by more than the ratio's margin)
	wn=; wp=; wg=; un=; up=; ug=; i=0
	while [ "$i" -lt "$KG" ]; do
		use none # its output goes to the same pipe as the plugin runs
		out=$("$SP" -u ai-deploy -n 1 -- "$SUDO" -n true "ai-$r-$i" 2>&1) ||
			{ bench_fail "AI none: $out"; break; }
		wn="$wn $(med "$out")"
		un="$un $(cpu "$out")"
		use plugin
		if [ "$i" -lt "$KA" ]; then
			out=$("$SP" -u ai-deploy -n 1 -- "$SUDO" -n true "ai-$r-$i" 2>&1) ||
				{ bench_fail "approved AI run ai-$r-$i: $out"; break; }
			wp="$wp $(med "$out")"
			up="$up $(cpu "$out")"
		fi
		out=$("$SP" -u ai-deploy -n 1 -- "$SUDO" -n true "grant-$r-$i" 2>&1) ||
			{ bench_fail "granted AI run grant-$r-$i: $out"; break; }
		wg="$wg $(med "$out")"
		ug="$ug $(cpu "$out")"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086 # the lists are split on purpose
	{
	an="$an $(bench_median $wn)"
	can="$can $(bench_median $un)"
	aa="$aa $(bench_median $wp)"
	caa="$caa $(bench_median $up)"
	ag="$ag $(bench_median $wg)"
	cag="$cag $(bench_median $ug)"
	}
	r=$((r + 1))
done
echo "# human: $K runs per variant per round, variants alternating run by run"
echo "# (value = median of the round's runs)"
echo "# AI: $KG runs per round without the plugin, each followed by one with the"
echo "# plugin covered by the standing grant, and for the first $KA of them also by"
echo "# an approved request (which it consumes); value = median of the round's runs"
# shellcheck disable=SC2086
{
bench_fig sudo_human_none_us us $hn
bench_fig sudo_human_plugin_us us $hp
bench_fig sudo_human_auditjson_us us $hj
bench_fig sudo_human_nullplugin_us us $hz
bench_fig sudo_human_uids_us us $hr
bench_fig sudo_ai_none_us us $an
bench_fig sudo_ai_approved_plugin_us us $aa
bench_fig sudo_ai_grant_plugin_us us $ag
bench_fig sudo_human_none_cpu_us us $cn
bench_fig sudo_human_plugin_cpu_us us $cp
bench_fig sudo_human_auditjson_cpu_us us $cj
bench_fig sudo_human_nullplugin_cpu_us us $cz
bench_fig sudo_human_uids_cpu_us us $cr
bench_fig sudo_ai_none_cpu_us us $can
bench_fig sudo_ai_approved_plugin_cpu_us us $caa
bench_fig sudo_ai_grant_plugin_cpu_us us $cag
}
# Instruction counts: deterministic to ~0.1%, unlike wall and CPU time here.
if command -v valgrind >/dev/null 2>&1; then
	cp "$SUDO" "$T/sudo.copy" && chmod 0755 "$T/sudo.copy"
	for v in none plugin json null uids nssfloor; do
		use "$v"
		valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			"$T/sudo.copy" -n true >/dev/null 2>"$T/vg.$v" ||
			bench_fail "callgrind sudo variant $v"
		eval "ir_$v=\$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' \"\$T/vg.\$v\")"
	done
	# shellcheck disable=SC2154,SC2086 # set through eval above; one value
	{
	bench_fig sudo_human_none_ir instr $ir_none
	bench_fig sudo_human_plugin_ir instr $ir_plugin
	bench_fig sudo_human_auditjson_ir instr $ir_json
	bench_fig sudo_human_nullplugin_ir instr $ir_null
	bench_fig sudo_human_uids_ir instr $ir_uids
	bench_fig sudo_human_nssfloor_ir instr $ir_nssfloor
	[ -n "$ir_none" ] && [ -n "$ir_uids" ] &&
		awk -v a="$ir_uids" -v b="$ir_none" 'BEGIN {
			printf "# instructions: uids/none %.4f ([subjects] uids alone)\n", a / b }'
	[ -n "$ir_none" ] && [ -n "$ir_plugin" ] && [ -n "$ir_json" ] &&
		awk -v a="$ir_plugin" -v b="$ir_none" -v c="$ir_json" 'BEGIN {
			printf "# instructions: plugin/none %.3f, auditjson/none %.3f, plugin/auditjson %.3f\n",
				a / b, c / b, a / c }'
	[ -n "$ir_none" ] && [ -n "$ir_plugin" ] && [ -n "$ir_null" ] &&
		awk -v a="$ir_plugin" -v b="$ir_none" -v z="$ir_null" 'BEGIN {
			printf "# instructions: plugin/null %.3f, null/none %.3f (+%d for any approval plugin, +%d for approverd on top)\n",
				a / z, z / b, z - b, a - z }'
	[ -n "$ir_none" ] && [ -n "$ir_plugin" ] && [ -n "$ir_nssfloor" ] &&
		awk -v a="$ir_plugin" -v b="$ir_none" -v f="$ir_nssfloor" 'BEGIN {
			printf "# instructions: plugin/nssfloor %.3f, nssfloor/none %.4f (+%d for any plugin judging users/groups, +%d for approverd above that floor)\n",
				a / f, f / b, f - b, a - f }'
	}
else
	echo "# valgrind not installed: no instruction counts"
fi
n=$(dl_ev_count '"event":"consume"')
echo "# evidence: $n consume records"
dl_stop
bench_done
