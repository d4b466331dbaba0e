# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The load-balancer clusters of an inventory (issue 14): the groups each cluster names (lvs_router_group,
lvs_director_group, lvs_realserver_group), the host patterns of the playbooks, and the validation per cluster."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.ecmp.lvs.plugins.plugin_utils import lvs_inventory

WEB = {'name': 'web', 'vip': '10.99.100.10', 'port': 80, 'real_servers': [{'host': 'a_rs1'}, {'host': 'a_rs2'}]}
DNS = {'name': 'dns', 'vip': '10.99.101.53', 'port': 53, 'protocol': 'udp',
       'health_check': {'type': 'dns', 'dns_name': 'example.org'}, 'real_servers': [{'host': 'b_rs1'}]}
A = {'lvs_router_group': 'a_edge', 'lvs_director_group': 'a_lb', 'lvs_realserver_group': 'a_web',
     'lvs_services': [WEB]}
B = {'lvs_router_group': 'b_edge', 'lvs_director_group': 'b_lb', 'lvs_realserver_group': 'b_web',
     'lvs_services': [DNS], 'lvs_routing_protocol': 'bgp'}
ADDRESSES = {'a_router1': '10.99.0.1', 'a_director1': '10.99.0.11', 'a_director2': '10.99.0.12',
             'a_rs1': '10.99.0.21', 'a_rs2': '10.99.0.22',
             'b_router1': '10.99.1.1', 'b_director1': '10.99.1.11', 'b_rs1': '10.99.1.21', 'client1': None}
GROUPS = {'a_edge': ['a_router1'], 'a_lb': ['a_director1', 'a_director2'], 'a_web': ['a_rs1', 'a_rs2'],
          'b_edge': ['b_router1'], 'b_lb': ['b_director1'], 'b_web': ['b_rs1'], 'clients': ['client1'],
          'ungrouped': []}
A_NAMES = {'routers': 'a_edge', 'directors': 'a_lb', 'realservers': 'a_web'}
B_NAMES = {'routers': 'b_edge', 'directors': 'b_lb', 'realservers': 'b_web'}


def two_sites():
    hostvars = {}
    for host, address in ADDRESSES.items():
        values = copy.deepcopy(A if host.startswith('a_') else B if host.startswith('b_') else {})
        if address:
            values['lvs_address'] = address
        values['ansible_host'] = '10.99.254.%d' % (len(hostvars) + 1)
        hostvars[host] = values
    groups = copy.deepcopy(GROUPS)
    groups['all'] = sorted(ADDRESSES)
    return hostvars, groups


def test_two_clusters_are_found_with_their_own_groups():
    hostvars, groups = two_sites()
    clusters, errors = lvs_inventory.cluster_groups(hostvars, groups)
    assert errors == []
    assert clusters == [A_NAMES, B_NAMES]


def test_default_names_without_group_variables():
    hostvars = {'r1': {}, 'd1': {}, 'c1': {}}
    groups = {'all': ['c1', 'd1', 'r1'], 'routers': ['r1'], 'directors': ['d1'], 'clients': ['c1']}
    assert lvs_inventory.cluster_groups(hostvars, groups) == ([lvs_inventory.DEFAULT_GROUPS], [])
    # no host in any role group: one cluster of the default names (the validation then misses the directors)
    assert lvs_inventory.cluster_groups({'c1': {}}, {'all': ['c1']}) == ([lvs_inventory.DEFAULT_GROUPS], [])


def test_role_pattern_names_the_groups_of_every_cluster():
    clusters = [A_NAMES, B_NAMES]
    assert lvs_inventory.role_pattern('localhost:realservers:directors:routers', clusters) == \
        'localhost:a_web:b_web:a_lb:b_lb:a_edge:b_edge'
    assert lvs_inventory.role_pattern('directors', [lvs_inventory.DEFAULT_GROUPS]) == 'directors'
    assert lvs_inventory.role_pattern('clients:directors', [A_NAMES]) == 'clients:a_lb'


def test_a_host_in_the_groups_of_two_clusters_is_an_error():
    hostvars, groups = two_sites()
    groups['a_lb'].append('b_director1')
    _clusters, errors = lvs_inventory.cluster_groups(hostvars, groups)
    assert errors == ["groups['a_lb']: host b_director1 is a director of the cluster of groups['a_lb'], but its "
                      "lvs_router_group / lvs_director_group / lvs_realserver_group name the cluster of "
                      "groups['b_lb'] - a host belongs to one load-balancer cluster; set these three variables "
                      "once per cluster (group_vars of a parent group of its hosts)"]


def test_a_group_variable_that_is_not_a_group_name_is_an_error():
    hostvars, groups = two_sites()
    hostvars['b_director1']['lvs_director_group'] = 'b lb'
    _clusters, errors = lvs_inventory.cluster_groups(hostvars, groups)
    assert "hostvars['b_director1'].lvs_director_group: 'b lb' is not an inventory group name (letters, digits, _)" \
        in errors


def test_each_cluster_is_validated_on_its_own():
    hostvars, groups = two_sites()
    errors, warnings, report = lvs_inventory.validate(hostvars, groups, {})
    assert errors == [] and warnings == []
    assert report['vips'] == ['10.99.100.10', '10.99.101.53']
    assert report['directors'] == ['a_director1', 'a_director2', 'b_director1']
    assert report['clusters'] == [A_NAMES, B_NAMES]
    # the two clusters disagree on lvs_services and lvs_routing_protocol: that is allowed between clusters


def test_an_error_of_one_cluster_names_the_cluster_and_its_groups():
    hostvars, groups = two_sites()
    for host in hostvars:
        if host.startswith('b_'):
            hostvars[host]['lvs_services'] = [dict(DNS, real_servers=[{'host': 'a_rs1'}])]
    errors, _warnings, report = lvs_inventory.validate(hostvars, groups, {})
    assert errors == ["cluster b_lb: lvs_services[dns].real_servers[0].host: 'a_rs1' is not in the b_web group, so no "
                      "play puts the VIPs on its lo and sets its ARP sysctls; add it to b_web (or give only an "
                      "address for a real server managed elsewhere)"]
    assert report['services'] == []


def test_a_message_about_any_host_is_said_once_not_per_cluster():
    hostvars, groups = two_sites()
    hostvars['client1']['lvs_servics'] = []      # a misspelling: every cluster's validation sees it
    errors, _warnings, _report = lvs_inventory.validate(hostvars, groups, {})
    assert len(errors) == 1 and not errors[0].startswith('cluster '), errors


def test_messages_name_the_inventory_groups():
    hostvars, groups = two_sites()
    del groups['b_edge']
    _errors, warnings, _report = lvs_inventory.validate(hostvars, groups, {})
    assert warnings == ['cluster b_lb: the b_edge group is empty: the directors announce the VIPs to routers managed '
                        'elsewhere']
    # BGP needs a router (b_edge) or director_router_peers: the error names the cluster's group
    errors, _warnings, _report = lvs_inventory.validate(hostvars, groups, {})
    assert any("director_router_peers: None and the b_edge group is empty" in e for e in errors), errors


def test_rollout_order_gives_every_cluster_a_canary_and_never_a_whole_cluster_in_one_batch():
    """site.yml's Directors play with several clusters: round robin over the clusters, batches [clusters, 50%]."""
    groups = {'a_lb': ['a1'], 'b_lb': ['b1', 'b2'], 'c_lb': ['c1', 'c2', 'c3', 'c4']}
    cluster_list = [{'routers': x + '_edge', 'directors': x + '_lb', 'realservers': x + '_web'} for x in 'abc']
    hosts = lvs_inventory.rollout_hosts('directors', cluster_list, groups)
    assert hosts == ['a1', 'b1', 'c1', 'b2', 'c2', 'c3', 'c4']
    serial = lvs_inventory.rollout_serial(cluster_list)
    assert serial == [3, '50%']
    # Ansible's batches: the first of serial[0] hosts, then 50 % of all hosts (rounded down, at least 1)
    first, rest = hosts[:serial[0]], hosts[serial[0]:]
    size = max(1, len(hosts) * 50 // 100)
    batches = [first] + [rest[i:i + size] for i in range(0, len(rest), size)]
    assert batches[0] == ['a1', 'b1', 'c1']      # one canary per cluster
    for members in groups.values():
        for batch in batches:
            if len(members) > 1:
                assert not set(members) <= set(batch), (members, batch)
        # every cluster's canary went alone (in its cluster) in the first batch
        assert members[0] in batches[0]
    assert lvs_inventory.rollout_serial([lvs_inventory.DEFAULT_GROUPS]) == [1, '50%']


def test_the_role_hosts_lookup_returns_the_clusters_the_playbooks_read():
    """ecmp.lvs.role_hosts clusters=true (playbooks/status.yml): the groups of every cluster, from the same
    cluster_groups() as the host patterns; rollout order and batches from the same list."""
    from ansible_collections.ecmp.lvs.plugins.lookup.role_hosts import LookupModule

    class Lookup(LookupModule):
        """The plugin without Ansible's option loader (its DOCUMENTATION is checked by ansible-test sanity)."""
        def set_options(self, task_keys=None, var_options=None, direct=None):
            self._direct = direct or {}

        def get_option(self, option, hostvars=None):
            return self._direct.get(option, False)

    hostvars, groups = two_sites()
    lookup = Lookup()
    variables = {'hostvars': hostvars, 'groups': groups}

    def resolve(term, **options):
        return lookup.run([term], variables, **options)

    assert resolve('directors', clusters=True) == [A_NAMES, B_NAMES]
    assert resolve('routers:directors') == ['a_edge:b_edge:a_lb:b_lb']
    assert resolve('directors', serial=True) == [2, '50%']
    assert resolve('directors', rollout=True) == ['a_director1,b_director1,a_director2']
