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

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.ecmp.lvs.plugins.plugin_utils import lvs_inventory, lvs_validate

display = Display()

ARGUMENT_SPEC = {
    'default_ecmp_width': {'type': 'int', 'default': lvs_validate.DEFAULT_ECMP_WIDTH},
    'fail_on_warnings': {'type': 'bool', 'default': False},
    'drain': {'type': 'bool', 'default': False},
}

# kept for callers and tests of the former names
_plain = lvs_inventory.plain
extract = lvs_inventory.extract


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

        controller_vars, errors = lvs_inventory.controller_values(task_vars, self._templar.template)
        found, warnings, report = lvs_inventory.validate(hostvars, dict(groups), controller_vars,
                                                         args['default_ecmp_width'], args['fail_on_warnings'],
                                                         drain=args['drain'])
        errors.extend(found)
        for warning in warnings:
            display.warning('ecmp.lvs.validate_inventory: %s' % warning)

        result.update({'changed': False, 'errors': errors, 'warnings_found': warnings})
        if errors:
            # only what explains the failure: every error, one per line
            result['failed'] = True
            result['msg'] = lvs_inventory.failure_message(errors)
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
