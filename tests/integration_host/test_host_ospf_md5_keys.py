# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp.lvs.ospf_md5_keys against two real ospfd (FRR of this host) in two network namespaces joined by a veth:
an OSPF MD5 key rotation (accept the new key everywhere, switch the sending key everywhere at one moment, retire
the old key) never drops the adjacency, while a plain addition of a key on one side (what a configuration reload
does) drops it. FRR 8.4 accepts only packets signed with its own sending key, which is why the switch must
happen everywhere at once."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import threading
import time

import pytest

from conftest import Netns, sh

OLD, NEW = 'OldKey-1', 'NewKey-2'
HELLO, DEAD = 1, 4
FRR_CONF = """frr defaults traditional
hostname {name}
service integrated-vtysh-config
interface {dev}
 ip ospf hello-interval {hello}
 ip ospf dead-interval {dead}
 ip ospf authentication message-digest
 ip ospf message-digest-key 1 md5 {key}
exit
router ospf
 ospf router-id {address}
 network 10.251.0.0/24 area 0
exit
"""


class Frr(object):
    """zebra + ospfd of one namespace, in their own FRR path space (-N: /etc/frr/NAME, /var/run/frr/NAME)."""

    def __init__(self, ns, space, dev, address, tmp):
        self.ns, self.space, self.dev, self.address = ns, space, dev, address
        self.bin = os.path.join(tmp, 'bin-' + space)
        os.makedirs(self.bin)
        with open(os.path.join(self.bin, 'vtysh'), 'w') as handle:
            handle.write('#!/bin/sh\nexec /usr/bin/vtysh -N %s "$@"\n' % space)
        os.chmod(os.path.join(self.bin, 'vtysh'), 0o755)
        self.dirs = ['/etc/frr/' + space, '/var/run/frr/' + space]

    def start(self):
        for folder in self.dirs:
            os.makedirs(folder, exist_ok=True)
            shutil.chown(folder, 'frr', 'frr')
        conf = os.path.join(self.dirs[0], 'frr.conf')
        with open(conf, 'w') as handle:
            handle.write(FRR_CONF.format(name=self.space, dev=self.dev, hello=HELLO, dead=DEAD, key=OLD,
                                         address=self.address))
        for daemon in ('zebra', 'ospfd'):
            self.ns.exec_('/usr/lib/frr/%s' % daemon, '-N', self.space, '-d', '-f', conf,
                          '-i', os.path.join(self.dirs[1], '%s.pid' % daemon))

    def stop(self):
        for daemon in ('ospfd', 'zebra'):
            pidfile = os.path.join(self.dirs[1], '%s.pid' % daemon)
            if os.path.exists(pidfile):
                with open(pidfile) as handle:
                    sh('kill', handle.read().strip(), check=False)
        time.sleep(0.5)
        for folder in self.dirs:
            shutil.rmtree(folder, ignore_errors=True)

    def vtysh(self, *commands):
        argv = [os.path.join(self.bin, 'vtysh')]
        for command in commands:
            argv += ['-c', command]
        return sh(*argv, check=False).stdout

    def neighbour(self):
        """(state, up time in ms) of the one neighbour, (None, 0) without one."""
        data = json.loads(self.vtysh('show ip ospf neighbor json') or '{}')
        for entries in data.get('neighbors', {}).values():
            for entry in entries:
                return entry.get('nbrState', entry.get('state')), int(entry.get('upTimeInMsec', 0))
        return None, 0

    def keys(self, ns, keys, check=False, **options):
        args = dict(options, interface=self.dev, observe_timeout=3.0, keys=[{'id': i, 'key': k} for i, k in keys])
        return ns.module('ospf_md5_keys', args, path=self.bin, check=check)


def _wait_full(frr, timeout=60, stable_ms=(DEAD + 2) * 1000):
    """Wait until the adjacency is Full and has been for `stable_ms` (a fresh one may still be reset once by the
    DR election at the end of the wait timer); returns its up time in ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state, up = frr.neighbour()
        if state and state.startswith('Full') and up >= stable_ms:
            return up
        time.sleep(0.5)
    raise AssertionError('no Full adjacency within %d s: %s' % (timeout, frr.vtysh('show ip ospf neighbor')))


@pytest.fixture
def pair(tmp_path):
    if not os.path.exists('/usr/lib/frr/ospfd'):
        pytest.fail('FRR is not installed on this host (make deps installs it)')
    tag = '%d' % os.getpid()
    names = ['h2t-ospfa-%s' % tag, 'h2t-ospfb-%s' % tag]
    for name in names:
        sh('ip', 'netns', 'add', name)
    frrs = []
    try:
        nss = [Netns(name, str(tmp_path)) for name in names]
        sh('ip', 'link', 'add', 'h2tva', 'netns', names[0], 'type', 'veth', 'peer', 'name', 'h2tvb', 'netns', names[1])
        for ns, dev, address in ((nss[0], 'h2tva', '10.251.0.1'), (nss[1], 'h2tvb', '10.251.0.2')):
            ns.ip('link', 'set', 'lo', 'up')
            ns.ip('addr', 'add', address + '/24', 'dev', dev)
            ns.ip('link', 'set', dev, 'up')
            frrs.append(Frr(ns, 'h2tospf%s%s' % (dev[-1], tag), dev, address, str(tmp_path)))
        for frr in frrs:
            frr.start()
        yield list(zip(nss, frrs))
    finally:
        for frr in frrs:
            frr.stop()
        for name in names:
            sh('ip', 'netns', 'del', name, check=False)


def _still_up(frr, since_ms, started, what=''):
    """The adjacency is Full and has not been reset since it was `since_ms` old at `started`."""
    state, up = frr.neighbour()
    assert state and state.startswith('Full'), (what, state, frr.vtysh('show ip ospf neighbor'))
    elapsed_ms = (time.monotonic() - started) * 1000
    assert up >= since_ms + elapsed_ms - 1500, ('adjacency was reset', up, since_ms, elapsed_ms)


def _both(pair, keys, **kwargs):
    """The module on both sides at the same time (two threads): [(rc, result)] in pair order."""
    results = [None, None]

    def run(index):
        ns, frr = pair[index]
        results[index] = frr.keys(ns, keys, **kwargs)
    threads = [threading.Thread(target=run, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_key_rotation_never_drops_the_adjacency(pair):
    """Accept the new key on one side after the other, switch both sides at one agreed moment, retire the old key
    on one side after the other: the adjacency is never reset. A switch on one side alone is refused."""
    (ns_a, frr_a), (ns_b, frr_b) = pair
    up0 = _wait_full(frr_b)
    started = time.monotonic()

    def one_by_one(what, keys, sending):
        for ns, frr in pair:
            rc, res = frr.keys(ns, keys)
            assert rc == 0 and res['changed'], (what, res, ns.stdout)
            assert res['sending_key_id'] == sending, (what, res)
            assert res['key_ids'] == sorted(k for k, _v in keys), (what, res)
            assert OLD not in ns.stdout and NEW not in ns.stdout, 'a key in the output'
            # more than the dead interval: a neighbour that rejects our packets has dropped us by now
            time.sleep(DEAD + 1.5)
            label = '%s on %s' % (what, frr.space)
            _still_up(frr_b, up0, started, label)
            _still_up(frr_a, 0, time.monotonic(), label)

    one_by_one('accept the new key', [(2, NEW), (1, OLD)], 1)

    switch = [(1, OLD), (2, NEW)]
    rc, res = frr_a.keys(ns_a, switch)
    assert rc != 0 and 'at the same moment' in res['msg'] and res['sending_key_id'] == 1, res
    assert frr_a.keys(ns_a, [(2, NEW), (1, OLD)])[1]['changed'] is False, 'the refused switch changed ospfd'
    at = time.time() + 8
    for rc, res in _both(pair, switch, allow_switch=True, at=at):
        assert rc == 0 and res['changed'] and res['sending_key_id'] == 2, res
        assert at <= res['applied_at'] < at + 2, res
    time.sleep(DEAD + 1.5)
    _still_up(frr_b, up0, started, 'switch on both sides')

    one_by_one('retire the old key', [(2, NEW)], 2)
    rc, res = frr_a.keys(ns_a, [(2, NEW)])
    assert rc == 0 and not res['changed'] and res['sending_key_id'] == 2, res
    rc, res = frr_a.keys(ns_a, [(3, 'Third-3'), (2, NEW)], check=True)
    assert rc == 0 and res['changed'] and res['key_ids'] == [2, 3], res
    assert frr_a.keys(ns_a, [(2, NEW)])[1]['changed'] is False, 'check mode changed ospfd'
    _still_up(frr_b, up0, started, 'end')


def test_a_plain_key_addition_drops_the_adjacency(pair, tmp_path):
    """What a configuration reload does when a key is added on one side only: ospfd sends with the new key at once
    and the neighbour drops the adjacency after the dead interval (why the module exists)."""
    (ns_a, frr_a), (_ns_b, frr_b) = pair
    _wait_full(frr_b)
    conf = tmp_path / 'add.conf'
    conf.write_text('interface %s\n ip ospf message-digest-key 2 md5 %s\nexit\n' % (frr_a.dev, NEW))
    sh(os.path.join(frr_a.bin, 'vtysh'), '-f', str(conf))
    deadline = time.monotonic() + DEAD + 4
    while time.monotonic() < deadline and frr_b.neighbour()[0]:
        time.sleep(0.3)
    assert frr_b.neighbour()[0] is None, 'the adjacency survived a sending key the neighbour does not know'
    rc, res = frr_a.keys(ns_a, [(2, NEW), (1, OLD)], allow_switch=True)
    assert rc == 0 and res['changed'] and res['sending_key_id'] == 1, res
    _wait_full(frr_b)
