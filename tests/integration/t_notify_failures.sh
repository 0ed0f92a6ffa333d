#!/bin/sh
# Failing webhook endpoints never delay a decision or a client, and every
# failure is bounded and recorded (docs/NOTIFY.md): endpoint down, slow past
# the timeout, 500 then 200 (retry works), TLS with an untrusted certificate
# (refused; accepted with ca_file), redirect (not followed), an endpoint that
# hangs while approve -> consume completes (order asserted in the evidence),
# proxy/CA variables in the daemon's environment ignored, and a full queue
# (dropped, recorded). Loopback only. Prints TAP.
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
# The final `notify` record of target $1 for message $2 (request|decision).
outcome() { grep '"event":"notify"' "$DL_EVIDENCE" | grep "\"target\":\"$1\"" |
	grep "\"message\":\"$2\""; }
outcome_n() { outcome "$@" | grep -c .; }
seq_of() { printf '%s\n' "$1" | sed -n 's/^{"seq":\([0-9]*\),.*/\1/p' | head -n 1; }
ms() { date +%s%3N; }

ns_must "users" ns_users
mkdir -p "$T/etc/approverd"
ns_must "self-signed certificate" openssl req -x509 -newkey ec \
	-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T/tls.key" \
	-out "$T/etc/approverd/ca.pem" 2>/dev/null
chmod 0644 "$T/etc/approverd/ca.pem"
ns_must "stub" stub_start web
ns_must "tls stub" stub_start tls --tls "$T/etc/approverd/ca.pem" "$T/tls.key"
P=$(cat "$T/web.port")
PT=$(cat "$T/tls.port")
DL_CONF_EXTRA="
[notify down]
url = http://127.0.0.1:1/down
events = request
retries = 2
backoff = 1s

[notify slow]
url = http://127.0.0.1:$P/sleep/4
events = request
timeout = 1s
retries = 1
backoff = 1s

[notify flaky]
url = http://127.0.0.1:$P/flaky/k1/1
events = request
retries = 2
backoff = 1s

[notify tls]
url = https://127.0.0.1:$PT/tls-untrusted
events = request
retries = 0

[notify tlsca]
url = https://127.0.0.1:$PT/tls-ca
events = request
ca_file = $T/etc/approverd/ca.pem
retries = 0

[notify redir]
url = http://127.0.0.1:$P/redirect
events = request
retries = 2
backoff = 1s

[notify hang]
url = http://127.0.0.1:$P/hang
timeout = 6s
retries = 0"
# proxies and CA bundles from the environment must change nothing
DL_ENV="http_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9 CURL_CA_BUNDLE=$T/etc/approverd/ca.pem SSL_CERT_FILE=$T/etc/approverd/ca.pem SSL_CERT_DIR=$T/etc/approverd"
ns_must "config" dl_setup
ns_must "key alice" dl_key alice alice
ns_must "daemon starts" dl_start

# -- the whole approve -> release path while endpoints fail and hang --------
t0=$(ms)
out=$(adc create -- /usr/bin/systemctl restart nginx)
t1=$(ms)
id=$(dl_id "$out")
tap_like "$out" "^pending $id" "create answers pending ($id)"
tap_ok "create answered in $((t1 - t0)) ms (< 1000) with 7 endpoints busy" [ $((t1 - t0)) -lt 1000 ]
wait_for 5 grep -q '"path": "/hang"' "$T/web.log"
tap_ok "the hanging endpoint has the request" grep -q '"path": "/hang"' "$T/web.log"
t0=$(ms)
ctl approve "$id" -k "$T/keys/alice.key" --yes >/dev/null 2>&1
rc=$?
t1=$(ms)
tap_is "$rc" 0 "approve succeeds while the endpoint hangs"
tap_ok "approve took $((t1 - t0)) ms (< 2000)" [ $((t1 - t0)) -lt 2000 ]
t0=$(ms)
out=$(adc consume "$id")
t1=$(ms)
tap_like "$out" "^consumed $id|^approved $id" "consume (release) succeeds: $(printf '%s' "$out" | head -c 40)"
tap_ok "consume took $((t1 - t0)) ms (< 1000)" [ $((t1 - t0)) -lt 1000 ]
tap_is "$(outcome_n hang request)" 0 "the hung delivery had not ended when the release was done"
wait_for 12 sh -c "grep '\"event\":\"notify\"' '$DL_EVIDENCE' | grep '\"target\":\"hang\"' | grep -q '\"message\":\"request\"'"
h=$(outcome hang request)
tap_like "$h" '"result":"failed","tries":1,.*"error":"Timeout was reached' "hang: failed after its timeout, recorded"
c=$(grep '"event":"consume"' "$DL_EVIDENCE" | grep "\"id\":\"$id\"")
tap_ok "evidence order: approved and consume (seq $(seq_of "$c")) before the hung delivery's outcome (seq $(seq_of "$h"))" \
	[ "$(seq_of "$c")" -lt "$(seq_of "$h")" ]

# -- each failing endpoint: bounded, recorded --------------------------------
wait_for 15 sh -c "[ \$(grep -c '\"event\":\"notify\"' '$DL_EVIDENCE') -ge 7 ]"
tap_like "$(outcome down request)" '"result":"failed","tries":3,"http_status":0,"error":"Couldn.t connect' "down: failed after 1 + 2 tries"
tap_like "$(outcome slow request)" '"result":"failed","tries":2,.*"error":"Timeout was reached' "slow: timed out twice (1 + 1 tries)"
tap_like "$(outcome flaky request)" '"result":"sent","tries":2,"http_status":200' "500 then 200: sent on the second try"
tap_is "$(grep -c '"path": "/flaky/k1/1"' "$T/web.log")" 2 "500 then 200: the endpoint saw exactly two tries"
tap_like "$(outcome tls request)" '"result":"failed","tries":1,.*"error":"SSL peer certificate or SSH remote key was not OK|"error":"(SSL|Peer).*certificate' "TLS, untrusted certificate: refused (CURL_CA_BUNDLE/SSL_CERT_FILE ignored)"
tap_unlike "$(cat "$T/tls.log")" '"/tls-untrusted"' "TLS: no request reached the untrusted server"
tap_like "$(outcome tlsca request)" '"result":"sent","tries":1,"http_status":200' "TLS with ca_file: sent"
tap_like "$(outcome redir request)" '"result":"failed","tries":1,"http_status":302,"error":"HTTP 302 redirect to http://127.0.0.1:[0-9]+/ok not followed"' "redirect: not followed, not retried"
tap_unlike "$(cat "$T/web.log")" '"path": "/ok"' "redirect: the Location was never fetched"
tap_like "$(outcome flaky request)" '"result":"sent"' "http_proxy/HTTPS_PROXY/ALL_PROXY in the environment: sent directly"
tap_like "$(cat "$DL_LOG")" 'notify flaky request .*: try 1 of 3 failed \(HTTP 500\); retry in 1000ms' "each failed try is logged"
tap_like "$(cat "$DL_LOG")" 'notify down: request .* failed after 3 tries' "the final outcome is logged"
dl_stop

# -- a full queue drops and records -----------------------------------------
DL_CONF_EXTRA="notify_queue = 1

[notify hang1]
url = http://127.0.0.1:$P/hang
timeout = 3s
retries = 0

[notify hang2]
url = http://127.0.0.1:$P/hang
timeout = 3s
retries = 0"
DL_ENV=
ns_must "queue config" dl_write_conf
ns_must "daemon restarts" dl_start
id=$(dl_id "$(adc create -- /usr/bin/systemctl restart db5)")
wait_for 5 sh -c "grep '\"event\":\"notify\"' '$DL_EVIDENCE' | grep -q dropped"
tap_like "$(outcome hang2 request)" "\"id\":\"$id\".*\"result\":\"dropped\",\"tries\":0,.*\"error\":\"queue full \\(notify_queue\\)\"" "queue full: the second delivery is dropped and recorded"
tap_like "$(adc status "$id")" "\"id\":\"$id\".*\"state\":\"pending\"" "...and the request itself is unaffected"
dl_stop
tap_done
