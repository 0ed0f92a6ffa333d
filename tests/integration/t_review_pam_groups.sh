#!/bin/sh
# Review R7 (docs/REVIEW.md), PAM side: a user holding the gid of a [subjects]
# group at run time (not listed in /etc/group) is gated by pam_approverd for su.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
SO=$APPROVERD_BUILD/pam_approverd.so
ns_must users ns_users
ns_must devlog ns_devlog
ns_must "client config" ns_client_conf 0 "$T/run/no-daemon.sock"
mkdir -p "$T/pam.d" && cp -a /etc/pam.d/. "$T/pam.d/"
su_stack="auth     sufficient pam_rootok.so
auth     required   pam_permit.so
account  required   $SO config=$T/approverd.conf
account  required   pam_permit.so
session  required   pam_permit.so"
ns_file "$T/pam.d/su" 0644 "$su_stack"
ns_must "bind /etc/pam.d" ns_bind "$T/pam.d" /etc/pam.d
chmod 0777 "$T/home/dave"
run_as() {
	_u=$1 _g=$2; shift 2
	(
		cd "$T/home/$_u" || exit 1
		id -u "$_u" >/proc/self/loginuid 2>/dev/null
		if [ -n "$_g" ]; then set -- --groups="$_g" "$@"; else set -- --init-groups "$@"; fi
		exec setpriv --reuid="$_u" --regid="$(id -g "$_u")" "$@"
	) </dev/null
}
out=$(run_as dave "" su -c "id -un" root 2>&1); rc=$?
tap_is "$rc/$(printf '%s\n' "$out" | tail -n 1)" "0/root" "control: human dave su runs"
out=$(run_as dave 2201,2000 su -c "id -un" root 2>&1); rc=$?
tap_isnt "$rc" 0 "R7 PAM: dave holding gid 2000 is gated (daemon down: refused)"
tap_unlike "$out" '^root$' "R7 PAM: command did not run as root"
tap_done
