# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp.lvs.preflight main() against a file tree laid out like /proc, /sys and FRR's sbindir, with the
commands answering their real captured output (tests/fixtures/preflight).

What needs the real kernel (a read-only /proc/sys, modprobe failing, missing interfaces) runs for real in
tests/integration_host/test_host_preflight.py; the loading of modules on an IPVS kernel in the UML lab.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible.module_utils import basic
from ansible_collections.ecmp.lvs.plugins.modules import preflight
from ansible_collections.ecmp.lvs.tests.unit.plugins.modules.utils import Exit, Fail, run_module

FIX = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'preflight')
IPVS_SYSCTLS = os.path.join(FIX, '..', 'ipvsadm', 'proc-sys-net-ipv4-vs')


def fixture(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


class Host(object):
    """A fake root: /proc/sys, /proc/net/ip_vs, /sys/module, /sys/class/net, FRR binaries; commands log."""

    def __init__(self, root, monkeypatch):
        self.root = root
        self.calls = []
        self.modprobe = {}        # module -> (rc, stdout, stderr) of a real load
        self.loads_ipvs = False   # a successful real modprobe creates /proc/net/ip_vs
        for attr, rel in (('PROC_SYS', 'proc/sys'), ('PROC_NET_IPVS', 'proc/net/ip_vs'),
                          ('SYS_MODULE', 'sys/module'), ('SYS_CLASS_NET', 'sys/class/net')):
            monkeypatch.setattr(preflight, attr, str(root / rel))
        # a Debian 12 host unless a test says otherwise (captured os-release)
        monkeypatch.setattr(preflight, 'OS_RELEASE_PATHS', (os.path.join(FIX, 'os-release-debian-12.txt'),))
        (root / 'sys' / 'module').mkdir(parents=True)
        (root / 'sys' / 'class' / 'net').mkdir(parents=True)
        (root / 'proc' / 'net').mkdir(parents=True)
        self.frr_dir = root / 'usr' / 'lib' / 'frr'
        monkeypatch.setattr(preflight, 'FRR_DIRS', (str(self.frr_dir), str(root / 'usr' / 'libexec' / 'frr')))
        self.bins = {'modprobe': '/usr/sbin/modprobe', 'vtysh': '/usr/bin/vtysh'}
        self.zebra_output = fixture('zebra-version-8.4.4.txt')
        monkeypatch.setattr(basic.AnsibleModule, 'run_command', lambda module, argv, **kw: self.run(argv))
        monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path',
                            lambda module, name, required=False, opt_dirs=None: self.bins.get(name))

    def interfaces(self, *names):
        for name in names:
            (self.root / 'sys' / 'class' / 'net' / name).mkdir()

    def sysctl(self, relpath, value):
        path = self.root / 'proc' / 'sys' / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('%s\n' % value)

    def frr(self, zebra=True, reload_script=True):
        self.frr_dir.mkdir(parents=True)
        if zebra:
            (self.frr_dir / 'zebra').write_text('')
        if reload_script:
            (self.frr_dir / 'frr-reload.py').write_text('')

    def loaded(self, *names):
        for name in names:
            (self.root / 'sys' / 'module' / name).mkdir()
        if 'ip_vs' in names:
            # what the kernel adds with ip_vs: /proc/net/ip_vs and net.ipv4.vs.* (real values, fixtures/ipvsadm)
            (self.root / 'proc' / 'net' / 'ip_vs').write_text(fixture('proc-net-ip_vs.txt'))
            for key in os.listdir(IPVS_SYSCTLS):
                with open(os.path.join(IPVS_SYSCTLS, key)) as handle:
                    self.sysctl('net/ipv4/vs/' + key, handle.read().strip())

    def run(self, argv):
        self.calls.append(list(argv))
        if argv[0].endswith('/zebra'):
            return 0, self.zebra_output, ''
        assert argv[0] == '/usr/sbin/modprobe', argv
        name = argv[-1]
        if '--dry-run' in argv:
            if name in self.modprobe:
                rc, out, err = self.modprobe[name]
                return rc, out, err
            return 0, '', ''
        rc, out, err = self.modprobe.get(name, (0, '', ''))
        if rc == 0 and out:
            self.loaded(*sorted(set(n for n in ('ip_vs', name) if not (self.root / 'sys' / 'module' / n).exists())))
        return rc, out, err


@pytest.fixture
def host(tmp_path, monkeypatch):
    return Host(tmp_path, monkeypatch)


@pytest.fixture
def run(monkeypatch):
    def runner(args, check_mode=False):
        return run_module(monkeypatch, preflight, args, check_mode=check_mode)
    return runner


DIRECTOR = {'name': 'director1', 'ipvs': True, 'kernel_modules': ['ip_vs', 'ip_vs_mh'], 'frr': True,
            'sysctls': {'net.ipv4.conf.eth1.arp_ignore': 1, 'net.ipv4.conf.eth1.rp_filter': 2,
                        'net.ipv4.vs.sloppy_tcp': 1},
            'interfaces': {'director_fabric_interface': 'eth1', 'director_arp_interfaces': ['eth1']}}


def bare_director(host):
    host.interfaces('lo', 'eth0', 'eth1')
    host.sysctl('net/ipv4/conf/eth1/arp_ignore', 0)
    host.sysctl('net/ipv4/conf/eth1/rp_filter', 2)
    host.frr()
    host.modprobe['ip_vs'] = (0, fixture('modprobe-dry-run-ip_vs_mh.stdout').replace(
        'insmod /lib/modules/6.1.176/kernel/net/netfilter/ipvs/ip_vs_mh.ko \n', ''), '')
    host.modprobe['ip_vs_mh'] = (0, 'insmod /lib/modules/6.1.176/kernel/net/netfilter/ipvs/ip_vs_mh.ko \n', '')
    host.modprobe['ip_vs_rr'] = (0, fixture('modprobe-ip_vs_rr.stdout'), '')


def test_bare_director_loads_the_modules_and_passes(host, run):
    bare_director(host)
    kind, res = run(DIRECTOR)
    assert kind is Exit, res
    assert res['changed'] is True
    assert res['kernel_modules'] == {'ip_vs': 'loaded', 'ip_vs_mh': 'loaded'}
    assert res['ipvs'] == {'present': True, 'version': '1.2.1'}
    assert res['frr']['version'] == '8.4.4' and res['frr']['reload_script'].endswith('/usr/lib/frr/frr-reload.py')
    # net.ipv4.vs.* appeared with ip_vs (sloppy_tcp is 0 by default)
    assert res['sysctls'] == {'net.ipv4.conf.eth1.arp_ignore': 'writable', 'net.ipv4.conf.eth1.rp_filter': 'ok',
                              'net.ipv4.vs.sloppy_tcp': 'writable'}
    assert res['interfaces'] == {'eth1': True}
    assert res['failures'] == []
    assert ['/usr/sbin/modprobe', '--verbose', 'ip_vs'] in host.calls


def test_check_mode_only_dry_runs(host, run):
    bare_director(host)
    kind, res = run(DIRECTOR, check_mode=True)
    assert kind is Exit, res
    assert res['changed'] is True
    assert res['kernel_modules'] == {'ip_vs': 'would load', 'ip_vs_mh': 'would load'}
    assert res['sysctls']['net.ipv4.vs.sloppy_tcp'] == 'after ip_vs'
    assert all('--dry-run' in call for call in host.calls if call[0].endswith('modprobe'))
    assert not os.listdir(preflight.SYS_MODULE) and not os.path.exists(preflight.PROC_NET_IPVS)


def test_converged_director_is_unchanged(host, run):
    bare_director(host)
    host.loaded('ip_vs', 'ip_vs_mh')
    host.sysctl('net/ipv4/vs/sloppy_tcp', 1)  # after the kernel's 0
    host.sysctl('net/ipv4/conf/eth1/arp_ignore', 1)
    kind, res = run(DIRECTOR)
    assert kind is Exit and res['changed'] is False
    assert not [call for call in host.calls if call[0].endswith('modprobe')]
    assert set(res['sysctls'].values()) == {'ok'}


def test_every_problem_at_once(host, run):
    host.interfaces('lo', 'eth0')
    host.frr(reload_script=False)
    host.zebra_output = fixture('zebra-version-8.4.4.txt').replace('8.4.4', '8.1')
    host.modprobe['ip_vs'] = (1, '', fixture('modprobe-dry-run-bogus.stderr').replace('ip_vs_bogus', 'ip_vs'))
    host.modprobe['ip_vs_mh'] = (1, '', fixture('modprobe-dry-run-bogus.stderr').replace('ip_vs_bogus', 'ip_vs_mh'))
    kind, res = run(dict(DIRECTOR, sysctls={'net.ipv4.conf.eth1.arp_ignore': 1, 'net.ipv4.conf.eth7.rp_filter': 2,
                                            'net.ipv4.vs.sloppy_tcp': 1, 'net.ipv4.no_such_key': 1}))
    assert kind is Fail
    lines = res['msg'].splitlines()
    assert lines[0] == 'preflight failed on director1 (7 problems, nothing was changed):'
    assert lines[1].startswith('- director1: kernel_modules: ip_vs cannot be loaded (modprobe: FATAL: '
                               'Module ip_vs not found in directory /lib/modules/6.1.176)')
    assert lines[2].startswith('- director1: kernel_modules: ip_vs_mh cannot be loaded')
    assert lines[3].startswith('- director1: frr: FRR 8.1 is too old')
    assert lines[4].startswith('- director1: frr: frr-reload.py (used by systemctl reload frr) is missing')
    assert lines[5].startswith('- director1: interfaces: eth1 (named by director_arp_interfaces, '
                               'director_fabric_interface) does not exist')
    assert lines[6].startswith('- director1: interfaces: eth7 (named by sysctl net.ipv4.conf.eth7.rp_filter)')
    assert lines[7].startswith('- director1: sysctls: net.ipv4.no_such_key does not exist')
    assert len(lines) == 8  # no second message for the missing IPVS, nor for net.ipv4.vs.sloppy_tcp
    assert res['changed'] is False and res['kernel_modules'] == {'ip_vs': 'failed', 'ip_vs_mh': 'failed'}


def test_no_modprobe_and_no_ipvs(host, run):
    host.interfaces('lo', 'eth1')
    host.bins.pop('modprobe')
    kind, res = run({'name': 'd', 'ipvs': True, 'kernel_modules': ['ip_vs']})
    assert kind is Fail
    assert [f.split(':')[0] for f in res['failures']] == ['kernel_modules', 'ipvs']
    assert 'apt-get install kmod' in res['failures'][0] and '/proc/net/ip_vs is missing' in res['failures'][1]


def test_frr_missing_and_vtysh_missing(host, run):
    host.bins.pop('vtysh')
    kind, res = run({'frr': True})
    assert kind is Fail and len(res['failures']) == 1 and 'FRR is not installed' in res['failures'][0]
    host.frr()
    kind, res = run({'frr': True})
    assert kind is Fail and res['failures'] == [
        'frr: vtysh (validates frr.conf) is missing, the roles validate and reload frr.conf with it. Fix: install '
        'the package frr (same version as frr).']
    host.bins['vtysh'] = '/usr/bin/vtysh'
    kind, res = run({'frr': True, 'frr_min_version': '8.5'})
    assert kind is Fail and 'FRR 8.4.4 is too old' in res['msg']
    kind, res = run({'frr': True, 'frr_min_version': 'eight'})
    assert kind is Fail and 'not a version' in res['msg']


def test_nothing_asked_nothing_checked(host, run):
    kind, res = run({'frr_config': ''})  # null is refused by ansible-core < 2.19 (a path with a default)
    assert kind is Exit and res['changed'] is False and res['failures'] == [] and host.calls == []


def test_reports_secrets_in_frr_config(host, run, tmp_path):
    conf = tmp_path / 'frr.conf'
    conf.write_text('interface eth1\n ip ospf message-digest-key 1 md5 k3y\nexit\n')
    kind, res = run({'frr_config': str(conf)})
    assert kind is Exit and res['frr']['config_has_secrets'] is True
    conf.write_text('interface eth1\n ip ospf cost 10\nexit\n')
    kind, res = run({'frr_config': str(conf)})
    assert kind is Exit and res['frr']['config_has_secrets'] is False
    kind, res = run({'frr_config': str(tmp_path / 'absent.conf')})
    assert kind is Exit and res['frr']['config_has_secrets'] is False


@pytest.mark.parametrize('release,codename', [('12', 'bookworm'), ('13', 'trixie')])
def test_debian_12_and_13_pass(host, run, monkeypatch, release, codename):
    paths = ('/nonexistent/os-release', os.path.join(FIX, 'os-release-debian-%s.txt' % release))
    monkeypatch.setattr(preflight, 'OS_RELEASE_PATHS', paths)
    kind, res = run({'frr_config': ''})
    assert kind is Exit and res['failures'] == []
    assert res['platform'] == {'id': 'debian', 'version_id': release, 'codename': codename,
                               'name': 'Debian GNU/Linux %s (%s)' % (release, codename),
                               'platform': 'debian-%s' % release, 'supported': True}


def test_other_release_is_refused_before_anything_is_loaded(host, run, tmp_path, monkeypatch):
    bare_director(host)
    release = tmp_path / 'os-release'
    release.write_text(fixture('os-release-debian-12.txt').replace('12', '11').replace('bookworm', 'bullseye'))
    monkeypatch.setattr(preflight, 'OS_RELEASE_PATHS', (str(release),))
    kind, res = run(DIRECTOR)
    assert kind is Fail and res['changed'] is False
    assert res['msg'].splitlines() == [
        'preflight failed on director1 (1 problem, nothing was changed):',
        '- director1: platform: Debian GNU/Linux 11 (bullseye) (os-release ID=debian VERSION_ID=11) is not '
        'supported. The ecmp.lvs roles support Debian 12 (bookworm) and Debian 13 (trixie) only (their packages, '
        'FRR and keepalived versions and templates are tested there). Fix: run the role on Debian 12 (bookworm) or '
        'Debian 13 (trixie).']
    assert res['platform']['platform'] == 'debian-11' and res['platform']['supported'] is False
    assert host.calls == [] and not os.listdir(preflight.SYS_MODULE)  # no modprobe, no zebra
    # an empty list skips the check (a rehearsal elsewhere, at the user's risk)
    kind, res = run(dict(DIRECTOR, supported_platforms=[]))
    assert kind is Exit and res['platform']['supported'] is None and res['platform']['version_id'] == '11'


def test_no_os_release(host, run, monkeypatch):
    monkeypatch.setattr(preflight, 'OS_RELEASE_PATHS', ('/nonexistent/etc/os-release', '/nonexistent/usr/os-release'))
    kind, res = run({'frr_config': ''})
    assert kind is Fail and res['failures'] == [
        'platform: cannot read the operating system release (/nonexistent/etc/os-release, /nonexistent/usr/os-release: '
        'none is readable), the ecmp.lvs roles support Debian 12 (bookworm) and Debian 13 (trixie) only. Fix: run '
        'the role on one of them (os-release is part of base-files).']
