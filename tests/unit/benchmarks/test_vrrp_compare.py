# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/vrrp.md (ecmp.lvs beside the keepalived VRRP pair) is generated from docs/vrrp.json by
benchmarks/vrrp_compare.py: never typed."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BENCH = os.path.join(ROOT, 'benchmarks')
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)

import vrrp_compare  # noqa: E402  pylint: disable=wrong-import-position,import-error


def _event(name, survived, stall, resets, new_failed, window, route=None):
    return {'event': name, 'route': {'converged_s': route, 'transitions': []},
            'connections': {'established': 200, 'survived': survived, 'resets': resets,
                            'failures': {'stall': stall} if stall else {}, 'max_request_latency_s': 4.04,
                            'by': {'x': {}}},
            'new_connections': {'attempts': 250, 'failed': new_failed, 'error_window_s': window},
            'snapshot': 'dropped'}


def _run():
    ours = [_event('director_halt', 200, 0, 0, 0, 0.0, 0.67), _event('director_drain', 200, 0, 0, 0, 0.0, 0.5)]
    vrrp = [_event('director_halt', 0, 200, 0, 51, 2.5)]
    return {'benchmark': 'b', 'timestamp': '20261203-184806', 'lab': {'inventory': 'inventories/lab'},
            'params': {'conns': 200, 'interval': 1.0, 'new_rate': 20.0, 'stall_s': 2.0},
            'definitions': {'survived': 'S', 'error_window_s': 'E', 'other': 'O'},
            'configs': {'defaults-bfd300': {'events': ours}, 'vrrp': {'events': vrrp}},
            'ratios_vrrp_of': ['defaults-bfd300', 'vrrp'],
            'ratios_vrrp': {'director_halt': {'survived_pct': float('inf'), 'new_connection_error_window_s': 0.0}}}


def test_page_compares_the_events_both_ran():
    data = vrrp_compare.trim(_run())
    assert 'by' not in data['configs']['vrrp']['events'][0]['connections']
    assert 'snapshot' not in data['configs']['vrrp']['events'][0]
    json.dumps(data, allow_nan=False)  # no Infinity in the published file
    page = vrrp_compare.markdown(data)
    assert '| director_halt | defaults-bfd300 | 200/200 | 0 | 0 | 4.04 s | 0/250 | 0 s | 0.67 s |' in page
    assert '| director_halt | vrrp (VRRP pair) | 0/200 | 0 | 200 | 4.04 s | 51/250 | 2.5 s | - |' in page
    assert '| director_halt | only ecmp.lvs > 0 | 0 |' in page
    assert 'director_drain' not in page  # the VRRP pair has no drain: not compared
    assert 'One run (2026-12-03 18:48)' in page and 'not a median' in page
    assert '**error_window_s**: E; **survived**: S' in page and 'O' not in page.split('Definitions:')[1]


def test_a_run_without_the_vrrp_pair_is_refused():
    run = _run()
    del run['ratios_vrrp']
    with pytest.raises(SystemExit):
        vrrp_compare.trim(run)


def test_published_page_matches_the_published_json():
    """docs/vrrp.md is vrrp_compare.markdown of docs/vrrp.json - or neither exists yet."""
    if not os.path.exists(vrrp_compare.JSON_PATH):
        assert not os.path.exists(vrrp_compare.PAGE_PATH)
        return
    with open(vrrp_compare.JSON_PATH, encoding='utf-8') as fd:
        data = json.load(fd)
    with open(vrrp_compare.PAGE_PATH, encoding='utf-8') as fd:
        assert fd.read() == vrrp_compare.markdown(data), 'docs/vrrp.md is out of date: benchmarks/vrrp_compare.py --publish'
