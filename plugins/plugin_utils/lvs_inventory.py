# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read an Ansible inventory (``hostvars``, ``groups``) for :mod:`lvs_validate` and run the validation (controller).

Shared by the action plugin ``ecmp.lvs.validate_inventory`` (the first task of ``playbooks/site.yml`` and
``playbooks/drain.yml``) and the lookup plugin ``ecmp.lvs.validate_inventory`` (the guard in the ``hosts`` keyword
of their first play, which validates when a run would skip that task: ``--start-at-task``, ``--skip-tags``,
``--step``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.ecmp.lvs.plugins.module_utils.lvs_model import LvsModelError, is_list
from ansible_collections.ecmp.lvs.plugins.plugin_utils import lvs_validate

EMPTY_REPORT = {'errors': [], 'warnings': [], 'services': [], 'vips': [], 'directors': [], 'routers': [],
                'realservers': []}


def plain(value):
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
        return dict((plain(k), plain(v)) for k, v in value.items())
    if is_list(value):
        return [plain(v) for v in value]
    return value


def _exc_text(exc):
    return to_native(exc.message if hasattr(exc, 'message') else exc)


def _hosts(groups):
    hosts = list(groups.get('all', []))
    for host in groups.get('ungrouped', []):
        if host not in hosts:
            hosts.append(host)
    return hosts


def _lvs_names(host_vars):
    """The ``lvs_*`` variable names a host defines (for the misspelling check); none when they cannot be listed."""
    try:
        return sorted(str(name) for name in host_vars if str(name).startswith('lvs_'))
    except (AnsibleError, TypeError):
        return []


def extract(hostvars, groups, names=lvs_validate.EXTRACTED_VARS):
    """``({host: {var: value}}, [errors])`` for every inventory host: the variables the validator reads.

    Besides the values, ``{host: {...}}`` holds under the key :data:`lvs_validate.DEFINED_KEY` the sorted
    ``lvs_*`` names the host defines. A variable that cannot be templated on the controller yet (e.g. it needs
    facts) is an error (its value is never printed: it may be a secret).
    """
    result = {}
    errors = []
    for host in _hosts(groups):
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
                values[name] = plain(host_vars[name])
            except AnsibleError as exc:
                if name in lvs_validate.LENIENT_VARS:
                    continue    # needs facts: the role checks it when it renders it
                errors.append("hostvars['%s'].%s: cannot be evaluated on the controller before any host is "
                              "contacted (%s); use a literal value, or leave it unset to get the documented "
                              "default" % (host, name, _exc_text(exc)))
        values[lvs_validate.DEFINED_KEY] = _lvs_names(host_vars)
        result[host] = values
    return result, errors


def controller_values(task_vars, template):
    """``({global variable: value}, [errors])`` as the controller sees them (``template`` templates one value)."""
    values = {}
    errors = []
    for name in lvs_validate.GLOBAL_VARS + lvs_validate.SECRET_VARS + lvs_validate.DRAIN_VARS:
        if name in task_vars:
            try:
                values[name] = plain(template(task_vars[name]))
            except AnsibleError as exc:
                errors.append('%s: cannot be evaluated on the controller: %s' % (name, _exc_text(exc)))
    values[lvs_validate.DEFINED_KEY] = sorted(str(n) for n in task_vars if str(n).startswith('lvs_'))
    return values, errors


def validate(hostvars, groups, controller_vars, default_ecmp_width=lvs_validate.DEFAULT_ECMP_WIDTH,
             fail_on_warnings=False, drain=False):
    """Run the whole validation: ``(errors, warnings, report)``; never raises for bad input.

    ``drain``: also check the variables of ``playbooks/drain.yml`` (``lvs_drain*`` in ``controller_vars``).
    """
    groups = dict(groups or {})
    extracted, errors = extract(hostvars, groups)
    try:
        report = lvs_validate.validate_inventory(extracted, groups, controller_vars, default_ecmp_width,
                                                 drain=drain)
    except LvsModelError as exc:  # e.g. netaddr missing on the controller
        report = dict(EMPTY_REPORT, errors=[to_native(exc)])
    errors = errors + list(report['errors'])
    warnings = list(report['warnings'])
    if fail_on_warnings:
        errors.extend('warning: %s' % w for w in warnings)
    return errors, warnings, report


def failure_message(errors):
    """The message of a failed validation: every error, one per line."""
    return ('The inventory is invalid (%d error%s); nothing was changed on any host:\n%s'
            % (len(errors), '' if len(errors) == 1 else 's', '\n'.join('- %s' % e for e in errors)))
