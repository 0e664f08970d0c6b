#!/usr/bin/env bash
# End to end, one merchant's whole life with link 2 answered by the
# merchant itself (merchant-sim --signals), under load from start to end:
#
#   root namespace                           namespace gwl (the merchant)
#   +------------------------------+         +--------------------------+
#   | gw-dataplane  198.18.0.2     |  veth   |                          |
#   |   af_packet on gwl0  --------+---------+- 198.18.0.1  gwl-d       |
#   | gw-control    198.18.1.1     |  veth   |   merchant-sim --signals |
#   |   TLS :7443 on gwlc  --------+---------+- 198.18.1.2  gwl-c       |
#   |   signals  ------ UDP -------+---------+-> 198.18.1.2:7600        |
#   | redis-server (unix socket)   |         |                          |
#   | gw-control publish|rekey|... |         |                          |
#   +------------------------------+         +--------------------------+
#
# In order: enrollment and authorizations; the certificate enters its
# renewal window and CERT_RENEW brings a RENEW (the new serial verifies);
# a published package 1.1.0 is signalled, fetched, verified, installed
# and reported; a message is shown; bad packages and bad signals are
# refused by the merchant; a rekey moves the traffic to a new session
# without losing a request; a revocation stops it, the data plane drops
# what still comes on the revoked session and the merchant's next
# handshake fails.  Through all of it no request is lost except those
# outstanding when the session was revoked.
set -u
GW_PROG=e2e-lifecycle
. "$(dirname "$0")/../../scripts/lib.sh"
. "$(dirname "$0")/assert.sh"

run=$(mktemp -d /tmp/gwlife.XXXXXX)
trap 'gw_teardown; [ -n "${GW_KEEP:-}" ] || rm -rf "$run"' EXIT
trap 'exit 130' INT TERM
data=$GW_ROOT/tests/data
NS=gwl
SIGPORT=7600
pki=$run/pki
state=$run/state
redis() { redis-cli -s "$run/redis.sock" --raw "$@"; }
dps() { jq -r "$1" "$run/dp-stats.json"; }
# Waits for the stats file to be rewritten, so that it is current.
fresh_stats() {
	local before
	before=$(date -r "$run/dp-stats.json" +%s%N)
	gw_wait_for "[ \$(date -r $run/dp-stats.json +%s%N) != $before ]" 5
}
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
said() { grep -c -- "$1" "$run/sim.out"; }
wait_said() { # TEXT [SECONDS]
	gw_wait_for "grep -q -- '$1' $run/sim.out" "${2:-15}" ||
		fail "merchant-sim said '$1'" "not within ${2:-15} s" "$run/sim.err"
}
# Decisions the data plane journalled for session $1, from the streams it
# ships to Redis.
decided_on() {
	local n=0 k
	for k in $(redis --scan --pattern 'gw:journal:*'); do
		n=$((n + $(redis xrange "$k" - + | grep -A1 -x session |
			grep -cx "$1")))
	done
	echo "$n"
}
ctl() { "$GW_BUILD/gw-control" "$@" 2>>"$run/operator.log"; }
# queue_signal TYPE-NUMBER REF: what gw-control queues for the merchant's
# current session, here written straight into Redis, standing in for a
# gateway that offers what it should not.
queue_signal() {
	local member="$sid $1 $2"
	redis zadd gw:signals "$(date +%s%3N)" "$member" >/dev/null
	redis sadd "gw:merchant:$m:signals" "$member" >/dev/null
}

gw_start_redis "$run"
gw_make_pki "$run" 1
m=$(cut -d' ' -f1 "$run/secrets")
gw_topology $NS gwl0 gwlc
cp "$data/cards.csv" "$run/cards.csv"
mkdir "$run/packages"
# Certificates for 70 s, renewed in their last 62 s: each one becomes
# due 8 s after it is issued.
"$GW_BUILD/gw-control" serve --pki "$pki" --redis "$run/redis.sock" \
	--master-key "$run/master.key" --listen 198.18.1.1:7443 \
	--dataplane 198.18.0.2:7878 --packages "$run/packages" \
	--cert-seconds 70 --renew-window 62 --signal-retry-ms 100 \
	2>>"$run/control.log" &
gw_track $!
gw_start_dataplane "$run" gwl0 "$run/cards.csv" --idle-sleep-us 20
gw_wait_for "ip netns exec $NS bash -c '</dev/tcp/198.18.1.1/7443'" 10 ||
	fail "gw-control does not listen"

# --- enrollment, then load for the whole test ------------------------------
ip netns exec $NS "$GW_BUILD/merchant-sim" --control 198.18.1.1:7443 \
	--ca "$pki/root.crt" --secrets "$run/secrets" --state-dir "$state" \
	--cards "$run/cards.csv" --merchants 1 --rate 50 --seconds 600 \
	--signals --signal-port-base $SIGPORT --signal-save "$run/last.sig" \
	--report "$run/life.json" >"$run/sim.out" 2>"$run/sim.err" &
simpid=$!
gw_track $simpid
gw_wait_for "grep -q 'sessions open' $run/sim.out" 15 ||
	fail "merchant-sim opened its session" "" "$run/sim.err"
serial0=$(serial_of "$state/$m.crt")
sid=$(redis smembers "gw:merchant:$m:sessions" | head -1)
check_eq "SESSION names the merchant's signal address" \
	"198.18.1.2:$SIGPORT" "$(redis hget "gw:session:$sid" signal)"
check_eq "SESSION reports the version it runs" 1.0.0 \
	"$(redis hget "gw:merchant:$m" version)"
gw_wait_for "[ \$(dps .responses) -gt 20 ]" 10
check_gt "authorizations answered" 20 "$(dps .responses)"

# --- CERT_RENEW and RENEW ---------------------------------------------------
wait_said "certificate renewed" 20
check_contains "gw-control saw the certificate due" \
	"certificate $serial0 of merchant $m is due for renewal" \
	"$(cat "$run/control.log")"
serial1=$(serial_of "$state/$m.crt")
[ "$serial1" != "$serial0" ] && pass "the merchant uses a new certificate" ||
	fail "the merchant uses a new certificate" "serial still $serial0"
check_contains "its new serial $serial1 verifies" "OK: merchant $m" \
	"$("$GW_BUILD/gw-pki" verify --dir "$pki" --cert "$state/$m.crt" 2>&1)"
check_eq "the new key is private" 600 "$(stat -c %a "$state/$m.key")"
check_eq "the new key matches the new certificate" \
	"$(openssl x509 -in "$state/$m.crt" -noout -pubkey)" \
	"$(openssl pkey -in "$state/$m.key" -pubout)"

# --- SOFTWARE_AVAILABLE, FETCH, verified install, VERSION ------------------
head -c 1500000 /dev/urandom >"$run/gw-merchant-1.1.0.tar"
ctl publish --pki "$pki" --redis "$run/redis.sock" \
	--packages "$run/packages" --file "$run/gw-merchant-1.1.0.tar" \
	--name gw-merchant --version 1.1.0
check_eq "publish 1.1.0" 0 $?
wait_said "installed gw-merchant 1.1.0"
installed=$state/$m/software/gw-merchant-1.1.0.pkg
check_eq "the installed package is the published one" \
	"$(sha256sum <"$run/gw-merchant-1.1.0.tar")" \
	"$(sha256sum <"$installed" 2>/dev/null)"
check_eq "its signed manifest is kept beside it" 1 \
	"$(ls "$state/$m/software/" | grep -cx 'gw-merchant-1.1.0.pkg.sig')"
gw_wait_for "[ \"\$(redis hget gw:merchant:$m version)\" = 1.1.0 ]" 5
check_eq "the gateway records version 1.1.0" 1.1.0 \
	"$(redis hget "gw:merchant:$m" version)"

# --- MESSAGE ------------------------------------------------------------------
mid=$(ctl message --redis "$run/redis.sock" --merchant "$m" \
	--text "Maintenance tonight at 22:00")
wait_said "message: Maintenance tonight at 22:00"
check_eq "the message is shown once" 1 \
	"$(said "merchant $m: message: Maintenance tonight at 22:00")"

# --- bad packages, refused by the merchant ---------------------------------
# Each is put where FETCH finds it and offered by a signal queued in Redis:
# a gateway whose package store was tampered with.
"$GW_BUILD/gw-pki" init --dir "$run/other-pki" --server-name 127.0.0.2 \
	>/dev/null
place() { # VERSION FILE SIG
	cp "$2" "$run/packages/gw-merchant-$1.pkg"
	cp "$3" "$run/packages/gw-merchant-$1.pkg.sig"
}
sign() { # DIR FILE NAME VERSION OUT
	"$GW_BUILD/gw-pki" sign-package --dir "$1" --file "$2" --name "$3" \
		--version "$4" --out "$5" >/dev/null
}
head -c 4000 /dev/urandom >"$run/bad.tar"
sign "$run/other-pki" "$run/bad.tar" gw-merchant 1.2.0 "$run/bad-1.2.0.sig"
place 1.2.0 "$run/bad.tar" "$run/bad-1.2.0.sig"
sign "$pki" "$run/bad.tar" gw-tools 1.3.0 "$run/tools-1.3.0.sig"
place 1.3.0 "$run/bad.tar" "$run/tools-1.3.0.sig"
sign "$pki" "$run/bad.tar" gw-merchant 1.4.0 "$run/good-1.4.0.sig"
cp "$run/bad.tar" "$run/tampered.tar"
printf 'X' | dd of="$run/tampered.tar" bs=1 seek=100 conv=notrunc 2>/dev/null
place 1.4.0 "$run/tampered.tar" "$run/good-1.4.0.sig"
head -c 4000 /dev/urandom >"$run/old.tar"
out=$(ctl publish --pki "$pki" --redis "$run/redis.sock" \
	--packages "$run/packages" --file "$run/old.tar" \
	--name gw-merchant --version 0.9.0 2>&1)
check_contains "publish 0.9.0 after 1.1.0 signals nobody" "nobody signalled" \
	"$(tail -1 "$run/operator.log")"
while read -r version why what; do
	queue_signal 2 "gw-merchant@$version"
	wait_said "package gw-merchant@$version not installed: $why"
	check_eq "$what: refused as $why" 1 \
		"$(said "package gw-merchant@$version not installed: $why")"
	check_eq "$what: nothing installed" 0 \
		"$(ls -A "$state/$m/software" | grep -c -- "-$version")"
done <<'EOF'
1.2.0 bad_signature signed under another root
1.3.0 other_package the signature of another package
1.4.0 file_mismatch a package altered after signing
0.9.0 rollback an older version than the one running
EOF
check_eq "still running 1.1.0" 1.1.0 "$(redis hget "gw:merchant:$m" version)"

# --- forged and replayed signals --------------------------------------------
"$GW_BUILD/tests/signal_listen" --forge --to "198.18.1.2:$SIGPORT" \
	--session "$sid" --type REKEY --ref "$sid" --seq 999999
"$GW_BUILD/tests/signal_listen" --replay --to "198.18.1.2:$SIGPORT" \
	--file "$run/last.sig"
sleep 0.5

# --- REKEY: traffic moves to a new session, nothing lost --------------------
ctl rekey --redis "$run/redis.sock" --merchant "$m"
wait_said "session $sid rekeyed to session"
sid2=$(sed -n "s/.*session $sid rekeyed to session \([0-9]*\)$/\1/p" \
	"$run/sim.out" | head -1)
check_gt "a new session id" "$sid" "${sid2:-0}"
wait_said "session $sid closed" 10
gw_wait_for "[ \$(decided_on $sid2) -gt 20 ]" 10
check_gt "the data plane decides on the new session $sid2" 20 \
	"$(decided_on "$sid2")"
before=$(decided_on "$sid")
sleep 1.5
check_eq "and no longer on the old one" "$before" "$(decided_on "$sid")"

# --- revocation ---------------------------------------------------------------
# A request on session $1 with sequence number $2: header in clear, then
# 64 bytes where ciphertext and tag would be.  The data plane judges the
# session before the tag, so this shows what it does with the session.
# With $3, it is sent at that Unix time in nanoseconds, and the time it
# was sent is printed; the wait runs inside the namespace, so that the
# start-up time of ip netns exec does not delay it.
request_on() {
	local b h=""
	for b in 1 1 0 0 $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) \
		$(($1 >> 8 & 255)) $(($1 & 255)) 0 0 0 0 0 0 0 "$2"; do
		h+=$(printf '\\x%02x' "$b")
	done
	for b in $(seq 64); do h+='\x00'; done
	# One printf, so one write and one datagram.
	ip netns exec $NS env H="$h" AT="${3:-0}" bash -c '
		w=$(((AT - $(date +%s%N)) / 1000000))
		[ "$w" -gt 0 ] && sleep $((w / 1000)).$(printf %03d $((w % 1000)))
		printf "$H" >/dev/udp/198.18.0.2/7878
		[ "$AT" = 0 ] || date +%s%N'
}
# The data plane's counters at this moment, from its telemetry socket: the
# statistics file can be a second old, too old to time a revocation.
tel() {
	"$GW_BUILD/tests/dp_telemetry" \
		"/var/run/dpdk/gw$$/dpdk_telemetry.v2" /gw/stats |
		jq -r ".\"/gw/stats\"$1"
}
# The drops that a request with a zero tag would count on a live session.
live_drops() {
	tel '.drops | .replay + .too_old + .bad_tag + .unknown_session'
}
now_ns() { date +%s%N; }
ctl revoke --pki "$pki" --redis "$run/redis.sock" --merchant "$m" \
	--reason keyCompromise
rc=$?
revoked_at=$(now_ns)
check_eq "revoke" 0 $rc
# One second after the command returns, the data plane has torn the
# session down: a request on it then counts as revoked_session, not as
# the tag or window failure of a live session, and gets no answer.  The
# counters are read once merchant-sim, told by SESSION_REVOKED, has
# stopped sending, so that the request below is the only one.
wait_said "session $sid2 revoked" 1
sleep 0.3
base_revoked=$(tel .drops.revoked_session)
base_live=$(live_drops)
base_responses=$(tel .responses)
sent_at=$(request_on "$sid2" 240 $((revoked_at + 950000000)))
sent_ms=$(((${sent_at:-0} - revoked_at) / 1000000))
if [ "$sent_ms" -ge 900 ] && [ "$sent_ms" -le 1000 ]; then
	pass "a request on session $sid2, $sent_ms ms after revoke returned"
else
	fail "a request 900 to 1000 ms after revoke" "sent at $sent_ms ms"
fi
gw_wait_for "[ \$(tel .drops.revoked_session) -gt $base_revoked ]" 2
check_eq "  ... counted as revoked_session" $((base_revoked + 1)) \
	"$(tel .drops.revoked_session)"
check_eq "  ... not as a live session's drop" "$base_live" "$(live_drops)"
check_eq "  ... and not answered" "$base_responses" "$(tel .responses)"
check_eq "revoked in Redis" revoked "$(redis hget "gw:session:$sid2" state)"
fresh_stats
dropped=$(dps .drops.revoked_session)
request_on "$sid2" 250
gw_wait_for "[ \$(dps .drops.revoked_session) -gt $dropped ]" 5
check_eq "the data plane drops a request on the revoked session" \
	$((dropped + 1)) "$(dps .drops.revoked_session)"
sent_then=$(dps .requests)
sleep 1.5
check_eq "the merchant sends nothing more" "$sent_then" "$(dps .requests)"
kill -TERM $simpid
wait $simpid
check_eq "merchant-sim exit status: nothing lost but after revocation" 0 $? \
	"$run/sim.err"
out=$(ip netns exec $NS "$GW_BUILD/merchant-sim" --control 198.18.1.1:7443 \
	--ca "$pki/root.crt" --secrets "$run/secrets" --state-dir "$state" \
	--cards "$run/cards.csv" --merchants 1 --count 1 2>&1)
check_eq "the merchant's next connection fails" 1 $?
check_contains "  ... at its first request" "SESSION to 198.18.1.1:7443" "$out"
check_contains "  ... refused at the handshake: certificate revoked" \
	"handshake with 198.18.1.2" "$(grep 'certificate revoked' "$run/control.log")"

# --- the merchant's own account -------------------------------------------------
r() { jq -r "$1" "$run/life.json"; }
check_eq "report: timeouts" 0 "$(r .timeouts)"
check_eq "report: verify failures" 0 "$(r .verify_failures)"
check_eq "report: sent = responses + lost after revocation" "$(r .sent)" \
	$(($(r .responses) + $(r .lost_after_revocation)))
check_gt "report: requests sent" 500 "$(r .sent)"
check_gt "report: renewed" 0 "$(r .actions.renewed)"
check_eq "report: installed" 1 "$(r .actions.installed)"
check_eq "report: rekeyed" 1 "$(r .actions.rekeyed)"
check_eq "report: messages" 1 "$(r .actions.messages)"
check_eq "report: sessions revoked" 1 "$(r .actions.revoked)"
for why in bad_signature other_package file_mismatch rollback; do
	check_eq "report: install refused, $why" 1 \
		"$(r ".actions.install_refused.$why")"
done
check_eq "report: forged signal refused" 1 "$(r .signals.refused.forged)"
check_eq "report: replayed signal refused" 1 "$(r .signals.refused.replayed)"
check_gt "report: CERT_RENEW received" 0 \
	"$(r .signals.received.CERT_RENEW)"
check_gt "report: SESSION_REVOKED received" 0 \
	"$(r .signals.received.SESSION_REVOKED)"
check_eq "no request lost, except after revocation (ok)" true "$(r .ok)"

finish
