# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules (decide()) and the reconciler that applies them to the host (adds / removes the VIP addresses on lo)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from .host import log
from .records import now as records_now


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


class Reconciler:
    """Applies decide() to the host: adds / removes the VIP addresses on lo (the announcement)."""

    def __init__(self, host, clock=records_now):
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
        """The status file (times are CLOCK_BOOTTIME seconds (records.now), like the quorum records' `since`)."""
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
