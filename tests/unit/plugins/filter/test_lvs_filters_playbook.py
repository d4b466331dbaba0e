# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters through real Ansible: FQCN lookup, real (lazily templated) hostvars and groups, error surfacing."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
PLAYBOOK_BIN = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')

INVENTORY = """\
all:
  children:
    directors:
      hosts:
        d1: {lvs_address: 10.99.0.11, ansible_host: 10.99.255.11}
        d2: {ansible_host: 10.99.0.12}
    realservers:
      hosts:
        rs1:
          rs_last_octet: 21
          lvs_address: "10.99.0.{{ rs_last_octet }}"
        rs2: {ansible_host: 10.99.0.22}
"""

PLAYBOOK = """\
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    services:
      - name: web
        vip: 10.99.100.10
        port: 80
        real_servers:
          - host: rs2
          - host: rs1
            weight: "{{ weight }}"
    result:
      services: "{{ services | ecmp.lvs.lvs_services(hostvars) }}"
      ipvs: "{{ services | ecmp.lvs.lvs_services(hostvars) | ecmp.lvs.ipvs_services }}"
      vips: "{{ services | ecmp.lvs.lvs_vips | map('ecmp.lvs.host_prefix') | list }}"
      neighbors: "{{ hostvars | ecmp.lvs.bgp_neighbors(groups, 'directors') }}"
  tasks:
    - name: Write the result
      ansible.builtin.copy:
        content: "{{ result | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
"""


def run(tmp_path, weight):
    (tmp_path / 'inventory.yml').write_text(INVENTORY)
    (tmp_path / 'play.yml').write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    return subprocess.run([PLAYBOOK_BIN, '-i', str(tmp_path / 'inventory.yml'), str(tmp_path / 'play.yml'),
                           '-e', json.dumps({'out': str(tmp_path / 'out.json'), 'weight': weight})],
                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=300, check=False)


@pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason='ansible-playbook not in the virtualenv')
def test_filters_in_a_real_play(tmp_path):
    proc = run(tmp_path, 3)
    assert proc.returncode == 0, proc.stdout
    result = json.loads((tmp_path / 'out.json').read_text())
    assert result['services'][0]['real_servers'] == [
        {'address': '10.99.0.21', 'port': 80, 'weight': 3, 'host': 'rs1'},
        {'address': '10.99.0.22', 'port': 80, 'weight': 1, 'host': 'rs2'}]
    assert result['ipvs'][0]['real_servers'][0] == {'address': '10.99.0.21', 'port': 80, 'forwarding': 'dr',
                                                    'weight': 3}
    assert result['vips'] == ['10.99.100.10/32']
    assert result['neighbors'] == ['10.99.0.11', '10.99.0.12']


@pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason='ansible-playbook not in the virtualenv')
def test_filter_error_reaches_the_user(tmp_path):
    proc = run(tmp_path, 70000)
    assert proc.returncode != 0
    assert 'lvs_services[web].real_servers[1].weight: 70000 is out of range 0..65535' in proc.stdout
