# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host behind the reconciler: files, /proc, `ip`, `ipvsadm`, the log."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# the standard modules other than os, sys and time are imported where they are used (see the package: start-up time)
# pylint: disable=import-outside-toplevel
import os

from ansible_collections.ecmp.lvs.plugins.module_utils.fileio import write_atomic  # noqa: F401 (re-exported)

from .config import STOPPING, AnnounceError, is_vip, load_config
from .parsers import parse_ip_addresses, parse_ipvs_weights, parse_withdraw_targets, proc_stat_fields
from .records import RECORD_MAX, cross_check, kernel_record, parse_record


# seconds an `ip` / `ipvsadm` call may take before it counts as failed (see cmd_run: the systemd watchdog)
COMMAND_TIMEOUT = 5.0
# the IPv6 VIPs this program added to lo (a JSON list, in the state directory; IPv6 addresses carry no label)
IPV6_ADDED = 'ipv6-added.json'


def read_file(path):
    with open(path, encoding='utf-8') as handle:
        return handle.read()


def read_record(path, owners=None):
    """Text of the quorum record `path`, or None when it is not a small regular file owned by one of the uids
    `owners` (None: any owner). The records are written by keepalived's script user and read by root: the file
    is opened without following a symlink and without blocking (a FIFO), checked with fstat, read at most
    RECORD_MAX bytes, and must be ASCII. Never raises, never blocks."""
    import stat
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (owners is not None and info.st_uid not in owners) or \
                info.st_size > RECORD_MAX:
            return None
        data = os.read(fd, RECORD_MAX + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > RECORD_MAX:
        return None
    try:
        return data.decode('ascii')
    except UnicodeDecodeError:
        return None


def fsync_dir(path):
    """Make a file's creation, rename or removal in directory `path` durable (it survives a crash at once)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def process_stat(pid):
    """(comm, ppid, starttime) of a live process, or None."""
    try:
        return proc_stat_fields(read_file('/proc/%d/stat' % pid))
    except (OSError, ValueError, IndexError):
        return None


def read_status(config):
    import json
    try:
        status = json.loads(read_file(os.path.join(config['state_dir'], 'status.json')))
    except (OSError, ValueError):
        return None
    try:
        pid = int(status.get('pid', 0))
    except (AttributeError, TypeError, ValueError):
        return None
    if pid <= 0 or process_stat(pid) is None:
        return None
    return status


def log(message):
    print(message, flush=True)


# what `ip address del` says of an address that is not there (lower case; iproute2 of Debian 12 and 13)
ADDRESS_GONE = ('cannot assign requested address', 'address not found')


class Host:
    """The real system behind the reconciler."""

    def __init__(self, config_path):
        self.config_path = config_path
        self._config = None
        self._config_id = None
        self.keepalived_pid = None
        # {key: stand-in record} of the services keepalived has not reported on (see records())
        self._stand_ins = {}
        # {key: when the IPVS table last showed the service below quorum} (see records())
        self._kernel_down_at = {}
        self._owners_logged = None

    def config(self):
        """The configuration, re-read when the file changes (a bad new file keeps the previous one)."""
        stat = os.stat(self.config_path)
        ident = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if ident != self._config_id:
            try:
                config = load_config(read_file(self.config_path))
            except AnnounceError as exc:
                if self._config is None:
                    raise
                log('configuration %s rejected, keeping the previous one: %s' % (self.config_path, exc))
            else:
                if self._config is not None:
                    log('configuration %s reloaded' % self.config_path)
                self._config = config
            self._config_id = ident
        return self._config

    def owners(self, config):
        """The uids whose quorum records are trusted: root and keepalived's script_user (root only while that
        user cannot be looked up: every record is then judged from the IPVS table)."""
        import pwd
        try:
            return {0, pwd.getpwnam(config['script_user']).pw_uid}
        except (KeyError, OSError, UnicodeError) as exc:
            if self._owners_logged != config['script_user']:
                log('script_user %r unknown (%s): only records owned by root are trusted'
                    % (config['script_user'], exc))
                self._owners_logged = config['script_user']
            return {0}

    def read_records(self, config, now=None):
        """{key: record} of the trustworthy quorum records of the configured services (see read_record); a
        record that claims a live process other than a keepalived one as its writer is not trusted either."""
        qdir = os.path.join(config['state_dir'], 'quorum')
        owners = self.owners(config)
        records = {}
        for keys in config['vips'].values():
            for key in keys:
                rec = parse_record(read_record(os.path.join(qdir, key), owners))
                if rec is None or (now is not None and rec['at'] > now + 1.0):
                    continue    # unreadable, or a time in the future (records.now): no report
                stat = process_stat(rec['writer'][0])
                if stat is not None and stat[2] == rec['writer'][1] and stat[0] != 'keepalived':
                    continue
                records[key] = rec
        return records

    def records(self, config, now=None):
        """{key: record} of keepalived's reports; with `now`, the services that have a quorum in the configuration
        are also checked against the IPVS table: stand-ins for those without a report (see kernel_record), and an
        `up` report is not believed while the table shows the service below quorum (see cross_check: a
        quorum_down that could not be recorded still withdraws)."""
        records = self.read_records(config, now)
        if now is None:
            return records
        checked = [key for keys in config['vips'].values() for key in keys if key in config['quorum']]
        stand_ins, self._stand_ins = self._stand_ins, {}
        if checked:
            weights = self.ipvs_weights()
            for key in checked:
                kernel = kernel_record(stand_ins.get(key), key, config['quorum'][key], weights, now,
                                       config['members'])
                if kernel['state'] == 'down':
                    self._kernel_down_at[key] = now
                if key in records:
                    records[key] = cross_check(records[key], kernel['state'], self._kernel_down_at.get(key))
                else:
                    records[key] = self._stand_ins[key] = kernel
        return records

    @staticmethod
    def ipvs_weights():
        """{(proto, vip, port): total weight} of the IPVS table ({} when ipvsadm fails, or prints a line the
        collection's parser does not know: nothing has quorum)."""
        import subprocess
        try:
            res = subprocess.run(['ipvsadm', '-L', '-n'], check=False, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, universal_newlines=True, timeout=COMMAND_TIMEOUT)
        except (OSError, subprocess.SubprocessError):
            return {}
        if res.returncode != 0:
            return {}
        try:
            return parse_ipvs_weights(res.stdout)
        except ValueError:      # IpvsError
            return {}

    @staticmethod
    def drained(config):
        return os.path.exists(config['drain_file'])

    def keepalived_running(self, config):
        """keepalived's main process is alive and not being stopped (see cmd_keepalived_stop)."""
        self.keepalived_pid = None
        try:
            pid = int(read_file(config['keepalived_pidfile']).strip())
        except (OSError, ValueError):
            return False
        stat = process_stat(pid)
        if stat is None or stat[0] != 'keepalived':
            return False
        self.keepalived_pid = pid
        try:
            return read_file(os.path.join(config['state_dir'], STOPPING)).split() != [str(pid), str(stat[2])]
        except OSError:
            return True

    @staticmethod
    def writer_alive(writer):
        stat = process_stat(writer[0])
        return stat is not None and stat[2] == writer[1]

    @staticmethod
    def ipv6_ours(config):
        """The IPv6 addresses on lo that are ours: the IPv6 VIPs of `config` and those this program added and has
        not removed yet (IPV6_ADDED in the state directory: a VIP dropped from the configuration while announced)."""
        import json
        ours = set(vip for vip in config['vips'] if ':' in vip)
        try:
            added = json.loads(read_file(os.path.join(config['state_dir'], IPV6_ADDED)))
        except (OSError, ValueError):
            added = []
        return ours | set(vip for vip in added if isinstance(vip, str) and is_vip(vip) and ':' in vip)

    @staticmethod
    def _record_ipv6(config, vip, added):
        import json
        ours = Host.ipv6_ours(dict(config, vips={}))
        ours = (ours | {vip}) if added else (ours - {vip})
        write_atomic(os.path.join(config['state_dir'], IPV6_ADDED), json.dumps(sorted(ours)))

    @staticmethod
    def present(config):
        return parse_ip_addresses(Host.lo_addresses(), config['label'], Host.ipv6_ours(config))

    @staticmethod
    def lo_addresses():
        """`ip -j address show dev lo` (JSON text, both families)."""
        import subprocess
        return subprocess.run(['ip', '-j', 'address', 'show', 'dev', 'lo'], check=True, stdout=subprocess.PIPE,
                              universal_newlines=True, timeout=COMMAND_TIMEOUT).stdout

    @staticmethod
    def add(config, vip):
        import subprocess
        if ':' in vip:
            # recorded first: an address this program may have added is always one it removes
            Host._record_ipv6(config, vip, True)
            subprocess.run(['ip', '-6', 'address', 'replace', vip + '/128', 'dev', 'lo'], check=True,
                           timeout=COMMAND_TIMEOUT)
            return
        subprocess.run(['ip', '-4', 'address', 'replace', vip + '/32', 'dev', 'lo', 'label', config['label']],
                       check=True, timeout=COMMAND_TIMEOUT)

    @staticmethod
    def delete(config, vip):
        import subprocess
        family, prefix = ('-6', '/128') if ':' in vip else ('-4', '/32')
        res = subprocess.run(['ip', family, 'address', 'del', vip + prefix, 'dev', 'lo'], check=False,
                             stderr=subprocess.PIPE, universal_newlines=True, timeout=COMMAND_TIMEOUT)
        # already gone (someone else withdrew it, e.g. the keepalived-stopping hook): done, not an error - iproute2
        # of Debian 12 says "Cannot assign requested address", that of Debian 13 "Error: ipv4: Address not found."
        if res.returncode != 0 and not any(gone in res.stderr.lower() for gone in ADDRESS_GONE):
            raise OSError('ip address del %s: %s' % (vip, res.stderr.strip()))
        if ':' in vip:
            try:
                Host._record_ipv6(config, vip, False)
            except OSError as exc:
                # the address is gone; a stale entry only makes a later withdrawal try it again
                log('%s removed, but %s not updated: %s' % (vip, IPV6_ADDED, exc))

    @staticmethod
    def withdraw_everything(config):
        """Fail-safe withdrawal with plain `ip` calls (the reconciler's view is not trusted): remove every address
        on lo that carries the label or is a VIP of `config` (/32). When lo cannot be listed, flush the label and
        delete every VIP blindly. Returns the addresses removed (None: unknown, blind) and the errors."""
        import subprocess
        errors = []
        vips = set(config['vips']) | Host.ipv6_ours(config)
        try:
            targets = parse_withdraw_targets(Host.lo_addresses(), config['label'], vips)
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            errors.append('ip address show: %s' % exc)
            targets = None
        for vip in sorted(targets if targets is not None else vips):
            try:
                Host.delete(config, vip)
            except (OSError, subprocess.SubprocessError) as exc:
                errors.append(str(exc))
        if targets is None:
            try:
                subprocess.run(['ip', '-4', 'address', 'flush', 'dev', 'lo', 'label', config['label']], check=True,
                               timeout=COMMAND_TIMEOUT)
            except (OSError, subprocess.SubprocessError) as exc:
                errors.append('ip address flush label %s: %s' % (config['label'], exc))
        return targets, errors

    @staticmethod
    def write_status(config, status):
        import json
        write_atomic(os.path.join(config['state_dir'], 'status.json'), json.dumps(status, indent=1, sort_keys=True))
