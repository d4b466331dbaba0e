#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: route_info
short_description: Report kernel routes (ECMP nexthops, nexthop objects) for given prefixes
version_added: "0.1.0"
description:
  - Looks up IPv4 and IPv6 prefixes in one kernel routing table with C(ip -j route show table TABLE)
    (C(ip -j -6 route ...) for IPv6) and reports whether each route is present, its type, protocol and
    its nexthops (gateway, device, weight), so that ECMP spreading over the directors can be asserted.
  - Routes that use nexthop objects (C(nhid)) are resolved with C(ip -j nexthop show); nexthop groups,
    resilient groups included, are expanded into their members. Kernels or iproute2 builds without
    nexthop objects are tolerated (I(nexthop_groups) is then empty).
  - Read-only; never changes the host.
author:
  - ecmp.lvs contributors (@ecmp-lvs)
options:
  prefixes:
    description:
      - IPv4 or IPv6 prefixes (C(10.99.100.10/32), C(2001:db8::/48)) or plain addresses, which mean
        C(/32) or C(/128).
      - Only exact matches are reported (no longest-prefix lookup).
      - A prefix with host bits set (C(10.99.100.10/24)) is an error.
    type: list
    elements: str
    required: true
  table:
    description:
      - Routing table name (from C(/etc/iproute2/rt_tables)) or number.
    type: str
    default: main
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
    details: The module never changes anything.
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - Requires iproute2 with JSON output (C(ip -j), iproute2 4.17 or later).
  - When a table holds the same prefix several times with different metrics, the route with the
    lowest metric (the one the kernel uses) is reported.
seealso:
  - module: ecmp.lvs.sysctl_state
'''

EXAMPLES = r'''
- name: Read the VIP route on the routers
  ecmp.lvs.route_info:
    prefixes:
      - 10.99.100.10
  register: vip_route

- name: Assert that traffic to the VIP is spread over both directors
  ansible.builtin.assert:
    that:
      - vip_route.routes['10.99.100.10'].present
      - vip_route.routes['10.99.100.10'].nexthop_count == 2

- name: Look at IPv6 routes in another table
  ecmp.lvs.route_info:
    prefixes:
      - 2001:db8:100::10/128
      - 2001:db8:200::/48
    table: "100"
'''

RETURN = r'''
routes:
  description:
    - One entry per element of I(prefixes), keyed by that element exactly as given.
  returned: always
  type: dict
  sample:
    10.99.100.10:
      present: true
      prefix: 10.99.100.10/32
      type: unicast
      protocol: ospf
      metric: 20
      nexthops:
        - {gateway: 10.99.0.11, dev: eth1, weight: 1, flags: []}
        - {gateway: 10.99.0.12, dev: eth1, weight: 1, flags: []}
      nexthop_count: 2
      nhid: null
      nexthop_group: null
  contains:
    present:
      description: Whether the table holds a route for exactly this prefix.
      type: bool
    prefix:
      description: The normalised prefix (address with C(/32) or C(/128) added).
      type: str
    type:
      description: Route type (C(unicast), C(unreachable), C(blackhole), C(local), ...); null if absent.
      type: str
    protocol:
      description: >-
        Route protocol as named by iproute2 (C(kernel), C(boot), C(static), C(ospf), C(bgp), C(zebra),
        or a number); null if absent.
      type: str
    metric:
      description: Route metric (priority); null if absent.
      type: int
    nexthops:
      description:
        - Nexthops, sorted by gateway (numerically) then device. One element for a single-path route,
          none for routes without nexthops (unreachable, blackhole).
        - I(gateway) is null for device routes; IPv6 gateways of IPv4 routes (RFC 5549) are reported as is.
        - I(weight) is 1 for single-path routes. I(flags) holds kernel flags such as C(linkdown) or C(dead).
      type: list
      elements: dict
    nexthop_count:
      description: Number of nexthops.
      type: int
    nhid:
      description: Id of the nexthop object the route uses, null when the route has inline nexthops.
      type: int
    nexthop_group:
      description:
        - The resolved nexthop group when I(nhid) is a group, else null. Same shape as the elements of
          I(nexthop_groups).
      type: dict
nexthop_groups:
  description:
    - Every nexthop group of the host (C(ip -j nexthop show)), sorted by id, members resolved.
    - I(type) is C(mpath) or C(resilient); I(buckets), I(idle_timer) and I(unbalanced_timer) are only set
      for resilient groups.
  returned: always
  type: list
  elements: dict
  sample:
    - id: 11
      type: resilient
      buckets: 32
      idle_timer: 60
      unbalanced_timer: 0
      members:
        - {id: 1, gateway: 10.99.0.11, dev: eth1, weight: 1}
        - {id: 2, gateway: 10.99.0.12, dev: eth1, weight: 1}
nexthop_objects_supported:
  description: False when iproute2 or the kernel has no nexthop objects.
  returned: always
  type: bool
table:
  description: The table that was read.
  returned: always
  type: str
  sample: main
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ecmp.lvs.plugins.module_utils.iproute import (
    IprouteError,
    find_routes,
    nexthop_groups,
    nexthop_unsupported,
    normalize_prefix,
    parse_json_output,
    parse_nexthop_objects,
)


def run_ip(module, ip_bin, args, what):
    rc, out, err = module.run_command([ip_bin] + args, environ_update={'LC_ALL': 'C'})
    if rc != 0:
        module.fail_json(msg='%s failed (rc=%s): %s' % (what, rc, (err or out).strip()),
                         rc=rc, stdout=out, stderr=err)
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            prefixes=dict(type='list', elements='str', required=True),
            table=dict(type='str', default='main'),
        ),
        supports_check_mode=True,
    )
    prefixes = module.params['prefixes']
    table = module.params['table'].strip()
    if not table or any(c.isspace() for c in table):
        module.fail_json(msg='invalid table %r' % module.params['table'])

    try:
        versions = set(normalize_prefix(p).version for p in prefixes)
    except IprouteError as exc:
        module.fail_json(msg=str(exc))

    ip_bin = module.get_bin_path('ip', required=True)
    dumps = {}
    try:
        for version in sorted(versions):
            cmd = ['-j', '-%d' % version, 'route', 'show', 'table', table]
            what = 'ip %s' % ' '.join(cmd)
            dumps[version] = parse_json_output(run_ip(module, ip_bin, cmd, what), what)

        supported = True
        nh_data = []
        rc, out, err = module.run_command([ip_bin, '-j', 'nexthop', 'show'], environ_update={'LC_ALL': 'C'})
        if rc != 0:
            supported = False
            if not nexthop_unsupported(rc, err):
                module.warn('ip -j nexthop show failed (rc=%s), nexthop objects ignored: %s' % (rc, err.strip()))
        else:
            nh_data = parse_json_output(out, 'ip -j nexthop show')

        routes = find_routes(dumps, prefixes, nh_data)
        groups = nexthop_groups(parse_nexthop_objects(nh_data))
    except IprouteError as exc:
        module.fail_json(msg=str(exc))

    module.exit_json(changed=False, routes=routes, nexthop_groups=groups,
                     nexthop_objects_supported=supported, table=table)


if __name__ == '__main__':
    main()
