# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The command line of ecmp-lvs-announce (the entry point /usr/local/sbin/ecmp-lvs-announce calls main())."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# the standard modules other than os, sys and time are imported where they are used (see the package: start-up time)
# pylint: disable=import-outside-toplevel
import sys

from . import __doc__ as PACKAGE_DOC
from .config import CONFIG, QUORUM, AnnounceError


def parser():
    import argparse
    top = argparse.ArgumentParser(prog='ecmp-lvs-announce', description=PACKAGE_DOC.split('\n\n', 1)[0])
    top.add_argument('--config', default=CONFIG, help='configuration file (default %(default)s)')
    sub = top.add_subparsers(dest='command')
    sub.required = True
    sub.add_parser('quorum', help='record a quorum report (keepalived quorum_up / quorum_down): runs %s '
                   'up|down KEY [--state-dir DIR]' % QUORUM)
    sub.add_parser('run', help='the reconciler (ecmp-lvs-announce.service)')
    sub.add_parser('status', help='JSON view of the reconciler')
    sub.add_parser('check-config', help='validate the configuration file')
    ktest = sub.add_parser('keepalived-config-test', help='keepalived --config-test FILE (script_user as root)')
    ktest.add_argument('file')
    stop = sub.add_parser('keepalived-stop', help='withdraw before keepalived stops (its ExecStop)')
    stop.add_argument('pid', type=int, help="keepalived's main pid ($MAINPID)")
    sub.add_parser('withdraw-all', help='remove every VIP address from lo (ExecStopPost of the service)')
    sub.add_parser('drain', help='set the persistent drain flag (withdraw every VIP)')
    sub.add_parser('undrain', help='clear the drain flag')
    wait_a = sub.add_parser('wait-announced', help='wait until every VIP is announced (or drained)')
    wait_a.add_argument('--timeout', type=float, default=60.0)
    wait_a.add_argument('--stable', type=float, default=0.0,
                        help='every VIP must stay announced this many seconds in a row (a withdrawal restarts it)')
    wait_a.add_argument('--once', action='store_true',
                        help='once per boot: return at once when an earlier --once call has ended since boot')
    wait_i = sub.add_parser('wait-idle', help='wait until the VIPs are withdrawn and IPVS receives no packets')
    wait_i.add_argument('--timeout', type=float, default=300.0)
    wait_i.add_argument('--quiet', type=float, default=5.0,
                        help='seconds without a new IPVS in-packet that count as idle (default %(default)s)')
    return top


def quorum_program():
    """ecmp-lvs-quorum as installed next to the package (tasks/announce.yml; in a checkout: roles/director/files)."""
    import os
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), QUORUM)


def exec_quorum(args):
    """`quorum up|down KEY [--state-dir DIR]`: replaced by ecmp-lvs-quorum (the same process: keepalived's checker
    stays the parent, the writer of the record)."""
    import os
    path = quorum_program()
    try:
        os.execv(path, [path] + list(args))
    except OSError as exc:
        print('ecmp-lvs-announce: cannot run %s: %s' % (path, exc), file=sys.stderr)
    return 2


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv[:1] == ['quorum']:
            # keepalived's path in the configurations of earlier versions: the reporter is the shell program
            # ecmp-lvs-quorum next to the package (it checks its arguments itself; no argparse: start-up time)
            return exec_quorum(argv[1:])
        args = parser().parse_args(argv)
        from . import commands, runner, waits
        handlers = {'run': runner.cmd_run, 'status': commands.cmd_status, 'check-config': commands.cmd_check_config,
                    'keepalived-config-test': commands.cmd_keepalived_config_test, 'drain': commands.cmd_drain,
                    'undrain': commands.cmd_drain, 'wait-announced': waits.cmd_wait_announced,
                    'wait-idle': waits.cmd_wait_idle, 'keepalived-stop': commands.cmd_keepalived_stop,
                    'withdraw-all': commands.cmd_withdraw_all}
        return handlers[args.command](args)
    except AnnounceError as exc:
        print('ecmp-lvs-announce: %s' % exc, file=sys.stderr)
        return 2
    except PermissionError as exc:
        print('ecmp-lvs-announce: %s (run as root, or as the keepalived script_user for quorum)' % exc,
              file=sys.stderr)
        return 2
