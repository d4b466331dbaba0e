# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What `ansible-galaxy collection build` puts in the artifact: the collection a user installs, nothing of the
development tooling (galaxy.yml build_ignore).

In: plugins/, roles/, playbooks/, meta/ (every file of the checkout), changelogs/, the documentation a user
reads (README.md, CHANGELOG.md, docs/architecture.md, inventories/example/), COPYING.
Out: the lab, benchmarks, Molecule, tests, capture tools, CI, the Makefile, the development pins, ansible.cfg,
images, local state (.venv*, .lab, .ansible, caches). A new top-level entry fails until it is listed here (in
ALLOWED_TOP) or ignored in galaxy.yml.

    .venv/bin/python -m pytest -q tests/packaging/test_artifact_contents.py
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch
import os
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
if not os.path.exists(os.path.join(BIN, 'ansible-galaxy')):
    BIN = os.path.join(ROOT, '.venv', 'bin')

ALLOWED_TOP = {'MANIFEST.json', 'FILES.json', 'COPYING', 'README.md', 'CHANGELOG.md', 'meta', 'playbooks',
               'plugins', 'roles', 'changelogs', 'docs', 'inventories', 'files'}
# every file of these trees (of the checkout) is in the artifact
SHIPPED_TREES = ('plugins', 'roles', 'playbooks', 'meta', 'changelogs', 'inventories/example', 'files')
NEEDED = ('README.md', 'CHANGELOG.md', 'COPYING', 'docs/architecture.md', 'meta/runtime.yml',
          'meta/execution-environment.yml', 'meta/ee-requirements.txt', 'changelogs/changelog.yaml',
          'changelogs/config.yaml', 'playbooks/site.yml', 'playbooks/drain.yml',
          'roles/director/files/ecmp_lvs_announce/__init__.py', 'plugins/module_utils/ipvs.py',
          'inventories/example/hosts.yml')
FORBIDDEN_PREFIXES = ('lab/', 'benchmarks/', 'molecule/', 'tests/', 'tools/', '.ci/', 'inventories/lab/',
                      'docs/figures/', '.venv', '.lab', '.ansible', '.cache', '.git', '.pytest_cache')
FORBIDDEN_NAMES = ('Makefile', 'ansible.cfg', 'requirements.txt', 'requirements-*.txt', '.ansible-lint',
                   '.yamllint', '.gitignore', 'galaxy.yml')
FORBIDDEN_PATTERNS = ('*.png', '*.svg', '*.jpg', '*.jpeg', '*.gif', '*.pcap', '*.pyc', '*/__pycache__/*',
                      '*.tar.gz', '*/.plugin-cache.yaml')


def _checkout_files(tree):
    files = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, tree)):
        dirnames[:] = [d for d in dirnames if d != '__pycache__']
        files.extend(os.path.relpath(os.path.join(dirpath, name), ROOT) for name in filenames
                     if not name.endswith('.pyc') and name != '.plugin-cache.yaml')
    return files


@pytest.fixture(scope='module')
def artifact(tmp_path_factory):
    """(path, names of the regular files) of the artifact built from this checkout."""
    out = tmp_path_factory.mktemp('build')
    env = {k: v for k, v in os.environ.items() if not k.startswith('ANSIBLE_')}
    env.update({'ANSIBLE_HOME': str(out / 'ansible-home'), 'ANSIBLE_NOCOLOR': '1'})
    proc = subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', ROOT,
                           '--output-path', str(out)], env=env, cwd=str(out), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout
    path = str(out / 'ecmp-lvs-0.1.0.tar.gz')
    for name in os.listdir(str(out)):
        if name.endswith('.tar.gz'):
            path = str(out / name)
    with tarfile.open(path) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
    return path, names


def test_only_collection_entries_at_the_top(artifact):
    top = set(name.split('/')[0] for name in artifact[1])
    assert top <= ALLOWED_TOP, 'not part of the collection (add to build_ignore in galaxy.yml): %s' % sorted(
        top - ALLOWED_TOP)


def test_everything_a_user_needs_is_in(artifact):
    names = set(artifact[1])
    missing = [n for n in NEEDED if n not in names]
    for tree in SHIPPED_TREES:
        missing.extend(n for n in _checkout_files(tree) if n not in names)
    assert not missing, 'missing from the artifact: %s' % missing


def test_no_development_tooling(artifact):
    names = artifact[1]
    bad = [n for n in names if n.startswith(FORBIDDEN_PREFIXES)]
    bad += [n for n in names if any(fnmatch.fnmatch(os.path.basename(n), p) for p in FORBIDDEN_NAMES)]
    bad += [n for n in names if any(fnmatch.fnmatch(n, p) or fnmatch.fnmatch(os.path.basename(n), p)
                                    for p in FORBIDDEN_PATTERNS)]
    assert not bad, 'development files in the artifact: %s' % sorted(set(bad))


def test_size(artifact):
    """~0.75 MB with the lab, benchmarks, tests and figures; ~0.2 MB without them."""
    size = os.path.getsize(artifact[0])
    assert size < 400 * 1024, 'artifact is %d bytes' % size
