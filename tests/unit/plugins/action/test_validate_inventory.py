# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the inventory validator: plugins/plugin_utils/lvs_validate.py (the rules) and
plugins/action/validate_inventory.py (extraction from hostvars, the action result).

End-to-end runs through ansible-playbook, one bad inventory each: tests/negative/."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import os

from collections.abc import Mapping
from unittest import mock

import pytest
import yaml

from ansible.errors import AnsibleUndefinedVariable

from ansible_collections.ecmp.lvs.plugins.action import validate_inventory as action
from ansible_collections.ecmp.lvs.plugins.plugin_utils import lvs_validate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

GROUPS = {
    'all': ['router1', 'director1', 'director2', 'rs1', 'rs2', 'client1'],
    'ungrouped': [],
    'routers': ['router1'],
    'directors': ['director1', 'director2'],
    'realservers': ['rs1', 'rs2'],
    'clients': ['client1'],
}
SERVICES = [{'name': 'web', 'vip': '10.99.100.10', 'port': 80, 'real_servers': [{'host': 'rs1'}, {'host': 'rs2'}]}]
HOSTVARS = {
    'router1': {'ansible_host': '10.99.255.2', 'lvs_address': '10.99.0.1'},
    'director1': {'ansible_host': '10.99.255.11', 'lvs_address': '10.99.0.11'},
    'director2': {'ansible_host': '10.99.255.12', 'lvs_address': '10.99.0.12'},
    'rs1': {'ansible_host': '10.99.255.21', 'lvs_address': '10.99.0.21'},
    'rs2': {'ansible_host': '10.99.255.22', 'lvs_address': '10.99.0.22'},
    'client1': {'ansible_host': '10.99.255.10'},
}


def inventory(services=None, groups=None, **host_overrides):
    """hostvars with ``lvs_services`` (and any global given as ``all__<var>``) on every host."""
    hostvars = copy.deepcopy(HOSTVARS)
    globals_ = {'lvs_services': copy.deepcopy(SERVICES if services is None else services)}
    for key in list(host_overrides):
        if key.startswith('all__'):
            globals_[key[len('all__'):]] = host_overrides.pop(key)
    for host in hostvars:
        hostvars[host].update(copy.deepcopy(globals_))
    for host, values in host_overrides.items():
        hostvars.setdefault(host, {}).update(values)
    return hostvars, copy.deepcopy(GROUPS if groups is None else groups)


def validate(services=None, groups=None, **host_overrides):
    hostvars, groups = inventory(services, groups, **host_overrides)
    return lvs_validate.validate_inventory(hostvars, groups)


def errors_of(*args, **kwargs):
    return validate(*args, **kwargs)['errors']


def service(**kwargs):
    svc = copy.deepcopy(SERVICES[0])
    svc.update(kwargs)
    return svc


# ------------------------------------------------------------------ valid inventories
def test_valid_inventory():
    result = validate()
    assert result['errors'] == []
    assert result['warnings'] == []
    assert result['vips'] == ['10.99.100.10']
    assert [rs['address'] for rs in result['services'][0]['real_servers']] == ['10.99.0.21', '10.99.0.22']
    assert result['directors'] == ['director1', 'director2']


def test_shared_vip_with_different_ports_servers_schedulers_and_persistence_is_accepted():
    services = [
        service(name='http', persistence_timeout=300, scheduler='mh'),
        service(name='https', port=443, persistence_timeout=60, scheduler='wlc', real_servers=[{'host': 'rs1'}]),
        service(name='dns', port=80, protocol='udp', real_servers=[{'address': '10.99.0.30'}]),
    ]
    assert errors_of(services) == []


def test_unset_or_null_globals_take_the_documented_defaults():
    hostvars, groups = inventory(all__lvs_routing_protocol=None, all__lvs_ospf_dead_interval=None)
    assert lvs_validate.validate_inventory(hostvars, groups)['errors'] == []
    # the default dead interval 4 is compared with the hello interval given
    assert errors_of(all__lvs_ospf_hello_interval=4) == [
        'lvs_ospf_dead_interval: 4 must be greater than lvs_ospf_hello_interval 4 (a neighbor is declared dead '
        'after this many seconds without a hello; use about 4 x hello)']


def test_controller_vars_are_used_without_role_hosts():
    groups = {'all': ['x'], 'ungrouped': ['x']}
    result = lvs_validate.validate_inventory({'x': {}}, groups, {'lvs_services': SERVICES[:0]})
    assert "groups['directors']: empty or missing: the inventory needs at least one director" in result['errors']
    assert 'lvs_services: []: at least one service is required (nothing to load-balance)' in result['errors']


def test_ibgp_equal_asns_and_router_peers_are_accepted():
    groups = copy.deepcopy(GROUPS)
    groups['routers'] = []
    result = validate(groups=groups, all__lvs_routing_protocol='bgp', all__lvs_bgp_router_asn=65000,
                      all__lvs_bgp_director_asn='65000',
                      director1={'director_router_peers': ['10.99.0.1']}, director2={'director_router_peers': ['10.99.0.1']})
    assert result['errors'] == []
    assert result['warnings'] == ['the routers group is empty: the directors announce the VIPs to routers '
                                  'managed elsewhere']


@pytest.mark.parametrize('value', [True, False, 'yes', 'False', 'on', 0, 1])
def test_bfd_booleans(value):
    assert errors_of(all__lvs_bfd_enabled=value) == []


@pytest.mark.parametrize('area', ['0.0.0.0', '0.0.0.17', 0, '17', 4294967295])
def test_ospf_areas(area):
    assert errors_of(all__lvs_ospf_area=area) == []


def test_ansible_host_may_be_a_dns_name_and_lvs_address_may_have_a_prefix():
    assert errors_of(rs1={'ansible_host': 'rs1.example.invalid', 'lvs_address': '10.99.0.21/24'}) == []


def test_missing_lvs_address_is_a_warning():
    hostvars, groups = inventory()
    del hostvars['director2']['lvs_address']
    del hostvars['router1']['lvs_address']
    result = lvs_validate.validate_inventory(hostvars, groups)
    assert result['errors'] == []
    assert result['warnings'][0].startswith('no lvs_address for director2, router1: ')


# ------------------------------------------------------------------ per-service rules (reused from lvs_services)
@pytest.mark.parametrize('bad, expected', [
    (dict(vip='10.99.100.300'), "lvs_services[web].vip: '10.99.100.300' is not an IP address"),
    (dict(vip='224.0.0.5'), "lvs_services[web].vip: '224.0.0.5' is not a unicast host address: it is multicast"),
    (dict(port=0), 'lvs_services[web].port: 0 is out of range 1..65535'),
    (dict(protocol='icmp'), "lvs_services[web].protocol: 'icmp' is not one of tcp, udp, sctp"),
    (dict(scheduler='fastest'), "lvs_services[web].scheduler: 'fastest' is not one of rr, wrr, lc"),
    (dict(scheduler='wrr', scheduler_flags=['sh-port']),
     "lvs_services[web].scheduler_flags[0]: 'sh-port' is not valid; scheduler wrr takes no flags"),
    (dict(real_servers=[{'host': 'rs1', 'weight': 65536}]),
     'lvs_services[web].real_servers[0].weight: 65536 is out of range 0..65535'),
    (dict(real_servers=[{'host': 'nope'}]), "lvs_services[web].real_servers[0].host: 'nope' is not a host of the "
                                            "inventory"),
    (dict(real_servers=[]), 'lvs_services[web].real_servers: []: at least one real server is required'),
    (dict(quorum=3), 'lvs_services[web].quorum: 3 is more than the total weight 2'),
    (dict(health_check={'type': 'misc'}), 'lvs_services[web].health_check.misc_path: None: health_check type misc '
                                          'needs misc_path'),
    (dict(health_check={'type': 'tcp', 'retry': 'twice'}), "lvs_services[web].health_check.retry: 'twice' is not an "
                                                           "integer"),
])
def test_service_rules_are_reported(bad, expected):
    errors = errors_of([service(**bad)])
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_real_server_without_address():
    errors = errors_of(rs2={'lvs_address': None, 'ansible_host': None})
    assert errors == ["lvs_services[web].real_servers[1].host: host 'rs2' has no address: set lvs_address (or "
                      "ansible_host) for it"]


def test_every_bad_service_is_reported_and_unnamed_ones_by_their_index():
    services = [service(port=99999), service(name='ok', port=81), {'vip': '10.99.100.12', 'port': 'http',
                                                                   'real_servers': [{'host': 'rs1'}]}]
    assert errors_of(services) == ['lvs_services[web].port: 99999 is out of range 1..65535',
                                   "lvs_services[2].port: 'http' is not an integer"]


def test_duplicates_among_the_valid_services_are_reported_with_other_errors():
    services = [service(), service(name='web2', vip='10.99.100.10'), service(name='bad', port=-1)]
    errors = errors_of(services)
    assert errors == ['lvs_services[bad].port: -1 is out of range 1..65535',
                      "lvs_services[web2]: duplicate service '10.99.100.10:80/tcp' (vip, port, protocol) - already "
                      "defined by lvs_services[web]"]


def test_lvs_services_not_a_list():
    assert errors_of({'web': SERVICES[0]})[0].startswith('lvs_services: {')


# ------------------------------------------------------------------ inventory-wide rules
@pytest.mark.parametrize('vip, host, var', [
    ('10.99.0.11', 'director1', 'lvs_address'),
    ('10.99.0.21', 'rs1', 'lvs_address'),
    ('10.99.255.10', 'client1', 'ansible_host'),
])
def test_vip_must_not_be_a_host_address(vip, host, var):
    assert errors_of([service(vip=vip)]) == [
        "lvs_services[web].vip: '%s' is the address of host %s (%s) - a VIP must not be a host address (that host "
        "would answer ARP for the VIP and take its traffic)" % (vip, host, var)]


def test_ipv6_service_beside_an_ipv4_one():
    hosts = dict((h, {'lvs_address6': '2001:db8:99::%d' % n}) for n, h in enumerate(sorted(HOSTVARS), 1))
    result = validate([service(), service(name='web6', vip='2001:db8:100::10', real_servers=[
        {'host': 'rs1'}, {'address': '2001:db8:99::99'}])], **hosts)
    assert result['errors'] == [], result['errors']
    assert result['vips'] == ['10.99.100.10', '2001:db8:100::10']
    web6 = [svc for svc in result['services'] if svc['name'] == 'web6'][0]
    assert [rs['address'] for rs in web6['real_servers']] == ['2001:db8:99::5', '2001:db8:99::99']


@pytest.mark.parametrize('vip, reason', [
    ('fe80::10', 'link-local'), ('ff02::10', 'multicast'), ('::1', 'loopback'), ('::', 'the unspecified address'),
    ('::ffff:10.99.100.10', 'IPv4-mapped (write the IPv4 address instead)'),
])
def test_special_ipv6_vips_are_refused(vip, reason):
    assert errors_of([service(vip=vip, real_servers=[{'address': '2001:db8:99::21'}])]) == [
        "lvs_services[web].vip: '%s' is not a unicast host address: it is %s" % (vip, reason)]


def test_ipv6_vips_over_authenticated_ospf_are_accepted():
    """OSPFv3 signs with the same keys (a key chain, frr.conf.j2): an authenticated fabric carries IPv6 VIPs."""
    services = [service(), service(name='web6', vip='2001:db8:100::10', real_servers=[{'address': '2001:db8:99::21'}])]
    assert errors_of(services, all__lvs_ospf_auth_key='k3y') == []
    assert errors_of(services, all__lvs_bgp_password='k3y', all__lvs_routing_protocol='bgp') == []


def test_ipv6_firewall_mark_service_is_refused():
    errors = errors_of([service(vip='2001:db8:100::10', fwmark=7, ports=[80, 443], port=None,
                                real_servers=[{'address': '2001:db8:99::21'}])])
    assert errors and errors[0].startswith("lvs_services[web].fwmark: 7 with IPv6 VIPs: firewall-mark services are "
                                           "IPv4 only"), errors


def test_ipv6_service_checks_name_the_field():
    errors = errors_of([service(vip='2001:db8:100::10', real_servers=[{'host': 'rs1'}, {'address': '10.99.0.50'}])],
                       rs2={'lvs_address6': '2001:db8:100::10'})
    assert errors == [
        "lvs_services[web].real_servers[0].host: host 'rs1' has no IPv6 address (this is an IPv6 service): set "
        "lvs_address6 for it",
        "lvs_services[web].real_servers[1].address: '10.99.0.50' is IPv4 but the VIP 2001:db8:100::10 is IPv6 (direct "
        "routing cannot change the family)",
    ]
    errors = errors_of([service(vip='2001:db8:100::10', real_servers=[{'address': '2001:db8:99::21'}])],
                       rs2={'lvs_address6': '2001:db8:100::10'}, rs1={'lvs_address6': '10.99.0.77'})
    assert errors == [
        "hostvars['rs1'].lvs_address6: '10.99.0.77' is not an IPv6 address",
        "lvs_services[web].vip: '2001:db8:100::10' is the address of host rs2 (lvs_address6) - a VIP must not be a "
        "host address (that host would answer ARP for the VIP and take its traffic)",
    ]


def test_real_and_sorry_servers_must_not_be_vips_or_directors():
    services = [service(), service(name='api', vip='10.99.100.11', real_servers=[
        {'address': '10.99.100.10'}, {'address': '10.99.0.12'}, {'host': 'director1'}, {'host': 'client1'}],
        sorry_server='10.99.100.11')]
    assert errors_of(services) == [
        "lvs_services[api].real_servers[0].address: '10.99.100.10' is a VIP (of lvs_services[web]): a real server "
        "needs an address of its own",
        "lvs_services[api].real_servers[1].address: '10.99.0.12' is the address of director director2 (lvs_address): "
        "a director cannot be a real server (IPVS on it would schedule the DR-forwarded packet again)",
        "lvs_services[api].real_servers[2].host: 'director1' is a director: a director cannot be a real server (IPVS "
        "on it would schedule the DR-forwarded packet again, a loop between directors)",
        "lvs_services[api].real_servers[3].host: 'client1' is not in the realservers group, so no play puts the VIPs "
        "on its lo and sets its ARP sysctls; add it to realservers (or give only an address for a real server "
        "managed elsewhere)",
        "lvs_services[api].sorry_server.address: '10.99.100.11' is a VIP (of lvs_services[api]): a real server needs "
        "an address of its own",
    ]


def test_sorry_server_by_host_must_be_a_real_server_host():
    errors = errors_of([service(sorry_server={'host': 'client1'})])
    assert len(errors) == 1 and errors[0].startswith("lvs_services[web].sorry_server.host: 'client1' is not in the "
                                                     "realservers group")


def test_director_in_realservers_group():
    groups = copy.deepcopy(GROUPS)
    groups['realservers'].append('director2')
    assert errors_of(groups=groups) == ["groups['directors']: director2 also in the realservers group: a director "
                                        "cannot be a real server (IPVS would schedule the DR-forwarded packets again)"]


@pytest.mark.parametrize('key, kind, value', [
    ('path', 'tcp', '/healthz'),
    ('status_code', 'misc', 204),
    ('misc_path', 'http_get', '/bin/true'),
])
def test_health_check_keys_that_do_not_apply(key, kind, value):
    hc = {'type': kind, key: value}
    if kind == 'misc':
        hc['misc_path'] = '/usr/local/bin/check'
    errors = errors_of([service(health_check=hc)])
    assert len(errors) == 1 and errors[0].startswith('lvs_services[web].health_check.%s: ' % key), errors
    assert ('not %s (set the type, or remove the key)' % kind) in errors[0]


def test_no_directors():
    groups = dict((k, v) for k, v in GROUPS.items() if k != 'directors')
    assert "groups['directors']: empty or missing: the inventory needs at least one director" in errors_of(
        groups=groups)


def test_hosts_must_agree_on_globals():
    errors = errors_of(router1={'lvs_routing_protocol': 'bgp'}, rs2={'lvs_services': SERVICES + SERVICES})
    assert errors[0] == ('lvs_services: the hosts see different service lists (list 1 on director1, director2, '
                         'router1, rs1; list 2 on rs2) - every router, director and real server must see the same '
                         'lvs_services (define it once, in group_vars/all)')
    assert errors[1] == ("lvs_routing_protocol: routers and directors disagree ('ospf' on director1, director2; "
                         "'bgp' on router1) - they must share one value (define it once, in group_vars/all)")


def test_real_servers_may_differ_on_routing_globals():
    assert errors_of(rs1={'lvs_routing_protocol': 'static'}) == []


@pytest.mark.parametrize('address, expected', [
    ('10.99.0.999', "hostvars['director2'].lvs_address: '10.99.0.999' is not an IP address (with optional /prefix)"),
    ('127.0.0.2', "hostvars['director2'].lvs_address: '127.0.0.2' is not a unicast host address: it is loopback"),
    ('2001:db8::12', "hostvars['director2'].lvs_address: '2001:db8::12' is IPv6, but routers and directors need an "
                     "IPv4 fabric address"),
    ('10.99.0.11', "hostvars['director2'].lvs_address: '10.99.0.11' is also the lvs_address of host director1 - two "
                   "hosts cannot share a fabric address"),
])
def test_lvs_address(address, expected):
    errors = errors_of(director2={'lvs_address': address})
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_ipv6_lvs_address_of_a_client_is_fine():
    assert errors_of(client1={'lvs_address': '2001:db8::10'}) == []


@pytest.mark.parametrize('globals_, expected', [
    ({'lvs_routing_protocol': 'rip'}, ["lvs_routing_protocol: 'rip' is not one of ospf, bgp"]),
    ({'lvs_routing_protocol': 'OSPF'}, ["lvs_routing_protocol: 'OSPF' is not one of ospf, bgp"]),
    ({'lvs_bfd_enabled': 'maybe'}, ["lvs_bfd_enabled: 'maybe' is not a boolean (true or false)"]),
    ({'lvs_bfd_enabled': 2}, ['lvs_bfd_enabled: 2 is not a boolean (true or false)']),
    ({'lvs_ospf_area': '0.0.0.256'}, ["lvs_ospf_area: '0.0.0.256' is not a valid area"]),
    ({'lvs_ospf_area': 'backbone'}, ["lvs_ospf_area: 'backbone' is not an integer"]),
    ({'lvs_ospf_hello_interval': 0}, ['lvs_ospf_hello_interval: 0 is out of range 1..65535']),
    ({'lvs_ospf_dead_interval': 70000}, ['lvs_ospf_dead_interval: 70000 is out of range 1..65535']),
    ({'lvs_ospf_hello_interval': 5, 'lvs_ospf_dead_interval': '5'},
     ["lvs_ospf_dead_interval: '5' must be greater than lvs_ospf_hello_interval 5"]),
    ({'lvs_ospf_hello_interval': 10}, ['lvs_ospf_dead_interval: 4 must be greater than lvs_ospf_hello_interval 10']),
    ({'lvs_routing_protocol': 'bgp', 'lvs_bgp_router_asn': 0}, ['lvs_bgp_router_asn: 0 is out of range 1..4294967295']),
    ({'lvs_routing_protocol': 'bgp', 'lvs_bgp_director_asn': 4294967296},
     ['lvs_bgp_director_asn: 4294967296 is out of range 1..4294967295']),
    ({'lvs_routing_protocol': 'bgp', 'lvs_bgp_director_asn': 'AS65001'},
     ["lvs_bgp_director_asn: 'AS65001' is not an integer"]),
    # the timers of the protocol not in use are not checked
    ({'lvs_routing_protocol': 'bgp', 'lvs_ospf_dead_interval': 1, 'lvs_ospf_hello_interval': 1}, []),
    ({'lvs_bgp_router_asn': -1}, []),
])
def test_routing_globals(globals_, expected):
    overrides = dict(('all__' + k, v) for k, v in globals_.items())
    errors = errors_of(**overrides)
    assert len(errors) == len(expected), errors
    for error, prefix in zip(errors, expected):
        assert error.startswith(prefix), errors


def test_bgp_needs_a_neighbor_for_every_director():
    groups = copy.deepcopy(GROUPS)
    groups['routers'] = []
    errors = errors_of(groups=groups, all__lvs_routing_protocol='bgp', director2={'director_router_peers': ['10.99.0.1']})
    assert errors == ["hostvars['director1'].director_router_peers: None and the routers group is empty: with "
                      "lvs_routing_protocol bgp director director1 has no BGP neighbor to announce the VIPs to"]


@pytest.mark.parametrize('peers, expected', [
    ('10.99.0.1', "hostvars['director1'].director_router_peers: '10.99.0.1' is not a list of addresses"),
    (['10.99.0.300'], "hostvars['director1'].director_router_peers[0]: '10.99.0.300' is not an IP address"),
    (['2001:db8::1'], "hostvars['director1'].director_router_peers[0]: '2001:db8::1' is IPv6; the fabric sessions are IPv4"),
])
def test_router_peers_must_be_ipv4_addresses(peers, expected):
    errors = errors_of(director1={'director_router_peers': peers})
    assert len(errors) == 1 and errors[0].startswith(expected), errors


@pytest.mark.parametrize('router_vars, expected', [
    ({'router_ecmp_width': 1}, ["hostvars['router1'].router_ecmp_width: 1 is less than the 2 directors (director1, "
                                "director2): router router1 installs at most 1 equal-cost path(s)"]),
    ({'router_maximum_paths': '1'}, ["hostvars['router1'].router_maximum_paths: '1' is less than the 2 directors"]),
    ({'router_ecmp_width': 2}, []),
    # router_director_peers count, but an address that is already a director of the group counts once
    ({'router_ecmp_width': 3, 'router_director_peers': ['10.99.0.12', '10.99.0.13', '10.99.0.13']}, []),
    ({'router_ecmp_width': 3, 'router_director_peers': ['10.99.0.13', '10.99.0.14']},
     ["hostvars['router1'].router_ecmp_width: 3 is less than the 4 directors (director1, director2, 10.99.0.13, "
      "10.99.0.14)"]),
    ({'router_ecmp_width': 0}, ["hostvars['router1'].router_ecmp_width: 0 is out of range (minimum 1)"]),
    ({'router_ecmp_width': 'wide'}, ["hostvars['router1'].router_ecmp_width: 'wide' is not an integer"]),
    ({'router_director_peers': ['fe80::1']},
     ["hostvars['router1'].router_director_peers[0]: 'fe80::1' is not a unicast host address: it is link-local"]),
])
def test_ecmp_width(router_vars, expected):
    errors = errors_of(router1=router_vars)
    assert len(errors) == len(expected), errors
    for error, prefix in zip(errors, expected):
        assert error.startswith(prefix), errors


@pytest.mark.parametrize('router_vars, all_vars, expected', [
    ({}, {}, []),                                                       # the default 30 s, dead interval 4
    ({'router_frr_keep_routes': 0}, {}, []),                            # FRR's own restart
    ({'router_frr_keep_routes': '24'}, {}, []),                         # dead interval 4 + 20
    ({'router_frr_keep_routes': 23}, {},
     ["hostvars['router1'].router_frr_keep_routes: 23 is less than lvs_ospf_dead_interval 4 + 20: after a restart of "
      "FRR router router1 waits one dead interval"]),
    ({}, {'all__lvs_ospf_dead_interval': 40},
     ["hostvars['router1'].router_frr_keep_routes: 30 is less than lvs_ospf_dead_interval 40 + 20"]),
    ({'router_frr_keep_routes': 1801}, {},
     ["hostvars['router1'].router_frr_keep_routes: 1801 is out of range"]),
    ({'router_frr_keep_routes': -1}, {}, ["hostvars['router1'].router_frr_keep_routes: -1 is out of range"]),
    ({'router_frr_keep_routes': 'long'}, {}, ["hostvars['router1'].router_frr_keep_routes: 'long' is not an integer"]),
    # ignored where it has no effect: BGP, a shared FRR configuration
    ({'router_frr_keep_routes': 5}, {'all__lvs_routing_protocol': 'bgp'}, []),
    ({'router_frr_keep_routes': 5, 'router_frr_config': 'shared'}, {}, []),
])
def test_keep_routes(router_vars, all_vars, expected):
    """router_frr_keep_routes (issue 17, restart one router) outlasts the OSPF adjacencies of an ordinary start."""
    errors = errors_of(router1=router_vars, **all_vars)
    assert len(errors) == len(expected), errors
    for error, prefix in zip(errors, expected):
        assert error.startswith(prefix), errors


def test_keep_routes_default_is_the_router_roles():
    with open(os.path.join(ROOT, 'roles', 'router', 'defaults', 'main.yml'), encoding='utf-8') as handle:
        defaults = yaml.safe_load(handle)
    assert defaults['router_frr_keep_routes'] == lvs_validate.DEFAULT_KEEP_ROUTES


@pytest.mark.parametrize('host, old, new, value, error', [
    ('director1', 'router_peers', 'director_router_peers', ['10.99.0.300'],
     "hostvars['director1'].router_peers[0]: '10.99.0.300' is not an IP address"),
    ('router1', 'director_peers', 'router_director_peers', ['fe80::1'],
     "hostvars['router1'].director_peers[0]: 'fe80::1' is not a unicast host address"),
])
def test_deprecated_peer_names_still_count_and_warn(host, old, new, value, error):
    """router_peers / director_peers (the names before 0.2.0) are read while the new names are empty: validated
    under the name the inventory uses, with a warning naming the new one; the new name wins when both are set."""
    result = validate(**{host: {old: value}})
    assert len(result['errors']) == 1 and result['errors'][0].startswith(error), result['errors']
    assert result['warnings'] == ["hostvars['%s'].%s is deprecated: rename it to %s" % (host, old, new)]
    result = validate(**{host: {old: value, new: ['10.99.0.13']}})
    assert result['errors'] == [] and result['warnings'] == []


def test_deprecated_router_peers_give_a_bgp_director_its_neighbor():
    groups = copy.deepcopy(GROUPS)
    groups['routers'] = []
    result = validate(groups=groups, all__lvs_routing_protocol='bgp', director1={'router_peers': ['10.99.0.1']},
                      director2={'director_router_peers': ['10.99.0.1']})
    assert result['errors'] == []
    assert "hostvars['director1'].router_peers is deprecated: rename it to director_router_peers" in result['warnings']


def test_default_ecmp_width():
    hostvars, groups = inventory()
    assert lvs_validate.validate_inventory(hostvars, groups, default_ecmp_width=1)['errors'][0].startswith(
        "hostvars['router1'].router_ecmp_width: 1 is less than the 2 directors")


def test_all_errors_are_collected():
    errors = errors_of([service(vip='10.99.0.21'), service(name='b', port=70000)],
                       all__lvs_ospf_dead_interval=1, router1={'router_ecmp_width': 1},
                       director1={'lvs_address': 'x'})
    assert [e.split(':', 1)[0] for e in errors] == [
        "hostvars['director1'].lvs_address", 'lvs_services[b].port', 'lvs_services[web].vip',
        'lvs_ospf_dead_interval', "hostvars['router1'].router_ecmp_width"]


# ------------------------------------------------------------------ the action plugin
class FakeHostVars(Mapping):
    """Like ansible's HostVars: ``hostvars[host]`` is a mapping that templates on item access."""

    def __init__(self, data, broken=None):
        self._data = data
        self._broken = broken or {}

    def __getitem__(self, host):
        broken = self._broken.get(host, ())

        class Vars(dict):
            def __getitem__(self, key):
                if key in broken:
                    raise AnsibleUndefinedVariable("'ansible_eth1' is undefined")
                return dict.__getitem__(self, key)
        return Vars(self._data[host])

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)


def test_plain_copies_to_builtin_types():
    class Text(str):
        pass

    class Number(int):
        pass

    value = action._plain({Text('a'): (Number(1), [Text('b'), None, True, 1.5])})
    assert value == {'a': [1, ['b', None, True, 1.5]]}
    assert [item.__class__ for item in (list(value)[0], value['a'][0], value['a'][1])] == [str, int, list]


def test_extract_reads_only_defined_contract_variables():
    hostvars, groups = inventory()
    hostvars['rs1']['unrelated'] = 'x'
    extracted, errors = action.extract(FakeHostVars(hostvars), groups)
    assert errors == []
    assert sorted(extracted) == sorted(GROUPS['all'])
    assert extracted['rs1'] == {'ansible_host': '10.99.255.21', 'lvs_address': '10.99.0.21', 'lvs_services': SERVICES,
                                lvs_validate.DEFINED_KEY: ['lvs_address', 'lvs_services']}


def test_extract_reports_variables_that_need_facts():
    hostvars, groups = inventory()
    hostvars['rs1']['lvs_address'] = '{{ ansible_eth1.ipv4.address }}'
    extracted, errors = action.extract(FakeHostVars(hostvars, {'rs1': ('lvs_address',)}), groups)
    assert 'lvs_address' not in extracted['rs1']
    assert errors == ["hostvars['rs1'].lvs_address: cannot be evaluated on the controller before any host is "
                      "contacted ('ansible_eth1' is undefined); use a literal value, or leave it unset to get the "
                      "documented default"]


def make_action(args=None):
    task = mock.MagicMock()
    task.args = args or {}
    task.async_val = 0
    task.check_mode = True
    task.diff = False
    templar = mock.MagicMock()
    templar.template.side_effect = lambda value: value
    return action.ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader=None, templar=templar,
                               shared_loader_obj=None)


def task_vars(**host_overrides):
    hostvars, groups = inventory(**host_overrides)
    return {'hostvars': FakeHostVars(hostvars), 'groups': groups, 'lvs_services': SERVICES}


def test_action_ok():
    result = make_action().run(task_vars=task_vars())
    assert not result.get('failed')
    assert result['changed'] is False
    assert result['errors'] == [] and result['vips'] == ['10.99.100.10']
    assert result['msg'] == ('inventory valid: 1 service(s) on VIP(s) 10.99.100.10; 1 router(s), 2 director(s), '
                             '2 real server host(s)')


def test_action_fails_with_every_error():
    result = make_action().run(task_vars=task_vars(router1={'router_ecmp_width': 1}, all__lvs_ospf_area='x'))
    assert result['failed'] is True and result['changed'] is False
    assert len(result['errors']) == 2
    assert result['msg'] == ('The inventory is invalid (2 errors); nothing was changed on any host:\n- %s\n- %s'
                             % tuple(result['errors']))
    assert 'services' not in result


def test_action_fail_on_warnings():
    hostvars, groups = inventory()
    del hostvars['rs1']['lvs_address']
    variables = {'hostvars': FakeHostVars(hostvars), 'groups': groups}
    assert not make_action().run(task_vars=variables).get('failed')
    result = make_action({'fail_on_warnings': True}).run(task_vars=variables)
    assert result['failed'] is True
    assert result['errors'][0].startswith('warning: no lvs_address for rs1: ')


def test_action_default_ecmp_width_option():
    result = make_action({'default_ecmp_width': 1}).run(task_vars=task_vars())
    assert result['failed'] is True
    assert result['errors'][0].startswith("hostvars['router1'].router_ecmp_width: 1 is less than the 2 directors")
