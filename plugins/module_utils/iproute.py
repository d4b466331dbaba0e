# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions turning ``ip -j route`` / ``ip -j nexthop`` output into route_info results.

Standard library only: this file runs on managed hosts as part of ecmp.lvs.route_info.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import json


class IprouteError(ValueError):
    """Raised on unusable input (bad prefix, unparsable ip output)."""


# iproute2 omits "protocol" for RTPROT_BOOT, "type" for unicast and "metric" when it is 0.
DEFAULT_PROTOCOL = 'boot'
DEFAULT_TYPE = 'unicast'


def _text(value):
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    return u'%s' % value


def normalize_prefix(prefix):
    """Return an ``ipaddress`` network for a prefix or plain address (address = /32 or /128).

    Host bits set (``10.0.0.1/24``) are an error: that is almost always a typo.
    """
    text = _text(prefix).strip()
    if not text:
        raise IprouteError('empty prefix')
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise IprouteError('invalid prefix %r: %s' % (text, exc))


def parse_json_output(text, what):
    """Parse ``ip -j`` output; an empty output means an empty list."""
    text = _text(text).strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise IprouteError('cannot parse JSON output of %s: %s' % (what, exc))
    if not isinstance(data, list):
        raise IprouteError('unexpected JSON output of %s: not a list' % what)
    return data


def interface_addresses(text, skip=('lo',)):
    """``ip -j address show`` -> the addresses (``local``) of every interface but those of ``skip``, in order: what
    a neighbour's route may name this host by (an IPv6 route: the link-local one)."""
    found = []
    for link in parse_json_output(text, 'ip -j address show'):
        if not isinstance(link, dict) or link.get('ifname') in skip:
            continue
        for info in link.get('addr_info') or []:
            if isinstance(info, dict) and info.get('local') and info['local'] not in found:
                found.append(info['local'])
    return found


def route_dst(entry, version):
    """Network of a route entry (``default`` and bare addresses included)."""
    dst = entry.get('dst')
    if dst is None or dst == 'default':
        return ipaddress.ip_network(u'0.0.0.0/0' if version == 4 else u'::/0')
    try:
        return ipaddress.ip_network(_text(dst), strict=False)
    except ValueError:
        return None


def _gateway_of(hop):
    if hop.get('gateway'):
        return hop['gateway']
    via = hop.get('via')
    if isinstance(via, dict) and via.get('host'):
        return via['host']
    return None


def _nexthop(hop, default_weight=1):
    return {
        'gateway': _gateway_of(hop),
        'dev': hop.get('dev'),
        'weight': int(hop.get('weight', default_weight)),
        'flags': sorted(hop.get('flags') or []),
    }


def _gateway_sort_key(hop):
    gateway = hop.get('gateway')
    if gateway is None:
        return (1, 0, 0, hop.get('dev') or '')
    try:
        addr = ipaddress.ip_address(_text(gateway).split('%')[0])
        return (0, addr.version, int(addr), hop.get('dev') or '')
    except ValueError:
        return (0, 9, 0, hop.get('dev') or '')


def sort_nexthops(hops):
    """Sort nexthops by gateway (numerically, IPv4 before IPv6), then device."""
    return sorted(hops, key=_gateway_sort_key)


def parse_nexthop_objects(data):
    """Index ``ip -j nexthop show`` output by id.

    Returns ``{id: {'id', 'group': bool, 'gateway', 'dev', 'blackhole', 'members': [{'id', 'weight'}],
    'type', 'resilient_args'}}``.
    """
    objects = {}
    for entry in data:
        if 'id' not in entry:
            continue
        nhid = int(entry['id'])
        obj = {
            'id': nhid,
            'group': 'group' in entry,
            'gateway': _gateway_of(entry),
            'dev': entry.get('dev'),
            'blackhole': bool(entry.get('blackhole', False)),
            'flags': sorted(entry.get('flags') or []),
            'members': [],
            'type': None,
            'resilient_args': {},
        }
        if obj['group']:
            obj['type'] = entry.get('type', 'mpath')
            obj['members'] = [{'id': int(m['id']), 'weight': int(m.get('weight', 1))}
                              for m in entry.get('group') or []]
            obj['resilient_args'] = dict(entry.get('resilient_args') or {})
        objects[nhid] = obj
    return objects


def resolve_group(objects, group_id):
    """Expand a nexthop group into ``{id, type, members: [{id, gateway, dev, weight}], buckets,
    idle_timer, unbalanced_timer}`` (the last three are None unless the group is resilient)."""
    obj = objects[group_id]
    members = []
    for member in obj['members']:
        leaf = objects.get(member['id'], {})
        members.append({
            'id': member['id'],
            'gateway': leaf.get('gateway'),
            'dev': leaf.get('dev'),
            'weight': member['weight'],
        })
    args = obj['resilient_args']
    return {
        'id': obj['id'],
        'type': obj['type'],
        'members': members,
        'buckets': args.get('buckets'),
        'idle_timer': args.get('idle_timer'),
        'unbalanced_timer': args.get('unbalanced_timer'),
    }


def nexthop_groups(objects):
    """All nexthop groups, resolved, sorted by id."""
    return [resolve_group(objects, nhid) for nhid in sorted(objects) if objects[nhid]['group']]


def absent_route(prefix):
    return {
        'present': False,
        'prefix': _text(prefix),
        'type': None,
        'protocol': None,
        'metric': None,
        'nexthops': [],
        'nexthop_count': 0,
        'nhid': None,
        'nexthop_group': None,
    }


def describe_route(entry, prefix, objects):
    """Turn one route entry of ``ip -j route show`` into the route_info shape."""
    nhid = entry.get('nhid')
    group = None
    if entry.get('nexthops'):
        hops = [_nexthop(h) for h in entry['nexthops']]
    elif _gateway_of(entry) or entry.get('dev'):
        hops = [_nexthop(entry)]
    else:
        hops = []
    if nhid is not None:
        nhid = int(nhid)
        obj = objects.get(nhid)
        if obj is not None and obj['group']:
            group = resolve_group(objects, nhid)
            if not hops:
                # net.ipv4.nexthop_compat_mode=0: the kernel does not expand the group in the dump
                hops = [{'gateway': m['gateway'], 'dev': m['dev'], 'weight': m['weight'], 'flags': []}
                        for m in group['members']]
        elif obj is not None and not hops and (obj['gateway'] or obj['dev']):
            hops = [{'gateway': obj['gateway'], 'dev': obj['dev'], 'weight': 1, 'flags': list(obj['flags'])}]
    hops = sort_nexthops(hops)
    return {
        'present': True,
        'prefix': _text(prefix),
        'type': entry.get('type', DEFAULT_TYPE),
        'protocol': _text(entry.get('protocol', DEFAULT_PROTOCOL)),
        'metric': int(entry.get('metric', 0)),
        'nexthops': hops,
        'nexthop_count': len(hops),
        'nhid': nhid,
        'nexthop_group': group,
    }


def find_routes(route_dumps, prefixes, nexthop_data=None):
    """Look up prefixes in route dumps.

    ``route_dumps``: ``{4: [entries of ip -j -4 route show], 6: [...]}``;
    ``prefixes``: list of strings as the user gave them (addresses or prefixes);
    ``nexthop_data``: parsed ``ip -j nexthop show`` (list) or None.
    Returns ``{user_prefix: route}``. When the table holds the same prefix several times (different
    metrics), the lowest metric (the one the kernel uses) wins.
    """
    objects = parse_nexthop_objects(nexthop_data or [])
    result = {}
    for raw in prefixes:
        net = normalize_prefix(raw)
        best = None
        for entry in route_dumps.get(net.version) or []:
            if route_dst(entry, net.version) != net:
                continue
            if best is None or int(entry.get('metric', 0)) < int(best.get('metric', 0)):
                best = entry
        key = _text(raw).strip()
        if best is None:
            result[key] = absent_route(net.with_prefixlen)
        else:
            result[key] = describe_route(best, net.with_prefixlen, objects)
    return result


NEXTHOP_UNSUPPORTED_HINTS = (
    'object "nexthop" is unknown',
    'operation not supported',
    'not supported',
)


def nexthop_unsupported(rc, stderr):
    """True when ``ip nexthop show`` failed because iproute2 or the kernel lack nexthop objects."""
    if rc == 0:
        return False
    text = _text(stderr).lower()
    return any(hint in text for hint in NEXTHOP_UNSUPPORTED_HINTS)
