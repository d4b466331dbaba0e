#!/usr/bin/env python
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp.lvs chaos soak: a seeded, reproducible random sequence of events under continuous traffic.

The events are the failover benchmark's (benchmarks/failover.py, the same lab, client, router poller and
analysis): director halt/return, drain/undrain, keepalived and FRR restarts, fabric link flaps, real-server
loss/return, and changes through playbooks/site.yml (weight 0 and back, a weight change, a health-check change).
The sequence (`plan`) depends on the seed and the lab's hosts only: at most one director and one real server
out at a time, never the last director in service, every director and real server back at the end.

Per event: the established flows whose real server stayed in service that survived it (target: all), the
new-connection error window (target: <= 1 s) and, for a planned change, failed new connections (target: 0).
Overall: flows reset, the longest error window, and the end state (every director routed, IPVS tables and
real-server order equal on every director). Every director's IPVS table (`ipvsadm -Sn`) is polled the whole time:
each failed new connection is listed with the route and every director's real servers at that moment.
Writes benchmarks/results/soak-<timestamp>/soak.json, soak.md (the table, generated from the JSON) and soak.png
(timeline).

  .venv/bin/python benchmarks/soak.py --name bench --seed 2 --count 100 --min-minutes 30
  make soak SOAK_ARGS="--seed 7"
  .venv/bin/python benchmarks/soak.py --publish benchmarks/results/soak-<timestamp>   # docs/soak.md, .json, PNG
  .venv/bin/python benchmarks/soak.py --plan --seed 2 --count 20                       # the sequence, no lab
"""

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
import traceback

import failover  # next to this script
import failover_analysis as fa
import published
import report

HERE = failover.HERE
ROOT = failover.ROOT
# not in docs/results/: a published figure there is the median of several runs (tests/unit/benchmarks/test_report.py);
# a soak is one long run, published on its own page
PUBLISHED = os.path.join(ROOT, 'docs', 'soak.json')
PAGE = os.path.join(ROOT, 'docs', 'soak.md')
FIGURE = os.path.join(ROOT, 'docs', 'figures', 'soak.png')

# an event that takes a director or a real server out, and the event that brings it back
DIRECTOR_OUT = {'director_drain': 'director_undrain', 'director_halt': 'director_return'}
RS_OUT = {'rs_fail': 'rs_restore', 'rs_weight0': 'rs_weight_restore'}
# a director leaves the route and comes back within the event
BLIPS = ('keepalived_restart', 'frr_restart', 'link_flap')
# changes of every service through site.yml (each a toggle: the next one undoes it)
TOGGLES = ('rs_weight_change', 'health_check_change')
# events that run playbooks/site.yml: never while a director is halted (site.yml needs every host)
SITE = ('rs_weight0', 'rs_weight_restore') + TOGGLES + ('config_restore',)
# how often each kind is drawn, relative (a halt boots a guest, ~45 s; a site.yml run takes ~3 min on the UML lab:
# fewer of them, ~8 site.yml runs and ~4 halts in 100 events)
# the router's FRR restarts (router_frr_restart) only while every director is in service: it waits for all sessions
ROUTER = ('router_frr_restart',)
WEIGHTS = {'director_drain': 2.0, 'director_halt': 0.6, 'rs_fail': 2.0, 'rs_weight0': 0.25,
           'keepalived_restart': 2.0, 'frr_restart': 2.0, 'link_flap': 2.0, 'router_frr_restart': 1.0,
           'rs_weight_change': 0.15, 'health_check_change': 0.15, 'undo': 3.0}


def plan(seed, count, directors, realservers):
    """[(event, target)] of `count` events, then the undo of whatever is still out (and config_restore when a toggle
    is on). Deterministic for (seed, count, directors, realservers)."""
    rng = random.Random(seed)
    out_d, out_rs, toggled = {}, {}, set()
    steps = []

    def apply(name, target):
        steps.append((name, target))
        if name in DIRECTOR_OUT:
            out_d[target] = DIRECTOR_OUT[name]
        elif name in DIRECTOR_OUT.values():
            out_d.pop(target, None)
        elif name in RS_OUT:
            out_rs[target] = RS_OUT[name]
        elif name in RS_OUT.values():
            out_rs.pop(target, None)
        elif name in TOGGLES:
            toggled.symmetric_difference_update({name})

    while len(steps) < count:
        candidates = [(undo, d, WEIGHTS['undo']) for d, undo in sorted(out_d.items())]
        candidates += [(undo, rs, WEIGHTS['undo']) for rs, undo in sorted(out_rs.items())]
        in_service = [d for d in directors if d not in out_d]
        if len(in_service) >= 2:  # never take out (or blip) the last director in service
            for d in in_service:
                if not out_d:  # one director out at a time
                    candidates += [(name, d, WEIGHTS[name]) for name in DIRECTOR_OUT]
                candidates += [(name, d, WEIGHTS[name]) for name in BLIPS]
        if not out_rs and len(realservers) >= 2:  # one real server out at a time, never the last one
            candidates += [(name, rs, WEIGHTS[name]) for rs in realservers for name in RS_OUT]
        rs0 = realservers[0]
        candidates += [(name, rs0, WEIGHTS[name]) for name in TOGGLES if not out_rs]
        if not out_d:
            candidates += [(name, 'router', WEIGHTS[name]) for name in ROUTER]
        if 'director_return' in out_d.values():
            candidates = [c for c in candidates if c[0] not in SITE]
        # the weight is per kind of event, shared by its targets: 8 directors do not make blips 4 times as likely
        per_kind = {}
        for c in candidates:
            per_kind[c[0]] = per_kind.get(c[0], 0) + 1
        name, target, dummy = rng.choices(candidates, weights=[c[2] / per_kind[c[0]] for c in candidates])[0]
        apply(name, target)
    for d, undo in sorted(out_d.items()):
        apply(undo, d)
    for rs, undo in sorted(out_rs.items()):
        apply(undo, rs)
    if toggled:
        steps.append(('config_restore', 'services'))
    return steps


# every director's IPVS table, logged on change: what a failed new connection met (failover_analysis.destinations)
IPVS_POLL = 'python3 poll_cmd.py --interval %s --out ipvs.jsonl -- ipvsadm -Sn'
# the router's and every director's stalls (guest/stall.py): what an adjacency no event touched went down after
STALL_TICKER = 'python3 stall.py --out stalls.jsonl'


def keep_running(bench, pids, hosts, script, command, logname):
    """`command` (guest/SCRIPT, put on the guest first) running on every host of `hosts` that is up: started on a host
    without one (the start, a director back from a halt, which ended it). pids: {host: pid}, updated. A host SSH does
    not reach now is tried again after the next event: the measurement never ends the soak."""
    for host in hosts:
        if host in bench.halted:
            pids.pop(host, None)
            continue
        pid = pids.get(host)
        try:
            if pid is not None and bench.lab.ssh(host, 'grep -qs %s /proc/%d/cmdline && echo up || true'
                                                 % (script.split('.')[0], pid), check=False).strip() == 'up':
                continue
            pids.pop(host, None)
            with open(os.path.join(HERE, 'guest', script), 'rb') as fd:
                bench.lab.put(host, '%s/%s' % (failover.GUEST_DIR, script), fd.read())
            pids[host] = bench.start_bg(host, command, logname)
        except (failover.BenchError, subprocess.TimeoutExpired) as exc:
            failover.log('%s on %s: %s (again after the next event)' % (script, host, exc))
    return pids


def keep_ipvs_pollers(bench, pids, interval):
    """An `ipvsadm -Sn` poller on every director that is up (keep_running)."""
    return keep_running(bench, pids, bench.directors, 'poll_cmd.py', IPVS_POLL % interval, 'ipvs-poll.log')


def keep_stall_tickers(bench, pids):
    """A stall ticker on the router and every director that is up (keep_running)."""
    return keep_running(bench, pids, [bench.router] + bench.directors, 'stall.py', STALL_TICKER, 'stall.log')


def stall_logs(bench, label, hosts):
    """{host: [[t, gap]]} of the tickers' logs on the controller's clock (Bench.copy_guest_logs keeps them as
    LABEL-stalls-HOST.jsonl); a host SSH does not reach has none."""
    return {host: fa.parse_stall_log(text.splitlines(), fa.clock_of(bench.offsets.get(host, {})))
            for host, text in bench.copy_guest_logs(label, 'stalls', hosts).items()}


def explain_foreign_resets(raw_events, events, stalls, director_of, router):
    """Every OSPF adjacency reset of a director no event touched, numbered by event, with the stalls of the router and
    of that director just before it (failover_analysis.stalls_before); stalls: {host: [[t, gap]]}."""
    out = []
    for n, (raw, ev) in enumerate(zip(raw_events, events), 1):
        for t, daemon, neighbor, state, reason in fa.foreign_window(ev.get('adjacency_resets') or [], raw):
            director = director_of.get(neighbor, neighbor)
            out.append({'n': n, 'event': ev['event'], 'target': ev['target'], 't': t, 'daemon': daemon,
                        'director': director, 'state': state, 'reason': reason,
                        'stalls': fa.stalls_before(stalls, t, [router, director])})
    return out


def stall_summary(stalls):
    """{host: {'stalls': how many of at least failover_analysis.STALL_S, 'longest_s'}} of stall_logs."""
    return {host: {'stalls': sum(1 for dummy, gap in log if gap >= fa.STALL_S),
                   'longest_s': max([gap for dummy, gap in log], default=0.0)} for host, log in stalls.items()}


def ipvs_logs(texts, directors, offsets, events):
    """{director: [(t, services)]} from the pollers' logs ({director: text}, Bench.collect's `ipvs_logs`: a director
    SSH did not reach has none); a director is 'not polled' (None) from its halt until its poller logs again after
    the return."""
    logs = {}
    for d in directors:
        log = fa.parse_ipvs_log(texts.get(d, '').splitlines(), fa.clock_of(offsets.get(d, {})))
        log += [(ev['t'], None) for ev in events if ev['event'] == 'director_halt' and ev['target'] == d]
        log.sort(key=lambda change: change[0])
        logs[d] = log
    return logs


def explain_failures(events, client, route, logs, servers_ok, vip, port, director_of):
    """Every failed new connection of every event (failover_analysis.failed_probes_explained), numbered by event."""
    out = []
    for n, ev in enumerate(events, 1):
        for f in fa.failed_probes_explained(client['probes'], ev['t'], ev['t'] + ev['window_s'], servers_ok, route,
                                            logs, vip, port, director_of):
            out.append(dict(f, n=n, event=ev['event'], target=ev['target']))
    return out


def point_at(bench, name, target):
    """The failover benchmark's events act on halt_director / drain_director / fail_rs: point them at `target`."""
    if name.startswith('director') or name in BLIPS:
        bench.halt_director = bench.drain_director = target
    elif name.startswith('rs_') or name in TOGGLES:
        bench.fail_rs = target


def end_state(bench):
    """Every director routed, the same IPVS table (services, real servers in order, weights) on every director."""
    routed = bench.route_now()
    tables = {}
    for d in bench.directors:
        text = bench.lab.ssh(d, 'ipvsadm -Sn', check=False, timeout=30)
        tables[d] = text.strip().splitlines()
    first = tables[bench.directors[0]]
    state = {'route': sorted(routed), 'every_director_routed': routed == bench.gw(bench.directors),
             'ipvs_equal': all(t == first for t in tables.values()) and bool(first),
             'ipvs_lines': len(first), 'ipvs': tables}
    state['ok'] = state['every_director_routed'] and state['ipvs_equal']
    return state


def summarise(events):
    """Per event its targets (failover.event_target), overall: flows reset that should have survived, the longest
    new-connection error window, events that missed a target."""
    rows = []
    for ev in events:
        passed, detail = failover.event_target(ev)
        kept = fa.kept_connections(ev)
        rows.append({'n': len(rows) + 1, 'event': ev['event'], 'target': ev['target'], 'planned': ev.get('planned'),
                     'established': kept['established'], 'survived': kept['survived'],
                     'lost': kept['established'] - kept['survived'], 'resets': kept['resets'],
                     'new_failed': ev['new_connections']['failed'], 'new_attempts': ev['new_connections']['attempts'],
                     'error_window_s': ev['new_connections']['error_window_s'],
                     'route_s': ev['route'].get('converged_s'), 'pass': passed, 'detail': detail,
                     'foreign_adjacency_resets': ev.get('foreign_adjacency_resets') or 0})
    windows = [r['error_window_s'] for r in rows if r['error_window_s'] is not None]
    overall = {'events': len(rows), 'events_missed': sum(1 for r in rows if not r['pass']),
               'flows_lost': sum(r['lost'] for r in rows), 'flows_reset': sum(r['resets'] for r in rows),
               'flows_checked': sum(r['established'] for r in rows),
               'new_failed': sum(r['new_failed'] for r in rows), 'new_attempts': sum(r['new_attempts'] for r in rows),
               'longest_error_window_s': max(windows) if windows else 0.0,
               'planned_new_failed': sum(r['new_failed'] for r in rows if r['planned']),
               'foreign_adjacency_resets': sum(r['foreign_adjacency_resets'] for r in rows)}
    kinds = {}
    for r in rows:
        k = kinds.setdefault(r['event'], {'count': 0, 'missed': 0, 'lost': 0, 'new_failed': 0, 'windows': []})
        k['count'] += 1
        k['missed'] += 0 if r['pass'] else 1
        k['lost'] += r['lost']
        k['new_failed'] += r['new_failed']
        if r['error_window_s'] is not None:
            k['windows'].append(r['error_window_s'])
    for k in kinds.values():
        k['error_window_s'] = fa.stats(k.pop('windows'))
    return rows, overall, kinds


def markdown(results):
    """docs/soak.md: generated from soak.json, never typed."""
    p, o = results['params'], results['overall']
    lines = [
        '# Chaos soak',
        '',
        '<!-- generated by benchmarks/soak.py from docs/soak.json: do not edit -->',
        '',
        '%d events (seed %d) in %.0f minutes on the UML lab `%s` (%d directors, %d real servers): %d long-lived '
        'HTTP keep-alive connections (one GET every %s s each) and %s new connections per second the whole time, '
        'configuration `%s`. Run %s. Reproduce: `make soak SOAK_ARGS="--config %s --seed %d --count %d"`.'
        % (o['events'], p['seed'], results['duration_s'] / 60.0, results['lab']['inventory'],
           len(results['lab']['hosts']['directors']), len(results['lab']['hosts']['realservers']), p['conns'],
           p['interval'], p['new_rate'], p['config'], results['timestamp'], p['config'], p['seed'], p['count']),
        '',
        '## Overall',
        '',
        '| figure | value | target |',
        '|---|---|---|',
        '| events that missed a target | %d of %d | 0 |' % (o['events_missed'], o['events']),
        '| established flows lost (their real server stayed in service) | %d of %d checked, %d by reset | 0 |'
        % (o['flows_lost'], o['flows_checked'], o['flows_reset']),
        '| longest new-connection error window | %s s | <= 1 s |' % o['longest_error_window_s'],
        '| new connections failed in planned changes | %d | 0 |' % o['planned_new_failed'],
        '| new connections failed, all events | %d of %d | |' % (o['new_failed'], o['new_attempts']),
        '| OSPF adjacency resets of directors no event touched (the lab\'s own disturbance) | %d%s | 0 |'
        % (o.get('foreign_adjacency_resets', 0), '' if results.get('foreign_resets') is None else
           ' (%d right after a stall of the router or of that director)'
           % sum(1 for r in results['foreign_resets'] if r['stalls'])),
        '| end state: every director routed | %s | yes |' % ('yes' if results['end_state']['every_director_routed']
                                                             else 'NO'),
        '| end state: IPVS tables and real-server order equal on every director | %s | yes |'
        % ('yes' if results['end_state']['ipvs_equal'] else 'NO'),
        '',
        '## Per kind of event',
        '',
        '| event | count | missed target | flows lost | new connections failed | error window median (min-max) |',
        '|---|---|---|---|---|---|',
    ]
    for name, k in sorted(results['kinds'].items()):
        w = k['error_window_s']
        lines.append('| %s | %d | %d | %d | %d | %s |' % (
            name, k['count'], k['missed'], k['lost'], k['new_failed'],
            '%s s (%s-%s)' % (w['median'], w['min'], w['max']) if w else '-'))
    lines += ['', '## Every event', '',
              '| # | event | target | planned | flows survived | new failed | error window | route | target met |',
              '|---|---|---|---|---|---|---|---|---|']
    for r in results['rows']:
        lines.append('| %d | %s | %s | %s | %d/%d | %d/%d | %s | %s | %s |' % (
            r['n'], r['event'], r['target'], 'yes' if r['planned'] else 'no', r['survived'], r['established'],
            r['new_failed'], r['new_attempts'], '-' if r['error_window_s'] is None else '%s s' % r['error_window_s'],
            '-' if r['route_s'] is None else '%s s' % r['route_s'], 'yes' if r['pass'] else 'NO: ' + r['detail']))
    lines += failures_table(results)
    lines += stalls_table(results)
    drift = [abs(v) for v in (results.get('clock_drift_s') or {}).values() if v is not None]
    if drift and max(drift) > 0.5 and results.get('clock_sampled'):
        lines += ['', 'Clock drift: the guests\' clocks moved by up to %.1f s against the controller during the run; '
                  'their offsets were measured again after every event and the client and router logs are put on the '
                  'controller\'s clock between those measurements.' % max(drift)]
    elif drift and max(drift) > 0.5:
        lines += ['', '**Caveat - clock drift**: the guests\' clocks moved by up to %.1f s against the controller during '
                  'the run (%s); the events are timed on the controller, the client and router logs on the guests\' '
                  'clocks with the offsets of the start, so the later an event, the further its window is shifted '
                  'against the logs: which event a lost flow or a failed connection is counted against is uncertain by '
                  'that much. The totals are not affected.'
                  % (max(drift), ', '.join('%s %+.1f s' % (host, value)
                                           for host, value in sorted(results['clock_drift_s'].items())
                                           if value is not None))]
    lines += ['', '![timeline](figures/soak.png)', '',
              'Definitions: %s' % '; '.join('**%s**: %s' % (k, v) for k, v in sorted(results['definitions'].items())
                                            if k in ('survived', 'error_window_s')),
              '']
    return '\n'.join(lines)


# the page lists this many failed new connections (soak.json has them all)
PAGE_FAILURES = 40


def failures_table(results):
    """The page's lines for results['failed_new_connections'] (none: nothing; a soak without the IPVS pollers)."""
    failures = results.get('failed_new_connections')
    if failures is None:
        return []
    lines = ['', '## New connections that failed', '']
    if not failures:
        return lines + ['None.']
    p = results['params']
    lines += ['What each failed new connection met: the router\'s nexthops and every director\'s real servers of '
              '%s:%s (address: weight) at that moment, from `ipvsadm -Sn` polled every %s s on each director.'
              % (fa.url_host(p['vip']), p['port'], p.get('ipvs_poll_s')), '',
              '| # | event | target | after | failure | route through | IPVS real servers |', '|---|---|---|---|---|---|---|']

    def table(dests):
        if isinstance(dests, dict):
            return ' '.join('%s:%s' % (a, w) for a, w in sorted(dests.items())) or 'none'
        return dests
    for f in failures[:PAGE_FAILURES]:
        lines.append('| %d | %s | %s | %s s | %s | %s | %s |' % (
            f['n'], f['event'], f['target'], f['t_s'], f['kind'],
            'no route' if f['route'] == [] else ('?' if f['route'] is None else ', '.join(f['route'])),
            '; '.join('%s: %s' % (d, table(v)) for d, v in sorted(f['ipvs'].items()))))
    if len(failures) > PAGE_FAILURES:
        lines += ['', '%d more in soak.json.' % (len(failures) - PAGE_FAILURES)]
    return lines


def stalls_table(results):
    """The page's lines for the guests' stalls and the adjacency resets no event touched (nothing for a soak run
    without the stall tickers)."""
    summary = results.get('stall_summary')
    if summary is None:
        return []
    lines = ['', '## Guest stalls and the adjacency resets no event touched', '',
             'A ticker on the router and on every director (`benchmarks/guest/stall.py`, a tick every 0.05 s) logs '
             'every gap in which its guest ran nothing of it; a gap of %s s or more can take an OSPF adjacency down by '
             'itself (BFD detects a silent peer in 0.9 s). A halted director logs nothing until it is back.'
             % fa.STALL_S, '', '| guest | stalls of %s s or more | longest gap |' % fa.STALL_S, '|---|---|---|']
    for host, row in sorted(summary.items()):
        lines.append('| %s | %d | %s s |' % (host, row['stalls'], row['longest_s']))
    resets = results.get('foreign_resets') or []
    if resets:
        lines += ['', 'Every reset of an adjacency no event touched, with the stalls of the router and of that '
                  'director that ended at most %s s before it (or up to 1 s after it):' % fa.STALL_LOOKBACK_S, '',
                  '| # | event | target | director | daemon | reason | stalls before it |', '|---|---|---|---|---|---|---|']
        for r in resets:
            lines.append('| %d | %s | %s | %s | %s | %s | %s |' % (
                r['n'], r['event'], r['target'], r['director'], r['daemon'], r['reason'],
                ', '.join('%s %s s (%+.1f s)' % (host, gap, end - r['t']) for host, end, gap in r['stalls'])
                or 'none'))
    return lines


def published_data(results):
    """The soak's overall figures in the format of benchmarks/report.py (title, what, summary, units, labels; one run)
    with the whole soak under `soak` (docs/soak.md is made from it)."""
    o, p = results['overall'], results['params']
    figures = {
        'events': (o['events'], '', 'events'),
        'events_missed': (o['events_missed'], '', 'events that missed a target'),
        'flows_lost': (o['flows_lost'], '', 'established flows lost whose real server stayed in service'),
        'longest_error_window_s': (o['longest_error_window_s'], 's', 'longest new-connection error window'),
        'planned_new_failed': (o['planned_new_failed'], '', 'new connections failed in planned changes'),
        'foreign_adjacency_resets': (o.get('foreign_adjacency_resets', 0), '',
                                     'OSPF adjacency resets of directors no event touched'),
    }
    # not the raw timeline nor the full analysis of every event (`events`, 275 kB for 103 events): `rows` has each
    # event's figures, the page is made from them; the whole run stays in benchmarks/results/soak-<timestamp>/
    soak = {k: v for k, v in results.items() if k not in ('timeline', 'events', 'director_snapshot_sizes')}
    data = {
        'title': 'Chaos soak',
        'what': ('%d seeded random events (seed %d: director halt/return and drain/undrain, keepalived and FRR restarts, '
                 'link flaps, real-server loss/return, weight and health-check changes through site.yml) in %.0f '
                 'minutes with %d long-lived connections and %s new connections per second through the VIP, UML lab '
                 '%s; one run, every event in docs/soak.md'
                 % (o['events'], p['seed'], results['duration_s'] / 60.0, p['conns'], p['new_rate'],
                    results['lab']['inventory'])),
        'summary': {k: fa.stats([v[0]]) for k, v in figures.items()},
        'units': {k: v[1] for k, v in figures.items() if v[1]},
        'labels': {k: v[2] for k, v in figures.items()},
        'headline': ['events', 'flows_lost', 'longest_error_window_s', 'end_state_ok'],
        'source': 'benchmarks/soak.py', 'runs': 1, 'soak': soak,
    }
    data['summary']['end_state_ok'] = {'true': 1 if results['end_state']['ok'] else 0, 'n': 1}
    data['labels']['end_state_ok'] = 'end state: every director routed, IPVS tables equal'
    if report.measured(results.get('timestamp')):
        data['measured'] = report.measured(results['timestamp'])
    return data


def publish(outdir):
    """DIR/soak.json -> docs/soak.json (report format), docs/soak.md (generated from it), docs/figures/soak.png."""
    with open(os.path.join(outdir, 'soak.json'), encoding='utf-8') as fd:
        results = json.load(fd)
    data = published_data(results)
    published.write(PUBLISHED, data, PAGE, markdown(data['soak']))
    png = os.path.join(outdir, 'soak.png')
    if os.path.exists(png):
        os.makedirs(os.path.dirname(FIGURE), exist_ok=True)
        shutil.copyfile(png, FIGURE)


def run(args):
    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    args.out = args.out or os.path.join(HERE, 'results', 'soak-' + stamp)
    lab = failover.Lab(args.name, args.inventory, args.python)
    if not lab.is_up():
        failover.log('lab "%s" is down: lab/ecmplab --name %s up' % (args.name, args.name))
        lab.tool('up', timeout=900)
    bench = failover.Bench(args, lab)
    steps = plan(args.seed, args.count, bench.directors, bench.realservers)
    label = args.config
    results = {
        'benchmark': 'ecmp.lvs chaos soak', 'timestamp': stamp,
        'lab': {'name': args.name, 'inventory': os.path.relpath(args.inventory, ROOT),
                'hosts': {'client': bench.client, 'router': bench.router, 'directors': bench.directors,
                          'realservers': bench.realservers},
                'host': platform.node(), 'cpus': os.cpu_count(), 'loadavg_start': os.getloadavg()},
        'params': {'seed': args.seed, 'count': args.count, 'min_minutes': args.min_minutes, 'config': args.config,
                   'conns': args.conns, 'interval': args.interval, 'new_rate': args.new_rate, 'stall_s': args.stall,
                   'settle_s': args.settle, 'vip': args.vip, 'port': args.port, 'flap_s': args.flap,
                   'ipvs_poll_s': args.ipvs_poll},
        'plan': steps, 'definitions': failover.DEFINITIONS,
    }
    res = bench.prepare(label)
    results['site'], results['verify'] = res.get('site'), res.get('verify')
    traffic = bench.start_traffic(label)
    pollers = keep_ipvs_pollers(bench, {}, args.ipvs_poll)
    tickers = keep_stall_tickers(bench, {})
    t_start = time.time()
    events, snapshots = [], {}
    error = None
    try:
        for i, (name, target) in enumerate(steps, 1):
            point_at(bench, name, target)
            events.append(bench.run_event(label, name, snapshots, key='%03d-%s' % (i, name)))
            keep_ipvs_pollers(bench, pollers, args.ipvs_poll)
            keep_stall_tickers(bench, tickers)
            # the client, router and director logs are analysed on their guests' clocks: they drift in a long run
            bench.sample_clocks([bench.client, bench.router] + [d for d in bench.directors if d not in bench.halted])
            # pace the planned events over --min-minutes (the undo steps at the end are not paced)
            if i < args.count:
                due = t_start + args.min_minutes * 60.0 * i / args.count
                if due > time.time():
                    time.sleep(due - time.time())
    except Exception as exc:  # pylint: disable=broad-except
        failover.log(traceback.format_exc())
        error = '%s: %s' % (type(exc).__name__, exc)
    finally:
        for host, pid in list(pollers.items()) + list(tickers.items()):
            bench.stop_bg(host, pid)
        raw = bench.collect(label, traffic)
    results['duration_s'] = round(raw['t_stop'] - t_start, 1)
    results.update(bench.finish_run(label, raw, events, snapshots))
    results['rows'], results['overall'], results['kinds'] = summarise(results['events'])
    logs = ipvs_logs(raw['ipvs_logs'], bench.directors, bench.offsets, results['events'])
    # finish_run (analyse_config, failover_analysis.shift_client) has put raw['client'] on the controller's clock, in
    # place: not a copy shifted a second time
    results['failed_new_connections'] = explain_failures(
        results['events'], raw['client'], results['timeline']['route'], logs, set(bench.realservers), args.vip, args.port,
        {bench.addr[d]: d for d in bench.directors})
    stalls = stall_logs(bench, label, [bench.router] + bench.directors)
    results['stall_summary'] = stall_summary(stalls)
    results['foreign_resets'] = explain_foreign_resets(events, results['events'], stalls,
                                                       {bench.addr[d]: d for d in bench.directors}, bench.router)
    results['end_state'] = end_state(bench)
    # the guests' clocks against this machine's, again: the analysis applies the offsets measured at the start; a
    # guest clock that drifted since shifts its log against the events (measured: 13.7 s behind after a 67-min soak)
    drift = {}
    for host, start in bench.offsets.items():
        try:
            drift[host] = round(failover.clock_offset(bench.lab, host)['offset_s'] - start['offset_s'], 3)
        except Exception:  # pylint: disable=broad-except
            drift[host] = None
    results['clock_drift_s'] = drift
    results['clock_sampled'] = True
    if error:
        results['error'] = error
    results['lab']['loadavg_end'] = os.getloadavg()
    png = failover.plot({'params': results['params'], 'configs': {'soak (seed %d)' % args.seed: results}},
                        os.path.join(args.out, 'soak.png'), width=max(14, len(events) // 4))
    results['plot'] = os.path.relpath(png, ROOT) if png else None
    with open(os.path.join(args.out, 'soak.json'), 'w', encoding='utf-8') as fd:
        json.dump(results, fd, indent=1, default=lambda o: sorted(o) if isinstance(o, (set, frozenset)) else str(o))
    with open(os.path.join(args.out, 'soak.md'), 'w', encoding='utf-8') as fd:
        fd.write(markdown(results))
    o = results['overall']
    print('\n%d events in %.1f min: %d missed a target; flows lost %d of %d; longest error window %s s; planned '
          'changes failed %d new connections; end state %s'
          % (o['events'], results['duration_s'] / 60, o['events_missed'], o['flows_lost'], o['flows_checked'],
             o['longest_error_window_s'], o['planned_new_failed'], 'ok' if results['end_state']['ok'] else 'NOT OK'))
    print('results: %s' % os.path.relpath(os.path.join(args.out, 'soak.json'), ROOT))
    return 0 if not error and results['end_state']['ok'] and not o['events_missed'] else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    failover.add_lab_arguments(p)
    p.add_argument('--config', default='defaults-bfd300',
                   help='benchmarks/configs/<name>.yml (site.yml once at the start; BFD 100 ms of `defaults` measures a '
                        '2-core lab host, not ecmp.lvs: benchmarks/README.md)')
    p.add_argument('--seed', type=int, default=2, help='the default draws every kind of event in 100')
    p.add_argument('--count', type=int, default=100, help='random events (the undo steps at the end come on top)')
    p.add_argument('--min-minutes', type=float, default=30.0, help='spread the events over at least this long')
    p.add_argument('--settle', type=float, default=5.0, help='seconds after each event')
    p.add_argument('--ipvs-poll', type=float, default=0.5, metavar='S',
                   help='poll every director\'s IPVS table this often (logged on change; ipvsadm takes 0.05-0.1 s of a '
                        'UML director: 0.2 s would take a quarter of its CPU)')
    p.add_argument('--down', action='store_true', help='lab/ecmplab down at the end')
    p.add_argument('--out')
    p.add_argument('--plan', action='store_true', help='print the sequence for --seed/--count and the lab inventory')
    p.add_argument('--publish', metavar='DIR', help='copy DIR/soak.json to docs/results/, write docs/soak.md')
    args = p.parse_args()
    if args.publish:
        publish(args.publish)
        return 0
    if not os.path.isabs(args.inventory):
        args.inventory = os.path.join(ROOT, args.inventory)
    if args.plan:
        view = failover.Lab(args.name, args.inventory, args.python).view
        for i, step in enumerate(plan(args.seed, args.count, view.groups['directors'], view.groups['realservers']), 1):
            print('%3d %-20s %s' % ((i,) + tuple(step)))
        return 0
    # what failover.Bench reads of its arguments, fixed for the soak
    args.router = args.client = args.halt_director = args.drain_director = args.fail_rs = None
    args.rs_failure, args.drain, args.events, args.skip_event, args.skip_playbook = 'nginx', 'playbook', 'failover', [], False
    args.playbook_attempts = 2
    try:
        return run(args)
    finally:
        if args.down:
            failover.Lab(args.name, args.inventory, args.python).tool('down', check=False)


if __name__ == '__main__':
    sys.exit(main())
