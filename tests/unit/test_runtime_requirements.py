# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runtime Python requirements for execution environments (meta/execution-environment.yml).

ansible-builder installs what the collection's meta/execution-environment.yml lists into an execution
environment: every third-party library the plugins import on the controller must be there, and nothing of the
development pins (requirements.txt: ansible-core, ansible-lint, molecule, pytest, mitogen). Code that runs on
the managed nodes (modules, module_utils, the roles' files) imports nothing beyond the standard library and
ansible's module_utils: the nodes have Debian's python3 only.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import os
import re
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EE_FILE = os.path.join(ROOT, 'meta', 'execution-environment.yml')
# import name -> distribution name, where they differ
DISTRIBUTIONS = {'yaml': 'pyyaml', 'jinja2': 'jinja2'}
# ansible-core's own requirements: present wherever the collection runs
FROM_ANSIBLE_CORE = {'ansible', 'ansible_collections', 'yaml', 'jinja2', 'markupsafe', 'packaging',
                     'cryptography', 'resolvelib'}
DEV_ONLY = {'ansible-core', 'ansible', 'ansible-lint', 'molecule', 'molecule-plugins', 'pytest', 'pytest-testinfra',
            'mitogen', 'antsibull-changelog'}
NODE_SIDE = ['plugins/modules', 'plugins/module_utils', 'roles/director/files', 'roles/realserver/files',
             'roles/router/files']


def _stdlib():
    names = set(getattr(sys, 'stdlib_module_names', ()))
    assert names, 'Python >= 3.10 needed (sys.stdlib_module_names)'
    return names | {'__future__'}


def _python_files(*tops):
    for top in tops:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = [d for d in dirnames if d != '__pycache__']
            for name in filenames:
                if name.endswith('.py'):
                    yield os.path.join(dirpath, name)


def imported_top_level(path):
    """Top-level names of every absolute import in a file (also those inside try/except or functions)."""
    with open(path, encoding='utf-8') as fd:
        tree = ast.parse(fd.read(), path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split('.')[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split('.')[0])
    return found


def third_party_imports(*tops):
    """{import name: [files]} of the imports that are neither stdlib nor ansible-core's."""
    stdlib = _stdlib()
    found = {}
    for path in _python_files(*tops):
        for name in imported_top_level(path) - stdlib - FROM_ANSIBLE_CORE:
            found.setdefault(name, []).append(os.path.relpath(path, ROOT))
    return found


def requirement_names(path):
    names = set()
    with open(path, encoding='utf-8') as fd:
        for line in fd:
            line = line.split('#', 1)[0].strip()
            if line:
                match = re.match(r'^([A-Za-z0-9][A-Za-z0-9._-]*)', line)
                assert match, 'not a requirement line in %s: %r' % (path, line)
                names.add(re.sub(r'[-_.]+', '-', match.group(1)).lower())
    return names


@pytest.fixture(scope='module')
def ee():
    assert os.path.isfile(EE_FILE), 'meta/execution-environment.yml is missing'
    with open(EE_FILE, encoding='utf-8') as fd:
        data = yaml.safe_load(fd)
    assert isinstance(data, dict), data
    return data


def test_execution_environment_file_parses(ee):
    """Collection-level metadata of ansible-builder: version 1, dependencies.python a file of the collection."""
    assert ee.get('version') == 1, ee
    deps = ee.get('dependencies')
    assert isinstance(deps, dict) and set(deps) <= {'python', 'system'}, deps
    python = deps.get('python')
    assert isinstance(python, str) and not os.path.isabs(python), python
    assert os.path.isfile(os.path.join(ROOT, python)), python
    assert os.path.basename(python) != 'requirements.txt' or os.path.dirname(python), \
        'the root requirements.txt holds the development pins'
    if 'system' in deps:
        assert os.path.isfile(os.path.join(ROOT, deps['system'])), deps['system']


def test_every_third_party_import_of_the_plugins_is_a_runtime_requirement(ee):
    listed = requirement_names(os.path.join(ROOT, ee['dependencies']['python']))
    missing = {}
    for name, files in third_party_imports('plugins').items():
        if DISTRIBUTIONS.get(name, name).lower() not in listed:
            missing[name] = files[:3]
    assert not missing, 'imported by plugins/ but not in %s: %s' % (ee['dependencies']['python'], missing)


def test_runtime_requirements_hold_no_development_pins(ee):
    listed = requirement_names(os.path.join(ROOT, ee['dependencies']['python']))
    assert not listed & DEV_ONLY, listed & DEV_ONLY
    assert 'netaddr' in listed  # the detector below finds it: plugins/plugin_utils/lvs_net.py


def test_the_detector_finds_netaddr():
    assert 'plugins/plugin_utils/lvs_net.py' in third_party_imports('plugins').get('netaddr', [])


def test_node_side_code_needs_no_python_package():
    """Modules, module_utils and the roles' scripts run on the managed nodes with Debian's python3 only."""
    found = third_party_imports(*[top for top in NODE_SIDE if os.path.isdir(os.path.join(ROOT, top))])
    assert not found, 'managed-node code imports third-party libraries: %s' % found


def test_development_pins_still_install_the_runtime_requirements(ee):
    """make venv installs requirements.txt: the runtime requirements must be among the development pins."""
    dev = requirement_names(os.path.join(ROOT, 'requirements.txt'))
    runtime = requirement_names(os.path.join(ROOT, ee['dependencies']['python']))
    assert runtime <= dev, runtime - dev
