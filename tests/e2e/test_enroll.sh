#!/usr/bin/env bash
# End to end, link 1: real gw-control, real TLS, real redis-server, real
# certificates from gw-pki.  Everything on loopback:
#
#   merchant-sim / openssl s_client  --TLS 1.3-->  gw-control 127.0.0.1
#                                                      |
#                                                  redis-server (unix socket)
#
# Enrollment works once per secret; a wrong or reused secret, a CSR with a
# bad signature and a certificate from another CA are refused with a clear
# error on both sides.
set -u
GW_PROG=e2e-enroll
. "$(dirname "$0")/../../scripts/lib.sh"
. "$(dirname "$0")/assert.sh"

run=$(mktemp -d /tmp/gwenroll.XXXXXX)
trap 'gw_teardown; rm -rf "$run"' EXIT
trap 'exit 130' INT TERM
port=$((20000 + $$ % 20000))
data=$GW_ROOT/tests/data

gw_start_redis "$run"
"$GW_BUILD/gw-pki" init --dir "$run/pki" --server-name 127.0.0.1 >/dev/null
"$GW_BUILD/gw-control" keygen --out "$run/master.key"
"$GW_BUILD/gw-control" secrets --redis "$run/redis.sock" --count 3 \
	--out "$run/secrets" >/dev/null
"$GW_BUILD/gw-control" serve --pki "$run/pki" --redis "$run/redis.sock" \
	--master-key "$run/master.key" --listen "127.0.0.1:$port" \
	--dataplane 198.18.0.2:7878 2>"$run/control.log" &
gw_track $!
gw_wait_for "bash -c '</dev/tcp/127.0.0.1/$port'" 10 ||
	fail "gw-control does not listen" "" "$run/control.log"

# sim STATE-DIR SECRETS [args]: one merchant enrolls and opens a session.
sim() {
	local dir=$1 secrets=$2
	shift 2
	mkdir -p "$dir"
	"$GW_BUILD/merchant-sim" --control "127.0.0.1:$port" \
		--ca "$run/pki/root.crt" --secrets "$secrets" \
		--state-dir "$dir" --cards "$data/e2e-cards.csv" --merchants 1 \
		--count 0 "$@" 2>&1
}
# link REQUEST-FILE [openssl options]: one raw link-1 exchange.
link() {
	local req=$1
	shift
	openssl s_client -quiet -tls1_3 -CAfile "$run/pki/root.crt" \
		-verify_return_error -connect "127.0.0.1:$port" "$@" \
		<"$req" 2>/dev/null
}

m1=$(sed -n 1p "$run/secrets" | cut -d' ' -f1)
out=$(sim "$run/a" <(sed -n 1p "$run/secrets"))
check_eq "first enrollment succeeds" 0 $?
check_eq "certificate saved with the merchant id" \
	"OK: merchant $m1" \
	"$("$GW_BUILD/gw-pki" verify --dir "$run/pki" --cert "$run/a/$m1.crt" | cut -d, -f1)"

out=$(sim "$run/b" <(sed -n 1p "$run/secrets"))
check_eq "reused secret: merchant-sim fails" 1 $?
check_contains "reused secret: merchant-sim says why" "already used" "$out"
check_contains "reused secret: gw-control logs it" "$m1" \
	"$(grep -i "secret" "$run/control.log")"

m2=$(sed -n 2p "$run/secrets" | cut -d' ' -f1)
out=$(sim "$run/c" <(echo "$m2 00000000000000000000000000000000"))
check_eq "wrong secret: merchant-sim fails" 1 $?
check_contains "wrong secret: merchant-sim says why" "unknown or already used" "$out"

# A CSR whose signature does not verify: flip the last byte of its DER.
"$GW_BUILD/gw-pki" csr --merchant "$m2" --key "$run/m2.key" \
	--out "$run/m2.csr" >/dev/null
openssl req -in "$run/m2.csr" -outform DER -out "$run/m2.der"
size=$(stat -c %s "$run/m2.der")
last=$(od -An -tu1 -j $((size - 1)) "$run/m2.der" | tr -d ' ')
printf "$(printf '\\%03o' $(((last + 1) % 256)))" |
	dd of="$run/m2.der" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
openssl req -inform DER -in "$run/m2.der" -out "$run/bad.csr" 2>/dev/null
secret2=$(sed -n 2p "$run/secrets" | cut -d' ' -f2)
{
	printf 'ENROLL %s %s %d\n' "$m2" "$secret2" "$(stat -c %s "$run/bad.csr")"
	cat "$run/bad.csr"
} >"$run/bad.req"
out=$(link "$run/bad.req")
check_contains "CSR with a bad signature refused" "ERR 400" "$out"
check_contains "the refusal names the signature" "signature" "$out"
# The secret was not consumed by the refused CSR.
out=$(sim "$run/d" <(sed -n 2p "$run/secrets"))
check_eq "secret still good after a refused CSR" 0 $?

# A client certificate from another CA: the handshake or the command fails.
"$GW_BUILD/gw-pki" init --dir "$run/other" --server-name 127.0.0.1 >/dev/null
"$GW_BUILD/gw-pki" csr --merchant "$m1" --key "$run/o.key" \
	--out "$run/o.csr" >/dev/null
"$GW_BUILD/gw-pki" issue --dir "$run/other" --csr "$run/o.csr" \
	--merchant "$m1" --out "$run/o.crt" >/dev/null
printf 'SESSION - 1.0.0 0\n' >"$run/session.req"
out=$(link "$run/session.req" -cert "$run/o.crt" -key "$run/o.key")
case "$out" in
OK*) fail "foreign CA certificate refused" "got: $out" ;;
*) pass "foreign CA certificate refused" ;;
esac
check_contains "gw-control logs the foreign certificate" "certificate" \
	"$(tail -5 "$run/control.log")"

# With its own certificate the same request opens a session.
out=$(link "$run/session.req" -cert "$run/a/$m1.crt" -key "$run/a/$m1.key")
check_contains "session opened with the enrolled certificate" "OK id=" "$out"
secret=$(printf '%s' "$out" | sed -n 's/.*secret=\([0-9a-f]*\).*/\1/p')
check_eq "session secret is 32 bytes" 64 "${#secret}"
id=$(printf '%s' "$out" | sed -n 's/.*id=\([0-9]*\).*/\1/p')
wrapped=$(redis-cli -s "$run/redis.sock" hget "gw:session:$id" wrapped)
check_eq "Redis holds a wrapped secret" 120 "${#wrapped}"
case "$wrapped" in
*"$secret"*) fail "Redis does not hold the secret in clear" ;;
*) pass "Redis does not hold the secret in clear" ;;
esac
out=$(link "$run/session.req")
check_contains "SESSION without a certificate refused" "ERR 401" "$out"

# A second batch refuses ids whose secret is still pending (m0003; m0001
# and m0002 were used) and writes nothing, unless --replace.
m3=$(sed -n 3p "$run/secrets" | cut -d' ' -f1)
redis() { redis-cli -s "$run/redis.sock" --raw "$@"; }
pending3=$(redis get "gw:enroll:$m3")
out=$("$GW_BUILD/gw-control" secrets --redis "$run/redis.sock" --count 4 \
	--out "$run/secrets2" 2>&1)
check_eq "second batch over a pending id: exit status 1" 1 $?
check_contains "the refusal names the pending id" \
	"merchant $m3 already has a pending enrollment secret" "$out"
check_eq "refused batch: no file" no "$([ -e "$run/secrets2" ] && echo yes || echo no)"
check_eq "refused batch: no new id in Redis" 0 "$(redis exists gw:enroll:m0004)"
check_eq "refused batch: pending secret kept" "$pending3" \
	"$(redis get "gw:enroll:$m3")"
out=$("$GW_BUILD/gw-control" secrets --redis "$run/redis.sock" \
	--merchant "$m3" --out "$run/secrets3" 2>&1)
check_eq "--merchant with a pending secret: exit status 1" 1 $?
out=$("$GW_BUILD/gw-control" secrets --redis "$run/redis.sock" \
	--merchant "$m3" --out "$run/secrets3" --replace 2>&1)
check_eq "--replace re-issues" 0 $?
check_contains "--replace says so" "replacing 1 pending" "$out"
check_eq "Redis holds the re-issued secret's hash" \
	"$(printf %s "$(cut -d' ' -f2 "$run/secrets3")" | sha256sum | cut -d' ' -f1)" \
	"$(redis get "gw:enroll:$m3")"

# Operator commands refuse a merchant that never enrolled.
unknown() { # COMMAND [options]: run for merchant m0099, never enrolled
	local cmd=$1 out
	shift
	out=$("$GW_BUILD/gw-control" "$cmd" --redis "$run/redis.sock" \
		--merchant m0099 "$@" 2>&1)
	check_eq "$cmd of an unknown merchant: exit status 1" 1 $?
	check_contains "$cmd names the unknown merchant" "m0099 is unknown" "$out"
}
unknown message --text hello
unknown rekey
unknown revoke --pki "$run/pki"
out=$("$GW_BUILD/gw-control" rekey --redis "$run/redis.sock" --merchant "$m1" 2>&1)
check_eq "rekey of an enrolled merchant succeeds" 0 $?

# Every subcommand answers --help with the usage and exit status 0.
for cmd in serve secrets sessions keygen revoke publish message rekey; do
	out=$("$GW_BUILD/gw-control" "$cmd" --help 2>/dev/null)
	check_eq "gw-control $cmd --help: exit status 0" 0 $?
	check_contains "gw-control $cmd --help: usage" "usage: gw-control" "$out"
done

# Settlement before any traffic: an empty batch from Redis, but a wrong
# journal directory is an error.
out=$("$GW_BUILD/gw-settle" --redis "$run/redis.sock" 2>&1 >/dev/null)
check_eq "gw-settle on Redis without streams: exit status 0" 0 $?
check_contains "gw-settle says no streams" "no journal streams in Redis" "$out"
out=$("$GW_BUILD/gw-settle" --journal-dir "$run/none" 2>&1)
check_eq "gw-settle on a missing directory: exit status 1" 1 $?
check_contains "gw-settle names it" "$run/none: no such directory" "$out"
out=$("$GW_BUILD/gw-settle" --journal-dir "$run" 2>&1)
check_eq "gw-settle on a directory without journals: exit status 1" 1 $?
check_contains "gw-settle says so" "no journal files in $run" "$out"

finish
