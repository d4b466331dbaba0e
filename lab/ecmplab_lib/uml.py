# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""User-Mode Linux backend: one linux.uml kernel per host (real kernels with IPVS: the host's 6.1, a trixie guest
its own 6.12), a copy-on-write disk
per host over one read-only base image, legacy tuntap transport on taps bridged inside the lab namespace.
Guests are stopped by PID or through their mconsole, never by process name; a PID (from the guest's pid file or
state.json) counts only while /proc/<pid>/cmdline is still this guest's linux.uml (umid=<host>, uml_dir=<this
lab's>): a PID reused by another process after the guest died is never signalled.
"""

import hashlib
import os
import shutil
import subprocess
import threading
import time

from . import image, netns
from .util import LabError, log, parallel, pid_alive, process_args, safe_rmtree

UML_BIN = 'linux.uml'
XSTATE_SHIM = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'uml', 'xstate_shim.c')
_SHIM_LOCK = threading.Lock()   # the guests start in parallel threads: one build


def xstate_shim():
    """The LD_PRELOAD library every linux.uml runs with (lab/uml/xstate_shim.c: UML's FPU restore on hosts with a
    larger XSAVE area, e.g. AMX), built with the host's gcc into the lab cache once per source version."""
    with open(XSTATE_SHIM, 'rb') as handle:
        source = handle.read()
    path = os.path.join(image.cache_dir(), 'uml-xstate-shim-%s.so' % hashlib.sha256(source).hexdigest()[:12])
    with _SHIM_LOCK:
        if not os.path.exists(path):
            _build_shim(path)
    return path


def _build_shim(path):
    if not shutil.which('gcc'):
        raise LabError('gcc is missing: the UML backend builds lab/uml/xstate_shim.c (make deps installs gcc)')
    tmp = '%s.%d.tmp' % (path, os.getpid())
    build = subprocess.run(['gcc', '-O2', '-Wall', '-shared', '-fPIC', '-o', tmp, XSTATE_SHIM],
                           capture_output=True, text=True, check=False)
    if build.returncode != 0:
        raise LabError('cannot build %s: %s' % (XSTATE_SHIM, build.stderr.strip()[-2000:]))
    os.replace(tmp, path)


class UmlBackend:
    name = 'uml'

    def __init__(self, lab, state):
        self.lab = lab
        self.state = state
        self.umldir = os.path.join(state.dir, 'uml')

    # -- helpers -----------------------------------------------------------------------------------
    def tap(self, host, ifnum):
        return 't%d.%d' % (host.index, ifnum)

    def lab_device(self, host, ifnum):
        """Device inside the lab namespace behind the guest's eth<ifnum>."""
        return self.tap(host, ifnum)

    def mconsole(self, host):
        return os.path.join(self.umldir, host.name, 'mconsole')

    def base(self, host):
        """The read-only base image under `host`'s disk (a lab of an older tool recorded one `base`)."""
        return image.of_host(self.state.data.get('bases'), host, self.state.data.get('base'))

    def is_guest(self, host, pid):
        """True while `pid` is this lab's linux.uml of `host` (checked in /proc/<pid>/cmdline)."""
        args = process_args(pid)
        if 'umid=%s' % host.name not in args:
            return False
        dirs = [a[len('uml_dir='):] for a in args if a.startswith('uml_dir=')]
        return len(dirs) == 1 and os.path.realpath(dirs[0]) == os.path.realpath(self.umldir)

    def pid(self, host):
        """The PID of `host`'s running guest, else None: its pid file's, or the one this tool started (state.pids).
        Either may be stale - a pid file left by a guest killed at a halt, or removed by the old guest's exit while
        the new one boots: the first of them that is this lab's live guest counts (a stale pid file alone made a
        guest that was booting look dead: "exited during boot" under CI load, 2026-12-05)."""
        candidates = []
        try:
            with open(os.path.join(self.umldir, host.name, 'pid'), encoding='ascii') as fd:
                candidates.append(int(fd.read().strip()))
        except (OSError, ValueError):
            pass
        candidates.append(self.state.pids.get(host.name))
        return next((pid for pid in candidates if pid and self._alive(host, pid)), None)

    def _alive(self, host, pid):
        return pid_alive(pid) and self.is_guest(host, pid)

    def running(self, host):
        return self.pid(host) is not None

    def host_state(self, host):
        return 'running' if self.running(host) else 'stopped'

    # -- lifecycle ---------------------------------------------------------------------------------
    def prepare(self, images):
        """`images`: {release: image paths} (image.ensure_all); each guest's disk is a copy-on-write layer over
        the base image of its host's lab_release."""
        if not shutil.which(UML_BIN):
            raise LabError('%s not found: apt-get install user-mode-linux (or `make deps`)' % UML_BIN)
        self.state.data['bases'] = {release: p['uml'] for release, p in images.items()}
        # a release other than the host's boots its own kernel (image.own_kernel)
        self.state.data['kernels'] = {release: p['kernel'] for release, p in images.items() if p.get('kernel')}
        os.makedirs(self.umldir, exist_ok=True)

    def start(self, host):
        if self.running(host):
            return
        name = self.lab.name
        # taps are recreated at every boot (a reused tap may keep stale offload flags)
        args = []
        for ifnum, segment in enumerate([None] + [s for s, _iface in host.links]):
            tap = self.tap(host, ifnum)
            netns.ip(name, 'link', 'del', tap, check=False)
            netns.ip(name, 'tuntap', 'add', 'dev', tap, 'mode', 'tap')
            netns.ip(name, 'link', 'set', tap, 'master', self.lab.bridge(segment), 'up')
            args.append('eth%d=tuntap,%s,%s' % (ifnum, tap, host.mac(ifnum)))
        stale = os.path.join(self.umldir, host.name)
        if os.path.lexists(stale):
            safe_rmtree(stale, self.state.dir)
        cow = os.path.join(self.state.dir, 'disks', '%s.cow' % host.name)
        os.makedirs(os.path.dirname(cow), exist_ok=True)
        cmd = ['ip', 'netns', 'exec', name] + self.kernel_cmd(host)
        cmd += ['umid=%s' % host.name, 'uml_dir=%s' % self.umldir,
                'mem=%dM' % self.lab.memory, 'ubd0=%s,%s' % (cow, self.base(host)),
                'root=/dev/ubda', 'rw', 'con=null', 'con0=null,fd:1', 'ssl=null'] + args
        cmd += host.cmdline_words(self.lab.mgmt_net.prefixlen, self.state.pubkey())
        console = os.path.join(self.state.dir, 'console', '%s.log' % host.name)
        os.makedirs(os.path.dirname(console), exist_ok=True)
        env = dict(os.environ, TMPDIR='/dev/shm', LD_PRELOAD=xstate_shim())
        with open(console, 'ab') as out:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    env=env, cwd=self.state.dir, start_new_session=True)
        self.state.pids[host.name] = proc.pid

    def kernel_cmd(self, host):
        """argv that starts `host`'s kernel: the host's linux.uml, or its release's own (image.own_kernel) in a
        mount namespace of its own in which /lib64 (its ELF interpreter's directory and RUNPATH) holds the loader
        and C library it was built against - the host's may be older (trixie's 6.12 needs glibc 2.38, bookworm has
        2.36). Starting the loader as the program instead fails: UML then counts the gap up to the loader's heap
        as memory it needs. The process still is that linux.uml with the guest's arguments (is_guest)."""
        kernel_dir = (self.state.data.get('kernels') or {}).get(host.release)
        if not kernel_dir:
            return [UML_BIN]
        kernel, libs, _version = image.kernel_of(kernel_dir)
        return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
                'mount --bind "$0" "$1" && shift && exec "$@"', libs, os.path.realpath('/lib64'), kernel]

    def check_alive(self, host, grace=5.0):
        """LabError with the console's tail when `host`'s guest is gone. Right after a halt and a new start the
        guest can look gone for a moment (the old guest's exit removes its umid directory, pid file included,
        while the new one starts): only a guest that stays gone for `grace` seconds counts as dead."""
        deadline = time.monotonic() + grace
        while not self.running(host) and time.monotonic() < deadline:
            time.sleep(0.5)
        if not self.running(host):
            console = os.path.join(self.state.dir, 'console', '%s.log' % host.name)
            tail = ''
            if os.path.exists(console):
                with open(console, encoding='utf-8', errors='replace') as fd:
                    tail = ''.join(fd.readlines()[-15:])
            raise LabError('%s: linux.uml exited during boot; console tail:\n%s' % (host.name, tail))

    def halt(self, host):
        """Pull the plug (uml_mconsole halt)."""
        pid = self.pid(host)
        if pid is None:
            return
        self._mconsole(host, 'halt')
        self._wait_gone(host, pid, 10)

    def stop(self, host, timeout=30):
        """Clean poweroff (ctrl-alt-del -> poweroff.target), then halt if it takes too long."""
        pid = self.pid(host)
        if pid is None:
            return
        self._mconsole(host, 'cad')
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._alive(host, pid):
            time.sleep(0.2)
        if self._alive(host, pid):
            log('%s: no clean poweroff after %ds, halting' % (host.name, timeout))
            self.halt(host)

    def _mconsole(self, host, command):
        """Send an mconsole command. `halt` never gets an answer (the guest is gone): wait for the guest's
        PID to vanish instead, then drop the waiting client."""
        pid = self.pid(host)
        client = subprocess.Popen(['uml_mconsole', self.mconsole(host), command], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and client.poll() is None:
            if command == 'halt' and (pid is None or not self._alive(host, pid)):
                break
            time.sleep(0.05)
        if client.poll() is None:
            client.kill()
            client.wait()

    def _wait_gone(self, host, pid, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._alive(host, pid):
            time.sleep(0.1)
        if self._alive(host, pid):
            log('%s: linux.uml pid %d still alive, SIGKILL' % (host.name, pid))
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass

    def destroy(self):
        """Halt every guest (the disks are discarded anyway); the namespace sweep catches the rest."""
        running = [h for h in self.lab.hosts if self.pid(h) is not None]
        parallel(lambda h: self._mconsole(h, 'halt'), running, workers=len(running) or 1)

    def link(self, host, ifnum, state):
        netns.link_updown(self.lab.name, self.tap(host, ifnum), state)
