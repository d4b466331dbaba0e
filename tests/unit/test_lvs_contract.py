# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One source for every default: the shared lvs_* contract (plugins/plugin_utils/lvs_contract.py) and each role's
defaults/main.yml. Everything else that states a default is compared with them, by value:

- the lvs_* options of the argument specs and the lvs_* README rows are generated (tools/lvs_contract.py);
- the `lvs_x | default(V, true)` aliases of roles/*/vars/main.yml, the validator and docs/architecture.md;
- every role option: the argument spec's default and the README's Default column against defaults/main.yml.
"""
import os
import re
import subprocess
import sys

import pytest
import yaml

from ansible_collections.ecmp.lvs.plugins.plugin_utils import lvs_contract, lvs_validate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, 'tools', 'lvs_contract.py')
ROLES = lvs_contract.ALL_ROLES


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding='utf-8') as handle:
        return handle.read()


def _options(role):
    options = {}
    for entry in yaml.safe_load(_read('roles', role, 'meta', 'argument_specs.yml'))['argument_specs'].values():
        options.update(entry['options'])
    return options


def _readme_defaults(role):
    """{variable: text of the Default column} of the README's tables (| `name` | type | default | ... |)."""
    cells = {}
    for line in _read('roles', role, 'README.md').splitlines():
        match = re.match(r'^\| `([a-z0-9_]+)` \| [^|]* \| ([^|]*) \|', line)
        if match:
            cells[match.group(1)] = match.group(2).strip()
    return cells


def _computed(value):
    if isinstance(value, str):
        return '{{' in value
    if isinstance(value, list):
        return any(_computed(item) for item in value)
    return False


def test_generated_parts_are_up_to_date():
    proc = subprocess.run([sys.executable, TOOL, '--check'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    assert proc.returncode == 0, 'run tools/lvs_contract.py --write:\n' + proc.stdout


def test_the_check_fails_on_a_drifted_default():
    """The check is not a no-op: a spec whose lvs_* default was edited by hand is reported."""
    sys.path.insert(0, os.path.dirname(TOOL))
    try:
        import lvs_contract as tool  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.pop(0)
    text = _read('roles', 'router', 'meta', 'argument_specs.yml')
    drifted = text.replace('        default: 4\n', '        default: 40\n', 1)
    assert drifted != text
    assert tool.render_spec('router', drifted) == text
    readme = _read('roles', 'router', 'README.md')
    assert tool.render_readme('router', readme.replace('| `4` |', '| `40` |', 1)) == readme


@pytest.mark.parametrize('role', ROLES)
def test_every_contract_variable_of_a_role_is_in_its_spec(role):
    options = yaml.safe_load(_read('roles', role, 'meta', 'argument_specs.yml'))['argument_specs']['main']['options']
    for name in lvs_contract.for_role(role):
        assert options.get(name) == lvs_contract.spec(name, role), name


@pytest.mark.parametrize('role', ('router', 'director'))
def test_vars_aliases_use_the_contract_defaults(role):
    """roles/<role>/vars/main.yml: `lvs_x | default(V, true)` -> V is the contract's default of lvs_x."""
    text = _read('roles', role, 'vars', 'main.yml')
    found = re.findall(r'\b(lvs_[a-z0-9_]+) \| default\(([^()]*?)(?:, true)?\)', text)
    assert found
    defaults = lvs_contract.defaults()
    for name, value in found:
        if name not in lvs_contract.CONTRACT or lvs_contract.CONTRACT[name]['default'] is lvs_contract.COMPUTED:
            continue
        parsed = None if value == 'none' else yaml.safe_load(value)
        assert parsed == defaults[name], '%s: roles/%s/vars/main.yml says %r, the contract %r' % (
            name, role, value, defaults[name])


def test_validator_defaults_are_the_contract():
    for name, value in lvs_validate.ROUTING_DEFAULTS.items():
        assert lvs_contract.defaults()[name] == value


def test_architecture_doc_names_the_contract_defaults():
    text = _read('docs', 'architecture.md')
    named = re.findall(r'`(lvs_[a-z0-9_]+)` \(([^()]+)\)', text)
    assert named, 'docs/architecture.md no longer lists the defaults as `lvs_x` (default)'
    defaults = lvs_contract.defaults()
    for name, value in named:
        if name in defaults:
            assert yaml.safe_load(value) == defaults[name] or value == str(defaults[name]), (name, value)


@pytest.mark.parametrize('role', ROLES)
def test_spec_and_readme_defaults_are_the_role_defaults(role):
    """Every variable of defaults/main.yml: the argument spec's default and the README's Default column say the
    same value (a computed default: no spec default and a README cell that is not a literal)."""
    defaults = yaml.safe_load(_read('roles', role, 'defaults', 'main.yml')) or {}
    options = _options(role)
    cells = _readme_defaults(role)
    problems = []
    for name, value in defaults.items():
        cell = cells.get(name)
        spec_default = options.get(name, {}).get('default')
        if _computed(value):
            if spec_default is not None:
                problems.append('%s: computed, but the spec says default %r' % (name, spec_default))
            if cell is None or cell.startswith('`'):
                problems.append('%s: computed, but the README says %r' % (name, cell))
            continue
        if spec_default != value:
            problems.append('%s: defaults/main.yml %r, argument spec %r' % (name, value, spec_default))
        literal = re.match(r'^`(.*)`$', cell or '')
        if not literal:
            problems.append('%s: defaults/main.yml %r, README %r' % (name, value, cell))
            continue
        text = literal.group(1)
        if not (text == value or yaml.safe_load(text) == value):
            problems.append('%s: defaults/main.yml %r, README %r' % (name, value, cell))
    assert not problems, 'roles/%s:\n' % role + '\n'.join(problems)
