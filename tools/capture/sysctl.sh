#!/usr/bin/env bash
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Capture REAL sysctl naming and /proc/sys behaviour for the unit tests of
# plugins/module_utils/sysctl.py (ecmp.lvs.sysctl_state).
#
# Runs inside a throwaway network namespace (net.* sysctls are per netns, the host is never
# modified); the read-only case additionally uses a private mount namespace. Needs root.
#
#   tools/capture/sysctl.sh [OUTDIR]     (default: tests/fixtures/sysctl)
set -euo pipefail

OUT=${1:-"$(cd "$(dirname "$0")/../.." && pwd)/tests/fixtures/sysctl"}
NS=h2cap-sys
mkdir -p "$OUT"
cleanup() { ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT
cleanup

ip netns add "$NS"
x() { ip netns exec "$NS" "$@"; }
# interface names with dots (what a vlan eth0.100 looks like to sysctl); no 8021q/dummy on the host
ip -n "$NS" link add ve0.100 type veth peer name ve1
ip -n "$NS" link add br-x.1 type bridge

# 1. how sysctl(8) names per-interface keys vs. the paths under /proc/sys
x sysctl -a -N 2>/dev/null | grep -E '^net\.(ipv4|ipv6)\.(conf|neigh)\.' | sort > "$OUT/sysctl_names_conf.txt"
x sh -c 'cd /proc/sys && find net/ipv4/conf net/ipv6/conf net/ipv4/neigh net/ipv6/neigh -type f' | sort \
  > "$OUT/proc_paths_conf.txt"

# 2. raw reads (tabs between fields, trailing newline)
x cat /proc/sys/net/ipv4/tcp_rmem            > "$OUT/raw_tcp_rmem"
x cat /proc/sys/net/ipv4/ip_local_port_range > "$OUT/raw_ip_local_port_range"
x cat /proc/sys/net/ipv4/conf/ve0.100/arp_ignore > "$OUT/raw_arp_ignore"

# 3. kernel behaviours the module must cope with
{
  echo "# sysctl -w on a dotted interface name, then read back"
  x sysctl -w net.ipv4.conf.ve0/100.arp_ignore=1
  x sysctl net.ipv4.conf.ve0/100.arp_ignore
  echo "# hex is accepted by integer sysctls and read back as decimal"
  x sh -c 'echo 0x2 > /proc/sys/net/ipv4/conf/ve1/arp_announce; cat /proc/sys/net/ipv4/conf/ve1/arp_announce'
  echo "# a partial vector is accepted silently: only the first fields change"
  x sh -c 'echo "4096 131072" > /proc/sys/net/ipv4/tcp_rmem; cat /proc/sys/net/ipv4/tcp_rmem'
  echo "# outside the documented range (arp_announce 0..2): accepted and read back as is"
  x sh -c 'echo 7 > /proc/sys/net/ipv4/conf/ve1/arp_announce; cat /proc/sys/net/ipv4/conf/ve1/arp_announce' 2>&1 || echo "rc=$?"
  echo "# rejected values: not a number, an inverted port range (python errno as the module sees it)"
  x python3 -c '
import errno
for path, value in (("net/ipv4/conf/ve1/arp_announce", "abc"), ("net/ipv4/ip_local_port_range", "40000 30000")):
    try:
        with open("/proc/sys/" + path, "w") as handle:
            handle.write(value)
    except OSError as exc:
        print("%s <- %r: OSError errno=%d (%s): %s" % (path, value, exc.errno, errno.errorcode[exc.errno], exc.strerror))
'
} > "$OUT/kernel_behaviour.txt" 2>&1

# 4. read-only /proc/sys (what containers see by default)
x unshare --mount -- sh -c '
  mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys
  grep " /proc/sys " /proc/self/mounts
  sysctl -w net.ipv4.conf.lo.arp_ignore=1 2>&1 || echo "rc=$?"
  python3 -c "
import errno
try:
    open(\"/proc/sys/net/ipv4/conf/lo/arp_ignore\", \"w\").write(\"1\")
except OSError as exc:
    print(\"python OSError errno=%d (%s): %s\" % (exc.errno, errno.errorcode[exc.errno], exc.strerror))
"' > "$OUT/readonly_proc_sys.txt" 2>&1

# 5. real sysctl.conf / sysctl.d files of this Debian host (parser input)
cp /etc/sysctl.conf "$OUT/debian_sysctl.conf"
for f in /usr/lib/sysctl.d/*.conf; do cp "$f" "$OUT/usr_lib_sysctl.d_$(basename "$f")"; done

{
  echo "# captured by tools/capture/sysctl.sh"
  echo "# kernel $(uname -r); $(sysctl --version)"
} > "$OUT/README.txt"
echo "fixtures written to $OUT"
