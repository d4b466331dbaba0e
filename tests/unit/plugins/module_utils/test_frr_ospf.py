# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/frr_ospf.py (OSPF MD5 keys of a running FRR). The real thing, two ospfd in
network namespaces, is tests/integration_host/test_host_ospf_md5_keys.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import struct

import pytest

from ansible_collections.ecmp.lvs.plugins.module_utils import frr_ospf as f

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def capture(name):
    with open(os.path.join(ROOT, 'tests', 'fixtures', 'frr', name), encoding='utf-8') as handle:
        return handle.read()


def test_interface_keys_of_real_running_config():
    """`show running-config` of FRR 8.4.4 (ospfd in a namespace, one key on interface va)."""
    text = capture('running-config-ospf-md5-8.4.4.txt')
    assert f.interface_keys(text, 'va') == (True, True, {1: 'OldKey1'})
    assert f.interface_keys(text, 'eth1') == (False, False, {})
    assert f.interface_block(text, 'v') is None


def test_interface_keys_several_and_no_auth():
    text = ('interface eth1\n ip ospf dead-interval 4\n ip ospf message-digest-key 1 md5 A\n'
            ' ip ospf message-digest-key 2 md5 B\nexit\n!\ninterface eth2\n ip ospf cost 5\nexit\n')
    assert f.interface_keys(text, 'eth1') == (True, False, {1: 'A', 2: 'B'})
    assert f.interface_keys(text, 'eth2') == (True, False, {})


def _ospf_packet(autype, key_id, proto=89, version=4):
    ospf = struct.pack('!BBH4s4sHH', 2, 1, 44, b'\x0a\0\0\x01', b'\0\0\0\0', 0, autype)
    ospf += struct.pack('!HBBI', 0, key_id, 16, 1234) + b'\0' * 20
    ip = bytes([(version << 4) | 5]) + b'\0' * 8 + bytes([proto]) + b'\0' * 10
    return bytearray(ip + ospf)


def test_parse_ospf_key_id():
    assert f.parse_ospf_key_id(_ospf_packet(2, 7)) == 7
    assert f.parse_ospf_key_id(_ospf_packet(0, 7)) is None          # no authentication
    assert f.parse_ospf_key_id(_ospf_packet(2, 7, proto=6)) is None  # TCP
    assert f.parse_ospf_key_id(_ospf_packet(2, 7, version=6)) is None
    assert f.parse_ospf_key_id(bytearray(b'\x45\0')) is None


OLD, NEW = (1, 'old'), (2, 'new')


@pytest.mark.parametrize('current, desired, sending, ops, order_after', [
    # step 1, accept the new key: add it, then re-add the key sent with so that it stays the tail
    ({1: 'old'}, [NEW, OLD], 1, [('add', 2, 'new'), ('remove', 1), ('add', 1, 'old')], [2, 1]),
    # nothing to do
    ({1: 'old', 2: 'new'}, [NEW, OLD], 1, [], [1, 2]),
    # unknown sending key and the keys match: leave it alone
    ({1: 'old', 2: 'new'}, [NEW, OLD], None, [], [1, 2]),
    # step 2, switch: re-add the new key last
    ({1: 'old', 2: 'new'}, [OLD, NEW], 1, [('remove', 2), ('add', 2, 'new')], [1, 2]),
    # step 3, retire the old key
    ({1: 'old', 2: 'new'}, [NEW], 2, [('remove', 1)], [2]),
    # a key's text changes in place
    ({1: 'old'}, [(1, 'other')], 1, [('remove', 1), ('add', 1, 'other')], [1]),
])
def test_plan(current, desired, sending, ops, order_after):
    assert f.plan(current, desired, sending) == ops
    if sending is None:
        return  # which key ospfd sends with is unknown: the keys match, nothing is touched
    before = sorted(current, key=lambda k: k == sending)  # the key sent with is the tail
    order = f.simulate(before, ops)
    assert order[-1] == desired[-1][0] and sorted(order) == sorted(k for k, _v in desired)
    assert order == order_after or sorted(order) == sorted(order_after)


def test_plan_never_leaves_a_foreign_key_as_the_tail_for_long():
    """Between two vtysh lines of one run the tail may be a new key; at the end it is the key to send with."""
    ops = f.plan({1: 'old'}, [(3, 'c'), (2, 'b'), OLD], 1)
    assert f.simulate([1], ops)[-1] == 1
    assert ops[-2:] == [('remove', 1), ('add', 1, 'old')]


def test_switches():
    assert not f.switches({1: 'old'}, [NEW, OLD], 1)          # accept a key: same sending key
    assert f.switches({1: 'old', 2: 'new'}, [OLD, NEW], 1)    # switch to key 2
    assert f.switches({1: 'old'}, [(1, 'other')], 1)          # same id, other text
    assert f.switches({1: 'old'}, [NEW], None)                # a new key to send with
    assert not f.switches({}, [OLD], None)                    # authentication not running yet
    assert not f.switches({1: 'old', 2: 'new'}, [NEW], 2)     # retire


def test_plan_rejects():
    with pytest.raises(f.FrrOspfError):
        f.plan({}, [], None)
    with pytest.raises(f.FrrOspfError):
        f.plan({}, [OLD, (1, 'x')], None)


def test_render_masks_keys():
    ops = [('add', 2, 'new'), ('remove', 1)]
    assert f.render('eth1', ops) == ('interface eth1\n ip ospf message-digest-key 2 md5 new\n'
                                     ' no ip ospf message-digest-key 1\nexit\n')
    assert 'new' not in f.render('eth1', ops, mask=True).replace('message-digest-key 2 md5 ********', '')
