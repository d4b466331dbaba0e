# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small helpers shared by the lab tool: running commands, logging, parallel map."""

import concurrent.futures
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
VERBOSE = os.environ.get('ECMPLAB_VERBOSE', '') not in ('', '0')


class LabError(Exception):
    """A failure to report to the user without a traceback."""


def log(msg):
    print('ecmplab: %s' % msg, file=sys.stderr, flush=True)


def run(cmd, check=True, capture=True, input_text=None, timeout=None, env=None, quiet=False):
    """Run argv `cmd`; return CompletedProcess (text). Raise LabError on failure when `check`."""
    if VERBOSE:
        log('+ %s' % ' '.join(cmd))
    try:
        res = subprocess.run(cmd, input=input_text, text=True, timeout=timeout, env=env,
                             stdout=subprocess.PIPE if capture else None,
                             stderr=subprocess.PIPE if capture else None,
                             stdin=None if input_text is not None else subprocess.DEVNULL,
                             check=False)
    except FileNotFoundError as exc:
        raise LabError('command not found: %s (run `make deps`)' % cmd[0]) from exc
    except subprocess.TimeoutExpired as exc:
        raise LabError('%s timed out after %ss' % (' '.join(cmd), timeout)) from exc
    if check and res.returncode != 0:
        detail = (res.stderr or res.stdout or '').strip() if capture else ''
        if quiet:
            raise LabError('%s failed (rc=%d)' % (' '.join(cmd), res.returncode))
        raise LabError('%s failed (rc=%d): %s' % (' '.join(cmd), res.returncode, detail))
    return res


def parallel(func, items, workers=8):
    """Apply func to every item in threads; re-raise the first exception; return results in order."""
    items = list(items)
    if not items:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(func, items))


def wait_for(pred, timeout, interval=0.2, what='condition'):
    """Poll pred() until it returns a true value (returned) or timeout seconds pass (LabError)."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise LabError('timed out after %ds waiting for %s' % (timeout, what))
        time.sleep(interval)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
