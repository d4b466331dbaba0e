# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""keepalived's quorum records (written by the shell program files/ecmp-lvs-quorum, read by the reconciler) and
their stand-ins from the IPVS table (pure: the files are read by host.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# the standard modules other than os, sys and time are imported where they are used (see the package: start-up time)
# pylint: disable=import-outside-toplevel
from .config import kernel_keys


# a quorum record is one short line: anything longer is not a record (and is never read further)
RECORD_MAX = 4096
# pids in a record: 1 .. PID_MAX_LIMIT (4194304, 2^22) of Linux
PID_MAX = 1 << 22
# the words of a record: state at writer_pid writer_start seq_start seq_pid
RECORD_FIELDS = 6


def now():
    """The clock of the records' times: CLOCK_BOOTTIME seconds - ecmp-lvs-quorum reads it from /proc/uptime (a shell
    program has no CLOCK_MONOTONIC); the reconciler's clock too (tests give it a fake one)."""
    import time
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def parse_record(text):
    """A stored quorum record -> dict, or None when unreadable (treated as no report).

    Strict: a finite time >= 0 (CLOCK_BOOTTIME, see now()), pids within 1 .. PID_MAX, start times >= 0; ASCII digits only."""
    import math
    words = (text or '').split()
    if len(words) != RECORD_FIELDS or words[0] not in ('up', 'down') or not all(w.isascii() for w in words):
        return None
    try:
        at = float(words[1])
        nums = [int(w) for w in words[2:]]
    except ValueError:
        return None
    if not math.isfinite(at) or at < 0 or not all(n >= 0 for n in nums) or \
            not (0 < nums[0] <= PID_MAX and 0 < nums[3] <= PID_MAX):
        return None
    return {'state': words[0], 'at': at, 'writer': nums[0:2], 'seq': nums[2:4]}


def kernel_record(prev, key, quorum, weights, now, members=None):
    """The stand-in record of a service keepalived has not reported on, from the IPVS table's weights.

    prev: the previous stand-in (keeps the time quorum was first seen, so the hold-down applies); members: the
    `members` of the configuration (a group is up when every IPVS service of it has quorum)."""
    entries = kernel_keys(key, members or {})
    up = bool(entries) and all(weights.get(entry, -1) >= max(quorum, 1) for entry in entries)
    state = 'up' if up else 'down'
    if prev is not None and prev['state'] == state:
        return prev
    return {'state': state, 'at': now, 'writer': None, 'seq': None, 'source': 'ipvs'}


def cross_check(rec, kernel_state, kernel_down_at):
    """keepalived's record of a service checked against the IPVS table (kernel_state: 'up' | 'down', see
    kernel_record; kernel_down_at: when the table last showed it below quorum, or None).

    An `up` record is not believed while the table is below quorum (a quorum_down that could not be stored, e.g.
    /run full, must still withdraw): it is returned marked `kernel: down`. After such a time the hold-down counts
    from the last time the table was below quorum. A `down` record stays down whatever the table says."""
    if rec['state'] != 'up':
        return rec
    if kernel_state != 'up':
        return dict(rec, kernel='down')
    if kernel_down_at is not None and kernel_down_at > rec['at']:
        return dict(rec, at=kernel_down_at)
    return rec
