# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions behind ``ecmp.lvs.ipvs`` and ``ecmp.lvs.ipvs_info``.

Nothing in here runs a command: callers hand in ``ipvsadm`` output and get back plain data, or hand in
a current and a desired table and get back the ``ipvsadm`` argv lists that turn one into the other.

Standard library only (and ``lvs_model``): the director's host program ecmp-lvs-announce
(``roles/director/files/ecmp_lvs_announce``) reads the IPVS table with ``parse_list`` on the directors, where the
role installs this file and ``lvs_model.py`` beside it (``tests/unit/roles/test_director_announce_package.py``).

Canonical service (what ``parse_save`` returns and ``normalize_services`` produces)::

    {'protocol': 'tcp'|'udp'|'sctp'|None, 'vip': '10.0.0.1'|'2001:db8::1'|None, 'port': int|None,
     'fwmark': int|None, 'family': 'ipv4'|'ipv6', 'scheduler': 'mh',
     'scheduler_flags': ['mh-fallback', 'mh-port'], 'persistence_timeout': 0,
     'persistence_netmask': None|'255.255.255.0'|'64', 'ops': False,
     'real_servers': [{'address', 'port', 'forwarding': 'dr'|'nat'|'tun', 'weight',
                       'u_threshold', 'l_threshold'}]}

A service is identified by (protocol, vip, port) or, for firewall-mark services, by (fwmark, family).
Real servers are identified by (address, port) within their service and kept sorted by (address, port).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re

from ansible_collections.ecmp.lvs.plugins.module_utils.lvs_model import DEFAULT_SCHEDULER_FLAGS

PROTOCOLS = ('tcp', 'udp', 'sctp')
FORWARDING = ('dr', 'nat', 'tun')

_PROTO_OPT = {'tcp': '-t', 'udp': '-u', 'sctp': '--sctp-service'}
_OPT_PROTO = {'-t': 'tcp', '--tcp-service': 'tcp', '-u': 'udp', '--udp-service': 'udp',
              '--sctp-service': 'sctp'}
_FWD_OPT = {'dr': '-g', 'nat': '-m', 'tun': '-i'}
_OPT_FWD = {'-g': 'dr', '--gatewaying': 'dr', '-m': 'nat', '--masquerading': 'nat',
            '-i': 'tun', '--ipip': 'tun'}
# ipvsadm -L "Forward" column
_LIST_FWD = {'Route': 'dr', 'Masq': 'nat', 'Tunnel': 'tun', 'Local': 'local', 'Bypass': 'bypass'}
# ipvsadm -L column headers -> result keys
_COLUMNS = {
    'Forward': 'forwarding', 'Weight': 'weight', 'ActiveConn': 'active_conns',
    'InActConn': 'inactive_conns', 'Conns': 'conns', 'InPkts': 'inpkts', 'OutPkts': 'outpkts',
    'InBytes': 'inbytes', 'OutBytes': 'outbytes', 'CPS': 'cps', 'InPPS': 'inpps', 'OutPPS': 'outpps',
    'InBPS': 'inbps', 'OutBPS': 'outbps', 'Uthreshold': 'u_threshold', 'Lthreshold': 'l_threshold',
    'PersistConn': 'persist_conns', 'TunnelInfo': 'tunnel_info',
}
STATS_KEYS = ('conns', 'inpkts', 'outpkts', 'inbytes', 'outbytes')
RATE_KEYS = ('cps', 'inpps', 'outpps', 'inbps', 'outbps')

# scheduler flag bits (IP_VS_SVC_F_SCHED1..3) and their names per scheduler, in ipvsadm's print order
_FLAG_BITS = {'flag-1': 1, 'flag-2': 2, 'flag-3': 3,
              'sh-fallback': 1, 'sh-port': 2, 'mh-fallback': 1, 'mh-port': 2}
_FLAG_NAMES = {'sh': {1: 'sh-fallback', 2: 'sh-port', 3: 'flag-3'},
               'mh': {1: 'mh-fallback', 2: 'mh-port', 3: 'flag-3'}}
_GENERIC_FLAG_NAMES = {1: 'flag-1', 2: 'flag-2', 3: 'flag-3'}

NO_IPVS_PATTERNS = ("Can't initialize ipvs", 'Protocol not available',
                    'IP Virtual Server is built in the kernel')


class IpvsError(ValueError):
    """Bad input (desired state) or output that cannot be parsed."""


def no_ipvs(text):
    """True when ipvsadm's output says the kernel has no IPVS."""
    return any(p in (text or '') for p in NO_IPVS_PATTERNS)


# --------------------------------------------------------------------------------------------------
# addresses

def canonical_address(value):
    """'2001:DB8::0:1' -> '2001:db8::1', '10.0.0.1' -> '10.0.0.1'; IpvsError if not an IP address."""
    try:
        return str(ipaddress.ip_address(str(value).strip().strip('[]')))
    except ValueError:
        raise IpvsError('%r is not an IP address' % (value,))


def family_of(address):
    return 'ipv6' if ipaddress.ip_address(address).version == 6 else 'ipv4'


def split_hostport(text):
    """'10.0.0.1:80' -> ('10.0.0.1', 80); '[2001:db8::1]:80' -> ('2001:db8::1', 80)."""
    m = re.match(r'^\[([0-9A-Fa-f:.]+)\]:(\d+)$', text) or re.match(r'^([0-9.]+):(\d+)$', text)
    if not m:
        raise IpvsError('cannot parse address:port %r' % (text,))
    return canonical_address(m.group(1)), int(m.group(2))


def join_hostport(address, port):
    if family_of(address) == 'ipv6':
        return '[%s]:%d' % (address, port)
    return '%s:%d' % (address, port)


def canonical_netmask(value, family):
    """Persistence netmask: IPv4 as dotted quad ('255.255.255.0'), IPv6 as prefix length ('64')."""
    text = str(value).strip()
    if family == 'ipv6':
        if not text.lstrip('/').isdigit() or not 0 <= int(text.lstrip('/')) <= 128:
            raise IpvsError('IPv6 persistence_netmask must be a prefix length 0..128, got %r' % (value,))
        return str(int(text.lstrip('/')))
    try:
        if text.lstrip('/').isdigit():
            net = ipaddress.ip_network(u'0.0.0.0/%s' % text.lstrip('/'))
        else:
            net = ipaddress.ip_network(u'0.0.0.0/%s' % text)
    except ValueError:
        raise IpvsError('invalid IPv4 persistence_netmask %r' % (value,))
    return str(net.netmask)


def full_netmask(family):
    return '128' if family == 'ipv6' else '255.255.255.255'


# --------------------------------------------------------------------------------------------------
# scheduler flags

def canonical_flags(scheduler, flags):
    """Map flag names to ipvsadm's own names for this scheduler, sorted by bit, without duplicates.

    ``mh`` + ``['flag-2']`` -> ``['mh-port']``; ``rr`` + ``['mh-port']`` -> IpvsError (ipvsadm refuses it).
    """
    bits = set()
    for flag in flags or []:
        flag = str(flag).strip()
        if flag not in _FLAG_BITS:
            raise IpvsError('unknown scheduler flag %r (known: %s)' % (flag, ', '.join(sorted(_FLAG_BITS))))
        prefix = flag.split('-', 1)[0]
        if prefix in ('sh', 'mh') and prefix != scheduler:
            raise IpvsError('scheduler flag %r needs scheduler %r, not %r' % (flag, prefix, scheduler))
        bits.add(_FLAG_BITS[flag])
    names = _FLAG_NAMES.get(scheduler, _GENERIC_FLAG_NAMES)
    return [names[b] for b in sorted(bits)]


# --------------------------------------------------------------------------------------------------
# keys and ordering

def service_key(svc):
    if svc.get('fwmark') is not None:
        return ('fwm', svc['family'], int(svc['fwmark']))
    return (svc['protocol'], svc['vip'], int(svc['port']))


def real_server_key(rs):
    return (rs['address'], int(rs['port']))


def _addr_sort(address):
    if address is None:
        return (0, 0)
    ip = ipaddress.ip_address(address)
    return (ip.version, int(ip))


def _service_sort(svc):
    if svc.get('fwmark') is not None:
        return (1, svc['family'], svc['fwmark'], '', (0, 0), 0)
    return (0, svc['family'], 0, svc['protocol'], _addr_sort(svc['vip']), svc['port'])


def _rs_sort(rs):
    return (_addr_sort(rs['address']), rs['port'])


def sort_services(services):
    """Sort services and their real servers into the canonical, deterministic order."""
    out = []
    for svc in sorted(services, key=_service_sort):
        svc = dict(svc)
        svc['real_servers'] = sorted(svc.get('real_servers') or [], key=_rs_sort)
        out.append(svc)
    return out


def service_label(svc):
    if svc.get('fwmark') is not None:
        return 'fwmark %s%s' % (svc['fwmark'], ' (IPv6)' if svc['family'] == 'ipv6' else '')
    return '%s %s' % (svc['protocol'], join_hostport(svc['vip'], svc['port']))


# --------------------------------------------------------------------------------------------------
# parsing ipvsadm -Sn

def _new_service():
    return {'protocol': None, 'vip': None, 'port': None, 'fwmark': None, 'family': 'ipv4',
            'scheduler': None, 'scheduler_flags': [], 'persistence_timeout': 0,
            'persistence_netmask': None, 'ops': False, 'real_servers': []}


def _parse_save_line(line):
    """One ``ipvsadm -Sn`` line -> (command, service-id dict, service attrs, real server or None)."""
    tokens = line.split()
    if not tokens or tokens[0] not in ('-A', '-a'):
        raise IpvsError('unexpected ipvsadm -Sn line %r' % (line,))
    cmd = tokens[0]
    svc = _new_service()
    rs = None
    flags = []
    i = 1

    def value():
        if i + 1 >= len(tokens):
            raise IpvsError('option %s without value in %r' % (tokens[i], line))
        return tokens[i + 1]

    while i < len(tokens):
        tok = tokens[i]
        if tok in _OPT_PROTO:
            svc['protocol'] = _OPT_PROTO[tok]
            svc['vip'], svc['port'] = split_hostport(value())
            svc['family'] = family_of(svc['vip'])
            i += 2
        elif tok in ('-f', '--fwmark-service'):
            svc['fwmark'] = int(value())
            i += 2
        elif tok in ('-6', '--ipv6'):
            svc['family'] = 'ipv6'
            i += 1
        elif tok in ('-s', '--scheduler'):
            svc['scheduler'] = value()
            i += 2
        elif tok in ('-b', '--sched-flags'):
            flags = value().split(',')
            i += 2
        elif tok in ('-p', '--persistent'):
            if i + 1 < len(tokens) and tokens[i + 1].isdigit():
                svc['persistence_timeout'] = int(tokens[i + 1])
                i += 2
            else:
                svc['persistence_timeout'] = 300
                i += 1
        elif tok in ('-M', '--netmask'):
            svc['persistence_netmask'] = value()
            i += 2
        elif tok in ('-o', '--ops'):
            svc['ops'] = True
            i += 1
        elif tok == '--pe':
            svc['persistence_engine'] = value()
            i += 2
        elif tok in ('-r', '--real-server'):
            address, port = split_hostport(value())
            rs = {'address': address, 'port': port, 'forwarding': 'dr', 'weight': 1,
                  'u_threshold': 0, 'l_threshold': 0}
            i += 2
        elif tok in _OPT_FWD:
            if rs is None:
                raise IpvsError('forwarding method before -r in %r' % (line,))
            rs['forwarding'] = _OPT_FWD[tok]
            i += 1
        elif tok in ('-w', '--weight', '-x', '--u-threshold', '-y', '--l-threshold'):
            if rs is None:
                raise IpvsError('%s before -r in %r' % (tok, line))
            field = {'-w': 'weight', '--weight': 'weight', '-x': 'u_threshold', '--u-threshold': 'u_threshold',
                     '-y': 'l_threshold', '--l-threshold': 'l_threshold'}[tok]
            rs[field] = int(value())
            i += 2
        elif tok in ('--tun-type', '--tun-port'):
            if rs is not None:
                rs[tok[2:].replace('-', '_')] = value()
            i += 2
        elif tok in ('--tun-nocsum', '--tun-csum', '--tun-remcsum'):
            if rs is not None:
                rs['tun_csum'] = tok[6:]
            i += 1
        else:
            raise IpvsError('unknown option %r in ipvsadm -Sn line %r' % (tok, line))
    if svc['protocol'] is None and svc['fwmark'] is None:
        raise IpvsError('no service address in %r' % (line,))
    if cmd == '-a' and rs is None:
        raise IpvsError('real server line without -r: %r' % (line,))
    svc['scheduler_flags'] = flags
    return cmd, svc, rs


def _finish_service(svc):
    svc['scheduler_flags'] = canonical_flags(svc['scheduler'], svc['scheduler_flags'])
    if svc['persistence_timeout']:
        svc['persistence_netmask'] = canonical_netmask(svc['persistence_netmask'] or full_netmask(svc['family']),
                                                       svc['family'])
    else:
        svc['persistence_netmask'] = None
    return svc


def parse_save(text):
    """Parse ``ipvsadm -Sn`` (save format) into a sorted list of canonical services."""
    services = {}
    order = []
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        cmd, svc, rs = _parse_save_line(line)
        key = service_key(svc)
        if cmd == '-A':
            if key in services:
                raise IpvsError('service %s listed twice' % service_label(svc))
            services[key] = _finish_service(svc)
            order.append(key)
        else:
            if key not in services:
                raise IpvsError('real server line before its service: %r' % (line,))
            services[key]['real_servers'].append(rs)
    return sort_services([services[k] for k in order])


# --------------------------------------------------------------------------------------------------
# parsing ipvsadm -Ln [--exact] [--stats|--rate|--thresholds|--persistent-conn|--tun-info]

def _number(text):
    return int(text) if re.match(r'^\d+$', text) else text


def _parse_sched_text(words):
    """'mh (mh-fallback,mh-port) persistent 120 mask 64 ops' -> dict."""
    out = {'scheduler': None, 'scheduler_flags': [], 'persistence_timeout': 0, 'persistence_netmask': None,
           'ops': False}
    i = 0
    if words:
        out['scheduler'] = words[0]
        i = 1
    while i < len(words):
        w = words[i]
        if w.startswith('(') and w.endswith(')'):
            out['scheduler_flags'] = [f for f in w[1:-1].split(',') if f]
        elif w == 'persistent' and i + 1 < len(words):
            out['persistence_timeout'] = int(words[i + 1])
            i += 1
        elif w == 'mask' and i + 1 < len(words):
            out['persistence_netmask'] = words[i + 1]
            i += 1
        elif w == 'ops':
            out['ops'] = True
        elif w == 'pe' and i + 1 < len(words):
            out['persistence_engine'] = words[i + 1]
            i += 1
        i += 1
    return out


def parse_list(text):
    """Parse any ``ipvsadm -Ln --exact`` listing.

    Returns ``{'version': '1.2.1', 'table_size': 4096, 'services': [...]}``; each service carries its
    identity (protocol/vip/port or fwmark/family), the scheduler text when the listing shows it, and a
    ``values`` dict with the listing's numeric columns (e.g. conns, inpkts ... for ``--stats``);
    each real server is ``{'address', 'port', 'values': {...}}`` (e.g. forwarding, weight, active_conns,
    inactive_conns). Unknown header words are kept lower-cased.
    """
    out = {'version': None, 'table_size': None, 'services': []}
    svc_cols = []
    rs_cols = []
    svc = None
    for raw in (text or '').splitlines():
        line = raw.rstrip()
        if not line.strip():
            continue
        m = re.match(r'^IP Virtual Server version (\S+) \(size=(\d+)\)', line)
        if m:
            out['version'], out['table_size'] = m.group(1), int(m.group(2))
            continue
        words = line.split()
        if words[0] == 'Prot':
            svc_cols = [_COLUMNS.get(w, w.lower()) for w in words[2:]]
            continue
        if words[0] == '->' and len(words) > 1 and words[1] == 'RemoteAddress:Port':
            rs_cols = [_COLUMNS.get(w, w.lower()) for w in words[2:]]
            if not rs_cols:
                # --stats/--rate/--thresholds/--persistent-conn: real servers share the first header line
                rs_cols = svc_cols
            continue
        if words[0] == '->':
            if svc is None:
                raise IpvsError('real server line before any service: %r' % (line,))
            address, port = split_hostport(words[1])
            values = {}
            for col, val in zip(rs_cols, words[2:]):
                if col == 'forwarding':
                    val = _LIST_FWD.get(val, val.lower())
                values[col] = _number(val)
            svc['real_servers'].append({'address': address, 'port': port, 'values': values})
            continue
        proto = words[0].lower()
        svc = {'protocol': None, 'vip': None, 'port': None, 'fwmark': None, 'family': 'ipv4',
               'values': {}, 'real_servers': []}
        if proto == 'fwm':
            svc['fwmark'] = int(words[1])
            rest = words[2:]
            if rest and rest[0] == 'IPv6':
                svc['family'] = 'ipv6'
                rest = rest[1:]
        elif proto in PROTOCOLS:
            svc['protocol'] = proto
            svc['vip'], svc['port'] = split_hostport(words[1])
            svc['family'] = family_of(svc['vip'])
            rest = words[2:]
        else:
            raise IpvsError('unexpected ipvsadm -L line %r' % (line,))
        numeric = [c for c in svc_cols if c in STATS_KEYS or c in RATE_KEYS]
        if numeric and len(rest) == len(svc_cols) and all(re.match(r'^\d+$', w) for w in rest):
            svc['values'] = dict((c, int(v)) for c, v in zip(svc_cols, rest))
        else:
            svc.update(_parse_sched_text(rest))
        out['services'].append(svc)
    return out


def kernel_orders(listing):
    """``{service_key: ['address:port', ...]}`` from a parsed ``ipvsadm -Ln --nosort`` listing.

    Without ``--nosort`` ipvsadm sorts the real servers; with it they come in the order of the kernel's
    destination list, which is the order the ``dh``, ``sh`` and ``mh`` schedulers walk to build their lookup
    tables (IPVS inserts a new destination at the head of that list: the last one added comes first).
    """
    return dict((service_key(s), [join_hostport(r['address'], r['port']) for r in s['real_servers']])
                for s in listing['services'])


_DAEMON_RE = re.compile(r'^(master|backup) sync daemon \((.*)\)\s*$')


def parse_daemons(text):
    """Parse ``ipvsadm -L --daemon`` into ``[{'state': 'master'|'backup', 'mcast_interface', 'syncid', ...}]``.

    ipvsadm 1.31 prints one line per running daemon, e.g.
    ``master sync daemon (mcast=eth1, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)``;
    no line when none runs.
    """
    out = []
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line:
            continue
        m = _DAEMON_RE.match(line)
        if not m:
            raise IpvsError('unexpected ipvsadm -L --daemon line %r' % (line,))
        daemon = {'state': m.group(1)}
        for item in m.group(2).split(','):
            key, sep, value = item.strip().partition('=')
            if not sep:
                raise IpvsError('unexpected item %r in ipvsadm -L --daemon line %r' % (item, line))
            key = {'mcast': 'mcast_interface', 'group': 'mcast_group', 'port': 'mcast_port',
                   'ttl': 'mcast_ttl', 'maxlen': 'sync_maxlen'}.get(key, key)
            daemon[key] = _number(value)
        out.append(daemon)
    return out


def merge_listing(services, listing, rs_fields=None, svc_field=None, rs_group=None):
    """Copy values of a parsed ``-Ln`` listing into canonical services (in place, matched by key).

    ``rs_fields``: real server columns copied as top-level keys of the real server (e.g. thresholds);
    ``rs_group``/``svc_field``: all numeric columns copied as a dict under that key (e.g. 'stats').
    """
    by_key = dict((service_key(s), s) for s in listing['services'])
    for svc in services:
        found = by_key.get(service_key(svc))
        if found is None:
            continue
        if svc_field:
            svc[svc_field] = dict(found['values'])
        rs_by_key = dict((real_server_key(r), r['values']) for r in found['real_servers'])
        for rs in svc['real_servers']:
            values = rs_by_key.get(real_server_key(rs))
            if values is None:
                continue
            for field in rs_fields or ():
                if field in values:
                    rs[field] = values[field]
            if rs_group:
                rs[rs_group] = dict((k, v) for k, v in values.items()
                                    if k in STATS_KEYS or k in RATE_KEYS)
    return services


def read_sysctls(names_values, prefix='net.ipv4.vs.'):
    """{'sloppy_tcp': '0\\n', ...} -> {'net.ipv4.vs.sloppy_tcp': '0', ...} (values stripped, sorted)."""
    return dict((prefix + name, value.strip()) for name, value in sorted(names_values.items()))


# --------------------------------------------------------------------------------------------------
# desired state

def normalize_service(spec):
    """Fill defaults of one entry of the ``ipvs`` module's ``services`` option and validate it.

    Returns ``(state, canonical_service)``.
    """
    spec = dict((k, v) for k, v in spec.items() if v is not None)
    state = spec.get('state', 'present')
    svc = _new_service()
    label = spec.get('name') or spec.get('vip') or spec.get('fwmark')
    if spec.get('fwmark') is not None:
        if spec.get('vip') is not None or spec.get('port') is not None:
            raise IpvsError('service %s: give either fwmark or vip/port, not both' % label)
        svc['fwmark'] = int(spec['fwmark'])
        svc['family'] = spec.get('family', 'ipv4')
        if svc['fwmark'] < 1:
            raise IpvsError('service %s: fwmark must be > 0' % label)
    else:
        if spec.get('vip') is None or spec.get('port') is None:
            raise IpvsError('service %s: vip and port are required (or fwmark)' % label)
        svc['vip'] = canonical_address(spec['vip'])
        svc['family'] = family_of(svc['vip'])
        svc['port'] = int(spec['port'])
        svc['protocol'] = spec.get('protocol', 'tcp')
        if svc['protocol'] not in PROTOCOLS:
            raise IpvsError('service %s: protocol must be one of %s' % (label, ', '.join(PROTOCOLS)))
        if not 0 <= svc['port'] <= 65535:
            raise IpvsError('service %s: port %s out of range' % (label, svc['port']))
        if spec.get('family') not in (None, svc['family']):
            raise IpvsError('service %s: family %s does not match vip %s' % (label, spec['family'], svc['vip']))
    svc['scheduler'] = spec.get('scheduler', 'mh')
    flags = spec.get('scheduler_flags')
    if flags is None:
        flags = list(DEFAULT_SCHEDULER_FLAGS.get(svc['scheduler'], ()))
    try:
        svc['scheduler_flags'] = canonical_flags(svc['scheduler'], flags)
    except IpvsError as e:
        raise IpvsError('service %s: %s' % (service_label(svc), e))
    svc['persistence_timeout'] = int(spec.get('persistence_timeout', 0))
    if svc['persistence_timeout'] < 0:
        raise IpvsError('service %s: persistence_timeout must be >= 0' % service_label(svc))
    if svc['persistence_timeout']:
        svc['persistence_netmask'] = canonical_netmask(spec.get('persistence_netmask', full_netmask(svc['family'])),
                                                       svc['family'])
    svc['ops'] = bool(spec.get('ops', False))
    seen = set()
    for rs_spec in spec.get('real_servers') or []:
        rs_spec = dict((k, v) for k, v in rs_spec.items() if v is not None)
        if rs_spec.get('address') is None:
            raise IpvsError('service %s: a real server has no address' % service_label(svc))
        rs = {'address': canonical_address(rs_spec['address']),
              'port': int(rs_spec.get('port', svc['port'] if svc['port'] is not None else 0)),
              'forwarding': rs_spec.get('forwarding', 'dr'),
              'weight': int(rs_spec.get('weight', 1)),
              'u_threshold': int(rs_spec.get('u_threshold', 0)),
              'l_threshold': int(rs_spec.get('l_threshold', 0))}
        where = 'service %s, real server %s' % (service_label(svc), join_hostport(rs['address'], rs['port']))
        if rs['forwarding'] not in FORWARDING:
            raise IpvsError('%s: forwarding must be one of %s' % (where, ', '.join(FORWARDING)))
        if not 0 <= rs['port'] <= 65535:
            raise IpvsError('%s: port out of range' % where)
        for field in ('weight', 'u_threshold', 'l_threshold'):
            if rs[field] < 0:
                raise IpvsError('%s: %s must be >= 0' % (where, field))
        if real_server_key(rs) in seen:
            raise IpvsError('%s: listed twice' % where)
        seen.add(real_server_key(rs))
        svc['real_servers'].append(rs)
    svc['real_servers'].sort(key=_rs_sort)
    return state, svc


def normalize_services(specs):
    """Normalise the ``services`` option -> list of (state, canonical service); duplicates are an error."""
    out = []
    seen = {}
    for spec in specs or []:
        state, svc = normalize_service(spec)
        key = service_key(svc)
        if key in seen:
            raise IpvsError('service %s is listed twice' % service_label(svc))
        seen[key] = True
        out.append((state, svc))
    return out


# --------------------------------------------------------------------------------------------------
# commands

def _service_args(svc):
    if svc.get('fwmark') is not None:
        args = ['-f', str(svc['fwmark'])]
        if svc['family'] == 'ipv6':
            args.append('-6')
        return args
    return [_PROTO_OPT[svc['protocol']], join_hostport(svc['vip'], svc['port'])]


def _service_attrs(svc):
    return (svc['scheduler'], list(svc['scheduler_flags']), svc['persistence_timeout'],
            svc['persistence_netmask'] if svc['persistence_timeout'] else None, bool(svc.get('ops')))


def _service_command(op, svc):
    args = [op] + _service_args(svc) + ['-s', svc['scheduler']]
    if svc['scheduler_flags']:
        args += ['-b', ','.join(svc['scheduler_flags'])]
    if svc['persistence_timeout']:
        args += ['-p', str(svc['persistence_timeout'])]
        if svc['persistence_netmask'] and svc['persistence_netmask'] != full_netmask(svc['family']):
            args += ['-M', svc['persistence_netmask']]
    if svc.get('ops'):
        args.append('-o')
    return args


def _rs_attrs(rs):
    return (rs['forwarding'], rs['weight'], rs.get('u_threshold', 0), rs.get('l_threshold', 0))


def _rs_command(op, svc, rs):
    args = [op] + _service_args(svc) + ['-r', join_hostport(rs['address'], rs['port'])]
    if op == '-d':
        return args
    args += [_FWD_OPT[rs['forwarding']], '-w', str(rs['weight'])]
    if rs.get('u_threshold') or rs.get('l_threshold'):
        args += ['-x', str(rs.get('u_threshold', 0)), '-y', str(rs.get('l_threshold', 0))]
    return args


def plan(current, desired, purge=False):
    """Minimal ipvsadm argv lists (without the ``ipvsadm`` word) turning ``current`` into ``desired``.

    ``current``: canonical services (``parse_save``), ``desired``: list of (state, service) from
    ``normalize_services``. Order: per desired service (in the given order) service add/edit/delete, then
    its real servers added, edited, deleted (each in address order); finally, with ``purge``, every current
    service that is not listed is deleted (in canonical order). A changed scheduler, scheduler flags or
    persistence is an edit (``-E``), which keeps the connection table and the real servers.
    """
    cur = dict((service_key(s), s) for s in current)
    commands = []
    listed = set()
    for state, want in desired:
        key = service_key(want)
        listed.add(key)
        have = cur.get(key)
        if state == 'absent':
            if have is not None:
                commands.append(['-D'] + _service_args(want))
            continue
        if have is None:
            commands.append(_service_command('-A', want))
            for rs in want['real_servers']:
                commands.append(_rs_command('-a', want, rs))
            continue
        if _service_attrs(have) != _service_attrs(want):
            commands.append(_service_command('-E', want))
        have_rs = dict((real_server_key(r), r) for r in have['real_servers'])
        want_rs = dict((real_server_key(r), r) for r in want['real_servers'])
        for rs in want['real_servers']:
            if real_server_key(rs) not in have_rs:
                commands.append(_rs_command('-a', want, rs))
        for rs in want['real_servers']:
            old = have_rs.get(real_server_key(rs))
            if old is not None and _rs_attrs(old) != _rs_attrs(rs):
                commands.append(_rs_command('-e', want, rs))
        for rs in sorted(have['real_servers'], key=_rs_sort):
            if real_server_key(rs) not in want_rs:
                commands.append(_rs_command('-d', want, rs))
    if purge:
        for svc in sort_services(current):
            if service_key(svc) not in listed:
                commands.append(['-D'] + _service_args(svc))
    return commands


def restore_input(commands):
    """``plan()``'s argv lists as the input of ``ipvsadm --restore``: one command per line (no argument of ours holds
    a space), newline-terminated."""
    return ''.join(' '.join(argv) + '\n' for argv in commands).encode('ascii')


def apply_plan(current, desired, purge=False):
    """The table expected after ``plan(current, desired, purge)`` has run (used for check mode)."""
    table = dict((service_key(s), s) for s in current)
    listed = set()
    for state, want in desired:
        key = service_key(want)
        listed.add(key)
        if state == 'absent':
            table.pop(key, None)
        else:
            table[key] = want
    if purge:
        table = dict((k, v) for k, v in table.items() if k in listed)
    return sort_services(table.values())


# --------------------------------------------------------------------------------------------------
# rendering (diff mode)

def render_save(services):
    """Canonical services -> ``ipvsadm -Sn``-like text (with -x/-y when set), one rule per line."""
    lines = []
    for svc in sort_services(services):
        lines.append(' '.join(_service_command('-A', svc)))
        for rs in svc['real_servers']:
            lines.append(' '.join(_rs_command('-a', svc, rs)))
    return ''.join(line + '\n' for line in lines)


def public_service(svc):
    """The canonical service as returned to users (drops parse-only details, keeps them stable)."""
    out = dict((k, svc.get(k)) for k in ('protocol', 'vip', 'port', 'fwmark', 'family', 'scheduler',
                                         'scheduler_flags', 'persistence_timeout', 'persistence_netmask', 'ops'))
    out['real_servers'] = [dict((k, rs.get(k)) for k in ('address', 'port', 'forwarding', 'weight',
                                                         'u_threshold', 'l_threshold'))
                           for rs in svc['real_servers']]
    return out
