# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's own network namespace: every bridge, tap and veth end of a lab lives in it, so two labs with
the same addresses never meet and nothing of the lab touches the host's interfaces. The controller reaches
the management bridge with `ip netns exec <lab> nc` as an SSH ProxyCommand.
"""

import json
import os
import signal
import time

from .util import LabError, log, pid_alive, run


NETNS_DIR = '/run/netns'


def exists(name):
    return os.path.exists(os.path.join(NETNS_DIR, name))


def ident(name):
    """Identity of the namespace behind /run/netns/<name> (its nsfs inode), None if there is none. A namespace
    deleted and made again under the same name has another one."""
    try:
        return os.stat(os.path.join(NETNS_DIR, name)).st_ino
    except OSError:
        return None


def ip(name, *args, check=True):
    return run(['ip', '-n', name] + list(args), check=check)


def create(lab):
    name = lab.name
    if not exists(name):
        run(['ip', 'netns', 'add', name])
    ip(name, 'link', 'set', 'lo', 'up')
    for segment in [None] + lab.segments:
        br = lab.bridge(segment)
        if ip(name, 'link', 'show', br, check=False).returncode != 0:
            ip(name, 'link', 'add', br, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0',
               'mcast_snooping', '0')
        ip(name, 'link', 'set', br, 'up')
    ip(name, 'addr', 'replace', '%s/%d' % (lab.mgmt_gw, lab.mgmt_net.prefixlen), 'dev', 'mgmt')
    # the lab namespace never routes: hosts only talk over their own segments
    run(['ip', 'netns', 'exec', name, 'sysctl', '-qw', 'net.ipv4.ip_forward=0'])


def pids(name):
    if not exists(name):
        return []
    res = run(['ip', 'netns', 'pids', name], check=False)
    return [int(p) for p in res.stdout.split()] if res.returncode == 0 else []


def destroy(name):
    """Stop every process left in the namespace (by PID) and delete it."""
    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        left = pids(name)
        if not left:
            break
        for pid in left:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(pid_alive(p) for p in left):
            time.sleep(0.1)
    if exists(name):
        run(['ip', 'netns', 'del', name])


def host_route_add(prefix):
    run(['ip', 'route', 'replace', 'unreachable', str(prefix)])


def host_route_del(prefix, other_labs_ranges):
    """Drop the unreachable route unless another running lab still uses the same range."""
    if str(prefix) in {str(r) for r in other_labs_ranges}:
        log('keeping the unreachable %s route: another lab uses it' % prefix)
        return
    res = run(['ip', '-j', 'route', 'show', 'type', 'unreachable', str(prefix)], check=False)
    if res.returncode == 0 and json.loads(res.stdout or '[]'):
        run(['ip', 'route', 'del', 'unreachable', str(prefix)])


def link_updown(name, dev, state):
    if state not in ('up', 'down'):
        raise LabError('link state must be up or down')
    ip(name, 'link', 'set', dev, state)


def start_keepalive_pings(lab, logpath):
    """10 Hz pings to all IPv6 nodes (ff02::1) on every bridge of the lab: a User-Mode Linux guest now and
    then misses an RX wakeup and a quiet link stalls a new TCP connection for ~1 s (LAB-NOTES); steady
    traffic on every link removes that. IPv6 link-local only: no IPv4 address of the lab changes.
    Returns the PIDs (they live in the lab namespace, so `down` reaps them with everything else)."""
    import subprocess  # pylint: disable=import-outside-toplevel
    pids = []
    with open(logpath, 'ab') as out:
        for segment in [None] + lab.segments:
            proc = subprocess.Popen(['ip', 'netns', 'exec', lab.name, 'ping', '-6', '-q', '-i', '0.1',
                                     'ff02::1%%%s' % lab.bridge(segment)],
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            pids.append(proc.pid)
    return pids
