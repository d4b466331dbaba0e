#!/usr/bin/env python
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp-lvs-announce: an ecmp.lvs director announces a VIP only while its services are healthy.

Installed by the ecmp.lvs.director role as /usr/local/sbin/ecmp-lvs-announce (Python 3 standard library only).

The VIP *address* on lo is the announcement: FRR announces VIP/32 (OSPF network statement, BGP network
statement) exactly while the address exists, and withdraws it when the address goes. A `local` route in table
local (installed by the ecmp-lvs-vips unit) keeps the VIP deliverable to IPVS without the address, so flows that
still arrive after a withdrawal are served.

    quorum up|down KEY   keepalived's quorum_up / quorum_down of a virtual server (run as the unprivileged
                         script_user): records the quorum state of KEY (tcp:VIP:PORT) under STATE/quorum, nothing
                         else.
    run                  the root service (ecmp-lvs-announce.service): announce or withdraw each VIP of the
                         configuration (see decide()) at once when a quorum record, the drain flag, the
                         configuration or keepalived's pid file changes or a watched process ends (inotify,
                         pidfd), when a hold-down ends, and at least every `interval` seconds; SIGHUP re-executes
                         the installed program (new code, no withdrawal); SIGTERM withdraws every VIP and exits.
    status               the reconciler's view (JSON).
    check-config         validate the configuration file (the role's template validation).
    keepalived-config-test FILE
                         `keepalived --config-test` of FILE, working around keepalived 2.2.7 killing itself when
                         a script_user is set (the role's validation of keepalived.conf).
    keepalived-stop PID  ExecStop of keepalived.service: withdraw the health-gated VIPs before keepalived tears
                         down its IPVS services and wait stop_delay seconds, so the routers move the flows first.
    withdraw-all         ExecStopPost of ecmp-lvs-announce.service: remove every VIP address (and every address
                         with the label) from lo, whatever state the service died in.
    drain | undrain      set / clear the persistent drain flag (playbooks/drain.yml writes the same file).
    wait-announced       wait until every VIP is announced (or the director is drained); JSON report.
    wait-idle            wait until every VIP is withdrawn and IPVS receives no more packets for them; JSON report.

Rules (decide()): a withdrawn VIP is announced when the director is not drained, keepalived runs, and every
health-gated service of the VIP has reported quorum up (from the running keepalived) for at least HOLDDOWN seconds.
An announced VIP is withdrawn at once when the director is drained, keepalived is not running, the keepalived
checker process that reported a service is gone, or a service reports quorum down. Exception: a service added to
an announced VIP by a configuration change (keepalived's `alpha` starts it quorum down on every director at once)
does not withdraw the VIP before it has been up once; a service without any report yet does not withdraw it
either (nothing is known against it).

Fail-safe (the service runs as root, the quorum records come from the unprivileged script_user):
* a record is read only when it is a regular file (no symlink followed, a FIFO never blocks) of at most
  RECORD_MAX bytes, owned by the configured script_user or root, ASCII, with a finite time >= 0 not in the future
  and pids in range; a record that names a live process other than a keepalived one as its writer is ignored.
  Anything else counts as no report: the service is judged from the IPVS table (kernel_record). A record whose
  writer no longer exists is a crashed checker (withdraw), as before.
* a health-gated service with a quorum is always checked against the IPVS table: an `up` record is not believed
  while the table's total weight is below the quorum (cross_check), so a quorum_down that could not be stored
  (/run full) still withdraws at the next reconciliation (at most `interval` seconds); `quorum down` also
  removes the stale record when it cannot write the new one.
* the loop survives any exception (Runner): after failsafe_bound() seconds without a successful
  reconciliation (3 intervals, at least 1 s) every VIP is withdrawn. A hang is caught by the systemd watchdog
  (WATCHDOG=1 at every iteration); every end of the service (stop, crash, watchdog, start limit) runs
  `withdraw-all` (ExecStopPost).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Only what the quorum path needs is imported at the top: keepalived runs `quorum` on every quorum change and
# its start-up time is part of the withdrawal delay (json + subprocess + argparse cost ~0.4 s of Python start-up
# in the UML lab). The other commands import what they use when they run.
# pylint: disable=import-outside-toplevel
import os
import sys
import time

CONFIG = '/etc/ecmp-lvs/announce.json'
STATE_DIR = '/run/ecmp-lvs'
# left by `wait-announced --once` in the state directory (see cmd_wait_announced)
ONCE_MARKER = 'waited-once'
DRAIN_FILE = '/var/lib/ecmp-lvs/drained'
KEEPALIVED_PIDFILE = '/run/keepalived.pid'
LABEL = 'lo:lvs'
# marker written by `keepalived-stop` (ExecStop of keepalived.service): "pid starttime" of the keepalived
# being stopped
STOPPING = 'keepalived-stopping'
# a quorum record is one short line: anything longer is not a record (and is never read further)
RECORD_MAX = 4096
# pids in a record: 1 .. PID_MAX_LIMIT (4194304, 2^22) of Linux
PID_MAX = 1 << 22
# seconds an `ip` / `ipvsadm` call may take before it counts as failed (see cmd_run: the systemd watchdog)
COMMAND_TIMEOUT = 5.0
# reconciliations may fail for FAILSAFE_INTERVALS intervals (at least FAILSAFE_MIN seconds) before every VIP is
# withdrawn: a VIP whose state is unknown is not kept announced longer than that (see Runner)
FAILSAFE_INTERVALS = 3
FAILSAFE_MIN = 1.0

DEFAULTS = {
    'holddown': 5.0,
    'interval': 1.0,
    'resync': 5.0,
    'label': LABEL,
    'require_quorum': True,
    'state_dir': STATE_DIR,
    'drain_file': DRAIN_FILE,
    'keepalived_pidfile': KEEPALIVED_PIDFILE,
    'stop_delay': 1.0,
    'vips': {},
    # {key: quorum (minimum total weight of healthy real servers)}: a service without a report from keepalived
    # (its quorum commands were added by a reload, which runs none) is judged from the IPVS table instead
    'quorum': {},
    # keepalived's script_user: the quorum records must be regular files owned by it (or by root)
    'script_user': 'keepalived_script',
    # {group:NAME: [proto:vip:port of each VIP]}: the IPVS services of a keepalived virtual_server_group (its
    # stand-in record from the IPVS table needs quorum on every one of them)
    'members': {},
}

PROTOCOLS = ('tcp', 'udp', 'sctp')


class AnnounceError(Exception):
    """A user-facing error (bad key, bad configuration)."""


# ---------------------------------------------------------------------------------------------------------------
# pure helpers (unit-tested)

def is_ipv4(text):
    """A dotted-quad IPv4 address (no leading zeros)."""
    parts = text.split('.')
    return len(parts) == 4 and all(p.isdigit() and p.isascii() and str(int(p)) == p and int(p) < 256 for p in parts)


def _number(text, maximum):
    return text.isdigit() and text.isascii() and str(int(text)) == text and 0 < int(text) <= maximum


def check_key(key):
    """Validate a service key (it becomes a file name): `proto:vip:port`, `fwmark:N` (a firewall-mark service) or
    `group:NAME` (a virtual_server_group: several VIPs, one real-server set); return it."""
    key = key if isinstance(key, str) else ''
    parts = key.split(':')
    if len(parts) == 3 and parts[0] in PROTOCOLS and is_ipv4(parts[1]) and _number(parts[2], 65535):
        return key
    if len(parts) == 2 and parts[0] == 'fwmark' and _number(parts[1], 4294967295):
        return key
    name = key[len('group:'):]
    name_ok = all(c.isascii() and (c.isalnum() or c in '_.:-') for c in name)
    if key.startswith('group:') and 0 < len(name) <= 64 and name_ok:
        return key
    raise AnnounceError('invalid service key %r (want tcp|udp|sctp:IPv4:PORT, fwmark:N or group:NAME)' % (key,))


def kernel_keys(key, members):
    """The IPVS table entries (see parse_ipvs_real_servers) of service `key`: one for `proto:vip:port` and
    `fwmark:N`, those of its members for `group:NAME`."""
    if key.startswith('group:'):
        return [kernel_keys(member, {})[0] for member in members.get(key, [])]
    if key.startswith('fwmark:'):
        return [('fwmark', None, int(key.split(':')[1]))]
    proto, vip, port = key.split(':')
    return [(proto, vip, int(port))]


def load_config(text):
    """JSON text of announce.json -> configuration dict with every default filled in (validated)."""
    import json
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise AnnounceError('configuration is not JSON: %s' % exc)
    if not isinstance(data, dict):
        raise AnnounceError('configuration must be a JSON object')
    unknown = sorted(set(data) - set(DEFAULTS))
    if unknown:
        raise AnnounceError('unknown configuration keys: %s' % ', '.join(unknown))
    config = dict(DEFAULTS)
    config.update(data)
    for name in ('holddown', 'interval', 'resync', 'stop_delay'):
        if isinstance(config[name], bool) or not isinstance(config[name], (int, float)) or config[name] < 0:
            raise AnnounceError('%s must be a number >= 0, got %r' % (name, config[name]))
    if config['interval'] <= 0:
        raise AnnounceError('interval must be > 0')
    if not isinstance(config['vips'], dict):
        raise AnnounceError('vips must be an object {vip: [service keys]}')
    for vip, keys in config['vips'].items():
        if not is_ipv4(vip):
            raise AnnounceError('invalid VIP %r' % (vip,))
        if not isinstance(keys, list):
            raise AnnounceError('vips[%s] must be a list of service keys' % vip)
        for key in keys:
            check_key(key)
    if not isinstance(config['quorum'], dict):
        raise AnnounceError('quorum must be an object {service key: minimum total weight}')
    for key, value in config['quorum'].items():
        check_key(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise AnnounceError('quorum[%s] must be an integer >= 0, got %r' % (key, value))
    if not isinstance(config['members'], dict):
        raise AnnounceError('members must be an object {group:NAME: [proto:vip:port, ...]}')
    for key, members in config['members'].items():
        if not check_key(key).startswith('group:') or not isinstance(members, list) or not members:
            raise AnnounceError('members[%s] must belong to a group:NAME key and list its proto:vip:port' % key)
        for member in members:
            if check_key(member).split(':')[0] not in PROTOCOLS:
                raise AnnounceError('members[%s]: %r is not a proto:vip:port key' % (key, member))
    if not isinstance(config['script_user'], str) or not config['script_user'].strip():
        raise AnnounceError('script_user must be a user name, got %r' % (config['script_user'],))
    return config


def proc_stat_fields(text):
    """Content of /proc/PID/stat -> (comm, ppid, starttime in clock ticks)."""
    head, tail = text.rsplit(')', 1)
    comm = head.split('(', 1)[1]
    fields = tail.split()
    # fields[0] is field 3 (state): ppid is field 4, starttime field 22
    return comm, int(fields[1]), int(fields[19])


RECORD_FIELDS = 6


def format_record(rec):
    """A quorum record -> its one-line file content: state at writer_pid writer_start seq_start seq_pid."""
    return '%s %.3f %d %d %d %d\n' % (rec['state'], rec['at'], rec['writer'][0], rec['writer'][1], rec['seq'][0],
                                      rec['seq'][1])


def parse_record(text):
    """A stored quorum record -> dict, or None when unreadable (treated as no report).

    Strict: a finite time >= 0 (CLOCK_MONOTONIC), pids within 1 .. PID_MAX, start times >= 0; ASCII digits only."""
    import math
    words = (text or '').split()
    if len(words) != RECORD_FIELDS or words[0] not in ('up', 'down') or not all(w.isascii() for w in words):
        return None
    try:
        at = float(words[1])
        nums = [int(w) for w in words[2:]]
    except ValueError:
        return None
    if not math.isfinite(at) or at < 0 or not all(n >= 0 for n in nums) or \
            not (0 < nums[0] <= PID_MAX and 0 < nums[3] <= PID_MAX):
        return None
    return {'state': words[0], 'at': at, 'writer': nums[0:2], 'seq': nums[2:4]}


def merge_record(prev, state, now, writer, seq):
    """The record to store for a quorum report, or None to keep `prev`.

    writer = [pid, starttime] of the keepalived checker process that ran the script; seq = [starttime, pid] of
    the script process itself (keepalived forks scripts in event order and does not wait for them: a report
    older than the stored one from the same writer is dropped). A repeated state keeps its first time, so a
    duplicate quorum_up does not restart the hold-down."""
    same = prev is not None and prev['writer'] == list(writer)
    if same and prev['seq'] >= list(seq):
        return None
    at = prev['at'] if same and prev['state'] == state else now
    return {'state': state, 'at': at, 'writer': list(writer), 'seq': list(seq)}


def service_status(rec, writer_alive, now, holddown):
    """(status, detail) of one service from its record: up | holddown | down | gone | unknown.

    The detail never contains the current time, so it only changes with the state (logged once)."""
    if rec is None:
        return 'unknown', 'no quorum report from keepalived yet'
    if rec.get('source') == 'ipvs':
        # no report from keepalived: the total weight of the real servers in the IPVS table against the quorum
        if rec['state'] == 'down':
            return 'down', 'below quorum in the IPVS table (no report from keepalived since its quorum commands were added)'
        if now < rec['at'] + holddown:
            return 'holddown', 'quorum in the IPVS table, hold-down of %g s running' % holddown
        return 'up', 'quorum in the IPVS table (no report from keepalived since its quorum commands were added)'
    if not writer_alive(rec['writer']):
        return 'gone', 'the keepalived checker process that reported (pid %d) is gone' % rec['writer'][0]
    if rec['state'] == 'down':
        return 'down', 'quorum down'
    if rec.get('kernel') == 'down':
        return 'down', 'quorum up reported, but below quorum in the IPVS table'
    if now < rec['at'] + holddown:
        return 'holddown', 'quorum up, hold-down of %g s running' % holddown
    return 'up', 'quorum up'


# statuses that keep an announced VIP announced; `pending` services (added to an announced VIP by a
# configuration change, not up since) may also be down
KEEP = ('up', 'holddown', 'unknown')


def decide(config, records, drained, keepalived_running, writer_alive, now, announced, pending=()):
    """Pure decision: {vip: {'announce': bool, 'reason': str, 'services': {key: {status, detail, since}}}}.

    records: {key: record}; writer_alive([pid, start]) -> bool; announced: VIPs announced now; pending: keys
    added to an announced VIP by a configuration change and not up since (see Reconciler)."""
    result = {}
    for vip in sorted(config['vips']):
        keys = config['vips'][vip] if config['require_quorum'] else []
        services = {}
        for key in keys:
            rec = records.get(key)
            status, detail = service_status(rec, writer_alive, now, config['holddown'])
            services[key] = {'status': status, 'detail': detail, 'since': None if rec is None else rec['at']}
        not_up = sorted(k for k, s in services.items() if s['status'] != 'up')
        if drained:
            announce, reason = False, 'drained'
        elif not keys:
            announce, reason = True, ('no health-gated service' if config['require_quorum'] else
                                      'quorum not required')
        elif not keepalived_running:
            announce, reason = False, 'keepalived is not running'
        elif not not_up:
            announce, reason = True, 'every service has quorum'
        elif vip in announced and all(services[k]['status'] in KEEP or (k in pending and services[k]['status'] == 'down')
                                      for k in not_up):
            announce = True
            details = ['%s: %s%s' % (k, services[k]['detail'], ' (new service)' if k in pending else '')
                       for k in not_up]
            reason = 'not withdrawn for ' + '; '.join(details)
        else:
            announce = False
            reason = '; '.join('%s: %s' % (k, services[k]['detail']) for k in not_up)
        result[vip] = {'announce': announce, 'reason': reason, 'services': services}
    return result


def parse_ip_addresses(text, label):
    """`ip -j -4 address show dev lo` -> set of addresses (no prefix) that carry `label`."""
    import json
    found = set()
    for link in json.loads(text or '[]'):
        for addr in link.get('addr_info', []):
            if addr.get('family', 'inet') == 'inet' and addr.get('label') == label and addr.get('local'):
                found.add(addr['local'])
    return found


def parse_withdraw_targets(text, label, vips):
    """`ip -j -4 address show dev lo` -> sorted addresses to remove when withdrawing everything: those that carry
    `label` (every address ecmp-lvs-announce adds has it) and the VIPs `vips` as /32 whatever their label."""
    import json
    found = set()
    for link in json.loads(text or '[]'):
        for addr in link.get('addr_info', []):
            local = addr.get('local')
            if addr.get('family', 'inet') != 'inet' or not local:
                continue
            if addr.get('label') == label or (local in vips and addr.get('prefixlen') == 32):
                found.add(local)
    return sorted(found)


def parse_ipvs_stats(text):
    """`ipvsadm -L -n --stats --exact` -> {(proto, vip, port): {'conns', 'inpkts', 'outpkts', 'inbytes',
    'outbytes'}} of the virtual services (IPv4; a firewall-mark service as ('fwmark', None, mark))."""
    services = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) == 7 and words[0] == 'FWM' and words[1].isdigit():
            services[('fwmark', None, int(words[1]))] = dict(
                zip(('conns', 'inpkts', 'outpkts', 'inbytes', 'outbytes'), (int(w) for w in words[2:])))
            continue
        if len(words) != 7 or words[0] not in ('TCP', 'UDP', 'SCTP'):
            continue
        addr, dummy, port = words[1].rpartition(':')
        services[(words[0].lower(), addr, int(port))] = dict(
            zip(('conns', 'inpkts', 'outpkts', 'inbytes', 'outbytes'), (int(w) for w in words[2:])))
    return services


def parse_ipvs_weights(text):
    """`ipvsadm -L -n` -> {(proto, vip, port): total weight of its real servers} (fwmark: ('fwmark', None, N))."""
    return dict((svc, sum(rs[0] for rs in servers)) for svc, servers in parse_ipvs_real_servers(text).items())


def kernel_record(prev, key, quorum, weights, now, members=None):
    """The stand-in record of a service keepalived has not reported on, from the IPVS table's weights.

    prev: the previous stand-in (keeps the time quorum was first seen, so the hold-down applies); members: the
    `members` of the configuration (a group is up when every IPVS service of it has quorum)."""
    entries = kernel_keys(key, members or {})
    up = bool(entries) and all(weights.get(entry, -1) >= max(quorum, 1) for entry in entries)
    state = 'up' if up else 'down'
    if prev is not None and prev['state'] == state:
        return prev
    return {'state': state, 'at': now, 'writer': None, 'seq': None, 'source': 'ipvs'}


def cross_check(rec, kernel_state, kernel_down_at):
    """keepalived's record of a service checked against the IPVS table (kernel_state: 'up' | 'down', see
    kernel_record; kernel_down_at: when the table last showed it below quorum, or None).

    An `up` record is not believed while the table is below quorum (a quorum_down that could not be stored, e.g.
    /run full, must still withdraw): it is returned marked `kernel: down`. After such a time the hold-down counts
    from the last time the table was below quorum. A `down` record stays down whatever the table says."""
    if rec['state'] != 'up':
        return rec
    if kernel_state != 'up':
        return dict(rec, kernel='down')
    if kernel_down_at is not None and kernel_down_at > rec['at']:
        return dict(rec, at=kernel_down_at)
    return rec


def parse_ipvs_real_servers(text):
    """`ipvsadm -L -n` -> {(proto, vip, port): [(weight, active, inactive) per real server]} (a firewall-mark
    service as ('fwmark', None, mark))."""
    services = {}
    current = None
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in ('TCP', 'UDP', 'SCTP'):
            addr, dummy, port = words[1].rpartition(':')
            current = (words[0].lower(), addr, int(port))
            services[current] = []
        elif words[:1] == ['FWM']:
            # IPv4 marks only (the VIPs are IPv4): `FWM  43 IPv6 wrr` is not ours
            current = (('fwmark', None, int(words[1])) if len(words) >= 3 and words[1].isdigit()
                       and words[2] != 'IPv6' else None)
            if current:
                services[current] = []
        elif current and len(words) == 6 and words[0] == '->' and words[1] != 'RemoteAddress:Port':
            services[current].append((int(words[3]), int(words[4]), int(words[5])))
    return services


def parse_ipvs_conns(text):
    """`ipvsadm -L -n` -> {(proto, vip, port): [active, inactive]} summed over the real servers."""
    return dict((svc, [sum(rs[1] for rs in servers), sum(rs[2] for rs in servers)])
                for svc, servers in parse_ipvs_real_servers(text).items())


class Idle:
    """Decides when the in-packet counters of the VIP services have stopped moving (pure, fed samples)."""

    def __init__(self, quiet):
        self.quiet = quiet
        self.last = None
        self.changed_at = None
        self.first = None

    def feed(self, now, packets):
        """Feed the summed in-packet counter; True once it has not moved for `quiet` seconds."""
        if self.last is None:
            self.first = packets
            self.last, self.changed_at = packets, now
        elif packets != self.last:
            self.last, self.changed_at = packets, now
        return now - self.changed_at >= self.quiet

    def received(self):
        return 0 if self.first is None else self.last - self.first


# ---------------------------------------------------------------------------------------------------------------
# the host (files, /proc, ip, ipvsadm)

def read_file(path):
    with open(path, encoding='utf-8') as handle:
        return handle.read()


def read_record(path, owners=None):
    """Text of the quorum record `path`, or None when it is not a small regular file owned by one of the uids
    `owners` (None: any owner). The records are written by keepalived's script user and read by root: the file
    is opened without following a symlink and without blocking (a FIFO), checked with fstat, read at most
    RECORD_MAX bytes, and must be ASCII. Never raises, never blocks."""
    import stat
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (owners is not None and info.st_uid not in owners) or \
                info.st_size > RECORD_MAX:
            return None
        data = os.read(fd, RECORD_MAX + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > RECORD_MAX:
        return None
    try:
        return data.decode('ascii')
    except UnicodeDecodeError:
        return None


def write_atomic(path, text, mode=0o644):
    """Replace `path` by a file with `text` (a temporary file renamed over it); on any error the temporary file
    is removed and the error raised (a full /run keeps no half-written leftovers)."""
    tmp = '%s.%d.tmp' % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        try:
            # whatever the umask (keepalived runs its scripts with 077): the root service reads the records
            # without CAP_DAC_OVERRIDE
            os.fchmod(fd, mode)
            data = text.encode('utf-8')
            if os.write(fd, data) != len(data):
                raise OSError('short write to %s' % tmp)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def process_stat(pid):
    """(comm, ppid, starttime) of a live process, or None."""
    try:
        return proc_stat_fields(read_file('/proc/%d/stat' % pid))
    except (OSError, ValueError, IndexError):
        return None


class Host:
    """The real system behind the reconciler."""

    def __init__(self, config_path):
        self.config_path = config_path
        self._config = None
        self._config_id = None
        self.keepalived_pid = None
        # {key: stand-in record} of the services keepalived has not reported on (see records())
        self._stand_ins = {}
        # {key: when the IPVS table last showed the service below quorum} (see records())
        self._kernel_down_at = {}
        self._owners_logged = None

    def config(self):
        """The configuration, re-read when the file changes (a bad new file keeps the previous one)."""
        stat = os.stat(self.config_path)
        ident = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if ident != self._config_id:
            try:
                config = load_config(read_file(self.config_path))
            except AnnounceError as exc:
                if self._config is None:
                    raise
                log('configuration %s rejected, keeping the previous one: %s' % (self.config_path, exc))
            else:
                if self._config is not None:
                    log('configuration %s reloaded' % self.config_path)
                self._config = config
            self._config_id = ident
        return self._config

    def owners(self, config):
        """The uids whose quorum records are trusted: root and keepalived's script_user (root only while that
        user cannot be looked up: every record is then judged from the IPVS table)."""
        import pwd
        try:
            return {0, pwd.getpwnam(config['script_user']).pw_uid}
        except (KeyError, OSError, UnicodeError) as exc:
            if self._owners_logged != config['script_user']:
                log('script_user %r unknown (%s): only records owned by root are trusted'
                    % (config['script_user'], exc))
                self._owners_logged = config['script_user']
            return {0}

    def read_records(self, config, now=None):
        """{key: record} of the trustworthy quorum records of the configured services (see read_record); a
        record that claims a live process other than a keepalived one as its writer is not trusted either."""
        qdir = os.path.join(config['state_dir'], 'quorum')
        owners = self.owners(config)
        records = {}
        for keys in config['vips'].values():
            for key in keys:
                rec = parse_record(read_record(os.path.join(qdir, key), owners))
                if rec is None or (now is not None and rec['at'] > now + 1.0):
                    continue    # unreadable, or a time in the future of CLOCK_MONOTONIC: no report
                stat = process_stat(rec['writer'][0])
                if stat is not None and stat[2] == rec['writer'][1] and stat[0] != 'keepalived':
                    continue
                records[key] = rec
        return records

    def records(self, config, now=None):
        """{key: record} of keepalived's reports; with `now`, the services that have a quorum in the configuration
        are also checked against the IPVS table: stand-ins for those without a report (see kernel_record), and an
        `up` report is not believed while the table shows the service below quorum (see cross_check: a
        quorum_down that could not be recorded still withdraws)."""
        records = self.read_records(config, now)
        if now is None:
            return records
        checked = [key for keys in config['vips'].values() for key in keys if key in config['quorum']]
        stand_ins, self._stand_ins = self._stand_ins, {}
        if checked:
            weights = self.ipvs_weights()
            for key in checked:
                kernel = kernel_record(stand_ins.get(key), key, config['quorum'][key], weights, now,
                                       config['members'])
                if kernel['state'] == 'down':
                    self._kernel_down_at[key] = now
                if key in records:
                    records[key] = cross_check(records[key], kernel['state'], self._kernel_down_at.get(key))
                else:
                    records[key] = self._stand_ins[key] = kernel
        return records

    @staticmethod
    def ipvs_weights():
        """{(proto, vip, port): total weight} of the IPVS table ({} when ipvsadm fails: nothing has quorum)."""
        import subprocess
        try:
            res = subprocess.run(['ipvsadm', '-L', '-n'], check=False, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, universal_newlines=True, timeout=COMMAND_TIMEOUT)
        except (OSError, subprocess.SubprocessError):
            return {}
        return parse_ipvs_weights(res.stdout) if res.returncode == 0 else {}

    @staticmethod
    def drained(config):
        return os.path.exists(config['drain_file'])

    def keepalived_running(self, config):
        """keepalived's main process is alive and not being stopped (see cmd_keepalived_stop)."""
        self.keepalived_pid = None
        try:
            pid = int(read_file(config['keepalived_pidfile']).strip())
        except (OSError, ValueError):
            return False
        stat = process_stat(pid)
        if stat is None or stat[0] != 'keepalived':
            return False
        self.keepalived_pid = pid
        try:
            return read_file(os.path.join(config['state_dir'], STOPPING)).split() != [str(pid), str(stat[2])]
        except OSError:
            return True

    @staticmethod
    def writer_alive(writer):
        stat = process_stat(writer[0])
        return stat is not None and stat[2] == writer[1]

    @staticmethod
    def present(config):
        return parse_ip_addresses(Host.lo_addresses(), config['label'])

    @staticmethod
    def lo_addresses():
        """`ip -j -4 address show dev lo` (JSON text)."""
        import subprocess
        return subprocess.run(['ip', '-j', '-4', 'address', 'show', 'dev', 'lo'], check=True, stdout=subprocess.PIPE,
                              universal_newlines=True, timeout=COMMAND_TIMEOUT).stdout

    @staticmethod
    def add(config, vip):
        import subprocess
        subprocess.run(['ip', '-4', 'address', 'replace', vip + '/32', 'dev', 'lo', 'label', config['label']],
                       check=True, timeout=COMMAND_TIMEOUT)

    @staticmethod
    def delete(config, vip):
        import subprocess
        res = subprocess.run(['ip', '-4', 'address', 'del', vip + '/32', 'dev', 'lo'], check=False,
                             stderr=subprocess.PIPE, universal_newlines=True, timeout=COMMAND_TIMEOUT)
        if res.returncode != 0 and 'Cannot assign' not in res.stderr:
            raise OSError('ip address del %s: %s' % (vip, res.stderr.strip()))

    @staticmethod
    def withdraw_everything(config):
        """Fail-safe withdrawal with plain `ip` calls (the reconciler's view is not trusted): remove every address
        on lo that carries the label or is a VIP of `config` (/32). When lo cannot be listed, flush the label and
        delete every VIP blindly. Returns the addresses removed (None: unknown, blind) and the errors."""
        import subprocess
        errors = []
        try:
            targets = parse_withdraw_targets(Host.lo_addresses(), config['label'], config['vips'])
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            errors.append('ip address show: %s' % exc)
            targets = None
        for vip in sorted(targets if targets is not None else config['vips']):
            try:
                Host.delete(config, vip)
            except (OSError, subprocess.SubprocessError) as exc:
                errors.append(str(exc))
        if targets is None:
            try:
                subprocess.run(['ip', '-4', 'address', 'flush', 'dev', 'lo', 'label', config['label']], check=True,
                               timeout=COMMAND_TIMEOUT)
            except (OSError, subprocess.SubprocessError) as exc:
                errors.append('ip address flush label %s: %s' % (config['label'], exc))
        return targets, errors

    @staticmethod
    def write_status(config, status):
        import json
        write_atomic(os.path.join(config['state_dir'], 'status.json'), json.dumps(status, indent=1, sort_keys=True))


def log(message):
    print(message, flush=True)


class Reconciler:
    """Applies decide() to the host: adds / removes the VIP addresses on lo (the announcement)."""

    def __init__(self, host, clock=time.monotonic):
        self.host = host
        self.clock = clock
        self.announced = None
        self.last_resync = None
        self.reasons = {}
        self.decisions = {}
        self.vips = None
        self.pending = set()
        self.wake_at = None
        self.pids = set()
        self.changed_at = {}

    def resync(self, config):
        self.announced = self.host.present(config)
        self.last_resync = self.clock()

    def step(self):
        """One reconciliation; returns the decisions."""
        config = self.host.config()
        now = self.clock()
        if self.announced is None or now - self.last_resync >= config['resync']:
            self.resync(config)
        if self.vips is not None and config['vips'] != self.vips:
            # services added to an announced VIP (keepalived starts them quorum down: alpha) must not withdraw
            # it before they have been up once
            for vip, keys in config['vips'].items():
                if vip in self.announced:
                    self.pending |= set(keys) - set(self.vips.get(vip, []))
        self.vips = dict((vip, list(keys)) for vip, keys in config['vips'].items())
        drained = self.host.drained(config)
        running = self.host.keepalived_running(config)
        decisions = decide(config, self.host.records(config, now), drained, running, self.host.writer_alive, now,
                           self.announced, self.pending)
        acted = set()
        for vip, dec in sorted(decisions.items()):
            if dec['announce'] and vip not in self.announced:
                self.host.add(config, vip)
                self.announced.add(vip)
            elif not dec['announce'] and vip in self.announced:
                self.host.delete(config, vip)
                self.announced.discard(vip)
            else:
                continue
            acted.add(vip)
            self.changed_at[vip] = now
            log('%s %s: %s' % (vip, 'announced' if dec['announce'] else 'withdrawn', dec['reason']))
        for vip in sorted(self.announced - set(decisions)):
            self.host.delete(config, vip)
            self.announced.discard(vip)
            acted.add(vip)
            log('%s withdrawn: no longer a VIP of this director' % vip)
        for vip, dec in decisions.items():
            for key, svc in dec['services'].items():
                if vip not in self.announced or svc['status'] in ('up', 'holddown'):
                    self.pending.discard(key)
        self.pending &= set(k for keys in config['vips'].values() for k in keys)
        reasons = dict((vip, dec['reason']) for vip, dec in decisions.items())
        if acted or reasons != self.reasons:
            for vip in sorted(set(reasons) - acted):
                if reasons[vip] != self.reasons.get(vip):
                    log('%s stays %s: %s' % (vip, 'announced' if vip in self.announced else 'withdrawn',
                                             reasons[vip]))
            self.reasons = reasons
            self.host.write_status(config, self.status(decisions, drained, running, now))
        self.decisions = decisions
        # when to look again without an event: the end of a running hold-down, the next resync
        deadlines = [self.last_resync + config['resync']]
        for dec in decisions.values():
            deadlines.extend(svc['since'] + config['holddown'] for svc in dec['services'].values()
                             if svc['status'] == 'holddown')
        self.wake_at = min(deadlines)
        # processes whose end changes a decision: keepalived and the checkers that reported
        self.pids = set(r['writer'][0] for r in self.host.records(config).values() if r.get('writer'))
        if getattr(self.host, 'keepalived_pid', None):
            self.pids.add(self.host.keepalived_pid)
        return decisions

    def status(self, decisions, drained, running, now):
        """The status file (times are CLOCK_MONOTONIC seconds, like the quorum records' `since`)."""
        return {
            'pid': os.getpid(),
            'updated': now,
            'drained': drained,
            'keepalived_running': running,
            'announced': sorted(self.announced),
            'vips': dict((vip, {'announced': vip in self.announced, 'reason': dec['reason'],
                                'changed_at': self.changed_at.get(vip), 'services': dec['services']})
                         for vip, dec in decisions.items()),
        }

    def withdraw_all(self, config=None, why='ecmp-lvs-announce stopped'):
        """Withdraw every announced VIP (`config`: the configuration to use, default the host's)."""
        config = config or self.host.config()
        for vip in sorted(self.host.present(config)):
            self.host.delete(config, vip)
            log('%s withdrawn: %s' % (vip, why))
        self.announced = set()


# ---------------------------------------------------------------------------------------------------------------
# sub-commands

def cmd_quorum(state, key, state_dir):
    """keepalived quorum_up / quorum_down: record the state of one service (as the script user)."""
    import fcntl
    check_key(key)
    now = time.monotonic()
    parent = process_stat(os.getppid())
    own = process_stat(os.getpid())
    if parent is None or own is None:
        raise AnnounceError('cannot read /proc of this process or of its parent')
    writer = [os.getppid(), parent[2]]
    seq = [own[2], os.getpid()]
    qdir = os.path.join(state_dir, 'quorum')
    path = os.path.join(qdir, key)
    try:
        with open(os.path.join(qdir, '.lock'), 'a') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            prev = parse_record(read_record(path))
            rec = merge_record(prev, state, now, writer, seq)
            if rec is not None:
                write_atomic(path, format_record(rec))
    except OSError as exc:
        return quorum_not_stored(path, state, exc)
    print('%s quorum %s%s' % (key, state, '' if rec is not None else ' (older than the stored report: ignored)'))
    return 0


def quorum_not_stored(path, state, exc):
    """A report that could not be stored (/run full, ...): a `down` removes the stored record (an unlink needs no
    space), so the service is judged from the IPVS table; an `up` leaves the previous record. Exit status 1."""
    removed = False
    if state == 'down':
        try:
            os.unlink(path)
            removed = True
        except FileNotFoundError:
            removed = True
        except OSError:
            pass
    print('ecmp-lvs-announce: quorum %s of %s not stored: %s%s' % (
        state, os.path.basename(path), exc, ' (stale record removed: judged from the IPVS table)' if removed else ''),
        file=sys.stderr)
    return 1


class Waiter:
    """Sleeps until something a decision depends on changes, or a timeout: inotify on the directories of the
    quorum records, the drain flag, the configuration and keepalived's pid file; a pidfd per process whose end
    matters (keepalived, the checkers that reported); signals (set_wakeup_fd). Without inotify (ctypes) or pidfd
    (Python < 3.9) it still wakes at the timeout (the reconciliation interval)."""

    # IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
    MASK = 0x008 | 0x040 | 0x080 | 0x100 | 0x200

    def __init__(self):
        import signal
        self.libc = None
        self.fd = None
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            if fd >= 0:
                self.libc, self.fd = libc, fd
        except (OSError, AttributeError, ImportError):
            pass
        self.watched = set()
        self.pidfds = {}
        self.ended = set()
        self.sig_r, sig_w = os.pipe()
        os.set_blocking(self.sig_r, False)
        os.set_blocking(sig_w, False)
        signal.set_wakeup_fd(sig_w)

    def watch(self, paths):
        for path in paths:
            if self.fd is not None and path not in self.watched and \
                    self.libc.inotify_add_watch(self.fd, path.encode(), self.MASK) >= 0:
                self.watched.add(path)

    def follow(self, pids):
        """Keep a pidfd on each of `pids` (a process that ended is never followed again)."""
        for pid in set(self.pidfds) - set(pids):
            os.close(self.pidfds.pop(pid))
        for pid in set(pids) - set(self.pidfds) - self.ended:
            try:
                self.pidfds[pid] = os.pidfd_open(pid)
            except (OSError, AttributeError, ValueError, OverflowError):
                self.ended.add(pid)

    def wait(self, timeout):
        import select
        fds = [self.sig_r] + ([self.fd] if self.fd is not None else []) + list(self.pidfds.values())
        ready = select.select(fds, [], [], max(timeout, 0))[0]
        for fd in ready:
            if fd in (self.sig_r, self.fd):
                try:
                    while os.read(fd, 65536):
                        pass
                except BlockingIOError:
                    pass
        for pid, fd in list(self.pidfds.items()):
            if fd in ready:
                os.close(self.pidfds.pop(pid))
                self.ended.add(pid)


def sd_notify(message, environ=None):
    """Send `message` (READY=1, WATCHDOG=1, ...) to systemd's $NOTIFY_SOCKET (an AF_UNIX datagram socket; '@':
    abstract namespace). False without the socket or when sending fails (never raises)."""
    import socket
    address = (os.environ if environ is None else environ).get('NOTIFY_SOCKET', '')
    if not address or address[0] not in '/@':
        return False
    if address[0] == '@':
        address = '\0' + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode('utf-8'))
    except OSError:
        return False
    return True


def watchdog_interval(environ=None):
    """Seconds between two WATCHDOG=1 pings: half of systemd's $WATCHDOG_USEC (None: no watchdog)."""
    environ = os.environ if environ is None else environ
    try:
        usec = int(environ.get('WATCHDOG_USEC', ''))
        pid = int(environ.get('WATCHDOG_PID', os.getpid()))
    except ValueError:
        return None
    return usec / 2e6 if usec > 0 and pid == os.getpid() else None


def failsafe_bound(config):
    """Seconds a VIP may stay announced while every reconciliation fails (its state unknown)."""
    return max(FAILSAFE_INTERVALS * config['interval'], FAILSAFE_MIN)


class Runner:
    """The loop of `run`, one iteration at a time; an iteration never raises.

    A failing reconciliation (any exception: a broken command, an unexpected file, a bug) is logged (with its
    traceback when the error changes) and retried every interval. Once no reconciliation has succeeded for
    failsafe_bound() seconds (3 intervals, at least 1 s), every VIP is withdrawn, and again at every failing
    iteration after that (Host.withdraw_everything when the reconciler's own withdrawal fails too): the state of
    an announced VIP is unknown then. The next successful reconciliation decides as usual. Each iteration pings
    the systemd watchdog (a hang is the watchdog's, see ecmp-lvs-announce.service: WatchdogSec, ExecStopPost)."""

    def __init__(self, host, reconciler, waiter, config_path, clock=time.monotonic, notify=sd_notify):
        self.host = host
        self.reconciler = reconciler
        self.waiter = waiter
        self.config_path = config_path
        self.clock = clock
        self.notify = notify
        self.config = None          # the last configuration read
        self.last_ok = clock()      # the last successful reconciliation (start-up counts as one)
        self.error = None
        self.ready = False
        self.watchdog = watchdog_interval()

    def reconcile(self):
        """One reconciliation; returns the seconds to wait for events before the next one."""
        try:
            timeout = self._reconcile()
        except Exception as exc:  # pylint: disable=broad-except
            timeout = self._failed(exc)
        else:
            if self.error is not None:
                log('reconcile works again')
            self.error = None
            self.last_ok = self.clock()
        if not self.ready:
            self.notify('READY=1')
            self.ready = True
        self.notify('WATCHDOG=1')
        return timeout if self.watchdog is None else min(timeout, self.watchdog)

    def _reconcile(self):
        config = self.config = self.host.config()
        self.waiter.watch([os.path.dirname(os.path.abspath(self.config_path)), config['state_dir'],
                           os.path.join(config['state_dir'], 'quorum'), os.path.dirname(config['drain_file']),
                           os.path.dirname(config['keepalived_pidfile'])])
        self.reconciler.step()
        self.waiter.follow(self.reconciler.pids)
        timeout = config['interval']
        if self.reconciler.wake_at is not None:
            timeout = min(timeout, self.reconciler.wake_at - self.clock())
        return timeout

    def _failed(self, exc):
        import traceback
        error = '%s: %s' % (type(exc).__name__, exc)
        if error != self.error:
            trace = traceback.format_exception(type(exc), exc, exc.__traceback__)
            log('reconcile failed (retrying): %s' % ''.join(trace).rstrip())
        else:
            log('reconcile failed (retrying): %s' % error)
        self.error = error
        self.reconciler.announced = None
        self.reconciler.wake_at = None
        config = self.config or load_config('{}')
        bound = failsafe_bound(config)
        left = self.last_ok + bound - self.clock()
        if left <= 0:
            self.failsafe(config, 'fail-safe: no reconciliation for %.1f s (state unknown)'
                          % (self.clock() - self.last_ok))
            return config['interval']
        return min(config['interval'], left)

    def failsafe(self, config, why):
        """Withdraw every VIP (`why`: the reason logged); never raises."""
        try:
            self.reconciler.withdraw_all(config, why)
            return
        except Exception as exc:  # pylint: disable=broad-except
            log('fail-safe: withdrawal through the reconciler failed (%s: %s), removing the addresses directly'
                % (type(exc).__name__, exc))
        try:
            removed, errors = self.host.withdraw_everything(config)
        except Exception as exc:  # pylint: disable=broad-except
            removed, errors = None, ['%s: %s' % (type(exc).__name__, exc)]
        log('%s withdrawn: %s%s' % ('every address with label %s and every VIP' % config['label']
                                    if removed is None else ', '.join(removed) or 'nothing', why,
                                    '; errors: ' + '; '.join(errors) if errors else ''))

    def wait(self, timeout):
        """Sleep until an event or `timeout` (never raises: a failing wait sleeps)."""
        try:
            self.waiter.wait(timeout)
        except Exception as exc:  # pylint: disable=broad-except
            log('waiting for events failed (%s: %s): sleeping' % (type(exc).__name__, exc))
            time.sleep(max(min(timeout, 1.0), 0.1))


def cmd_run(args):
    """The root service. Type=notify: READY=1 after the first reconciliation, WATCHDOG=1 at every iteration (at
    least every WatchdogSec/2: the waits are bounded by it)."""
    import signal
    host = Host(args.config)
    reconciler = Reconciler(host)
    stop = []

    def on_signal(signum, dummy_frame):
        stop.append(signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    waiter = Waiter()
    runner = Runner(host, reconciler, waiter, args.config)
    try:
        config = host.config()
        summary = '%d VIP(s), hold-down %g s, interval %g s' % (
            len(config['vips']), config['holddown'], config['interval'])
    except Exception as exc:  # pylint: disable=broad-except
        summary = 'configuration unusable for now (%s: %s)' % (type(exc).__name__, exc)
    log('ecmp-lvs-announce running: %s, events: %s, watchdog: %s' % (
        summary, 'inotify + pidfd' if waiter.fd is not None and hasattr(os, 'pidfd_open') else 'none (polling)',
        'ping every %g s' % runner.watchdog if runner.watchdog else 'off'))
    while not stop:
        timeout = runner.reconcile()
        if not stop:
            runner.wait(timeout)
    if stop[0] == signal.SIGHUP:
        log('SIGHUP: re-executing %s (VIPs left as they are)' % sys.argv[0])
        os.execv(sys.argv[0], sys.argv)
    runner.notify('STOPPING=1')
    runner.failsafe(runner.config or load_config('{}'), 'ecmp-lvs-announce stopped')
    return 0


def cmd_keepalived_stop(args):
    """ExecStop of keepalived.service (drop-in): withdraw the health-gated VIPs before keepalived removes its
    IPVS services, so that the routers stop sending first; then wait stop_delay seconds."""
    config = load_config(read_file(args.config))
    gated = set(vip for vip, keys in config['vips'].items() if keys and config['require_quorum'])
    announced = sorted(Host.present(config) & gated)
    # withdraw first: nothing written before (a full /run must not keep the VIPs announced)
    errors = withdraw_each(config, announced)
    stat = process_stat(args.pid)
    if stat is not None:
        try:
            write_atomic(os.path.join(config['state_dir'], STOPPING), '%d %d\n' % (args.pid, stat[2]))
        except OSError as exc:
            errors.append('marker %s not written: %s' % (STOPPING, exc))
        # the service may have re-added a VIP between the withdrawal and the marker (a resync): once more
        withdraw_each(config, announced)
    log('keepalived stopping: %s withdrawn; waiting %g s before IPVS goes%s'
        % (', '.join(announced) or 'nothing', config['stop_delay'], '; errors: ' + '; '.join(errors) if errors else ''))
    if announced:
        time.sleep(config['stop_delay'])
    return 0


def withdraw_each(config, vips):
    """Host.delete of each of `vips` (already gone: no error); returns the errors (the others are still tried)."""
    import subprocess
    errors = []
    for vip in vips:
        try:
            Host.delete(config, vip)
        except (OSError, subprocess.SubprocessError) as exc:
            errors.append(str(exc))
    return errors


def read_status(config):
    import json
    try:
        status = json.loads(read_file(os.path.join(config['state_dir'], 'status.json')))
    except (OSError, ValueError):
        return None
    try:
        pid = int(status.get('pid', 0))
    except (AttributeError, TypeError, ValueError):
        return None
    if pid <= 0 or process_stat(pid) is None:
        return None
    return status


def drain_intent_file(config):
    """playbooks/drain.yml writes this file on a director it is about to drain and removes it after the drain flag
    is set: another drain sees the drain in progress (the program itself ignores it)."""
    return os.path.join(os.path.dirname(config['drain_file']), 'draining')


def drain_intent_age(config, now=None):
    """Seconds since the drain intent was written (a regular file, links not followed), None without one."""
    import stat
    try:
        st = os.lstat(drain_intent_file(config))
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return round(max(0.0, (time.time() if now is None else now) - st.st_mtime), 1)


def cmd_status(args):
    import json
    config = load_config(read_file(args.config))
    status = read_status(config) or {'error': 'ecmp-lvs-announce.service is not running'}
    status['present'] = sorted(Host.present(config))
    status['drain_file'] = config['drain_file']
    status['drained'] = os.path.exists(config['drain_file'])
    status['drain_intent_file'] = drain_intent_file(config)
    status['drain_intent_age'] = drain_intent_age(config)
    print(json.dumps(status, indent=1, sort_keys=True))
    return 0 if 'error' not in status else 1


def withdraw_config(path):
    """The configuration for `withdraw-all`, read leniently (it must work when nothing else does): the label and
    the VIPs of the file when it can be read (the VIPs that are IPv4 addresses), the defaults otherwise."""
    import json
    config = dict(DEFAULTS, vips={})
    try:
        data = json.loads(read_file(path))
    except (OSError, ValueError) as exc:
        log('withdraw-all: %s unreadable (%s): every address with label %s goes' % (path, exc, LABEL))
        return config
    if isinstance(data, dict):
        if isinstance(data.get('label'), str) and data['label'].strip():
            config['label'] = data['label']
        if isinstance(data.get('vips'), dict):
            config['vips'] = dict((vip, []) for vip in data['vips'] if isinstance(vip, str) and is_ipv4(vip))
    return config


def cmd_withdraw_all(args):
    """ExecStopPost of ecmp-lvs-announce.service (every stop, crash, watchdog kill, start limit): remove every
    VIP address from lo (Host.withdraw_everything), so a service that is not running announces nothing."""
    config = withdraw_config(args.config)
    removed, errors = Host.withdraw_everything(config)
    if removed is None:
        log('withdraw-all: lo not listed; flushed label %s and deleted %s' % (
            config['label'], ', '.join(sorted(config['vips'])) or 'no VIP'))
    else:
        log('withdraw-all: %s withdrawn' % (', '.join(removed) or 'nothing'))
    for error in errors:
        print('ecmp-lvs-announce: withdraw-all: %s' % error, file=sys.stderr)
    return 1 if errors else 0


def cmd_check_config(args):
    config = load_config(read_file(args.config))
    gated = sum(len(k) for k in config['vips'].values())
    print('%s: %d VIP(s), %d health-gated service(s)' % (args.config, len(config['vips']), gated))
    return 0


def config_for_test(text):
    """keepalived.conf text -> the same with every `script_user` set to root and the user of every quorum_up /
    quorum_down script removed (they run as root then; see cmd_keepalived_config_test)."""
    lines = []
    for line in text.splitlines(True):
        words = line.split()
        indent = line[:len(line) - len(line.lstrip())]
        if words[:1] == ['script_user']:
            line = indent + 'script_user root\n'
        elif words[:1] in (['quorum_up'], ['quorum_down']) and line.count('"') >= 2:
            line = line[:line.rindex('"') + 1] + '\n'
        lines.append(line)
    return ''.join(lines)


def cmd_keepalived_config_test(args):
    """`keepalived --config-test` of keepalived.conf as the role's template validation.

    keepalived 2.2.7 (Debian 12) kills its own process group at the end of --config-test when a script runs as a
    non-root script_user (keepalived issue #2617, fixed in 2.2.8): the test runs on a copy with `script_user root`
    (everything else identical) in its own session."""
    import subprocess
    import tempfile
    with tempfile.NamedTemporaryFile('w', prefix='keepalived-test-', suffix='.conf', delete=False) as handle:
        handle.write(config_for_test(read_file(args.file)))
    try:
        res = subprocess.run(['keepalived', '--config-test', '-f', handle.name], start_new_session=True, check=False,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    finally:
        os.unlink(handle.name)
    sys.stdout.write(res.stdout.replace(handle.name, args.file))
    if res.returncode < 0:
        print('keepalived --config-test was killed by signal %d' % -res.returncode)
        return 1
    return res.returncode


def fsync_dir(path):
    """Make a file's creation, rename or removal in directory `path` durable (it survives a crash at once)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def cmd_drain(args):
    config = load_config(read_file(args.config))
    path = config['drain_file']
    if args.command == 'drain':
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_atomic(path, 'drained by ecmp-lvs-announce drain\n')
            fsync_dir(os.path.dirname(path))
            print('drained (%s)' % path)
        else:
            print('already drained (%s)' % path)
    elif os.path.exists(path):
        os.unlink(path)
        fsync_dir(os.path.dirname(path))
        print('undrained (%s removed)' % path)
    else:
        print('not drained')
    return 0


def cmd_wait_announced(args):
    """Wait until every VIP is announced, or the director is drained; exit 1 with the reasons on timeout.

    --once (ecmp-lvs-frr-start.service, the start gate of FRR on a director): the wait happens once per boot. The
    first call that ends (announced, drained, timeout, an error or SIGTERM) leaves ONCE_MARKER in the state
    directory (/run: gone at the next boot), in a `finally`: frr.service is conditioned on it, a missing marker
    would keep FRR down. Later calls return at once, so restarting FRR on a running director never waits."""
    import json
    import signal
    config = load_config(read_file(args.config))
    marker = os.path.join(config['state_dir'], ONCE_MARKER)
    if args.once and os.path.exists(marker):
        print(json.dumps({'result': 'waited once since boot already (%s)' % marker}, sort_keys=True))
        return 0
    rc = None
    try:
        if args.once:
            # `timeout` (the unit's bound) sends SIGTERM: end through the finally below
            signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        rc = wait_announced(config, args.timeout, args.stable)
    finally:
        if args.once:
            write_once_marker(config, marker, rc)
    return rc


def write_once_marker(config, marker, rc):
    """Leave the marker of `wait-announced --once` (errors are reported, never raised: the unit touches it too)."""
    try:
        os.makedirs(config['state_dir'], exist_ok=True)
        write_atomic(marker, 'ecmp-lvs-announce wait-announced --once ended with %s\n'
                     % ('an error' if rc is None else rc))
    except OSError as exc:
        print('ecmp-lvs-announce: marker %s not written: %s' % (marker, exc), file=sys.stderr)


def wait_reasons(status):
    """{vip: reason} of the VIPs the status file shows withdrawn (the timeout report of wait_announced)."""
    if status is None:
        return {'*': 'ecmp-lvs-announce.service is not running'}
    try:
        return dict((vip, v['reason']) for vip, v in status.get('vips', {}).items() if not v.get('announced'))
    except (AttributeError, KeyError, TypeError) as exc:
        return {'*': 'unreadable status (%s: %s)' % (type(exc).__name__, exc)}


def wait_announced(config, timeout, stable=0.0):
    """Poll every 0.2 s until every VIP is announced (or drained), at most `timeout` seconds; print the JSON report
    and return 0 (1 on timeout). A poll that fails (a broken `ip`, an unreadable status) counts as "not yet".

    stable > 0 (the rollout gate of ecmp.lvs.director): every VIP must stay announced for `stable` seconds in a row;
    a withdrawal restarts the count. A health check that fails after a keepalived reload withdraws the VIPs within
    that time, so a bad change stops at the first director instead of reaching the next batch."""
    import json
    start = time.monotonic()
    error = None
    since = None
    withdrawals = 0
    while True:
        elapsed = time.monotonic() - start
        try:
            status = read_status(config)
            present = Host.present(config)
            drained = os.path.exists(config['drain_file'])
            error = None
        except Exception as exc:  # pylint: disable=broad-except
            status, present, drained = None, set(), False
            error = '%s: %s' % (type(exc).__name__, exc)
        report = {'waited': round(elapsed, 2), 'drained': drained, 'announced': sorted(present & set(config['vips'])),
                  'vips': sorted(config['vips'])}
        if stable:
            report.update({'stable': stable, 'withdrawals': withdrawals,
                           'announced_for': 0.0 if since is None else round(elapsed - since, 2)})
        if status and drained:
            report['result'] = 'drained: nothing announced on purpose'
            print(json.dumps(report, sort_keys=True))
            return 0
        if status and set(config['vips']) <= present:
            since = elapsed if since is None else since
            if elapsed - since >= stable:
                report['announced_for'] = round(elapsed - since, 2)
                report['result'] = 'every VIP announced' + (' for %g s in a row' % stable if stable else '')
                print(json.dumps(report, sort_keys=True))
                return 0
        elif since is not None:
            since, withdrawals = None, withdrawals + 1
        if elapsed >= timeout:
            report['result'] = 'timeout'
            report['reasons'] = wait_reasons(status)
            if error:
                report['error'] = error
            print(json.dumps(report, sort_keys=True))
            return 1
        time.sleep(0.2)


def ipvs_sample(vips):
    """Summed IPVS in-packet counters of the services of `vips` (0 without IPVS: nothing to wait for)."""
    import subprocess
    if not os.path.exists('/proc/net/ip_vs'):
        return 0
    out = subprocess.run(['ipvsadm', '-L', '-n', '--stats', '--exact'], check=True, stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    stats = parse_ipvs_stats(out)
    # firewall-mark services count too: the directors' marks only match packets to their VIPs
    return sum(s['inpkts'] for k, s in stats.items() if k[1] in vips or k[0] == 'fwmark')


def cmd_wait_idle(args):
    """Drain: wait until the VIPs are withdrawn, then until IPVS sees no new packets for them (or a timeout)."""
    import json
    import subprocess
    config = load_config(read_file(args.config))
    vips = set(config['vips'])
    start = time.monotonic()
    report = {'vips': sorted(vips)}
    while Host.present(config) & vips:
        if time.monotonic() - start >= args.timeout:
            report.update(result='timeout: the VIPs are still announced (is the director drained and '
                                 'ecmp-lvs-announce.service running?)', waited=round(time.monotonic() - start, 2))
            print(json.dumps(report, sort_keys=True))
            return 1
        time.sleep(0.1)
    report['withdrawn_after'] = round(time.monotonic() - start, 2)
    idle = Idle(args.quiet)
    while True:
        now = time.monotonic()
        done = idle.feed(now, ipvs_sample(vips))
        if done or now - start >= args.timeout:
            break
        time.sleep(1.0)
    conns = []
    if os.path.exists('/proc/net/ip_vs'):
        out = subprocess.run(['ipvsadm', '-L', '-n'], check=True, stdout=subprocess.PIPE,
                             universal_newlines=True).stdout
        conns = [c for k, c in parse_ipvs_conns(out).items() if k[1] in vips or k[0] == 'fwmark']
    report.update(result='idle' if done else 'timeout', waited=round(time.monotonic() - start, 2),
                  idle_after=round(idle.changed_at - start, 2), packets_after_withdrawal=idle.received(),
                  active_connections=sum(c[0] for c in conns), inactive_connections=sum(c[1] for c in conns))
    print(json.dumps(report, sort_keys=True))
    return 0 if done else 1


def parser():
    import argparse
    top = argparse.ArgumentParser(prog='ecmp-lvs-announce', description=__doc__.split('\n\n', 1)[0])
    top.add_argument('--config', default=CONFIG, help='configuration file (default %(default)s)')
    sub = top.add_subparsers(dest='command')
    sub.required = True
    quorum = sub.add_parser('quorum', help='record a quorum report (keepalived quorum_up / quorum_down)')
    quorum.add_argument('state', choices=('up', 'down'))
    quorum.add_argument('key', help='tcp|udp|sctp:VIP:PORT')
    quorum.add_argument('--state-dir', default=STATE_DIR)
    sub.add_parser('run', help='the reconciler (ecmp-lvs-announce.service)')
    sub.add_parser('status', help='JSON view of the reconciler')
    sub.add_parser('check-config', help='validate the configuration file')
    ktest = sub.add_parser('keepalived-config-test', help='keepalived --config-test FILE (script_user as root)')
    ktest.add_argument('file')
    stop = sub.add_parser('keepalived-stop', help='withdraw before keepalived stops (its ExecStop)')
    stop.add_argument('pid', type=int, help="keepalived's main pid ($MAINPID)")
    sub.add_parser('withdraw-all', help='remove every VIP address from lo (ExecStopPost of the service)')
    sub.add_parser('drain', help='set the persistent drain flag (withdraw every VIP)')
    sub.add_parser('undrain', help='clear the drain flag')
    wait_a = sub.add_parser('wait-announced', help='wait until every VIP is announced (or drained)')
    wait_a.add_argument('--timeout', type=float, default=60.0)
    wait_a.add_argument('--stable', type=float, default=0.0,
                        help='every VIP must stay announced this many seconds in a row (a withdrawal restarts it)')
    wait_a.add_argument('--once', action='store_true',
                        help='once per boot: return at once when an earlier --once call has ended since boot')
    wait_i = sub.add_parser('wait-idle', help='wait until the VIPs are withdrawn and IPVS receives no packets')
    wait_i.add_argument('--timeout', type=float, default=300.0)
    wait_i.add_argument('--quiet', type=float, default=5.0,
                        help='seconds without a new IPVS in-packet that count as idle (default %(default)s)')
    return top


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv[:1] == ['quorum'] and len(argv) in (3, 5) and argv[1] in ('up', 'down') and \
                (len(argv) == 3 or argv[3] == '--state-dir'):
            # keepalived's path: no argparse (start-up time)
            return cmd_quorum(argv[1], argv[2], argv[4] if len(argv) == 5 else STATE_DIR)
        args = parser().parse_args(argv)
        if args.command == 'quorum':
            return cmd_quorum(args.state, args.key, args.state_dir)
        commands = {'run': cmd_run, 'status': cmd_status, 'check-config': cmd_check_config,
                    'keepalived-config-test': cmd_keepalived_config_test, 'drain': cmd_drain, 'undrain': cmd_drain,
                    'wait-announced': cmd_wait_announced, 'wait-idle': cmd_wait_idle,
                    'keepalived-stop': cmd_keepalived_stop, 'withdraw-all': cmd_withdraw_all}
        return commands[args.command](args)
    except AnnounceError as exc:
        print('ecmp-lvs-announce: %s' % exc, file=sys.stderr)
        return 2
    except PermissionError as exc:
        print('ecmp-lvs-announce: %s (run as root, or as the keepalived script_user for quorum)' % exc,
              file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
