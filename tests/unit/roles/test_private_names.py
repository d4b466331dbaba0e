# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One private-variable convention: every private name (``__name``) in the roles' YAML and Jinja is
``__<role>_*`` of the role it is in (ecmp.lvs.frr's one input is ``__frr``), and in a playbook ``__<playbook>_*`` (``ospf-key-switch.yml``:
``__ospf_key_switch_*``). The only crossings are the documented interfaces: a routing role passes the input of
ecmp.lvs.frr (the dict ``__frr``, its keys listed in
roles/frr/meta/argument_specs.yml) and reads what it registers, and a playbook reads what a role registered
(``__frr_ospf_keys``). Python files are not concerned (their dunders are Python's)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
NAME = re.compile(r'(?<![A-Za-z0-9_])__[a-z][a-z0-9_]*')
# role -> the other roles whose private names it may use (the inputs it passes them)
PASSES_INPUTS_TO = {'director': ('frr',), 'router': ('frr',), 'realserver': (), 'frr': ()}
# playbook -> private names of roles it reads (what they registered)
PLAYBOOK_READS = {'ospf-key-switch.yml': ('__frr_ospf_keys', '__frr_ospf_keys_switched')}


def names_in(path):
    with open(path, encoding='utf-8', errors='replace') as handle:
        return set(name for name in NAME.findall(handle.read()) if not name.endswith('__'))


def role_files(role):
    for path in glob.glob(os.path.join(ROOT, 'roles', role, '**', '*'), recursive=True):
        if os.path.isfile(path) and path.endswith(('.yml', '.j2')) and '/files/' not in path:
            yield path


def frr_inputs():
    """The input of ecmp.lvs.frr: one dict, __frr (its keys are the suboptions of its argument spec)."""
    with open(os.path.join(ROOT, 'roles', 'frr', 'meta', 'argument_specs.yml'), encoding='utf-8') as handle:
        specs = yaml.safe_load(handle)['argument_specs']
    return set(name for spec in specs.values() for name in (spec.get('options') or {}))


def frr_registers():
    """What the tasks of ecmp.lvs.frr register (read by its callers, e.g. __frr_packages_installed)."""
    found = set()
    for path in glob.glob(os.path.join(ROOT, 'roles', 'frr', 'tasks', '*.yml')):
        with open(path, encoding='utf-8') as handle:
            found.update(re.findall(r'^\s*register:\s*(__frr_[a-z0-9_]+)\s*$', handle.read(), re.M))
    return found


def test_every_role_uses_its_own_prefix():
    assert sorted(PASSES_INPUTS_TO) == sorted(os.listdir(os.path.join(ROOT, 'roles')))
    inputs = frr_inputs() | frr_registers()
    assert inputs >= set(['__frr', '__frr_packages_installed', '__frr_start'])
    wrong = []
    for role, callees in PASSES_INPUTS_TO.items():
        for path in role_files(role):
            for name in names_in(path):
                if name.startswith('__%s_' % role) or name == '__%s' % role:
                    continue
                if 'frr' in callees and name in inputs:
                    continue
                wrong.append('%s: %s' % (os.path.relpath(path, ROOT), name))
    assert not wrong, 'private names outside the convention __<role>_*:\n' + '\n'.join(sorted(wrong))


def test_every_playbook_uses_its_own_prefix():
    wrong = []
    for path in glob.glob(os.path.join(ROOT, 'playbooks', '*.yml')):
        base = os.path.basename(path)
        prefix = '__%s_' % base[:-len('.yml')].replace('-', '_')
        for name in names_in(path):
            if not name.startswith(prefix) and name not in PLAYBOOK_READS.get(base, ()):
                wrong.append('%s: %s' % (base, name))
    assert not wrong, 'private names outside the convention __<playbook>_*:\n' + '\n'.join(sorted(wrong))


def test_the_convention_catches_a_stray_name(tmp_path):
    stray = tmp_path / 'x.yml'
    stray.write_text('__check: "{{ __director_x }}"\n# __init__.py\n')
    assert names_in(str(stray)) == set(['__check', '__director_x'])
