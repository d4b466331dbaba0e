# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The production-shaped example inventory authenticates its routing (issue 12 section 5).

The real servers share the fabric with the directors and the ToRs: without OSPF MD5 (or BGP TCP-MD5) any host
there can originate a VIP /32 and pull the VIP's traffic. The example therefore turns authentication on, reads
the key from a vault variable, ships that variable only in a file named and marked as an unencrypted example,
and still validates as shipped, OSPF and BGP, with the key on every router and director.
"""

import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
EXAMPLE = os.path.join(ROOT, 'inventories', 'example')
VALIDATE = os.path.join(ROOT, 'tests', 'negative', 'validate.yml')
PLAYBOOK_BIN = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')


def _yaml(*parts):
    with open(os.path.join(EXAMPLE, *parts), encoding='utf-8') as fd:
        return yaml.safe_load(fd)


@pytest.mark.parametrize('where,variable', [
    (('group_vars', 'all'), 'lvs_ospf_auth_key'),
    (('bgp', 'group_vars', 'all'), 'lvs_bgp_password'),
])
def test_example_secret_comes_from_a_vault_variable(where, variable):
    files = {name: _yaml(*(where + (name,))) for name in os.listdir(os.path.join(EXAMPLE, *where))}
    setting = [data[variable] for data in files.values() if variable in data]
    assert setting == ['{{ vault_%s }}' % variable], 'the example must set %s from vault_%s' % (variable, variable)
    # the vault variable is defined only in the marked, unencrypted example file
    holders = [name for name, data in files.items() if 'vault_' + variable in data]
    assert holders == ['vault.example.yml'], holders
    with open(os.path.join(EXAMPLE, *(where + ('vault.example.yml',))), encoding='utf-8') as fd:
        text = fd.read()
    assert 'EXAMPLE ONLY' in text and 'NOT ENCRYPTED' in text and 'ansible-vault create' in text
    assert 'EXAMPLE' in files['vault.example.yml']['vault_' + variable]


PROBE = """
- name: Validation as site.yml runs it
  ansible.builtin.import_playbook: %s
- name: The secret every router and director uses (its length, never the value)
  hosts: routers:directors
  gather_facts: false
  tasks:
    - name: Report
      vars:
        secret: "{{ lvs_ospf_auth_key if lvs_routing_protocol == 'ospf' else lvs_bgp_password }}"
      ansible.builtin.debug:
        msg: "AUTH {{ inventory_hostname }} {{ lvs_routing_protocol }} {{ secret | default('', true) | length }}"
"""


@pytest.mark.parametrize('protocol,inventories', [
    ('ospf', ['hosts.yml']),
    ('bgp', ['hosts.yml', 'bgp']),
])
def test_example_validates_with_authentication_on(tmp_path, protocol, inventories):
    playbook = tmp_path / 'probe.yml'
    playbook.write_text(PROBE % VALIDATE)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_FORCE_COLOR='0', ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_STDOUT_CALLBACK='default',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'))
    argv = [PLAYBOOK_BIN, str(playbook)]
    for inv in inventories:
        argv += ['-i', os.path.join(EXAMPLE, inv)]
    proc = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    reports = {}
    for line in proc.stdout.splitlines():
        if '"msg": "AUTH ' in line or 'msg: AUTH ' in line:
            host, proto, length = line.split('AUTH ', 1)[1].strip().strip('"').split()
            reports[host] = (proto, int(length))
    routing_hosts = ['tor1', 'tor2', 'lb1', 'lb2', 'lb3', 'lb4']
    assert sorted(reports) == sorted(routing_hosts), proc.stdout[-4000:]
    assert all(proto == protocol and length > 0 for proto, length in reports.values()), reports
    secret = _yaml('group_vars', 'all', 'vault.example.yml')['vault_lvs_ospf_auth_key']
    assert secret not in proc.stdout
