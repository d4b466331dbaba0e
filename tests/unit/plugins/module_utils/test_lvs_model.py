# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/lvs_model.py (stdlib part of the service model).

What keepalived makes of keepalived_virtual_servers is tested through the director role's real template:
tests/unit/roles/test_keepalived_template.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.ecmp.lvs.plugins.module_utils import lvs_model as m
from ansible_collections.ecmp.lvs.plugins.plugin_utils import lvs_net


def raises(func, *args, **kwargs):
    with pytest.raises(m.LvsModelError) as exc:
        func(*args, **kwargs)
    return str(exc.value)


@pytest.mark.parametrize('value, expected', [(80, 80), ('80', 80), (' 8080 ', 8080), ('-3', -3), (0, 0)])
def test_to_int(value, expected):
    assert m.to_int('f', value) == expected


@pytest.mark.parametrize('value', [True, 1.0, '1.0', '', '--1', '1-', None, [1], '0x10'])
def test_to_int_rejects(value):
    assert raises(m.to_int, 'x.y', value).startswith('x.y: ')


def test_to_int_range_messages():
    assert raises(m.to_int, 'f', 5, 10, 20) == 'f: 5 is out of range 10..20'
    assert raises(m.to_int, 'f', -1, 0) == 'f: -1 is out of range (minimum 0)'
    assert raises(m.to_int, 'f', '99', 100, 599) == "f: '99' is out of range 100..599"


@pytest.mark.parametrize('value, expected', [(2, 2), (0.5, 0.5), ('1.5', 1.5), ('3', 3), (2.0, 2)])
def test_to_timer(value, expected):
    result = m.to_timer('f', value)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize('value', ['inf', '-1', 0, True, None, 'x'])
def test_to_timer_rejects(value):
    assert raises(m.to_timer, 'f', value).startswith('f: ')


def test_to_timer_zero_when_allowed():
    assert m.to_timer('f', 0, allow_zero=True) == 0


def test_every_ipvs_scheduler_is_accepted():
    for scheduler in ('rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'):
        assert m.normalise_scheduler('s', scheduler.upper(), None)[0] == scheduler


def test_scheduler_flags():
    assert m.normalise_scheduler('s', 'mh', None) == ('mh', ['mh-fallback', 'mh-port'])
    assert m.normalise_scheduler('s', 'sh', None) == ('sh', [])
    assert m.normalise_scheduler('s', 'sh', 'sh-port sh-fallback') == ('sh', ['sh-fallback', 'sh-port'])
    assert raises(m.normalise_scheduler, 's', 'mh', ['flag-2']) == \
        "s.scheduler_flags[0]: 'flag-2' is not valid; valid flags for mh: mh-fallback, mh-port"
    message = raises(m.normalise_scheduler, 's', 'wlc', ['flag-3'])
    assert message.endswith('scheduler wlc takes no flags (only sh and mh do)')


def test_health_check_defaults():
    assert m.normalise_health_check('hc', None) == dict(m.HEALTH_CHECK_DEFAULTS)
    assert m.normalise_health_check('hc', {'type': 'HTTP_GET', 'path': None})['type'] == 'http_get'


def test_default_service_name():
    assert m.default_service_name('10.0.0.1', 80, 'tcp') == '10.0.0.1:80/tcp'
    assert m.default_service_name('2001:db8::1', 53, 'udp') == '[2001:db8::1]:53/udp'


def test_fmt_value():
    assert [m.fmt_value(v) for v in (5, 'x', None, True, [1])] == ['5', "'x'", 'None', 'True', '[1]']


def _one(health_check):
    return lvs_net.lvs_services([{'name': 'web', 'vip': '10.99.100.10', 'port': 80,
                                  'real_servers': [{'address': '10.99.0.21'}], 'health_check': health_check}])


@pytest.mark.parametrize('health_check,want', [
    ({}, 2 + 2 * 2 + 1 * 1 + 2),                       # tcp with the defaults: 9 s
    ({'type': 'none'}, 0),                              # nothing can fail: no wait
    ({'type': 'http_get', 'delay_loop': 10, 'connect_timeout': 3, 'retry': 2, 'delay_before_retry': 2},
     10 + 3 * 3 + 2 * 2 + 2),
    ({'connect_timeout': 0.5, 'retry': 0, 'delay_loop': 1.2}, 2 + 2),   # 1.7 rounded up
])
def test_health_settle_seconds(health_check, want):
    assert m.health_settle_seconds(_one(health_check)) == want


def test_health_settle_seconds_is_the_longest_service():
    services = _one({}) + _one({'delay_loop': 30})
    assert m.health_settle_seconds(services) == 30 + 4 + 1 + 2
    with pytest.raises(m.LvsModelError, match='normalised'):
        m.health_settle_seconds([{'vip': '10.99.100.10'}])


# -- drain_check: which VIPs a drain leaves without an announcing director (playbooks/drain.yml) --

def _st(announced, drained=False, intent=None):
    return {'announced': announced, 'drained': drained, 'drain_intent_age': intent}


V1, V2 = '10.99.100.10', '10.99.100.11'


def test_drain_check_one_of_two():
    states = {'d1': _st([V1, V2]), 'd2': _st([V1, V2])}
    res = m.drain_check(states, ['d1'])
    assert res['orphaned'] == [] and res['kept'] == [V1, V2] and res['leaving_vips'] == [V1, V2]
    assert m.drain_check(states, ['d1', 'd2'])['orphaned'] == [V1, V2]


def test_drain_check_counts_a_drain_in_progress_as_gone():
    """Two drains started at once: each wrote its intent before reading the other's state."""
    states = {'d1': _st([V1], intent=0.4), 'd2': _st([V1], intent=1.2)}
    for leaving, other in (('d1', 'd2'), ('d2', 'd1')):
        res = m.drain_check(states, [leaving])
        assert res['orphaned'] == [V1] and res['draining'] == [other]


def test_drain_check_drained_unreadable_stale():
    states = {
        'd1': _st([V1, V2]),
        'd2': _st([], drained=True),
        'd3': {'error': 'ecmp-lvs-announce.service is not running', 'drained': False},
        'd4': {},
        'd5': _st([V2], intent=m.DRAIN_INTENT_MAX_AGE + 1),   # a run that died long ago: ignored
    }
    res = m.drain_check(states, ['d1'])
    assert res['orphaned'] == [V1] and res['kept'] == [V2]
    assert res['drained'] == ['d2'] and res['unreadable'] == ['d3', 'd4'] and res['stale_intents'] == ['d5']
    assert res['draining'] == []
    assert m.drain_check(states, ['d1'], max_intent_age=10 ** 6)['orphaned'] == [V1, V2]


@pytest.mark.parametrize('intent', [True, 'x', -1, float('nan')])
def test_drain_check_odd_intent_ages_do_not_count(intent):
    states = {'d1': _st([V1]), 'd2': _st([V1], intent=intent)}
    assert m.drain_check(states, ['d1'])['orphaned'] == []


def test_drain_check_rejects_bad_input():
    assert 'states' in raises(m.drain_check, [], ['d1'])
    assert 'leaving' in raises(m.drain_check, {}, 'd1')


# -- the data shaping of the director's drain entry point (roles/director/tasks/drain.yml) --

def _loop(*items):
    """The registered results of `ecmp-lvs-announce status` looped over the directors."""
    return [dict(item=name, rc=0, **({'stdout': out} if out is not None else {'unreachable': True}))
            for name, out in items]


def test_drain_states_one_dict_per_director():
    status = {'announced': [V1], 'drained': False, 'drain_file': '/var/lib/ecmp-lvs/drained'}
    states = m.drain_states(_loop(('d1', json.dumps(status)), ('d2', ''), ('d3', None), ('d4', 'Traceback: oops')))
    assert states['d1'] == status and states['d2'] == {} and states['d3'] == {}
    assert states['d4'] == {'error': "ecmp-lvs-announce status printed no JSON: 'Traceback: oops'"}
    # what the entry point feeds drain_check: unreadable directors announce nothing
    assert m.drain_check(states, ['d1'])['unreadable'] == ['d2', 'd3', 'd4']
    assert m.drain_check(states, ['d1'])['orphaned'] == [V1]


def test_drain_states_rejects_what_is_no_loop():
    assert 'results list' in raises(m.drain_states, {'results': []})
    assert 'no item' in raises(m.drain_states, [{'stdout': '{}'}])


def test_drain_refusal_message():
    """The exact text playbooks/drain.yml printed before the entry point (the lab tests look for parts of it)."""
    check = m.drain_check({'d1': _st([V1]), 'd2': _st([V1], intent=3)}, ['d1'])
    assert m.drain_refusal(check, ['d1']) == (
        'Draining d1 would leave 10.99.100.10 without any announcing director (announced elsewhere: nothing; '
        'drained: none; drain in progress: d2; unreadable: none). Drain fewer directors (-l), wait for the other '
        'drain, fix the others, or force with -e lvs_drain_force=true.')
    check = {'orphaned': [V1, V2], 'kept': ['10.0.0.1'], 'drained': ['d3'], 'draining': [], 'unreadable': ['d4', 'd5']}
    assert m.drain_refusal(check, ['d1', 'd2']).startswith(
        'Draining d1, d2 would leave 10.99.100.10, 10.99.100.11 without any announcing director (announced '
        'elsewhere: 10.0.0.1; drained: d3; drain in progress: none; unreadable: d4, d5). ')
    assert 'verdict' in raises(m.drain_refusal, [], ['d1'])
    assert 'leaving' in raises(m.drain_refusal, check, 'd1')


def test_drain_report_drain_undrain_check_mode():
    idle = {'vips': [V1, V2], 'withdrawn_after': 0.5, 'idle_after': 3, 'packets_after_withdrawal': 12, 'waited': 8.25,
            'active_connections': 0, 'inactive_connections': 7}
    assert m.drain_report({'stdout': json.dumps(idle)}, 'd1') == (
        'd1 drained: VIPs 10.99.100.10, 10.99.100.11 withdrawn after 0.5 s, no IPVS packet since 3 s (12 packets '
        'after the withdrawal), waited 8.25 s; 0 active / 7 inactive IPVS connection entries left (they expire by '
        'themselves).')
    assert m.drain_report({'stdout': ''}, 'd1') == (
        'd1 drained: VIPs  withdrawn after ? s, no IPVS packet since ? s (? packets after the withdrawal), waited ? '
        's; ? active / ? inactive IPVS connection entries left (they expire by themselves).')
    back = {'announced': [V1], 'waited': 4.1}
    assert m.drain_report({'stdout': json.dumps(back)}, 'd1', drain=False) == 'd1 undrained: 10.99.100.10 announced after 4.1 s.'
    assert m.drain_report({}, 'd1', drain=False) == 'd1 undrained:  announced after ? s.'
    skipped = {'skipped': True, 'changed': False}
    assert m.drain_report(skipped, 'd1', True, True) == 'd1: check mode, would be drained'
    assert m.drain_report(skipped, 'd1', False, True) == 'd1: check mode, would be undrained'
    assert 'wait-idle printed no JSON' in raises(m.drain_report, {'stdout': 'oops'}, 'd1')
