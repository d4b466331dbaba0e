# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: validate_inventory
short_description: Validate the ecmp.lvs inventory while a play's hosts are templated (cannot be skipped)
version_added: "0.1.0"
description:
  - "Returns its argument (a host pattern) with the role words C(routers), C(directors), C(realservers) turned into
    the inventory's groups, as P(ecmp.lvs.role_hosts#lookup) does. Used in the C(hosts) keyword of the first play of
    C(playbooks/site.yml) and C(playbooks/drain.yml): Ansible templates C(hosts) before it runs the play, whatever
    C(--limit), C(--tags), C(--skip-tags), C(--step) or C(--start-at-task) say."
  - "When the run could skip the validation task of that play (C(--start-at-task), C(--skip-tags), C(--step)), it
    validates the whole inventory itself, exactly as the M(ecmp.lvs.validate_inventory) action, and fails the run
    with every error before any host is contacted. Otherwise it does nothing and the task reports (the task's
    result lists the errors)."
  - "To see the inventory as the task does, it loads the inventory sources and extra vars of the command line
    again (play variables are not visible while C(hosts) is templated)."
options:
  _terms:
    description: The host pattern of the play.
    required: true
    type: list
    elements: str
  drain:
    description: Also check the variables of C(playbooks/drain.yml) (see the action's C(drain) option).
    type: bool
    default: false
  always:
    description: Validate even when no validation task could be skipped (tests).
    type: bool
    default: false
notes:
  - Runs on the controller and needs the Python library C(netaddr) there.
'''

EXAMPLES = r'''
- name: Validate the inventory before any host is touched
  hosts: "{{ lookup('ecmp.lvs.validate_inventory', 'localhost:realservers:directors:routers') }}"
  gather_facts: false
  tasks:
    - name: Validate the whole inventory
      ecmp.lvs.validate_inventory:
      delegate_to: localhost
      run_once: true
      tags: [always]
'''

RETURN = r'''
_raw:
  description: The host pattern, its role words turned into the inventory's groups (P(ecmp.lvs.role_hosts#lookup)).
  type: list
  elements: str
'''

from ansible import context
from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

from ansible_collections.ecmp.lvs.plugins.plugin_utils import lvs_inventory


def task_can_be_skipped(cliargs):
    """Whether the command line can skip the validation task (its tags are [always]; --limit and --tags cannot)."""
    return bool(cliargs.get('start_at_task') or cliargs.get('skip_tags') or cliargs.get('step'))


class LookupModule(LookupBase):
    """Validate the inventory of the command line when the validation task could be skipped."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        cliargs = context.CLIARGS
        if self.get_option('always') or task_can_be_skipped(cliargs):
            self._validate(variables or {})
        # the role words of the pattern -> the inventory's groups (as ecmp.lvs.role_hosts); an inventory whose
        # group variables are broken keeps the words (the validation task lists the errors)
        hostvars, groups = lvs_inventory.inventory_view(variables or {}, self._loader)
        cluster_list, errors = lvs_inventory.cluster_groups(hostvars, groups)
        if errors:
            return list(terms)
        return [lvs_inventory.role_pattern(term, cluster_list) for term in terms]

    def _validate(self, variables):
        variable_manager, hostvars, groups = lvs_inventory.command_line_inventory(self._loader)
        # the controller's view: extra vars and the play's variables visible here
        task_vars = dict(variable_manager.get_vars(include_hostvars=False))
        task_vars.update(variables)
        controller_vars, errors = lvs_inventory.controller_values(task_vars, self._templar.template)
        found, _warnings, _report = lvs_inventory.validate(hostvars, groups, controller_vars,
                                                           drain=self.get_option('drain'))
        errors.extend(found)
        if errors:
            raise AnsibleError(lvs_inventory.failure_message(errors))
