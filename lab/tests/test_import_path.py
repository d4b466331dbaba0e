# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make venv` makes the lab package (lab/ecmplab_lib) importable by the virtualenv's Python, from any directory,
with one line in site-packages relative to it: the lab of the tree whose .venv it is, also when that .venv is a
symlink to another tree's virtualenv (worktrees sharing one). Run: .venv/bin/python -m pytest lab/tests"""

import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
PROBE = 'import ecmplab_lib, os; print(os.path.realpath(os.path.dirname(ecmplab_lib.__file__)))'


def _tree(base, name):
    tree = base / name
    (tree / 'lab' / 'ecmplab_lib').mkdir(parents=True)
    (tree / 'lab' / 'ecmplab_lib' / '__init__.py').write_text('')
    return tree


@pytest.fixture(name='venv_tree', scope='module')
def _venv_tree(tmp_path_factory):
    """A tree with a bare virtualenv (no pip: `make venv` only writes the path line when .stamp is there)."""
    base = tmp_path_factory.mktemp('trees')
    tree = _tree(base, 'a')
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(tree / '.venv')], check=True)
    (tree / '.venv' / '.stamp').touch()
    res = subprocess.run(['make', '-s', '-C', ROOT, 'venv', 'VENV=%s' % (tree / '.venv'), 'ROOT=%s' % tree],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    return base, tree


def _imported_from(python):
    res = subprocess.run([str(python), '-c', PROBE], capture_output=True, text=True, check=False, cwd='/',
                         env={k: v for k, v in os.environ.items() if k != 'PYTHONPATH'})
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_make_venv_puts_lab_on_the_path(venv_tree):
    _base, tree = venv_tree
    pth = list((tree / '.venv').glob('lib/python*/site-packages/ecmp_lvs_lab.pth'))
    assert len(pth) == 1 and pth[0].read_text() == '../../../../lab\n'
    assert _imported_from(tree / '.venv' / 'bin' / 'python') == str((tree / 'lab' / 'ecmplab_lib').resolve())


def test_a_shared_venv_imports_the_lab_of_its_own_tree(venv_tree):
    base, tree = venv_tree
    other = _tree(base, 'b')
    (other / '.venv').symlink_to(tree / '.venv')
    assert _imported_from(other / '.venv' / 'bin' / 'python') == str((other / 'lab' / 'ecmplab_lib').resolve())
