# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared testinfra fixtures for the molecule scenarios (default = User-Mode Linux, podman).

Hosts are reached with testinfra's ssh backend through the ssh_config the lab tool writes
(.lab/<name>/ssh_config: ProxyCommand into the lab's network namespace). The lab is chosen by
ECMPLAB_NAME / ECMPLAB_STATE_DIR (set by the scenario); the inventory is ECMPLAB_INVENTORY (default
inventories/lab). Everything about the lab (inventory, groups, addresses, state, SSH) comes from the lab tool's
façade, lab/ecmplab_lib/facade.py
(importable from the project's virtualenv: `make venv`).
"""

import json
import os
import time

import pytest

try:
    from ecmplab_lib import facade
except ImportError as exc:  # a virtualenv made before the lab package was on its path
    raise ImportError('the lab package lab/ecmplab_lib is not importable (%s): run `make venv` (it puts lab/ on '
                      "the virtualenv's path) or set PYTHONPATH=lab" % exc) from exc

SETTINGS = facade.Settings()
ROOT = facade.ROOT
NAME = SETTINGS.name
STATE_DIR = SETTINGS.state_dir
INVENTORY = SETTINGS.inventory


class Lab(facade.LabView):
    """The lab under test: facade.LabView (groups, hostvars, address(), host(), backend, services, protocol, bfd)
    plus the tests' IPVS guards."""

    def __init__(self):
        super().__init__(NAME, INVENTORY, STATE_DIR)
        self.require_up()  # no running lab: the fixture fails here, as before
        self._director_addresses = None

    @property
    def director_addresses(self):
        """{address: the director's lvs_address} of every address a router's nexthop may name a director by: its
        addresses on the lab's links (IPv4, IPv6, and the link-local one an IPv6 route uses: the lab's fixed MACs)."""
        if self._director_addresses is None:
            self._director_addresses = {address: self.address(name) for name in self.groups['directors']
                                        for address in [self.address(name)] + self.link_addresses(name)}
        return self._director_addresses

    def has_ipvs(self, name):
        return self.host(name).file('/proc/net/ip_vs').exists

    def require_ipvs(self, name):
        """Skip only where the kernel has no IPVS (podman on this host); UML guests must have it."""
        if self.has_ipvs(name):
            return
        if self.backend == 'uml':
            pytest.fail('%s: /proc/net/ip_vs is missing on a UML guest (IPVS not loaded by the role)' % name)
        pytest.skip('%s: the kernel has no IPVS (/proc/net/ip_vs absent, %s backend)' % (name, self.backend))


@pytest.fixture(scope='session')
def lab():
    return Lab()


# The service shapes (issue 15) as the tests ask them: the lab's normalised services (the collection's own reading of
# lvs_services, as the roles see them), the shape of each, the (VIP, port) a client asks and the IPVS service that
# schedules it, and how a client asks it. The lab's UDP services are DNS (tests/lab/shapes_prepare.yml: dnsmasq on
# every real server answers the TXT record DNS_NAME with its own name), its SCTP services a socat listener that
# sends the host's name; the TCP ones HTTP (nginx's page names the host).
DNS_NAME = 'whoami.lab.example'


def normalised_services(lab):
    """lvs_services as the roles read them (ecmp.lvs.lvs_services). The collection is imported here, not at the top:
    the lab tool's own tests load this file without it (make collection links it into .ansible/collections;
    molecule.yml puts that on PYTHONPATH)."""
    from ansible_collections.ecmp.lvs.plugins.plugin_utils import lvs_net  # pylint: disable=import-error,import-outside-toplevel
    return lvs_net.lvs_services(lab.services, lab.hostvars)


def service_shapes(service):
    """The shapes of a normalised service, e.g. {'udp', 'ops'} or {'tcp', 'fwmark', 'persistence'}."""
    shapes = {service['protocol']}
    if service.get('fwmark') is not None:
        shapes.add('fwmark')
    elif len(service.get('vips') or ()) > 1:
        shapes.add('group')
    for key in ('ops', 'sorry_server', 'persistence_timeout', 'persistence_granularity'):
        if service.get(key):
            shapes.add({'persistence_timeout': 'persistence', 'persistence_granularity': 'granularity'}.get(key, key))
    return shapes


def service_targets(service):
    """[(vip, port, IPVS endpoint)] a client can ask of a normalised service: every VIP and port; the endpoint is
    ('fwmark', N) for a firewall-mark service, else (protocol, 'vip:port') - the keys of lvs_model.ipvs_endpoints."""
    targets = []
    for vip in service.get('vips') or [service['vip']]:
        for port in service.get('ports') or [service['port']]:
            endpoint = (('fwmark', int(service['fwmark'])) if service.get('fwmark') is not None
                        else (service['protocol'], '%s:%s' % (vip, port)))
            targets.append((vip, port, endpoint))
    return targets


def url_host(address):
    """An address as the host of a URL (and of ipvsadm's and socat's address:port): an IPv6 one in brackets."""
    return '[%s]' % address if ':' in address else address


def kernel_routes(host, prefix):
    """`ip -j route show PREFIX` of `host`, parsed; with -6 for an IPv6 prefix (without it ip lists IPv4 only)."""
    return json.loads(host.check_output('ip -j %s route show %s' % ('-6' if ':' in prefix else '-4', prefix)) or '[]')


def director_gateways(lab, routes):
    """The directors (their lvs_address) `routes` (kernel_routes) lead to, one entry per nexthop, sorted; a gateway
    that is no director's stays as it is."""
    hops = [h['gateway'] for r in routes for h in r.get('nexthops', [])]
    hops += [r['gateway'] for r in routes if r.get('gateway')]
    return sorted(lab.director_addresses.get(hop, hop) for hop in hops)


def route_gateways(lab, host, prefix):
    """director_gateways of the kernel route of `prefix` on `host`. Either address family."""
    return director_gateways(lab, kernel_routes(host, prefix))


def ask_command(service, vip, port, count):
    """A client shell command asking `vip`:`port` of `service` `count` times, one line per answer: the answering
    host's name, or FAILED. tcp: an HTTP request (curl); udp: a DNS query of the TXT record DNS_NAME (dig); sctp:
    an association that reads what the server sends (socat)."""
    if service['protocol'] == 'tcp':
        return ('for i in $(seq %d); do curl -s -m 2 --retry 2 --retry-delay 0 http://%s:%s/ || echo FAILED; done'
                % (count, url_host(vip), port))
    if service['protocol'] == 'udp':
        return ('for i in $(seq %d); do a=$(dig +short +time=2 +tries=2 -p %s @%s TXT %s 2>/dev/null | grep -v "^;" '
                '| tr -d \'"\'); echo "${a:-FAILED}"; done' % (count, port, vip, DNS_NAME))
    if service['protocol'] == 'sctp':
        return ('for i in $(seq %d); do a=$(timeout 5 socat -T 3 -u SCTP%d:%s:%s STDOUT 2>/dev/null); '
                'echo "${a:-FAILED}"; done' % (count, 6 if ':' in vip else 4, url_host(vip), port))
    raise AssertionError('no client for a %s service (%s)' % (service['protocol'], service['name']))


def ipvs_conns(host, endpoint):
    """Connections IPVS on `host` scheduled for `endpoint` (('fwmark', N) or (protocol, 'vip:port')) since the
    service was made (ipvsadm --stats --exact)."""
    out = host.check_output('ipvsadm -L -n --stats --exact')
    if endpoint[0] == 'fwmark':
        shown = str(endpoint[1])
    else:  # 'vip:port' as ipvsadm shows it: an IPv6 VIP in brackets
        vip, port = str(endpoint[1]).rsplit(':', 1)
        shown = '%s:%s' % (url_host(vip), port)
    for line in out.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == ('FWM' if endpoint[0] == 'fwmark' else endpoint[0].upper()) \
                and words[1] == shown:
            return int(words[2])
    raise AssertionError('no IPVS service %s %s in\n%s' % (endpoint[0], endpoint[1], out))


def pytest_report_header(config):  # pylint: disable=unused-argument
    """The services of the inventory under test and their shapes: which shape tests run here (the others skip)."""
    try:
        view = facade.LabView(NAME, INVENTORY, STATE_DIR)
        shapes = ['%s (%s)' % (s['name'], ', '.join(sorted(service_shapes(s)))) for s in normalised_services(view)]
    except Exception as exc:  # pylint: disable=broad-except  # a header never stops the run
        return 'lab services: cannot read %s: %s' % (INVENTORY, exc)
    return 'lab services of %s: %s' % (INVENTORY, '; '.join(shapes) or 'none')


def retry(func, timeout=60, interval=1.0):
    """Call func() until it stops raising AssertionError or timeout seconds pass (then re-raise)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return func()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(interval)


# What a failed lab test leaves in its output (and in a file that outlives the lab that
# molecule destroys right after verify: .lab/evidence/<lab name>/<test>.txt): the journal of the ecmp.lvs units, keepalived and FRR of every director,
# and every router's routing state of both families (OSPFv3's intra-area-prefix LSAs carry the directors' IPv6 VIPs),
# read the moment the test failed.
EVIDENCE = {
    'directors': [
        'systemctl --no-pager --full status ecmp-lvs-announce ecmp-lvs-frr-start frr keepalived 2>&1 | head -60',
        'journalctl -b --no-pager -o short-monotonic -u ecmp-lvs-announce -u ecmp-lvs-frr-start -u ecmp-lvs-vips '
        '-u keepalived -u frr | tail -150',
        '/usr/local/sbin/ecmp-lvs-announce status',
        'ls -la /run/ecmp-lvs /var/lib/ecmp-lvs',
        'ip addr show dev lo; ip route show table local type local dev lo; ip -6 route show table local dev lo',
        'ipvsadm -Ln --nosort',
        'vtysh -c "show ip ospf neighbor" -c "show ipv6 ospf6 neighbor" -c "show bgp summary" '
        '-c "show bfd peers brief"',
    ],
    'routers': [
        'ip route; ip -6 route',
        'vtysh -c "show ip ospf neighbor" -c "show ipv6 ospf6 neighbor" -c "show bgp summary" '
        '-c "show bfd peers brief" -c "show ip route" -c "show ipv6 route"',
        'vtysh -c "show ip ospf database router" -c "show ipv6 ospf6 database intra-prefix detail"',
        'journalctl -b --no-pager -o short-monotonic -u frr | tail -60',
    ],
}


def _collect_evidence(lab):
    parts = []
    for group, commands in EVIDENCE.items():
        for name in lab.groups.get(group, []):
            for command in commands:
                try:
                    res = lab.host(name).run('timeout 20 sh -c %s' % _quote(command))
                    text = (res.stdout or '') + (res.stderr or '')
                except Exception as exc:  # pylint: disable=broad-except  # a dead host is evidence too
                    text = 'cannot run: %s' % exc
                parts.append('===== %s: %s\n%s' % (name, command, text.rstrip()))
    return '\n'.join(parts)


def _quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _evidence_folder():
    return os.path.join(os.path.dirname(STATE_DIR), 'evidence', os.path.basename(STATE_DIR))


# One line per failed test in .lab/evidence/<lab>/failures.txt: .ci/run prints it last, so the tail of a CI log
# names the failed test and its assertion even when molecule's own output after it is long.
FAILURES_FILE = 'failures.txt'


def pytest_configure(config):
    config.addinivalue_line('markers', 'long: a long lab scenario (minutes of playbook runs under traffic): run by '
                                       'molecule/long (make test-long, CI after make test), not by make test')
    config.addinivalue_line('markers', 'releases: also run by the Debian release scenarios (molecule/trixie, '
                                       'molecule/mixed), long or not')
    config.addinivalue_line('markers', 'dual: the IPv6 tests (test_dual.py), for a dual-stack lab with IPVS: run by '
                                       'molecule/default (inventories/lab, OSPF) and molecule/dual (inventories/lab-dual, '
                                       'BGP)')


def pytest_sessionstart(session):
    path = os.path.join(_evidence_folder(), FAILURES_FILE)
    if os.path.exists(path):
        os.unlink(path)


def _record_failure(report):
    crash = getattr(report.longrepr, 'reprcrash', None)
    message = crash.message if crash is not None else str(report.longrepr).strip().splitlines()[-1:]
    message = ' '.join(str(message).split())[:400]
    os.makedirs(_evidence_folder(), exist_ok=True)
    with open(os.path.join(_evidence_folder(), FAILURES_FILE), 'a', encoding='utf-8') as fd:
        fd.write('%s %s (%s, %.0f s): %s\n' % (time.strftime('%H:%M:%S'), report.nodeid, report.when,
                                               report.duration, message))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        try:
            _record_failure(report)
        except Exception:  # pylint: disable=broad-except  # never hide the test's own failure
            pass
    if report.when != 'call' or not report.failed or 'lab' not in item.fixturenames:
        return
    try:
        text = _collect_evidence(item.funcargs['lab'])
    except Exception as exc:  # pylint: disable=broad-except  # never hide the test's own failure
        text = 'evidence collection failed: %s' % exc
    folder = _evidence_folder()
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, '%s.txt' % item.name)
    with open(path, 'w', encoding='utf-8') as fd:
        fd.write(text + '\n')
    report.sections.append(('lab evidence at the failure (also in %s)' % path, text))
