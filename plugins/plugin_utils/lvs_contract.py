# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared inventory contract: every ``lvs_*`` variable that more than one role reads, with its type, default
and description - written once, here.

Generated from this file (``tools/lvs_contract.py --write``; ``tests/unit/test_lvs_contract.py`` fails on any
drift, values included):

- the ``lvs_*`` options of every role's ``meta/argument_specs.yml`` (between the markers);
- the ``lvs_*`` rows of every role's README "Role Variables" table.

Read from here: the defaults of ``ecmp.lvs.validate_inventory`` (``plugin_utils/lvs_validate.py``). Checked
against here: the ``lvs_x | default(VALUE, true)`` aliases in ``roles/*/vars/main.yml`` (Jinja cannot import
Python) and the defaults named in ``docs/architecture.md``.

A description is a list of sentences in ansible-doc markup (``I()``, ``C()``); ``{role}`` is replaced by the role's
name. A description may be a dict ``{role: [...]}`` when the variable means something different to each role.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

ROUTING_ROLES = ('router', 'director')
ALL_ROLES = ('router', 'director', 'realserver')
# Marks a default computed by the role (not a constant).
COMPUTED = object()

_ADDRESS_DEFAULT = ('Default, computed in C(vars/main.yml), is the IPv4 address of the default route '
                    '(C(ansible_default_ipv4.address)).')
_SECRET_CHARS = 'printable ASCII characters without whitespace, quotes, C(#) or C(!)'

# name: dict(type, default, description, roles[, elements, choices, no_log, options])
CONTRACT = {
    'lvs_services': dict(
        type='list', elements='dict', default=[], roles=ALL_ROLES,
        description={
            'router': ['The load-balanced services; their VIPs make the default of I(router_vip_prefixes).'],
            'director': ['The load-balanced services (contract in C(docs/architecture.md)), normalised by the '
                         'C(ecmp.lvs.lvs_services) filter with C(hostvars), which resolves C(real_servers[].host) '
                         "to the host's I(lvs_address)."],
            'realserver': ['The load-balanced services (contract in C(docs/architecture.md)). Only their C(vip) '
                           '(or C(vips)) is read here, through the C(ecmp.lvs.lvs_vips) filter, to compute the default of '
                           'I(realserver_vips).'],
        }),
    'lvs_router_group': dict(
        type='str', default='routers', roles=('director',),
        description=['The inventory group of the routers (of this load-balancer cluster): the BGP neighbors of '
                     'this director and the routers whose routes the rollout gate waits for.']),
    'lvs_director_group': dict(
        type='str', default='directors', roles=ROUTING_ROLES,
        description={
            'router': ['The inventory group of the directors (of this load-balancer cluster): the BGP neighbors '
                       'and the nexthops of this router, and the directors whose drain it honours.'],
            'director': ['The inventory group of the directors (of this load-balancer cluster), e.g. the '
                         'directors a drain counts.'],
        }),
    'lvs_realserver_group': dict(
        type='str', default='realservers', roles=(),
        description=['The inventory group of the real servers (of this load-balancer cluster): '
                     'C(real_servers[].host) must be in it.']),
    'lvs_address': dict(
        type='str', default=COMPUTED, roles=ALL_ROLES,
        description={
            'router': ["This router's address on the fabric towards the directors (router-id, fabric interface "
                       'and OSPF network). Published as a host fact.', _ADDRESS_DEFAULT],
            'director': ["This director's address on the load-balancing fabric (OSPF/BGP router-id, fabric "
                         'interface and OSPF network). Published as a host fact for the routers.',
                         _ADDRESS_DEFAULT],
            'realserver': ["This host's address on the load-balancing fabric. Its interface is the fabric "
                           'interface.',
                           'The role publishes it as a host fact so that the directors resolve '
                           'C(real_servers[].host) to it even when the inventory relies on this default.',
                           _ADDRESS_DEFAULT],
        }),
    'lvs_address6': dict(
        type='str', default=COMPUTED, roles=('realserver',),
        description=["This host's IPv6 address on the load-balancing fabric: what C(real_servers[].host) of an IPv6 "
                     'service resolves to (else I(lvs_address) or C(ansible_host) when they are IPv6).',
                     'The role publishes it as a host fact, as I(lvs_address).',
                     'Default, computed in C(tasks/main.yml), is the IPv6 address of the default IPv6 route '
                     '(C(ansible_default_ipv6.address)), none without one.']),
    'lvs_routing_protocol': dict(
        type='str', choices=['ospf', 'bgp'], default='ospf', roles=ROUTING_ROLES,
        description=['How the directors announce the VIPs to the routers; the same on every router and '
                     'director.']),
    'lvs_bfd_enabled': dict(
        type='bool', default=True, roles=ROUTING_ROLES,
        description=['BFD on the OSPF interface / the BGP sessions (profile I({role}_bfd_profile)).']),
    'lvs_ospf_area': dict(
        type='str', default='0.0.0.0', roles=ROUTING_ROLES,
        description=['OSPF area of the fabric network (and of the VIPs on the directors).']),
    'lvs_ospf_hello_interval': dict(
        type='int', default=1, roles=ROUTING_ROLES,
        description=['OSPF hello interval in seconds; the same on every router and director.']),
    'lvs_ospf_dead_interval': dict(
        type='int', default=4, roles=ROUTING_ROLES,
        description=['OSPF dead interval in seconds, greater than I(lvs_ospf_hello_interval); the same on every '
                     'router and director.']),
    'lvs_ospf_auth_key': dict(
        type='str', default=None, no_log=True, roles=ROUTING_ROLES,
        description=['OSPF MD5 authentication key of the fabric interface, the same on every router and '
                     'director; null disables authentication. frr.conf diffs are hidden (no_log) when it is set.',
                     'At most 16 %s (checked by C(ecmp.lvs.validate_inventory), never printed).' % _SECRET_CHARS]),
    'lvs_ospf_auth_key_id': dict(
        type='int', default=1, roles=ROUTING_ROLES,
        description=['Key id of I(lvs_ospf_auth_key) (1..255).']),
    'lvs_ospf_auth_accept_keys': dict(
        type='list', elements='dict', default=[], roles=ROUTING_ROLES,
        description=['Further OSPF MD5 keys (C({id, key}), ids 1..255, not the id of I(lvs_ospf_auth_key)) accepted '
                     'on the fabric interface, never sent with (for a key rotation, '
                     'README of the collection, "Rotate the OSPF key"). The same on every router and director.'],
        options={
            'id': dict(description='Key id (1..255), not the id of I(lvs_ospf_auth_key).', type='int',
                       required=True),
            'key': dict(description='The key, as I(lvs_ospf_auth_key).', type='str', required=True, no_log=True),
        }),
    'lvs_bgp_router_asn': dict(
        type='int', default=65000, roles=ROUTING_ROLES,
        description=['AS number of the routers (the BGP neighbors of the directors).']),
    'lvs_bgp_director_asn': dict(
        type='int', default=65001, roles=ROUTING_ROLES,
        description=['AS number of the directors (all directors share it).']),
    'lvs_bgp_password': dict(
        type='str', default=None, no_log=True, roles=ROUTING_ROLES,
        description=['TCP-MD5 password of every BGP session, the same on every router and director; null for '
                     'none. frr.conf diffs are hidden (no_log) when it is set.',
                     'At most 80 %s (checked by C(ecmp.lvs.validate_inventory), never printed).' % _SECRET_CHARS]),
}

# The order of the options in the argument specs and README tables.
ORDER = tuple(CONTRACT)


def defaults():
    """{name: default} of every variable with a constant default."""
    return dict((name, entry['default']) for name, entry in CONTRACT.items() if entry['default'] is not COMPUTED)


def for_role(role):
    """The names of the contract that `role` reads, in contract order."""
    return tuple(name for name in ORDER if role in CONTRACT[name]['roles'])


def description(name, role):
    """The description (list of sentences, ansible-doc markup) of `name` for `role`."""
    text = CONTRACT[name]['description']
    if isinstance(text, dict):
        text = text[role]
    return [line.replace('{role}', role) for line in text]


def spec(name, role):
    """The argument-spec option of `name` for `role` (a dict in spec key order)."""
    entry = CONTRACT[name]
    option = dict(description=description(name, role), type=entry['type'])
    for key in ('elements', 'choices'):
        if key in entry:
            option[key] = entry[key]
    if entry['default'] is not COMPUTED:
        option['default'] = entry['default']
    if entry.get('no_log'):
        option['no_log'] = True
    if 'options' in entry:
        option['options'] = entry['options']
    return option
