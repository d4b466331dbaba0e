# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Interoperability (issue 14 §4): BIRD 2 as the router in front of the directors, for OSPF and for eBGP, both
with BFD.

One podman lab per protocol (``tests/lab_interop/inventory``, unique name; ``../bgp`` switches it to eBGP): bird1
(group ``bird_routers``: the collection never touches it) runs the shipped example ``files/bird/bird-<protocol>.conf``
verbatim (``bird_router.yml``: the file, ``bird -p`` before it is installed, the kernel settings of
docs/routers.md); director1 and director2 are converged with ``playbooks/site.yml`` as any inventory would be, rs1
is their real server. Then, on bird1:

* one kernel route to the VIP with one nexthop per director (``ip -j route show``), installed by BIRD, and BFD
  sessions Up with both directors (``birdc show bfd sessions``), OSPF Full / BGP Established;
* the route follows the directors' announcement: a director that withdraws the VIP leaves the route, and comes
  back when it announces again. With IPVS (a UML lab: ``ECMP_INTEROP_BACKEND=uml``) the withdrawal is
  announce-when-healthy itself: rs1's nginx stopped, keepalived's check fails on both directors, the route goes;
  nginx started, it comes back. The podman backend shares the host kernel, which has no IPVS, so keepalived does
  not run there and the directors announce unless drained (``director_require_ipvs: false``): the test stops and
  starts director1's announcer (``ecmp-lvs-announce.service``, whose stop withdraws the VIP exactly as a lost
  quorum does) instead;
* ``playbooks/drain.yml`` on director1 takes its nexthop out, ``-e lvs_drain=false`` puts it back;
* failover: director2's fabric cable cut (``lab/ecmplab link director2 eth1 down``, FRR keeps running, as in a
  switch or NIC failure) - its nexthop is gone within FAILOVER_MAX seconds, less than the OSPF dead interval (4 s)
  and the BGP hold time (3 s): BFD (300 ms x 3) did it; the cable back, the nexthop comes back.

The times (lab up, converge, each change seen in the kernel of bird1, measured from ``ip -ts monitor route`` there
and ``ip -ts monitor link`` of the lab's namespace) are printed (``-s``) and summed up at the end. Needs root and
podman (``make deps``); run by ``make interop`` (part of ``make test``).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from ecmplab_lib import facade

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LAB = os.path.join(ROOT, 'lab', 'ecmplab')
INVENTORY = os.path.join(HERE, 'inventory')
OVERLAY = {'ospf': [], 'bgp': ['-i', os.path.join(HERE, 'bgp')]}
PROTOCOLS = tuple(os.environ.get('ECMP_INTEROP_PROTOCOLS', 'ospf,bgp').split(','))
BACKEND = os.environ.get('ECMP_INTEROP_BACKEND', 'podman')
ROUTER = 'bird1'
REALSERVER = 'rs1'
DIRECTORS = {'director1': '10.99.0.11', 'director2': '10.99.0.12'}   # tests/lab_interop/inventory/hosts.yml
BOTH = sorted(DIRECTORS.values())
VIP = '10.99.100.10'
# BFD 300 ms x 3 detects in 0.9 s; BIRD's OSPF recomputes its routes at most once a second (`tick`, default 1 s);
# without BFD it would take the dead interval (4 s) or the hold time (3 s)
FAILOVER_MAX = 2.5
# a director that announces again right after a withdrawal: its second router-LSA within BIRD's fixed
# MinLSArrival (1 s) is dropped and installed when the director sends it again after
# director_ospf_retransmit_interval (1 s; FRR's default 5 s took 6.9-7.9 s here)
ANNOUNCE_MAX = 4.5
ROUTE_LOG = '/run/ecmp-interop-route.log'
ENV = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'))
TIMINGS = []


def note(protocol, what, seconds, extra=''):
    TIMINGS.append((protocol, what, seconds, extra))
    print('[%s] %-58s %6.2f s %s' % (protocol, what, seconds, extra))


def utc_stamp(text):
    """`ip -ts` time stamp ([2026-12-02T19:27:08.907977], printed with TZ=UTC) as UNIX time."""
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%S.%f').replace(tzinfo=datetime.timezone.utc).timestamp()


class Lab:
    """One podman lab of tests/lab_interop/inventory for one routing protocol."""

    def __init__(self, protocol):
        self.protocol = protocol
        self.name = os.environ.get('ECMP_INTEROP_LAB') or 'bird%s%d' % (protocol[0], os.getpid() % 100000)
        if os.environ.get('ECMP_INTEROP_LAB'):
            self.name += protocol[0]
        self.ssh_config = os.path.join(facade.state_dir(self.name), 'ssh_config')

    def tool(self, *args, **kwargs):
        res = subprocess.run([sys.executable, LAB, '--inventory', INVENTORY, '--name', self.name] + list(args),
                             cwd=ROOT, env=ENV, capture_output=True, text=True, check=False)
        if kwargs.get('check', True):
            assert res.returncode == 0, 'lab/ecmplab %s: rc %d\n%s%s' % (
                ' '.join(args), res.returncode, res.stdout[-3000:], res.stderr[-3000:])
        return res

    def ssh(self, host, command, check=True, timeout=30):
        argv = facade.ssh_cmd(self.ssh_config, host, command, master=True)
        res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                             check=False)
        if check:
            assert res.returncode == 0, '%s: %s: rc %d\n%s%s' % (
                host, command, res.returncode, res.stdout[-2000:], res.stderr[-2000:])
        return res.stdout

    def playbook(self, playbook, *args):
        """ansible-playbook against the lab (with the protocol's overlay); the time it took."""
        start = time.monotonic()
        res = self.tool('playbook', playbook, *(OVERLAY[self.protocol] + list(args)), check=False)
        assert res.returncode == 0, '%s %s: rc %d\n%s' % (playbook, ' '.join(args), res.returncode,
                                                          (res.stdout + res.stderr)[-6000:])
        return time.monotonic() - start

    # -- bird1's view ---------------------------------------------------------------------------------------
    def route(self):
        """(sorted gateways of bird1's kernel route to the VIP, the route as `ip -j route show` gives it)."""
        routes = json.loads(self.ssh(ROUTER, 'ip -j route show %s/32' % VIP) or '[]')
        gateways = []
        for route in routes:
            hops = route.get('nexthops') or [route]
            gateways += [hop['gateway'] for hop in hops if hop.get('gateway')]
        return sorted(gateways), routes

    def bird_state(self):
        """What BIRD says, for failure messages."""
        return self.ssh(ROUTER, 'birdc show protocols; birdc show route %s/32 all; birdc show bfd sessions; '
                        'birdc show ospf neighbors 2>/dev/null || true' % VIP, check=False)

    def wait_route(self, expected, timeout, what):
        """Poll until bird1 routes the VIP via exactly `expected` (one kernel route, one nexthop per gateway);
        fail with the difference and BIRD's state after `timeout` s. Returns the UNIX time at which the kernel
        route last changed (bird1's route log), or now when the log names no change."""
        deadline = time.monotonic() + timeout
        while True:
            gateways, routes = self.route()
            if gateways == sorted(expected) and len(routes) == (1 if expected else 0):
                assert all(route.get('protocol') == 'bird' for route in routes), routes
                changed = self.last_route_change()
                return changed or time.time()
            if time.monotonic() > deadline:
                pytest.fail('%s: after %d s bird1 routes %s via %s, expected %s (missing: %s, extra: %s)\n'
                            'ip -j route: %s\n%s' % (
                                what, timeout, VIP, gateways or 'nothing', sorted(expected) or 'nothing',
                                sorted(set(expected) - set(gateways)), sorted(set(gateways) - set(expected)),
                                json.dumps(routes), self.bird_state()))
            time.sleep(0.2)

    def announcer_event(self, host, text, since):
        """UNIX time of the last line of ecmp-lvs-announce's journal on `host` since `since` that holds `text`
        (e.g. '10.99.100.10 withdrawn: drained'), None if there is none."""
        out = self.ssh(host, 'journalctl -u ecmp-lvs-announce -o short-unix --no-pager --since @%d' % int(since))
        stamps = [float(line.split()[0]) for line in out.splitlines() if text in line and line[:1].isdigit()]
        return stamps[-1] if stamps else None

    def start_route_log(self):
        self.ssh(ROUTER, 'setsid sh -c "TZ=UTC exec ip -ts monitor route >%s 2>&1" </dev/null >/dev/null 2>&1 &'
                 % ROUTE_LOG)

    def last_route_change(self):
        """UNIX time of the last change of the VIP's kernel route on bird1 (`ip -ts monitor route`), None if
        none was logged."""
        stamps = re.findall(r'^\[([0-9T:.-]+)\] (?:Deleted )?%s[ /]' % re.escape(VIP),
                            self.ssh(ROUTER, 'cat %s' % ROUTE_LOG), re.M)
        return utc_stamp(stamps[-1]) if stamps else None


@pytest.fixture(scope='module', params=PROTOCOLS)
def lab(request):
    protocol = request.param
    if os.geteuid() != 0 or not shutil.which(BACKEND if BACKEND == 'podman' else 'linux.uml'):
        pytest.fail('needs root and %s (make deps installs it)' % BACKEND)
    lab = Lab(protocol)
    start = time.monotonic()
    up = lab.tool('--backend', BACKEND, 'up', check=False)
    try:
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-3000:]
        note(protocol, 'lab %s up (%s, 4 hosts)' % (lab.name, BACKEND), time.monotonic() - start)
        lab.start_route_log()
        note(protocol, 'bird_router.yml (BIRD from files/bird/bird-%s.conf)' % protocol,
             lab.playbook(os.path.join(HERE, 'bird_router.yml')))
        converged = lab.playbook('playbooks/site.yml')
        note(protocol, 'playbooks/site.yml (rs1, director1, director2)', converged)
        start = time.time()
        changed = lab.wait_route(BOTH, 30, 'after site.yml')
        note(protocol, 'two nexthops after the converge (0 = already there)', max(0.0, time.time() - start))
        lab.ipvs = lab.ssh('director1', 'test -e /proc/net/ip_vs && echo yes || echo no').strip() == 'yes'
        assert changed
        yield lab
    finally:
        lab.tool('down', check=False)


def test_the_router_runs_the_shipped_example(lab):
    with open(os.path.join(ROOT, 'files', 'bird', 'bird-%s.conf' % lab.protocol), 'rb') as handle:
        shipped = hashlib.sha256(handle.read()).hexdigest()
    assert lab.ssh(ROUTER, 'sha256sum /etc/bird/bird.conf').split()[0] == shipped
    assert lab.ssh(ROUTER, 'systemctl is-active bird').strip() == 'active'
    assert lab.ssh(ROUTER, 'sysctl -n net.ipv4.fib_multipath_hash_policy').strip() == '1'
    # not in the group `routers`: the collection configured nothing on it (no FRR running, no drop-in of the role)
    assert lab.ssh(ROUTER, 'systemctl is-active frr', check=False).strip() == 'inactive'
    assert lab.ssh(ROUTER, 'ls /etc/sysctl.d/ | grep -c ecmp-lvs', check=False).strip() == '0'


def test_one_kernel_nexthop_per_director(lab):
    gateways, routes = lab.route()
    assert gateways == BOTH, routes
    assert len(routes) == 1 and routes[0]['protocol'] == 'bird' and len(routes[0]['nexthops']) == 2, routes
    assert all(hop['dev'] == 'eth1' for hop in routes[0]['nexthops']), routes
    # BIRD imports nothing but the VIP /32s: no other route of the directors (their fabric, their loopbacks)
    others = json.loads(lab.ssh(ROUTER, 'ip -j route show proto bird'))
    assert [route['dst'] for route in others] == [VIP], others


def test_bfd_sessions_up(lab):
    # the examples' `protocol bfd` names no neighbor: a session exists only because OSPF / BGP asked for it
    # (`bfd yes`), and is Up only when the director's bfdd answers
    out = lab.ssh(ROUTER, 'birdc show bfd sessions')
    sessions = dict(re.findall(r'^(\d+\.\d+\.\d+\.\d+)\s+eth1\s+(\w+)', out, re.M))
    assert sessions == dict((address, 'Up') for address in BOTH), out
    if lab.protocol == 'ospf':
        out = lab.ssh(ROUTER, 'birdc show ospf neighbors lvs')
        states = dict(re.findall(r'^(\d+\.\d+\.\d+\.\d+)\s+\d+\s+(\S+)', out, re.M))
        assert states == dict((address, 'Full/Other') for address in BOTH), out
    else:
        out = lab.ssh(ROUTER, 'birdc show protocols')
        states = dict(re.findall(r'^(director\d)\s+BGP\s+\S+\s+\w+\s+\S+\s+(\w+)', out, re.M))
        assert states == {'director1': 'Established', 'director2': 'Established'}, out


def test_the_route_follows_the_announcement(lab):
    """announce-when-healthy on IPVS; on podman (no IPVS, no keepalived) the announcer's own withdrawal."""
    if lab.ipvs:
        # rs1 is the only real server: its check fails on both directors, both withdraw, the route goes
        start = time.time()
        lab.ssh(REALSERVER, 'systemctl stop nginx')
        changed = lab.wait_route([], 40, 'rs1 nginx stopped (quorum down on both directors)')
        note(lab.protocol, 'health check fails -> VIP route gone', changed - start)
        start = time.time()
        lab.ssh(REALSERVER, 'systemctl start nginx')
        changed = lab.wait_route(BOTH, 60, 'rs1 nginx started (quorum up, hold-down 5 s)')
        note(lab.protocol, 'health check passes -> both nexthops back', changed - start)
        return
    start = time.time()
    lab.ssh('director1', 'systemctl stop ecmp-lvs-announce')
    assert VIP not in lab.ssh('director1', 'ip -4 -o addr show dev lo'), 'director1 still holds the VIP'
    changed = lab.wait_route([DIRECTORS['director2']], 20, 'director1 withdrew the VIP')
    note(lab.protocol, 'director1 withdraws (announcer stopped) -> nexthop gone', changed - start)
    start = time.time()
    lab.ssh('director1', 'systemctl start ecmp-lvs-announce')
    changed = lab.wait_route(BOTH, 30, 'director1 announces the VIP again')
    note(lab.protocol, 'director1 announces again -> nexthop back', changed - start)
    assert changed - start < ANNOUNCE_MAX, 'the VIP came back after %.1f s (ANNOUNCE_MAX %.1f s): was the LSA ' \
        'sent again after director_ospf_retransmit_interval?' % (changed - start, ANNOUNCE_MAX)


def test_drain_and_undrain(lab):
    start = time.time()
    took = lab.playbook('playbooks/drain.yml', '-l', 'director1')
    changed = lab.wait_route([DIRECTORS['director2']], 20, 'director1 drained')
    withdrawn = lab.announcer_event('director1', '%s withdrawn: drained' % VIP, start)
    assert withdrawn, 'director1 did not log the withdrawal of %s' % VIP
    note(lab.protocol, 'drain.yml director1: withdrawn -> nexthop gone', changed - withdrawn,
         '(playbook %.1f s, nexthop gone %.1f s after its start)' % (took, changed - start))
    assert lab.ssh('director1', 'test -e /var/lib/ecmp-lvs/drained && echo drained').strip() == 'drained'
    start = time.time()
    took = lab.playbook('playbooks/drain.yml', '-l', 'director1', '-e', 'lvs_drain=false')
    changed = lab.wait_route(BOTH, 30, 'director1 undrained')
    announced = lab.announcer_event('director1', '%s announced' % VIP, start)
    assert announced, 'director1 did not log the announcement of %s' % VIP
    note(lab.protocol, 'undrain director1: announced -> nexthop back', changed - announced,
         '(playbook %.1f s, nexthop back %.1f s after its start)' % (took, changed - start))


def test_failover_when_a_director_is_cut_off(lab):
    """director2's fabric link down (FRR keeps running, nothing says goodbye): BFD takes it out."""
    monitor = subprocess.Popen(['ip', '-ts', '-n', lab.name, 'monitor', 'link'], env=dict(os.environ, TZ='UTC'),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(0.3)
        lab.tool('link', 'director2', 'eth1', 'down')
        time.sleep(0.3)
    finally:
        monitor.terminate()
        events = monitor.communicate(timeout=10)[0]
    stamps = re.findall(r'^\[([0-9T:.-]+)\]', events, re.M)
    assert stamps, 'no link event in the lab namespace: %r' % events
    cut = utc_stamp(stamps[0])
    try:
        changed = lab.wait_route([DIRECTORS['director1']], 10, 'director2 cut off')
        failover = changed - cut
        note(lab.protocol, 'failover: director2 cut off -> its nexthop gone', failover,
             '(BFD 300 ms x 3%s)' % (', OSPF tick 1 s' if lab.protocol == 'ospf' else ''))
        assert 0 < failover < FAILOVER_MAX, 'failover took %.2f s: BFD did not act (FAILOVER_MAX %.1f s)' % (
            failover, FAILOVER_MAX)
    finally:
        start = time.time()
        lab.tool('link', 'director2', 'eth1', 'up')
    # OSPF: BIRD's MinLSArrival is a fixed 1 s (RFC 2328) - director2's second router-LSA after the adjacency
    # (with its transit link back) arrives within it and is dropped until FRR retransmits it (docs/routers.md)
    changed = lab.wait_route(BOTH, 40, 'director2 reconnected')
    note(lab.protocol, 'director2 reconnected -> its nexthop back', changed - start)


def test_zz_timings(lab):
    """The measured times of this protocol (printed with -s)."""
    print('\nBIRD interop timings (%s, %s):' % (lab.protocol, BACKEND))
    for protocol, what, seconds, extra in TIMINGS:
        if protocol == lab.protocol:
            print('  %-60s %6.2f s %s' % (what, seconds, extra))
