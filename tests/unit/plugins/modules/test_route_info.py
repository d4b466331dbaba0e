# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp.lvs.route_info main(), with `ip` replaced by the real output captured in tests/fixtures/iproute."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.module_utils import basic
from ansible_collections.ecmp.lvs.plugins.modules import route_info
from ansible_collections.ecmp.lvs.tests.unit.plugins.modules.utils import Exit, Fail, run_module

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'fixtures', 'iproute')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


CAPTURED = {
    ('-j', '-4', 'route', 'show', 'table', 'main'): (0, 'route4_main.json', None),
    ('-j', '-6', 'route', 'show', 'table', 'main'): (0, 'route6_main.json', None),
    ('-j', '-4', 'route', 'show', 'table', '100'): (0, 'route4_table100.json', None),
    ('-j', 'nexthop', 'show'): (0, 'nexthop.json', None),
    ('-j', '-4', 'route', 'show', 'table', 'nosuchtable'): (255, None, 'error_unknown_table.stderr'),
}


def run(monkeypatch, args, responses_override=None):
    responses = dict(CAPTURED)
    responses.update(responses_override or {})
    calls = []

    def run_command(self, argv, **kwargs):
        calls.append(tuple(argv[1:]))
        rc, out, err = responses[tuple(argv[1:])]
        return rc, fixture(out) if out else '', fixture(err) if err and err.endswith('.stderr') else (err or '')

    monkeypatch.setattr(basic.AnsibleModule, 'run_command', run_command)
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, *a, **k: '/usr/bin/ip')
    kind, result = run_module(monkeypatch, route_info, args)
    return kind, result, calls


def test_ipv4_and_ipv6_lookup(monkeypatch):
    kind, result, calls = run(monkeypatch, {'prefixes': ['10.99.100.10', '2001:db8:100::10/128', '10.99.100.99']})
    assert kind is Exit
    assert result['changed'] is False
    assert result['table'] == 'main'
    assert set(calls) == {('-j', '-4', 'route', 'show', 'table', 'main'),
                          ('-j', '-6', 'route', 'show', 'table', 'main'), ('-j', 'nexthop', 'show')}
    routes = result['routes']
    assert routes['10.99.100.10']['nexthop_count'] == 2
    assert routes['2001:db8:100::10/128']['nexthop_count'] == 2
    assert routes['10.99.100.99']['present'] is False
    assert [g['id'] for g in result['nexthop_groups']] == [10, 11, 20]
    assert result['nexthop_objects_supported'] is True


def test_only_the_needed_family_is_read(monkeypatch):
    kind, result, calls = run(monkeypatch, {'prefixes': ['10.99.100.60'], 'table': '100'})
    assert kind is Exit
    assert ('-j', '-6', 'route', 'show', 'table', '100') not in calls
    assert result['routes']['10.99.100.60']['nexthop_count'] == 2


def test_kernel_without_nexthop_objects_is_tolerated(monkeypatch):
    unsupported = {('-j', 'nexthop', 'show'): (255, None, 'Object "nexthop" is unknown, try "ip help".\n')}
    kind, result, dummy = run(monkeypatch, {'prefixes': ['10.99.100.10']}, unsupported)
    assert kind is Exit
    assert result['nexthop_objects_supported'] is False
    assert result['nexthop_groups'] == []
    assert result['routes']['10.99.100.10']['nexthop_count'] == 2
    assert result['warnings'] == []


def test_unexpected_nexthop_error_warns(monkeypatch):
    broken = {('-j', 'nexthop', 'show'): (1, None, 'something else broke\n')}
    kind, result, dummy = run(monkeypatch, {'prefixes': ['10.99.100.10']}, broken)
    assert kind is Exit
    assert result['nexthop_objects_supported'] is False
    assert any('something else broke' in w for w in result['warnings'])


def test_unknown_table_fails_with_ip_message(monkeypatch):
    kind, result, dummy = run(monkeypatch, {'prefixes': ['10.99.100.10'], 'table': 'nosuchtable'})
    assert kind is Fail
    assert 'table id value is invalid' in result['msg']


def test_bad_prefix_fails_before_running_ip(monkeypatch):
    kind, result, calls = run(monkeypatch, {'prefixes': ['10.99.100.10/24']})
    assert kind is Fail
    assert '10.99.100.10/24' in result['msg']
    assert calls == []
