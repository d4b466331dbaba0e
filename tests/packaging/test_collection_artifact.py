# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as a user of another repository gets it (README "Use the roles from your own repository").

`ansible-galaxy collection build` + `install` into a temporary directory, then, from a project directory that is
not this checkout (no ansible.cfg, no roles_path, only the installed collection on the collections path):
module and role documentation, the collection playbook `ecmp.lvs.site`, a user playbook importing the roles,
and the inventory validation failing on bad input before any host is contacted. Catches files that the
artifact misses (build_ignore, plugin_utils, meta/runtime.yml) and anything that only works from the checkout.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import sys
import tarfile

import pytest
import yaml

from packaging_env import BIN, ROOT, install, run as _run
from ansible_collections.ecmp.lvs.tests.unit.roles import announce_package

USER_PLAYBOOK = """
- hosts: realservers
  roles: [ecmp.lvs.realserver]
- hosts: directors
  roles: [ecmp.lvs.director]
- hosts: routers
  roles: [ecmp.lvs.router]
"""


@pytest.fixture(scope='module')
def project(tmp_path_factory):
    """A user's project directory with the built and installed collection (and nothing of this checkout)."""
    installed = install(tmp_path_factory.mktemp('artifact'))
    proj = installed['base'] / 'project'
    proj.mkdir()
    shutil.copytree(os.path.join(ROOT, 'inventories', 'example'), str(proj / 'inventory'))
    (proj / 'lvs.yml').write_text(USER_PLAYBOOK)
    return dict(installed, dir=str(proj))


def test_artifact_is_small_and_has_no_local_state(project):
    with tarfile.open(project['artifact']) as tar:
        names = tar.getnames()
    size = os.path.getsize(project['artifact'])
    assert size < 2 * 1024 * 1024, 'artifact is %d bytes' % size
    for prefix in ('.venv', '.lab', '.ansible/', 'benchmarks/results', 'tests/output'):
        assert not [n for n in names if n.startswith(prefix)], prefix
    for needed in ('plugins/plugin_utils/lvs_validate.py', 'plugins/action/validate_inventory.py',
                   'meta/runtime.yml', 'roles/director/meta/argument_specs.yml', 'playbooks/site.yml'):
        assert needed in names, needed


@pytest.mark.parametrize('kind,name,expect', [
    ('module', 'ecmp.lvs.ipvs', 'scheduler'),
    ('module', 'ecmp.lvs.validate_inventory', 'lvs_services'),
    ('filter', 'ecmp.lvs.lvs_services', 'real_servers'),
    ('role', 'ecmp.lvs.director', 'director_require_ipvs'),
])
def test_documentation_from_the_installed_collection(project, kind, name, expect):
    rc, out = _run([os.path.join(BIN, 'ansible-doc'), '-t', kind, name], project['env'], project['dir'])
    assert rc == 0, out
    assert expect in out


@pytest.mark.parametrize('playbook', ['ecmp.lvs.site', 'lvs.yml'])
def test_playbooks_resolve_the_installed_roles(project, playbook):
    rc, out = _run([os.path.join(BIN, 'ansible-playbook'), '-i', 'inventory', playbook, '--syntax-check'],
                   project['env'], project['dir'])
    assert rc == 0, out


def test_collection_playbook_validates_before_any_host(project, tmp_path):
    """`ansible-playbook ecmp.lvs.site` stops in its first play on a bad inventory: no host is contacted."""
    inv = tmp_path / 'bad'
    shutil.copytree(os.path.join(project['dir'], 'inventory'), str(inv))
    services = inv / 'group_vars' / 'all' / 'lvs.yml'
    data = yaml.safe_load(services.read_text())
    data['lvs_services'][0]['port'] = 70000
    services.write_text(yaml.safe_dump(data))
    rc, out = _run([os.path.join(BIN, 'ansible-playbook'), '-i', str(inv), 'ecmp.lvs.site'],
                   project['env'], project['dir'])
    assert rc != 0, out
    assert '70000' in out and 'port' in out, out
    assert 'UNREACHABLE' not in out and 'Gathering Facts' not in out, out


def test_the_director_host_program_installs_from_the_collection(project, tmp_path):
    """ecmp.lvs.director installs its host program ecmp-lvs-announce from the installed collection: the copy tasks
    of tasks/announce.yml find every file (the module_utils it imports through role_path/../..), and the program
    runs on the system python with the standard library only (-I -S, as the command's shebang)."""
    role = os.path.join(str(project['base']), 'collections', 'ansible_collections', 'ecmp', 'lvs', 'roles', 'director')
    command = announce_package.install(tmp_path, role)
    python = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
    conf = tmp_path / 'announce.json'
    conf.write_text(json.dumps({'vips': {'10.99.100.10': ['tcp:10.99.100.10:80']}}))
    rc, out = _run([python, '-I', '-S', command, '--config', str(conf), 'check-config'], project['env'], project['dir'])
    assert rc == 0 and '1 VIP(s), 1 health-gated service(s)' in out, out
    code = ('import sys; sys.path.insert(0, sys.argv[1]); from ecmp_lvs_announce import parsers; '
            'from ansible_collections.ecmp.lvs.plugins.module_utils import ipvs; print(ipvs.__file__); '
            'print(parsers.parse_ipvs_weights(open(sys.argv[2]).read()))')
    rc, out = _run([python, '-I', '-S', '-c', code, str(tmp_path / 'lib'),
                    os.path.join(ROOT, 'tests', 'fixtures', 'ipvsadm', 'keepalived-start-Ln-nosort.txt')],
                   project['env'], project['dir'])
    assert rc == 0, out
    ipvs = tmp_path / 'lib' / 'ansible_collections' / 'ecmp' / 'lvs' / 'plugins' / 'module_utils' / 'ipvs.py'
    assert out.splitlines() == [str(ipvs), "{('tcp', '10.99.100.10', 80): 3}"]
