# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Linux answers for an IPv6 address it holds on `lo` - the VIP of a real server - when a neighbour on the
fabric asks for it (a neighbour solicitation, lab/ecmplab_lib/ns_probe.py): nothing. IPv4 needs arp_ignore /
arp_announce for the same (the kernel answers ARP for any local address on any interface by default); IPv6
neighbour discovery answers only for addresses of the interface the solicitation arrived on, so the realserver role
sets no IPv6 sysctl. Proven here on this machine's kernel between two network namespaces, and in the lab from other
hosts (molecule/shared/tests/test_dual.py)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import time

import pytest

from conftest import Netns, ROOT, sh, _counter

PROBE = os.path.join(ROOT, 'lab', 'ecmplab_lib', 'ns_probe.py')
VIP6, RS6, ROUTER6 = '2001:db8:100::10', '2001:db8:99::21', '2001:db8:99::1'


@pytest.fixture
def fabric(netns, tmp_path):
    """netns (the real server: eth1 on the fabric) and a neighbour on the same link (fab1)."""
    name = 'h2t-%d-%d' % (os.getpid(), next(_counter))  # pylint: disable=stop-iteration-return
    sh('ip', 'netns', 'add', name)
    try:
        neighbour = Netns(name, str(tmp_path))
        neighbour.ip('link', 'set', 'lo', 'up')
        sh('ip', 'link', 'add', 'fab1', 'netns', neighbour.name, 'type', 'veth', 'peer', 'name', 'eth1',
           'netns', netns.name)
        for ns, dev, address in ((netns, 'eth1', RS6), (neighbour, 'fab1', ROUTER6)):
            ns.ip('address', 'add', address + '/64', 'dev', dev, 'nodad')
            ns.ip('link', 'set', dev, 'up')
        yield netns, neighbour
    finally:
        sh('ip', 'netns', 'del', name, check=False)


def ask(neighbour, target):
    """The link-layer addresses that answered a neighbour solicitation for target on fab1."""
    res = neighbour.exec_('python3', PROBE, 'fab1', target, '1', check=False)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    return [answer['lladdr'] for answer in json.loads(out)['answers']]


def test_an_ipv6_address_on_lo_is_not_answered_on_the_fabric(fabric):
    realserver, neighbour = fabric
    mac = realserver.exec_('cat', '/sys/class/net/eth1/address').stdout.strip()
    realserver.ip('address', 'add', VIP6 + '/128', 'dev', 'lo')
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the link comes up (carrier, the multicast route) first
        states = [json.loads(ns.ip('-j', 'link', 'show', dev).stdout)[0]['operstate']
                  for ns, dev in ((realserver, 'eth1'), (neighbour, 'fab1'))]
        if states == ['UP', 'UP']:
            break
        time.sleep(0.1)
    # the probe sees answers: the real server answers for its fabric address ...
    assert ask(neighbour, RS6) == [mac]
    # ... not for the VIP on lo, with the kernel's defaults and with forwarding on (a host that routes)
    assert ask(neighbour, VIP6) == []
    realserver.exec_('sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1')
    assert ask(neighbour, VIP6) == []
    # and it would answer for the same address on the fabric interface (what a VIP there would do)
    realserver.ip('address', 'del', VIP6 + '/128', 'dev', 'lo')
    realserver.ip('address', 'add', VIP6 + '/128', 'dev', 'eth1', 'nodad')
    assert ask(neighbour, VIP6) == [mac]
