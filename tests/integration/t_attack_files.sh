#!/bin/sh
# Trusted files only (DESIGN.md §4.7; issue 9 attack matrix): the config,
# the policy, an approver key, the host key and the evidence file replaced
# by a symlink, a FIFO, a group/world-writable file or a file owned by
# another user: approverd refuses to start (within 5 s — a FIFO must not
# hang it), with a message naming the file, and serves again once the file
# is put right. Each case starts from a pristine copy. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
ns_must "config" dl_setup
ns_must "key alice" dl_key alice alice
# a first start creates the host key and the evidence file
ns_must "daemon starts" dl_start
dl_stop
HOSTKEY=$DL_ETC/host.key
PUB=$DL_APPROVERS/alice.pub
mkdir -p "$T/pristine" "$T/elsewhere"
for f in "$DL_CONF" "$DL_POLICY" "$PUB" "$HOSTKEY" "$DL_EVIDENCE"; do
	cp -p "$f" "$T/pristine/$(basename "$f")"
done

restore() { # path
	rm -f "$1"
	cp -p "$T/pristine/$(basename "$1")" "$1"
}
attack() { # kind path
	case $1 in
	symlink)
		cp -p "$2" "$T/elsewhere/$(basename "$2")"
		rm -f "$2" && ln -s "$T/elsewhere/$(basename "$2")" "$2" ;;
	fifo) rm -f "$2" && mkfifo -m 0600 "$2" ;;
	world-writable) chmod o+w "$2" ;;
	group-writable) chmod g+w "$2" ;;
	world-readable) chmod o+r "$2" ;;
	foreign-owner) chown 2001:2001 "$2" ;;
	esac
}
# the daemon must refuse: exit non-zero within 5 s, naming the file
refuses() { # kind path desc
	attack "$1" "$2"
	out=$(timeout $((5 * ${DL_SLOW:-1})) "$DL_BIN" -f -c "$DL_CONF" 2>&1 </dev/null); rc=$?
	restore "$2"
	if [ "$rc" -eq 124 ]; then
		tap_fail "$3: refused (the daemon hung or started: killed by timeout)"
	else
		tap_isnt "$rc" 0 "$3: approverd refuses to start"
	fi
	tap_like "$out" "$(basename "$2")" "$3: ...with a message naming the file"
	[ -n "${SEC_VERBOSE:-}" ] && tap_diag "$out"
}

for k in symlink fifo world-writable foreign-owner; do
	refuses "$k" "$DL_CONF" "config file $k"
done
for k in symlink fifo group-writable foreign-owner; do
	refuses "$k" "$DL_POLICY" "policy file $k"
done
for k in symlink fifo world-writable foreign-owner; do
	refuses "$k" "$PUB" "approver key $k"
done
for k in symlink fifo world-readable foreign-owner; do
	refuses "$k" "$HOSTKEY" "host key $k"
done
for k in symlink fifo world-writable foreign-owner; do
	refuses "$k" "$DL_EVIDENCE" "evidence file $k"
done

ns_must "daemon starts again with the files put right" dl_start
tap_ok "files put right: the daemon serves" dl_healthy
tap_like "$(adc create -- /usr/bin/systemctl restart nginx)" '^pending ' "files put right: requests are served"
# a file swapped for a symlink while running: a refused reload keeps the old one
attack symlink "$DL_POLICY"
kill -HUP "$DL_PID"
wait_for 5 grep -q "reload refused" "$DL_LOG"
tap_like "$(cat "$DL_LOG")" "reload refused, keeping the old config: .*policy.conf" "policy swapped for a symlink at runtime: SIGHUP reload refused"
tap_ok "...the daemon still serves" dl_healthy
restore "$DL_POLICY"
dl_stop
tap_ok "verify-log passes" sh -c "\"$DL_CTL\" verify-log --host-key \"$DL_ETC/host.pub\" \"$DL_EVIDENCE\" >/dev/null"
tap_done
