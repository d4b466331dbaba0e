#!/usr/bin/env python
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a BGP password (TCP-MD5) change costs (issue 12): two bgpd of this host's FRR in two network namespaces
(a router and a director, the roles' timers: keepalive 1 s, hold 3 s, connect retry 5 s), one eBGP session with a
password. Per run:

* ``one_side``: the password changes on one end only (what a rollout in batches does: the directors are changed
  before the routers). Seconds until that session is down; it stays down until the other end has the password too
  (``up_after_match``: seconds from the second change until Established again).
* ``both_at_once``: both ends change within a few ms (an agreed moment, as playbooks/ospf-key-switch.yml does for
  OSPF). Seconds the session is not Established.

Every session down means the director's VIP routes are withdrawn on that router for that long. Writes JSON
(median, min, max of every figure over --runs runs); needs root.

  benchmarks/bgp_password.py [--runs 3] [--out benchmarks/results/<timestamp>]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import threading
import time

CONF = """frr defaults traditional
hostname {name}
service integrated-vtysh-config
router bgp {asn}
 bgp router-id {address}
 no bgp default ipv4-unicast
 no bgp ebgp-requires-policy
 neighbor {peer} remote-as {peer_asn}
 neighbor {peer} timers 1 3
 neighbor {peer} timers connect 5
 neighbor {peer} password {password}
 address-family ipv4 unicast
  neighbor {peer} activate
 exit-address-family
exit
"""


def sh(*argv, check=True):
    return subprocess.run(list(argv), check=check, capture_output=True, text=True)


class Bgpd:
    def __init__(self, netns, space, name, address, asn, peer, peer_asn):
        self.netns, self.space, self.name = netns, space, name
        self.address, self.asn, self.peer, self.peer_asn = address, asn, peer, peer_asn
        self.dirs = ['/etc/frr/' + space, '/var/run/frr/' + space]

    def start(self, password):
        for folder in self.dirs:
            os.makedirs(folder, exist_ok=True)
            shutil.chown(folder, 'frr', 'frr')
        conf = os.path.join(self.dirs[0], 'frr.conf')
        with open(conf, 'w', encoding='ascii') as handle:
            handle.write(CONF.format(name=self.name, asn=self.asn, address=self.address, peer=self.peer,
                                     peer_asn=self.peer_asn, password=password))
        for daemon in ('zebra', 'bgpd'):
            sh('ip', 'netns', 'exec', self.netns, '/usr/lib/frr/%s' % daemon, '-N', self.space, '-d', '-f', conf,
               '-i', os.path.join(self.dirs[1], '%s.pid' % daemon))

    def stop(self):
        for daemon in ('bgpd', 'zebra'):
            pidfile = os.path.join(self.dirs[1], '%s.pid' % daemon)
            if os.path.exists(pidfile):
                with open(pidfile, encoding='ascii') as handle:
                    sh('kill', handle.read().strip(), check=False)
        time.sleep(0.5)
        for folder in self.dirs:
            shutil.rmtree(folder, ignore_errors=True)

    def vtysh(self, *commands):
        argv = ['vtysh', '-N', self.space]
        for command in commands:
            argv += ['-c', command]
        return sh(*argv, check=False).stdout

    def established(self):
        data = json.loads(self.vtysh('show bgp neighbors %s json' % self.peer) or '{}')
        return data.get(self.peer, {}).get('bgpState') == 'Established'

    def set_password(self, password):
        self.vtysh('configure terminal', 'router bgp %s' % self.asn, 'neighbor %s password %s' % (self.peer, password))


def wait(predicate, timeout, interval=0.05):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(interval)
    return None


def one_run(index):
    tag = '%d%d' % (os.getpid() % 10000, index)
    names = ['bpr%s' % tag, 'bpd%s' % tag]
    for name in names:
        sh('ip', 'netns', 'add', name)
    sh('ip', 'link', 'add', 'bpr', 'netns', names[0], 'type', 'veth', 'peer', 'name', 'bpd', 'netns', names[1])
    for name, dev, address in ((names[0], 'bpr', '10.252.0.1'), (names[1], 'bpd', '10.252.0.11')):
        sh('ip', '-n', name, 'link', 'set', 'lo', 'up')
        sh('ip', '-n', name, 'addr', 'add', address + '/24', 'dev', dev)
        sh('ip', '-n', name, 'link', 'set', dev, 'up')
    router = Bgpd(names[0], 'bpr' + tag, 'router', '10.252.0.1', 65000, '10.252.0.11', 65001)
    director = Bgpd(names[1], 'bpd' + tag, 'director', '10.252.0.11', 65001, '10.252.0.1', 65000)
    result = {}
    try:
        router.start('Passw0rd-A')
        director.start('Passw0rd-A')
        if wait(router.established, 60) is None:
            raise RuntimeError('no session within 60 s')
        time.sleep(3)
        # one end first, the other 10 s later
        router.set_password('Passw0rd-B')
        down = wait(lambda: not router.established(), 30)
        result['one_side_down_after'] = None if down is None else round(down, 2)
        time.sleep(max(0.0, 10 - (down or 0)))
        director.set_password('Passw0rd-B')
        up = wait(router.established, 60)
        result['one_side_up_after_match'] = None if up is None else round(up, 2)
        time.sleep(3)
        # both ends at once
        start = time.monotonic()
        threads = [threading.Thread(target=side.set_password, args=('Passw0rd-C',)) for side in (router, director)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        went_down = wait(lambda: not router.established(), 5, interval=0.02)
        up = wait(router.established, 60)
        result['both_at_once_session_reset'] = went_down is not None
        # from the change until Established again (0 when the session never went down)
        result['both_at_once_not_established'] = (None if up is None else round(time.monotonic() - start, 2)
                                                  if went_down is not None else 0.0)
    finally:
        router.stop()
        director.stop()
        for name in names:
            sh('ip', 'netns', 'del', name, check=False)
    return result


def summary(values):
    if values and all(isinstance(v, bool) for v in values):
        return {'true': sum(values), 'n': len(values)}
    values = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not values:
        return None
    return {'median': round(statistics.median(values), 2), 'min': min(values), 'max': max(values), 'n': len(values)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--out', default=os.path.join('benchmarks', 'results', time.strftime('%Y%m%d-%H%M%S')))
    args = parser.parse_args()
    runs = [one_run(index) for index in range(args.runs)]
    report = {
        'what': 'eBGP session router<->director (FRR of this host, network namespaces, keepalive 1 s, hold 3 s, '
                'connect 5 s): seconds after a TCP-MD5 password change',
        'title': 'BGP password change',
        'labels': {'one_side_down_after': 'one end changed: session down after',
                   'one_side_up_after_match': 'other end matched: session up after',
                   'both_at_once_not_established': 'both ends at once: session not established for',
                   'both_at_once_session_reset': 'both ends at once: session reset'},
        'units': dict.fromkeys(('one_side_down_after', 'one_side_up_after_match', 'both_at_once_not_established'),
                               's'),
        'headline': ['one_side_down_after', 'both_at_once_not_established'],
        'frr': sh('vtysh', '--version', check=False).stdout.splitlines()[:1],
        'runs': runs,
        'summary': {key: summary([run.get(key) for run in runs]) for key in runs[0]} if runs else {},
    }
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, 'bgp-password.json')
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(report, handle, indent=1, sort_keys=True)
    print(json.dumps(report['summary'], indent=1, sort_keys=True))
    print('written: %s' % path)


if __name__ == '__main__':
    main()
