# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""keepalived / IPVS parity (issue 15): the contract shapes beyond one vip:port with one checker.

sctp, persistence_granularity, ops, the director-local sorry server of the seeds, DNS_CHECK / UDP_CHECK /
PING_CHECK, several checkers per real server (health_checks), per-real-server check overrides, firewall-mark
services (several ports, one mark) and services of several VIPs (virtual_server_group): their normalised shape,
what keepalived_virtual_servers / ipvs_services / ipvs_missing / fwmark_rules make of them, and every refusal
naming the field. The rendered files are checked by keepalived itself in tests/unit/roles/test_keepalived_template.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.ecmp.lvs.plugins.filter.lvs import FilterModule

F = FilterModule().filters()
HOSTVARS = {'rs1': {'lvs_address': '10.99.0.21'}, 'rs2': {'lvs_address': '10.99.0.22'}}
RS = [{'address': '10.99.0.22'}, {'address': '10.99.0.21'}]


def service(**kwargs):
    svc = {'name': 'web', 'vip': '10.99.100.10', 'port': 80, 'real_servers': RS}
    svc.update(kwargs)
    return svc


def normalise(*services):
    return F['lvs_services'](list(services), HOSTVARS)


def error_of(*services):
    with pytest.raises(AnsibleFilterError) as exc:
        normalise(*services)
    return str(exc.value)


def vs_of(*services):
    return F['keepalived_virtual_servers'](normalise(*services))


# ---------------------------------------------------------------- seeds 001/002
def test_seed_001_virtual_server():
    """The seeds' virtual_server: wrr, persistence 60 with granularity /32, sorry_server 127.0.0.1 80, HTTP_GET."""
    vs = vs_of(service(scheduler='wrr', persistence_timeout=60, persistence_granularity='255.255.255.255',
                       sorry_server={'address': '127.0.0.1', 'port': 80},
                       health_check={'type': 'http_get', 'path': '/', 'status_code': 200, 'port': 80,
                                     'connect_timeout': 2, 'retry': 1, 'delay_before_retry': 1, 'delay_loop': 5},
                       real_servers=[{'address': '10.99.0.21', 'weight': 10}, {'address': '10.99.0.22', 'weight': 10}]))
    assert vs[0]['persistence_granularity'] == '255.255.255.255'
    assert vs[0]['sorry_server'] == {'address': '127.0.0.1', 'port': 80, 'local': True}
    assert vs[0]['lvs_sched'] == 'wrr' and vs[0]['delay_loop'] == 5


@pytest.mark.parametrize('given', [{'local': True}, 'local', '127.0.0.1', {'address': '127.0.0.1'},
                                   {'local': 'yes', 'port': 80}])
def test_local_sorry_server_spellings(given):
    svc = normalise(service(sorry_server=given))[0]
    assert svc['sorry_server'] == {'address': '127.0.0.1', 'port': 80, 'local': True}
    # normalising the output again gives the same
    assert normalise(svc)[0]['sorry_server'] == svc['sorry_server']


@pytest.mark.parametrize('given, expected', [
    ({'local': True, 'address': '10.99.0.30'},
     "lvs_services[web].sorry_server.local: true together with address '10.99.0.30'"),
    ({'local': False, 'address': '127.0.0.1'}, "lvs_services[web].sorry_server.address: '127.0.0.1' is the director"),
    ({'local': 'maybe'}, "lvs_services[web].sorry_server.local: 'maybe' is not a boolean"),
    ({'address': '127.0.0.2'}, "lvs_services[web].sorry_server.address: '127.0.0.2' is not a unicast host address: "
                               "it is loopback"),
    ({'local': True, 'port': 8080}, 'lvs_services[web].sorry_server.port: 8080 differs from the service port 80'),
    ({'address': '::1'}, "lvs_services[web].sorry_server.address: '::1' is the IPv6 loopback but the VIP is IPv4"),
])
def test_local_sorry_server_refusals(given, expected):
    assert expected in error_of(service(sorry_server=given))


@pytest.mark.parametrize('given, expected', [
    ('255.255.255.0', '255.255.255.0'), (24, '255.255.255.0'), ('16', '255.255.0.0'),
    ('255.255.255.255', '255.255.255.255'), (32, '255.255.255.255'),
])
def test_persistence_granularity(given, expected):
    svc = normalise(service(persistence_timeout=60, persistence_granularity=given))[0]
    assert svc['persistence_granularity'] == expected
    assert vs_of(svc)[0]['persistence_granularity'] == expected
    assert F['ipvs_services']([svc])[0]['persistence_netmask'] == expected


@pytest.mark.parametrize('given, expected', [
    ('255.0.255.0', "persistence_granularity: '255.0.255.0' is not a netmask (e.g. 255.255.255.0) or prefix "
                    "length 1..32"),
    (33, 'persistence_granularity: 33 is not a netmask'),
    (0, 'persistence_granularity: 0 is not a netmask'),
    ('/24', "persistence_granularity: '/24' is not a netmask"),
])
def test_persistence_granularity_refusals(given, expected):
    assert 'lvs_services[web].' + expected in error_of(service(persistence_timeout=60,
                                                               persistence_granularity=given))


def test_persistence_granularity_needs_persistence():
    assert ("lvs_services[web].persistence_granularity: '255.255.255.0' needs persistence_timeout"
            in error_of(service(persistence_granularity='255.255.255.0')))


def test_sctp():
    svc = normalise(service(protocol='SCTP', health_check={'type': 'misc', 'misc_path': '/bin/true'}))[0]
    assert svc['protocol'] == 'sctp' and svc['key'] == 'sctp:10.99.100.10:80'
    assert vs_of(svc)[0]['protocol'] == 'SCTP'
    assert F['ipvs_services']([svc])[0]['protocol'] == 'sctp'


def test_ops():
    svc = normalise(service(port=53, protocol='udp', ops=True))[0]
    assert svc['ops'] is True and vs_of(svc)[0]['ops'] is True and F['ipvs_services']([svc])[0]['ops'] is True
    assert normalise(service())[0]['ops'] is False
    assert ('lvs_services[web].ops: true but the protocol is tcp: one-packet scheduling is for UDP only'
            in error_of(service(ops=True)))
    assert "lvs_services[web].ops: 'sometimes' is not a boolean" in error_of(service(protocol='udp', ops='sometimes'))


# ---------------------------------------------------------------- new checkers, several checkers, overrides
def test_dns_udp_ping_checks():
    vs = vs_of(service(port=53, protocol='udp', health_checks=[
        {'type': 'dns', 'dns_type': 'a', 'dns_name': 'www.example.org'},
        {'type': 'udp', 'payload': '00FF', 'require_reply': True},
        {'type': 'ping', 'delay_loop': 10}]))[0]
    dns, udp, ping = vs['real_servers'][0]['checks']
    assert (dns['kind'], dns['dns_type'], dns['dns_name'], dns['connect_port']) == \
        ('DNS_CHECK', 'A', 'www.example.org', 53)
    assert (udp['kind'], udp['payload'], udp['require_reply'], udp['connect_port']) == ('UDP_CHECK', '00ff', True, 53)
    assert (ping['kind'], ping['connect_port'], ping['connect_timeout'], ping['delay_loop']) == \
        ('PING_CHECK', None, 2, 10)
    assert vs['delay_loop'] == 2 and dns['delay_loop'] is None        # the first check sets the service's
    assert vs['real_servers'][0]['check'] == dns                       # check: the first checker


def test_dns_defaults_are_keepalived_defaults():
    hc = normalise(service(port=53, protocol='udp', health_check={'type': 'dns'}))[0]['health_check']
    assert (hc['dns_type'], hc['dns_name']) == ('SOA', '.')
    assert normalise(service())[0]['health_check']['dns_type'] is None


def test_health_settle_seconds_takes_the_slowest_check():
    svc = normalise(service(health_checks=[{'type': 'tcp'}, {'type': 'ping', 'delay_loop': 10, 'retry': 2}]))
    assert F['health_settle_seconds'](svc) == 10 + 3 * 2 + 2 * 1 + 2


def test_per_real_server_overrides():
    vs = vs_of(service(health_checks=[{'type': 'http_get', 'path': '/healthz'}, {'type': 'tcp', 'port': 8080}],
                       real_servers=[{'address': '10.99.0.21', 'weight': 5,
                                      'health_check': {'port': 8081, 'path': '/ready', 'status_code': 204}},
                                     {'address': '10.99.0.22'}]))[0]
    first, second = vs['real_servers']
    assert [(c['kind'], c['connect_port'], c['path'], c['status_code']) for c in first['checks']] == [
        ('HTTP_GET', 8081, '/ready', 204), ('TCP_CHECK', 8081, None, None)]
    assert first['weight'] == 5
    assert [(c['kind'], c['connect_port'], c['path'], c['status_code']) for c in second['checks']] == [
        ('HTTP_GET', 80, '/healthz', 200), ('TCP_CHECK', 8080, None, None)]


@pytest.mark.parametrize('kwargs, expected', [
    ({'health_check': {'type': 'tcp'}, 'health_checks': [{'type': 'ping'}]},
     'lvs_services[web].health_checks: given together with health_check'),
    ({'health_checks': []}, 'lvs_services[web].health_checks: [] is not a non-empty list of health checks'),
    ({'health_checks': [{'type': 'tcp'}, {'type': 'none'}]},
     "lvs_services[web].health_checks[1].type: 'none' cannot be combined with other checks"),
    ({'health_checks': [{'type': 'tcp'}, {'type': 'dns', 'dns_type': 'ANY'}]},
     "lvs_services[web].health_checks[1].dns_type: 'ANY' is not one of A, NS, CNAME, SOA, MX, TXT, AAAA"),
    ({'health_check': {'type': 'dns', 'dns_name': 'bad name'}},
     "lvs_services[web].health_check.dns_name: 'bad name' is not a DNS name"),
    ({'health_check': {'type': 'dns', 'dns_name': 'a..b'}},
     "lvs_services[web].health_check.dns_name: 'a..b' is not a DNS name"),
    ({'health_check': {'type': 'udp', 'payload': 'xyz'}},
     "lvs_services[web].health_check.payload: 'xyz' is not bytes as hex digits"),
    ({'health_check': {'type': 'udp', 'require_reply': '0'}},
     "lvs_services[web].health_check.require_reply: '0' is not true (any reply) or bytes as hex digits"),
    ({'health_checks': [{'type': 'ping', 'retry': -1}]},
     'lvs_services[web].health_checks[0].retry: -1 is out of range'),
    ({'real_servers': [{'address': '10.99.0.21', 'health_check': {'port': 0}}]},
     'lvs_services[web].real_servers[0].health_check.port: 0 is out of range 1..65535'),
    ({'real_servers': [{'address': '10.99.0.21', 'health_check': {'weight': 3}}]},
     'lvs_services[web].real_servers[0].health_check: unknown key(s) weight; allowed: port, path, status_code'),
    ({'real_servers': [{'address': '10.99.0.21', 'health_check': {'path': '/x'}}]},
     "lvs_services[web].real_servers[0].health_check.path: '/x' applies to health checks of type http_get or "
     "ssl_get; the service has tcp"),
    ({'health_check': {'type': 'ping'}, 'real_servers': [{'address': '10.99.0.21', 'health_check': {'port': 81}}]},
     'lvs_services[web].real_servers[0].health_check.port: 81 applies to health checks of type'),
    ({'health_check': {'type': 'http_get'},
      'real_servers': [{'address': '10.99.0.21', 'health_check': {'status_code': 700}}]},
     'lvs_services[web].real_servers[0].health_check.status_code: 700 is out of range 100..599'),
])
def test_check_refusals(kwargs, expected):
    assert expected in error_of(service(**kwargs))


# ---------------------------------------------------------------- firewall-mark and multi-VIP services
def fwmark_service(**kwargs):
    return service(**dict({'port': None, 'fwmark': 10, 'ports': [443, 80], 'persistence_timeout': 300}, **kwargs))


def test_fwmark_service_shape():
    svc = normalise(fwmark_service(vips=['10.99.100.10', '10.99.100.11'], vip=None))[0]
    assert (svc['key'], svc['fwmark'], svc['port'], svc['ports'], svc['vips'], svc['vip']) == (
        'fwmark:10', 10, None, [80, 443], ['10.99.100.10', '10.99.100.11'], '10.99.100.10')
    assert [rs['port'] for rs in svc['real_servers']] == [0, 0]
    assert normalise(svc) == [svc]                                   # idempotent
    vs = F['keepalived_virtual_servers']([svc])[0]
    assert (vs['fwmark'], vs['group'], vs['key']) == (10, None, 'fwmark:10')
    # checks connect to the first port unless told otherwise
    assert vs['real_servers'][0]['check']['connect_port'] == 80
    assert F['fwmark_rules']([svc]) == [{'name': 'web', 'fwmark': 10, 'family': 4, 'protocol': 'tcp',
                                         'vips': ['10.99.100.10', '10.99.100.11'], 'ports': [80, 443]}]
    assert F['ipvs_services']([svc]) == [{
        'fwmark': 10, 'family': 'ipv4', 'scheduler': 'mh', 'scheduler_flags': ['mh-fallback', 'mh-port'],
        'persistence_timeout': 300, 'ops': False,
        'real_servers': [{'address': '10.99.0.21', 'port': 0, 'forwarding': 'dr', 'weight': 1},
                         {'address': '10.99.0.22', 'port': 0, 'forwarding': 'dr', 'weight': 1}]}]
    assert F['lvs_vips']([svc]) == ['10.99.100.10', '10.99.100.11']


def test_fwmark_default_name():
    svc = normalise(dict(fwmark_service(), name=None))[0]
    assert svc['name'] == 'fwmark:10'


def test_group_service_shape():
    svc = normalise(service(vip=None, vips=['10.99.100.11', '10.99.100.10']))[0]
    assert (svc['key'], svc['vips'], svc['vip'], svc['port']) == ('group:web', ['10.99.100.11', '10.99.100.10'],
                                                                  '10.99.100.11', 80)
    assert normalise(svc) == [svc]
    vs = F['keepalived_virtual_servers']([svc])[0]
    assert vs['group'] == {'name': 'web', 'members': [
        {'vip': '10.99.100.11', 'port': 80, 'key': 'tcp:10.99.100.11:80'},
        {'vip': '10.99.100.10', 'port': 80, 'key': 'tcp:10.99.100.10:80'}]}
    assert [(s['vip'], s['port']) for s in F['ipvs_services']([svc])] == [('10.99.100.11', 80), ('10.99.100.10', 80)]
    assert F['fwmark_rules']([svc]) == []


def kernel(*entries):
    return [dict({'vip': None, 'port': None, 'protocol': None, 'fwmark': None, 'real_server_order': []}, **e)
            for e in entries]


def test_ipvs_missing_fwmark_and_group():
    services = normalise(fwmark_service(), service(name='g', port=8080, vip=None,
                                                   vips=['10.99.100.10', '10.99.100.11']),
                         service(name='dns', port=53, protocol='udp'))
    assert F['ipvs_missing']([], services) == ['fwmark:10', 'group:g', 'udp:10.99.100.10:53']
    partial = kernel({'fwmark': 10}, {'vip': '10.99.100.10', 'port': 8080, 'protocol': 'tcp'},
                     {'vip': '10.99.100.10', 'port': 53, 'protocol': 'udp'})
    assert F['ipvs_missing'](partial, services) == ['group:g']
    full = partial + kernel({'vip': '10.99.100.11', 'port': 8080, 'protocol': 'tcp'})
    assert F['ipvs_missing'](full, services) == []


def test_ipvs_order_drift_of_fwmark_services():
    services = normalise(fwmark_service())
    fresh = kernel({'fwmark': 10, 'real_server_order': ['10.99.0.22:0', '10.99.0.21:0']})
    assert F['ipvs_order_drift'](fresh, services) == []
    drifted = kernel({'fwmark': 10, 'real_server_order': ['10.99.0.21:0', '10.99.0.22:0']})
    [entry] = F['ipvs_order_drift'](drifted, services)
    assert entry['message'].startswith('web (fwmark 10, mh): real servers in kernel order 10.99.0.21:0')


@pytest.mark.parametrize('kwargs, expected', [
    ({'fwmark': 0}, 'lvs_services[web].fwmark: 0 is out of range 1..4294967295'),
    ({'fwmark': 'x'}, "lvs_services[web].fwmark: 'x' is not an integer"),
    ({'ports': []}, 'lvs_services[web].ports: []: a firewall-mark service needs a non-empty list of ports'),
    ({'ports': [80, 80]}, 'lvs_services[web].ports[1]: 80 is listed twice'),
    ({'ports': [80, 70000]}, 'lvs_services[web].ports[1]: 70000 is out of range 1..65535'),
    ({'port': 80}, 'lvs_services[web].port: given together with ports'),
    ({'real_servers': [{'address': '10.99.0.21', 'port': 80}]},
     'lvs_services[web].real_servers[0].port: 80: a firewall-mark service forwards every port'),
    ({'sorry_server': {'local': True, 'port': 80}}, 'lvs_services[web].sorry_server.port: 80: a firewall-mark'),
])
def test_fwmark_refusals(kwargs, expected):
    assert expected in error_of(fwmark_service(**kwargs))


@pytest.mark.parametrize('services, expected', [
    ([service(ports=[80, 443])], 'lvs_services[web].ports: [80, 443]: several ports of one service need a firewall '
                                 'mark'),
    ([service(vips=['10.99.100.11'])], 'lvs_services[web].vips: given together with vip'),
    ([service(vip=None, vips=[])], 'lvs_services[web].vips: [] is not a non-empty list of VIPs'),
    ([service(vip=None, vips=['10.99.100.10', '10.99.100.10'])], "lvs_services[web].vips[1]: '10.99.100.10' is listed "
                                                                 "twice"),
    ([service(vip=None, vips=['10.99.100.10', 'x'])], "lvs_services[web].vips[1]: 'x' is not an IP address"),
    ([service(vip=None, name=None, vips=['10.99.100.10', '10.99.100.11'])],
     'lvs_services[0].name: missing: a service of several VIPs'),
    ([fwmark_service(), fwmark_service(name='other', ports=[8080])],
     'lvs_services[other].fwmark: 10 is the mark of lvs_services[web] too'),
    ([fwmark_service(), service(name='plain', port=443)],
     "lvs_services[plain]: duplicate service '10.99.100.10:443/tcp' (vip, port, protocol) - already defined by "
     "lvs_services[web]"),
    ([service(vip=None, vips=['10.99.100.10', '10.99.100.11']), service(name='b', vip='10.99.100.11')],
     "lvs_services[b]: duplicate service '10.99.100.11:80/tcp'"),
])
def test_multi_refusals(services, expected):
    assert expected in error_of(*services)


# ---------------------------------------------------------------- playbooks/status.yml aggregation
IPVS_LISTING = """IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.99.100.10:8080 mh (mh-fallback,mh-port)
  -> 10.99.0.21:8080              Route   1      0          0
FWM  10 mh (mh-fallback,mh-port)
  -> 10.99.0.21:0                 Route   1      0          0
"""


def test_status_of_fwmark_and_group_services():
    from ansible_collections.ecmp.lvs.plugins.module_utils import lvs_status
    services = normalise(fwmark_service(vip=None, vips=['10.99.100.10', '10.99.100.11'],
                                        real_servers=[{'address': '10.99.0.21'}]),
                         service(name='g', port=8080, vip=None, vips=['10.99.100.10', '10.99.100.12'],
                                 real_servers=[{'address': '10.99.0.21'}]))
    report = lvs_status.aggregate([{'host': 'd1', 'address': '10.99.0.11', 'ipvs': IPVS_LISTING,
                                    'announce': '{"vips": {}}'}], [], services)
    assert dict((vip, sorted(rep['services'])) for vip, rep in report['vips'].items()) == {
        '10.99.100.10': ['fwmark:10', 'tcp:10.99.100.10:8080'], '10.99.100.11': ['fwmark:10'],
        '10.99.100.12': ['tcp:10.99.100.12:8080']}
    assert 'd1: tcp:10.99.100.12:8080 not in IPVS' in report['vips']['10.99.100.12']['problems']
    assert not [p for p in report['vips']['10.99.100.11']['problems'] if 'IPVS' in p]
