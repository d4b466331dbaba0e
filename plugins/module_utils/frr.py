# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readers of FRR's ``vtysh -c '... json'`` output (standard library only).

Used by the status aggregator (``lvs_status``: ``playbooks/status.yml`` and the metrics writer
``ecmp-lvs-metrics``). Real output of FRR 8.4.4 is in ``tests/fixtures/frr`` (``tools/capture/frr-json.sh``).
Each reader returns ``{neighbour address: {'state': str, 'up': bool}}``; empty output (a daemon that does not
run answers nothing) is no neighbour.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json


class FrrError(ValueError):
    """Output that is not the JSON FRR prints."""


def _load(text, what, kind):
    text = (text or '').strip()
    if not text:
        return kind()
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise FrrError('%s: not JSON (%s): %r' % (what, exc, text[:200]))
    if not isinstance(data, kind):
        raise FrrError('%s: expected a JSON %s, got %r' % (what, kind.__name__, text[:200]))
    return data


def ospf_neighbors(text):
    """``show ip ospf neighbor json`` -> {interface address of the neighbour: {'router_id', 'state', 'up'}}.

    FRR 8.4 prints ``{"neighbors": {ROUTER-ID: [{"state": "Full/DROther", "nbrState": ..., "ifaceAddress":
    ADDRESS, ...}]}}`` (``nbrState``/``ifaceAddress`` are the newer names, ``state``/``address`` the older);
    ``up`` is a Full adjacency."""
    data = _load(text, 'show ip ospf neighbor json', dict)
    out = {}
    for router_id, entries in sorted((data.get('neighbors') or {}).items()):
        for entry in entries if isinstance(entries, list) else [entries]:
            if not isinstance(entry, dict):
                continue
            address = entry.get('ifaceAddress') or entry.get('address') or router_id
            state = str(entry.get('nbrState') or entry.get('state') or '')
            out[address] = {'router_id': router_id, 'state': state, 'up': state.startswith('Full')}
    return out


def bgp_peers(text):
    """``show bgp ipv4 unicast summary json`` -> {peer address: {'state', 'up'}} (``up``: Established).

    The peers are under ``peers`` (``show bgp ipv4 unicast summary json``) or ``ipv4Unicast.peers``
    (``show bgp summary json``)."""
    data = _load(text, 'show bgp ipv4 unicast summary json', dict)
    peers = data.get('peers')
    if peers is None:
        peers = (data.get('ipv4Unicast') or {}).get('peers') or {}
    return dict((address, {'state': str(peer.get('state', '')), 'up': peer.get('state') == 'Established'})
                for address, peer in sorted(peers.items()) if isinstance(peer, dict))


def bfd_peers(text):
    """``show bfd peers json`` -> {peer address: {'state', 'up'}} (``status`` up / down / init)."""
    data = _load(text, 'show bfd peers json', list)
    return dict((peer['peer'], {'state': str(peer.get('status', '')), 'up': peer.get('status') == 'up'})
                for peer in data if isinstance(peer, dict) and peer.get('peer'))
