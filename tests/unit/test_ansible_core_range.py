# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The supported ansible-core range is declared once and tested at both ends.

meta/runtime.yml ``requires_ansible`` (what ansible-galaxy and ansible-core check), every role's
``galaxy_info.min_ansible_version``, the Makefile's CORE_MIN / CORE_MAX (what `make core-matrix` tests), the
development pin of requirements.txt (the newest tested) and the README must say the same.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _minor(version):
    return tuple(int(part) for part in version.split('.')[:2])


def requires_ansible():
    with open(os.path.join(ROOT, 'meta', 'runtime.yml'), encoding='utf-8') as fd:
        spec = yaml.safe_load(fd)['requires_ansible']
    match = re.match(r'^>=\s*(\d+\.\d+\.\d+)$', spec)
    assert match, 'requires_ansible should be ">=X.Y.Z" (no upper bound, as Galaxy recommends): %r' % spec
    return match.group(1)


def makefile_var(name):
    with open(os.path.join(ROOT, 'Makefile'), encoding='utf-8') as fd:
        match = re.search(r'^%s\s*\??=\s*(\S+)\s*$' % name, fd.read(), re.M)
    assert match, '%s not set in the Makefile' % name
    return match.group(1)


def test_requires_ansible_starts_at_a_minor_release():
    assert requires_ansible().endswith('.0')


def test_every_role_declares_the_same_minimum():
    minimum = '%d.%d' % _minor(requires_ansible())
    roles = sorted(glob.glob(os.path.join(ROOT, 'roles', '*', 'meta', 'main.yml')))
    assert len(roles) >= 3, roles
    found = {}
    for path in roles:
        with open(path, encoding='utf-8') as fd:
            info = yaml.safe_load(fd)['galaxy_info']
        found[path.split(os.sep)[-3]] = info.get('min_ansible_version')
    assert all(isinstance(v, str) for v in found.values()), 'min_ansible_version must be a string: %s' % found
    assert set(found.values()) == {minimum}, 'requires_ansible %s, roles: %s' % (requires_ansible(), found)


def test_the_matrix_tests_the_declared_minimum():
    assert _minor(makefile_var('CORE_MIN')) == _minor(requires_ansible())
    assert _minor(makefile_var('CORE_MAX')) >= _minor(makefile_var('CORE_MIN'))


def test_the_newest_tested_is_the_development_pin():
    with open(os.path.join(ROOT, 'requirements.txt'), encoding='utf-8') as fd:
        pin = re.search(r'^ansible-core==(\S+)$', fd.read(), re.M)
    assert pin, 'requirements.txt pins no ansible-core'
    assert pin.group(1) == makefile_var('CORE_MAX')


def test_readme_states_the_range():
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as fd:
        readme = fd.read()
    text = 'ansible-core %d.%d to %d.%d' % (_minor(makefile_var('CORE_MIN')) + _minor(makefile_var('CORE_MAX')))
    assert text in readme, text
