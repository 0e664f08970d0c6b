#!/usr/bin/env bash
# End to end, link 2: real gw-control, real redis-server, real
# certificates from gw-pki; link 1 spoken with openssl s_client, link 2
# received by signal_listen, which checks every datagram with gw_signal.
# Everything on loopback:
#
#   openssl s_client --TLS 1.3, link 1--> gw-control 127.0.0.1:P
#                                           |   | signal thread
#   signal_listen 127.0.0.1:P+1 <--UDP, link 2--+
#                                           |
#   gw-control revoke|publish|     --> redis-server (unix socket)
#              message|rekey
#
# A session that names the listener hears CERT_RENEW when its
# certificate enters the renewal window, again and again with backoff
# until RENEW arrives; SOFTWARE_AVAILABLE after publish, answered by a
# FETCH whose package verifies; MESSAGE, answered by the text; REKEY;
# and SESSION_REVOKED on revocation, after which the session is revoked
# in Redis, the data plane has its event and the certificate no longer
# gets in.  A forged and a replayed signal are refused by the listener.
set -u
GW_PROG=e2e-signals
. "$(dirname "$0")/../../scripts/lib.sh"
. "$(dirname "$0")/assert.sh"

run=$(mktemp -d /tmp/gwsignals.XXXXXX)
trap 'gw_teardown; [ -n "${GW_KEEP:-}" ] || rm -rf "$run"' EXIT
trap 'exit 130' INT TERM
port=$((20000 + $$ % 20000))
lport=$((port + 1))
listen=$GW_BUILD/tests/signal_listen
pki=$run/pki
redis() { redis-cli -s "$run/redis.sock" --raw "$@"; }

gw_start_redis "$run"
"$GW_BUILD/gw-pki" init --dir "$pki" --server-name 127.0.0.1 >/dev/null
"$GW_BUILD/gw-control" keygen --out "$run/master.key"
"$GW_BUILD/gw-control" secrets --redis "$run/redis.sock" --count 2 \
	--out "$run/secrets" >/dev/null
mkdir "$run/packages"
# Certificates for 300 s with a 400 s window: due as soon as issued.
"$GW_BUILD/gw-control" serve --pki "$pki" --redis "$run/redis.sock" \
	--master-key "$run/master.key" --listen "127.0.0.1:$port" \
	--dataplane 198.18.0.2:7878 --packages "$run/packages" \
	--cert-seconds 300 --renew-window 400 --signal-retry-ms 100 \
	--signal-max-tries 6 2>"$run/control.log" &
gw_track $!
gw_wait_for "bash -c '</dev/tcp/127.0.0.1/$port'" 10 ||
	fail "gw-control does not listen" "" "$run/control.log"

# link REQUEST-FILE [openssl options]: one link-1 exchange.  stdin stays
# open a moment so that the answer arrives before s_client closes.
link() {
	local req=$1
	shift
	{
		cat "$req"
		sleep "${LINK_WAIT:-0.7}"
	} | openssl s_client -quiet -no_ign_eof -nocommands -tls1_3 \
		-CAfile "$pki/root.crt" -verify_return_error \
		-connect "127.0.0.1:$port" "$@" 2>/dev/null
}
# request FILE LINE [PAYLOAD-FILE]: writes LINE with the payload's length.
request() {
	local n=0
	[ -n "${3:-}" ] && n=$(stat -c %s "$3")
	printf '%s %d\n' "$2" "$n" >"$1"
	[ -n "${3:-}" ] && cat "$3" >>"$1"
	return 0
}
heard() { grep -c "^$1 " "$run/listen.out"; }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

# Enrollment of two merchants, m1 then m2.
enroll() { # N -> $run/mN.crt, key $run/mN.key
	local id secret
	id=$(sed -n "$1p" "$run/secrets" | cut -d' ' -f1)
	secret=$(sed -n "$1p" "$run/secrets" | cut -d' ' -f2)
	"$GW_BUILD/gw-pki" csr --merchant "$id" --key "$run/m$1.key" \
		--out "$run/m$1.csr" >/dev/null
	request "$run/enroll$1.req" "ENROLL $id $secret" "$run/m$1.csr"
	link "$run/enroll$1.req" >"$run/enroll$1.out"
	openssl x509 -in "$run/enroll$1.out" -out "$run/m$1.crt" 2>/dev/null
}
enroll 1
enroll 2
m1=$(sed -n 1p "$run/secrets" | cut -d' ' -f1)
check_contains "m1 enrolled" "OK" "$(head -1 "$run/enroll1.out")"
serial1=$(serial_of "$run/m1.crt")
c1=(-cert "$run/m1.crt" -key "$run/m1.key")

request "$run/session.req" "SESSION 127.0.0.1:$lport 1.0.0"
out=$(link "$run/session.req" "${c1[@]}")
check_contains "session opened naming the listener" "OK id=" "$out"
sid=$(printf '%s' "$out" | sed -n 's/.*id=\([0-9]*\).*/\1/p')
secret=$(printf '%s' "$out" | sed -n 's/.*secret=\([0-9a-f]*\).*/\1/p')
"$listen" --listen "127.0.0.1:$lport" --session "$sid" --secret "$secret" \
	--save "$run/captured" >"$run/listen.out" &
gw_track $!
check_eq "Redis records the signal address" "127.0.0.1:$lport" \
	"$(redis hget "gw:session:$sid" signal)"

# --- CERT_RENEW, repeated until RENEW ------------------------------------
gw_wait_for "[ \$(grep -c '^CERT_RENEW $serial1 ' $run/listen.out) -ge 3 ]" 10
check_gt "CERT_RENEW $serial1 repeated while unanswered" 2 \
	"$(heard "CERT_RENEW $serial1")"
seqs=$(grep '^CERT_RENEW' "$run/listen.out" | cut -d' ' -f3 | tr '\n' ' ')
sorted=$(printf '%s\n' $seqs | sort -n -u | tr '\n' ' ')
check_eq "signal sequence numbers strictly increase" "$sorted" "$seqs"
"$GW_BUILD/gw-pki" csr --merchant "$m1" --key "$run/m1b.key" \
	--out "$run/m1b.csr" >/dev/null
request "$run/renew.req" "RENEW" "$run/m1b.csr"
link "$run/renew.req" "${c1[@]}" >"$run/renew.out"
check_contains "RENEW answered with a certificate" "OK" \
	"$(head -1 "$run/renew.out")"
openssl x509 -in "$run/renew.out" -out "$run/m1b.crt" 2>/dev/null
check_contains "the renewed certificate verifies" "OK: merchant $m1" \
	"$("$GW_BUILD/gw-pki" verify --dir "$pki" --cert "$run/m1b.crt")"
before=$(heard "CERT_RENEW $serial1")
sleep 3
check_eq "CERT_RENEW $serial1 stops after RENEW" "$before" \
	"$(heard "CERT_RENEW $serial1")"
serial2=$(serial_of "$run/m1b.crt")
c1=(-cert "$run/m1b.crt" -key "$run/m1b.key")
# The new certificate is due too (300 s < 400 s): its own signal, once
# per serial, given up after the sixth unanswered send.
gw_wait_for "grep -q 'signal CERT_RENEW to merchant $m1 session $sid unanswered after 6 tries' $run/control.log" 10
# The listener writes what it heard a moment after gw-control logs the
# give-up; wait for the last line rather than race it.
gw_wait_for "[ \$(heard 'CERT_RENEW $serial2') -ge 6 ]" 3
check_eq "new serial $serial2 signalled, six times, then given up" 6 \
	"$(heard "CERT_RENEW $serial2")"

# --- SOFTWARE_AVAILABLE, FETCH ---------------------------------------------
head -c 3000000 /dev/urandom >"$run/gw-merchant.tar"
"$GW_BUILD/gw-control" publish --pki "$pki" --redis "$run/redis.sock" \
	--packages "$run/packages" --file "$run/gw-merchant.tar" \
	--name gw-merchant --version 1.1.0 2>>"$run/operator.log"
check_eq "publish succeeds" 0 $?
gw_wait_for "grep -q '^SOFTWARE_AVAILABLE gw-merchant@1.1.0 ' $run/listen.out" 5
check_gt "SOFTWARE_AVAILABLE gw-merchant@1.1.0 heard" 0 \
	"$(heard "SOFTWARE_AVAILABLE gw-merchant@1.1.0")"
request "$run/fetch.req" "FETCH gw-merchant 1.1.0"
LINK_WAIT=2 link "$run/fetch.req" "${c1[@]}" >"$run/fetch.out"
line=$(head -1 "$run/fetch.out")
siglen=$(printf '%s' "$line" | sed -n 's/^OK sig=\([0-9]*\) [0-9]*$/\1/p')
check_gt "FETCH answered with a signature" 0 "${siglen:-0}"
hdr=$((${#line} + 1))
tail -c +$((hdr + 1)) "$run/fetch.out" | head -c "${siglen:-0}" >"$run/got.sig"
tail -c +$((hdr + ${siglen:-0} + 1)) "$run/fetch.out" >"$run/got.tar"
check_eq "fetched package is the published one" \
	"$(sha256sum <"$run/gw-merchant.tar")" "$(sha256sum <"$run/got.tar")"
out=$("$GW_BUILD/gw-pki" verify-package --ca "$pki/root.crt" \
	--file "$run/got.tar" --sig "$run/got.sig" --name gw-merchant \
	--version 1.1.0 --running 1.0.0)
check_contains "gw-pki verify-package accepts the fetched package" \
	"OK:" "$out"
before=$(heard "SOFTWARE_AVAILABLE gw-merchant@1.1.0")
sleep 2
check_eq "SOFTWARE_AVAILABLE stops after FETCH" "$before" \
	"$(heard "SOFTWARE_AVAILABLE gw-merchant@1.1.0")"
# A renewal of a merchant still on 1.0.0 offers the package again.
"$GW_BUILD/gw-pki" csr --merchant "$m1" --key "$run/m1c.key" \
	--out "$run/m1c.csr" >/dev/null
request "$run/renew2.req" "RENEW" "$run/m1c.csr"
link "$run/renew2.req" "${c1[@]}" >/dev/null
gw_wait_for "[ \$(grep -c '^SOFTWARE_AVAILABLE gw-merchant@1.1.0 ' $run/listen.out) -gt $before ]" 5
check_gt "a renewal offers the newer software again" "$before" \
	"$(heard "SOFTWARE_AVAILABLE gw-merchant@1.1.0")"
request "$run/version.req" "VERSION 1.1.0"
check_eq "VERSION answered" "OK 0" "$(link "$run/version.req" "${c1[@]}")"
check_eq "VERSION recorded" 1.1.0 "$(redis hget "gw:merchant:$m1" version)"
request "$run/fetch.bad" "FETCH ../../etc 1.0"
check_contains "FETCH of a path refused" "ERR 400" \
	"$(link "$run/fetch.bad" "${c1[@]}")"
# A published name@version is not replaced unasked; an older one is
# published without signals, and says why.
publish() { # VERSION [options]
	local v=$1
	shift
	"$GW_BUILD/gw-control" publish --pki "$pki" --redis "$run/redis.sock" \
		--packages "$run/packages" --file "$run/other.tar" \
		--name gw-merchant --version "$v" "$@" 2>&1
}
head -c 1000 /dev/urandom >"$run/other.tar"
out=$(publish 1.1.0)
check_eq "publishing 1.1.0 again: exit status 1" 1 $?
check_contains "the refusal names it" "gw-merchant 1.1.0 is already published" "$out"
check_eq "the published file is untouched" "$(sha256sum <"$run/gw-merchant.tar")" \
	"$(sha256sum <"$run/packages/gw-merchant-1.1.0.pkg")"
out=$(publish 1.0.5)
check_eq "publishing an older version succeeds" 0 $?
check_contains "it says older than the published one" \
	"older than the published 1.1.0, nobody signalled" "$out"
out=$(publish 1.1.0 --replace)
check_eq "publish --replace succeeds" 0 $?
check_contains "publish --replace says so" "replacing its earlier file" "$out"
check_eq "publish --replace replaced the file" "$(sha256sum <"$run/other.tar")" \
	"$(sha256sum <"$run/packages/gw-merchant-1.1.0.pkg")"

# --- MESSAGE -----------------------------------------------------------------
mid=$("$GW_BUILD/gw-control" message --redis "$run/redis.sock" \
	--merchant "$m1" --text "Maintenance tonight at 22:00" \
	2>>"$run/operator.log")
gw_wait_for "grep -q '^MESSAGE $mid ' $run/listen.out" 5
check_gt "MESSAGE $mid heard" 0 "$(heard "MESSAGE $mid")"
request "$run/message.req" "MESSAGE $mid"
check_contains "MESSAGE fetch returns the text" \
	"Maintenance tonight at 22:00" "$(link "$run/message.req" "${c1[@]}")"
check_contains "another merchant cannot read it" "ERR 404" \
	"$(link "$run/message.req" -cert "$run/m2.crt" -key "$run/m2.key")"

# --- REKEY ---------------------------------------------------------------------
"$GW_BUILD/gw-control" rekey --redis "$run/redis.sock" --merchant "$m1" \
	2>>"$run/operator.log"
gw_wait_for "grep -q '^REKEY $sid ' $run/listen.out" 5
check_gt "REKEY heard" 0 "$(heard "REKEY $sid")"
request "$run/session2.req" "SESSION - 1.1.0"
check_contains "a new session answers REKEY" "OK id=" \
	"$(link "$run/session2.req" "${c1[@]}")"
before=$(heard "REKEY $sid")
sleep 2
check_eq "REKEY stops after the new session" "$before" "$(heard "REKEY $sid")"

# --- forged and replayed signals ------------------------------------------------
"$listen" --forge --to "127.0.0.1:$lport" --session "$sid" --type REKEY \
	--ref "$sid" --seq 999999
gw_wait_for "grep -q '^refused forged' $run/listen.out" 5
check_eq "forged signal refused" 1 "$(grep -c '^refused forged' "$run/listen.out")"
"$listen" --replay --to "127.0.0.1:$lport" --file "$run/captured"
gw_wait_for "grep -q '^refused replayed' $run/listen.out" 5
check_eq "replayed signal refused" 1 \
	"$(grep -c '^refused replayed' "$run/listen.out")"

# --- revocation -------------------------------------------------------------------
"$GW_BUILD/gw-control" revoke --pki "$pki" --redis "$run/redis.sock" \
	--merchant "$m1" --reason keyCompromise 2>>"$run/operator.log"
check_eq "revoke succeeds" 0 $?
gw_wait_for "grep -q '^SESSION_REVOKED $sid ' $run/listen.out" 5
check_eq "session state in Redis" revoked "$(redis hget "gw:session:$sid" state)"
check_contains "revoke event for the data plane" "id $sid op revoke" \
	"$(redis xrange gw:session-events - + | tr '\n' ' ')"
sleep 1.5
check_eq "SESSION_REVOKED sent three times" 3 "$(heard "SESSION_REVOKED $sid")"
out=$(link "$run/session.req" "${c1[@]}")
case "$out" in
OK*) fail "revoked certificate refused at the handshake" "got: $out" ;;
*) pass "revoked certificate refused at the handshake" ;;
esac
check_contains "gw-control logs the revoked certificate" "revoked" \
	"$(tail -5 "$run/control.log")"
check_eq "no datagram went unrecognised" 0 \
	"$(grep '^refused' "$run/listen.out" | grep -vc 'forged\|replayed')"
out=$("$GW_BUILD/gw-control" revoke --pki "$pki" --redis "$run/redis.sock" \
	--merchant "$m1" 2>&1)
check_eq "revoking again succeeds" 0 $?
check_contains "revoking again says so" "already revoked" "$out"

finish
