#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the work is done on the controller by plugins/action/validate_inventory.py.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: validate_inventory
short_description: Validate a whole ecmp.lvs inventory before any host is touched
version_added: "0.1.0"
description:
  - "Checks the inventory contract of ecmp.lvs (docs/architecture.md) across all hosts and groups, on the
    controller only, and fails with B(every) problem found, each naming the field path and the offending value,
    for example C(lvs_services[web].vip: '10.99.0.11' is the address of host director1 ...)."
  - "Meant as the only task of the first play of C(playbooks/site.yml) (and the first pre_task of
    C(playbooks/drain.yml)) with C(delegate_to: localhost), C(run_once: true) and C(tags: [always]), in a play on
    C(localhost:realservers:directors:routers) whose C(hosts) go through the P(ecmp.lvs.validate_inventory#lookup)
    guard: a bad inventory then stops the run before any managed host is contacted, whatever C(--limit),
    C(--tags) or C(--start-at-task) say, so nothing is changed anywhere."
  - "Strings that reach keepalived.conf or frr.conf verbatim are checked for injection: service names
    (1..64 characters of C(A-Z a-z 0-9 _ . : -)), C(health_check.path) and C(misc_path) (no control character,
    quote, brace, C(#), C(!), backslash; no shell syntax in C(misc_path)), host names used as FRR hostname or
    keepalived router_id, C(*_frr_hostname), C(*_bfd_profile), C(*_frr_log), C(director_keepalived_script_user),
    interfaces, router-ids and C(router_ospf_extra_networks) when the inventory sets them. Secrets
    (C(lvs_ospf_auth_key) 1..16, C(lvs_bgp_password) 1..80 printable ASCII characters without whitespace, quotes,
    C(#) or C(!)) are the same on every router and director and are never printed; C(lvs_ospf_auth_key_id) is
    1..255."
  - "Also: a host in two of the groups C(routers), C(directors), C(realservers); a real or sorry server with both
    C(host) and C(address); C(lvs_*) variables the collection does not know (the closest known name is
    suggested). Every error of every service is reported, and an unexpected value never ends in a traceback: the
    message names the field."
  - "Per service (the rules of the P(ecmp.lvs.lvs_services#filter) filter, reported for every bad service):
    unicast VIP and server addresses, ports 1..65535, protocol, scheduler and scheduler flags that fit it,
    weights 0..65535, quorum not above the total weight, a non-empty real-server list, real servers with an
    address (C(address), or C(host) with C(lvs_address)/C(ansible_host)), health-check fields of the right
    type, unique names and unique (vip, port, protocol)."
  - "Across the inventory: a non-empty C(directors) group; one value of C(lvs_services) on every router,
    director and real server, and of each C(lvs_routing_protocol), C(lvs_bfd_enabled), C(lvs_ospf_*),
    C(lvs_bgp_*) on every router and director; a valid unicast C(lvs_address) per host, IPv4 on routers and
    directors, never shared by two hosts; IPv4 VIPs that are neither the C(lvs_address) nor the
    C(ansible_host) of any inventory host (a host that owns the VIP answers ARP for it and takes all its
    traffic) nor the address of a real or sorry server; real servers named by C(host) are in the
    C(realservers) group and no director is a real server; health-check keys that do not apply to the check
    type (C(path) and C(status_code) need C(http_get)/C(ssl_get), C(misc_path) needs C(misc)) are errors."
  - "Routing: C(lvs_routing_protocol) is C(ospf) or C(bgp), C(lvs_bfd_enabled) a boolean. OSPF: C(lvs_ospf_area)
    a dotted quad or 0..4294967295, hello and dead intervals 1..65535 with dead greater than hello. BGP: both ASNs
    1..4294967295 (equal ASNs mean iBGP, supported by the router role with C(maximum-paths ibgp)); every director
    has a neighbor (group C(routers) or its C(director_router_peers)). Every router's C(router_ecmp_width) and
    C(router_maximum_paths) hold all directors (the C(directors) group plus its C(router_director_peers)). The
    deprecated names C(router_peers) and C(director_peers) are read while the new ones are empty, with a
    warning."
  - "Accepted on purpose: several services on one VIP with different ports or protocols, with different
    real-server sets, schedulers or persistence (IPVS keeps persistence per service, so it never spans two
    services of a VIP)."
  - Variables are read through C(hostvars) as the inventory defines them (inventory, C(group_vars),
    C(host_vars)); role defaults are not visible there, so the documented defaults of docs/architecture.md and
    of the roles (C(router_ecmp_width) 16) are applied. A variable that cannot be evaluated before facts are
    gathered is an error.
options:
  default_ecmp_width:
    description:
      - ECMP width assumed for a router that sets neither C(router_ecmp_width) nor C(router_maximum_paths)
        (the default of both in the router role).
    type: int
    default: 16
  drain:
    description:
      - Also check the variables of C(playbooks/drain.yml) (C(lvs_drain), C(lvs_drain_force) booleans,
        C(lvs_drain_timeout), C(lvs_drain_quiet) 1..86400).
    type: bool
    default: false
  fail_on_warnings:
    description:
      - Also fail on warnings (hosts without C(lvs_address), no C(routers) group).
    type: bool
    default: false
notes:
  - Runs on the controller and needs the Python library C(netaddr) there.
  - Never contacts a host and never changes anything; C(changed) is always false.
seealso:
  - module: ecmp.lvs.ipvs
  - plugin: ecmp.lvs.validate_inventory
    plugin_type: lookup
author:
  - ecmp.lvs contributors (@ecmp-lvs)
attributes:
  check_mode:
    support: full
    details: Never changes anything; runs the same in check mode.
  diff_mode:
    support: none
    details: Nothing to diff.
  platform:
    platforms: all
    details: Runs on the controller.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
'''

EXAMPLES = r'''
# The first task of the first play of playbooks/site.yml (hosts: localhost, gather_facts: false, any_errors_fatal: true)
- name: Validate the whole inventory (every error is listed)
  ecmp.lvs.validate_inventory:

# Routers without router_ecmp_width are Tomahawk-class switches with 64 paths; treat warnings as errors
- name: Validate strictly
  ecmp.lvs.validate_inventory:
    default_ecmp_width: 64
    fail_on_warnings: true
  register: lvs_inventory

- name: Show the VIPs
  ansible.builtin.debug:
    var: lvs_inventory.vips
'''

RETURN = r'''
msg:
  description: A summary; when failed, every error on its own line.
  returned: always
  type: str
  sample: "The inventory is invalid (1 error); nothing was changed on any host:\n- lvs_ospf_dead_interval: 1 must be greater than lvs_ospf_hello_interval 1 ..."
errors:
  description: "Every problem found, each C(<field path>: <value> <reason>)."
  returned: always
  type: list
  elements: str
  sample:
    - "lvs_services[web].real_servers[1].weight: 70000 is out of range 0..65535"
    - "hostvars['router1'].router_ecmp_width: 2 is less than the 3 directors (director1, director2, director3): ..."
warnings_found:
  description: Problems that do not stop the run (also shown as warnings).
  returned: always
  type: list
  elements: str
services:
  description: The normalised services (output of the P(ecmp.lvs.lvs_services#filter) filter); empty when invalid.
  returned: always
  type: list
  elements: dict
vips:
  description: The sorted unique VIPs; empty when invalid.
  returned: always
  type: list
  elements: str
  sample: ["10.99.100.10"]
directors:
  description: The hosts of the C(directors) group.
  returned: always
  type: list
  elements: str
routers:
  description: The hosts of the C(routers) group.
  returned: always
  type: list
  elements: str
realservers:
  description: The hosts of the C(realservers) group.
  returned: always
  type: list
  elements: str
'''
