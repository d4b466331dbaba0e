# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""benchmarks/soak.py without a lab: the seeded sequence and its rules, the per-event targets and the overall
figures, and the published page (docs/soak.md is what the published JSON gives)."""

from __future__ import absolute_import, division, print_function

import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BENCH = os.path.join(ROOT, 'benchmarks')
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)

import soak  # noqa: E402  pylint: disable=wrong-import-position,import-error

DIRECTORS = ['director1', 'director2']
SERVERS = ['rs1', 'rs2']


def _replay(steps, directors):
    """Walk a plan: the directors out of service and real servers out after every step."""
    out_d, out_rs, halted, seen = set(), set(), set(), []
    for name, target in steps:
        if name in soak.DIRECTOR_OUT:
            assert target not in out_d and not out_d, ('second director out', name, target, out_d)
            out_d.add(target)
        elif name in soak.DIRECTOR_OUT.values():
            out_d.remove(target)
        elif name in soak.RS_OUT:
            assert not out_rs, ('second real server out', name, target)
            out_rs.add(target)
        elif name in soak.RS_OUT.values():
            out_rs.remove(target)
        elif name in soak.BLIPS:
            assert target not in out_d and len(directors) - len(out_d) >= 2, ('blip of the last director', name)
        if name in soak.SITE:
            assert not halted, ('site.yml with a halted director', name)
        if name == 'director_halt':
            halted.add(target)
        elif name == 'director_return':
            halted.discard(target)
        seen.append((frozenset(out_d), frozenset(out_rs)))
    return seen


@pytest.mark.parametrize('seed', [1, 2, 3, 7, 42])
@pytest.mark.parametrize('directors', [DIRECTORS, ['d%d' % i for i in range(1, 9)]])
def test_plan_is_reproducible_and_never_takes_the_last_director(seed, directors):
    steps = soak.plan(seed, 100, directors, SERVERS)
    assert steps == soak.plan(seed, 100, list(directors), list(SERVERS))
    assert len(steps) >= 100
    states = _replay(steps, directors)
    # everything back at the end
    assert states[-1] == (frozenset(), frozenset())
    if any(n in soak.TOGGLES for n, dummy in steps) and \
            sum(1 for n, dummy in steps if n == 'rs_weight_change') % 2 + \
            sum(1 for n, dummy in steps if n == 'health_check_change') % 2:
        assert steps[-1] == ('config_restore', 'services')


def test_default_plan_draws_every_kind():
    """`make soak` (seed 2, the default; 100 events, the lab's 2 directors and 2 real servers) draws every kind."""
    names = {n for n, dummy in soak.plan(2, 100, DIRECTORS, SERVERS)}
    kinds = set(soak.DIRECTOR_OUT) | set(soak.DIRECTOR_OUT.values()) | set(soak.BLIPS) | set(soak.RS_OUT) | \
        set(soak.RS_OUT.values()) | set(soak.TOGGLES) | set(soak.ROUTER) | {'config_restore'}
    assert names == kinds


def test_plan_depends_on_the_seed():
    assert soak.plan(1, 50, DIRECTORS, SERVERS) != soak.plan(2, 50, DIRECTORS, SERVERS)


def test_plan_with_one_director_or_real_server_takes_nothing_out():
    """Only the toggles and the router's FRR restart (it keeps its routes: nothing leaves the route)."""
    steps = soak.plan(5, 30, ['d1'], ['rs1'])
    assert {n for n, dummy in steps} <= set(soak.TOGGLES) | set(soak.ROUTER) | {'config_restore'}


def _event(name, planned, established, survived, failed, window, resets=0, kept=None):
    conns = {'established': established, 'survived': survived, 'resets': resets, 'failures': {}}
    ev = {'event': name, 'target': 'director1', 'planned': planned, 'connections': conns,
          'new_connections': {'attempts': 100, 'failed': failed, 'error_window_s': window}, 'route': {}}
    if kept:
        ev['connections_kept'] = dict(conns, established=kept[0], survived=kept[1], resets=0)
    return ev


def test_summarise_counts_what_should_have_survived():
    events = [_event('frr_restart', True, 200, 200, 0, None), _event('link_flap', False, 200, 198, 5, 0.6, resets=2),
              _event('rs_fail', False, 200, 100, 3, 0.4, resets=100, kept=(100, 100)),
              _event('frr_restart', True, 200, 200, 1, 0.1)]
    events[1]['foreign_adjacency_resets'] = 2
    rows, overall, kinds = soak.summarise(events)
    assert [r['pass'] for r in rows] == [True, False, True, False]
    assert overall == {'events': 4, 'events_missed': 2, 'flows_lost': 2, 'flows_reset': 2, 'flows_checked': 700,
                       'new_failed': 9, 'new_attempts': 400, 'longest_error_window_s': 0.6, 'planned_new_failed': 1,
                       'foreign_adjacency_resets': 2}
    assert kinds['frr_restart'] == {'count': 2, 'missed': 1, 'lost': 0, 'new_failed': 1,
                                    'error_window_s': {'median': 0.1, 'min': 0.1, 'max': 0.1, 'n': 1}}


def test_markdown_is_generated_from_the_json():
    events = [_event('frr_restart', True, 200, 200, 0, None), _event('link_flap', False, 200, 198, 5, 0.6, resets=2)]
    rows, overall, kinds = soak.summarise(events)
    results = {'params': {'seed': 3, 'count': 2, 'conns': 200, 'interval': 1.0, 'new_rate': 20.0, 'config': 'defaults'},
               'overall': overall, 'rows': rows, 'kinds': kinds, 'duration_s': 120.0, 'timestamp': 'T',
               'lab': {'inventory': 'inventories/lab', 'hosts': {'directors': DIRECTORS, 'realservers': SERVERS}},
               'end_state': {'every_director_routed': True, 'ipvs_equal': False},
               'definitions': {'survived': 'S', 'error_window_s': 'E', 'other': 'O'}}
    page = soak.markdown(results)
    assert '| events that missed a target | 1 of 2 | 0 |' in page
    assert '| end state: IPVS tables and real-server order equal on every director | NO | yes |' in page
    assert '| 2 | link_flap | director1 | no | 198/200 | 5/100 | 0.6 s | - | NO: survived 198/200' in page
    assert 'make soak SOAK_ARGS="--config defaults --seed 3 --count 2"' in page
    assert '**error_window_s**: E; **survived**: S' in page and 'O' not in page.split('Definitions:')[1]


@pytest.mark.parametrize('sampled, caveat', [(False, True), (True, False)])
def test_markdown_names_the_clock_drift(sampled, caveat):
    """A drift above 0.5 s: a caveat when the run applied the offsets of its start only, a note when it measured
    them again after every event (soak.py does since the 13.7 s drift of the first soak)."""
    rows, overall, kinds = soak.summarise([_event('frr_restart', True, 200, 200, 0, None)])
    results = {'params': {'seed': 3, 'count': 1, 'conns': 200, 'interval': 1.0, 'new_rate': 20.0, 'config': 'defaults'},
               'overall': overall, 'rows': rows, 'kinds': kinds, 'duration_s': 60.0, 'timestamp': 'T',
               'lab': {'inventory': 'inventories/lab', 'hosts': {'directors': DIRECTORS, 'realservers': SERVERS}},
               'end_state': {'every_director_routed': True, 'ipvs_equal': True}, 'definitions': {},
               'clock_drift_s': {'client1': -13.7, 'router1': 0.2}}
    if sampled:
        results['clock_sampled'] = True
    page = soak.markdown(results)
    assert ('**Caveat - clock drift**' in page) is caveat
    assert ('measured again after every event' in page) is not caveat
    assert '13.7 s' in page


def test_published_data_is_a_report_result_with_the_soak():
    """docs/soak.json has the overall figures in benchmarks/report.py's format and the whole soak, without the raw
    timeline; it is not in docs/results/ (a figure there is the median of several runs; a soak is one run)."""
    import report  # noqa: E402  pylint: disable=import-error,import-outside-toplevel
    events = [_event('frr_restart', True, 200, 200, 0, None), _event('link_flap', False, 200, 198, 5, 0.6, resets=2)]
    rows, overall, kinds = soak.summarise(events)
    results = {'params': {'seed': 2, 'count': 2, 'conns': 200, 'interval': 1.0, 'new_rate': 20.0, 'config': 'd'},
               'overall': overall, 'rows': rows, 'kinds': kinds, 'duration_s': 1800.0, 'timestamp': '20261203-150000',
               'lab': {'inventory': 'inventories/lab', 'hosts': {'directors': DIRECTORS, 'realservers': SERVERS}},
               'end_state': {'ok': True, 'every_director_routed': True, 'ipvs_equal': True},
               'definitions': {}, 'timeline': {'samples': [1, 2]}, 'events': events}
    data = soak.published_data(results)
    assert data['summary']['flows_lost'] == {'median': 2, 'min': 2, 'max': 2, 'n': 1}
    assert data['summary']['end_state_ok'] == {'true': 1, 'n': 1}
    assert data['measured'] == '2026-12-03 15:00' and 'timeline' not in data['soak'] and 'events' not in data['soak']
    assert soak.markdown(data['soak']) == soak.markdown(results)
    assert report.figure(data, 'longest_error_window_s') == '0.6 s (min 0.6 s, max 0.6 s; 1 run)'
    assert 'Chaos soak' in report.readme_block([('soak', data)])
    assert os.path.dirname(soak.PUBLISHED) != report.RESULTS
    assert data['what'].startswith('2 seeded random events (seed 2')


def test_published_page_matches_the_published_json():
    """docs/soak.md is soak.markdown of docs/soak.json - or neither exists yet."""
    assert os.path.exists(soak.PUBLISHED) == os.path.exists(soak.PAGE)
    if os.path.exists(soak.PUBLISHED):
        with open(soak.PUBLISHED, encoding='utf-8') as fd:
            data = json.load(fd)
        with open(soak.PAGE, encoding='utf-8') as fd:
            assert fd.read() == soak.markdown(data['soak']), 'docs/soak.md is out of date: benchmarks/soak.py --publish'


class _Lab:
    """The lab as keep_ipvs_pollers sees it: ssh answers from `alive`, put and start_bg recorded."""

    def __init__(self, alive):
        self.alive, self.calls = alive, []

    def ssh(self, host, command, check=True):
        self.calls.append(('ssh', host, command))
        return 'up\n' if host in self.alive and '/proc/' in command else ''

    def put(self, host, path, data):
        if host in self.unreachable:
            raise soak.failover.BenchError('ssh %s: unreachable' % host)
        self.calls.append(('put', host, path, len(data) > 0))

    unreachable = ()


class _Bench:
    def __init__(self, lab, halted=()):
        self.lab, self.directors, self.halted, self.started = lab, DIRECTORS, set(halted), []

    def start_bg(self, host, command, logname):
        self.started.append((host, command, logname))
        return 4000 + len(self.started)


def test_ipvs_pollers_run_on_every_director_that_is_up():
    """Started on each director at first; a poller that still runs is left alone; a halted director has none; the
    director back from a halt (its poller gone) gets a new one, with poll_cmd.py put there again."""
    bench = _Bench(_Lab(alive=()))
    pids = soak.keep_ipvs_pollers(bench, {}, 0.2)
    assert pids == {'director1': 4001, 'director2': 4002}
    assert bench.started[0] == ('director1', 'python3 poll_cmd.py --interval 0.2 --out ipvs.jsonl -- ipvsadm -Sn',
                                'ipvs-poll.log')
    bench.lab.alive, bench.halted = {'director2'}, {'director1'}
    assert soak.keep_ipvs_pollers(bench, pids, 0.2) == {'director2': 4002} and len(bench.started) == 2
    bench.halted = set()
    assert soak.keep_ipvs_pollers(bench, pids, 0.2) == {'director1': 4003, 'director2': 4002}
    assert ('put', 'director1', '/root/ecmp-bench/poll_cmd.py', True) in bench.lab.calls
    assert ('ssh', 'director2', 'grep -qs poll_cmd /proc/4002/cmdline && echo up || true') in bench.lab.calls
    # SSH fails: no poller there for now, the soak goes on; the next call starts it
    bench.lab.alive, bench.lab.unreachable = {'director2'}, {'director1'}
    assert soak.keep_ipvs_pollers(bench, pids, 0.2) == {'director2': 4002}
    bench.lab.unreachable = ()
    assert soak.keep_ipvs_pollers(bench, pids, 0.2) == {'director1': 4004, 'director2': 4002}


def test_ipvs_logs_and_failures_of_a_soak():
    """The pollers' logs on the controller's clock, a halted director 'not polled' until its poller logs again; every
    failed new connection with its event's number, the route and the tables; the page lists them."""
    table = '-A -t 10.99.100.10:80 -s mh -b mh-fallback,mh-port\n-a -t 10.99.100.10:80 -r 10.99.0.21:80 -g -w 1\n' \
            '-a -t 10.99.100.10:80 -r 10.99.0.22:80 -g -w %d\n'
    logs = {'director1': [{'t': 101.0, 'dt': 0.05, 'out': table % 1}, {'t': 161.0, 'dt': 0.05, 'out': table % 1}],
            'director2': [{'t': 100.0, 'dt': 0.05, 'out': table % 1}, {'t': 130.0, 'dt': 0.05, 'out': table % 0}]}
    texts = {d: ''.join(json.dumps(r) + '\n' for r in recs) for d, recs in logs.items()}
    events = [{'event': 'director_halt', 'target': 'director1', 't': 110.0, 'window_s': 40.0},
              {'event': 'director_return', 'target': 'director1', 't': 150.0, 'window_s': 20.0}]
    offsets = {'director1': {'applied_s': 1.0}, 'director2': {'samples': [[0.0, 0.0], [200.0, 0.0]]}}
    got = soak.ipvs_logs(texts, DIRECTORS, offsets, events)
    assert [(t, s is None) for t, s in got['director1']] == [(100.0, False), (110.0, True), (160.0, False)]
    client = {'probes': [[112.0, None, 'timeout', None], [140.0, None, 'refused', None], [140.5, 0.01, 'ok', 'rs1'],
                         [155.0, None, 'refused', None]]}
    route = [[100.0, ['10.99.0.11', '10.99.0.12']], [110.5, ['10.99.0.12']], [158.0, ['10.99.0.11', '10.99.0.12']]]
    failures = soak.explain_failures(events, client, route, got, set(SERVERS), '10.99.100.10', 80,
                                     {'10.99.0.11': 'director1', '10.99.0.12': 'director2'})
    both = {'10.99.0.21': 1, '10.99.0.22': 1}
    assert failures == [
        {'n': 1, 'event': 'director_halt', 'target': 'director1', 't_s': 2.0, 'kind': 'timeout',
         'route': ['director2'], 'ipvs': {'director1': 'not polled', 'director2': both}},
        {'n': 1, 'event': 'director_halt', 'target': 'director1', 't_s': 30.0, 'kind': 'refused',
         'route': ['director2'], 'ipvs': {'director1': 'not polled', 'director2': {'10.99.0.21': 1, '10.99.0.22': 0}}},
        {'n': 2, 'event': 'director_return', 'target': 'director1', 't_s': 5.0, 'kind': 'refused',
         'route': ['director2'], 'ipvs': {'director1': 'not polled', 'director2': {'10.99.0.21': 1, '10.99.0.22': 0}}}]
    rows, overall, kinds = soak.summarise([_event('frr_restart', True, 200, 200, 0, None)])
    results = {'params': {'seed': 3, 'count': 1, 'conns': 200, 'interval': 1.0, 'new_rate': 20.0, 'config': 'd',
                          'vip': '10.99.100.10', 'port': 80, 'ipvs_poll_s': 0.2},
               'overall': overall, 'rows': rows, 'kinds': kinds, 'duration_s': 60.0, 'timestamp': 'T',
               'lab': {'inventory': 'inventories/lab', 'hosts': {'directors': DIRECTORS, 'realservers': SERVERS}},
               'end_state': {'every_director_routed': True, 'ipvs_equal': True}, 'definitions': {},
               'failed_new_connections': failures}
    page = soak.markdown(results)
    assert ('| 1 | director_halt | director1 | 30.0 s | refused | director2 | director1: not polled; director2: '
            '10.99.0.21:1 10.99.0.22:0 |') in page
    assert 'of 10.99.100.10:80 (address: weight) at that moment, from `ipvsadm -Sn` polled every 0.2 s' in page
    assert soak.markdown(dict(results, failed_new_connections=[])).count('## New connections that failed\n\nNone.')
    del results['failed_new_connections']  # a soak from before the pollers: no section
    assert 'New connections that failed' not in soak.markdown(results)


def test_stall_tickers_run_on_the_router_and_every_director_that_is_up():
    """The ticker runs on the router and on each director; a halted director has none and gets one back with
    stall.py put there again; a ticker that still runs is left alone."""
    bench = _Bench(_Lab(alive=()), halted={'director2'})
    bench.router = 'router1'
    pids = soak.keep_stall_tickers(bench, {})
    assert pids == {'router1': 4001, 'director1': 4002}
    assert bench.started[0] == ('router1', 'python3 stall.py --out stalls.jsonl', 'stall.log')
    assert ('put', 'router1', '/root/ecmp-bench/stall.py', True) in bench.lab.calls
    bench.lab.alive, bench.halted = {'router1', 'director1'}, set()
    assert soak.keep_stall_tickers(bench, pids) == {'router1': 4001, 'director1': 4002, 'director2': 4003}
    assert ('ssh', 'router1', 'grep -qs stall /proc/4001/cmdline && echo up || true') in bench.lab.calls


def _soak_results(events, **extra):
    rows, overall, kinds = soak.summarise(events)
    results = {'params': {'seed': 3, 'count': 2, 'conns': 200, 'interval': 1.0, 'new_rate': 20.0, 'config': 'defaults'},
               'overall': overall, 'rows': rows, 'kinds': kinds, 'duration_s': 120.0, 'timestamp': 'T',
               'lab': {'inventory': 'inventories/lab', 'hosts': {'directors': DIRECTORS, 'realservers': SERVERS}},
               'end_state': {'every_director_routed': True, 'ipvs_equal': True}, 'definitions': {}}
    results.update(extra)
    return results


def test_foreign_resets_are_explained_by_the_stalls_before_them():
    """Each adjacency reset of a director no event touched, with the router's and that director's stalls of at least
    0.5 s that ended in the 6 s before it (or 1 s after); a reset of the event's own director is not listed; the page
    counts the resets after a stall and lists each one. A soak without tickers renders as before."""
    raw = [{'target_address': '10.99.0.11'}, {'target_address': '10.99.0.12'}]
    analysed = [_event('frr_restart', True, 200, 200, 0, None), _event('rs_weight', True, 200, 200, 0, None)]
    analysed[0]['adjacency_resets'] = [[100.0, 'ospfd', '10.99.0.11', 'Down', 'InactivityTimer'],
                                       [100.2, 'ospf6d', '10.99.0.12', 'Down', 'InactivityTimer']]
    analysed[1]['adjacency_resets'] = [[200.0, 'ospfd', '10.99.0.11', 'Down', 'InactivityTimer']]
    for ev in analysed:
        ev['foreign_adjacency_resets'] = 1
    stalls = {'router1': [[93.0, 3.0], [99.0, 0.3], [100.1, 1.2]], 'director1': [[199.5, 0.6], [201.5, 2.0]],
              'director2': [[100.0, 0.9]]}
    resets = soak.explain_foreign_resets(raw, analysed, stalls, {'10.99.0.11': 'director1', '10.99.0.12': 'director2'},
                                         'router1')
    assert resets == [
        {'n': 1, 'event': 'frr_restart', 'target': 'director1', 't': 100.2, 'daemon': 'ospf6d', 'director': 'director2',
         'state': 'Down', 'reason': 'InactivityTimer', 'stalls': [['director2', 100.0, 0.9], ['router1', 100.1, 1.2]]},
        {'n': 2, 'event': 'rs_weight', 'target': 'director1', 't': 200.0, 'daemon': 'ospfd', 'director': 'director1',
         'state': 'Down', 'reason': 'InactivityTimer', 'stalls': [['director1', 199.5, 0.6]]}]
    summary = soak.stall_summary(stalls)
    assert summary['router1'] == {'stalls': 2, 'longest_s': 3.0} and summary['director2'] == {'stalls': 1,
                                                                                              'longest_s': 0.9}
    page = soak.markdown(_soak_results(analysed, stall_summary=summary, foreign_resets=resets))
    assert '| 2 (2 right after a stall of the router or of that director) | 0 |' in page, page
    assert '| router1 | 2 | 3.0 s |' in page
    assert '| 1 | frr_restart | director1 | director2 | ospf6d | InactivityTimer | director2 0.9 s (-0.2 s), ' \
           'router1 1.2 s (-0.1 s) |' in page, page
    resets[1]['stalls'] = []
    page = soak.markdown(_soak_results(analysed, stall_summary=summary, foreign_resets=resets))
    assert '(1 right after a stall' in page and 'InactivityTimer | none |' in page
    old = soak.markdown(_soak_results(analysed))
    assert 'Guest stalls' not in old
    assert '| OSPF adjacency resets of directors no event touched (the lab\'s own disturbance) | 2 | 0 |' in old


def test_the_stall_ticker_logs_a_stopped_guest(tmp_path):
    """guest/stall.py, run for real: a process stopped for 0.8 s (what a guest the host does not schedule looks
    like from inside) is logged as one gap, read back by failover_analysis.parse_stall_log; its summary at exit."""
    import signal  # pylint: disable=import-outside-toplevel
    import subprocess  # pylint: disable=import-outside-toplevel
    import time  # pylint: disable=import-outside-toplevel
    out = tmp_path / 'stalls.jsonl'
    proc = subprocess.Popen([sys.executable, os.path.join(BENCH, 'guest', 'stall.py'), '--out', str(out)])
    try:
        time.sleep(0.5)
        proc.send_signal(signal.SIGSTOP)
        time.sleep(0.8)
        proc.send_signal(signal.SIGCONT)
        time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    lines = out.read_text().splitlines()
    stalls = soak.fa.parse_stall_log(lines, 10.0)
    assert len(stalls) == 1 and 0.75 <= stalls[0][1] < 1.5, lines
    assert abs(stalls[0][0] + 10.0 - time.time()) < 5
    assert json.loads(lines[-1])['summary']['max_gap'] == stalls[0][1]


def test_stall_logs_are_copied_and_read_on_the_controllers_clock(tmp_path):
    """stall_logs: each host's ticker log copied (Bench.copy_guest_logs, the same as the IPVS pollers' logs) to the
    results directory as LABEL-stalls-HOST.jsonl and read on the controller's clock (the host's offset applied); a
    host SSH does not reach has none, a host without a log an empty one."""
    class FakeLab:  # pylint: disable=too-few-public-methods
        def ssh(self, host, command, **kwargs):  # pylint: disable=unused-argument
            assert command == 'cat %s/stalls.jsonl 2>/dev/null || true' % soak.failover.GUEST_DIR, command
            if host == 'director2':
                raise soak.failover.BenchError('ssh director2: no route to host')
            return {'router1': '{"t": 1000.0, "gap": 0.8}\n{"summary": {"ticks": 5, "max_gap": 0.8}}\n'}.get(host, '')

    bench = object.__new__(soak.failover.Bench)
    bench.lab, bench.outdir = FakeLab(), str(tmp_path)
    bench.offsets = {'router1': {'applied_s': 2.5}}
    stalls = soak.stall_logs(bench, 'defaults', ['router1', 'director1', 'director2'])
    assert stalls == {'router1': [[997.5, 0.8]], 'director1': []}, stalls
    assert sorted(os.listdir(tmp_path)) == ['defaults-stalls-director1.jsonl', 'defaults-stalls-router1.jsonl']
    assert (tmp_path / 'defaults-stalls-router1.jsonl').read_text().startswith('{"t": 1000.0')
