# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Address-aware part of the ecmp.lvs service model (controller only).

This file needs the Python library ``netaddr`` and therefore runs on the Ansible controller only
(it is a plugin_util, never shipped to managed hosts). The address-free vocabulary, defaults and output
builders live in ``plugins/module_utils/lvs_model.py`` (standard library only).

Every function raises :class:`LvsModelError` with a message that names the field and the offending
value; ``plugins/filter/lvs.py`` turns it into ``AnsibleFilterError``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.ecmp.lvs.plugins.module_utils.lvs_model import (
    FWMARK_MAX,
    HEALTH_CHECK_KEY_TYPES,
    LOCAL_SORRY_ADDRESS,
    PERSISTENCE_TIMEOUT_MAX,
    REAL_SERVER_CHECK_KEYS,
    Collector,
    LvsModelError,
    PROTOCOLS,
    REAL_SERVER_KEYS,
    SERVICE_DEFAULTS,
    SERVICE_KEYS,
    SORRY_SERVER_KEYS,
    WEIGHT_MAX,
    _url_path,
    check_keys,
    check_name,
    default_service_name,
    fail,
    fmt_value,
    is_list,
    is_mapping,
    normalise_health_checks,
    normalise_scheduler,
    persistence_granularity,
    service_key,
    to_bool,
    to_choice,
    to_int,
    to_port,
)

try:
    import netaddr
except ImportError as imp_exc:  # the import sanity test runs without netaddr
    netaddr = None
    NETADDR_IMPORT_ERROR = imp_exc
else:
    NETADDR_IMPORT_ERROR = None


def _require_netaddr():
    if netaddr is None:
        raise LvsModelError('the ecmp.lvs filters need the Python library netaddr on the Ansible controller '
                            '(pip install netaddr): %s' % NETADDR_IMPORT_ERROR)


_V4_THIS_NETWORK = '0.0.0.0/8'
_V4_CLASS_E = '240.0.0.0/4'
_V6_IPV4_MAPPED = '::ffff:0:0/96'


def _not_unicast_reason(ip):
    """Why ``ip`` cannot be a VIP or a server address, or None when it is a usable unicast address.

    Reserved means 0.0.0.0/8 and 240.0.0.0/4 for IPv4 and the IANA reserved blocks netaddr knows for IPv6.
    Documentation ranges (192.0.2.0/24, 2001:db8::/32, ...) and private ranges are accepted.
    """
    if ip.version == 4:
        if ip.value == 0:
            return 'the unspecified address'
        if ip.value == 0xFFFFFFFF:
            return 'the broadcast address'
        if ip in netaddr.IPNetwork(_V4_THIS_NETWORK):
            return 'reserved ("this network", 0.0.0.0/8)'
        if ip.is_multicast():
            return 'multicast'
        if ip.is_loopback():
            return 'loopback'
        if ip.is_link_local():
            return 'link-local'
        if ip in netaddr.IPNetwork(_V4_CLASS_E):
            return 'reserved (240.0.0.0/4)'
        return None
    if ip.value == 0:
        return 'the unspecified address'
    if ip.is_loopback():
        return 'loopback'
    if ip.is_multicast():
        return 'multicast'
    if ip.is_link_local():
        return 'link-local'
    if ip in netaddr.IPNetwork(_V6_IPV4_MAPPED):
        return 'IPv4-mapped (write the IPv4 address instead)'
    if ip.is_reserved():
        return 'reserved'
    return None


def _parse_ip(field, value, any_prefix=False):
    """Parse ``addr`` or ``addr/prefix`` into ``(IPAddress, prefixlen or None)``, or fail naming ``field``."""
    _require_netaddr()
    if isinstance(value, netaddr.IPAddress):
        return value, None
    if not isinstance(value, str) or not value.strip():
        fail(field, '%s is not an IP address' % fmt_value(value))
    text = value.strip()
    try:
        if '/' in text:
            net = netaddr.IPNetwork(text)
            return net.ip, net.prefixlen
        return netaddr.IPAddress(text), None
    except (netaddr.AddrFormatError, ValueError, TypeError):
        hint = ' (with optional /prefix)' if any_prefix else ''
        fail(field, '%s is not an IP address%s' % (fmt_value(value), hint))


def parse_unicast(field, value, any_prefix=False):
    """A unicast host address given as ``addr`` or ``addr/32`` (``/128``); returns netaddr.IPAddress.

    With ``any_prefix`` an interface address such as ``10.99.0.11/24`` is accepted too (the prefix is dropped).
    """
    ip, prefixlen = _parse_ip(field, value, any_prefix)
    host_len = 32 if ip.version == 4 else 128
    if prefixlen is not None and not any_prefix and prefixlen != host_len:
        fail(field, '%s is not a host address: only /%d is allowed here' % (fmt_value(value), host_len))
    reason = _not_unicast_reason(ip)
    if reason:
        fail(field, '%s is not a unicast host address: it is %s' % (fmt_value(value), reason))
    return ip


def host_prefix(addr, field='host_prefix'):
    """``10.0.0.1`` or ``10.0.0.1/32`` -> ``10.0.0.1/32``; IPv6 -> ``/128``."""
    ip = parse_unicast(field, addr)
    return '%s/%d' % (ip, 32 if ip.version == 4 else 128)


def network_of(value, field='network_of'):
    """``10.99.0.11/24`` -> ``10.99.0.0/24``. Accepts a facts dict ``{address, prefix|netmask}`` as well."""
    _require_netaddr()
    if is_mapping(value) and 'address' in value:
        mask = value.get('prefix', value.get('netmask'))
        if mask in (None, ''):
            fail(field, '%s has no prefix or netmask' % fmt_value(dict(value)))
        value = '%s/%s' % (value['address'], mask)
    if not isinstance(value, str) or not value.strip():
        fail(field, '%s is not an address with prefix (e.g. "10.99.0.11/24")' % fmt_value(value))
    try:
        net = netaddr.IPNetwork(value.strip())
    except (netaddr.AddrFormatError, ValueError, TypeError):
        fail(field, '%s is not an address with prefix (e.g. "10.99.0.11/24")' % fmt_value(value))
    return str(net.cidr)


def ospf_networks(addresses, field='ospf_networks'):
    """Sorted unique networks of a list of ``addr/prefix`` strings (or one string)."""
    _require_netaddr()
    if addresses is None:
        return []
    if isinstance(addresses, str) or is_mapping(addresses):
        addresses = [addresses]
    if not is_list(addresses):
        fail(field, '%s is not a list of addresses with prefix' % fmt_value(addresses))
    nets = set()
    for index, value in enumerate(addresses):
        nets.add(netaddr.IPNetwork(network_of(value, '%s[%d]' % (field, index))))
    return [str(n) for n in sorted(nets, key=lambda n: (n.version, n.first, n.prefixlen))]


def _fact_entry(facts, prefix, name):
    """The facts dictionary of interface ``name``; the key may have '-', '.' and ':' replaced by '_'."""
    candidates = [name, name.replace('-', '_'), name.replace('.', '_'), name.replace(':', '_'),
                  name.replace('-', '_').replace('.', '_').replace(':', '_')]
    for candidate in candidates:
        entry = facts.get(prefix + candidate)
        if is_mapping(entry):
            return entry
    return None


def _entry_addresses(entry):
    found = []
    v4 = entry.get('ipv4')
    if is_mapping(v4):
        found.append(v4.get('address'))
    for key in ('ipv4_secondaries', 'ipv6'):
        items = entry.get(key)
        if is_list(items):
            found.extend(item.get('address') for item in items if is_mapping(item))
    result = set()
    for addr in found:
        if isinstance(addr, str) and addr:
            try:
                result.add(netaddr.IPAddress(addr.split('%', 1)[0]))
            except (netaddr.AddrFormatError, ValueError):
                continue
    return result


def interface_for_address(facts, address, field='interface_for_address'):
    """Name of the interface whose ipv4 / ipv4_secondaries / ipv6 facts hold ``address``.

    ``facts`` is ``ansible_facts`` (keys ``interfaces``, ``<iface>``) or hostvars (``ansible_interfaces``,
    ``ansible_<iface>``). The real device name (``device``) is returned. If several interfaces hold the
    address, a real device (address labels show up as pseudo-interfaces without ``device``) wins over a
    label, a non-loopback one over loopback, then the first name in sort order.
    """
    ip, _prefixlen = _parse_ip(field + '.address', address, any_prefix=True)
    if not is_mapping(facts):
        fail(field, 'the first argument must be ansible_facts, got %s' % fmt_value(facts))
    if is_list(facts.get('interfaces')):
        prefix, names = '', facts['interfaces']
    elif is_list(facts.get('ansible_interfaces')):
        prefix, names = 'ansible_', facts['ansible_interfaces']
    else:
        fail(field, 'ansible_facts has no interfaces list; gather facts with gather_subset including network')
    matches = []
    for name in names:
        entry = _fact_entry(facts, prefix, str(name))
        if entry is not None and ip in _entry_addresses(entry):
            device = entry.get('device')
            loopback = entry.get('type') == 'loopback' or device == 'lo'
            # address labels (eth0:1) appear as pseudo-interfaces without a device key: real ones win
            matches.append((device is None, loopback, str(device or name)))
    if not matches:
        fail(field, 'no interface holds the address %s (looked at ipv4, ipv4_secondaries and ipv6 of %s)'
             % (fmt_value(address), ', '.join(str(n) for n in names) or 'no interfaces'))
    return sorted(matches)[0][2]


def host_address(field, hostvars, name, family=4):
    """The fabric address of inventory host ``name``: for IPv4 ``lvs_address``, else ``ansible_host``, else the
    inventory name itself when it is an IP address; for IPv6 (``family`` 6: a real server of an IPv6 service)
    ``lvs_address6``, else ``lvs_address``, ``ansible_host`` or the name when they are IPv6 addresses. Returns a
    plain address string."""
    if not isinstance(name, str) or not name:
        fail(field, '%s is not an inventory host name' % fmt_value(name))
    if hostvars is None or not is_mapping(hostvars):
        fail(field, 'host %s given but no hostvars were passed (use: services | ecmp.lvs.lvs_services(hostvars))'
             % fmt_value(name))
    if name not in hostvars:
        fail(field, '%s is not a host of the inventory' % fmt_value(name))
    host = hostvars[name]
    keys = ('lvs_address', 'ansible_host') if family == 4 else ('lvs_address6', 'lvs_address', 'ansible_host')
    for key in keys:
        value = host.get(key) if is_mapping(host) else None
        if value is not None and value != '':
            ip = parse_unicast("%s (hostvars['%s'].%s)" % (field, name, key), value, any_prefix=True)
            if family == 6 and key != 'lvs_address6' and ip.version != 6:
                continue
            if family == 6 and ip.version != 6:
                fail(field, "%s (hostvars['%s'].%s) is not an IPv6 address" % (fmt_value(value), name, key))
            return str(ip)
    try:
        ip = parse_unicast(field, name)
        if ip.version == family:
            return str(ip)
    except LvsModelError:
        pass
    if family == 6:
        fail(field, 'host %s has no IPv6 address (this is an IPv6 service): set lvs_address6 for it'
             % fmt_value(name))
    fail(field, 'host %s has no address: set lvs_address (or ansible_host) for it' % fmt_value(name))


def _server_address(field, raw, hostvars, vip):
    """Resolve ``{host}`` / ``{address}`` of a real or sorry server to ``(IPAddress, host or None)``.

    ``vip`` may be None (the VIP itself is invalid): the address family is not compared then.
    """
    host = raw.get('host')
    if host is not None and not isinstance(host, str):
        fail(field + '.host', '%s is not an inventory host name' % fmt_value(host))
    if raw.get('address') is not None:
        ip = parse_unicast(field + '.address', raw['address'])
        address_field = field + '.address'
    elif host:
        ip = netaddr.IPAddress(host_address(field + '.host', hostvars, host, vip.version if vip is not None else 4))
        address_field = field + '.host'
    else:
        fail(field, 'needs host (an inventory name) or address, got %s' % fmt_value(dict(raw)))
    if vip is not None and ip.version != vip.version:
        fail(address_field, '%s is IPv%d but the VIP %s is IPv%d (direct routing cannot change the family)'
             % (fmt_value(str(ip)), ip.version, vip, vip.version))
    return ip, (str(host) if host else None)


def _dr_port(field, value, service_port):
    """The port of a real or sorry server: the service port (DR cannot translate ports); for a firewall-mark
    service (``service_port`` 0) none at all: the packet keeps the port the client chose (0 in IPVS)."""
    if service_port == 0:
        if value in (0, '0'):
            return 0
        fail(field, '%s: a firewall-mark service forwards every port of its ports list unchanged (direct routing), '
                    'so its real servers have no port; remove it (health checks connect to health_check.port, by '
                    'default the first of ports)' % fmt_value(value))
    port = to_port(field, value)
    if service_port is not None and port != service_port:
        fail(field, '%d differs from the service port %d; direct routing cannot translate ports (ipvsadm '
                    'forces the service port) - use health_check.port (or real_servers[].health_check.port) to '
                    'check another port' % (port, service_port))
    return port


def _check_override(field, value):
    """``real_servers[].health_check``: per real server values of its service's health checks."""
    check_keys(field, value, REAL_SERVER_CHECK_KEYS)
    errors = Collector()
    result = dict((key, None) for key in REAL_SERVER_CHECK_KEYS)
    if value.get('port') is not None:
        result['port'] = errors.run(to_port, field + '.port', value['port'])
    if value.get('path') is not None:
        result['path'] = errors.run(_url_path, field + '.path', value['path'])
    if value.get('status_code') is not None:
        result['status_code'] = errors.run(to_int, field + '.status_code', value['status_code'], 100, 599)
    errors.raise_errors()
    return result


def _check_override_applies(field, override, checks):
    """Every key of a real server's override must apply to at least one health check of its service."""
    kinds = [hc['type'] for hc in checks]
    for key in REAL_SERVER_CHECK_KEYS:
        if override.get(key) is None:
            continue
        applies = [kind for kind in HEALTH_CHECK_KEY_TYPES[key] if kind != 'misc']
        if not any(kind in applies for kind in kinds):
            fail('%s.%s' % (field, key), '%s applies to health checks of type %s; the service has %s (nothing '
                                         'would use it)' % (fmt_value(override[key]), ' or '.join(applies),
                                                            ', '.join(kinds)))
    return True


def service_label(index, raw):
    """``web`` (a valid name) or the index: the ``lvs_services[...]`` label of a service in messages."""
    name = raw.get('name') if is_mapping(raw) else None
    if isinstance(name, str) and name.strip():
        try:
            return check_name('name', name.strip())
        except LvsModelError:
            pass
    return str(index)


def _real_server(errors, rs_field, rs_raw, hostvars, vip, port, checks=None):
    """One real server ``((address value, port), {address, port, weight, host})``, or None after its errors."""
    if errors.run(check_keys, rs_field, rs_raw, REAL_SERVER_KEYS) is None and not is_mapping(rs_raw):
        return None
    if not is_mapping(rs_raw):
        return None
    resolved = errors.run(_server_address, rs_field, rs_raw, hostvars, vip)
    rs_port = port
    if rs_raw.get('port') is not None:
        rs_port = errors.run(_dr_port, rs_field + '.port', rs_raw['port'], port)
    weight = 1
    if rs_raw.get('weight') is not None:
        weight = errors.run(to_int, rs_field + '.weight', rs_raw['weight'], 0, WEIGHT_MAX)
    override = None
    if rs_raw.get('health_check') is not None:
        override = errors.run(_check_override, rs_field + '.health_check', rs_raw['health_check'])
        if override is None:
            return None
        if checks is not None and errors.run(_check_override_applies, rs_field + '.health_check', override,
                                             checks) is None:
            return None
    if resolved is None or rs_port is None or weight is None:
        return None
    ip, host = resolved
    server = {'address': str(ip), 'port': rs_port, 'weight': weight, 'host': host}
    if override is not None:
        server['health_check'] = override
    return (ip.value, rs_port), server


def _real_servers(errors, field, raw_servers, hostvars, vip, port, checks=None):
    """The sorted real servers of a service (each bad one recorded in ``errors``)."""
    if not is_list(raw_servers) or not raw_servers:
        errors.run(fail, field + '.real_servers', '%s: at least one real server is required'
                   % fmt_value(raw_servers))
        return []
    servers = []
    seen = {}
    for rs_index, rs_raw in enumerate(raw_servers):
        rs_field = '%s.real_servers[%d]' % (field, rs_index)
        found = _real_server(errors, rs_field, rs_raw, hostvars, vip, port, checks)
        if found is None:
            continue
        key, server = found
        if key in seen:
            errors.run(fail, rs_field, '%s:%d is listed twice (also real_servers[%d])'
                       % (server['address'], key[1], seen[key]))
            continue
        seen[key] = rs_index
        servers.append((key, server))
    return [rs for _key, rs in sorted(servers, key=lambda item: item[0])]


def _sorry_server(errors, field, raw_sorry, hostvars, vip, port):
    """``{address, port}`` of the sorry server, or None (not given, or bad: recorded in ``errors``)."""
    if raw_sorry is None:
        return None
    sorry_field = field + '.sorry_server'
    if isinstance(raw_sorry, str):
        raw_sorry = {'local': True} if raw_sorry.strip() == 'local' else {'address': raw_sorry}
    if errors.run(check_keys, sorry_field, raw_sorry, SORRY_SERVER_KEYS) is None and not is_mapping(raw_sorry):
        return None
    local = _local_sorry(errors, sorry_field, raw_sorry, vip)
    resolved = None
    if local is None:
        return None
    if not local:
        resolved = errors.run(_server_address, sorry_field, raw_sorry, hostvars, vip)
    sorry_port = port
    if raw_sorry.get('port') is not None:
        sorry_port = errors.run(_dr_port, sorry_field + '.port', raw_sorry['port'], port)
    if (resolved is None and not local) or sorry_port is None:
        return None
    if local:
        family = vip.version if vip is not None else 4
        return {'address': LOCAL_SORRY_ADDRESS[family], 'port': sorry_port, 'local': True}
    return {'address': str(resolved[0]), 'port': sorry_port, 'local': False}


def _local_sorry(errors, field, raw, vip):
    """Whether the sorry server is the director itself: ``local: true``, or the loopback address of the seeds
    (``127.0.0.1`` / ``::1``, what keepalived is given for it). None after an error."""
    local = False
    if raw.get('local') is not None:
        local = errors.run(to_bool, field + '.local', raw['local'])
        if local is None:
            return None
    address = raw.get('address')
    if isinstance(address, str) and address.strip() in LOCAL_SORRY_ADDRESS.values():
        family = 6 if ':' in address else 4
        if vip is not None and vip.version != family:
            errors.run(fail, field + '.address', '%s is the IPv%d loopback but the VIP is IPv%d (use local: true)'
                       % (fmt_value(address), family, vip.version))
            return None
        if raw.get('local') is False:
            errors.run(fail, field + '.address', '%s is the director itself: local false contradicts it'
                       % fmt_value(address))
            return None
        local = True
    elif local and (address is not None or raw.get('host') is not None):
        errors.run(fail, field + '.local', 'true together with %s: a local sorry server is the director itself '
                                           '(give local OR host/address)'
                   % ('address %s' % fmt_value(address) if address is not None else 'host'))
        return None
    return local


def _vips(errors, field, svc):
    """The VIPs of a service: ``vip`` or ``vips`` (a list; several VIPs share one real-server set), as
    netaddr.IPAddress in the given order; None after an error (recorded)."""
    if svc.get('vips') is not None and svc.get('vip') is not None:
        # a normalised service carries both (vip = vips[0]); an inventory gives one
        if not (is_list(svc['vips']) and svc['vips'] and str(svc['vips'][0]) == str(svc['vip'])):
            errors.run(fail, field + '.vips', 'given together with vip: give vip (one VIP) or vips (a list)')
            return None
    if svc.get('vips') is None:
        if 'vip' not in svc:
            errors.run(fail, field + '.vip', 'missing (the virtual IP address is required)')
            return None
        vip = errors.run(parse_unicast, field + '.vip', svc['vip'])
        return None if vip is None else [vip]
    raw = svc['vips']
    if not is_list(raw) or not raw:
        errors.run(fail, field + '.vips', '%s is not a non-empty list of VIPs' % fmt_value(raw))
        return None
    vips = []
    for index, value in enumerate(raw):
        ip = errors.run(parse_unicast, '%s.vips[%d]' % (field, index), value)
        if ip is None:
            continue
        if ip in vips:
            errors.run(fail, '%s.vips[%d]' % (field, index), '%s is listed twice' % fmt_value(value))
            continue
        if vips and ip.version != vips[0].version:
            errors.run(fail, '%s.vips[%d]' % (field, index), '%s is IPv%d, vips[0] is IPv%d: one service is one '
                       'address family' % (fmt_value(value), ip.version, vips[0].version))
            continue
        vips.append(ip)
    return vips if len(vips) == len(raw) else None


def _ports(errors, field, svc, fwmark):
    """``(port, ports)``: the port of a service, or for a firewall-mark service (port None) its ports."""
    if fwmark is None:
        if svc.get('ports') is not None and not (is_list(svc['ports']) and len(svc['ports']) == 1
                                                 and svc.get('port') is not None
                                                 and str(svc['ports'][0]) == str(svc['port'])):
            errors.run(fail, field + '.ports', '%s: several ports of one service need a firewall mark (fwmark: N, '
                                               'marked by nftables on the directors)' % fmt_value(svc['ports']))
            return None, None
        if 'port' not in svc:
            errors.run(fail, field + '.port', 'missing (the service port is required)')
            return None, None
        port = errors.run(to_port, field + '.port', svc['port'])
        return port, None if port is None else [port]
    raw = svc.get('ports')
    if raw is None and svc.get('port') is not None:
        raw = [svc['port']]
    elif svc.get('port') is not None:
        errors.run(fail, field + '.port', 'given together with ports: a firewall-mark service lists its ports in '
                                          'ports')
        return None, None
    if not is_list(raw) or not raw:
        errors.run(fail, field + '.ports', '%s: a firewall-mark service needs a non-empty list of ports (the '
                                           'packets to mark)' % fmt_value(raw))
        return None, None
    ports = []
    for index, value in enumerate(raw):
        port = errors.run(to_port, '%s.ports[%d]' % (field, index), value)
        if port is not None and port in ports:
            errors.run(fail, '%s.ports[%d]' % (field, index), '%d is listed twice' % port)
        elif port is not None:
            ports.append(port)
    return (0, sorted(ports)) if len(ports) == len(raw) else (None, None)


def _normalise_service(index, raw, hostvars):
    """One service with every default filled; raises :class:`LvsModelErrors` with EVERY bad field of it."""
    field = 'lvs_services[%s]' % service_label(index, raw)
    if not is_mapping(raw):
        fail(field, '%s is not a dictionary' % fmt_value(raw))
    errors = Collector()
    errors.run(check_keys, field, raw, SERVICE_KEYS)
    svc = dict(SERVICE_DEFAULTS)
    svc.update(dict((k, v) for k, v in raw.items() if v is not None))

    name = None
    if raw.get('name') is not None:
        if not isinstance(raw['name'], str) or not raw['name'].strip():
            errors.run(fail, field + '.name', '%s is not a non-empty string' % fmt_value(raw['name']))
        else:
            name = errors.run(check_name, field + '.name', raw['name'].strip(), 'a valid service name')
    vips = _vips(errors, field, svc)
    vip = vips[0] if vips else None
    fwmark = None
    if svc.get('fwmark') is not None:
        fwmark = errors.run(to_int, field + '.fwmark', svc['fwmark'], 1, FWMARK_MAX)
        if fwmark is not None and vips and vips[0].version == 6:
            errors.run(fail, field + '.fwmark', '%s with IPv6 VIPs: firewall-mark services are IPv4 only (their '
                       'marking rules are nftables "ip" / iptables rules); give each IPv6 port its own service, or '
                       'vips with one port' % fmt_value(svc['fwmark']))
            fwmark = None
    port, ports = _ports(errors, field, svc, fwmark)
    if vips and len(vips) > 1 and fwmark is None and name is None and raw.get('name') is None:
        errors.run(fail, field + '.name', 'missing: a service of several VIPs (a keepalived virtual_server_group) '
                                          'is named by its name')
    protocol = svc['protocol'].strip().lower() if isinstance(svc['protocol'], str) else svc['protocol']
    protocol = errors.run(to_choice, field + '.protocol', protocol, PROTOCOLS)
    scheduler_flags = errors.run(normalise_scheduler, field, svc['scheduler'], raw.get('scheduler_flags'))
    persistence = errors.run(to_int, field + '.persistence_timeout', svc['persistence_timeout'], 0,
                             PERSISTENCE_TIMEOUT_MAX)
    granularity = None
    if persistence is not None and vip is not None:
        granularity = errors.run(persistence_granularity, field + '.persistence_granularity',
                                 svc['persistence_granularity'], vip.version, persistence)
    ops = errors.run(to_bool, field + '.ops', svc['ops'])
    if ops and protocol is not None and protocol != 'udp':
        errors.run(fail, field + '.ops', 'true but the protocol is %s: one-packet scheduling is for UDP only '
                                         '(keepalived resets it otherwise)' % protocol)
    checks = errors.run(normalise_health_checks, field, raw.get('health_check'), raw.get('health_checks'))
    servers = _real_servers(errors, field, svc.get('real_servers'), hostvars, vip, port, checks)
    quorum = errors.run(to_int, field + '.quorum', svc['quorum'], 1)
    total_weight = sum(rs['weight'] for rs in servers)
    if quorum is not None and servers and not errors.messages and quorum > total_weight:
        errors.run(fail, field + '.quorum', '%s is more than the total weight %d of the real servers, so the '
                                            'service could never be up (keepalived compares quorum with the sum '
                                            'of live weights)' % (fmt_value(svc['quorum']), total_weight))
    sorry = _sorry_server(errors, field, svc['sorry_server'], hostvars, vip, port)
    errors.raise_errors()

    vip_text = str(vip)
    scheduler, flags = scheduler_flags
    result = {
        'name': name if name is not None else (
            'fwmark:%d' % fwmark if fwmark is not None else default_service_name(vip_text, port, protocol)),
        'vip': vip_text,
        'vips': [str(ip) for ip in vips],
        'vip_prefix': '%s/%d' % (vip_text, 32 if vip.version == 4 else 128),
        'family': vip.version,
        'port': None if fwmark is not None else port,
        'ports': ports,
        'fwmark': fwmark,
        'protocol': protocol,
        'scheduler': scheduler,
        'scheduler_flags': flags,
        'persistence_timeout': persistence,
        'persistence_granularity': granularity,
        'ops': ops,
        'quorum': quorum,
        'sorry_server': sorry,
        'health_check': checks[0],
        'health_checks': checks,
        'real_servers': servers,
    }
    result['key'] = service_key(result)
    return result


def lvs_services(services, hostvars=None):
    """Validate ``lvs_services`` and fill every default; see docs/architecture.md for the shape."""
    _require_netaddr()
    if services is None:
        return []
    if not is_list(services):
        fail('lvs_services', '%s is not a list of services' % fmt_value(services))
    result = []
    names = {}
    endpoints = {}
    marks = {}
    for index, raw in enumerate(services):
        service = _normalise_service(index, raw, hostvars)
        field = 'lvs_services[%s]' % service['name']
        if service['name'] in names:
            fail(field + '.name', '%s is used by two services (lvs_services[%d] and [%d])'
                 % (fmt_value(service['name']), names[service['name']], index))
        names[service['name']] = index
        if service['fwmark'] is not None:
            if service['fwmark'] in marks:
                fail(field + '.fwmark', '%d is the mark of lvs_services[%s] too: one mark is one IPVS service'
                     % (service['fwmark'], marks[service['fwmark']]))
            marks[service['fwmark']] = service['name']
        for vip in service['vips']:
            for port in service['ports']:
                endpoint = (vip, port, service['protocol'])
                if endpoint in endpoints:
                    fail(field, 'duplicate service %s (vip, port, protocol) - already defined by lvs_services[%s]'
                         % (fmt_value(default_service_name(*endpoint)), endpoints[endpoint]))
                endpoints[endpoint] = service['name']
        result.append(service)
    return result


def lvs_vips(services):
    """Sorted unique plain VIP addresses of raw or normalised services."""
    _require_netaddr()
    if services is None:
        return []
    if not is_list(services):
        fail('lvs_vips', '%s is not a list of services' % fmt_value(services))
    vips = set()
    for index, service in enumerate(services):
        label = service.get('name') if is_mapping(service) and isinstance(service.get('name'), str) else index
        field = 'lvs_services[%s]' % label
        if not is_mapping(service):
            fail(field, '%s is not a dictionary' % fmt_value(service))
        if is_list(service.get('vips')):
            for vip_index, vip in enumerate(service['vips']):
                vips.add(parse_unicast('%s.vips[%d]' % (field, vip_index), vip))
            continue
        if service.get('vip') is None:
            fail(field + '.vip', 'missing (the virtual IP address is required)')
        vips.add(parse_unicast(field + '.vip', service['vip']))
    return [str(ip) for ip in sorted(vips, key=lambda ip: (ip.version, ip.value))]


def bgp_neighbors(hostvars, groups, group_name):
    """Sorted unique fabric addresses (lvs_address, else ansible_host) of the hosts of ``group_name``."""
    _require_netaddr()
    if not is_mapping(groups):
        fail('bgp_neighbors', 'the second argument must be groups, got %s' % fmt_value(groups))
    if not isinstance(group_name, str) or group_name not in groups:
        fail('bgp_neighbors', 'group %s is not in the inventory' % fmt_value(group_name))
    found = set()
    for name in groups[group_name]:
        found.add(netaddr.IPAddress(host_address("groups['%s']" % group_name, hostvars, name)))
    return [str(ip) for ip in sorted(found, key=lambda ip: (ip.version, ip.value))]


def vips_not_routed_via(routes, address):
    """VIPs (keys of ecmp.lvs.route_info's `routes`) whose route is absent or has no nexthop via `address`: one
    address or a list (a director's IPv4 fabric address and the IPv6 addresses of its fabric interface - the
    nexthop of an IPv6 VIP is one of those, link-local with OSPFv3)."""
    addresses = set([address] if isinstance(address, str) else address or [])
    missing = []
    for vip, route in sorted((routes or {}).items()):
        gateways = [hop.get('gateway') for hop in (route or {}).get('nexthops') or []]
        if not (route or {}).get('present') or not addresses.intersection(gateways):
            missing.append(vip)
    return missing


def routers_routing_via(results, address):
    """Names (loop `item`) of the routers whose route_info result routes every VIP via `address` (rollout gate:
    the routers that must route to a director again after its change). Failed or skipped results count as no."""
    names = []
    for result in results or []:
        routes = result.get('routes') if hasattr(result, 'get') else None
        if routes and not vips_not_routed_via(routes, address):
            names.append(result.get('item'))
    return names
