# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet status of ecmp.lvs from the raw outputs of the hosts (standard library only, pure functions).

One source per fact: IPVS tables are read by ``ipvs.parse_list`` / ``ipvs.parse_daemons``, routes by the shape
of ``iproute.find_routes`` (``ecmp.lvs.route_info``), FRR sessions by ``frr``, the real-server order check by
``lvs_model.ipvs_order_drift``, the announcement by the JSON of ``ecmp-lvs-announce status``. Two users:

* ``playbooks/status.yml`` (filters ``ecmp.lvs.lvs_status`` and ``ecmp.lvs.lvs_status_table``): ``aggregate()``
  of every director and router, one table per VIP, a verdict;
* ``ecmp-lvs-metrics`` on the hosts (``lvs_metrics``): ``director_view()`` / ``router_view()`` of the host
  itself, rendered by ``director_metrics()`` / ``router_metrics()`` in the Prometheus text format.

Director input (``raw``): ``{'host', 'address', 'reachable': bool, 'announce': stdout of ecmp-lvs-announce
status, 'ipvs': stdout of ipvsadm -Ln --nosort, 'daemons': stdout of ipvsadm -L --daemon, 'conn_sync': bool
(director_conn_sync), 'vips': [VIPs of the director], 'ip_addresses': stdout of ip -j address show (the
addresses a router's nexthop may name it by: an IPv6 route's is link-local)}``; router input: ``{'host', 'reachable', 'routes':
route_info's routes, 'protocol': ospf|bgp, 'bfd': bool, 'ospf' / 'bgp' / 'bfd_peers': stdout of vtysh ...
json, 'peers': [director addresses]}``. A missing text is "not read": the fact is unknown, not false.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.ecmp.lvs.plugins.module_utils import frr
from ansible_collections.ecmp.lvs.plugins.module_utils import iproute
from ansible_collections.ecmp.lvs.plugins.module_utils import ipvs as ipvs_utils
from ansible_collections.ecmp.lvs.plugins.module_utils import lvs_model

# the announce state of a VIP on a director: state -> what it means (the metric label `reason`)
STATES = {
    'healthy': 'announced',
    'drained': 'withdrawn: the director is drained (playbooks/drain.yml)',
    'quorum_lost': 'withdrawn: a health-gated service has no quorum (or its checker is gone)',
    'keepalived_down': 'withdrawn: keepalived is not running',
    'holddown': 'withdrawn: quorum is back, the hold-down is running',
    'announce_down': 'ecmp-lvs-announce.service is not running (nothing is announced)',
    'withdrawn': 'withdrawn for another reason (see the reason text)',
    'unknown': 'no data (host unreachable or command failed)',
}
VERDICTS = ('ok', 'degraded', 'down')


class StatusError(ValueError):
    """Input that is not what the collectors give."""


def service_key(protocol, vip, port):
    """The key ecmp-lvs-announce uses: tcp:VIP:PORT."""
    return '%s:%s:%d' % (protocol, vip, int(port))


def _hostport(address, port):
    return ipvs_utils.join_hostport(address, int(port))


def _worst(verdicts):
    return max(verdicts, key=VERDICTS.index) if verdicts else 'ok'


def parse_announce(text):
    """Text of ``ecmp-lvs-announce status`` -> dict, or None when it is empty / not JSON."""
    if not (text or '').strip():
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def vip_state(status, vip):
    """(announced, state, reason) of `vip` from the parsed announce status (None: not read).

    `announced` is whether the VIP address is on lo (`present`: what FRR announces, read by the command even when
    the service does not run); `state` one of STATES; `reason` the program's own text."""
    if status is None:
        return None, 'unknown', 'ecmp-lvs-announce status not read'
    announced = vip in (status.get('present') or [])
    info = (status.get('vips') or {}).get(vip)
    if status.get('error'):
        return announced, 'announce_down', str(status['error'])
    if info is None:
        return announced, 'withdrawn' if not announced else 'healthy', 'not a VIP of ecmp-lvs-announce'
    reason = str(info.get('reason', ''))
    if announced:
        return True, 'healthy', reason
    services = info.get('services') or {}
    statuses = set(s.get('status') for s in services.values() if isinstance(s, dict))
    if status.get('drained') or reason == 'drained':
        state = 'drained'
    elif status.get('keepalived_running') is False or reason == 'keepalived is not running':
        state = 'keepalived_down'
    elif statuses & {'down', 'gone'}:
        state = 'quorum_lost'
    elif 'holddown' in statuses:
        state = 'holddown'
    else:
        state = 'withdrawn'
    return False, state, reason


def _ipvs_services(text):
    """ipvsadm -Ln --nosort text -> {key: {'scheduler', 'order': [address:port], 'weights': {address:port: w}}}."""
    listing = ipvs_utils.parse_list(text)
    out = {}
    for svc in listing['services']:
        if svc.get('vip') is None and (svc.get('fwmark') is None or svc.get('family') != 'ipv4'):
            continue  # IPv6 firewall-mark services are not described by lvs_services
        order = [_hostport(r['address'], r['port']) for r in svc['real_servers']]
        key = ('fwmark:%d' % int(svc['fwmark']) if svc.get('vip') is None
               else service_key(svc['protocol'], svc['vip'], svc['port']))
        out[key] = {
            'vip': svc['vip'], 'protocol': svc['protocol'], 'port': svc['port'], 'fwmark': svc.get('fwmark'),
            'scheduler': svc.get('scheduler'),
            'order': order,
            'weights': dict((_hostport(r['address'], r['port']), r['values'].get('weight'))
                            for r in svc['real_servers'])}
    return out


def _all_vips(services):
    return sorted(set(vip for s in services for vip in (s.get('vips') or [s['vip']])))


def _services_of(vip, services):
    """The services of `vip`: a firewall-mark service as it is (key fwmark:N, on each of its VIPs), a service of
    several VIPs as its IPVS service on this VIP (key proto:vip:port)."""
    result = []
    for svc in services:
        vips = svc.get('vips') or [svc['vip']]
        if vip not in vips:
            continue
        if svc.get('fwmark') is None and len(vips) > 1:
            svc = dict(svc, vip=vip, vips=[vip])
        result.append(svc)
    return result


def _sync_state(daemons, expected):
    """'ok' | 'missing master' | 'missing backup' | 'missing master, backup' | 'off' | 'unexpected' | 'unknown'."""
    if daemons is None:
        return 'unknown'
    running = set(d['state'] for d in daemons)
    if not expected:
        return 'unexpected' if running else 'off'
    missing = sorted({'master', 'backup'} - running)
    return 'missing %s' % ', '.join(missing) if missing else 'ok'


def director_view(raw, services):
    """The facts of one director from its raw outputs (see the module doc); `services`: normalised services."""
    host = raw.get('host')
    view = {'host': host, 'address': raw.get('address'), 'reachable': bool(raw.get('reachable', True)),
            'errors': list(raw.get('errors') or []), 'drained': None, 'keepalived_running': None,
            'announce_running': None, 'vips': {}, 'ipvs': None, 'order_drift': [], 'sync_daemons': None,
            'conn_sync_expected': bool(raw.get('conn_sync', False)), 'conn_sync': 'unknown', 'addresses': []}
    if view['reachable'] and raw.get('ip_addresses') is not None:
        try:
            view['addresses'] = iproute.interface_addresses(raw['ip_addresses'])
        except iproute.IprouteError as exc:
            view['errors'].append('ip -j address show: %s' % exc)
    vips = raw.get('vips')
    if vips is None:
        vips = _all_vips(services)
    status = parse_announce(raw.get('announce')) if view['reachable'] else None
    if view['reachable'] and status is None and raw.get('announce') is not None:
        view['errors'].append('ecmp-lvs-announce status: no JSON (%r)' % (raw.get('announce') or '')[:200])
    if status is not None:
        view['drained'] = bool(status.get('drained'))
        view['announce_running'] = not status.get('error')
        if view['announce_running']:
            view['keepalived_running'] = bool(status.get('keepalived_running'))
    for vip in vips:
        announced, state, reason = vip_state(status, vip)
        info = ((status or {}).get('vips') or {}).get(vip) or {}
        view['vips'][vip] = {
            'announced': announced, 'state': state, 'reason': reason,
            'services': dict((key, {'status': s.get('status'), 'detail': s.get('detail')})
                             for key, s in sorted((info.get('services') or {}).items()) if isinstance(s, dict))}
    if view['reachable'] and raw.get('ipvs') is not None:
        try:
            view['ipvs'] = _ipvs_services(raw['ipvs'])
            kernel = [{'protocol': s['protocol'], 'vip': s['vip'], 'port': s['port'], 'fwmark': s.get('fwmark'),
                       'real_server_order': s['order']} for s in view['ipvs'].values()]
            view['order_drift'] = lvs_model.ipvs_order_drift(kernel, services)
        except (ipvs_utils.IpvsError, lvs_model.LvsModelError, ValueError, KeyError) as exc:
            view['errors'].append('ipvsadm -Ln --nosort: %s' % exc)
            view['ipvs'] = None
    if view['reachable'] and raw.get('daemons') is not None:
        try:
            view['sync_daemons'] = sorted(d['state'] for d in ipvs_utils.parse_daemons(raw['daemons']))
        except ipvs_utils.IpvsError as exc:
            view['errors'].append('ipvsadm -L --daemon: %s' % exc)
    view['conn_sync'] = _sync_state(None if view['sync_daemons'] is None else
                                    [{'state': s} for s in view['sync_daemons']], view['conn_sync_expected'])
    return view


def router_view(raw, vips):
    """The facts of one router: nexthop gateways per VIP (route_info shape) and its routing sessions."""
    view = {'host': raw.get('host'), 'reachable': bool(raw.get('reachable', True)),
            'errors': list(raw.get('errors') or []), 'protocol': raw.get('protocol') or 'ospf',
            'bfd': bool(raw.get('bfd', True)), 'peers': list(raw.get('peers') or []), 'vips': {}, 'sessions': {}}
    routes = raw.get('routes') if view['reachable'] else None
    for vip in vips:
        route = None
        if routes is not None:
            route = routes.get(vip) or routes.get('%s/32' % vip)
        if route is None:
            view['vips'][vip] = {'nexthops': None}
        else:
            view['vips'][vip] = {'nexthops': sorted(h.get('gateway') or h.get('dev') or '?'
                                                    for h in route.get('nexthops') or [])}
    readers = {'ospf': frr.ospf_neighbors, 'bgp': frr.bgp_peers, 'bfd': frr.bfd_peers}
    wanted = [view['protocol']] + (['bfd'] if view['bfd'] else [])
    for proto in wanted:
        text = raw.get('bfd_peers' if proto == 'bfd' else proto) if view['reachable'] else None
        if text is None:
            view['sessions'][proto] = None
            continue
        try:
            view['sessions'][proto] = readers[proto](text)
        except frr.FrrError as exc:
            view['errors'].append(str(exc))
            view['sessions'][proto] = None
    return view


def _director_name(directors, address):
    """The director a router's nexthop names: by its address, else by any address of its interfaces."""
    for view in directors.values():
        if view.get('address') == address:
            return view['host']
    for view in directors.values():
        if address in (view.get('addresses') or ()):
            return view['host']
    return address


def _service_agreement(key, service, directors):
    """Agreement of the IPVS tables of the directors on one configured service."""
    configured = [_hostport(rs['address'], rs['port']) for rs in service['real_servers']]
    expected = lvs_model.fresh_kernel_order(configured)
    tables, orders, missing = {}, {}, []
    for host, view in sorted(directors.items()):
        if view['ipvs'] is None:
            continue
        found = view['ipvs'].get(key)
        if found is None:
            missing.append(host)
            continue
        tables[host] = sorted(found['order'])
        orders[host] = found['order']
    sensitive = service['scheduler'] in lvs_model.ORDER_SENSITIVE_SCHEDULERS
    tables_agree = len(set(tuple(t) for t in tables.values())) <= 1 and not missing
    orders_agree = len(set(tuple(o) for o in orders.values())) <= 1
    drifted = sorted(host for host, view in directors.items()
                     if any(d['name'] == service['name'] and d['vip'] == service['vip'] for d in view['order_drift']))
    return {'name': service['name'], 'scheduler': service['scheduler'], 'order_sensitive': sensitive,
            'configured': sorted(configured), 'expected_order': expected, 'orders': orders,
            'missing_on': missing, 'tables_agree': tables_agree,
            'orders_agree': orders_agree or not sensitive, 'drift_on': drifted}


def _vip_report(vip, services, directors, routers):
    problems, notes = [], []
    rows = {}
    announcing = []
    keys = [lvs_model.service_key(s) for s in services]
    for host, view in sorted(directors.items()):
        entry = view['vips'].get(vip)
        if entry is None:
            continue
        health = {}
        if view['ipvs'] is not None:
            for key in keys:
                found = view['ipvs'].get(key)
                health[key] = None if found is None else dict(
                    (rs, (w or 0) > 0) for rs, w in sorted(found['weights'].items()))
        rows[host] = {'address': view['address'], 'announced': entry['announced'], 'state': entry['state'],
                      'reason': entry['reason'], 'services': entry['services'], 'real_servers': health,
                      'conn_sync': view['conn_sync'], 'reachable': view['reachable']}
        if entry['announced']:
            announcing.append(host)
        if not view['reachable']:
            problems.append('%s unreachable' % host)
        elif entry['state'] == 'drained':
            notes.append('%s drained' % host)
        elif not entry['announced']:
            problems.append('%s not announcing (%s: %s)' % (host, entry['state'], entry['reason']))
        for key, servers in sorted(health.items()):
            if servers is None:
                problems.append('%s: %s not in IPVS' % (host, key))
                continue
            down = sorted(rs for rs, ok in servers.items() if not ok)
            if down:
                problems.append('%s: %s real server(s) down: %s' % (host, key, ', '.join(down)))
    router_rows = {}
    routed = []
    read_routers = 0
    for host, view in sorted(routers.items()):
        hops = (view['vips'].get(vip) or {}).get('nexthops')
        router_rows[host] = {'reachable': view['reachable'], 'nexthops': hops,
                             'directors': None if hops is None else [_director_name(directors, h) for h in hops]}
        if hops is None:
            problems.append('%s: route to %s not read%s' % (host, vip, '' if view['reachable'] else ' (unreachable)'))
            continue
        read_routers += 1
        if hops:
            routed.append(host)
        via = set(router_rows[host]['directors'])
        lacking = sorted(set(announcing) - via)
        extra = sorted(via - set(announcing))
        if lacking:
            problems.append('%s: no nexthop via announcing %s' % (host, ', '.join(lacking)))
        if extra:
            problems.append('%s: nexthop via %s, which does not announce' % (host, ', '.join(extra)))
    service_rows = {}
    for service, key in zip(services, keys):
        agree = _service_agreement(key, service, directors)
        service_rows[key] = agree
        if not agree['tables_agree']:
            problems.append('%s: IPVS tables differ across directors%s' % (
                key, ' (missing on %s)' % ', '.join(agree['missing_on']) if agree['missing_on'] else ''))
        if not agree['orders_agree']:
            problems.append('%s: real-server order differs across directors (%s)' % (key, '; '.join(
                '%s: %s' % (h, ' '.join(o)) for h, o in sorted(agree['orders'].items()))))
        if agree['drift_on']:
            problems.append('%s: real-server order differs from a fresh start on %s (expected %s)' % (
                key, ', '.join(agree['drift_on']), ' '.join(agree['expected_order'])))
    if not announcing and rows:
        verdict = 'down'
        problems.insert(0, 'announced by no director')
    elif read_routers and not routed:
        verdict = 'down'
        problems.insert(0, 'routed by no router')
    else:
        verdict = 'degraded' if problems else 'ok'
    return {'vip': vip, 'verdict': verdict, 'problems': problems, 'notes': notes, 'announced_by': announcing,
            'routed_by': routed, 'directors': rows, 'routers': router_rows, 'services': service_rows}


def _fleet_problems(directors, routers):
    problems = []
    addresses = dict((v['address'], h) for h, v in directors.items() if v.get('address'))
    for host, view in sorted(directors.items()):
        for error in view['errors']:
            problems.append('%s: %s' % (host, error))
        if view['reachable'] and view['conn_sync'] not in ('ok', 'off'):
            problems.append('%s: IPVS connection sync %s (ipvsadm -L --daemon: %s)' % (
                host, view['conn_sync'], ', '.join(view['sync_daemons'] or []) or 'none'))
    for host, view in sorted(routers.items()):
        for error in view['errors']:
            problems.append('%s: %s' % (host, error))
        if not view['reachable']:
            problems.append('%s unreachable' % host)
            continue
        for proto, sessions in sorted(view['sessions'].items()):
            if sessions is None:
                problems.append('%s: %s sessions not read' % (host, proto.upper()))
                continue
            for peer in view['peers']:
                if not (sessions.get(peer) or {}).get('up'):
                    problems.append('%s: %s session with %s %s' % (
                        host, proto.upper(), addresses.get(peer, peer),
                        (sessions.get(peer) or {}).get('state') or 'absent'))
    return problems


def aggregate(directors, routers, services):
    """The fleet report: {'verdict', 'summary', 'problems' (fleet-wide), 'vips': {vip: report}, 'directors',
    'routers'}. `directors` / `routers`: lists of raw inputs; `services`: normalised services."""
    if not isinstance(services, list):
        raise StatusError('services must be the list of lvs_services | ecmp.lvs.lvs_services(hostvars)')
    dviews = dict((raw['host'], director_view(raw, services)) for raw in directors or [])
    vips = _all_vips(services)
    rviews = dict((raw['host'], router_view(raw, vips)) for raw in routers or [])
    report = {'vips': {}, 'directors': dviews, 'routers': rviews}
    for vip in vips:
        report['vips'][vip] = _vip_report(vip, _services_of(vip, services), dviews, rviews)
    report['problems'] = _fleet_problems(dviews, rviews)
    verdict = _worst([v['verdict'] for v in report['vips'].values()])
    if verdict == 'ok' and report['problems']:
        verdict = 'degraded'
    report['verdict'] = verdict
    counts = dict((name, sum(1 for v in report['vips'].values() if v['verdict'] == name)) for name in VERDICTS)
    report['summary'] = '%s: %d VIP(s): %d ok, %d degraded, %d down; %d director(s), %d router(s)%s' % (
        verdict.upper(), len(vips), counts['ok'], counts['degraded'], counts['down'], len(dviews), len(rviews),
        '; %d fleet problem(s)' % len(report['problems']) if report['problems'] else '')
    return report


def combine(reports):
    """The report of several load-balancer clusters (``[(name, report of aggregate())]``, name: the director
    group): the report itself for one cluster; else ``{'verdict' (the worst), 'summary', 'problems' (every problem
    of every cluster, prefixed ``cluster NAME:``), 'vips': {}, 'directors': {}, 'routers': {}, 'clusters': {name:
    report}}``."""
    reports = list(reports or [])
    if len(reports) == 1:
        return reports[0][1]
    problems = []
    for name, report in reports:
        for vip, rep in sorted(report['vips'].items()):
            problems.extend('cluster %s: VIP %s: %s' % (name, vip, p) for p in rep['problems'])
        problems.extend('cluster %s: %s' % (name, p) for p in report['problems'])
    verdict = _worst([report['verdict'] for _name, report in reports])
    return {'verdict': verdict, 'problems': problems, 'vips': {}, 'directors': {}, 'routers': {},
            'clusters': dict(reports),
            'summary': '%s: %d cluster(s): %s' % (verdict.upper(), len(reports),
                                                  '; '.join('%s %s' % (name, report['verdict'].upper())
                                                            for name, report in reports))}


# ---------------------------------------------------------------------------------------------------------------
# the table of playbooks/status.yml

def _columns(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return ['  ' + '  '.join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def _short_rs(health):
    if health is None:
        return 'not in IPVS'
    return ' '.join('%s %s' % (rs, 'up' if ok else 'DOWN') for rs, ok in sorted(health.items())) or 'none'


def table(report):
    """Text lines: one table per VIP, the fleet problems, the verdict line last (per cluster when the report
    has several, :func:`combine`)."""
    if 'clusters' in report:
        lines = []
        for name, sub_report in sorted(report['clusters'].items()):
            lines.append('=== cluster %s' % name)
            lines.extend(table(sub_report))
            lines.append('')
        lines.append(report['summary'])
        return lines
    lines = []
    for vip, rep in sorted(report['vips'].items()):
        lines.append('VIP %s: %s' % (vip, rep['verdict'].upper()))
        if rep['routers']:
            rows = [('router', 'nexthops')]
            for host, row in sorted(rep['routers'].items()):
                rows.append((host, 'not read' if row['nexthops'] is None else
                             ', '.join(row['directors']) if row['nexthops'] else 'NO ROUTE'))
            lines.extend(_columns(rows))
        keys = sorted(rep['services'])
        rows = [('director', 'announced', 'state', 'reason', 'conn sync')
                + tuple('real servers %s' % k for k in keys)]
        for host, row in sorted(rep['directors'].items()):
            announced = {True: 'yes', False: 'no', None: '?'}[row['announced']]
            rows.append((host, announced, row['state'], row['reason'][:60], row['conn_sync'])
                        + tuple(_short_rs((row['real_servers'] or {}).get(k)) if row['real_servers'] else '?'
                                for k in keys))
        lines.extend(_columns(rows))
        rows = [('service', 'scheduler', 'IPVS tables', 'real-server order')]
        for key in keys:
            svc = rep['services'][key]
            order = 'agree' if svc['orders_agree'] and not svc['drift_on'] else 'DIFFER'
            if not svc['order_sensitive']:
                order = 'n/a (%s)' % svc['scheduler']
            order += ' (expected %s)' % ' '.join(svc['expected_order'])
            rows.append((key, svc['scheduler'], 'agree' if svc['tables_agree'] else 'DIFFER', order))
        lines.extend(_columns(rows))
        for problem in rep['problems']:
            lines.append('  ! %s' % problem)
        for note in rep['notes']:
            lines.append('  - %s' % note)
        lines.append('')
    for problem in report['problems']:
        lines.append('! %s' % problem)
    lines.append(report['summary'])
    return lines


# ---------------------------------------------------------------------------------------------------------------
# Prometheus text format (node_exporter's textfile collector)

def _escape(value):
    return str(value).replace('\\', '\\\\').replace('\n', '\\n').replace('"', '\\"')


class Metrics(object):
    """Collects samples, renders them grouped by metric with HELP and TYPE (every metric here is a gauge)."""

    def __init__(self):
        self.help = {}
        self.samples = {}

    def add(self, name, helptext, value, **labels):
        self.help.setdefault(name, helptext)
        self.samples.setdefault(name, []).append((labels, value))

    def declare(self, name, helptext):
        self.help.setdefault(name, helptext)
        self.samples.setdefault(name, [])

    def render(self):
        out = []
        for name in sorted(self.samples):
            out.append('# HELP %s %s' % (name, _escape(self.help[name]).replace('\\"', '"')))
            out.append('# TYPE %s gauge' % name)
            seen = set()
            for labels, value in self.samples[name]:
                ident = tuple(sorted(labels.items()))
                if ident in seen:
                    continue
                seen.add(ident)
                text = ','.join('%s="%s"' % (k, _escape(v)) for k, v in sorted(labels.items()))
                out.append('%s%s %s' % (name, '{%s}' % text if text else '', _number(value)))
        return '\n'.join(out) + '\n'


def _number(value):
    if value is True or value is False:
        return '1' if value else '0'
    if isinstance(value, float):
        return repr(value)
    return str(int(value))


def director_metrics(view, min_directors=None, now=None):
    """Prometheus text of one director's view (director_view)."""
    m = Metrics()
    m.add('ecmp_lvs_metrics_source_up', 'Whether the writer could read this source (1) or not (0).',
          view['announce_running'] is not None, source='announce')
    m.add('ecmp_lvs_metrics_source_up', 'Whether the writer could read this source (1) or not (0).',
          view['ipvs'] is not None, source='ipvs')
    m.add('ecmp_lvs_metrics_source_up', 'Whether the writer could read this source (1) or not (0).',
          view['sync_daemons'] is not None, source='sync_daemon')
    if now is not None:
        m.add('ecmp_lvs_metrics_last_run_timestamp_seconds', 'When ecmp-lvs-metrics wrote this file (Unix time).',
              float(now))
    if view['announce_running'] is not None:
        m.add('ecmp_lvs_announce_running', 'ecmp-lvs-announce.service runs (its status file is current).',
              view['announce_running'])
        m.add('ecmp_lvs_drained', 'The director is drained (/var/lib/ecmp-lvs/drained).', bool(view['drained']))
    if view['keepalived_running'] is not None:
        m.add('ecmp_lvs_keepalived_running', 'keepalived runs (as seen by ecmp-lvs-announce).',
              view['keepalived_running'])
    for vip, entry in sorted(view['vips'].items()):
        if entry['announced'] is not None:
            m.add('ecmp_lvs_vip_announced', 'The VIP address is on lo, so FRR announces it (1) or not (0).',
                  entry['announced'], vip=vip)
        for state in sorted(STATES):
            m.add('ecmp_lvs_vip_state', 'The announce state of the VIP: 1 for the current reason, 0 for the others.',
                  state == entry['state'], vip=vip, reason=state)
        if min_directors is not None:
            m.add('ecmp_lvs_vip_min_directors', 'Fewest directors that should announce the VIP '
                  '(director_metrics_min_directors).', int(min_directors), vip=vip)
        for key, svc in sorted(entry['services'].items()):
            m.add('ecmp_lvs_service_quorum_up', 'The health-gated service has quorum (1), is in hold-down or '
                  'without quorum (0).', svc['status'] == 'up', vip=vip, service=key)
            m.add('ecmp_lvs_service_quorum_status', 'Quorum status of the service: 1 for the current status.',
                  1, vip=vip, service=key, status=svc['status'] or 'unknown')
    if view['ipvs'] is not None:
        # (firewall-mark services have no vip:port key and no per-VIP metrics here)
        drifted = set(service_key(d['protocol'], d['vip'], d['port']) for d in view['order_drift']
                      if d['port'] is not None)
        m.declare('ecmp_lvs_real_server_healthy', 'The real server has a weight above 0 in IPVS (keepalived '
                  'inhibit_on_failure sets 0 when its check fails).')
        for key, svc in sorted(view['ipvs'].items()):
            if svc['vip'] not in view['vips']:
                continue
            m.add('ecmp_lvs_ipvs_service_present', 'The service is in the IPVS table.', 1, vip=svc['vip'],
                  service=key)
            m.add('ecmp_lvs_real_server_order_drift', 'The kernel order of the real servers differs from the '
                  'order a fresh keepalived start gives (dh/sh/mh).', key in drifted, vip=svc['vip'], service=key)
            for rs, weight in sorted(svc['weights'].items()):
                m.add('ecmp_lvs_real_server_healthy', '', (weight or 0) > 0, vip=svc['vip'], service=key,
                      real_server=rs)
                m.add('ecmp_lvs_real_server_weight', 'IPVS weight of the real server.', weight or 0,
                      vip=svc['vip'], service=key, real_server=rs)
    if view['sync_daemons'] is not None and view['conn_sync_expected']:
        for state in ('master', 'backup'):
            m.add('ecmp_lvs_sync_daemon_running', 'The IPVS connection sync daemon runs (director_conn_sync).',
                  state in view['sync_daemons'], state=state)
    return m.render()


def router_metrics(view, now=None):
    """Prometheus text of one router's view (router_view)."""
    m = Metrics()
    routes_read = all(v['nexthops'] is not None for v in view['vips'].values())
    m.add('ecmp_lvs_metrics_source_up', 'Whether the writer could read this source (1) or not (0).', routes_read,
          source='routes')
    for proto, sessions in sorted(view['sessions'].items()):
        m.add('ecmp_lvs_metrics_source_up', '', sessions is not None, source=proto)
    if now is not None:
        m.add('ecmp_lvs_metrics_last_run_timestamp_seconds', 'When ecmp-lvs-metrics wrote this file (Unix time).',
              float(now))
    for vip, entry in sorted(view['vips'].items()):
        if entry['nexthops'] is None:
            continue
        m.add('ecmp_lvs_router_vip_nexthops', 'Kernel nexthops of the route to the VIP (one per announcing '
              'director).', len(entry['nexthops']), vip=vip)
        for gateway in entry['nexthops']:
            m.add('ecmp_lvs_router_vip_nexthop', 'A kernel nexthop of the route to the VIP.', 1, vip=vip,
                  gateway=gateway)
    for proto, sessions in sorted(view['sessions'].items()):
        if sessions is None:
            continue
        peers = sorted(set(view['peers']) | set(sessions))
        for peer in peers:
            m.add('ecmp_lvs_router_session_up', 'The routing session with the neighbour is up (OSPF Full, BGP '
                  'Established, BFD up); every director is listed.', (sessions.get(peer) or {}).get('up', False),
                  protocol=proto, neighbor=peer, director=str(peer in view['peers']).lower())
        m.add('ecmp_lvs_router_sessions_up', 'Routing sessions up per protocol.',
              sum(1 for s in sessions.values() if s['up']), protocol=proto)
        m.add('ecmp_lvs_router_sessions_expected', 'Directors the router should have a session with.',
              len(view['peers']), protocol=proto)
    return m.render()
