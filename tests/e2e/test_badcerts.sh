#!/usr/bin/env bash
# End to end, link 1: a table of bad client certificates, each presented
# to the real gw-control in a TLS 1.3 handshake and refused, with its
# reason in gw-control's log and, as a TLS alert, on the client's side.
# Two gateways on loopback, each with its own PKI and redis-server; the
# second one's issuing CA gets revoked, which breaks every certificate
# under it:
#
#   openssl s_client --TLS 1.3--> gw-control 127.0.0.1:P    (PKI "main")
#     SESSION - 1.0.0 0              |
#     RENEW <CSR for another id>   redis-server (unix socket)
#
#   openssl s_client --TLS 1.3--> gw-control 127.0.0.1:Q    (PKI "ica")
#                                    |
#                                  redis-server (unix socket)
#
# Certificates come from gw-pki wherever it can make them; openssl makes
# only what gw-pki refuses to: a certificate valid from tomorrow, and one
# signed by a merchant certificate (CA:FALSE).  pki_lists does what the
# PKI library offers and the gw-pki command does not: revoking the issuing
# CA, and lists valid for one second.  Lists changed on disk apply from
# the next handshake on, without a restart.
set -u
GW_PROG=e2e-badcerts
. "$(dirname "$0")/../../scripts/lib.sh"
. "$(dirname "$0")/assert.sh"

run=$(mktemp -d /tmp/gwbadcerts.XXXXXX)
trap 'gw_teardown; [ -n "${GW_KEEP:-}" ] || rm -rf "$run"' EXIT
trap 'exit 130' INT TERM
pki=$GW_BUILD/gw-pki
lists=$GW_BUILD/tests/pki_lists
c=$run/certs
mkdir -p "$c" "$run/main" "$run/ica" "$run/other"

# gateway NAME: redis-server, PKI, master key and gw-control serving the
# PKI of $run/NAME on a free loopback port, written to $run/NAME/port.
gateway() {
	local d=$run/$1 p
	gw_start_redis "$d"
	"$pki" init --dir "$d/pki" --server-name 127.0.0.1 >/dev/null ||
		gw_die "gw-pki init failed"
	"$GW_BUILD/gw-control" keygen --out "$d/master.key" 2>/dev/null
	p=$(gw_free_port)
	"$GW_BUILD/gw-control" serve --pki "$d/pki" --redis "$d/redis.sock" \
		--master-key "$d/master.key" --listen "127.0.0.1:$p" \
		--dataplane 198.18.0.2:7878 2>"$d/control.log" &
	gw_track $!
	echo $! >"$d/control.pid"
	echo "$p" >"$d/port"
	gw_wait_for "bash -c '</dev/tcp/127.0.0.1/$p'" 10 ||
		gw_die "gw-control $1 does not listen (see $d/control.log)"
}
gateway main
gateway ica
"$pki" init --dir "$run/other/pki" --server-name 127.0.0.1 >/dev/null

# merchant PKI NAME ID [gw-pki issue options]: key, CSR and certificate
# $c/NAME.{key,csr,crt} for merchant ID from the PKI of $run/PKI.
merchant() {
	"$pki" csr --merchant "$3" --key "$c/$2.key" --out "$c/$2.csr" \
		>/dev/null &&
		"$pki" issue --dir "$run/$1/pki" --csr "$c/$2.csr" \
			--merchant "$3" --out "$c/$2.crt" "${@:4}" >/dev/null ||
		gw_die "cannot issue $2"
}
merchant main good m001
merchant main renewer m002
merchant main revoked m003
merchant main expired m004 --seconds 1
merchant other other-ca m001
merchant ica underca m101
cp "$run/main/pki/server.crt" "$run/main/pki/server.key" "$c/"
cp "$run/main/pki/codesign.crt" "$run/main/pki/codesign.key" "$c/"

# The extensions of a gw-pki merchant certificate, for openssl.
extensions() { # ID
	printf '[merchant]\n'
	printf 'basicConstraints = critical,CA:FALSE\n'
	printf 'keyUsage = critical,digitalSignature\n'
	printf 'extendedKeyUsage = clientAuth\n'
	printf 'subjectKeyIdentifier = hash\n'
	printf 'authorityKeyIdentifier = keyid:always\n'
	printf 'subjectAltName = URI:urn:gw:merchant:%s\n' "$1"
}

# Valid from tomorrow, signed by the issuing CA: gw-pki issues from now.
"$pki" csr --merchant m005 --key "$c/future.key" --out "$c/future.csr" \
	>/dev/null
mkdir "$run/ca"
: >"$run/ca/index.txt"
echo 7000 >"$run/ca/serial"
{
	printf '[ca]\ndefault_ca = future\n[future]\n'
	printf 'database = %s\nnew_certs_dir = %s\nserial = %s\n' \
		"$run/ca/index.txt" "$run/ca" "$run/ca/serial"
	printf 'default_md = sha256\npolicy = any\nunique_subject = no\n'
	printf '[any]\ncommonName = supplied\n'
	extensions m005
} >"$run/ca/openssl.cnf"
openssl ca -batch -notext -config "$run/ca/openssl.cnf" \
	-cert "$run/main/pki/issuing.crt" -keyfile "$run/main/pki/issuing.key" \
	-in "$c/future.csr" -out "$c/future.crt" -extensions merchant \
	-startdate "$(date -u -d '+1 day' +%y%m%d%H%M%SZ)" \
	-enddate "$(date -u -d '+30 days' +%y%m%d%H%M%SZ)" 2>"$run/ca/log" ||
	gw_die "openssl ca failed: $(cat "$run/ca/log")"

# Signed by m001's own certificate (CA:FALSE), presented with it as the
# chain: a merchant acting as a CA.
"$pki" csr --merchant m009 --key "$c/byleaf.key" --out "$c/byleaf.csr" \
	>/dev/null
extensions m009 >"$run/byleaf.ext"
openssl x509 -req -in "$c/byleaf.csr" -CA "$c/good.crt" \
	-CAkey "$c/good.key" -set_serial 99 -days 1 -sha256 \
	-extfile "$run/byleaf.ext" -extensions merchant \
	-out "$c/byleaf.crt" 2>"$run/byleaf.log" ||
	gw_die "openssl x509 -req failed: $(cat "$run/byleaf.log")"
cp "$c/good.crt" "$c/byleaf.chain"

# Requests: a session, and a renewal whose CSR names m001, to be sent on
# m002's certificate.
printf 'SESSION - 1.0.0 0\n' >"$run/session.req"
"$pki" csr --merchant m001 --key "$run/steal.key" --out "$run/steal.csr" \
	>/dev/null
{
	printf 'RENEW %d\n' "$(stat -c %s "$run/steal.csr")"
	cat "$run/steal.csr"
} >"$run/renew-as-m001.req"

# present GATEWAY CERT REQUEST: one link-1 exchange with $c/CERT.crt (its
# key, and its chain if any) against GATEWAY.  The answer goes to
# $run/out, the client's errors to $run/err and gw-control's log lines of
# that connection to $run/log.  stdin stays open a moment so that the
# answer or the alert arrives before s_client closes.
present() {
	local d=$run/$1 lines closed
	local args=(-cert "$c/$2.crt" -key "$c/$2.key")
	[ -f "$c/$2.chain" ] && args+=(-cert_chain "$c/$2.chain")
	lines=$(wc -l <"$d/control.log")
	closed=$(grep -c ': closed$' "$d/control.log")
	{
		cat "$run/$3.req"
		sleep 0.7
	} | openssl s_client -quiet -no_ign_eof -nocommands -tls1_3 \
		-CAfile "$d/pki/root.crt" -verify_return_error \
		-connect "127.0.0.1:$(cat "$d/port")" "${args[@]}" \
		>"$run/out" 2>"$run/err"
	gw_wait_for "[ \$(grep -c ': closed\$' $d/control.log) -gt $closed ]" 5
	tail -n +$((lines + 1)) "$d/control.log" >"$run/log"
}
ms() { date +%s%3N; }
not_after() {
	date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s
}

# The preparations and repairs that the table names.
wait_expiry() { # until m004's one second is over
	while [ "$(date +%s)" -le "$(not_after "$c/expired.crt")" ]; do
		sleep 0.2
	done
}
revoke_leaf() { # m003 gets in, then is revoked
	present main revoked session
	check_contains "m003 opens a session before its revocation" "OK id=" \
		"$(cat "$run/out")"
	"$pki" revoke --dir "$run/main/pki" --merchant m003 \
		--reason keyCompromise >/dev/null
	check_eq "gw-pki revoke --merchant m003" 0 $?
	revoked_at=$(ms)
}
expire_lists() { # both lists valid for one second, then past it
	"$lists" publish "$run/main/pki" 1 >/dev/null
	check_eq "lists published for one second" 0 $?
	sleep 1.5
}
remove_crl() { mv "$run/main/pki/crl.pem" "$run/crl.pem.removed"; }
remove_root_crl() {
	mv "$run/main/pki/root-crl.pem" "$run/root-crl.pem.removed"
}
republish() {
	"$pki" crl --dir "$run/main/pki" --days 7 >/dev/null
	check_eq "gw-pki crl --days 7 republishes the lists" 0 $?
}
revoke_issuing() { # m101 gets in, then its issuing CA is revoked
	present ica underca session
	check_contains "m101 opens a session before its CA's revocation" \
		"OK id=" "$(cat "$run/out")"
	"$lists" revoke-issuing "$run/ica/pki" cACompromise >/dev/null
	check_eq "the issuing CA of the second PKI revoked" 0 $?
}

# The table.  Each row: number, what is presented, gateway, preparation,
# certificate, request, outcome (opens or refused), what gw-control logs
# for that connection, what the client hears, repair afterwards.
rows() {
	cat <<'EOF'
1|a valid certificate|main|-|good|session|opens|merchant m001 opened session|OK id=|-
2|expired|main|wait_expiry|expired|session|refused|failed: certificate has expired|alert certificate expired|-
3|not yet valid|main|-|future|session|refused|failed: certificate is not yet valid|alert bad certificate|-
4|signed by another CA|main|-|other-ca|session|refused|failed: unable to get local issuer certificate|alert unknown ca|-
5|issued by a CA:FALSE merchant certificate|main|-|byleaf|session|refused|failed: invalid CA certificate|alert unknown ca|-
6|the gateway's server certificate (serverAuth)|main|-|server|session|refused|failed: unsuitable certificate purpose|alert unsupported certificate|-
7|the code-signing certificate (codeSigning)|main|-|codesign|session|refused|failed: unsuitable certificate purpose|alert unsupported certificate|-
8|m002 renewing with a CSR for m001|main|-|renewer|renew-as-m001|refused|renewal for merchant m002 refused: CSR subject CN "m001" does not match merchant id m002|ERR 403 CSR subject CN "m001" does not match merchant id m002|-
9|revoked leaf, no restart|main|revoke_leaf|revoked|session|refused|failed: certificate revoked|alert certificate revoked|-
10|CRL expired|main|expire_lists|good|session|refused|failed: CRL has expired|alert certificate expired|republish
11|crl.pem missing|main|remove_crl|good|session|refused|failed: unable to get certificate CRL|alert unknown ca|republish
12|root-crl.pem missing|main|remove_root_crl|good|session|refused|failed: unable to get certificate CRL|alert unknown ca|republish
13|the valid certificate once the lists are back|main|-|good|session|opens|merchant m001 opened session|OK id=|-
14|revoked leaf, in lists republished from index.txt|main|-|revoked|session|refused|failed: certificate revoked|alert certificate revoked|-
15|revoked issuing CA (second PKI)|ica|revoke_issuing|underca|session|refused|failed: certificate revoked|alert certificate revoked|-
EOF
}

while IFS='|' read -r -u 3 n what gw prep cert req outcome log hears then; do
	[ "$prep" = - ] || $prep
	present "$gw" "$cert" "$req"
	t="$n. $what:"
	opened=$(grep -c '^OK id=' "$run/out")
	if [ "$outcome" = opens ]; then
		check_eq "$t session opened" 1 "$opened" "$run/log"
	else
		check_eq "$t refused" 0 "$opened" "$run/log"
	fi
	check_contains "$t gw-control logs \"$log\"" "$log" "$(cat "$run/log")"
	check_contains "$t the client hears \"$hears\"" "$hears" \
		"$(cat "$run/out" "$run/err")"
	if [ "$n" = 9 ]; then
		check_gt "$t refused within 2 s of gw-pki revoke" 0 \
			$((2000 - ($(ms) - revoked_at)))
	fi
	[ "$then" = - ] || $then
done 3< <(rows)

# One gw-control process picked up every list change: no restart.
check_eq "gw-control main started once" 1 \
	"$(grep -c 'listening on' "$run/main/control.log")"
kill -0 "$(cat "$run/main/control.pid")" 2>/dev/null
check_eq "gw-control main still running" 0 $?
for list in crl.pem root-crl.pem; do
	check_contains "removing $list is logged as refusing everyone" \
		"no CRL: cannot read $list" \
		"$(grep 'every client certificate is refused' "$run/main/control.log")"
done
check_eq "m002's renewal issued nothing: index.txt has 4 lines" 4 \
	"$(wc -l <"$run/main/pki/index.txt")"

finish
