# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp.lvs.sysctl_state main() for the drop-in handling.

These tests never write to /proc/sys (apply=false, or keys that do not exist): live values are
exercised for real in tests/integration_host inside throwaway network namespaces.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.ecmp.lvs.plugins.modules import sysctl_state
from ansible_collections.ecmp.lvs.tests.unit.plugins.modules.utils import Exit, Fail, run_module


@pytest.fixture
def run(monkeypatch):
    def runner(args, check_mode=False, diff=False):
        return run_module(monkeypatch, sysctl_state, args, check_mode=check_mode, diff=diff)
    return runner


def read(path):
    with open(path) as handle:
        return handle.read()


SETTINGS = {'net.ipv4.ip_forward': True, 'net.ipv4.conf.lo.arp_ignore': 1,
            'net.ipv4.tcp_rmem': '4096 131072 6291456'}


def test_writes_drop_in_then_idempotent(run, tmp_path):
    path = str(tmp_path / 'sysctl.d' / '90-test.conf')
    kind, result = run({'settings': SETTINGS, 'path': path, 'apply': False})
    assert kind is Exit, result
    assert result['changed'] is True and result['file_changed'] is True
    assert result['changed_keys'] == []
    assert read(path).splitlines()[2:] == ['net.ipv4.conf.lo.arp_ignore = 1', 'net.ipv4.ip_forward = 1',
                                           'net.ipv4.tcp_rmem = 4096 131072 6291456']
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    # live values are reported even with apply=false (they exist on every Linux host)
    assert set(result['values']) == set(SETTINGS)
    kind, result = run({'settings': SETTINGS, 'path': path, 'apply': False})
    assert (kind, result['changed'], result['file_changed']) == (Exit, False, False)
    assert not [f for f in os.listdir(str(tmp_path / 'sysctl.d')) if f != '90-test.conf']  # no temp files left


def test_check_mode_reports_but_writes_nothing(run, tmp_path):
    path = str(tmp_path / '90-test.conf')
    kind, result = run({'settings': SETTINGS, 'path': path, 'apply': False}, check_mode=True, diff=True)
    assert kind is Exit
    assert result['changed'] is True and result['file_changed'] is True
    assert not os.path.exists(path)
    file_diff, live_diff = result['diff']
    assert file_diff['before'] == '' and 'net.ipv4.ip_forward = 1' in file_diff['after']
    assert file_diff['before_header'] == path
    assert live_diff['before'] == live_diff['after']        # apply=false: live values untouched


def test_removed_key_disappears_from_file(run, tmp_path):
    path = str(tmp_path / '90-test.conf')
    run({'settings': SETTINGS, 'path': path, 'apply': False})
    smaller = dict(SETTINGS)
    del smaller['net.ipv4.tcp_rmem']
    kind, result = run({'settings': smaller, 'path': path, 'apply': False}, diff=True)
    assert result['file_changed'] is True
    assert 'tcp_rmem' not in read(path)
    assert 'net.ipv4.tcp_rmem' in result['diff'][0]['before']
    assert 'net.ipv4.tcp_rmem' not in result['diff'][0]['after']


def test_hand_edits_and_wrong_mode_are_repaired(run, tmp_path):
    path = str(tmp_path / '90-test.conf')
    run({'settings': SETTINGS, 'path': path, 'apply': False})
    os.chmod(path, 0o600)
    kind, result = run({'settings': SETTINGS, 'path': path, 'apply': False})
    assert result['file_changed'] is True
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    with open(path, 'a') as handle:
        handle.write('net.ipv4.conf.all.rp_filter = 2\n')
    kind, result = run({'settings': SETTINGS, 'path': path, 'apply': False})
    assert result['file_changed'] is True
    assert 'rp_filter' not in read(path)


def test_state_absent(run, tmp_path):
    path = str(tmp_path / '90-test.conf')
    run({'settings': SETTINGS, 'path': path, 'apply': False})
    kind, result = run({'settings': {'net.ipv4.ip_forward': None}, 'path': path, 'state': 'absent'})
    assert kind is Exit and result['file_changed'] is True and result['changed_keys'] == []
    assert 'ip_forward' not in read(path) and 'arp_ignore' in read(path)
    kind, result = run({'settings': {'net.ipv4.ip_forward': None}, 'path': path, 'state': 'absent'})
    assert result['changed'] is False
    kind, result = run({'path': path, 'state': 'absent'}, check_mode=True)
    assert result['changed'] is True and os.path.exists(path)
    kind, result = run({'path': path, 'state': 'absent'})
    assert result['changed'] is True and not os.path.exists(path)
    kind, result = run({'path': path, 'state': 'absent'})
    assert result['changed'] is False


def test_absent_removing_the_last_keys_removes_the_file(run, tmp_path):
    path = str(tmp_path / '90-test.conf')
    run({'settings': {'net.ipv4.ip_forward': 1}, 'path': path, 'apply': False})
    kind, result = run({'settings': {'net/ipv4/ip_forward': 1}, 'path': path, 'state': 'absent'})
    assert result['file_changed'] is True and not os.path.exists(path)


def test_missing_key_fails_naming_it(run, tmp_path):
    path = str(tmp_path / '90-test.conf')
    key = 'net.ipv4.conf.h2nosuchif0.arp_ignore'
    kind, result = run({'settings': {key: 1}, 'path': path})
    assert kind is Fail
    assert key in result['msg'] and 'ignore_missing' in result['msg']
    assert not os.path.exists(path)


def test_missing_key_ignored_is_only_persisted(run, tmp_path):
    path = str(tmp_path / '90-test.conf')
    key = 'net.ipv4.conf.h2nosuchif0/100.arp_ignore'
    kind, result = run({'settings': {key: 1}, 'path': path, 'ignore_missing': True})
    assert kind is Exit
    assert result['missing_keys'] == [key] and result['changed_keys'] == []
    assert result['values'] == {}
    assert any(key in w for w in result['warnings'])
    assert key + ' = 1' in read(path)


@pytest.mark.parametrize('settings,match', [
    ({'net.ipv4.ip_forward': 1, 'net/ipv4/ip_forward': 1}, 'given twice'),
    ({'net..ipv4': 1}, 'invalid sysctl key'),
    ({'net.ipv4.ip_forward': 1.5}, 'float'),
])
def test_invalid_settings(run, tmp_path, settings, match):
    kind, result = run({'settings': settings, 'path': str(tmp_path / 'x.conf'), 'apply': False})
    assert kind is Fail and match in result['msg']
