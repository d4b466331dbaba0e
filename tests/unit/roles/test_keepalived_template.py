# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The director role's REAL keepalived.conf template, rendered by Ansible, parsed by the real keepalived.

One ansible-playbook run on the controller renders ``roles/director/templates/keepalived.conf.j2`` with the
``ansible.builtin.template`` action, the role's own ``defaults/main.yml`` and ``vars/main.yml`` (so
``lvs_services`` goes through ``ecmp.lvs.lvs_services`` and ``ecmp.lvs.keepalived_virtual_servers`` exactly as
in a run of the role), once per case below: every health-check type (http_get, ssl_get, tcp, misc, dns, udp, ping,
none) and each of their options, several checkers per real server and per-real-server overrides, sctp, ops,
persistence_granularity, the seeds' local sorry server, firewall-mark services and virtual_server_group, with and
without the announcement gate, inhibit_on_failure, ``director_ipvs_owner: module`` (and the announce.json and
nftables files of each case). Every file is then checked the way the role validates it before writing it:
``ecmp-lvs-announce keepalived-config-test`` (roles/director/files/ecmp_lvs_announce/), i.e. the real
``keepalived --config-test`` (2.2.7 on Debian 12) on a copy with ``script_user root``; with ``ECMP_DEBIAN13_ROOT``
naming a Debian 13 root tree also keepalived 2.3.3 (the script run by Debian 13's Python 3.13 there,
tests/unit/roles/release_root.py).

There is deliberately no private copy of the template here: a test of a copy passed while the role rendered
``misc_timeout None`` for every MISC_CHECK, which keepalived rejects.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.ecmp.lvs.tests.unit.roles import announce_package, release_root

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLE = os.path.join(ROOT, 'roles', 'director')
PLAYBOOK_BIN = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
ANN = announce_package.load()
# the installed program run from the directory named by its first argument (a chroot sees the copy at another path)
RUN_FROM_LIB = ('import sys; sys.path.insert(0, sys.argv.pop(1)); import ecmp_lvs_announce; '
                'sys.exit(ecmp_lvs_announce.main())')

RS = [{'address': '10.99.0.21'}, {'address': '10.99.0.22', 'weight': 3}]
RS6 = [{'address': '2001:db8:99::21'}, {'address': '2001:db8:99::22', 'weight': 3}]

# case name -> {services: lvs_services, and optional role variables}
CASES = {
    'http_get': {'services': [
        {'name': 'web', 'vip': '10.99.100.10', 'port': 80, 'persistence_timeout': 300, 'quorum': 2,
         'health_check': {'type': 'http_get', 'path': '/healthz?full=1', 'status_code': 204, 'connect_timeout': 0.5,
                          'retry': 3, 'delay_before_retry': 0.5, 'delay_loop': 0.5, 'port': 8080},
         'real_servers': RS}]},
    'http_get_defaults': {'services': [
        {'name': 'web', 'vip': '10.99.100.10', 'port': 80, 'health_check': {'type': 'http_get'}, 'real_servers': RS}]},
    'ssl_get': {'services': [
        {'name': 'tls', 'vip': '10.99.100.10', 'port': 443, 'scheduler': 'sh',
         'scheduler_flags': ['sh-port', 'sh-fallback'],
         'health_check': {'type': 'ssl_get', 'path': '/ready', 'status_code': 200, 'retry': 0,
                          'delay_before_retry': 0},
         'real_servers': RS}]},
    'tcp': {'services': [
        {'name': 'ssh', 'vip': '10.99.100.11', 'port': 22,
         'health_check': {'type': 'tcp', 'port': 2222, 'connect_timeout': 3},
         'real_servers': RS}]},
    'tcp_default_udp': {'services': [
        {'name': 'dns', 'vip': '10.99.100.11', 'port': 53, 'protocol': 'udp', 'scheduler': 'wrr',
         'real_servers': RS}]},
    'misc': {'services': [
        {'name': 'dns', 'vip': '10.99.100.11', 'port': 53, 'protocol': 'udp',
         'health_check': {'type': 'misc', 'misc_path': '/bin/true', 'connect_timeout': 1.5, 'retry': 2,
                          'delay_before_retry': 2, 'delay_loop': 5},
         'real_servers': RS}]},
    'misc_with_arguments': {'services': [
        {'name': 'app', 'vip': '10.99.100.11', 'port': 8443,
         'health_check': {'type': 'misc', 'misc_path': '/bin/true --port 8443 --vip 10.99.100.11'},
         'real_servers': RS}]},
    'none': {'services': [
        {'name': 'plain', 'vip': '10.99.100.12', 'port': 80, 'health_check': {'type': 'none'}, 'real_servers': RS}]},
    'sorry_server': {'services': [
        {'name': 'web', 'vip': '10.99.100.10', 'port': 80, 'sorry_server': {'address': '10.99.0.30'},
         'health_check': {'type': 'http_get'}, 'real_servers': RS}]},
    'all_types_not_gated': {
        'announce_when_healthy': False, 'inhibit_on_failure': False, 'script_user': 'root',
        'services': [
            {'name': 'a', 'vip': '10.99.100.10', 'port': 80, 'health_check': {'type': 'http_get'}, 'real_servers': RS},
            {'name': 'b', 'vip': '10.99.100.10', 'port': 443, 'health_check': {'type': 'ssl_get'}, 'real_servers': RS},
            {'name': 'c', 'vip': '10.99.100.10', 'port': 22, 'real_servers': RS},
            {'name': 'd', 'vip': '10.99.100.10', 'port': 53, 'protocol': 'udp',
             'health_check': {'type': 'misc', 'misc_path': '/bin/true'}, 'real_servers': RS},
            {'name': 'e', 'vip': '10.99.100.10', 'port': 25, 'health_check': {'type': 'none'}, 'real_servers': RS}]},
    'ipvs_owner_module': {
        'ipvs_owner': 'module',
        'services': [
            {'name': 'checked', 'vip': '10.99.100.10', 'port': 80, 'real_servers': RS},
            {'name': 'unchecked', 'vip': '10.99.100.10', 'port': 25, 'health_check': {'type': 'none'},
             'real_servers': RS}]},
    # --- keepalived / IPVS parity (issue 15) ---
    # seed 001/002: wrr, persistence 60 with granularity, sorry_server 127.0.0.1 80 (the director itself), HTTP_GET
    'seed_001': {'services': [
        {'name': 'seed', 'vip': '10.99.100.10', 'port': 80, 'scheduler': 'wrr', 'persistence_timeout': 60,
         'persistence_granularity': '255.255.255.255', 'sorry_server': '127.0.0.1',
         'health_check': {'type': 'http_get', 'path': '/', 'status_code': 200, 'port': 80, 'connect_timeout': 2,
                          'retry': 1, 'delay_before_retry': 1, 'delay_loop': 5},
         'real_servers': [{'address': '10.99.0.21', 'weight': 10}, {'address': '10.99.0.22', 'weight': 10}]}]},
    'sctp_granularity': {'services': [
        {'name': 'sip', 'vip': '10.99.100.12', 'port': 5060, 'protocol': 'sctp', 'persistence_timeout': 600,
         'persistence_granularity': 24, 'sorry_server': {'local': True},
         'health_checks': [{'type': 'ping'}, {'type': 'misc', 'misc_path': '/bin/true'}], 'real_servers': RS}]},
    'dns_udp_ops': {'services': [
        {'name': 'dns', 'vip': '10.99.100.11', 'port': 53, 'protocol': 'udp', 'ops': True, 'quorum': 2,
         'health_checks': [{'type': 'dns', 'dns_type': 'A', 'dns_name': 'lab.example.'},
                           {'type': 'udp', 'payload': '00', 'require_reply': True, 'delay_loop': 5},
                           {'type': 'ping', 'delay_loop': 10, 'connect_timeout': 1}],
         'real_servers': RS},
        {'name': 'dns-soa', 'vip': '10.99.100.11', 'port': 5353, 'protocol': 'udp',
         'health_check': {'type': 'dns'}, 'real_servers': RS},
        {'name': 'udp-hex', 'vip': '10.99.100.11', 'port': 5000, 'protocol': 'udp',
         'health_check': {'type': 'udp', 'payload': 'deadbeef', 'require_reply': 'cafe'}, 'real_servers': RS}]},
    'several_checks_overrides': {'services': [
        {'name': 'app', 'vip': '10.99.100.10', 'port': 8080,
         'health_checks': [{'type': 'http_get', 'path': '/healthz'}, {'type': 'tcp', 'port': 9100}],
         'real_servers': [{'address': '10.99.0.21', 'weight': 5,
                           'health_check': {'port': 8081, 'path': '/ready', 'status_code': 204}},
                          {'address': '10.99.0.22'}]}]},
    'fwmark': {'services': [
        {'name': 'web-tls', 'vips': ['10.99.100.10', '10.99.100.11'], 'fwmark': 10, 'ports': [80, 443],
         'persistence_timeout': 300,
         'health_checks': [{'type': 'tcp', 'port': 443}, {'type': 'http_get'}], 'real_servers': RS},
        {'name': 'dns-any', 'vip': '10.99.100.12', 'fwmark': 11, 'ports': [53, 5353], 'protocol': 'udp',
         'ops': True, 'sorry_server': {'local': True}, 'health_check': {'type': 'dns', 'port': 53},
         'real_servers': RS}]},
    # IPv6 beside IPv4 (issue 16): an http_get and a udp/dns service of IPv6 VIPs, a local sorry server (::1),
    # a group of two IPv6 VIPs, next to an IPv4 service
    'dual_stack': {'services': [
        {'name': 'web', 'vip': '10.99.100.10', 'port': 80, 'health_check': {'type': 'http_get'}, 'real_servers': RS},
        {'name': 'web6', 'vip': '2001:db8:100::10', 'port': 80, 'persistence_timeout': 60,
         'persistence_granularity': 64, 'health_check': {'type': 'http_get', 'path': '/healthz'},
         'real_servers': RS6},
        {'name': 'dns6', 'vip': '2001:db8:100::11', 'port': 53, 'protocol': 'udp', 'sorry_server': {'local': True},
         'health_checks': [{'type': 'dns'}, {'type': 'ping'}], 'real_servers': RS6},
        {'name': 'pair6', 'vips': ['2001:db8:100::12', '2001:db8:100::13'], 'port': 443,
         'health_check': {'type': 'tcp'}, 'real_servers': RS6}]},
    'group': {'services': [
        {'name': 'shared', 'vips': ['10.99.100.10', '10.99.100.11'], 'port': 80, 'health_check': {'type': 'http_get'},
         'real_servers': RS}]},
}

PLAYBOOK = """\
- name: Render the director role's keepalived.conf template
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files:
    - {role}/defaults/main.yml
    - {role}/vars/main.yml
  tasks:
    - name: Render roles/director/templates/keepalived.conf.j2 per case
      ansible.builtin.template:
        src: {role}/templates/keepalived.conf.j2
        dest: "{{{{ out }}}}/{{{{ item.key }}}}.conf"
        mode: "0600"
      vars:
        lvs_services: "{{{{ item.value.services }}}}"
        director_ipvs_owner: "{{{{ item.value.ipvs_owner | default('keepalived') }}}}"
        director_announce_when_healthy: "{{{{ item.value.announce_when_healthy | default(true) }}}}"
        director_keepalived_inhibit_on_failure: "{{{{ item.value.inhibit_on_failure | default(true) }}}}"
        director_keepalived_script_user: "{{{{ item.value.script_user | default('keepalived_script') }}}}"
        director_quorum_script_user: ecmp-lvs-quorum
      loop: "{{{{ cases | dict2items }}}}"
      loop_control:
        label: "{{{{ item.key }}}}"
    - name: Render the firewall marks per case with firewall-mark services and per backend (the role's table)
      ansible.builtin.template:
        src: "{role}/templates/{{{{ __director_fwmark_backends[item.1].template }}}}"
        dest: "{{{{ out }}}}/{{{{ item.0.key }}}}{{{{ __director_fwmark_backends[item.1].file | splitext | last }}}}"
        mode: "0600"
      vars:
        lvs_services: "{{{{ item.0.value.services }}}}"
      when: item.0.value.services | selectattr('fwmark', 'defined') | list | length > 0
      loop: "{{{{ cases | dict2items | product(['nftables', 'iptables-legacy']) | list }}}}"
      loop_control:
        label: "{{{{ item.0.key }}}} {{{{ item.1 }}}}"
    - name: Render roles/director/templates/ecmp-lvs-fwmark.service.j2 per backend
      ansible.builtin.template:
        src: {role}/templates/ecmp-lvs-fwmark.service.j2
        dest: "{{{{ out }}}}/fwmark-{{{{ item }}}}.service"
        mode: "0600"
      vars:
        director_fwmark_backend: "{{{{ item }}}}"
      loop: [nftables, iptables-legacy]
    - name: Render roles/director/templates/announce.json.j2 per case
      ansible.builtin.template:
        src: {role}/templates/announce.json.j2
        dest: "{{{{ out }}}}/{{{{ item.key }}}}.json"
        mode: "0600"
      vars:
        lvs_services: "{{{{ item.value.services }}}}"
        director_ipvs_owner: "{{{{ item.value.ipvs_owner | default('keepalived') }}}}"
        director_announce_when_healthy: "{{{{ item.value.announce_when_healthy | default(true) }}}}"
        director_quorum_script_user: ecmp-lvs-quorum
      loop: "{{{{ cases | dict2items }}}}"
      loop_control:
        label: "{{{{ item.key }}}}"
"""

needs_tools = pytest.mark.skipif(not shutil.which('keepalived') or not os.path.exists(PLAYBOOK_BIN),
                                 reason='keepalived (apt-get install keepalived) and .venv ansible-playbook needed')


@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
    """``{case: keepalived.conf text}`` rendered by one ansible-playbook run of the real template."""
    tmp = tmp_path_factory.mktemp('keepalived-template')
    (tmp / 'play.yml').write_text(PLAYBOOK.format(role=ROLE))
    (tmp / 'inventory.yml').write_text('all: {}\n')   # implicit localhost: the controller's own python
    (tmp / 'vars.json').write_text(json.dumps({'cases': CASES, 'out': str(tmp)}))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    proc = subprocess.run([PLAYBOOK_BIN, '-i', str(tmp / 'inventory.yml'), str(tmp / 'play.yml'),
                           '-e', '@' + str(tmp / 'vars.json')],
                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout
    return dict([(case, (tmp / (case + '.conf')).read_text()) for case in CASES]
                + [(case + '.json', (tmp / (case + '.json')).read_text()) for case in CASES]
                + [(case + ext, (tmp / (case + ext)).read_text()) for case in CASES for ext in ('.nft', '.iptables')
                   if (tmp / (case + ext)).exists()]
                + [(unit.name, unit.read_text()) for unit in tmp.glob('fwmark-*.service')])


CHECKERS = dict(release_root.checkers())


def config_test(path, root=None):
    """The role's validation command: ``ecmp-lvs-announce keepalived-config-test FILE`` (in a Debian 13 tree with
    ``root``: its python3 and keepalived)."""
    if root is None:
        return release_root.run(None, announce_package.argv() + ['keepalived-config-test', str(path)])
    lib = announce_package.installed()[1]
    return release_root.run(root, ['python3', '-I', '-S', '-c', RUN_FROM_LIB, lib, 'keepalived-config-test', str(path)],
                            [lib, path])


def block(text, keyword):
    """The lines of the first ``keyword {`` block of ``text`` (stripped), up to its closing brace."""
    lines = [line.strip() for line in text.splitlines()]
    start = lines.index(keyword + ' {')
    depth = 0
    for end in range(start, len(lines)):
        depth += lines[end].count('{') - lines[end].count('}')
        if depth == 0:
            return lines[start + 1:end]
    raise AssertionError('unterminated %s block' % keyword)


@needs_tools
@pytest.mark.parametrize('checker', sorted(CHECKERS))
@pytest.mark.parametrize('case', sorted(CASES))
def test_keepalived_accepts_the_rendered_template(rendered, tmp_path, case, checker):
    path = tmp_path / 'keepalived.conf'
    path.write_text(rendered[case])
    assert config_test(path, CHECKERS[checker]) == (0, ''), rendered[case]


@needs_tools
def test_misc_check_has_an_integer_misc_timeout(rendered):
    """MISC_CHECK has no connect_timeout: misc_timeout is connect_timeout rounded up (was rendered as None)."""
    check = block(rendered['misc'], 'MISC_CHECK')
    assert check == ['misc_path "/bin/true"', 'misc_timeout 2', 'retry 2', 'delay_before_retry 2']
    assert 'misc_path "/bin/true --port 8443 --vip 10.99.100.11"' in block(rendered['misc_with_arguments'],
                                                                           'MISC_CHECK')
    assert 'None' not in ''.join(text for case, text in rendered.items() if not case.endswith('.json'))


@needs_tools
def test_every_option_reaches_the_file(rendered):
    http = rendered['http_get']
    assert block(http, 'HTTP_GET') == ['url {', 'path /healthz?full=1', 'status_code 204', '}', 'connect_port 8080',
                                       'connect_timeout 0.5', 'retry 3', 'delay_before_retry 0.5']
    assert 'delay_loop 0.5' in http and 'persistence_timeout 300' in http and 'quorum 2' in http
    assert 'weight 3' in http
    # the quorum scripts run as their own user (not script_user, which runs MISC_CHECK scripts)
    assert 'quorum_up "/usr/local/lib/ecmp-lvs/ecmp-lvs-quorum up tcp:10.99.100.10:80" ecmp-lvs-quorum\n' in http
    assert 'quorum_down "/usr/local/lib/ecmp-lvs/ecmp-lvs-quorum down tcp:10.99.100.10:80" ecmp-lvs-quorum\n' in http
    assert block(rendered['http_get_defaults'], 'HTTP_GET')[:3] == ['url {', 'path /', 'status_code 200']
    assert block(rendered['ssl_get'], 'SSL_GET') == ['url {', 'path /ready', 'status_code 200', '}', 'connect_port 443',
                                                     'connect_timeout 2', 'retry 0', 'delay_before_retry 0']
    assert 'lb_algo sh\n    sh-fallback\n    sh-port\n' in rendered['ssl_get']
    assert block(rendered['tcp'], 'TCP_CHECK') == ['connect_port 2222', 'connect_timeout 3', 'retry 1',
                                                   'delay_before_retry 1']
    assert 'protocol UDP' in rendered['tcp_default_udp'] and 'lb_algo wrr' in rendered['tcp_default_udp']
    assert '_CHECK {' not in rendered['none'] and '_GET {' not in rendered['none']
    assert 'quorum_up "' not in rendered['none']          # nothing health-gates an unchecked service
    assert 'sorry_server 10.99.0.30 80' in rendered['sorry_server'] and 'quorum_up "' not in rendered['sorry_server']
    free = rendered['all_types_not_gated']
    assert 'quorum_up "' not in free and 'inhibit_on_failure' not in free and 'script_user root' in free
    assert all(kind in free for kind in ('HTTP_GET', 'SSL_GET', 'TCP_CHECK', 'MISC_CHECK'))
    module = rendered['ipvs_owner_module']
    assert '# checked' in module and 'unchecked' not in module


@needs_tools
@pytest.mark.parametrize('checker', sorted(CHECKERS))
def test_the_config_test_is_able_to_fail(rendered, tmp_path, checker):
    path = tmp_path / 'keepalived.conf'
    path.write_text(rendered['misc'].replace('misc_timeout 2', 'misc_timeout None'))
    rc, output = config_test(path, CHECKERS[checker])
    assert rc != 0 and 'misc_timeout' in output
    path.write_text(rendered['http_get'].replace('mh-port', 'mh-prot'))
    rc, output = config_test(path, CHECKERS[checker])
    assert rc != 0 and "Unknown keyword 'mh-prot'" in output


@needs_tools
def test_seed_001_renders_as_the_seed(rendered):
    """seed 001's virtual_server, keyword for keyword (ha_suspend aside: VRRP only; no quorum gate: sorry server)."""
    seed = rendered['seed_001']
    vs = block(seed, 'virtual_server 10.99.100.10 80')
    assert vs[:9] == ['delay_loop 5', 'lb_algo wrr', 'lb_kind DR', 'protocol TCP', 'persistence_timeout 60',
                      'persistence_granularity 255.255.255.255', 'quorum 1', 'inhibit_on_failure',
                      '# the director itself below quorum (IPVS delivers to a local address locally: a service on this director answers)']
    assert 'sorry_server 127.0.0.1 80' in vs and 'weight 10' in vs
    assert block(seed, 'HTTP_GET') == ['url {', 'path /', 'status_code 200', '}', 'connect_port 80',
                                       'connect_timeout 2', 'retry 1', 'delay_before_retry 1']
    # a service with a sorry server (local or not) never gates the announcement: below quorum it still serves
    assert 'quorum_up "' not in seed and json.loads(rendered['seed_001.json'])['vips'] == {'10.99.100.10': []}


@needs_tools
def test_new_checkers_several_checks_and_overrides(rendered):
    dns = rendered['dns_udp_ops']
    assert 'protocol UDP\n    ops\n' in dns
    assert block(dns, 'DNS_CHECK') == ['type A', 'name lab.example.', 'connect_port 53', 'connect_timeout 2',
                                       'retry 1', 'delay_before_retry 1']
    assert block(dns, 'UDP_CHECK') == ['connect_port 53', 'connect_timeout 2', 'payload 00', 'require_reply',
                                       'retry 1', 'delay_before_retry 1', 'delay_loop 5']
    assert block(dns, 'PING_CHECK') == ['connect_timeout 1', 'retry 1', 'delay_before_retry 1', 'delay_loop 10']
    assert 'type SOA\n            name .\n' in dns                                # keepalived's defaults, written
    assert 'payload deadbeef' in dns and 'require_reply cafe' in dns
    # every real server runs all three checkers of the service (all must pass)
    assert dns.count('DNS_CHECK {') == 4 and dns.count('UDP_CHECK {') == 4 and dns.count('PING_CHECK {') == 2
    app = rendered['several_checks_overrides']
    first = block(app, 'real_server 10.99.0.21 8080')
    assert first[:2] == ['weight 5', 'HTTP_GET {'] and 'path /ready' in first and 'status_code 204' in first
    assert first.count('connect_port 8081') == 2                         # the override reaches both checkers
    second = block(app, 'real_server 10.99.0.22 8080')
    assert 'path /healthz' in second and 'connect_port 8080' in second and 'connect_port 9100' in second
    sctp = rendered['sctp_granularity']
    assert 'protocol SCTP' in sctp and 'persistence_granularity 255.255.255.0' in sctp
    assert 'sorry_server 127.0.0.1 5060' in sctp and 'PING_CHECK {' in sctp and 'MISC_CHECK {' in sctp


@needs_tools
def test_fwmark_and_group_services(rendered):
    fw = rendered['fwmark']
    vs = block(fw, 'virtual_server fwmark 10')
    assert 'protocol TCP' not in vs                       # keepalived refuses a protocol on a fwmark service
    assert 'persistence_timeout 300' in vs and 'sorry_server 127.0.0.1 0' in block(fw, 'virtual_server fwmark 11')
    assert 'real_server 10.99.0.21 0 {' in vs
    assert vs.count('connect_port 443') == 2 and vs.count('connect_port 80') == 2   # tcp 443, http on ports[0]
    assert 'quorum_up "/usr/local/lib/ecmp-lvs/ecmp-lvs-quorum up fwmark:10" ecmp-lvs-quorum' in vs
    assert 'ops' in block(fw, 'virtual_server fwmark 11')
    announce = json.loads(rendered['fwmark.json'])
    # fwmark 11 has a (local) sorry server: it does not gate 10.99.100.12
    assert announce['vips'] == {'10.99.100.10': ['fwmark:10'], '10.99.100.11': ['fwmark:10'], '10.99.100.12': []}
    assert announce['quorum'] == {'fwmark:10': 1} and 'members' not in announce
    group = rendered['group']
    assert block(group, 'virtual_server_group shared') == ['10.99.100.10 80', '10.99.100.11 80']
    assert 'quorum_up "/usr/local/lib/ecmp-lvs/ecmp-lvs-quorum up group:shared" ecmp-lvs-quorum' in \
        '\n'.join(block(group, 'virtual_server group shared'))
    announce = json.loads(rendered['group.json'])
    assert announce['vips'] == {'10.99.100.10': ['group:shared'], '10.99.100.11': ['group:shared']}
    assert announce['members'] == {'group:shared': ['tcp:10.99.100.10:80', 'tcp:10.99.100.11:80']}
    # the announce program accepts what the role renders
    assert ANN.config.load_config(rendered['group.json'])['members'] == announce['members']
    assert ANN.config.load_config(rendered['fwmark.json'])['vips'] == announce_vips(rendered['fwmark.json'])


def announce_vips(text):
    return json.loads(text)['vips']


@needs_tools
def test_announce_json_of_the_existing_shapes(rendered):
    """A service per VIP and port keys its VIP as before (proto:vip:port)."""
    assert json.loads(rendered['http_get.json'])['vips'] == {'10.99.100.10': ['tcp:10.99.100.10:80']}
    assert json.loads(rendered['all_types_not_gated.json'])['vips'] == {'10.99.100.10': []}
    assert json.loads(rendered['none.json'])['vips'] == {'10.99.100.12': []}


@needs_tools
def test_dual_stack_services(rendered):
    """IPv6 virtual and real servers as keepalived writes them (address, space, port); the announcement keys an
    IPv6 VIP as proto:vip:port without brackets; the ::1 sorry server of a local IPv6 service."""
    text = rendered['dual_stack']
    assert 'virtual_server 2001:db8:100::10 80 {' in text
    assert 'real_server 2001:db8:99::21 80 {' in text and 'real_server 2001:db8:99::22 80 {' in text
    assert 'sorry_server ::1 53' in text
    assert 'persistence_granularity 64' in text
    assert 'ecmp-lvs-quorum up tcp:2001:db8:100::10:80' in text
    assert announce_vips(rendered['dual_stack.json']) == {
        '10.99.100.10': ['tcp:10.99.100.10:80'],
        '2001:db8:100::10': ['tcp:2001:db8:100::10:80'],
        '2001:db8:100::11': [],
        '2001:db8:100::12': ['group:pair6'], '2001:db8:100::13': ['group:pair6']}
    ANN.config.load_config(rendered['dual_stack.json'])


needs_nft = pytest.mark.skipif(not shutil.which('nft'), reason='nft (apt-get install nftables) needed')


@needs_tools
@needs_nft
def test_nftables_marks_of_the_fwmark_services(rendered, tmp_path):
    """The role's nftables file, checked by nft itself as the role's template validation does (nft -c -f)."""
    assert sorted(case for case in rendered if case.endswith('.nft')) == ['fwmark.nft']
    text = rendered['fwmark.nft']
    rules = [line.strip() for line in text.splitlines() if 'meta mark set' in line]
    assert rules == [
        'ip daddr { 10.99.100.10, 10.99.100.11 } tcp dport { 80, 443 } meta mark set 0x0000000a',
        'ip daddr { 10.99.100.12 } udp dport { 53, 5353 } meta mark set 0x0000000b']
    assert 'table ip ecmp_lvs_fwmark\ndelete table ip ecmp_lvs_fwmark\n' in text   # replaced atomically
    path = tmp_path / 'fwmark.nft'
    path.write_text(text)
    proc = subprocess.run(['nft', '-c', '-f', str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stdout
    path.write_text(text.replace('0x0000000a', '0x1000000000'))        # the check is able to fail
    assert subprocess.run(['nft', '-c', '-f', str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          check=False).returncode != 0


needs_iptables = pytest.mark.skipif(not shutil.which('iptables-legacy-restore'),
                                    reason='iptables-legacy-restore (apt-get install iptables) needed')


@needs_tools
@needs_iptables
def test_iptables_legacy_marks_of_the_fwmark_services(rendered, tmp_path):
    """director_fwmark_backend iptables-legacy: one rule per VIP and port in the role's own mangle chain, checked by
    iptables-legacy-restore itself as the role's template validation does (--test --noflush: nothing is loaded)."""
    assert sorted(case for case in rendered if case.endswith('.iptables')) == ['fwmark.iptables']
    text = rendered['fwmark.iptables']
    rules = [line for line in text.splitlines() if line.startswith('-A ')]
    mark_a, mark_b = '-j MARK --set-xmark 0x0000000a/0xffffffff', '-j MARK --set-xmark 0x0000000b/0xffffffff'
    assert rules == [
        '-A ECMP_LVS_FWMARK -d 10.99.100.10/32 -p tcp --dport 80 ' + mark_a,
        '-A ECMP_LVS_FWMARK -d 10.99.100.10/32 -p tcp --dport 443 ' + mark_a,
        '-A ECMP_LVS_FWMARK -d 10.99.100.11/32 -p tcp --dport 80 ' + mark_a,
        '-A ECMP_LVS_FWMARK -d 10.99.100.11/32 -p tcp --dport 443 ' + mark_a,
        '-A ECMP_LVS_FWMARK -d 10.99.100.12/32 -p udp --dport 53 ' + mark_b,
        '-A ECMP_LVS_FWMARK -d 10.99.100.12/32 -p udp --dport 5353 ' + mark_b]
    # only the role's own chain: no rule of another chain, no flush of the table
    assert [line for line in text.splitlines() if line.startswith((':', '*', 'COMMIT'))] == [
        '*mangle', ':ECMP_LVS_FWMARK - [0:0]', 'COMMIT']
    path = tmp_path / 'fwmark.iptables'
    path.write_text(text)
    check = ['iptables-legacy-restore', '--test', '--noflush', str(path)]
    proc = subprocess.run(check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout
    path.write_text(text.replace('0x0000000a/', '0x1000000000/'))      # the check is able to fail
    assert subprocess.run(check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False).returncode != 0


@needs_tools
def test_fwmark_unit_loads_and_removes_the_marks_of_its_backend(rendered):
    """ecmp-lvs-fwmark.service per director_fwmark_backend: nftables loads and deletes its table; iptables-legacy
    restores its chain without flushing the table, jumps to it from PREROUTING once (checked before it inserts) and
    removes jump, rules and chain when stopped (each stop command may fail: '-')."""
    def lines(unit, key):
        return [line.split('=', 1)[1] for line in rendered[unit].splitlines() if line.startswith(key + '=')]
    nft = 'fwmark-nftables.service'
    assert lines(nft, 'ExecStart') == lines(nft, 'ExecReload') == ['/usr/sbin/nft -f /etc/ecmp-lvs/fwmark.nft']
    assert lines(nft, 'ExecStop') == ['-/usr/sbin/nft delete table ip ecmp_lvs_fwmark']
    ipt = 'fwmark-iptables-legacy.service'
    assert lines(ipt, 'ExecStart') == lines(ipt, 'ExecReload') == [
        '/usr/sbin/iptables-legacy-restore --noflush /etc/ecmp-lvs/fwmark.iptables',
        "/bin/sh -c '/usr/sbin/iptables-legacy -t mangle -C PREROUTING -j ECMP_LVS_FWMARK 2>/dev/null || "
        "/usr/sbin/iptables-legacy -t mangle -I PREROUTING 1 -j ECMP_LVS_FWMARK'"]
    assert lines(ipt, 'ExecStop') == ['-/usr/sbin/iptables-legacy -t mangle -D PREROUTING -j ECMP_LVS_FWMARK',
                                      '-/usr/sbin/iptables-legacy -t mangle -F ECMP_LVS_FWMARK',
                                      '-/usr/sbin/iptables-legacy -t mangle -X ECMP_LVS_FWMARK']
    for unit in (nft, ipt):
        assert 'Before=keepalived.service' in rendered[unit].splitlines()
