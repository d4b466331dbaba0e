# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ecmp.lvs service model: vocabulary, defaults and the address-free part of the normalisation.

Pure Python, standard library only, so managed-host modules may import the constants as well.
Everything that parses IP addresses (and therefore needs netaddr) lives in the controller-only
``plugins/plugin_utils/lvs_net.py``, which builds on this file; the filters in ``plugins/filter/lvs.py``
expose both.

Errors are raised as :class:`LvsModelError` whose message names the field path and the offending value,
e.g. ``lvs_services[web].real_servers[2].weight: 70000 is out of range 0..65535``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import json
import math
import re

from collections.abc import Mapping, Sequence

PROTOCOLS = ('tcp', 'udp', 'sctp')
# IPVS marks are 32-bit (skb->mark); 0 means "no mark".
FWMARK_MAX = 4294967295

# Every scheduler of the Linux 6.1 IPVS code (net/netfilter/ipvs/ip_vs_*.c).
SCHEDULERS = ('rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos')
DEFAULT_SCHEDULER = 'mh'

# Scheduler flags, by their scheduler-specific names (ipvsadm -b and keepalived use the same words).
# Only sh and mh read IP_VS_SVC_F_SCHED1/2 (fallback/port); no scheduler reads flag-3, and the generic
# flag-1..3 spellings are not accepted: a flag that no scheduler reads is a silent no-op, hence an error.
SCHEDULER_FLAGS = {
    'mh': ('mh-fallback', 'mh-port'),
    'sh': ('sh-fallback', 'sh-port'),
}
# mh-port: hash on address AND port, so flows of one client spread and every director picks the same real
# server for a flow. mh-fallback: a real server at weight 0 (keepalived inhibit_on_failure keeps a failed one
# in its slots) is skipped deterministically for NEW connections; without it the kernel finds no destination
# and the client gets ICMP port unreachable or a timeout (measured in the UML lab: 98 of 200 new connections
# failed while one of two real servers was down, 0 of 200 with mh-fallback).
DEFAULT_SCHEDULER_FLAGS = {
    'mh': ('mh-fallback', 'mh-port'),
}

HEALTH_CHECK_TYPES = ('http_get', 'ssl_get', 'tcp', 'misc', 'dns', 'udp', 'ping', 'none')
KEEPALIVED_CHECKERS = {
    'http_get': 'HTTP_GET',
    'ssl_get': 'SSL_GET',
    'tcp': 'TCP_CHECK',
    'misc': 'MISC_CHECK',
    'dns': 'DNS_CHECK',
    'udp': 'UDP_CHECK',
    'ping': 'PING_CHECK',
}
HEALTH_CHECK_DEFAULTS = {
    'type': 'tcp',
    'path': '/',
    'status_code': 200,
    'connect_timeout': 2,
    'retry': 1,
    'delay_before_retry': 1,
    'delay_loop': 2,
    'misc_path': None,
    'port': None,
    'dns_type': None,
    'dns_name': None,
    'payload': None,
    'require_reply': None,
}
# Checkers that connect to a port of the real server (connect_port): the others run a command (misc) or ping.
PORT_CHECK_TYPES = ('http_get', 'ssl_get', 'tcp', 'dns', 'udp')
# Health-check keys that only apply to some check types: set with another type they would be silently ignored,
# so the inventory validation refuses them. ``port`` is not listed for misc (accepted and unused, as before
# 2.x of this contract) but is for ping (new).
HEALTH_CHECK_KEY_TYPES = {
    'path': ('http_get', 'ssl_get'),
    'status_code': ('http_get', 'ssl_get'),
    'misc_path': ('misc',),
    'dns_type': ('dns',),
    'dns_name': ('dns',),
    'payload': ('udp',),
    'require_reply': ('udp',),
    'port': PORT_CHECK_TYPES + ('misc',),
}
# DNS_CHECK query types (keepalived 2.2.7 check_dns.c) and its defaults (type SOA, name ".").
DNS_TYPES = ('A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA')
DNS_DEFAULTS = {'dns_type': 'SOA', 'dns_name': '.'}
# Per real server, these keys of its health checks may be overridden (real_servers[].health_check).
REAL_SERVER_CHECK_KEYS = ('port', 'path', 'status_code')

SERVICE_DEFAULTS = {
    'protocol': 'tcp',
    'scheduler': DEFAULT_SCHEDULER,
    'persistence_timeout': 0,
    'persistence_granularity': None,
    'ops': False,
    'quorum': 1,
    'sorry_server': None,
}
WEIGHT_MAX = 65535

# Keys accepted on input. ``vip_prefix`` and ``family`` (service) are accepted so that normalised
# services may be normalised again; they are recomputed, never trusted.
SERVICE_KEYS = ('name', 'vip', 'vips', 'vip_prefix', 'family', 'port', 'ports', 'fwmark', 'key', 'protocol',
                'scheduler', 'scheduler_flags', 'persistence_timeout', 'persistence_granularity', 'ops', 'quorum',
                'sorry_server', 'health_check', 'health_checks', 'real_servers')
REAL_SERVER_KEYS = ('host', 'address', 'port', 'weight', 'health_check')
SORRY_SERVER_KEYS = ('host', 'address', 'port', 'local')
# The address keepalived is given for a director-local sorry server: IPVS forwards to a local address with its
# DR transmitter, which sees the local route and hands the packet to the director's own stack, ipvsadm still shows
# "Route" (the director's own socket answers; the VIP is a local address of every director).
LOCAL_SORRY_ADDRESS = {4: '127.0.0.1', 6: '::1'}


_INT_RE = re.compile(r'^-?[0-9]+$')
# Longest digit string read as an integer: every range of the model fits, and Python refuses to convert more
# than 4300 digits (ValueError instead of a message naming the field).
_INT_MAX_DIGITS = 20
# keepalived limits (2.2.7, measured with --config-test): misc_timeout 0..4294 (it is connect_timeout rounded up),
# retry an unsigned 32-bit integer, persistence_timeout 1..2678400 (31 days).
CONNECT_TIMEOUT_MAX = 4294
TIMER_MAX = 86400
RETRY_MAX = 4294967295
PERSISTENCE_TIMEOUT_MAX = 2678400

# Strings written into keepalived.conf / frr.conf. A name (service, host, BFD profile) is a word of these
# characters; a free text (URL path, command line, log target) must still not carry a control character (a
# newline starts a new configuration line), a quote, a brace (a keepalived block), '#' or '!' (comments of
# keepalived and FRR) or a backslash.
NAME_MAX = 64
_NAME_RE = re.compile(r'^[A-Za-z0-9_.:-]{1,%d}$' % NAME_MAX)
NAME_CHARS = 'A-Z a-z 0-9 _ . : -'
CONFIG_FORBIDDEN = '"\'{}#!\\'
_VALUE_DISPLAY_MAX = 80


class LvsModelError(ValueError):
    """Invalid input to the service model; the message names the field and the value."""


class LvsModelErrors(LvsModelError):
    """Several independent problems of one input (e.g. every bad field of a service): ``messages``."""

    def __init__(self, messages):
        self.messages = list(messages)
        super(LvsModelErrors, self).__init__('\n'.join(self.messages))


def error_messages(exc):
    """The messages of an :class:`LvsModelError` (several for :class:`LvsModelErrors`)."""
    return list(getattr(exc, 'messages', None) or [str(exc)])


class Collector(object):
    """Runs checks and keeps every :class:`LvsModelError`, so that one call reports every bad field."""

    def __init__(self):
        self.messages = []

    def run(self, func, *args, **kwargs):
        """``func(*args, **kwargs)``, or None after recording its error(s)."""
        try:
            return func(*args, **kwargs)
        except LvsModelError as exc:
            for message in error_messages(exc):
                if message not in self.messages:
                    self.messages.append(message)
            return None

    def raise_errors(self):
        """Raise :class:`LvsModelErrors` with everything recorded (nothing when all checks passed)."""
        if self.messages:
            raise LvsModelErrors(self.messages)


def fmt_value(value):
    """Render an offending value for an error message: numbers bare, strings quoted (control characters
    escaped, so a newline never starts a line of its own), anything longer than 80 characters shortened."""
    if isinstance(value, bool) or value is None:
        text = repr(value)
    elif isinstance(value, (int, float)):
        text = str(value)
    elif isinstance(value, str):
        text = "'%s'" % value if value.isprintable() else repr(value)
    else:
        text = repr(value)
    if len(text) > _VALUE_DISPLAY_MAX:
        text = '%s... (%d characters)' % (text[:_VALUE_DISPLAY_MAX - 20], len(text))
    return text


def _char_name(char):
    """``'#'``, or the escape of a control / non-printable character (``'\\n'``)."""
    return repr(char)


def unsafe_chars(value, forbidden=CONFIG_FORBIDDEN, allow_space=True):
    """The characters of ``value`` that must not reach a configuration file, in order of appearance."""
    found = []
    for char in value:
        bad = char in forbidden or (not char.isprintable() and char != ' ') or (char.isspace() and char != ' ')
        if bad or (char == ' ' and not allow_space):
            if char not in found:
                found.append(char)
    return found


def check_config_text(field, value, what, allow_space=True, forbidden=CONFIG_FORBIDDEN, max_length=255):
    """A string written verbatim into a configuration file: no control character, quote, brace, '#', '!' or
    backslash (nor a space unless ``allow_space``), at most ``max_length`` characters. Returns the string."""
    if not isinstance(value, str) or not value.strip():
        fail(field, '%s is not %s' % (fmt_value(value), what))
    bad = unsafe_chars(value, forbidden, allow_space)
    if bad:
        chars = ', '.join(_char_name(c) for c in bad)
        fail(field, '%s contains %s: not allowed in %s (it would be written verbatim into a configuration file '
                    'and could change or add configuration)' % (fmt_value(value), chars, what))
    if len(value) > max_length:
        fail(field, '%s is longer than %d characters' % (fmt_value(value), max_length))
    return value


def check_name(field, value, what='a name'):
    """A name written into a configuration file: 1..64 characters of A-Z a-z 0-9 _ . : -. Returns it."""
    if not isinstance(value, str) or not _NAME_RE.match(value):
        fail(field, '%s is not %s: 1..%d characters of %s' % (fmt_value(value), what, NAME_MAX, NAME_CHARS))
    return value


def fail(field, message):
    raise LvsModelError('%s: %s' % (field, message))


def is_mapping(value):
    return isinstance(value, Mapping)


def is_list(value):
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def check_keys(field, value, allowed):
    """Reject unknown keys (a typo such as ``shceduler`` must not be silently ignored)."""
    if not is_mapping(value):
        fail(field, '%s is not a dictionary' % fmt_value(value))
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        fail(field, 'unknown key(s) %s; allowed: %s' % (', '.join(unknown), ', '.join(allowed)))


def to_int(field, value, minimum=None, maximum=None):
    """An integer (or a string of decimal digits, as INI inventories give), optionally range-checked."""
    if isinstance(value, bool):
        fail(field, '%s is not an integer' % fmt_value(value))
    if isinstance(value, int):
        result = value
    elif isinstance(value, str) and _INT_RE.match(value.strip()):
        if len(value.strip().lstrip('-')) > _INT_MAX_DIGITS:
            fail(field, '%s is out of range (%d digits)' % (fmt_value(value), len(value.strip().lstrip('-'))))
        result = int(value.strip())
    else:
        fail(field, '%s is not an integer' % fmt_value(value))
    if (minimum is not None and result < minimum) or (maximum is not None and result > maximum):
        if maximum is None:
            fail(field, '%s is out of range (minimum %d)' % (fmt_value(value), minimum))
        fail(field, '%s is out of range %d..%d' % (fmt_value(value), minimum, maximum))
    return result


def to_port(field, value):
    return to_int(field, value, 1, 65535)


def to_timer(field, value, allow_zero=False, maximum=TIMER_MAX):
    """A keepalived TIMER: seconds, may be fractional (keepalived 2.x), returned as int when integral."""
    if isinstance(value, bool):
        fail(field, '%s is not a number of seconds' % fmt_value(value))
    if isinstance(value, (int, float)):
        result = value
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            fail(field, '%s is not a number of seconds' % fmt_value(value))
    else:
        fail(field, '%s is not a number of seconds' % fmt_value(value))
    if math.isnan(result) or math.isinf(result):
        fail(field, '%s is not a number of seconds' % fmt_value(value))
    if result < 0 or (result == 0 and not allow_zero):
        fail(field, '%s must be %s' % (fmt_value(value), 'zero or positive' if allow_zero else 'positive'))
    if result > maximum:
        fail(field, '%s is more than %d seconds' % (fmt_value(value), maximum))
    if float(result) == int(result):
        return int(result)
    return float(result)


def to_choice(field, value, choices):
    if not isinstance(value, str) or value not in choices:
        fail(field, '%s is not one of %s' % (fmt_value(value), ', '.join(choices)))
    return str(value)


def normalise_scheduler(field, scheduler, flags):
    """Return ``(scheduler, sorted unique flags)``; ``flags`` None means the scheduler's default flags.

    ``field`` is the service path (``lvs_services[web]``).
    """
    if isinstance(scheduler, str):
        scheduler = scheduler.strip().lower()
    scheduler = to_choice(field + '.scheduler', scheduler, SCHEDULERS)
    allowed = SCHEDULER_FLAGS.get(scheduler, ())
    if flags is None:
        return scheduler, list(DEFAULT_SCHEDULER_FLAGS.get(scheduler, ()))
    if isinstance(flags, str):
        # "mh-fallback,mh-port" as ipvsadm -b takes it
        flags = [f for f in flags.replace(' ', ',').split(',') if f]
    if not is_list(flags):
        fail(field + '.scheduler_flags', '%s is not a list' % fmt_value(flags))
    result = set()
    for index, flag in enumerate(flags):
        if not isinstance(flag, str) or flag not in allowed:
            if allowed:
                reason = 'valid flags for %s: %s' % (scheduler, ', '.join(allowed))
            else:
                reason = 'scheduler %s takes no flags (only sh and mh do)' % scheduler
            fail('%s.scheduler_flags[%d]' % (field, index), '%s is not valid; %s' % (fmt_value(flag), reason))
        result.add(str(flag))
    return scheduler, sorted(result)


def normalise_health_check(field, value):
    """Fill the defaults of a ``health_check`` dictionary and validate every field.

    ``field`` is the path of the health_check itself (``lvs_services[web].health_check``).
    """
    if value is None:
        value = {}
    check_keys(field, value, tuple(HEALTH_CHECK_DEFAULTS))
    merged = dict(HEALTH_CHECK_DEFAULTS)
    merged.update(dict((k, v) for k, v in value.items() if v is not None))
    errors = Collector()
    kind = merged['type']
    if isinstance(kind, str):
        kind = kind.strip().lower()
    result = {'type': errors.run(to_choice, field + '.type', kind, HEALTH_CHECK_TYPES)}
    result['path'] = errors.run(_url_path, field + '.path', merged['path'])
    result['status_code'] = errors.run(to_int, field + '.status_code', merged['status_code'], 100, 599)
    result['connect_timeout'] = errors.run(to_timer, field + '.connect_timeout', merged['connect_timeout'],
                                           maximum=CONNECT_TIMEOUT_MAX)
    result['retry'] = errors.run(to_int, field + '.retry', merged['retry'], 0, RETRY_MAX)
    result['delay_before_retry'] = errors.run(to_timer, field + '.delay_before_retry', merged['delay_before_retry'],
                                              allow_zero=True)
    result['delay_loop'] = errors.run(to_timer, field + '.delay_loop', merged['delay_loop'])
    result['misc_path'] = errors.run(_misc_path, field + '.misc_path', merged['misc_path'], result['type'])
    port = merged['port']
    result['port'] = None if port is None else errors.run(to_port, field + '.port', port)
    dns = result['type'] == 'dns'
    for key in ('dns_type', 'dns_name'):
        if merged[key] is None and dns:
            merged[key] = DNS_DEFAULTS[key]
    result['dns_type'] = None if merged['dns_type'] is None else errors.run(
        _dns_type, field + '.dns_type', merged['dns_type'])
    result['dns_name'] = None if merged['dns_name'] is None else errors.run(
        _dns_name, field + '.dns_name', merged['dns_name'])
    payload = merged['payload']
    result['payload'] = None if payload is None else errors.run(_hex, field + '.payload', payload)
    reply = merged['require_reply']
    if reply is False:
        result['require_reply'] = None
    elif reply is True:
        result['require_reply'] = True
    else:
        result['require_reply'] = None if reply is None else errors.run(_hex, field + '.require_reply', reply,
                                                                        True)
    errors.raise_errors()
    return result


def normalise_health_checks(field, single, several):
    """The list of health checks of a service: ``health_check`` (one dictionary, the original contract) or
    ``health_checks`` (a list: keepalived runs every checker on every real server; a real server is up only while
    ALL of them pass). ``field`` is the service path. Type ``none`` stands alone."""
    if several is None:
        return [normalise_health_check(field + '.health_check', single)]
    if single is not None and not (is_list(several) and several and several[0] == single):
        # (a normalised service carries both: health_check is health_checks[0])
        fail(field + '.health_checks', 'given together with health_check: give one of them (health_check: one '
                                       'check; health_checks: a list of checks that must all pass)')
    if not is_list(several) or not several:
        fail(field + '.health_checks', '%s is not a non-empty list of health checks' % fmt_value(several))
    errors = Collector()
    checks = []
    for index, value in enumerate(several):
        checks.append(errors.run(normalise_health_check, '%s.health_checks[%d]' % (field, index), value))
    errors.raise_errors()
    if len(checks) > 1:
        for index, check in enumerate(checks):
            if check['type'] == 'none':
                fail('%s.health_checks[%d].type' % (field, index),
                     "'none' cannot be combined with other checks (a service without checks has health_check: "
                     "{type: none})")
    return checks


_DNS_LABEL = r'[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?'
_DNS_NAME_RE = re.compile(r'^(\.|(%s\.)*%s\.?)$' % (_DNS_LABEL, _DNS_LABEL))
_HEX_RE = re.compile(r'^([0-9A-Fa-f]{2})+$')
# UDP_CHECK payload / require_reply: one datagram; the contract's limit (keepalived documents none).
HEX_MAX_BYTES = 1024


def _dns_type(field, value):
    if isinstance(value, str):
        value = value.strip().upper()
    return to_choice(field, value, DNS_TYPES)


def _dns_name(field, value):
    """A DNS name (letters, digits, _ and - per label, dots between; ``.`` the root), at most 253 characters."""
    if not isinstance(value, str) or len(value) > 254 or not _DNS_NAME_RE.match(value):
        fail(field, '%s is not a DNS name (e.g. "www.example.org" or "." for the root)' % fmt_value(value))
    return value


def _hex(field, value, allow_true=False):
    """Bytes written as hex digits, two per byte (``"0001"``), as keepalived's UDP_CHECK payload/require_reply."""
    if not isinstance(value, str) or not _HEX_RE.match(value.strip()) or len(value.strip()) > 2 * HEX_MAX_BYTES:
        fail(field, '%s is not %sbytes as hex digits, two per byte (e.g. "00ff"), at most %d bytes'
             % (fmt_value(value), 'true (any reply) or ' if allow_true else '', HEX_MAX_BYTES))
    return value.strip().lower()


def _url_path(field, path):
    """The URL path of an HTTP/SSL check: absolute, no whitespace, nothing that changes keepalived.conf."""
    if not isinstance(path, str) or not path.startswith('/') or any(c.isspace() for c in path):
        fail(field, '%s is not an absolute URL path (e.g. "/healthz")' % fmt_value(path))
    return str(check_config_text(field, path, 'a URL path', allow_space=False))


# A MISC_CHECK command line is written between double quotes into keepalived.conf and run by keepalived:
# besides the characters of every configuration string, no shell syntax.
MISC_PATH_FORBIDDEN = CONFIG_FORBIDDEN + '`$;|&<>'


def _misc_path(field, misc_path, kind):
    """The MISC_CHECK command line (required for type misc), stripped; None when not given."""
    if misc_path is None:
        if kind == 'misc':
            fail(field, 'None: health_check type misc needs misc_path (the script to run)')
        return None
    if not isinstance(misc_path, str) or not misc_path.strip():
        fail(field, '%s is not a command line' % fmt_value(misc_path))
    return str(check_config_text(field, misc_path.strip(), 'a MISC_CHECK command line',
                                 forbidden=MISC_PATH_FORBIDDEN))


def persistence_granularity(field, value, family, persistence_timeout):
    """keepalived ``persistence_granularity`` (ipvsadm ``-M``): the client network that sticks to one real server.

    IPv4: a netmask (``255.255.255.0``) or a prefix length (``24``), returned as a netmask; IPv6: a prefix length
    1..128, returned as a string. Only with ``persistence_timeout`` (else IPVS ignores it)."""
    if value is None:
        return None
    bits = 32 if family == 4 else 128
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    length = None
    if text is not None and _INT_RE.match(text) and len(text) <= 3:
        length = int(text)
    elif text is not None and family == 4:
        try:
            length = ipaddress.ip_network('0.0.0.0/%s' % text).prefixlen
        except ValueError:
            length = None
    if length is None or not 1 <= length <= bits:
        fail(field, '%s is not a %s' % (fmt_value(value), 'netmask (e.g. 255.255.255.0) or prefix length 1..32'
                                        if family == 4 else 'prefix length 1..128'))
    if not persistence_timeout:
        fail(field, '%s needs persistence_timeout (it sets the client network that persistence sticks to one real '
                    'server; without persistence IPVS ignores it)' % fmt_value(value))
    if family == 4:
        return str(ipaddress.ip_network('0.0.0.0/%d' % length).netmask)
    return str(length)


def to_bool(field, value):
    """true/false (YAML booleans, or yes/no/true/false/1/0 strings as INI inventories give)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if text in ('yes', 'true', 'on', '1'):
        return True
    if text in ('no', 'false', 'off', '0'):
        return False
    fail(field, '%s is not a boolean (true or false)' % fmt_value(value))


def default_service_name(vip, port, protocol):
    """``10.0.0.1:80/tcp``, ``[2001:db8::1]:80/tcp``."""
    host = '[%s]' % vip if ':' in vip else vip
    return '%s:%d/%s' % (host, port, protocol)


def _check_normalised(services):
    if not is_list(services):
        raise LvsModelError('services: %s is not a list of normalised services (output of lvs_services)'
                            % fmt_value(services))
    for index, service in enumerate(services):
        if not is_mapping(service) or 'vip_prefix' not in service or 'health_check' not in service:
            raise LvsModelError('services[%d]: not a normalised service; pass the output of '
                                'ecmp.lvs.lvs_services' % index)


# Seconds the announce program needs to react once keepalived marks a real server down (quorum script, the
# reconciliation interval of ecmp-lvs-announce) on top of the checker's own detection time.
SETTLE_MARGIN = 2


def health_settle_seconds(services):
    """Seconds after a keepalived (re)load within which a health check that fails everywhere has withdrawn the VIP.

    keepalived runs a new checker within delay_loop; it declares the real server down after retry + 1 failed
    attempts of connect_timeout each, with delay_before_retry between them. The rollout gate of ecmp.lvs.director
    waits this long with every VIP announced before the next batch of directors is changed. Services without a
    health check count 0. Normalised services (output of lvs_services) in; an int out (rounded up)."""
    _check_normalised(services)
    longest = 0
    for service in services:
        for hc in service.get('health_checks') or [service['health_check']]:
            if hc['type'] == 'none':
                continue
            attempts = hc['retry'] + 1
            longest = max(longest, hc['delay_loop'] + attempts * hc['connect_timeout']
                          + hc['retry'] * hc['delay_before_retry'])
    return int(math.ceil(longest)) + SETTLE_MARGIN if longest else 0


def _keepalived_check(hc, rs, service, delay_loop):
    """One checker block of a real server (None values are not written: they do not apply to that checker)."""
    kind = hc['type']
    override = rs.get('health_check') or {}
    http = kind in ('http_get', 'ssl_get')
    misc = kind == 'misc'
    port = override.get('port') or hc['port'] or rs['port'] or (service.get('ports') or [None])[0]
    return {
        'kind': KEEPALIVED_CHECKERS[kind],
        'path': (override.get('path') or hc['path']) if http else None,
        'status_code': (override.get('status_code') or hc['status_code']) if http else None,
        'connect_port': port if kind in PORT_CHECK_TYPES else None,
        # MISC_CHECK has no connect_timeout keyword: its timeout is misc_timeout
        'connect_timeout': None if misc else hc['connect_timeout'],
        'retry': hc['retry'],
        'delay_before_retry': hc['delay_before_retry'],
        'misc_path': hc['misc_path'] if misc else None,
        'misc_timeout': int(math.ceil(hc['connect_timeout'])) if misc else None,  # an INTEGER
        'dns_type': hc.get('dns_type') if kind == 'dns' else None,
        'dns_name': hc.get('dns_name') if kind == 'dns' else None,
        'payload': hc.get('payload') if kind == 'udp' else None,
        'require_reply': hc.get('require_reply') if kind == 'udp' else None,
        # a checker's own delay_loop, written only when it differs from the virtual server's
        'delay_loop': None if hc['delay_loop'] == delay_loop else hc['delay_loop'],
    }


def keepalived_virtual_servers(services):
    """Turn normalised services into the dictionaries the keepalived.conf template renders.

    A check key whose value is None must not be written (it does not apply to that checker). ``check`` of a real
    server is its first checker (None without checks), ``checks`` all of them (several: all must pass).
    """
    _check_normalised(services)
    result = []
    for service in services:
        checks = [hc for hc in service.get('health_checks') or [service['health_check']] if hc['type'] != 'none']
        delay_loop = (service.get('health_checks') or [service['health_check']])[0]['delay_loop']
        real_servers = []
        for rs in service['real_servers']:
            rs_checks = [_keepalived_check(hc, rs, service, delay_loop) for hc in checks]
            real_servers.append({'address': rs['address'], 'port': rs['port'], 'weight': rs['weight'],
                                 'check': rs_checks[0] if rs_checks else None, 'checks': rs_checks})
        sorry = service['sorry_server']
        fwmark = service.get('fwmark')
        vips = service.get('vips') or [service['vip']]
        group = None
        if fwmark is None and len(vips) > 1:
            group = {'name': service['name'],
                     'members': [{'vip': vip, 'port': service['port'],
                                  'key': service_key(dict(service, vip=vip, vips=[vip]))} for vip in vips]}
        result.append({
            'key': service_key(service),
            'name': service['name'],
            'vip': service['vip'],
            'vips': list(vips),
            'port': service['port'],
            'ports': list(service.get('ports') or [service['port']]),
            'fwmark': fwmark,
            'group': group,
            'protocol': service['protocol'].upper(),
            'lvs_sched': service['scheduler'],
            'sched_flags': list(service['scheduler_flags']),
            'lb_kind': 'DR',
            'persistence_timeout': service['persistence_timeout'] or None,
            'persistence_granularity': service.get('persistence_granularity'),
            'ops': bool(service.get('ops')),
            'quorum': service['quorum'],
            'delay_loop': delay_loop,
            'sorry_server': None if sorry is None else {'address': sorry['address'], 'port': sorry['port'],
                                                        'local': bool(sorry.get('local'))},
            'real_servers': real_servers,
        })
    return result


def announce_gates(virtual_servers, vips, gated=True):
    """What ``ecmp-lvs-announce`` gates each VIP on (its ``announce.json`` and the quorum commands of
    keepalived.conf), from :func:`keepalived_virtual_servers` output and the director's VIPs.

    A virtual server gates the announcement of its VIPs when it is health-checked (its real servers have a checker)
    and has no sorry server (below quorum keepalived puts the sorry server in: the director still serves). Nothing
    gates when ``gated`` is false (director_announce_when_healthy off, or no IPVS): every VIP is announced unless
    drained. Returns ``{gating, quorum, members, vips}``: the gating keys in service order (not named ``keys``,
    a dict method in Jinja), ``{key: quorum}``, ``{group key: [key of each member VIP]}`` (virtual_server_group
    services only) and ``{vip: [gating keys]}`` for every VIP (an empty list: announced unless drained).
    """
    services = [vs for vs in virtual_servers if gated and vs.get('sorry_server') is None
                and vs.get('real_servers') and vs['real_servers'][0].get('check')]
    return {
        'gating': [vs['key'] for vs in services],
        'quorum': dict((vs['key'], vs['quorum']) for vs in services),
        'members': dict((vs['key'], [member['key'] for member in vs['group']['members']])
                        for vs in services if vs.get('group')),
        'vips': dict((vip, [vs['key'] for vs in services if vip in vs['vips']]) for vip in vips),
    }


def service_key(service):
    """The identity of a service everywhere it is named: ``proto:vip:port`` (lower-case protocol), e.g.
    ``tcp:10.99.100.10:80`` - the argument of ``ecmp-lvs-quorum up|down``, the keys of its
    ``announce.json`` and of ``playbooks/status.yml``. A firewall-mark service is ``fwmark:N``, a service of
    several VIPs (keepalived ``virtual_server_group``) ``group:<name>``."""
    if service.get('fwmark') is not None:
        return 'fwmark:%d' % int(service['fwmark'])
    if len(service.get('vips') or ()) > 1:
        return 'group:%s' % service['name']
    return '%s:%s:%s' % (str(service['protocol']).lower(), service['vip'], service['port'])


def ipvs_endpoints(service):
    """The IPVS services a normalised service makes: ``[('fwmark', N)]`` for a firewall-mark service, else one
    ``(protocol, 'vip:port')`` per VIP (``address:port``, IPv6 in brackets, as ``ecmp.lvs.ipvs_info`` writes it)."""
    if service.get('fwmark') is not None:
        return [('fwmark', int(service['fwmark']))]
    return [(service['protocol'].lower(), _hostport(vip, service['port']))
            for vip in service.get('vips') or [service['vip']]]


def _kernel_endpoint(svc):
    if svc.get('fwmark') is not None:
        return ('fwmark', int(svc['fwmark']))
    if svc.get('vip') is None:
        return None
    return (str(svc.get('protocol')).lower(), _hostport(svc['vip'], svc['port']))


def ipvs_missing(kernel_services, services):
    """Keys (``service_key``) of the normalised ``services`` that are not (wholly) in the kernel's IPVS table
    (``kernel_services``: ``services`` of ``ecmp.lvs.ipvs_info``), in input order; empty when all are there. A
    firewall-mark service is looked up by its mark, a service of several VIPs needs every one of them."""
    _check_normalised(services)
    if not is_list(kernel_services):
        raise LvsModelError('kernel_services: %s is not a list (the services of ecmp.lvs.ipvs_info)'
                            % fmt_value(kernel_services))
    present = set()
    for svc in kernel_services:
        if is_mapping(svc):
            endpoint = _kernel_endpoint(svc)
            if endpoint is not None:
                present.add(endpoint)
    return [service_key(service) for service in services
            if any(endpoint not in present for endpoint in ipvs_endpoints(service))]


def ipvs_services(services):
    """Turn normalised services into the ``services`` option of the ``ecmp.lvs.ipvs`` module (one entry per VIP
    of a service of several VIPs; a firewall-mark service by its mark, real servers on port 0)."""
    _check_normalised(services)
    result = []
    for service in services:
        common = {
            'scheduler': service['scheduler'],
            'scheduler_flags': list(service['scheduler_flags']),
            'persistence_timeout': service['persistence_timeout'],
            'ops': bool(service.get('ops')),
            'real_servers': [{'address': rs['address'], 'port': rs['port'], 'forwarding': 'dr',
                              'weight': rs['weight']} for rs in service['real_servers']],
        }
        if service.get('persistence_granularity'):
            common['persistence_netmask'] = service['persistence_granularity']
        if service.get('fwmark') is not None:
            entry = dict(common, fwmark=int(service['fwmark']), family='ipv%d' % service['family'])
            result.append(entry)
            continue
        for vip in service.get('vips') or [service['vip']]:
            result.append(dict(common, vip=vip, port=service['port'], protocol=service['protocol'],
                               real_servers=[dict(rs) for rs in common['real_servers']]))
    return result


def fwmark_rules(services):
    """The packet-marking rules of the firewall-mark services (nftables on the directors): ``[{name, fwmark,
    family, protocol, vips, ports}]`` sorted by mark; empty without firewall-mark services."""
    _check_normalised(services)
    rules = [{'name': service['name'], 'fwmark': int(service['fwmark']), 'family': service['family'],
              'protocol': service['protocol'], 'vips': list(service['vips']), 'ports': list(service['ports'])}
             for service in services if service.get('fwmark') is not None]
    return sorted(rules, key=lambda rule: rule['fwmark'])


# Schedulers that build a lookup table by walking the real servers in the order of the kernel's destination
# list (net/netfilter/ipvs/ip_vs_dh.c, ip_vs_sh.c, ip_vs_mh.c): with the same real servers and weights, two
# directors pick the same real server for a flow only if that order is the same too.
ORDER_SENSITIVE_SCHEDULERS = ('dh', 'mh', 'sh')


def _hostport(address, port):
    """Canonical ``address:port`` (IPv6 in brackets), as ``ecmp.lvs.ipvs_info`` writes it."""
    try:
        ip = ipaddress.ip_address(str(address).strip().strip('[]'))
    except ValueError:
        raise LvsModelError('real server address %s is not an IP address' % fmt_value(address))
    return ('[%s]:%d' if ip.version == 6 else '%s:%d') % (ip, int(port))


def fresh_kernel_order(real_servers):
    """The kernel list order after adding ``real_servers`` one by one, in the given order, to an empty service.

    IPVS inserts every new destination at the head of the service's list (``list_add_rcu`` in
    ``__ip_vs_update_dest``), so the one added last comes first. keepalived adds the real servers of a virtual
    server in configuration order when it starts, and so does ``ecmp.lvs.ipvs`` (sorted by address and port),
    hence a fresh start gives the reverse of the configured order (captured: tests/fixtures/ipvsadm/order-*).
    """
    return list(reversed(real_servers))


def ipvs_order_drift(kernel_services, services):
    """Services whose real servers are in the kernel in another order than a fresh start would give.

    ``kernel_services``: ``services`` of ``ecmp.lvs.ipvs_info`` (with ``real_server_order``);
    ``services``: normalised services (output of ``lvs_services``). Only services with a scheduler of
    ``ORDER_SENSITIVE_SCHEDULERS`` are compared, on the real servers present on both sides (a real server
    missing from the kernel is a health or convergence matter, not an order one). Services absent from the
    kernel are skipped. Returns ``[{name, protocol, vip, port, scheduler, kernel_order, expected_order,
    message}]``, empty when every order matches.
    """
    _check_normalised(services)
    if not is_list(kernel_services):
        raise LvsModelError('kernel_services: %s is not a list (the services of ecmp.lvs.ipvs_info)'
                            % fmt_value(kernel_services))
    kernel = {}
    for index, svc in enumerate(kernel_services):
        if not is_mapping(svc) or 'real_server_order' not in svc:
            raise LvsModelError('kernel_services[%d]: no real_server_order; pass the services of '
                                'ecmp.lvs.ipvs_info' % index)
        endpoint = _kernel_endpoint(svc)
        if endpoint is not None:
            kernel[endpoint] = svc
    result = []
    for service in services:
        if service['scheduler'] not in ORDER_SENSITIVE_SCHEDULERS:
            continue
        for endpoint in ipvs_endpoints(service):
            drift = _order_drift(service, endpoint, kernel.get(endpoint))
            if drift is not None:
                result.append(drift)
    return result


def _order_drift(service, endpoint, found):
    """The drift entry of one IPVS service of ``service`` (``found``: its ipvs_info entry), or None."""
    if found is None:
        return None
    actual = [_hostport(*item.rsplit(':', 1)) for item in found['real_server_order']]
    configured = [_hostport(rs['address'], rs['port']) for rs in service['real_servers']]
    actual_common = [item for item in actual if item in configured]
    expected = [item for item in fresh_kernel_order(configured) if item in actual]
    if actual_common == expected:
        return None
    where = 'fwmark %d' % endpoint[1] if endpoint[0] == 'fwmark' else '%s %s' % endpoint
    label = '%s (%s, %s)' % (service['name'], where, service['scheduler'])
    vip = service['vip'] if endpoint[0] == 'fwmark' else endpoint[1].rsplit(':', 1)[0].strip('[]')
    return {
        'name': service['name'],
        'protocol': service['protocol'],
        'vip': vip,
        'port': service['port'],
        'scheduler': service['scheduler'],
        'kernel_order': actual_common,
        'expected_order': expected,
        'message': '%s: real servers in kernel order %s, a fresh start gives %s'
                   % (label, ', '.join(actual_common), ', '.join(expected)),
    }


# A drain intent (playbooks/drain.yml) older than this is left over from a run that died; it is ignored.
DRAIN_INTENT_MAX_AGE = 600


def _json_output(what, text):
    """The JSON an ecmp-lvs-announce command printed (empty output: {})."""
    if text is None or text == '':
        return {}
    try:
        return json.loads(text)
    except ValueError:
        raise LvsModelError('%s printed no JSON: %s' % (what, fmt_value(str(text)[:300])))


def drain_states(results):
    """Director name -> the parsed JSON of ``ecmp-lvs-announce status``, from the ``results`` of a command task
    looped over the directors (``loop: "{{ groups['directors'] }}"``, ``register``). A director whose command
    printed nothing (failed, not installed, unreachable) gets ``{}``, one whose output is no JSON ``{'error': ...}``:
    ``drain_check`` counts both as unreadable."""
    if not is_list(results):
        raise LvsModelError('drain_states: %s is not the results list of a loop over the directors'
                            % fmt_value(results))
    states = {}
    for result in results:
        if not is_mapping(result) or 'item' not in result:
            raise LvsModelError('drain_states: %s is not a loop result (no item)' % fmt_value(result))
        name = str(result['item'])
        try:
            states[name] = _json_output('ecmp-lvs-announce status', result.get('stdout'))
        except LvsModelError as exc:
            states[name] = {'error': str(exc)}
    return states


def drain_refusal(check, leaving):
    """The message of a refused drain: ``check`` is the verdict of ``drain_check``, ``leaving`` the directors
    the run drains."""
    if not is_mapping(check):
        raise LvsModelError('drain_refusal: %s is not a verdict of drain_check' % fmt_value(check))
    if not is_list(leaving):
        raise LvsModelError('drain_refusal: leaving: %s is not a list of director names' % fmt_value(leaving))

    def names(key, empty):
        return ', '.join(str(v) for v in check.get(key) or []) or empty
    return ('Draining %s would leave %s without any announcing director (announced elsewhere: %s; drained: %s; '
            'drain in progress: %s; unreadable: %s). Drain fewer directors (-l), wait for the other drain, fix the '
            'others, or force with -e lvs_drain_force=true.'
            % (', '.join(str(h) for h in leaving), names('orphaned', ''), names('kept', 'nothing'),
               names('drained', 'none'), names('draining', 'none'), names('unreadable', 'none')))


def drain_report(result, host, drain=True, check_mode=False):
    """The line a drain (``drain``) or undrain reports for ``host``: ``result`` is the registered result of
    ``ecmp-lvs-announce wait-idle`` (drain) or ``wait-announced`` (undrain); a value it lacks shows as ``?``."""
    if check_mode:
        return '%s: check mode, would be %s' % (host, 'drained' if drain else 'undrained')
    stdout = result.get('stdout') if is_mapping(result) else None
    report = _json_output('%s: ecmp-lvs-announce %s' % (host, 'wait-idle' if drain else 'wait-announced'), stdout)
    if not is_mapping(report):
        report = {}

    def value(key):
        found = report.get(key, '?')
        return '' if found is None else found

    def joined(key):
        items = report.get(key, [])
        return ', '.join(str(v) for v in items) if is_list(items) else str(items)
    if drain:
        return ('%s drained: VIPs %s withdrawn after %s s, no IPVS packet since %s s (%s packets after the '
                'withdrawal), waited %s s; %s active / %s inactive IPVS connection entries left (they expire by '
                'themselves).' % (host, joined('vips'), value('withdrawn_after'), value('idle_after'),
                                  value('packets_after_withdrawal'), value('waited'), value('active_connections'),
                                  value('inactive_connections')))
    return '%s undrained: %s announced after %s s.' % (host, joined('announced'), value('waited'))


def drain_check(states, leaving, max_intent_age=DRAIN_INTENT_MAX_AGE):
    """Whether draining the directors ``leaving`` leaves a VIP without an announcing director.

    ``states``: director name -> the JSON of ``ecmp-lvs-announce status`` on it (a dict; {} or an ``error`` for a
    director that could not be read: it announces nothing). A director other than ``leaving`` keeps a VIP when it
    announces it, is not drained and has no drain in progress (``drain_intent_age`` below ``max_intent_age``
    seconds: another run of playbooks/drain.yml is about to drain it). drain.yml writes its own intent before it
    reads the states a second time, so of two drains started at the same time at least one sees the other.
    Returns ``{orphaned, kept, leaving_vips, draining, drained, unreadable, stale_intents}`` (sorted lists)."""
    if not is_mapping(states):
        raise LvsModelError('states: %s is not a dictionary of director -> ecmp-lvs-announce status'
                            % fmt_value(states))
    if not is_list(leaving):
        raise LvsModelError('leaving: %s is not a list of director names' % fmt_value(leaving))
    kept, leaving_vips = set(), set()
    draining, drained, unreadable, stale = [], [], [], []
    for name in sorted(states):
        state = states[name] if is_mapping(states[name]) else {}
        announced = state.get('announced')
        announced = [str(vip) for vip in announced] if is_list(announced) else []
        if name in leaving:
            leaving_vips.update(announced)
            continue
        if not announced and ('error' in state or 'announced' not in state):
            unreadable.append(name)
            continue
        age = state.get('drain_intent_age')
        fresh_intent = isinstance(age, (int, float)) and not isinstance(age, bool) and 0 <= age < max_intent_age
        if isinstance(age, (int, float)) and not isinstance(age, bool) and not fresh_intent:
            stale.append(name)
        if state.get('drained') is True:
            drained.append(name)
        elif fresh_intent:
            draining.append(name)
        else:
            kept.update(announced)
    return {
        'orphaned': sorted(leaving_vips - kept),
        'kept': sorted(kept),
        'leaving_vips': sorted(leaving_vips),
        'draining': draining,
        'drained': drained,
        'unreadable': unreadable,
        'stale_intents': stale,
    }


INTERFACE_NAME = re.compile(r'^[A-Za-z0-9_.:@-]{1,15}$')


def interface_sysctls(interfaces, settings, family='ipv4'):
    """Per-interface sysctls: ``{'net.<family>.conf.<interface>.<name>': int(value)}`` for every interface
    of ``interfaces`` (duplicates once) and every ``{name: value}`` of ``settings``. A dot in an interface name
    (a VLAN such as ``eth0.100``) is written ``/`` as sysctl(8) wants it. The roles' sysctl sets are built from
    it (arp_ignore/arp_announce/rp_filter of the fabric interfaces)."""
    if family not in ('ipv4', 'ipv6'):
        raise LvsModelError('family: %s is not ipv4 or ipv6' % fmt_value(family))
    if not is_list(interfaces):
        raise LvsModelError('interfaces: %s is not a list of interface names' % fmt_value(interfaces))
    if not is_mapping(settings):
        raise LvsModelError('settings: %s is not a mapping of sysctl names to values' % fmt_value(settings))
    result = {}
    for interface in interfaces:
        if not isinstance(interface, str) or not INTERFACE_NAME.match(interface):
            raise LvsModelError('interfaces: %s is not an interface name' % fmt_value(interface))
        for name, value in settings.items():
            result['net.%s.conf.%s.%s' % (family, interface.replace('.', '/'), name)] = to_int(
                'settings.%s' % name, value)
    return result
