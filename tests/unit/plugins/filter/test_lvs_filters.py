# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the ecmp.lvs filters (plugins/filter/lvs.py), called the way Jinja calls them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.ecmp.lvs.plugins.filter.lvs import FilterModule

F = FilterModule().filters()
FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'facts')

HOSTVARS = {
    'rs1': {'lvs_address': '10.99.0.21', 'ansible_host': '10.99.255.21'},
    'rs2': {'ansible_host': '10.99.0.22'},                      # no lvs_address: ansible_host
    'rs3': {'lvs_address': '10.99.0.23/24'},                    # interface address form
    'rs6': {'lvs_address': '2001:db8:99::21'},
    'dns-name': {'ansible_host': 'rs.example.invalid'},         # not an address
    'bare': {},                                                 # nothing at all
    '10.99.0.24': {},                                           # inventory name is the address
    'lo-host': {'lvs_address': '127.0.0.1'},
}


def error_of(name, *args):
    with pytest.raises(AnsibleFilterError) as exc:
        F[name](*args)
    return str(exc.value)


def service(**kwargs):
    svc = {'name': 'web', 'vip': '10.99.100.10', 'port': 80,
           'real_servers': [{'address': '10.99.0.22'}, {'address': '10.99.0.21'}]}
    svc.update(kwargs)
    return svc


def normalise(*services, **kwargs):
    return F['lvs_services'](list(services), kwargs.get('hostvars', HOSTVARS))


def lvs_error(*services, **kwargs):
    return error_of('lvs_services', list(services), kwargs.get('hostvars', HOSTVARS))


def test_filter_names_are_the_contract():
    assert sorted(F) == sorted(['host_prefix', 'network_of', 'interface_for_address', 'lvs_services', 'lvs_vips',
                                'keepalived_virtual_servers', 'announce_gates', 'ipvs_services', 'ipvs_missing', 'fwmark_rules', 'interface_sysctls',
                                'bgp_neighbors', 'ospf_networks',
                                'ipvs_order_drift', 'health_settle_seconds', 'vips_not_routed_via',
                                'routers_routing_via', 'drain_check', 'drain_states', 'drain_refusal', 'drain_report',
                                'lvs_status', 'lvs_status_table', 'lvs_status_combine'])


# ---------------------------------------------------------------- host_prefix
@pytest.mark.parametrize('given, expected', [
    ('10.0.0.1', '10.0.0.1/32'),
    ('10.0.0.1/32', '10.0.0.1/32'),
    (' 10.99.100.10 ', '10.99.100.10/32'),
    ('192.0.2.7', '192.0.2.7/32'),                     # documentation range is fine
    ('2001:db8::1', '2001:db8::1/128'),
    ('2001:DB8:0:0::1/128', '2001:db8::1/128'),        # compact lower-case form
    ('fd00::10', 'fd00::10/128'),
])
def test_host_prefix(given, expected):
    assert F['host_prefix'](given) == expected


@pytest.mark.parametrize('given, reason', [
    ('224.0.0.5', 'multicast'),
    ('ff02::1', 'multicast'),
    ('255.255.255.255', 'broadcast'),
    ('0.0.0.0', 'unspecified'),
    ('::', 'unspecified'),
    ('0.1.2.3', 'reserved'),
    ('127.0.0.1', 'loopback'),
    ('::1', 'loopback'),
    ('169.254.1.1', 'link-local'),
    ('fe80::1', 'link-local'),
    ('240.0.0.1', 'reserved'),
    ('::ffff:10.0.0.1', 'IPv4-mapped'),
    ('4000::1', 'reserved'),
])
def test_host_prefix_rejects_non_unicast(given, reason):
    message = error_of('host_prefix', given)
    assert "'%s' is not a unicast host address" % given in message
    assert reason in message


@pytest.mark.parametrize('given', ['10.0.0.1/24', '10.0.0.0/8', '2001:db8::1/64'])
def test_host_prefix_rejects_network_prefixes(given):
    assert "'%s' is not a host address: only /" % given in error_of('host_prefix', given)


@pytest.mark.parametrize('given', ['10.0.0', 'host.example.invalid', '', None, 10, ['10.0.0.1'], '10.0.0.1/33'])
def test_host_prefix_rejects_garbage(given):
    assert 'is not an IP address' in error_of('host_prefix', given)


# ---------------------------------------------------------------- network_of / ospf_networks
@pytest.mark.parametrize('given, expected', [
    ('10.99.0.11/24', '10.99.0.0/24'),
    ('10.99.0.11/255.255.255.0', '10.99.0.0/24'),
    ('10.99.0.11', '10.99.0.11/32'),
    ('2001:db8:99::11/64', '2001:db8:99::/64'),
    ({'address': '10.99.0.11', 'prefix': '24'}, '10.99.0.0/24'),
    ({'address': '10.99.0.11', 'netmask': '255.255.254.0'}, '10.99.0.0/23'),
])
def test_network_of(given, expected):
    assert F['network_of'](given) == expected


@pytest.mark.parametrize('given', ['10.99.0.300/24', 'nope', None, 24])
def test_network_of_rejects_garbage(given):
    assert 'is not an address with prefix' in error_of('network_of', given)


def test_network_of_rejects_facts_without_prefix():
    assert 'has no prefix or netmask' in error_of('network_of', {'address': '10.99.0.11'})


def test_ospf_networks_sorted_unique():
    given = ['10.99.1.1/24', '2001:db8::1/64', '10.99.0.12/24', '10.99.0.11/24', '10.9.0.1/16', '10.99.0.11/25']
    assert F['ospf_networks'](given) == ['10.9.0.0/16', '10.99.0.0/24', '10.99.0.0/25', '10.99.1.0/24',
                                         '2001:db8::/64']


def test_ospf_networks_single_string_and_none():
    assert F['ospf_networks']('10.99.0.11/24') == ['10.99.0.0/24']
    assert F['ospf_networks'](None) == []


def test_ospf_networks_names_the_bad_item():
    assert "ospf_networks[1]: 'x/24' is not an address with prefix" in error_of('ospf_networks',
                                                                                ['10.99.0.1/24', 'x/24'])
    assert 'is not a list' in error_of('ospf_networks', 42)


# ---------------------------------------------------------------- interface_for_address (real captured facts)
def load_facts(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


@pytest.mark.parametrize('fixture', ['netns_ansible_facts.json', 'netns_setup_module_facts.json'])
@pytest.mark.parametrize('address, expected', [
    ('10.99.0.11', 'eth0.100'),            # key keeps the dot
    ('10.99.0.11/24', 'eth0.100'),         # prefix ignored
    ('10.99.0.111', 'eth0.100'),           # secondary; the label pseudo-interface eth0.100_1 must not win
    ('10.99.1.2', 'br-lan'),               # key br_lan, device br-lan
    ('10.99.1.1', 'br-lan'),
    ('10.99.50.1', 'fab-peer'),
    ('2001:db8:99::11', 'eth0.100'),       # ipv6 list
    ('10.99.100.10', 'lo'),                # VIP on loopback (secondary of lo)
])
def test_interface_for_address(fixture, address, expected):
    assert F['interface_for_address'](load_facts(fixture), address) == expected


def test_interface_for_address_prefers_non_loopback():
    facts = {'interfaces': ['lo', 'eth1'],
             'lo': {'device': 'lo', 'type': 'loopback', 'ipv4': {'address': '127.0.0.1'},
                    'ipv4_secondaries': [{'address': '10.99.0.11'}]},
             'eth1': {'device': 'eth1', 'ipv4': {'address': '10.99.0.11'}}}
    assert F['interface_for_address'](facts, '10.99.0.11') == 'eth1'


def test_interface_for_address_not_found():
    message = error_of('interface_for_address', load_facts('netns_ansible_facts.json'), '10.99.0.99')
    assert "no interface holds the address '10.99.0.99'" in message
    assert 'br-lan' in message


def test_interface_for_address_bad_input():
    assert 'gather_subset' in error_of('interface_for_address', {'hostname': 'x'}, '10.99.0.1')
    assert 'must be ansible_facts' in error_of('interface_for_address', 'eth0', '10.99.0.1')
    assert "interface_for_address.address: 'eth0' is not an IP address" in error_of(
        'interface_for_address', load_facts('netns_ansible_facts.json'), 'eth0')


# ---------------------------------------------------------------- lvs_services: defaults and shape
HC_DEFAULT = {'type': 'tcp', 'path': '/', 'status_code': 200, 'connect_timeout': 2, 'retry': 1,
              'delay_before_retry': 1, 'delay_loop': 2, 'misc_path': None, 'port': None,
              'dns_type': None, 'dns_name': None, 'payload': None, 'require_reply': None}


def test_lvs_services_defaults_exact_shape():
    result = normalise({'vip': '10.99.100.10', 'port': 80,
                        'real_servers': [{'host': 'rs2'}, {'host': 'rs1', 'weight': 3}]})
    assert result == [{
        'name': '10.99.100.10:80/tcp',
        'key': 'tcp:10.99.100.10:80',
        'vip': '10.99.100.10',
        'vips': ['10.99.100.10'],
        'vip_prefix': '10.99.100.10/32',
        'family': 4,
        'port': 80,
        'ports': [80],
        'fwmark': None,
        'protocol': 'tcp',
        'scheduler': 'mh',
        'scheduler_flags': ['mh-fallback', 'mh-port'],
        'persistence_timeout': 0,
        'persistence_granularity': None,
        'ops': False,
        'quorum': 1,
        'sorry_server': None,
        'health_check': HC_DEFAULT,
        'health_checks': [HC_DEFAULT],
        'real_servers': [
            {'address': '10.99.0.21', 'port': 80, 'weight': 3, 'host': 'rs1'},   # lvs_address wins
            {'address': '10.99.0.22', 'port': 80, 'weight': 1, 'host': 'rs2'},   # ansible_host fallback
        ],
    }]


def test_lvs_services_all_fields_given():
    result = normalise({
        'name': 'dns', 'vip': '10.99.100.11/32', 'port': '53', 'protocol': 'UDP', 'scheduler': 'sh',
        'scheduler_flags': ['sh-port', 'sh-fallback', 'sh-port'], 'persistence_timeout': 300, 'quorum': 2,
        'sorry_server': {'address': '10.99.0.30'},
        'health_check': {'type': 'misc', 'misc_path': '/usr/local/bin/check-dns 53', 'connect_timeout': 0.5,
                         'retry': 0, 'delay_before_retry': 0, 'delay_loop': '1.5', 'port': 5353},
        'real_servers': [{'host': 'rs3'}, {'host': '10.99.0.24', 'port': 53, 'weight': '2'}],
    })[0]
    assert result['name'] == 'dns'
    assert (result['vip'], result['vip_prefix'], result['port'], result['protocol']) == \
        ('10.99.100.11', '10.99.100.11/32', 53, 'udp')
    assert (result['scheduler'], result['scheduler_flags']) == ('sh', ['sh-fallback', 'sh-port'])
    assert (result['persistence_timeout'], result['quorum']) == (300, 2)
    assert result['sorry_server'] == {'address': '10.99.0.30', 'port': 53, 'local': False}
    assert result['health_check'] == {'type': 'misc', 'path': '/', 'status_code': 200, 'connect_timeout': 0.5,
                                      'retry': 0, 'delay_before_retry': 0, 'delay_loop': 1.5,
                                      'misc_path': '/usr/local/bin/check-dns 53', 'port': 5353,
                                      'dns_type': None, 'dns_name': None, 'payload': None, 'require_reply': None}
    assert result['health_checks'] == [result['health_check']]
    assert result['real_servers'] == [
        {'address': '10.99.0.23', 'port': 53, 'weight': 1, 'host': 'rs3'},          # prefix of lvs_address dropped
        {'address': '10.99.0.24', 'port': 53, 'weight': 2, 'host': '10.99.0.24'},   # inventory name is an IP
    ]


def test_lvs_services_non_mh_scheduler_has_no_default_flags():
    assert normalise(service(scheduler='wrr'))[0]['scheduler_flags'] == []
    assert normalise(service(scheduler='mh', scheduler_flags='mh-fallback,mh-port'))[0]['scheduler_flags'] == \
        ['mh-fallback', 'mh-port']
    assert normalise(service(scheduler_flags=[]))[0]['scheduler_flags'] == []


@pytest.mark.parametrize('flags, expected', [
    (None, ['mh-fallback', 'mh-port']),      # not given: the default for mh
    (['mh-port'], ['mh-port']),              # explicit list wins: fallback off
    (['mh-fallback'], ['mh-fallback']),
    ('mh-port', ['mh-port']),                # ipvsadm -b spelling
    ([], []),                                # explicit empty list: no flags at all
])
def test_lvs_services_mh_fallback_by_default_unless_flags_given(flags, expected):
    raw = service(scheduler='mh')
    if flags is not None:
        raw['scheduler_flags'] = flags
    else:
        raw.pop('scheduler_flags', None)
    svc = normalise(raw)
    assert svc[0]['scheduler_flags'] == expected
    # the same flags reach keepalived.conf and the ecmp.lvs.ipvs module
    assert F['keepalived_virtual_servers'](svc)[0]['sched_flags'] == expected
    assert F['ipvs_services'](svc)[0]['scheduler_flags'] == expected


def test_lvs_services_ipv6_and_default_name():
    result = normalise({'vip': '2001:db8::10', 'port': 443, 'real_servers': [{'host': 'rs6'},
                                                                             {'address': '2001:db8:99::3'}]})[0]
    assert result['name'] == '[2001:db8::10]:443/tcp'
    assert (result['family'], result['vip_prefix']) == (6, '2001:db8::10/128')
    assert [rs['address'] for rs in result['real_servers']] == ['2001:db8:99::3', '2001:db8:99::21']


def test_lvs_services_real_servers_sorted_numerically_and_independent_of_input_order():
    servers = [{'address': '10.99.0.100'}, {'address': '10.99.0.9'}, {'address': '10.99.0.21', 'weight': 0}]
    first = normalise(service(real_servers=servers))
    second = normalise(service(real_servers=list(reversed(servers))))
    assert [rs['address'] for rs in first[0]['real_servers']] == ['10.99.0.9', '10.99.0.21', '10.99.0.100']
    assert first == second


def test_lvs_services_is_idempotent_and_does_not_mutate_input():
    raw = [service(health_check={'type': 'http_get', 'path': '/healthz'},
                   real_servers=[{'host': 'rs1'}, {'address': '10.99.0.22', 'weight': 2}])]
    before = copy.deepcopy(raw)
    once = F['lvs_services'](raw, HOSTVARS)
    assert raw == before
    assert F['lvs_services'](once, HOSTVARS) == once


def test_lvs_services_host_and_address_keeps_host_as_label():
    result = normalise(service(real_servers=[{'host': 'not-in-inventory', 'address': '10.99.0.40'}]))
    assert result[0]['real_servers'] == [{'address': '10.99.0.40', 'port': 80, 'weight': 1,
                                          'host': 'not-in-inventory'}]


def test_lvs_services_empty_and_none():
    assert F['lvs_services']([], None) == []
    assert F['lvs_services'](None) == []
    assert normalise(service(), hostvars=None)[0]['real_servers'][0]['host'] is None


def test_lvs_services_shared_vip():
    result = normalise(service(name='http'), service(name='https', port=443))
    assert [s['name'] for s in result] == ['http', 'https']


# ---------------------------------------------------------------- lvs_services: every validation error
@pytest.mark.parametrize('svc, expected', [
    ('web', "lvs_services[0]: 'web' is not a dictionary"),
    (service(shceduler='rr'), 'lvs_services[web]: unknown key(s) shceduler'),
    (service(name=''), "lvs_services[0].name: '' is not a non-empty string"),
    (service(name=42), 'lvs_services[0].name: 42 is not a non-empty string'),
    ({'name': 'web', 'port': 80, 'real_servers': [{'address': '10.99.0.21'}]}, 'lvs_services[web].vip: missing'),
    (service(vip='224.0.0.18'), "lvs_services[web].vip: '224.0.0.18' is not a unicast host address: it is multicast"),
    (service(vip='10.99.100.0/24'), "lvs_services[web].vip: '10.99.100.0/24' is not a host address"),
    (service(vip='www'), "lvs_services[web].vip: 'www' is not an IP address"),
    ({'name': 'web', 'vip': '10.99.100.10', 'real_servers': [{'address': '10.99.0.21'}]},
     'lvs_services[web].port: missing'),
    (service(port=0), 'lvs_services[web].port: 0 is out of range 1..65535'),
    (service(port=65536), 'lvs_services[web].port: 65536 is out of range 1..65535'),
    (service(port='http'), "lvs_services[web].port: 'http' is not an integer"),
    (service(port=True), 'lvs_services[web].port: True is not an integer'),
    (service(port=80.5), 'lvs_services[web].port: 80.5 is not an integer'),
    (service(protocol='icmp'), "lvs_services[web].protocol: 'icmp' is not one of tcp, udp, sctp"),
    (service(scheduler='roundrobin'), "lvs_services[web].scheduler: 'roundrobin' is not one of rr, wrr"),
    (service(scheduler_flags=['sh-port']),
     "lvs_services[web].scheduler_flags[0]: 'sh-port' is not valid; valid flags for mh: mh-fallback, mh-port"),
    (service(scheduler='sh', scheduler_flags=['mh-port']),
     "lvs_services[web].scheduler_flags[0]: 'mh-port' is not valid; valid flags for sh: sh-fallback, sh-port"),
    (service(scheduler='rr', scheduler_flags=['flag-1']),
     "lvs_services[web].scheduler_flags[0]: 'flag-1' is not valid; scheduler rr takes no flags"),
    (service(scheduler_flags={'mh-port': True}), 'lvs_services[web].scheduler_flags: {'),
    (service(persistence_timeout=-1), 'lvs_services[web].persistence_timeout: -1 is out of range 0..2678400'),
    (service(persistence_timeout='5m'), "lvs_services[web].persistence_timeout: '5m' is not an integer"),
    (service(real_servers=[]), 'lvs_services[web].real_servers: []: at least one real server is required'),
    (service(real_servers={'address': '10.99.0.21'}),
     'lvs_services[web].real_servers: {'),
    (service(real_servers=['10.99.0.21']), "lvs_services[web].real_servers[0]: '10.99.0.21' is not a dictionary"),
    (service(real_servers=[{'address': '10.99.0.21', 'wieght': 2}]),
     'lvs_services[web].real_servers[0]: unknown key(s) wieght'),
    (service(real_servers=[{'weight': 2}]),
     "lvs_services[web].real_servers[0]: needs host (an inventory name) or address, got {'weight': 2}"),
    (service(real_servers=[{'address': '10.99.0.21'}, {'address': '10.99.0.22'},
                           {'address': '10.99.0.23', 'weight': 70000}]),
     'lvs_services[web].real_servers[2].weight: 70000 is out of range 0..65535'),
    (service(real_servers=[{'address': '10.99.0.21', 'weight': -1}]),
     'lvs_services[web].real_servers[0].weight: -1 is out of range 0..65535'),
    (service(real_servers=[{'address': '10.99.0.21', 'port': 8080}]),
     'lvs_services[web].real_servers[0].port: 8080 differs from the service port 80'),
    (service(real_servers=[{'address': '10.99.0.21', 'port': 0}]),
     'lvs_services[web].real_servers[0].port: 0 is out of range 1..65535'),
    (service(real_servers=[{'address': '10.99.0.255.1'}]),
     "lvs_services[web].real_servers[0].address: '10.99.0.255.1' is not an IP address"),
    (service(real_servers=[{'address': '10.99.0.21/24'}]),
     "lvs_services[web].real_servers[0].address: '10.99.0.21/24' is not a host address"),
    (service(real_servers=[{'address': '127.0.0.2'}]),
     "lvs_services[web].real_servers[0].address: '127.0.0.2' is not a unicast host address: it is loopback"),
    (service(real_servers=[{'address': '2001:db8::5'}]),
     "lvs_services[web].real_servers[0].address: '2001:db8::5' is IPv6 but the VIP 10.99.100.10 is IPv4"),
    (service(real_servers=[{'host': 'ghost'}]),
     "lvs_services[web].real_servers[0].host: 'ghost' is not a host of the inventory"),
    (service(real_servers=[{'host': 'bare'}]),
     "lvs_services[web].real_servers[0].host: host 'bare' has no address: set lvs_address"),
    (service(real_servers=[{'host': 'dns-name'}]),
     "lvs_services[web].real_servers[0].host (hostvars['dns-name'].ansible_host): 'rs.example.invalid' "
     "is not an IP address"),
    (service(real_servers=[{'host': 'lo-host'}]),
     "lvs_services[web].real_servers[0].host (hostvars['lo-host'].lvs_address): '127.0.0.1' is not a unicast"),
    (service(real_servers=[{'host': 'rs6'}]),
     "lvs_services[web].real_servers[0].host: '2001:db8:99::21' is IPv6 but the VIP 10.99.100.10 is IPv4"),
    (service(real_servers=[{'host': 7}]), 'lvs_services[web].real_servers[0].host: 7 is not an inventory host name'),
    (service(real_servers=[{'host': 'rs1'}, {'address': '10.99.0.21'}]),
     'lvs_services[web].real_servers[1]: 10.99.0.21:80 is listed twice (also real_servers[0])'),
    (service(quorum=0), 'lvs_services[web].quorum: 0 is out of range (minimum 1)'),
    (service(quorum=3), 'lvs_services[web].quorum: 3 is more than the total weight 2 of the real servers'),
    (service(real_servers=[{'address': '10.99.0.21', 'weight': 0}]),
     'lvs_services[web].quorum: 1 is more than the total weight 0'),
    (service(real_servers=[{'address': '10.99.0.21', 'weight': 2}, {'address': '10.99.0.22'}], quorum=4),
     'lvs_services[web].quorum: 4 is more than the total weight 3'),
    (service(sorry_server='10.99.0.300'), "lvs_services[web].sorry_server.address: '10.99.0.300' is not an IP"),
    (service(sorry_server={'address': '10.99.0.30', 'port': 8080}),
     'lvs_services[web].sorry_server.port: 8080 differs from the service port 80'),
    (service(sorry_server={'adress': '10.99.0.30'}), 'lvs_services[web].sorry_server: unknown key(s) adress'),
    (service(sorry_server={'host': 'ghost'}),
     "lvs_services[web].sorry_server.host: 'ghost' is not a host of the inventory"),
    (service(sorry_server=['10.99.0.30']), "lvs_services[web].sorry_server: ['10.99.0.30'] is not a dictionary"),
    (service(health_check='http'), "lvs_services[web].health_check: 'http' is not a dictionary"),
    (service(health_check={'type': 'icmp'}),
     "lvs_services[web].health_check.type: 'icmp' is not one of http_get, ssl_get, tcp, misc, dns, udp, ping, none"),
    (service(health_check={'typ': 'tcp'}), 'lvs_services[web].health_check: unknown key(s) typ'),
    (service(health_check={'type': 'misc'}),
     'lvs_services[web].health_check.misc_path: None: health_check type misc needs misc_path'),
    (service(health_check={'type': 'misc', 'misc_path': '  '}),
     "lvs_services[web].health_check.misc_path: '  ' is not a command line"),
    (service(health_check={'type': 'misc', 'misc_path': ['/bin/true']}),
     "lvs_services[web].health_check.misc_path: ['/bin/true'] is not a command line"),
    (service(health_check={'path': 'healthz'}),
     "lvs_services[web].health_check.path: 'healthz' is not an absolute URL path"),
    (service(health_check={'path': '/a b'}), "lvs_services[web].health_check.path: '/a b' is not an absolute"),
    (service(health_check={'path': 5}), 'lvs_services[web].health_check.path: 5 is not an absolute'),
    (service(health_check={'status_code': '2xx'}),
     "lvs_services[web].health_check.status_code: '2xx' is not an integer"),
    (service(health_check={'status_code': 99}),
     'lvs_services[web].health_check.status_code: 99 is out of range 100..599'),
    (service(health_check={'connect_timeout': 0}),
     'lvs_services[web].health_check.connect_timeout: 0 must be positive'),
    (service(health_check={'connect_timeout': 'soon'}),
     "lvs_services[web].health_check.connect_timeout: 'soon' is not a number of seconds"),
    (service(health_check={'connect_timeout': [1]}),
     'lvs_services[web].health_check.connect_timeout: [1] is not a number of seconds'),
    (service(health_check={'delay_loop': False}),
     'lvs_services[web].health_check.delay_loop: False is not a number of seconds'),
    (service(health_check={'delay_loop': 'nan'}),
     "lvs_services[web].health_check.delay_loop: 'nan' is not a number of seconds"),
    (service(health_check={'delay_before_retry': -1}),
     'lvs_services[web].health_check.delay_before_retry: -1 must be zero or positive'),
    (service(health_check={'retry': -2}), 'lvs_services[web].health_check.retry: -2 is out of range 0..4294967295'),
    (service(health_check={'retry': 1.5}), 'lvs_services[web].health_check.retry: 1.5 is not an integer'),
    (service(health_check={'port': 70000}), 'lvs_services[web].health_check.port: 70000 is out of range 1..65535'),
])
def test_lvs_services_validation(svc, expected):
    assert expected in lvs_error(svc)


def test_lvs_services_requires_hostvars_for_hosts():
    assert "lvs_services[web].real_servers[0].host: host 'rs1' given but no hostvars were passed" in \
        lvs_error(service(real_servers=[{'host': 'rs1'}]), hostvars=None)


def test_lvs_services_not_a_list():
    assert "lvs_services: 'web' is not a list of services" in error_of('lvs_services', 'web', HOSTVARS)


def test_lvs_services_duplicate_endpoint():
    message = lvs_error(service(name='a'), service(name='b', vip='10.99.100.10/32'))
    assert "lvs_services[b]: duplicate service '10.99.100.10:80/tcp' (vip, port, protocol) - already defined by " \
           "lvs_services[a]" in message


def test_lvs_services_same_port_other_protocol_is_fine():
    assert len(normalise(service(name='a'), service(name='b', protocol='udp'))) == 2


def test_lvs_services_duplicate_name():
    assert "lvs_services[web].name: 'web' is used by two services (lvs_services[0] and [1])" in \
        lvs_error(service(), service(port=81))


def test_lvs_services_unnamed_service_is_labelled_by_index():
    assert 'lvs_services[1].port: 0 is out of range' in lvs_error(service(), {'vip': '10.99.100.11', 'port': 0})


# ---------------------------------------------------------------- lvs_vips
def test_lvs_vips_raw_and_normalised():
    raw = [service(name='a', vip='10.99.100.10'), service(name='b', vip='10.99.100.9/32', port=443),
           service(name='c', vip='10.99.100.10', port=8080),
           {'vip': '2001:db8::10', 'port': 80, 'real_servers': [{'address': '2001:db8::21'}]}]
    assert F['lvs_vips'](raw) == ['10.99.100.9', '10.99.100.10', '2001:db8::10']
    assert F['lvs_vips'](normalise(*raw)) == ['10.99.100.9', '10.99.100.10', '2001:db8::10']
    assert F['lvs_vips']([]) == [] and F['lvs_vips'](None) == []


def test_lvs_vips_errors():
    assert "lvs_services[a].vip: '224.0.0.1' is not a unicast host address" in \
        error_of('lvs_vips', [service(name='a', vip='224.0.0.1')])
    assert 'lvs_services[0].vip: missing' in error_of('lvs_vips', [{'port': 80}])
    assert "lvs_services[0]: 'x' is not a dictionary" in error_of('lvs_vips', ['x'])
    assert 'is not a list of services' in error_of('lvs_vips', {'vip': '10.0.0.1'})


# ---------------------------------------------------------------- announce_gates
def test_announce_gates():
    """Health-checked services without sorry server gate their VIPs; a group gates each of its VIPs and names its
    members; a VIP nothing gates gets an empty list; gated=False: nothing gates."""
    vs = F['keepalived_virtual_servers'](normalise(
        service(),
        service(name='dns', port=53, protocol='udp', health_check={'type': 'tcp'},
                sorry_server={'address': '10.99.0.30'}),
        service(name='plain', vip='10.99.100.12', health_check={'type': 'none'}),
        dict((k, v) for k, v in service(name='multi', vips=['10.99.100.13', '10.99.100.14'], port=443,
                                        quorum=2).items() if k != 'vip')))
    vips = ['10.99.100.10', '10.99.100.12', '10.99.100.13', '10.99.100.14']
    assert F['announce_gates'](vs, vips) == {
        'gating': ['tcp:10.99.100.10:80', 'group:multi'],
        'quorum': {'tcp:10.99.100.10:80': 1, 'group:multi': 2},
        'members': {'group:multi': ['tcp:10.99.100.13:443', 'tcp:10.99.100.14:443']},
        'vips': {'10.99.100.10': ['tcp:10.99.100.10:80'], '10.99.100.12': [],
                 '10.99.100.13': ['group:multi'], '10.99.100.14': ['group:multi']}}
    assert F['announce_gates'](vs, vips, False) == {
        'gating': [], 'quorum': {}, 'members': {}, 'vips': dict((vip, []) for vip in vips)}


# ---------------------------------------------------------------- keepalived_virtual_servers
def test_keepalived_virtual_servers_exact_shape():
    svc = normalise(service(persistence_timeout=60, sorry_server={'address': '10.99.0.30'},
                            health_check={'type': 'http_get', 'path': '/healthz', 'port': 8080,
                                          'delay_loop': 5},
                            real_servers=[{'address': '10.99.0.22', 'weight': 2}, {'host': 'rs1'}]))
    check = {'kind': 'HTTP_GET', 'path': '/healthz', 'status_code': 200, 'connect_port': 8080,
             'connect_timeout': 2, 'retry': 1, 'delay_before_retry': 1, 'misc_path': None, 'misc_timeout': None,
             'dns_type': None, 'dns_name': None, 'payload': None, 'require_reply': None, 'delay_loop': None}
    assert F['keepalived_virtual_servers'](svc) == [{
        'key': 'tcp:10.99.100.10:80', 'name': 'web', 'vip': '10.99.100.10', 'vips': ['10.99.100.10'], 'port': 80,
        'ports': [80], 'fwmark': None, 'group': None, 'protocol': 'TCP', 'lvs_sched': 'mh',
        'sched_flags': ['mh-fallback', 'mh-port'], 'lb_kind': 'DR', 'persistence_timeout': 60,
        'persistence_granularity': None, 'ops': False, 'quorum': 1, 'delay_loop': 5,
        'sorry_server': {'address': '10.99.0.30', 'port': 80, 'local': False},
        'real_servers': [
            {'address': '10.99.0.21', 'port': 80, 'weight': 1, 'check': check, 'checks': [check]},
            {'address': '10.99.0.22', 'port': 80, 'weight': 2, 'check': check, 'checks': [check]},
        ],
    }]


@pytest.mark.parametrize('health_check, check', [
    ({'type': 'tcp'}, {'kind': 'TCP_CHECK', 'path': None, 'status_code': None, 'connect_port': 53,
                       'connect_timeout': 2, 'retry': 1, 'delay_before_retry': 1, 'misc_path': None,
                       'misc_timeout': None}),
    ({'type': 'ssl_get', 'status_code': 204}, {'kind': 'SSL_GET', 'path': '/', 'status_code': 204,
                                               'connect_port': 53, 'connect_timeout': 2, 'retry': 1,
                                               'delay_before_retry': 1, 'misc_path': None, 'misc_timeout': None}),
    ({'type': 'misc', 'misc_path': '/bin/check 53', 'connect_timeout': 1.5},
     {'kind': 'MISC_CHECK', 'path': None, 'status_code': None, 'connect_port': None, 'connect_timeout': None,
      'retry': 1, 'delay_before_retry': 1, 'misc_path': '/bin/check 53', 'misc_timeout': 2}),
    ({'type': 'none'}, None),
])
def test_keepalived_checks(health_check, check):
    svc = normalise(service(port=53, protocol='udp', scheduler='rr', health_check=health_check,
                            real_servers=[{'address': '10.99.0.21'}]))
    result = F['keepalived_virtual_servers'](svc)[0]
    assert (result['protocol'], result['lvs_sched'], result['sched_flags'], result['persistence_timeout'],
            result['sorry_server']) == ('UDP', 'rr', [], None, None)
    if check is not None:
        check = dict(check, dns_type=None, dns_name=None, payload=None, require_reply=None, delay_loop=None)
    assert result['real_servers'][0]['check'] == check
    assert result['real_servers'][0]['checks'] == ([check] if check else [])


def test_keepalived_virtual_servers_refuses_raw_services():
    assert 'services[0]: not a normalised service' in error_of('keepalived_virtual_servers', [service()])
    assert 'is not a list of normalised services' in error_of('keepalived_virtual_servers', 'x')


# ---------------------------------------------------------------- ipvs_services
def test_ipvs_services_exact_shape():
    svc = normalise(service(scheduler='sh', scheduler_flags=['sh-port'], persistence_timeout=30,
                            real_servers=[{'address': '10.99.0.22', 'weight': 0}, {'host': 'rs1', 'weight': 5}]),
                    service(name='dns', port=53, protocol='udp', real_servers=[{'address': '10.99.0.21'}]))
    assert F['ipvs_services'](svc) == [
        {'vip': '10.99.100.10', 'port': 80, 'protocol': 'tcp', 'scheduler': 'sh', 'scheduler_flags': ['sh-port'],
         'persistence_timeout': 30, 'ops': False,
         'real_servers': [{'address': '10.99.0.21', 'port': 80, 'forwarding': 'dr', 'weight': 5},
                          {'address': '10.99.0.22', 'port': 80, 'forwarding': 'dr', 'weight': 0}]},
        {'vip': '10.99.100.10', 'port': 53, 'protocol': 'udp', 'scheduler': 'mh',
         'scheduler_flags': ['mh-fallback', 'mh-port'], 'persistence_timeout': 0, 'ops': False,
         'real_servers': [{'address': '10.99.0.21', 'port': 53, 'forwarding': 'dr', 'weight': 1}]},
    ]


def test_ipvs_services_refuses_raw_services():
    assert 'not a normalised service' in error_of('ipvs_services', [service()])


# ---------------------------------------------------------------- bgp_neighbors
GROUPS = {'all': list(HOSTVARS), 'directors': ['d2', 'd1', 'd3'], 'routers': [], 'broken': ['d1', 'bare'],
          'realservers': ['rs1', 'rs2', 'rs3', '10.99.0.24']}
HOSTVARS_BGP = dict(HOSTVARS, d1={'lvs_address': '10.99.0.11', 'ansible_host': '10.99.255.11'},
                    d2={'lvs_address': '10.99.0.12'}, d3={'ansible_host': '10.99.0.9'})


def test_bgp_neighbors():
    assert F['bgp_neighbors'](HOSTVARS_BGP, GROUPS, 'directors') == ['10.99.0.9', '10.99.0.11', '10.99.0.12']
    assert F['bgp_neighbors'](HOSTVARS_BGP, GROUPS, 'realservers') == \
        ['10.99.0.21', '10.99.0.22', '10.99.0.23', '10.99.0.24']
    assert F['bgp_neighbors'](HOSTVARS_BGP, GROUPS, 'routers') == []


def test_bgp_neighbors_errors():
    assert "bgp_neighbors: group 'director' is not in the inventory" in \
        error_of('bgp_neighbors', HOSTVARS_BGP, GROUPS, 'director')
    assert "groups['broken']: host 'bare' has no address" in \
        error_of('bgp_neighbors', HOSTVARS_BGP, GROUPS, 'broken')
    assert 'the second argument must be groups' in error_of('bgp_neighbors', HOSTVARS_BGP, 'directors', 'x')


# ---------------------------------------------------------------- ipvs_order_drift
IPVSADM_FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'ipvsadm')


class _CapturedIpvsadm(object):
    """Just enough of AnsibleModule for ipvs_info.gather: answers from a capture of tools/capture/ipvs-order.sh."""

    ANSWERS = {('-Sn',): '-Sn', ('-Ln', '--thresholds', '--exact'): '-Ln-thresholds',
               ('-Ln', '--stats', '--exact'): '-Ln-stats', ('-Ln', '--rate', '--exact'): '-Ln-rate',
               ('-Ln', '--nosort'): '-Ln-nosort', ('-L', '--daemon'): '-daemon'}

    def __init__(self, prefix):
        self.prefix = prefix

    def run_command(self, argv):
        with open(os.path.join(IPVSADM_FIXTURES, self.prefix + self.ANSWERS[tuple(argv[1:])] + '.txt')) as fd:
            return 0, fd.read(), ''


def kernel_services(prefix):
    from ansible_collections.ecmp.lvs.plugins.modules import ipvs_info
    return ipvs_info.gather(_CapturedIpvsadm(prefix), 'ipvsadm')['services']


def order_service(*addresses, **kwargs):
    # configured (and normalised: sorted) .20/.21/.22/.23 as in tools/capture/ipvs-order.sh
    return normalise(service(name='http', real_servers=[{'address': a} for a in addresses], **kwargs))


def test_ipvs_order_drift_none_after_a_fresh_start():
    assert F['ipvs_order_drift'](kernel_services('keepalived-start'),
                                 order_service('10.99.0.21', '10.99.0.22', '10.99.0.23')) == []


def test_ipvs_order_drift_after_a_reload_that_added_a_real_server():
    drift = F['ipvs_order_drift'](kernel_services('keepalived-reload'),
                                  order_service('10.99.0.23', '10.99.0.20', '10.99.0.21', '10.99.0.22'))
    assert drift == [{
        'name': 'http', 'protocol': 'tcp', 'vip': '10.99.100.10', 'port': 80, 'scheduler': 'mh',
        'kernel_order': ['10.99.0.20:80', '10.99.0.23:80', '10.99.0.22:80', '10.99.0.21:80'],
        'expected_order': ['10.99.0.23:80', '10.99.0.22:80', '10.99.0.21:80', '10.99.0.20:80'],
        'message': 'http (tcp 10.99.100.10:80, mh): real servers in kernel order 10.99.0.20:80, 10.99.0.23:80, '
                   '10.99.0.22:80, 10.99.0.21:80, a fresh start gives 10.99.0.23:80, 10.99.0.22:80, 10.99.0.21:80, '
                   '10.99.0.20:80',
    }]


def test_ipvs_order_drift_ignores_what_is_not_an_order_matter():
    reloaded = kernel_services('keepalived-reload')
    # a real server not (yet) in the kernel or not configured any more: only the common ones are compared
    assert F['ipvs_order_drift'](kernel_services('keepalived-start'),
                                 order_service('10.99.0.20', '10.99.0.21', '10.99.0.22', '10.99.0.23')) == []
    assert F['ipvs_order_drift'](reloaded, order_service('10.99.0.21', '10.99.0.22', '10.99.0.23')) == []
    # schedulers that build no lookup table from the order
    assert F['ipvs_order_drift'](reloaded, order_service('10.99.0.20', '10.99.0.21', '10.99.0.22', '10.99.0.23',
                                                         scheduler='wlc')) == []
    # a service the kernel does not have (yet), and an empty kernel table
    assert F['ipvs_order_drift'](reloaded, order_service('10.99.0.21', vip='10.99.100.11')) == []
    assert F['ipvs_order_drift']([], order_service('10.99.0.21')) == []


def test_ipvs_order_drift_full_capture_and_sh():
    # tools/capture/ipvs-fixtures.sh added 10.99.0.1, .21, .22 (sorted order) to 10.99.200.1:80: a fresh order
    svc = normalise(service(name='full', vip='10.99.200.1', real_servers=[
        {'address': '10.99.0.22'}, {'address': '10.99.0.1'}, {'address': '10.99.0.21'}]))
    full = kernel_services('full')
    assert F['ipvs_order_drift'](full, svc) == []
    # the configured scheduler decides: sh builds its table from the order as well
    [drift] = F['ipvs_order_drift'](kernel_services('keepalived-reload'), order_service(
        '10.99.0.20', '10.99.0.21', '10.99.0.22', '10.99.0.23', scheduler='sh', scheduler_flags=[]))
    assert drift['scheduler'] == 'sh' and drift['kernel_order'][0] == '10.99.0.20:80'


def test_ipvs_order_drift_refuses_bad_input():
    assert 'not a normalised service' in error_of('ipvs_order_drift', [], [service()])
    assert 'no real_server_order' in error_of('ipvs_order_drift', [{'vip': '10.99.100.10'}], order_service('10.99.0.21'))
    assert 'is not a list' in error_of('ipvs_order_drift', {'x': 1}, order_service('10.99.0.21'))


# ---------------------------------------------------------------- rollout gate: routes via a director
ROUTE = {'present': True, 'nexthops': [{'gateway': '10.99.0.11'}, {'gateway': '10.99.0.12'}]}


def test_vips_not_routed_via():
    routes = {'10.99.100.10': ROUTE, '10.99.100.11': {'present': True, 'nexthops': [{'gateway': '10.99.0.12'}]},
              '10.99.100.12': {'present': False, 'nexthops': []}}
    assert F['vips_not_routed_via'](routes, '10.99.0.11') == ['10.99.100.11', '10.99.100.12']
    assert F['vips_not_routed_via'](routes, '10.99.0.12') == ['10.99.100.12']
    assert F['vips_not_routed_via']({}, '10.99.0.11') == []
    # a dual-stack director: its IPv4 address or an IPv6 address of its fabric interface (link-local via OSPFv3)
    routes['2001:db8:100::10'] = {'present': True, 'nexthops': [{'gateway': 'fe80::ec:ff:fe00:501'},
                                                                {'gateway': 'fe80::ec:ff:fe00:601'}]}
    director1 = ['10.99.0.11', '2001:db8:99::11', 'fe80::ec:ff:fe00:501']
    assert F['vips_not_routed_via'](routes, director1) == ['10.99.100.11', '10.99.100.12']
    assert F['vips_not_routed_via'](routes, ['10.99.0.13', 'fe80::13']) == sorted(routes)


def test_routers_routing_via():
    """Looped route_info results: only routers whose every VIP route goes via the director count; failed or skipped
    results (no routes) and routers without any route (first deployment) do not."""
    results = [{'item': 'r1', 'routes': {'10.99.100.10': ROUTE}},
               {'item': 'r2', 'routes': {'10.99.100.10': {'present': True, 'nexthops': [{'gateway': '10.99.0.12'}]}}},
               {'item': 'r3', 'failed': True, 'msg': 'unreachable'},
               {'item': 'r4', 'skipped': True},
               {'item': 'r5', 'routes': {'10.99.100.10': {'present': False, 'nexthops': []}}}]
    assert F['routers_routing_via'](results, '10.99.0.11') == ['r1']
    assert F['routers_routing_via'](results, '10.99.0.12') == ['r1', 'r2']
    assert F['routers_routing_via'](None, '10.99.0.12') == []


# ---------------------------------------------------------------- ipvs_missing
def test_ipvs_missing_names_the_services_the_kernel_lacks():
    web = normalise(service(real_servers=[{'address': '10.99.0.21'}]))
    dns = normalise(service(name='dns', port=53, protocol='udp', scheduler='rr', real_servers=[{'address': '10.99.0.21'}]))
    v6 = normalise(service(name='v6', vip='2001:db8::10', real_servers=[{'address': '2001:db8::21'}]))
    kernel = [{'protocol': 'tcp', 'vip': '10.99.100.10', 'port': 80, 'fwmark': None, 'real_server_order': []},
              {'protocol': None, 'vip': None, 'port': None, 'fwmark': 7, 'real_server_order': []}]
    assert F['ipvs_missing'](kernel, web + dns + v6) == ['udp:10.99.100.10:53', 'tcp:2001:db8::10:80']
    kernel.append({'protocol': 'udp', 'vip': '10.99.100.10', 'port': 53, 'real_server_order': []})
    kernel.append({'protocol': 'tcp', 'vip': '2001:db8::10', 'port': 80, 'real_server_order': []})
    assert F['ipvs_missing'](kernel, web + dns + v6) == []
    assert 'is not a list' in error_of('ipvs_missing', 'x', web)


# ---------------------------------------------------------------- interface_sysctls
def test_interface_sysctls_keys_vlans_and_duplicates():
    assert F['interface_sysctls'](['eth1', 'eth0.100', 'eth1', 'all'], {'arp_ignore': 1, 'arp_announce': '2'}) == {
        'net.ipv4.conf.eth1.arp_ignore': 1, 'net.ipv4.conf.eth1.arp_announce': 2,
        'net.ipv4.conf.eth0/100.arp_ignore': 1, 'net.ipv4.conf.eth0/100.arp_announce': 2,
        'net.ipv4.conf.all.arp_ignore': 1, 'net.ipv4.conf.all.arp_announce': 2}
    assert F['interface_sysctls']([], {'rp_filter': 2}) == {}
    assert F['interface_sysctls'](['lo'], {'accept_dad': 0}, 'ipv6') == {'net.ipv6.conf.lo.accept_dad': 0}


@pytest.mark.parametrize('args, message', [
    ((['eth1\nnet.ipv4.ip_forward'], {'rp_filter': 1}), 'is not an interface name'),
    ((['eth1'], {'rp_filter': 'loose'}), 'settings.rp_filter'),
    (('eth1', {'rp_filter': 1}), 'is not a list of interface names'),
    ((['eth1'], {'rp_filter': 1}, 'ipv5'), 'is not ipv4 or ipv6'),
])
def test_interface_sysctls_refuses(args, message):
    assert message in error_of('interface_sysctls', *args)
