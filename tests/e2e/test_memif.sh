#!/usr/bin/env bash
# End to end over DPDK on both sides: merchant-sim --dpdk and gw-dataplane
# joined by a memif link, two processes on one host, no network namespace.
#
#   gw-dataplane (lcores 0-1)                merchant-sim --dpdk (lcore 0)
#   +-------------------------------+  memif  +---------------------------+
#   | worker lcore 1, busy polling  |  ring   | main lcore, busy polling  |
#   | 198.18.0.2:7878               +=========+ 198.18.0.1                |
#   | net_memif0 role=server        | socket  | net_memif0 role=client    |
#   +---------------+---------------+ in $run +-------------+-------------+
#                   | unix socket                           | TLS 1.3
#   +---------------+---------------+         +-------------+-------------+
#   | redis-server (private)        +---------+ gw-control 127.0.0.1:PORT |
#   +-------------------------------+         +---------------------------+
#
# Enrollment and sessions go over TLS on loopback; every request and
# answer goes over the memif ring.  Checks, in order: a fixed list of
# requests gets exactly the expected decision each; a closed loop of 2 s
# answers everything it sends, all verified; the echo data plane returns
# every request, matched byte for byte.
set -u
GW_PROG=e2e-memif
. "$(dirname "$0")/../../scripts/lib.sh"
. "$(dirname "$0")/assert.sh"

run=$(mktemp -d /tmp/gwmemif.XXXXXX)
trap 'gw_teardown; rm -rf "$run"' EXIT
trap 'exit 130' INT TERM
data=$GW_ROOT/tests/data

# A TCP port on loopback that nothing listens on.
free_port() {
	local p
	for p in $(seq $((20000 + $$ % 20000)) 65000); do
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
CPORT=$(free_port)

sim() {
	"$GW_BUILD/merchant-sim" --dpdk -l 0 --no-huge -m 512 --no-pci \
		--file-prefix "gwmsim$$" \
		--vdev "net_memif0,role=client,socket=$run/memif.sock" \
		--log-level "*:warning" -- \
		--control "127.0.0.1:$CPORT" --ca "$run/pki/root.crt" \
		--secrets "$run/secrets" --state-dir "$run/state" "$@"
}

gw_start_redis "$run"
"$GW_BUILD/gw-pki" init --dir "$run/pki" --server-name 127.0.0.1 \
	>"$run/pki.log" || gw_die "gw-pki init failed"
"$GW_BUILD/gw-control" keygen --out "$run/master.key" ||
	gw_die "cannot create the master key"
"$GW_BUILD/gw-control" secrets --redis "$run/redis.sock" --count 4 \
	--out "$run/secrets" >/dev/null || gw_die "cannot create secrets"
"$GW_BUILD/gw-control" serve --pki "$run/pki" --redis "$run/redis.sock" \
	--master-key "$run/master.key" --listen "127.0.0.1:$CPORT" \
	--dataplane 198.18.0.2:7878 2>>"$run/control.log" &
gw_track $!
gw_wait_for "bash -c '</dev/tcp/127.0.0.1/$CPORT'" 10 ||
	gw_die "gw-control does not listen on 127.0.0.1:$CPORT"

# The script's cards and the load's are disjoint, so that the load's
# model starts from the file's balances whatever the script spent.
cat "$data/e2e-cards.csv" >"$run/cards.csv"
grep -v '^pan,' "$data/cards.csv" >>"$run/cards.csv"
gw_start_dataplane_memif "$run" "$run/memif.sock" "$run/cards.csv" \
	--idle-sleep-us 0

# --- a fixed list of requests, one decision each ----------------------------
sim --cards "$data/e2e-cards.csv" --merchants 1 \
	--script "$data/e2e-requests.csv" --report "$run/script.json" \
	>"$run/script.out" 2>&1
check_eq "script run exit status" 0 $? "$run/script.out"
check_eq "script: mode" dpdk "$(jq -r .mode "$run/script.json")"
check_script_report "$data/e2e-requests.csv" "$run/script.json"

# --- closed loop: K outstanding for 2 s, every answer verified -------------
sim --cards "$data/cards.csv" --merchants 4 --sessions-per-merchant 4 \
	--closed-loop 16 --seconds 2 --warmup-ms 200 \
	--report "$run/closed.json" --hist "$run/closed.hist" \
	>"$run/closed.out" 2>&1
check_eq "closed loop exit status" 0 $? "$run/closed.out"
sent=$(jq .sent "$run/closed.json")
check_gt "closed loop: requests sent" 1000 "$sent"
check_eq "closed loop: responses equal sent" "$sent" \
	"$(jq .responses "$run/closed.json")"
check_eq "closed loop: verify failures" 0 \
	"$(jq .verify_failures "$run/closed.json")"
check_eq "closed loop: loss" 0 "$(jq '.loss * 1e9 | floor' "$run/closed.json")"
check_eq "closed loop: K" 16 "$(jq .closed_loop "$run/closed.json")"
check_eq "closed loop: offered rate" 0 \
	"$(jq '.offered_rate | floor' "$run/closed.json")"
check_eq "closed loop: sessions" 16 "$(jq .sessions "$run/closed.json")"
check_eq "closed loop: histogram holds every answer" "$sent" \
	"$(awk '{ n += $3 } END { print n + 0 }' "$run/closed.hist")"

# --- the echo baseline: requests come back as they went --------------------
kill -TERM "$GW_DATAPLANE_PID"
wait "$GW_DATAPLANE_PID" 2>/dev/null
gw_start_dataplane_memif "$run" "$run/memif.sock" "$run/cards.csv" \
	--idle-sleep-us 0 --echo
sim --cards "$data/cards.csv" --merchants 2 --closed-loop 8 --seconds 1 \
	--warmup-ms 100 --expect-echo --report "$run/echo.json" \
	>"$run/echo.out" 2>&1
check_eq "echo run exit status" 0 $? "$run/echo.out"
sent=$(jq .sent "$run/echo.json")
check_gt "echo: requests sent" 1000 "$sent"
check_eq "echo: responses equal sent" "$sent" "$(jq .responses "$run/echo.json")"
check_eq "echo: no decisions counted" 0 "$(jq .approved "$run/echo.json")"

finish
