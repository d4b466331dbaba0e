# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The configuration of ecmp-lvs-announce (announce.json), the installation's paths and the service keys."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# the standard modules other than os, sys and time are imported where they are used (see the package: start-up time)
# pylint: disable=import-outside-toplevel

CONFIG = '/etc/ecmp-lvs/announce.json'
STATE_DIR = '/run/ecmp-lvs'
# keepalived's quorum_up / quorum_down reporter (a shell program: files/ecmp-lvs-quorum), installed next to the package
QUORUM = 'ecmp-lvs-quorum'
# left by `wait-announced --once` in the state directory (see cmd_wait_announced)
ONCE_MARKER = 'waited-once'
DRAIN_FILE = '/var/lib/ecmp-lvs/drained'
KEEPALIVED_PIDFILE = '/run/keepalived.pid'
LABEL = 'lo:lvs'
# marker written by `keepalived-stop` (ExecStop of keepalived.service): "pid starttime" of the keepalived
# being stopped
STOPPING = 'keepalived-stopping'

DEFAULTS = {
    'holddown': 5.0,
    'interval': 1.0,
    'resync': 5.0,
    'label': LABEL,
    'require_quorum': True,
    'state_dir': STATE_DIR,
    'drain_file': DRAIN_FILE,
    'keepalived_pidfile': KEEPALIVED_PIDFILE,
    'stop_delay': 1.0,
    'vips': {},
    # {key: quorum (minimum total weight of healthy real servers)}: a service without a report from keepalived
    # (its quorum commands were added by a reload, which runs none) is judged from the IPVS table instead
    'quorum': {},
    # keepalived's script_user: the quorum records must be regular files owned by it (or by root)
    'script_user': 'keepalived_script',
    # {group:NAME: [proto:vip:port of each VIP]}: the IPVS services of a keepalived virtual_server_group (its
    # stand-in record from the IPVS table needs quorum on every one of them)
    'members': {},
}

PROTOCOLS = ('tcp', 'udp', 'sctp')


class AnnounceError(Exception):
    """A user-facing error (bad key, bad configuration)."""


def is_ipv4(text):
    """A dotted-quad IPv4 address (no leading zeros)."""
    parts = text.split('.')
    return len(parts) == 4 and all(p.isdigit() and p.isascii() and str(int(p)) == p and int(p) < 256 for p in parts)


def is_ipv6(text):
    """An IPv6 address in its canonical text (RFC 5952, as `ip` prints it), not IPv4-mapped."""
    import ipaddress
    try:
        ip = ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return str(ip) == text and ip.ipv4_mapped is None


def is_vip(text):
    """A VIP: an IPv4 address or an IPv6 address in canonical text."""
    return isinstance(text, str) and (is_ipv4(text) if ':' not in text else is_ipv6(text))


def _number(text, maximum):
    return text.isdigit() and text.isascii() and str(int(text)) == text and 0 < int(text) <= maximum


def check_key(key):
    """Validate a service key (it becomes a file name): `proto:vip:port` (an IPv6 VIP unbracketed:
    `tcp:2001:db8::10:80`), `fwmark:N` (a firewall-mark service) or `group:NAME` (a virtual_server_group: several
    VIPs, one real-server set); return it."""
    key = key if isinstance(key, str) else ''
    parts = key.split(':')
    if len(parts) >= 3 and parts[0] in PROTOCOLS and is_vip(':'.join(parts[1:-1])) and _number(parts[-1], 65535):
        return key
    if len(parts) == 2 and parts[0] == 'fwmark' and _number(parts[1], 4294967295):
        return key
    name = key[len('group:'):]
    name_ok = all(c.isascii() and (c.isalnum() or c in '_.:-') for c in name)
    if key.startswith('group:') and 0 < len(name) <= 64 and name_ok:
        return key
    raise AnnounceError('invalid service key %r (want tcp|udp|sctp:VIP:PORT, fwmark:N or group:NAME)' % (key,))


def kernel_keys(key, members):
    """The IPVS table entries (see parse_ipvs_real_servers) of service `key`: one for `proto:vip:port` and
    `fwmark:N`, those of its members for `group:NAME`."""
    if key.startswith('group:'):
        return [kernel_keys(member, {})[0] for member in members.get(key, [])]
    if key.startswith('fwmark:'):
        return [('fwmark', None, int(key.split(':')[1]))]
    proto, rest = key.split(':', 1)
    vip, port = rest.rsplit(':', 1)
    return [(proto, vip, int(port))]


def load_config(text):
    """JSON text of announce.json -> configuration dict with every default filled in (validated)."""
    import json
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise AnnounceError('configuration is not JSON: %s' % exc)
    if not isinstance(data, dict):
        raise AnnounceError('configuration must be a JSON object')
    unknown = sorted(set(data) - set(DEFAULTS))
    if unknown:
        raise AnnounceError('unknown configuration keys: %s' % ', '.join(unknown))
    config = dict(DEFAULTS)
    config.update(data)
    for name in ('holddown', 'interval', 'resync', 'stop_delay'):
        if isinstance(config[name], bool) or not isinstance(config[name], (int, float)) or config[name] < 0:
            raise AnnounceError('%s must be a number >= 0, got %r' % (name, config[name]))
    if config['interval'] <= 0:
        raise AnnounceError('interval must be > 0')
    if not isinstance(config['vips'], dict):
        raise AnnounceError('vips must be an object {vip: [service keys]}')
    for vip, keys in config['vips'].items():
        if not is_vip(vip):
            raise AnnounceError('invalid VIP %r (an IPv4 address, or IPv6 in canonical form)' % (vip,))
        if not isinstance(keys, list):
            raise AnnounceError('vips[%s] must be a list of service keys' % vip)
        for key in keys:
            check_key(key)
    if not isinstance(config['quorum'], dict):
        raise AnnounceError('quorum must be an object {service key: minimum total weight}')
    for key, value in config['quorum'].items():
        check_key(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise AnnounceError('quorum[%s] must be an integer >= 0, got %r' % (key, value))
    if not isinstance(config['members'], dict):
        raise AnnounceError('members must be an object {group:NAME: [proto:vip:port, ...]}')
    for key, members in config['members'].items():
        if not check_key(key).startswith('group:') or not isinstance(members, list) or not members:
            raise AnnounceError('members[%s] must belong to a group:NAME key and list its proto:vip:port' % key)
        for member in members:
            if check_key(member).split(':')[0] not in PROTOCOLS:
                raise AnnounceError('members[%s]: %r is not a proto:vip:port key' % (key, member))
    if not isinstance(config['script_user'], str) or not config['script_user'].strip():
        raise AnnounceError('script_user must be a user name, got %r' % (config['script_user'],))
    return config
