# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The other sub-commands: keepalived-stop, withdraw-all, status, check-config, keepalived-config-test, drain |
undrain."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# the standard modules other than os, sys and time are imported where they are used (see the package: start-up time)
# pylint: disable=import-outside-toplevel
import os
import sys
import time

from .config import DEFAULTS, LABEL, STOPPING, is_vip, load_config
from .host import Host, fsync_dir, log, process_stat, read_file, read_status, write_atomic


def cmd_keepalived_stop(args):
    """ExecStop of keepalived.service (drop-in): withdraw the health-gated VIPs before keepalived removes its
    IPVS services, so that the routers stop sending first; then wait stop_delay seconds."""
    config = load_config(read_file(args.config))
    gated = set(vip for vip, keys in config['vips'].items() if keys and config['require_quorum'])
    announced = sorted(Host.present(config) & gated)
    # withdraw first: nothing written before (a full /run must not keep the VIPs announced)
    errors = withdraw_each(config, announced)
    stat = process_stat(args.pid)
    if stat is not None:
        try:
            write_atomic(os.path.join(config['state_dir'], STOPPING), '%d %d\n' % (args.pid, stat[2]))
        except OSError as exc:
            errors.append('marker %s not written: %s' % (STOPPING, exc))
        # the service may have re-added a VIP between the withdrawal and the marker (a resync): once more
        withdraw_each(config, announced)
    log('keepalived stopping: %s withdrawn; waiting %g s before IPVS goes%s'
        % (', '.join(announced) or 'nothing', config['stop_delay'], '; errors: ' + '; '.join(errors) if errors else ''))
    if announced:
        time.sleep(config['stop_delay'])
    return 0


def withdraw_each(config, vips):
    """Host.delete of each of `vips` (already gone: no error); returns the errors (the others are still tried)."""
    import subprocess
    errors = []
    for vip in vips:
        try:
            Host.delete(config, vip)
        except (OSError, subprocess.SubprocessError) as exc:
            errors.append(str(exc))
    return errors


def drain_intent_file(config):
    """playbooks/drain.yml writes this file on a director it is about to drain and removes it after the drain flag
    is set: another drain sees the drain in progress (the program itself ignores it)."""
    return os.path.join(os.path.dirname(config['drain_file']), 'draining')


def drain_intent_age(config, now=None):
    """Seconds since the drain intent was written (a regular file, links not followed), None without one."""
    import stat
    try:
        st = os.lstat(drain_intent_file(config))
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return round(max(0.0, (time.time() if now is None else now) - st.st_mtime), 1)


def cmd_status(args):
    import json
    config = load_config(read_file(args.config))
    status = read_status(config) or {'error': 'ecmp-lvs-announce.service is not running'}
    status['present'] = sorted(Host.present(config))
    status['drain_file'] = config['drain_file']
    status['drained'] = os.path.exists(config['drain_file'])
    status['drain_intent_file'] = drain_intent_file(config)
    status['drain_intent_age'] = drain_intent_age(config)
    print(json.dumps(status, indent=1, sort_keys=True))
    return 0 if 'error' not in status else 1


def withdraw_config(path):
    """The configuration for `withdraw-all`, read leniently (it must work when nothing else does): the label and
    the VIPs of the file when it can be read (the ones that are addresses), the defaults otherwise."""
    import json
    config = dict(DEFAULTS, vips={})
    try:
        data = json.loads(read_file(path))
    except (OSError, ValueError) as exc:
        log('withdraw-all: %s unreadable (%s): every address with label %s goes' % (path, exc, LABEL))
        return config
    if isinstance(data, dict):
        if isinstance(data.get('label'), str) and data['label'].strip():
            config['label'] = data['label']
        if isinstance(data.get('vips'), dict):
            config['vips'] = dict((vip, []) for vip in data['vips'] if is_vip(vip))
        if isinstance(data.get('state_dir'), str) and data['state_dir'].startswith('/'):
            config['state_dir'] = data['state_dir']
    return config


def cmd_withdraw_all(args):
    """ExecStopPost of ecmp-lvs-announce.service (every stop, crash, watchdog kill, start limit): remove every
    VIP address from lo (Host.withdraw_everything), so a service that is not running announces nothing."""
    config = withdraw_config(args.config)
    removed, errors = Host.withdraw_everything(config)
    if removed is None:
        log('withdraw-all: lo not listed; flushed label %s and deleted %s' % (
            config['label'], ', '.join(sorted(config['vips'])) or 'no VIP'))
    else:
        log('withdraw-all: %s withdrawn' % (', '.join(removed) or 'nothing'))
    for error in errors:
        print('ecmp-lvs-announce: withdraw-all: %s' % error, file=sys.stderr)
    return 1 if errors else 0


def cmd_check_config(args):
    config = load_config(read_file(args.config))
    gated = sum(len(k) for k in config['vips'].values())
    print('%s: %d VIP(s), %d health-gated service(s)' % (args.config, len(config['vips']), gated))
    return 0


def config_for_test(text):
    """keepalived.conf text -> the same with every `script_user` set to root and the user of every quorum_up /
    quorum_down script removed (they run as root then; see cmd_keepalived_config_test)."""
    lines = []
    for line in text.splitlines(True):
        words = line.split()
        indent = line[:len(line) - len(line.lstrip())]
        if words[:1] == ['script_user']:
            line = indent + 'script_user root\n'
        elif words[:1] in (['quorum_up'], ['quorum_down']) and line.count('"') >= 2:
            line = line[:line.rindex('"') + 1] + '\n'
        lines.append(line)
    return ''.join(lines)


def cmd_keepalived_config_test(args):
    """`keepalived --config-test` of keepalived.conf as the role's template validation.

    keepalived 2.2.7 (Debian 12) kills its own process group at the end of --config-test when a script runs as a
    non-root script_user (keepalived issue #2617, fixed in 2.2.8): the test runs on a copy with `script_user root`
    (everything else identical) in its own session."""
    import subprocess
    import tempfile
    with tempfile.NamedTemporaryFile('w', prefix='keepalived-test-', suffix='.conf', delete=False) as handle:
        handle.write(config_for_test(read_file(args.file)))
    try:
        res = subprocess.run(['keepalived', '--config-test', '-f', handle.name], start_new_session=True, check=False,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    finally:
        os.unlink(handle.name)
    sys.stdout.write(res.stdout.replace(handle.name, args.file))
    if res.returncode < 0:
        print('keepalived --config-test was killed by signal %d' % -res.returncode)
        return 1
    return res.returncode


def cmd_drain(args):
    config = load_config(read_file(args.config))
    path = config['drain_file']
    if args.command == 'drain':
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_atomic(path, 'drained by ecmp-lvs-announce drain\n')
            fsync_dir(os.path.dirname(path))
            print('drained (%s)' % path)
        else:
            print('already drained (%s)' % path)
    elif os.path.exists(path):
        os.unlink(path)
        fsync_dir(os.path.dirname(path))
        print('undrained (%s removed)' % path)
    else:
        print('not drained')
    return 0
