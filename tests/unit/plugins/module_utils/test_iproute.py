# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for module_utils/iproute.py, fed with real output captured by tools/capture/iproute.sh."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.ecmp.lvs.plugins.module_utils import iproute

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'fixtures', 'iproute')


def load(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return iproute.parse_json_output(handle.read(), name)


@pytest.fixture(scope='module')
def dumps():
    return {4: load('route4_main.json'), 6: load('route6_main.json')}


@pytest.fixture(scope='module')
def dumps_compat0():
    return {4: load('route4_main_compat0.json'), 6: load('route6_main_compat0.json')}


@pytest.fixture(scope='module')
def nexthops():
    return load('nexthop.json')


def lookup(dumps, nexthops, prefix):
    return iproute.find_routes(dumps, [prefix], nexthops)[prefix]


def hop(gateway, dev, weight=1, flags=None):
    return {'gateway': gateway, 'dev': dev, 'weight': weight, 'flags': flags or []}


def test_single_path_route(dumps, nexthops):
    route = lookup(dumps, nexthops, '10.99.100.1')
    assert route == {
        'present': True, 'prefix': '10.99.100.1/32', 'type': 'unicast', 'protocol': 'static', 'metric': 0,
        'nexthops': [hop('10.99.50.11', 'va0')], 'nexthop_count': 1, 'nhid': None, 'nexthop_group': None,
    }


def test_plain_address_and_host_prefix_are_the_same_route(dumps, nexthops):
    result = iproute.find_routes(dumps, ['10.99.100.10', '10.99.100.10/32'], nexthops)
    assert set(result) == {'10.99.100.10', '10.99.100.10/32'}
    assert result['10.99.100.10'] == result['10.99.100.10/32']


def test_multipath_two_nexthops_keeps_weights(dumps, nexthops):
    route = lookup(dumps, nexthops, '10.99.100.10/32')
    assert route['nexthop_count'] == 2
    assert route['protocol'] == 'boot'
    assert route['nexthops'] == [hop('10.99.50.11', 'va0', 1), hop('10.99.51.12', 'vb0', 3)]


def test_multipath_three_nexthops_sorted_by_gateway(dumps, nexthops):
    # the kernel dumps them in insertion order: .51.13, .50.11, .50.12
    raw = [e for e in dumps[4] if e['dst'] == '10.99.100.11'][0]
    assert [h['gateway'] for h in raw['nexthops']] == ['10.99.51.13', '10.99.50.11', '10.99.50.12']
    route = lookup(dumps, nexthops, '10.99.100.11')
    assert route['nexthops'] == [hop('10.99.50.11', 'va0', 1), hop('10.99.50.12', 'va0', 2),
                                 hop('10.99.51.13', 'vb0', 3)]
    assert route['nexthop_count'] == 3


def test_linkdown_flag_is_reported(dumps, nexthops):
    route = lookup(dumps, nexthops, '10.99.100.12')
    assert route['nexthops'] == [hop('10.99.50.11', 'va0'), hop('10.99.52.14', 'vc0', flags=['linkdown'])]


def test_routing_daemon_protocols(dumps, nexthops):
    ospf = lookup(dumps, nexthops, '10.99.100.30')
    assert (ospf['protocol'], ospf['metric'], ospf['nexthop_count']) == ('ospf', 20, 1)
    bgp = lookup(dumps, nexthops, '10.99.100.31/32')
    assert (bgp['protocol'], bgp['metric'], bgp['nexthop_count']) == ('bgp', 20, 2)


def test_ipv6_gateway_for_ipv4_route(dumps, nexthops):
    route = lookup(dumps, nexthops, '10.99.100.40')
    assert route['nexthops'] == [hop('fe80::11', 'va0')]
    assert route['protocol'] == 'bgp'


def test_lowest_metric_wins(dumps, nexthops):
    route = lookup(dumps, nexthops, '10.99.100.50')
    assert route['metric'] == 10
    assert route['nexthops'] == [hop('10.99.50.11', 'va0')]


def test_unreachable_route_has_no_nexthops(dumps, nexthops):
    route = lookup(dumps, nexthops, '10.99.200.0/24')
    assert route['present'] is True
    assert route['type'] == 'unreachable'
    assert route['nexthops'] == [] and route['nexthop_count'] == 0


def test_default_and_connected_routes(dumps, nexthops):
    assert lookup(dumps, nexthops, '0.0.0.0/0')['nexthops'] == [hop('10.99.50.254', 'va0')]
    connected = lookup(dumps, nexthops, '10.99.50.0/24')
    assert connected['protocol'] == 'kernel'
    assert connected['nexthops'] == [hop(None, 'va0')]


def test_absent_route_and_exact_match_only(dumps, nexthops):
    # 10.99.60.0/24 is routed, but route_info does no longest-prefix lookup
    for prefix in ('10.99.100.99', '10.99.60.1', '2001:db8:100::99'):
        route = lookup(dumps, nexthops, prefix)
        assert route['present'] is False
        assert route['nexthops'] == [] and route['nexthop_count'] == 0 and route['nhid'] is None
    assert lookup(dumps, nexthops, '10.99.60.0/24')['present'] is True


def test_route_via_nexthop_group(dumps, nexthops):
    route = lookup(dumps, nexthops, '10.99.100.20')
    assert route['nhid'] == 10
    assert route['protocol'] == 'bgp'
    assert route['nexthops'] == [hop('10.99.50.11', 'va0', 1), hop('10.99.51.12', 'vb0', 2)]
    assert route['nexthop_group'] == {
        'id': 10, 'type': 'mpath', 'buckets': None, 'idle_timer': None, 'unbalanced_timer': None,
        'members': [{'id': 1, 'gateway': '10.99.50.11', 'dev': 'va0', 'weight': 1},
                    {'id': 2, 'gateway': '10.99.51.12', 'dev': 'vb0', 'weight': 2}],
    }


def test_route_via_resilient_group(dumps, nexthops):
    route = lookup(dumps, nexthops, '10.99.100.21')
    assert route['nhid'] == 11
    assert route['nexthop_count'] == 3
    group = route['nexthop_group']
    assert (group['type'], group['buckets'], group['idle_timer'], group['unbalanced_timer']) == \
        ('resilient', 32, 60, 120)
    assert [m['id'] for m in group['members']] == [1, 2, 3]


def test_route_via_single_nexthop_object(dumps, nexthops):
    route = lookup(dumps, nexthops, '10.99.100.22')
    assert route['nhid'] == 1
    assert route['nexthop_group'] is None
    assert route['nexthops'] == [hop('10.99.50.11', 'va0')]


def test_compat_mode_off_resolves_groups_from_nexthop_objects(dumps, dumps_compat0, nexthops):
    # with net.ipv4.nexthop_compat_mode=0 the route dump only carries the nhid
    raw = [e for e in dumps_compat0[4] if e['dst'] == '10.99.100.20'][0]
    assert 'nexthops' not in raw and 'gateway' not in raw
    for prefix in ('10.99.100.20', '10.99.100.21', '10.99.100.22', '2001:db8:100::20'):
        expanded = lookup(dumps, nexthops, prefix)
        resolved = lookup(dumps_compat0, nexthops, prefix)
        assert resolved['nexthops'] == expanded['nexthops'], prefix
        assert resolved['nexthop_count'] == expanded['nexthop_count'] > 0


def test_compat_mode_off_without_nexthop_objects_gives_no_nexthops(dumps_compat0):
    route = iproute.find_routes(dumps_compat0, ['10.99.100.20'], None)['10.99.100.20']
    assert route['present'] and route['nhid'] == 10
    assert route['nexthops'] == [] and route['nexthop_group'] is None


def test_ipv6_multipath_and_single(dumps, nexthops):
    mp = lookup(dumps, nexthops, '2001:db8:100::10')
    assert mp['prefix'] == '2001:db8:100::10/128'
    assert mp['metric'] == 1024
    assert mp['nexthops'] == [hop('2001:db8:50::11', 'va0', 1), hop('2001:db8:51::12', 'vb0', 2)]
    bgp = lookup(dumps, nexthops, '2001:DB8:100::31/128')
    assert bgp['nexthops'] == [hop('fe80::11', 'va0'), hop('fe80::12', 'vb0')]
    ospf = lookup(dumps, nexthops, '2001:db8:200::/48')
    assert (ospf['protocol'], ospf['nexthop_count']) == ('ospf', 1)
    group = lookup(dumps, nexthops, '2001:db8:100::20')
    assert group['nhid'] == 20 and group['nexthop_group']['type'] == 'mpath'


def test_other_table():
    dumps = {4: load('route4_table100.json')}
    routes = iproute.find_routes(dumps, ['10.99.100.10', '10.99.100.60', '10.99.100.1'], [])
    assert routes['10.99.100.10']['nexthops'] == [hop('10.99.51.12', 'vb0')]
    assert routes['10.99.100.60']['nexthop_count'] == 2
    assert routes['10.99.100.1']['present'] is False


def test_nexthop_groups_list(nexthops):
    groups = iproute.nexthop_groups(iproute.parse_nexthop_objects(nexthops))
    assert [g['id'] for g in groups] == [10, 11, 20]
    assert groups[2]['members'] == [{'id': 6, 'gateway': '2001:db8:50::11', 'dev': 'va0', 'weight': 1},
                                    {'id': 7, 'gateway': '2001:db8:51::12', 'dev': 'vb0', 'weight': 1}]


def test_empty_namespace():
    dumps = {4: load('empty_route4_main.json'), 6: load('empty_route6_main.json')}
    assert dumps == {4: [], 6: []}
    nexthops = load('empty_nexthop.json')
    assert iproute.nexthop_groups(iproute.parse_nexthop_objects(nexthops)) == []
    assert iproute.find_routes(dumps, ['10.99.100.10'], nexthops)['10.99.100.10']['present'] is False


def test_empty_output_is_an_empty_list():
    assert iproute.parse_json_output('', 'x') == []
    with pytest.raises(iproute.IprouteError):
        iproute.parse_json_output('{"dst": 1}', 'x')
    with pytest.raises(iproute.IprouteError):
        iproute.parse_json_output('[{', 'x')


@pytest.mark.parametrize('bad', ['10.99.100.10/24', 'not-an-address', '', '10.99.100.300'])
def test_bad_prefixes(bad):
    with pytest.raises(iproute.IprouteError):
        iproute.normalize_prefix(bad)


def test_nexthop_unsupported_detection():
    with open(os.path.join(FIXTURES, 'error_unknown_table.stderr')) as handle:
        table_error = handle.read()
    assert iproute.nexthop_unsupported(0, '') is False
    assert iproute.nexthop_unsupported(255, table_error) is False
    assert iproute.nexthop_unsupported(255, 'Object "nexthop" is unknown, try "ip help".') is True
    assert iproute.nexthop_unsupported(2, 'RTNETLINK answers: Operation not supported') is True
