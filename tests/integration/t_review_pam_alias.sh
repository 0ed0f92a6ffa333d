#!/bin/sh
# Review (docs/REVIEW.md, finding R6): the PAM module decides whether a
# (service, target) pair needs approval by comparing the target's NAME with
# require= (default "su:root,su-l:root,pkexec:root,polkit-1:root"). A second
# passwd entry with uid 0 ("toor", common on hardened and BSD-heritage
# hosts) is not "root" by name, so an AI account's `su toor` returns
# PAM_IGNORE without contacting the daemon and runs as uid 0 unapproved.
# Asserted: the target is judged by uid; su to a uid-0 alias is held like su
# to root. Real setuid su, real PAM stack (bind-mounted /etc/pam.d), real
# daemon; wait = 0 so a held request refuses at once. TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"

SO=$APPROVERD_BUILD/pam_approverd.so
ns_must "module built" test -f "$SO"
ns_must "su exists" test -x /bin/su
ns_must users ns_users
ns_must "alias toor (uid 0)" sh -c "echo 'toor:x:0:0:root alias:/root:/bin/sh' >>'$T/etc/passwd'"
ns_must "toor resolves to uid 0" test "$(id -u toor)" = 0
ns_must devlog ns_devlog
dl_setup
ns_must "alice's key" dl_key alice alice
ns_must "daemon starts" dl_start
ns_must "client config" ns_client_conf 0 "$DL_SOCK"
mkdir -p "$T/pam.d" && cp -a /etc/pam.d/. "$T/pam.d/"
su_stack="auth     sufficient pam_rootok.so
auth     required   pam_permit.so
account  required   $SO config=$T/approverd.conf
account  required   pam_permit.so
session  required   pam_permit.so"
ns_file "$T/pam.d/su" 0644 "$su_stack"
ns_file "$T/pam.d/su-l" 0644 "$su_stack"
ns_must "bind /etc/pam.d" ns_bind "$T/pam.d" /etc/pam.d
requests() { grep -c '"event":"request"' "$DL_EVIDENCE"; }

# control: su to root by name is held (wait = 0: refused with a request id)
n0=$(requests)
out=$(as_user ai-deploy su -c "echo ran-as-\$(id -u)" root 2>&1); rc=$?
tap_isnt "$rc" 0 "control: ai-deploy's su root is refused while pending"
tap_unlike "$out" 'ran-as-0' "control: ...the command did not run"
tap_is "$(requests)" "$((n0 + 1))" "control: ...and a request was recorded"

# R6: the same uid 0 through an alias name
n0=$(requests)
out=$(as_user ai-deploy su -c "echo ran-as-\$(id -u)" toor 2>&1); rc=$?
tap_unlike "$out" 'ran-as-0' "R6: ai-deploy's su toor (uid 0) does not run as uid 0 without approval"
tap_isnt "$rc" 0 "R6: ...su toor is refused while pending"
tap_is "$(requests)" "$((n0 + 1))" "R6: ...and a request was recorded for it"
tap_done
