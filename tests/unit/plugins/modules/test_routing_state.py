# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp.lvs.routing_state main(), with vtysh replaced by the real FRR 8.4.4 output in tests/fixtures/frr."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

import pytest

from ansible.module_utils import basic
from ansible_collections.ecmp.lvs.plugins.modules import routing_state
from ansible_collections.ecmp.lvs.tests.unit.plugins.modules.utils import Exit, Fail, run_module

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'fixtures', 'frr')
D1, D2, ROUTER = '10.99.0.11', '10.99.0.12', '10.99.0.1'


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def answer(name):
    """(rc, stdout, stderr) of vtysh: a .json fixture, or a .txt with vtysh's message and '# exit status N'."""
    text = fixture(name)
    if name.endswith('.txt'):
        rc = int(re.search(r'# exit status (\d+)', text).group(1))
        return rc, '\n'.join(line for line in text.splitlines() if not line.startswith('#')), ''
    return 0, text, ''


def run(monkeypatch, args, answers):
    """answers: {vtysh command: [fixture, ...]} (one per call, the last one repeated)."""
    calls = []

    def run_command(self, argv, **kwargs):
        command = argv[2]
        calls.append(command)
        names = answers[command]
        return answer(names[min(calls.count(command), len(names)) - 1])

    monkeypatch.setattr(basic.AnsibleModule, 'run_command', run_command)
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, *a, **k: '/usr/bin/vtysh')
    monkeypatch.setattr(routing_state.time, 'sleep', lambda seconds: None)
    kind, result = run_module(monkeypatch, routing_state, args)
    return kind, result, calls


OSPF_NBR = 'show ip ospf neighbor json'
BGP_SUM = 'show bgp ipv4 unicast summary json'
BFD = 'show bfd peers json'


def test_every_director_full(monkeypatch):
    kind, result, calls = run(monkeypatch, {'protocol': 'ospf', 'peers': [D1, D2]},
                              {OSPF_NBR: ['router-ospf-neighbor-full.json']})
    assert kind is Exit and result['changed'] is False
    assert result['differences'] == []
    assert sorted(result['sessions']['ospf']) == [D1, D2]
    assert calls == [OSPF_NBR]


def test_a_wait_that_times_out_says_what_differs(monkeypatch):
    kind, result, _calls = run(monkeypatch, {'protocol': 'ospf', 'peers': [D1, D2], 'timeout': 0},
                               {OSPF_NBR: ['router-ospf-neighbor-one-gone.json']})
    assert kind is Fail
    assert result['msg'].startswith('after ') and 'no session with %s (want Full)' % D2 in result['msg']
    assert result['differences'] == ['ospf: no session with %s (want Full)' % D2]


def test_waits_until_the_session_comes_up(monkeypatch):
    kind, result, calls = run(monkeypatch, {'protocol': 'bgp', 'peers': [D1, D2], 'timeout': 10, 'interval': 1},
                              {BGP_SUM: ['director-bgp-summary-no-bgpd.txt', 'router-bgp-summary-one-down.json',
                                         'router-bgp-summary-established.json']})
    assert kind is Exit, result
    assert calls == [BGP_SUM] * 3
    assert all(entry['up'] for entry in result['sessions']['bgp'].values())


def test_a_daemon_that_does_not_run_is_a_difference(monkeypatch):
    kind, result, _calls = run(monkeypatch, {'protocol': 'bgp', 'peers': [ROUTER]},
                               {BGP_SUM: ['director-bgp-summary-no-bgpd.txt']})
    assert kind is Fail
    assert "'show bgp ipv4 unicast summary json': bgpd is not running" in result['msg']


def test_bgp_state_named(monkeypatch):
    kind, result, _calls = run(monkeypatch, {'protocol': 'bgp', 'peers': [D1, D2]},
                               {BGP_SUM: ['router-bgp-summary-one-down.json']})
    assert kind is Fail
    assert result['differences'] == ['bgp: %s is Idle (want Established)' % D2]


def test_bfd_too(monkeypatch):
    kind, result, _calls = run(monkeypatch, {'protocol': 'ospf', 'peers': [D1, D2], 'bfd': True},
                               {OSPF_NBR: ['router-ospf-neighbor-full.json'], BFD: ['router-bfd-peers-one-down.json']})
    assert kind is Fail
    assert result['differences'] == ['bfd: no session with %s (want up)' % D2]


@pytest.mark.parametrize('name, ok', [('director-ospf-interface.json', True),
                                      ('director-ospf-interface-unknown.json', False),
                                      ('director-ospf-interface-no-ospfd.txt', False)])
def test_ospf_on_the_fabric_interface_and_one_router(monkeypatch, name, ok):
    kind, result, _calls = run(monkeypatch, {'protocol': 'ospf', 'ospf_interface': 'eth1', 'min_up': 1},
                               {OSPF_NBR: ['director-ospf-neighbor-full.json'],
                                'show ip ospf interface eth1 json': [name]})
    assert (kind is Exit) is ok, result
    if ok:
        assert result['ospf_interface'] == {'enabled': True, 'state': 'DROther', 'area': '0.0.0.0'}
    else:
        assert 'eth1' in result['msg'] or 'ospfd is not running' in result['msg']


def test_min_up_counts_any_neighbour(monkeypatch):
    kind, result, _calls = run(monkeypatch, {'protocol': 'ospf', 'min_up': 3},
                               {OSPF_NBR: ['router-ospf-neighbor-full.json']})
    assert kind is Fail
    assert result['differences'] == ['ospf: 2 session(s) Full (%s, %s), want at least 3' % (D1, D2)]
