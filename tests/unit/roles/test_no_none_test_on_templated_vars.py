# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Before ansible-core 2.19 a variable whose value is a template such as ``"{{ lvs_ospf_auth_key | default(none) }}"``
is never None: the template renders ``''``. A role that tests such a variable with ``is none`` / ``is not none``
works on 2.19 and breaks on the older cores it supports (found by the lab of ``make core-matrix`` on 2.15: without
an OSPF key the directors got an MD5 key ``''``). The roles' private variables (``__*``) are all templated: test
them for truth instead (``if not __x``, ``| select``), or compare with ``[none, '']``."""

import os
import re

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
NONE_TEST = re.compile(r'\b(__[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*)(?:\s*\|\s*[a-z_]+(?:\([^)]*\))?)*\s+is\s+(?:not\s+)?none\b')


def _role_files():
    for base in ('roles', 'playbooks'):
        for dirpath, _dirs, files in os.walk(os.path.join(ROOT, base)):
            for name in files:
                if name.endswith(('.yml', '.yaml', '.j2')):
                    yield os.path.join(dirpath, name)


def test_no_none_test_on_a_private_variable():
    found = []
    for path in _role_files():
        with open(path, encoding='utf-8') as fd:
            for number, line in enumerate(fd, 1):
                if line.lstrip().startswith('#'):
                    continue
                for match in NONE_TEST.finditer(line):
                    found.append('%s:%d: %s' % (os.path.relpath(path, ROOT), number, match.group(0)))
    assert not found, 'a templated variable is never None before ansible-core 2.19:\n' + '\n'.join(found)


def test_the_check_finds_what_it_looks_for():
    assert NONE_TEST.search("{{ [] if __director_ospf_auth_key is none else x }}")
    assert NONE_TEST.search("allow_switch: '{{ __frr_ospf_key_switch_at | default(none) is not none }}'")
    assert NONE_TEST.search("when: __frr.ospf_key_switch_at is not none")
    assert not NONE_TEST.search("{% if check.path is not none %}")
    assert not NONE_TEST.search("{{ lvs_ospf_auth_key | default(none) is not none }}")
