# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A returning director holds the sync entries of the busy connections before it is routed to (issue 17).

keepalived's stop removes the IPVS services and with them the director's own connection entries
(expire_nodest_conn); a flow that mh-fallback had sent to another real server during an outage is then reset when
ECMP brings it back, unless a peer sent its entry again meanwhile. The kernel's default sends an entry again only
every 50th packet; the role sets net.ipv4.vs.sync_refresh_period (director_conn_sync_refresh_period) with a sync
period of 0, and ecmp-lvs-announce holds a returning director back at least that long. The expressions are
evaluated here by Ansible's own templating, the sysctl values compared as ecmp.lvs.sysctl_state compares them; the
lab test (molecule/shared/tests/test_lab.py, test_keepalived_restart_keeps_fallback_flows) proves the effect.
"""
import os

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.ecmp.lvs.plugins.module_utils import sysctl

try:  # ansible-core >= 2.19: only trusted strings are templates
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover - older ansible-core trusts every string
    def trust_as_template(value):
        return value

ROLE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
                    'roles', 'director')


def _load(*parts):
    with open(os.path.join(ROLE, *parts), encoding='utf-8') as handle:
        return {k: trust_as_template(v) if isinstance(v, str) else v for k, v in yaml.safe_load(handle).items()}


def evaluate(name, **overrides):
    """The role's internal variable `name` (vars/main.yml) with its defaults and `overrides`."""
    variables = _load('defaults', 'main.yml')
    variables.update(_load('vars', 'main.yml'))
    variables.update(overrides)
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template('{{ %s }}' % name))


def test_default_resends_every_busy_entry_within_three_seconds():
    assert evaluate('__director_conn_sync_sysctls') == {'net.ipv4.vs.sync_refresh_period': 3,
                                                        'net.ipv4.vs.sync_threshold': '3 0'}


@pytest.mark.parametrize('period, threshold', [(10, '3 0'), (0, '3 50')])
def test_refresh_period_sets_both_sysctls(period, threshold):
    # 0 puts the kernel's defaults back (a sync period of 0 without a refresh period would sync an entry only once)
    assert evaluate('__director_conn_sync_sysctls', director_conn_sync_refresh_period=period) == {
        'net.ipv4.vs.sync_refresh_period': period, 'net.ipv4.vs.sync_threshold': threshold}


@pytest.mark.parametrize('overrides', [{'director_conn_sync': False}, {'director_require_ipvs': False}])
def test_no_sync_sysctls_without_sync(overrides):
    assert evaluate('__director_conn_sync_sysctls', **overrides) == {}


@pytest.mark.parametrize('holddown, period, sync, want', [
    (5, 3, True, 5.0),     # the defaults: the hold-down already covers the refresh period
    (2, 3, True, 3.0),     # a shorter hold-down is raised to the refresh period
    (5, 30, True, 30.0),
    (2, 30, False, 2.0),   # without sync nothing to wait for
])
def test_announce_holddown_covers_the_refresh_period(holddown, period, sync, want):
    assert evaluate('__director_announce_holddown', director_announce_holddown=holddown,
                    director_conn_sync_refresh_period=period, director_conn_sync=sync) == want


def test_the_sysctls_are_part_of_what_the_role_sets():
    variables = yaml.safe_load(open(os.path.join(ROLE, 'vars', 'main.yml'), encoding='utf-8'))
    assert '__director_conn_sync_sysctls' in variables['__director_sysctls']
    # announce.json carries the effective hold-down, not the raw default
    with open(os.path.join(ROLE, 'templates', 'announce.json.j2'), encoding='utf-8') as handle:
        template = handle.read()
    assert "'holddown': __director_announce_holddown" in template


def test_threshold_value_matches_the_kernels_way_of_printing_it():
    # /proc/sys/net/ipv4/vs/sync_threshold reads "3\t0": ecmp.lvs.sysctl_state must see no change
    assert sysctl.values_equal('3\t0', '3 0')
    assert not sysctl.values_equal('3\t50', '3 0')
