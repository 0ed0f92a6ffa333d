#!/bin/sh
# Webhooks from the real daemon to a loopback HTTP peer (docs/NOTIFY.md):
# json and slack payloads field by field, decision updates (approved, denied,
# withdrawn, expired), the secret header read from a 0600 header_file, each
# final outcome recorded in the evidence; SIGHUP swaps the targets unless a
# header_file is refused; a header_file that others may read, with a bad
# line or behind a symlink refuses the start. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
STUB=$APPROVERD_TOP/tests/helpers/http_stub.py
PY=/usr/bin/python3 # the system one: a pyenv shim costs seconds per call
[ -x "$PY" ] || PY=python3

stub_start() { # name [args...]: the port goes to $T/NAME.port
	_n=$1; shift
	"$PY" "$STUB" --port-file "$T/$_n.port" --log "$T/$_n.log" "$@" \
		>>"$T/$_n.err" 2>&1 &
	ns_track_pid $!
	wait_for 10 test -s "$T/$_n.port"
}
# JSON lines of the stub log whose path matches an ERE.
reqs() { grep -E "\"path\": \"$2\"" "$T/$1.log"; }
# Field of the nth (1-based) JSON line on stdin.
jget() { "$PY" -c 'import json,sys
l=[json.loads(x) for x in sys.stdin if x.strip()]
v=l[int(sys.argv[1])-1]
for k in sys.argv[2].split("."):
    v=v[int(k)] if isinstance(v,list) else v[k]
print(v if not isinstance(v,(dict,list)) else json.dumps(v))' "$@"; }
notify_recs() { grep -E "\"event\":\"notify\".*$1" "$DL_EVIDENCE"; }
# Has the json target been told that request $1 is in state $2?
told() { grep -F "\"$1\"" "$T/web.log" | grep -q "\"state\": \"$2\""; }

ns_must "users" ns_users
ns_must "stub" stub_start web
P=$(cat "$T/web.port")
mkdir -p "$T/etc/approverd"
ns_must "header file" ns_file "$T/etc/approverd/chat.header" 0600 \
"# the bearer token of the chat hook
Authorization: Bearer s3cr3t-T0KEN
X-Extra: yes"
DL_CONF_EXTRA="
[notify siem]
url = http://127.0.0.1:$P/siem
format = json

[notify chat]
url = http://127.0.0.1:$P/chat?channel=ops
format = slack
header_file = $T/etc/approverd/chat.header
events = request, decision"
ns_must "config" dl_setup
for k in alice bob; do ns_must "key $k" dl_key "$k" "$k"; done
ns_must "daemon starts" dl_start

# -- a new pending request: both targets get it -----------------------------
id=$(dl_id "$(adc create -t CHG-7 -r 'deploy <!channel> fix' -- /usr/bin/systemctl restart nginx)")
tap_like "$id" '^R-' "a pending request ($id)"
wait_for 10 sh -c "[ \$(grep -c . '$T/web.log') -ge 2 ]"
j=$(reqs web '/siem')
tap_is "$(printf '%s\n' "$j" | jget 1 method)" POST "json: POSTed"
tap_is "$(printf '%s\n' "$j" | jget 1 headers.content-type)" application/json "json: Content-Type application/json"
tap_like "$(printf '%s\n' "$j" | jget 1 headers.user-agent)" '^approverd/' "json: User-Agent approverd"
for kv in event=request state=pending id=$id host=testhost requester=ai-deploy \
	uid=2001 service=sudo runas=root command=/usr/bin/systemctl \
	ticket=CHG-7 rule=restart-web "requires=1 approval from role sre" \
	"reason=deploy <!channel> fix" "approve_command=approverctl approve $id" \
	source=approverd; do
	tap_is "$(printf '%s\n' "$j" | jget 1 "body.${kv%%=*}")" "${kv#*=}" "json field ${kv%%=*}"
done
tap_is "$(printf '%s\n' "$j" | jget 1 body.argv)" '["/usr/bin/systemctl", "restart", "nginx"]' "json field argv"
tap_like "$(printf '%s\n' "$j" | jget 1 body.expires)" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "json field expires (RFC 3339)"
tap_like "$(printf '%s\n' "$j" | jget 1 body.time)" '^20[0-9]{2}-.*Z$' "json field time"
tap_unlike "$(printf '%s\n' "$j" | jget 1 headers)" 'authorization|s3cr3t' "json target has no secret header"

s=$(reqs web '/chat\?channel=ops')
tap_is "$(printf '%s\n' "$s" | jget 1 headers.authorization)" "Bearer s3cr3t-T0KEN" "slack: Authorization header from header_file"
tap_is "$(printf '%s\n' "$s" | jget 1 headers.x-extra)" "yes" "slack: second header line"
txt=$(printf '%s\n' "$s" | jget 1 body.text)
tap_like "$txt" "Approval needed\\* for \`$id\` on testhost" "slack text: id and host"
tap_like "$txt" '\*ai-deploy\* wants to run as \*root\* via sudo' "slack text: who, runas, service"
tap_like "$txt" '```/usr/bin/systemctl restart nginx```' "slack text: the command"
tap_like "$txt" 'Reason:\* deploy &lt;!channel&gt; fix' "slack text: reason with Slack markup escaped"
tap_like "$txt" 'Ticket:\* CHG-7' "slack text: ticket"
tap_like "$txt" "approverctl approve $id" "slack text: the approve command"
tap_is "$(printf '%s\n' "$s" | jget 1 body.blocks.0.text.text)" "$txt" "slack: one mrkdwn section block"

wait_for 5 sh -c "[ \$(grep -c '\"event\":\"notify\"' '$DL_EVIDENCE') -ge 2 ]"
tap_like "$(notify_recs '"target":"siem"')" "\"id\":\"$id\".*\"message\":\"request\".*\"result\":\"sent\".*\"tries\":1" "evidence: siem delivery sent"
tap_like "$(notify_recs '"target":"chat"')" '"result":"sent"' "evidence: chat delivery sent"
tap_unlike "$(cat "$DL_EVIDENCE" "$DL_LOG")" 's3cr3t' "the secret is in neither the evidence nor the log"
tap_like "$(cat "$DL_LOG")" "notify siem: request $id \\(pending\\) sent after 1 try" "log line for the outcome"

# -- decisions: approved, denied, withdrawn, expired ------------------------
ctl approve "$id" -k "$T/keys/alice.key" --yes >/dev/null 2>&1
wait_for 10 told "$id" approved
wait_for 10 sh -c "grep '/chat' '$T/web.log' | grep -q 'is \*approved'"
j=$(reqs web '/siem' | grep '"approved"')
tap_is "$(printf '%s\n' "$j" | jget 1 body.event)" decision "approved: json event decision"
tap_is "$(printf '%s\n' "$j" | jget 1 body.id)" "$id" "approved: json id"
tap_is "$(printf '%s\n' "$j" | jget 1 body.approvers)" alice "approved: json approvers"
txt=$(reqs web '/chat\?channel=ops' | grep 'is \*approved' | jget 1 body.text)
tap_like "$txt" "^:white_check_mark: \`$id\` on testhost is \\*approved\\*" "approved: slack update"
tap_like "$txt" '^\*Approved by:\* alice$' "approved: slack update names the approver"

id2=$(dl_id "$(adc create -- /usr/bin/systemctl restart db1)")
ctl deny "$id2" -k "$T/keys/bob.key" --reason "not now" --yes >/dev/null 2>&1
wait_for 10 told "$id2" denied
j=$(reqs web '/siem' | grep "\"$id2\"" | grep '"denied"')
tap_is "$(printf '%s\n' "$j" | jget 1 body.state)" denied "denied: json state"
tap_like "$(printf '%s\n' "$j" | jget 1 body.why)" 'not now' "denied: json why"

id3=$(dl_id "$(adc create -- /usr/bin/systemctl restart db2)")
adc withdraw "$id3" >/dev/null
wait_for 10 told "$id3" withdrawn
tap_ok "withdrawn: decision sent" told "$id3" withdrawn

dl_stop
DL_TTL=2s
ns_must "short ttl config" dl_write_conf
ns_must "daemon restarts" dl_start
id4=$(dl_id "$(adc create -- /usr/bin/systemctl restart db3)")
wait_for 10 told "$id4" expired
j=$(reqs web '/siem' | grep "\"$id4\"" | grep '"expired"')
tap_is "$(printf '%s\n' "$j" | jget 1 body.event)" decision "expired: decision sent"
tap_like "$(printf '%s\n' "$j" | jget 1 body.why)" 'request_ttl' "expired: json why"
wait_for 5 sh -c "grep '\"event\":\"notify\"' '$DL_EVIDENCE' | grep -q '\"state\":\"expired\"'"
tap_ok "expired: outcome recorded" sh -c "grep '\"event\":\"notify\"' '$DL_EVIDENCE' | grep '$id4' | grep -q '\"state\":\"expired\"'"
# -- SIGHUP: new targets; a refused header_file keeps the old ones ---------
DL_CONF_EXTRA="$DL_CONF_EXTRA

[notify extra]
url = http://127.0.0.1:$P/extra
events = request"
ns_must "config with a third target" dl_write_conf
kill -HUP "$DL_PID"
wait_for 5 sh -c "[ \$(grep -c '\"event\":\"reload\"' '$DL_EVIDENCE') -ge 1 ]"
id5=$(dl_id "$(adc create -- /usr/bin/systemctl restart db4)")
wait_for 5 sh -c "grep '\"path\": \"/extra\"' '$T/web.log' | grep -q '$id5'"
tap_ok "after SIGHUP the new target gets requests" sh -c "grep '\"path\": \"/extra\"' '$T/web.log' | grep -q '$id5'"
chmod 0640 "$T/etc/approverd/chat.header"
kill -HUP "$DL_PID"
wait_for 5 grep -q 'reload refused' "$DL_LOG"
tap_like "$(cat "$DL_LOG")" 'chat.header: readable by group or others \(mode 0640\)' "SIGHUP with a group-readable header_file: refused, naming it"
chmod 0600 "$T/etc/approverd/chat.header"
id6=$(dl_id "$(adc create -- /usr/bin/systemctl restart db6)")
wait_for 5 sh -c "grep '\"path\": \"/chat' '$T/web.log' | grep -q '$id6'"
tap_ok "...and the old targets (with their secret) keep working" sh -c \
	"grep '\"path\": \"/chat' '$T/web.log' | grep '$id6' | grep -q 's3cr3t-T0KEN'"
dl_stop
tap_ok "the evidence with notify records verifies" sh -c \
	"'$DL_CTL' verify-log --host-key '$DL_ETC/host.pub' '$DL_EVIDENCE' >/dev/null"

# -- a header_file that others may read refuses the start -------------------
chmod 0644 "$T/etc/approverd/chat.header"
"$DL_BIN" -f -c "$DL_CONF" >"$T/bad.out" 2>&1 </dev/null
tap_is "$?" 1 "header_file mode 0644: approverd exits 1"
tap_like "$(cat "$T/bad.out")" "chat.header: readable by group or others \\(mode 0644\\)" "...naming the file and the mode"
chmod 0600 "$T/etc/approverd/chat.header"
printf 'Authorization Bearer no-colon\n' >"$T/etc/approverd/chat.header"
"$DL_BIN" -f -c "$DL_CONF" >"$T/bad.out" 2>&1 </dev/null
tap_is "$?" 1 "a header line without ':' refuses the start"
tap_like "$(cat "$T/bad.out")" "chat.header: line 1 is not 'Name: value'" "...naming the file and line"
tap_unlike "$(cat "$T/bad.out")" "no-colon" "...without echoing the secret"
mv "$T/etc/approverd/chat.header" "$T/etc/approverd/real.header"
ln -s "$T/etc/approverd/real.header" "$T/etc/approverd/chat.header"
"$DL_BIN" -f -c "$DL_CONF" >"$T/bad.out" 2>&1 </dev/null
tap_is "$?" 1 "a symlinked header_file refuses the start"
tap_done
