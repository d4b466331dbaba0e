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


DEFAULT_GROUPS = dict(zip(lvs_validate.ROLE_GROUPS, lvs_validate.ROLE_GROUPS))


def _group_names(host, values, errors):
    """``{role: group}`` that a host's lvs_router_group, lvs_director_group, lvs_realserver_group name."""
    names = dict(DEFAULT_GROUPS)
    for role, var in sorted(lvs_validate.GROUP_VARS.items()):
        value = values.get(var)
        if value is None or value == '':
            continue
        if isinstance(value, str) and lvs_validate.GROUP_NAME_RE.match(value):
            names[role] = value
        else:
            errors.append("hostvars['%s'].%s: %s is not an inventory group name (letters, digits, _)"
                          % (host, var, lvs_validate.fmt_value(value)))
    return names


def clusters(extracted, groups):
    """``([{role: group}], [errors])``: the load-balancer clusters of an inventory, sorted by director group.

    A cluster is the router, director and real-server groups that its hosts name with ``lvs_router_group``,
    ``lvs_director_group`` and ``lvs_realserver_group`` (default ``routers``, ``directors``, ``realservers``): a
    host belongs to the cluster of its own three names when it is in one of those groups. Every member of a
    cluster's groups must name that cluster (a host in the groups of two clusters, or whose variables name another
    cluster, is an error). Without any host in a role group: one cluster of the default names (which the validation
    then finds without directors).
    """
    errors = []
    found = []
    names_of = {}
    for host in _hosts(groups):
        names = _group_names(host, extracted.get(host, {}), errors)
        names_of[host] = names
        if any(host in (groups.get(names[role]) or []) for role in lvs_validate.ROLE_GROUPS) and names not in found:
            found.append(names)
    for names in found:
        for role in lvs_validate.ROLE_GROUPS:
            for host in groups.get(names[role]) or []:
                own = names_of.get(host, DEFAULT_GROUPS)
                if own != names:
                    errors.append("groups['%s']: host %s is a %s of the cluster of groups['%s'], but its "
                                  'lvs_router_group / lvs_director_group / lvs_realserver_group name the cluster '
                                  "of groups['%s'] - a host belongs to one load-balancer cluster; set these three "
                                  'variables once per cluster (group_vars of a parent group of its hosts)'
                                  % (names[role], host, role[:-1], names['directors'], own['directors']))
    seen = {}
    for names in found:
        if names['directors'] in seen:
            errors.append("groups['%s']: the directors of two clusters (routers %s / %s) - one director group "
                          'per cluster' % (names['directors'], seen[names['directors']]['routers'], names['routers']))
        seen[names['directors']] = names
    found.sort(key=lambda names: names['directors'])
    return (found or [dict(DEFAULT_GROUPS)]), lvs_validate.unique(errors)


def _per_cluster(results):
    """The messages of every cluster (``[(director group, [message])]``): one said of every cluster (e.g. about a
    host variable, checked on every host each time) once as it is, the others prefixed ``cluster <group>:``."""
    if len(results) == 1:
        return list(results[0][1])
    everywhere = set.intersection(*(set(messages) for _name, messages in results))
    out = []
    for name, messages in results:
        out.extend(m if m in everywhere else 'cluster %s: %s' % (name, m) for m in messages)
    return out


def cluster_groups(hostvars, groups):
    """:func:`clusters` of a live inventory (``hostvars`` as Ansible gives it): only the group variables are read."""
    groups = dict(groups or {})
    extracted, errors = extract(hostvars, groups, names=tuple(sorted(lvs_validate.GROUP_VARS.values())))
    cluster_list, cluster_errors = clusters(extracted, groups)
    return cluster_list, lvs_validate.unique(errors + cluster_errors)


def command_line_inventory(loader):
    """``(variable_manager, hostvars, groups)`` of the inventory sources of the command line, loaded again."""
    # imported here: the unit tests of this module run without an inventory
    from ansible import context  # pylint: disable=import-outside-toplevel
    from ansible.inventory.manager import InventoryManager  # pylint: disable=import-outside-toplevel
    from ansible.vars.hostvars import HostVars  # pylint: disable=import-outside-toplevel
    from ansible.vars.manager import VariableManager  # pylint: disable=import-outside-toplevel
    inventory = InventoryManager(loader=loader, sources=list(context.CLIARGS.get('inventory') or []))
    variable_manager = VariableManager(loader=loader, inventory=inventory)
    return (variable_manager, HostVars(inventory=inventory, variable_manager=variable_manager, loader=loader),
            inventory.get_groups_dict())


def inventory_view(variables, loader):
    """``(hostvars, groups)`` while a play's ``hosts`` is templated: the executor's own when the lookup got them,
    else the inventory sources of the command line loaded again (:func:`command_line_inventory`)."""
    if variables.get('hostvars') is not None and variables.get('groups') is not None:
        return variables['hostvars'], variables['groups']
    return command_line_inventory(loader)[1:]


def rollout_hosts(role, cluster_list, groups):
    """The hosts of ``role`` (e.g. ``directors``) of every cluster in rollout order: round robin over the
    clusters (``a1, b1, a2, b2, a3, ...``), so that with :func:`rollout_serial` the first batch changes one host
    of each cluster (a canary per cluster) and no later batch changes every host of a cluster."""
    columns = [list(groups.get(names[role]) or []) for names in cluster_list]
    hosts = []
    for index in range(max([len(c) for c in columns] or [0])):
        hosts.extend(column[index] for column in columns if index < len(column))
    return lvs_validate.unique(hosts)


def rollout_serial(cluster_list):
    """The default batches (play keyword ``serial``) of the directors: a canary per cluster, then half of them."""
    return [len(cluster_list), '50%']


def role_pattern(pattern, cluster_list):
    """A host pattern whose role words (``routers``, ``directors``, ``realservers``) name the groups of every
    cluster: ``localhost:directors`` -> ``localhost:lb_nodes:site_b_directors``. Other terms are kept."""
    terms = []
    for term in str(pattern).split(':'):
        if term in lvs_validate.ROLE_GROUPS:
            terms.extend(names[term] for names in cluster_list)
        else:
            terms.append(term)
    return ':'.join(lvs_validate.unique(terms))


def validate(hostvars, groups, controller_vars, default_ecmp_width=lvs_validate.DEFAULT_ECMP_WIDTH,
             fail_on_warnings=False, drain=False):
    """Run the whole validation: ``(errors, warnings, report)``; never raises for bad input.

    Every load-balancer cluster (:func:`clusters`) is validated on its own; with several, each message says which
    (``cluster <director group>:``) and the report lists the hosts and services of all of them.
    ``drain``: also check the variables of ``playbooks/drain.yml`` (``lvs_drain*`` in ``controller_vars``).
    """
    groups = dict(groups or {})
    extracted, errors = extract(hostvars, groups)
    cluster_list, cluster_errors = clusters(extracted, groups)
    errors = errors + cluster_errors
    merged = dict((key, []) for key in EMPTY_REPORT)
    found = {'errors': [], 'warnings': []}
    for names in cluster_list:
        try:
            report = lvs_validate.validate_inventory(extracted, groups, controller_vars, default_ecmp_width,
                                                     drain=drain, group_names=names)
        except LvsModelError as exc:  # e.g. netaddr missing on the controller
            report = dict(EMPTY_REPORT, errors=[to_native(exc)])
        for key in found:
            found[key].append((names['directors'], report[key]))
        for key in ('services', 'vips', 'directors', 'routers', 'realservers'):
            merged[key].extend(report[key])
    errors = lvs_validate.unique(errors + _per_cluster(found['errors']))
    warnings = lvs_validate.unique(_per_cluster(found['warnings']))
    merged.update(errors=errors, warnings=warnings, clusters=cluster_list)
    if errors:
        merged['services'] = []
    if fail_on_warnings:
        errors.extend('warning: %s' % w for w in warnings)
    return errors, warnings, merged


def failure_message(errors):
    """The message of a failed validation: every error, one per line."""
    return ('The inventory is invalid (%d error%s); nothing was changed on any host:\n%s'
            % (len(errors), '' if len(errors) == 1 else 's', '\n'.join('- %s' % e for e in errors)))
