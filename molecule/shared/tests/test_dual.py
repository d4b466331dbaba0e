# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IPv6 beside IPv4 on real IPVS (issue 16): molecule scenarios "default" (inventories/lab, OSPFv3 with
authentication) and "dual" (make molecule-dual, inventories/lab-dual, BGP).

The router routes each IPv6 VIP with one nexthop per director (the directors' link-local addresses); nobody on the
fabric answers a neighbour solicitation for a VIP; a client reaches every real server through every director over
IPv6 and the answers come back directly (the real servers' IPv6 default route is the router); IPv6 flows
established through a director survive that director's halt (IPVS connection sync and mh move them to the other
one). Marked `dual`: the scenarios of a dual-stack lab with IPVS select them.
"""

import json
import os
import time

import pytest

from conftest import director_gateways, kernel_routes, normalised_services, retry, route_gateways
from test_lab import _lab_tool

pytestmark = pytest.mark.dual

REQUESTS = 40
# a neighbour solicitation and its answers (python3 standard library, run on the lab host)
NS_PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'lab', 'ecmplab_lib', 'ns_probe.py')
SIZE = 30000000   # bytes of the download: 15 s at 2 MB/s, the halt happens after 4 s


def _ipv6_vips(lab):
    vips = [vip for service in normalised_services(lab) if service['family'] == 6 for vip in service['vips']]
    assert vips, 'the inventory %s has no IPv6 service' % lab.inventory
    return vips


def _client_address6(client):
    return [a['local'] for link in json.loads(client.check_output('ip -j -6 address show scope global'))
            for a in link.get('addr_info', []) if a.get('local')][0]


def _ask_who_has(host, interface, target):
    """The answers (from, lladdr) to one neighbour solicitation for target sent by host on interface."""
    with open(NS_PROBE) as handle:
        script = handle.read()
    out = host.check_output("python3 - %s %s 1 <<'NS_PROBE'\n%s\nNS_PROBE" % (interface, target, script))
    return json.loads(out)['answers']


def test_nobody_on_the_fabric_answers_for_an_ipv6_vip(lab):
    """The real servers (and the directors) hold the IPv6 VIPs on lo; asked on the fabric (a neighbour solicitation
    from the router), none answers - Linux answers neighbour discovery only for addresses of the interface asked on,
    so no sysctl is needed (the IPv4 twin: arp_ignore / arp_announce). The control: each real server answers for its
    own fabric address, to the same probe."""
    router = lab.host(lab.groups['routers'][0])
    realservers = [name for name in lab.groups['realservers'] if lab.hostvars[name].get('lvs_address6')]
    assert realservers, 'no real server with lvs_address6 in %s' % lab.inventory
    interface = json.loads(router.check_output(
        'ip -j -6 route get %s' % lab.hostvars[realservers[0]]['lvs_address6']))[0]['dev']
    for name in realservers:
        answers = _ask_who_has(router, interface, lab.hostvars[name]['lvs_address6'])
        assert [a['from'] for a in answers] == [lab.hostvars[name]['lvs_address6']], (name, answers)
    for vip in _ipv6_vips(lab):
        assert _ask_who_has(router, interface, vip) == [], vip


def test_router_routes_each_ipv6_vip_via_every_director(lab):
    router = lab.host(lab.groups['routers'][0])
    for vip in _ipv6_vips(lab):
        routes = kernel_routes(router, vip)
        assert len(routes) == 1 and all(hop['gateway'].startswith('fe80:') for hop in routes[0].get('nexthops', [routes[0]])), routes
        assert director_gateways(lab, routes) == sorted(lab.address(d) for d in lab.groups['directors']), vip
        assert router.check_output('sysctl -n net.ipv6.fib_multipath_hash_policy').strip() == '1'


def test_ipv6_route_changes_in_place(lab):
    """A director withdrawing an IPv6 VIP and announcing it again changes the router's multipath route in place: the
    kernel never has no route to the VIP (zebra runs with --v6-rr-semantics; without it, zebra deletes an IPv6 route
    and adds the new one: `ip monitor` showed `Deleted` and the benchmark's route poller no route at all)."""
    router = lab.host(lab.groups['routers'][0])
    director = lab.host(lab.groups['directors'][-1])
    vip = _ipv6_vips(lab)[0]
    router.run_expect([0], 'rm -f /tmp/dual-mon6.log; (timeout 30 ip -ts -6 monitor route > /tmp/dual-mon6.log 2>&1 &)')
    try:
        director.run_expect([0], 'ecmp-lvs-announce drain')
        retry(lambda: _assert_routed_via(lab, router, vip, len(lab.groups['directors']) - 1), timeout=15)
    finally:
        director.run_expect([0], 'ecmp-lvs-announce undrain')
    retry(lambda: _assert_routed_via(lab, router, vip, len(lab.groups['directors'])), timeout=30)
    log = router.check_output('cat /tmp/dual-mon6.log')
    changes = [line for line in log.splitlines() if ' %s ' % vip in ' %s ' % line]
    assert len(changes) >= 2, log
    assert not [line for line in changes if 'Deleted' in line], log


def _assert_routed_via(lab, router, vip, count):
    assert len(route_gateways(lab, router, vip)) == count, route_gateways(lab, router, vip)


def test_ipv6_requests_reach_every_real_server_through_every_director(lab):
    """REQUESTS requests from distinct source ports: every one answered (the real server's page names it), by every
    real server, and the IPv6 IPVS service of every director counted some of them (ECMP spread the flows)."""
    client = lab.host(lab.groups['clients'][0])
    want = set(lab.groups['realservers'])
    for vip in _ipv6_vips(lab):
        def conns():
            result = {}
            for name in lab.groups['directors']:
                out = lab.host(name).check_output('ipvsadm -L -n --stats --exact -t [%s]:80' % vip)
                result[name] = int([line for line in out.splitlines() if line.startswith('TCP')][0].split()[2])
            return result
        before = conns()
        out = client.check_output('for p in $(seq 42001 %d); do curl -s -m 3 --local-port $p http://[%s]/ '
                                  '|| echo FAILED; done' % (42000 + REQUESTS, vip))
        answers = [line.strip() for line in out.splitlines() if line.strip()]
        assert len(answers) == REQUESTS and 'FAILED' not in answers, answers
        assert set(answers) == want, answers
        after = conns()
        assert all(after[name] > before[name] for name in after), (before, after)


def test_ipv6_connections_are_synced_to_every_director(lab):
    """IPVS connection sync carries IPv6 connections: a download from the client through the IPv6 VIP is in the
    connection table (ipvsadm -Lnc) of every director - the one the router sends it to and the others - with the
    same real server."""
    client = lab.host(lab.groups['clients'][0])
    vip, source, port = _ipv6_vips(lab)[0], _client_address6(client), 44001
    for name in lab.groups['realservers']:
        lab.host(name).run_expect([0], 'test -s /var/www/html/big || head -c %d /dev/zero > /var/www/html/big' % SIZE)
    client.run_expect([0], '(curl -s -m 30 --local-port %d --limit-rate 1M -o /dev/null http://[%s]/big </dev/null '
                           '>/dev/null 2>&1 &)' % (port, vip))
    try:
        def synced():
            found = {}
            for name in lab.groups['directors']:
                for line in lab.host(name).check_output('ipvsadm -Lnc').splitlines():
                    words = line.split()  # pro expire state source virtual destination
                    if len(words) >= 6 and words[3] == '[%s]:%d' % (source, port):
                        found[name] = (words[4], words[5])
            assert sorted(found) == sorted(lab.groups['directors']), found
            assert len(set(found.values())) == 1 and list(found.values())[0][0] == '[%s]:80' % vip, found
        retry(synced, timeout=20)
    finally:
        client.run('pkill -f "curl -s -m 30 --local-por[t] %d" || true' % port)


def test_established_ipv6_flows_survive_a_director_halt(lab):
    """Four downloads of SIZE bytes at 2 MB/s, two of them hashed by the router to the first director (`ip route
    get` with their ports: the kernel's own multipath choice); that director is halted after 4 s. Every download
    completes with every byte. The director is booted again and routed to again afterwards."""
    if lab.backend != 'uml':
        pytest.skip('halting a director needs the UML backend (its kernel stops dead, like a crash)')
    victim = lab.groups['directors'][0]
    router = lab.host(lab.groups['routers'][0])
    client = lab.host(lab.groups['clients'][0])
    vip = _ipv6_vips(lab)[0]
    source = _client_address6(client)
    iif = json.loads(router.check_output('ip -j -6 route get %s' % source))[0]['dev']
    via = {}
    for port in range(43001, 43101):
        hop = json.loads(router.check_output('ip -j -6 route get %s from %s iif %s ipproto tcp sport %d dport 80'
                                             % (vip, source, iif, port)))[0]
        via.setdefault(lab.director_addresses.get(hop.get('gateway')) == lab.address(victim), []).append(port)
    ports = via.get(True, [])[:2] + via.get(False, [])[:2]
    assert len(ports) == 4, via
    for name in lab.groups['realservers']:
        lab.host(name).run_expect([0], 'test -s /var/www/html/big || head -c %d /dev/zero > /var/www/html/big' % SIZE)
    client.run_expect([0], 'rm -f /tmp/dual-dl-*')
    try:
        client.run_expect([0], 'for p in %s; do (curl -s -m 90 --local-port $p --limit-rate 2M -o /dev/null '
                               '-w "%%{http_code} %%{size_download}" http://[%s]/big > /tmp/dual-dl-$p.part 2>&1; '
                               'mv /tmp/dual-dl-$p.part /tmp/dual-dl-$p) </dev/null >/dev/null 2>&1 & done'
                          % (' '.join(map(str, ports)), vip))
        time.sleep(4)
        _lab_tool('halt', victim)
        halted = time.monotonic()

        def done():
            for port in ports:
                assert client.file('/tmp/dual-dl-%d' % port).exists, 'download from port %d still running' % port
        retry(done, timeout=90, interval=2)
        results = dict((port, client.file('/tmp/dual-dl-%d' % port).content_string.strip()) for port in ports)
        assert results == dict((port, '200 %d' % SIZE) for port in ports), (results, 'ports via %s: %s' % (
            victim, ports[:2]), 'halted %.1f s before the end' % (time.monotonic() - halted))
    finally:
        _lab_tool('start', victim)
        lab.reconnect(victim)
    retry(lambda: _assert_routed_via_every_director(lab, router, vip), timeout=180, interval=2)


def _assert_routed_via_every_director(lab, router, vip):
    assert route_gateways(lab, router, vip) == sorted(lab.address(d) for d in lab.groups['directors'])
