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
