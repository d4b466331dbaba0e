# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Podman backend: one systemd container per host (runc, --network none). Before systemd starts, veth
pairs are created in the lab namespace with their guest end moved straight into the container's network
namespace as eth0 (management), eth1, ... ; lab-net.service in the guest then sets the addresses.
No IPVS here (the host kernel has none): everything else of the roles runs.
"""

import json
import os
import resource

from . import image, netns
from .util import LabError, run

CAPS = 'SYS_ADMIN,NET_ADMIN,NET_RAW,NET_BROADCAST'


def _limit(kind, soft, hard):
    """Explicit ulimits (podman's defaults fail with setrlimit EPERM here), within this process' hard limit."""
    cur = resource.getrlimit(kind)[1]
    if cur != resource.RLIM_INFINITY:
        hard = min(hard, cur)
    return min(soft, hard), hard


class PodmanBackend:
    name = 'podman'

    def __init__(self, lab, state):
        self.lab = lab
        self.state = state

    def cname(self, host):
        return '%s-%s' % (self.lab.name, host.name)

    def lab_device(self, host, ifnum):
        return 'v%d.%d' % (host.index, ifnum)

    def inspect(self, host):
        """The container of `host`, None if there is none; LabError if a container of that name exists that
        this lab did not create (no label ecmplab=<lab>): it is never started, frozen, stopped or removed."""
        res = run(['podman', 'inspect', '--type', 'container', self.cname(host)], check=False)
        if res.returncode != 0:
            return None
        info = json.loads(res.stdout)[0]
        label = ((info.get('Config') or {}).get('Labels') or {}).get('ecmplab')
        if label != self.lab.name:
            raise LabError('container %s exists but is not this lab\'s (label ecmplab=%s, not %s): left alone'
                           % (self.cname(host), label, self.lab.name))
        return info

    def host_state(self, host):
        info = self.inspect(host)
        if info is None:
            return 'absent'
        status = info['State']['Status']
        return {'running': 'running', 'paused': 'halted (paused)'}.get(status, 'stopped (%s)' % status)

    def running(self, host):
        info = self.inspect(host)
        return bool(info) and info['State']['Status'] == 'running'

    def prepare(self, images):
        """`images`: {release: image paths} (image.ensure_all): each container runs its host's lab_release."""
        self.state.data['podman_images'] = {release: p['podman'] for release, p in images.items()}

    def image_of(self, host):
        return image.of_host(self.state.data.get('podman_images'), host, self.state.data.get('podman_image'))

    def _cmdline_file(self, host):
        path = os.path.join(self.state.dir, 'cmdline', host.name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='ascii') as fd:
            fd.write(' '.join(host.cmdline_words(self.lab.mgmt_net.prefixlen, self.state.pubkey())) + '\n')
        return path

    def create(self, host):
        cmd = ['podman', 'create', '--name', self.cname(host), '--hostname', host.name,
               '--label', 'ecmplab=%s' % self.lab.name, '--network', 'none', '--runtime', 'runc',
               '--systemd', 'always', '--ulimit', 'nofile=%d:%d' % _limit(resource.RLIMIT_NOFILE, 1024, 65536),
               '--ulimit', 'nproc=%d:%d' % _limit(resource.RLIMIT_NPROC, 4096, 4096),
               '--cap-add', CAPS,
               '-v', '%s:/etc/lab-cmdline:ro' % self._cmdline_file(host),
               self.image_of(host), '/sbin/init']
        run(cmd)

    def _plumb(self, host, pid):
        name = self.lab.name
        for ifnum, segment in enumerate([None] + [s for s, _iface in host.links]):
            dev = self.lab_device(host, ifnum)
            netns.ip(name, 'link', 'del', dev, check=False)
            netns.ip(name, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', 'eth%d' % ifnum,
                     'address', host.mac(ifnum), 'netns', str(pid))
            netns.ip(name, 'link', 'set', dev, 'master', self.lab.bridge(segment), 'up')

    def start(self, host):
        info = self.inspect(host)
        if info is None:
            self.create(host)
            info = self.inspect(host)
        status = info['State']['Status']
        if status == 'running':
            return
        if status == 'paused':
            self.link_all(host, 'up')
            run(['podman', 'unpause', self.cname(host)])
            return
        # init = the container exists with its namespaces, systemd not started yet: plumb, then start
        run(['podman', 'init', self.cname(host)])
        pid = self.inspect(host)['State']['Pid']
        if not pid:
            raise LabError('%s: no PID after podman init' % host.name)
        self._plumb(host, pid)
        # net.* sysctls are per network namespace: make only /proc/sys/net writable (runc refuses bind
        # mounts under /proc; --privileged or unmask=/proc/sys would expose host-wide fs.*/kernel.* keys)
        run(['nsenter', '-t', str(pid), '-m', '-r', '-w', '--', 'sh', '-ec',
             'mount --bind /proc/sys/net /proc/sys/net; mount -o remount,bind,rw /proc/sys/net'])
        run(['podman', 'start', self.cname(host)])

    def check_alive(self, host):
        if not self.running(host):
            logs = run(['podman', 'logs', '--tail', '15', self.cname(host)], check=False)
            raise LabError('%s: container is not running:\n%s%s' % (host.name, logs.stdout, logs.stderr))

    def link_all(self, host, state):
        for ifnum in range(len(host.links) + 1):
            netns.ip(self.lab.name, 'link', 'set', self.lab_device(host, ifnum), state, check=False)

    def halt(self, host):
        """Hard stop without a clean goodbye: freeze every process and cut the links (a kill would close
        BGP sessions at once, which a crashed machine does not)."""
        if self.running(host):
            self.link_all(host, 'down')
            run(['podman', 'pause', self.cname(host)])

    def stop(self, host, timeout=30):
        if self.inspect(host) is not None:
            run(['podman', 'stop', '-t', str(timeout), self.cname(host)], check=False)

    def destroy(self):
        res = run(['podman', 'ps', '-aq', '--filter', 'label=ecmplab=%s' % self.lab.name], check=False)
        ids = res.stdout.split()
        if ids:
            run(['podman', 'rm', '-f', '-t', '0'] + ids, check=False)

    def link(self, host, ifnum, state):
        netns.link_updown(self.lab.name, self.lab_device(host, ifnum), state)
