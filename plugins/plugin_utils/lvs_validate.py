# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Inventory-wide validation of ecmp.lvs (controller only): the rules an argument spec cannot express.

:func:`validate_inventory` takes PLAIN data (``{host: {variable: value}}`` holding only the variables a
host defines, and ``{group: [hosts]}``) and returns every problem it finds, not only the first. The action
plugin ``ecmp.lvs.validate_inventory`` extracts that data from ``hostvars`` and ``groups`` and fails the
first play of ``playbooks/site.yml`` with the list, before any managed host is contacted.

Per-service rules (addresses, ports, protocol, scheduler and its flags, weights, quorum, health check,
duplicate services) are those of :func:`lvs_net.lvs_services`, reused here service by service so that every
bad service is reported. On top of them this file checks what needs the whole inventory:

* groups: ``directors`` non-empty; routers and real servers where the services or BGP need them;
* one value of each global variable on every router/director (and of ``lvs_services`` on every host of the
  three groups): a ``group_vars/directors`` override of ``lvs_routing_protocol`` would split the fabric;
* ``lvs_address`` of every host: a unicast address, IPv4 on routers and directors (OSPFv2 / BGP router-id),
  never the same on two hosts;
* VIPs: IPv4 (the routers route IPv4 VIPs only), never the address (``lvs_address`` or ``ansible_host``) of
  an inventory host - the seeds' ARP trap: that host would answer ARP for the VIP and take all traffic - and
  never the address of a real or sorry server of any service;
* real and sorry servers: a server named by ``host`` must be in the ``realservers`` group (else no play puts
  the VIP on its ``lo`` and it drops the DR traffic); a director must never be a real server (IPVS on it
  would schedule the DR-forwarded packet again, a loop between directors); health-check keys that do not
  apply to the check type (``path`` with ``tcp``, ``misc_path`` with ``http_get``) are errors, not no-ops;
* routing: ``lvs_routing_protocol`` ospf|bgp, ``lvs_bfd_enabled`` boolean; OSPF: area, hello 1..65535,
  dead 1..65535 and dead > hello; BGP: both ASNs 1..4294967295 (equal ASNs mean iBGP, which the router role
  supports with ``maximum-paths ibgp``), every director has a BGP neighbor (group ``routers`` or
  ``router_peers``); every router's ``router_ecmp_width`` and ``router_maximum_paths`` (default 16, as in
  roles/router/defaults) hold all directors (group plus that router's ``director_peers``).

What is NOT unsafe and therefore accepted: several services on one VIP with different ports or protocols,
different real-server sets, schedulers or persistence per port (IPVS keeps persistence templates per
service, i.e. per vip, port and protocol, so persistence never spans two services of a VIP).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

from ansible_collections.ecmp.lvs.plugins.module_utils.lvs_model import (
    LvsModelError,
    fmt_value,
    is_list,
    is_mapping,
    to_choice,
    to_int,
)
from ansible_collections.ecmp.lvs.plugins.plugin_utils import lvs_net

ROUTING_PROTOCOLS = ('ospf', 'bgp')
ASN_MAX = 4294967295

# Global variables (group_vars/all) and their documented defaults (docs/architecture.md).
ROUTING_DEFAULTS = {
    'lvs_routing_protocol': 'ospf',
    'lvs_bfd_enabled': True,
    'lvs_ospf_area': '0.0.0.0',
    'lvs_ospf_hello_interval': 1,
    'lvs_ospf_dead_interval': 4,
    'lvs_bgp_router_asn': 65000,
    'lvs_bgp_director_asn': 65001,
}
ROUTING_VARS = tuple(sorted(ROUTING_DEFAULTS))
GLOBAL_VARS = ('lvs_services',) + ROUTING_VARS
# Per-host variables the validator reads (router defaults as in roles/router/defaults/main.yml).
HOST_VARS = ('lvs_address', 'ansible_host', 'router_ecmp_width', 'router_maximum_paths', 'director_peers',
             'router_peers')
DEFAULT_ECMP_WIDTH = 16
# Every variable the action plugin extracts from hostvars.
EXTRACTED_VARS = GLOBAL_VARS + HOST_VARS

# Health-check keys that only apply to some check types.
HEALTH_CHECK_KEY_TYPES = {
    'path': ('http_get', 'ssl_get'),
    'status_code': ('http_get', 'ssl_get'),
    'misc_path': ('misc',),
}

# What ansible's "bool" filter and an argument spec of type bool accept.
_TRUE = ('y', 'yes', 'on', '1', 'true', 't')
_FALSE = ('n', 'no', 'off', '0', 'false', 'f')
_AREA_RE = re.compile(r'^[0-9]{1,3}(\.[0-9]{1,3}){3}$')


class _Report(object):
    """Collects errors and warnings; :meth:`check` runs a model function and records its error."""

    def __init__(self):
        self.errors = []
        self.warnings = []

    def error(self, field, message):
        text = '%s: %s' % (field, message)
        if text not in self.errors:
            self.errors.append(text)

    def warn(self, message):
        if message not in self.warnings:
            self.warnings.append(message)

    def check(self, func, *args, **kwargs):
        """Return ``(ok, result)``; a :class:`LvsModelError` becomes an error of the report."""
        try:
            return True, func(*args, **kwargs)
        except LvsModelError as exc:
            text = str(exc)
            if text not in self.errors:
                self.errors.append(text)
            return False, None


def _hv_field(host, name):
    return "hostvars['%s'].%s" % (host, name)


def _canonical(value):
    return json.dumps(value, sort_keys=True, default=str)


def _unique(items):
    seen = set()
    result = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


def _global_values(report, hostvars, consumers, controller_vars):
    """One value per global variable; every router/director (and real server for lvs_services) must agree."""
    values = {}
    for name in GLOBAL_VARS:
        hosts = consumers['services'] if name == 'lvs_services' else consumers['routing']
        default = ROUTING_DEFAULTS.get(name)
        variants = []   # [(canonical, value, [hosts])]
        for host in hosts:
            value = hostvars.get(host, {}).get(name)
            if value is None:   # unset or null: the documented default, as in the roles
                value = default
            key = _canonical(value)
            for variant in variants:
                if variant[0] == key:
                    variant[2].append(host)
                    break
            else:
                variants.append((key, value, [host]))
        if not variants:
            values[name] = default if controller_vars.get(name) is None else controller_vars[name]
            continue
        if len(variants) > 1:
            if name == 'lvs_services':
                described = '; '.join('list %d on %s' % (index + 1, ', '.join(v[2]))
                                      for index, v in enumerate(variants))
                report.error(name, 'the hosts see different service lists (%s) - every router, director and '
                                   'real server must see the same lvs_services (define it once, in '
                                   'group_vars/all)' % described)
            else:
                described = '; '.join('%s on %s' % (fmt_value(v[1]), ', '.join(v[2])) for v in variants)
                report.error(name, 'routers and directors disagree (%s) - they must share one value (define '
                                   'it once, in group_vars/all)' % described)
        values[name] = variants[0][1]
    return values


def _to_bool(field, value, report):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    report.error(field, '%s is not a boolean (true or false)' % fmt_value(value))
    return None


def _host_addresses(report, hostvars, groups, role_hosts):
    """``{host: {var: IPAddress}}`` for lvs_address and ansible_host of every inventory host."""
    result = {}
    seen = {}
    missing = []
    net_hosts = set(groups.get('routers', [])) | set(groups.get('directors', []))
    for host in sorted(hostvars):
        hv = hostvars[host]
        found = {}
        value = hv.get('lvs_address')
        if value is not None and value != '':
            ok, ip = report.check(lvs_net.parse_unicast, _hv_field(host, 'lvs_address'), value, any_prefix=True)
            if ok:
                found['lvs_address'] = ip
                if host in net_hosts and ip.version != 4:
                    report.error(_hv_field(host, 'lvs_address'),
                                 '%s is IPv6, but routers and directors need an IPv4 fabric address (OSPFv2 / '
                                 'BGP IPv4 router-id and sessions)' % fmt_value(value))
                if ip in seen:
                    report.error(_hv_field(host, 'lvs_address'), '%s is also the lvs_address of host %s - two '
                                 'hosts cannot share a fabric address' % (fmt_value(value), seen[ip]))
                else:
                    seen[ip] = host
        elif host in role_hosts:
            missing.append(host)
        value = hv.get('ansible_host')
        if value is not None and value != '':
            try:
                # ansible_host may be a DNS name: only addresses take part in the checks
                found['ansible_host'] = lvs_net.parse_unicast(_hv_field(host, 'ansible_host'), value,
                                                              any_prefix=True)
            except LvsModelError:
                pass
        result[host] = found
    if missing:
        report.warn('no lvs_address for %s: their roles take the fabric address from their facts '
                    '(default IPv4 address) and their real-server address from ansible_host; set lvs_address '
                    'when the management and fabric addresses differ' % ', '.join(missing))
    return result


def _services(report, raw_services, hostvars):
    """Normalise service by service (every bad service is reported), then the valid ones together
    (duplicate names and duplicate (vip, port, protocol)). Returns ``[(raw, normalised)]``."""
    if raw_services is None or (is_list(raw_services) and not raw_services):
        report.error('lvs_services', '%s: at least one service is required (nothing to load-balance)'
                     % fmt_value(raw_services))
        return []
    if not is_list(raw_services):
        report.error('lvs_services', '%s is not a list of services' % fmt_value(raw_services))
        return []
    pairs = []
    for index, raw in enumerate(raw_services):
        try:
            normalised = lvs_net.lvs_services([raw], hostvars)[0]
        except LvsModelError as exc:
            text = str(exc)
            named = is_mapping(raw) and isinstance(raw.get('name'), str) and raw.get('name')
            if not named and text.startswith('lvs_services[0]'):
                # an unnamed service is labelled by its index: the one of the whole list
                text = 'lvs_services[%d]' % index + text[len('lvs_services[0]'):]
            report.errors.append(text)
            continue
        pairs.append((raw, normalised))
    report.check(lvs_net.lvs_services, [raw for raw, _n in pairs], hostvars)
    return pairs


def _check_health_check_keys(report, field, raw, service):
    hc_raw = raw.get('health_check') if is_mapping(raw) else None
    if not is_mapping(hc_raw):
        return
    kind = service['health_check']['type']
    for key, kinds in sorted(HEALTH_CHECK_KEY_TYPES.items()):
        if hc_raw.get(key) is not None and kind not in kinds:
            report.error('%s.health_check.%s' % (field, key),
                         '%s only applies to health_check type %s, not %s (set the type, or remove the key)'
                         % (fmt_value(hc_raw[key]), ' or '.join(kinds), kind))


def _check_server(report, field, host, ip, groups, owners, vips):
    """A real or sorry server: in realservers when named by host, never a director, never a VIP.

    ``host`` is the inventory name (or None), ``ip`` the address given explicitly (or None).
    """
    directors = groups.get('directors', [])
    if host is not None:
        if host in directors:
            report.error(field + '.host', '%s is a director: a director cannot be a real server (IPVS on it would '
                                          'schedule the DR-forwarded packet again, a loop between directors)'
                         % fmt_value(host))
        elif host not in groups.get('realservers', []):
            report.error(field + '.host', '%s is not in the realservers group, so no play puts the VIPs on its lo '
                                          'and sets its ARP sysctls; add it to realservers (or give only an address '
                                          'for a real server managed elsewhere)' % fmt_value(host))
    if ip is None:
        return
    if host is None:
        for owner, var in owners.get(ip, ()):
            if owner in directors:
                report.error(field + '.address', '%s is the address of director %s (%s): a director cannot be a '
                                                 'real server (IPVS on it would schedule the DR-forwarded packet '
                                                 'again)' % (fmt_value(str(ip)), owner, var))
    if ip in vips:
        report.error(field + '.address', '%s is a VIP (of %s): a real server needs an address of its own'
                     % (fmt_value(str(ip)), vips[ip]))


def _server_ref(raw):
    """``(host or None, explicit IPAddress or None)`` of an already validated real/sorry server."""
    if isinstance(raw, str):
        raw = {'address': raw}
    address = raw.get('address')
    ip = None if address is None else lvs_net.parse_unicast('address', address)
    return raw.get('host') or None, ip


def _check_services(report, pairs, addresses, groups):
    owners = {}   # IPAddress -> [(host, var)]
    for host in sorted(addresses):
        for var in ('lvs_address', 'ansible_host'):
            ip = addresses[host].get(var)
            if ip is not None:
                owners.setdefault(ip, []).append((host, var))
    vips = {}
    for _raw, service in pairs:
        ip = lvs_net.parse_unicast('vip', service['vip'])
        vips.setdefault(ip, 'lvs_services[%s]' % service['name'])
    for raw, service in pairs:
        field = 'lvs_services[%s]' % service['name']
        vip = lvs_net.parse_unicast(field + '.vip', service['vip'])
        if vip.version != 4:
            report.error(field + '.vip', '%s is IPv6, but the directors announce and the routers route IPv4 VIPs '
                                         'only (OSPFv2, BGP IPv4 unicast)' % fmt_value(service['vip']))
        for host, var in owners.get(vip, ()):
            report.error(field + '.vip', '%s is the address of host %s (%s) - a VIP must not be a host address '
                                         '(that host would answer ARP for the VIP and take its traffic)'
                         % (fmt_value(service['vip']), host, var))
        _check_health_check_keys(report, field, raw, service)
        for index, rs_raw in enumerate(raw.get('real_servers') or []):
            host, ip = _server_ref(rs_raw)
            _check_server(report, '%s.real_servers[%d]' % (field, index), host, ip, groups, owners, vips)
        if raw.get('sorry_server') is not None:
            host, ip = _server_ref(raw['sorry_server'])
            _check_server(report, field + '.sorry_server', host, ip, groups, owners, vips)


def _check_peers(report, field, value):
    """A list of IPv4 fabric addresses (director_peers / router_peers); returns the valid ones."""
    if value is None:
        return []
    if not is_list(value):
        report.error(field, '%s is not a list of addresses' % fmt_value(value))
        return []
    result = []
    for index, item in enumerate(value):
        item_field = '%s[%d]' % (field, index)
        ok, ip = report.check(lvs_net.parse_unicast, item_field, item)
        if ok:
            if ip.version != 4:
                report.error(item_field, '%s is IPv6; the fabric sessions are IPv4' % fmt_value(item))
            else:
                result.append(ip)
    return result


def _check_routing(report, values, hostvars, groups, addresses, default_ecmp_width):
    routers = groups.get('routers', [])
    directors = groups.get('directors', [])
    ok, protocol = report.check(to_choice, 'lvs_routing_protocol', values['lvs_routing_protocol'],
                                ROUTING_PROTOCOLS)
    _to_bool('lvs_bfd_enabled', values['lvs_bfd_enabled'], report)

    if protocol == 'ospf':
        area = values['lvs_ospf_area']
        if isinstance(area, str) and _AREA_RE.match(area.strip()):
            if any(int(part) > 255 for part in area.strip().split('.')):
                report.error('lvs_ospf_area', '%s is not a valid area (dotted quad 0.0.0.0..255.255.255.255 or '
                                              'an integer 0..4294967295)' % fmt_value(area))
        else:
            report.check(to_int, 'lvs_ospf_area', area, 0, ASN_MAX)
        ok_h, hello = report.check(to_int, 'lvs_ospf_hello_interval', values['lvs_ospf_hello_interval'], 1, 65535)
        ok_d, dead = report.check(to_int, 'lvs_ospf_dead_interval', values['lvs_ospf_dead_interval'], 1, 65535)
        if ok_h and ok_d and dead <= hello:
            report.error('lvs_ospf_dead_interval', '%s must be greater than lvs_ospf_hello_interval %s (a neighbor '
                                                   'is declared dead after this many seconds without a hello; use '
                                                   'about 4 x hello)'
                         % (fmt_value(values['lvs_ospf_dead_interval']), fmt_value(values['lvs_ospf_hello_interval'])))
    elif protocol == 'bgp':
        for name in ('lvs_bgp_router_asn', 'lvs_bgp_director_asn'):
            report.check(to_int, name, values[name], 1, ASN_MAX)
        for director in directors:
            peers = hostvars.get(director, {}).get('router_peers')
            if not routers and not peers:
                report.error(_hv_field(director, 'router_peers'),
                             '%s and the routers group is empty: with lvs_routing_protocol bgp director %s has no '
                             'BGP neighbor to announce the VIPs to' % (fmt_value(peers), director))

    for director in directors:
        _check_peers(report, _hv_field(director, 'router_peers'), hostvars.get(director, {}).get('router_peers'))

    if not routers:
        report.warn('the routers group is empty: the directors announce the VIPs to routers managed elsewhere')
    director_ips = set(addresses.get(d, {}).get('lvs_address') for d in directors) - set([None])
    for router in routers:
        hv = hostvars.get(router, {})
        extra = _check_peers(report, _hv_field(router, 'director_peers'), hv.get('director_peers'))
        extra = [ip for ip in _unique(extra) if ip not in director_ips]
        expected = list(directors) + [str(ip) for ip in extra]
        for name in ('router_ecmp_width', 'router_maximum_paths'):
            field = _hv_field(router, name)
            ok, width = report.check(to_int, field, hv.get(name, default_ecmp_width), 1)
            if ok and len(expected) > width:
                report.error(field, '%s is less than the %d directors (%s): router %s installs at most %d '
                                    'equal-cost path(s), so the extra directors would get no traffic (split the VIPs '
                                    'over several director groups or raise the width)'
                             % (fmt_value(hv.get(name, default_ecmp_width)), len(expected), ', '.join(expected),
                                router, width))


def validate_inventory(hostvars, groups, controller_vars=None, default_ecmp_width=DEFAULT_ECMP_WIDTH):
    """Validate a whole ecmp.lvs inventory.

    ``hostvars``: ``{host: {variable: value}}`` - plain values, only the variables a host defines (at least
    those of :data:`EXTRACTED_VARS`). ``groups``: ``{group: [host, ...]}``. ``controller_vars``: the global
    variables as the controller (localhost) sees them, used when no router/director/real server exists.

    Returns ``{errors, warnings, services, vips, directors, routers, realservers}``: ``errors`` lists every
    problem (each ``<field path>: <value> <why>``), ``services`` the normalised services (empty on errors).
    """
    report = _Report()
    if not is_mapping(groups):
        groups = {}
    groups = dict((name, list(members or [])) for name, members in groups.items())
    hostvars = dict(hostvars or {})
    routers = groups.get('routers', [])
    directors = groups.get('directors', [])
    realservers = groups.get('realservers', [])

    if not directors:
        report.error("groups['directors']", 'empty or missing: the inventory needs at least one director')
    both = [h for h in directors if h in realservers]
    if both:
        report.error("groups['directors']", '%s also in the realservers group: a director cannot be a real '
                                            'server (IPVS would schedule the DR-forwarded packets again)'
                     % ', '.join(both))

    role_hosts = _unique(directors + routers + realservers)
    consumers = {'services': role_hosts, 'routing': _unique(directors + routers)}
    values = _global_values(report, hostvars, consumers, controller_vars or {})
    addresses = _host_addresses(report, hostvars, groups, set(role_hosts))

    pairs = _services(report, values['lvs_services'], hostvars)
    _check_services(report, pairs, addresses, groups)
    _check_routing(report, values, hostvars, groups, addresses, default_ecmp_width)

    services = [service for _raw, service in pairs] if not report.errors else []
    return {
        'errors': report.errors,
        'warnings': report.warnings,
        'services': services,
        'vips': lvs_net.lvs_vips(services),
        'directors': list(directors),
        'routers': list(routers),
        'realservers': list(realservers),
    }
