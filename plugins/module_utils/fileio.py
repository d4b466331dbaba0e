# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files the host programs of ecmp.lvs write (standard library only): ``ecmp-lvs-metrics`` (module_utils/lvs_metrics.py)
and the director's ``ecmp-lvs-announce`` (roles/director/files/ecmp_lvs_announce), both installed with this file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os


def write_atomic(path, text, mode=0o644):
    """Replace ``path`` by a file holding ``text`` with ``mode`` (whatever the umask: keepalived runs its scripts
    with 077), written to a hidden temporary file in the same directory, fsynced and renamed over it: a reader
    (node_exporter, the announce service) never sees a half-written file. On any error the temporary file is removed
    and the error raised (a full /run keeps no half-written leftovers)."""
    directory = os.path.dirname(path) or '.'
    tmp = os.path.join(directory, '.%s.%d.tmp' % (os.path.basename(path), os.getpid()))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        try:
            os.fchmod(fd, mode)
            data = text.encode('utf-8')
            if os.write(fd, data) != len(data):
                raise OSError('short write to %s' % tmp)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
