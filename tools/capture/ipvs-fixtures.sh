#!/usr/bin/env bash
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Capture the ipvsadm fixtures of tests/fixtures/ipvsadm/ from a REAL IPVS kernel.
#   on the host:   tools/capture/ipvs-fixtures.sh            (boots a UML guest that runs this script again)
#   in the guest:  ipvs-fixtures.sh OUTDIR                    (called by uml-guest-init.sh)
set -u
here=$(dirname "$(readlink -f "$0")")
if [ -z "${H1_PAYLOAD:-}" ]; then
    out=$(readlink -m "${1:-$here/../../tests/fixtures/ipvsadm}")
    mkdir -p "$out"
    # the host kernel has no IPVS: keep its error text for the "no IPVS" path
    { ipvsadm -Ln; echo "rc=$?"; } >"$out/host-noipvs-Ln.txt" 2>&1
    { ipvsadm -Sn; echo "rc=$?"; } >"$out/host-noipvs-Sn.txt" 2>&1
    exec "$here/uml-run.sh" "$here/ipvs-fixtures.sh" "$out" h1cap
fi
out=$1

# an empty table first
ipvsadm -Sn >"$out/empty-Sn.txt" 2>&1
ipvsadm -Ln --exact >"$out/empty-Ln.txt" 2>&1
ipvsadm --version >"$out/version.txt" 2>&1

# a director-like setup so that the counters move: VIPs on lo, a local real server (10.99.0.1 on dummy0,
# IPVS delivers to local real servers itself) with an HTTP listener, remote real servers behind dummy0
ip link add dummy0 type dummy && ip link set dummy0 up
ip addr add 10.99.0.1/24 dev dummy0
ip addr add 2001:db8:0:1::1/64 dev dummy0 nodad
for vip in 10.99.200.1 10.99.200.2 10.99.200.3; do ip addr add $vip/32 dev lo; done
ip addr add 2001:db8::1/128 dev lo

set -x
ipvsadm -A -t 10.99.200.1:80 -s mh -b mh-port,mh-fallback
ipvsadm -a -t 10.99.200.1:80 -r 10.99.0.1:80 -g -w 1
ipvsadm -a -t 10.99.200.1:80 -r 10.99.0.21:80 -g -w 2
ipvsadm -a -t 10.99.200.1:80 -r 10.99.0.22:80 -g -w 0
ipvsadm -A -u 10.99.200.1:53 -s wrr
ipvsadm -a -u 10.99.200.1:53 -r 10.99.0.21:5353 -m -w 3 -x 100 -y 10
ipvsadm -a -u 10.99.200.1:53 -r 10.99.0.22:53 -i -w 1
ipvsadm -A -t 10.99.200.2:443 -s rr -p 300 -M 255.255.255.0
ipvsadm -a -t 10.99.200.2:443 -r 10.99.0.21:443 -g
ipvsadm -A -t 10.99.200.3:8080 -s wlc -p
ipvsadm -a -t 10.99.200.3:8080 -r 10.99.0.23:8080 -m -w 5 -x 2000 -y 1500
ipvsadm -A -t '[2001:db8::1]:80' -s sh -b sh-port,sh-fallback -p 120 -M 64
ipvsadm -a -t '[2001:db8::1]:80' -r '[2001:db8:0:1::21]:80' -g -w 5
ipvsadm -a -t '[2001:db8::1]:80' -r '[2001:db8:0:1::22]:8080' -m -w 1
ipvsadm -A -u '[2001:db8::1]:53' -s rr -o
ipvsadm -a -u '[2001:db8::1]:53' -r '[2001:db8:0:1::21]:53' -g
ipvsadm -A --sctp-service 10.99.200.4:5060 -s lc
ipvsadm -a --sctp-service 10.99.200.4:5060 -r 10.99.0.21:5060 -g
ipvsadm -A -f 42 -s rr
ipvsadm -a -f 42 -r 10.99.0.21:0 -g
ipvsadm -A -f 43 -6 -s wrr
ipvsadm -a -f 43 -6 -r '[2001:db8:0:1::21]:0' -g -w 2
ipvsadm -A -t 10.99.200.5:25 -s lblc
ipvsadm -A -t 10.99.200.6:80 -s mh
ipvsadm -a -t 10.99.200.6:80 -r 10.99.0.21:80 -g -w 0
ipvsadm -A -t 10.99.200.7:80 -s rr -b flag-3
set +x

# traffic: completed HTTP requests to the local real server, a held-open connection, SYNs and UDP to
# unreachable real servers
cd /tmp && python3 -m http.server 80 >/dev/null 2>&1 &
httpd=$!
sleep 2
for i in 1 2 3 4 5 6; do curl -s -o /dev/null -m 1 --local-port $((40000 + i)) http://10.99.200.1/ ; done
python3 -c 'import socket,time; s=socket.create_connection(("10.99.200.1",80),timeout=2,source_address=("0.0.0.0",40100)); time.sleep(30)' &
for i in 1 2 3; do echo hi >/dev/udp/10.99.200.1/53; done
timeout 1 bash -c 'echo >/dev/tcp/10.99.200.2/443' 2>/dev/null
timeout 1 bash -c 'echo >/dev/tcp/10.99.200.3/8080' 2>/dev/null
sleep 3   # the rate estimator runs every 2 s

ipvsadm -Sn >"$out/full-Sn.txt" 2>&1
ipvsadm -Ln --exact >"$out/full-Ln.txt" 2>&1
ipvsadm -Ln --stats --exact >"$out/full-Ln-stats.txt" 2>&1
ipvsadm -Ln --rate --exact >"$out/full-Ln-rate.txt" 2>&1
ipvsadm -Ln --thresholds --exact >"$out/full-Ln-thresholds.txt" 2>&1
ipvsadm -Ln --nosort >"$out/full-Ln-nosort.txt" 2>&1
ipvsadm -L --daemon >"$out/full-daemon.txt" 2>&1
ipvsadm -Ln --persistent-conn --exact >"$out/full-Ln-persistent-conn.txt" 2>&1
ipvsadm -Ln --tun-info --exact >"$out/full-Ln-tun-info.txt" 2>&1
ipvsadm -Ln >"$out/full-Ln-noexact.txt" 2>&1
ipvsadm -Lnc >"$out/full-Lnc.txt" 2>&1
# one service only (what ipvs_info may ask for)
ipvsadm -Ln --stats --exact -t 10.99.200.1:80 >"$out/one-Ln-stats.txt" 2>&1

# the sysctl tree, one file per key, as /proc shows it
rm -rf "$out/proc-sys-net-ipv4-vs" && mkdir -p "$out/proc-sys-net-ipv4-vs"
for f in /proc/sys/net/ipv4/vs/*; do
    [ -r "$f" ] && cat "$f" >"$out/proc-sys-net-ipv4-vs/$(basename "$f")" 2>/dev/null
done

# error texts of bad commands: one block per command
{
    run() { echo "### ipvsadm $*"; ipvsadm "$@" 2>&1; echo "### rc=$?"; }
    run -A -t 10.99.200.1:80 -s rr
    run -a -t 10.99.200.99:80 -r 10.99.0.21:80 -g
    run -A -t 10.99.200.98:80 -s nosuch
    run -d -t 10.99.200.1:80 -r 10.99.0.99:80
    run -a -t 10.99.200.1:80 -r 10.99.0.21:80 -g
    run -A -t 10.99.200.97:80 -s rr -b mh-port
    run -E -t 10.99.200.96:80 -s rr
    run -D -t 10.99.200.96:80
    run -e -t 10.99.200.1:80 -r 10.99.0.99:80 -w 3
    run -A -t 10.99.200.95:80 -s rr -p 300 -M 255.255.255.0 -b flag-9
} >"$out/err-commands.txt"
kill $httpd
exit 0
