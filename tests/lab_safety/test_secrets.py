# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets never reach the Ansible output, but do reach frr.conf (root:frr 0640).

A podman lab of its own (one router, one director: tests/lab_safety/inventory, unique name) runs
playbooks/site.yml three times with ``-v --diff``:

1. OSPF with MD5 authentication, converge from bare hosts (the router waits for the adjacency: the key
   works on both ends);
2. check mode with the key removed: nothing changes on the hosts, and the diff of frr.conf would show the
   old key on its "before" side although no secret is configured any more (hidden because
   ``ecmp.lvs.preflight`` reports ``config_has_secrets`` for the host's frr.conf);
3. switched to eBGP with a TCP-MD5 password (tests/lab_safety/bgp), converge (the router waits for the
   session to be Established, so the password works on both ends); the diff of frr.conf holds both secrets.

After every run neither secret may appear anywhere in stdout/stderr, and the rendered frr.conf on both hosts
holds the secret of the run, owned root:frr, mode 0640. Needs root and podman (``make test`` has both).
``make core-matrix`` runs it once more with the oldest and the newest supported ansible-core
(ECMPLAB_ANSIBLE_VENV, ECMP_EXPECT_CORE): a lab scenario on both ends of the range.
"""

import hashlib
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
INVENTORY = os.path.join(HERE, 'inventory')
BGP = os.path.join(HERE, 'bgp')
OSPF_KEY = 'Os9fK3yM4rk7'         # tests/lab_safety/inventory/group_vars/all/lvs.yml
BGP_PASSWORD = 'Bgp9wM4rk-5tQz'   # tests/lab_safety/bgp/group_vars/all/bgp.yml
SECRETS = (OSPF_KEY, BGP_PASSWORD)
HOSTS = ('router1', 'director1')
NAME = os.environ.get('ECMP_SAFETY_LAB') or 'safety%d' % (os.getpid() % 100000)
RUNS = []
ENV = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'))


def lab_tool(*args, **kwargs):
    return subprocess.run([sys.executable, LAB, '--inventory', INVENTORY, '--name', NAME] + list(args), cwd=ROOT,
                          env=ENV, capture_output=True, text=True, check=kwargs.get('check', True))


def ssh(host, command):
    return lab_tool('ssh', host, '--', command).stdout


@pytest.fixture(scope='module')
def lab():
    if os.geteuid() != 0:
        pytest.skip('the lab needs root')
    if not shutil.which('podman'):
        pytest.skip('needs podman')
    start = time.monotonic()
    up = lab_tool('--backend', 'podman', 'up', check=False)
    try:
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-3000:]
        print('lab %s up in %.1f s' % (NAME, time.monotonic() - start))
        yield
    finally:
        lab_tool('down', check=False)


def site(*args):
    """playbooks/site.yml -v --diff against the lab; the whole console output (also written to the directory
    $ECMP_SAFETY_LOG when set, to look at after a failure)."""
    start = time.monotonic()
    res = lab_tool('playbook', 'playbooks/site.yml', '-v', '--diff', *args, check=False)
    output = res.stdout + res.stderr
    RUNS.append(output)
    if os.environ.get('ECMP_SAFETY_LOG'):
        with open(os.path.join(os.environ['ECMP_SAFETY_LOG'], 'site-%d.log' % len(RUNS)), 'w') as handle:
            handle.write(output)
    ran = re.search(r'^ecmplab: running (\S+)$', res.stderr, re.M)
    print('site.yml %s: rc %d, %.1f s, %s' % (' '.join(args), res.returncode, time.monotonic() - start,
                                              ran.group(1) if ran else '?'))
    assert res.returncode == 0, output[-6000:]
    # make core-matrix runs this lab once per tested ansible-core (ECMPLAB_ANSIBLE_VENV): it must be that one
    if os.environ.get('ECMP_EXPECT_CORE'):
        assert ran, res.stderr[-2000:]
        assert ran.group(1) == os.path.join(os.environ['ECMPLAB_ANSIBLE_VENV'], 'bin', 'ansible-playbook')
        version = subprocess.run([ran.group(1), '--version'], capture_output=True, text=True, check=True).stdout
        assert version.startswith('ansible-playbook [core %s]' % os.environ['ECMP_EXPECT_CORE']), version
    return output


def assert_no_secret(output, step):
    leaks = [line for line in output.splitlines() if any(secret in line for secret in SECRETS)]
    assert not leaks, '%s: a secret is in the ansible output:\n%s' % (step, '\n'.join(leaks[:20]))
    # the frr.conf task ran and was censored (so the check above looked at a run that rendered frr.conf)
    assert 'the output has been hidden due to the fact that' in output, step


def frr_conf(host):
    """(owner:group mode, sha256, content) of /etc/frr/frr.conf (the content stays inside this test)."""
    out = ssh(host, 'stat -c "%U:%G %a" /etc/frr/frr.conf && cat /etc/frr/frr.conf')
    meta, content = out.split('\n', 1)
    return meta, hashlib.sha256(content.encode()).hexdigest(), content


def test_secrets_stay_out_of_the_output_and_in_frr_conf(lab):
    # 1. OSPF + MD5, converge with -v --diff
    out = site()
    assert_no_secret(out, 'OSPF converge')
    assert '+++ after' in out, 'no diff in the output: was --diff in effect?'
    for host in HOSTS:
        meta, dummy, content = frr_conf(host)
        assert meta == 'root:frr 640', '%s: /etc/frr/frr.conf is %s' % (host, meta)
        assert ' ip ospf message-digest-key 7 md5 %s\n' % OSPF_KEY in content, host
        assert ' ip ospf authentication message-digest\n' in content, host
    converged = dict((host, frr_conf(host)[1]) for host in HOSTS)

    # 2. check mode, key removed: the old key is only in the host's frr.conf ("before" of the diff)
    out = site('--check', '-e', '{"lvs_ospf_auth_key": null}')
    assert_no_secret(out, 'check mode, OSPF key removed')
    assert dict((host, frr_conf(host)[1]) for host in HOSTS) == converged, 'check mode changed frr.conf'

    # 3. eBGP with the password, converge (the router waits until the session is Established). Switching the
    # protocol needs the router too, and the router play comes after the directors: the directors' rollout gate
    # would stop at the first one (its router no longer routes to it), so this both-sides change skips that part.
    out = site('-i', BGP, '-e', 'director_wait_routers=false')
    assert_no_secret(out, 'BGP converge')
    for host in HOSTS:
        meta, dummy, content = frr_conf(host)
        assert meta == 'root:frr 640', '%s: /etc/frr/frr.conf is %s' % (host, meta)
        assert ' password %s\n' % BGP_PASSWORD in content, host
        assert OSPF_KEY not in content, host
    # the running bgpd uses it (frr-reload applied the file): ask for the count only, never the line
    assert ssh('router1', "vtysh -c 'show running-config' | grep -c ' password '").strip() == '1'
