# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""OSPF MD5 keys of an FRR interface: read them, watch which one ospfd sends with, and change them in an order
that never makes ospfd send with a key its neighbours do not know yet (standard library only).

What FRR does (measured on FRR 8.4.4 with two ospfd in network namespaces, see tests/integration_host): ospfd
signs its packets with the key ADDED LAST (the tail of the interface's key list), while ``show running-config``
lists the keys sorted by id; FRR 8.4 accepts only packets signed with that same tail key id (ospf_check_auth),
FRR 10 any configured key. So adding a key to an interface switches the sending key at once, and on FRR 8.4 a
switch on one host alone drops its adjacencies after the dead interval. A key is added safely by re-adding the
key that must be sent with right after it, in the same vtysh run (``vtysh -f FILE`` applies the lines in order);
the sending key is switched on every host at one agreed moment. The running configuration does not say which
key is sent; the outgoing OSPF packets on the interface do (key id in the OSPF header).

FRR 10.3 (Debian 13), read in its source: sending is unchanged - ``ospf_auth_make_data`` and ``ospf_auth_make``
(ospfd/ospf_auth.c) take the key id and the key from ``listtail(auth_crypt)``, and ``show running-config`` prints
the keys in the same ``ip ospf message-digest-key N md5 KEY`` lines (ospf_vty.c). Receiving changed:
``ospf_auth_check`` -> ``ospf_auth_check_digest`` -> ``ospf_auth_check_md5_digest`` looks the packet's key id up
among all configured keys (``ospf_crypt_key_lookup``), where FRR 8.4's ``ospf_check_auth`` (ospf_packet.c) first
required ``key_id == listtail(auth_crypt)->key_id``. So between FRR 10.3 hosts a one-sided switch of the sending key
is harmless once the neighbours hold that key; but a Debian 12 neighbour (FRR 8.4) still drops every packet not
signed with ITS sending key, and fleets run both releases during an upgrade: the order of changes and the refusal
of a one-sided switch stay as they are for every FRR version (nothing here depends on the version).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import socket
import struct
import time

OSPF_PROTOCOL = 89
ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
OSPF_AUTH_CRYPTOGRAPHIC = 2
KEY_LINE = re.compile(r'^ ip ospf message-digest-key (\d+) md5 (\S+)$')
MASK = '********'


class FrrOspfError(Exception):
    pass


def interface_block(running_config, interface):
    """The lines of ``interface NAME`` (without a vrf) of FRR's ``show running-config``; None when absent."""
    lines = running_config.splitlines()
    for index, line in enumerate(lines):
        if line.rstrip() == 'interface %s' % interface:
            block = []
            for inner in lines[index + 1:]:
                if not inner.startswith(' '):
                    break
                block.append(inner.rstrip())
            return block
    return None


def interface_keys(running_config, interface):
    """``(present, message_digest, {key id: key})`` of an interface in ``show running-config``: whether the interface
    has a block, whether ``ip ospf authentication message-digest`` is on, and its MD5 keys."""
    block = interface_block(running_config, interface)
    if block is None:
        return False, False, {}
    keys = {}
    for line in block:
        match = KEY_LINE.match(line)
        if match:
            keys[int(match.group(1))] = match.group(2)
    return True, ' ip ospf authentication message-digest' in block, keys


def parse_ospf_key_id(packet):
    """Key id of an IPv4 OSPF packet signed with a cryptographic (MD5) key; None for anything else.

    ``packet`` starts at the IPv4 header. OSPF header (RFC 2328 D.3): version, type, length, router id, area id,
    checksum, autype (2 bytes at 14), then for autype 2: 2 zero bytes, key id (byte 18), auth data length, sequence.
    """
    if len(packet) < 20 or packet[0] >> 4 != 4 or packet[9] != OSPF_PROTOCOL:
        return None
    ospf = packet[(packet[0] & 0x0f) * 4:]
    if len(ospf) < 24 or ospf[0] != 2:
        return None
    if struct.unpack('!H', ospf[14:16])[0] != OSPF_AUTH_CRYPTOGRAPHIC:
        return None
    return ospf[18]


def observe_sending_key(interface, timeout, clock=time.monotonic):
    """Key id of the first outgoing OSPF packet on ``interface`` within ``timeout`` seconds (ospfd sends a hello
    every hello interval); None when none was seen. Needs root (an AF_PACKET socket)."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    try:
        sock.bind((interface, 0))
        deadline = clock() + timeout
        while True:
            left = deadline - clock()
            if left <= 0:
                return None
            sock.settimeout(min(left, 0.5))
            try:
                data, address = sock.recvfrom(65535)
            except socket.timeout:
                continue
            if address[1] != ETH_P_IP or address[2] != PACKET_OUTGOING:
                continue
            key_id = parse_ospf_key_id(bytearray(data))
            if key_id is not None:
                return key_id
    finally:
        sock.close()


def plan(current, desired, sending):
    """The vtysh lines (inside ``interface X``) that turn the keys ``current`` ({id: key}) into ``desired`` (a list of
    (id, key), the LAST one the key to send with) without ever making ospfd send with another key than the one it
    sends with now (``sending``, an id, None when unknown) or the desired one.

    Keys to add (new ids, or ids whose key changes) are added first; then the sending key is (re-)added last, which
    makes it the tail of ospfd's list; then keys no longer wanted are removed. Nothing when the keys match and the
    sending key is the desired one (or unknown). Returns a list of ('add', id, key) / ('remove', id)."""
    if not desired:
        raise FrrOspfError('no key to send with')
    ids = [key_id for key_id, _key in desired]
    if len(set(ids)) != len(ids):
        raise FrrOspfError('key ids are not unique: %s' % ids)
    send_id, send_key = desired[-1]
    ops = []
    for key_id, key in desired[:-1]:
        if current.get(key_id) != key:
            if key_id in current:
                ops.append(('remove', key_id))
            ops.append(('add', key_id, key))
    readd = ops or current.get(send_id) != send_key or (sending is not None and sending != send_id)
    if readd:
        if send_id in current:
            ops.append(('remove', send_id))
        ops.append(('add', send_id, send_key))
    for key_id in sorted(current):
        if key_id not in ids:
            ops.append(('remove', key_id))
    return ops


def switches(current, desired, sending):
    """Whether the change makes ospfd send with another key than now: the key it sends with (``sending``, observed;
    None when unknown) is not the desired one, or the desired sending key is new or has another text. FRR 8.4
    accepts only packets signed with its own sending key (the key id must be the tail's: ospf_check_auth), so on
    a fabric of FRR 8.4 routers and directors every one of them must switch at the same moment."""
    send_id, send_key = desired[-1]
    if not current:
        return False  # no authentication running yet: nothing to switch from
    if current.get(send_id) != send_key:
        return True
    return sending is not None and sending != send_id


def render(interface, ops, mask=False):
    """vtysh -f input for ``ops`` (keys replaced by ``MASK`` when ``mask``)."""
    lines = ['interface %s' % interface]
    for op in ops:
        if op[0] == 'add':
            lines.append(' ip ospf message-digest-key %d md5 %s' % (op[1], MASK if mask else op[2]))
        else:
            lines.append(' no ip ospf message-digest-key %d' % op[1])
    lines.append('exit')
    return '\n'.join(lines) + '\n'


def simulate(current_order, ops):
    """ospfd's key list (ids, in the order it holds them: the last one is sent with) after ``ops``."""
    order = list(current_order)
    for op in ops:
        if op[0] == 'remove':
            order = [key_id for key_id in order if key_id != op[1]]
        elif op[1] not in order:
            order.append(op[1])
        else:
            raise FrrOspfError('key %d is added while it exists (ospfd refuses it)' % op[1])
    return order
