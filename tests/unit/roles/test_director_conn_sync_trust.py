# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IPVS connection sync stays on the fabric (issue 12 section 5).

The kernel's sync messages are unauthenticated: whoever can send to the sync group on the sync interface's
segment can inject connection entries. The role keeps both daemons on the fabric interface (the one holding
lvs_address) and on a link-local group, checks after every run that they really use that interface, and its
README says what the sync trusts.
"""
import ipaddress
import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLE = os.path.join(ROOT, 'roles', 'director')


def _read(*parts):
    with open(os.path.join(ROLE, *parts), encoding='utf-8') as fd:
        return fd.read()


def test_sync_daemons_default_to_the_fabric_interface_of_lvs_address():
    defaults = yaml.safe_load(_read('defaults', 'main.yml'))
    variables = yaml.safe_load(_read('vars', 'main.yml'))
    assert defaults['director_conn_sync_interface'] == '{{ director_fabric_interface }}'
    assert defaults['director_fabric_interface'] == \
        '{{ ansible_facts | ecmp.lvs.interface_for_address(__director_address) }}'
    assert variables['__director_address'].startswith('{{ lvs_address ')
    # link-local group: routers never forward it, the messages stay on the segment
    group = ipaddress.ip_address(defaults['director_conn_sync_mcast_group'])
    assert group in ipaddress.ip_network('224.0.0.0/24')


def test_both_daemons_are_bound_to_that_interface():
    variables = yaml.safe_load(_read('vars', 'main.yml'))
    assert '--mcast-interface {{ director_conn_sync_interface }}' in variables['__director_conn_sync_args']
    unit = _read('templates', 'ecmp-lvs-conn-sync.service.j2')
    starts = re.findall(r'^ExecStart=.*--start-daemon (master|backup) \{\{ __director_conn_sync_args \}\}$', unit, re.M)
    assert sorted(starts) == ['backup', 'master']
    assert len(re.findall(r'^ExecStart=', unit, re.M)) == 2
    # and every run checks the running daemons use it
    wait = _read('tasks', 'wait.yml')
    assert "selectattr('mcast_interface', 'equalto', director_conn_sync_interface)" in wait


def test_readme_says_what_sync_trusts():
    readme = _read('README.md')
    assert '### What IPVS connection sync trusts' in readme
    section = readme.split('### What IPVS connection sync trusts', 1)[1].split('\n### ', 1)[0]
    for fact in ('no authentication', 'inject connection entries', 'fabric', 'director_conn_sync_interface',
                 'director_conn_sync: false'):
        assert fact in section, fact
