# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions behind ecmp.lvs.sysctl_state: key/value normalisation, drop-in rendering and parsing.

Standard library only: this file runs on managed hosts.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

PROC_SYS = '/proc/sys'
MODULE_NAME = 'ecmp.lvs.sysctl_state'

# Directories read by systemd-sysctl and `sysctl --system`, and the legacy file applied last.
SYSCTL_DIRS = ('/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d')
SYSCTL_CONF = '/etc/sysctl.conf'

_BAD_KEY_CHARS = re.compile(r'[\s=#;\\]')


class SysctlError(ValueError):
    """Raised on invalid keys or values."""


def _text(value):
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    return u'%s' % value


def normalize_key(key):
    """Return the canonical (dotted) form of a sysctl key, as sysctl(8) and sysctl.d(5) print it.

    ``net.ipv4.conf.eth0/100.arp_ignore`` (dotted, ``/`` inside a component stands for a dot, e.g. a
    vlan interface ``eth0.100``) and ``net/ipv4/conf/eth0.100/arp_ignore`` (path form) are the same key;
    both normalise to the dotted form. Same rule as sysctl.d(5): when the first separator is a ``/`` the
    key is a path and its dots are literal.
    """
    text = _text(key).strip()
    if not text:
        raise SysctlError('empty sysctl key')
    if _BAD_KEY_CHARS.search(text):
        raise SysctlError('invalid sysctl key %r: whitespace, "=", "#", ";" and "\\" are not allowed' % text)
    first_dot, first_slash = text.find('.'), text.find('/')
    if first_slash != -1 and (first_dot == -1 or first_slash < first_dot):
        text = text.lstrip('/')
        parts = text.split('/')
    else:
        parts = text.split('.')
        parts = [p.replace('/', '.') for p in parts]
    if any(p in ('', '.', '..') for p in parts):
        raise SysctlError('invalid sysctl key %r' % _text(key).strip())
    return '.'.join(p.replace('.', '/') for p in parts)


def key_to_relpath(key):
    """Path of a (canonical) key relative to /proc/sys: dots and slashes swapped."""
    canonical = normalize_key(key)
    return '/'.join(p.replace('/', '.') for p in canonical.split('.'))


def key_to_path(key, proc_sys=PROC_SYS):
    return os.path.join(proc_sys, key_to_relpath(key))


def format_value(value):
    """Render a settings value as written to /proc/sys and to the drop-in.

    bool -> 1/0, int -> decimal, str -> whitespace collapsed to single spaces (multi-value keys such as
    ``net.ipv4.tcp_rmem`` may be given as ``"4096 87380 6291456"``).
    """
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, int):
        return '%d' % value
    if isinstance(value, float):
        raise SysctlError('float value %r is not supported: sysctls take integers or strings' % value)
    if isinstance(value, (list, tuple)):
        return ' '.join(format_value(v) for v in value)
    if value is None:
        raise SysctlError('missing value')
    text = _text(value)
    if '\n' in text or '\r' in text:
        raise SysctlError('value %r contains a newline' % text)
    return ' '.join(text.split())


def normalize_live(text):
    """Normalise what the kernel returns (tabs between fields, trailing newline)."""
    return ' '.join(_text(text).split())


def _token_equal(a, b):
    if a == b:
        return True
    try:
        return int(a, 0) == int(b, 0)
    except ValueError:
        try:
            return int(a) == int(b)
        except ValueError:
            return False


def values_equal(live, desired):
    """Compare a live value with a desired one field by field (``01`` == ``1``, tabs == spaces)."""
    live_fields = normalize_live(live).split()
    desired_fields = normalize_live(desired).split()
    if len(live_fields) != len(desired_fields):
        return False
    return all(_token_equal(a, b) for a, b in zip(live_fields, desired_fields))


def normalize_settings(settings):
    """Return ``{canonical_key: value_string}``; raise on duplicates after normalisation."""
    result = {}
    origin = {}
    for key, value in (settings or {}).items():
        canonical = normalize_key(key)
        if canonical in result:
            raise SysctlError('sysctl key %r is given twice (%r and %r)' % (canonical, origin[canonical], key))
        try:
            result[canonical] = format_value(value)
        except SysctlError as exc:
            raise SysctlError('%s: %s' % (canonical, exc))
        origin[canonical] = key
    return result


def render_file(settings, module_name=MODULE_NAME):
    """Render the whole drop-in deterministically (header + sorted ``key = value`` lines)."""
    lines = [
        '# Managed by %s (Ansible). Do not edit: the whole file is rewritten.' % module_name,
        '# Keys removed from the managed settings are removed from this file.',
    ]
    for key in sorted(settings):
        lines.append('%s = %s' % (key, settings[key]))
    return '\n'.join(lines) + '\n'


def parse_file(text):
    """Parse sysctl.d content into ``{canonical_key: value}`` (later lines win, like sysctl.d(5)).

    Comments (``#``, ``;``), blank lines and the ignore-failure prefix ``-`` are handled; lines that
    are not ``key = value`` are ignored.
    """
    result = {}
    for line in _text(text).splitlines():
        line = line.strip()
        if not line or line[0] in '#;':
            continue
        if '=' not in line:
            continue
        key, value = line.split('=', 1)
        key = key.strip().lstrip('-')
        try:
            result[normalize_key(key)] = ' '.join(value.split())
        except SysctlError:
            continue
    return result


def render_values(values):
    """Render ``{key: value}`` as sorted ``key = value`` lines (used for the live-value diff)."""
    return ''.join('%s = %s\n' % (key, values[key]) for key in sorted(values))


def find_overrides(own_path, settings, files):
    """Find later sysctl.d files (or /etc/sysctl.conf) that set one of our keys to another value.

    ``files``: ``{path: content}`` of the other configuration files. Only meaningful when ``own_path`` is
    in one of SYSCTL_DIRS. Files sort by basename across directories (sysctl.d(5)); /etc/sysctl.conf
    is applied last by ``sysctl --system``. Returns sorted ``[(path, key, value)]``.
    """
    if os.path.dirname(own_path) not in SYSCTL_DIRS:
        return []
    own_name = os.path.basename(own_path)
    overrides = []
    for path, content in files.items():
        if path == own_path:
            continue
        name = os.path.basename(path)
        if path != SYSCTL_CONF and name <= own_name:
            continue
        for key, value in parse_file(content).items():
            if key in settings and not values_equal(value, settings[key]):
                overrides.append((path, key, value))
    return sorted(overrides)


def readonly_message(key, path, error):
    """Actionable error for a read-only or write-protected /proc/sys."""
    return (
        'cannot write sysctl %s (%s): %s. /proc/sys is read-only here, which is the default inside '
        'containers. Options: give the container CAP_SYS_ADMIN and a read-write bind mount of /proc/sys/net '
        '(net.* sysctls are per network namespace), or set the value when the container is created '
        '(podman/docker run --sysctl %s=...), or run this module with apply=false to only write the '
        'drop-in file.' % (key, path, error, key)
    )


def missing_message(key, path):
    hint = ''
    parts = key.split('.')
    if len(parts) >= 4 and parts[0] == 'net' and parts[2] in ('conf', 'neigh'):
        hint = (' Is the interface %r present? Interface names containing dots (vlan eth0.100) are written '
                'with "/" in sysctl keys: %s.' % (parts[3].replace('/', '.'), 'net.ipv4.conf.eth0/100.arp_ignore'))
    return ('sysctl key %s does not exist (%s not found).%s Set ignore_missing=true to only persist it '
            'in the drop-in file.' % (key, path, hint))
