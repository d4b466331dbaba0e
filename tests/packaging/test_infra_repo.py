# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Use it from your infra repo (issue 14): the built and installed collection converges an inventory with its own
group names and two load-balancer clusters.

A project directory holds only the installed artifact (``packaging_env.install``) and a copy of
``tests/packaging/infra_repo`` (groups ``edge_routers_a``, ``lb_nodes_a``, ``web_backends_a`` and the same for site
B; site A on OSPF, site B on eBGP, each on a fabric segment of its own). A podman lab of it (``lab/ecmplab``,
unique name) is converged with ``ansible-playbook ecmp.lvs.site`` from that directory - no ansible.cfg, no roles
path, nothing of this checkout - then run again (changed=0 everywhere). Each site's router peers with its own
director only and routes its own VIP through it, never the other site's; each director's keepalived.conf and each
real server's lo hold their own site's VIP only. The router role's rollout waits (one kernel nexthop per director
for every VIP of the site) passed in the converge.

Needs root and podman (``make test`` has both); run by ``make safety`` (not ``make unit``).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from packaging_env import BIN, ROOT, install, run

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = os.path.join(ROOT, 'lab', 'ecmplab')
NAME = os.environ.get('ECMP_INFRA_LAB') or 'infra%d' % (os.getpid() % 100000)
SITES = {
    'a': {'router': 'edge-a1', 'director': 'lb-a1', 'realserver': 'web-a1', 'director_ip': '10.99.0.11',
          'vip': '10.99.100.10', 'protocol': 'ospf'},
    'b': {'router': 'edge-b1', 'director': 'lb-b1', 'realserver': 'web-b1', 'director_ip': '10.99.1.11',
          'vip': '10.99.101.10', 'protocol': 'bgp'},
}


def lab_tool(inventory, *args, **kwargs):
    return subprocess.run([sys.executable, LAB, '--inventory', inventory, '--name', NAME] + list(args), cwd=ROOT,
                          capture_output=True, text=True, check=kwargs.get('check', True))


@pytest.fixture(scope='module')
def infra(tmp_path_factory):
    """The project directory (inventory copied in, symlinks resolved) with its podman lab up."""
    if os.geteuid() != 0 or not shutil.which('podman'):
        pytest.fail('needs root and podman (make deps installs podman)')
    installed = install(tmp_path_factory.mktemp('artifact'))
    proj = installed['base'] / 'infra'
    shutil.copytree(os.path.join(HERE, 'infra_repo'), str(proj / 'inventory'))
    inventory = str(proj / 'inventory')
    start = time.monotonic()
    up = lab_tool(inventory, '--backend', 'podman', 'up', check=False)
    try:
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-3000:]
        print('lab %s up in %.1f s' % (NAME, time.monotonic() - start))
        # the lab tool's state directory of the lab (lab/ecmplab_lib/facade.py state_dir)
        state = os.path.join(os.environ.get('ECMPLAB_STATE_ROOT') or os.path.join(ROOT, '.lab'), NAME)
        env = dict(installed['env'], ECMPLAB_NAME=NAME, ECMPLAB_BACKEND='podman', ECMPLAB_STATE_DIR=state)
        yield {'dir': str(proj), 'inventory': inventory, 'env': env}
    finally:
        lab_tool(inventory, 'down', check=False)


def ssh(infra, host, command):
    res = lab_tool(infra['inventory'], 'ssh', host, command, check=False)
    assert res.returncode == 0, '%s: %s\n%s%s' % (host, command, res.stdout, res.stderr)
    return res.stdout


def site_yml(infra):
    start = time.monotonic()
    rc, out = run([os.path.join(BIN, 'ansible-playbook'), '-i', 'inventory', 'ecmp.lvs.site'], infra['env'],
                  infra['dir'], timeout=1800)
    print('ansible-playbook ecmp.lvs.site: rc %d, %.1f s' % (rc, time.monotonic() - start))
    assert rc == 0, out[-8000:]
    return out


def recap(out):
    """{host: changed} of the PLAY RECAP."""
    return dict((host, int(changed)) for host, changed in
                re.findall(r'^(\S+)\s+: ok=\d+\s+changed=(\d+)', out.split('PLAY RECAP', 1)[1], re.M))


def test_two_clusters_with_their_own_groups_converge_from_the_installed_collection(infra):
    out = site_yml(infra)
    every = set(h for site in SITES.values() for h in (site['router'], site['director'], site['realserver']))
    assert set(recap(out)) - {'localhost'} == every, recap(out)

    for name, site in SITES.items():
        other = SITES['b' if name == 'a' else 'a']
        router = site['router']
        # the router's routing sessions: its own director only
        if site['protocol'] == 'ospf':
            neighbors = json.loads(ssh(infra, router, "vtysh -c 'show ip ospf neighbor json'"))['neighbors']
            peers = set(neighbors)
        else:
            summary = json.loads(ssh(infra, router, "vtysh -c 'show bgp ipv4 unicast summary json'"))
            peers = set(summary['peers'])
        assert peers == {site['director_ip']}, '%s: peers %s' % (router, peers)
        # its VIP routed through its director, the other site's VIP not at all
        routes = json.loads(ssh(infra, router, 'ip -j route show %s' % site['vip']) or '[]')
        assert [r.get('gateway') for r in routes] == [site['director_ip']], '%s: %s' % (router, routes)
        assert json.loads(ssh(infra, router, 'ip -j route show %s' % other['vip']) or '[]') == [], router
        # the director's keepalived and the real server's lo: this site's VIP only
        conf = ssh(infra, site['director'], 'cat /etc/keepalived/keepalived.conf')
        assert site['vip'] in conf and other['vip'] not in conf, site['director']
        lo = ssh(infra, site['realserver'], 'ip -4 -o address show dev lo')
        assert site['vip'] in lo and other['vip'] not in lo, '%s: %s' % (site['realserver'], lo)


def test_a_second_run_changes_nothing(infra):
    out = site_yml(infra)
    changed = dict((host, n) for host, n in recap(out).items() if n)
    assert not changed, 'second run changed %s' % changed
