# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/status.yml through real Ansible without contacting any host: `--limit localhost` leaves only the
Report play, and the inventory hands it, as host variables, the registered results the read plays would have left
(captured ipvsadm / FRR output, the announce program's status JSON, route_info's routes). Checks the table, the
verdict line, the exit status, the JSON file, --check, and the syntax check."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys

import yaml

from ansible_collections.ecmp.lvs.plugins.module_utils import iproute

from plugins.module_utils.test_lvs_status import VIP, announce_status, fixture

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
PLAYBOOK_BIN = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
PLAYBOOK = os.path.join(ROOT, 'playbooks', 'status.yml')


def result(stdout, rc=0):
    return {'stdout': stdout, 'rc': rc, 'stderr': '', 'changed': False}


def inventory(director2_announce, route='router-route-vip-two.json'):
    routes = iproute.find_routes({4: json.loads(fixture('frr', route))}, [VIP], [])
    directors = {}
    for name, address, announce in (('director1', '10.99.0.11', announce_status()),
                                    ('director2', '10.99.0.12', director2_announce)):
        directors[name] = {
            'lvs_address': address, 'ansible_host': address,
            '__status_announce': result(announce),
            '__status_ipvs': result(fixture('ipvsadm', 'keepalived-restart-Ln-nosort.txt')),
            '__status_daemons': result(fixture('ipvsadm', 'daemon-both.txt'))}
    return {'all': {
        'vars': {'lvs_services': [{'name': 'web', 'vip': VIP, 'port': 80,
                                   'real_servers': [{'address': '10.99.0.2%d' % i} for i in range(4)]}]},
        'hosts': {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}},
        'children': {
            'directors': {'hosts': directors},
            'routers': {'hosts': {'router1': {
                'lvs_address': '10.99.0.1', 'ansible_host': '10.99.0.1',
                '__status_routes': {'routes': routes, 'changed': False},
                '__status_sessions': result(fixture('frr', 'router-ospf-neighbor-full.json')),
                '__status_bfd': result(fixture('frr', 'router-bfd-peers-up.json'))}}}}}}


def run(tmp_path, inv, *args):
    path = tmp_path / 'hosts.yml'
    path.write_text(yaml.safe_dump(inv))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_STRATEGY='linear')
    return subprocess.run([PLAYBOOK_BIN, '-i', str(path), PLAYBOOK, '--limit', 'localhost'] + list(args),
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300)


def test_status_ok_table_and_json(tmp_path):
    out = tmp_path / 'report.json'
    res = run(tmp_path, inventory(announce_status()), '-e', 'lvs_status_json=%s' % out)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert 'VIP 10.99.100.10: OK' in res.stdout
    assert 'router1  director1, director2' in res.stdout
    assert 'OK: 1 VIP(s): 1 ok, 0 degraded, 0 down; 2 director(s), 1 router(s)' in res.stdout
    report = json.loads(out.read_text())
    assert report['verdict'] == 'ok' and report['vips'][VIP]['announced_by'] == ['director1', 'director2']


def test_status_quorum_lost_fails_and_check_mode_still_writes_json(tmp_path):
    out = tmp_path / 'report.json'
    res = run(tmp_path, inventory(announce_status(quorum='down'), route='router-route-vip-one.json'),
              '--check', '-e', 'lvs_status_json=%s' % out)
    assert res.returncode == 2, res.stdout[-3000:]
    assert 'director2 not announcing (quorum_lost: tcp:10.99.100.10:80: quorum down)' in res.stdout
    assert 'DEGRADED: 1 VIP(s): 0 ok, 1 degraded, 0 down' in res.stdout
    report = json.loads(out.read_text())
    assert report['vips'][VIP]['directors']['director2']['state'] == 'quorum_lost'


def test_status_drained_director_is_ok(tmp_path):
    res = run(tmp_path, inventory(announce_status(drained=True), route='router-route-vip-one.json'))
    assert res.returncode == 0, res.stdout[-3000:]
    assert 'director2 drained' in res.stdout


def test_status_syntax_check(tmp_path):
    res = run(tmp_path, inventory(announce_status()), '--syntax-check')
    assert res.returncode == 0, res.stdout + res.stderr
