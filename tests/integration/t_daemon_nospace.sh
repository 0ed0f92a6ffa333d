#!/bin/sh
# No evidence, no access (DESIGN.md §4.1): with the evidence on a tiny tmpfs
# that fills up, AI requests are refused (and nothing is acknowledged that
# is not durable); once space is back they are served again and the chain
# stays valid. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
mkdir -p "$T/small"
ns_must "tiny tmpfs for the evidence" mount -t tmpfs -o size=64k,mode=0700 tmpfs "$T/small"
DL_EVIDENCE=$T/small/evidence.log
ns_must "config" dl_setup
ns_must "key alice" dl_key alice alice
ns_must "daemon starts" dl_start

id=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx)")
tap_like "$(adc status "$id")" '"state":"pending"' "a request is served while there is space"

# fill the file system (the filler is ours to remove later); records that
# still fit in the file's last page are durable and may be acknowledged, so
# create until the first refusal
dd if=/dev/zero of="$T/small/filler" bs=1k count=1024 2>/dev/null
n=0
while [ $n -lt 50 ]; do
	out=$(adc create -- /usr/bin/systemctl restart "db$n")
	case $out in error*) break ;; esac
	n=$((n + 1))
done
tap_like "$out" '^error nospace' "evidence full: a new AI request is refused (nospace)"
before=$(wc -l <"$DL_EVIDENCE")
tap_like "$(adc create -- /usr/bin/systemctl restart db99)" '^error nospace' "...and refused again while it stays full"
tap_like "$(adc status "$id")" '"state":"pending"' "earlier requests are still served (status)"
tap_like "$(adc create -- /usr/bin/journalctl -u x)" '^error nospace' "evidence full: even an allow rule is refused"
tap_like "$(ctl health 2>&1)" 'evidence nospace' "health reports the evidence problem"
health_quiet() { ctl health >/dev/null 2>&1; }
tap_nok "health exits non-zero while evidence is failing" health_quiet
tap_is "$(wc -l <"$DL_EVIDENCE")" "$before" "no partial record was left behind"
tap_ok "daemon keeps serving (health answers)" dl_healthy

rm -f "$T/small/filler"
out=$(adc create -- /usr/bin/systemctl restart db1)
tap_like "$out" '^pending ' "space back: AI requests are served again"
tap_like "$(ctl approve "$id" -k "$T/keys/alice.key" --yes 2>/dev/null)" "^$id approved" "space back: an approval is taken"
tap_like "$(ctl health)" 'evidence ok' "health is ok again"
dl_stop
tap_ok "verify-log passes (chain intact across the full disk)" sh -c "\"$DL_CTL\" verify-log --host-key \"$DL_ETC/host.pub\" \"$DL_EVIDENCE\" >/dev/null"
umount "$T/small"
tap_done
