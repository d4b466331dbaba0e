# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the package roles/director/files/ecmp_lvs_announce (the command /usr/local/sbin/ecmp-lvs-announce).

The announce / withdraw / hold-down rules run against a fake host and a fake clock; the parsers against real
command output captured in the UML lab (tests/fixtures/announce/README.txt) and the ipvsadm fixtures. The real
daemons (keepalived quorum scripts, FRR, the router's route) are exercised by tests/lab/announce.yml."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import resource
import subprocess
import sys
import time

import pytest

from ansible_collections.ecmp.lvs.tests.unit.roles import announce_package

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FIX = os.path.join(ROOT, 'tests', 'fixtures')

ann = announce_package.load()
# the installed command, run as its shebang does
COMMAND = announce_package.argv()
# the director's python (the Python reporter of earlier versions)
PYTHON = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
# keepalived's quorum reporter, installed next to the package
QUORUM = os.path.join(announce_package.installed()[1], ann.config.QUORUM)

VIP = '10.99.100.10'
VIP2 = '10.99.100.20'
HTTP = 'tcp:10.99.100.10:80'
HTTPS = 'tcp:10.99.100.10:443'
DNS = 'udp:10.99.100.20:53'
CHECKER = [981, 5000]        # keepalived checker process [pid, starttime]
NEW_CHECKER = [1401, 9000]   # after a keepalived restart


def fixture(*parts):
    with open(os.path.join(FIX, *parts), encoding='utf-8') as handle:
        return handle.read()


def config(**over):
    conf = dict(ann.config.DEFAULTS)
    conf.update({'holddown': 5.0, 'vips': {VIP: [HTTP], VIP2: []}})
    conf.update(over)
    return ann.config.load_config(json.dumps(conf))


def rec(state, at, writer=None, seq=None):
    return {'state': state, 'at': float(at), 'writer': list(writer or CHECKER), 'seq': list(seq or [int(at * 100), 1])}


class Clock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


class FakeHost:
    """What the reconciler sees of a director: records written by keepalived's scripts, the drain flag, which
    processes live, the VIP addresses on lo. Every add/delete is logged with the fake time."""

    def __init__(self, clock, conf=None):
        self.clock = clock
        self.conf = conf or config()
        self.records_ = {}
        self.drained_ = False
        self.running = True
        self.alive = {tuple(CHECKER)}
        self.addresses = set()
        self.actions = []
        self.statuses = []

    def config(self):
        return self.conf

    def records(self, conf, now=None):  # pylint: disable=unused-argument
        return dict((k, v) for k, v in self.records_.items() if any(k in keys for keys in conf['vips'].values()))

    def drained(self, conf):
        return self.drained_

    def keepalived_running(self, conf):
        return self.running

    def writer_alive(self, writer):
        return tuple(writer) in self.alive

    def present(self, conf):
        return set(self.addresses)

    def add(self, conf, vip):
        self.addresses.add(vip)
        self.actions.append((self.clock(), 'add', vip))

    def delete(self, conf, vip):
        self.addresses.discard(vip)
        self.actions.append((self.clock(), 'del', vip))

    def write_status(self, conf, status):
        self.statuses.append(status)

    # keepalived's side: what `ecmp-lvs-quorum up|down KEY` stores (the reporter itself is tested for real below:
    # a repeated state of the same writer keeps its first time)
    def quorum(self, state, key, writer=None):
        prev, writer = self.records_.get(key), list(writer or CHECKER)
        keep = prev is not None and prev['writer'] == writer and prev['state'] == state
        self.records_[key] = rec(state, prev['at'] if keep else self.clock(), writer,
                                 [int(self.clock() * 100), len(self.actions) + 2])


@pytest.fixture(name='env')
def env_fixture():
    clock = Clock()
    host = FakeHost(clock)
    return clock, host, ann.reconciler.Reconciler(host, clock)


def run(clock, reconciler, until, step=0.1):
    """Step the reconciler every `step` seconds of fake time until `until`."""
    while clock.now < until - 1e-9:
        reconciler.step()
        clock.now = round(clock.now + step, 6)
    reconciler.step()


# --- keys, configuration ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('key', ['tcp:10.99.100.10:80', 'udp:1.2.3.4:53', 'sctp:10.0.0.1:65535', 'fwmark:1',
                                 'fwmark:4294967295', 'group:web', 'group:a.b_c-d:e', 'tcp:2001:db8:100::10:80',
                                 'udp:2001:db8::1:2:53', 'tcp:2001:db8:100::1:8'])
def test_check_key_accepts(key):
    assert ann.config.check_key(key) == key


@pytest.mark.parametrize('key', ['', 'tcp:10.99.100.10', 'icmp:1.2.3.4:1', 'tcp:1.2.3.4:0', 'tcp:1.2.3.4:65536',
                                 'tcp:1.2.3.400:80', 'tcp:01.2.3.4:80', 'tcp:1.2.3.4:080', 'tcp:../../etc:80',
                                 'tcp:1.2.3.4:80/x', 'tcp:[::1]:80', 'tcp:1.2.3.4:\u0661', 'fwmark:0', 'fwmark:01',
                                 'fwmark:4294967296', 'fwmark:', 'group:', 'group:../x', 'group:a/b', 'group:' + 'x' * 65,
                                 'group:\u00e9', 'tcp:2001:DB8::10:80', 'tcp:2001:db8:0::10:80', 'tcp:::ffff:1.2.3.4:80',
                                 'tcp:2001:db8::10', 'tcp:2001:db8::g:80', 'tcp:2001:db8:100::10:080'])
def test_check_key_rejects(key):
    with pytest.raises(ann.config.AnnounceError, match='invalid service key'):
        ann.config.check_key(key)


def test_load_config_fills_defaults():
    conf = ann.config.load_config(json.dumps({'vips': {VIP: [HTTP]}}))
    assert conf['holddown'] == 5.0 and conf['interval'] == 1.0 and conf['require_quorum'] is True
    assert conf['vips'] == {VIP: [HTTP]} and conf['label'] == 'lo:lvs'


@pytest.mark.parametrize('text,message', [
    ('nope', 'not JSON'),
    ('[]', 'JSON object'),
    ('{"holdown": 1}', 'unknown configuration keys: holdown'),
    ('{"holddown": -1}', 'holddown must be a number'),
    ('{"holddown": true}', 'holddown must be a number'),
    ('{"interval": 0}', 'interval must be > 0'),
    ('{"vips": []}', 'vips must be an object'),
    ('{"vips": {"10.99.100.300": []}}', 'invalid VIP'),
    ('{"vips": {"2001:DB8::10": []}}', 'invalid VIP'),
    ('{"vips": {"2001:db8:0:0::10": []}}', 'invalid VIP'),
    ('{"vips": {"10.99.100.10": "tcp:10.99.100.10:80"}}', 'must be a list'),
    ('{"vips": {"10.99.100.10": ["tcp:10.99.100.10:0"]}}', 'invalid service key'),
])
def test_load_config_rejects(text, message):
    with pytest.raises(ann.config.AnnounceError, match=message):
        ann.config.load_config(text)


# --- records ----------------------------------------------------------------------------------------------------

def test_parse_record():
    """The line ecmp-lvs-quorum writes (its time from /proc/uptime: two decimals)."""
    assert ann.records.parse_record('up 1234.56 981 5000 123456 4242\n') == rec('up', 1234.56, seq=[123456, 4242])


@pytest.mark.parametrize('text', ['', 'up', 'sideways 1 2 3 4 5', 'up x 2 3 4 5', 'up 1 2 3 4 5 6', 'up 1 2 3 4 x'])
def test_parse_record_rejects(text):
    assert ann.records.parse_record(text) is None


# --- decide (pure) ------------------------------------------------------------------------------------------------

def decide(records, announced=(), drained=False, running=True, alive=(tuple(CHECKER),), now=100.0, pending=(),
           conf=None):
    return ann.reconciler.decide(conf or config(), records, drained, running, lambda w: tuple(w) in alive, now,
                                 set(announced), set(pending))


def test_decide_nothing_reported_yet_is_withdrawn():
    res = decide({})
    assert res[VIP]['announce'] is False
    assert res[VIP]['reason'] == '%s: no quorum report from keepalived yet' % HTTP
    assert res[VIP2] == {'announce': True, 'reason': 'no health-gated service', 'services': {}}


def test_decide_holddown_boundary():
    records = {HTTP: rec('up', 95.0)}
    assert decide(records, now=99.99)[VIP]['announce'] is False
    assert decide(records, now=99.99)[VIP]['services'][HTTP]['status'] == 'holddown'
    assert decide(records, now=100.0)[VIP]['announce'] is True
    assert decide(records, now=100.0)[VIP]['reason'] == 'every service has quorum'


def test_decide_down_withdraws_an_announced_vip():
    res = decide({HTTP: rec('down', 99.0)}, announced=[VIP])
    assert res[VIP]['announce'] is False and res[VIP]['reason'] == '%s: quorum down' % HTTP


def test_decide_every_service_of_the_vip_counts():
    conf = config(vips={VIP: [HTTP, HTTPS]})
    up_long = rec('up', 10.0)
    assert decide({HTTP: up_long, HTTPS: up_long}, conf=conf)[VIP]['announce'] is True
    res = decide({HTTP: up_long, HTTPS: rec('down', 99.0)}, announced=[VIP], conf=conf)
    assert res[VIP]['announce'] is False and res[VIP]['reason'] == '%s: quorum down' % HTTPS
    # hold-down counts from the last service that came up
    assert decide({HTTP: up_long, HTTPS: rec('up', 97.0)}, conf=conf)[VIP]['announce'] is False


def test_decide_drained_wins():
    res = decide({HTTP: rec('up', 10.0)}, announced=[VIP, VIP2], drained=True)
    assert [res[v]['announce'] for v in (VIP, VIP2)] == [False, False]
    assert res[VIP]['reason'] == 'drained'


def test_decide_keepalived_not_running():
    res = decide({HTTP: rec('up', 10.0)}, announced=[VIP], running=False)
    assert res[VIP] == dict(res[VIP], announce=False, reason='keepalived is not running')
    assert res[VIP2]['announce'] is True   # no health-gated service: only the drain flag counts


def test_decide_reporting_checker_gone():
    res = decide({HTTP: rec('up', 10.0)}, announced=[VIP], alive=())
    assert res[VIP]['announce'] is False
    assert res[VIP]['services'][HTTP]['status'] == 'gone'


def test_decide_unknown_or_flapping_service_keeps_an_announced_vip():
    conf = config(vips={VIP: [HTTP, HTTPS]})
    # HTTPS has never reported (e.g. keepalived.conf reloaded without a transition): nothing against it
    res = decide({HTTP: rec('up', 10.0)}, announced=[VIP], conf=conf)
    assert res[VIP]['announce'] is True
    assert res[VIP]['reason'] == 'not withdrawn for %s: no quorum report from keepalived yet' % HTTPS
    # HTTP went down and up between two reconciliations: in hold-down, but never withdrawn
    assert decide({HTTP: rec('up', 99.9), HTTPS: rec('up', 10.0)}, announced=[VIP], conf=conf)[VIP]['announce']
    # ... but a withdrawn VIP needs every service up for the hold-down
    assert not decide({HTTP: rec('up', 10.0)}, conf=conf)[VIP]['announce']


def test_decide_pending_service_down_keeps_an_announced_vip_only():
    conf = config(vips={VIP: [HTTP, HTTPS]})
    records = {HTTP: rec('up', 10.0), HTTPS: rec('down', 99.0)}
    res = decide(records, announced=[VIP], pending=[HTTPS], conf=conf)
    assert res[VIP]['announce'] is True
    assert res[VIP]['reason'] == 'not withdrawn for %s: quorum down (new service)' % HTTPS
    assert decide(records, pending=[HTTPS], conf=conf)[VIP]['announce'] is False
    # a pending service whose checker is gone does not keep it
    assert not decide(records, announced=[VIP], pending=[HTTPS], alive=(), conf=conf)[VIP]['announce']


def test_decide_quorum_not_required():
    conf = config(require_quorum=False)
    res = decide({}, conf=conf, running=False)
    assert res[VIP] == {'announce': True, 'reason': 'quorum not required', 'services': {}}
    assert decide({}, conf=conf, drained=True)[VIP]['announce'] is False


# --- the reconciler over (fake) time ---------------------------------------------------------------------------

def test_boot_announces_after_quorum_and_holddown(env):
    """Reboot: nothing announced until keepalived reports quorum, then after the hold-down."""
    clock, host, rec_ = env
    run(clock, rec_, 1002.0)
    assert host.addresses == {VIP2}        # the VIP without a health-gated service only waits for the drain flag
    host.quorum('down', HTTP)               # alpha: keepalived starts the service with quorum down
    run(clock, rec_, 1003.0)
    host.quorum('up', HTTP)                 # the first checks passed
    run(clock, rec_, 1010.0)
    assert (1008.0, 'add', VIP) in host.actions
    assert [a for a in host.actions if a[2] == VIP] == [(1008.0, 'add', VIP)]


def test_quorum_down_withdraws_within_one_interval(env):
    clock, host, rec_ = env
    host.quorum('up', HTTP)
    run(clock, rec_, 1006.0)
    assert VIP in host.addresses
    clock.now = 1006.05
    host.quorum('down', HTTP)
    run(clock, rec_, 1006.2)
    withdrawals = [a for a in host.actions if a[1:] == ('del', VIP)]
    assert withdrawals and withdrawals[0][0] - 1006.05 <= 0.1 + 1e-9, host.actions
    # quorum back: announced again only after the hold-down
    clock.now = 1007.0
    host.quorum('up', HTTP)
    run(clock, rec_, 1013.0)
    assert [a for a in host.actions if a[2] == VIP] == [(1005.0, 'add', VIP), withdrawals[0], (1012.0, 'add', VIP)]


def test_drain_and_undrain(env):
    clock, host, rec_ = env
    host.quorum('up', HTTP)
    run(clock, rec_, 1006.0)
    host.drained_ = True
    run(clock, rec_, 1006.1)
    assert host.addresses == set()
    assert host.statuses[-1]['drained'] is True
    assert host.statuses[-1]['vips'][VIP]['reason'] == 'drained'
    host.drained_ = False
    run(clock, rec_, 1006.2)
    # quorum has been up for longer than the hold-down: back at once
    assert host.addresses == {VIP, VIP2}


def test_keepalived_restart_withdraws_until_the_new_checker_reports(env):
    clock, host, rec_ = env
    host.quorum('up', HTTP)
    run(clock, rec_, 1006.0)
    host.running = False                    # systemctl stop keepalived (or a crash)
    host.alive.clear()
    run(clock, rec_, 1006.1)
    assert VIP not in host.addresses
    host.running = True                     # started again: the old checker's record is stale
    run(clock, rec_, 1010.0)
    assert VIP not in host.addresses
    assert host.statuses[-1]['vips'][VIP]['services'][HTTP]['status'] == 'gone'
    host.alive.add(tuple(NEW_CHECKER))
    host.quorum('down', HTTP, writer=NEW_CHECKER)
    clock.now = 1011.0
    host.quorum('up', HTTP, writer=NEW_CHECKER)
    run(clock, rec_, 1017.0)
    assert (1016.0, 'add', VIP) in host.actions


def test_checker_crash_withdraws(env):
    """keepalived's main process respawns a crashed checker: the reports of the dead one no longer count."""
    clock, host, rec_ = env
    host.quorum('up', HTTP)
    run(clock, rec_, 1006.0)
    host.alive.clear()
    run(clock, rec_, 1006.1)
    assert VIP not in host.addresses


def test_service_added_to_an_announced_vip(env):
    """A reload adds HTTPS (alpha: quorum down at first on every director): the VIP stays until HTTPS has been up
    once; afterwards a quorum loss of HTTPS withdraws it like any other."""
    clock, host, rec_ = env
    host.quorum('up', HTTP)
    run(clock, rec_, 1006.0)
    host.conf = config(vips={VIP: [HTTP, HTTPS], VIP2: []})
    host.quorum('down', HTTPS)
    run(clock, rec_, 1008.0)
    assert VIP in host.addresses
    assert host.statuses[-1]['vips'][VIP]['reason'] == 'not withdrawn for %s: quorum down (new service)' % HTTPS
    host.quorum('up', HTTPS)
    run(clock, rec_, 1015.0)
    assert rec_.pending == set()
    host.quorum('down', HTTPS)
    run(clock, rec_, 1015.2)
    assert VIP not in host.addresses


def test_new_vip_is_not_pending(env):
    """A service of a VIP that is not announced (here: new) is strict: the VIP waits for it."""
    clock, host, rec_ = env
    vip3, key3 = '10.99.100.30', 'udp:10.99.100.30:53'
    run(clock, rec_, 1001.0)
    host.conf = config(vips={VIP: [HTTP], VIP2: [], vip3: [key3]})
    host.quorum('down', key3)
    run(clock, rec_, 1002.0)
    assert vip3 not in host.addresses and rec_.pending == set()
    host.quorum('up', key3)
    run(clock, rec_, 1007.0)
    assert vip3 in host.addresses


def test_removed_vip_is_withdrawn_and_stray_addresses_resynced(env):
    clock, host, rec_ = env
    run(clock, rec_, 1001.0)
    assert VIP2 in host.addresses
    host.conf = config(vips={VIP: [HTTP]})
    run(clock, rec_, 1001.2)
    assert VIP2 not in host.addresses
    # someone deletes an announced address by hand: restored at the next resync (5 s)
    host.conf = config(vips={VIP: [HTTP], VIP2: []})
    run(clock, rec_, 1001.5)
    host.addresses.discard(VIP2)
    run(clock, rec_, 1007.0)
    assert VIP2 in host.addresses


def test_status_written_only_on_change(env):
    clock, host, rec_ = env
    run(clock, rec_, 1003.0)
    assert len(host.statuses) == 1
    host.quorum('up', HTTP)
    run(clock, rec_, 1009.0)
    # hold-down started, then announced
    assert [s['vips'][VIP]['announced'] for s in host.statuses] == [False, False, True]
    last = host.statuses[-1]
    assert last['vips'][VIP]['changed_at'] - last['vips'][VIP]['services'][HTTP]['since'] == 5.0


# --- parsers on real output ----------------------------------------------------------------------------------------

def test_ipv6_keys_and_config():
    key = 'tcp:2001:db8:100::10:80'
    assert ann.config.kernel_keys(key, {}) == [('tcp', '2001:db8:100::10', 80)]
    conf = ann.config.load_config(json.dumps({'vips': {VIP: [HTTP], '2001:db8:100::10': [key]}, 'quorum': {key: 1}}))
    assert conf['vips']['2001:db8:100::10'] == [key]


def test_parse_ip_addresses_dual_stack_real_output():
    """IPv6 addresses carry no label: ours are the IPv6 VIPs given, as /128 only."""
    text = fixture('announce', 'ip-j-addr-lo-dual.json')
    vips6 = {'2001:db8:100::10', '2001:db8:100::99'}
    assert ann.parsers.parse_ip_addresses(text, 'lo:lvs', vips6) == {VIP, '2001:db8:100::10'}
    assert ann.parsers.parse_ip_addresses(text, 'lo:lvs') == {VIP}
    assert ann.parsers.parse_withdraw_targets(text, 'lo:lvs', {'2001:db8:100::10': [], '127.0.0.1': []}) == [
        VIP, '2001:db8:100::10']


def test_parse_ip_addresses_real_output():
    text = fixture('announce', 'ip-j-4-addr-lo.json')
    assert ann.parsers.parse_ip_addresses(text, 'lo:lvs') == {VIP}
    assert ann.parsers.parse_ip_addresses(text, 'lo') == {'127.0.0.1'}
    assert ann.parsers.parse_ip_addresses('[]', 'lo:lvs') == set()


def test_proc_stat_fields_real_keepalived():
    comm, ppid, start = ann.parsers.proc_stat_fields(fixture('announce', 'proc-keepalived-checker-stat.txt'))
    assert comm == 'keepalived'
    assert (ppid, start) == (981, 25011)


def test_proc_stat_fields_comm_with_spaces_and_parens():
    text = '4242 (a b) c)) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 777 1 1 1\n'
    assert ann.parsers.proc_stat_fields(text) == ('a b) c)', 1, 777)


def test_parse_ipvs_stats_real_output():
    stats = ann.parsers.parse_ipvs_stats(fixture('ipvsadm', 'full-Ln-stats.txt'))
    assert stats[('tcp', '10.99.200.1', 80)] == {'conns': 7, 'inpkts': 25, 'outpkts': 20, 'inbytes': 1581,
                                                 'outbytes': 9675}
    assert stats[('udp', '10.99.200.1', 53)]['inpkts'] == 3
    assert ('sctp', '10.99.200.4', 5060) in stats
    # the IPv4 firewall-mark service by its mark (drain waits count it); the IPv6 one (FWM 43 IPv6) is not ours
    assert stats[('fwmark', None, 42)] == {'conns': 0, 'inpkts': 0, 'outpkts': 0, 'inbytes': 0, 'outbytes': 0}
    assert not [k for k in stats if k[0] not in ('tcp', 'udp', 'sctp', 'fwmark')]
    assert ('fwmark', None, 43) not in stats


def test_parse_ipvs_conns_real_output():
    conns = ann.parsers.parse_ipvs_conns(fixture('ipvsadm', 'full-Ln.txt'))
    # 10.99.200.1:80: active 1 + 3 + 0, inactive 3 + 0 + 0
    assert conns[('tcp', '10.99.200.1', 80)] == [4, 3]
    assert conns[('udp', '10.99.200.1', 53)] == [0, 3]
    assert conns[('tcp', '10.99.200.5', 25)] == [0, 0]
    # the fwmark services' real servers are not added to the service listed before them (an IPv6 service: its
    # address as the collection's parser gives it, never one of the IPv4 VIPs)
    assert conns[('udp', '2001:db8::1', 53)] == [0, 0]


def test_idle():
    idle = ann.waits.Idle(quiet=5)
    assert idle.feed(0.0, 100) is False
    assert idle.feed(1.0, 130) is False
    assert idle.feed(5.9, 130) is False
    assert idle.feed(6.0, 130) is True
    assert idle.received() == 30 and idle.changed_at == 1.0


# --- the quorum command, for real (a process, files, /proc) ----------------------------------------------------

def me():
    """[pid, starttime] of this process: the writer of the records of the reporters it runs."""
    return [os.getpid(), ann.host.process_stat(os.getpid())[2]]


def report(state_dir, state, key, command=None, check=True):
    res = subprocess.run((command or [QUORUM]) + [state, key, '--state-dir', str(state_dir)], capture_output=True,
                         text=True, check=False, timeout=30)
    assert not check or res.returncode == 0, res.stderr
    return res


def stored(state_dir, key=HTTP):
    return ann.records.parse_record((state_dir / 'quorum' / key).read_text())


@pytest.fixture(name='qdir')
def qdir_fixture(tmp_path):
    os.mkdir(str(tmp_path / 'quorum'))
    return tmp_path


def test_quorum_reporter_records_state_writer_and_time(qdir):
    """down, up, up: the record is `up` from the first `up` (a duplicate does not restart the hold-down), its writer
    is the parent (keepalived's checker), its time CLOCK_BOOTTIME (records.now, the service's clock), mode 0644 whatever
    keepalived's umask."""
    res = report(qdir, 'down', HTTP)
    assert res.stdout == '%s quorum down\n' % HTTP and res.stderr == ''
    before = ann.records.now()
    report(qdir, 'up', HTTP)
    first = stored(qdir)
    assert first['state'] == 'up' and first['writer'] == me()
    assert before - 0.02 <= first['at'] <= ann.records.now()
    time.sleep(0.05)
    report(qdir, 'up', HTTP)
    again = stored(qdir)
    assert again['at'] == first['at'] and again['seq'] > first['seq']
    assert oct(os.stat(str(qdir / 'quorum' / HTTP)).st_mode & 0o777) == '0o644'
    assert sorted(os.listdir(str(qdir / 'quorum'))) == ['.lock', HTTP]        # no temporary file left


def test_quorum_reporter_drops_a_report_older_than_the_stored_one(qdir):
    """keepalived forks the reporters without waiting: a `down` forked after an `up` may store first."""
    writer = me()
    later = 'down 12.50 %d %d %d 1\n' % (writer[0], writer[1], 1 << 40)
    (qdir / 'quorum' / HTTP).write_text(later)
    res = report(qdir, 'up', HTTP)
    assert res.stdout == '%s quorum up (older than the stored report: ignored)\n' % HTTP
    assert (qdir / 'quorum' / HTTP).read_text() == later


def test_quorum_reporter_new_writer_wins_regardless_of_seq(qdir):
    """After a restart of keepalived (a new checker) its first report replaces the old checker's record."""
    (qdir / 'quorum' / HTTP).write_text('up 12.00 %d 5000 %d 30000\n' % (NEW_CHECKER[0], 1 << 40))
    report(qdir, 'down', HTTP)
    assert stored(qdir)['state'] == 'down' and stored(qdir)['writer'] == me()


@pytest.mark.parametrize('text', ['', 'up', 'up x 1 2 3 4', 'up 1 2 3 4 5 6', 'sideways 1 2 3 4 5'])
def test_quorum_reporter_replaces_an_unreadable_record(qdir, text):
    """Whatever parse_record does not accept counts as no record: the report is stored with its own time."""
    (qdir / 'quorum' / HTTP).write_text(text)
    report(qdir, 'up', HTTP)
    assert stored(qdir)['writer'] == me() and stored(qdir)['at'] > 12


def test_quorum_reporter_stores_the_last_of_concurrent_reports(qdir):
    """50 reporters of one service forked in a row without waiting (as keepalived does): the record is the state of
    the last one forked (the lock, the sequence [starttime, pid])."""
    procs = [subprocess.Popen([QUORUM, ('up', 'down')[i % 2], HTTP, '--state-dir', str(qdir)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for i in range(50)]
    last = procs[-1].pid
    assert all(proc.wait(timeout=60) == 0 for proc in procs)
    assert stored(qdir)['state'] == 'down' and stored(qdir)['seq'][1] == last


def test_quorum_reporter_is_small(qdir):
    """keepalived runs one reporter per service at once: after a reload of 500 services ~500 (the Python reporter
    of earlier versions took ~11 MB each: the 224 MiB lab director ran out of memory). Every process of a report
    (the shell, flock, mv) works within 8 MiB of address space, where python3 does not even start."""
    limit = 8 << 20

    def small():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {'PATH': '/usr/bin:/bin', 'LANG': 'C.UTF-8'}
    res = subprocess.run([QUORUM, 'up', HTTP, '--state-dir', str(qdir)], preexec_fn=small, env=env,
                         capture_output=True, text=True, check=False, timeout=30)
    assert res.returncode == 0 and stored(qdir)['state'] == 'up', res.stderr
    res = subprocess.run([PYTHON, '-I', '-S', '-c', 'import os, sys, time, fcntl'], preexec_fn=small, env=env,
                         capture_output=True, text=True, check=False, timeout=30)
    assert res.returncode != 0


@pytest.mark.parametrize('key', ['tcp:10.99.100.10:80', 'udp:1.2.3.4:53', 'fwmark:4294967295', 'group:a.b_c-d:e',
                                 'tcp:2001:db8:100::10:80', 'sctp:10.0.0.1:65535'])
def test_quorum_reporter_accepts_the_keys_of_the_configuration(qdir, key):
    assert ann.config.check_key(key) == key
    report(qdir, 'up', key)
    assert stored(qdir, key)['state'] == 'up'


@pytest.mark.parametrize('args', [['up', 'tcp:../x:80'], ['up', 'tcp:a/b:80'], ['up', '../../etc/x'], ['up', ''],
                                  ['up', 'http:1.2.3.4:80'], ['up', 'group:'], ['up', 'tcp:1.2.3.4:80 x'],
                                  ['up', 'group:' + 'a' * 80], ['sideways', HTTP], ['up'], ['up', HTTP, '--x', 'y']])
def test_quorum_reporter_rejects_bad_arguments(qdir, args):
    res = subprocess.run([QUORUM] + args + ([] if '--x' in args else ['--state-dir', str(qdir)]) if len(args) == 2
                         else [QUORUM] + args, capture_output=True, text=True, check=False, timeout=30)
    assert res.returncode == 2 and res.stderr.startswith('ecmp-lvs-quorum: '), res.stderr
    assert os.listdir(str(qdir / 'quorum')) == []


def test_quorum_reporter_without_its_directory_fails(tmp_path):
    res = report(tmp_path, 'down', HTTP, check=False)
    assert res.returncode == 1 and 'quorum down of %s not stored' % HTTP in res.stderr


def test_quorum_command_of_earlier_configurations_runs_the_reporter(qdir):
    """`ecmp-lvs-announce quorum up|down KEY` (keepalived.conf of earlier versions, until keepalived reloads the new
    one) runs the installed reporter in its own process: the writer is still the caller."""
    res = report(qdir, 'up', HTTP, command=COMMAND + ['quorum'])
    assert res.stdout == '%s quorum up\n' % HTTP
    assert stored(qdir)['writer'] == me()
    res = report(qdir, 'up', 'tcp:../x:80', command=COMMAND + ['quorum'], check=False)
    assert res.returncode == 2 and 'invalid service key' in res.stderr


def test_drain_commands_and_check_config(tmp_path):
    conf = tmp_path / 'announce.json'
    conf.write_text(json.dumps({'vips': {VIP: [HTTP]}, 'drain_file': str(tmp_path / 'lib' / 'drained'),
                                'state_dir': str(tmp_path)}))
    cmd = COMMAND + ['--config', str(conf)]
    out = subprocess.run(cmd + ['check-config'], capture_output=True, text=True, check=True).stdout
    assert out == '%s: 1 VIP(s), 1 health-gated service(s)\n' % conf
    assert subprocess.run(cmd + ['drain'], capture_output=True, text=True, check=True).stdout.startswith('drained')
    assert (tmp_path / 'lib' / 'drained').exists()
    assert 'already' in subprocess.run(cmd + ['drain'], capture_output=True, text=True, check=True).stdout
    assert 'undrained' in subprocess.run(cmd + ['undrain'], capture_output=True, text=True, check=True).stdout
    assert not (tmp_path / 'lib' / 'drained').exists()
    conf.write_text('{"vips": {"10.99.100.10": ["tcp:10.99.100.10:0"]}}')
    res = subprocess.run(cmd + ['check-config'], capture_output=True, text=True, check=False)
    assert res.returncode == 2 and 'invalid service key' in res.stderr


# --- keepalived --config-test work-around, event waiting (real inotify / pidfd of this kernel) -------------------

def test_config_for_test_sets_script_user_root_only():
    text = ('global_defs {\n    router_id d1\n    enable_script_security\n    script_user keepalived_script\n}\n'
            'virtual_server 10.99.100.10 80 {\n    quorum_up "/usr/local/sbin/ecmp-lvs-announce quorum up %s"\n}\n'
            % HTTP)
    want = text.replace('script_user keepalived_script', 'script_user root')
    assert ann.commands.config_for_test(text) == want
    assert ann.commands.config_for_test(want) == want


def test_config_for_test_runs_the_quorum_scripts_as_root():
    """quorum_up/quorum_down name their own user (director_quorum_script_user): removed for the test as well."""
    text = ('    quorum_up "/usr/local/sbin/ecmp-lvs-announce quorum up %s" ecmp-lvs-quorum\n'
            '    quorum_down "/usr/local/sbin/ecmp-lvs-announce quorum down %s" ecmp-lvs-quorum grp\n' % (HTTP, HTTP))
    assert ann.commands.config_for_test(text) == ('    quorum_up "/usr/local/sbin/ecmp-lvs-announce quorum up %s"\n'
                                                  '    quorum_down "/usr/local/sbin/ecmp-lvs-announce quorum down %s"\n'
                                                  % (HTTP, HTTP))


def test_waiter_wakes_on_a_file_event_and_a_process_end(tmp_path):
    import threading
    import time
    waiter = ann.runner.Waiter()
    assert waiter.fd is not None, 'inotify through ctypes is expected on Linux'
    waiter.watch([str(tmp_path)])
    timer = threading.Timer(0.2, lambda: ann.host.write_atomic(str(tmp_path / 'rec'), 'x'))
    timer.start()
    start = time.monotonic()
    waiter.wait(10)
    assert time.monotonic() - start < 5
    timer.join()
    time.sleep(0.05)
    waiter.wait(0)                  # the rest of the write's events (create, close, rename)
    proc = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(0.3)'])
    waiter.follow([proc.pid])
    start = time.monotonic()
    waiter.wait(10)
    assert time.monotonic() - start < 5
    proc.wait()
    assert proc.pid in waiter.ended and proc.pid not in waiter.pidfds
    # nothing happens: the timeout
    waiter.follow([proc.pid])       # an ended process is never followed again (its pidfd would stay readable)
    start = time.monotonic()
    waiter.wait(0.3)
    assert time.monotonic() - start >= 0.29


def test_write_atomic_ignores_the_umask(tmp_path):
    """keepalived runs its scripts with umask 077; the root service (no CAP_DAC_OVERRIDE) must read the records."""
    old = os.umask(0o077)
    try:
        ann.host.write_atomic(str(tmp_path / 'rec'), 'up 1 2 3 4 5\n')
    finally:
        os.umask(old)
    assert oct(os.stat(str(tmp_path / 'rec')).st_mode & 0o777) == '0o644'
    assert os.listdir(str(tmp_path)) == ['rec']


def test_status_without_the_service(tmp_path):
    conf = tmp_path / 'announce.json'
    conf.write_text(json.dumps({'vips': {VIP: [HTTP]}, 'drain_file': str(tmp_path / 'drained'),
                                'state_dir': str(tmp_path), 'label': 'lo:nosuch'}))
    res = subprocess.run(COMMAND + ['--config', str(conf), 'status'], capture_output=True, text=True,
                         check=False)
    assert res.returncode == 1, res.stderr
    assert json.loads(res.stdout) == {'error': 'ecmp-lvs-announce.service is not running', 'present': [],
                                      'drain_file': str(tmp_path / 'drained'), 'drained': False,
                                      'drain_intent_file': str(tmp_path / 'draining'), 'drain_intent_age': None}
    # a status file of a process that is gone does not count
    (tmp_path / 'status.json').write_text(json.dumps({'pid': 2 ** 22 + 1, 'vips': {}}))
    res = subprocess.run(COMMAND + ['--config', str(conf), 'status'], capture_output=True, text=True,
                         check=False)
    assert res.returncode == 1 and 'not running' in res.stdout


def test_drain_intent_age(tmp_path):
    """playbooks/drain.yml's intent next to the drain flag: its age in seconds; nothing for a missing file, a
    directory or a link (never followed)."""
    conf = {'drain_file': str(tmp_path / 'drained')}
    assert ann.commands.drain_intent_file(conf) == str(tmp_path / 'draining')
    assert ann.commands.drain_intent_age(conf) is None
    (tmp_path / 'draining').write_text('drain in progress\n')
    os.utime(str(tmp_path / 'draining'), (1000.0, 1000.0))
    assert ann.commands.drain_intent_age(conf, now=1012.34) == 12.3
    assert ann.commands.drain_intent_age(conf, now=900.0) == 0.0          # clock stepped back: never negative
    (tmp_path / 'draining').unlink()
    (tmp_path / 'target').write_text('x')
    (tmp_path / 'draining').symlink_to(tmp_path / 'target')
    assert ann.commands.drain_intent_age(conf) is None
    (tmp_path / 'draining').unlink()
    (tmp_path / 'draining').mkdir()
    assert ann.commands.drain_intent_age(conf) is None


# -- services keepalived never reported on (quorum commands added by a reload): judged from the IPVS table --

def test_parse_ipvs_weights_real_output():
    weights = ann.parsers.parse_ipvs_weights(fixture('ipvsadm', 'full-Ln.txt'))
    assert weights[('tcp', '10.99.200.1', 80)] == 3      # 1 + 2 + 0 (a failed server at weight 0)
    assert weights[('tcp', '10.99.200.6', 80)] == 0
    assert weights[('tcp', '10.99.200.5', 25)] == 0      # no real server
    assert weights[('udp', '10.99.200.1', 53)] == 4
    assert weights[('fwmark', None, 42)] == 1            # FWM 42 -> 10.99.0.21:0 weight 1
    assert ('fwmark', None, 43) not in weights           # IPv6 mark
    assert not [k for k in weights if k[0] not in ('tcp', 'udp', 'sctp', 'fwmark')]


def test_kernel_record_fwmark_and_group():
    weights = ann.parsers.parse_ipvs_weights(fixture('ipvsadm', 'full-Ln.txt'))
    assert ann.records.kernel_record(None, 'fwmark:42', 1, weights, 100.0)['state'] == 'up'
    assert ann.records.kernel_record(None, 'fwmark:42', 2, weights, 100.0)['state'] == 'down'
    assert ann.records.kernel_record(None, 'fwmark:43', 1, weights, 100.0)['state'] == 'down'   # not in the table
    members = {'group:web': ['tcp:10.99.200.1:80', 'udp:10.99.200.1:53']}
    # a group is up when every IPVS service of it has quorum (3 and 4 here)
    assert ann.records.kernel_record(None, 'group:web', 3, weights, 100.0, members)['state'] == 'up'
    assert ann.records.kernel_record(None, 'group:web', 4, weights, 100.0, members)['state'] == 'down'
    assert ann.records.kernel_record(None, 'group:web', 1, weights, 100.0, {})['state'] == 'down'  # no members known


def test_load_config_members():
    config = ann.config.load_config(json.dumps({'vips': {VIP: ['group:web', 'fwmark:10']},
                                                'quorum': {'group:web': 1, 'fwmark:10': 2},
                                                'members': {'group:web': ['tcp:%s:80' % VIP, 'tcp:10.99.100.11:80']}}))
    assert config['members']['group:web'][1] == 'tcp:10.99.100.11:80'
    for bad in ({'fwmark:10': ['tcp:%s:80' % VIP]}, {'group:web': []}, {'group:web': ['fwmark:1']},
                {'group:web': 'tcp:%s:80' % VIP}):
        with pytest.raises(ann.config.AnnounceError):
            ann.config.load_config(json.dumps({'vips': {}, 'members': bad}))


def test_kernel_record_quorum_and_holddown():
    weights = {('tcp', VIP, 80): 1}
    up = ann.records.kernel_record(None, HTTP, 1, weights, 100.0)
    assert up['state'] == 'up' and up['at'] == 100.0 and up['source'] == 'ipvs'
    assert ann.records.kernel_record(up, HTTP, 1, weights, 130.0) is up           # still up: the first time is kept
    assert ann.records.kernel_record(up, HTTP, 2, weights, 130.0)['state'] == 'down'  # weight 1 < quorum 2
    assert ann.records.kernel_record(None, HTTP, 1, {}, 100.0)['state'] == 'down'   # service not in IPVS (yet)
    assert ann.records.kernel_record(None, HTTP, 0, {('tcp', VIP, 80): 0}, 100.0)['state'] == 'down'  # nothing healthy


def test_decide_stand_in_record_announces_after_holddown_and_withdraws():
    stand_in = ann.records.kernel_record(None, HTTP, 1, {('tcp', VIP, 80): 2}, 95.0)
    assert decide({HTTP: stand_in}, now=99.0)[VIP]['announce'] is False
    res = decide({HTTP: stand_in}, now=100.0)
    assert res[VIP]['announce'] is True and res[VIP]['services'][HTTP]['status'] == 'up'
    down = ann.records.kernel_record(stand_in, HTTP, 1, {('tcp', VIP, 80): 0}, 101.0)
    res = decide({HTTP: down}, announced=[VIP], now=101.0)
    assert res[VIP]['announce'] is False and 'below quorum in the IPVS table' in res[VIP]['reason']


@pytest.mark.parametrize('quorum, message', [
    ({'tcp:1.2.3.4': 1}, 'invalid service key'),
    ({HTTP: -1}, 'must be an integer >= 0'),
    ({HTTP: True}, 'must be an integer >= 0'),
    ([1], 'quorum must be an object'),
])
def test_load_config_rejects_bad_quorum(quorum, message):
    with pytest.raises(ann.config.AnnounceError, match=message):
        config(quorum=quorum)


def test_wait_announced_once_per_boot(tmp_path):
    """FRR's start gate at boot: the first --once call waits (drained: returns at once, else until the timeout) and
    leaves the marker frr.service's condition looks for; later calls return at once, whatever the state."""
    conf = tmp_path / 'announce.json'
    conf.write_text(json.dumps({'vips': {VIP: [HTTP]}, 'drain_file': str(tmp_path / 'drained'),
                                'state_dir': str(tmp_path / 'run'), 'label': 'lo:nosuch'}))
    cmd = COMMAND + ['--config', str(conf), 'wait-announced', '--timeout', '0.5']
    marker = tmp_path / 'run' / ann.config.ONCE_MARKER
    # without --once: no marker, exit 1 on timeout (the service is not running)
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert res.returncode == 1 and json.loads(res.stdout)['result'] == 'timeout'
    assert not marker.exists()
    # --once: the same wait, then the marker
    res = subprocess.run(cmd + ['--once'], capture_output=True, text=True, check=False)
    assert res.returncode == 1 and json.loads(res.stdout)['reasons'] == {'*': 'ecmp-lvs-announce.service is not running'}
    assert marker.read_text().endswith('ended with 1\n')
    start = time.monotonic()
    res = subprocess.run(cmd + ['--once'], capture_output=True, text=True, check=False)
    assert res.returncode == 0 and 'once since boot already' in json.loads(res.stdout)['result']
    assert time.monotonic() - start < 0.5 + 2
    # a drained director with its service running: no wait
    marker.unlink()
    (tmp_path / 'drained').write_text('x')
    (tmp_path / 'run' / 'status.json').write_text(json.dumps({'pid': os.getpid(), 'vips': {}}))
    res = subprocess.run(cmd + ['--once', '--timeout', '30'], capture_output=True, text=True, check=False)
    assert res.returncode == 0 and json.loads(res.stdout)['result'].startswith('drained')
    assert marker.read_text().endswith('ended with 0\n')


def test_drain_and_undrain_are_made_durable(tmp_path, monkeypatch):
    """drain / undrain fsync the flag's directory: a crash right after must not bring the old state back (an
    undrain followed by a crash brought a director back drained; lab proof: test_drain_state_survives_a_crash)."""
    conf = tmp_path / 'announce.json'
    conf.write_text(json.dumps({'vips': {VIP: [HTTP]}, 'drain_file': str(tmp_path / 'lib' / 'drained'),
                                'state_dir': str(tmp_path)}))
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(os.path.realpath('/proc/self/fd/%d' % fd))
        return real_fsync(fd)
    monkeypatch.setattr(os, 'fsync', fsync)

    class Args:
        config = str(conf)
        command = 'drain'
    assert ann.commands.cmd_drain(Args) == 0
    assert str(tmp_path / 'lib') in synced, synced
    del synced[:]
    Args.command = 'undrain'
    assert ann.commands.cmd_drain(Args) == 0 and not (tmp_path / 'lib' / 'drained').exists()
    assert synced == [str(tmp_path / 'lib')], synced


def _fake_wait(monkeypatch, announced_at):
    """wait_announced against a fake clock: announced_at(t) -> whether every VIP is on lo at time t."""
    clock = {'t': 0.0}
    monkeypatch.setattr(time, 'monotonic', lambda: clock['t'])
    monkeypatch.setattr(time, 'sleep', lambda s: clock.__setitem__('t', clock['t'] + s))
    monkeypatch.setattr(ann.waits, 'read_status', lambda config: {'pid': 1, 'vips': {VIP: {
        'announced': announced_at(clock['t']), 'reason': 'quorum lost: %s down' % HTTP}}})
    monkeypatch.setattr(ann.host.Host, 'present',
                        staticmethod(lambda config: {VIP} if announced_at(clock['t']) else set()))
    return clock


def test_wait_announced_stable_restarts_on_a_withdrawal(tmp_path, monkeypatch, capsys):
    """The rollout gate: announced at once, withdrawn at 2 s (a health check failing after a reload), back at 3 s:
    with --stable 5 the wait ends at 8 s, not at 0 s, and counts the withdrawal."""
    cfg = {'vips': {VIP: [HTTP]}, 'drain_file': str(tmp_path / 'drained')}
    clock = _fake_wait(monkeypatch, lambda t: not 2 <= t < 3)
    assert ann.waits.wait_announced(cfg, 60, stable=5) == 0
    report = json.loads(capsys.readouterr().out)
    assert 8 <= clock['t'] < 8.5 and report['withdrawals'] == 1 and report['announced_for'] >= 5, report
    assert report['result'] == 'every VIP announced for 5 s in a row'
    # without --stable it returns at the first poll (the behaviour of the convergence wait)
    clock = _fake_wait(monkeypatch, lambda t: True)
    assert ann.waits.wait_announced(cfg, 60) == 0 and clock['t'] == 0


def test_wait_announced_stable_times_out_with_the_reason(tmp_path, monkeypatch, capsys):
    """A health check that fails for good: withdrawn at 2 s and never back -> exit 1 naming the reason."""
    cfg = {'vips': {VIP: [HTTP]}, 'drain_file': str(tmp_path / 'drained')}
    _fake_wait(monkeypatch, lambda t: t < 2)
    assert ann.waits.wait_announced(cfg, 20, stable=10) == 1
    report = json.loads(capsys.readouterr().out)
    assert report['result'] == 'timeout' and report['withdrawals'] == 1, report
    assert report['reasons'] == {VIP: 'quorum lost: %s down' % HTTP}
