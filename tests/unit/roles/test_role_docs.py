# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role variable is documented three times: meta/argument_specs.yml, defaults/main.yml and README.md.

These tests keep the three in step: an option added to the spec without a README row (or a default
without a spec entry) fails here.
"""
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = ('router', 'director', 'realserver')


def _load(role, *parts):
    with open(os.path.join(ROOT, 'roles', role, *parts), encoding='utf-8') as handle:
        return handle.read()


def _spec_options(role):
    """The options of every entry point of the role (main, and e.g. the director's drain)."""
    spec = yaml.safe_load(_load(role, 'meta', 'argument_specs.yml'))
    options = {}
    for entry in spec['argument_specs'].values():
        options.update(entry.get('options') or {})
    return options


@pytest.mark.parametrize('role', ROLES)
def test_every_spec_option_has_a_readme_row(role):
    readme = _load(role, 'README.md')
    rows = set(re.findall(r'^\| `([a-z0-9_]+)` \|', readme, re.M))
    missing = sorted(set(_spec_options(role)) - rows)
    assert not missing, 'roles/%s/README.md lacks rows for %s' % (role, missing)


@pytest.mark.parametrize('role', ROLES)
def test_every_default_is_in_the_spec(role):
    defaults = yaml.safe_load(_load(role, 'defaults', 'main.yml')) or {}
    missing = sorted(set(defaults) - set(_spec_options(role)))
    assert not missing, 'roles/%s/meta/argument_specs.yml lacks %s' % (role, missing)


@pytest.mark.parametrize('role', ROLES)
def test_every_spec_option_is_described_and_typed(role):
    bad = sorted(name for name, opt in _spec_options(role).items() if not opt.get('description') or not opt.get('type'))
    assert not bad, 'roles/%s: options without description or type: %s' % (role, bad)
