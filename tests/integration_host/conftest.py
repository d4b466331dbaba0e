# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real-kernel tests on the host: modules run through `ansible localhost` inside throwaway network
namespaces (`ip netns add` + `ip netns exec`, i.e. a private net + mount namespace), so net.* sysctls and
routes of the host are never touched.

Every test here is marked ``host_kernel``. They need root, iproute2 and unshare; they are skipped (with
the reason) when those are missing.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import itertools
import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# helpers of tests/unit are imported as ansible_collections.ecmp.lvs.tests.unit... (`make collection` links it there)
COLLECTIONS = os.path.join(ROOT, '.ansible', 'collections')
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
ANSIBLE = os.path.join(ROOT, '.venv', 'bin', 'ansible')
# what a managed host runs: the system python, stdlib only
MODULE_PYTHON = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
_counter = itertools.count()


def pytest_configure(config):
    config.addinivalue_line('markers', 'host_kernel: runs modules for real in throwaway network namespaces (root)')


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(os.path.abspath(__file__))
    reason = None
    if os.geteuid() != 0:
        reason = 'needs root (network namespaces)'
    elif not shutil.which('ip') or not shutil.which('unshare'):
        reason = 'needs iproute2 and unshare'
    elif not os.path.exists(ANSIBLE):
        reason = 'needs the controller venv (%s)' % ANSIBLE
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.host_kernel)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def sh(*argv, **kwargs):
    return subprocess.run(list(argv), check=kwargs.pop('check', True), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, **kwargs)


class Netns(object):
    """A throwaway network namespace."""

    def __init__(self, name, tmpdir):
        self.name = name
        self.tmpdir = tmpdir
        self.runs = itertools.count()

    def ip(self, *args):
        return sh('ip', '-n', self.name, *args)

    def exec_(self, *args, **kwargs):
        return sh('ip', 'netns', 'exec', self.name, *args, **kwargs)

    def read_sysctl(self, relpath):
        return ' '.join(self.exec_('cat', '/proc/sys/' + relpath).stdout.split())

    def module(self, name, args, check=False, diff=False, readonly_proc_sys=False, path=None):
        """Run ecmp.lvs.<name> with `ansible localhost` inside this namespace.

        Returns (rc, result); the console output (where --diff is rendered) is kept in ``self.stdout``.
        The result comes from the tree callback, which drops the ``diff`` and ``failed`` keys. ``path``: a
        folder put first on PATH (e.g. a vtysh that talks to the namespace's own FRR).
        """
        tree = os.path.join(self.tmpdir, 'tree-%d' % next(self.runs))
        cmd = [ANSIBLE, 'localhost', '-c', 'local', '-m', 'ecmp.lvs.%s' % name, '-a', json.dumps(args),
               '-e', 'ansible_python_interpreter=%s' % MODULE_PYTHON, '--tree', tree]
        if check:
            cmd.append('--check')
        if diff:
            cmd.append('--diff')
        if readonly_proc_sys:
            # what a container sees: /proc/sys mounted read-only (private mount namespace, host unaffected)
            cmd = ['unshare', '--mount', '--', 'sh', '-c',
                   'mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && exec "$@"',
                   'sh'] + cmd
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
                   ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
        if path:
            env['PATH'] = path + os.pathsep + env['PATH']
        proc = self.exec_(*cmd, check=False, cwd=ROOT, env=env)
        self.stdout = proc.stdout
        path = os.path.join(tree, 'localhost')
        assert os.path.exists(path), 'no result from ansible (rc=%s):\n%s\n%s' % (
            proc.returncode, proc.stdout, proc.stderr)
        with open(path) as handle:
            return proc.returncode, json.load(handle)


@pytest.fixture
def netns(tmp_path):
    name = 'h2t-%d-%d' % (os.getpid(), next(_counter))
    sh('ip', 'netns', 'add', name)
    try:
        ns = Netns(name, str(tmp_path))
        ns.ip('link', 'set', 'lo', 'up')
        yield ns
    finally:
        sh('ip', 'netns', 'del', name, check=False)
