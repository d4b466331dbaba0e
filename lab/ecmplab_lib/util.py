# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small helpers shared by the lab tool: running commands, logging, parallel map."""

import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
VERBOSE = os.environ.get('ECMPLAB_VERBOSE', '') not in ('', '0')


class LabError(Exception):
    """A failure to report to the user without a traceback."""


# The lab runs as root and writes its names into ssh_config, network namespace and interface names, container
# names, kernel command lines and paths under .lab/: only these identifiers are accepted (a newline would add
# ssh_config lines, `../` would leave .lab/). Limits: a segment's bridge is br<index>-<segment> in the lab
# namespace, at most 15 characters (IFNAMSIZ - 1) with up to MAX_SEGMENTS segments; host names are the UML umid,
# the guest's host name and part of the container name <lab>-<host>; taps and veths use the host's index
# (t<index>.<n>, v<index>.<n>), never a name.
LAB_NAME_MAX = 32
HOST_NAME_MAX = 32
SEGMENT_NAME_MAX = 10
MAX_SEGMENTS = 100
# what the state directory may be called where it goes into ssh_config (IdentityFile, ControlPath): no
# whitespace, quote, `%` token or control character
_SSH_PATH_RE = re.compile(r'[A-Za-z0-9_./+@,=-]+')


def check_name(field, value, maxlen):
    """`value` when it is a lab identifier (a lower-case letter, then lower-case letters, digits and '-', at
    most `maxlen` characters), else LabError naming `field`."""
    if not isinstance(value, str) or not re.fullmatch(r'[a-z][a-z0-9-]{0,%d}' % (maxlen - 1), value):
        raise LabError('%s: %r is not accepted: use a lower-case letter, then lower-case letters, digits and "-", '
                       'at most %d characters' % (field, value, maxlen))
    return value


def check_ssh_path(field, path):
    """`path` when ssh_config can carry it verbatim, else LabError naming `field`."""
    if not isinstance(path, str) or not _SSH_PATH_RE.fullmatch(path):
        raise LabError('%s %r cannot be written into ssh_config: use only A-Z a-z 0-9 _ . / + @ , = -'
                       % (field, path))
    return path


def inside(path, root):
    """True when `path`, all links resolved, is `root` (resolved) or below it."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return os.path.commonpath([real_root, real]) == real_root


def safe_rmtree(path, root):
    """Remove the directory `path` only if it is itself no symlink and resolves to a directory strictly inside
    `root`; LabError otherwise (nothing is removed)."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.islink(path) or real == real_root or not inside(path, root):
        raise LabError('refusing to remove %s: it resolves to %s, which is not a directory inside %s'
                       % (path, real, real_root))
    if os.path.isdir(real):
        shutil.rmtree(real)


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


def process_args(pid):
    """argv of a running process (from /proc/<pid>/cmdline), [] if it is gone or unreadable."""
    try:
        with open('/proc/%d/cmdline' % int(pid), 'rb') as fd:
            raw = fd.read()
    except (OSError, ValueError, TypeError):
        return []
    if not raw:
        return []
    return [arg.decode('utf-8', 'replace') for arg in raw.rstrip(b'\0').split(b'\0')]


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
