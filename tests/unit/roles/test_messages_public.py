# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Messages name public variables only (issue 14): what a failure prints names what the user sets - a role option,
an ``lvs_*`` contract variable, an inventory group - never a private variable (``__...``), which a user cannot set.

* the text of every fail_msg / msg / success_msg of the roles and playbooks (and the ``*_message`` variables of the
  roles' vars/), outside its Jinja expressions, names no private variable, and every variable-like name in it
  (``router_*``, ``director_*``, ``realserver_*``, ``lvs_*``) is a public one;
* an ``assert`` prints its failed condition with the message (``"assertion": "..."``): its conditions name no
  private variable (a check of a computed value is a ``fail`` with ``when``, whose condition is not printed);
* the strings of the plugins (modules, filters, lookups, action, plugin_utils, module_utils: their error messages)
  name no role-private variable.
"""
import ast
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
JINJA = re.compile(r'\{\{.*?\}\}|\{%.*?%\}', re.S)
PRIVATE = re.compile(r'(?<![\w.])__[a-z][a-z0-9_]*')
# a dunder (__init__, __defined_lvs_names__) is Python's or a data key, not a role variable
DUNDER = re.compile(r'^__\w+__$')
VARIABLE_LIKE = re.compile(r'(?<![\w./-])((?:lvs|router|director|realserver)_[a-z0-9_]+)\b')
# lvs_* variables the playbooks read (extra vars), not role options
PLAYBOOK_VARIABLES = {'lvs_director_serial', 'lvs_router_serial', 'lvs_realserver_serial', 'lvs_ospf_key_switch_delay'}


def _files():
    for top in ('roles', 'playbooks'):
        for base, _dirs, names in os.walk(os.path.join(ROOT, top)):
            if '/meta' in base or '/defaults' in base or '/templates' in base:
                continue
            for name in names:
                if name.endswith('.yml'):
                    yield os.path.join(base, name)


def _messages(node, path=''):
    """The message texts of tasks (fail_msg, msg, success_msg) and of the roles' ``*_message`` variables."""
    if '/vars/' in path:
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith('_message') and isinstance(value, str):
                    yield value
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ('fail_msg', 'msg', 'success_msg') and isinstance(value, str):
                yield value
            else:
                yield from _messages(value)
    elif isinstance(node, list):
        for item in node:
            yield from _messages(item)


def _assert_conditions(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ('assert', 'ansible.builtin.assert', 'ansible.legacy.assert') and isinstance(value, dict):
                that = value.get('that')
                yield from ([that] if isinstance(that, str) else that or [])
            else:
                yield from _assert_conditions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _assert_conditions(item)


def _public_variables():
    names = set(PLAYBOOK_VARIABLES)
    for role in ('router', 'director', 'realserver'):
        with open(os.path.join(ROOT, 'roles', role, 'meta', 'argument_specs.yml'), encoding='utf-8') as handle:
            for entry in yaml.safe_load(handle)['argument_specs'].values():
                names.update(entry.get('options') or {})
    return names


PUBLIC = _public_variables()


def message_problems(text):
    """What a message text names that a user cannot set."""
    plain = JINJA.sub('', text)
    problems = ['private variable %s' % name for name in PRIVATE.findall(plain)]
    problems += ['%s is no public variable' % name for name in VARIABLE_LIKE.findall(plain) if name not in PUBLIC]
    return problems


def condition_problems(condition):
    return ['the failed condition names %s' % name for name in PRIVATE.findall(str(condition))]


def _load(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize('path', sorted(_files()), ids=lambda p: os.path.relpath(p, ROOT))
def test_messages_name_no_private_variable(path):
    data = _load(path)
    bad = [(message_problems(text), text[:120]) for text in _messages(data, path) if message_problems(text)]
    assert not bad, bad


@pytest.mark.parametrize('path', sorted(_files()), ids=lambda p: os.path.relpath(p, ROOT))
def test_assert_conditions_name_no_private_variable(path):
    """A failed assert prints its condition: a check of a private (computed) value is a fail with when."""
    bad = [(condition_problems(c), c) for c in _assert_conditions(_load(path)) if condition_problems(c)]
    assert not bad, bad


def _plugin_files():
    for base, _dirs, names in os.walk(os.path.join(ROOT, 'plugins')):
        for name in names:
            if name.endswith('.py'):
                yield os.path.join(base, name)


# the private variables of the roles (vars/main.yml, the internal inputs of ecmp.lvs.frr, the VIP unit's locals)
ROLE_PRIVATE = re.compile(r'(?<![\w.])__(?:router|director|realserver|frr|lvs)_[a-z0-9_]*')


def plugin_problems(source):
    """Strings of a plugin (its error messages among them; docstrings left out) that name a role-private
    variable."""
    tree = ast.parse(source)
    docstrings = {id(node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            for name in ROLE_PRIVATE.findall(node.value):
                if not DUNDER.match(name):
                    problems.append('line %d: %s' % (node.lineno, name))
    return problems


@pytest.mark.parametrize('path', sorted(_plugin_files()), ids=lambda p: os.path.relpath(p, ROOT))
def test_plugin_strings_name_no_private_variable(path):
    with open(path, encoding='utf-8') as handle:
        problems = plugin_problems(handle.read())
    assert not problems, problems


def test_the_checks_find_what_they_look_for():
    assert message_problems('{{ inventory_hostname }}: __director_router_peers is empty')
    assert message_problems('no router to announce to: set router_peer (the group {{ __director_router_group }})')
    assert not message_problems('{{ inventory_hostname }}: set director_router_peers or the group {{ __director_router_group }}')
    assert not message_problems('lvs_routing_protocol is bgp; director_vips ({{ director_vips | join(", ") }})')
    assert condition_problems("__router_director_peers | length > 0")
    assert not condition_problems("director_vips | length > 0")
    assert plugin_problems("raise AnsibleError('__director_services is empty')\n")
    assert not plugin_problems("KEY = '__defined_lvs_names__'\nclass A:\n    def __init__(self):\n        pass\n")
    assert not plugin_problems('def f():\n    """the kernel (__ip_vs_update_dest), not __director_x"""\n')
