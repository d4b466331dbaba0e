# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as a user of another repository gets it: built with ``ansible-galaxy collection build`` and
installed into a temporary directory (:func:`install`), nothing of this checkout on the paths. A module of its own,
not a conftest.py: ``make unit`` collects tests/integration_host too, whose conftest.py would shadow this one."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# helpers of tests/unit are imported as ansible_collections.ecmp.lvs.tests.unit... (`make collection` links it there)
COLLECTIONS = os.path.join(ROOT, '.ansible', 'collections')
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
# the ansible-core of the interpreter that runs the tests (make core-matrix: each supported version), else .venv's
BIN = os.path.dirname(sys.executable)
if not os.path.exists(os.path.join(BIN, 'ansible-galaxy')):
    BIN = os.path.join(ROOT, '.venv', 'bin')


def run(argv, env, cwd, timeout=300):
    """(returncode, stdout and stderr) of a command."""
    proc = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout


def install(base):
    """Build the artifact and install it under ``base`` (a pathlib directory): {'base', 'env' (an environment whose
    collections path is only the installed artifact, no ANSIBLE_* of the caller), 'artifact' (the tarball)}."""
    if not os.path.exists(os.path.join(BIN, 'ansible-galaxy')):
        pytest.fail('run `make venv` first: %s/ansible-galaxy is missing' % BIN)
    env = {k: v for k, v in os.environ.items() if not k.startswith('ANSIBLE_')}
    env.update({'ANSIBLE_COLLECTIONS_PATH': str(base / 'collections'), 'ANSIBLE_NOCOLOR': '1',
                'ANSIBLE_HOME': str(base / 'ansible-home'), 'ANSIBLE_LOCAL_TEMP': str(base / 'tmp'),
                'ANSIBLE_HOST_KEY_CHECKING': 'False', 'ANSIBLE_RETRY_FILES_ENABLED': '0'})
    rc, out = run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', ROOT, '--output-path', str(base)],
                  env, str(base))
    assert rc == 0, out
    artifacts = glob.glob(str(base / 'ecmp-lvs-*.tar.gz'))
    assert len(artifacts) == 1, out
    rc, out = run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--no-deps', artifacts[0],
                   '-p', str(base / 'collections')], env, str(base))
    assert rc == 0, out
    return {'base': base, 'env': env, 'artifact': artifacts[0]}
