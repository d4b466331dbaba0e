#!/usr/bin/env bash
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Capture REAL `ip -j route` / `ip -j nexthop` output for the unit tests of
# plugins/module_utils/iproute.py (ecmp.lvs.route_info).
#
# Everything happens inside throwaway network namespaces (lab range 10.99.0.0/16 and
# documentation IPv6 prefixes only); the namespaces are deleted on exit.
# Needs root, iproute2, veth, IP_ROUTE_MULTIPATH and nexthop objects (kernel >= 5.3).
#
#   tools/capture/iproute.sh [OUTDIR]     (default: tests/fixtures/iproute)
set -euo pipefail

OUT=${1:-"$(cd "$(dirname "$0")/../.." && pwd)/tests/fixtures/iproute"}
NS=h2cap-ipr
NS_EMPTY=h2cap-ipr-empty
mkdir -p "$OUT"

cleanup() {
  ip netns del "$NS" 2>/dev/null || true
  ip netns del "$NS_EMPTY" 2>/dev/null || true
}
trap cleanup EXIT
cleanup

n() { ip -n "$NS" "$@"; }
x() { ip netns exec "$NS" "$@"; }

# --- topology: three veth pairs, the "b" ends stay in the namespace as peers ------------------
ip netns add "$NS"
n link set lo up
for p in a b c; do
  n link add "v${p}0" type veth peer name "v${p}1"
done
n link set va0 up; n link set va1 up
n link set vb0 up; n link set vb1 up
n link set vc0 up                      # peer vc1 stays down -> routes via vc0 carry "linkdown"
n addr add 10.99.50.1/24 dev va0
n addr add 10.99.51.1/24 dev vb0
n addr add 10.99.52.1/24 dev vc0
n addr add 2001:db8:50::1/64 dev va0 nodad
n addr add 2001:db8:51::1/64 dev vb0 nodad

# --- IPv4 routes (table main) ----------------------------------------------------------------
n route add default via 10.99.50.254
# single path, static
n route add 10.99.100.1/32 via 10.99.50.11 proto static
# multipath, two nexthops, weights 1/3
n route add 10.99.100.10/32 nexthop via 10.99.50.11 dev va0 weight 1 nexthop via 10.99.51.12 dev vb0 weight 3
# multipath, three nexthops, weights 1/2/3 (inserted out of gateway order on purpose)
n route add 10.99.100.11/32 nexthop via 10.99.51.13 dev vb0 weight 3 \
  nexthop via 10.99.50.11 dev va0 weight 1 nexthop via 10.99.50.12 dev va0 weight 2
# multipath with one nexthop on a link whose peer is down (flag linkdown)
n route add 10.99.100.12/32 nexthop via 10.99.50.11 dev va0 nexthop via 10.99.52.14 dev vc0
# routing-daemon style routes (what FRR installs): proto ospf single, proto bgp multipath
n route add 10.99.100.30/32 via 10.99.50.11 proto ospf metric 20
n route add 10.99.100.31/32 proto bgp metric 20 nexthop via 10.99.50.11 dev va0 nexthop via 10.99.51.12 dev vb0
# same prefix twice with different metrics (the kernel uses the lowest)
n route add 10.99.100.50/32 via 10.99.50.11 metric 10
n route add 10.99.100.50/32 via 10.99.51.12 metric 20
# IPv4 route with an IPv6 link-local gateway (RFC 5549, FRR BGP unnumbered style)
n route add 10.99.100.40/32 via inet6 fe80::11 dev va0 proto bgp metric 20
# a non-unicast route
n route add unreachable 10.99.200.0/24
# a wider prefix
n route add 10.99.60.0/24 via 10.99.51.12

# --- nexthop objects ---------------------------------------------------------------------------
n nexthop add id 1 via 10.99.50.11 dev va0
n nexthop add id 2 via 10.99.51.12 dev vb0
n nexthop add id 3 via 10.99.50.12 dev va0
n nexthop add id 10 group 1/2,2
n nexthop add id 11 group 1/2/3 type resilient buckets 32 idle_timer 60 unbalanced_timer 120
n nexthop add id 6 via 2001:db8:50::11 dev va0
n nexthop add id 7 via 2001:db8:51::12 dev vb0
n nexthop add id 20 group 6/7
n route add 10.99.100.20/32 nhid 10 proto bgp
n route add 10.99.100.21/32 nhid 11
n route add 10.99.100.22/32 nhid 1

# --- IPv6 routes (table main) ------------------------------------------------------------------
n -6 route add 2001:db8:100::1/128 via 2001:db8:50::11
n -6 route add 2001:db8:100::10/128 nexthop via 2001:db8:50::11 dev va0 nexthop via 2001:db8:51::12 dev vb0 weight 2
n -6 route add 2001:db8:100::31/128 proto bgp metric 20 nexthop via fe80::11 dev va0 nexthop via fe80::12 dev vb0
n -6 route add 2001:db8:100::20/128 nhid 20
n -6 route add 2001:db8:200::/48 via 2001:db8:51::12 proto ospf

# --- a non-main table ----------------------------------------------------------------------------
n route add 10.99.100.10/32 table 100 via 10.99.51.12
n route add 10.99.100.60/32 table 100 nexthop via 10.99.50.11 dev va0 nexthop via 10.99.51.12 dev vb0

# --- dumps, exactly the commands route_info runs -----------------------------------------------------
n -j -4 route show table main        > "$OUT/route4_main.json"
n -j -6 route show table main        > "$OUT/route6_main.json"
n -j -4 route show table 100         > "$OUT/route4_table100.json"
n -j nexthop show                    > "$OUT/nexthop.json"
# same state, but the kernel does not expand nexthop objects into the route dump
x sysctl -q -w net.ipv4.nexthop_compat_mode=0
n -j -4 route show table main        > "$OUT/route4_main_compat0.json"
n -j -6 route show table main        > "$OUT/route6_main_compat0.json"
x sysctl -q -w net.ipv4.nexthop_compat_mode=1

# a pristine namespace: nothing configured
ip netns add "$NS_EMPTY"
ip -n "$NS_EMPTY" -j -4 route show table main > "$OUT/empty_route4_main.json"
ip -n "$NS_EMPTY" -j -6 route show table main > "$OUT/empty_route6_main.json"
ip -n "$NS_EMPTY" -j nexthop show             > "$OUT/empty_nexthop.json"
# an unknown table name: stderr and exit code
set +e
ip -n "$NS_EMPTY" -j -4 route show table nosuchtable > /dev/null 2> "$OUT/error_unknown_table.stderr"
echo "$?" > "$OUT/error_unknown_table.rc"
set -e

# human-readable view of the same state (documentation for whoever reads the fixtures)
{
  echo "# captured by tools/capture/iproute.sh"
  echo "# $(ip -V)"
  echo "# kernel $(uname -r)"
  echo "### ip -4 route show table main"; n -4 route show table main
  echo "### ip -6 route show table main"; n -6 route show table main
  echo "### ip -4 route show table 100"; n -4 route show table 100
  echo "### ip nexthop show"; n nexthop show
} > "$OUT/README.txt"
echo "fixtures written to $OUT"
