# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The data path of the service shapes of issue 15 on real IPVS (molecule scenario "shapes", inventories/lab-shapes):
a UDP DNS service with one-packet scheduling and DNS_CHECK, persistence with a netmask, a virtual_server_group, a
director-local sorry server, SCTP and a firewall-mark service (80 + 443 with persistence; inventories/lab-shapes marks
with director_fwmark_backend iptables-legacy: the lab's UML kernels have no nftables for IPv4).

Each test runs where the inventory has a service of its shape and skips elsewhere, naming the shape it looks for
(the report header lists the lab's services and their shapes). What the real servers serve is set up by
tests/lab/shapes_prepare.yml (the scenario's prepare): dnsmasq answering the TXT record whoami.lab.example with the
server's name, nginx on 80 and 443 (its page is the host's name), the health pages of the group and sorry services.
Every change a test makes (a daemon stopped, a health page removed, a policy route, client addresses) is undone in a
`finally`.
"""

import json
import re

import pytest

from conftest import (DNS_NAME, ask_command, ipvs_conns, normalised_services, retry, route_gateways, service_shapes,
                      service_targets)

REQUESTS = 40
ANNOUNCE = '/usr/local/sbin/ecmp-lvs-announce'


def _service(lab, want, what, why='the molecule scenario "shapes" has one'):
    """The first normalised service of the lab for which want(service) holds, else skip naming the shape."""
    for name in lab.groups['directors']:
        lab.require_ipvs(name)
    for service in normalised_services(lab):
        if want(service):
            return service
    pytest.skip('the inventory %s has no %s service (%s)' % (lab.inventory, what, why))
    return None


def _ask(lab, service, vip, port, count=REQUESTS):
    """[the answering host of each of `count` requests] from the client ('FAILED' for a request not answered)."""
    client = lab.host(lab.groups['clients'][0])
    out = client.check_output(ask_command(service, vip, port, count))
    return [line.strip() for line in out.splitlines() if line.strip()]


def _weights(host, endpoint):
    """{real server 'address:port': weight} of the IPVS service `endpoint` on `host` (ipvsadm -Ln)."""
    flag = {'fwmark': '-f', 'tcp': '-t', 'udp': '-u', 'sctp': '--sctp-service'}[endpoint[0]]
    out = host.check_output('ipvsadm -L -n %s %s' % (flag, endpoint[1]))
    result = {}
    for line in out.splitlines():
        words = line.split()
        if len(words) >= 4 and words[0] == '->' and words[1][0].isdigit():
            result[words[1]] = int(words[3])
    return result


def _assert_weights(lab, endpoint, want):
    """A check for retry(): every director's IPVS has exactly the weights `want` on `endpoint`."""
    def check():
        for name in lab.groups['directors']:
            have = _weights(lab.host(name), endpoint)
            assert have == want, '%s: %s %s weights %s, want %s' % (name, endpoint[0], endpoint[1], have, want)
    return check


def _rs_weights(service, down=(), endpoint=None):
    """{address:port: weight} of `service` with the real servers of `down` at weight 0 (inhibit_on_failure)."""
    fwmark = endpoint is not None and endpoint[0] == 'fwmark'
    return {'%s:%s' % (rs['address'], 0 if fwmark else rs['port']): 0 if rs.get('host') in down else rs['weight']
            for rs in service['real_servers']}


def _answered_by_every_realserver(lab, service, what):
    """`service` (one VIP and port) asked REQUESTS times from the client: every request answered, by every real
    server, and the IPVS counters of every director grew (ECMP spread the requests). Returns (vip, port)."""
    (vip, port, endpoint), = service_targets(service)
    want = {rs['host'] for rs in service['real_servers']}
    before = {d: ipvs_conns(lab.host(d), endpoint) for d in lab.groups['directors']}
    answers = _ask(lab, service, vip, port)
    assert 'FAILED' not in answers, answers
    assert set(answers) == want, '%s answered by %s, want every real server %s' % (
        what, sorted(set(answers)), sorted(want))

    def moved():
        after = {d: ipvs_conns(lab.host(d), endpoint) for d in lab.groups['directors']}
        delta = {d: after[d] - before[d] for d in after}
        assert sum(delta.values()) >= REQUESTS and all(v > 0 for v in delta.values()), delta
        return delta
    retry(moved, timeout=15)
    return vip, port


def _announce_status(lab, name):
    return json.loads(lab.host(name).check_output(ANNOUNCE + ' status'))


def _client_source(lab, vip):
    client = lab.host(lab.groups['clients'][0])
    return re.search(r'\bsrc (\S+)', client.check_output('ip route get %s' % vip)).group(1)


# ---------------------------------------------------------------------------------------------------------------------
# 1. UDP DNS behind a VIP: ops, DNS_CHECK, a real server's DNS down

def _is_dns(service):
    return service['protocol'] == 'udp' and any(
        hc['type'] == 'dns' for hc in service.get('health_checks') or [service['health_check']])


def test_dns_service_answered_by_every_realserver(lab):
    """dig through the VIP from the client: every query answered, by every real server (its own name in the TXT
    record), through both directors; with `ops` (one-packet scheduling) every query is scheduled on its own and
    leaves no UDP connection entry in any director's IPVS table."""
    service = _service(lab, _is_dns, 'UDP service with a dns health check')
    vip, port = _answered_by_every_realserver(lab, service, 'DNS')
    if service.get('ops'):
        for name in lab.groups['directors']:
            entries = [line for line in lab.host(name).check_output('ipvsadm -L -n -c').splitlines()
                       if line.split()[:1] == ['UDP'] and '%s:%s' % (vip, port) in line.split()]
            assert not entries, '%s: ops service %s:%s left connection entries %s' % (name, vip, port, entries)


def test_dns_realserver_down_is_taken_out_by_dns_check(lab):
    """dnsmasq stopped on one real server: DNS_CHECK on every director takes it out (weight 0), the VIP stays
    announced (the other real server keeps quorum) and every query through the VIP is still answered - by the other
    real server only. dnsmasq back: the checker puts it back."""
    service = _service(lab, _is_dns, 'UDP service with a dns health check')
    (vip, port, endpoint), = service_targets(service)
    hosts = [rs['host'] for rs in service['real_servers']]
    down, others = hosts[0], set(hosts[1:])
    retry(_assert_weights(lab, endpoint, _rs_weights(service)), timeout=30)
    try:
        lab.host(down).run_expect([0], 'systemctl stop dnsmasq.service')
        retry(_assert_weights(lab, endpoint, _rs_weights(service, down=[down])), timeout=30)
        answers = _ask(lab, service, vip, port)
        assert 'FAILED' not in answers, answers
        assert set(answers) == others, 'with %s down, DNS answered by %s, want %s' % (
            down, sorted(set(answers)), sorted(others))
        for name in lab.groups['directors']:
            assert vip in _announce_status(lab, name)['present'], '%s withdrew %s with one DNS server up' % (name, vip)
    finally:
        lab.host(down).run('systemctl start dnsmasq.service')
    retry(_assert_weights(lab, endpoint, _rs_weights(service)), timeout=30)
    answers = _ask(lab, service, vip, port)
    assert 'FAILED' not in answers and set(answers) == set(hosts), answers


# ---------------------------------------------------------------------------------------------------------------------
# 2. Firewall-mark service (80 + 443 of one VIP) and persistence across ports and the client's network

def _is_fwmark(service):
    return service.get('fwmark') is not None and service['protocol'] == 'tcp' and len(service['ports']) > 1


def _is_persistent(service):
    return service['protocol'] == 'tcp' and bool(service['persistence_timeout'])


def _pin(lab, source, vip, director):
    """Route the client's (`source`: an address or a network) flows to `vip` through `director` only (a policy rule
    on the router; the routing protocols are untouched). Returns the undo command."""
    router = lab.host(lab.groups['routers'][0])
    rule = 'pref 91 from %s to %s lookup 4243' % (source, vip)
    router.run_expect([0], 'ip route replace %s/32 via %s table 4243 && (ip rule del %s 2>/dev/null; ip rule add %s)'
                      % (vip, lab.address(director), rule, rule))
    return 'ip rule del %s; ip route flush table 4243' % rule


def _marks(host, backend):
    """The firewall marks a director's packet filter holds: {(vip, port): mark} of the role's own table (nftables) or
    chain (iptables-legacy), read from the kernel."""
    marks = {}
    if backend == 'iptables-legacy':
        # -A ECMP_LVS_FWMARK -d 10.99.100.70/32 -p tcp -m tcp --dport 80 -j MARK --set-xmark 0x7/0xffffffff
        rule = re.compile(r'^-A ECMP_LVS_FWMARK -d (\S+)/32 -p \w+ (?:-m \w+ )?--dport (\d+) '
                          r'-j MARK --set-xmark (0x[0-9a-f]+)/0xffffffff$')
        # the chain is jumped to from PREROUTING (first), or it marks nothing
        assert '-A PREROUTING -j ECMP_LVS_FWMARK' in host.check_output('iptables-legacy -t mangle -S PREROUTING')
        for line in host.check_output('iptables-legacy -t mangle -S ECMP_LVS_FWMARK').splitlines():
            match = rule.match(line.strip())
            if match:
                marks[(match.group(1), int(match.group(2)))] = int(match.group(3), 16)
        return marks
    table = host.check_output('nft list table ip ecmp_lvs_fwmark')
    for vips, ports, mark in re.findall(r'ip daddr \{ ([^}]+) \} \w+ dport \{ ([^}]+) \} meta mark set (0x[0-9a-f]+)',
                                        table):
        for vip in vips.split(', '):
            for port in ports.split(', '):
                marks[(vip.strip(), int(port))] = int(mark, 16)
    return marks


def test_fwmark_service_marks_both_ports_with_persistence(lab):
    """The directors mark the VIP's ports with their director_fwmark_backend (nftables: their table ecmp_lvs_fwmark;
    iptables-legacy: their mangle chain ECMP_LVS_FWMARK) and IPVS schedules both ports as one service (FWM); with
    persistence the same client gets the same real server on every port (_assert_persistence)."""
    service = _service(lab, lambda s: _is_fwmark(s) and _is_persistent(s),
                       'persistent firewall-mark (several ports)')
    vip, mark, ports = service['vip'], int(service['fwmark']), service['ports']
    for name in lab.groups['directors']:
        backend = lab.hostvars[name].get('director_fwmark_backend', 'nftables')
        marks = _marks(lab.host(name), backend)
        want = {(vip, int(port)): mark for port in ports}
        assert {key: value for key, value in marks.items() if key[0] == vip} == want, (
            '%s (%s): marks %s, want %s' % (name, backend, marks, want))
        # IPVS has the service under its mark (FWM), not per port
        assert re.search(r'^FWM\s+%d\b' % mark, lab.host(name).check_output('ipvsadm -L -n'), re.M), name
    _assert_persistence(lab, service)


def test_persistence_sticks_the_client_network_to_one_real_server(lab):
    """A persistent service (persistence_timeout; with persistence_granularity a netmask): through each director in
    turn, every request of the client (on every port of the service) is answered by one real server, requests from
    other addresses of the client's network get that same real server, and the director's persistence template
    holds the client's network address (the netmask applied)."""
    service = _service(lab, lambda s: _is_persistent(s) and not _is_fwmark(s), 'persistent (persistence_timeout)')
    _assert_persistence(lab, service)


def _assert_persistence(lab, service):
    """Through each director in turn (a policy route on the router), requests to every port of `service` from the
    client and from other addresses of its network (when the granularity is a /24) are all answered by one real
    server, and the director holds a persistence template for the client's (masked) address."""
    vip, ports = service['vip'], service.get('ports') or [service['port']]
    endpoint = service_targets(service)[0][2]
    want = {rs['host'] for rs in service['real_servers']}
    client = lab.host(lab.groups['clients'][0])
    router = lab.host(lab.groups['routers'][0])
    source = _client_source(lab, vip)
    network = source.rsplit('.', 1)[0]
    granularity = service.get('persistence_granularity')
    # other addresses of the client's network (same /24: the persistence netmask of the lab's service)
    extra = ['%s.%d' % (network, 200 + i) for i in range(3)] if granularity == '255.255.255.0' else []
    dev = client.check_output("ip -o -4 addr show to %s | awk '{print $2}'" % source).strip()
    for address in extra:
        client.run_expect([0], 'ip addr replace %s/24 dev %s' % (address, dev))
    seen = {}
    try:
        for director in lab.groups['directors']:
            undo = _pin(lab, '%s.0/24' % network, vip, director)
            try:
                before = ipvs_conns(lab.host(director), endpoint)
                script = ('for i in $(seq %d); do for p in %s; do curl -s -m 2 --retry 2 --retry-delay 0 %s'
                          'http://%s:$p/ || echo FAILED; done; done')
                out = client.check_output(script % (REQUESTS // 2, ' '.join(str(p) for p in ports), '', vip))
                answers = [line.strip() for line in out.splitlines() if line.strip()]
                assert len(answers) == (REQUESTS // 2) * len(ports) and 'FAILED' not in answers, answers
                assert len(set(answers)) == 1 and set(answers) <= want, (
                    'through %s, ports %s of %s answered by %s: persistence wants one real server'
                    % (director, ports, vip, sorted(set(answers))))
                for address in extra:
                    out = client.check_output(script % (2, ' '.join(str(p) for p in ports),
                                                        '--interface %s ' % address, vip))
                    more = [line.strip() for line in out.splitlines() if line.strip()]
                    assert set(more) == set(answers), (
                        'through %s, %s (same /24) answered by %s, %s by %s: the persistence netmask %s wants one'
                        % (director, address, sorted(set(more)), source, answers[0], granularity))
                # every request went through this director's IPVS, on the one service (every port of a fwmark one)
                retry(lambda d=director, b=before, n=len(answers): _assert_at_least(
                    ipvs_conns(lab.host(d), endpoint) - b, n), timeout=15)
                # a template: source port 0 (the client's address, masked by the netmask), virtual port 0 for a
                # firewall-mark service
                templates = [words for words in (line.split() for line in
                                                 lab.host(director).check_output('ipvsadm -L -n -c').splitlines())
                             if len(words) >= 5 and words[3].endswith(':0')]
                client_key = ('%s.0' % network) if granularity == '255.255.255.0' else source
                assert any(words[3].rsplit(':', 1)[0] == client_key for words in templates), (
                    '%s: no persistence template for %s in %s' % (director, client_key, templates))
                seen[director] = answers[0]
            finally:
                router.run(undo)
    finally:
        for address in extra:
            client.run('ip addr del %s/24 dev %s' % (address, dev))
    assert len(seen) == len(lab.groups['directors']), seen


def _assert_at_least(value, want):
    assert value >= want, value


# ---------------------------------------------------------------------------------------------------------------------
# 3. virtual_server_group: several VIPs, one real-server set, one checker set

def _is_group(service):
    return service.get('fwmark') is None and len(service.get('vips') or ()) > 1


def test_virtual_server_group_shares_real_servers_and_checks(lab):
    """Every VIP of the group is an IPVS service with the same real servers, answered by every real server; the
    group is one keepalived virtual server (virtual_server_group): one real server's check failing takes it out of
    every VIP at once, and every VIP keeps answering (the other real server)."""
    service = _service(lab, _is_group, 'virtual_server_group (vips)')
    targets = service_targets(service)
    hosts = [rs['host'] for rs in service['real_servers']]
    for name in lab.groups['directors']:
        conf = lab.host(name).check_output('cat /etc/keepalived/keepalived.conf')
        assert 'virtual_server_group %s {' % service['name'] in conf and \
            'virtual_server group %s {' % service['name'] in conf, '%s:\n%s' % (name, conf)
        status = _announce_status(lab, name)
        for vip, dummy, dummy in targets:
            assert vip in status['present'], '%s does not announce %s: %s' % (name, vip, status)
    for vip, port, endpoint in targets:
        retry(_assert_weights(lab, endpoint, _rs_weights(service)), timeout=30)
        answers = _ask(lab, service, vip, port)
        assert 'FAILED' not in answers and set(answers) == set(hosts), (vip, answers)
    check = (service.get('health_checks') or [service['health_check']])[0]
    assert check['type'] == 'http_get' and check['path'] != '/', (
        'the group service needs an http_get check on a page of its own to fail it alone: %s' % check)
    down = hosts[0]
    page = '/var/www/html' + check['path']
    try:
        lab.host(down).run_expect([0], 'mv %s %s.off' % (page, page))
        for vip, port, endpoint in targets:
            retry(_assert_weights(lab, endpoint, _rs_weights(service, down=[down])), timeout=30)
        for vip, port, endpoint in targets:
            answers = _ask(lab, service, vip, port, count=20)
            assert 'FAILED' not in answers and set(answers) == set(hosts[1:]), (vip, answers)
    finally:
        lab.host(down).run('mv %s.off %s' % (page, page))
    for vip, port, endpoint in targets:
        retry(_assert_weights(lab, endpoint, _rs_weights(service)), timeout=30)


# ---------------------------------------------------------------------------------------------------------------------
# 4. Director-local sorry server

def _is_local_sorry(service):
    return bool(service.get('sorry_server') and service['sorry_server'].get('local')) and service['protocol'] == 'tcp'


def test_local_sorry_server_answers_with_every_real_server_down(lab):
    """Every real server of the service fails its check: keepalived puts the director itself in (127.0.0.1: IPVS
    delivers to a local address locally), the director's own nginx answers through the VIP, the VIP stays announced on every director
    (a service with a sorry server never gates its VIP) and the router keeps both directors as nexthops. The real
    servers back: they answer again and the sorry server is gone."""
    service = _service(lab, _is_local_sorry, 'director-local sorry server (sorry_server local)')
    (vip, port, endpoint), = service_targets(service)
    hosts = [rs['host'] for rs in service['real_servers']]
    directors = lab.groups['directors']
    router = lab.host(lab.groups['routers'][0])
    sorry = '%s:%s' % (service['sorry_server']['address'], service['sorry_server']['port'])
    check = (service.get('health_checks') or [service['health_check']])[0]
    assert check['type'] == 'http_get' and check['path'] != '/', (
        'the sorry service needs an http_get check on a page of its own to fail it alone: %s' % check)
    page = '/var/www/html' + check['path']
    answers = _ask(lab, service, vip, port)
    assert 'FAILED' not in answers and set(answers) == set(hosts), answers
    try:
        for name in hosts:
            lab.host(name).run_expect([0], 'mv %s %s.off' % (page, page))

        def sorry_in():
            # keepalived adds the sorry server (IPVS's DR transmitter delivers to a local address locally: ipvsadm
            # shows Route) and keeps the failed real servers at weight 0 (inhibit_on_failure) or removes them
            for name in directors:
                have = _weights(lab.host(name), endpoint)
                assert have.get(sorry, 0) > 0 and not any(w for a, w in have.items() if a != sorry), (
                    '%s: %s real servers %s, want only the sorry server %s with a weight' % (name, vip, have, sorry))
        retry(sorry_in, timeout=30)
        answers = _ask(lab, service, vip, port)
        assert 'FAILED' not in answers, answers
        assert set(answers) <= set(directors), 'below quorum answered by %s, want the directors %s' % (
            sorted(set(answers)), directors)
        assert set(answers) == set(directors), 'only %s answered (ECMP should reach every director)' % sorted(
            set(answers))
        for name in directors:
            status = _announce_status(lab, name)
            assert vip in status['present'], '%s withdrew %s: the sorry server still serves it: %s' % (
                name, vip, status)
        gateways = route_gateways(lab, router, vip)
        assert gateways == sorted(lab.address(d) for d in directors), gateways
    finally:
        for name in hosts:
            lab.host(name).run('mv %s.off %s' % (page, page))

    def real_servers_back():
        for name in directors:
            have = _weights(lab.host(name), endpoint)
            assert sorry not in have and len(have) == len(hosts) and all(have.values()), '%s: %s' % (name, have)
    retry(real_servers_back, timeout=30)
    answers = _ask(lab, service, vip, port)
    assert 'FAILED' not in answers and set(answers) == set(hosts), answers


# ---------------------------------------------------------------------------------------------------------------------
# 5. SCTP

def test_sctp_service_answered_by_every_realserver(lab):
    """An SCTP service (keepalived protocol SCTP): associations from the client through the VIP (socat) are all
    answered, by every real server (a socat listener sending its host's name), through both directors' IPVS."""
    service = _service(lab, lambda s: s['protocol'] == 'sctp', 'SCTP')
    _answered_by_every_realserver(lab, service, 'SCTP')


def test_service_shapes_selected(lab):
    """Which shapes this lab proves (the tests above skip for the others): the report lists them; in the scenario
    "shapes" every shape of issue 15 must be there, so none of the tests above skipped there."""
    shapes = {s['name']: sorted(service_shapes(s)) for s in normalised_services(lab)}
    print('service shapes of %s: %s' % (lab.inventory, shapes))
    if lab.name != 'molecule-shapes' and not lab.inventory.rstrip('/').endswith('lab-shapes'):
        pytest.skip('not the shapes lab (%s): shapes present %s' % (lab.inventory, shapes))
    present = set().union(*(set(v) for v in shapes.values()))
    missing = {'udp', 'ops', 'sctp', 'persistence', 'granularity', 'group', 'sorry_server', 'fwmark'} - present
    assert not missing, 'inventories/lab-shapes lost the shapes %s' % sorted(missing)
    assert DNS_NAME
