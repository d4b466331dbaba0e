# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp.lvs.preflight for real on the host kernel, inside a throwaway network namespace: a read-only /proc/sys
mounted exactly as a container runtime mounts it, interfaces that do not exist, the host kernel's missing IPVS
and the host's real FRR."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil

import pytest

ARP = 'net.ipv4.conf.lo.arp_ignore'


@pytest.mark.parametrize('check', [False, True], ids=['run', 'check_mode'])
def test_readonly_proc_sys_fails_with_the_fix(netns, check):
    assert netns.read_sysctl('net/ipv4/conf/lo/arp_ignore') == '0'
    rc, res = netns.module('preflight', {'name': 'rs1', 'sysctls': {ARP: 1, 'net.ipv4.conf.all.arp_announce': 0}},
                           check=check, readonly_proc_sys=True)
    assert rc != 0
    assert res['msg'].splitlines()[0] == 'preflight failed on rs1 (1 problem, nothing was changed):'
    line = res['msg'].splitlines()[1]
    for words in ('- rs1: sysctls: cannot set net.ipv4.conf.lo.arp_ignore (is 0, needs 1)',
                  '/proc/sys is mounted read-only (Read-only file system)',
                  'podman/docker run --sysctl net.ipv4.conf.lo.arp_ignore=1', 'CAP_SYS_ADMIN', 'on the host'):
        assert words in line, line
    # a key already at its value needs no write: not a problem on a read-only /proc/sys
    assert 'arp_announce' not in line
    assert res['sysctls'] == {ARP: 'read-only', 'net.ipv4.conf.all.arp_announce': 'ok'}
    assert res['changed'] is False
    assert netns.read_sysctl('net/ipv4/conf/lo/arp_ignore') == '0'


def test_readonly_proc_sys_passes_when_the_values_are_right(netns):
    """The fix the message proposes (--sysctl at creation) leaves /proc/sys read-only: then it must pass."""
    netns.exec_('sysctl', '-qw', '%s=1' % ARP)
    rc, res = netns.module('preflight', {'sysctls': {ARP: 1}}, readonly_proc_sys=True)
    assert rc == 0, res
    assert res['sysctls'] == {ARP: 'ok'} and res['changed'] is False


def test_writable_proc_sys_passes(netns):
    rc, res = netns.module('preflight', {'sysctls': {ARP: 1}})
    assert rc == 0, res
    assert res['sysctls'] == {ARP: 'writable'}
    assert netns.read_sysctl('net/ipv4/conf/lo/arp_ignore') == '0'  # preflight never writes a sysctl


def test_missing_interfaces(netns):
    netns.ip('link', 'add', 'pf0', 'type', 'veth', 'peer', 'name', 'pf1')
    rc, res = netns.module('preflight', {
        'name': 'director1',
        'interfaces': {'director_fabric_interface': 'pf0', 'director_arp_interfaces': ['all', 'pf0', 'eth9']},
        'sysctls': {'net.ipv4.conf.pf0.arp_ignore': 1, 'net.ipv4.conf.eth9.arp_ignore': 1,
                    'net.ipv4.conf.eth8.rp_filter': 2}})
    assert rc != 0
    assert res['failures'] == [
        'interfaces: eth8 (named by sysctl net.ipv4.conf.eth8.rp_filter) does not exist on this host (interfaces: '
        'lo, pf0, pf1). Fix: correct sysctl net.ipv4.conf.eth8.rp_filter in the inventory (names as `ip link` '
        'prints them), or create the interface before the play.',
        'interfaces: eth9 (named by director_arp_interfaces) does not exist on this host (interfaces: lo, pf0, '
        'pf1). Fix: correct director_arp_interfaces in the inventory (names as `ip link` prints them), or create '
        'the interface before the play.']
    assert res['interfaces'] == {'eth8': False, 'eth9': False, 'pf0': True}
    assert res['sysctls'] == {'net.ipv4.conf.eth8.rp_filter': 'missing interface',
                              'net.ipv4.conf.eth9.arp_ignore': 'missing interface',
                              'net.ipv4.conf.pf0.arp_ignore': 'writable'}


@pytest.mark.skipif(os.path.exists('/proc/net/ip_vs'), reason='this host kernel has IPVS')
def test_kernel_without_ipvs(netns):
    rc, res = netns.module('preflight', {'name': 'director1', 'ipvs': True, 'kernel_modules': ['ip_vs', 'ip_vs_mh']},
                           check=True)
    assert rc != 0
    assert res['kernel_modules'] == {'ip_vs': 'failed', 'ip_vs_mh': 'failed'}
    assert res['ipvs'] == {'present': False, 'version': None}
    text = res['msg']
    assert '- director1: kernel_modules: ' in text and 'director_require_ipvs: false' in text
    # either modprobe itself is missing (then IPVS is reported on its own line) or it cannot find ip_vs
    assert ('/proc/net/ip_vs is missing' in text) or ('ip_vs cannot be loaded (' in text)


@pytest.mark.skipif(not os.path.exists('/usr/lib/frr/zebra') or not shutil.which('vtysh'),
                    reason='FRR is not installed on this host (make apt installs it)')
def test_real_frr_version(netns):
    rc, res = netns.module('preflight', {'frr': True})
    assert rc == 0, res
    assert res['frr']['zebra'] == '/usr/lib/frr/zebra' and res['frr']['version'].count('.') >= 1
    rc, res = netns.module('preflight', {'name': 'router1', 'frr': True, 'frr_min_version': '99.1'})
    assert rc != 0
    assert res['failures'][0].startswith('frr: FRR %s is too old (/usr/lib/frr/zebra --version), ecmp.lvs needs '
                                         '>= 99.1' % res['frr']['version'])
