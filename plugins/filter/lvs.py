# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller-side filters of ecmp.lvs (documentation: one ``<filter>.yml`` per filter next to this file).

Thin wrappers: the model is in ``plugin_utils/lvs_net.py`` (netaddr) and ``module_utils/lvs_model.py``
(standard library); their ``LvsModelError`` becomes ``AnsibleFilterError``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import functools

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.ecmp.lvs.plugins.module_utils import lvs_model
from ansible_collections.ecmp.lvs.plugins.module_utils import lvs_status as lvs_status_utils
from ansible_collections.ecmp.lvs.plugins.plugin_utils import lvs_net


def _filter(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except lvs_model.LvsModelError as exc:
            raise AnsibleFilterError(to_native(exc))
    return wrapper


@_filter
def host_prefix(addr):
    return lvs_net.host_prefix(addr)


@_filter
def network_of(addr_with_prefix):
    return lvs_net.network_of(addr_with_prefix)


@_filter
def interface_for_address(ansible_facts, address):
    return lvs_net.interface_for_address(ansible_facts, address)


@_filter
def lvs_services(services, hostvars=None):
    return lvs_net.lvs_services(services, hostvars)


@_filter
def lvs_vips(services):
    return lvs_net.lvs_vips(services)


@_filter
def vips_not_routed_via(routes, address):
    return lvs_net.vips_not_routed_via(routes, address)


@_filter
def routers_routing_via(results, address):
    return lvs_net.routers_routing_via(results, address)


@_filter
def health_settle_seconds(services):
    return lvs_model.health_settle_seconds(services)


@_filter
def keepalived_virtual_servers(services):
    return lvs_model.keepalived_virtual_servers(services)


@_filter
def announce_gates(virtual_servers, vips, gated=True):
    return lvs_model.announce_gates(virtual_servers, vips, gated)


@_filter
def ipvs_services(services):
    return lvs_model.ipvs_services(services)


@_filter
def ipvs_order_drift(kernel_services, services):
    return lvs_model.ipvs_order_drift(kernel_services, services)


@_filter
def interface_sysctls(interfaces, settings, family='ipv4'):
    return lvs_model.interface_sysctls(interfaces, settings, family)


@_filter
def ipvs_missing(kernel_services, services):
    return lvs_model.ipvs_missing(kernel_services, services)


@_filter
def fwmark_rules(services):
    return lvs_model.fwmark_rules(services)


@_filter
def drain_check(states, leaving, max_intent_age=lvs_model.DRAIN_INTENT_MAX_AGE):
    return lvs_model.drain_check(states, leaving, max_intent_age)


@_filter
def drain_states(results):
    return lvs_model.drain_states(results)


@_filter
def drain_refusal(check, leaving):
    return lvs_model.drain_refusal(check, leaving)


@_filter
def drain_report(result, host, drain=True, check_mode=False):
    return lvs_model.drain_report(result, host, drain, check_mode)


@_filter
def bgp_neighbors(hostvars, groups, group_name):
    return lvs_net.bgp_neighbors(hostvars, groups, group_name)


@_filter
def ospf_networks(addresses_with_prefix):
    return lvs_net.ospf_networks(addresses_with_prefix)


def lvs_status(directors, routers, services):
    try:
        return lvs_status_utils.aggregate(directors, routers, services)
    except (lvs_status_utils.StatusError, KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError('lvs_status: %s: %s' % (type(exc).__name__, to_native(exc)))


def lvs_status_combine(reports):
    try:
        return lvs_status_utils.combine([(item['cluster'], item['report']) for item in reports])
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError('lvs_status_combine: not a list of {cluster, report} (%s: %s)'
                                 % (type(exc).__name__, to_native(exc)))


def lvs_status_table(report):
    try:
        return lvs_status_utils.table(report)
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError('lvs_status_table: not a report of ecmp.lvs.lvs_status (%s: %s)'
                                 % (type(exc).__name__, to_native(exc)))


class FilterModule(object):
    """ecmp.lvs filters."""

    def filters(self):
        return {
            'host_prefix': host_prefix,
            'network_of': network_of,
            'interface_for_address': interface_for_address,
            'lvs_services': lvs_services,
            'lvs_vips': lvs_vips,
            'keepalived_virtual_servers': keepalived_virtual_servers,
            'announce_gates': announce_gates,
            'health_settle_seconds': health_settle_seconds,
            'vips_not_routed_via': vips_not_routed_via,
            'routers_routing_via': routers_routing_via,
            'ipvs_services': ipvs_services,
            'ipvs_order_drift': ipvs_order_drift,
            'ipvs_missing': ipvs_missing,
            'fwmark_rules': fwmark_rules,
            'interface_sysctls': interface_sysctls,
            'drain_check': drain_check,
            'drain_states': drain_states,
            'drain_refusal': drain_refusal,
            'drain_report': drain_report,
            'bgp_neighbors': bgp_neighbors,
            'ospf_networks': ospf_networks,
            'lvs_status': lvs_status,
            'lvs_status_table': lvs_status_table,
            'lvs_status_combine': lvs_status_combine,
        }
