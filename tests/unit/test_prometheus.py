# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Metrics and alert rules of ecmp.lvs with promtool (Debian package `prometheus`, installed by `make deps`):

* files/prometheus/ecmp-lvs.rules.yml passes `promtool check rules` and its unit test
  tests/unit/prometheus/ecmp-lvs.rules.test.yml (`promtool test rules`: input series, expected alerts);
* the text ecmp-lvs-metrics writes (module_utils/lvs_metrics.py, on the captured ipvsadm / FRR / route output and
  the announce program's own status JSON) passes `promtool check metrics` and parses back under the text format
  rules with the values the facts give; failures write ecmp_lvs_metrics_error or remove the file.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.ecmp.lvs.plugins.module_utils import lvs_metrics

from plugins.module_utils.test_lvs_status import (SERVICES, VIP, D1, D2, announce_status, fixture)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
RULES = os.path.join(ROOT, 'files', 'prometheus', 'ecmp-lvs.rules.yml')
RULES_TEST = os.path.join(ROOT, 'tests', 'unit', 'prometheus', 'ecmp-lvs.rules.test.yml')


def promtool(*args, stdin=None):
    if not shutil.which('promtool'):
        pytest.fail('promtool is missing: `make deps` installs the Debian package prometheus')
    return subprocess.run(['promtool'] + list(args), input=stdin, capture_output=True, text=True, check=False)


def test_rules_pass_promtool_check():
    res = promtool('check', 'rules', RULES)
    assert res.returncode == 0, res.stdout + res.stderr
    assert 'SUCCESS: 13 rules found' in res.stdout


def test_rules_unit_tests():
    res = promtool('test', 'rules', RULES_TEST)
    assert res.returncode == 0, res.stdout + res.stderr


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_text(text):
    """Prometheus text format -> {(name, ((label, value), ...)): float}; asserts the format rules on the way:
    HELP and TYPE once per metric before its samples, samples of a metric together, label names valid and
    unique, values floats, no duplicate series, a final newline."""
    assert text.endswith('\n')
    samples, typed, done, current = {}, {}, set(), None
    for line in text.splitlines():
        if line.startswith('# HELP ') or line.startswith('# TYPE '):
            name = line.split()[2]
            assert name not in done, 'metric %s split' % name
            if line.startswith('# TYPE '):
                assert name not in typed
                typed[name] = line.split()[3]
            if current and current != name:
                done.add(current)
            current = name
            continue
        match = SAMPLE.match(line)
        assert match, line
        name, labels = match.group(1), ()
        assert name == current and name in typed, line
        if match.group(3):
            pairs = LABEL.findall(match.group(3))
            assert ''.join('%s="%s"%s' % p for p in pairs) == match.group(3), line
            labels = tuple((k, v) for k, v, _end in pairs)
            assert len(set(k for k, _value in labels)) == len(labels), line
        key = (name, labels)
        assert key not in samples, 'duplicate series %s' % line
        samples[key] = float(match.group(4))
    return samples


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


class Runner:
    """Answers the commands of lvs_metrics with captured output (None: the command failed)."""

    def __init__(self, outputs):
        self.outputs = outputs
        self.calls = []

    def __call__(self, argv, timeout=None, ok=(0,)):  # pylint: disable=unused-argument
        self.calls.append(argv)
        for prefix, out in self.outputs.items():
            if ' '.join(argv).endswith(prefix):
                return out
        raise AssertionError('unexpected command %s' % argv)


DIRECTOR_CONFIG = {'role': 'director', 'host': 'director2', 'address': D2, 'vips': [VIP], 'services': SERVICES,
                   'conn_sync': True, 'min_directors': 2}
ROUTER_CONFIG = {'role': 'router', 'host': 'router1', 'vips': [VIP], 'protocol': 'ospf', 'bfd': True,
                 'peers': [D1, D2]}


def director_runner(**over):
    outputs = {'status': announce_status(), 'ipvsadm -L -n --nosort': fixture('ipvsadm', 'keepalived-reload-Ln-nosort.txt'),
               'ipvsadm -L --daemon': fixture('ipvsadm', 'daemon-both.txt')}
    outputs.update(over)
    return Runner(outputs)


def router_runner(route='router-route-vip-one.json', **over):
    outputs = {'ip -j -4 route show table main': fixture('frr', route), 'ip -j nexthop show': '[]',
               "show ip ospf neighbor json": fixture('frr', 'router-ospf-neighbor-one-gone.json'),
               "show bfd peers json": fixture('frr', 'router-bfd-peers-one-down.json')}
    outputs.update(over)
    return Runner(outputs)


def test_director_metrics_pass_promtool_and_parse_back():
    text = lvs_metrics.render(DIRECTOR_CONFIG, director_runner(), now=1700000000.25)
    res = promtool('check', 'metrics', stdin=text)
    assert res.returncode == 0, res.stdout + res.stderr
    samples = parse_text(text)
    assert value(samples, 'ecmp_lvs_vip_announced', vip=VIP) == 1
    assert value(samples, 'ecmp_lvs_vip_state', vip=VIP, reason='healthy') == 1
    assert value(samples, 'ecmp_lvs_vip_state', vip=VIP, reason='drained') == 0
    assert value(samples, 'ecmp_lvs_drained') == 0 and value(samples, 'ecmp_lvs_keepalived_running') == 1
    assert value(samples, 'ecmp_lvs_service_quorum_up', vip=VIP, service='tcp:10.99.100.10:80') == 1
    # the reload capture: .20 was added at the head, a fresh start gives it last
    assert value(samples, 'ecmp_lvs_real_server_order_drift', vip=VIP, service='tcp:10.99.100.10:80') == 1
    assert value(samples, 'ecmp_lvs_real_server_healthy', vip=VIP, service='tcp:10.99.100.10:80',
                 real_server='10.99.0.20:80') == 1
    assert value(samples, 'ecmp_lvs_sync_daemon_running', state='backup') == 1
    assert value(samples, 'ecmp_lvs_vip_min_directors', vip=VIP) == 2
    assert value(samples, 'ecmp_lvs_metrics_last_run_timestamp_seconds') == 1700000000.25
    assert all(name.startswith('ecmp_lvs_') for name, _labels in samples)


@pytest.mark.parametrize('kwargs,reason', [({'drained': True}, 'drained'), ({'quorum': 'down'}, 'quorum_lost'),
                                           ({'keepalived': False}, 'keepalived_down'),
                                           ({'service_running': False}, 'announce_down')])
def test_director_metrics_reason(kwargs, reason):
    text = lvs_metrics.render(DIRECTOR_CONFIG, director_runner(status=announce_status(**kwargs)), now=1.0)
    samples = parse_text(text)
    assert value(samples, 'ecmp_lvs_vip_announced', vip=VIP) == 0
    assert value(samples, 'ecmp_lvs_vip_state', vip=VIP, reason=reason) == 1
    assert sum(v for (n, _labels), v in samples.items() if n == 'ecmp_lvs_vip_state') == 1
    assert value(samples, 'ecmp_lvs_drained') == (1 if reason == 'drained' else 0)


def test_director_metrics_when_commands_fail():
    """ipvsadm broken, the announce command missing: those metrics are left out, source_up says so."""
    text = lvs_metrics.render(DIRECTOR_CONFIG, director_runner(**{'status': None, 'ipvsadm -L -n --nosort': None,
                                                                  'ipvsadm -L --daemon': None}), now=1.0)
    samples = parse_text(text)
    assert value(samples, 'ecmp_lvs_metrics_source_up', source='announce') == 0
    assert value(samples, 'ecmp_lvs_metrics_source_up', source='ipvs') == 0
    assert value(samples, 'ecmp_lvs_vip_state', vip=VIP, reason='unknown') == 1
    dropped = ('ecmp_lvs_vip_announced', 'ecmp_lvs_real_server_healthy', 'ecmp_lvs_sync_daemon_running',
               'ecmp_lvs_drained')
    assert not [n for n, _labels in samples if n in dropped]


def test_router_metrics_pass_promtool_and_parse_back():
    text = lvs_metrics.render(ROUTER_CONFIG, router_runner(), now=5.0)
    res = promtool('check', 'metrics', stdin=text)
    assert res.returncode == 0, res.stdout + res.stderr
    samples = parse_text(text)
    assert value(samples, 'ecmp_lvs_router_vip_nexthops', vip=VIP) == 1
    assert value(samples, 'ecmp_lvs_router_vip_nexthop', vip=VIP, gateway=D1) == 1
    assert value(samples, 'ecmp_lvs_router_session_up', protocol='ospf', neighbor=D2, director='true') == 0
    assert value(samples, 'ecmp_lvs_router_session_up', protocol='bfd', neighbor=D1, director='true') == 1
    assert value(samples, 'ecmp_lvs_router_sessions_up', protocol='ospf') == 1
    assert value(samples, 'ecmp_lvs_router_sessions_expected', protocol='bfd') == 2
    two = parse_text(lvs_metrics.render(ROUTER_CONFIG, router_runner(route='router-route-vip-two.json'), now=5.0))
    assert value(two, 'ecmp_lvs_router_vip_nexthops', vip=VIP) == 2
    none = parse_text(lvs_metrics.render(ROUTER_CONFIG, router_runner(route='router-route-vip-none.json'), now=5.0))
    assert value(none, 'ecmp_lvs_router_vip_nexthops', vip=VIP) == 0


def test_router_metrics_of_an_ipv6_vip():
    """An IPv6 VIP's route is read with `ip -j -6` (`ip route show` lists one family; real capture of the lab's
    router: two nexthops, the directors' link-local addresses); an IPv4-only router never runs it."""
    vip6 = '2001:db8:100::10'
    config = dict(ROUTER_CONFIG, vips=[VIP, vip6])
    runner = router_runner(route='router-route-vip-two.json', **{
        'ip -j -6 route show table main': fixture('frr', 'router-route-vip6-two.json')})
    samples = parse_text(lvs_metrics.render(config, runner, now=5.0))
    assert value(samples, 'ecmp_lvs_router_vip_nexthops', vip=vip6) == 2
    assert value(samples, 'ecmp_lvs_router_vip_nexthop', vip=vip6, gateway='fe80::ec:ff:fe02:101') == 1
    assert value(samples, 'ecmp_lvs_router_vip_nexthops', vip=VIP) == 2
    ipv4_only = router_runner()
    lvs_metrics.render(ROUTER_CONFIG, ipv4_only, now=5.0)
    assert not [argv for argv in ipv4_only.calls if '-6' in argv]


def test_router_bgp_metrics():
    config = dict(ROUTER_CONFIG, protocol='bgp', bfd=False)
    runner = router_runner(route='router-route-vip-two-bgp.json', **{
        'show bgp ipv4 unicast summary json': fixture('frr', 'router-bgp-summary-one-down.json')})
    samples = parse_text(lvs_metrics.render(config, runner, now=5.0))
    assert value(samples, 'ecmp_lvs_router_session_up', protocol='bgp', neighbor=D2, director='true') == 0
    assert not [argv for argv in runner.calls if 'bfd' in ' '.join(argv) or 'ospf' in ' '.join(argv)]


def test_main_writes_atomically(tmp_path):
    out = tmp_path / 'ecmp_lvs.prom'
    conf = tmp_path / 'metrics.json'
    conf.write_text(json.dumps(dict(DIRECTOR_CONFIG, output=str(out))))
    assert lvs_metrics.main([str(conf)], runner=director_runner()) == 0
    assert oct(out.stat().st_mode & 0o777) == '0o644'
    assert sorted(os.listdir(str(tmp_path))) == ['ecmp_lvs.prom', 'metrics.json']   # no temporary file left
    assert parse_text(out.read_text())


def test_main_failure_writes_the_error_metric_only(tmp_path):
    out = tmp_path / 'ecmp_lvs.prom'
    out.write_text('ecmp_lvs_vip_announced{vip="10.99.100.10"} 1\n')   # the previous, now stale, file
    conf = tmp_path / 'metrics.json'
    conf.write_text(json.dumps(dict(DIRECTOR_CONFIG, output=str(out), vips=5)))
    assert lvs_metrics.main([str(conf)], runner=director_runner()) == 1
    samples = parse_text(out.read_text())
    assert [n for n, _labels in samples] == ['ecmp_lvs_metrics_error', 'ecmp_lvs_metrics_last_run_timestamp_seconds']
    assert promtool('check', 'metrics', stdin=out.read_text()).returncode == 0


def test_main_removes_the_file_it_cannot_replace(tmp_path):
    """The directory is not writable for a new file (simulated: the output path is a directory's child that cannot
    be created): the old file goes, so node_exporter serves nothing rather than stale numbers."""
    out = tmp_path / 'ecmp_lvs.prom'
    out.write_text('stale 1\n')
    conf = tmp_path / 'metrics.json'
    conf.write_text(json.dumps(dict(DIRECTOR_CONFIG, output=str(out))))

    def broken_write(path, text):
        raise OSError('No space left on device')
    original = lvs_metrics.fileio.write_atomic
    lvs_metrics.fileio.write_atomic = broken_write
    try:
        assert lvs_metrics.main([str(conf)], runner=director_runner()) == 1
    finally:
        lvs_metrics.fileio.write_atomic = original
    assert not out.exists()
