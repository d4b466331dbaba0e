# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The REAL /etc/frr/daemons of a router and of a director, rendered by Ansible, its zebra options checked by zebra.

One ansible-playbook run per role renders ``roles/frr/templates/daemons.j2`` with the calling role's
``defaults/main.yml`` and ``vars/main.yml`` and the very ``vars`` its ``tasks/main.yml`` passes to ``ecmp.lvs.frr``
(read from that file, as in test_frr_conf_template.py), once per case. zebra itself then parses each file's
``zebra_options`` (``bash -c 'source FILE; zebra $zebra_options -v'``: every option is parsed before ``-v`` prints the
version and exits; an unknown option fails), with FRR 10.3 of Debian 13 too when ``ECMP_DEBIAN13_ROOT`` names a
Debian 13 root tree (release_root.py).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import subprocess
import sys

import pytest

from ansible_collections.ecmp.lvs.tests.unit.roles import release_root
# the inventories of test_frr_conf_template.py: one source for what a router and a director are given
from ansible_collections.ecmp.lvs.tests.unit.roles.test_frr_conf_template import (
    BASE, DUAL, PLAY_HEADER, ROLE_HOST, frr_vars)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PLAYBOOK_BIN = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
TEMPLATE = os.path.join(ROOT, 'roles', 'frr', 'templates', 'daemons.j2')
ZEBRA = '/usr/lib/frr/zebra'
# case -> (role, variables over BASE and ROLE_HOST, the zebra_options expected): IPv6 VIPs add zebra's in-place
# replacement of IPv6 routes
CASES = {
    'router-default': ('router', {}, '-A 127.0.0.1 -s 90000000'),
    'router-dual': ('router', DUAL, '-A 127.0.0.1 -s 90000000 --v6-rr-semantics'),
    'router-bgp': ('router', {'lvs_routing_protocol': 'bgp'}, '-A 127.0.0.1 -s 90000000'),
    'director-default': ('director', {}, '-A 127.0.0.1 -s 90000000'),
    'director-dual': ('director', DUAL, '-A 127.0.0.1 -s 90000000 --v6-rr-semantics'),
}

PLAY = PLAY_HEADER.replace('{what}', 'the daemons file') + '  tasks: {tasks}\n'

needs_tools = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason='.venv ansible-playbook needed')


@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
    """``{case: path of the rendered daemons file}``: one task per case, whose vars are what the role passes to
    ecmp.lvs.frr and the case's inventory (a variable a case does not set keeps the role's default)."""
    tmp = tmp_path_factory.mktemp('frr-daemons')
    result = {}
    for role in ('router', 'director'):
        tasks = []
        for case, (r, inventory, dummy) in sorted(CASES.items()):
            if r != role:
                continue
            task_vars = dict(frr_vars(role), **dict(BASE, **dict(ROLE_HOST[role], **inventory)))
            tasks.append({'name': 'Render roles/frr/templates/daemons.j2 (%s)' % case,
                          'ansible.builtin.template': {'src': TEMPLATE, 'dest': str(tmp / (case + '.daemons')),
                                                       'mode': '0600'},
                          'vars': task_vars})
            result[case] = str(tmp / (case + '.daemons'))
        (tmp / ('play-%s.yml' % role)).write_text(PLAY.format(role=role, root=ROOT, tasks=json.dumps(tasks)))
        (tmp / 'inventory.yml').write_text('all: {}\n')
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
        proc = subprocess.run([PLAYBOOK_BIN, '-i', str(tmp / 'inventory.yml'), str(tmp / ('play-%s.yml' % role))],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=300, check=False)
        assert proc.returncode == 0, proc.stdout
    return result


def zebra_options(path):
    with open(path, encoding='utf-8') as handle:
        found = re.findall(r'^zebra_options="(.*)"$', handle.read(), re.M)
    assert len(found) == 1, 'one zebra_options line in %s' % path
    return ' '.join(found[0].split())


@needs_tools
@pytest.mark.parametrize('case', sorted(CASES))
def test_zebra_options(rendered, case):
    assert zebra_options(rendered[case]) == CASES[case][2]


@needs_tools
@pytest.mark.skipif(not os.path.exists(ZEBRA), reason='frr is in the Makefile APT_PACKAGES')
@pytest.mark.parametrize('checker', sorted(dict(release_root.checkers())))
@pytest.mark.parametrize('case', sorted(CASES))
def test_zebra_accepts_the_rendered_options(rendered, case, checker):
    root = dict(release_root.checkers())[checker]
    assert zebra_options(rendered[case])  # the line bash sources
    rc, out = release_root.run(root, ['bash', '-c', 'source "$0"; exec %s $zebra_options -v' % ZEBRA, rendered[case]],
                               [rendered[case]])
    assert rc == 0 and 'zebra version' in out, out


@pytest.mark.skipif(not os.path.exists(ZEBRA), reason='frr is in the Makefile APT_PACKAGES')
def test_zebra_rejects_an_unknown_option(tmp_path):
    """The check above can fail: zebra refuses an option it does not know."""
    bad = tmp_path / 'daemons'
    bad.write_text('zebra_options="  -A 127.0.0.1 --keep-everything-forever"\n')
    rc, out = release_root.run(None, ['bash', '-c', 'source "$0"; exec %s $zebra_options -v' % ZEBRA, str(bad)])
    assert rc != 0 and 'unrecognized option' in out, out
