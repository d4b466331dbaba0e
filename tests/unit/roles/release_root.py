# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a validation command of the roles with another Debian release's tools: in a root tree of that release.

The controller has the tools of its own release (FRR 8.4 and keepalived 2.2.7 on Debian 12). With
``ECMP_DEBIAN13_ROOT`` naming a Debian 13 root tree that holds frr and keepalived (the trixie lab image unpacked:
``tar -xf /var/cache/ecmp-lvs/rootfs-trixie-*.tar -C DIR``) and the tests running as root, the template tests also
check the rendered files with FRR 10.3 and keepalived 2.3.3, through ``chroot`` (nothing is started).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import subprocess
import tempfile

ENV = 'ECMP_DEBIAN13_ROOT'


def debian13_root():
    """The Debian 13 root of ``ECMP_DEBIAN13_ROOT``, None when it is not set, not a Debian 13 tree or not root."""
    root = os.environ.get(ENV)
    if not root or os.geteuid() != 0:
        return None
    try:
        with open(os.path.join(root, 'usr', 'lib', 'os-release'), encoding='utf-8') as handle:
            text = handle.read()
    except (IOError, OSError):
        return None
    return root if 'VERSION_ID="13"' in text else None


def checkers():
    """``[(name, root or None)]``: the controller itself, and Debian 13 when a root tree is given."""
    return [('controller', None)] + ([('debian13', debian13_root())] if debian13_root() else [])


def run(root, argv, files=()):
    """``argv`` on the controller (root None) or in ``root`` through chroot; ``files`` (paths in argv: files or
    directories) are copied into the tree first. Returns (rc, output) with the copies' paths replaced by the
    originals."""
    if root is None:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                              timeout=120, check=False, start_new_session=True)
        return proc.returncode, proc.stdout
    work = tempfile.mkdtemp(prefix='ecmp-check-', dir=os.path.join(root, 'tmp'))
    inside = '/tmp/' + os.path.basename(work)
    mapping = {}
    try:
        for path in files:
            path = str(path)
            (shutil.copytree if os.path.isdir(path) else shutil.copy)(path, os.path.join(work, os.path.basename(path)))
            mapping[path] = inside + '/' + os.path.basename(path)
        argv = [mapping.get(str(word), str(word)) for word in argv]
        proc = subprocess.run(['chroot', root] + argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=120, check=False, start_new_session=True,
                              env={'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'LANG': 'C.UTF-8'})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = proc.stdout
    for path, copy in mapping.items():
        out = out.replace(copy, path)
    return proc.returncode, out
