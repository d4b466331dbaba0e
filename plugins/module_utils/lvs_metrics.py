# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp-lvs-metrics: the Prometheus textfile writer of directors and routers (standard library only).

Installed by the director and router roles when ``director_metrics_enabled`` / ``router_metrics_enabled`` is
true, with this file and the module_utils it imports under ``/usr/local/lib/ecmp-lvs/collection`` (the same
parsers the controller uses: one source per fact) and run by ``ecmp-lvs-metrics.timer`` as a oneshot service.
It reads ``/etc/ecmp-lvs/metrics.json`` (rendered by the role), runs the read-only commands of its role,
builds the host's view with ``lvs_status`` and writes node_exporter's textfile
(``/var/lib/prometheus/node-exporter/ecmp_lvs.prom``) atomically (temporary file in the same directory, fsync,
rename).

Fail-safe: a command that fails or times out leaves its metrics out and sets
``ecmp_lvs_metrics_source_up{source=...} 0``; any other error writes a file with ``ecmp_lvs_metrics_error 1``
only, and when even that cannot be written the old file is removed: stale numbers are never served as current
(the alert rules fire on ``ecmp_lvs_metrics_error``, on a stale ``ecmp_lvs_metrics_last_run_timestamp_seconds``
and on absent metrics). The writer never changes the host: it does not touch the announcement.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys
import time

from ansible_collections.ecmp.lvs.plugins.module_utils import fileio
from ansible_collections.ecmp.lvs.plugins.module_utils import frr
from ansible_collections.ecmp.lvs.plugins.module_utils import iproute
from ansible_collections.ecmp.lvs.plugins.module_utils import lvs_status

CONFIG = '/etc/ecmp-lvs/metrics.json'
OUTPUT = '/var/lib/prometheus/node-exporter/ecmp_lvs.prom'
COMMAND_TIMEOUT = 10.0


def run(argv, timeout=COMMAND_TIMEOUT, ok=(0,)):
    """stdout of `argv`, or None when it cannot run, times out or exits with a code not in `ok`."""
    try:
        res = subprocess.run(argv, check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=timeout, env=dict(os.environ, LC_ALL='C'))
    except (OSError, subprocess.SubprocessError) as exc:
        sys.stderr.write('ecmp-lvs-metrics: %s: %s\n' % (' '.join(argv), exc))
        return None
    if res.returncode not in ok:
        sys.stderr.write('ecmp-lvs-metrics: %s: exit %d: %s\n'
                         % (' '.join(argv), res.returncode, res.stderr.strip()[:300]))
        return None
    return res.stdout


def director_raw(config, runner=run):
    """The raw outputs of a director (the same commands as playbooks/status.yml)."""
    return {
        'host': config.get('host'), 'address': config.get('address'), 'reachable': True,
        'vips': config.get('vips'),
        # `status` exits 1 when the service does not run, with the JSON that says so
        'announce': runner([config.get('announce_bin', '/usr/local/sbin/ecmp-lvs-announce'), 'status'], ok=(0, 1)),
        'ipvs': runner(['ipvsadm', '-L', '-n', '--nosort']),
        'daemons': runner(['ipvsadm', '-L', '--daemon']),
        'conn_sync': bool(config.get('conn_sync')),
    }


def routes_of(vips, runner=run):
    """route_info's routes of `vips` from `ip -j -4 route show table main` (and `ip -j -6 ...` with IPv6 VIPs:
    `ip route show` lists one family) and `ip -j nexthop show`, or None."""
    dumps = {}
    for version in sorted(set(6 if ':' in str(vip) else 4 for vip in vips) or {4}):
        what = 'ip -j -%d route show table main' % version
        text = runner(['ip', '-j', '-%d' % version, 'route', 'show', 'table', 'main'])
        if text is None:
            return None
        try:
            dumps[version] = iproute.parse_json_output(text, what)
        except iproute.IprouteError as exc:
            sys.stderr.write('ecmp-lvs-metrics: %s\n' % exc)
            return None
    nexthops = runner(['ip', '-j', 'nexthop', 'show'])
    try:
        objects = iproute.parse_json_output(nexthops, 'ip -j nexthop show') if nexthops else []
        return iproute.find_routes(dumps, vips, objects)
    except iproute.IprouteError as exc:
        sys.stderr.write('ecmp-lvs-metrics: %s\n' % exc)
        return None


def router_raw(config, runner=run):
    protocol = config.get('protocol', 'ospf')
    raw = {'host': config.get('host'), 'reachable': True, 'protocol': protocol, 'bfd': bool(config.get('bfd', True)),
           'peers': config.get('peers') or [], 'routes': routes_of(config.get('vips') or [], runner)}
    # the commands of the one FRR reader (module_utils/frr.py), whose parsers lvs_status applies to this output
    session = 'ospf' if protocol == 'ospf' else 'bgp'
    raw[session] = runner(['vtysh', '-c', frr.SESSION_COMMANDS[session][0]])
    if raw['bfd']:
        raw['bfd_peers'] = runner(['vtysh', '-c', frr.SESSION_COMMANDS['bfd'][0]])
    return raw


def render(config, runner=run, now=None):
    """The metric text of this host."""
    now = time.time() if now is None else now
    if config.get('role') == 'router':
        view = lvs_status.router_view(router_raw(config, runner), config.get('vips') or [])
        return lvs_status.router_metrics(view, now=now)
    view = lvs_status.director_view(director_raw(config, runner), config.get('services') or [])
    return lvs_status.director_metrics(view, min_directors=config.get('min_directors'), now=now)


def error_text(exc, now):
    return ('# HELP ecmp_lvs_metrics_error ecmp-lvs-metrics failed: no other ecmp_lvs metric is current.\n'
            '# TYPE ecmp_lvs_metrics_error gauge\n'
            'ecmp_lvs_metrics_error{error="%s"} 1\n'
            '# HELP ecmp_lvs_metrics_last_run_timestamp_seconds When ecmp-lvs-metrics wrote this file (Unix time).\n'
            '# TYPE ecmp_lvs_metrics_last_run_timestamp_seconds gauge\n'
            'ecmp_lvs_metrics_last_run_timestamp_seconds %r\n'
            % (lvs_status._escape(type(exc).__name__), float(now)))  # pylint: disable=protected-access


def main(argv=None, runner=run):
    argv = sys.argv[1:] if argv is None else list(argv)
    config_path = argv[0] if argv else CONFIG
    output = OUTPUT
    rc = 0
    try:
        with open(config_path, encoding='utf-8') as handle:
            config = json.load(handle)
        if not isinstance(config, dict):
            raise ValueError('%s is not a JSON object' % config_path)
        output = config.get('output') or OUTPUT
        text = render(config, runner)
    except Exception as exc:  # pylint: disable=broad-except  # any failure: no stale numbers (see the doc)
        sys.stderr.write('ecmp-lvs-metrics: %s: %s\n' % (type(exc).__name__, exc))
        text, rc = error_text(exc, time.time()), 1
    try:
        fileio.write_atomic(output, text)
    except OSError as err:
        sys.stderr.write('ecmp-lvs-metrics: %s not written (%s): removing it\n' % (output, err))
        try:
            os.unlink(output)
        except OSError:
            pass
        return 1
    return rc


if __name__ == '__main__':
    raise SystemExit(main())
