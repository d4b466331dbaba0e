# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A router whose FRR someone else runs (issue 14, ``router_frr_config: shared``), in a podman lab.

The lab (tests/lab_interop/frr_shared, unique name): edge1 is an edge router with an FRR of its owner
(tests/fixtures/frr/shared/owner-ospf.conf: OSPF towards core1 on eth2, its own static route 10.98.9.0/24
redistributed); core1, in no ecmp.lvs group, sends it 10.98.8.0/24 over OSPF. Two directors and a real server
are the usual ones. ``playbooks/site.yml`` runs with ``router_frr_config: shared`` on edge1:

1. with bfdd disabled in the owner's daemons file the run stops on edge1 naming ``bfdd=yes``, and edge1's
   frr.conf is still the owner's, byte for byte;
2. with bfdd enabled it converges: 10.98.8.0/24 (the other neighbour's OSPF route) stays in edge1's kernel,
   core1 still learns the owner's 10.98.9.0/24, the VIP has one kernel nexthop per director, the owner's lines
   and router-id are in the running configuration, the ecmp.lvs block is there once, no ``ip protocol`` route map,
   and FRR was never restarted (zebra's PID is the owner's);
3. a second run changes nothing (changed=0 on every host);
4. the control: the same router in ``router_frr_config: full`` loses 10.98.8.0/24 from its kernel (the
   destructive behaviour shared mode exists to avoid - and the check of step 2 can fail);
5. the same with BGP: the owner's eBGP session to core1 (tests/fixtures/frr/shared/owner-bgp.conf) and the
   directors' peer group in one BGP instance - core1's route stays, the VIP gets one nexthop per director, the
   owner's prefix still reaches core1, a rerun changes nothing.

Needs root and podman (``make test`` has both); run by ``make interop``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LAB = os.path.join(ROOT, 'lab', 'ecmplab')
INVENTORY = os.path.join(HERE, 'frr_shared')
PREPARE = os.path.join(HERE, 'frr_shared_prepare.yml')
OWNER_CONF = os.path.join(ROOT, 'tests', 'fixtures', 'frr', 'shared', 'owner-ospf.conf')
NAME = os.environ.get('ECMP_SHARED_LAB') or 'shared%d' % (os.getpid() % 100000)
ENV = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'))
VIP = '10.99.100.10'
DIRECTORS = {'10.99.0.11', '10.99.0.12'}
CORE_ROUTE = '10.98.8.0/24'     # core1's, learnt by edge1 over OSPF
OWNER_ROUTE = '10.98.9.0/24'    # edge1's owner's static route, redistributed to core1
HOSTS = {'edge1', 'core1', 'director1', 'director2', 'web1'}


def lab_tool(*args, **kwargs):
    return subprocess.run([sys.executable, LAB, '--inventory', INVENTORY, '--name', NAME] + list(args), cwd=ROOT,
                          env=ENV, capture_output=True, text=True, check=kwargs.get('check', True))


def ssh(host, command):
    res = lab_tool('ssh', host, '--', command, check=False)
    assert res.returncode == 0, '%s: %s\n%s%s' % (host, command, res.stdout, res.stderr)
    return res.stdout


def playbook(path, *args):
    """(rc, whole output) of a playbook against the lab."""
    start = time.monotonic()
    res = lab_tool('playbook', path, *args, check=False)
    print('%s %s: rc %d, %.1f s' % (os.path.basename(path), ' '.join(args), res.returncode, time.monotonic() - start))
    return res.returncode, res.stdout + res.stderr


def recap(out):
    """{host: changed} of the PLAY RECAP."""
    return dict((host, int(changed)) for host, changed in
                re.findall(r'^(\S+)\s+: ok=\d+\s+changed=(\d+)', out.split('PLAY RECAP', 1)[1], re.M))


def routes(host, prefix):
    return json.loads(ssh(host, 'ip -j route show %s' % prefix) or '[]')


def nexthops(host, prefix):
    """The gateways of the kernel route of ``prefix`` on ``host`` (multipath or single)."""
    found = set()
    for route in routes(host, prefix):
        found.update(hop['gateway'] for hop in route.get('nexthops', []) if 'gateway' in hop)
        if 'gateway' in route:
            found.add(route['gateway'])
    return found


def wait_for(what, probe, expected, timeout=60):
    """Poll ``probe()`` until it returns ``expected``; fail with the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value == expected or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert value == expected, '%s: expected %r, got %r' % (what, expected, value)


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope='module')
def lab():
    if os.geteuid() != 0 or not shutil.which('podman'):
        pytest.fail('needs root and podman (make deps installs podman)')
    start = time.monotonic()
    up = lab_tool('--backend', 'podman', 'up', check=False)
    try:
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-3000:]
        print('lab %s up in %.1f s' % (NAME, time.monotonic() - start))
        yield
    finally:
        lab_tool('down', check=False)


def test_1_the_role_stops_before_any_change_when_the_owners_daemons_lack_bfdd(lab):
    rc, out = playbook(PREPARE, '-e', 'frr_shared_bfdd=false')
    assert rc == 0, out[-4000:]
    wait_for('edge1 learns core1\'s route', lambda: nexthops('edge1', CORE_ROUTE), {'10.99.2.2'}, timeout=120)
    before = ssh('edge1', 'cat /etc/frr/frr.conf')
    assert sha(before) == sha(open(OWNER_CONF).read()), 'prepare.yml did not write the owner frr.conf'
    rc, out = playbook('playbooks/site.yml')
    assert rc != 0, 'site.yml passed although the daemons file of edge1 does not enable bfdd'
    assert 'bfdd=yes' in out and 'router_frr_config' in out, out[-4000:]
    assert sha(ssh('edge1', 'cat /etc/frr/frr.conf')) == sha(before), 'frr.conf of edge1 changed'
    assert nexthops('edge1', CORE_ROUTE) == {'10.99.2.2'}


def test_2_shared_converges_and_keeps_the_owners_routes(lab):
    rc, out = playbook(PREPARE)      # bfdd enabled: FRR restarted by the owner
    assert rc == 0, out[-4000:]
    wait_for('edge1 learns core1\'s route', lambda: nexthops('edge1', CORE_ROUTE), {'10.99.2.2'}, timeout=120)
    zebra = ssh('edge1', 'pidof zebra').strip()
    rc, out = playbook('playbooks/site.yml')
    assert rc == 0, out[-8000:]
    assert set(recap(out)) - {'localhost'} == HOSTS - {'core1'}, recap(out)

    # the other neighbour's route stays in the kernel, the VIP gets one nexthop per director
    assert [(r.get('gateway'), r.get('protocol')) for r in routes('edge1', CORE_ROUTE)] == [('10.99.2.2', 'ospf')]
    wait_for('edge1 routes the VIP via every director', lambda: nexthops('edge1', VIP), DIRECTORS)
    # the owner's own redistribution still reaches core1 (its OSPF is untouched)
    wait_for('core1 learns the owner route', lambda: nexthops('core1', OWNER_ROUTE), {'10.99.2.1'}, timeout=120)
    # applied by a reload: the owner's FRR was never restarted
    assert ssh('edge1', 'pidof zebra').strip() == zebra, 'FRR of edge1 was restarted'

    running = ssh('edge1', "vtysh -c 'show running-config'")
    for line in ('hostname edge1', ' ospf router-id 10.99.0.1', ' redistribute static',
                 ' network 10.99.2.0/24 area 0.0.0.0', ' network 10.99.0.0/24 area 0.0.0.0',
                 ' maximum-paths 16', 'ip prefix-list LVS_VIPS seq 10 permit %s/32' % VIP, ' ip ospf bfd'):
        assert line in running.splitlines(), '%r not in the running configuration:\n%s' % (line, running)
    assert 'ip protocol' not in running, running
    conf = ssh('edge1', 'cat /etc/frr/frr.conf')
    owner = open(OWNER_CONF).read()
    assert conf.startswith(owner.rsplit('end\n', 1)[0]), 'the owner part of frr.conf changed:\n' + conf
    assert conf.count('! BEGIN ecmp.lvs router') == 1 and conf.count('! END ecmp.lvs router') == 1, conf
    assert conf.rstrip().endswith('end'), conf
    assert ssh('edge1', 'stat -c "%G %a" /etc/frr/frr.conf').strip() == 'frr 640'
    # the owner's daemons file is untouched (ecmp.lvs writes it only in full mode)
    assert 'bgpd=' not in ssh('edge1', 'cat /etc/frr/daemons')


def test_3_a_second_run_changes_nothing(lab):
    rc, out = playbook('playbooks/site.yml')
    assert rc == 0, out[-8000:]
    changed = dict((host, n) for host, n in recap(out).items() if n)
    assert not changed, 'second run changed %s' % changed


def test_4_control_full_mode_drops_the_owners_other_routes(lab):
    # full mode with the core network in OSPF too (router_ospf_extra_networks; the core segment uses OSPF's
    # default timers, which full mode leaves on eth2): OSPF still learns core1's route, the kernel does not get it
    rc, out = playbook('playbooks/site.yml', '--limit', 'edge1', '-e',
                       '{"router_frr_config": "full", "router_ospf_extra_networks": ["10.99.2.0/24"]}')
    assert rc == 0, out[-8000:]
    wait_for('edge1 in full mode: the VIP via every director', lambda: nexthops('edge1', VIP), DIRECTORS)
    wait_for('edge1 in full mode: OSPF learns core1\'s route',
             lambda: CORE_ROUTE in ssh('edge1', "vtysh -c 'show ip ospf route'"), True, timeout=120)
    assert routes('edge1', CORE_ROUTE) == [], 'full mode installed the other neighbour route'


def test_5_shared_bgp_keeps_the_owners_session_and_routes(lab):
    rc, out = playbook(PREPARE, '-e', 'owner_protocol=bgp')
    assert rc == 0, out[-4000:]
    wait_for('edge1 learns core1\'s route over BGP', lambda: nexthops('edge1', CORE_ROUTE), {'10.99.2.2'}, timeout=120)
    zebra = ssh('edge1', 'pidof zebra').strip()
    # the directors switch protocol with the router: the rollout gate cannot hold (see test_secrets.py)
    bgp = '{"lvs_routing_protocol": "bgp", "director_wait_routers": false}'
    rc, out = playbook('playbooks/site.yml', '-e', bgp)
    assert rc == 0, out[-8000:]
    assert [(r.get('gateway'), r.get('protocol')) for r in routes('edge1', CORE_ROUTE)] == [('10.99.2.2', 'bgp')]
    wait_for('edge1 routes the VIP via every director (BGP)', lambda: nexthops('edge1', VIP), DIRECTORS)
    wait_for('core1 learns the owner route (BGP)', lambda: nexthops('core1', OWNER_ROUTE), {'10.99.2.1'}, timeout=60)
    assert ssh('edge1', 'pidof zebra').strip() == zebra, 'FRR of edge1 was restarted'
    running = ssh('edge1', "vtysh -c 'show running-config'").splitlines()
    for line in (' bgp router-id 10.99.0.1', ' neighbor 10.99.2.2 remote-as 64600', ' neighbor DIRECTORS peer-group',
                 '  neighbor DIRECTORS route-map LVS_INSTALL in'):
        assert line in running, '%r not in the running configuration:\n%s' % (line, '\n'.join(running))
    assert not [line for line in running if line.startswith('ip protocol')], running
    rc, out = playbook('playbooks/site.yml', '-e', bgp)
    assert rc == 0, out[-8000:]
    changed = dict((host, n) for host, n in recap(out).items() if n)
    assert not changed, 'second BGP run changed %s' % changed
