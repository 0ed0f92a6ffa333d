#!/bin/sh
# Review R8 (docs/REVIEW.md): a re-run matched on the execution digest
# (which leaves the sponsor out) must not reuse an approval given by the
# new run's own sponsor; re-runs match only within the same sponsor.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
ns_must "config" dl_setup
for k in alice bob carol; do ns_must "key $k" dl_key "$k" "$k"; done
ns_must "daemon starts" dl_start
sign() { # id key -> token on stdout
	ctl show "$1" --json | "$DL_CTL" sign -k "$T/keys/$2.key" --yes 2>/dev/null
}
submit() { ctl submit "$@" 2>&1; }
new() { dl_id "$(adc create "$@")"; }

# ---- R8: a re-run from the approver's own session reuses the approval
# The execution digest (re-run match) leaves the sponsor out, so a request
# created with no sponsor (agent started by a service manager) and approved
# by alice is consumed by the identical command run in alice's own session
# (login uid = alice, sponsor alice): alice approved what she sponsored.
id=$(new -- /usr/bin/systemctl restart nginx-r8)
tap_like "$(submit "$(sign "$id" alice)")" "^$id approved by alice" "R8 setup: alice approves a request without a sponsor"
again=$(adc create -s alice -- /usr/bin/systemctl restart nginx-r8)
tap_unlike "$again" "^approved $id" "R8: the identical command sponsored by alice does not reuse alice's approval"
id=$(new -- /usr/bin/systemctl restart nginx-r8b)
submit "$(sign "$id" bob)" >/dev/null
tap_like "$(adc create -- /usr/bin/systemctl restart nginx-r8b)" "^approved $id" "R8 control: the identical re-run without a sponsor reuses bob's approval"

tap_done
