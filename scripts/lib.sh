# Shell functions shared by scripts/demo, scripts/test and tests/e2e: the
# packages the project needs, the build, and the pieces of a running
# appliance (Redis, PKI, gw-control, gw-dataplane, the merchants' network
# namespace).  Sourced, never run.  Every function that starts something
# records it so that gw_teardown can stop it.

GW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GW_BUILD=${GW_BUILD:-$GW_ROOT/build}
GW_PIDS=()
GW_NETNS=""
GW_LINKS=()

# Debian 12 packages: build, run and test.
GW_PACKAGES="build-essential pkg-config meson ninja-build libdpdk-dev
libipsec-mb-dev libssl-dev openssl libhiredis-dev libcmocka-dev
libjansson-dev redis-server iproute2 iputils-ping ethtool jq clang-format"

gw_log() { printf '%s: %s\n' "${GW_PROG:-gw}" "$*" >&2; }
gw_die() {
	gw_log "error: $*"
	exit 1
}

# Installs whatever is missing; as a non-root user, names what is missing.
gw_deps() {
	local missing=()
	for p in $GW_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		gw_die "missing packages: ${missing[*]} (run as root to install them)"
	fi
	gw_log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || gw_die "apt-get update failed"
	apt-get install -y -qq "${missing[@]}" >/dev/null ||
		gw_die "apt-get install ${missing[*]} failed"
}

# Configures (once) and builds into $1 (default $GW_BUILD) with extra
# meson options after it.
gw_build() {
	local dir=${1:-$GW_BUILD}
	shift || true
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$GW_ROOT" "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log" >&2; gw_die "meson setup failed"; }
	fi
	ninja -C "$dir" >"$dir.ninja.log" 2>&1 ||
		{ tail -50 "$dir.ninja.log" >&2; gw_die "build failed"; }
}

gw_track() { GW_PIDS+=("$1"); }

# Stops everything this shell started, in reverse order, then removes the
# namespace and links.  Safe to call twice.
gw_teardown() {
	local i pid
	for ((i = ${#GW_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${GW_PIDS[$i]}
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${GW_PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	GW_PIDS=()
	for l in "${GW_LINKS[@]}"; do
		ip link del "$l" 2>/dev/null
	done
	GW_LINKS=()
	[ -n "$GW_NETNS" ] && ip netns del "$GW_NETNS" 2>/dev/null
	GW_NETNS=""
}

# A TCP port on loopback that nothing listens on.
gw_free_port() {
	local p
	for p in $(seq $((20000 + $$ % 20000)) 65000); do
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# Waits up to $2 seconds (default 10) for command $1 to succeed.
gw_wait_for() {
	local tries=$((${2:-10} * 10))
	while [ $tries -gt 0 ]; do
		eval "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# A private redis-server on a unix socket in $1, AOF on.
gw_start_redis() {
	local dir=$1
	redis-server --port 0 --unixsocket "$dir/redis.sock" \
		--unixsocketperm 700 --dir "$dir" --appendonly yes \
		--save "" --logfile "$dir/redis.log" &
	gw_track $!
	GW_REDIS_PID=$!
	gw_wait_for "redis-cli -s $dir/redis.sock ping | grep -q PONG" 10 ||
		gw_die "redis-server did not start (see $dir/redis.log)"
}

# The merchants' side: namespace $1 with two veth pairs to the root
# namespace.  Data link: $2 (root side, bound by af_packet, no kernel
# address) to $1-d inside at 198.18.0.1/24; the data plane answers at
# 198.18.0.2.  Control link: $3 in the root namespace at 198.18.1.1/24 to
# $1-c inside at 198.18.1.2/24.  198.18.0.0/15 is the range RFC 2544 sets
# aside for network benchmarks.
gw_topology() {
	local ns=$1 dl=$2 cl=$3
	# The addresses are fixed, so one topology at a time on a machine: a
	# second run waits here until the first one's shell has exited.
	exec 9>/tmp/gw-topology.lock
	flock 9
	ip netns del "$ns" 2>/dev/null
	ip link del "$dl" 2>/dev/null
	ip link del "$cl" 2>/dev/null
	ip netns add "$ns" || gw_die "cannot create network namespace $ns"
	GW_NETNS=$ns
	ip link add "$dl" type veth peer name "$ns-d" netns "$ns" &&
		GW_LINKS+=("$dl") &&
		ip link add "$cl" type veth peer name "$ns-c" netns "$ns" &&
		GW_LINKS+=("$cl") || gw_die "cannot create veth pairs"
	sysctl -qw "net.ipv6.conf.$dl.disable_ipv6=1"
	ip link set "$dl" up
	ip addr add 198.18.1.1/24 dev "$cl"
	ip link set "$cl" up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add 198.18.0.1/24 dev "$ns-d"
	ip -n "$ns" link set "$ns-d" up
	ip -n "$ns" addr add 198.18.1.2/24 dev "$ns-c"
	ip -n "$ns" link set "$ns-c" up
	# Checksums stay as the kernel computed them: the data plane sees
	# frames as on a wire, not half-finished offload work.
	ip netns exec "$ns" ethtool -K "$ns-d" tx off >/dev/null 2>&1
	ethtool -K "$dl" tx off rx off >/dev/null 2>&1
}

# PKI, master key and enrollment secrets for $2 merchants in directory $1.
# The gateway's TLS name is the address gw-control listens on ($3, by
# default the control link's).
gw_make_pki() {
	local dir=$1 n=$2 name=${3:-198.18.1.1}
	"$GW_BUILD/gw-pki" init --dir "$dir/pki" --server-name "$name" \
		>"$dir/pki.log" || gw_die "gw-pki init failed"
	"$GW_BUILD/gw-control" keygen --out "$dir/master.key" ||
		gw_die "cannot create the master key"
	"$GW_BUILD/gw-control" secrets --redis "$dir/redis.sock" \
		--count "$n" --out "$dir/secrets" >/dev/null ||
		gw_die "cannot create enrollment secrets"
}

# gw-control for directory $1, listening on $2 (default the control link's
# address), telling merchants the data plane is at 198.18.0.2:7878.
gw_start_control() {
	local dir=$1 listen=${2:-198.18.1.1:7443}
	"$GW_BUILD/gw-control" serve --pki "$dir/pki" \
		--redis "$dir/redis.sock" --master-key "$dir/master.key" \
		--listen "$listen" --dataplane 198.18.0.2:7878 \
		2>>"$dir/control.log" &
	gw_track $!
	GW_CONTROL_PID=$!
}

# gw-dataplane on af_packet over link $2, with credit lines $3; extra
# options after that.  Waits until its stats file shows it running.
gw_start_dataplane() {
	local dir=$1 link=$2 cards=$3
	shift 3
	rm -f "$dir/dp-stats.json"
	"$GW_BUILD/gw-dataplane" -l 0-1 --no-huge -m 512 --no-pci \
		--file-prefix "gw$$" --vdev "net_af_packet0,iface=$link" \
		--log-level "*:warning" -- \
		--addr 198.18.0.2 --credit-lines "$cards" \
		--master-key "$dir/master.key" --redis "$dir/redis.sock" \
		--stats "$dir/dp-stats.json" --journal-dir "$dir/journal" \
		"$@" 2>>"$dir/dataplane.log" &
	gw_track $!
	GW_DATAPLANE_PID=$!
	gw_wait_for "[ -s $dir/dp-stats.json ]" 30 ||
		gw_die "gw-dataplane did not start (see $dir/dataplane.log)"
}

# gw-dataplane as the server end of a memif link at socket $2 (no network
# namespace needed; merchant-sim --dpdk is the client end), address
# 198.18.0.2, credit lines $3, journals and logs in $1; extra options
# after that.  Waits until its stats file shows it running.
gw_start_dataplane_memif() {
	local dir=$1 sock=$2 cards=$3
	shift 3
	rm -f "$dir/dp-stats.json" "$sock"
	"$GW_BUILD/gw-dataplane" -l 0-1 --no-huge -m 512 --no-pci \
		--file-prefix "gwmdp$$" \
		--vdev "net_memif0,role=server,socket=$sock" \
		--log-level "*:warning" -- \
		--addr 198.18.0.2 --credit-lines "$cards" \
		--master-key "$dir/master.key" --redis "$dir/redis.sock" \
		--stats "$dir/dp-stats.json" --journal-dir "$dir/journal" \
		"$@" 2>>"$dir/dataplane.log" &
	gw_track $!
	GW_DATAPLANE_PID=$!
	gw_wait_for "[ -s $dir/dp-stats.json ]" 30 ||
		gw_die "gw-dataplane did not start (see $dir/dataplane.log)"
}
