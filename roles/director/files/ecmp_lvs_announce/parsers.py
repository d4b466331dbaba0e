# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers of what the host program reads from the system: /proc/PID/stat, `ip -j address`, and its views of the
IPVS table. `ipvsadm` output itself is parsed by the collection's parser, plugins/module_utils/ipvs.py (parse_list:
the one the ecmp.lvs.ipvs / ipvs_info modules and playbooks/status.yml use), which the role installs next to this
package (ansible_collections/ecmp/lvs/plugins/module_utils/ under the program's lib directory)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# the standard modules other than os, sys and time are imported where they are used (see the package: start-up time)
# pylint: disable=import-outside-toplevel


def proc_stat_fields(text):
    """Content of /proc/PID/stat -> (comm, ppid, starttime in clock ticks)."""
    head, tail = text.rsplit(')', 1)
    comm = head.split('(', 1)[1]
    fields = tail.split()
    # fields[0] is field 3 (state): ppid is field 4, starttime field 22
    return comm, int(fields[1]), int(fields[19])


def _ours(addr, label, vips6):
    """Whether an `ip -j address` entry is an address ecmp-lvs-announce added: IPv4 with `label`, or one of the
    IPv6 VIPs `vips6` as /128 (IPv6 addresses carry no label)."""
    if not addr.get('local'):
        return False
    if addr.get('family', 'inet') == 'inet':
        return addr.get('label') == label
    return addr.get('family') == 'inet6' and addr['local'] in vips6 and addr.get('prefixlen') == 128


def parse_ip_addresses(text, label, vips6=()):
    """`ip -j address show dev lo` -> set of addresses (no prefix) that are ours: IPv4 carrying `label`, the IPv6
    VIPs `vips6` as /128."""
    import json
    return set(addr['local'] for link in json.loads(text or '[]') for addr in link.get('addr_info', [])
               if _ours(addr, label, vips6))


def parse_withdraw_targets(text, label, vips):
    """`ip -j address show dev lo` -> sorted addresses to remove when withdrawing everything: those that carry
    `label` (every IPv4 address ecmp-lvs-announce adds has it) and the VIPs `vips` as /32 or /128 whatever their
    label."""
    import json
    found = set()
    for link in json.loads(text or '[]'):
        for addr in link.get('addr_info', []):
            local = addr.get('local')
            if not local or addr.get('family', 'inet') not in ('inet', 'inet6'):
                continue
            if _ours(addr, label, vips) or (local in vips and addr.get('prefixlen') == 32):
                found.add(local)
    return sorted(found)


def ipvs_services(text):
    """`ipvsadm -L -n ...` -> {key: service} through the collection's parser (module_utils/ipvs.py parse_list; it
    raises IpvsError, a ValueError, on a line it does not know). Keys as in kernel_keys: (proto, vip, port), a
    firewall-mark service ('fwmark', None, mark) - IPv4 marks only (ecmp.lvs firewall-mark services are IPv4)."""
    from ansible_collections.ecmp.lvs.plugins.module_utils.ipvs import parse_list
    services = {}
    for svc in parse_list(text)['services']:
        if svc['fwmark'] is None:
            services[(svc['protocol'], svc['vip'], svc['port'])] = svc
        elif svc['family'] == 'ipv4':
            services[('fwmark', None, svc['fwmark'])] = svc
    return services


def parse_ipvs_stats(text):
    """`ipvsadm -L -n --stats --exact` -> {key: {'conns', 'inpkts', 'outpkts', 'inbytes', 'outbytes'}} of the
    virtual services (keys: see ipvs_services)."""
    from ansible_collections.ecmp.lvs.plugins.module_utils.ipvs import STATS_KEYS
    return dict((key, dict((name, svc['values'][name]) for name in STATS_KEYS))
                for key, svc in ipvs_services(text).items() if all(name in svc['values'] for name in STATS_KEYS))


def parse_ipvs_weights(text):
    """`ipvsadm -L -n` -> {key: total weight of its real servers} (keys: see ipvs_services)."""
    return dict((svc, sum(rs[0] for rs in servers)) for svc, servers in parse_ipvs_real_servers(text).items())


def parse_ipvs_real_servers(text):
    """`ipvsadm -L -n` -> {key: [(weight, active, inactive) per real server]} (keys: see ipvs_services)."""
    return dict((key, [(int(rs['values'].get('weight', 0)), int(rs['values'].get('active_conns', 0)),
                        int(rs['values'].get('inactive_conns', 0))) for rs in svc['real_servers']])
                for key, svc in ipvs_services(text).items())


def parse_ipvs_conns(text):
    """`ipvsadm -L -n` -> {key: [active, inactive]} summed over the real servers (keys: see ipvs_services)."""
    return dict((svc, [sum(rs[1] for rs in servers), sum(rs[2] for rs in servers)])
                for svc, servers in parse_ipvs_real_servers(text).items())
