# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers and messages of ecmp.lvs.preflight on real captured output (tests/fixtures/preflight)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.ecmp.lvs.plugins.module_utils import preflight as pf

HERE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'preflight')


def fixture(name):
    with open(os.path.join(HERE, name)) as handle:
        return handle.read()


def test_zebra_version_of_debian_12():
    assert pf.parse_zebra_version(fixture('zebra-version-8.4.4.txt')) == '8.4.4'


@pytest.mark.parametrize('text', ['', "vtysh: unrecognized option '--version'\n", 'FRRouting 8.4.4 (host).\n'])
def test_zebra_version_absent(text):
    assert pf.parse_zebra_version(text) is None


@pytest.mark.parametrize('version,minimum,ok', [
    ('8.4.4', '8.2', True),
    ('8.2', '8.2', True),
    ('8.2.0', '8.2', True),
    ('8.1', '8.2', False),
    ('7.5.1', '8.2', False),
    ('10.0.1', '8.2', True),        # numeric, not lexical
    ('9.1-dev', '9.1', True),
    ('8.4.4-1.1~deb12u2', '8.4.5', False),
])
def test_version_at_least(version, minimum, ok):
    assert pf.version_at_least(version, minimum) is ok


def test_version_tuple_rejects_garbage():
    with pytest.raises(ValueError):
        pf.version_tuple('latest')


def test_ipvs_version():
    assert pf.parse_ipvs_version(fixture('proc-net-ip_vs.txt')) == '1.2.1'
    assert pf.parse_ipvs_version('') is None


def test_modprobe_inserted_lists_the_dependency_chain():
    assert pf.modprobe_inserted(fixture('modprobe-dry-run-ip_vs_mh.stdout')) == [
        'nf_defrag_ipv4', 'nf_defrag_ipv6', 'nf_conntrack', 'ip_vs', 'ip_vs_mh']
    assert pf.modprobe_inserted(fixture('modprobe-ip_vs_rr.stdout'))[-1] == 'ip_vs_rr'
    assert pf.modprobe_inserted(fixture('modprobe-ip_vs_rr-loaded.stdout')) == []
    assert pf.modprobe_inserted('insmod /lib/modules/6.12/kernel/net/netfilter/ipvs/ip_vs_mh.ko.xz \n') == ['ip_vs_mh']
    assert pf.modprobe_builtin('builtin ip_vs\n') == ['ip_vs']


def test_module_failure_message_quotes_modprobe_and_the_fix():
    msg = pf.msg_module_failed('ip_vs_bogus', fixture('modprobe-dry-run-bogus.stderr'))
    assert msg.startswith('kernel_modules: ip_vs_bogus cannot be loaded')
    assert 'Module ip_vs_bogus not found in directory /lib/modules/6.1.176' in msg
    assert 'CONFIG_IP_VS' in msg and 'modprobe ip_vs_bogus' in msg and 'director_require_ipvs: false' in msg


@pytest.mark.parametrize('key,iface', [
    ('net.ipv4.conf.eth1.arp_ignore', 'eth1'),
    ('net.ipv4.conf.eth0/100.rp_filter', 'eth0.100'),
    ('net.ipv6.conf.bond0.accept_ra', 'bond0'),
    ('net.ipv4.neigh.eth2.gc_stale_time', 'eth2'),
    ('net.ipv4.conf.all.arp_ignore', None),
    ('net.ipv4.conf.default.rp_filter', None),
    ('net.ipv4.ip_forward', None),
    ('net.ipv4.vs.sloppy_tcp', None),
])
def test_sysctl_interface(key, iface):
    assert pf.sysctl_interface(key) == iface


def test_interface_sources_merges_and_drops_pseudo_interfaces():
    spec = {'realserver_arp_interfaces': ['all', 'lo', 'eth1'], 'realserver_fabric_interface': 'eth1',
            'realserver_rp_filter_interfaces': [], 'other': None}
    assert pf.interface_sources(spec) == {'lo': ['realserver_arp_interfaces'],
                                          'eth1': ['realserver_arp_interfaces', 'realserver_fabric_interface']}


def test_readonly_message_is_actionable():
    msg = pf.msg_sysctls_readonly([('net.ipv4.conf.eth1.arp_ignore', '0', '1'),
                                   ('net.ipv4.tcp_rmem', '4096 131072 6291456', '4096 87380 6291456')], True)
    assert msg.startswith('sysctls: cannot set net.ipv4.conf.eth1.arp_ignore (is 0, needs 1)')
    assert 'read-only (Read-only file system)' in msg
    assert '--sysctl net.ipv4.conf.eth1.arp_ignore=1' in msg
    assert '--sysctl "net.ipv4.tcp_rmem=4096 87380 6291456"' in msg
    assert 'CAP_SYS_ADMIN' in msg and '--privileged' in msg and 'on the host' in msg


def test_frr_messages():
    msg = pf.msg_frr_too_old('8.1', '8.2', '/usr/lib/frr/zebra')
    assert msg.startswith('frr: FRR 8.1 is too old') and '>= 8.2' in msg and 'exit' in msg
    assert 'router_frr_min_version' in msg
    assert 'frr-pythontools' in pf.msg_frr_part_missing('frr-reload.py', 'frr-pythontools')
    assert '/usr/lib/frr' in pf.msg_frr_missing(pf.FRR_DIRS)


def test_interface_message_names_value_source_and_alternatives():
    msg = pf.msg_interface_missing('eth9', ['director_arp_interfaces'], {'lo', 'eth0', 'eth1'})
    assert msg == ('interfaces: eth9 (named by director_arp_interfaces) does not exist on this host (interfaces: '
                   'eth0, eth1, lo). Fix: correct director_arp_interfaces in the inventory (names as `ip link` '
                   'prints them), or create the interface before the play.')


def test_render_failures_prefixes_the_host_on_every_line():
    text = pf.render_failures('director1', ['frr: a', 'ipvs: b'], ['ip_vs'])
    assert text.splitlines() == [
        'preflight failed on director1 (2 problems, kernel modules loaded: ip_vs; nothing else was changed):',
        '- director1: frr: a', '- director1: ipvs: b']
    assert 'nothing was changed' in pf.render_failures('rs1', ['x'])


FRR_OSPF_AUTH = '''! Ansible managed
frr defaults traditional
hostname router1
interface eth1
 ip ospf hello-interval 1
 ip ospf authentication message-digest
 ip ospf message-digest-key 7 md5 Os9fK3yM4rk7
exit
'''
FRR_BGP_PASSWORD = '''router bgp 65000
 neighbor DIRECTORS peer-group
 neighbor DIRECTORS password Bgp9wM4rk-5tQz
exit
'''


@pytest.mark.parametrize('text,secret', [
    (FRR_OSPF_AUTH, True),
    (FRR_BGP_PASSWORD, True),
    (' ip ospf authentication-key s3cr3t\n', True),
    (FRR_OSPF_AUTH.replace(' ip ospf message-digest-key 7 md5 Os9fK3yM4rk7\n', ''), False),
    ('! a comment about the password\nhostname x\n', False),
    ('', False),
])
def test_config_has_secrets(text, secret):
    assert pf.config_has_secrets(text) is secret


# --- platform: os-release of the supported releases (captured: Debian 12 host, Debian 13 lab image) -----------

def _without(text, *keys):
    return ''.join(line + '\n' for line in text.splitlines() if line.split('=', 1)[0] not in keys)


def test_os_release_of_debian_12_and_13():
    bookworm = pf.parse_os_release(fixture('os-release-debian-12.txt'))
    assert (bookworm['ID'], bookworm['VERSION_ID'], bookworm['VERSION_CODENAME']) == ('debian', '12', 'bookworm')
    assert pf.platform_of(bookworm) == ('debian-12', 'Debian GNU/Linux 12 (bookworm)')
    trixie = pf.parse_os_release(fixture('os-release-debian-13.txt'))
    assert trixie['DEBIAN_VERSION_FULL'].startswith('13.')
    assert pf.platform_of(trixie) == ('debian-13', 'Debian GNU/Linux 13 (trixie)')
    assert pf.check_platform(bookworm) is None and pf.check_platform(trixie) is None


def test_os_release_quoting():
    fields = pf.parse_os_release('# comment\nNAME="A \\"quoted\\" \\$name"\nID=\'x\'\nbroken line\nVERSION_ID=1.2\n')
    assert fields == {'NAME': 'A "quoted" $name', 'ID': 'x', 'VERSION_ID': '1.2'}


@pytest.mark.parametrize('text,found', [
    # Debian 11: the Debian 12 file with the release of Debian 11
    (fixture('os-release-debian-12.txt').replace('12', '11').replace('bookworm', 'bullseye'),
     'platform: Debian GNU/Linux 11 (bullseye) (os-release ID=debian VERSION_ID=11) is not supported.'),
    # Debian 14 (forky) is not supported before it is tested
    (fixture('os-release-debian-13.txt').replace('13', '14').replace('trixie', 'forky'),
     'platform: Debian GNU/Linux 14 (forky) (os-release ID=debian VERSION_ID=14) is not supported.'),
    # testing / unstable: no VERSION_ID
    (_without(fixture('os-release-debian-13.txt'), 'VERSION_ID', 'VERSION', 'DEBIAN_VERSION_FULL').replace(
        'Debian GNU/Linux 13 (trixie)', 'Debian GNU/Linux trixie/sid'),
     'platform: Debian GNU/Linux trixie/sid has no VERSION_ID: a Debian testing or unstable system (codename '
     'trixie), not a release.'),
    ('PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\nID=ubuntu\n'
     'ID_LIKE=debian\n',
     'platform: Ubuntu 24.04.1 LTS (os-release ID=ubuntu VERSION_ID=24.04) is not supported.'),
])
def test_other_platforms_are_refused_by_name(text, found):
    msg = pf.check_platform(pf.parse_os_release(text))
    assert msg.startswith(found)
    assert msg.endswith('The ecmp.lvs roles support Debian 12 (bookworm) and Debian 13 (trixie) only (their '
                        'packages, FRR and keepalived versions and templates are tested there). Fix: run the role '
                        'on Debian 12 (bookworm) or Debian 13 (trixie).')


def test_platform_list_is_a_parameter():
    trixie = pf.parse_os_release(fixture('os-release-debian-13.txt'))
    assert 'support Debian 12 (bookworm) only' in pf.check_platform(trixie, ('debian-12',))
    assert pf.check_platform(pf.parse_os_release('ID=ubuntu\nVERSION_ID="24.04"\n'), ('ubuntu-24',)) is None


def test_enabled_daemons_of_the_debian_package_default_and_an_owners_file():
    """router_frr_config: shared only reads /etc/frr/daemons: the package's own file enables no routing daemon."""
    default = fixture('frr-daemons-debian12-default')
    assert pf.enabled_daemons(default) == set()
    owner = default.replace('ospfd=no', 'ospfd=yes').replace('bfdd=no', 'bfdd="yes"')
    assert pf.enabled_daemons(owner) == {'ospfd', 'bfdd'}
    # options lines and comments never count as daemons
    assert pf.enabled_daemons('# bgpd=yes\nbgpd_options="  -A 127.0.0.1"\nvtysh_enable=yes\n') == set()


def test_bgp_instances_of_an_frr_conf():
    text = 'router bgp 65000\n bgp router-id 1.1.1.1\nexit\nrouter bgp 65010 vrf blue\nexit\n!\n router bgp 1\n'
    assert pf.bgp_instances(text) == {'65000'}
    assert pf.bgp_instances('router ospf\nexit\n') == set()


def test_shared_frr_messages_name_the_public_variables():
    msg = pf.msg_frr_daemons_disabled(['ospfd', 'bfdd'], '/etc/frr/daemons')
    assert 'ospfd=yes, bfdd=yes' in msg and 'router_frr_config' in msg
    msg = pf.msg_frr_bgp_asn({'64512'}, 65000, '/etc/frr/frr.conf')
    assert 'AS 64512' in msg and 'lvs_bgp_router_asn: 64512' in msg
