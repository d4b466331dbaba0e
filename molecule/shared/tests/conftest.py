# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared testinfra fixtures for the molecule scenarios (default = podman, uml = User-Mode Linux).

Hosts are reached with testinfra's ssh backend through the ssh_config the lab tool writes
(.lab/<name>/ssh_config: ProxyCommand into the lab's network namespace). The lab is chosen by
ECMPLAB_NAME / ECMPLAB_STATE_DIR (set by the scenario); the inventory is inventories/lab.
"""

import json
import os
import subprocess
import time

import pytest
import testinfra

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
NAME = os.environ.get('ECMPLAB_NAME', 'ecmplab')
STATE_DIR = os.environ.get('ECMPLAB_STATE_DIR') or os.path.join(ROOT, '.lab', NAME)
INVENTORY = os.environ.get('ECMPLAB_INVENTORY') or os.path.join(ROOT, 'inventories', 'lab')


class Lab:
    def __init__(self):
        with open(os.path.join(STATE_DIR, 'state.json'), encoding='utf-8') as fd:
            self.state = json.load(fd)
        self.backend = self.state['backend']
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'))
        out = subprocess.run([os.path.join(ROOT, '.venv', 'bin', 'ansible-inventory'), '-i', INVENTORY, '--list'],
                             env=env, check=True, capture_output=True, text=True).stdout
        data = json.loads(out)
        self.hostvars = data['_meta']['hostvars']
        self.groups = {g: sorted(b.get('hosts', [])) for g, b in data.items() if isinstance(b, dict) and g != '_meta'}
        anyhost = self.hostvars[sorted(self.hostvars)[0]]
        self.services = anyhost.get('lvs_services', [])
        self.protocol = anyhost.get('lvs_routing_protocol', 'ospf')
        self.bfd = bool(anyhost.get('lvs_bfd_enabled', True))
        self._hosts = {}

    def host(self, name):
        if name not in self._hosts:
            self._hosts[name] = testinfra.get_host('ssh://%s' % name,
                                                   ssh_config=os.path.join(STATE_DIR, 'ssh_config'))
        return self._hosts[name]

    def address(self, name):
        return self.hostvars[name].get('lvs_address') or self.hostvars[name]['ansible_host']

    def has_ipvs(self, name):
        return self.host(name).file('/proc/net/ip_vs').exists

    def require_ipvs(self, name):
        """Skip only where the kernel has no IPVS (podman on this host); UML guests must have it."""
        if self.has_ipvs(name):
            return
        if self.backend == 'uml':
            pytest.fail('%s: /proc/net/ip_vs is missing on a UML guest (IPVS not loaded by the role)' % name)
        pytest.skip('%s: the kernel has no IPVS (/proc/net/ip_vs absent, %s backend)' % (name, self.backend))


@pytest.fixture(scope='session')
def lab():
    return Lab()


def retry(func, timeout=60, interval=1.0):
    """Call func() until it stops raising AssertionError or timeout seconds pass (then re-raise)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return func()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(interval)
