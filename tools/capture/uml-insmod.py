#!/usr/bin/env python
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load kernel modules with their dependencies (from modules.dep) via finit_module(2).

Used inside the throw-away UML guest, whose root is the host tree, where kmod (insmod/modprobe) may be
absent.  usage: uml-insmod.py MODULE_DIR NAME [NAME...]     e.g. /usr/lib/uml/modules/6.1.176 ip_vs ip_vs_mh
"""
import ctypes
import errno
import os
import sys

SYS_FINIT_MODULE = 313  # x86_64


def main():
    moddir, names = sys.argv[1], sys.argv[2:]
    deps = {}
    with open(os.path.join(moddir, 'modules.dep')) as f:
        for line in f:
            mod, _sep, rest = line.partition(':')
            deps[os.path.basename(mod)[:-3].replace('-', '_')] = (mod, [
                os.path.basename(d)[:-3].replace('-', '_') for d in rest.split()])
    libc = ctypes.CDLL(None, use_errno=True)
    loaded = set()
    rc = 0

    def load(name):
        if name in loaded:
            return 0
        path, requires = deps[name]
        for dep in reversed(requires):  # modules.dep lists the deepest dependency last
            load(dep)
        fd = os.open(os.path.join(moddir, path), os.O_RDONLY)
        try:
            if libc.syscall(SYS_FINIT_MODULE, fd, b'', 0) != 0:
                err = ctypes.get_errno()
                if err != errno.EEXIST:
                    print('%s: %s' % (name, os.strerror(err)), file=sys.stderr)
                    return 1
        finally:
            os.close(fd)
        loaded.add(name)
        return 0

    for name in names:
        rc |= load(name.replace('-', '_'))
    return rc


if __name__ == '__main__':
    sys.exit(main())
