# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The REAL frr.conf of a router and of a director, rendered by Ansible, checked by FRR's own parser.

One ansible-playbook run on the controller renders ``roles/frr/templates/frr.conf.j2`` (the FRR layer both
routing roles include) with the ``ansible.builtin.template`` action, the calling role's own ``defaults/main.yml``
and ``vars/main.yml`` and the very ``vars`` its ``tasks/main.yml`` passes to ``ecmp.lvs.frr`` (read from that
file, not copied here), once per case: OSPF with MD5 authentication (a rotation in progress: two keys), BGP with
a TCP-MD5 password, BFD on and off. Only the fabric facts are given (interface and network). Every file is then
checked the way the role validates it before writing it: ``vtysh --dryrun --inputfile FILE`` (FRR installed on
the controller; nothing is started), and with FRR 10.3 of Debian 13 too when ``ECMP_DEBIAN13_ROOT`` names a
Debian 13 root tree (tests/unit/roles/release_root.py).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from ansible_collections.ecmp.lvs.tests.unit.roles import release_root

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PLAYBOOK_BIN = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
TEMPLATE = os.path.join(ROOT, 'roles', 'frr', 'templates', 'frr.conf.j2')
VIP = '10.99.100.10'
VIP6 = '2001:db8:100::10'

# case -> (role, inventory variables over BASE); every case sets every variable (null as in an inventory)
BASE = {'lvs_services': [{'name': 'web', 'vip': VIP, 'port': 80, 'real_servers': [{'address': '10.99.0.21'}]}],
        'lvs_routing_protocol': 'ospf', 'lvs_bfd_enabled': True, 'lvs_ospf_auth_key': None, 'lvs_ospf_auth_key_id': 1,
        'lvs_ospf_auth_accept_keys': [], 'lvs_bgp_password': None, 'router_frr_config': 'full',
        'director_peers': None, 'router_peers': None}
OSPF_AUTH = {'lvs_ospf_auth_key': 'new-key', 'lvs_ospf_auth_key_id': 2,
             'lvs_ospf_auth_accept_keys': [{'id': 1, 'key': 'old-key'}]}
BGP_PASSWORD = {'lvs_routing_protocol': 'bgp', 'lvs_bgp_password': 'bgp-S3cret'}
# an IPv4 and an IPv6 service (dual stack): OSPFv3 / BGP IPv6 unicast beside the IPv4 pieces
DUAL = {'lvs_services': BASE['lvs_services'] + [{'name': 'web6', 'vip': VIP6, 'port': 80,
                                                 'real_servers': [{'address': '2001:db8:99::21'}]}]}
CASES = {
    'router-ospf-dual': ('router', DUAL),
    'router-bgp-dual': ('router', dict(DUAL, **BGP_PASSWORD)),
    'router-ospf-dual-shared': ('router', dict(DUAL, router_frr_config='shared')),
    'director-ospf-dual': ('director', DUAL),
    'director-bgp-dual': ('director', dict(DUAL, **BGP_PASSWORD)),
    'router-ospf-dual-auth': ('router', dict(DUAL, **OSPF_AUTH)),
    'director-ospf-dual-auth': ('director', dict(DUAL, **OSPF_AUTH)),
    'router-ospf-auth': ('router', OSPF_AUTH),
    'router-bgp-password': ('router', BGP_PASSWORD),
    'router-bgp-no-bfd': ('router', {'lvs_routing_protocol': 'bgp', 'lvs_bfd_enabled': False}),
    'router-ospf-shared': ('router', dict(OSPF_AUTH, router_frr_config='shared')),
    'router-bgp-shared': ('router', dict(BGP_PASSWORD, router_frr_config='shared')),
    'director-ospf-auth': ('director', OSPF_AUTH),
    'director-bgp-password': ('director', BGP_PASSWORD),
    'director-ospf-no-bfd': ('director', {'lvs_bfd_enabled': False}),
    # the deprecated names of router_director_peers / director_router_peers still work while the new ones are empty
    'router-bgp-deprecated-peers': ('router', dict(BGP_PASSWORD, router_director_peers=[],
                                                   director_peers=['10.99.0.11', '10.99.0.12'])),
    'director-bgp-deprecated-peers': ('director', dict(BGP_PASSWORD, director_router_peers=None,
                                                       router_peers=['10.99.0.1'])),
}
# per role: this host's address, the fabric facts (interface, network) and the peers
ROLE_HOST = {
    'router': {'lvs_address': '10.99.0.1', 'router_fabric_interface': 'eth1', '__router_fabric_network': '10.99.0.0/24',
               'router_director_peers': ['10.99.0.11', '10.99.0.12']},
    'director': {'lvs_address': '10.99.0.11', 'director_fabric_interface': 'eth1', 'router_frr_config': None,
                 '__director_fabric_network': '10.99.0.0/24', 'director_router_peers': ['10.99.0.1']},
}

# a play on the controller with what the calling role and ecmp.lvs.frr define (test_frr_daemons_template.py too)
PLAY_HEADER = """\
- name: Render {what} of ecmp.lvs.{role}
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files:
    - {root}/roles/{role}/defaults/main.yml
    - {root}/roles/{role}/vars/main.yml
    - {root}/roles/frr/vars/main.yml
"""
PLAY = PLAY_HEADER.replace('{what}', 'the frr.conf') + """\
  tasks:
    - name: Render roles/frr/templates/frr.conf.j2 per case
      ansible.builtin.template:
        src: {template}
        dest: "{{{{ out }}}}/{{{{ item }}}}.conf"
        mode: "0600"
      vars: {frr_vars}
      loop: {cases}
"""


def frr_vars(role):
    """The ``vars`` that roles/<role>/tasks/main.yml passes to ecmp.lvs.frr (entry point configure)."""
    with open(os.path.join(ROOT, 'roles', role, 'tasks', 'main.yml'), encoding='utf-8') as handle:
        tasks = yaml.safe_load(handle)
    found = [task['vars'] for task in tasks
             if (task.get('ansible.builtin.import_role') or {}).get('name') == 'ecmp.lvs.frr'
             and task['ansible.builtin.import_role'].get('tasks_from') == 'configure']
    assert len(found) == 1, 'roles/%s/tasks/main.yml must include ecmp.lvs.frr configure once' % role
    return found[0]


needs_tools = pytest.mark.skipif(not shutil.which('vtysh') or not os.path.exists(PLAYBOOK_BIN),
                                 reason='FRR (vtysh) and .venv ansible-playbook needed')


@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
    """``{case: frr.conf text}``: one ansible-playbook run per role of the real template."""
    tmp = tmp_path_factory.mktemp('frr-template')
    result = {}
    for role in ('router', 'director'):
        cases = [case for case, (r, _inv) in CASES.items() if r == role]
        table = dict((case, dict(BASE, **dict(ROLE_HOST[role], **CASES[case][1]))) for case in cases)
        play_vars = dict(frr_vars(role))
        play_vars.update((name, '{{ __cases[item][%r] }}' % name) for name in table[cases[0]])
        (tmp / ('play-%s.yml' % role)).write_text(PLAY.format(
            role=role, root=ROOT, template=TEMPLATE, frr_vars=json.dumps(play_vars), cases=json.dumps(cases)))
        (tmp / ('vars-%s.json' % role)).write_text(json.dumps({'__cases': table, 'out': str(tmp)}))
        (tmp / 'inventory.yml').write_text('all: {}\n')
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
        proc = subprocess.run([PLAYBOOK_BIN, '-i', str(tmp / 'inventory.yml'), str(tmp / ('play-%s.yml' % role)),
                               '-e', '@' + str(tmp / ('vars-%s.json' % role))],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=300, check=False)
        assert proc.returncode == 0, proc.stdout
        for case in cases:
            result[case] = str(tmp / (case + '.conf'))
    return result


CHECKERS = dict(release_root.checkers())


def vtysh_dryrun(path, root=None):
    """The role's validation command: ``vtysh --dryrun --inputfile FILE`` (in a Debian 13 tree with ``root``)."""
    return release_root.run(root, ['vtysh', '--dryrun', '--inputfile', str(path)], [path])


def read(path):
    with open(path, encoding='utf-8') as handle:
        return handle.read()


@needs_tools
@pytest.mark.parametrize('checker', sorted(CHECKERS))
@pytest.mark.parametrize('case', sorted(CASES))
def test_frr_accepts_the_rendered_frr_conf(rendered, case, checker):
    rc, out = vtysh_dryrun(rendered[case], CHECKERS[checker])
    assert rc == 0, '%s: vtysh --dryrun (%s) rc %s:\n%s\n--- frr.conf:\n%s' % (
        case, checker, rc, out, read(rendered[case]))


@needs_tools
@pytest.mark.parametrize('checker', sorted(CHECKERS))
def test_the_checker_rejects_a_broken_frr_conf(rendered, tmp_path, checker):
    """The check above is not vacuous: the same file with one unknown word is refused."""
    broken = tmp_path / 'broken.conf'
    broken.write_text(read(rendered['router-ospf-auth']).replace('log syslog informational', 'log syslog no-such-level'))
    rc, out = vtysh_dryrun(broken, CHECKERS[checker])
    assert rc != 0 and 'no-such-level' in out, out


@needs_tools
def test_router_and_director_pieces(rendered):
    router_ospf, director_ospf = read(rendered['router-ospf-auth']), read(rendered['director-ospf-auth'])
    router_bgp, director_bgp = read(rendered['router-bgp-password']), read(rendered['director-bgp-password'])
    # OSPF MD5: both keys, the sending key (id 2) last; the router installs the VIPs, the director nothing
    for text in (router_ospf, director_ospf):
        assert ' ip ospf authentication message-digest\n ip ospf message-digest-key 1 md5 old-key\n' \
               ' ip ospf message-digest-key 2 md5 new-key\n' in text
        assert 'ip prefix-list LVS_VIPS seq 10 permit %s/32\n' % VIP in text
        assert '\nbfd\n profile lvs\n' in text
    assert 'ip protocol ospf route-map LVS_INSTALL\n' in router_ospf and ' ip ospf priority 1\n' in router_ospf
    assert ' maximum-paths 16\n timers lsa min-arrival 0\n' in router_ospf
    assert 'ip protocol ospf route-map LVS_DENY_ALL\n' in director_ospf and ' ip ospf priority 0\n' in director_ospf
    # a director's dropped LSA comes again after 1 s (director_ospf_retransmit_interval); the router keeps FRR's
    assert ' ip ospf cost 10\n ip ospf retransmit-interval 1\n' in director_ospf
    assert 'retransmit-interval' not in router_ospf
    assert 'interface lo\n ip ospf passive\nexit\n' in director_ospf
    assert ' network %s/32 area 0.0.0.0\n' % VIP in director_ospf
    # BGP with a password: the router peers with both directors, the director announces the VIP
    assert 'router bgp 65000\n' in router_bgp and ' neighbor DIRECTORS remote-as 65001\n' in router_bgp
    assert ' neighbor DIRECTORS password bgp-S3cret\n' in router_bgp
    assert ' neighbor 10.99.0.11 peer-group DIRECTORS\n neighbor 10.99.0.12 peer-group DIRECTORS\n' in router_bgp
    assert '  neighbor DIRECTORS route-map LVS_INSTALL in\n  neighbor DIRECTORS route-map LVS_DENY_ALL out\n' in router_bgp
    assert 'router bgp 65001\n' in director_bgp and ' neighbor ROUTERS password bgp-S3cret\n' in director_bgp
    assert '  network %s/32\n' % VIP in director_bgp
    assert '  neighbor ROUTERS route-map LVS_DENY_ALL in\n  neighbor ROUTERS route-map LVS_EXPORT out\n' in director_bgp
    assert ' neighbor 10.99.0.1 peer-group ROUTERS\n' in director_bgp
    # the deprecated peer names give the same neighbors
    assert read(rendered['router-bgp-deprecated-peers']) == router_bgp
    assert read(rendered['director-bgp-deprecated-peers']) == director_bgp
    # BFD off: no profile, no bfd on the interface / peer group, and the header says so
    for case in ('router-bgp-no-bfd', 'director-ospf-no-bfd'):
        text = read(rendered[case])
        assert 'bfd' not in text.replace('(disabled)', '').split('\n', 3)[3], case
        assert ' (disabled).\n' in text.split('frr defaults')[0], case


@needs_tools
def test_ospf_graceful_restart_of_the_router(rendered):
    """router_frr_keep_routes (default 30): a restart of FRR on the router enables and prepares an OSPF graceful
    restart so that ospfd leaves its routes - in the drop-in's stop (test_frr_daemons_template.py), never in frr.conf:
    configured there, ospfd has zebra drop the kept routes its first route calculation after the start leaves out.
    frr.conf has the opaque capability its Grace-LSAs need; the directors need nothing (the router's start after it
    is an ordinary one); a BGP router and a router in a shared FRR configuration have none of it."""
    router, director = read(rendered['router-ospf-dual']), read(rendered['director-ospf-dual'])
    assert ' capability opaque\n' in router.split('router ospf\n')[1].split('exit\n')[0]
    assert 'graceful-restart' not in router and 'helper' not in router
    for case in ('director-ospf-dual', 'router-bgp-password', 'router-ospf-shared', 'router-bgp-shared',
                 'director-bgp-password'):
        assert 'graceful-restart' not in read(rendered[case]) and 'opaque' not in read(rendered[case]), case


@needs_tools
def test_dual_stack_pieces(rendered):
    """IPv6 VIPs: an IPv6 prefix list and route-map entry beside the IPv4 ones; OSPFv3 on the fabric interface (and
    on lo, passive, on a director) with the OSPFv2 timers, BFD and router-id; BGP IPv6 unicast over the IPv4
    sessions; the kernel filter for both families. An IPv4-only inventory has none of it (cases above)."""
    for case in ('router-ospf-dual', 'router-bgp-dual', 'director-ospf-dual', 'director-bgp-dual'):
        text = read(rendered[case])
        assert 'ip prefix-list LVS_VIPS seq 10 permit %s/32\n' % VIP in text, case
        assert 'ipv6 prefix-list LVS_VIPS6 seq 10 permit %s/128\n' % VIP6 in text, case
        assert VIP6 not in text.replace('LVS_VIPS6 seq 10 permit %s/128' % VIP6, '').replace(
            '  network %s/128\n' % VIP6, ''), case
    # no blank line anywhere: the IPv6 pieces add nothing, not even whitespace, to an IPv4-only file (an upgrade
    # of the collection must not change - and reload - the frr.conf of an unchanged inventory)
    for case in CASES:
        assert '\n\n' not in read(rendered[case]), case
    router_ospf, director_ospf = read(rendered['router-ospf-dual']), read(rendered['director-ospf-dual'])
    router_bgp, director_bgp = read(rendered['router-bgp-dual']), read(rendered['director-bgp-dual'])
    assert ('route-map LVS_INSTALL permit 10\n match ip address prefix-list LVS_VIPS\nexit\n!\n'
            'route-map LVS_INSTALL permit 20\n match ipv6 address prefix-list LVS_VIPS6\nexit\n') in router_ospf
    assert 'ip protocol ospf route-map LVS_INSTALL\nipv6 protocol ospf6 route-map LVS_INSTALL\n' in router_ospf
    assert 'ip protocol ospf route-map LVS_DENY_ALL\nipv6 protocol ospf6 route-map LVS_DENY_ALL\n' in director_ospf
    assert 'ipv6 protocol bgp route-map LVS_INSTALL\n' in router_bgp
    for text, priority in ((router_ospf, 1), (director_ospf, 0)):
        assert (' ipv6 ospf6 area 0.0.0.0\n ipv6 ospf6 hello-interval 1\n ipv6 ospf6 dead-interval 4\n'
                ' ipv6 ospf6 priority %d\n' % priority) in text
        assert ' ipv6 ospf6 bfd\n ipv6 ospf6 bfd profile lvs\n' in text
        assert '\nrouter ospf6\n ospf6 router-id ' in text
    assert 'interface lo\n ip ospf passive\n ipv6 ospf6 area 0.0.0.0\n ipv6 ospf6 passive\nexit\n' in director_ospf
    assert 'router ospf6\n ospf6 router-id 10.99.0.1\n log-adjacency-changes\n maximum-paths 16\n' in router_ospf
    assert ' network %s' % VIP6 not in director_ospf
    # BGP: the IPv6 family on the same peer group, the director announces the IPv6 VIP there only
    ipv4_af, ipv6_af = director_bgp.split(' address-family ipv4 unicast\n')[1].split(' address-family ipv6 unicast\n')
    assert '  network %s/32\n' % VIP in ipv4_af and VIP6 not in ipv4_af
    assert ipv6_af.startswith('  network %s/128\n  neighbor ROUTERS activate\n' % VIP6)
    assert '  neighbor ROUTERS route-map LVS_DENY_ALL in\n  neighbor ROUTERS route-map LVS_EXPORT out\n' in ipv6_af
    router_v6 = router_bgp.split(' address-family ipv6 unicast\n')[1]
    assert '  neighbor DIRECTORS activate\n  neighbor DIRECTORS route-map LVS_INSTALL in\n' in router_v6
    assert '  maximum-paths 16\n' in router_v6


@needs_tools
def test_ospf6_authentication_uses_the_ospf_keys(rendered):
    """An authenticated OSPF fabric signs OSPFv3 too (RFC 7166 trailer): a key chain of the OSPF keys, each
    accepted, sent with only the last (lvs_ospf_auth_key; the accepted ones' send lifetime is over), on the fabric
    interface; none without IPv6 VIPs or without a key."""
    chain = ('key chain LVS_OSPF6\n'
             ' key 1\n  key-string old-key\n  cryptographic-algorithm hmac-sha-256\n'
             '  send-lifetime 00:00:00 Jan 01 1993 00:00:01 Jan 01 1993\n exit\n'
             ' key 2\n  key-string new-key\n  cryptographic-algorithm hmac-sha-256\n exit\nexit\n')
    for case in ('router-ospf-dual-auth', 'director-ospf-dual-auth'):
        text = read(rendered[case])
        assert chain in text, case
        fabric = text.split('interface eth1\n')[1].split('exit\n')[0]
        assert ' ipv6 ospf6 authentication keychain LVS_OSPF6\n' in fabric, case
        assert ' ip ospf message-digest-key 2 md5 new-key\n' in fabric, case
        assert text.count('ospf6 authentication') == 1, case
    for case in ('router-ospf-auth', 'director-ospf-auth', 'router-ospf-dual', 'director-ospf-dual'):
        assert 'key chain' not in read(rendered[case]) and 'ospf6 authentication' not in read(rendered[case]), case
    # shared: OSPFv3 pieces, no router-id, no kernel route map
    shared = read(rendered['router-ospf-dual-shared'])
    assert 'router ospf6\n maximum-paths 16\n' in shared and 'ipv6 protocol' not in shared
    assert 'router-id' not in shared.replace('! ', '#')


OWNER = os.path.join(ROOT, 'tests', 'fixtures', 'frr', 'shared')
SHARED = {'router-ospf-shared': 'owner-ospf.conf', 'router-bgp-shared': 'owner-bgp.conf'}


def shared_file(rendered, case, tmp_path):
    """The owner's frr.conf with the rendered block where the role's blockinfile puts it (before the final end)."""
    owner = read(os.path.join(OWNER, SHARED[case]))
    head, tail = owner.rsplit('end\n', 1)
    path = tmp_path / ('%s.conf' % case)
    path.write_text(head + '! BEGIN ecmp.lvs\n' + read(rendered[case]).strip() + '\n! END ecmp.lvs\nend\n' + tail)
    return path


@needs_tools
@pytest.mark.parametrize('checker', sorted(CHECKERS))
@pytest.mark.parametrize('case', sorted(SHARED))
def test_frr_accepts_the_shared_block_inside_an_owners_frr_conf(rendered, case, checker, tmp_path):
    path = shared_file(rendered, case, tmp_path)
    rc, out = vtysh_dryrun(path, CHECKERS[checker])
    assert rc == 0, '%s: vtysh --dryrun (%s) rc %s:\n%s\n--- frr.conf:\n%s' % (case, checker, rc, out, read(path))


@needs_tools
def test_the_shared_block_holds_only_the_ecmp_lvs_pieces(rendered):
    """router_frr_config: shared - no header, router-id, "ip protocol" route map or global BGP setting (they are
    the owner's); the pieces the directors need are all there."""
    ospf, bgp = read(rendered['router-ospf-shared']), read(rendered['router-bgp-shared'])
    for text in (ospf, bgp):
        config = '\n'.join(line for line in text.splitlines() if not line.startswith('!'))
        for owner_line in ('frr defaults', 'hostname ', 'log syslog', 'service integrated-vtysh-config',
                           'ip protocol', 'router-id', 'log-adjacency-changes', 'log-neighbor-changes',
                           'no bgp default', 'multipath-relax'):
            assert owner_line not in config, owner_line
        assert 'ansible' not in text.lower()
        assert 'ip prefix-list LVS_VIPS seq 10 permit %s/32\n' % VIP in text
        assert '\nbfd\n profile lvs\n' in text
    assert ' ip ospf message-digest-key 2 md5 new-key\n ip ospf bfd\n' in ospf
    assert 'router ospf\n maximum-paths 16\n timers lsa min-arrival 0\n network 10.99.0.0/24 area 0.0.0.0\n' in ospf
    assert 'route-map' not in ospf
    assert 'router bgp 65000\n neighbor DIRECTORS peer-group\n' in bgp
    assert '  neighbor DIRECTORS route-map LVS_INSTALL in\n  neighbor DIRECTORS route-map LVS_DENY_ALL out\n' in bgp
    assert '  maximum-paths 16\n' in bgp
    # the full file of the same inventory keeps what shared leaves out
    assert 'ip protocol ospf route-map LVS_INSTALL\n' in read(rendered['router-ospf-auth'])
