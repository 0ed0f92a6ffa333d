#!/bin/sh
# Review (docs/REVIEW.md, finding R5): DESIGN.md §3 "sign recomputes the
# digest from the fields it displays, so the approver signs what they saw".
# The request digest binds the environment sudo passes (and the runas
# groups/ids and the executable hash), but `approverctl show` and the
# confirmation screen of `approverctl sign`/`approve` never display the
# environment: an agent allowed SETENV or an env_keep variable (PYTHONPATH,
# LD_PRELOAD with a lax sudoers, GIT_SSH_COMMAND, ...) gets a command
# approved whose behaviour is decided by a variable the approver never saw.
# Asserted: what is signed is shown. Real daemon and approverctl; TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
ns_must "config" dl_setup
ns_must "key alice" dl_key alice alice
ns_must "daemon starts" dl_start

H0=0000000000000000000000000000000000000000000000000000000000000000
req='{"requester":"ai-deploy","uid":2001,"host":"x","service":"sudo","runas_user":"root","runas_uid":0,"runas_gid":0,"runas_groups":"0,6","command":"/usr/bin/systemctl","argv":["/usr/bin/systemctl","restart","nginx-env"],"cwd":"/","env":["PATH=/usr/bin","PYTHONPATH=/tmp/evil-modules"],"exe_hash":"'$H0'"}'
id=$(adc call "{\"v\":1,\"op\":\"create\",\"request\":$req}" | sed -n 's/.*"id":"\(R-[^"]*\)".*/\1/p')
tap_like "$id" '^R-' "setup: request with PYTHONPATH in its environment is pending"
tap_like "$(ctl show "$id" --json)" 'PYTHONPATH=/tmp/evil-modules' \
	"control: the environment is part of the request the daemon holds (show --json)"

shown=$(ctl show "$id" 2>&1)
tap_like "$shown" 'PYTHONPATH=/tmp/evil-modules' "R5: approverctl show displays the environment that the digest binds"
screen=$(ctl show "$id" --json | "$DL_CTL" sign -k "$T/keys/alice.key" --yes 2>&1 >/dev/null)
tap_like "$screen" "request $id" "control: sign prints its confirmation screen"
tap_like "$screen" 'PYTHONPATH=/tmp/evil-modules' "R5: the sign confirmation screen displays the environment it signs"
tap_like "$screen" '0,6' "R5: the sign confirmation screen displays the runas groups it signs"
tap_done
