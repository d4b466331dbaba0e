# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fail-safe tests of the package roles/director/files/ecmp_lvs_announce (issue 12 section 2).

The real program runs against temporary directories; `ip` and `ipvsadm` are stubs on PATH (tests/unit keeps off
the host's network): the stub `ip` keeps the addresses of lo in a JSON file, the stub `ipvsadm -L -n` prints a
file. Everything that could hang runs in a subprocess with a timeout, so a hang fails the test."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time

import jinja2
import pytest
import yaml

from ansible_collections.ecmp.lvs.tests.unit.roles import announce_package

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TEMPLATES = os.path.join(ROOT, 'roles', 'director', 'templates')

ann = announce_package.load()
# the installed command, run as its shebang does
COMMAND = announce_package.argv()

VIP = '10.99.100.10'
VIP2 = '10.99.100.20'
HTTP = 'tcp:10.99.100.10:80'
DNS = 'udp:10.99.100.20:53'
ME = __import__('pwd').getpwuid(os.getuid()).pw_name

IP_STUB = r'''#!%(python)s
"""Stub of iproute2 for the announce program: the addresses of lo live in $ECMP_STUB/addrs.json."""
import json, os, sys, time
d = os.environ['ECMP_STUB']
path = os.path.join(d, 'addrs.json')
args = sys.argv[1:]
with open(os.path.join(d, 'ip.log'), 'a') as log:
    log.write('%%.3f %%s\n' %% (time.monotonic(), ' '.join(args)))
if os.path.exists(os.path.join(d, 'ip.fail')):
    sys.exit('ip: stub failure')
addrs = json.load(open(path)) if os.path.exists(path) else []
if args[:1] == ['-j'] and args[1:3] == ['address', 'show']:
    print(json.dumps([{'ifname': 'lo', 'addr_info': [dict(a, family=a.get('family', 'inet')) for a in addrs]}]))
    sys.exit(0)
family = 'inet6' if args[:1] == ['-6'] else 'inet'
args = args[1:] if args[:1] in (['-4'], ['-6']) else args
local, _, plen = args[2].partition('/') if len(args) > 2 else ('', '', '')
if args[:2] == ['address', 'replace']:
    new = {'local': local, 'prefixlen': int(plen), 'family': family}
    if len(args) > 6:
        new['label'] = args[6]
    addrs = [a for a in addrs if a['local'] != local] + [new]
elif args[:2] == ['address', 'del']:
    if not [a for a in addrs if a['local'] == local]:
        sys.exit('RTNETLINK answers: Cannot assign requested address')
    addrs = [a for a in addrs if a['local'] != local]
elif args[:2] == ['address', 'flush']:
    addrs = [a for a in addrs if a.get('label') != args[5]]
else:
    sys.exit('ip stub: unsupported %%r' %% (args,))
json.dump(addrs, open(path + '.tmp', 'w'))
os.replace(path + '.tmp', path)
'''

IPVSADM_STUB = r'''#!/bin/sh
exec cat "$ECMP_STUB/ipvs.txt"
'''

IPVS_HEAD = ('IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n'
             '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n')


def ipvs_table(http_weight, dns_weight=1):
    return IPVS_HEAD + ('TCP  10.99.100.10:80 mh (mh-fallback,mh-port)\n'
                        '  -> 10.99.101.11:80              Route   %d      0          0\n'
                        'UDP  10.99.100.20:53 mh (mh-fallback,mh-port)\n'
                        '  -> 10.99.101.11:53              Route   %d      0          0\n' % (http_weight, dns_weight))


class Director:
    """A director in a temporary directory: configuration, state directory, stub commands, a process named
    keepalived (a copy of sleep) with its pid file."""

    def __init__(self, tmp_path, **over):
        self.dir = tmp_path
        self.stub = tmp_path / 'stub'
        self.bin = tmp_path / 'bin'
        self.state = tmp_path / 'run'
        for path in (self.stub, self.bin, self.state / 'quorum'):
            path.mkdir(parents=True)
        (self.bin / 'ip').write_text(IP_STUB % {'python': sys.executable})
        (self.bin / 'ipvsadm').write_text(IPVSADM_STUB)
        for name in ('ip', 'ipvsadm'):
            (self.bin / name).chmod(0o755)
        self.set_ipvs(ipvs_table(2))
        self.conf = tmp_path / 'announce.json'
        data = {'vips': {VIP: [HTTP], VIP2: [DNS]}, 'quorum': {HTTP: 1, DNS: 1}, 'holddown': 0,
                'interval': 1, 'resync': 1, 'state_dir': str(self.state), 'drain_file': str(tmp_path / 'drained'),
                'keepalived_pidfile': str(tmp_path / 'keepalived.pid'), 'script_user': ME, 'stop_delay': 0}
        data.update(over)
        self.conf.write_text(json.dumps(data))
        self.env = dict(os.environ, PATH='%s:%s' % (self.bin, os.environ.get('PATH', '/usr/bin:/bin')),
                        ECMP_STUB=str(self.stub), PYTHONDONTWRITEBYTECODE='1')
        self.env.pop('NOTIFY_SOCKET', None)
        self.env.pop('WATCHDOG_USEC', None)
        self.keepalived = None

    def start_keepalived(self):
        """A live process whose comm is `keepalived` (the checker / main process of the records)."""
        exe = self.dir / 'keepalived'
        shutil.copy(shutil.which('sleep'), str(exe))
        self.keepalived = subprocess.Popen([str(exe), '120'])
        deadline = time.monotonic() + 5
        while (ann.host.process_stat(self.keepalived.pid) or ('',))[0] != 'keepalived' and time.monotonic() < deadline:
            time.sleep(0.01)
        (self.dir / 'keepalived.pid').write_text('%d\n' % self.keepalived.pid)
        return [self.keepalived.pid, ann.host.process_stat(self.keepalived.pid)[2]]

    def stop(self):
        if self.keepalived is not None:
            self.keepalived.kill()
            self.keepalived.wait()

    def set_ipvs(self, text):
        (self.stub / 'ipvs.txt').write_text(text)

    def addresses(self):
        path = self.stub / 'addrs.json'
        return set(a['local'] for a in json.loads(path.read_text())) if path.exists() else set()

    def set_addresses(self, addrs):
        (self.stub / 'addrs.json').write_text(json.dumps(addrs))

    def record(self, key, text):
        path = self.state / 'quorum' / key
        path.write_text(text)
        return path

    def program(self, *args, **kwargs):
        """Run the program (a subprocess, `timeout` seconds at most: a hang fails the test)."""
        return subprocess.run(COMMAND + ['--config', str(self.conf)] + list(args), env=self.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              timeout=kwargs.pop('timeout', 20), preexec_fn=limit_memory, check=False, **kwargs)

    def step(self, steps=1):
        """Reconciler.step() of the real Host `steps` times in a subprocess; the last decisions (JSON)."""
        code = textwrap.dedent('''
            import json, sys
            sys.path.insert(0, %r)
            from ecmp_lvs_announce import host, reconciler
            rec = reconciler.Reconciler(host.Host(%r))
            for n in range(%d):
                decisions = rec.step()
            print(json.dumps(decisions))
            ''' % (announce_package.installed()[1], str(self.conf), steps))
        res = subprocess.run([sys.executable, '-I', '-S', '-c', code], env=self.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True, timeout=20, preexec_fn=limit_memory,
                             check=False)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout.splitlines()[-1])


def limit_memory():
    """At most 1 GiB of address space (an endless read of /dev/zero ends in MemoryError, not in the OOM killer)."""
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.fixture(name='director')
def director_fixture(tmp_path):
    director = Director(tmp_path)
    yield director
    director.stop()


def good_record(writer, state='up', at=1.0):
    return '%s %.3f %d %d %d %d\n' % (state, at, writer[0], writer[1], 100, 4242)


# --- 1. hostile records: never a crash or a hang; no report -> judged from the IPVS weights -------------------

def _fifo(path):
    os.mkfifo(str(path))


def _symlink_zero(path):
    os.symlink('/dev/zero', str(path))


def _symlink_good(path, writer):
    target = path.parent.parent / 'elsewhere'
    target.write_text(good_record(writer))
    os.symlink(str(target), str(path))


def _directory(path):
    path.mkdir()


def _chown_nobody(path, writer):
    path.write_text(good_record(writer))
    os.chown(str(path), 65534, 65534)


HOSTILE = {
    'non-utf8': lambda p, w: p.write_bytes(b'up 1.0 \xff\xfe 1 2 3\n'),
    'non-ascii-digits': lambda p, w: p.write_text('up 1.0 %s 1 2\n' % ('\u0661' * 3 + ' ' + str(w[1]))),
    'oversized': lambda p, w: p.write_text(good_record(w) + ' ' * 5000),
    'huge': lambda p, w: p.write_bytes(b'up ' * (1 << 20)),
    'fifo': lambda p, w: _fifo(p),
    'symlink-dev-zero': lambda p, w: _symlink_zero(p),
    'symlink-to-a-record': _symlink_good,
    'directory': lambda p, w: _directory(p),
    'nan-time': lambda p, w: p.write_text('up nan %d %d 1 2\n' % tuple(w)),
    'inf-time': lambda p, w: p.write_text('up inf %d %d 1 2\n' % tuple(w)),
    'negative-time': lambda p, w: p.write_text('up -5 %d %d 1 2\n' % tuple(w)),
    'future-time': lambda p, w: p.write_text('up 1e15 %d %d 1 2\n' % tuple(w)),
    'pid-zero': lambda p, w: p.write_text('up 1.0 0 %d 1 2\n' % w[1]),
    'pid-negative': lambda p, w: p.write_text('up 1.0 -1 %d 1 2\n' % w[1]),
    'pid-huge': lambda p, w: p.write_text('up 1.0 %d %d 1 2\n' % (2 ** 64, w[1])),
    'another-process': lambda p, w: p.write_text(good_record([1, ann.host.process_stat(1)[2]])),
    'garbage': lambda p, w: p.write_text('up up up up up up\n'),
    'empty': lambda p, w: p.write_text(''),
}
if os.geteuid() == 0:
    HOSTILE['other-owner'] = _chown_nobody


@pytest.mark.parametrize('case', sorted(HOSTILE))
def test_hostile_record_counts_as_no_report(director, case):
    """Each hostile record of HTTP: the reconciliation ends (20 s timeout), the service is judged from the IPVS
    table (weight 2 >= quorum 1: up), a second service with a good record is unaffected."""
    writer = director.start_keepalived()
    HOSTILE[case](director.state / 'quorum' / HTTP, writer)
    director.record(DNS, good_record(writer))
    decisions = director.step(steps=2)
    http = decisions[VIP]['services'][HTTP]
    assert http['status'] == 'up' and 'IPVS table' in http['detail'], http
    assert decisions[VIP2]['services'][DNS] == {'status': 'up', 'detail': 'quorum up', 'since': 1.0}
    # below quorum in the table: down, not a crash either
    director.set_ipvs(ipvs_table(0))
    assert director.step()[VIP]['services'][HTTP]['status'] == 'down'


def test_record_of_a_writer_that_is_gone_withdraws(director):
    """A pid that does not exist (any more) is a checker that crashed: down ('gone'), as before."""
    writer = director.start_keepalived()
    director.record(HTTP, good_record([writer[0], writer[1] + 1]))
    assert director.step()[VIP]['services'][HTTP]['status'] == 'gone'


def test_unknown_script_user_trusts_root_only(director):
    writer = director.start_keepalived()
    director.record(HTTP, good_record(writer, 'down'))
    conf = json.loads(director.conf.read_text())
    conf['script_user'] = 'no-such-user-ecmp'      # unknown user: root's records only
    director.conf.write_text(json.dumps(conf))
    expected = 'down' if os.geteuid() == 0 else 'up'   # not root: the record is not trusted, the table says up
    assert director.step()[VIP]['services'][HTTP]['status'] == expected


def test_read_record_and_parse_record_edges(tmp_path):
    path = tmp_path / 'rec'
    path.write_text('up 1.5 10 20 30 40\n')
    assert ann.host.read_record(str(path)) == 'up 1.5 10 20 30 40\n'
    assert ann.host.read_record(str(path), owners={os.getuid()}) is not None
    assert ann.host.read_record(str(path), owners={os.getuid() + 1}) is None
    assert ann.host.read_record(str(tmp_path / 'missing')) is None
    assert ann.records.parse_record('up 1.5 10 20 30 40') == {'state': 'up', 'at': 1.5, 'writer': [10, 20],
                                                              'seq': [30, 40]}
    for text in ('up nan 1 2 3 4', 'up inf 1 2 3 4', 'up -1 1 2 3 4', 'up 1 0 2 3 4', 'up 1 1 -2 3 4',
                 'up 1 4194305 2 3 4', 'up 1 1 2 3 0', None, ''):
        assert ann.records.parse_record(text) is None, text


def test_waiter_follows_no_impossible_pid():
    waiter = ann.runner.Waiter()
    waiter.follow([2 ** 64, 0, -1])
    assert not waiter.pidfds


# --- 2. the loop survives any exception; bounded withdrawal; sd_notify; withdraw-all -------------------------

class FakeHost:
    """Enough of a host for Runner: one VIP announced, records that can be made to raise."""

    def __init__(self):
        self.conf = ann.config.load_config(json.dumps({'vips': {VIP: [HTTP]}, 'holddown': 0, 'interval': 1}))
        self.addresses = {VIP}
        self.fail = None
        self.present_fails = False
        self.deleted = []
        self.blind = []
        self.keepalived_pid = None

    def config(self):
        return self.conf

    def records(self, conf, now=None):  # pylint: disable=unused-argument
        if self.fail:
            raise self.fail
        return {HTTP: {'state': 'up', 'at': 0.0, 'writer': [1, 1], 'seq': [1, 1]}}

    def drained(self, conf):
        return False

    def keepalived_running(self, conf):
        return True

    @staticmethod
    def writer_alive(writer):
        return True

    def present(self, conf):
        if self.present_fails:
            raise ValueError('ip -j: not JSON')
        return set(self.addresses)

    def add(self, conf, vip):
        self.addresses.add(vip)

    def delete(self, conf, vip):
        self.addresses.discard(vip)
        self.deleted.append(vip)

    def write_status(self, conf, status):
        pass

    def withdraw_everything(self, conf):
        self.blind.append(sorted(conf['vips']))
        self.addresses = set()
        return None, []


class NoWaiter:
    def watch(self, paths):
        pass

    def follow(self, pids):
        pass

    def wait(self, timeout):
        raise AssertionError('not used')


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_runner_survives_any_exception_and_withdraws_after_the_bound():
    """Reconciliations that raise (a bug, MemoryError, ...) are retried; the VIP whose state is unknown is withdrawn
    once none has succeeded for failsafe_bound() seconds (3 intervals), not at the first failure; when they work
    again the VIP comes back."""
    clock = Clock()
    host = FakeHost()
    notes = []
    runner = ann.runner.Runner(host, ann.reconciler.Reconciler(host, clock), NoWaiter(), '/nonexistent/announce.json',
                               clock=clock, notify=lambda m: notes.append(m) or True)
    runner.watchdog = None
    assert runner.reconcile() <= 1.0 and host.addresses == {VIP}
    assert notes == ['READY=1', 'WATCHDOG=1']
    ok_at = clock.now
    host.fail = MemoryError('hostile')
    withdrawn_at = None
    for dummy in range(20):
        clock.now += runner.reconcile()
        if VIP not in host.addresses and withdrawn_at is None:
            withdrawn_at = clock.now
    assert ann.runner.failsafe_bound(host.conf) == 3.0
    assert withdrawn_at is not None and withdrawn_at - ok_at <= 3.0 + 1.0 + 1e-6, withdrawn_at - ok_at
    assert host.deleted == [VIP] and notes.count('WATCHDOG=1') == 21 and notes.count('READY=1') == 1
    host.fail = None
    runner.reconcile()
    assert host.addresses == {VIP}


def test_runner_withdraws_directly_when_the_reconciler_cannot():
    """`ip -j` itself broken: the fail-safe removes the addresses with plain calls (Host.withdraw_everything)."""
    clock = Clock()
    host = FakeHost()
    runner = ann.runner.Runner(host, ann.reconciler.Reconciler(host, clock), NoWaiter(), '/x', clock=clock,
                               notify=lambda m: True)
    runner.reconcile()
    host.present_fails = True           # noticed at the next resync (5 s), withdrawn 3 s later
    for dummy in range(20):
        clock.now += runner.reconcile()
    assert host.blind and host.blind[0] == [VIP] and not host.addresses


def test_sd_notify_plain_and_abstract_socket(tmp_path):
    path = str(tmp_path / 'notify')
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        assert ann.runner.sd_notify('READY=1', {'NOTIFY_SOCKET': path}) is True
        assert sock.recv(100) == b'READY=1'
    name = 'ecmp-lvs-test-%d' % os.getpid()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind('\0' + name)
        assert ann.runner.sd_notify('WATCHDOG=1', {'NOTIFY_SOCKET': '@' + name}) is True
        assert sock.recv(100) == b'WATCHDOG=1'
    assert ann.runner.sd_notify('READY=1', {}) is False
    assert ann.runner.sd_notify('READY=1', {'NOTIFY_SOCKET': str(tmp_path / 'nobody')}) is False
    assert ann.runner.watchdog_interval({'WATCHDOG_USEC': '15000000'}) == 7.5
    assert ann.runner.watchdog_interval({'WATCHDOG_USEC': '15000000', 'WATCHDOG_PID': '1'}) is None
    assert ann.runner.watchdog_interval({}) is None


def test_parse_withdraw_targets():
    text = json.dumps([{'ifname': 'lo', 'addr_info': [
        {'family': 'inet', 'local': '127.0.0.1', 'prefixlen': 8, 'label': 'lo'},
        {'family': 'inet', 'local': VIP, 'prefixlen': 32, 'label': 'lo:lvs'},
        {'family': 'inet', 'local': VIP2, 'prefixlen': 32, 'label': 'lo'},
        {'family': 'inet', 'local': '10.99.100.30', 'prefixlen': 32, 'label': 'lo:lvs'},
        {'family': 'inet', 'local': '192.0.2.1', 'prefixlen': 32, 'label': 'lo'},
        {'family': 'inet', 'local': '10.99.100.40', 'prefixlen': 24, 'label': 'lo'}]}])
    targets = ann.parsers.parse_withdraw_targets(text, 'lo:lvs', [VIP, VIP2, '10.99.100.40'])
    assert targets == [VIP, VIP2, '10.99.100.30']


def test_withdraw_all_with_stub_ip(director):
    director.set_addresses([{'local': VIP, 'prefixlen': 32, 'label': 'lo:lvs'},
                            {'local': '127.0.0.1', 'prefixlen': 8, 'label': 'lo'}])
    res = director.program('withdraw-all')
    assert res.returncode == 0 and director.addresses() == {'127.0.0.1'}, res
    # unreadable configuration, `ip -j` broken: the label of the default is flushed blindly
    director.conf.write_text('{not json')
    director.set_addresses([{'local': VIP, 'prefixlen': 32, 'label': 'lo:lvs'}])
    res = director.program('withdraw-all')
    assert res.returncode == 0 and director.addresses() == set(), res
    assert 'unreadable' in res.stdout


def render(name, **variables):
    """A role template rendered with the role's internal names (vars/main.yml values)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    env.filters['bool'] = bool
    env.filters['to_nice_json'] = lambda value, indent=4: json.dumps(value, indent=indent, sort_keys=True)
    with open(os.path.join(TEMPLATES, '..', 'vars', 'main.yml'), encoding='utf-8') as handle:
        paths = yaml.safe_load(handle)['__director_announce_paths']
    base = {'ansible_managed': 'managed', '__director_announce_paths': paths}
    base.update(variables)
    return env.get_template(name).render(**base)


def unit_sections(text):
    """systemd unit text -> {section: [(key, value)]} (keys repeat)."""
    sections, current = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        if line.startswith('['):
            current = sections.setdefault(line.strip('[]'), [])
        else:
            key, dummy, value = line.partition('=')
            current.append((key, value))
    return sections


def test_announce_unit_is_fail_safe():
    unit = unit_sections(render('ecmp-lvs-announce.service.j2'))
    service, head = dict(unit['Service']), dict(unit['Unit'])
    assert service['Type'] == 'notify' and int(service['WatchdogSec']) >= 10
    assert service['ExecStopPost'] == \
        '-/usr/local/sbin/ecmp-lvs-announce --config /etc/ecmp-lvs/announce.json withdraw-all'
    assert service['Restart'] == 'always'
    # the start limit lives in [Unit]: 5 starts within 60 s, then failed (and withdrawn by ExecStopPost)
    assert head['StartLimitIntervalSec'] == '60' and head['StartLimitBurst'] == '5'
    assert 'StartLimitIntervalSec' not in service
    # the watchdog outlasts the slowest iteration: every command call is bounded by COMMAND_TIMEOUT
    assert int(service['WatchdogSec']) >= 2 * ann.host.COMMAND_TIMEOUT


def test_frr_start_unit_can_never_keep_frr_down():
    unit = unit_sections(render('ecmp-lvs-frr-start.service.j2', director_frr_start_wait=60))
    starts = [v for k, v in unit['Service'] if k == 'ExecStart']
    assert starts[0].startswith('-/usr/bin/timeout --kill-after=5 70 /usr/local/sbin/ecmp-lvs-announce ')
    assert starts[0].endswith(' wait-announced --once --timeout 60')
    assert starts[1:] == ['-/bin/mkdir -p /run/ecmp-lvs', '-/bin/touch /run/ecmp-lvs/waited-once',
                          '/bin/systemctl start frr.service', '-/bin/systemctl reload frr.service']
    assert int(dict(unit['Service'])['TimeoutStartSec']) > 70 + 5 + 20 + 60
    unit = unit_sections(render('ecmp-lvs-frr-start.service.j2', director_frr_start_wait=0))
    assert [v for k, v in unit['Service'] if k == 'ExecStart'] == ['/bin/systemctl start frr.service',
                                                                   '-/bin/systemctl reload frr.service']


def test_frr_start_unit_reloads_what_a_slow_start_left_out():
    """After FRR started, `systemctl reload frr` (frr-reload.py: the difference between frr.conf and the running
    configuration) re-applies a configuration a slow start lost. Seen in CI under load: ospfd up without `router
    ospf`, the returning director never routed to again (test_drain_state_survives_a_crash, evidence file)."""
    unit = unit_sections(render('ecmp-lvs-frr-start.service.j2', director_frr_start_wait=60))
    starts = [v for k, v in unit['Service'] if k == 'ExecStart']
    assert starts.index('-/bin/systemctl reload frr.service') == starts.index('/bin/systemctl start frr.service') + 1


def test_announce_json_names_the_script_user():
    text = render('announce.json.j2', __director_announce_holddown=5, director_announce_interval=1,
                  director_announce_stop_delay=1, __director_announce_gated_effective=True,
                  __director_announce={'vips': {VIP: [HTTP]}, 'quorum': {HTTP: 1}, 'members': {}},
                  director_keepalived_script_user='keepalived_script',
                  director_quorum_script_user='ecmp-lvs-quorum')
    # the owner of the quorum records is the quorum scripts' user, not the MISC_CHECK user
    assert ann.config.load_config(text)['script_user'] == 'ecmp-lvs-quorum'
    assert 'members' not in json.loads(text)      # only with a virtual_server_group
    members = {'group:web': ['tcp:%s:80' % VIP, 'tcp:10.99.100.11:80']}
    text = render('announce.json.j2', __director_announce_holddown=5, director_announce_interval=1,
                  director_announce_stop_delay=1, __director_announce_gated_effective=True,
                  __director_announce={'vips': {VIP: ['group:web'], '10.99.100.11': ['group:web']},
                                       'quorum': {'group:web': 1}, 'members': members},
                  director_quorum_script_user='ecmp-lvs-quorum')
    assert ann.config.load_config(text)['members'] == members
    with pytest.raises(ann.config.AnnounceError, match='script_user'):
        ann.config.load_config(json.dumps({'script_user': ''}))


# --- the daemon itself: hostile records, watchdog pings, withdrawal within 1 s, SIGTERM -------------------------

def test_daemon_withdraws_within_one_interval_when_quorum_down_is_not_stored(director, tmp_path):
    """`run` with a FIFO as one record and notify/watchdog sockets: READY=1 and WATCHDOG=1 arrive, both VIPs are
    announced (the FIFO's service from the IPVS table), then quorum is lost in IPVS while the `up` record stays
    (quorum_down could not be stored): withdrawn within ~1 s (interval 1). SIGTERM still stops it, withdrawing."""
    writer = director.start_keepalived()
    director.record(HTTP, good_record(writer))
    os.mkfifo(str(director.state / 'quorum' / DNS))
    sock_path = str(tmp_path / 'notify')
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    sock.settimeout(10)
    env = dict(director.env, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC='2000000')
    proc = subprocess.Popen(COMMAND + ['--config', str(director.conf), 'run'], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            preexec_fn=limit_memory)
    try:
        assert sock.recv(100) == b'READY=1'
        assert sock.recv(100) == b'WATCHDOG=1'
        deadline = time.monotonic() + 10
        while director.addresses() != {VIP, VIP2} and time.monotonic() < deadline:
            time.sleep(0.05)
        assert director.addresses() == {VIP, VIP2}
        time.sleep(0.3)
        director.set_ipvs(ipvs_table(0))
        lost = time.monotonic()
        while VIP in director.addresses() and time.monotonic() - lost < 5:
            time.sleep(0.02)
        assert VIP not in director.addresses() and time.monotonic() - lost <= 1.5, time.monotonic() - lost
        assert director.addresses() == {VIP2}
        # watchdog pings keep coming (WATCHDOG_USEC 2 s: at least every second)
        start = time.monotonic()
        pings = 0
        while time.monotonic() - start < 2.5:
            pings += sock.recv(100) == b'WATCHDOG=1'
        assert pings >= 2
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=10)[0]
    finally:
        sock.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out
    assert director.addresses() == set(), out
    assert 'quorum up reported, but below quorum in the IPVS table' in out


def test_daemon_survives_a_broken_ip_and_withdraws(director):
    """`ip -j` prints garbage (ValueError: the old loop died, leaving the VIP announced): the loop goes on and the
    VIP is withdrawn by the fail-safe within its bound."""
    director.set_addresses([{'local': VIP, 'prefixlen': 32, 'label': 'lo:lvs'}])
    (director.bin / 'ip').write_text('#!/bin/sh\ncase "$1" in -j) echo "{garbage"; exit 0;; esac\n'
                                     'exec %s "$@"\n' % (director.bin / 'ip-real'))
    (director.bin / 'ip-real').write_text(IP_STUB % {'python': sys.executable})
    (director.bin / 'ip-real').chmod(0o755)
    proc = subprocess.Popen(COMMAND + ['--config', str(director.conf), 'run'], env=director.env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            preexec_fn=limit_memory)
    try:
        deadline = time.monotonic() + 8
        while VIP in director.addresses() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()[0]
        assert director.addresses() == set()
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=10)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0 and 'reconcile failed' in out and 'fail-safe' in out, out


# --- 3. a quorum down that cannot be recorded ------------------------------------------------------------------

def test_write_atomic_removes_its_temp_file_on_error(tmp_path, monkeypatch):
    (tmp_path / 'rec').write_text('up 1 2 3 4 5\n')

    def full(fd, data):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(os, 'write', full)
    with pytest.raises(OSError):
        ann.host.write_atomic(str(tmp_path / 'rec'), 'down 1 2 3 4 6\n')
    monkeypatch.undo()
    assert os.listdir(str(tmp_path)) == ['rec']
    assert (tmp_path / 'rec').read_text() == 'up 1 2 3 4 5\n'


@pytest.mark.parametrize('state, left', [('down', ['.lock']), ('up', ['.lock', HTTP])])
def test_quorum_report_not_stored(tmp_path, state, left):
    """A report that cannot be written (here: RLIMIT_FSIZE 0, every write to a file fails - as on a full /run, see
    tests/integration_host for a real full tmpfs): a `down` removes the stale `up` record (the service is then judged
    from the IPVS table), an `up` leaves it; no temporary file is left, exit status 1."""
    import resource
    qdir = tmp_path / 'quorum'
    qdir.mkdir()
    me = [os.getpid(), ann.host.process_stat(os.getpid())[2]]
    (qdir / HTTP).write_text(good_record(me, state='up'))

    def no_writes():
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)        # write() fails with EFBIG instead of a signal

    quorum = os.path.join(announce_package.installed()[1], ann.config.QUORUM)
    res = subprocess.run([quorum, state, HTTP, '--state-dir', str(tmp_path)], preexec_fn=no_writes,
                         capture_output=True, text=True, check=False, timeout=30)
    assert res.returncode == 1, res.stderr
    assert 'quorum %s of %s not stored' % (state, HTTP) in res.stderr
    assert ('stale record removed' in res.stderr) is (state == 'down')
    assert sorted(os.listdir(str(qdir))) == left


def test_up_record_is_not_believed_below_quorum_in_ipvs(director):
    writer = director.start_keepalived()
    director.record(HTTP, good_record(writer))
    director.set_ipvs(ipvs_table(0))
    http = director.step()[VIP]['services'][HTTP]
    assert http['status'] == 'down' and 'below quorum in the IPVS table' in http['detail']
    director.set_ipvs(IPVS_HEAD)     # the service is not in IPVS at all
    assert director.step()[VIP]['services'][HTTP]['status'] == 'down'
    director.set_ipvs(ipvs_table(1))
    assert director.step()[VIP]['services'][HTTP]['status'] == 'up'


def test_cross_check_holddown_after_the_table_was_below_quorum():
    rec = {'state': 'up', 'at': 10.0, 'writer': [1, 2], 'seq': [3, 4]}
    assert ann.records.cross_check(rec, 'up', None) is rec
    assert ann.records.cross_check(rec, 'down', 20.0)['kernel'] == 'down'
    assert ann.records.cross_check(rec, 'up', 20.0)['at'] == 20.0           # hold-down from the last time below quorum
    assert ann.records.cross_check(rec, 'up', 5.0) is rec
    down = dict(rec, state='down')
    assert ann.records.cross_check(down, 'up', None) is down                 # a down record stays down
    assert ann.reconciler.service_status(dict(rec, kernel='down'), lambda w: True, 100.0, 5.0)[0] == 'down'
    assert ann.reconciler.service_status(dict(rec, at=98.0), lambda w: True, 100.0, 5.0)[0] == 'holddown'


def test_keepalived_stop_withdraws_before_writing(director):
    """The stop hook cannot write its marker (the state directory is gone: any write error): the VIP is withdrawn
    all the same, and the hook succeeds."""
    director.start_keepalived()
    director.record(HTTP, '')
    director.set_addresses([{'local': VIP, 'prefixlen': 32, 'label': 'lo:lvs'}])
    shutil.rmtree(str(director.state))
    res = director.program('keepalived-stop', str(director.keepalived.pid))
    assert res.returncode == 0, res.stderr
    assert director.addresses() == set()
    assert 'not written' in res.stdout
    log = (director.stub / 'ip.log').read_text().splitlines()
    want = ['-j address show dev lo', '-4 address del %s/32 dev lo' % VIP]
    assert [line.split(' ', 1)[1] for line in log][:2] == want


VIP6 = '2001:db8:100::10'
HTTP6 = 'tcp:2001:db8:100::10:80'


def test_ipv6_vip_announced_withdrawn_and_owned(director):
    """An IPv6 VIP: added as /128 without label (`ip -6 address replace`), withdrawn below quorum, recorded in the
    state directory while on lo; after it left the configuration the record still makes it ours (withdrawn at the
    next step), an IPv6 address that was never a VIP is left alone, and withdraw-all takes every one of ours."""
    director.conf.write_text(json.dumps(dict(json.loads(director.conf.read_text()), vips={VIP6: [HTTP6]},
                                             quorum={HTTP6: 1})))
    table = IPVS_HEAD + ('TCP  [2001:db8:100::10]:80 mh (mh-fallback,mh-port)\n'
                         '  -> [2001:db8:101::11]:80        Route   %d      0          0\n')
    director.set_ipvs(table % 2)
    writer = director.start_keepalived()
    director.record(HTTP6, good_record(writer))
    director.set_addresses([{'local': '2001:db8:100::99', 'prefixlen': 128, 'family': 'inet6'}])
    assert director.step()[VIP6]['announce'] is True
    assert director.addresses() == {VIP6, '2001:db8:100::99'}
    added = json.loads((director.stub / 'addrs.json').read_text())
    assert {'local': VIP6, 'prefixlen': 128, 'family': 'inet6'} in added
    assert json.loads((director.state / 'ipv6-added.json').read_text()) == [VIP6]
    log = (director.stub / 'ip.log').read_text()
    assert '-6 address replace %s/128 dev lo\n' % VIP6 in log
    # below quorum in IPVS and reported down: withdrawn
    director.record(HTTP6, good_record(writer, 'down', 2.0))
    director.set_ipvs(table % 0)
    assert director.step()[VIP6]['announce'] is False
    assert director.addresses() == {'2001:db8:100::99'}
    assert json.loads((director.state / 'ipv6-added.json').read_text()) == []
    # announced again, then the VIP leaves the configuration: still ours (the record), withdrawn
    director.record(HTTP6, good_record(writer, 'up', 3.0))
    director.set_ipvs(table % 2)
    director.step()
    assert VIP6 in director.addresses()
    director.conf.write_text(json.dumps(dict(json.loads(director.conf.read_text()), vips={VIP: []}, quorum={})))
    director.step()
    assert director.addresses() == {VIP, '2001:db8:100::99'}
    # withdraw-all: ours only (the IPv4 VIP by its label, an IPv6 VIP of the record)
    director.conf.write_text(json.dumps(dict(json.loads(director.conf.read_text()), vips={VIP: [HTTP6]})))
    director.set_addresses(json.loads((director.stub / 'addrs.json').read_text())
                           + [{'local': VIP6, 'prefixlen': 128, 'family': 'inet6'}])
    (director.state / 'ipv6-added.json').write_text(json.dumps([VIP6]))
    res = director.program('withdraw-all')
    assert res.returncode == 0 and director.addresses() == {'2001:db8:100::99'}, res


# --- 4. the FRR start gate never keeps FRR down -----------------------------------------------------------------

def test_wait_announced_once_with_a_broken_ip_still_leaves_the_marker(director):
    (director.stub / 'ip.fail').write_text('')
    start = time.monotonic()
    res = director.program('wait-announced', '--once', '--timeout', '1', timeout=15)
    assert time.monotonic() - start < 1 + 5
    assert res.returncode == 1, res.stderr
    report = json.loads(res.stdout)
    assert report['result'] == 'timeout' and 'CalledProcessError' in report['error']
    assert (director.state / ann.config.ONCE_MARKER).read_text().endswith('ended with 1\n')


def test_wait_announced_once_leaves_the_marker_when_killed_by_timeout(director):
    """coreutils `timeout` (the unit's bound) sends SIGTERM: the marker is still written."""
    proc = subprocess.Popen(COMMAND + ['--config', str(director.conf), 'wait-announced', '--once', '--timeout', '60'],
                            env=director.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=10)
    assert proc.returncode == 128 + signal.SIGTERM
    assert (director.state / ann.config.ONCE_MARKER).read_text().endswith('ended with an error\n')


@pytest.mark.parametrize('stderr, gone', [
    ('RTNETLINK answers: Cannot assign requested address', True),  # iproute2 of Debian 12
    ('Error: ipv4: Address not found.', True),  # iproute2 of Debian 13 (the trixie lab's journal)
    ('RTNETLINK answers: Operation not permitted', False)])
def test_deleting_a_vip_that_is_already_gone_is_done(tmp_path, stderr, gone):
    """Host.delete of an address someone else removed first (the keepalived-stopping hook withdraws too) is done,
    not an error the reconciler logs with a traceback and retries; any other failure of `ip` still raises."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'ip').write_text('#!/bin/sh\necho "%s" >&2\nexit 2\n' % stderr)
    (bin_dir / 'ip').chmod(0o755)
    code = textwrap.dedent('''
        import sys
        sys.path.insert(0, %r)
        from ecmp_lvs_announce import host
        try:
            host.Host.delete({}, %r)
        except OSError as exc:
            print('raised: %%s' %% exc)
        else:
            print('done')
        ''' % (announce_package.installed()[1], VIP))
    res = subprocess.run([sys.executable, '-I', '-S', '-c', code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=dict(os.environ, PATH='%s:%s' % (bin_dir, os.environ.get('PATH', '/usr/bin:/bin'))),
                         universal_newlines=True, timeout=20, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == ('done' if gone else 'raised: ip address del %s: %s' % (VIP, stderr)), res.stdout
