# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`run`: the loop of the root service ecmp-lvs-announce.service (events, the systemd watchdog, the fail-safe)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# the standard modules other than os, sys and time are imported where they are used (see the package: start-up time)
# pylint: disable=import-outside-toplevel
import os
import sys
import time

from .config import load_config
from .host import Host, log
from .reconciler import Reconciler
from .records import now as records_now


# reconciliations may fail for FAILSAFE_INTERVALS intervals (at least FAILSAFE_MIN seconds) before every VIP is
# withdrawn: a VIP whose state is unknown is not kept announced longer than that (see Runner)
FAILSAFE_INTERVALS = 3
FAILSAFE_MIN = 1.0


class Waiter:
    """Sleeps until something a decision depends on changes, or a timeout: inotify on the directories of the
    quorum records, the drain flag, the configuration and keepalived's pid file; a pidfd per process whose end
    matters (keepalived, the checkers that reported); signals (set_wakeup_fd). Without inotify (ctypes) or pidfd
    (Python < 3.9) it still wakes at the timeout (the reconciliation interval)."""

    # IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
    MASK = 0x008 | 0x040 | 0x080 | 0x100 | 0x200

    def __init__(self):
        import signal
        self.libc = None
        self.fd = None
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            if fd >= 0:
                self.libc, self.fd = libc, fd
        except (OSError, AttributeError, ImportError):
            pass
        self.watched = set()
        self.pidfds = {}
        self.ended = set()
        self.sig_r, sig_w = os.pipe()
        os.set_blocking(self.sig_r, False)
        os.set_blocking(sig_w, False)
        signal.set_wakeup_fd(sig_w)

    def watch(self, paths):
        for path in paths:
            if self.fd is not None and path not in self.watched and \
                    self.libc.inotify_add_watch(self.fd, path.encode(), self.MASK) >= 0:
                self.watched.add(path)

    def follow(self, pids):
        """Keep a pidfd on each of `pids` (a process that ended is never followed again)."""
        for pid in set(self.pidfds) - set(pids):
            os.close(self.pidfds.pop(pid))
        for pid in set(pids) - set(self.pidfds) - self.ended:
            try:
                self.pidfds[pid] = os.pidfd_open(pid)
            except (OSError, AttributeError, ValueError, OverflowError):
                self.ended.add(pid)

    def wait(self, timeout):
        import select
        fds = [self.sig_r] + ([self.fd] if self.fd is not None else []) + list(self.pidfds.values())
        ready = select.select(fds, [], [], max(timeout, 0))[0]
        for fd in ready:
            if fd in (self.sig_r, self.fd):
                try:
                    while os.read(fd, 65536):
                        pass
                except BlockingIOError:
                    pass
        for pid, fd in list(self.pidfds.items()):
            if fd in ready:
                os.close(self.pidfds.pop(pid))
                self.ended.add(pid)


def sd_notify(message, environ=None):
    """Send `message` (READY=1, WATCHDOG=1, ...) to systemd's $NOTIFY_SOCKET (an AF_UNIX datagram socket; '@':
    abstract namespace). False without the socket or when sending fails (never raises)."""
    import socket
    address = (os.environ if environ is None else environ).get('NOTIFY_SOCKET', '')
    if not address or address[0] not in '/@':
        return False
    if address[0] == '@':
        address = '\0' + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode('utf-8'))
    except OSError:
        return False
    return True


def watchdog_interval(environ=None):
    """Seconds between two WATCHDOG=1 pings: half of systemd's $WATCHDOG_USEC (None: no watchdog)."""
    environ = os.environ if environ is None else environ
    try:
        usec = int(environ.get('WATCHDOG_USEC', ''))
        pid = int(environ.get('WATCHDOG_PID', os.getpid()))
    except ValueError:
        return None
    return usec / 2e6 if usec > 0 and pid == os.getpid() else None


def failsafe_bound(config):
    """Seconds a VIP may stay announced while every reconciliation fails (its state unknown)."""
    return max(FAILSAFE_INTERVALS * config['interval'], FAILSAFE_MIN)


class Runner:
    """The loop of `run`, one iteration at a time; an iteration never raises.

    A failing reconciliation (any exception: a broken command, an unexpected file, a bug) is logged (with its
    traceback when the error changes) and retried every interval. Once no reconciliation has succeeded for
    failsafe_bound() seconds (3 intervals, at least 1 s), every VIP is withdrawn, and again at every failing
    iteration after that (Host.withdraw_everything when the reconciler's own withdrawal fails too): the state of
    an announced VIP is unknown then. The next successful reconciliation decides as usual. Each iteration pings
    the systemd watchdog (a hang is the watchdog's, see ecmp-lvs-announce.service: WatchdogSec, ExecStopPost)."""

    def __init__(self, host, reconciler, waiter, config_path, clock=records_now, notify=sd_notify):
        self.host = host
        self.reconciler = reconciler
        self.waiter = waiter
        self.config_path = config_path
        self.clock = clock
        self.notify = notify
        self.config = None          # the last configuration read
        self.last_ok = clock()      # the last successful reconciliation (start-up counts as one)
        self.error = None
        self.ready = False
        self.watchdog = watchdog_interval()

    def reconcile(self):
        """One reconciliation; returns the seconds to wait for events before the next one."""
        try:
            timeout = self._reconcile()
        except Exception as exc:  # pylint: disable=broad-except
            timeout = self._failed(exc)
        else:
            if self.error is not None:
                log('reconcile works again')
            self.error = None
            self.last_ok = self.clock()
        if not self.ready:
            self.notify('READY=1')
            self.ready = True
        self.notify('WATCHDOG=1')
        return timeout if self.watchdog is None else min(timeout, self.watchdog)

    def _reconcile(self):
        config = self.config = self.host.config()
        self.waiter.watch([os.path.dirname(os.path.abspath(self.config_path)), config['state_dir'],
                           os.path.join(config['state_dir'], 'quorum'), os.path.dirname(config['drain_file']),
                           os.path.dirname(config['keepalived_pidfile'])])
        self.reconciler.step()
        self.waiter.follow(self.reconciler.pids)
        timeout = config['interval']
        if self.reconciler.wake_at is not None:
            timeout = min(timeout, self.reconciler.wake_at - self.clock())
        return timeout

    def _failed(self, exc):
        import traceback
        error = '%s: %s' % (type(exc).__name__, exc)
        if error != self.error:
            trace = traceback.format_exception(type(exc), exc, exc.__traceback__)
            log('reconcile failed (retrying): %s' % ''.join(trace).rstrip())
        else:
            log('reconcile failed (retrying): %s' % error)
        self.error = error
        self.reconciler.announced = None
        self.reconciler.wake_at = None
        config = self.config or load_config('{}')
        bound = failsafe_bound(config)
        left = self.last_ok + bound - self.clock()
        if left <= 0:
            self.failsafe(config, 'fail-safe: no reconciliation for %.1f s (state unknown)'
                          % (self.clock() - self.last_ok))
            return config['interval']
        return min(config['interval'], left)

    def failsafe(self, config, why):
        """Withdraw every VIP (`why`: the reason logged); never raises."""
        try:
            self.reconciler.withdraw_all(config, why)
            return
        except Exception as exc:  # pylint: disable=broad-except
            log('fail-safe: withdrawal through the reconciler failed (%s: %s), removing the addresses directly'
                % (type(exc).__name__, exc))
        try:
            removed, errors = self.host.withdraw_everything(config)
        except Exception as exc:  # pylint: disable=broad-except
            removed, errors = None, ['%s: %s' % (type(exc).__name__, exc)]
        log('%s withdrawn: %s%s' % ('every address with label %s and every VIP' % config['label']
                                    if removed is None else ', '.join(removed) or 'nothing', why,
                                    '; errors: ' + '; '.join(errors) if errors else ''))

    def wait(self, timeout):
        """Sleep until an event or `timeout` (never raises: a failing wait sleeps)."""
        try:
            self.waiter.wait(timeout)
        except Exception as exc:  # pylint: disable=broad-except
            log('waiting for events failed (%s: %s): sleeping' % (type(exc).__name__, exc))
            time.sleep(max(min(timeout, 1.0), 0.1))


def cmd_run(args):
    """The root service. Type=notify: READY=1 after the first reconciliation, WATCHDOG=1 at every iteration (at
    least every WatchdogSec/2: the waits are bounded by it)."""
    import signal
    host = Host(args.config)
    reconciler = Reconciler(host)
    stop = []

    def on_signal(signum, dummy_frame):
        stop.append(signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    waiter = Waiter()
    runner = Runner(host, reconciler, waiter, args.config)
    try:
        config = host.config()
        summary = '%d VIP(s), hold-down %g s, interval %g s' % (
            len(config['vips']), config['holddown'], config['interval'])
    except Exception as exc:  # pylint: disable=broad-except
        summary = 'configuration unusable for now (%s: %s)' % (type(exc).__name__, exc)
    log('ecmp-lvs-announce running: %s, events: %s, watchdog: %s' % (
        summary, 'inotify + pidfd' if waiter.fd is not None and hasattr(os, 'pidfd_open') else 'none (polling)',
        'ping every %g s' % runner.watchdog if runner.watchdog else 'off'))
    while not stop:
        timeout = runner.reconcile()
        if not stop:
            runner.wait(timeout)
    if stop[0] == signal.SIGHUP:
        log('SIGHUP: re-executing %s (VIPs left as they are)' % sys.argv[0])
        os.execv(sys.argv[0], sys.argv)
    runner.notify('STOPPING=1')
    runner.failsafe(runner.config or load_config('{}'), 'ecmp-lvs-announce stopped')
    return 0
