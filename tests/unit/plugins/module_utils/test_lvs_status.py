# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/lvs_status.py: the fleet report of playbooks/status.yml and the metric text of ecmp-lvs-metrics.

Inputs are real: `ecmp-lvs-announce status` JSON produced by the announce program's own Reconciler (fake host and
clock, as in tests/unit/roles/test_director_announce.py) and the fields `cmd_status` adds; ipvsadm listings captured
on a UML director (tests/fixtures/ipvsadm); routes and FRR JSON captured with FRR 8.4.4 (tests/fixtures/frr),
turned into route_info's shape by module_utils/iproute.py like ecmp.lvs.route_info does."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re

import pytest

from ansible_collections.ecmp.lvs.plugins.module_utils import iproute
from ansible_collections.ecmp.lvs.plugins.module_utils import lvs_status
from ansible_collections.ecmp.lvs.plugins.plugin_utils import lvs_net
from ansible_collections.ecmp.lvs.tests.unit.roles import announce_package

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
FIX = os.path.join(ROOT, 'tests', 'fixtures')
ann = announce_package.load()

VIP = '10.99.100.10'
HTTP = 'tcp:10.99.100.10:80'
CHECKER = [981, 5000]
D1, D2 = '10.99.0.11', '10.99.0.12'
# the real servers of the keepalived-*.conf captures: .20 .21 .22 .23 (a fresh start gives .23 .22 .21 .20)
SERVICES = lvs_net.lvs_services([{'name': 'web', 'vip': VIP, 'port': 80,
                                  'real_servers': [{'address': '10.99.0.2%d' % i} for i in range(4)]}])


def fixture(*parts):
    with open(os.path.join(FIX, *parts), encoding='utf-8') as handle:
        return handle.read()


class Host:
    """The smallest host the announce program's Reconciler runs against."""

    def __init__(self, conf):
        self.conf = conf
        self.records_ = {}
        self.drained_ = False
        self.running = True
        self.addresses = set()

    def config(self):
        return self.conf

    def records(self, conf, now=None):  # pylint: disable=unused-argument
        return dict(self.records_)

    def drained(self, conf):
        return self.drained_

    def keepalived_running(self, conf):
        return self.running

    def writer_alive(self, writer):  # pylint: disable=unused-argument
        return True

    def present(self, conf):
        return set(self.addresses)

    def add(self, conf, vip):
        self.addresses.add(vip)

    def delete(self, conf, vip):
        self.addresses.discard(vip)

    def write_status(self, conf, status):
        pass


def announce_status(quorum='up', since=900.0, drained=False, keepalived=True, now=1000.0, service_running=True,
                    vip=VIP, key=HTTP):
    """stdout of `ecmp-lvs-announce status`: the Reconciler's status() plus what cmd_status adds."""
    conf = ann.config.load_config(json.dumps({'holddown': 5.0, 'vips': {vip: [key]}}))
    host = Host(conf)
    host.records_ = {} if quorum is None else {
        key: {'state': quorum, 'at': since, 'writer': CHECKER, 'seq': [1, 2]}}
    host.drained_, host.running = drained, keepalived
    reconciler = ann.reconciler.Reconciler(host, clock=lambda: now)
    decisions = reconciler.step()
    status = json.loads(json.dumps(reconciler.status(decisions, drained, keepalived, now)))
    if not service_running:
        # the service ended: its ExecStopPost (withdraw-all) removed every VIP
        status = {'error': 'ecmp-lvs-announce.service is not running'}
        host.addresses.clear()
    status.update(present=sorted(host.present(conf)), drain_file='/var/lib/ecmp-lvs/drained', drained=drained)
    return json.dumps(status, indent=1, sort_keys=True)


def director(host, address, announce, ipvs='keepalived-restart-Ln-nosort.txt', daemons='daemon-both.txt', **over):
    raw = {'host': host, 'address': address, 'reachable': True, 'announce': announce,
           'ipvs': fixture('ipvsadm', ipvs) if ipvs else None,
           'daemons': fixture('ipvsadm', daemons) if daemons else None, 'conn_sync': True}
    raw.update(over)
    return raw


def router(route='router-route-vip-two.json', ospf='router-ospf-neighbor-full.json', bfd='router-bfd-peers-up.json',
           **over):
    routes = iproute.find_routes({4: json.loads(fixture('frr', route))}, [VIP], [])
    raw = {'host': 'router1', 'reachable': True, 'routes': routes, 'protocol': 'ospf', 'bfd': True,
           'ospf': fixture('frr', ospf), 'bfd_peers': fixture('frr', bfd), 'peers': [D1, D2]}
    raw.update(over)
    return raw


def healthy_fleet():
    return [director('director1', D1, announce_status()), director('director2', D2, announce_status())]


# --- the announce states, from the announce program's own status -----------------------------------------------

@pytest.mark.parametrize('kwargs,state,announced', [
    ({}, 'healthy', True),
    ({'drained': True}, 'drained', False),
    ({'quorum': 'down'}, 'quorum_lost', False),
    ({'keepalived': False}, 'keepalived_down', False),
    ({'since': 998.0}, 'holddown', False),          # quorum up 2 s ago, hold-down 5 s
    ({'quorum': None}, 'withdrawn', False),         # no report yet: never announced
    ({'service_running': False}, 'announce_down', False),
])
def test_vip_state_from_the_announce_status(kwargs, state, announced):
    status = lvs_status.parse_announce(announce_status(**kwargs))
    got = lvs_status.vip_state(status, VIP)
    assert got[:2] == (announced, state), got
    assert got[2]


def test_vip_state_unknown_without_status():
    assert lvs_status.vip_state(None, VIP) == (None, 'unknown', 'ecmp-lvs-announce status not read')
    assert lvs_status.parse_announce('') is None and lvs_status.parse_announce('Traceback ...') is None


# --- the fleet report ------------------------------------------------------------------------------------------

def test_healthy_fleet_is_ok():
    report = lvs_status.aggregate(healthy_fleet(), [router()], SERVICES)
    assert report['verdict'] == 'ok', report['vips'][VIP]['problems'] + report['problems']
    vip = report['vips'][VIP]
    assert vip['announced_by'] == ['director1', 'director2'] and vip['routed_by'] == ['router1']
    assert vip['routers']['router1']['directors'] == ['director1', 'director2']
    assert vip['directors']['director1']['state'] == 'healthy'
    assert vip['directors']['director1']['conn_sync'] == 'ok'
    assert vip['directors']['director2']['real_servers'][HTTP] == dict(
        ('10.99.0.2%d:80' % i, True) for i in range(4))
    svc = vip['services'][HTTP]
    assert svc['tables_agree'] and svc['orders_agree'] and not svc['drift_on']
    assert svc['expected_order'] == ['10.99.0.23:80', '10.99.0.22:80', '10.99.0.21:80', '10.99.0.20:80']
    assert report['summary'].startswith('OK: 1 VIP(s): 1 ok, 0 degraded, 0 down')
    json.dumps(report)  # the JSON of -e lvs_status_json


VIP6 = '2001:db8:100::10'


def test_an_ipv6_route_names_the_directors_by_their_link_local_addresses():
    """The router's IPv6 route has the directors' link-local addresses as nexthops (real capture of the lab's router:
    frr/router-route-vip6-two.json); `ip -j address show` of each director (iproute/ip-j-address-show-director-dual.json
    is director1's, director2's differs in the host part) names them. Without it the nexthops name no director: the
    report says the announcing directors are not routed to and an unknown nexthop is (what it said before)."""
    services = lvs_net.lvs_services([{'name': 'web6', 'vip': VIP6, 'port': 80,
                                      'real_servers': [{'address': '2001:db8:99::21'}]}])
    addresses1 = fixture('iproute', 'ip-j-address-show-director-dual.json')
    addresses2 = addresses1.replace('ec:ff:fe02:', 'ec:ff:fe03:').replace('2001:db8:99::11', '2001:db8:99::12')
    routes = iproute.find_routes({6: json.loads(fixture('frr', 'router-route-vip6-two.json'))}, [VIP6], [])
    router6 = router(routes=routes)
    status = announce_status(vip=VIP6, key='tcp:%s:80' % VIP6)

    def directors(named=True):
        return [director('director1', D1, status, ipvs=None, daemons=None, ip_addresses=addresses1 if named else None),
                director('director2', D2, status, ipvs=None, daemons=None, ip_addresses=addresses2 if named else None)]
    report = lvs_status.aggregate(directors(), [router6], services)['vips'][VIP6]
    assert report['routers']['router1']['nexthops'] == ['fe80::ec:ff:fe02:101', 'fe80::ec:ff:fe03:101']
    assert report['routers']['router1']['directors'] == ['director1', 'director2']
    assert not [p for p in report['problems'] if 'nexthop' in p], report['problems']
    unnamed = lvs_status.aggregate(directors(named=False), [router6], services)['vips'][VIP6]
    assert 'router1: no nexthop via announcing director1, director2' in unnamed['problems']


def test_interface_addresses_of_a_director():
    """Every address but lo's (real `ip -j address show` of a lab director: management, fabric IPv4, IPv6, link-local)."""
    assert iproute.interface_addresses(fixture('iproute', 'ip-j-address-show-director-dual.json')) == [
        '10.99.255.11', 'fe80::ec:ff:fe02:1', '10.99.0.11', '2001:db8:99::11', 'fe80::ec:ff:fe02:101']
    assert iproute.interface_addresses('') == []
    with pytest.raises(iproute.IprouteError):
        iproute.interface_addresses('{"not": "a list"}')


def test_drained_director_is_a_note_not_a_problem():
    directors = healthy_fleet()
    directors[1]['announce'] = announce_status(drained=True)
    report = lvs_status.aggregate(directors, [router(route='router-route-vip-one.json')], SERVICES)
    vip = report['vips'][VIP]
    assert vip['directors']['director2']['state'] == 'drained'
    assert vip['notes'] == ['director2 drained'] and report['verdict'] == 'ok', vip['problems']


def test_quorum_lost_on_one_director_is_degraded():
    directors = healthy_fleet()
    directors[1]['announce'] = announce_status(quorum='down')
    report = lvs_status.aggregate(directors, [router(route='router-route-vip-one.json')], SERVICES)
    assert report['verdict'] == 'degraded'
    assert report['vips'][VIP]['problems'] == [
        'director2 not announcing (quorum_lost: tcp:10.99.100.10:80: quorum down)']


def test_router_still_routing_to_a_withdrawn_director_is_degraded():
    directors = healthy_fleet()
    directors[1]['announce'] = announce_status(keepalived=False)
    report = lvs_status.aggregate(directors, [router()], SERVICES)
    problems = report['vips'][VIP]['problems']
    assert 'router1: nexthop via director2, which does not announce' in problems
    assert any('keepalived_down' in p for p in problems)


def test_halted_director_unreachable_and_sessions_down():
    directors = healthy_fleet()
    directors[1] = {'host': 'director2', 'address': D2, 'reachable': False}
    report = lvs_status.aggregate(directors, [router(route='router-route-vip-one.json',
                                                     ospf='router-ospf-neighbor-one-gone.json',
                                                     bfd='router-bfd-peers-one-down.json')], SERVICES)
    vip = report['vips'][VIP]
    assert vip['verdict'] == 'degraded' and vip['directors']['director2']['state'] == 'unknown'
    assert 'director2 unreachable' in vip['problems']
    assert report['problems'] == ['router1: BFD session with director2 absent',
                                  'router1: OSPF session with director2 absent']


def test_no_director_announcing_is_down():
    directors = [director('director1', D1, announce_status(quorum='down')),
                 director('director2', D2, announce_status(drained=True))]
    report = lvs_status.aggregate(directors, [router(route='router-route-vip-none.json')], SERVICES)
    assert report['verdict'] == 'down'
    assert report['vips'][VIP]['problems'][0] == 'announced by no director'
    assert report['vips'][VIP]['routers']['router1']['nexthops'] == []


def test_announced_but_routed_by_no_router_is_down():
    report = lvs_status.aggregate(healthy_fleet(), [router(route='router-route-vip-none.json')], SERVICES)
    assert report['verdict'] == 'down' and report['vips'][VIP]['problems'][0] == 'routed by no router'


def test_order_drift_and_disagreement_after_a_keepalived_reload():
    directors = healthy_fleet()
    directors[1]['ipvs'] = fixture('ipvsadm', 'keepalived-reload-Ln-nosort.txt')
    report = lvs_status.aggregate(directors, [router()], SERVICES)
    svc = report['vips'][VIP]['services'][HTTP]
    assert svc['tables_agree'] and not svc['orders_agree'] and svc['drift_on'] == ['director2']
    assert svc['orders']['director2'] == ['10.99.0.20:80', '10.99.0.23:80', '10.99.0.22:80', '10.99.0.21:80']
    assert report['verdict'] == 'degraded'


def test_tables_differ_when_a_director_lacks_a_real_server():
    directors = healthy_fleet()
    directors[1]['ipvs'] = fixture('ipvsadm', 'keepalived-start-Ln-nosort.txt')   # .23 .22 .21, no .20
    report = lvs_status.aggregate(directors, [router()], SERVICES)
    assert not report['vips'][VIP]['services'][HTTP]['tables_agree']


def test_real_server_down_and_sync_daemons_missing():
    vip = '10.99.200.1'
    services = lvs_net.lvs_services([{'name': 'full', 'vip': vip, 'port': 80, 'real_servers': [
        {'address': a} for a in ('10.99.0.1', '10.99.0.21', '10.99.0.22')]}])
    raw = director('director1', D1, announce_status(), ipvs='full-Ln-nosort.txt', daemons='daemon-none.txt',
                   vips=[vip])
    report = lvs_status.aggregate([raw], [], services)
    rep = report['vips'][vip]
    assert rep['directors']['director1']['real_servers']['tcp:10.99.200.1:80'] == {
        '10.99.0.1:80': True, '10.99.0.21:80': True, '10.99.0.22:80': False}
    assert 'director1: tcp:10.99.200.1:80 real server(s) down: 10.99.0.22:80' in rep['problems']
    assert report['problems'] == ['director1: IPVS connection sync missing backup, master (ipvsadm -L --daemon: none)']


def test_table_lines():
    directors = healthy_fleet()
    directors[1]['announce'] = announce_status(quorum='down')
    report = lvs_status.aggregate(directors, [router(route='router-route-vip-one.json')], SERVICES)
    lines = lvs_status.table(report)
    text = '\n'.join(lines)
    assert lines[0] == 'VIP 10.99.100.10: DEGRADED'
    assert re.search(r'router1\s+director1$', text, re.M)
    assert re.search(r'director2\s+no\s+quorum_lost\s+tcp:10.99.100.10:80: quorum down\s+ok', text)
    assert re.search(r'tcp:10.99.100.10:80\s+mh\s+agree\s+agree \(expected 10.99.0.23:80', text)
    assert lines[-1].startswith('DEGRADED: 1 VIP(s): 0 ok, 1 degraded, 0 down; 2 director(s), 1 router(s)')


def test_bad_input():
    with pytest.raises(lvs_status.StatusError):
        lvs_status.aggregate([], [], None)
    garbage = director('director1', D1, 'not json', ipvs=None)
    garbage['ipvs'] = 'something else\n'
    report = lvs_status.aggregate([garbage], [], SERVICES)
    assert report['verdict'] == 'down'   # nothing known to announce it
    assert any('no JSON' in p for p in report['problems'])
    assert any('ipvsadm -Ln --nosort' in p for p in report['problems'])


def test_several_clusters_combine_into_one_report_with_the_worst_verdict():
    """status.yml with two load-balancer clusters (issue 14): one report each, combined - the worst verdict, every
    problem prefixed with its cluster, one table block per cluster; one cluster: its report unchanged."""
    healthy = lvs_status.aggregate(healthy_fleet(), [router()], SERVICES)
    down = lvs_status.aggregate(healthy_fleet(), [router(route='router-route-vip-none.json')], SERVICES)
    assert lvs_status.combine([('a_lb', healthy)]) is healthy
    report = lvs_status.combine([('a_lb', healthy), ('b_lb', down)])
    assert report['verdict'] == down['verdict'] != 'ok'
    verdict = down['verdict'].upper()
    assert report['summary'] == '%s: 2 cluster(s): a_lb OK; b_lb %s' % (verdict, verdict)
    assert report['problems'] and all(p.startswith('cluster b_lb: VIP %s: ' % VIP) or p.startswith('cluster b_lb: ')
                                      for p in report['problems']), report['problems']
    assert report['clusters'] == {'a_lb': healthy, 'b_lb': down}
    lines = lvs_status.table(report)
    assert lines[0] == '=== cluster a_lb' and '=== cluster b_lb' in lines and lines[-1] == report['summary']
    json.dumps(report)
