# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for module_utils/sysctl.py, fed with real data captured by tools/capture/sysctl.sh."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

import pytest

from ansible_collections.ecmp.lvs.plugins.module_utils import sysctl

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'fixtures', 'sysctl')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def lines(name):
    return [line for line in fixture(name).splitlines() if line]


# --- key naming, checked against what sysctl(8) and /proc/sys really show ---------------------------

def test_every_sysctl_name_maps_to_its_proc_path():
    names = lines('sysctl_names_conf.txt')
    paths = set(lines('proc_paths_conf.txt'))
    assert 'net.ipv4.conf.ve0/100.arp_ignore' in names      # veth named ve0.100
    assert 'net.ipv4.conf.br-x/1.arp_ignore' in names       # bridge named br-x.1
    for name in names:
        assert sysctl.key_to_relpath(name) in paths, name
        assert sysctl.normalize_key(name) == name


def test_every_proc_path_maps_back_to_the_sysctl_name():
    names = set(lines('sysctl_names_conf.txt'))
    for path in lines('proc_paths_conf.txt'):
        key = sysctl.normalize_key(path)               # path form is accepted
        assert sysctl.key_to_relpath(key) == path
        # sysctl -a hides the deprecated neigh keys (superseded by *_ms); all others match
        if path.rsplit('/', 1)[1] not in ('base_reachable_time', 'retrans_time'):
            assert key in names, path


@pytest.mark.parametrize('given,canonical,relpath', [
    ('net.ipv4.conf.eth0/100.arp_ignore', 'net.ipv4.conf.eth0/100.arp_ignore', 'net/ipv4/conf/eth0.100/arp_ignore'),
    ('net/ipv4/conf/eth0.100/arp_ignore', 'net.ipv4.conf.eth0/100.arp_ignore', 'net/ipv4/conf/eth0.100/arp_ignore'),
    ('/net/ipv4/ip_forward', 'net.ipv4.ip_forward', 'net/ipv4/ip_forward'),
    ('  net.ipv4.ip_forward ', 'net.ipv4.ip_forward', 'net/ipv4/ip_forward'),
])
def test_key_forms(given, canonical, relpath):
    assert sysctl.normalize_key(given) == canonical
    assert sysctl.key_to_relpath(given) == relpath
    assert sysctl.key_to_path(given) == '/proc/sys/' + relpath


@pytest.mark.parametrize('bad', ['', 'net..ipv4', 'net.ipv4.', 'net/../kernel/x', 'net.ipv4.conf.//.x',
                                 'net.ipv4 .x', 'a=b', 'net.ipv4#x', 'net\\ipv4'])
def test_bad_keys(bad):
    with pytest.raises(sysctl.SysctlError):
        sysctl.normalize_key(bad)


# --- values ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value,text', [
    (True, '1'), (False, '0'), (0, '0'), (65536, '65536'), ('1', '1'),
    ('4096  131072\t6291456', '4096 131072 6291456'), ([32768, 60999], '32768 60999'),
])
def test_format_value(value, text):
    assert sysctl.format_value(value) == text


@pytest.mark.parametrize('bad', [1.5, None, 'a\nb'])
def test_bad_values(bad):
    with pytest.raises(sysctl.SysctlError):
        sysctl.format_value(bad)


def test_raw_kernel_reads_compare_with_space_separated_values():
    rmem = fixture('raw_tcp_rmem')
    assert '\t' in rmem and rmem.endswith('\n')
    assert sysctl.normalize_live(rmem) == ' '.join(rmem.split())
    assert sysctl.values_equal(rmem, sysctl.normalize_live(rmem))
    assert sysctl.values_equal(fixture('raw_ip_local_port_range'), '32768 60999')
    assert sysctl.values_equal(fixture('raw_arp_ignore'), 0)


def test_kernel_normalisations_seen_on_this_kernel():
    behaviour = fixture('kernel_behaviour.txt').splitlines()
    # hex written, decimal read back: still the value we asked for
    hex_read = behaviour[behaviour.index('# hex is accepted by integer sysctls and read back as decimal') + 1]
    assert sysctl.values_equal(hex_read, '0x2')
    # a partial vector is silently accepted: the read-back must NOT be considered equal
    partial = behaviour[behaviour.index('# a partial vector is accepted silently: only the first fields change') + 1]
    assert not sysctl.values_equal(partial, '4096 131072')


def test_values_equal():
    assert sysctl.values_equal('01', '1')
    assert not sysctl.values_equal('1', '2')
    assert not sysctl.values_equal('1 2', '1')
    assert sysctl.values_equal('reno', 'reno')
    assert not sysctl.values_equal('cubic', 'reno')


def test_normalize_settings_rejects_the_same_key_twice():
    assert sysctl.normalize_settings({'net/ipv4/ip_forward': True}) == {'net.ipv4.ip_forward': '1'}
    with pytest.raises(sysctl.SysctlError, match='given twice'):
        sysctl.normalize_settings({'net.ipv4.ip_forward': 1, 'net/ipv4/ip_forward': 1})
    with pytest.raises(sysctl.SysctlError, match='net.ipv4.ip_forward'):
        sysctl.normalize_settings({'net.ipv4.ip_forward': 1.0})


# --- the drop-in -----------------------------------------------------------------------------------------------

def test_render_is_sorted_deterministic_and_parses_back():
    settings = {'net.ipv4.ip_forward': '1', 'net.ipv4.conf.eth0/100.arp_ignore': '1',
                'net.ipv4.conf.all.arp_announce': '2'}
    text = sysctl.render_file(settings)
    assert text == sysctl.render_file(dict(reversed(list(settings.items()))))
    assert text.splitlines()[0].startswith('# Managed by ecmp.lvs.sysctl_state')
    body = [line for line in text.splitlines() if not line.startswith('#')]
    assert body == ['net.ipv4.conf.all.arp_announce = 2', 'net.ipv4.conf.eth0/100.arp_ignore = 1',
                    'net.ipv4.ip_forward = 1']
    assert sysctl.parse_file(text) == settings


def test_parse_real_distribution_files():
    # Debian's /etc/sysctl.conf only holds commented examples
    assert '#net.ipv4.ip_forward=1' in fixture('debian_sysctl.conf')
    assert sysctl.parse_file(fixture('debian_sysctl.conf')) == {}
    assert sysctl.parse_file(fixture('usr_lib_sysctl.d_50-pid-max.conf')) == {'kernel.pid_max': '4194304'}
    protect = sysctl.parse_file(fixture('usr_lib_sysctl.d_99-protect-links.conf'))
    assert protect and all(re.match(r'^fs\.', k) for k in protect)


def test_parse_handles_sysctl_d_syntax():
    text = '; comment\n-net.ipv4.conf.eth9.rp_filter = 2\nnet/ipv4/ip_forward=1\nnot a line\nnet.ipv4.ip_forward = 0\n'
    assert sysctl.parse_file(text) == {'net.ipv4.conf.eth9.rp_filter': '2', 'net.ipv4.ip_forward': '0'}


def test_find_overrides():
    own = '/etc/sysctl.d/90-ecmp-lvs.conf'
    settings = {'net.ipv4.ip_forward': '1', 'kernel.pid_max': '4194304'}
    files = {
        '/etc/sysctl.d/80-early.conf': 'net.ipv4.ip_forward = 0\n',            # applied before: harmless
        '/etc/sysctl.d/95-late.conf': 'net.ipv4.ip_forward = 0\n',             # applied after: wins
        '/usr/lib/sysctl.d/99-same.conf': 'net.ipv4.ip_forward = 1\n',         # same value: fine
        '/usr/lib/sysctl.d/50-pid-max.conf': fixture('usr_lib_sysctl.d_50-pid-max.conf'),
        '/etc/sysctl.conf': 'net.ipv4.ip_forward=0\n',                         # applied last
    }
    assert sysctl.find_overrides(own, settings, files) == [
        ('/etc/sysctl.conf', 'net.ipv4.ip_forward', '0'),
        ('/etc/sysctl.d/95-late.conf', 'net.ipv4.ip_forward', '0'),
    ]
    assert sysctl.find_overrides('/tmp/x/90-test.conf', settings, files) == []


# --- messages ----------------------------------------------------------------------------------------------------

def test_readonly_message_matches_the_real_error():
    captured = fixture('readonly_proc_sys.txt')
    assert 'errno=30 (EROFS): Read-only file system' in captured
    msg = sysctl.readonly_message('net.ipv4.conf.lo.arp_ignore', '/proc/sys/net/ipv4/conf/lo/arp_ignore',
                                  'Read-only file system')
    for word in ('net.ipv4.conf.lo.arp_ignore', 'SYS_ADMIN', '/proc/sys/net', '--sysctl', 'apply=false'):
        assert word in msg


def test_missing_message_hints_at_dotted_interface_names():
    msg = sysctl.missing_message('net.ipv4.conf.eth0.100.arp_ignore', '/proc/sys/net/ipv4/conf/eth0/100/arp_ignore')
    assert 'net.ipv4.conf.eth0.100.arp_ignore' in msg and 'eth0/100' in msg and 'ignore_missing' in msg
    assert 'interface' not in sysctl.missing_message('kernel.nope', '/proc/sys/kernel/nope')
