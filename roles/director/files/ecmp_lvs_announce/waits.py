# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""wait-announced and wait-idle: the role's waits (the start gate of FRR, the rollout gate, the drain)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# the standard modules other than os, sys and time are imported where they are used (see the package: start-up time)
# pylint: disable=import-outside-toplevel
import os
import sys
import time

from .config import ONCE_MARKER, load_config
from .host import Host, read_file, read_status, write_atomic
from .parsers import parse_ipvs_conns, parse_ipvs_stats


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
