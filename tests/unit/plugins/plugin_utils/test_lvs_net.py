# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/plugin_utils/lvs_net.py beyond what the filter tests cover."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import netaddr
import pytest

from ansible_collections.ecmp.lvs.plugins.module_utils.lvs_model import LvsModelError
from ansible_collections.ecmp.lvs.plugins.plugin_utils import lvs_net


def test_missing_netaddr_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(lvs_net, 'netaddr', None)
    monkeypatch.setattr(lvs_net, 'NETADDR_IMPORT_ERROR', ImportError("No module named 'netaddr'"))
    with pytest.raises(LvsModelError) as exc:
        lvs_net.host_prefix('10.0.0.1')
    assert 'need the Python library netaddr on the Ansible controller' in str(exc.value)


def test_parse_unicast_returns_netaddr_and_takes_netaddr():
    ip = lvs_net.parse_unicast('f', '10.99.0.11/24', any_prefix=True)
    assert ip == netaddr.IPAddress('10.99.0.11')
    assert lvs_net.parse_unicast('f', ip) is ip


def test_host_address_order():
    hostvars = {'a': {'lvs_address': '10.99.0.1', 'ansible_host': '10.99.255.1'},
                'b': {'lvs_address': '', 'ansible_host': '10.99.255.2'},
                'c': {'lvs_address': None, 'ansible_host': None}}
    assert lvs_net.host_address('f', hostvars, 'a') == '10.99.0.1'
    assert lvs_net.host_address('f', hostvars, 'b') == '10.99.255.2'
    with pytest.raises(LvsModelError) as exc:
        lvs_net.host_address('f', hostvars, 'c')
    assert str(exc.value) == "f: host 'c' has no address: set lvs_address (or ansible_host) for it"


def test_host_address_ipv6_reads_lvs_address6_then_an_ipv6_ansible_host():
    hostvars = {'a': {'lvs_address': '10.99.0.1', 'lvs_address6': '2001:db8:99::1/64', 'ansible_host': '10.99.255.1'},
                'b': {'lvs_address': '10.99.0.2', 'ansible_host': '2001:db8:ff::2'},
                'c': {'lvs_address': '10.99.0.3', 'ansible_host': '10.99.255.3'},
                'd': {'lvs_address6': '10.99.0.4'},
                '2001:db8:99::5': {}}
    assert lvs_net.host_address('f', hostvars, 'a', 6) == '2001:db8:99::1'
    assert lvs_net.host_address('f', hostvars, 'a') == '10.99.0.1'
    assert lvs_net.host_address('f', hostvars, 'b', 6) == '2001:db8:ff::2'
    assert lvs_net.host_address('f', hostvars, '2001:db8:99::5', 6) == '2001:db8:99::5'
    with pytest.raises(LvsModelError) as exc:
        lvs_net.host_address('f', hostvars, 'c', 6)
    assert str(exc.value) == "f: host 'c' has no IPv6 address (this is an IPv6 service): set lvs_address6 for it"
    with pytest.raises(LvsModelError) as exc:
        lvs_net.host_address('f', hostvars, 'd', 6)
    assert "'10.99.0.4' (hostvars['d'].lvs_address6) is not an IPv6 address" in str(exc.value)


def test_ipv6_service_resolves_real_servers_by_lvs_address6():
    hostvars = {'rs1': {'lvs_address': '10.99.1.1', 'lvs_address6': '2001:db8:1::11'},
                'rs2': {'lvs_address': '10.99.1.2', 'lvs_address6': '2001:db8:1::12'}}
    services = lvs_net.lvs_services([{'name': 'web6', 'vip': '2001:db8:100::80', 'port': 80,
                                      'real_servers': [{'host': 'rs2'}, {'host': 'rs1'}]},
                                     {'name': 'web', 'vip': '10.99.100.80', 'port': 80,
                                      'real_servers': [{'host': 'rs1'}]}], hostvars)
    web6 = [s for s in services if s['name'] == 'web6'][0]
    assert web6['family'] == 6 and web6['vip_prefix'] == '2001:db8:100::80/128'
    assert [rs['address'] for rs in web6['real_servers']] == ['2001:db8:1::11', '2001:db8:1::12']
    web = [s for s in services if s['name'] == 'web'][0]
    assert [rs['address'] for rs in web['real_servers']] == ['10.99.1.1']
