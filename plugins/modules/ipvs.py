#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ipvs
short_description: Manage IPVS (LVS) virtual services and their real servers with ipvsadm
version_added: "0.1.0"
description:
  - Makes the IPVS table of the kernel match the given virtual services, with the smallest set of
    C(ipvsadm) commands, run in one C(ipvsadm --restore) process (one process per command took 97 s for the 500
    commands of 100 services x 4 real servers on a UML lab director, the same commands restored 0.23 s).
  - Real servers of a listed service become exactly those listed; real servers that are not listed are
    removed from it.
  - A service whose scheduler, scheduler flags, persistence or one-packet scheduling changed is edited
    in place (C(ipvsadm -E)), never deleted and re-added, so established connections survive.
  - Services that are not listed are left alone unless O(purge=true).
  - The current table is read with C(ipvsadm -Sn) and C(ipvsadm -Ln --thresholds --exact); after a change
    the table is read back and the module fails if it does not match the request.
  - "Ownership: on a director either keepalived or this module should own a virtual service, never both.
    The C(ecmp.lvs.director) role decides which one does; when keepalived owns the table, do not list its
    services here and do not use O(purge=true), which would delete them."
author:
  - ecmp.lvs contributors (@ecmp-lvs)
options:
  services:
    description:
      - Virtual services to manage.
      - A service is identified by O(services[].protocol), O(services[].vip) and O(services[].port), or by
        O(services[].fwmark) and O(services[].family).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Free-form label of the service, only used in error messages.
        type: str
      vip:
        description:
          - Virtual IP address (IPv4 or IPv6) of the service.
          - Required unless O(services[].fwmark) is given.
        type: str
      port:
        description:
          - TCP/UDP/SCTP port of the service. V(0) together with persistence makes a port-wildcard service.
          - Required unless O(services[].fwmark) is given.
        type: int
      protocol:
        description:
          - Transport protocol of the service.
        type: str
        choices: [tcp, udp, sctp]
        default: tcp
      fwmark:
        description:
          - Firewall-mark service instead of an address service (C(ipvsadm -f)).
          - Mutually exclusive with O(services[].vip) and O(services[].port).
        type: int
      family:
        description:
          - Address family of a firewall-mark service.
          - For address services it is derived from O(services[].vip) and must match it if given.
        type: str
        choices: [ipv4, ipv6]
      scheduler:
        description:
          - IPVS scheduler (C(ipvsadm -s)), for example V(mh), V(rr), V(wrr), V(wlc), V(sh).
          - Needs the matching C(ip_vs_<scheduler>) kernel module.
        type: str
        default: mh
      scheduler_flags:
        description:
          - Scheduler flags (C(ipvsadm -b)). Known names are V(mh-port), V(mh-fallback) (scheduler V(mh) only),
            V(sh-port), V(sh-fallback) (scheduler V(sh) only), V(flag-1), V(flag-2) and V(flag-3).
          - V(flag-1)/V(flag-2) are the same bits as C(*-fallback)/C(*-port); results use ipvsadm's names.
          - When not given, V([mh-fallback, mh-port]) for the V(mh) scheduler, else V([]). V(mh-port) hashes on
            address and port, so that every director of an ECMP group sends a flow to the same real server;
            V(mh-fallback) sends new connections that hash to a real server of weight 0 to the next one in the
            table instead of refusing them. Give the list explicitly (V([]) for none) to choose otherwise.
        type: list
        elements: str
      persistence_timeout:
        description:
          - Persistence timeout in seconds (C(ipvsadm -p)); V(0) turns persistence off.
        type: int
        default: 0
      persistence_netmask:
        description:
          - Netmask grouping clients for persistence (C(ipvsadm -M)); only used when
            O(services[].persistence_timeout) is set.
          - IPv4 as dotted quad or prefix length (V(255.255.255.0) or V(24)), IPv6 as prefix length (V(64)).
          - Defaults to the full host mask.
        type: str
      ops:
        description:
          - One-packet scheduling (C(ipvsadm -o)), for UDP services.
        type: bool
        default: false
      state:
        description:
          - V(present) creates or updates the service, V(absent) deletes it with its real servers.
        type: str
        choices: [present, absent]
        default: present
      real_servers:
        description:
          - The complete list of real servers of the service.
        type: list
        elements: dict
        default: []
        suboptions:
          address:
            description:
              - IP address of the real server.
            type: str
            required: true
          port:
            description:
              - Port on the real server. Defaults to the service port (V(0) for firewall-mark services).
            type: int
          forwarding:
            description:
              - Packet forwarding method; V(dr) direct routing (C(-g)), V(nat) masquerading (C(-m)),
                V(tun) IP-in-IP tunnelling (C(-i)).
            type: str
            choices: [dr, nat, tun]
            default: dr
          weight:
            description:
              - Scheduler weight; V(0) drains the real server (no new connections).
            type: int
            default: 1
          u_threshold:
            description:
              - Upper connection threshold (C(ipvsadm -x)); V(0) means no limit.
            type: int
            default: 0
          l_threshold:
            description:
              - Lower connection threshold (C(ipvsadm -y)).
            type: int
            default: 0
  purge:
    description:
      - Delete every virtual service of the table that is not listed in O(services).
    type: bool
    default: false
requirements:
  - ipvsadm
  - a kernel with IPVS (C(ip_vs) and the scheduler modules)
notes:
  - Real servers are compared and reported sorted by address and port; new real servers are added in that
    order.
  - Tunnel options of real servers (C(--tun-type) and friends) are neither managed nor compared.
attributes:
  check_mode:
    support: full
    details: Computes the commands without running them.
  diff_mode:
    support: full
    details: Shows the table before and after as C(ipvsadm -Sn)-like rules.
  platform:
    platforms: posix
    details: Linux hosts with IPVS; needs root (CAP_NET_ADMIN).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
seealso:
  - module: ecmp.lvs.ipvs_info
'''

EXAMPLES = r'''
- name: An ECMP-friendly DR service, two real servers
  ecmp.lvs.ipvs:
    services:
      - vip: 10.99.100.10
        port: 80
        scheduler: mh
        scheduler_flags: [mh-fallback, mh-port]
        real_servers:
          - address: 10.99.0.21
          - address: 10.99.0.22
            weight: 2

- name: Drain a real server (no new connections), keep the rest
  ecmp.lvs.ipvs:
    services:
      - vip: 10.99.100.10
        port: 80
        real_servers:
          - address: 10.99.0.21
            weight: 0
          - address: 10.99.0.22
            weight: 2

- name: Persistent UDP service on IPv6 with NAT real servers
  ecmp.lvs.ipvs:
    services:
      - vip: "2001:db8::10"
        port: 53
        protocol: udp
        scheduler: wrr
        persistence_timeout: 120
        persistence_netmask: "64"
        real_servers:
          - address: "2001:db8:0:1::21"
            forwarding: nat
            port: 5353

- name: Remove one service
  ecmp.lvs.ipvs:
    services:
      - vip: 10.99.100.10
        port: 443
        state: absent

- name: Make the table exactly this list (services not listed are deleted)
  ecmp.lvs.ipvs:
    purge: true
    services: "{{ lvs_services | ecmp.lvs.lvs_services(hostvars) | ecmp.lvs.ipvs_services }}"
'''

RETURN = r'''
commands:
  description: ipvsadm argument lists that were run (or, in check mode, would be run), in order; each is one line
    of the C(ipvsadm --restore) input.
  returned: always
  type: list
  elements: list
  sample: [["-E", "-t", "10.99.100.10:80", "-s", "mh", "-b", "mh-fallback,mh-port"],
           ["-e", "-t", "10.99.100.10:80", "-r", "10.99.0.21:80", "-g", "-w", "0"]]
before:
  description: The whole IPVS table before the change, canonical and sorted.
  returned: always
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
      description: Persistence netmask (dotted quad for IPv4, prefix length for IPv6), V(null) when off.
      type: str
    ops:
      description: One-packet scheduling.
      type: bool
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
  sample:
    - protocol: tcp
      vip: 10.99.100.10
      port: 80
      fwmark: null
      family: ipv4
      scheduler: mh
      scheduler_flags: [mh-fallback, mh-port]
      persistence_timeout: 0
      persistence_netmask: null
      ops: false
      real_servers:
        - {address: 10.99.0.21, port: 80, forwarding: dr, weight: 1, u_threshold: 0, l_threshold: 0}
after:
  description:
    - The whole IPVS table after the change, same shape as RV(before).
    - Read back from the kernel; in check mode, the expected table.
  returned: always
  type: list
  elements: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ecmp.lvs.plugins.module_utils.ipvs import (
    IpvsError, apply_plan, merge_listing, no_ipvs, normalize_services, parse_list, parse_save, plan,
    public_service, render_save, restore_input,
)

NO_IPVS_MSG = ('the kernel has no IPVS (load the ip_vs module, or use a kernel built with CONFIG_IP_VS): %s')


def read_table(module, ipvsadm):
    """Current table: ``ipvsadm -Sn`` plus thresholds from ``ipvsadm -Ln --thresholds --exact``."""
    rc, out, err = module.run_command([ipvsadm, '-Sn'])
    if rc != 0:
        text = (err or out).strip()
        if no_ipvs(text):
            module.fail_json(msg=NO_IPVS_MSG % text, rc=rc, stderr=err)
        module.fail_json(msg='ipvsadm -Sn failed: %s' % text, rc=rc, stdout=out, stderr=err)
    try:
        services = parse_save(out)
        if any(svc['real_servers'] for svc in services):
            rc, listing, err = module.run_command([ipvsadm, '-Ln', '--thresholds', '--exact'])
            if rc != 0:
                module.fail_json(msg='ipvsadm -Ln --thresholds --exact failed: %s' % (err or listing).strip(),
                                 rc=rc, stderr=err)
            merge_listing(services, parse_list(listing), rs_fields=('u_threshold', 'l_threshold'))
    except IpvsError as e:
        module.fail_json(msg='cannot parse ipvsadm output: %s' % e, stdout=out)
    return services


def main():
    real_server_spec = dict(
        address=dict(type='str', required=True),
        port=dict(type='int'),
        forwarding=dict(type='str', choices=['dr', 'nat', 'tun'], default='dr'),
        weight=dict(type='int', default=1),
        u_threshold=dict(type='int', default=0),
        l_threshold=dict(type='int', default=0),
    )
    service_spec = dict(
        name=dict(type='str'),
        vip=dict(type='str'),
        port=dict(type='int'),
        protocol=dict(type='str', choices=['tcp', 'udp', 'sctp'], default='tcp'),
        fwmark=dict(type='int'),
        family=dict(type='str', choices=['ipv4', 'ipv6']),
        scheduler=dict(type='str', default='mh'),
        scheduler_flags=dict(type='list', elements='str'),
        persistence_timeout=dict(type='int', default=0),
        persistence_netmask=dict(type='str'),
        ops=dict(type='bool', default=False),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        real_servers=dict(type='list', elements='dict', default=[], options=real_server_spec),
    )
    module = AnsibleModule(
        argument_spec=dict(
            services=dict(type='list', elements='dict', default=[], options=service_spec),
            purge=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    ipvsadm = module.get_bin_path('ipvsadm')
    if not ipvsadm:
        module.fail_json(msg='ipvsadm was not found in PATH; install the ipvsadm package')

    try:
        desired = normalize_services(module.params['services'])
    except IpvsError as e:
        module.fail_json(msg=str(e))

    before = read_table(module, ipvsadm)
    commands = plan(before, desired, module.params['purge'])
    result = dict(changed=bool(commands), commands=commands)

    if commands and not module.check_mode:
        # one process for the whole change: ipvsadm --restore runs each line as one ipvsadm invocation would. It goes
        # on after a line the kernel refuses (the message on stderr) and exits with the status of the last line: the
        # table read back says what is still needed
        rc, out, err = module.run_command([ipvsadm, '--restore'], data=restore_input(commands), binary_data=True)
        after = read_table(module, ipvsadm)
        leftover = plan(after, desired, module.params['purge'])
        if rc != 0 or err.strip():
            module.fail_json(msg='ipvsadm --restore failed (rc=%d): %s' % (rc, (err or out).strip()),
                             rc=rc, stderr=err, commands=commands, still_needed=leftover,
                             before=[public_service(s) for s in before], after=[public_service(s) for s in after])
        if leftover:
            module.fail_json(msg='the IPVS table does not match the request after the change; still needed: %s'
                             % '; '.join(' '.join(a) for a in leftover),
                             commands=commands, before=[public_service(s) for s in before],
                             after=[public_service(s) for s in after])
    else:
        after = apply_plan(before, desired, module.params['purge'])

    result['before'] = [public_service(s) for s in before]
    result['after'] = [public_service(s) for s in after]
    if module._diff:
        result['diff'] = dict(before=render_save(before), after=render_save(after),
                              before_header='ipvsadm -Sn (before)', after_header='ipvsadm -Sn (after)')
    module.exit_json(**result)


if __name__ == '__main__':
    main()
