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

* groups (of one load-balancer cluster: the role groups as its hosts name them, ``lvs_router_group`` ...;
  ``lvs_inventory.validate`` runs this once per cluster): ``directors`` non-empty; routers and real servers where
  the services or BGP need them;
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
  ``director_router_peers``); every router's ``router_ecmp_width`` and ``router_maximum_paths`` (default 16, as in
  roles/router/defaults) hold all directors (group plus that router's ``router_director_peers``). The deprecated
  names ``router_peers`` / ``director_peers`` are read while the new ones are empty, with a warning.

What is NOT unsafe and therefore accepted: several services on one VIP with different ports or protocols,
different real-server sets, schedulers or persistence per port (IPVS keeps persistence templates per
service, i.e. per vip, port and protocol, so persistence never spans two services of a VIP).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib
import json
import re

from ansible_collections.ecmp.lvs.plugins.module_utils.lvs_model import (
    CONFIG_FORBIDDEN,
    HEALTH_CHECK_KEY_TYPES,
    LvsModelError,
    check_config_text,
    check_name,
    error_messages,
    fmt_value,
    is_list,
    is_mapping,
    to_choice,
    to_int,
)
from ansible_collections.ecmp.lvs.plugins.plugin_utils import lvs_contract, lvs_net

ROUTING_PROTOCOLS = ('ospf', 'bgp')
ASN_MAX = 4294967295

# Global variables (group_vars/all) and their defaults: the shared contract (plugin_utils/lvs_contract.py).
# The inventory groups of the roles (lvs_router_group, ...: a host's own value names the groups of its cluster).
ROLE_GROUPS = ('routers', 'directors', 'realservers')
GROUP_VARS = {'routers': 'lvs_router_group', 'directors': 'lvs_director_group', 'realservers': 'lvs_realserver_group'}
# An inventory group name (what Ansible accepts without a deprecation warning).
GROUP_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
ROUTING_DEFAULTS = dict((name, value) for name, value in lvs_contract.defaults().items()
                        if name not in ('lvs_services', 'lvs_ospf_auth_accept_keys') + tuple(GROUP_VARS.values())
                        and value is not None)
ROUTING_VARS = tuple(sorted(ROUTING_DEFAULTS))
GLOBAL_VARS = ('lvs_services',) + ROUTING_VARS
# Secrets (frr.conf of routers and directors): never printed; {name: (longest accepted, what)}.
SECRETS = {
    'lvs_ospf_auth_key': (16, 'an OSPF MD5 key (RFC 2328: at most 16 characters)'),
    'lvs_bgp_password': (80, 'a BGP TCP-MD5 password (Linux TCP_MD5SIG_MAXKEYLEN: at most 80 characters)'),
}
# Further OSPF MD5 keys accepted during a key rotation: a list of {id, key}, compared and checked like a secret.
ACCEPT_KEYS_VAR = 'lvs_ospf_auth_accept_keys'
SECRET_VARS = tuple(sorted(tuple(SECRETS) + (ACCEPT_KEYS_VAR,)))
# Variables of playbooks/drain.yml (checked with the drain option).
DRAIN_VARS = ('lvs_drain', 'lvs_drain_force', 'lvs_drain_quiet', 'lvs_drain_timeout')
# Every public lvs_* variable (a host variable or group variable lvs_* that is not one of these is a misspelling).
PLAYBOOK_VARS = ('lvs_address', 'lvs_address6', 'lvs_drained', 'lvs_ospf_key_switch_delay')
KNOWN_LVS_VARS = tuple(sorted(GLOBAL_VARS + SECRET_VARS + DRAIN_VARS + PLAYBOOK_VARS + tuple(GROUP_VARS.values())))
# Key under which extract() lists the lvs_* names a host defines.
DEFINED_KEY = '__defined_lvs_names__'

# Role variables written verbatim into keepalived.conf / frr.conf, checked when the inventory sets them (and
# only when they can be evaluated before facts are gathered: their defaults come from facts or inventory_hostname).
# kind: name (a word), text (words and single spaces), user, interface, address, networks.
CONFIG_STRING_VARS = {
    'director_keepalived_router_id': 'name',
    'director_frr_hostname': 'name',
    'router_frr_hostname': 'name',
    'director_bfd_profile': 'name',
    'router_bfd_profile': 'name',
    'director_frr_log': 'text',
    'router_frr_log': 'text',
    'director_keepalived_script_user': 'user',
    'director_quorum_script_user': 'user',
    'director_fabric_interface': 'interface',
    'router_fabric_interface': 'interface',
    'director_conn_sync_interface': 'interface',
    'director_frr_router_id': 'address',
    'router_frr_router_id': 'address',
    'router_ospf_extra_networks': 'networks',
}
# The config names defaulting to inventory_hostname: a host name must be a valid name for them.
HOSTNAME_VARS = {'directors': ('director_keepalived_router_id', 'director_frr_hostname'),
                 'routers': ('router_frr_hostname',)}
# Per-host variables the validator reads (router defaults as in roles/router/defaults/main.yml).
HOST_VARS = ('lvs_address', 'lvs_address6', 'ansible_host', 'router_ecmp_width', 'router_maximum_paths', 'router_director_peers',
             'router_frr_keep_routes', 'router_frr_config',
             'director_router_peers', 'director_peers', 'router_peers')
# The peer lists by their names and their deprecated names (read while the new one is empty, as the roles do).
PEER_VARS = {'director': ('director_router_peers', 'router_peers'),
             'router': ('router_director_peers', 'director_peers')}
DEFAULT_ECMP_WIDTH = 16
# router_frr_keep_routes of roles/router/defaults/main.yml (compared there by tests/unit/test_lvs_contract.py)
DEFAULT_KEEP_ROUTES = 30
KEEP_ROUTES_MAX = 1800
# Every variable the action plugin extracts from hostvars.
EXTRACTED_VARS = (GLOBAL_VARS + SECRET_VARS + HOST_VARS + tuple(sorted(GROUP_VARS.values()))
                  + tuple(sorted(CONFIG_STRING_VARS)))
# Extracted variables that may legitimately need facts: skipped (not an error) when they cannot be evaluated.
LENIENT_VARS = tuple(sorted(CONFIG_STRING_VARS))


# What ansible's "bool" filter and an argument spec of type bool accept.
_TRUE = ('y', 'yes', 'on', '1', 'true', 't')
_FALSE = ('n', 'no', 'off', '0', 'false', 'f')
_AREA_RE = re.compile(r'^[0-9]{1,3}(\.[0-9]{1,3}){3}$')
_USER_RE = re.compile(r'^[a-z_][a-z0-9_-]{0,31}$')
_INTERFACE_RE = re.compile(r'^[A-Za-z0-9_.:@-]{1,15}$')
_TEXT_RE = re.compile(r'^[A-Za-z0-9_./:@=+-]+( [A-Za-z0-9_./:@=+-]+)*$')


class _Report(object):
    """Collects errors and warnings; :meth:`check` runs a model function and records its error."""

    def __init__(self, names=None):
        self.errors = []
        self.warnings = []
        # the inventory group of each role (ROLE_GROUPS -> the name the inventory gives it)
        self.names = dict(zip(ROLE_GROUPS, ROLE_GROUPS))
        self.names.update(names or {})

    def group(self, role):
        """The field of a role's inventory group, e.g. groups['lb_nodes']."""
        return "groups['%s']" % self.names[role]

    def error(self, field, message):
        text = '%s: %s' % (field, message)
        if text not in self.errors:
            self.errors.append(text)

    def warn(self, message):
        if message not in self.warnings:
            self.warnings.append(message)

    def check(self, func, *args, **kwargs):
        """Return ``(ok, result)``; a :class:`LvsModelError` becomes an error (several: errors) of the report."""
        try:
            return True, func(*args, **kwargs)
        except LvsModelError as exc:
            for text in error_messages(exc):
                if text not in self.errors:
                    self.errors.append(text)
            return False, None

    def guard(self, field, func, *args, **kwargs):
        """Run one part of the validation; an unexpected exception (a type no rule foresaw, a number Python
        cannot convert) becomes an error naming ``field`` instead of escaping as a traceback."""
        try:
            return func(*args, **kwargs)
        except LvsModelError as exc:
            for text in error_messages(exc):
                if text not in self.errors:
                    self.errors.append(text)
        except Exception as exc:  # pylint: disable=broad-except
            self.error(field, 'cannot be checked: unexpected %s (%s); check the types and sizes of its values'
                       % (type(exc).__name__, fmt_value(str(exc))))
        return None


def _hv_field(host, name):
    return "hostvars['%s'].%s" % (host, name)


def _canonical(value):
    return json.dumps(value, sort_keys=True, default=str)


def unique(items):
    """The items (hashable) without repeats, in their first order."""
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
        value = hv.get('lvs_address6')
        if value is not None and value != '':
            ok, ip = report.check(lvs_net.parse_unicast, _hv_field(host, 'lvs_address6'), value, any_prefix=True)
            if ok and ip.version != 6:
                report.error(_hv_field(host, 'lvs_address6'), '%s is not an IPv6 address' % fmt_value(value))
            elif ok and ip in seen:
                report.error(_hv_field(host, 'lvs_address6'), '%s is also the address of host %s - two hosts cannot '
                             'share a fabric address' % (fmt_value(value), seen[ip]))
            elif ok:
                seen[ip] = host
                found['lvs_address6'] = ip
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


def _service_messages(index, raw, exc):
    """The error messages of service ``index``; an unnamed service is labelled by its index in the whole list."""
    result = []
    for text in error_messages(exc):
        if lvs_net.service_label(index, raw) == str(index) and text.startswith('lvs_services[0]'):
            text = 'lvs_services[%d]' % index + text[len('lvs_services[0]'):]
        result.append(text)
    return result


def _check_host_or_address(report, field, raw):
    """A real or sorry server of the inventory gives ``host`` OR ``address``: with both, which one is meant?
    (The filter accepts both on its own output, where host is only a label.)"""
    if not is_mapping(raw):
        return
    servers = [('%s.real_servers[%d]' % (field, i), rs) for i, rs in enumerate(raw.get('real_servers') or [])
               if is_list(raw.get('real_servers'))]
    servers.append((field + '.sorry_server', raw.get('sorry_server')))
    for server_field, server in servers:
        if is_mapping(server) and server.get('host') is not None and server.get('address') is not None:
            report.error(server_field, 'has both host %s and address %s: give one (host: an inventory host, its '
                                       'address from lvs_address or ansible_host; address: a server managed '
                                       'elsewhere)' % (fmt_value(server['host']), fmt_value(server['address'])))


def _services(report, raw_services, hostvars):
    """Normalise service by service (every error of every bad service is reported), then the valid ones together
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
        field = 'lvs_services[%s]' % lvs_net.service_label(index, raw)
        _check_host_or_address(report, field, raw)
        try:
            normalised = lvs_net.lvs_services([raw], hostvars)[0]
        except LvsModelError as exc:
            report.errors.extend(m for m in _service_messages(index, raw, exc) if m not in report.errors)
            continue
        except Exception as exc:  # pylint: disable=broad-except
            report.error(field, 'cannot be checked: unexpected %s (%s); check the types and sizes of its values'
                         % (type(exc).__name__, fmt_value(str(exc))))
            continue
        pairs.append((raw, normalised))
    report.check(lvs_net.lvs_services, [raw for raw, _n in pairs], hostvars)
    return pairs


def _check_health_check_keys(report, field, raw, service):
    """Health-check keys that the check's type does not use (they would be silently ignored)."""
    if not is_mapping(raw):
        return
    given = [('%s.health_check' % field, raw.get('health_check'), service['health_checks'][0])]
    if is_list(raw.get('health_checks')):
        given = [('%s.health_checks[%d]' % (field, index), hc_raw, service['health_checks'][index])
                 for index, hc_raw in enumerate(raw['health_checks'])]
    for hc_field, hc_raw, check in given:
        if not is_mapping(hc_raw):
            continue
        kind = check['type']
        for key, kinds in sorted(HEALTH_CHECK_KEY_TYPES.items()):
            if hc_raw.get(key) is not None and kind not in kinds:
                report.error('%s.%s' % (hc_field, key),
                             '%s only applies to health_check type %s, not %s (set the type, or remove the key)'
                             % (fmt_value(hc_raw[key]), ' or '.join(kinds), kind))


def _check_server(report, field, host, ip, groups, owners, vips):
    """A real or sorry server: in realservers when named by host, never a director, never a VIP.

    ``host`` is the inventory name (or None), ``ip`` the address given explicitly (or None).
    """
    directors = groups.get('directors', [])
    hint = ''
    if field.endswith('.sorry_server'):
        hint = ' - for the director itself as sorry server write sorry_server: {local: true}'
    if host is not None:
        if host in directors:
            report.error(field + '.host', '%s is a director: a director cannot be a real server (IPVS on it would '
                                          'schedule the DR-forwarded packet again, a loop between directors)%s'
                         % (fmt_value(host), hint))
        elif host not in groups.get('realservers', []):
            report.error(field + '.host', '%s is not in the %s group, so no play puts the VIPs on its lo and sets '
                                          'its ARP sysctls; add it to %s (or give only an address for a real server '
                                          'managed elsewhere)' % (fmt_value(host), report.names['realservers'],
                                                                  report.names['realservers']))
    if ip is None:
        return
    if host is None:
        for owner, var in owners.get(ip, ()):
            if owner in directors:
                report.error(field + '.address', '%s is the address of director %s (%s): a director cannot be a '
                                                 'real server (IPVS on it would schedule the DR-forwarded packet '
                                                 'again)%s' % (fmt_value(str(ip)), owner, var, hint))
    if ip in vips:
        report.error(field + '.address', '%s is a VIP (of %s): a real server needs an address of its own'
                     % (fmt_value(str(ip)), vips[ip]))


def _server_ref(raw):
    """``(host or None, explicit IPAddress or None)`` of an already validated real/sorry server."""
    if isinstance(raw, str):
        raw = {'address': raw}
    address = raw.get('address')
    if raw.get('local') or address == 'local':
        return None, None
    ip = None if address is None else lvs_net.parse_unicast('address', address)
    return raw.get('host') or None, ip


def _check_services(report, pairs, addresses, groups):
    owners = {}   # IPAddress -> [(host, var)]
    for host in sorted(addresses):
        for var in ('lvs_address', 'lvs_address6', 'ansible_host'):
            ip = addresses[host].get(var)
            if ip is not None:
                owners.setdefault(ip, []).append((host, var))
    vips = {}
    for _raw, service in pairs:
        for vip in service['vips']:
            vips.setdefault(lvs_net.parse_unicast('vip', vip), 'lvs_services[%s]' % service['name'])
    for raw, service in pairs:
        field = 'lvs_services[%s]' % service['name']
        for index, vip_text in enumerate(service['vips']):
            vip_field = field + ('.vips[%d]' % index if is_mapping(raw) and raw.get('vips') is not None else '.vip')
            vip = lvs_net.parse_unicast(vip_field, vip_text)
            for host, var in owners.get(vip, ()):
                report.error(vip_field, '%s is the address of host %s (%s) - a VIP must not be a host address '
                                        '(that host would answer ARP for the VIP and take its traffic)'
                             % (fmt_value(vip_text), host, var))
        _check_health_check_keys(report, field, raw, service)
        for index, rs_raw in enumerate(raw.get('real_servers') or []):
            host, ip = _server_ref(rs_raw)
            _check_server(report, '%s.real_servers[%d]' % (field, index), host, ip, groups, owners, vips)
        if raw.get('sorry_server') is not None:
            host, ip = _server_ref(raw['sorry_server'])
            _check_server(report, field + '.sorry_server', host, ip, groups, owners, vips)


def _check_peers(report, field, value):
    """A list of IPv4 fabric addresses (router_director_peers / director_router_peers); returns the valid ones."""
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


def _peers(report, role, host, hostvars):
    """``(field, value)`` of the peer list a host of ``role`` uses: the new name, else its deprecated name (with a
    warning)."""
    name, old = PEER_VARS[role]
    hv = hostvars.get(host, {})
    if not hv.get(name) and hv.get(old):
        report.warn('%s is deprecated: rename it to %s' % (_hv_field(host, old), name))
        return _hv_field(host, old), hv.get(old)
    return _hv_field(host, name), hv.get(name)


def _check_routing(report, values, hostvars, groups, addresses, default_ecmp_width):
    routers = groups.get('routers', [])
    directors = groups.get('directors', [])
    ok, protocol = report.check(to_choice, 'lvs_routing_protocol', values['lvs_routing_protocol'],
                                ROUTING_PROTOCOLS)
    _to_bool('lvs_bfd_enabled', values['lvs_bfd_enabled'], report)

    dead = None  # the OSPF dead interval, when valid (router_frr_keep_routes is checked against it)
    if protocol == 'ospf':
        area = values['lvs_ospf_area']
        if isinstance(area, str) and _AREA_RE.match(area.strip()):
            if any(int(part) > 255 for part in area.strip().split('.')):
                report.error('lvs_ospf_area', '%s is not a valid area (dotted quad 0.0.0.0..255.255.255.255 or '
                                              'an integer 0..4294967295)' % fmt_value(area))
        else:
            report.check(to_int, 'lvs_ospf_area', area, 0, ASN_MAX)
        report.check(to_int, 'lvs_ospf_auth_key_id', values['lvs_ospf_auth_key_id'], 1, 255)
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
            field, peers = _peers(report, 'director', director, hostvars)
            if not routers and not peers:
                report.error(field,
                             '%s and the %s group is empty: with lvs_routing_protocol bgp director %s has no '
                             'BGP neighbor to announce the VIPs to'
                             % (fmt_value(peers), report.names['routers'], director))

    for director in directors:
        _check_peers(report, *_peers(report, 'director', director, hostvars))

    if not routers:
        report.warn('the %s group is empty: the directors announce the VIPs to routers managed elsewhere'
                    % report.names['routers'])
    director_ips = set(addresses.get(d, {}).get('lvs_address') for d in directors) - set([None])
    for router in routers:
        hv = hostvars.get(router, {})
        _check_keep_routes(report, router, hv, dead, values)
        extra = _check_peers(report, *_peers(report, 'router', router, hostvars))
        extra = [ip for ip in unique(extra) if ip not in director_ips]
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


def _check_keep_routes(report, router, hv, dead, values):
    """router_frr_keep_routes: 0, or seconds up to KEEP_ROUTES_MAX that outlast the router's new adjacencies after
    a restart of FRR: an ordinary OSPF start waits one dead interval before it elects the DR of the fabric, and its
    new LSAs take ~10 s more until OSPF installs the routes again (measured 11-16 s with dead interval 4). `dead`: the
    OSPF dead interval as _check_routing read it (None without OSPF or when it is invalid)."""
    field = _hv_field(router, 'router_frr_keep_routes')
    raw = hv.get('router_frr_keep_routes', DEFAULT_KEEP_ROUTES)
    ok, keep = report.check(to_int, field, raw, 0, KEEP_ROUTES_MAX)
    if not ok or not keep or dead is None or hv.get('router_frr_config') == 'shared':
        return
    if keep < dead + 20:
        report.error(field, '%s is less than lvs_ospf_dead_interval %s + 20: after a restart of FRR router %s '
                            'waits one dead interval before its OSPF adjacencies form and ~10 s more until OSPF '
                            'installs the VIP routes again; zebra would remove them before (raise it, or 0 for FRR\'s '
                            'own restart)'
                     % (fmt_value(raw), fmt_value(values['lvs_ospf_dead_interval']), router))


# Two role groups on one host: the reason each combination breaks the load balancer.
_GROUP_CONFLICTS = (
    ('directors', 'realservers', 'a director cannot be a real server (IPVS would schedule the DR-forwarded packets '
                                 'again)'),
    ('routers', 'directors', 'one host cannot be a router and a director: both roles own /etc/frr/frr.conf (the '
                             'second role would overwrite the first) and the router must learn the VIP from the '
                             'directors'),
    ('routers', 'realservers', 'a router cannot be a real server: the VIP on its lo would make the router answer '
                               'for the VIP instead of routing it to the directors'),
)


def _check_role_groups(report, groups):
    """Every host is in at most one of the routers, directors and realservers groups."""
    for first, second, reason in _GROUP_CONFLICTS:
        members = set(groups.get(second, []))
        both = [h for h in groups.get(first, []) if h in members]
        if both:
            report.error(report.group(first), '%s also in the %s group: %s'
                         % (', '.join(both), report.names[second], reason))


def _check_variable_names(report, hostvars, controller_vars):
    """``lvs_*`` variables that the collection does not know (a misspelling is silently ignored otherwise)."""
    where = {}
    for host in sorted(hostvars):
        for name in hostvars[host].get(DEFINED_KEY) or ():
            where.setdefault(name, []).append("hostvars['%s']" % host)
    for name in controller_vars.get(DEFINED_KEY) or ():
        where.setdefault(name, []).append('the controller (extra vars or localhost)')
    for name in sorted(where):
        if name in KNOWN_LVS_VARS:
            continue
        close = difflib.get_close_matches(name, KNOWN_LVS_VARS, n=1, cutoff=0.6)
        hint = ('did you mean %s?' % close[0]) if close else ('known: %s' % ', '.join(KNOWN_LVS_VARS))
        shown = where[name][:3] + (['...'] if len(where[name]) > 3 else [])
        report.error(name, 'unknown variable (set in %s) - %s' % (', '.join(shown), hint))


def _secret_variants(hostvars, hosts, name):
    """``[(value, [hosts])]`` of secret ``name`` on ``hosts`` (None: not set)."""
    variants = []
    for host in hosts:
        value = hostvars.get(host, {}).get(name)
        for variant in variants:
            if variant[0] == value:
                variant[1].append(host)
                break
        else:
            variants.append((value, [host]))
    return variants


def _check_secret_value(report, name, value, field=None):
    """Format of one secret (``field``: where it is, the variable by default); the message never contains it."""
    longest, what = SECRETS[name]
    name = field or name
    if not isinstance(value, str):
        report.error(name, '(value not shown) is a %s, not a string: %s must be a string (quote it in YAML)'
                     % (type(value).__name__, what))
        return
    bad = [c for c in value if c.isspace() or not c.isprintable() or ord(c) > 126 or c in CONFIG_FORBIDDEN]
    if bad or not value:
        report.error(name, '(value not shown) must be 1..%d printable ASCII characters without whitespace, '
                           'quotes, braces, backslash, \'#\' or \'!\': it is written verbatim into frr.conf '
                           '(%s)' % (longest, what))
    elif len(value) > longest:
        report.error(name, '(value not shown) has %d characters, more than the %d of %s'
                     % (len(value), longest, what))


def _check_secrets(report, hostvars, routing_hosts, controller_vars):
    """One value of each secret on every router and director (compared, never printed), and a usable format."""
    for name in SECRET_VARS:
        variants = _secret_variants(hostvars, routing_hosts, name)
        if len(variants) > 1:
            described = '; '.join('%s on %s' % ('unset' if value is None else 'value %d' % (index + 1),
                                                ', '.join(hosts))
                                  for index, (value, hosts) in enumerate(variants))
            report.error(name, 'routers and directors disagree (%s; values not shown) - every router and director '
                               'must use the same one (define it once, in group_vars/all), else the sessions '
                               'never come up' % described)
        if name == ACCEPT_KEYS_VAR:
            for value, hosts in variants:
                if value not in (None, []):
                    _check_accept_keys(report, value, hostvars.get(hosts[0], {}) if hosts else controller_vars)
            if not variants and controller_vars.get(name) not in (None, []):
                _check_accept_keys(report, controller_vars[name], controller_vars)
            continue
        values = [value for value, _hosts in variants] or [controller_vars.get(name)]
        for value in _unique_by_identity(values):
            if value is not None:
                _check_secret_value(report, name, value)


def _check_accept_keys(report, value, host_vars):
    """lvs_ospf_auth_accept_keys: a list of {id, key}; ids 1..255, unique, not the sending key's id; keys as
    lvs_ospf_auth_key; only with lvs_ospf_auth_key set. Messages never contain a key."""
    name = ACCEPT_KEYS_VAR
    if not is_list(value):
        report.error(name, '(value not shown) is not a list of {id, key}')
        return
    if host_vars.get('lvs_ospf_auth_key') is None:
        report.error(name, 'is set but lvs_ospf_auth_key is not: keys are only accepted next to the key sent with '
                           '(a key rotation; README "Rotate the OSPF key")')
    try:
        send_id = to_int('lvs_ospf_auth_key_id', host_vars.get('lvs_ospf_auth_key_id', 1) or 1)
    except LvsModelError:
        send_id = None  # reported by the routing checks
    seen = set()
    for index, item in enumerate(value):
        field = '%s[%d]' % (name, index)
        if not is_mapping(item) or sorted(item) != ['id', 'key']:
            report.error(field, '(value not shown) must be a mapping with exactly the keys id and key')
            continue
        try:
            key_id = to_int(field + '.id', item['id'], 1, 255)
        except LvsModelError as exc:
            report.error(field + '.id', str(exc).split(': ', 1)[-1])
            key_id = None
        if key_id is not None and key_id == send_id:
            report.error(field + '.id', '%d is the id of lvs_ospf_auth_key (the key sent with): an accepted key needs '
                                        'an id of its own' % key_id)
        elif key_id is not None and key_id in seen:
            report.error(field + '.id', '%d appears twice' % key_id)
        seen.add(key_id)
        _check_secret_value(report, 'lvs_ospf_auth_key', item['key'], field=field + '.key')


def _unique_by_identity(values):
    result = []
    for value in values:
        if not any(value == seen for seen in result):
            result.append(value)
    return result


def _check_config_string(field, kind, value):
    """One role variable written into a configuration file (see :data:`CONFIG_STRING_VARS`)."""
    if kind == 'name':
        check_name(field, value)
    elif kind == 'text':
        check_config_text(field, value, 'a configuration value')
        if not _TEXT_RE.match(value):
            raise LvsModelError('%s: %s is not words of A-Z a-z 0-9 _ . / : @ = + - separated by single spaces'
                                % (field, fmt_value(value)))
    elif kind == 'user':
        if not isinstance(value, str) or not _USER_RE.match(value):
            raise LvsModelError('%s: %s is not a user name (lower case letters, digits, _ and -, at most 32)'
                                % (field, fmt_value(value)))
    elif kind == 'interface':
        if not isinstance(value, str) or not _INTERFACE_RE.match(value):
            raise LvsModelError('%s: %s is not an interface name (1..15 characters of A-Z a-z 0-9 _ . : @ -)'
                                % (field, fmt_value(value)))
    elif kind == 'address':
        ip = lvs_net.parse_unicast(field, value)
        if ip.version != 4:
            raise LvsModelError('%s: %s is not an IPv4 address (an OSPFv2 / BGP router-id)' % (field, fmt_value(value)))
    elif kind == 'networks':
        if not is_list(value):
            raise LvsModelError('%s: %s is not a list of networks' % (field, fmt_value(value)))
        for index, item in enumerate(value):
            lvs_net.network_of(item, '%s[%d]' % (field, index))


def _check_config_strings(report, hostvars, groups):
    """Role variables and host names that reach keepalived.conf / frr.conf verbatim."""
    for host in sorted(hostvars):
        hv = hostvars[host]
        for name in sorted(CONFIG_STRING_VARS):
            if hv.get(name) is not None:
                report.guard(_hv_field(host, name), _check_config_string, _hv_field(host, name),
                             CONFIG_STRING_VARS[name], hv[name])
    for group, names in sorted(HOSTNAME_VARS.items()):
        for host in groups.get(group, []):
            unset = [n for n in names if hostvars.get(host, {}).get(n) is None]
            if unset:
                report.check(check_name, '%s: host %s' % (report.group(group), fmt_value(host)), host,
                             'a valid host name for %s (their default)' % ', '.join(unset))


def _check_drain(report, controller_vars):
    """The variables of playbooks/drain.yml (-e; their defaults are those of the director role's entry point drain)."""
    for name in ('lvs_drain', 'lvs_drain_force'):
        if controller_vars.get(name) is not None:
            _to_bool(name, controller_vars[name], report)
    for name in ('lvs_drain_timeout', 'lvs_drain_quiet'):
        if controller_vars.get(name) is not None:
            report.check(to_int, name, controller_vars[name], 1, 86400)


def validate_inventory(hostvars, groups, controller_vars=None, default_ecmp_width=DEFAULT_ECMP_WIDTH,
                       drain=False, group_names=None):
    """Validate a whole ecmp.lvs inventory.

    ``hostvars``: ``{host: {variable: value}}`` - plain values, only the variables a host defines (at least
    those of :data:`EXTRACTED_VARS`). ``groups``: ``{group: [host, ...]}``. ``controller_vars``: the global
    variables as the controller (localhost) sees them, used when no router/director/real server exists (and the
    ``lvs_drain*`` variables, checked with ``drain``). ``group_names``: ``{role: group}`` for the roles of
    :data:`ROLE_GROUPS` whose inventory group has another name (``lvs_router_group``, ...): the validated cluster.
    Under :data:`DEFINED_KEY` a host (and ``controller_vars``) may list the ``lvs_*`` names it defines: unknown ones
    are reported with the closest known name.

    Returns ``{errors, warnings, services, vips, directors, routers, realservers}``: ``errors`` lists every
    problem (each ``<field path>: <value> <why>``), ``services`` the normalised services (empty on errors).
    """
    report = _Report(group_names)
    if not is_mapping(groups):
        groups = {}
    # the role groups under their role's name (ROLE_GROUPS), whatever the inventory calls them
    groups = dict((role, list(groups.get(report.names[role]) or [])) for role in ROLE_GROUPS)
    hostvars = dict(hostvars or {})
    routers = groups['routers']
    directors = groups['directors']
    realservers = groups['realservers']

    if not directors:
        report.error(report.group('directors'), 'empty or missing: the inventory needs at least one director')
    _check_role_groups(report, groups)

    controller_vars = controller_vars or {}
    role_hosts = unique(directors + routers + realservers)
    consumers = {'services': role_hosts, 'routing': unique(directors + routers)}
    _check_variable_names(report, hostvars, controller_vars)
    values = report.guard('lvs_*', _global_values, report, hostvars, consumers, controller_vars)
    addresses = report.guard('lvs_address', _host_addresses, report, hostvars, groups, set(role_hosts)) or {}
    report.guard('lvs_ospf_auth_key, lvs_bgp_password', _check_secrets, report, hostvars, consumers['routing'],
                 controller_vars)
    report.guard('role variables', _check_config_strings, report, hostvars, groups)
    if drain:
        _check_drain(report, controller_vars)

    pairs = []
    if values is not None:
        pairs = report.guard('lvs_services', _services, report, values['lvs_services'], hostvars) or []
        report.guard('lvs_services', _check_services, report, pairs, addresses, groups)
        report.guard('lvs_routing_protocol', _check_routing, report, values, hostvars, groups, addresses,
                     default_ecmp_width)

    services = [service for _raw, service in pairs] if not report.errors else []
    return {
        'errors': report.errors,
        'warnings': report.warnings,
        'services': services,
        'vips': lvs_net.lvs_vips(services) if services else [],
        'directors': list(directors),
        'routers': list(routers),
        'realservers': list(realservers),
    }
