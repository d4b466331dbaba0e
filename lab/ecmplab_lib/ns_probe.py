# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ask a link who has an IPv6 address: one neighbour solicitation (RFC 4861 4.3) on an interface, to the target's
solicited-node multicast group, and the neighbour advertisements that answer it.

Usage: python3 ns_probe.py INTERFACE TARGET [SECONDS]
Prints one JSON line {"target": ..., "answers": [{"from": ..., "lladdr": ...}, ...]} and exits 0 (also without an
answer: the caller decides what it wants). Needs root (a raw ICMPv6 socket) and nothing but the Python standard
library: the lab tests run it on lab hosts (`python3 - IF TARGET < ns_probe.py`) and in network namespaces of this
machine, to prove what Linux answers for an address it holds on `lo` (the VIP of a real server) when it is asked
on another interface.
"""
import ipaddress
import json
import os
import select
import socket
import struct
import sys
import time

ICMPV6_NS, ICMPV6_NA = 135, 136
OPT_SOURCE_LLADDR, OPT_TARGET_LLADDR = 1, 2


def solicitation(target, mac):
    """NS: type, code, checksum (the kernel fills it in for raw ICMPv6 sockets), reserved, target, source link-layer
    address option (type 1, length 1 = 8 bytes)."""
    return (struct.pack('!BBHI', ICMPV6_NS, 0, 0, 0) + target.packed
            + struct.pack('!BB', OPT_SOURCE_LLADDR, 1) + mac)


def solicited_node_group(target):
    return ipaddress.IPv6Address('ff02::1:ff00:0') + (int(target) & 0xffffff)


def advertised(data, target):
    """The target link-layer address of a neighbour advertisement for target (None if data is not one)."""
    if len(data) < 24 or data[0] != ICMPV6_NA or data[8:24] != target.packed:
        return None
    options, lladdr = data[24:], ''
    while len(options) >= 8 and options[1]:
        size = options[1] * 8
        if options[0] == OPT_TARGET_LLADDR:
            lladdr = ':'.join('%02x' % b for b in options[2:8])
        options = options[size:]
    return lladdr


def probe(interface, target, seconds):
    target = ipaddress.IPv6Address(target)
    with open('/sys/class/net/%s/address' % interface) as f:
        mac = bytes.fromhex(f.read().strip().replace(':', ''))
    index = socket.if_nametoindex(interface)
    sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    try:
        # RFC 4861 7.1.1: a receiver discards an NS whose hop limit is not 255
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        sock.sendto(solicitation(target, mac), (str(solicited_node_group(target)), 0, 0, index))
        answers, deadline = [], time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([sock], [], [], left)[0]:
                break
            data, source = sock.recvfrom(1500)
            lladdr = advertised(data, target)
            if lladdr is not None:
                answers.append({'from': source[0].split('%')[0], 'lladdr': lladdr})
        return {'interface': interface, 'target': str(target), 'answers': answers}
    finally:
        sock.close()


if __name__ == '__main__':
    if len(sys.argv) not in (3, 4) or os.geteuid() != 0:
        sys.exit('usage (as root): ns_probe.py INTERFACE TARGET [SECONDS]')
    print(json.dumps(probe(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) == 4 else 2.0)))
