# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp.lvs.sysctl_state for real, against the host kernel, inside a throwaway network namespace."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

SET = {
    'net.ipv4.ip_forward': True,
    'net.ipv4.conf.lo.arp_ignore': 1,
    'net.ipv4.conf.lo.arp_announce': 2,
    'net.ipv4.tcp_rmem': '4096 131072 6291456',
    'net.ipv4.conf.h2v0/100.arp_ignore': 1,     # interface h2v0.100 (a dotted name, like a vlan)
}
PROC = {
    'net.ipv4.ip_forward': 'net/ipv4/ip_forward',
    'net.ipv4.conf.lo.arp_ignore': 'net/ipv4/conf/lo/arp_ignore',
    'net.ipv4.conf.lo.arp_announce': 'net/ipv4/conf/lo/arp_announce',
    'net.ipv4.tcp_rmem': 'net/ipv4/tcp_rmem',
    'net.ipv4.conf.h2v0/100.arp_ignore': 'net/ipv4/conf/h2v0.100/arp_ignore',
}
EXPECTED = {'net.ipv4.ip_forward': '1', 'net.ipv4.conf.lo.arp_ignore': '1', 'net.ipv4.conf.lo.arp_announce': '2',
            'net.ipv4.tcp_rmem': '4096 131072 6291456', 'net.ipv4.conf.h2v0/100.arp_ignore': '1'}


@pytest.fixture
def ns(netns):
    netns.ip('link', 'add', 'h2v0.100', 'type', 'veth', 'peer', 'name', 'h2v1')
    return netns


def host_values():
    values = {}
    for rel in PROC.values():
        path = '/proc/sys/' + rel
        if os.path.exists(path):
            with open(path) as handle:
                values[rel] = handle.read()
    return values


def body(path):
    with open(path) as handle:
        return [line for line in handle.read().splitlines() if not line.startswith('#')]


def live(ns):
    return dict((key, ns.read_sysctl(rel)) for key, rel in PROC.items())


def test_apply_idempotence_check_mode_and_key_removal(ns, tmp_path):
    host_before = host_values()
    path = str(tmp_path / 'sysctl.d' / '90-ecmp-lvs.conf')
    initial = live(ns)
    assert initial != EXPECTED

    rc, res = ns.module('sysctl_state', {'settings': SET, 'path': path}, diff=True)
    assert rc == 0, res
    assert res['changed'] is True and res['file_changed'] is True
    assert res['changed_keys'] == sorted(k for k in SET if initial[k] != EXPECTED[k])
    assert res['values'] == EXPECTED
    assert live(ns) == EXPECTED
    assert body(path) == ['%s = %s' % (k, EXPECTED[k]) for k in sorted(EXPECTED)]
    st = os.stat(path)
    assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o644, 0, 0)
    # --diff renders both the drop-in and the live values
    assert '+++ after: %s' % path in ns.stdout and '+++ after: live values (/proc/sys)' in ns.stdout
    assert '-net.ipv4.conf.lo.arp_ignore = 0' in ns.stdout
    assert '+net.ipv4.conf.lo.arp_ignore = 1' in ns.stdout

    # second run: nothing to do
    rc, res = ns.module('sysctl_state', {'settings': SET, 'path': path})
    assert (rc, res['changed'], res['changed_keys'], res['file_changed']) == (0, False, [], False)

    # check mode with a new value: reported, nothing changed
    content = open(path).read()
    changed = dict(SET, **{'net.ipv4.conf.lo.arp_ignore': 2})
    rc, res = ns.module('sysctl_state', {'settings': changed, 'path': path}, check=True, diff=True)
    assert rc == 0 and res['changed'] is True
    assert res['changed_keys'] == ['net.ipv4.conf.lo.arp_ignore'] and res['file_changed'] is True
    assert '+net.ipv4.conf.lo.arp_ignore = 2' in ns.stdout
    assert live(ns) == EXPECTED and open(path).read() == content

    # a key removed from the set disappears from the file (the live value is left alone)
    smaller = dict(SET)
    del smaller['net.ipv4.tcp_rmem']
    rc, res = ns.module('sysctl_state', {'settings': smaller, 'path': path})
    assert rc == 0 and res['changed'] is True and res['file_changed'] is True and res['changed_keys'] == []
    assert not [line for line in body(path) if 'tcp_rmem' in line]
    assert len(body(path)) == 4

    # state=absent without settings removes the drop-in
    rc, res = ns.module('sysctl_state', {'path': path, 'state': 'absent'})
    assert rc == 0 and res['changed'] is True and not os.path.exists(path)

    assert host_values() == host_before, 'the host must never be modified'


def test_readonly_proc_sys_fails_clearly_and_changes_nothing(ns, tmp_path):
    path = str(tmp_path / '90-ecmp-lvs.conf')
    rc, res = ns.module('sysctl_state', {'settings': {'net.ipv4.conf.lo.arp_ignore': 1}, 'path': path},
                        readonly_proc_sys=True)
    assert rc != 0
    for word in ('net.ipv4.conf.lo.arp_ignore', 'Read-only file system', 'SYS_ADMIN', '--sysctl', 'apply=false'):
        assert word in res['msg']
    assert not os.path.exists(path)
    assert ns.read_sysctl('net/ipv4/conf/lo/arp_ignore') == '0'
    # apply=false only persists, which works with a read-only /proc/sys
    rc, res = ns.module('sysctl_state', {'settings': {'net.ipv4.conf.lo.arp_ignore': 1}, 'path': path,
                                         'apply': False}, readonly_proc_sys=True)
    assert rc == 0 and res['file_changed'] is True and res['values'] == {'net.ipv4.conf.lo.arp_ignore': '0'}
    # a value that is already right needs no write, so it passes on a read-only /proc/sys too
    rc, res = ns.module('sysctl_state', {'settings': {'net.ipv4.conf.lo.arp_ignore': 0}, 'path': path},
                        readonly_proc_sys=True)
    assert rc == 0, res


def test_read_back_detects_a_value_the_kernel_did_not_take(ns, tmp_path):
    # the kernel accepts a partial vector and keeps the old third field
    rc, res = ns.module('sysctl_state', {'settings': {'net.ipv4.tcp_rmem': '4096 131072'},
                                         'path': str(tmp_path / 'x.conf')})
    assert rc != 0
    assert 'did not take net.ipv4.tcp_rmem' in res['msg']
    assert not os.path.exists(str(tmp_path / 'x.conf'))


def test_rejected_value_names_the_key(ns, tmp_path):
    rc, res = ns.module('sysctl_state', {'settings': {'net.ipv4.ip_local_port_range': '40000 30000'},
                                         'path': str(tmp_path / 'x.conf')})
    assert rc != 0
    assert 'net.ipv4.ip_local_port_range' in res['msg'] and 'Invalid argument' in res['msg']


def test_kernel_normalised_values_stay_idempotent(ns, tmp_path):
    args = {'settings': {'net.ipv4.conf.lo.arp_announce': '0x2'}, 'path': str(tmp_path / 'x.conf')}
    rc, res = ns.module('sysctl_state', args)
    assert rc == 0 and res['changed_keys'] == ['net.ipv4.conf.lo.arp_announce']
    assert res['values'] == {'net.ipv4.conf.lo.arp_announce': '2'}
    rc, res = ns.module('sysctl_state', args)
    assert rc == 0 and res['changed'] is False


def test_missing_interface(ns, tmp_path):
    path = str(tmp_path / 'x.conf')
    key = 'net.ipv4.conf.h2absent0.arp_ignore'
    rc, res = ns.module('sysctl_state', {'settings': {key: 1}, 'path': path})
    assert rc != 0 and key in res['msg'] and not os.path.exists(path)
    rc, res = ns.module('sysctl_state', {'settings': {key: 1, 'net.ipv4.conf.lo.arp_ignore': 1}, 'path': path,
                                         'ignore_missing': True})
    assert rc == 0 and res['missing_keys'] == [key] and res['changed_keys'] == ['net.ipv4.conf.lo.arp_ignore']
    assert '%s = 1' % key in body(path)
    # the interface appears: the persisted key now gets applied
    ns.ip('link', 'add', 'h2absent0', 'type', 'veth', 'peer', 'name', 'h2absent1')
    rc, res = ns.module('sysctl_state', {'settings': {key: 1, 'net.ipv4.conf.lo.arp_ignore': 1}, 'path': path,
                                         'ignore_missing': True})
    assert rc == 0 and res['missing_keys'] == [] and res['changed_keys'] == [key]
    assert ns.read_sysctl('net/ipv4/conf/h2absent0/arp_ignore') == '1'
