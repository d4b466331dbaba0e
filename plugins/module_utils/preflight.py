# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions behind ecmp.lvs.preflight: output parsers, version comparison and the failure messages.

Every failure message names the check, the offending value and the fix; the module prefixes the host.
Standard library only: this file runs on managed hosts.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

MODULE_NAME = 'ecmp.lvs.preflight'

# The oldest FRR whose configuration dialect the frr.conf templates use (see FRR_MIN_VERSION_REASON).
FRR_MIN_VERSION = '8.2'
FRR_MIN_VERSION_REASON = (
    'the frr.conf templates are written in the dialect of FRR >= 8.2 (an explicit "exit" closes every node, '
    'as `show running-config` prints it since 8.2, so frr-reload.py sees no spurious difference), and use '
    'BFD profiles on OSPF interfaces and BGP peer groups (>= 7.5) and `ip protocol ... route-map`')
# Where FRR installs its daemons and frr-reload.py (sbindir): Debian/Ubuntu, RHEL/Fedora, source builds.
FRR_DIRS = ('/usr/lib/frr', '/usr/libexec/frr', '/usr/sbin', '/usr/local/sbin')

# The platforms the roles are written for and tested on (Molecule, lab): os-release ID and the major VERSION_ID,
# with the Debian code name the messages name. Anything else is refused before the role changes anything.
SUPPORTED_PLATFORMS = ('debian-12', 'debian-13')
PLATFORM_NAMES = {'debian-12': 'Debian 12 (bookworm)', 'debian-13': 'Debian 13 (trixie)'}
# Where os-release(5) lives: /etc/os-release, else /usr/lib/os-release.
OS_RELEASE_PATHS = ('/etc/os-release', '/usr/lib/os-release')

# Names in interface lists that are sysctl pseudo-interfaces, not links.
PSEUDO_INTERFACES = ('all', 'default')

_ZEBRA_VERSION = re.compile(r'^\s*zebra\s+version\s+(\S+)', re.M)
_IPVS_VERSION = re.compile(r'^IP Virtual Server version (\S+)')
_INSMOD = re.compile(r'^insmod\s+(\S+)', re.M)
_BUILTIN = re.compile(r'^builtin\s+(\S+)', re.M)
_SYSCTL_IFACE = re.compile(r'^net\.ipv[46]\.(?:conf|neigh)\.([^.]+)\.')
# frr.conf lines that carry a secret: OSPF MD5 / simple keys, OSPFv3 keys, BGP and LDP/RIP passwords.
_DAEMON_LINE = re.compile(r'^\s*([a-z0-9]+d)\s*=\s*(\S+)')
_BGP_INSTANCE = re.compile(r'^router bgp (\d+)\s*$', re.M)
_FRR_SECRET = re.compile(r'\b(?:message-digest-key|authentication-key|password|key-id\s+\d+.*\bkey)\b')


def _text(value):
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    return u'%s' % (value,)


def parse_os_release(text):
    """os-release(5) text -> {KEY: value} (shell-style quotes and backslash escapes removed, comments skipped)."""
    fields = {}
    for line in _text(text).splitlines():
        line = line.strip()
        if not line or line.startswith('#') or '=' not in line:
            continue
        key, value = line.split('=', 1)
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in ('"', "'"):
            value = value[1:-1]
            if line.split('=', 1)[1].strip()[0] == '"':
                value = re.sub(r'\\([\\$"`])', r'\1', value)
        fields[key] = value
    return fields


def platform_of(fields):
    """os-release fields -> (platform key ``"debian-13"`` or None without a VERSION_ID, human name)."""
    os_id = (fields.get('ID') or 'linux').lower()
    version = fields.get('VERSION_ID') or ''
    name = fields.get('PRETTY_NAME') or ('%s %s' % (fields.get('NAME') or os_id, version)).strip()
    major = version.split('.', 1)[0]
    return ('%s-%s' % (os_id, major) if major else None), name


def check_platform(fields, supported=SUPPORTED_PLATFORMS):
    """None when the os-release ``fields`` name a platform of ``supported``, else the failure message."""
    key, name = platform_of(fields)
    if key in supported:
        return None
    return msg_platform_unsupported(name, key, fields, supported)


def parse_zebra_version(text):
    """``zebra --version`` output -> the version string (``"8.4.4"``), None when it is not there."""
    match = _ZEBRA_VERSION.search(_text(text))
    return match.group(1) if match else None


def config_has_secrets(text):
    """True when an frr.conf (comments ignored) holds an authentication key or password."""
    for line in _text(text).splitlines():
        line = line.strip()
        if line and not line.startswith('!') and _FRR_SECRET.search(line):
            return True
    return False


def enabled_daemons(text):
    """The daemons an FRR ``/etc/frr/daemons`` file enables (``ospfd=yes``), as a set."""
    enabled = set()
    for line in _text(text).splitlines():
        match = _DAEMON_LINE.match(line)
        if match and match.group(2).strip('"\'').lower() == 'yes':
            enabled.add(match.group(1))
    return enabled


def bgp_instances(text):
    """The AS numbers of the default-VRF ``router bgp <asn>`` nodes of an frr.conf, as a set of strings."""
    return set(match.group(1) for match in _BGP_INSTANCE.finditer(_text(text)))


def version_tuple(version):
    """``"8.4.4"`` -> (8, 4, 4); ``"9.1-dev"`` / ``"8.4.4-1.1~deb12u2"`` -> the leading numeric fields."""
    fields = []
    for part in re.split(r'[.]', _text(version).strip()):
        match = re.match(r'^(\d+)', part)
        if not match:
            break
        fields.append(int(match.group(1)))
        if match.group(1) != part:
            break
    if not fields:
        raise ValueError('not a version: %r' % (version,))
    return tuple(fields)


def version_at_least(version, minimum):
    """True when ``version`` >= ``minimum`` (missing trailing fields count as 0: 8.2 == 8.2.0)."""
    have, want = list(version_tuple(version)), list(version_tuple(minimum))
    width = max(len(have), len(want))
    have += [0] * (width - len(have))
    want += [0] * (width - len(want))
    return have >= want


def parse_ipvs_version(text):
    """First line of /proc/net/ip_vs (``IP Virtual Server version 1.2.1 (size=4096)``) -> ``"1.2.1"``."""
    match = _IPVS_VERSION.match(_text(text).lstrip())
    return match.group(1) if match else None


def modprobe_inserted(stdout):
    """Module names ``modprobe --verbose`` (or ``--dry-run --verbose``) inserted / would insert, in order.

    Nothing is printed for a module already loaded; ``builtin NAME`` lines are not insertions.
    """
    names = []
    for path in _INSMOD.findall(_text(stdout)):
        name = path.rsplit('/', 1)[-1]
        for suffix in ('.ko.zst', '.ko.xz', '.ko.gz', '.ko'):
            if name.endswith(suffix):
                name = name[:-len(suffix)]
                break
        names.append(name.replace('-', '_'))
    return names


def modprobe_builtin(stdout):
    return _BUILTIN.findall(_text(stdout))


def sysctl_interface(key):
    """The interface a per-interface sysctl key names (``net.ipv4.conf.eth0/100.rp_filter`` -> ``eth0.100``).

    None for other keys and for the pseudo-interfaces ``all`` and ``default``.
    """
    match = _SYSCTL_IFACE.match(key)
    if not match:
        return None
    name = match.group(1).replace('/', '.')
    return None if name in PSEUDO_INTERFACES else name


def interface_sources(spec):
    """``{source: name | [names]}`` (e.g. ``{director_arp_interfaces: [eth1, all]}``) -> ``{name: [sources]}``.

    Pseudo-interfaces (``all``, ``default``) and empty names are dropped; sources are kept in order.
    """
    result = {}
    for source in sorted(spec or {}):
        names = spec[source]
        if names is None:
            continue
        if not isinstance(names, (list, tuple)):
            names = [names]
        for name in names:
            name = _text(name).strip()
            if not name or name in PSEUDO_INTERFACES:
                continue
            result.setdefault(name, [])
            if source not in result[name]:
                result[name].append(source)
    return result


def ipvs_key(key):
    return key.startswith('net.ipv4.vs.')


# --- failure messages: "<check>: <what is wrong, with the value>. Fix: <what to do>" -------------------------

REHEARSAL_HINT = ('Only on a rehearsal host that must configure everything but IPVS (a container on a kernel '
                  'without IPVS): director_require_ipvs: false.')


def _platform_name(key):
    return PLATFORM_NAMES.get(key, key)


def msg_platform_unsupported(name, key, fields, supported):
    if fields.get('ID', '').lower() == 'debian' and key is None:
        what = ('%s has no VERSION_ID: a Debian testing or unstable system (codename %s), not a release'
                % (name, fields.get('VERSION_CODENAME') or 'unknown'))
    else:
        what = '%s (os-release ID=%s VERSION_ID=%s) is not supported' % (
            name, fields.get('ID') or '?', fields.get('VERSION_ID') or '?')
    return ('platform: %s. The ecmp.lvs roles support %s only (their packages, FRR and keepalived versions and '
            'templates are tested there). Fix: run the role on %s.'
            % (what, ' and '.join(_platform_name(k) for k in supported),
               ' or '.join(_platform_name(k) for k in supported)))


def msg_os_release_missing(paths):
    return ('platform: cannot read the operating system release (%s: none is readable), the ecmp.lvs roles '
            'support %s only. Fix: run the role on one of them (os-release is part of base-files).'
            % (', '.join(paths), ' and '.join(_platform_name(k) for k in SUPPORTED_PLATFORMS)))


def msg_modprobe_missing():
    return ('kernel_modules: modprobe is not installed, the scheduler modules cannot be loaded. '
            'Fix: install kmod (apt-get install kmod).')


def msg_module_failed(module, error):
    error = ' '.join(_text(error).split()) or 'modprobe failed'
    return ('kernel_modules: %s cannot be loaded (%s). Fix: a director needs a kernel with '
            'CONFIG_IP_VS and the module of every scheduler in use (ip_vs_<scheduler>, as a module or built '
            'in); a container shares the host kernel, so load it on the host (modprobe %s) or run the '
            'director on a VM or bare metal. %s' % (module, error, module, REHEARSAL_HINT))


def msg_no_ipvs(path):
    return ('ipvs: the running kernel has no IPVS (%s is missing). Fix: a kernel with CONFIG_IP_VS (Debian '
            'kernels have it as the module ip_vs: modprobe ip_vs); a container shares the host kernel, so '
            'load ip_vs on the host first. %s' % (path, REHEARSAL_HINT))


def msg_frr_missing(dirs):
    return ('frr: FRR is not installed (no zebra in %s). Fix: install the packages frr and frr-pythontools '
            '(FRR >= %s) from the distribution or deb.frrouting.org.' % (', '.join(dirs), FRR_MIN_VERSION))


def msg_frr_unreadable(zebra, output):
    return ('frr: cannot read the FRR version (%s --version printed %r). Fix: repair the FRR installation '
            '(apt-get install --reinstall frr).' % (zebra, ' '.join(_text(output).split())[:200]))


def msg_frr_too_old(version, minimum, zebra):
    return ('frr: FRR %s is too old (%s --version), ecmp.lvs needs >= %s: %s. Fix: upgrade FRR (Debian 12 '
            'ships 8.4; older releases: the FRR project repository deb.frrouting.org), or lower the role '
            'variable router_frr_min_version / director_frr_min_version at your own risk.'
            % (version, zebra, minimum, FRR_MIN_VERSION_REASON))


def msg_frr_daemons_disabled(missing, path):
    return ('frr: %s does not enable %s, which the ecmp.lvs pieces of a shared FRR configuration need '
            '(router_frr_config: shared leaves that file to you). Fix: set %s there and restart FRR, or use '
            'router_frr_config: full.' % (path, ', '.join(missing), ', '.join('%s=yes' % d for d in missing)))


def msg_frr_bgp_asn(found, asn, path):
    return ('frr: %s runs BGP as AS %s, but the ecmp.lvs pieces would add "router bgp %s" (lvs_bgp_router_asn). '
            'FRR has one BGP instance per VRF. Fix: set lvs_bgp_router_asn: %s for this router.'
            % (path, ', '.join(sorted(found)), asn, sorted(found)[0]))


def msg_frr_daemons_unreadable(path, error):
    return ('frr: cannot read %s (%s): FRR is not installed or not set up, and router_frr_config: shared '
            'expects an FRR that is already configured. Fix: set up FRR first, or use router_frr_config: full.'
            % (path, error))


def msg_frr_part_missing(what, package):
    return ('frr: %s is missing, the roles validate and reload frr.conf with it. Fix: install the package %s '
            '(same version as frr).' % (what, package))


def msg_sysctls_readonly(changes, readonly_fs):
    """``changes``: sorted ``[(key, live, desired)]`` that need a write the kernel will refuse."""
    listing = ', '.join('%s (is %s, needs %s)' % (key, live, desired) for key, live, desired in changes)
    flags = ' '.join(('--sysctl "%s=%s"' if ' ' in desired else '--sysctl %s=%s') % (key, desired)
                     for key, dummy, desired in changes)
    why = ('/proc/sys is mounted read-only (Read-only file system), the default inside a container'
           if readonly_fs else 'no write permission on /proc/sys (an unprivileged container or user namespace)')
    return ('sysctls: cannot set %s: %s. Fix: set them when the container is created (podman/docker run %s), '
            'or give the container CAP_SYS_ADMIN with a read-write /proc/sys/net (net.* sysctls belong to the '
            'network namespace) or run it --privileged, or set them on the host with sysctl -w when the '
            'container shares the host network namespace.' % (listing, why, flags))


def msg_sysctl_missing(key, path):
    return ('sysctls: %s does not exist (%s not found). Fix: load the kernel module that provides it, or '
            'remove the key from the role\'s sysctl variables.' % (key, path))


def msg_interface_missing(name, sources, present):
    return ('interfaces: %s (named by %s) does not exist on this host (interfaces: %s). Fix: correct %s in '
            'the inventory (names as `ip link` prints them), or create the interface before the play.'
            % (name, ', '.join(sources), ', '.join(sorted(present)) or 'none', ' / '.join(sources)))


def render_failures(host, failures, loaded=()):
    """The module's failure message: every problem on its own line, each prefixed with the host."""
    done = ('kernel modules loaded: %s; nothing else was changed' % ', '.join(loaded)) if loaded else \
        'nothing was changed'
    return ('preflight failed on %s (%d problem%s, %s):\n%s'
            % (host, len(failures), '' if len(failures) == 1 else 's', done,
               '\n'.join('- %s: %s' % (host, failure) for failure in failures)))
