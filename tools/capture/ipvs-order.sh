#!/usr/bin/env bash
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Capture the real-server ORDER and sync-daemon fixtures of tests/fixtures/ipvsadm/ on a host with IPVS
# (a UML lab director), inside a throw-away network namespace (IPVS tables and sync daemons are per
# namespace: the host's own table is never touched):
#   lab/ecmplab --name NAME ssh director1 -- bash -s < tools/capture/ipvs-order.sh
#   then copy /tmp/ipvs-order/* into tests/fixtures/ipvsadm/ (see tests/fixtures/ipvsadm/README.md)
# Needs ipvsadm and keepalived (the director role installs both).
set -u
out=${1:-/tmp/ipvs-order}
ns=ecmpcap$$
rm -rf "$out" && mkdir -p "$out"
ip netns add $ns
trap 'ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null; sleep 1; ip netns del $ns' EXIT
in_ns() { ip netns exec $ns "$@"; }
# poll a condition for up to 10 s
wait_for() { local n=0; while [ $n -lt 20 ]; do "$@" && return 0; n=$((n + 1)); sleep 0.5; done; return 1; }
has_rs() { in_ns ipvsadm -Ln | grep -q "$1"; }
stopped() { [ ! -e "/run/$ns.pid" ]; }
in_ns ip link set lo up
in_ns ip link add d0 type dummy
in_ns ip link set d0 up
in_ns ip addr add 10.99.0.11/24 dev d0
in_ns ip addr add 10.99.100.10/32 dev lo

# all the listings ecmp.lvs.ipvs_info reads, prefix $1
dump() {
    in_ns ipvsadm -Sn >"$out/$1-Sn.txt" 2>&1
    in_ns ipvsadm -Ln --thresholds --exact >"$out/$1-Ln-thresholds.txt" 2>&1
    in_ns ipvsadm -Ln --stats --exact >"$out/$1-Ln-stats.txt" 2>&1
    in_ns ipvsadm -Ln --rate --exact >"$out/$1-Ln-rate.txt" 2>&1
    in_ns ipvsadm -Ln --nosort >"$out/$1-Ln-nosort.txt" 2>&1
    in_ns ipvsadm -L --daemon >"$out/$1-daemon.txt" 2>&1
}

# 1. sync daemons: none, then master + backup on the same syncid, then the errors of a second start / a stop
in_ns ipvsadm -L --daemon >"$out/daemon-none.txt" 2>&1
in_ns ipvsadm --start-daemon master --mcast-interface d0 --syncid 7
in_ns ipvsadm --start-daemon backup --mcast-interface d0 --syncid 7
in_ns ipvsadm -L --daemon >"$out/daemon-both.txt" 2>&1
{ in_ns ipvsadm --start-daemon master --mcast-interface d0 --syncid 7; echo "rc=$?"; } >"$out/daemon-err-running.txt" 2>&1
in_ns ipvsadm --stop-daemon master
in_ns ipvsadm --stop-daemon backup
{ in_ns ipvsadm --stop-daemon backup; echo "rc=$?"; } >"$out/daemon-err-none.txt" 2>&1

# 2. ipvsadm adds .21, .22, .23 in this order: the listing with --nosort shows the kernel's list order
in_ns ipvsadm -A -t 10.99.100.10:80 -s mh -b mh-fallback,mh-port
for rs in 10.99.0.21 10.99.0.22 10.99.0.23; do in_ns ipvsadm -a -t 10.99.100.10:80 -r $rs:80 -g -w 1; done
in_ns ipvsadm -Ln --nosort >"$out/order-added-Ln-nosort.txt" 2>&1
in_ns ipvsadm -Ln >"$out/order-added-Ln.txt" 2>&1
in_ns ipvsadm -C

# 3. keepalived (health checker only, as the director role renders it; no checkers so every real server
#    stays up) starts with .21 .22 .23, then is reloaded with .20 added in front (sorted config order)
conf() {
    printf 'global_defs {\n    router_id capture\n}\nvirtual_server 10.99.100.10 80 {\n    delay_loop 2\n'
    printf '    lb_algo mh\n    mh-fallback\n    mh-port\n    lb_kind DR\n    protocol TCP\n    quorum 1\n'
    printf '    inhibit_on_failure\n'
    for rs in "$@"; do printf '    real_server %s 80 {\n        weight 1\n    }\n' "$rs"; done
    printf '}\n'
}
conf 10.99.0.21 10.99.0.22 10.99.0.23 >"$out/keepalived-start.conf"
cp "$out/keepalived-start.conf" /tmp/$ns-keepalived.conf
in_ns keepalived -f /tmp/$ns-keepalived.conf -p /run/$ns.pid -c /run/$ns-c.pid -r /run/$ns-v.pid
wait_for has_rs 10.99.0.23
dump keepalived-start
conf 10.99.0.20 10.99.0.21 10.99.0.22 10.99.0.23 >"$out/keepalived-reload.conf"
cp "$out/keepalived-reload.conf" /tmp/$ns-keepalived.conf
kill -HUP "$(cat /run/$ns.pid)"
wait_for has_rs 10.99.0.20
# the sync daemons run in the captured state too (ipvs_info returns them)
in_ns ipvsadm --start-daemon master --mcast-interface d0 --syncid 7
in_ns ipvsadm --start-daemon backup --mcast-interface d0 --syncid 7
dump keepalived-reload
kill "$(cat /run/$ns.pid)"
wait_for stopped
# 4. a keepalived restart with the same configuration: the order of a fresh start again (the fix)
in_ns keepalived -f /tmp/$ns-keepalived.conf -p /run/$ns.pid -c /run/$ns-c.pid -r /run/$ns-v.pid
wait_for has_rs 10.99.0.23
in_ns ipvsadm -Ln --nosort >"$out/keepalived-restart-Ln-nosort.txt" 2>&1
kill "$(cat /run/$ns.pid)"
wait_for stopped
rm -f /tmp/$ns-keepalived.conf
ls "$out"
