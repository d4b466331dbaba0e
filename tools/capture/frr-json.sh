#!/usr/bin/env bash
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Capture REAL `vtysh ... json` and `ip -j route show VIP` output of a router with two directors for the unit
# tests of plugins/module_utils/frr.py and the status aggregator (playbooks/status.yml).
#
# Three throwaway network namespaces (router, director1, director2) on one bridge (10.99.0.0/24, the lab's
# fabric addresses), one FRR instance per namespace (pathspace -N, no watchfrr, no systemd), configured like the
# roles do (OSPF priority 0 on the directors, hello 1 / dead 4, BFD; then eBGP 65001 -> 65000). Everything is
# removed on exit. Needs root, FRR (the `frr` package), iproute2, veth and bridge.
#
#   tools/capture/frr-json.sh [OUTDIR]     (default: tests/fixtures/frr)
set -euo pipefail

OUT=${1:-"$(cd "$(dirname "$0")/../.." && pwd)/tests/fixtures/frr"}
R=h2cap-frr-r
D1=h2cap-frr-d1
D2=h2cap-frr-d2
VIP=10.99.100.10
mkdir -p "$OUT"

cleanup() {
  for ns in "$R" "$D1" "$D2"; do
    for pidfile in /run/frr/"$ns"/*.pid; do
      if [ -e "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
    done
  done
  sleep 0.5
  for ns in "$R" "$D1" "$D2"; do
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "/run/frr/$ns" "/etc/frr/$ns"
  done
}
trap cleanup EXIT
cleanup

ip netns add "$R"; ip netns add "$D1"; ip netns add "$D2"
ip -n "$R" link add br0 type bridge
ip -n "$R" link set br0 up
ip -n "$R" link set lo up
i=0
for ns in "$D1" "$D2"; do
  i=$((i + 1))
  ip -n "$R" link add "p$i" type veth peer name eth1 netns "$ns"
  ip -n "$R" link set "p$i" master br0 up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth1 up
  ip -n "$ns" addr add "10.99.0.1$i/24" dev eth1
  ip -n "$ns" addr add "$VIP/32" dev lo label lo:lvs
done
ip -n "$R" addr add 10.99.0.1/24 dev br0
ip netns exec "$R" sysctl -qw net.ipv4.fib_multipath_hash_policy=1

start() {  # start NS DAEMON...
  local ns=$1; shift
  mkdir -p "/run/frr/$ns" "/etc/frr/$ns"
  chown frr:frr "/run/frr/$ns"
  for daemon in "$@"; do
    : > "/etc/frr/$ns/$daemon.conf"
    ip netns exec "$ns" "/usr/lib/frr/$daemon" -N "$ns" -d -A 127.0.0.1 -u frr -g frr \
      -f "/etc/frr/$ns/$daemon.conf" -i "/run/frr/$ns/$daemon.pid" --log "file:/run/frr/$ns/$daemon.log"
  done
}
conf() {  # conf NS LINE...
  local ns=$1; shift
  local args=(-c "configure terminal")
  for line in "$@"; do args+=(-c "$line"); done
  vtysh -N "$ns" "${args[@]}" >/dev/null
}
stop() {  # stop NS DAEMON
  kill "$(cat "/run/frr/$1/$2.pid")"
  rm -f "/run/frr/$1/$2.pid"
}
wait_for() {  # wait_for SECONDS COMMAND...
  local end=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -lt $end ] || { echo "timeout: $*" >&2; return 1; }
    sleep 0.5
  done
}
vty() { ip netns exec "$1" vtysh -N "$1" -c "$2"; }
save() { cat > "$OUT/$1"; echo "captured $1"; }

{
  echo "# captured by tools/capture/frr-json.sh"
  /usr/lib/frr/zebra --version | head -1
  echo "# kernel $(uname -r)"
} | save VERSION.txt

for ns in "$R" "$D1" "$D2"; do start "$ns" zebra ospfd bfdd; done
sleep 1
conf "$R" "bfd" "profile lvs" "receive-interval 100" "transmit-interval 100" "detect-multiplier 3" "exit" "exit" \
  "interface br0" "ip ospf hello-interval 1" "ip ospf dead-interval 4" "ip ospf bfd" "ip ospf bfd profile lvs" "exit" \
  "router ospf" "ospf router-id 10.99.0.1" "maximum-paths 16" "network 10.99.0.0/24 area 0.0.0.0" "exit"
for n in 1 2; do
  ns=$([ $n = 1 ] && echo "$D1" || echo "$D2")
  conf "$ns" "bfd" "profile lvs" "receive-interval 100" "transmit-interval 100" "detect-multiplier 3" "exit" "exit" \
    "interface eth1" "ip ospf hello-interval 1" "ip ospf dead-interval 4" "ip ospf priority 0" "ip ospf bfd" \
    "ip ospf bfd profile lvs" "exit" "interface lo" "ip ospf passive" "exit" \
    "router ospf" "ospf router-id 10.99.0.1$n" "network 10.99.0.0/24 area 0.0.0.0" \
    "network $VIP/32 area 0.0.0.0" "exit"
done

two_hops() { [ "$(ip -n "$R" -j route show "$VIP" | grep -o '"gateway"' | wc -l)" = 2 ]; }
one_hop() { [ "$(ip -n "$R" -j route show "$VIP" | grep -o '"gateway"' | wc -l)" = 1 ]; }
no_route() { [ "$(ip -n "$R" -j route show "$VIP")" = "[]" ]; }
bfd_up() { [ "$(vty "$R" 'show bfd peers json' | grep -o '"status":"up"' | wc -l)" = "$1" ]; }

wait_for 60 two_hops
wait_for 30 bfd_up 2
vty "$R" 'show ip ospf neighbor json' | save router-ospf-neighbor-full.json
vty "$D1" 'show ip ospf interface eth1 json' | save director-ospf-interface.json
vty "$D1" 'show ip ospf interface eth9 json' | save director-ospf-interface-unknown.json
vty "$D1" 'show ip ospf neighbor json' | save director-ospf-neighbor-full.json
vty "$R" 'show bfd peers json' | save router-bfd-peers-up.json
ip -n "$R" -j route show "$VIP" | save router-route-vip-two.json

# director2 withdraws (the announce program deletes the VIP address): one nexthop left, a plain route
ip -n "$D2" addr del "$VIP/32" dev lo
wait_for 30 one_hop
ip -n "$R" -j route show "$VIP" | save router-route-vip-one.json

# director1 withdraws too: no route
ip -n "$D1" addr del "$VIP/32" dev lo
wait_for 30 no_route
ip -n "$R" -j route show "$VIP" | save router-route-vip-none.json
ip -n "$D1" addr add "$VIP/32" dev lo label lo:lvs
wait_for 30 one_hop

# director2 halts (its daemons die without a goodbye): BFD down at once, the OSPF neighbour is dropped
stop "$D2" bfdd; stop "$D2" ospfd
wait_for 30 bfd_up 1
sleep 0.3
vty "$R" 'show bfd peers json' | save router-bfd-peers-one-down.json
vty "$R" 'show ip ospf neighbor json' | save router-ospf-neighbor-one-gone.json
# what vtysh prints (and its exit status) when the daemon asked does not run
{ rc=0; vty "$D2" 'show ip ospf interface eth1 json' 2>&1 || rc=$?; echo "# exit status $rc"; } | save director-ospf-interface-no-ospfd.txt
{ rc=0; vty "$D2" 'show bgp ipv4 unicast summary json' 2>&1 || rc=$?; echo "# exit status $rc"; } | save director-bgp-summary-no-bgpd.txt

# BGP (the roles' eBGP: directors 65001, routers 65000), director2's bgpd stopped after it established
start "$D2" bfdd
ip -n "$D2" addr add "$VIP/32" dev lo label lo:lvs
for ns in "$R" "$D1" "$D2"; do start "$ns" bgpd; done
sleep 1
conf "$R" "router bgp 65000" "bgp router-id 10.99.0.1" "no bgp ebgp-requires-policy" "timers bgp 1 3" \
  "neighbor 10.99.0.11 remote-as 65001" "neighbor 10.99.0.12 remote-as 65001" "address-family ipv4 unicast" \
  "maximum-paths 16" "exit-address-family" "exit"
for n in 1 2; do
  ns=$([ $n = 1 ] && echo "$D1" || echo "$D2")
  conf "$ns" "router bgp 65001" "bgp router-id 10.99.0.1$n" "no bgp ebgp-requires-policy" "timers bgp 1 3" \
    "neighbor 10.99.0.1 remote-as 65000" "address-family ipv4 unicast" "network $VIP/32" "exit-address-family" "exit"
done
established() { [ "$(vty "$R" 'show bgp ipv4 unicast summary json' | grep -o '"state":"Established"' | wc -l)" = "$1" ]; }
wait_for 60 established 2
vty "$R" 'show bgp ipv4 unicast summary json' | save router-bgp-summary-established.json
vty "$D1" 'show bgp ipv4 unicast summary json' | save director-bgp-summary-established.json
wait_for 30 two_hops
ip -n "$R" -j route show "$VIP" | save router-route-vip-two-bgp.json
stop "$D2" bgpd
wait_for 30 established 1
vty "$R" 'show bgp ipv4 unicast summary json' | save router-bgp-summary-one-down.json
