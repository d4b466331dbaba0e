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


def ospf_interface(text, name):
    """``show ip ospf interface NAME json`` -> {'enabled', 'state', 'area'} of NAME, or None when FRR does not know
    the interface (``{"noSuchIface": true}``) or OSPF does not run on it."""
    data = _load(text, 'show ip ospf interface %s json' % name, dict)
    entry = (data.get('interfaces') or {}).get(name)
    if not isinstance(entry, dict):
        return None
    return {'enabled': bool(entry.get('ospfEnabled')), 'state': str(entry.get('state', '')),
            'area': entry.get('area')}


# protocol -> (vtysh command, reader)
SESSION_COMMANDS = {
    'ospf': ('show ip ospf neighbor json', ospf_neighbors),
    'bgp': ('show bgp ipv4 unicast summary json', bgp_peers),
    'bfd': ('show bfd peers json', bfd_peers),
}
WANT_STATE = {'ospf': 'Full', 'bgp': 'Established', 'bfd': 'up'}


def session_differences(protocol, sessions, peers, min_up=0):
    """What keeps `sessions` (a reader's result) from having every address of `peers` up and at least `min_up`
    sessions up: a list of sentences, empty when converged."""
    want = WANT_STATE[protocol]
    problems = []
    for address in peers:
        entry = sessions.get(address)
        if entry is None:
            problems.append('%s: no session with %s (want %s)' % (protocol, address, want))
        elif not entry['up']:
            problems.append('%s: %s is %s (want %s)' % (protocol, address, entry['state'] or '?', want))
    up = sorted(address for address, entry in sessions.items() if entry['up'])
    if len(up) < min_up:
        problems.append('%s: %d session(s) %s (%s), want at least %d' % (protocol, len(up), want,
                                                                         ', '.join(up) or 'none', min_up))
    return problems


def json_subset_differences(expected, actual, path=''):
    """Where `actual` does not contain `expected` (FRR topotests' json_cmp, simplified): dicts compared by the
    keys of `expected`, lists element by element in order, anything else by equality. A list of sentences."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return ['%s: want an object, got %r' % (path or '.', actual)]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append('%s.%s: missing' % (path, key))
            else:
                problems.extend(json_subset_differences(value, actual[key], '%s.%s' % (path, key)))
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return ['%s: want a list, got %r' % (path or '.', actual)]
        problems = []
        if len(actual) < len(expected):
            problems.append('%s: %d element(s), want at least %d' % (path or '.', len(actual), len(expected)))
        for index, (want, got) in enumerate(zip(expected, actual)):
            problems.extend(json_subset_differences(want, got, '%s[%d]' % (path, index)))
        return problems
    if expected != actual:
        return ['%s: %r, want %r' % (path or '.', actual, expected)]
    return []
