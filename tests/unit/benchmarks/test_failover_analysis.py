# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the pure analysis of the failover benchmark: benchmarks/failover_analysis.py.

Fixtures (tests/fixtures/bench/, see README.txt there) are excerpts of the raw logs of the real run
benchmarks/results/20261121-170647. The expected numbers were computed by hand from those raw logs
(not with the module under test); the arithmetic is written next to each assertion."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BENCH = os.path.join(ROOT, 'benchmarks')
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)

import failover_analysis as fa  # noqa: E402  pylint: disable=wrong-import-position,import-error

FIX = os.path.join(ROOT, 'tests', 'fixtures', 'bench')

D1 = '10.99.0.11'
D2 = '10.99.0.12'
SERVERS = {'rs1', 'rs2'}
# seeds-events.json of the same run: the director_return event (not in the fixture, which keeps the first event only)
SEEDS_RETURN_T = 1795281235.5540702


def _load(name):
    with open(os.path.join(FIX, name), encoding='utf-8') as fd:
        return json.load(fd)


def _route_lines():
    with open(os.path.join(FIX, 'seeds-route.jsonl'), encoding='utf-8') as fd:
        return fd.read().splitlines()


@pytest.fixture(name='seeds')
def seeds_fixture():
    """(client on the controller clock, route changes, events file) of the seeds director_halt excerpt."""
    raw = _load('seeds-halt-events.json')
    client = fa.shift_client(_load('seeds-halt-client.json'), raw['offsets']['client1']['applied_s'])
    changes, dummy = fa.parse_route_log(_route_lines(), raw['offsets']['router1']['applied_s'])
    return client, changes, raw


@pytest.fixture(name='defaults')
def defaults_fixture():
    raw = _load('defaults-halt-events.json')
    client = fa.shift_client(_load('defaults-halt-client.json'), raw['offsets']['client1']['applied_s'])
    return client, raw


# ---------------------------------------------------------------- route log


def test_parse_route_log_nexthop_changes():
    """7 logged polls: ECMP (2 nexthops) / director2 only / ... ; router1 clock offset -0.1161 s is added back."""
    changes, summary = fa.parse_route_log(_route_lines(), -0.1161)
    assert [len(gws) for dummy, gws in changes] == [2, 1, 2, 1, 2, 1, 2]
    assert changes[0][1] == frozenset([D1, D2])
    assert changes[1][1] == frozenset([D2])     # single nexthop: "gateway" at the top of the route
    assert changes[5][1] == frozenset([D1])     # director_drain of director2
    # times of the nexthop-count changes: raw "t" + 0.1161
    expected = [1795281188.5896, 1795281214.3907, 1795281255.0539, 1795281255.1491,
                1795281265.0495, 1795281311.1878, 1795281333.3941]
    assert [t for t, dummy in changes] == pytest.approx([t + 0.1161 for t in expected], abs=1e-6)
    assert summary == {'polls': 1107, 'first': 1795281188.589564, 'last': 1795281342.9614377,
                       'triggered': 6, 'max_gap': 0.8451}


def test_parse_route_log_skips_interrupted_and_empty_route():
    """poll_cmd.py writes '<timeout>' when the command hung, '' when it was interrupted; '[]' is "no route"."""
    lines = [_route_lines()[1], '', json.dumps({'t': 5.0, 'dt': 0.1, 'out': ''}),
             json.dumps({'t': 5.5, 'dt': 5.0, 'out': '<timeout>'}), json.dumps({'t': 6.0, 'out': '[]\n'})]
    changes, summary = fa.parse_route_log(lines)
    assert summary is None
    assert [gws for dummy, gws in changes] == [frozenset([D2]), frozenset()]
    assert changes[1][0] == 6.0


def test_route_at():
    changes, dummy = fa.parse_route_log(_route_lines(), -0.1161)
    assert fa.route_at(changes, 1795281188.0) is None
    assert fa.route_at(changes, 1795281214.4) == frozenset([D1, D2])   # change is at 214.5068
    assert fa.route_at(changes, 1795281214.6) == frozenset([D2])
    assert fa.route_at(changes, 1795281400.0) == frozenset([D1, D2])


# ---------------------------------------------------------------- route convergence


def test_route_convergence_director_halt(seeds):
    dummy, changes, raw = seeds
    t0 = raw['events'][0]['t']
    res = fa.route_convergence(changes, t0, [D2], raw['t_stop'])
    # 1795281214.3907 + 0.1161 - 1795281211.2117832 = 3.2950
    assert res['converged_s'] == 3.295
    assert res['before'] == [D1, D2]
    assert res['expected'] == [D2]
    assert res['transitions'] == [{'t': 3.295, 'nexthops': [D2]}]
    assert 'note' not in res


def test_route_convergence_flap_counts_last_stable_change():
    """director_return in seeds: ECMP back at +19.616, gone again at +19.711, back for good at +29.612."""
    changes, dummy = fa.parse_route_log(_route_lines(), -0.1161)
    res = fa.route_convergence(changes, SEEDS_RETURN_T, [D1, D2], 1795281274.9803445)
    assert [tr['t'] for tr in res['transitions']] == [19.616, 19.711, 29.612]
    # 1795281265.0495 + 0.1161 - 1795281235.5540702 = 29.6115
    assert res['converged_s'] == 29.612


def test_route_convergence_not_converged_and_unchanged(seeds):
    dummy, changes, raw = seeds
    t0 = raw['events'][0]['t']
    # window ends before the change at +3.295
    res = fa.route_convergence(changes, t0, [D2], t0 + 3.0)
    assert res['converged_s'] is None
    assert res['transitions'] == []
    assert res['note'].startswith('not converged')
    res = fa.route_convergence(changes, t0, [D1, D2], t0 + 3.0)
    assert res['converged_s'] is None
    assert res['note'].startswith('route unchanged')


# ---------------------------------------------------------------- surviving connections


def test_rst_connection_is_not_a_survivor(defaults):
    """defaults run, director_halt: connection 181 (director1) got an RST 1.527 s after the event."""
    client, raw = defaults
    t0 = raw['events'][0]['t']
    rows = fa.connection_outcomes(client, t0, raw['t_stop'])
    by_id = {r['id']: r for r in rows}
    assert sorted(by_id) == [1, 2, 3, 4, 181]
    assert by_id[181]['failure'] == 'rst'
    # end_t 1795281574.3066888 - t 1795281572.7792232
    assert by_id[181]['fail_t'] - t0 == pytest.approx(1.5275, abs=1e-4)
    assert all(by_id[i]['failure'] is None for i in (1, 2, 3, 4))
    out = fa.summarise_outcomes(rows, t0)
    assert (out['established'], out['survived'], out['survived_pct'], out['resets']) == (5, 4, 80.0, 1)
    assert out['failures'] == {'rst': 1}
    assert out['first_failure_s'] == out['last_failure_s'] == 1.527


def test_stalled_connection_is_not_a_survivor(seeds):
    """seeds run, director_halt: the director1 connections 2, 5, 10, 66 had a request unanswered for more than
    2 s (client stall detection) and then got an RST; director2 connections 1, 3, 4, 7 were fine.
    Connection 201 was opened after the event: not counted."""
    client, dummy, raw = seeds
    t0 = raw['events'][0]['t']
    rows = fa.connection_outcomes(client, t0, raw['t_stop'])
    failures = {r['id']: r['failure'] for r in rows}
    assert failures == {1: None, 3: None, 4: None, 7: None,
                        2: 'stall_then_rst', 5: 'stall_then_rst', 10: 'stall_then_rst', 66: 'stall_then_rst'}
    # the failure time is the request that stalled: 1795281211.501091 (conn 66) - t0
    assert min(r['fail_t'] for r in rows if r['fail_t']) - t0 == pytest.approx(0.2893, abs=1e-4)


def test_stall_that_recovered_is_still_a_failure(seeds):
    """Same record as connection 2, but the stalled request answered 1 s after detection and the client ran on."""
    client, dummy, raw = seeds
    t0 = raw['events'][0]['t']
    client = copy.deepcopy(client)
    rec = [r for r in client['conns'] if r['id'] == 2][0]
    rec['stalls'][0]['recovered_t'] = rec['stalls'][0]['detected_t'] + 1.0
    rec['end'] = 'stopped'
    rec['end_t'] = client['stopped']
    rows = {r['id']: r for r in fa.connection_outcomes(client, t0, raw['t_stop'])}
    assert rows[2]['failure'] == 'stall'
    assert rows[2]['fail_t'] == rec['stalls'][0]['t']


def test_stall_detected_after_window_not_counted(seeds):
    """Stalls were detected at +2.29 s and later: a window closing at +2.0 s sees no failure."""
    client, dummy, raw = seeds
    t0 = raw['events'][0]['t']
    rows = fa.connection_outcomes(client, t0, t0 + 2.0)
    assert len(rows) == 8
    assert [r['failure'] for r in rows] == [None] * 8


def test_connection_already_stalled_at_event_is_excluded(seeds):
    client = seeds[0]
    # 0.5 s after the first stall detection (conn 66, detected 1795281213.5025437) no answer came back yet
    t_late = 1795281213.5025437 + 0.5
    rows = fa.connection_outcomes(client, t_late, t_late + 1.0)
    assert 66 not in [r['id'] for r in rows]
    assert 1 in [r['id'] for r in rows]


# ---------------------------------------------------------------- new connections, error window


def _drop_failures(probes, t0, lo, hi):
    return [p for p in probes if not (p[2] != 'ok' and lo < p[0] - t0 < hi)]


def test_error_window_single_interval(seeds):
    """111 probes in [t0, t0+6); 23 timeouts from +0.087 to +2.472, largest gap 0.35 s (1.671 -> 2.021).
    period = (1795281217.1841 - 1795281211.2489) / 110 = 0.053956; window = 2.3845 + 0.053956 = 2.438."""
    client, dummy, raw = seeds
    t0 = raw['events'][0]['t']
    out = fa.new_connection_window(client['probes'], t0, raw['t_stop'], SERVERS)
    assert (out['attempts'], out['failed'], out['failure_kinds']) == (111, 23, {'timeout': 23})
    assert (out['first_failure_s'], out['last_failure_s'], out['span_s']) == (0.087, 2.472, 2.385)
    assert out['error_window_s'] == 2.438


def test_error_window_merge_gap(seeds):
    """The 0.35 s gap merges with merge_gap 0.36, splits with 0.34:
    (1.6708 - 0.0872) + (2.4717 - 2.0208) + 2 * 0.053956 = 2.142."""
    client, dummy, raw = seeds
    t0 = raw['events'][0]['t']
    assert fa.new_connection_window(client['probes'], t0, raw['t_stop'], SERVERS, merge_gap=0.36)['error_window_s'] == 2.438
    assert fa.new_connection_window(client['probes'], t0, raw['t_stop'], SERVERS, merge_gap=0.34)['error_window_s'] == 2.142


def test_error_window_failures_less_than_1s_apart_merge(seeds):
    client, dummy, raw = seeds
    t0 = raw['events'][0]['t']
    # without the timeouts in (+0.5, +1.3): 105 probes, gap 0.450 -> 1.306 = 0.856 s < 1 s: one interval
    # 2.4717 - 0.0872 + (1795281217.1841 - 1795281211.2489) / 104 = 2.442
    out = fa.new_connection_window(_drop_failures(client['probes'], t0, 0.5, 1.3), t0, raw['t_stop'], SERVERS)
    assert (out['attempts'], out['failed'], out['error_window_s']) == (105, 17, 2.442)
    # without the timeouts in (+0.5, +1.7): 99 probes, gap 0.450 -> 2.021 = 1.571 s > 1 s: two intervals
    # (0.4496 - 0.0872) + (2.4717 - 2.0208) + 2 * 5.9352 / 98 = 0.934
    out = fa.new_connection_window(_drop_failures(client['probes'], t0, 0.5, 1.7), t0, raw['t_stop'], SERVERS)
    assert (out['attempts'], out['failed'], out['error_window_s']) == (99, 11, 0.934)
    assert out['span_s'] == 2.385


def test_wrong_server_answer_is_a_failure(seeds):
    client, dummy, raw = seeds
    t0 = raw['events'][0]['t']
    out = fa.new_connection_window(client['probes'], t0, raw['t_stop'], {'rs1'})
    ok_rs2 = sum(1 for p in client['probes'] if t0 <= p[0] < raw['t_stop'] and p[2] == 'ok' and p[3] == 'rs2')
    assert ok_rs2 > 0
    assert out['failed'] == 23 + ok_rs2
    assert out['failure_kinds']['wrong_server:rs2'] == ok_rs2


# ---------------------------------------------------------------- end to end


def test_analyse_seeds_director_halt(seeds):
    client, changes, raw = seeds
    events = copy.deepcopy(raw['events'])
    events[0]['t_end'] = raw['t_stop']
    snapshots = {k: {int(p): d for p, d in v.items()} for k, v in raw['snapshots'].items()}
    res = fa.analyse(client, changes, events, SERVERS, snapshots)
    assert len(res) == 1
    res = res[0]
    assert (res['event'], res['target'], res['window_s']) == ('director_halt', 'director1', 6.0)
    assert res['route']['converged_s'] == 3.295
    assert res['route']['before'] == [D1, D2]
    conns = res['connections']
    assert (conns['established'], conns['survived'], conns['survived_pct']) == (8, 4, 50.0)
    assert conns['failures'] == {'stall_then_rst': 4}
    assert conns['resets'] == 4
    # first stalled request 1795281211.501091 (conn 66), last 1795281211.81026 (conn 10)
    assert (conns['first_failure_s'], conns['last_failure_s']) == (0.289, 0.598)
    # slow requests of the survivors were sent at 1795281210.41 with 0.33 s latency: answered before the event
    assert conns['max_request_latency_s'] == 0.0
    assert conns['by'] == {'director1': {'established': 4, 'survived': 0, 'survived_pct': 0.0},
                           'director2': {'established': 4, 'survived': 4, 'survived_pct': 100.0}}
    # the flows the router hashed to the halted director moved, the others stayed: reported apart
    assert res['flows_moved_or_stayed']['by'] == {'moved': {'established': 4, 'survived': 0, 'survived_pct': 0.0},
                                                  'stayed': {'established': 4, 'survived': 4, 'survived_pct': 100.0}}
    new = res['new_connections']
    assert (new['attempts'], new['failed'], new['error_window_s']) == (111, 23, 2.438)
    assert res['extra']['event_time_from'].startswith('last 20 Hz ping reply')


def test_analyse_event_without_routing(defaults):
    client, raw = defaults
    events = copy.deepcopy(raw['events'])
    events[0].update({'t_end': raw['t_stop'], 'expected_nexthops': None, 'group_by': 'server'})
    res = fa.analyse(client, [], events, SERVERS)[0]
    assert res['route']['converged_s'] is None
    assert res['route']['note'].startswith('route unchanged')
    assert res['connections']['by'] == {'rs1': {'established': 3, 'survived': 2, 'survived_pct': 66.67},
                                        'rs2': {'established': 2, 'survived': 2, 'survived_pct': 100.0}}


def test_runs_summary_median_min_max_over_runs(seeds, defaults):
    """Two runs of the director halt (the seeds excerpt: 4 of 8 survived, route 3.295 s, 23 new connections failed
    over 2.438 s; the defaults excerpt analysed without routing: 4 of 5 survived, no route figure) -> the median,
    min and max of each figure over the runs; a figure no run has is None."""
    client, changes, raw = seeds
    events = copy.deepcopy(raw['events'])
    events[0]['t_end'] = raw['t_stop']
    snapshots = {k: {int(p): d for p, d in v.items()} for k, v in raw['snapshots'].items()}
    run1 = fa.analyse(client, changes, events, SERVERS, snapshots)
    client2, raw2 = defaults
    events2 = copy.deepcopy(raw2['events'])
    events2[0].update({'t_end': raw2['t_stop'], 'expected_nexthops': None, 'group_by': 'server'})
    run2 = fa.analyse(client2, [], events2, SERVERS)
    summary, units, labels = fa.runs_summary([run1, run2])
    # survived: 50.0 and 80.0 (4 of 5: conns 1 2 3 4 survived, 181 reset) -> median 65.0
    assert summary['director_halt_survived_pct'] == {'median': 65.0, 'min': 50.0, 'max': 80.0, 'n': 2}
    assert summary['director_halt_resets'] == {'median': 2.5, 'min': 1, 'max': 4, 'n': 2}
    # the route and the moved flows only in run 1
    assert summary['director_halt_route_converged_s'] == {'median': 3.295, 'min': 3.295, 'max': 3.295, 'n': 1}
    assert summary['director_halt_moved_survived_pct'] == {'median': 0.0, 'min': 0.0, 'max': 0.0, 'n': 1}
    assert units['director_halt_survived_pct'] == '%' and units['director_halt_route_converged_s'] == 's'
    assert 'director_halt_resets' not in units
    assert labels['director_halt_moved_survived_pct'].startswith('director halt: survived of those the router hashed')
    assert fa.stats([None, None]) is None and fa.stats([3, None, 1, 2]) == {'median': 2, 'min': 1, 'max': 3, 'n': 3}


def test_publishable_summary_of_every_run(seeds, tmp_path):
    """benchmarks/failover.py writes failover-CONFIG[-ipv6].json over the runs of a configuration (CONFIG, CONFIG@2,
    ...), in the format benchmarks/report.py publishes (what, summary, units, headline)."""
    import failover  # noqa: E402  pylint: disable=import-error,import-outside-toplevel
    client, changes, raw = seeds
    events = copy.deepcopy(raw['events'])
    events[0]['t_end'] = raw['t_stop']
    run = fa.analyse(client, changes, events, SERVERS)
    results = {'params': {'vip': '2001:db8:100::10', 'port': 80, 'conns': 200, 'interval': 1.0, 'new_rate': 20.0,
                          'stall_s': 2.0},
               'lab': {'inventory': 'inventories/lab', 'hosts': {'directors': ['d1', 'd2'], 'realservers': ['r1']}},
               'configs': {'defaults': {'config': 'defaults', 'events': run},
                           'defaults@2': {'config': 'defaults', 'events': run},
                           'defaults@3': {'config': 'defaults', 'error': 'lab gone'}}}
    failover.publishable(results, str(tmp_path))
    assert results['publishable'] == {'defaults': 'failover-defaults-ipv6.json'}
    data = json.loads((tmp_path / 'failover-defaults-ipv6.json').read_text())
    assert data['runs'] == 2 and data['title'] == 'Failover, defaults configuration, IPv6'
    assert data['summary']['director_halt_survived_pct'] == {'median': 50.0, 'min': 50.0, 'max': 50.0, 'n': 2}
    assert data['headline'][0] == 'director_halt_survived_pct'
    assert data['what'].startswith('What clients see through the VIP [2001:db8:100::10]:80 (IPv6)')


def test_route_get_gateways_real_l4_hash():
    """`ip -j route get ... ipproto tcp sport P dport 80` on a two-nexthop route with the L4 hash (real output,
    tests/fixtures/iproute/route_get_multipath_l4.txt): the nexthop differs per source port; no answer is None."""
    with open(os.path.join(ROOT, 'tests', 'fixtures', 'iproute', 'route_get_multipath_l4.txt'), encoding='utf-8') as fd:
        got = fa.route_get_gateways(fd.read())
    assert got == {40000: '10.98.1.2', 40001: '10.98.1.2', 40002: '10.98.2.2', 40003: '10.98.2.2', 40004: None}


# the directors' link-local addresses on the UML lab (`ip -6 address show dev eth1`, tests/fixtures/bench/README.txt)
ALIASES6 = {'fe80::ec:ff:fe02:101': D1, 'fe80::ec:ff:fe03:101': D2, '2001:db8:99::11': D1, '2001:db8:99::12': D2}


def test_route_get_gateways_ipv6_names_the_director():
    """An IPv6 route's nexthop is a director's link-local address: the aliases name it by the director's address
    (real output of the L4 hash on the lab's router, tests/fixtures/iproute/route_get_multipath_l4_ipv6.txt)."""
    with open(os.path.join(ROOT, 'tests', 'fixtures', 'iproute', 'route_get_multipath_l4_ipv6.txt'),
              encoding='utf-8') as fd:
        text = fd.read()
    assert fa.route_get_gateways(text, ALIASES6) == {40000: D2, 40001: D2, 40002: D2, 40003: D1, 40004: D1, 40005: D2}
    assert fa.route_get_gateways(text)[40003] == 'fe80::ec:ff:fe02:101'


def test_parse_route_log_ipv6_with_aliases():
    with open(os.path.join(FIX, 'route6.jsonl'), encoding='utf-8') as fd:
        lines = fd.read().splitlines()
    changes, summary = fa.parse_route_log(lines, 0.5, ALIASES6)
    assert changes == [(1796300000.0, frozenset([D1, D2]))] and summary is None
    assert fa.parse_route_log(lines)[0][0][1] == frozenset(['fe80::ec:ff:fe02:101', 'fe80::ec:ff:fe03:101'])


@pytest.mark.parametrize('family,want', [
    ('ipv4', {'10.99.0.21': 1, '10.99.0.22': 1}),
    ('ipv6', {'2001:db8:99::21': 1, '2001:db8:99::22': 1}),
])
def test_ipvsadm_real_servers(family, want):
    """`ipvsadm -Ln -t VIP:PORT` of the lab's directors (real output): the heading is no real server, an IPv6 real
    server comes in brackets."""
    with open(os.path.join(FIX, 'ipvsadm-Ln-t-%s.txt' % family), encoding='utf-8') as fd:
        text = fd.read()
    assert fa.ipvsadm_real_servers(text) == want
    assert fa.ipvsadm_real_servers(text.replace('Route   1', 'Route   0', 1)) == dict(want, **{sorted(want)[0]: 0})


def test_url_host():
    assert fa.url_host('10.99.100.10') == '10.99.100.10' and fa.url_host('2001:db8::1') == '[2001:db8::1]'


def test_moved_or_stayed():
    by = fa.moved_or_stayed({1: 'director1', 2: 'director2'}, 'director1')
    assert [by({'sport': p}) for p in (1, 2, 3)] == ['moved', 'stayed', None]


def test_event_that_ends_one_servers_flows_counts_the_others(defaults):
    """A real server that fails or leaves the services ends its flows: the event reports the flows of the other
    servers apart (connections_kept, the metric kept_survived_pct), and the targets judge those."""
    import failover  # noqa: E402  pylint: disable=import-error,import-outside-toplevel
    client, raw = defaults
    events = copy.deepcopy(raw['events'])
    events[0].update({'name': 'rs_remove', 't_end': raw['t_stop'], 'expected_nexthops': None, 'group_by': 'server',
                      'ends_flows_of': 'rs1', 'planned': True})
    res = fa.analyse(client, [], events, SERVERS)
    ev = res[0]
    assert ev['connections']['survived'] == 4 and ev['connections']['established'] == 5
    assert (ev['connections_kept']['established'], ev['connections_kept']['survived']) == (2, 2)
    assert ev['planned'] is True and ev['ends_flows_of'] == 'rs1'
    summary, dummy, dummy = fa.runs_summary([res])
    assert summary['rs_remove_kept_survived_pct']['median'] == 100.0
    assert summary['rs_remove_survived_pct']['median'] == 80.0
    targets = failover.evaluate_targets({'events': res}, 'rs1')
    failed = ev['new_connections']['failed']
    assert targets['rs_remove']['pass'] is (failed == 0), targets
    assert 'of the flows not on rs1' in targets['rs_remove']['detail']
    # the same flows without the exemption: rs1's reset counts against the change
    events[0].pop('ends_flows_of')
    res = fa.analyse(client, [], events, SERVERS)
    assert 'connections_kept' not in res[0]
    assert failover.evaluate_targets({'events': res}, 'rs1')['rs_remove']['pass'] is False
    assert fa.runs_summary([res])[0]['rs_remove_kept_survived_pct']['median'] == 80.0


def test_foreign_adjacency_resets_leave_out_what_the_event_touched():
    """The lab's own disturbance: resets of directors the event did not touch; the router's FRR restart touches all."""
    window = [(1.0, 'InactivityTimer', D1), (2.0, 'InactivityTimer', D2), (3.0, 'InactivityTimer', D2)]
    assert fa.foreign_resets(window, {'target_address': D1}) == 2
    assert fa.foreign_resets(window, {'target_address': D2}) == 1
    assert fa.foreign_resets(window, {'target_address': None, 'touches_all': True}) == 0
    assert fa.foreign_resets([], {}) == 0
    assert fa.resets_in(window, 1.5, 3.0) == window[1:2]


def test_router_frr_restart_waits_for_every_directors_session():
    """router_frr_restart: systemctl restart frr on the router, then the router's sessions with every director read
    until all are up again (real `show ip ospf neighbor json` of the lab's router: one director gone, then both
    Full), then the route; a planned event that touches every director."""
    import failover  # noqa: E402  pylint: disable=import-error,import-outside-toplevel
    frr_fix = os.path.join(ROOT, 'tests', 'fixtures', 'frr')
    with open(os.path.join(frr_fix, 'router-ospf-neighbor-one-gone.json'), encoding='utf-8') as fd:
        gone = fd.read()
    with open(os.path.join(frr_fix, 'router-ospf-neighbor-full.json'), encoding='utf-8') as fd:
        full = fd.read()

    class FakeLab:  # pylint: disable=too-few-public-methods
        def __init__(self):
            self.ssh_calls = []
            self.answers = ['', gone, full]

        def ssh(self, host, command, **kwargs):
            self.ssh_calls.append((host, command))
            if command.startswith('date'):
                return '1796300000.0\n'
            if command.startswith('systemctl reset-failed'):
                return ''
            return self.answers.pop(0) if self.answers else full

    bench = object.__new__(failover.Bench)
    bench.halted, bench.drained = set(), set()
    bench.router, bench.directors, bench.routing = 'router1', ['director1', 'director2'], 'ecmp'
    bench.addr = {'director1': D1, 'director2': D2}
    bench.hostvars = {'router1': {'lvs_routing_protocol': 'ospf'}, 'director1': {'lvs_address': D1},
                      'director2': {'lvs_address': D2}}
    bench.lab = FakeLab()
    bench.guest_to_controller = lambda host, t: t
    waited = []
    bench.wait_route = lambda expected, timeout: waited.append(expected) or True
    failover.time.sleep, sleep = (lambda s: None), failover.time.sleep
    try:
        ev = bench.ev_router_frr_restart('defaults')
    finally:
        failover.time.sleep = sleep
    # systemd's start limit of frr.service (3 in 3 min) cleared first: the soak may restart FRR more often
    assert bench.lab.ssh_calls[:2] == [('router1', 'systemctl reset-failed frr.service'),
                                       ('router1', 'date +%s.%N; systemctl restart frr')]
    assert [c for h, c in bench.lab.ssh_calls[2:]] == ["vtysh -c 'show ip ospf neighbor json'"] * 3
    assert ev['extra']['sessions_back_s'] is not None and ev['extra']['route_back'] is True
    assert waited == [{D1, D2}]
    assert ev['planned'] is True and ev['touches_all'] is True and ev['target'] == 'router1'
    assert ev['t'] == 1796300000.0


def test_a_returning_directors_flows_are_attributed_after_its_return():
    """The router's hashing is read before an event that takes a director out and after one that brings it back
    (before, the returning director has no flow yet: every flow would count as staying on the others)."""
    import failover  # noqa: E402  pylint: disable=import-error,import-outside-toplevel
    bench = object.__new__(failover.Bench)
    bench.halted, bench.drained = set(), set()
    bench.args = type('A', (), {'settle': 0})()
    bench.addr = {'director2': D2}
    calls = []
    bench.wait_connections = lambda timeout: {'open': 200, 'alive': 200}
    bench.director_of_sport = lambda: {40000: 'director2' if 'event' in calls else 'director1'}

    def event(label, name):
        calls.append('event')
        return {'name': name, 'target': 'director2'}
    for name in ('director_remove', 'director_add', 'director_undrain', 'director_return', 'director_halt'):
        setattr(bench, 'ev_' + name, lambda label, n=name: event(label, n))
    sleep, failover.time.sleep = failover.time.sleep, lambda s: None
    try:
        snapshots = {}
        for name in ('director_remove', 'director_add'):
            del calls[:]
            bench.run_event('defaults', name, snapshots)
    finally:
        failover.time.sleep = sleep
    assert snapshots == {'director_remove': {40000: 'director1'}, 'director_add': {40000: 'director2'}}
    assert set(failover.Bench.BY_DIRECTOR_AFTER) <= set(failover.Bench.BY_DIRECTOR)


def test_unplanned_change_target_is_the_error_window():
    """A link flap (not planned) may fail new connections for at most 1 s; a planned change for none."""
    import failover  # noqa: E402  pylint: disable=import-error,import-outside-toplevel
    conns = {'established': 10, 'survived': 10, 'survived_pct': 100.0, 'failures': {}, 'resets': 0}

    def event(name, planned, failed, window):
        return {'event': name, 'planned': planned, 'connections': conns,
                'new_connections': {'attempts': 100, 'failed': failed, 'error_window_s': window}}
    targets = failover.evaluate_targets({'events': [event('link_flap', False, 3, 0.8), event('frr_restart', True, 1, 0.1),
                                                    event('rs_weight0', True, 0, None)]}, 'rs1')
    assert {k: v['pass'] for k, v in targets.items()} == {'link_flap': True, 'frr_restart': False, 'rs_weight0': True}
    assert failover.evaluate_targets({'events': [event('link_flap', False, 30, 1.2)]}, 'rs1')['link_flap']['pass'] is False


def test_changes_services_are_the_configurations_changed_for_one_server():
    """The change events give site.yml the whole lvs_services: the configuration's (here the lab inventory's: the
    defaults configuration has none), with real servers at other weights, without some, or another health check."""
    import failover  # noqa: E402  pylint: disable=import-error,import-outside-toplevel
    bench = object.__new__(failover.Bench)
    bench.halted, bench.drained = set(), set()
    services = [{'name': 'http', 'vip': '10.99.100.10', 'port': 80, 'health_check': {'type': 'http_get'},
                 'real_servers': [{'host': 'rs1'}, {'host': 'rs2', 'weight': 2}]}]
    bench.fail_rs, bench.directors, bench.hostvars = 'rs1', ['director1'], {'director1': {'lvs_services': services}}
    assert bench.services_with('defaults@2') == services
    assert bench.services_with('defaults', {'rs1': 0})[0]['real_servers'] == [
        {'host': 'rs1', 'weight': 0}, {'host': 'rs2', 'weight': 2}]
    assert bench.services_with('defaults', removed={'rs1'})[0]['real_servers'] == [{'host': 'rs2', 'weight': 2}]
    changed = bench.services_with('defaults', check=failover.Bench.CHANGED_CHECK)
    assert changed[0]['health_check'] == {'type': 'tcp', 'connect_timeout': 3}
    assert services[0]['real_servers'][0] == {'host': 'rs1'} and services[0]['health_check'] == {'type': 'http_get'}
    # seeds.yml brings its own lvs_services
    assert bench.services_with('seeds')[0]['vip'] == '10.99.100.10'
    assert bench.services_with('seeds') != services


def test_fastcheck_configuration_merges_its_check_timers_into_every_service(tmp_path):
    """bench_health_check (defaults-bfd300-fastcheck.yml): its timers go into every health check of the inventory's
    services - at the converge (an extra-vars file next to the results) and in every change event, also the changed
    check - valid for the service model, and the detection bound it is there for is under 1 s."""
    import failover  # noqa: E402  pylint: disable=import-error,import-outside-toplevel
    from ansible_collections.ecmp.lvs.plugins.module_utils import lvs_model  # pylint: disable=import-error,import-outside-toplevel

    class FakeLab:  # pylint: disable=too-few-public-methods
        def __init__(self):
            self.runs = []

        def tool(self, *args, **kwargs):
            self.runs.append(args)
            return type('R', (), {'returncode': 0})()

    services = [{'name': 'http', 'vip': '10.99.100.10', 'port': 80, 'health_check': {'type': 'http_get'},
                 'real_servers': [{'host': 'rs1'}, {'host': 'rs2'}]},
                {'name': 'two', 'vip': '10.99.100.11', 'port': 80,
                 'health_checks': [{'type': 'tcp'}, {'type': 'ping'}], 'real_servers': [{'host': 'rs1'}]}]
    timers = failover.config_data('defaults-bfd300-fastcheck')['bench_health_check']
    assert timers == {'delay_loop': 0.5, 'delay_before_retry': 0.2}
    merged = failover.config_services('defaults-bfd300-fastcheck@2', services)
    assert merged[0]['health_check'] == {'type': 'http_get', 'delay_loop': 0.5, 'delay_before_retry': 0.2}
    assert [hc['delay_loop'] for hc in merged[1]['health_checks']] == [0.5, 0.5]
    assert services[0]['health_check'] == {'type': 'http_get'}  # not changed in place
    assert failover.config_services('defaults-bfd300', services) == services
    hc = lvs_model.normalise_health_check('lvs_services[0].health_check', merged[0]['health_check'])
    # a refused connection (the service stopped): found at the next check, down one retry later
    assert hc['delay_loop'] + hc['retry'] * hc['delay_before_retry'] <= 1.0
    bench = object.__new__(failover.Bench)
    bench.halted, bench.drained = set(), set()
    bench.fail_rs, bench.directors, bench.hostvars = 'rs1', ['director1'], {'director1': {'lvs_services': services}}
    bench.outdir, bench.lab, bench.changed = str(tmp_path), FakeLab(), failover.Bench.unchanged()
    bench.args = type('A', (), {'site_args': '', 'playbook_attempts': 1})()
    assert bench.apply_config('defaults-bfd300-fastcheck')['attempts'] == 1
    run = bench.lab.runs[-1]
    assert run[3] == '@' + failover.config_path('defaults-bfd300-fastcheck') and run[4] == '-e'
    with open(run[5][1:], encoding='utf-8') as fd:
        assert json.load(fd)['lvs_services'] == merged
    # the changed check of health_check_change keeps the timers; its own fields win
    changed = bench.services_with('defaults-bfd300-fastcheck', check=failover.Bench.CHANGED_CHECK)
    assert changed[0]['health_check'] == {'type': 'tcp', 'connect_timeout': 3, 'delay_loop': 0.5,
                                          'delay_before_retry': 0.2}
    assert 'health_checks' not in changed[1]
    # a configuration without bench_health_check converges with its own file only
    bench.apply_config('defaults-bfd300')
    assert len(bench.lab.runs[-1]) == 4
    bad = tmp_path / 'bad.yml'
    bad.write_text('bench_health_check: [1]\n')
    failover_config_path = failover.config_path
    try:
        failover.config_path = lambda cfg: str(bad)
        with pytest.raises(failover.BenchError, match='bench_health_check must be a mapping'):
            failover.config_services('bad', services)
    finally:
        failover.config_path = failover_config_path


def test_change_events_keep_what_the_earlier_ones_did(tmp_path):
    """The changes accumulate (a weight change stays through a health-check change, a toggle undoes itself) and
    config_restore gives site.yml the configuration as it is: what each site.yml run got, from its vars file."""
    import failover  # noqa: E402  pylint: disable=import-error,import-outside-toplevel

    class FakeLab:  # pylint: disable=too-few-public-methods
        def __init__(self):
            self.runs = []

        def tool(self, *args, **kwargs):
            self.runs.append(args)
            return subprocess_result()

    def subprocess_result():
        return type('R', (), {'returncode': 0})()

    bench = object.__new__(failover.Bench)
    bench.halted, bench.drained = set(), set()
    services = [{'name': 'http', 'vip': '10.99.100.10', 'port': 80, 'health_check': {'type': 'http_get'},
                 'real_servers': [{'host': 'rs1'}, {'host': 'rs2'}]}]
    bench.fail_rs, bench.directors, bench.hostvars = 'rs1', ['director1'], {'director1': {'lvs_services': services}}
    bench.outdir, bench.lab, bench.changed = str(tmp_path), FakeLab(), failover.Bench.unchanged()
    bench.args = type('A', (), {'site_args': ''})()

    def sent(ev):
        with open(os.path.join(failover.ROOT, ev['extra']['vars']), encoding='utf-8') as fd:
            svc = json.load(fd)['lvs_services'][0]
        return svc['health_check'], [(rs['host'], rs.get('weight')) for rs in svc['real_servers']]
    assert sent(bench.ev_rs_weight_change('defaults')) == ({'type': 'http_get'}, [('rs1', 3), ('rs2', None)])
    ev = bench.ev_health_check_change('defaults')
    assert sent(ev) == ({'type': 'tcp', 'connect_timeout': 3}, [('rs1', 3), ('rs2', None)])
    assert ev['planned'] is True and ev['group_by'] == 'server'
    assert sent(bench.ev_rs_remove('defaults@2'))[1] == [('rs2', None)]
    assert sent(bench.ev_rs_weight_change('defaults'))[1] == [('rs2', None)]  # back to the configuration's
    assert sent(bench.ev_rs_add('defaults')) == ({'type': 'tcp', 'connect_timeout': 3}, [('rs1', None), ('rs2', None)])
    assert sent(bench.ev_health_check_change('defaults'))[0] == {'type': 'http_get'}
    bench.ev_rs_weight0('defaults')
    assert sent(bench.ev_config_restore('defaults')) == ({'type': 'http_get'}, [('rs1', None), ('rs2', None)])
    assert bench.changed == failover.Bench.unchanged()
    assert [r[0] for r in bench.lab.runs] == ['playbook'] * 8
    config = '@' + os.path.join(failover.HERE, 'configs', 'defaults.yml')
    assert bench.lab.runs[2][1:4] == ('playbooks/site.yml', '-e', config)
    assert len(bench.lab.runs[2]) == 6  # no extra options by default
    # --site-args: what an operator runs for a director-only change, appended and named in the event's method
    bench.args = type('A', (), {'site_args': '--limit directors --skip-tags install'})()
    ev = bench.ev_rs_weight0('defaults')
    assert bench.lab.runs[-1][6:] == ('--limit', 'directors', '--skip-tags', 'install')
    assert ev['method'] == 'playbooks/site.yml --limit directors --skip-tags install with rs1 at weight 0'


def test_publishable_changes_file(seeds, tmp_path):
    import failover  # noqa: E402  pylint: disable=import-error,import-outside-toplevel
    client, changes, raw = seeds
    events = copy.deepcopy(raw['events'])
    events[0]['t_end'] = raw['t_stop']
    run = fa.analyse(client, changes, events, SERVERS)
    results = {'params': {'vip': '10.99.100.10', 'port': 80, 'conns': 200, 'interval': 1.0, 'new_rate': 20.0,
                          'stall_s': 2.0, 'events': 'changes'},
               'lab': {'inventory': 'inventories/lab', 'hosts': {'directors': ['d1', 'd2'], 'realservers': ['r1']}},
               'configs': {'defaults': {'config': 'defaults', 'events': run}}}
    failover.publishable(results, str(tmp_path))
    assert results['publishable'] == {'defaults': 'changes-defaults.json'}
    data = json.loads((tmp_path / 'changes-defaults.json').read_text())
    assert data['title'] == 'Changes under load, defaults configuration, IPv4'


def test_vrrp_configuration_runs_its_own_playbook_and_has_no_nexthops():
    """benchmarks/configs/vrrp.yml: the classic keepalived VRRP pair - its setup playbook instead of site.yml, a
    teardown, no drain events, and a router that reaches the VIP by ARP (no nexthop is ever expected)."""
    import failover  # noqa: E402  pylint: disable=import-error,import-outside-toplevel
    data = failover.config_data('vrrp@3')
    assert data['bench_playbook'] == 'benchmarks/vrrp/setup.yml' and data['bench_routing'] == 'static'
    for key in ('bench_playbook', 'bench_teardown'):
        assert os.path.exists(os.path.join(ROOT, data[key]))
    assert set(data['bench_skip_events']) == {'director_drain', 'director_undrain'}
    assert 'bench_playbook' not in failover.config_data('defaults')
    with pytest.raises(failover.BenchError, match='no configuration .*/configs/nosuch.yml'):
        failover.config_data('nosuch@2')
    bench = object.__new__(failover.Bench)
    bench.halted, bench.drained = set(), set()
    bench.addr = {'director1': D1, 'director2': D2}
    bench.routing = 'ecmp'
    assert bench.gw(['director1', 'director2']) == {D1, D2}
    bench.routing = 'static'
    assert bench.gw(['director1', 'director2']) == set()


def test_vrrp_keepalived_conf_passes_keepalived_config_test(tmp_path):
    """The VRRP pair's keepalived.conf (benchmarks/vrrp/keepalived.conf.j2) for both directors, checked by the real
    keepalived --config-test: MASTER 150 on the first director, BACKUP 100 on the other, both real servers."""
    import shutil  # pylint: disable=import-outside-toplevel
    import subprocess  # pylint: disable=import-outside-toplevel
    import jinja2  # pylint: disable=import-outside-toplevel
    keepalived = shutil.which('keepalived') or '/usr/sbin/keepalived'
    assert os.path.exists(keepalived), 'keepalived is in the Makefile APT_PACKAGES'
    with open(os.path.join(BENCH, 'vrrp', 'keepalived.conf.j2'), encoding='utf-8') as fd:
        template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(fd.read())
    # keepalived checks that the interface exists: a network namespace of its own with a veth eth1 (no dummy module on this host)
    checker = ['unshare', '--net', 'sh', '-c', 'ip link add eth1 type veth peer name eth1peer && exec %s --config-test -f "$0"'
               % keepalived]
    groups = {'directors': ['director1', 'director2'], 'realservers': ['rs1', 'rs2']}
    hostvars = {'rs1': {'lvs_address': '10.99.0.21'}, 'rs2': {'lvs_address': '10.99.0.22'}}
    for name, state, priority in (('director1', 'MASTER', 150), ('director2', 'BACKUP', 100)):
        text = template.render(inventory_hostname=name, groups=groups, hostvars=hostvars, vrrp_interface='eth1',
                               vrrp_vip='10.99.100.10', vrrp_port=80, vrrp_advert_int=1)
        assert 'state %s' % state in text and 'priority %d' % priority in text
        assert text.count('real_server 10.99.0.2') == 2 and 'lvs_sync_daemon eth1 VI_1' in text
        path = tmp_path / ('%s.conf' % name)
        path.write_text(text)
        res = subprocess.run(checker + [str(path)], capture_output=True, text=True, check=False)
        assert res.returncode == 0, res.stdout + res.stderr
    # the checker is not a rubber stamp: an unknown keyword fails
    path = tmp_path / 'bad.conf'
    path.write_text(text.replace('lb_kind DR', 'lb_kind XX'))
    res = subprocess.run(checker + [str(path)], capture_output=True, text=True, check=False)
    assert res.returncode != 0, res.stdout + res.stderr


def test_adjacency_resets_from_the_routers_journal():
    """The router's FRR journal (real lines of the UML lab, tests/fixtures/bench/frr-adjchg.txt): every adjacency
    that left Full, on the controller's clock; the Loading -> Full lines are not resets."""
    with open(os.path.join(FIX, 'frr-adjchg.txt'), encoding='utf-8') as fd:
        text = fd.read()
    resets = fa.adjacency_resets(text, offset=0.5)
    full = [line for line in text.splitlines() if ': Full -> ' in line]
    assert full and len(resets) == len(full)
    first = full[0].split()
    assert resets[0][0] == round(float(first[0]) - 0.5, 3)
    assert {r[1] for r in resets} <= {'ospfd', 'ospf6d'}
    assert {r[2] for r in resets} <= {'10.99.0.11', '10.99.0.12'}
    assert any(r[4] == 'InactivityTimer' for r in resets)
    assert fa.resets_in(resets, resets[0][0], resets[0][0] + 0.001) == [resets[0]]
    assert fa.adjacency_resets('no such line\n') == []


# -- guest clocks that drift (the 67-minute soak: 13.7 s) --------------------------------------------------------------
def test_offset_at_a_constant_or_interpolated():
    assert fa.offset_at(0.25, 1000.0) == 0.25
    assert fa.offset_at([], 1000.0) == 0.0
    clock = [[100.0, 0.0], [200.0, -10.0], [300.0, -10.0]]
    assert fa.offset_at(clock, 50.0) == 0.0      # before the first measurement: the first
    assert fa.offset_at(clock, 150.0) == -5.0    # halfway between 0 and -10
    assert fa.offset_at(clock, 250.0) == -10.0
    assert fa.offset_at(clock, 400.0) == -10.0   # after the last: the last
    assert fa.to_controller(150.0, clock) == 155.0
    assert fa.offset_at([[100.0, 1.0], [100.0, 3.0]], 100.0) == 1.0  # two measurements at one moment


def test_clock_of_prefers_the_samples():
    assert fa.clock_of({'applied_s': 0.4}) == 0.4
    assert fa.clock_of({'applied_s': 0.4, 'samples': [[1.0, 0.4], [2.0, 0.5]]}) == [[1.0, 0.4], [2.0, 0.5]]


def test_client_and_journal_times_follow_the_drift():
    clock = [[1000.0, 0.0], [2000.0, -10.0]]
    client = {'conns': [{'open_t': 1500.0, 'est_t': 1500.0, 'last_byte_t': None, 'end_t': 2000.0, 'stalls': [],
                         'slow': []}],
              'probes': [[1000.0, 0.01, 'ok', 'rs1']], 'samples': [[1500.0, 1, 1, 0]],
              'started': 1000.0, 'stopped': 2000.0}
    out = fa.shift_client(client, clock)
    assert out['conns'][0]['est_t'] == 1505.0 and out['conns'][0]['end_t'] == 2010.0
    assert out['probes'][0][0] == 1000.0 and out['samples'][0][0] == 1505.0 and out['stopped'] == 2010.0
    journal = '1500.000000 router1 ospfd[1]: AdjChg: Nbr 10.99.0.11, x: Full -> Down (InactivityTimer)'
    assert fa.adjacency_resets(journal, clock)[0][0] == 1505.0
    route = [json.dumps({'t': 1500.0, 'out': json.dumps([{'dst': '10.99.100.10', 'gateway': D1}])})]
    changes, _summary = fa.parse_route_log(route, clock)
    assert changes == [(1505.0, frozenset([D1]))]


def test_director_remove_and_add(tmp_path):
    """N -> N-1 -> N: the drained director is decommissioned (daemons stopped, IPVS cleared: what a new director has),
    then undrained and converged by site.yml like a new one; both are director events (flows grouped by director)."""
    import failover  # noqa: E402  pylint: disable=import-error,import-outside-toplevel

    class FakeLab:  # pylint: disable=too-few-public-methods
        def __init__(self):
            self.ssh_calls, self.runs = [], []

        def ssh(self, host, command, **kwargs):
            self.ssh_calls.append((host, command))
            return ''

        def tool(self, *args, **kwargs):
            self.runs.append(args)
            return type('R', (), {'returncode': 0})()

    bench = object.__new__(failover.Bench)
    bench.halted, bench.drained = set(), set()
    services = [{'name': 'http', 'vip': '10.99.100.10', 'port': 80, 'real_servers': [{'host': 'rs1'}, {'host': 'rs2'}]}]
    bench.fail_rs, bench.directors, bench.hostvars = 'rs1', ['director1', 'director2'], {
        'director1': {'lvs_services': services}}
    bench.drain_director, bench.outdir, bench.lab = 'director2', str(tmp_path), FakeLab()
    bench.changed, bench.args = failover.Bench.unchanged(), type('A', (), {'site_args': ''})()
    bench.gw = lambda hosts: {'10.99.0.%d' % (11 + bench.directors.index(h)) for h in hosts}
    waited = []
    bench.wait_route = lambda expected, timeout: waited.append(expected) or True
    bench.ev_director_drain = lambda cfg: {'name': 'director_drain', 'kind': 'director drain', 'target': 'director2',
                                           't': 1.0, 'method': 'drain.yml', 'planned': True,
                                           'expected_nexthops': {'10.99.0.11'}, 'group_by': 'director'}
    ev = bench.ev_director_remove('defaults')
    assert ev['name'] == 'director_remove' and ev['target'] == 'director2' and ev['planned'] is True
    assert bench.lab.ssh_calls == [('director2', failover.Bench.REMOVE_COMMAND)]
    assert 'ipvsadm -C' in ev['method'] and ev['method'].startswith('drain.yml; then ')
    ev = bench.ev_director_add('defaults')
    assert bench.lab.ssh_calls[-1] == ('director2', '/usr/local/sbin/ecmp-lvs-announce undrain')
    assert [r[1] for r in bench.lab.runs] == ['playbooks/site.yml']
    assert ev['name'] == 'director_add' and ev['target'] == 'director2' and ev['group_by'] == 'director'
    assert ev['expected_nexthops'] == {'10.99.0.11', '10.99.0.12'} == waited[-1]
    assert ev['extra']['route_back'] is True
    assert failover.Bench.CHANGES[-3:] == ('director_remove', 'director_add', 'config_restore')


def test_events_wait_for_the_route_of_the_directors_in_service():
    """In a soak one director may be out (drained or halted) while another event runs: the route to wait for is that of
    the directors in service (before: every director, 90 s of waiting for one that was out)."""
    import failover  # noqa: E402  pylint: disable=import-error,import-outside-toplevel
    bench = object.__new__(failover.Bench)
    bench.halted, bench.drained = set(), set()
    bench.directors = ['director1', 'director2', 'director3']
    assert bench.in_service() == ['director1', 'director2', 'director3']
    bench.drained.add('director2')
    bench.halted.add('director3')
    assert bench.in_service() == ['director1']
    bench.halt_director, bench.addr = 'director1', {}
    bench.gw = set
    waited = []
    bench.wait_route = lambda expected, timeout: waited.append(expected) or True
    bench.wait_ipvs_full = lambda director, timeout: 0.1
    bench.timed_ssh = lambda host, command: 1796300000.0
    ev = bench.ev_keepalived_restart('defaults')
    assert waited == [{'director1'}] and ev['expected_nexthops'] == {'director1'}


def _ipvsadm(name):
    """A real capture of tests/fixtures/ipvsadm/ (README.md there)."""
    with open(os.path.join(ROOT, 'tests', 'fixtures', 'ipvsadm', name), encoding='utf-8') as fd:
        return fd.read()


def _ipvs_poll_lines():
    """poll_cmd.py's log around `ipvsadm -Sn` on a director (its line format; the tables are real captures): the
    service with three real servers, with four (keepalived reload), an empty table, ipvsadm without IPVS."""
    recs = [{'t': 100.0, 'dt': 0.03, 'out': _ipvsadm('keepalived-start-Sn.txt')},
            {'t': 110.0, 'dt': 0.03, 'out': _ipvsadm('keepalived-reload-Sn.txt')},
            {'t': 120.0, 'dt': 0.03, 'out': _ipvsadm('empty-Sn.txt')},
            {'t': 130.0, 'dt': 0.03, 'out': _ipvsadm('host-noipvs-Sn.txt')},
            {'summary': {'polls': 150, 'first': 100.0, 'last': 130.0, 'max_gap': 0.4}}]
    return [json.dumps(r) + '\n' for r in recs]


def test_parse_ipvs_log_on_the_controllers_clock():
    log = fa.parse_ipvs_log(_ipvs_poll_lines(), 2.0)  # the guest's clock 2 s ahead
    assert [t for t, dummy in log] == [98.0, 108.0, 118.0, 128.0]
    assert [len(s[0]['real_servers']) for dummy, s in log[:2]] == [3, 4]
    assert log[2][1] == [] and log[3][1] == fa.UNREADABLE


def test_destinations_of_the_service_at_a_time():
    log = fa.parse_ipvs_log(_ipvs_poll_lines())
    vip, port = '10.99.100.10', 80
    assert fa.destinations(fa.route_at(log, 99.0), vip, port) == 'not polled'
    assert fa.destinations(fa.route_at(log, 105.0), vip, port) == {'10.99.0.21': 1, '10.99.0.22': 1, '10.99.0.23': 1}
    assert fa.destinations(fa.route_at(log, 115.0), vip, port) == {
        '10.99.0.20': 1, '10.99.0.21': 1, '10.99.0.22': 1, '10.99.0.23': 1}
    assert fa.destinations(fa.route_at(log, 115.0), vip, 443) == 'no service'
    assert fa.destinations(fa.route_at(log, 125.0), vip, port) == 'no service'
    assert fa.destinations(fa.route_at(log, 135.0), vip, port) == 'unreadable'
    # weights as the table has them (0: the real server is out), by the canonical address of the VIP
    full = fa.parse_ipvs_log([json.dumps({'t': 1.0, 'dt': 0.1, 'out': _ipvsadm('full-Sn.txt')})])
    assert fa.destinations(full[0][1], '10.99.200.1', 80) == {'10.99.0.1': 1, '10.99.0.21': 2, '10.99.0.22': 0}
    assert fa.destinations(full[0][1], '2001:0db8::1', 80) == {'2001:db8:0:1::21': 5, '2001:db8:0:1::22': 1}
    assert fa.destinations(full[0][1], '10.99.200.1', 53) == 'no service'  # udp only
    assert fa.destinations(full[0][1], '10.99.200.1', 53, 'udp') == {'10.99.0.21': 3, '10.99.0.22': 1}


def test_failed_probes_explained_name_the_route_and_every_directors_table():
    log = fa.parse_ipvs_log(_ipvs_poll_lines())
    logs = {'director2': log, 'director1': [(90.0, log[0][1])]}
    probes = [[104.0, 0.01, 'ok', 'rs1'], [105.0, None, 'refused', None], [106.0, 0.02, 'ok', 'intruder'],
              [121.0, None, 'timeout', None], [140.0, None, 'refused', None]]
    route = [(100.0, frozenset([D1, D2])), (120.5, frozenset([D1]))]
    out = fa.failed_probes_explained(probes, 100.0, 130.0, SERVERS, route, logs, '10.99.100.10', 80,
                                     {D1: 'director1', D2: 'director2'})
    three = {'10.99.0.21': 1, '10.99.0.22': 1, '10.99.0.23': 1}
    assert out == [
        {'t_s': 5.0, 'kind': 'refused', 'route': ['director1', 'director2'],
         'ipvs': {'director1': three, 'director2': three}},
        {'t_s': 6.0, 'kind': 'wrong_server:intruder', 'route': ['director1', 'director2'],
         'ipvs': {'director1': three, 'director2': three}},
        {'t_s': 21.0, 'kind': 'timeout', 'route': ['director1'], 'ipvs': {'director1': three, 'director2': 'no service'}},
    ]
    # before the route poller's first line: the route is unknown, not "no route"
    assert fa.failed_probes_explained(probes, 100.0, 106.0, SERVERS, [], logs, '10.99.100.10', 80)[0]['route'] is None


def test_stall_log_and_the_stalls_before_a_reset():
    """guest/stall.py's JSON lines (a ticker started again appends; a summary line is not a stall) on the controller's
    clock; stalls_before takes the hosts asked for, gaps of at least STALL_S, ending from STALL_LOOKBACK_S before
    the moment to 1 s after it, in time order."""
    lines = ['{"t": 1010.0, "gap": 0.3}', '{"t": 1020.0, "gap": 1.5}', '{"summary": {"ticks": 9, "max_gap": 1.5}}',
             '', '{"t": 1005.0, "gap": 0.6}']
    assert fa.parse_stall_log(lines, 1000.0) == [[5.0, 0.6], [10.0, 0.3], [20.0, 1.5]]
    stalls = {'router1': fa.parse_stall_log(lines, 1000.0), 'director1': [[20.5, 0.5], [21.3, 4.0]],
              'director2': [[20.0, 9.0]]}
    assert fa.stalls_before(stalls, 20.2, ['router1', 'director1']) == [['router1', 20.0, 1.5],
                                                                        ['director1', 20.5, 0.5]]
    assert fa.stalls_before(stalls, 16.0, ['router1', 'director1']) == []  # 10.0 is too early, 0.3 s too short
    assert fa.stalls_before(stalls, 14.0, ['router1']) == []
    assert fa.stalls_before(stalls, 11.0, ['router1', 'nobody']) == [['router1', 5.0, 0.6]]
