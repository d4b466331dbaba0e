# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in-process: exit_json/fail_json raise Exit/Fail carrying the result."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import json

import pytest

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19: the module arguments are the JSON in basic._ANSIBLE_ARGS
    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Expose these module arguments to AnsibleModule instances created within this context."""
        payload = json.dumps({'ANSIBLE_MODULE_ARGS': args or {}}).encode()
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = payload
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved


class Exit(Exception):
    """AnsibleModule.exit_json was called; args[0] is the result."""


class Fail(Exception):
    """AnsibleModule.fail_json was called; args[0] is the result."""


def run_module(monkeypatch, module, args, check_mode=False, diff=False):
    """Return (Exit or Fail, result dict) of module.main() with these module arguments."""
    warnings = []

    def exit_json(self, **kwargs):
        kwargs['warnings'] = warnings
        raise Exit(kwargs)

    def fail_json(self, **kwargs):
        raise Fail(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, msg: warnings.append(msg))
    with patch_module_args(dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)):
        with pytest.raises((Exit, Fail)) as info:
            module.main()
    return info.type, info.value.args[0]
