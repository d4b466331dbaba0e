# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command line of the ecmp.lvs lab tool (contract: see `lab/ecmplab --help`)."""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time

from . import demo, image, inventory, netns
from .facade import (DEFAULT_INVENTORY, DEFAULT_NAME, State, inventory_path, playbook_cmd, playbook_env, ssh_cmd,
                     ssh_ready)
from .podman import PodmanBackend
from .uml import UmlBackend
from .util import LAB_NAME_MAX, ROOT, LabError, check_name, log, parallel

SSH_TIMEOUT = 240


def detect_backend(requested):
    if requested != 'auto':
        return requested
    if os.path.exists('/proc/net/ip_vs') or os.path.isdir('/sys/module/ip_vs'):
        return 'podman'
    return 'uml'


def make_backend(kind, lab, state):
    return {'uml': UmlBackend, 'podman': PodmanBackend}[kind](lab, state)


def wait_ssh(lab, state, backend, hosts, started):
    """Retry SSH on every host (one polling thread per host, no fixed sleeps) until all answer; fail early
    if a guest died."""
    deadline = time.monotonic() + SSH_TIMEOUT

    def one(host):
        while True:
            backend.check_alive(host)
            if ssh_ready(state.ssh_config, host):
                log('%-10s ssh ready after %5.1f s' % (host.name, time.monotonic() - started))
                return
            if time.monotonic() > deadline:
                raise LabError('no SSH on %s after %ds' % (host.name, SSH_TIMEOUT))
            time.sleep(0.2)

    parallel(one, hosts, workers=len(hosts))


def other_ranges(name):
    ranges = []
    root = os.path.dirname(State(name).dir)
    for path in glob.glob(os.path.join(root, '*', 'state.json')):
        other = os.path.basename(os.path.dirname(path))
        if other == name or not netns.exists(other):
            continue
        with open(path, encoding='utf-8') as fd:
            rng = json.load(fd).get('range')
        if rng:
            ranges.append(rng)
    return ranges


# -- commands -----------------------------------------------------------------------------------------
def cmd_build_image(args, lab):
    kind = detect_backend(args.backend) if args.backend != 'all' else 'both'
    releases = [args.release] if args.release else lab.releases
    for p in image.ensure_all(kind, releases, force=args.force).values():
        print('image %s: uml %s, podman %s' % (p['tag'], p['uml'], p['podman']))
    return 0


def cmd_up(args, lab):
    state = State(lab.name)
    if state.exists and netns.exists(lab.name):
        log('lab "%s" is already up' % lab.name)
        return cmd_status(args, lab)
    if netns.exists(lab.name):
        raise LabError('a network namespace "%s" exists, but no lab of that name is up (no %s): it is not this '
                       "lab's, so it is left alone - choose another --name (or `ip netns del %s` if it is a "
                       'leftover of a lab)' % (lab.name, state.file, lab.name))
    kind = detect_backend(args.backend)
    images = image.ensure_all(kind, lab.releases)
    t0 = time.monotonic()
    state.data.update({'backend': kind, 'inventory': os.path.abspath(lab.inventory), 'range': str(lab.range),
                       'image': ' '.join(p['tag'] for p in images.values()),
                       'images': {r: p['tag'] for r, p in images.items()},
                       'releases': {h.name: h.release for h in lab.hosts}, 'hosts': [h.name for h in lab.hosts]})
    state.ensure_key()
    state.write_ssh_config(lab)
    backend = make_backend(kind, lab, state)
    backend.prepare(images)
    state.save()
    netns.host_route_add(lab.range)
    netns.create(lab)
    # `down` removes this namespace only: never one of the same name that someone else made later
    state.data['netns_id'] = netns.ident(lab.name)
    state.save()
    parallel(backend.start, lab.hosts, workers=len(lab.hosts))
    state.save()
    log('%s lab "%s": %d hosts started in %.1f s, waiting for SSH'
        % (kind, lab.name, len(lab.hosts), time.monotonic() - t0))
    wait_ssh(lab, state, backend, lab.hosts, t0)
    elapsed = time.monotonic() - t0
    if kind == 'uml':
        state.data['ping_pids'] = netns.start_keepalive_pings(lab, os.path.join(state.dir, 'ping.log'))
    state.data['up_seconds'] = round(elapsed, 1)
    state.save()
    print('lab "%s" (%s) up: SSH answers on all %d hosts after %.1f s' % (lab.name, kind, len(lab.hosts), elapsed))
    print('  ssh:       lab/ecmplab --name %s ssh HOST [CMD]   (or ssh -F %s HOST)' % (lab.name, state.ssh_config))
    print('  ansible:   lab/ecmplab --name %s playbook playbooks/site.yml' % lab.name)
    return 0


def cmd_down(args, lab):
    """Remove what `up` created, and only that: the lab's containers (by label), its guests (by PID, each checked
    to be this lab's guest), its network namespace (only if state.json names it and its identity is the one `up`
    recorded), its host route (the range state.json recorded) and its state directory (inside the state root)."""
    state = State(lab.name)
    kind = state.data.get('backend')
    t0 = time.monotonic()
    for k in ([kind] if kind else ['uml', 'podman']):
        if k == 'podman' and not shutil.which('podman'):
            continue
        make_backend(k, lab, state).destroy()
    left = []
    if netns.exists(lab.name):
        recorded = state.data.get('netns_id')
        if not state.exists:
            left.append('namespace %s (no %s: not created by this lab)' % (lab.name, state.file))
        elif recorded is not None and recorded != netns.ident(lab.name):
            left.append('namespace %s (not the one this lab created)' % lab.name)
        else:
            netns.destroy(lab.name)
    rng = state.data.get('range')
    if rng:
        netns.host_route_del(rng, other_ranges(lab.name))
    state.remove()
    for what in left:
        log('left alone: %s' % what)
    print('lab "%s" down in %.1f s: no process, namespace, container, disk or route of it left'
          % (lab.name, time.monotonic() - t0))
    return 0


def _require_up(lab):
    state = State(lab.name)
    if not state.exists:
        raise LabError('lab "%s" is not up (lab/ecmplab --name %s up)' % (lab.name, lab.name))
    return state, make_backend(state.data['backend'], lab, state)


def cmd_status(args, lab):
    state = State(lab.name)
    if not state.exists:
        print('lab "%s": down' % lab.name)
        return 3
    backend = make_backend(state.data['backend'], lab, state)

    def one(host):
        st = backend.host_state(host)
        ssh = ssh_ready(state.ssh_config, host) if st == 'running' else False
        return host, st, ssh

    print('lab "%s": backend %s, image %s, range %s (unreachable on the host), namespace %s'
          % (lab.name, state.data['backend'], state.data.get('image'), state.data.get('range'),
             'present' if netns.exists(lab.name) else 'MISSING'))
    print('%-12s %-16s %-15s %-5s %-9s %s' % ('HOST', 'STATE', 'MGMT', 'SSH', 'RELEASE', 'GROUPS'))
    releases = state.data.get('releases') or {}
    for host, st, ssh in parallel(one, lab.hosts, workers=len(lab.hosts)):
        groups = ','.join(g for g in host.groups if g != 'all')
        print('%-12s %-16s %-15s %-5s %-9s %s' % (host.name, st, host.mgmt, 'ok' if ssh else '-',
                                                  releases.get(host.name, host.release), groups))
    return 0


def cmd_ssh(args, lab):
    state, _backend = _require_up(lab)
    host = lab.host(args.host)
    cmd = ssh_cmd(state.ssh_config, host, master=True)
    if args.cmd:
        cmd += args.cmd
    elif sys.stdin.isatty():
        cmd.insert(1, '-t')
    os.execvp('ssh', cmd)
    return 0


def cmd_halt(args, lab):
    state, backend = _require_up(lab)
    backend.halt(lab.host(args.host))
    print('%s halted' % args.host)
    return 0


def cmd_stop(args, lab):
    state, backend = _require_up(lab)
    backend.stop(lab.host(args.host))
    print('%s stopped' % args.host)
    return 0


def cmd_start(args, lab):
    state, backend = _require_up(lab)
    host = lab.host(args.host)
    t0 = time.monotonic()
    backend.start(host)
    state.save()
    wait_ssh(lab, state, backend, [host], t0)
    print('%s started, SSH after %.1f s' % (host.name, time.monotonic() - t0))
    return 0


def cmd_link(args, lab):
    _state, backend = _require_up(lab)
    host = lab.host(args.host)
    if not args.iface.startswith('eth') or not args.iface[3:].isdigit():
        raise LabError('interface must be ethN')
    ifnum = int(args.iface[3:])
    if ifnum > len(host.links):
        raise LabError('%s has eth0..eth%d' % (host.name, len(host.links)))
    backend.link(host, ifnum, args.state)
    print('%s %s %s' % (host.name, args.iface, args.state))
    return 0


def cmd_playbook(args, lab):
    state, _backend = _require_up(lab)
    cmd = playbook_cmd(lab, args.playbook, args.args)
    log('running %s' % cmd[0])  # which ansible (ECMPLAB_ANSIBLE_VENV): make core-matrix checks it
    return subprocess.call(cmd, env=playbook_env(lab, state), cwd=ROOT)


def cmd_demo(args, lab):
    rc = cmd_up(args, lab)
    if rc not in (0, None):
        return rc
    return demo.run_demo(args, lab, State(lab.name))


def build_parser():
    parser = argparse.ArgumentParser(
        prog='lab/ecmplab', description='ecmp.lvs lab: the hosts of an inventory as local podman containers '
        'or User-Mode Linux guests, reachable over SSH exactly like real hosts.')
    parser.add_argument('--inventory', '-i', default=os.environ.get('ECMPLAB_INVENTORY', DEFAULT_INVENTORY))
    parser.add_argument('--backend', '-b', default=os.environ.get('ECMPLAB_BACKEND', 'auto'),
                        choices=['auto', 'podman', 'uml', 'all'],
                        help='auto = podman when the host kernel has IPVS, else uml (all: build-image only)')
    parser.add_argument('--name', '-n', default=os.environ.get('ECMPLAB_NAME', DEFAULT_NAME),
                        help='lab name: its network namespace, containers and .lab/<name> state')
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser('build-image', help='build the lab image of every lab_release of the inventory (cached; '
                       'rebuilt when lab/image changes)')
    p.add_argument('--force', action='store_true')
    p.add_argument('--release', choices=image.RELEASES, help='build this Debian release only')
    p.set_defaults(func=cmd_build_image)
    sub.add_parser('up', help='start every host, wait for SSH').set_defaults(func=cmd_up)
    sub.add_parser('down', help='remove everything of the lab').set_defaults(func=cmd_down)
    sub.add_parser('status', help='hosts, state, SSH').set_defaults(func=cmd_status)
    p = sub.add_parser('ssh', help='ssh HOST [CMD...]')
    p.add_argument('host')
    p.add_argument('cmd', nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_ssh)
    for name, func, text in (('halt', cmd_halt, 'hard stop (UML: pull the plug; podman: freeze + links down)'),
                             ('stop', cmd_stop, 'clean poweroff'),
                             ('start', cmd_start, 'start a halted/stopped host, wait for SSH')):
        p = sub.add_parser(name, help=text)
        p.add_argument('host')
        p.set_defaults(func=func)
    p = sub.add_parser('link', help='link HOST ethN up|down (cut or restore a cable)')
    p.add_argument('host')
    p.add_argument('iface')
    p.add_argument('state', choices=['up', 'down'])
    p.set_defaults(func=cmd_link)
    p = sub.add_parser('playbook', help='ansible-playbook PLAYBOOK [args] against the lab')
    p.add_argument('playbook')
    p.add_argument('args', nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_playbook)
    p = sub.add_parser('ansible-env', help='print the ANSIBLE_* settings the lab runs ansible with (for `env`)')
    p.set_defaults(func=None)
    p = sub.add_parser('demo', help='up + playbooks/site.yml + ECMP route + request spread')
    p.add_argument('--requests', type=int, default=100)
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        # before anything else (root check, inventory, state): the name becomes paths, a namespace, ssh_config
        check_name(inventory.LAB_NAME_FIELD, args.name, LAB_NAME_MAX)
    except LabError as exc:
        log('error: %s' % exc)
        return 2
    if args.func is None:  # ansible-env: no lab, no root needed
        for key, value in sorted(inventory.mitogen_env().items()):
            print('%s=%s' % (key, value))
        return 0
    if os.geteuid() != 0:
        log('the lab needs root (network namespaces, taps, podman as root)')
        return 1
    args.inventory = inventory_path(args.inventory)
    try:
        lab = inventory.load(args.inventory, args.name)
        return args.func(args, lab)
    except LabError as exc:
        log('error: %s' % exc)
        return 1
    except KeyboardInterrupt:
        return 130
