# Assertions for the end-to-end scripts: each prints one PASS or FAIL line
# naming what it checked; finish prints the totals and sets the exit code.
# Sourced after scripts/lib.sh.

GW_CHECKS_PASSED=0
GW_CHECKS_FAILED=0

pass() {
	printf '  ok   %s\n' "$1"
	GW_CHECKS_PASSED=$((GW_CHECKS_PASSED + 1))
}

# fail NAME [DETAIL] [LOGFILE]: a failed check, with the log's tail.
fail() {
	printf '  FAIL %s%s\n' "$1" "${2:+: $2}"
	[ -n "${3:-}" ] && [ -f "$3" ] && tail -20 "$3" | sed 's/^/       /'
	GW_CHECKS_FAILED=$((GW_CHECKS_FAILED + 1))
}

check_eq() { # name expected actual [logfile]
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected '$2', got '$3'" "${4:-}"
	fi
}

check_contains() { # name needle haystack
	case "$3" in
	*"$2"*) pass "$1" ;;
	*) fail "$1" "no '$2' in: $(printf '%s' "$3" | head -c 300)" ;;
	esac
}

check_gt() { # name floor actual
	if [ "$3" -gt "$2" ] 2>/dev/null; then
		pass "$1"
	else
		fail "$1" "expected more than $2, got '$3'"
	fi
}

# check_script_report REQUESTS REPORT: merchant-sim's report of a --script
# run holds exactly the decisions that the request file's expected-code
# column lists, one answer per request.
check_script_report() {
	local req=$1 rep=$2 want n code kind
	want=$(grep -v '^#' "$req" | grep -c .)
	check_eq "script: sent" "$want" "$(jq .sent "$rep")"
	check_eq "script: responses" "$want" "$(jq .responses "$rep")"
	check_eq "script: verify failures" 0 "$(jq .verify_failures "$rep")"
	for code in 00 01 10 13 14 51 54 57 62; do
		n=$(grep -v '^#' "$req" | cut -d, -f5 | grep -cx "$code")
		check_eq "script: decisions $code" "$n" \
			"$(jq ".codes[\"$code\"] // 0" "$rep")"
	done
	# The report's kinds follow the codes: 00 approved, 10 partial, 01
	# referred.
	for kind in approved:00 partial:10 referred:01; do
		n=$(grep -v '^#' "$req" | cut -d, -f5 | grep -cx "${kind#*:}")
		check_eq "script: ${kind%%:*}" "$n" "$(jq ".${kind%%:*}" "$rep")"
	done
}

finish() {
	printf '%s: %d passed, %d failed\n' "$GW_PROG" "$GW_CHECKS_PASSED" \
		"$GW_CHECKS_FAILED"
	[ "$GW_CHECKS_FAILED" -eq 0 ]
}
