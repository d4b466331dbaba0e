# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure analysis of one failover benchmark run (no I/O): route log, client log and events -> metrics.

Times are wall-clock seconds (time.time()) on the controller's clock; guest logs are shifted by their
measured clock offsets before they get here.
"""

import json
import os
import re
import statistics
import sys

# the collection's own ipvsadm parser (`make deps` links the checkout there): one parser of ipvsadm's output
_COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), '.ansible', 'collections')
if _COLLECTIONS not in sys.path:
    sys.path.append(_COLLECTIONS)
from ansible_collections.ecmp.lvs.plugins.module_utils import ipvs  # noqa: E402  pylint: disable=wrong-import-position

# connection end reasons that are not failures inside a window
BENIGN_ENDS = ('stopped',)


def url_host(address):
    """An address as the host of a URL, an HTTP Host header or ipvsadm's address:port: IPv6 in brackets."""
    return '[%s]' % address if ':' in address else address


def ipvsadm_real_servers(text):
    """{real server address: weight} from `ipvsadm -Ln -t VIP:PORT` (module_utils.ipvs.parse_list; IPv4 `-> 10.0.0.1:80`, IPv6
    `-> [2001:db8::1]:80`)."""
    return {rs['address']: rs['values']['weight']
            for svc in ipvs.parse_list(text)['services'] for rs in svc['real_servers']}


def offset_at(clock, t):
    """A guest clock's offset (guest - controller) at guest time t. `clock` is one offset for the whole run, or the
    offsets measured during it, [[guest time, offset], ...] in time order: interpolated between two measurements,
    the first/last one before/after them (a UML guest clock drifted 13.7 s in a 67-minute soak)."""
    if not isinstance(clock, (list, tuple)):
        return clock or 0.0
    if not clock:
        return 0.0
    if t <= clock[0][0]:
        return clock[0][1]
    for (t0, o0), (t1, o1) in zip(clock, clock[1:]):
        if t <= t1:
            return o0 + (o1 - o0) * (t - t0) / (t1 - t0) if t1 > t0 else o1
    return clock[-1][1]


def to_controller(t, clock):
    """Guest time t -> the controller's clock (see offset_at)."""
    return t - offset_at(clock, t)


def clock_of(entry):
    """The clock to apply for a host's entry of Bench.offsets: its samples when the run re-measured it (soak), else
    the offset of the start."""
    return entry.get('samples') or entry.get('applied_s', 0.0)


def poll_records(lines):
    """JSON lines of poll_cmd.py -> its records ({t, dt, out}, one per change of the output) and its summary (the last
    line it writes at exit; None when it did not exit cleanly, e.g. its host was halted)."""
    records, summary = [], None
    for line in lines:
        line = line.strip()
        if not line:
            continue
        rec = json.loads(line)
        if 'summary' in rec:
            summary = rec['summary']
        else:
            records.append(rec)
    return records, summary


def parse_route_log(lines, offset=0.0, aliases=None):
    """JSON lines of poll_cmd.py around `ip -j route show VIP` -> [(t, frozenset(gateways))], summary; offset: the
    router's clock (offset_at).

    A route with a single nexthop has `gateway` at the top; a multipath route has `nexthops`; no route is
    the empty set. aliases: {gateway: the name it stands for} (an IPv6 route's link-local nexthop -> the
    director's address); a gateway without one stays as it is."""
    aliases = aliases or {}
    changes = []
    records, summary = poll_records(lines)
    for rec in records:
        if not (rec.get('out') or '').strip():
            continue  # the poll was interrupted (ip -j always prints at least "[]")
        try:
            routes = json.loads(rec['out'])
        except ValueError:
            continue
        gws = set()
        for route in routes:
            if route.get('gateway'):
                gws.add(route['gateway'])
            for nh in route.get('nexthops') or []:
                if nh.get('gateway'):
                    gws.add(nh['gateway'])
        changes.append((to_controller(rec['t'], offset), frozenset(aliases.get(gw, gw) for gw in gws)))
    return changes, summary


def route_at(changes, t):
    """The nexthop set in force at time t (None before the first poll); also the state at t of any [(t, state)] log
    in time order (parse_ipvs_log)."""
    current = None
    for tc, gws in changes:
        if tc > t:
            break
        current = gws
    return current


# a poll of `ipvsadm -Sn` that gave no table (ipvsadm failed or timed out: its text is not a save file)
UNREADABLE = 'unreadable'


def parse_ipvs_log(lines, clock=0.0):
    """JSON lines of poll_cmd.py around `ipvsadm -Sn` on a director -> [(t, services)] on the controller's clock
    (clock: the director's, see offset_at); services: module_utils.ipvs.parse_save's list, UNREADABLE for a poll that
    gave no table. A poller that was started again (the director came back) appends to the same log."""
    changes = []
    for rec in poll_records(lines)[0]:
        try:
            services = ipvs.parse_save(rec.get('out') or '')
        except ipvs.IpvsError:
            services = UNREADABLE
        changes.append((to_controller(rec['t'], clock), services))
    changes.sort(key=lambda change: change[0])
    return changes


def destinations(services, vip, port, protocol='tcp'):
    """What a table (parse_ipvs_log) has for the service VIP:PORT: {real server address: weight}, 'no service' when
    the table lacks it, 'not polled' (None: before the first poll or the director was down), 'unreadable'."""
    if services is None:
        return 'not polled'
    if services == UNREADABLE:
        return UNREADABLE
    vip = ipvs.canonical_address(vip)
    for svc in services:
        if svc.get('fwmark') is None and svc['vip'] == vip and svc['port'] == port and svc['protocol'] == protocol:
            return {rs['address']: rs['weight'] for rs in svc['real_servers']}
    return 'no service'


def failed_probes_explained(probes, t0, t1, servers_ok, route_changes, ipvs_logs, vip, port, director_of=None):
    """Every new connection that failed in [t0, t1) (new_connection_window's failures) with what it met: when (s after
    t0), how, the router's nexthops then (named by director_of: {gateway: director}) and every director's real
    servers of VIP:PORT then (destinations). A refusal is an RST from a director without the service or an ICMP
    unreachable from IPVS without a destination; the tables tell which one could have sent it."""
    director_of = director_of or {}
    out = []
    for p in probes:
        kind = probe_failure(p, servers_ok) if t0 <= p[0] < t1 else None
        if kind is None:
            continue
        route = route_at(route_changes, p[0])
        out.append({'t_s': round(p[0] - t0, 3), 'kind': kind,
                    'route': None if route is None else sorted(director_of.get(gw, gw) for gw in route),
                    'ipvs': {d: destinations(route_at(log, p[0]), vip, port) for d, log in sorted(ipvs_logs.items())}})
    return out


def route_convergence(changes, t_event, expected, t_end):
    """Seconds from t_event until the route became `expected` (and stayed so until t_end), plus every
    set seen in between. None when it never converged in the window; 0.0 with note when it already was."""
    expected = frozenset(expected)
    before = route_at(changes, t_event)
    seen = []
    converged = None
    for tc, gws in changes:
        if tc <= t_event or tc >= t_end:
            continue
        seen.append({'t': round(tc - t_event, 3), 'nexthops': sorted(gws)})
        converged = tc if gws == expected else None
    result = {'before': sorted(before) if before is not None else None, 'expected': sorted(expected),
              'transitions': seen}
    if converged is not None:
        result['converged_s'] = round(converged - t_event, 3)
    elif before == expected and not seen:
        result['converged_s'] = None
        result['note'] = 'route unchanged (event does not touch the routing)'
    else:
        result['converged_s'] = None
        result['note'] = 'not converged to the expected nexthops within the window'
    return result


def _shift_client(client, offset):
    """Client log times -> controller clock (offset: a clock, see offset_at)."""
    if not offset:
        return client

    def conv(t):
        return to_controller(t, offset)
    for rec in client['conns']:
        for key in ('open_t', 'est_t', 'last_byte_t', 'end_t'):
            if rec.get(key) is not None:
                rec[key] = conv(rec[key])
        for st in rec['stalls']:
            for key in ('t', 'detected_t', 'recovered_t'):
                if st.get(key) is not None:
                    st[key] = conv(st[key])
        for slow in rec.get('slow', []):
            slow[0] = conv(slow[0])
    for probe in client['probes']:
        probe[0] = conv(probe[0])
    for sample in client['samples']:
        sample[0] = conv(sample[0])
    client['started'] = conv(client['started'])
    client['stopped'] = conv(client['stopped'])
    return client


def shift_client(client, offset):
    """Controller clock, and records still open when the client stopped end at its stop time."""
    client = _shift_client(client, offset)
    for rec in client['conns']:
        if rec.get('end_t') is None:
            rec['end_t'] = client['stopped']
        if rec.get('end') is None:
            rec['end'] = 'stopped'
    return client


def connection_outcomes(client, t_event, t_end, stall_s=2.0):
    """Connections established at t_event and what became of them until t_end."""
    rows = []
    for rec in client['conns']:
        if rec['est_t'] is None or rec['est_t'] > t_event or rec['end_t'] <= t_event:
            continue
        # already stalled at the event (a request older than stall_s unanswered): not "established and healthy"
        if any(st['detected_t'] <= t_event and (st['recovered_t'] is None or st['recovered_t'] > t_event)
               for st in rec['stalls']):
            continue
        failure = None
        fail_t = None
        stalls = [st for st in rec['stalls'] if t_event < st['detected_t'] < t_end]
        if stalls:
            recovered = stalls[0]['recovered_t']
            # older clients stamped recovered_t also when the awaited response ended in RST/EOF
            if recovered is not None and rec['end'] not in BENIGN_ENDS and abs(rec['end_t'] - recovered) < 0.05:
                recovered = None
            failure = 'stall' if recovered is not None else 'stall_then_' + rec['end']
            fail_t = stalls[0]['t']
        if rec['end_t'] < t_end and rec['end'] not in BENIGN_ENDS:
            if failure is None:
                failure = rec['end']
                fail_t = rec['end_t']
        max_latency = 0.0
        for t_send, latency in rec.get('slow', []):
            if t_event - latency <= t_send < t_end:
                max_latency = max(max_latency, latency)
        rows.append({'id': rec['id'], 'server': rec['server'], 'sport': rec.get('sport'), 'failure': failure,
                     'fail_t': fail_t, 'max_latency': max_latency})
    return rows


def summarise_outcomes(rows, t_event, by=None):
    total = len(rows)
    ok = sum(1 for r in rows if r['failure'] is None)
    causes = {}
    for r in rows:
        if r['failure'] is not None:
            causes[r['failure']] = causes.get(r['failure'], 0) + 1
    out = {'established': total, 'survived': ok,
           'survived_pct': round(100.0 * ok / total, 2) if total else None,
           'failures': causes,
           'resets': sum(v for k, v in causes.items() if 'rst' in k),
           'max_request_latency_s': round(max([r['max_latency'] for r in rows] or [0.0]), 3)}
    fails = [r['fail_t'] - t_event for r in rows if r['fail_t'] is not None]
    if fails:
        out['first_failure_s'] = round(min(fails), 3)
        out['last_failure_s'] = round(max(fails), 3)
    if by:
        groups = {}
        for r in rows:
            groups.setdefault(by(r) or 'unknown', []).append(r)
        out['by'] = {k: {'established': len(v), 'survived': sum(1 for r in v if r['failure'] is None),
                         'survived_pct': round(100.0 * sum(1 for r in v if r['failure'] is None) / len(v), 2)}
                     for k, v in sorted(groups.items())}
    return out


def probe_failure(probe, servers_ok):
    """How a new connection (a client probe) failed - its error, or wrong_server:NAME for an answer from a host that is
    not a real server (servers_ok; empty: any answer counts) - or None when it did not."""
    if probe[2] != 'ok':
        return probe[2]
    if servers_ok and probe[3] not in servers_ok:
        return 'wrong_server:%s' % probe[3]
    return None


def new_connection_window(probes, t_event, t_end, servers_ok, merge_gap=1.0):
    """Probes started in [t_event, t_end): failures (errors, timeouts, answers from a host that is not a
    real server), first/last failure, and the error window: the time covered by failing probes, failures
    closer than merge_gap seconds counting as one continuous interval."""
    window = [p for p in probes if t_event <= p[0] < t_end]
    failures = [(p, probe_failure(p, servers_ok)) for p in window]
    failed = [p for p, kind in failures if kind]
    out = {'attempts': len(window), 'failed': len(failed)}
    kinds = {}
    for _p, kind in failures:
        if kind:
            kinds[kind] = kinds.get(kind, 0) + 1
    out['failure_kinds'] = kinds
    if failed:
        first = min(p[0] for p in failed)
        last = max(p[0] for p in failed)
        out['first_failure_s'] = round(first - t_event, 3)
        out['last_failure_s'] = round(last - t_event, 3)
        out['span_s'] = round(last - first, 3)
        # error window: failing probes less than `merge_gap` apart form one interval (plus one probe period);
        # isolated failures (UML noise) count one period each instead of stretching first-to-last
        period = (window[-1][0] - window[0][0]) / max(len(window) - 1, 1) if len(window) > 1 else 0.05
        times = sorted(p[0] for p in failed)
        total = 0.0
        start = prev = times[0]
        for t in times[1:]:
            if t - prev > merge_gap:
                total += prev - start + period
                start = t
            prev = t
        total += prev - start + period
        out['error_window_s'] = round(total, 3)
    else:
        out['error_window_s'] = 0.0
    return out


def baseline(client, t_until, servers_ok, stall_s=2.0):
    """Before the first event: how clean is the lab itself (UML noise)?"""
    probes = [p for p in client['probes'] if p[0] < t_until]
    bad = [p for p in probes if p[2] != 'ok' or (servers_ok and p[3] not in servers_ok)]
    conns = [r for r in client['conns'] if r['open_t'] < t_until]
    ended = [r for r in conns if r['end_t'] < t_until and r['end'] not in BENIGN_ENDS]
    stalls = sum(1 for r in conns for st in r['stalls'] if st['detected_t'] < t_until)
    servers = {}
    for r in conns:
        servers[r['server']] = servers.get(r['server'], 0) + 1
    lat = sorted(p[1] for p in probes if p[1] is not None)
    return {'probes': len(probes), 'probe_failures': len(bad),
            'probe_latency_p50_s': round(lat[len(lat) // 2], 4) if lat else None,
            'probe_latency_p99_s': round(lat[int(len(lat) * 0.99)], 4) if lat else None,
            'connections_opened': len(conns), 'connections_failed': len(ended), 'stalls': stalls,
            'connections_per_server': servers}


def route_get_gateways(text, aliases=None):
    """{source port: nexthop gateway} from lines `SPORT JSON`, JSON being the answer of `ip -j route get VIP from
    CLIENT iif IFACE ipproto tcp sport SPORT dport PORT` (None without a route or a gateway). With
    fib_multipath_hash_policy=1 that is the nexthop the router's L4 multipath hash picks for the flow.
    aliases: as parse_route_log."""
    aliases = aliases or {}
    gateways = {}
    for line in text.splitlines():
        sport, _sep, answer = line.strip().partition(' ')
        if not sport.isdigit():
            continue
        try:
            data = json.loads(answer)
        except ValueError:
            data = None
        gateway = data[0].get('gateway') if isinstance(data, list) and data else None
        gateways[int(sport)] = aliases.get(gateway, gateway)
    return gateways


def moved_or_stayed(director_of_sport, target):
    """Group function for summarise_outcomes: 'moved' for a flow the router hashed to `target` (the director the
    event takes away or brings back), 'stayed' for the others, None when unknown."""
    def by(row):
        director = director_of_sport.get(row['sport'])
        if director is None:
            return None
        return 'moved' if director == target else 'stayed'
    return by


def analyse(client, route_changes, events, servers_ok, director_of_sport=None, stall_s=2.0):
    """Metrics per event. `events`: list of dicts with name, t (controller clock), expected_nexthops (or
    None), group_by ('server' | 'director' | None), t_end (next event or end of run)."""
    results = []
    for ev in events:
        t0, t1 = ev['t'], ev['t_end']
        rows = connection_outcomes(client, t0, t1, stall_s)
        by = None
        if ev.get('group_by') == 'server':
            def by(r):
                return r['server']
        elif ev.get('group_by') == 'director' and director_of_sport is not None:
            snap = director_of_sport.get(ev.get('snapshot', ev['name']), {})

            def by(r):
                return snap.get(r['sport'])
        res = {'event': ev['name'], 'kind': ev['kind'], 'target': ev['target'], 'method': ev.get('method'),
               't': t0, 'window_s': round(t1 - t0, 3)}
        if ev.get('expected_nexthops') is not None:
            res['route'] = route_convergence(route_changes, t0, ev['expected_nexthops'], t1)
        else:
            res['route'] = {'converged_s': None, 'note': 'route unchanged (event does not touch the routing)',
                            'transitions': [{'t': round(tc - t0, 3), 'nexthops': sorted(g)}
                                            for tc, g in route_changes if t0 < tc < t1]}
        res['connections'] = summarise_outcomes(rows, t0, by)
        if ev.get('ends_flows_of'):
            # the event ends the flows of one real server (it fails, or leaves the services): the others must survive
            res['ends_flows_of'] = ev['ends_flows_of']
            res['connections_kept'] = summarise_outcomes([r for r in rows if r['server'] != ev['ends_flows_of']], t0)
        if 'planned' in ev:
            res['planned'] = ev['planned']
        if ev.get('group_by') == 'director' and director_of_sport is not None:
            # the flows the router hashed to the event's director (they move) apart from the rest
            res['flows_moved_or_stayed'] = summarise_outcomes(
                rows, t0, moved_or_stayed(director_of_sport.get(ev.get('snapshot', ev['name']), {}), ev['target']))
        res['new_connections'] = new_connection_window(client['probes'], t0, t1, servers_ok)
        for key in ('extra',):
            if ev.get(key):
                res[key] = ev[key]
        results.append(res)
    return results


ADJCHG = re.compile(r'^(?P<t>\d+\.\d+) \S+ (?P<daemon>ospf6?d)\[\d+\]: .*AdjChg: Nbr (?P<nbr>[^,( ]+)'
                    r'.*: (?P<old>\w+) -> (?P<new>\w+) \((?P<reason>[^)]*)\)')


def adjacency_resets(journal, offset=0.0):
    """OSPF adjacencies that left Full, from the router's FRR journal (`journalctl -o short-unix`): [[t on the
    controller clock, daemon, neighbor, new state, reason]]. A BFD session going down is logged by ospfd/ospf6d as
    InactivityTimer; a director's planned exit (halt, FRR stop, link down) shows up here too."""
    out = []
    for line in journal.splitlines():
        m = ADJCHG.match(line.strip())
        if m and m.group('old') == 'Full':
            out.append([round(to_controller(float(m.group('t')), offset), 3), m.group('daemon'), m.group('nbr'), m.group('new'),
                        m.group('reason')])
    return out


def parse_stall_log(lines, clock=0.0):
    """JSON lines of guest/stall.py -> [[t, gap]] on the controller's clock (clock: the guest's, see offset_at): t the
    end of a gap of `gap` seconds in which the guest ran nothing of the ticker's. A ticker started again (a director
    back from a halt) appends to the same log."""
    return sorted([round(to_controller(rec['t'], clock), 3), rec['gap']] for rec in poll_records(lines)[0])


# a stall this long on the router or a director can take an OSPF adjacency down by itself: the lab's BFD detection
# time is 0.9 s (300 ms x 3, the lowest of the soak's configurations)
STALL_S = 0.5
# how long before an adjacency reset a stall is looked for: the dead interval (4 s in the lab) with a margin
STALL_LOOKBACK_S = 6.0


def stalls_before(stalls, t, hosts):
    """The stalls of `hosts` ({host: [[t, gap]]}, parse_stall_log) of at least STALL_S that ended within
    STALL_LOOKBACK_S before t (or up to 1 s after it: the guest that stalled logs the reset once it runs again, its
    ticker at about the same moment): [[host, t of the stall's end, gap]] in time order."""
    return sorted(([host, end, gap] for host in hosts for end, gap in stalls.get(host) or []
                   if gap >= STALL_S and t - STALL_LOOKBACK_S <= end <= t + 1.0), key=lambda stall: stall[1])


def kept_connections(ev):
    """An analysed event's outcomes of the flows whose real server stays in service (all of them unless the event
    ends one server's flows: connections_kept)."""
    return ev.get('connections_kept') or ev['connections']


def resets_in(resets, t0, t1):
    """The adjacency resets between t0 and t1."""
    return [r for r in resets or [] if t0 <= r[0] < t1]


def foreign_resets(window, event):
    """How many of the adjacency resets in `window` are of directors the event did not touch (the lab's own
    disturbance): all but those of its director (target_address); none when the event touches every director (the
    router's FRR restart: touches_all)."""
    return len(foreign_window(window, event))


def foreign_window(window, event):
    """The adjacency resets in `window` of directors `event` did not touch (see foreign_resets)."""
    if event.get('touches_all'):
        return []
    return [r for r in window if r[2] != event.get('target_address')]


# the figures of one event across runs: (metric suffix, unit, label suffix, reader of one event's analysis)
RUN_METRICS = (
    ('survived_pct', '%', 'established connections survived',
     lambda ev: ev['connections']['survived_pct']),
    ('kept_survived_pct', '%', 'survived of those whose real server stays in service',
     lambda ev: kept_connections(ev)['survived_pct']),
    ('moved_survived_pct', '%', 'survived of those the router hashed to the director of the event',
     lambda ev: ((ev.get('flows_moved_or_stayed') or {}).get('by') or {}).get('moved', {}).get('survived_pct')),
    ('stayed_survived_pct', '%', 'survived of those hashed to the other directors',
     lambda ev: ((ev.get('flows_moved_or_stayed') or {}).get('by') or {}).get('stayed', {}).get('survived_pct')),
    ('resets', '', 'established connections reset', lambda ev: ev['connections']['resets']),
    ('route_converged_s', 's', 'route converged after', lambda ev: ev['route'].get('converged_s')),
    ('error_window_s', 's', 'new connections failing for', lambda ev: ev['new_connections']['error_window_s']),
    ('foreign_adjacency_resets', '', "OSPF adjacency resets of directors the event did not touch (the lab's own "
     'disturbance, e.g. a BFD session timing out on a starved guest)', lambda ev: ev.get('foreign_adjacency_resets')),
    ('new_failed', '', 'new connections failed', lambda ev: ev['new_connections']['failed']),
)


def stats(values):
    """{median, min, max, n} of the values that are not None (None when there is none)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {'median': round(statistics.median(values), 3), 'min': min(values), 'max': max(values), 'n': len(values)}


def runs_summary(runs):
    """The events of several runs of one configuration (each a list of analysed events, `analyse`) -> summary
    {EVENT_METRIC: stats}, units, labels - in event order, the metrics of RUN_METRICS."""
    summary, units, labels = {}, {}, {}
    names = []
    for events in runs:
        for ev in events:
            if ev['event'] not in names:
                names.append(ev['event'])
    for name in names:
        for suffix, unit, label, read in RUN_METRICS:
            metric = '%s_%s' % (name, suffix)
            values = []
            for events in runs:
                for ev in events:
                    if ev['event'] == name:
                        try:
                            values.append(read(ev))
                        except (KeyError, TypeError):
                            values.append(None)
            summary[metric] = stats(values)
            if unit:
                units[metric] = unit
            labels[metric] = '%s: %s' % (name.replace('_', ' '), label)
    return summary, units, labels
