# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp.lvs.ipvs and ecmp.lvs.ipvs_info main() with a scripted ipvsadm whose answers were captured on a real
IPVS kernel (tests/fixtures/ipvsadm, tools/capture/ipvs-fixtures.sh)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

from ansible.module_utils import basic

from ansible_collections.ecmp.lvs.plugins.module_utils import ipvs as ipvs_utils
from ansible_collections.ecmp.lvs.plugins.modules import ipvs, ipvs_info
from ansible_collections.ecmp.lvs.tests.unit.plugins.modules.utils import patch_module_args

FIX = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'ipvsadm')


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


class FakeIpvsadm(object):
    """run_command stand-in: read commands answer from ``reads`` (a list per argv, consumed in order, the last
    answer repeats), every other argv answers from ``writes`` (default rc 0). ``calls`` records argv lists;
    ``restored`` the commands each ``ipvsadm --restore`` got on stdin (argv lists, one per line)."""

    def __init__(self, reads, writes=None):
        self.reads = dict((k, list(v)) for k, v in reads.items())
        self.writes = writes or {}
        self.calls = []
        self.restored = []

    def __call__(self, module, args, **kwargs):
        assert args[0] == '/usr/sbin/ipvsadm'
        argv = tuple(args[1:])
        self.calls.append(list(argv))
        if argv in self.reads:
            answers = self.reads[argv]
            return answers.pop(0) if len(answers) > 1 else answers[0]
        if argv == ('--restore',):
            assert kwargs.get('binary_data') is True  # run_command would append a newline to text data
            self.restored.append([line.split() for line in kwargs['data'].decode('ascii').splitlines()])
        return self.writes.get(argv, (0, '', ''))

    def mutations(self):
        """The commands that changed the table, in order: those of every restore."""
        return [argv for batch in self.restored for argv in batch] + \
            [c for c in self.calls if tuple(c) not in self.reads and c != ['--restore']]


def run_module(main, args, fake, monkeypatch, capsys, ipvsadm='/usr/sbin/ipvsadm'):
    def run_command(self, args, **kwargs):
        return fake(self, args, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, 'run_command', run_command)
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, *a, **kw: ipvsadm)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            main()
    return json.loads(capsys.readouterr().out)


# ---------------------------------------------------------------------------------------- ipvs

SAVE = ('-Sn',)
THRESHOLDS = ('-Ln', '--thresholds', '--exact')
NOIPVS = fixture('host-noipvs-Sn.txt').replace('rc=2\n', '')

WEB = {'vip': '10.99.200.1', 'port': 80, 'scheduler': 'mh', 'scheduler_flags': ['mh-fallback', 'mh-port'],
       'real_servers': [{'address': '10.99.0.1', 'weight': 1}, {'address': '10.99.0.21', 'weight': 5},
                        {'address': '10.99.0.22', 'weight': 0}]}
WEIGHT_EDIT = ['-e', '-t', '10.99.200.1:80', '-r', '10.99.0.21:80', '-g', '-w', '5']


def captured():
    return {SAVE: [(0, fixture('full-Sn.txt'), '')], THRESHOLDS: [(0, fixture('full-Ln-thresholds.txt'), '')]}


def test_check_mode_runs_nothing(monkeypatch, capsys):
    fake = FakeIpvsadm(captured())
    result = run_module(ipvs.main, {'services': [WEB], '_ansible_check_mode': True, '_ansible_diff': True},
                        fake, monkeypatch, capsys)
    assert result['changed'] is True
    assert result['commands'] == [WEIGHT_EDIT]
    assert fake.mutations() == []
    assert len(result['before']) == len(result['after']) == 12
    assert '-a -t 10.99.200.1:80 -r 10.99.0.21:80 -g -w 2\n' in result['diff']['before']
    assert '-a -t 10.99.200.1:80 -r 10.99.0.21:80 -g -w 5\n' in result['diff']['after']
    assert '-x 100 -y 10' in result['diff']['after']  # thresholds come from the --thresholds listing


def test_unchanged_table_is_not_changed(monkeypatch, capsys):
    table = ipvs_utils.parse_save(fixture('full-Sn.txt'))
    ipvs_utils.merge_listing(table, ipvs_utils.parse_list(fixture('full-Ln-thresholds.txt')),
                             rs_fields=('u_threshold', 'l_threshold'))
    specs = [dict((k, v) for k, v in ipvs_utils.public_service(s).items() if v is not None) for s in table]
    fake = FakeIpvsadm(captured())
    result = run_module(ipvs.main, {'services': specs, 'purge': True}, fake, monkeypatch, capsys)
    assert result['changed'] is False and result['commands'] == []
    assert fake.mutations() == []
    assert result['before'] == result['after']


def test_change_is_run_and_read_back(monkeypatch, capsys):
    after = fixture('full-Sn.txt').replace('-r 10.99.0.21:80 -g -w 2', '-r 10.99.0.21:80 -g -w 5')
    reads = captured()
    reads[SAVE].append((0, after, ''))
    fake = FakeIpvsadm(reads)
    result = run_module(ipvs.main, {'services': [WEB]}, fake, monkeypatch, capsys)
    assert result['changed'] is True
    assert fake.mutations() == [WEIGHT_EDIT]
    assert fake.calls.count(list(SAVE)) == 2  # before and read-back
    web = [s for s in result['after'] if s['vip'] == '10.99.200.1' and s['port'] == 80][0]
    assert [r['weight'] for r in web['real_servers']] == [1, 5, 0]


def test_read_back_mismatch_fails(monkeypatch, capsys):
    fake = FakeIpvsadm(captured())  # the kernel "ignores" the edit: the read-back shows the old weight
    result = run_module(ipvs.main, {'services': [WEB]}, fake, monkeypatch, capsys)
    assert result['failed'] is True
    assert 'does not match the request' in result['msg'] and '-w 5' in result['msg']


def test_one_restore_for_the_whole_change(monkeypatch, capsys):
    """Every command of a change goes to one `ipvsadm --restore`, in plan order."""
    reads = {SAVE: [(0, fixture('empty-Sn.txt'), ''), (0, fixture('full-Sn.txt'), '')],
             THRESHOLDS: [(0, fixture('empty-Ln.txt'), ''), (0, fixture('full-Ln-thresholds.txt'), '')]}
    fake = FakeIpvsadm(reads)
    result = run_module(ipvs.main, {'services': [WEB]}, fake, monkeypatch, capsys)
    assert fake.calls.count(['--restore']) == 1 and len(fake.restored) == 1
    assert fake.restored[0] == result['commands'] and len(result['commands']) == 4


def test_a_line_ipvsadm_cannot_parse_is_reported_too(monkeypatch, capsys):
    """ipvsadm --restore reports an unknown option on stderr and goes on (captured: rc 0, restore-bad-*)."""
    assert fixture('restore-bad-rc.txt') == 'rc=0\n'
    assert '-w 7' in fixture('restore-bad-after-Sn.txt')  # the line after the bad one ran
    reads = {SAVE: [(0, fixture('full-Sn.txt'), '')], THRESHOLDS: [(0, fixture('full-Ln-thresholds.txt'), '')]}
    fake = FakeIpvsadm(reads, writes={('--restore',): (0, '', fixture('restore-bad-stderr.txt'))})
    result = run_module(ipvs.main, {'services': [WEB]}, fake, monkeypatch, capsys)
    assert result['failed'] is True and result['msg'] == 'ipvsadm --restore failed (rc=0): --bogus: unknown option'


def test_restore_input_is_one_command_per_line():
    assert ipvs_utils.restore_input([WEIGHT_EDIT, ['-D', '-t', '10.99.200.9:80']]) == \
        b'-e -t 10.99.200.1:80 -r 10.99.0.21:80 -g -w 5\n-D -t 10.99.200.9:80\n'


def test_failing_restore_reports_ipvsadm_error_and_what_is_still_needed(monkeypatch, capsys):
    """A line the kernel refuses: ipvsadm --restore prints the kernel's message and goes on, and exits with the last
    line's status (captured: rc 0, tests/fixtures/ipvsadm/restore-err-*); the module fails with the message and the
    commands the table read back still needs."""
    message = fixture('restore-err-stderr.txt')
    assert message == 'No such destination\n' and fixture('restore-err-rc.txt') == 'rc=0\n'
    # the restore went on after the refused line: its first and third lines are in the table
    after = fixture('restore-err-after-Sn.txt')
    assert '-r 10.99.0.21:80 -g -w 5' in after and '-r 10.99.0.22:80 -g -w 2' in after
    reads = {SAVE: [(0, fixture('full-Sn.txt'), '')], THRESHOLDS: [(0, fixture('full-Ln-thresholds.txt'), '')]}
    fake = FakeIpvsadm(reads, writes={('--restore',): (0, '', message)})
    spec = dict(WEB, real_servers=WEB['real_servers'][:2])
    result = run_module(ipvs.main, {'services': [spec]}, fake, monkeypatch, capsys)
    assert result['failed'] is True
    assert result['msg'] == 'ipvsadm --restore failed (rc=0): No such destination'
    # the read-back (the fixture: nothing changed) still needs both commands
    assert result['still_needed'] == result['commands'] == fake.restored[0]
    assert result['still_needed'][0] == WEIGHT_EDIT


def test_no_ipvs_in_kernel(monkeypatch, capsys):
    fake = FakeIpvsadm({SAVE: [(2, '', NOIPVS)]})
    result = run_module(ipvs.main, {'services': [WEB]}, fake, monkeypatch, capsys)
    assert result['failed'] is True
    assert result['msg'].startswith('the kernel has no IPVS')
    assert "Can't initialize ipvs: Protocol not available" in result['msg']


def test_ipvsadm_missing(monkeypatch, capsys):
    result = run_module(ipvs.main, {'services': [WEB]}, FakeIpvsadm({}), monkeypatch, capsys, ipvsadm=None)
    assert result['failed'] is True and 'ipvsadm was not found' in result['msg']


@pytest.mark.parametrize('spec, message', [
    ({'vip': '10.99.200.1', 'port': 80, 'scheduler': 'rr', 'scheduler_flags': ['mh-port']}, 'needs scheduler'),
    ({'port': 80}, 'vip and port are required'),
])
def test_bad_input_fails_before_touching_ipvs(monkeypatch, capsys, spec, message):
    fake = FakeIpvsadm(captured())
    result = run_module(ipvs.main, {'services': [spec]}, fake, monkeypatch, capsys)
    assert result['failed'] is True and message in result['msg']
    assert fake.calls == []


def test_empty_table_create(monkeypatch, capsys):
    fake = FakeIpvsadm({SAVE: [(0, fixture('empty-Sn.txt'), '')]})
    spec = {'vip': '10.99.100.10', 'port': 80, 'real_servers': [{'address': '10.99.0.21'}]}
    result = run_module(ipvs.main, {'services': [spec], '_ansible_check_mode': True}, fake, monkeypatch, capsys)
    assert result['commands'] == [['-A', '-t', '10.99.100.10:80', '-s', 'mh', '-b', 'mh-fallback,mh-port'],
                                  ['-a', '-t', '10.99.100.10:80', '-r', '10.99.0.21:80', '-g', '-w', '1']]
    assert result['before'] == [] and result['after'][0]['real_servers'][0]['address'] == '10.99.0.21'
    assert fake.calls == [['-Sn']]  # no real servers yet: no need for the thresholds listing


# ---------------------------------------------------------------------------------------- ipvs_info

def info_captured():
    return {('-Sn',): [(0, fixture('full-Sn.txt'), '')],
            ('-Ln', '--thresholds', '--exact'): [(0, fixture('full-Ln-thresholds.txt'), '')],
            ('-Ln', '--stats', '--exact'): [(0, fixture('full-Ln-stats.txt'), '')],
            ('-Ln', '--rate', '--exact'): [(0, fixture('full-Ln-rate.txt'), '')],
            ('-Ln', '--nosort'): [(0, fixture('full-Ln-nosort.txt'), '')],
            ('-L', '--daemon'): [(0, fixture('full-daemon.txt'), '')]}


def info_state(prefix):
    """Every listing of a keepalived-programmed table captured by tools/capture/ipvs-order.sh."""
    return {('-Sn',): [(0, fixture(prefix + '-Sn.txt'), '')],
            ('-Ln', '--thresholds', '--exact'): [(0, fixture(prefix + '-Ln-thresholds.txt'), '')],
            ('-Ln', '--stats', '--exact'): [(0, fixture(prefix + '-Ln-stats.txt'), '')],
            ('-Ln', '--rate', '--exact'): [(0, fixture(prefix + '-Ln-rate.txt'), '')],
            ('-Ln', '--nosort'): [(0, fixture(prefix + '-Ln-nosort.txt'), '')],
            ('-L', '--daemon'): [(0, fixture(prefix + '-daemon.txt'), '')]}


def test_info(monkeypatch, capsys):
    monkeypatch.setattr(ipvs_info, 'SYSCTL_DIR', os.path.join(FIX, 'proc-sys-net-ipv4-vs'))
    fake = FakeIpvsadm(info_captured())
    result = run_module(ipvs_info.main, {'_ansible_check_mode': True}, fake, monkeypatch, capsys)
    assert result['changed'] is False
    assert fake.mutations() == []
    assert (result['version'], result['table_size']) == ('1.2.1', 4096)
    assert len(result['services']) == 12
    web = [s for s in result['services'] if (s['vip'], s['port'], s['protocol']) == ('10.99.200.1', 80, 'tcp')][0]
    assert web['stats'] == {'conns': 7, 'inpkts': 25, 'outpkts': 20, 'inbytes': 1581, 'outbytes': 9675}
    assert web['rate']['inbps'] == 111
    local = web['real_servers'][0]
    assert (local['address'], local['active_conns'], local['inactive_conns'], local['weight']) == (
        '10.99.0.1', 1, 3, 1)
    assert local['stats']['conns'] == 4 and local['rate']['outbps'] == 662
    udp = [s for s in result['services'] if (s['vip'], s['port'], s['protocol']) == ('10.99.200.1', 53, 'udp')][0]
    assert (udp['real_servers'][0]['u_threshold'], udp['real_servers'][0]['l_threshold']) == (100, 10)
    fwm = [s for s in result['services'] if s['fwmark'] == 43][0]
    assert fwm['family'] == 'ipv6' and fwm['real_servers'][0]['weight'] == 2
    assert result['sysctls']['net.ipv4.vs.sloppy_tcp'] == '0'
    # the real servers stay sorted; real_server_order is the kernel's list (added .1, .21, .22: last first)
    assert [r['address'] for r in web['real_servers']] == ['10.99.0.1', '10.99.0.21', '10.99.0.22']
    assert web['real_server_order'] == ['10.99.0.22:80', '10.99.0.21:80', '10.99.0.1:80']
    assert fwm['real_server_order'] == ['[2001:db8:0:1::21]:0']
    assert result['sync_daemons'] == []
    assert sorted(fake.calls) == sorted([list(k) for k in info_captured()])
    assert result['sysctls']['net.ipv4.vs.sync_threshold'] == '3\t50'
    assert len(result['sysctls']) == 30


def test_info_kernel_order_and_sync_daemons(monkeypatch, capsys):
    monkeypatch.setattr(ipvs_info, 'SYSCTL_DIR', '/nonexistent')
    start = run_module(ipvs_info.main, {}, FakeIpvsadm(info_state('keepalived-start')), monkeypatch, capsys)
    [svc] = start['services']
    assert svc['real_server_order'] == ['10.99.0.23:80', '10.99.0.22:80', '10.99.0.21:80']
    assert start['sync_daemons'] == []
    reload = run_module(ipvs_info.main, {}, FakeIpvsadm(info_state('keepalived-reload')), monkeypatch, capsys)
    [svc] = reload['services']
    assert [r['address'] for r in svc['real_servers']] == ['10.99.0.20', '10.99.0.21', '10.99.0.22', '10.99.0.23']
    assert svc['real_server_order'] == ['10.99.0.20:80', '10.99.0.23:80', '10.99.0.22:80', '10.99.0.21:80']
    assert [(d['state'], d['mcast_interface'], d['syncid']) for d in reload['sync_daemons']] == [
        ('master', 'd0', 7), ('backup', 'd0', 7)]


def test_info_service_gone_between_calls(monkeypatch, capsys):
    # a service deleted between -Sn and the listings: zero counters, no crash
    reads = info_captured()
    reads[('-Ln', '--stats', '--exact')] = [(0, fixture('empty-Ln.txt').replace(
        'Prot LocalAddress:Port Scheduler Flags', 'Prot LocalAddress:Port               Conns   InPkts  OutPkts  '
        'InBytes OutBytes'), '')]
    monkeypatch.setattr(ipvs_info, 'SYSCTL_DIR', '/nonexistent')
    result = run_module(ipvs_info.main, {}, FakeIpvsadm(reads), monkeypatch, capsys)
    assert all(s['stats']['conns'] == 0 for s in result['services'])
    assert result['sysctls'] == {}


def test_info_no_ipvs(monkeypatch, capsys):
    text = fixture('host-noipvs-Ln.txt').replace('rc=2\n', '')
    fake = FakeIpvsadm({('-Sn',): [(2, '', text)]})
    result = run_module(ipvs_info.main, {}, fake, monkeypatch, capsys)
    assert result['failed'] is True
    assert result['msg'].startswith('the kernel has no IPVS') and 'Protocol not available' in result['msg']
