#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ipvs_info
short_description: Read the IPVS (LVS) table, its counters and the net.ipv4.vs sysctls
version_added: "0.1.0"
description:
  - Returns every IPVS virtual service with its real servers in the same shape as the O(ecmp.lvs.ipvs#module:services)
    option of M(ecmp.lvs.ipvs), plus connection counts, traffic counters and rates.
  - Returns, per service, the real servers in the kernel's own list order (RV(services[].real_server_order)),
    which decides the lookup tables of the hashing schedulers, and the connection sync daemons that run.
  - Returns the IPVS sysctls (C(net.ipv4.vs.*)) of the host's network namespace and the IPVS version.
  - Read-only. Fails with a clear message when C(ipvsadm) is missing or the kernel has no IPVS.
author:
  - ecmp.lvs contributors (@ecmp-lvs)
options: {}
requirements:
  - ipvsadm
  - a kernel with IPVS
notes:
  - The values come from several C(ipvsadm) calls (C(-Sn), C(-Ln --thresholds|--stats|--rate --exact),
    C(-Ln --nosort), C(-L --daemon)); a service created or deleted between them lacks some counters.
attributes:
  check_mode:
    support: full
    details: The module never changes anything.
  diff_mode:
    support: none
    details: Nothing to show.
  platform:
    platforms: posix
    details: Linux hosts with IPVS; needs root (CAP_NET_ADMIN).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
seealso:
  - module: ecmp.lvs.ipvs
'''

EXAMPLES = r'''
- name: Read the IPVS table
  ecmp.lvs.ipvs_info:
  register: ipvs

- name: Every director has two real servers with weight > 0 for the VIP
  ansible.builtin.assert:
    that:
      - svc.real_servers | selectattr('weight', 'gt', 0) | list | length == 2
  vars:
    svc: "{{ ipvs.services | selectattr('vip', 'eq', '10.99.100.10') | selectattr('port', 'eq', 80) | first }}"

- name: Warn when a hashing service's real servers are not in the order a fresh keepalived start gives
  ansible.builtin.debug:
    msg: "{{ ipvs.services | ecmp.lvs.ipvs_order_drift(lvs_services | ecmp.lvs.lvs_services(hostvars)) }}"

- name: Show the connection counters per real server
  ansible.builtin.debug:
    msg: "{{ item.address }}: {{ item.active_conns }} active, {{ item.stats.conns }} total"
  loop: "{{ ipvs.services | map(attribute='real_servers') | flatten }}"
'''

RETURN = r'''
version:
  description: IPVS version reported by the kernel (header of C(ipvsadm -Ln)).
  returned: success
  type: str
  sample: 1.2.1
table_size:
  description: Size of the IPVS connection hash table.
  returned: success
  type: int
  sample: 4096
sync_daemons:
  description:
    - The IPVS connection synchronisation daemons running in the host's network namespace
      (C(ipvsadm -L --daemon)); empty when none runs.
  returned: success
  type: list
  elements: dict
  contains:
    state:
      description: V(master) (sends this host's connections) or V(backup) (receives those of others).
      type: str
    mcast_interface:
      description: Interface of the multicast traffic.
      type: str
    syncid:
      description: Sync id (V(0) on a backup accepts every id).
      type: int
    sync_maxlen:
      description: Maximum sync message length.
      type: int
    mcast_group:
      description: Multicast group.
      type: str
    mcast_port:
      description: UDP port.
      type: int
    mcast_ttl:
      description: Multicast TTL.
      type: int
  sample:
    - {state: master, mcast_interface: eth1, syncid: 7, sync_maxlen: 1472, mcast_group: 224.0.0.81, mcast_port: 8848,
       mcast_ttl: 1}
sysctls:
  description: Every readable C(net.ipv4.vs.*) sysctl, value as text (as in C(/proc/sys), whitespace trimmed).
  returned: success
  type: dict
  sample: {"net.ipv4.vs.conntrack": "0", "net.ipv4.vs.expire_nodest_conn": "0", "net.ipv4.vs.sloppy_tcp": "0"}
services:
  description:
    - The virtual services, sorted; same keys as RV(ecmp.lvs.ipvs#module:after) plus counters.
  returned: success
  type: list
  elements: dict
  contains:
    protocol:
      description: V(tcp), V(udp), V(sctp); V(null) for firewall-mark services.
      type: str
    vip:
      description: Virtual IP address (V(null) for firewall-mark services).
      type: str
    port:
      description: Service port (V(null) for firewall-mark services).
      type: int
    fwmark:
      description: Firewall mark, or V(null).
      type: int
    family:
      description: V(ipv4) or V(ipv6).
      type: str
    scheduler:
      description: Scheduler name.
      type: str
    scheduler_flags:
      description: Scheduler flags with ipvsadm's names.
      type: list
      elements: str
    persistence_timeout:
      description: Persistence timeout in seconds, V(0) when off.
      type: int
    persistence_netmask:
      description: Persistence netmask, V(null) when persistence is off.
      type: str
    ops:
      description: One-packet scheduling.
      type: bool
    stats:
      description: Totals of the service since it was created (C(ipvsadm -Ln --stats --exact)).
      type: dict
      contains:
        conns:
          description: Connections scheduled.
          type: int
        inpkts:
          description: Packets in.
          type: int
        outpkts:
          description: Packets out (0 for direct routing, where replies bypass the director).
          type: int
        inbytes:
          description: Bytes in.
          type: int
        outbytes:
          description: Bytes out.
          type: int
    rate:
      description: Current rates of the service (C(ipvsadm -Ln --rate --exact)).
      type: dict
      contains:
        cps:
          description: Connections per second.
          type: int
        inpps:
          description: Packets per second in.
          type: int
        outpps:
          description: Packets per second out.
          type: int
        inbps:
          description: Bytes per second in.
          type: int
        outbps:
          description: Bytes per second out.
          type: int
    real_server_order:
      description:
        - C(address:port) of every real server (IPv6 in brackets) in the order of the kernel's destination list
          (C(ipvsadm -Ln --nosort)). The V(dh), V(sh) and V(mh) schedulers build their lookup tables by walking
          this list, so directors agree on every flow only when their orders are equal.
        - IPVS inserts a new real server at the head of the list, so the last one added comes first; keepalived
          adds them in configuration order at start and appends new ones on reload.
        - The filter C(ecmp.lvs.ipvs_order_drift) compares it with the configured order.
      type: list
      elements: str
      sample: ["10.99.0.22:80", "10.99.0.21:80"]
    real_servers:
      description: Real servers sorted by address and port.
      type: list
      elements: dict
      contains:
        address:
          description: Real server address.
          type: str
        port:
          description: Real server port.
          type: int
        forwarding:
          description: V(dr), V(nat) or V(tun).
          type: str
        weight:
          description: Weight.
          type: int
        u_threshold:
          description: Upper connection threshold.
          type: int
        l_threshold:
          description: Lower connection threshold.
          type: int
        active_conns:
          description: Active (established) connections.
          type: int
        inactive_conns:
          description: Other connections (e.g. SYN_RECV, TIME_WAIT, UDP).
          type: int
        stats:
          description: Totals for this real server, keys as RV(services[].stats).
          type: dict
        rate:
          description: Rates for this real server, keys as RV(services[].rate).
          type: dict
  sample:
    - protocol: tcp
      vip: 10.99.200.1
      real_server_order: ["10.99.0.22:80", "10.99.0.21:80", "10.99.0.1:80"]
      port: 80
      fwmark: null
      family: ipv4
      scheduler: mh
      scheduler_flags: [mh-fallback, mh-port]
      persistence_timeout: 0
      persistence_netmask: null
      ops: false
      stats: {conns: 7, inpkts: 24, outpkts: 21, inbytes: 1529, outbytes: 5948}
      rate: {cps: 1, inpps: 2, outpps: 1, inbps: 110, outbps: 420}
      real_servers:
        - address: 10.99.0.1
          port: 80
          forwarding: dr
          weight: 1
          u_threshold: 0
          l_threshold: 0
          active_conns: 1
          inactive_conns: 2
          stats: {conns: 4, inpkts: 21, outpkts: 18, inbytes: 1349, outbytes: 5684}
          rate: {cps: 0, inpps: 2, outpps: 1, inbps: 97, outbps: 401}
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ecmp.lvs.plugins.module_utils.ipvs import (
    RATE_KEYS, STATS_KEYS, IpvsError, kernel_orders, merge_listing, no_ipvs, parse_daemons, parse_list, parse_save,
    public_service, read_sysctls, service_key,
)

SYSCTL_DIR = '/proc/sys/net/ipv4/vs'


def run(module, ipvsadm, args):
    rc, out, err = module.run_command([ipvsadm] + args)
    if rc != 0:
        text = (err or out).strip()
        if no_ipvs(text):
            module.fail_json(msg='the kernel has no IPVS (load the ip_vs module, or use a kernel built with '
                                 'CONFIG_IP_VS): %s' % text, rc=rc, stderr=err)
        module.fail_json(msg='ipvsadm %s failed: %s' % (' '.join(args), text), rc=rc, stdout=out, stderr=err)
    return out


def sysctl_values(path):
    values = {}
    if not os.path.isdir(path):
        return values
    for name in os.listdir(path):
        try:
            with open(os.path.join(path, name)) as f:
                values[name] = f.read()
        except (IOError, OSError):
            continue  # write-only or not permitted in this namespace
    return values


def gather(module, ipvsadm):
    save = run(module, ipvsadm, ['-Sn'])
    thresholds = run(module, ipvsadm, ['-Ln', '--thresholds', '--exact'])
    stats = run(module, ipvsadm, ['-Ln', '--stats', '--exact'])
    rate = run(module, ipvsadm, ['-Ln', '--rate', '--exact'])
    # every listing above is sorted by ipvsadm; only --nosort shows the kernel's real-server order
    orders = kernel_orders(parse_list(run(module, ipvsadm, ['-Ln', '--nosort'])))
    daemons = parse_daemons(run(module, ipvsadm, ['-L', '--daemon']))
    services = parse_save(save)
    listing = parse_list(thresholds)
    merge_listing(services, listing, rs_fields=('u_threshold', 'l_threshold', 'active_conns', 'inactive_conns'))
    merge_listing(services, parse_list(stats), svc_field='stats', rs_group='stats')
    merge_listing(services, parse_list(rate), svc_field='rate', rs_group='rate')
    out = []
    for svc in services:
        pub = public_service(svc)
        pub['stats'] = svc.get('stats', dict((k, 0) for k in STATS_KEYS))
        pub['rate'] = svc.get('rate', dict((k, 0) for k in RATE_KEYS))
        for pub_rs, rs in zip(pub['real_servers'], svc['real_servers']):
            pub_rs['active_conns'] = rs.get('active_conns', 0)
            pub_rs['inactive_conns'] = rs.get('inactive_conns', 0)
            pub_rs['stats'] = rs.get('stats', dict((k, 0) for k in STATS_KEYS))
            pub_rs['rate'] = rs.get('rate', dict((k, 0) for k in RATE_KEYS))
        pub['real_server_order'] = orders.get(service_key(svc), [])
        out.append(pub)
    return dict(services=out, version=listing['version'], table_size=listing['table_size'], sync_daemons=daemons)


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    ipvsadm = module.get_bin_path('ipvsadm')
    if not ipvsadm:
        module.fail_json(msg='ipvsadm was not found in PATH; install the ipvsadm package')
    try:
        result = gather(module, ipvsadm)
    except IpvsError as e:
        module.fail_json(msg='cannot parse ipvsadm output: %s' % e)
    result['sysctls'] = read_sysctls(sysctl_values(SYSCTL_DIR))
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
