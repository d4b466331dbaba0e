# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The director's host program as a package (roles/director/files/ecmp_lvs_announce) and what the role installs of
it (tasks/announce.yml): every module of the package, the collection's module_utils it imports - its ipvsadm
parser is plugins/module_utils/ipvs.py, the one of the modules: the package parses no ipvsadm output of its own -,
nothing it does not import, and the installed tree runs on the director's python with the standard library only."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import os
import subprocess
import sys

import jinja2
import pytest
import yaml

from ansible_collections.ecmp.lvs.plugins.module_utils import ipvs
from ansible_collections.ecmp.lvs.tests.unit.roles import announce_package

ROOT = announce_package.ROOT
MODULE_UTILS = os.path.join(ROOT, 'plugins', 'module_utils')
COLLECTION_UTILS = 'ansible_collections.ecmp.lvs.plugins.module_utils'
PYTHON = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
LIB = '/usr/local/lib/ecmp-lvs'
ann = announce_package.load()


def fixture(name):
    with open(os.path.join(ROOT, 'tests', 'fixtures', 'ipvsadm', name), encoding='utf-8') as handle:
        return handle.read()


def imports(path):
    """The modules a Python file imports anywhere (also inside functions): ('relative' | 'collection' | 'stdlib' |
    'other', name) with the module_utils module's name for 'collection'."""
    with open(path, encoding='utf-8') as handle:
        tree = ast.parse(handle.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            found.add(('relative', node.module or '.'))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            if isinstance(node, ast.ImportFrom) and node.module == COLLECTION_UTILS:
                names = ['%s.%s' % (node.module, a.name) for a in node.names]
            for name in names:
                if name.startswith(COLLECTION_UTILS + '.'):
                    found.add(('collection', name[len(COLLECTION_UTILS) + 1:].split('.')[0]))
                elif name.split('.')[0] in sys.stdlib_module_names:
                    found.add(('stdlib', name))
                else:
                    found.add(('other', name))
    return found


def program_imports():
    """(the module_utils the package needs, transitively; the imports that are neither the standard library, the
    package itself nor those module_utils)."""
    todo = [os.path.join(announce_package.PACKAGE_DIR, name + '.py') for name in announce_package.package_modules()]
    needed, other = set(), set()
    while todo:
        for kind, name in imports(todo.pop()):
            if kind == 'collection' and name not in needed:
                needed.add(name)
                todo.append(os.path.join(MODULE_UTILS, name + '.py'))
            elif kind == 'other':
                other.add(name)
    return needed, other


def installed():
    """{installed path relative to the lib directory: source path} of the role's copy tasks."""
    return dict((os.path.relpath(dest, LIB), src) for src, dest in announce_package.installed_files(LIB))


# --- what the role installs ------------------------------------------------------------------------------------

def test_the_role_installs_every_module_of_the_package():
    """A module added to the package and not to the copy task of tasks/announce.yml would be missing on the
    directors (an ImportError in the service: every VIP withdrawn)."""
    files = installed()
    package = sorted(path for path in files if path.startswith('ecmp_lvs_announce/'))
    assert package == sorted('ecmp_lvs_announce/%s.py' % name for name in announce_package.package_modules())
    for path in package:
        assert files[path] == os.path.join(announce_package.PACKAGE_DIR, os.path.basename(path))
    # __init__.py last: until it is there, a director upgraded from the single-file program keeps importing that
    loops = [task['loop'] for task in announce_package.copy_tasks() if '__init__.py' in task.get('loop', [])]
    assert len(loops) == 1 and loops[0][-1] == '__init__.py'


def test_the_role_installs_the_module_utils_the_program_imports():
    """The collection's module_utils the package imports (and what they import), from plugins/module_utils of the
    collection (role_path/../..), at their import path: no more, no less."""
    needed, dummy = program_imports()
    assert 'ipvs' in needed
    files = installed()
    utils = dict((path, src) for path, src in files.items() if path.startswith('ansible_collections/'))
    assert sorted(utils) == sorted('ansible_collections/ecmp/lvs/plugins/module_utils/%s.py' % n for n in needed)
    for path, src in utils.items():
        assert src == os.path.join(MODULE_UTILS, os.path.basename(path))


def test_the_program_imports_only_the_standard_library():
    assert program_imports()[1] == set()


def test_the_byte_compile_handler_compiles_what_the_role_installs():
    """keepalived's script user cannot write __pycache__: every installed tree is compiled."""
    handlers = yaml.safe_load(open(os.path.join(announce_package.ROLE, 'handlers', 'main.yml'), encoding='utf-8'))
    handler = [h for h in handlers if h.get('name') == 'Byte-compile ecmp-lvs-announce'][0]
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    argv = [env.from_string(word).render({'__director_announce_paths': {'lib': LIB}})
            for word in handler['ansible.builtin.command']['argv']]
    assert argv[:4] == ['python3', '-m', 'compileall', '-q']
    python = [path for path in installed() if path.endswith('.py')]
    assert sorted(argv[4:]) == sorted(set(os.path.join(LIB, path.split('/')[0]) for path in python))
    # every copy task of the Python program notifies it
    for task in announce_package.copy_tasks():
        if any(str(item).endswith('.py') for item in task.get('loop', [])):
            assert 'Byte-compile ecmp-lvs-announce' in task['notify'], task['name']


def test_the_quorum_reporter_is_installed_first_and_executable():
    """keepalived runs lib/ecmp-lvs-quorum (keepalived.conf.j2); the package's `quorum` command (keepalived.conf of
    earlier versions) execs it: installed before the package, as a program (0755, root)."""
    files = installed()
    assert files['ecmp-lvs-quorum'] == os.path.join(announce_package.ROLE, 'files', 'ecmp-lvs-quorum')
    tasks = announce_package.copy_tasks()
    assert tasks[0]['ansible.builtin.copy']['src'] == 'ecmp-lvs-quorum'
    assert tasks[0]['ansible.builtin.copy']['mode'] == '0755' and tasks[0]['ansible.builtin.copy']['owner'] == 'root'
    assert os.access(files['ecmp-lvs-quorum'], os.X_OK)
    assert ann.config.QUORUM == 'ecmp-lvs-quorum'
    template = open(os.path.join(announce_package.ROLE, 'templates', 'keepalived.conf.j2'), encoding='utf-8').read()
    assert template.count('{{ __director_announce_paths.lib }}/ecmp-lvs-quorum ') == 2


def test_the_installed_program_runs_with_the_standard_library_only(tmp_path):
    """The tree the role installs, on the director's python as the command's shebang runs it (-I -S): every module
    imports, the ipvsadm parser is the installed copy of module_utils/ipvs.py, the command answers."""
    command = announce_package.install(tmp_path)
    lib = str(tmp_path / 'lib')
    modules = ['ecmp_lvs_announce.' + name for name in announce_package.package_modules() if name != '__init__']
    code = ('import importlib, sys\nsys.path.insert(0, %r)\nfor name in %r:\n    importlib.import_module(name)\n'
            'from ecmp_lvs_announce import parsers\n'
            'from ansible_collections.ecmp.lvs.plugins.module_utils import ipvs\n'
            'assert ipvs.__file__.startswith(%r), ipvs.__file__\n'
            'print(parsers.parse_ipvs_weights(sys.stdin.read()))\n' % (lib, modules, lib))
    res = subprocess.run([PYTHON, '-I', '-S', '-c', code], input=fixture('full-Ln-noexact.txt'), capture_output=True,
                         text=True, check=False, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "('tcp', '10.99.200.1', 80): 3" in res.stdout
    res = subprocess.run([PYTHON, '-I', '-S', command, '--help'], capture_output=True, text=True, check=False,
                         timeout=60)
    assert res.returncode == 0 and 'ecmp-lvs-announce' in res.stdout, res.stderr


# --- one ipvsadm parser ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('name', announce_package.package_modules())
def test_the_package_parses_no_ipvsadm_output_itself(name):
    """The words of an `ipvsadm -L` listing appear nowhere in the package: module_utils/ipvs.py reads them."""
    with open(os.path.join(announce_package.PACKAGE_DIR, name + '.py'), encoding='utf-8') as handle:
        text = handle.read()
    for word in ('RemoteAddress', 'LocalAddress', 'IP Virtual Server', "'FWM'", "'TCP'", "'UDP'", "'SCTP'", "'->'",
                 'rpartition'):
        assert word not in text, '%s.py: %s' % (name, word)


def test_the_ipvs_views_read_the_collection_parser(monkeypatch):
    """The views of the IPVS table are built from what module_utils/ipvs.py parse_list returns, not from the text."""
    listing = {'version': '1.2.1', 'table_size': 4096, 'services': [
        {'protocol': 'tcp', 'vip': '10.99.100.10', 'port': 80, 'fwmark': None, 'family': 'ipv4',
         'values': {'conns': 9, 'inpkts': 8, 'outpkts': 7, 'inbytes': 6, 'outbytes': 5},
         'real_servers': [{'address': '10.99.0.21', 'port': 80,
                           'values': {'weight': 2, 'active_conns': 3, 'inactive_conns': 4}}]},
        {'protocol': None, 'vip': None, 'port': None, 'fwmark': 7, 'family': 'ipv6', 'values': {},
         'real_servers': []}]}
    seen = []
    monkeypatch.setattr(ipvs, 'parse_list', lambda text: seen.append(text) or listing)
    key = ('tcp', '10.99.100.10', 80)
    assert ann.parsers.parse_ipvs_weights('text') == {key: 2}
    assert ann.parsers.parse_ipvs_conns('text') == {key: [3, 4]}
    assert ann.parsers.parse_ipvs_stats('text') == {key: {'conns': 9, 'inpkts': 8, 'outpkts': 7, 'inbytes': 6,
                                                          'outbytes': 5}}
    assert seen == ['text'] * 3


# --- the views on the captured listings (tests/fixtures/ipvsadm: ipvsadm 1.31, kernel 6.1) ---------------------

FULL_WEIGHTS = {('tcp', '10.99.200.1', 80): 3, ('tcp', '10.99.200.2', 443): 1, ('tcp', '10.99.200.3', 8080): 5,
                ('tcp', '10.99.200.5', 25): 0, ('tcp', '10.99.200.6', 80): 0, ('tcp', '10.99.200.7', 80): 0,
                ('udp', '10.99.200.1', 53): 4, ('sctp', '10.99.200.4', 5060): 1, ('tcp', '2001:db8::1', 80): 6,
                ('udp', '2001:db8::1', 53): 1, ('fwmark', None, 42): 1}


@pytest.mark.parametrize('name', ['full-Ln-noexact.txt', 'full-Ln.txt', 'full-Ln-nosort.txt'])
def test_weights_of_the_full_table(name):
    """`ipvsadm -L -n` (what the reconciler runs; the --exact and --nosort captures of the same table agree): every
    service, the IPv4 firewall mark by its mark, the IPv6 one (FWM 43 IPv6) left out."""
    assert ann.parsers.parse_ipvs_weights(fixture(name)) == FULL_WEIGHTS


@pytest.mark.parametrize('name,weight', [('keepalived-start-Ln-nosort.txt', 3), ('keepalived-reload-Ln-nosort.txt', 4),
                                         ('keepalived-restart-Ln-nosort.txt', 4), ('order-added-Ln.txt', 3)])
def test_weights_of_a_keepalived_table(name, weight):
    assert ann.parsers.parse_ipvs_weights(fixture(name)) == {('tcp', '10.99.100.10', 80): weight}


@pytest.mark.parametrize('name', ['keepalived-start-Ln-stats.txt', 'keepalived-reload-Ln-stats.txt'])
def test_stats_of_a_keepalived_table(name):
    assert ann.parsers.parse_ipvs_stats(fixture(name)) == {('tcp', '10.99.100.10', 80): dict(
        (column, 0) for column in ('conns', 'inpkts', 'outpkts', 'inbytes', 'outbytes'))}


def test_stats_of_one_service():
    assert ann.parsers.parse_ipvs_stats(fixture('one-Ln-stats.txt')) == {('tcp', '10.99.200.1', 80): {
        'conns': 7, 'inpkts': 25, 'outpkts': 20, 'inbytes': 1581, 'outbytes': 9675}}


def test_an_empty_table():
    assert ann.parsers.parse_ipvs_weights(fixture('empty-Ln.txt')) == {}
    assert ann.parsers.parse_ipvs_stats(fixture('empty-Ln.txt')) == {}


@pytest.mark.parametrize('stdout,rc', [
    (fixture('full-Ln-noexact.txt') + 'Memory allocation problem\n', 0),     # a line the parser does not know
    (fixture('host-noipvs-Ln.txt'), 2),                                       # ipvsadm fails
])
def test_an_ipvs_table_that_cannot_be_read_has_no_quorum(monkeypatch, stdout, rc):
    """Host.ipvs_weights: {} (every quorum-checked service below quorum: withdrawn), never an exception."""
    with pytest.raises(ValueError):
        ann.parsers.parse_ipvs_weights(fixture('full-Ln-noexact.txt') + 'Memory allocation problem\n')
    monkeypatch.setattr(subprocess, 'run', lambda argv, **kwargs: subprocess.CompletedProcess(argv, rc, stdout, ''))
    assert ann.host.Host.ipvs_weights() == {}
    monkeypatch.setattr(subprocess, 'run', lambda argv, **kwargs: subprocess.CompletedProcess(
        argv, 0, fixture('full-Ln-noexact.txt'), ''))
    assert ann.host.Host.ipvs_weights() == FULL_WEIGHTS
