# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The director's host program ecmp-lvs-announce (the package roles/director/files/ecmp_lvs_announce) as the tests
load and run it.

load(): the package imported in the test process from this checkout, every module of it imported (`ann.records`,
`ann.host`, ...); its module_utils import (plugins/module_utils/ipvs.py) resolves to this checkout too.

install(directory): the program as roles/director/tasks/announce.yml installs it - the files of its copy tasks into
`lib`, the command rendered from templates/ecmp-lvs-announce.j2 - so that a subprocess runs exactly what a director
runs: argv() is `python -I -S COMMAND` (the command's shebang: the standard library and the installed files only),
installed once per test process."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import atexit
import importlib
import os
import shutil
import sys
import tempfile

import jinja2
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLE = os.path.join(ROOT, 'roles', 'director')
PACKAGE_DIR = os.path.join(ROLE, 'files', 'ecmp_lvs_announce')
PACKAGE = 'ansible_collections.ecmp.lvs.roles.director.files.ecmp_lvs_announce'
LIB_VAR = '__director_announce_paths.lib'


def _role_yaml(role, *parts):
    with open(os.path.join(role, *parts), encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def copy_tasks(role=ROLE):
    """The copy tasks of tasks/announce.yml that install the program under __director_announce_paths.lib."""
    tasks = []
    for task in _role_yaml(role, 'tasks', 'announce.yml'):
        args = task.get('ansible.builtin.copy')
        if args and args['dest'].startswith('{{ %s }}/' % LIB_VAR):
            tasks.append(task)
    return tasks


def installed_files(lib, role=ROLE):
    """[(source path, installed path)] of the program's copy tasks, `lib` standing for __director_announce_paths.lib;
    `role`: the role directory (role_path), this checkout's or an installed collection's."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    files = []
    for task in copy_tasks(role):
        args = task['ansible.builtin.copy']
        for item in task.get('loop', [None]):
            variables = {'item': item, 'role_path': role, '__director_announce_paths': {'lib': lib}}
            src = env.from_string(args['src']).render(variables)
            # a relative src is in the role's files/ directory
            src = os.path.normpath(os.path.join(role, 'files', src))
            files.append((src, env.from_string(args['dest']).render(variables)))
    return files


def package_modules():
    """Module names (without .py) of the package in this checkout."""
    return sorted(name[:-3] for name in os.listdir(PACKAGE_DIR) if name.endswith('.py'))


def load():
    """The package imported from this checkout with all its modules (attributes of the package)."""
    package = importlib.import_module(PACKAGE)
    for name in package_modules():
        if name != '__init__':
            importlib.import_module('%s.%s' % (PACKAGE, name))
    return package


def install(directory, role=ROLE):
    """Install the program into `directory` like the role does (from `role`: this checkout's by default); returns
    the path of the command."""
    lib = os.path.join(str(directory), 'lib')
    for src, dest in installed_files(lib, role):
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy(src, dest)     # the mode bits too (the quorum reporter is a program)
    variables = _role_yaml(role, 'vars', 'main.yml')
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(role, 'templates')),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    command = os.path.join(str(directory), 'ecmp-lvs-announce')
    with open(command, 'w', encoding='utf-8') as handle:
        handle.write(env.get_template('ecmp-lvs-announce.j2').render(
            ansible_managed='managed',
            __director_announce_paths=dict(variables['__director_announce_paths'], lib=lib)))
    os.chmod(command, 0o755)
    return command


_INSTALLED = []


def installed():
    """(command, lib) of the program installed once per test process (a temporary directory, removed at exit)."""
    if not _INSTALLED:
        directory = tempfile.mkdtemp(prefix='ecmp-lvs-announce-')
        atexit.register(shutil.rmtree, directory, True)
        _INSTALLED.append((install(directory), os.path.join(directory, 'lib')))
    return _INSTALLED[0]


def argv(python=None):
    """The argv that runs the installed command as its shebang does (`python -I -S`), with `python` (default: this
    interpreter)."""
    return [python or sys.executable, '-I', '-S', installed()[0]]
