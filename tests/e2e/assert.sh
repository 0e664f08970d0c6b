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

finish() {
	printf '%s: %d passed, %d failed\n' "$GW_PROG" "$GW_CHECKS_PASSED" \
		"$GW_CHECKS_FAILED"
	[ "$GW_CHECKS_FAILED" -eq 0 ]
}
