#!/usr/bin/env bash
# End to end: the real programs, a real DPDK port (af_packet on a veth),
# real TLS, a real redis-server.
#
#   root namespace                           namespace gwt (merchants)
#   +------------------------------+         +------------------------+
#   | gw-dataplane  198.18.0.2     |  veth   |                        |
#   |   af_packet on gwt0  --------+---------+- 198.18.0.1  gwt-d     |
#   | gw-control    198.18.1.1     |  veth   |      merchant-sim      |
#   |   TLS :7443 on gwtc  --------+---------+- 198.18.1.2  gwt-c     |
#   | redis-server (unix socket)   |         |                        |
#   +------------------------------+         +------------------------+
#
# Checks, in order: credit-line files with a malformed line and an
# unreachable Redis stop the data plane with a clear message; ARP and ICMP
# echo; a fixed list of requests gets exactly the expected decision each;
# each kind of bad datagram is dropped, unanswered and counted; load goes
# on while Redis is stopped.
set -u
GW_PROG=e2e-auth
. "$(dirname "$0")/../../scripts/lib.sh"
. "$(dirname "$0")/assert.sh"

run=$(mktemp -d /tmp/gwe2e.XXXXXX)
trap 'gw_teardown; rm -rf "$run"' EXIT
trap 'exit 130' INT TERM
data=$GW_ROOT/tests/data
NS=gwt

# Stats of the running data plane, one value by jq path.
stat() { jq -r "$1" "$run/dp-stats.json"; }
# Waits for the stats file to be rewritten, so that it is current.
fresh_stats() {
	local before
	before=$(stat_mtime)
	gw_wait_for "[ \$(stat_mtime) != $before ]" 5
}
stat_mtime() { date -r "$run/dp-stats.json" +%s%N; }
sim() {
	ip netns exec $NS "$GW_BUILD/merchant-sim" \
		--control 198.18.1.1:7443 --ca "$run/pki/root.crt" \
		--secrets "$run/secrets" --state-dir "$run" "$@"
}

gw_start_redis "$run"
gw_make_pki "$run" 4
gw_topology $NS gwt0 gwtc

# --- the data plane refuses bad start-up conditions ------------------------
dp_refuses() { # file, expected text
	local out
	out=$("$GW_BUILD/gw-dataplane" -l 0 --no-huge -m 256 --no-pci \
		--file-prefix "gwt$$" --vdev net_null0 --log-level "*:error" -- \
		--addr 198.18.0.2 --credit-lines "$1" \
		--master-key "$run/master.key" --redis "${3:-$run/redis.sock}" \
		2>&1 >/dev/null)
	local rc=$?
	check_eq "exit status with $(basename "$1") ${3:+(no Redis)}" 1 "$rc"
	check_contains "message for $(basename "$1")" "$2" "$out"
}
while IFS='|' read -r file text; do
	[ -n "$file" ] && dp_refuses "$data/bad-cards/$file" "$text"
done <"$data/bad-cards/expected.txt"
dp_refuses "$data/e2e-cards.csv" "cannot reach Redis" "$run/no-such.sock"

# --- the appliance up -------------------------------------------------------
cat "$data/e2e-cards.csv" >"$run/cards.csv"
grep -v '^pan,' "$data/cards.csv" >>"$run/cards.csv"
gw_start_control "$run"
gw_start_dataplane "$run" gwt0 "$run/cards.csv" --idle-sleep-us 20
gw_wait_for "ip netns exec $NS bash -c '</dev/tcp/198.18.1.1/7443'" 10 ||
	fail "gw-control does not listen"

out=$(ip netns exec $NS ping -c 3 -i 0.2 -W 1 198.18.0.2)
check_contains "ICMP echo answered" "3 received" "$out"
mac=$(ip -n $NS neigh show 198.18.0.2 | awk '{print $5}')
check_eq "ARP answered with the port's MAC" "$(cat /sys/class/net/gwt0/address)" "$mac"

# --- a fixed list of requests, one decision each ----------------------------
sim --cards "$data/e2e-cards.csv" --merchants 1 \
	--script "$data/e2e-requests.csv" --report "$run/script.json" \
	>"$run/script.out" 2>&1
check_eq "script run exit status" 0 $? "$run/script.out"
check_script_report "$data/e2e-requests.csv" "$run/script.json"

# --- bad datagrams: dropped, unanswered, counted ---------------------------
fresh_stats
declare -A before
kinds="truncated too_long bad_version bad_type unknown_session bad_tag replay"
for k in $kinds; do before[$k]=$(stat ".drops.$k"); done
resp_before=$(stat .responses)
sim --cards "$data/cards.csv" --merchants 1 --bad-input \
	--report "$run/bad.json" >"$run/bad.out" 2>&1
check_eq "bad-input run exit status" 0 $? "$run/bad.out"
check_eq "bad datagrams answered" 0 "$(jq .bad_answered "$run/bad.json")"
fresh_stats
for k in $kinds; do
	check_eq "drop counter $k" $((before[$k] + 1)) "$(stat ".drops.$k")"
done
check_eq "responses during bad input (the one valid request)" \
	$((resp_before + 1)) "$(stat .responses)"

# --- load, with Redis stopped in the middle --------------------------------
sim --cards "$data/cards.csv" --merchants 4 --rate 1000 --seconds 4 \
	--report "$run/load.json" >"$run/load.out" 2>&1 &
simpid=$!
sleep 1.5
kill -TERM "$GW_REDIS_PID"
wait "$simpid"
check_eq "load run exit status (Redis stopped during it)" 0 $? "$run/load.out"
sent=$(jq .sent "$run/load.json")
check_eq "load: responses equal sent" "$sent" "$(jq .responses "$run/load.json")"
check_eq "load: timeouts" 0 "$(jq .timeouts "$run/load.json")"
check_eq "load: verify failures" 0 "$(jq .verify_failures "$run/load.json")"
check_gt "load: requests sent" 2000 "$sent"
kill -0 "$GW_DATAPLANE_PID" 2>/dev/null
check_eq "data plane still running after Redis went away" 0 $?

finish
