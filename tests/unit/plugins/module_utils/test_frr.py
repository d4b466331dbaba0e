# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/frr.py on real FRR 8.4.4 output (tests/fixtures/frr, tools/capture/frr-json.sh)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.ecmp.lvs.plugins.module_utils import frr

FIX = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'frr')


def fixture(name):
    with open(os.path.join(FIX, name), encoding='utf-8') as handle:
        return handle.read()


def test_ospf_neighbors_full_keyed_by_interface_address():
    got = frr.ospf_neighbors(fixture('router-ospf-neighbor-full.json'))
    assert got == {'10.99.0.11': {'router_id': '10.99.0.11', 'state': 'Full/DROther', 'up': True},
                   '10.99.0.12': {'router_id': '10.99.0.12', 'state': 'Full/DROther', 'up': True}}


def test_ospf_two_way_is_not_up_and_a_dead_neighbour_is_gone():
    director = frr.ospf_neighbors(fixture('director-ospf-neighbor-full.json'))
    assert director['10.99.0.1']['up'] and director['10.99.0.1']['state'] == 'Full/DR'
    assert director['10.99.0.12'] == {'router_id': '10.99.0.12', 'state': '2-Way/DROther', 'up': False}
    assert sorted(frr.ospf_neighbors(fixture('router-ospf-neighbor-one-gone.json'))) == ['10.99.0.11']


def test_ospf_older_field_names():
    text = '{"neighbors": {"1.1.1.1": [{"state": "Init/DROther", "address": "10.0.0.5"}]}}'
    assert frr.ospf_neighbors(text) == {'10.0.0.5': {'router_id': '1.1.1.1', 'state': 'Init/DROther', 'up': False}}


def test_bgp_peers_established_and_idle():
    assert frr.bgp_peers(fixture('router-bgp-summary-established.json')) == {
        '10.99.0.11': {'state': 'Established', 'up': True}, '10.99.0.12': {'state': 'Established', 'up': True}}
    got = frr.bgp_peers(fixture('router-bgp-summary-one-down.json'))
    assert got['10.99.0.12'] == {'state': 'Idle', 'up': False} and got['10.99.0.11']['up']
    # `show bgp summary json` nests the peers under the address family
    assert frr.bgp_peers('{"ipv4Unicast": {"peers": {"10.0.0.1": {"state": "Active"}}}}') == {
        '10.0.0.1': {'state': 'Active', 'up': False}}


def test_bfd_peers():
    assert frr.bfd_peers(fixture('router-bfd-peers-up.json')) == {
        '10.99.0.11': {'state': 'up', 'up': True}, '10.99.0.12': {'state': 'up', 'up': True}}
    assert sorted(frr.bfd_peers(fixture('router-bfd-peers-one-down.json'))) == ['10.99.0.11']
    assert frr.bfd_peers('[{"peer": "10.0.0.2", "status": "down"}]') == {'10.0.0.2': {'state': 'down', 'up': False}}


def test_empty_output_is_no_neighbour_and_garbage_is_an_error():
    assert frr.ospf_neighbors('') == {} and frr.bgp_peers(None) == {} and frr.bfd_peers('\n') == {}
    assert frr.ospf_neighbors('{}') == {}
    with pytest.raises(frr.FrrError, match='not JSON'):
        frr.bgp_peers('% Unknown command: show bgp')
    with pytest.raises(frr.FrrError, match='expected a JSON list'):
        frr.bfd_peers('{}')


def test_ospf_interface_real_output():
    assert frr.ospf_interface(fixture('director-ospf-interface.json'), 'eth1') == {
        'enabled': True, 'state': 'DROther', 'area': '0.0.0.0'}
    assert frr.ospf_interface(fixture('director-ospf-interface.json'), 'eth2') is None
    assert frr.ospf_interface(fixture('director-ospf-interface-unknown.json'), 'eth9') is None


def test_json_subset_differences_topotests_style():
    actual = json.loads(fixture('router-bgp-summary-one-down.json'))
    assert frr.json_subset_differences({'peers': {'10.99.0.11': {'state': 'Established'}}}, actual) == []
    assert frr.json_subset_differences({'peers': {'10.99.0.12': {'state': 'Established'}}}, actual) == [
        ".peers.10.99.0.12.state: 'Idle', want 'Established'"]
    assert frr.json_subset_differences({'peers': {'10.99.0.13': {}}}, actual) == ['.peers.10.99.0.13: missing']
    assert frr.json_subset_differences([{'a': 1}, {'a': 2}], [{'a': 1, 'b': 0}]) == [
        '.: 1 element(s), want at least 2']
