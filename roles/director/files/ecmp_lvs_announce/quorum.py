# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`quorum up|down KEY`: keepalived's quorum_up / quorum_down (run as the unprivileged script user). Imported alone on
that path (cli.main): keepalived runs it on every quorum change, its start-up time is part of the withdrawal delay."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# the standard modules other than os, sys and time are imported where they are used (see the package: start-up time)
# pylint: disable=import-outside-toplevel
import os
import sys
import time

from .config import AnnounceError, check_key
from .host import process_stat, read_record, write_atomic
from .records import format_record, merge_record, parse_record


def cmd_quorum(state, key, state_dir):
    """keepalived quorum_up / quorum_down: record the state of one service (as the script user)."""
    import fcntl
    check_key(key)
    now = time.monotonic()
    parent = process_stat(os.getppid())
    own = process_stat(os.getpid())
    if parent is None or own is None:
        raise AnnounceError('cannot read /proc of this process or of its parent')
    writer = [os.getppid(), parent[2]]
    seq = [own[2], os.getpid()]
    qdir = os.path.join(state_dir, 'quorum')
    path = os.path.join(qdir, key)
    try:
        with open(os.path.join(qdir, '.lock'), 'a') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            prev = parse_record(read_record(path))
            rec = merge_record(prev, state, now, writer, seq)
            if rec is not None:
                write_atomic(path, format_record(rec))
    except OSError as exc:
        return quorum_not_stored(path, state, exc)
    print('%s quorum %s%s' % (key, state, '' if rec is not None else ' (older than the stored report: ignored)'))
    return 0


def quorum_not_stored(path, state, exc):
    """A report that could not be stored (/run full, ...): a `down` removes the stored record (an unlink needs no
    space), so the service is judged from the IPVS table; an `up` leaves the previous record. Exit status 1."""
    removed = False
    if state == 'down':
        try:
            os.unlink(path)
            removed = True
        except FileNotFoundError:
            removed = True
        except OSError:
            pass
    print('ecmp-lvs-announce: quorum %s of %s not stored: %s%s' % (
        state, os.path.basename(path), exc, ' (stale record removed: judged from the IPVS table)' if removed else ''),
        file=sys.stderr)
    return 1
