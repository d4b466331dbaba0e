# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Action plugin of ecmp.lvs.validate_inventory (documentation: plugins/modules/validate_inventory.py).

Runs on the controller only: it reads ``hostvars`` and ``groups`` of the play, never contacts a host, and
fails with EVERY problem of the inventory (``errors``), not only the first. The rules are in
``plugins/plugin_utils/lvs_validate.py``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.ecmp.lvs.plugins.module_utils.lvs_model import LvsModelError, is_list
from ansible_collections.ecmp.lvs.plugins.plugin_utils import lvs_validate

display = Display()

ARGUMENT_SPEC = {
    'default_ecmp_width': {'type': 'int', 'default': lvs_validate.DEFAULT_ECMP_WIDTH},
    'fail_on_warnings': {'type': 'bool', 'default': False},
}


def _plain(value):
    """A deep copy made of dict/list/str/int/float/bool/None (templates everything, drops wrapper types)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return dict((_plain(k), _plain(v)) for k, v in value.items())
    if is_list(value):
        return [_plain(v) for v in value]
    return value


def extract(hostvars, groups, names=lvs_validate.EXTRACTED_VARS):
    """``({host: {var: value}}, [errors])`` for every inventory host: the variables the validator reads.

    A variable that cannot be templated on the controller yet (e.g. it needs facts) is an error.
    """
    result = {}
    errors = []
    hosts = list(groups.get('all', []))
    for host in groups.get('ungrouped', []):
        if host not in hosts:
            hosts.append(host)
    for host in hosts:
        try:
            host_vars = hostvars[host]
        except (AnsibleError, KeyError) as exc:
            errors.append("hostvars['%s']: cannot be read: %s" % (host, to_native(exc)))
            continue
        values = {}
        for name in names:
            if name not in host_vars:
                continue
            try:
                values[name] = _plain(host_vars[name])
            except AnsibleError as exc:
                errors.append("hostvars['%s'].%s: cannot be evaluated on the controller before any host is "
                              "contacted (%s); use a literal value, or leave it unset to get the documented "
                              "default" % (host, name, to_native(exc.message if hasattr(exc, 'message') else exc)))
        result[host] = values
    return result, errors


class ActionModule(ActionBase):
    """Validate the whole ecmp.lvs inventory on the controller."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        if task_vars is None:
            task_vars = {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect

        _valid, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        groups = task_vars.get('groups') or {}
        hostvars = task_vars.get('hostvars') or {}

        extracted, errors = extract(hostvars, groups)
        controller_vars = {}
        for name in lvs_validate.GLOBAL_VARS:
            if name in task_vars:
                try:
                    controller_vars[name] = _plain(self._templar.template(task_vars[name]))
                except AnsibleError as exc:
                    errors.append('%s: cannot be evaluated on the controller: %s' % (name, to_native(exc)))
        try:
            report = lvs_validate.validate_inventory(extracted, dict(groups), controller_vars,
                                                     args['default_ecmp_width'])
        except LvsModelError as exc:  # e.g. netaddr missing on the controller
            report = {'errors': [to_native(exc)], 'warnings': [], 'services': [], 'vips': [],
                      'directors': [], 'routers': [], 'realservers': []}
        errors.extend(report['errors'])
        warnings = report['warnings']
        if args['fail_on_warnings']:
            errors.extend('warning: %s' % w for w in warnings)
        for warning in warnings:
            display.warning('ecmp.lvs.validate_inventory: %s' % warning)

        result.update({'changed': False, 'errors': errors, 'warnings_found': warnings})
        if errors:
            # only what explains the failure: every error, one per line
            result['failed'] = True
            result['msg'] = ('The inventory is invalid (%d error%s); nothing was changed on any host:\n%s'
                             % (len(errors), '' if len(errors) == 1 else 's',
                                '\n'.join('- %s' % e for e in errors)))
            return result
        result.update({
            'services': report['services'],
            'vips': report['vips'],
            'directors': report['directors'],
            'routers': report['routers'],
            'realservers': report['realservers'],
            'msg': ('inventory valid: %d service(s) on VIP(s) %s; %d router(s), %d director(s), '
                    '%d real server host(s)'
                    % (len(report['services']), ', '.join(report['vips']), len(report['routers']),
                       len(report['directors']), len(report['realservers']))),
        })
        return result
