# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: role_hosts
short_description: The host pattern of the ecmp.lvs role groups, whatever the inventory calls them
version_added: "0.2.0"
description:
  - "Turns the role words of a host pattern - C(routers), C(directors), C(realservers) - into the inventory groups
    that the hosts name with the inventory variables C(lvs_router_group), C(lvs_director_group) and
    C(lvs_realserver_group) (default: the role words themselves), for every load-balancer cluster of the
    inventory. Other terms of the pattern stay."
  - "Used in the C(hosts) keyword of the collection's playbooks (C(playbooks/site.yml), C(drain.yml), C(status.yml),
    C(ospf-key-switch.yml)): play keywords cannot read inventory variables, a lookup can."
  - "A cluster is the three groups its hosts name; a host in the groups of two clusters, or a group variable that
    is not a group name, fails the lookup (M(ecmp.lvs.validate_inventory) reports the same errors)."
options:
  _terms:
    description: Host patterns (C(:)-separated terms) with role words; with O(rollout) or O(serial) one role word.
    required: true
    type: list
    elements: str
  rollout:
    description:
      - Return the hosts of the role, in rollout order, instead of a group pattern when the inventory has several
        clusters - round robin over the clusters (C(a1,b1,a2,b2,...)). With O(serial)'s batches the first batch
        changes one host of each cluster (a canary per cluster) and no batch changes every host of a cluster.
      - With one cluster the group pattern as without it.
    type: bool
    default: false
  serial:
    description:
      - Return the default batches (play keyword C(serial)) of the directors instead - C([clusters, '50%']), i.e.
        C([1, '50%']) for one cluster. Use with C(wantlist=true).
    type: bool
    default: false
  clusters:
    description:
      - "Return the load-balancer clusters instead - one dict per cluster naming its groups,
        C({routers: <group>, directors: <group>, realservers: <group>}), sorted by director group (the terms are
        not used). Use with C(wantlist=true)."
    type: bool
    default: false
notes:
  - "Example: with C(lvs_director_group: lb_nodes) in C(group_vars/all), C(directors) becomes C(lb_nodes); with
    two clusters (C(site_a_directors), C(site_b_directors)) it becomes C(site_a_directors:site_b_directors)."
'''

EXAMPLES = r'''
- name: Real servers
  hosts: "{{ lookup('ecmp.lvs.role_hosts', 'realservers') }}"
  roles:
    - role: ecmp.lvs.realserver

- name: Directors, a canary of every cluster first, then at most half
  hosts: "{{ lookup('ecmp.lvs.role_hosts', 'directors', rollout=true) }}"
  serial: "{{ lookup('ecmp.lvs.role_hosts', 'directors', serial=true, wantlist=true) }}"
  max_fail_percentage: 0
  roles:
    - role: ecmp.lvs.director
'''

RETURN = r'''
_raw:
  description:
    - The host patterns with the role words replaced by group names (with O(rollout) and several clusters, the
      hosts themselves, comma-separated; with O(serial) the batches; with O(clusters) one dict per cluster).
  type: list
  elements: raw
'''

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

from ansible_collections.ecmp.lvs.plugins.plugin_utils import lvs_inventory


class LookupModule(LookupBase):
    """Role words of a host pattern -> the inventory's groups of every cluster."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        hostvars, groups = lvs_inventory.inventory_view(variables, self._loader)
        cluster_list, errors = lvs_inventory.cluster_groups(hostvars, groups)
        if errors:
            raise AnsibleError(lvs_inventory.failure_message(errors))
        if self.get_option('clusters'):
            return [dict(cluster) for cluster in cluster_list]
        if self.get_option('serial'):
            return lvs_inventory.rollout_serial(cluster_list)
        if self.get_option('rollout') and len(cluster_list) > 1:
            return [','.join(lvs_inventory.rollout_hosts(term, cluster_list, groups)) for term in terms]
        return [lvs_inventory.role_pattern(term, cluster_list) for term in terms]
