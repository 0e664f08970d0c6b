#!/usr/bin/env bash
# End to end: decisions survive kill -9 of the data plane, reach Redis
# exactly once, and a damaged journal is handled as documented.
#
#   root namespace                           namespace gwd (merchants)
#   +------------------------------+         +------------------------+
#   | gw-dataplane  198.18.0.2     |  veth   |                        |
#   |   af_packet on gwd0  --------+---------+- 198.18.0.1  gwd-d     |
#   |   journal in $run/journal    |         |  merchant-sim          |
#   | gw-control    198.18.1.1     |  veth   |  txn_client            |
#   |   TLS :7443 on gwdc  --------+---------+- 198.18.1.2  gwd-c     |
#   | redis-server (unix socket)   |         |                        |
#   |   streams gw:journal:<n>     |         |                        |
#   +------------------------------+         +------------------------+
#
# Checks, in order: the exact-amount transaction set (over-capture,
# over-refund, second capture, unknown original, partial capture and
# reversal, refund, capture-now, duplicate, conflicting reuse); kill -9 in
# the middle of load, five times, each answer then in the journal and in
# Redis exactly once, its retransmit answered as before, the card debited
# once, and merchant-sim's requests cut off by the kills reversed, every
# approval in its answers log journaled and shipped once, every card's
# open-to-buy what the log says; answers held back (the data plane
# stopped) past the retransmit budget, the requests reversed and the
# balances exact; Redis stopped during load; settlement; a torn journal
# end repaired and a damaged journal refused.
set -u
GW_PROG=e2e-durability
. "$(dirname "$0")/../../scripts/lib.sh"
. "$(dirname "$0")/assert.sh"

run=$(mktemp -d /tmp/gwdur.XXXXXX)
# GW_KEEP=1 keeps the run directory for a look at the journals and logs.
trap 'gw_teardown; [ -n "${GW_KEEP:-}" ] || rm -rf "$run"' EXIT
trap 'exit 130' INT TERM
data=$GW_ROOT/tests/data
e2e=$GW_ROOT/tests/e2e
NS=gwd
KILLS=${GW_KILLS:-5}

gw_start_redis "$run"
gw_make_pki "$run" 3
gw_topology $NS gwd0 gwdc
cat "$data/e2e-cards.csv" >"$run/cards.csv"
grep -v '^pan,' "$data/cards.csv" >>"$run/cards.csv"
# merchant-sim's load uses only cards whose open-to-buy it cannot exhaust,
# so that its model of the balances holds across several runs.
grep -E '^pan,|,100000000000,100000000000,A$' "$data/cards.csv" >"$run/load-cards.csv"
gw_start_control "$run"
gw_wait_for "ip netns exec $NS bash -c '</dev/tcp/198.18.1.1/7443'" 10 ||
	fail "gw-control does not listen"
# The third merchant is the transaction client's; merchant-sim uses the
# first two.
merchant=$(sed -n 3p "$run/secrets" | cut -d' ' -f1)

dp_start() {
	gw_start_dataplane "$run" gwd0 "$run/cards.csv" --idle-sleep-us 20 \
		--balances "$run/balances.txt" --dup-window 600 "$@"
}
dstat() { jq -r "$1" "$run/dp-stats.json"; }
# Open-to-buy of the card with masked number $1, from a fresh dump.
otb() {
	rm -f "$run/balances.txt"
	kill -USR1 "$GW_DATAPLANE_PID"
	gw_wait_for "[ -s $run/balances.txt ]" 5
	awk -v m="$1" '$1 == m {print $3}' "$run/balances.txt"
}
txn() { # table base save load [env]
	ip netns exec $NS env TXN_GAP_US="${TXN_GAP_US:-0}" \
		"$GW_BUILD/tests/txn_client" "$1" "$2" 2 "$3" "$4" -- \
		--control 198.18.1.1:7443 --ca "$run/pki/root.crt" \
		--secrets "$run/secrets" --state-dir "$run" --cards "$run/cards.csv"
}
# merchant-sim in the background, as the process whose id is $SIM_PID.
sim_bg() {
	(exec ip netns exec $NS "$GW_BUILD/merchant-sim" \
		--control 198.18.1.1:7443 --ca "$run/pki/root.crt" \
		--secrets "$run/secrets" --state-dir "$run" "$@") &
	SIM_PID=$!
	gw_track $SIM_PID
}
# Waits until every journal record is in Redis.
shipped_all() {
	gw_wait_for "[ \$(jq .ship_backlog $run/dp-stats.json) = 0 ]" "${1:-15}"
}
journal_records() { "$GW_BUILD/gw-settle" --journal-dir "$run/journal" --records; }
stream_records() { "$GW_BUILD/gw-settle" --redis "$run/redis.sock" --records; }
# How often gateway reference $2 occurs in the records in file $1 (compared
# as strings: awk's numbers cannot hold 64 bits).
times_in() { awk -v r="$2" '$7 "" == r ""' "$1" | wc -l; }
# The gateway references of the approvals (00, 10; reversals too) in
# merchant-sim's answers log $1, in decimal as the records have them.
log_approvals() {
	awk '$4 == "00" || $4 == "10" {print $6}' "$1" | while read -r hex; do
		printf '%u\n' "0x$hex"
	done
}
# How many references of file $1 are not exactly once in records file $2.
not_once() {
	awk 'NR == FNR {n[$7 ""]++; next} n[$1 ""] != 1 {bad++}
		END {print bad + 0}' "$2" "$1"
}
# A fresh balances dump into file $1.
dump() {
	rm -f "$run/balances.txt"
	kill -USR1 "$GW_DATAPLANE_PID"
	gw_wait_for "[ -s $run/balances.txt ]" 5
	cp "$run/balances.txt" "$1"
}
# How many cards named in answers log $2 have an open-to-buy in a fresh
# dump other than in dump $1 (taken before the run) minus the log's
# approved authorizations that no approved reversal released.  Cards are
# told apart by their masked number; the sums are per masked number.
model_diff() {
	dump "$run/after.bal"
	awk 'FILENAME == ARGV[1] {before[$1] += $3; next}
		FILENAME == ARGV[2] {
			seen[$8] = 1
			k = $1 " " $2
			if ($3 == "reverse" && $4 == "00") released[k] = 1
			if ($3 == "auth" && ($4 == "00" || $4 == "10")) {
				amount[k] = $5; card[k] = $8
			}
			next
		}
		{now[$1] += $3}
		END {
			for (k in amount) if (!(k in released)) debit[card[k]] += amount[k]
			for (c in seen) if (before[c] - debit[c] != now[c]) {
				printf "%s: expected %.0f, got %.0f\n", c, before[c] - debit[c], now[c] >"/dev/stderr"
				bad++
			}
			print bad + 0
		}' "$1" "$2" "$run/after.bal"
}

# --- exact amounts over the real data path --------------------------------
dp_start
txn "$e2e/txn-exact.csv" 0 "$run/exact.saved" - >"$run/exact.out" 2>&1
check_eq "transaction set: every answer as expected" 0 $? "$run/exact.out"
check_eq "card debited exactly (1000000 - 10000 + 4000 + 3000 - 20000 + 5000 + 3000 - 7000 + 2000)" \
	980000 "$(otb '400000******0012')"

# --- kill -9 in the middle of load, restart on the same journal -----------
card=601100*********0003
otb0=$(otb "$card")
: >"$run/kill.saved"
dump "$run/kill-before.bal"
# A request the kill cut off is reversed after three retransmissions
# (0.4 s); the reversal keeps trying for 4 s, longer than a restart takes.
sim_bg --cards "$run/load-cards.csv" --merchants 2 --rate 300 \
	--seconds 600 --timeout-ms 100 --retries 40 --reverse-after 3 \
	--answers-log "$run/kill-answers.txt" --report "$run/load.json" \
	>"$run/load.out" 2>&1
simpid=$SIM_PID
for round in $(seq "$KILLS"); do
	table=$run/kill-$round.csv
	for i in $(seq 60); do
		echo "k${round}_$i,auth,$((round * 1000 + i)),6011009900000000003,3012,100,0,-,0,100,-,-"
	done >"$table"
	TXN_GAP_US=5000 txn "$table" 0 "$run/kill.saved" - >"$run/kill-$round.out" 2>&1 &
	client=$!
	# Killed in the middle of the client's run: some rows answered, most
	# still to come, merchant-sim's load going on meanwhile.
	gw_wait_for "grep -q 'k${round}_$((RANDOM % 10 + 5)):' $run/kill-$round.out" 20
	kill -KILL "$GW_DATAPLANE_PID"
	wait "$GW_DATAPLANE_PID" 2>/dev/null
	dp_start
	wait "$client"
	check_eq "kill $round: every request answered as an approval of 100" 0 $? "$run/kill-$round.out"
done
kill -TERM "$simpid" 2>/dev/null
wait "$simpid"
check_eq "kill rounds: merchant-sim exit status" 0 $? "$run/load.out"
check_eq "kill rounds: merchant-sim timeouts" 0 "$(jq .timeouts "$run/load.json")"
check_eq "kill rounds: merchant-sim verify failures" 0 "$(jq .verify_failures "$run/load.json")"
check_gt "kill rounds: requests reversed after the kills" 0 \
	"$(jq .timeout_reversals "$run/load.json")"
check_eq "kill rounds: every reversal answered" \
	"$(jq .timeout_reversals "$run/load.json")" \
	"$(jq .timeout_reversals_answered "$run/load.json")"
check_eq "kill rounds: answers log holds every settled request" \
	"$(jq '.responses + .timeout_reversals_answered + .answers_after_reversal' "$run/load.json")" \
	"$(wc -l <"$run/kill-answers.txt")"
check_eq "kill rounds: no card debited twice (dump vs. answers log)" 0 \
	"$(model_diff "$run/kill-before.bal" "$run/kill-answers.txt")"
grep -h '^  ok ' "$run"/kill-*.out | awk '{print $NF}' >"$run/kill.refs"
check_eq "kill rounds: answers received" $((KILLS * 60)) "$(wc -l <"$run/kill.refs")"
check_eq "kill rounds: no reference given to two transactions" 0 \
	"$(sort "$run/kill.refs" | uniq -d | wc -l)"
check_eq "kill rounds: card debited once per approval" \
	$((otb0 - KILLS * 60 * 100)) "$(otb "$card")"
shipped_all 20
check_eq "shipping caught up after the kills" 0 "$(dstat .ship_backlog)"
journal_records >"$run/journal.txt"
stream_records >"$run/stream.txt"
bad=0
while read -r ref; do
	[ "$(times_in "$run/journal.txt" "$ref")" = 1 ] || bad=$((bad + 1))
	[ "$(times_in "$run/stream.txt" "$ref")" = 1 ] || bad=$((bad + 1))
done <"$run/kill.refs"
check_eq "every approval once in the journal and once in Redis" 0 "$bad"
log_approvals "$run/kill-answers.txt" >"$run/sim.refs"
check_gt "merchant-sim approvals in its answers log" 100 "$(wc -l <"$run/sim.refs")"
check_eq "merchant-sim approvals: each once in the journal" 0 \
	"$(not_once "$run/sim.refs" "$run/journal.txt")"
check_eq "merchant-sim approvals: each once in Redis" 0 \
	"$(not_once "$run/sim.refs" "$run/stream.txt")"
check_eq "Redis holds the journal, record for record" \
	"$(sort "$run/journal.txt" | md5sum)" "$(sort "$run/stream.txt" | md5sum)"
check_gt "journal records (the load included)" $((KILLS * 60 + 15)) \
	"$(wc -l <"$run/journal.txt")"

# Retransmits after the restarts: the original answers, no new debit.
otb1=$(otb "$card")
for round in $(seq "$KILLS"); do
	for i in 1 30 60; do
		echo "r${round}_$i,auth,$((round * 1000 + i)),6011009900000000003,3012,100,4,-,0,100,-,k${round}_$i"
	done
done >"$run/repeat.csv"
kill -KILL "$GW_DATAPLANE_PID"
wait "$GW_DATAPLANE_PID" 2>/dev/null
dp_start
txn "$run/repeat.csv" 0 - "$run/kill.saved" >"$run/repeat.out" 2>&1
check_eq "retransmits after restart: original reference and approval code" 0 $? "$run/repeat.out"
check_eq "retransmits after restart: no second debit" "$otb1" "$(otb "$card")"
txn "$e2e/txn-after-restart.csv" 0 - "$run/exact.saved" >"$run/after.out" 2>&1
check_eq "transaction set after restart: repeats and restored state" 0 $? "$run/after.out"
check_eq "transaction set card after restart" 980000 "$(otb '400000******0012')"

# --- answers held back past the retransmit budget: timeout reversals -----
# The data plane is stopped for longer than three retransmissions take, and
# its port's receive ring keeps what arrives meanwhile: after SIGCONT it
# decides each original, then its reversal, which releases the approval.
dump "$run/stop-before.bal"
sim_bg --cards "$run/load-cards.csv" --merchants 2 --rate 200 --seconds 4 \
	--timeout-ms 100 --retries 30 --reverse-after 3 \
	--answers-log "$run/stop-answers.txt" --report "$run/stop.json" \
	>"$run/stop.out" 2>&1
simpid=$SIM_PID
sleep 1
kill -STOP "$GW_DATAPLANE_PID"
sleep 1.5
kill -CONT "$GW_DATAPLANE_PID"
wait "$simpid"
check_eq "held answers: merchant-sim exit status" 0 $? "$run/stop.out"
check_gt "held answers: requests reversed" 0 "$(jq .timeout_reversals "$run/stop.json")"
check_eq "held answers: every reversal answered" \
	"$(jq .timeout_reversals "$run/stop.json")" \
	"$(jq .timeout_reversals_answered "$run/stop.json")"
check_gt "held answers: reversals that released an approval (00)" 0 \
	"$(jq '.timeout_reversal_codes["00"] // 0' "$run/stop.json")"
check_eq "held answers: no original unseen (25)" 0 \
	"$(jq '.timeout_reversal_codes["25"] // 0' "$run/stop.json")"
check_eq "held answers: timeouts" 0 "$(jq .timeouts "$run/stop.json")"
check_eq "held answers: verify failures (the balance model held)" 0 \
	"$(jq .verify_failures "$run/stop.json")"
check_eq "held answers: sent = answered + reversed" "$(jq .sent "$run/stop.json")" \
	"$(jq '.responses + .timeout_reversals_answered' "$run/stop.json")"
check_eq "held answers: data plane open-to-buy equals the model" 0 \
	"$(model_diff "$run/stop-before.bal" "$run/stop-answers.txt")"

# --- Redis stopped during load --------------------------------------------
sim_bg --cards "$run/load-cards.csv" --merchants 2 --rate 500 --seconds 4 \
	--report "$run/redis.json" >"$run/redis.out" 2>&1
simpid=$SIM_PID
sleep 1
kill -TERM "$GW_REDIS_PID"
wait "$GW_REDIS_PID" 2>/dev/null
sleep 2
gw_start_redis "$run"
wait "$simpid"
check_eq "load with Redis stopped: exit status" 0 $? "$run/redis.out"
check_eq "load with Redis stopped: every request answered" \
	"$(jq .sent "$run/redis.json")" "$(jq .responses "$run/redis.json")"
shipped_all 20
check_eq "shipping caught up after Redis returned" 0 "$(dstat .ship_backlog)"
journal_records >"$run/journal.txt"
stream_records >"$run/stream.txt"
check_eq "after Redis returned: stream equals journal, record for record" \
	"$(sort "$run/journal.txt" | md5sum)" "$(sort "$run/stream.txt" | md5sum)"
[ -n "${GW_KEEP:-}" ] && diff <(sort "$run/journal.txt") <(sort "$run/stream.txt") | head
check_eq "after Redis returned: no record twice in the streams" 0 \
	"$(awk '{print $1, $2}' "$run/stream.txt" | sort | uniq -d | wc -l)"

# --- settlement -----------------------------------------------------------
"$GW_BUILD/gw-settle" --redis "$run/redis.sock" --json >"$run/settle.json"
check_eq "gw-settle exit status" 0 $?
row=".rows[] | select(.merchant == \"$merchant\" and .currency == 978)"
check_eq "settlement: captured" "3 25000" \
	"$(jq -r "$row | \"\(.captured.count) \(.captured.total)\"" "$run/settle.json")"
check_eq "settlement: reversed after capture" "1 2000" \
	"$(jq -r "$row | \"\(.reversed.count) \(.reversed.total)\"" "$run/settle.json")"
check_eq "settlement: refunded" "1 3000" \
	"$(jq -r "$row | \"\(.refunded.count) \(.refunded.total)\"" "$run/settle.json")"
check_eq "settlement: net" 20000 "$(jq -r "$row | .net" "$run/settle.json")"

# --- a torn end is cut off; damage before the end refuses the start --------
kill -TERM "$GW_DATAPLANE_PID"
wait "$GW_DATAPLANE_PID" 2>/dev/null
j=$run/journal/worker-0.journal
size=$(stat -c %s "$j")
truncate -s $((size - 60)) "$j"
dp_start
check_contains "torn end: start goes on and the log names file and offset" \
	"$j: dropped a torn record at byte $((size - 160))" "$(cat "$run/dataplane.log")"
check_eq "torn end: file cut to its last whole record" $((size - 160)) "$(stat -c %s "$j")"
kill -TERM "$GW_DATAPLANE_PID"
wait "$GW_DATAPLANE_PID" 2>/dev/null
printf '\x5a' | dd of="$j" bs=1 seek=$((160 * 3 + 40)) conv=notrunc 2>/dev/null
out=$("$GW_BUILD/gw-dataplane" -l 0-1 --no-huge -m 256 --no-pci \
	--file-prefix "gwd$$" --vdev net_null0 --log-level "*:error" -- \
	--addr 198.18.0.2 --credit-lines "$run/cards.csv" \
	--master-key "$run/master.key" --redis "$run/redis.sock" \
	--journal-dir "$run/journal" 2>&1 >/dev/null)
check_eq "damaged journal: start refused with exit status 1" 1 $?
check_contains "damaged journal: message names file and offset" \
	"$j: bad record at byte 480" "$out"

finish
