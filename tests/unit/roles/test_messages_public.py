# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Messages name public variables only (issue 14): the text of every fail_msg / msg of the roles and playbooks,
outside its Jinja expressions, names no private variable (``__...``) - a user cannot set those."""
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
JINJA = re.compile(r'\{\{.*?\}\}|\{%.*?%\}', re.S)
PRIVATE = re.compile(r'(?<![\w.])__[a-z][a-z0-9_]*')


def _files():
    for top in ('roles', 'playbooks'):
        for base, _dirs, names in os.walk(os.path.join(ROOT, top)):
            if '/meta' in base or '/defaults' in base or '/vars' in base or '/templates' in base:
                continue
            for name in names:
                if name.endswith('.yml'):
                    yield os.path.join(base, name)


def _messages(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ('fail_msg', 'msg', 'success_msg') and isinstance(value, str):
                yield value
            else:
                yield from _messages(value)
    elif isinstance(node, list):
        for item in node:
            yield from _messages(item)


@pytest.mark.parametrize('path', sorted(_files()), ids=lambda p: os.path.relpath(p, ROOT))
def test_messages_name_no_private_variable(path):
    with open(path, encoding='utf-8') as handle:
        data = yaml.safe_load(handle)
    bad = [(PRIVATE.findall(JINJA.sub('', text)), text[:120]) for text in _messages(data)
           if PRIVATE.search(JINJA.sub('', text))]
    assert not bad, bad
