#!/bin/sh
# Every evidence record also goes to syslog (LOG_AUTHPRIV, ident approverd)
# with its seq and chain hash, values escaped (DESIGN.md §4.6, §4.9). The
# daemon runs in a mount namespace whose /dev/log is a test sink. TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
ns_must "private /dev with a syslog sink" ns_devlog
ns_must "config" dl_setup
ns_must "key alice" dl_key alice alice
ns_must "daemon starts" dl_start

id=$(dl_id "$(adc create -r "$(printf 'evil\nseq=1 event=approved\033[31m')" -- /usr/bin/systemctl restart nginx)")
ctl approve "$id" -k "$T/keys/alice.key" --yes >/dev/null 2>&1
adc consume "$id" >/dev/null
adc result "$id" 0 >/dev/null
dl_stop
sleep 0.3

# hash of each line = BLAKE2b-256 of its bytes (the next line's prev)
python3 - "$DL_EVIDENCE" "$NS_SYSLOG" >"$T/check" <<'PY'
import hashlib, json, re, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
log = open(sys.argv[2], "rb").read().decode("latin-1").split("\n")
missing = []
for raw in lines:
    rec = json.loads(raw)
    h = hashlib.blake2b(raw, digest_size=32).hexdigest()
    pat = re.compile(r"approverd\[\d+\]: seq=%d event=%s .*hash=%s$" % (rec["seq"], rec["event"], h))
    if not any(pat.search(l) for l in log):
        missing.append("%d/%s" % (rec["seq"], rec["event"]))
print("records", len(lines))
print("missing", " ".join(missing) if missing else "none")
PY
tap_like "$(cat "$T/check")" '^records [0-9]+' "evidence read"
tap_is "$(sed -n 's/^missing //p' "$T/check")" "none" "every evidence record's seq, event and hash is in syslog"
tap_ok "priority is authpriv (facility 10): <8x> prefix" grep -Eq '^<8[0-7]>' "$NS_SYSLOG"
tap_ok "request record in syslog carries id and rule" grep -q "event=request id=$id .*rule=restart-web" "$NS_SYSLOG"
tap_unlike "$(grep 'event=request' "$NS_SYSLOG")" "$(printf '\033')" "no raw escape character reaches syslog"
tap_like "$(grep 'event=request' "$NS_SYSLOG")" 'reason="evil\\nseq=1 event=approved\\x1b\[31m"' "control characters in a field are escaped, quoted"
tap_is "$(grep -Ec ': seq=1 event=approved' "$NS_SYSLOG")" 0 "a field cannot forge a key=value record"
tap_ok "checkpoint in syslog" grep -q 'event=checkpoint hash=' "$NS_SYSLOG"
tap_done
