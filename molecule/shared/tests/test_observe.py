# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""See the load balancer (issue 19) on a converged lab: playbooks/status.yml, the Prometheus textfile of
ecmp-lvs-metrics and a Prometheus server on the lab's client (tests/lab/prometheus.yml: it scrapes every router and
director every 2 s, with the collection's alert rules) show a drained director, a lost quorum and a halted director
within seconds.

The metrics are turned on for these tests with the roles' own switch (site.yml -e director_metrics_enabled=true
-e router_metrics_enabled=true) and turned off again at the end (the roles remove the writer and its file).
The halted-director check needs the UML backend (its kernel stops dead); the rest runs on both backends where the
kernel has IPVS (UML)."""

import json
import os

import pytest

from conftest import STATE_DIR, normalised_services, retry
from test_lab import _lab_tool, _routed_to, _run_lab_playbook, _vips

PROM = '/var/lib/prometheus/node-exporter/ecmp_lvs.prom'
METRICS_ON = ['-e', 'director_metrics_enabled=true', '-e', 'router_metrics_enabled=true',
              '-e', 'director_metrics_interval=2', '-e', 'router_metrics_interval=2']


def _status(lab, *args):
    """playbooks/status.yml -e lvs_status_json=...: (result of the lab tool, the JSON report)."""
    path = os.path.join(os.path.dirname(STATE_DIR), 'evidence', os.path.basename(STATE_DIR), 'status.json')
    if os.path.exists(path):
        os.unlink(path)
    res = _run_lab_playbook('playbooks/status.yml', '-e', 'lvs_status_json=%s' % path, *args, check=False)
    assert os.path.exists(path), res.stdout[-4000:] + res.stderr[-2000:]
    with open(path, encoding='utf-8') as fd:
        return res, json.load(fd)


def _metrics(host):
    """{(name, frozenset(labels)): value} of the textfile on `host`."""
    text = host.check_output('cat %s' % PROM)
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        head, value = line.rsplit(' ', 1)
        name, _brace, labels = head.partition('{')
        pairs = frozenset(tuple(p.split('=', 1)) for p in labels.rstrip('}').replace('"', '').split(',') if p)
        samples[(name, pairs)] = float(value)
    return samples


def _metric(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def _prometheus(lab, query):
    """{frozenset(labels): value} of an instant `query` to Prometheus on the lab's first client."""
    client = lab.host(lab.groups['clients'][0])
    data = json.loads(client.check_output('curl -sfG --max-time 5 http://127.0.0.1:9090/api/v1/query '
                                          '--data-urlencode %s', 'query=' + query))
    assert data['status'] == 'success', data
    return {frozenset(r['metric'].items()): float(r['value'][1]) for r in data['data']['result']}


def _prometheus_by(lab, query, label):
    """{value of `label`: value} of an instant `query` (one series per value of `label`)."""
    return {dict(labels).get(label): value for labels, value in _prometheus(lab, query).items()}


def _alerts(lab, name):
    """{instance or vip: alertstate} of the alert `name` in Prometheus (pending or firing)."""
    return {dict(labels).get('instance', dict(labels).get('vip')): dict(labels)['alertstate']
            for labels in _prometheus(lab, 'ALERTS{alertname="%s"}' % name)}


@pytest.fixture(scope='module', name='metrics_on')
def metrics_on_fixture(lab):
    """The lab inventory turns the metrics on (director_metrics_enabled, router_metrics_enabled)."""
    if lab.backend != 'uml':
        pytest.skip('IPVS, keepalived quorum and a halt need the UML backend')
    for name in lab.groups['directors'] + lab.groups['routers']:
        if not lab.hostvars[name].get('director_metrics_enabled', lab.hostvars[name].get('router_metrics_enabled')):
            pytest.fail('%s: the lab inventory must turn the metrics on for these tests' % name)
        retry(lambda n=name: lab.host(n).run_expect([0], 'test -s %s' % PROM), timeout=30)
    _run_lab_playbook('tests/lab/prometheus.yml')


def test_status_and_metrics_of_a_healthy_lab(lab, metrics_on):  # pylint: disable=unused-argument
    res, report = _status(lab)
    assert res.returncode == 0, res.stdout[-4000:]
    assert report['verdict'] == 'ok', report['vips']
    for vip in _vips(lab):
        rep = report['vips'][vip]
        assert sorted(rep['announced_by']) == sorted(lab.groups['directors'])
        for router in lab.groups['routers']:
            assert sorted(rep['routers'][router]['directors']) == sorted(lab.groups['directors'])
        assert all(s['tables_agree'] and s['orders_agree'] for s in rep['services'].values()), rep['services']
    assert 'VIP %s: OK' % _vips(lab)[0] in res.stdout
    for name in lab.groups['directors']:
        def check(name=name):
            samples = _metrics(lab.host(name))
            for vip in _vips(lab):
                assert _metric(samples, 'ecmp_lvs_vip_announced', vip=vip) == 1, samples
                assert _metric(samples, 'ecmp_lvs_vip_state', vip=vip, reason='healthy') == 1
            assert _metric(samples, 'ecmp_lvs_drained') == 0
            assert _metric(samples, 'ecmp_lvs_sync_daemon_running', state='master') == 1
        retry(check, timeout=30)
    for name in lab.groups['routers']:
        def check_router(name=name):
            samples = _metrics(lab.host(name))
            for vip in _vips(lab):
                assert _metric(samples, 'ecmp_lvs_router_vip_nexthops', vip=vip) == len(lab.groups['directors'])
        retry(check_router, timeout=30)

    def check_prometheus():
        every = sorted(lab.groups['directors'] + lab.groups['routers'])
        assert _prometheus_by(lab, 'up', 'instance') == dict.fromkeys(every, 1.0)
        want = dict.fromkeys(_vips(lab), float(len(lab.groups['directors'])))
        assert _prometheus_by(lab, 'sum by (vip) (ecmp_lvs_vip_announced)', 'vip') == want
        assert _prometheus_by(lab, 'min by (vip) (ecmp_lvs_router_vip_nexthops)', 'vip') == want
        assert not _prometheus(lab, 'ALERTS{alertstate="firing"}')
    retry(check_prometheus, timeout=30)


@pytest.mark.long   # ~100 s: test_drain_playbook drains in the default scenario; this reads the drain in the metrics
def test_drained_director_shows_in_status_and_metrics(lab, metrics_on):  # pylint: disable=unused-argument
    name = lab.groups['directors'][0]
    router = lab.host(lab.groups['routers'][0])
    vips = _vips(lab)
    try:
        _run_lab_playbook('playbooks/drain.yml', '-l', name)
        retry(_routed_to(lab, router, vips, lab.address(name), False), timeout=10)
        res, report = _status(lab)
        assert res.returncode == 0, res.stdout[-4000:]      # drained is a note, not a problem
        for vip in vips:
            row = report['vips'][vip]['directors'][name]
            assert row['state'] == 'drained' and row['announced'] is False, row
            assert '%s drained' % name in report['vips'][vip]['notes']
            assert name not in report['vips'][vip]['routers'][lab.groups['routers'][0]]['directors']

        def check():
            samples = _metrics(lab.host(name))
            assert _metric(samples, 'ecmp_lvs_drained') == 1
            for vip in vips:
                assert _metric(samples, 'ecmp_lvs_vip_announced', vip=vip) == 0
                assert _metric(samples, 'ecmp_lvs_vip_state', vip=vip, reason='drained') == 1
            router_samples = _metrics(router)
            for vip in vips:
                assert _metric(router_samples, 'ecmp_lvs_router_vip_nexthops', vip=vip) == \
                    len(lab.groups['directors']) - 1
            assert _prometheus_by(lab, 'ecmp_lvs_drained', 'instance')[name] == 1
            want = dict.fromkeys(vips, float(len(lab.groups['directors']) - 1))
            assert _prometheus_by(lab, 'sum by (vip) (ecmp_lvs_vip_announced)', 'vip') == want
            assert _prometheus_by(lab, 'min by (vip) (ecmp_lvs_router_vip_nexthops)', 'vip') == want
            assert name in _alerts(lab, 'EcmpLvsDirectorDrainedLong')
            assert name not in _alerts(lab, 'EcmpLvsDirectorWithdrawn')   # drained is not "withdrawn"
        retry(check, timeout=20)
    finally:
        _run_lab_playbook('playbooks/drain.yml', '-l', name, '-e', 'lvs_drain=false')
    retry(_routed_to(lab, router, vips, lab.address(name), True), timeout=30)


def test_lost_quorum_shows_in_status_and_metrics(lab, metrics_on):  # pylint: disable=unused-argument
    """Every real server of director1 fails its check: a tc flower filter on that director's fabric interface drops
    its TCP packets to the real servers (the checks time out). Not nftables: the lab's UML kernel has no ip/inet
    family. Not a `prohibit` route: keepalived takes the EACCES of connect() for a local error ("socket bind
    failed. Rescheduling") and keeps the real server up (measured). The VIPs that must go are those gated by a
    service with a TCP-based check (_tcp_gated_vips): a VIP of only a DNS (UDP) check or of a service with a sorry
    server stays announced."""
    name = lab.groups['directors'][0]
    host = lab.host(name)
    router = lab.host(lab.groups['routers'][0])
    vips = _tcp_gated_vips(lab)
    assert vips, 'no VIP of the lab is gated by a TCP-based health check'
    # both families: the IPv6 service checks its real servers at their lvs_address6
    rs_addresses = [lab.address(rs) for rs in lab.groups['realservers']]
    rs_addresses += [lab.hostvars[rs]['lvs_address6'] for rs in lab.groups['realservers']
                     if lab.hostvars[rs].get('lvs_address6')]
    dev = json.loads(host.check_output('ip -j route get %s' % rs_addresses[0]))[0]['dev']
    try:
        host.run('tc qdisc add dev %s clsact' % dev)  # present already when ecmp-lvs-quiet runs
        for index, address in enumerate(rs_addresses):
            host.run_expect([0], 'tc filter add dev %s egress pref %d protocol %s flower ip_proto tcp dst_ip %s '
                                 'action drop' % (dev, 100 + index, 'ipv6' if ':' in address else 'ip', address))
        retry(_routed_to(lab, router, vips, lab.address(name), False), timeout=30)
        res, report = _status(lab)
        assert res.returncode != 0, res.stdout[-4000:]
        for vip in vips:
            row = report['vips'][vip]['directors'][name]
            assert row['state'] == 'quorum_lost', row
            assert report['vips'][vip]['verdict'] == 'degraded'

        def check():
            samples = _metrics(host)
            for vip in vips:
                assert _metric(samples, 'ecmp_lvs_vip_state', vip=vip, reason='quorum_lost') == 1
            assert [k for k, v in samples.items() if k[0] == 'ecmp_lvs_real_server_healthy' and v == 0]
            lost = _prometheus_by(lab, 'ecmp_lvs_vip_state{instance="%s", reason="quorum_lost"} == 1' % name, 'vip')
            assert sorted(lost) == sorted(vips), lost
            assert _prometheus(lab, 'ecmp_lvs_real_server_healthy{instance="%s"} == 0' % name)
            assert name in _alerts(lab, 'EcmpLvsDirectorWithdrawn')
            assert name in _alerts(lab, 'EcmpLvsRealServerDown')
        retry(check, timeout=20)
    finally:
        for index in range(len(rs_addresses)):
            host.run('tc filter del dev %s egress pref %d' % (dev, 100 + index))
    retry(_routed_to(lab, router, vips, lab.address(name), True), timeout=60)


# the checks that connect over TCP (a tc filter dropping TCP to the real servers fails them)
TCP_CHECKS = ('http_get', 'ssl_get', 'tcp')


def _tcp_gated_vips(lab):
    """The VIPs withdrawn when every TCP connection to the real servers fails: those of a service that gates its
    VIPs (no sorry server, checked) and has a TCP-based checker (all of a real server's checkers must pass)."""
    vips = set()
    for service in normalised_services(lab):
        checks = service.get('health_checks') or [service['health_check']]
        if service.get('sorry_server') is None and any(hc['type'] in TCP_CHECKS for hc in checks):
            vips.update(service.get('vips') or [service['vip']])
    return sorted(vips)


@pytest.mark.long
def test_halted_director_shows_in_status_and_metrics(lab, metrics_on):  # pylint: disable=unused-argument
    name = lab.groups['directors'][0]
    router_name = lab.groups['routers'][0]
    router = lab.host(router_name)
    vips = _vips(lab)
    try:
        _lab_tool('halt', name)
        retry(_routed_to(lab, router, vips, lab.address(name), False), timeout=15)
        res, report = _status(lab)
        assert res.returncode != 0, res.stdout[-4000:]
        assert report['directors'][name]['reachable'] is False
        for vip in vips:
            rep = report['vips'][vip]
            assert rep['verdict'] == 'degraded' and '%s unreachable' % name in rep['problems'], rep
            assert rep['directors'][name]['state'] == 'unknown'
            assert name not in rep['routers'][router_name]['directors']
        assert [p for p in report['problems'] if p.startswith('%s: ' % router_name) and name in p], report['problems']

        def check():
            samples = _metrics(router)
            for vip in vips:
                assert _metric(samples, 'ecmp_lvs_router_vip_nexthops', vip=vip) == len(lab.groups['directors']) - 1
            down = [k for k, v in samples.items() if k[0] == 'ecmp_lvs_router_session_up' and v == 0
                    and ('neighbor', lab.address(name)) in k[1]]
            assert down, samples
            assert _prometheus_by(lab, 'up', 'instance')[name] == 0
            want = dict.fromkeys(vips, float(len(lab.groups['directors']) - 1))
            assert _prometheus_by(lab, 'min by (vip) (ecmp_lvs_router_vip_nexthops)', 'vip') == want
            assert router_name in _alerts(lab, 'EcmpLvsRoutingSessionDown')
        retry(check, timeout=15)
    finally:
        _lab_tool('start', name)
        lab.reconnect(name)
    retry(_routed_to(lab, router, vips, lab.address(name), True), timeout=180)


@pytest.mark.long
def test_metrics_turned_off_remove_the_writer_and_its_file(lab, metrics_on):  # pylint: disable=unused-argument
    """router_metrics_enabled=false removes the timer, the program and the textfile (no stale numbers); on again
    after. One router only: the directors' path is the same task file shape (see the role)."""
    name = lab.groups['routers'][0]
    try:
        _run_lab_playbook('playbooks/site.yml', '-l', name, '-e', 'router_metrics_enabled=false')
        host = lab.host(name)
        assert not host.file(PROM).exists, '%s: %s left after the metrics were turned off' % (name, PROM)
        assert not host.file('/usr/local/sbin/ecmp-lvs-metrics').exists
        assert host.run('systemctl is-active ecmp-lvs-metrics.timer').stdout.strip() != 'active'
    finally:
        _run_lab_playbook('playbooks/site.yml', '-l', name)
    retry(lambda: lab.host(name).run_expect([0], 'test -s %s' % PROM), timeout=30)
