# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp.lvs.route_info for real, against the host kernel, inside a throwaway network namespace."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest


@pytest.fixture
def routed(netns):
    ns = netns
    for a, b in (('h2r0', 'h2r1'), ('h2r2', 'h2r3')):
        ns.ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b)
        ns.ip('link', 'set', a, 'up')
        ns.ip('link', 'set', b, 'up')
    ns.ip('addr', 'add', '10.99.70.1/24', 'dev', 'h2r0')
    ns.ip('addr', 'add', '10.99.71.1/24', 'dev', 'h2r2')
    ns.ip('addr', 'add', '2001:db8:70::1/64', 'dev', 'h2r0', 'nodad')
    ns.ip('addr', 'add', '2001:db8:71::1/64', 'dev', 'h2r2', 'nodad')
    ns.ip('route', 'add', '10.99.100.10/32', 'proto', 'ospf', 'metric', '20',
          'nexthop', 'via', '10.99.70.11', 'dev', 'h2r0', 'nexthop', 'via', '10.99.71.12', 'dev', 'h2r2')
    ns.ip('route', 'add', '10.99.100.11/32', 'nexthop', 'via', '10.99.71.13', 'dev', 'h2r2',
          'nexthop', 'via', '10.99.70.11', 'dev', 'h2r0', 'weight', '2', 'nexthop', 'via', '10.99.70.12', 'dev', 'h2r0')
    ns.ip('-6', 'route', 'add', '2001:db8:100::10/128', 'nexthop', 'via', '2001:db8:70::11', 'dev', 'h2r0',
          'nexthop', 'via', '2001:db8:71::12', 'dev', 'h2r2')
    ns.ip('nexthop', 'add', 'id', '1', 'via', '10.99.70.11', 'dev', 'h2r0')
    ns.ip('nexthop', 'add', 'id', '2', 'via', '10.99.71.12', 'dev', 'h2r2')
    ns.ip('nexthop', 'add', 'id', '10', 'group', '1/2', 'type', 'resilient', 'buckets', '16', 'idle_timer', '30')
    ns.ip('route', 'add', '10.99.100.20/32', 'nhid', '10', 'proto', 'bgp')
    ns.ip('route', 'add', '10.99.100.30/32', 'table', '100', 'via', '10.99.70.11')
    return ns


def test_multipath_routes(routed):
    prefixes = ['10.99.100.10', '10.99.100.11/32', '2001:db8:100::10', '10.99.100.20', '10.99.100.99']
    rc, res = routed.module('route_info', {'prefixes': prefixes})
    assert rc == 0, res
    assert res['changed'] is False
    routes = res['routes']
    assert sorted(routes) == sorted(prefixes)
    two = routes['10.99.100.10']
    assert (two['present'], two['nexthop_count'], two['protocol'], two['metric']) == (True, 2, 'ospf', 20)
    assert [(h['gateway'], h['dev']) for h in two['nexthops']] == [('10.99.70.11', 'h2r0'), ('10.99.71.12', 'h2r2')]
    three = routes['10.99.100.11/32']
    assert three['nexthop_count'] == 3
    assert [(h['gateway'], h['weight']) for h in three['nexthops']] == \
        [('10.99.70.11', 2), ('10.99.70.12', 1), ('10.99.71.13', 1)]
    assert routes['2001:db8:100::10']['nexthop_count'] == 2
    group = routes['10.99.100.20']
    assert group['nhid'] == 10 and group['nexthop_count'] == 2 and group['protocol'] == 'bgp'
    assert (group['nexthop_group']['type'], group['nexthop_group']['buckets'],
            group['nexthop_group']['idle_timer']) == ('resilient', 16, 30)
    assert routes['10.99.100.99']['present'] is False and routes['10.99.100.99']['nexthop_count'] == 0
    assert [g['id'] for g in res['nexthop_groups']] == [10]
    assert res['nexthop_objects_supported'] is True


def test_failover_shrinks_nexthop_count(routed):
    # what a director failure looks like to the router: the routing daemon replaces the route
    routed.ip('route', 'replace', '10.99.100.10/32', 'proto', 'ospf', 'metric', '20', 'via', '10.99.71.12')
    rc, res = routed.module('route_info', {'prefixes': ['10.99.100.10']}, check=True)
    assert rc == 0
    assert res['routes']['10.99.100.10']['nexthop_count'] == 1
    assert res['routes']['10.99.100.10']['nexthops'][0]['weight'] == 1


def test_other_table_and_errors(routed):
    rc, res = routed.module('route_info', {'prefixes': ['10.99.100.30', '10.99.100.10'], 'table': '100'})
    assert rc == 0
    assert res['routes']['10.99.100.30']['nexthops'][0]['gateway'] == '10.99.70.11'
    assert res['routes']['10.99.100.10']['present'] is False
    rc, res = routed.module('route_info', {'prefixes': ['10.99.100.10'], 'table': 'h2nosuchtable'})
    assert rc != 0 and 'table id value is invalid' in res['msg']
