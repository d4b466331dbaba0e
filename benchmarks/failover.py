#!/usr/bin/env python
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp.lvs failover benchmark ("Zero-reset failover"), driven entirely through the lab tool.

For every configuration (benchmarks/configs/<name>.yml, extra-vars of playbooks/site.yml) it converges the
lab with site.yml, holds K long-lived HTTP/1.1 keep-alive connections from the client to the VIP
(benchmarks/guest/conn_client.py, one GET every --interval s per connection, plus --new-rate fresh
connections per second), polls the router's kernel route to the VIP at ~20 Hz
(benchmarks/guest/poll_cmd.py) and, in turn:

  director_halt     pull the plug of a director (lab/ecmplab halt, UML: uml_mconsole halt)
  director_return   boot it again (lab/ecmplab start) and wait until it is back in the route
  rs_fail           fail a real server (systemctl stop nginx, or --rs-failure link: cable cut)
  rs_restore        bring it back
  director_drain    drain a director (ecmp-lvs-announce drain + playbooks/drain.yml; --drain frr-stop: `systemctl stop frr`)
  director_undrain  undo the drain

Per event: time until the router has the new nexthop set, new-connection error window, and the share of
the established connections that survive (no RST/EOF, no stall > 2 s). Writes
benchmarks/results/<timestamp>/failover.json, failover.png (connections alive vs time per configuration)
and prints one table per configuration plus the ratios defaults/seeds.

  .venv/bin/python benchmarks/failover.py --name bench            # lab up if needed, seeds + defaults
  .venv/bin/python benchmarks/failover.py --name bench --down     # ... and remove the lab afterwards
"""

import argparse
import copy
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import threading
import time
import traceback

import failover_analysis as fa  # next to this script (Python puts the script's directory first)
import report
# the collection's FRR readers (failover_analysis has put .ansible/collections on the path)
from ansible_collections.ecmp.lvs.plugins.module_utils import frr as frr_reader  # pylint: disable=wrong-import-order

try:
    from ecmplab_lib import facade  # pylint: disable=import-error
    from ecmplab_lib.util import pid_alive  # pylint: disable=import-error
except ImportError as exc:  # a virtualenv made before the lab package was on its path
    sys.exit('benchmarks/failover.py: the lab package lab/ecmplab_lib is not importable (%s): run `make venv` (it '
             "puts lab/ on the virtualenv's path) or set PYTHONPATH=lab" % exc)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = facade.ROOT

GUEST_DIR = '/root/ecmp-bench'
NGINX_SNIPPET = '/etc/nginx/conf.d/zz-ecmp-bench.conf'
# lab-only: nginx closes a keep-alive connection after 1000 requests (keepalive_requests) or 75 s idle;
# the benchmark holds each connection for minutes at 5 requests/s.
NGINX_SNIPPET_TEXT = ('# written by benchmarks/failover.py (lab only)\n'
                      'keepalive_requests 1000000;\nkeepalive_timeout 900s;\n')


DEFINITIONS = {
    'route_converged_s': 'event -> first router poll showing the expected nexthop set (kept until the next '
                         'event); the router polls every route_poll_s and at once on every `ip monitor route` '
                         'line',
    'director_halt_t': 'last reply of a 20 Hz ping from the router to the director + 25 ms (the halt command '
                       'itself takes seconds)',
    'route_after_ipvs_ready_s': 'director_return: route back minus the first "Adding service" of keepalived in the '
                                "director's journal (negative = announced before IPVS was programmed)",
    'route_after_announce_s': 'director_return: route back minus the moment ecmp-lvs-announce added the VIP on the '
                              "returning director (its journal: quorum + hold-down passed)",
    'survived': 'established and answering at the event; no RST/EOF/error and no request unanswered for '
                'more than stall_s until the next event',
    'error_window_s': 'time covered by failing new connections (error, 2 s timeout, or answer from a host '
                      'that is not a real server) after the event: failures < 1 s apart merge into one '
                      'interval, each interval + one probe period; span_s = first to last failure',
    'director_return_t': 'the lab/ecmplab start command (boot time included)',
}


def log(msg):
    sys.stderr.write('[%s] %s\n' % (time.strftime('%H:%M:%S'), msg))
    sys.stderr.flush()


class BenchError(Exception):
    pass


class Lab:
    """The lab through lab/ecmplab (lifecycle, playbooks) and its documented ssh_config (fast SSH); its inventory
    (groups, host variables, addresses) read once through the lab's façade."""

    def __init__(self, name, inventory, python):
        self.name = name
        self.inventory = inventory
        self.python = python
        self.view = facade.LabView(name, inventory)
        self.state_dir = self.view.state_dir
        self.ssh_config = self.view.ssh_config

    def tool_cmd(self, *args):
        return self.view.tool_cmd(*args, python=self.python)

    def tool(self, *args, check=True, timeout=600, logfile=None):
        cmd = self.tool_cmd(*args)
        if logfile:
            with open(logfile, 'ab') as out:
                # stdin from /dev/null: ssh leaves an inherited stdin non-blocking, which ansible refuses
                res = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                     timeout=timeout, cwd=ROOT, check=False)
        else:
            res = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 timeout=timeout, cwd=ROOT, check=False)
        if check and res.returncode != 0:
            tail = ': ' + res.stdout.decode()[-2000:] if res.stdout else ''
            raise BenchError('lab/ecmplab %s failed (rc %d)%s' % (' '.join(args), res.returncode, tail))
        return res

    def ssh(self, host, command, stdin=None, timeout=60, check=True):
        res = subprocess.run(self.view.ssh_cmd(host, command), input=stdin if stdin is not None else b'',
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, check=False)
        if check and res.returncode != 0:
            raise BenchError('ssh %s %r: rc %d: %s' % (host, command, res.returncode,
                                                       res.stderr.decode(errors='replace')[-500:]))
        return res.stdout.decode(errors='replace')

    def put(self, host, path, data):
        self.ssh(host, 'mkdir -p %s && cat > %s' % (shlex.quote(os.path.dirname(path)), shlex.quote(path)),
                 stdin=data)

    def is_up(self):
        return self.tool('status', check=False).returncode == 0 and os.path.exists(self.ssh_config)

    def uml_pid(self, host):
        """PID of a UML guest (read-only look at the lab state) to timestamp a halt precisely."""
        try:
            with open(os.path.join(self.state_dir, 'uml', host, 'pid'), encoding='ascii') as fd:
                return int(fd.read().strip())
        except (OSError, ValueError):
            return None


def clock_offset(lab, host, samples=5):
    """guest clock - controller clock, from the sample with the smallest SSH round trip."""
    best = None
    for dummy in range(samples):
        t0 = time.time()
        out = lab.ssh(host, 'date +%s.%N')
        t1 = time.time()
        rtt = t1 - t0
        off = float(out.strip()) - (t0 + t1) / 2
        if best is None or rtt < best[0]:
            best = (rtt, off, float(out.strip()))
    rtt, off, guest_t = best
    # apply only what exceeds the measurement error (half the round trip)
    applied = off if abs(off) > rtt / 2 else 0.0
    return {'offset_s': round(off, 4), 'rtt_s': round(rtt, 4), 'applied_s': round(applied, 4),
            'guest_t': round(guest_t, 3)}


class Bench:
    def __init__(self, args, lab):
        self.args = args
        self.lab = lab
        self.groups, self.hostvars = self.lab.view.groups, self.lab.view.hostvars
        self.router = args.router or self.groups['routers'][0]
        self.client = args.client or self.groups['clients'][0]
        self.directors = self.groups['directors']
        self.realservers = self.groups['realservers']
        self.halt_director = args.halt_director or self.directors[0]
        self.drain_director = args.drain_director or self.directors[-1]
        self.fail_rs = args.fail_rs or self.realservers[0]
        self.addr = {h: str(self.lab.view.address(h)) for h in self.directors + self.realservers + [self.router]}
        # an IPv6 VIP (--vip): the real servers of its service by lvs_address6, `ip -6`; the router's nexthops are
        # the directors' link-local addresses, named by the director's address (self.aliases)
        self.family = 6 if ':' in args.vip else 4
        self.ip = 'ip -%d' % self.family
        if self.family == 6:
            for rs in self.realservers:
                self.addr[rs] = str(self.hostvars[rs]['lvs_address6'])
        self.aliases = self.director_aliases()
        self.outdir = args.out
        os.makedirs(self.outdir, exist_ok=True)
        self.drain_method = args.drain
        self.events = self.PRESETS[args.events]
        self.routing = 'ecmp'  # or static: the configuration's bench_routing
        self.changed = self.unchanged()  # what the change events did to the configuration's lvs_services
        self.halted = set()  # directors halted (director_halt) and not started again: no SSH to them
        self.drained = set()  # directors drained (director_drain, director_remove) and not back yet

    # -- helpers --------------------------------------------------------------------------------------
    def route_now(self):
        out = self.lab.ssh(self.router, '%s -j route show %s' % (self.ip, self.args.vip))
        changes, dummy = fa.parse_route_log([json.dumps({'t': 0, 'out': out})], aliases=self.aliases)
        return set(changes[0][1]) if changes else set()

    def wait_route(self, expected, timeout):
        expected = set(expected)
        deadline = time.time() + timeout
        while True:
            try:
                cur = self.route_now()
            except (BenchError, subprocess.TimeoutExpired):
                cur = None
            if cur == expected:
                return True
            if time.time() > deadline:
                log('route to %s is %s, expected %s (gave up after %ds)' % (self.args.vip, cur, expected, timeout))
                return False
            time.sleep(0.5)

    def client_status(self):
        try:
            out = self.lab.ssh(self.client, 'cat %s/status.json 2>/dev/null || true' % GUEST_DIR, timeout=20)
            return json.loads(out) if out.strip() else None
        except (BenchError, ValueError, subprocess.TimeoutExpired):
            return None

    def wait_connections(self, timeout):
        """Until the client holds K open connections that all answered within the last second."""
        deadline = time.time() + timeout
        st = None
        while time.time() < deadline:
            st = self.client_status()
            if st and st['open'] >= self.args.conns and st['alive'] >= self.args.conns:
                return st
            time.sleep(1.0)
        log('client holds %s (wanted %d open and alive)' % (st, self.args.conns))
        return st

    def ipvs_weights(self, director):
        """{rs address: weight} of the VIP service on a director."""
        out = self.lab.ssh(director, 'ipvsadm -Ln -t %s:%d' % (fa.url_host(self.args.vip), self.args.port),
                           check=False, timeout=20)
        return fa.ipvsadm_real_servers(out)

    def wait_ipvs_weight(self, rs_addr, want_zero, timeout):
        """Until every director has the real server at weight 0 (or absent) / back at weight > 0."""
        t0 = time.time()
        deadline = t0 + timeout
        done_at = {}
        directors = [d for d in self.directors if d not in self.halted]
        while time.time() < deadline and len(done_at) < len(directors):
            for d in directors:
                if d in done_at:
                    continue
                w = self.ipvs_weights(d).get(rs_addr, 0)
                if (w == 0) == want_zero:
                    done_at[d] = round(time.time() - t0, 2)
            time.sleep(0.3)
        return done_at

    def director_of_sport(self):
        """client source port -> director, as the ROUTER hashes each established flow: `ip route get VIP from
        CLIENT iif IFACE ipproto tcp sport S dport PORT` applies the kernel's L4 multipath hash (one call per flow,
        one ssh). Not `ipvsadm -Lnc` of the directors: with connection sync every director lists every flow."""
        client_addr = None
        for link in self.hostvars[self.client].get('lab_links') or []:
            client_addr = (link.get('address6') if self.family == 6 else link['address']) or ''
            client_addr = client_addr.split('/')[0] or None
        sports = (self.client_status() or {}).get('sports') or []
        if client_addr is None or not sports:
            return {}
        iif = json.loads(self.lab.ssh(self.router, '%s -j route get %s' % (self.ip, client_addr)))[0]['dev']
        # one `ip -batch` for every flow (one JSON line each): 200 `ip` processes took ~45 s on a loaded UML router
        # and the snapshot timed out; the loop stays as the fallback when a line is missing
        batch = ''.join('route get %s from %s iif %s ipproto tcp sport %d dport %d\n'
                        % (self.args.vip, client_addr, iif, int(p), self.args.port) for p in sports)
        try:
            lines = self.lab.ssh(self.router, '%s -j -batch -' % self.ip, stdin=batch.encode(), timeout=60,
                                 check=False).splitlines()
            lines = [line for line in lines if line.strip()]
            if len(lines) == len(sports):
                out = '\n'.join('%d %s' % (int(p), line) for p, line in zip(sports, lines))
            else:
                script = ('for p in %s; do echo "$p $(%s -j route get %s from %s iif %s ipproto tcp sport $p dport %d '
                          '2>/dev/null)"; done' % (' '.join(str(int(p)) for p in sports), self.ip, self.args.vip,
                                                   client_addr, iif, self.args.port))
                out = self.lab.ssh(self.router, script, timeout=180, check=False)
        except subprocess.TimeoutExpired:
            return {}
        director_of = {self.addr[d]: d for d in self.directors}
        return {sport: director_of.get(gateway)
                for sport, gateway in fa.route_get_gateways(out, self.aliases).items()}

    def director_aliases(self):
        """{address of a director on the lab's links: the director's address} - what an IPv6 route's nexthop (a
        link-local address) names a director by (the lab's fixed MACs: facade link_addresses); empty for IPv4."""
        if self.family != 6:
            return {}
        return {a: self.addr[d] for d in self.directors for a in self.lab.view.link_addresses(d)}

    # -- configuration --------------------------------------------------------------------------------
    def apply_config(self, cfg):
        path = config_path(cfg)
        logfile = os.path.join(self.outdir, '%s-site.log' % cfg)
        data = config_data(cfg)
        playbook = data.get('bench_playbook', 'playbooks/site.yml')
        extra = ['-e', '@' + path]
        if data.get('bench_health_check'):
            # the inventory's services with the configuration's check timers, as extra-vars next to the results
            varsfile = os.path.join(self.outdir, '%s-vars.json' % cfg)
            with open(varsfile, 'w', encoding='utf-8') as fd:
                json.dump({'lvs_services': self.base_services(cfg)}, fd, indent=1)
            extra += ['-e', '@' + varsfile]
        for attempt in range(1, self.args.playbook_attempts + 1):
            log('%s: %s %s (attempt %d, log %s)' % (
                cfg, playbook, ' '.join('@' + os.path.relpath(a[1:], ROOT) if a.startswith('@') else a for a in extra),
                attempt, os.path.relpath(logfile, ROOT)))
            t0 = time.time()
            res = self.lab.tool('playbook', playbook, *extra, check=False, timeout=1800, logfile=logfile)
            if res.returncode == 0:
                return {'file': os.path.relpath(path, ROOT), 'playbook': playbook,
                        'site_seconds': round(time.time() - t0, 1), 'attempts': attempt}
        raise BenchError('%s: %s failed (see %s)' % (cfg, playbook, logfile))

    def teardown(self, cfg):
        """The configuration's bench_teardown playbook (the VRRP pair: back to ecmp.lvs), if it has one."""
        playbook = config_data(cfg).get('bench_teardown')
        if playbook:
            log('%s: %s' % (cfg, playbook))
            self.lab.tool('playbook', playbook, check=False, timeout=1800,
                          logfile=os.path.join(self.outdir, '%s-teardown.log' % cfg))
        self.routing = 'ecmp'

    def verify_config(self):
        """What the lab really runs (recorded in the JSON: the benchmark compares what it measured)."""
        info = {}
        for d in self.directors:
            info[d] = {
                'sysctls': self.lab.ssh(d, 'sysctl net.ipv4.vs.sloppy_tcp net.ipv4.vs.expire_nodest_conn',
                                        check=False).strip().splitlines(),
                'ipvs': self.lab.ssh(d, 'ipvsadm -Ln -t %s:%d' % (fa.url_host(self.args.vip), self.args.port),
                                     check=False).strip().splitlines(),
            }
        info[self.router] = {
            'route': self.lab.ssh(self.router, '%s route show %s' % (self.ip, self.args.vip), check=False).strip(),
            'ospf_timers': self.lab.ssh(
                self.router, "vtysh -c 'show ip ospf interface' | grep -E 'Timer intervals' || true",
                check=False).strip().splitlines(),
            # the intervals in effect (the profile's), not the ospf interface defaults `show ip ospf interface` prints
            'bfd_intervals': self.lab.ssh(
                self.router, "vtysh -c 'show bfd peers' | grep -E 'peer |Detect-multiplier|interval' || true",
                check=False).strip().splitlines(),
            'bfd_peers': self.lab.ssh(self.router, "vtysh -c 'show bfd peers brief' 2>/dev/null || true",
                                      check=False).strip().splitlines(),
            'multipath_hash_policy': self.lab.ssh(self.router, 'sysctl -n net.ipv%d.fib_multipath_hash_policy'
                                                  % self.family, check=False).strip(),
        }
        return info

    def lab_setup(self):
        """Lab-only: guest programs, long keep-alive on the real servers' nginx."""
        for host, prog in ((self.client, 'conn_client.py'), (self.router, 'poll_cmd.py')):
            with open(os.path.join(HERE, 'guest', prog), 'rb') as fd:
                self.lab.put(host, '%s/%s' % (GUEST_DIR, prog), fd.read())
        for d in self.directors:
            with open(os.path.join(HERE, 'guest', 'poll_cmd.py'), 'rb') as fd:
                self.lab.put(d, '%s/poll_cmd.py' % GUEST_DIR, fd.read())
        for rs in self.realservers:
            cur = self.lab.ssh(rs, 'cat %s 2>/dev/null || true' % NGINX_SNIPPET)
            if cur != NGINX_SNIPPET_TEXT:
                self.lab.put(rs, NGINX_SNIPPET, NGINX_SNIPPET_TEXT.encode())
                self.lab.ssh(rs, 'nginx -t -q && systemctl reload nginx')

    # -- guest processes ------------------------------------------------------------------------------
    def start_bg(self, host, command, logname):
        out = self.lab.ssh(host, 'cd %s && (setsid nohup %s > %s 2>&1 < /dev/null & echo $!)'
                           % (GUEST_DIR, command, logname))
        return int(out.strip().splitlines()[-1])

    def stop_bg(self, host, pid, wait_file=None, timeout=30):
        self.lab.ssh(host, 'kill -TERM %d 2>/dev/null || true' % pid, check=False)
        if wait_file:
            deadline = time.time() + timeout
            while time.time() < deadline:
                if self.lab.ssh(host, 'test -s %s && echo yes || true' % wait_file, check=False).strip() == 'yes':
                    return True
                time.sleep(1)
            return False
        return True

    # -- events ---------------------------------------------------------------------------------------
    def sample_clocks(self, hosts):
        """Measure the clock offsets of `hosts` again; the analysis interpolates between the measurements
        (Bench.offsets[host]['samples'], failover_analysis.offset_at): guest clocks drift in a long run."""
        for host in hosts:
            entry = self.offsets.get(host)
            if entry is None:
                continue
            try:
                now = clock_offset(self.lab, host, samples=3)
            except (BenchError, subprocess.TimeoutExpired, ValueError):
                continue
            samples = entry.setdefault('samples', [[entry['guest_t'], entry['applied_s']]] if 'guest_t' in entry else [])
            samples.append([now['guest_t'], now['applied_s']])

    def guest_to_controller(self, host, t):
        """A guest timestamp of `host` on this machine's clock."""
        return fa.to_controller(t, fa.clock_of(self.offsets.get(host, {})))

    def timed_ssh(self, host, command):
        """Run `command` on a lab host; the time it started, on this machine's clock (host clock offset applied)."""
        out = self.lab.ssh(host, 'date +%s.%N; ' + command)
        return self.guest_to_controller(host, float(out.split()[0]))

    def gw(self, hosts):
        """The router's nexthops through `hosts`; none when the router reaches the VIP by ARP (bench_routing static:
        the VRRP pair of benchmarks/configs/vrrp.yml)."""
        if self.routing == 'static':
            return set()
        return {self.addr[h] for h in hosts}

    def ev_director_halt(self, cfg):
        d = self.halt_director
        # the router pings the director every 50 ms (timestamped replies): the last reply dates the halt;
        # the halt command itself loads the inventory and waits for every guest process (several seconds)
        self.lab.ssh(self.router, 'rm -f %s/ping.log' % GUEST_DIR)
        ping_pid = self.start_bg(self.router, 'ping -D -n -i 0.05 -W 1 %s' % self.addr[d], 'ping.log')
        time.sleep(2)
        pid = self.lab.uml_pid(d)
        gone = {}

        def watch():
            while pid and pid_alive(pid):
                time.sleep(0.005)
            gone['t'] = time.time()
        watcher = threading.Thread(target=watch, daemon=True)
        if pid:
            watcher.start()
        t_cmd = time.time()
        self.lab.tool('halt', d)
        self.halted.add(d)
        t_done = time.time()
        if pid:
            watcher.join(15)
        t_event = gone.get('t', t_done)
        source = 'guest pid gone' if 't' in gone else 'halt command returned'
        expected = self.gw(self.in_service()) - self.gw([d])
        self.wait_route(expected, 60)
        self.lab.ssh(self.router, 'kill -INT %d 2>/dev/null || true' % ping_pid, check=False)
        last_reply = None
        for line in self.lab.ssh(self.router, 'cat %s/ping.log' % GUEST_DIR, check=False).splitlines():
            if line.startswith('[') and 'bytes from' in line:
                ts = self.guest_to_controller(self.router, float(line[1:line.index(']')]))
                if ts <= t_event:
                    last_reply = ts
        extra = {'t_cmd_start': t_cmd, 't_cmd_end': t_done, 't_pid_gone': gone.get('t')}
        if last_reply is not None and last_reply >= t_cmd:
            extra['t_last_ping_reply'] = last_reply
            t_event = last_reply + 0.025
            source = 'last 20 Hz ping reply seen by the router + 25 ms'
        extra['event_time_from'] = source
        return {'name': 'director_halt', 'kind': 'director loss', 'target': d, 't': t_event,
                'method': 'lab/ecmplab halt (uml_mconsole halt: pull the plug)', 'planned': False,
                'expected_nexthops': expected, 'group_by': 'director', 'extra': extra}

    def ev_director_return(self, cfg):
        d = self.halt_director
        t_cmd = time.time()
        attempts = []
        for attempt in range(3):
            res = self.lab.tool('start', d, timeout=600, check=False)
            if res.returncode == 0:
                break
            # seen: "Failed to initialize ubd device 0" right after a halt (the COW file still held by the
            # halted guest's remaining processes): retry after a pause
            attempts.append(res.stdout.decode(errors='replace').strip().splitlines()[-1:] if res.stdout else [])
            log('lab/ecmplab start %s failed (attempt %d), retrying' % (d, attempt + 1))
            time.sleep(5)
        else:
            raise BenchError('lab/ecmplab start %s failed 3 times: %s' % (d, attempts))
        self.halted.discard(d)
        t_ssh = time.time()
        expected = self.gw(self.in_service())
        ok = self.wait_route(expected, 180)
        t_route_seen = time.time()
        extra = {'t_cmd_start': t_cmd, 'ssh_ready_after_s': round(t_ssh - t_cmd, 2), 'failed_starts': attempts,
                 'route_seen_by_controller_after_s': round(t_route_seen - t_cmd, 2), 'converged': ok}
        # when did keepalived / FRR come up on the returning director (its journal, unix timestamps)?
        try:
            off = clock_offset(self.lab, d, samples=3)['applied_s']
            jr = self.lab.ssh(d, 'journalctl -b -o short-unix --no-pager -u keepalived -u frr -u ecmp-lvs-announce -u '
                                 'systemd-sysctl -u systemd-modules-load | head -300', check=False, timeout=30)
            marks = {}
            for line in jr.splitlines():
                parts = line.split(None, 2)
                try:
                    ts = float(parts[0]) - off
                except (ValueError, IndexError):
                    continue
                text = parts[2] if len(parts) > 2 else ''
                for key, pat in (('keepalived_started', 'Started keepalived'), ('frr_started', 'Started frr'),
                                 ('ipvs_service_added', 'Adding service'),
                                 ('ipvs_service_added', 'Activating healthchecker'),
                                 ('sysctl_applied', 'Finished systemd-sysctl'),
                                 ('vip_announced', ' announced: ')):
                    if pat.lower() in text.lower() and key not in marks:
                        marks[key] = round(ts - t_cmd, 3)
            extra['journal_marks_after_start_cmd_s'] = marks
        except (BenchError, subprocess.TimeoutExpired) as exc:
            extra['journal_error'] = str(exc)
        return {'name': 'director_return', 'kind': 'director return', 'target': d, 't': t_cmd,
                'method': 'lab/ecmplab start (boot; roles enabled frr/keepalived at boot)', 'planned': True,
                'expected_nexthops': expected, 'group_by': 'director', 'extra': extra}

    def _director_pollers(self, action, pids=None):
        if action == 'start':
            pids = {}
            for d in self.directors:
                pids[d] = self.start_bg(d, 'python3 poll_cmd.py --interval 0.2 --out ipvs.jsonl -- ipvsadm -Ln',
                                        'ipvs-poll.log')
            return pids
        for d, pid in (pids or {}).items():
            self.stop_bg(d, pid)
        return None

    def ev_rs_fail(self, cfg):
        rs = self.fail_rs
        extra = {}
        if self.args.rs_failure == 'nginx':
            t_event = self.timed_ssh(rs, 'systemctl stop nginx')
            method = 'systemctl stop nginx on %s' % rs
        else:
            t_event = time.time()
            self.lab.tool('link', rs, 'eth1', 'down')
            method = 'lab/ecmplab link %s eth1 down' % rs
        extra['ipvs_weight0_after_s'] = self.wait_ipvs_weight(self.addr[rs], True, 40)
        return {'name': 'rs_fail', 'kind': 'real-server loss', 'target': rs, 't': t_event, 'method': method,
                'ends_flows_of': rs, 'planned': False, 'expected_nexthops': None, 'group_by': 'server', 'extra': extra}

    def ev_rs_restore(self, cfg):
        rs = self.fail_rs
        if self.args.rs_failure == 'nginx':
            t_event = self.timed_ssh(rs, 'systemctl start nginx')
            method = 'systemctl start nginx on %s' % rs
        else:
            t_event = time.time()
            self.lab.tool('link', rs, 'eth1', 'up')
            method = 'lab/ecmplab link %s eth1 up' % rs
        extra = {'ipvs_weight_back_after_s': self.wait_ipvs_weight(self.addr[rs], False, 40)}
        return {'name': 'rs_restore', 'kind': 'real-server return', 'target': rs, 't': t_event, 'method': method,
                'planned': True,
                'expected_nexthops': None, 'group_by': 'server', 'extra': extra}

    def ev_director_drain(self, cfg):
        d = self.drain_director
        expected = self.gw(self.in_service()) - self.gw([d])
        if self.drain_method == 'playbook':
            # the drain flag first (what playbooks/drain.yml does first), timed on the director, then the playbook:
            # it finds the director drained (no change), waits until IPVS gets no more packets and reports
            t_event = self.timed_ssh(d, '/usr/local/sbin/ecmp-lvs-announce drain')
            self.lab.tool('playbook', 'playbooks/drain.yml', '--limit', d, check=True,
                          logfile=os.path.join(self.outdir, '%s-drain.log' % cfg))
            method = 'ecmp-lvs-announce drain on %s, then playbooks/drain.yml --limit %s' % (d, d)
        else:
            t_event = self.timed_ssh(d, 'systemctl stop frr')
            method = 'systemctl stop frr on %s' % d
        self.wait_route(expected, 60)
        self.drained.add(d)
        return {'name': 'director_drain', 'kind': 'director drain', 'target': d, 't': t_event, 'method': method,
                'planned': True,
                'expected_nexthops': expected, 'group_by': 'director'}

    def ev_director_undrain(self, cfg):
        d = self.drain_director
        self.drained.discard(d)
        expected = self.gw(self.in_service())
        if self.drain_method == 'playbook':
            t_event = self.timed_ssh(d, '/usr/local/sbin/ecmp-lvs-announce undrain')
            self.lab.tool('playbook', 'playbooks/drain.yml', '--limit', d, '-e', 'lvs_drain=false', check=True,
                          logfile=os.path.join(self.outdir, '%s-undrain.log' % cfg))
            method = 'ecmp-lvs-announce undrain on %s, then playbooks/drain.yml -e lvs_drain=false --limit %s' % (d, d)
        else:
            t_event = self.timed_ssh(d, 'systemctl start frr')
            method = 'systemctl start frr on %s' % d
        self.wait_route(expected, 60)
        return {'name': 'director_undrain', 'kind': 'director undrain', 'target': d, 't': t_event, 'planned': True,
                'method': method, 'expected_nexthops': expected, 'group_by': 'director'}

    EVENTS = ('director_halt', 'director_return', 'rs_fail', 'rs_restore', 'director_drain', 'director_undrain')

    # -- changes (--events changes): what operators do to a running load balancer ------------------------
    # A change through playbooks/site.yml gives it the whole lvs_services: the configuration's, changed as the changes
    # so far left it (self.changed: weights, the health check, servers removed; extra-vars file next to the results).
    # config_restore runs site.yml with the configuration as it is: the sequence ends where it began.
    CHANGES = ('rs_weight0', 'rs_weight_restore', 'rs_weight_change', 'health_check_change', 'rs_remove', 'rs_add',
               'keepalived_restart', 'frr_restart', 'router_frr_restart', 'link_flap', 'ospf_key_rotation',
               'director_remove', 'director_add', 'config_restore')
    CHANGED_CHECK = {'type': 'tcp', 'connect_timeout': 3}
    CHANGED_WEIGHT = 3

    def base_services(self, cfg):
        """lvs_services of a configuration: its file's, else the inventory's; bench_health_check merged into every
        health check (config_services)."""
        return config_services(cfg, self.hostvars[self.directors[0]]['lvs_services'])

    def services_with(self, cfg, weights=None, check=None, removed=()):
        """The configuration's lvs_services with real servers at other weights ({host: weight}), without some, or
        with another health check (not changed in place)."""
        services = copy.deepcopy(self.base_services(cfg))
        timers = config_data(cfg).get('bench_health_check') or {}
        for svc in services:
            if check is not None:
                svc.pop('health_checks', None)
                svc['health_check'] = dict(timers, **check)
            kept = []
            for rs in svc.get('real_servers') or []:
                if rs.get('host') in removed:
                    continue
                if rs.get('host') in (weights or {}):
                    rs = dict(rs, weight=weights[rs['host']])
                kept.append(rs)
            svc['real_servers'] = kept
        return services

    def site_change(self, label, name, what, target=None, kind=None, **change):
        """Apply `change` (weight={host: w | None}, check=dict | None, removed=host, added=host) to self.changed,
        then playbooks/site.yml -e @CONFIG -e {lvs_services: ...}: the event."""
        state = self.changed
        for host, weight in (change.get('weight') or {}).items():
            if weight is None:
                state['weights'].pop(host, None)
            else:
                state['weights'][host] = weight
        if 'check' in change:
            state['check'] = change['check']
        if change.get('removed'):
            state['removed'].add(change['removed'])
        if change.get('added'):
            state['removed'].discard(change['added'])
        if change.get('reset'):
            self.changed = state = self.unchanged()
        services = self.services_with(label, state['weights'], state['check'], state['removed'])
        varsfile = os.path.join(self.outdir, '%s-%s-vars.json' % (label, name))
        with open(varsfile, 'w', encoding='utf-8') as fd:
            json.dump({'lvs_services': services}, fd, indent=1)
        logfile = os.path.join(self.outdir, '%s-%s.log' % (label, name))
        t0 = time.time()
        extra = shlex.split(self.args.site_args or '')
        res = self.lab.tool('playbook', 'playbooks/site.yml', '-e', '@' + config_path(label), '-e', '@' + varsfile,
                            *extra, check=False, timeout=1800, logfile=logfile)
        if res.returncode != 0:
            raise BenchError('%s: site.yml failed (see %s)' % (name, logfile))
        return {'name': name, 'kind': kind or name.replace('_', ' '), 'target': target or self.fail_rs, 't': t0,
                'method': 'playbooks/site.yml%s with %s' % (''.join(' ' + a for a in extra), what), 'planned': True,
                'expected_nexthops': None, 'group_by': 'server',
                'extra': {'site_seconds': round(time.time() - t0, 1), 'vars': os.path.relpath(varsfile, ROOT)}}

    @staticmethod
    def unchanged():
        return {'weights': {}, 'check': None, 'removed': set()}

    def ev_rs_weight0(self, cfg):
        rs = self.fail_rs
        return self.site_change(cfg, 'rs_weight0', '%s at weight 0' % rs, kind='real server out by weight 0',
                                weight={rs: 0})

    def ev_rs_weight_restore(self, cfg):
        rs = self.fail_rs
        return self.site_change(cfg, 'rs_weight_restore', "%s at the configuration's weight" % rs,
                                kind='real server back from weight 0', weight={rs: None})

    def ev_rs_weight_change(self, cfg):
        """Weight CHANGED_WEIGHT for --fail-rs, or back to the configuration's when it has it already."""
        rs = self.fail_rs
        weight = None if self.changed['weights'].get(rs) == self.CHANGED_WEIGHT else self.CHANGED_WEIGHT
        return self.site_change(cfg, 'rs_weight_change', '%s at weight %s' % (rs, weight or "the configuration's"),
                                kind='weight change', weight={rs: weight})

    def ev_health_check_change(self, cfg):
        """Every service's health check CHANGED_CHECK, or back to the configuration's (keepalived reload)."""
        check = None if self.changed['check'] else dict(self.CHANGED_CHECK)
        return self.site_change(cfg, 'health_check_change', 'health_check %s' % (
            json.dumps(check) if check else "of the configuration"), target='services',
            kind='health check change (keepalived reload)', check=check)

    def ev_rs_remove(self, cfg):
        ev = self.site_change(cfg, 'rs_remove', '%s removed from every service' % self.fail_rs,
                              kind='real server removed from the services', removed=self.fail_rs)
        ev['ends_flows_of'] = self.fail_rs  # its flows end with it: not counted against the target
        return ev

    def ev_rs_add(self, cfg):
        return self.site_change(cfg, 'rs_add', '%s in the services again' % self.fail_rs, kind='real server added',
                                added=self.fail_rs)

    # a director leaves the fleet and a new one joins (N -> N-1 -> N): in this lab the same host, decommissioned (drained,
    # its daemons stopped, IPVS cleared: what a fresh director has) and converged again by site.yml like a new one
    REMOVE_COMMAND = 'systemctl stop frr keepalived ecmp-lvs-announce ecmp-lvs-conn-sync; ipvsadm -C'

    def ev_director_remove(self, cfg):
        ev = self.ev_director_drain(cfg)
        d = ev['target']
        self.lab.ssh(d, self.REMOVE_COMMAND, timeout=120)
        ev.update(name='director_remove', kind='director removed (drained, daemons stopped, IPVS cleared)',
                  method='%s; then %s' % (ev['method'], self.REMOVE_COMMAND))
        return ev

    def ev_director_add(self, cfg):
        d = self.drain_director
        self.drained.discard(d)
        self.lab.ssh(d, '/usr/local/sbin/ecmp-lvs-announce undrain', timeout=60)  # a new director is not drained
        ev = self.site_change(cfg, 'director_add', '%s joining (IPVS empty, no synced entry yet)' % d, target=d,
                              kind='director added')
        expected = self.gw(self.in_service())
        ev.update(group_by='director', expected_nexthops=expected)
        ev['extra']['route_back'] = self.wait_route(expected, 180)
        return ev

    def ev_config_restore(self, cfg):
        return self.site_change(cfg, 'config_restore', 'the configuration as it is (every change undone)',
                                target='services', kind='configuration restored', reset=True)

    def in_service(self):
        """The directors the router should route to now: not halted, not drained (a soak takes one out at a time; the
        events of the others wait for the route without it)."""
        return [d for d in self.directors if d not in self.halted and d not in self.drained]

    def wait_ipvs_full(self, director, timeout):
        """Until `director` has every real server of the VIP's service at weight > 0 again (seconds or None)."""
        t0 = time.time()
        want = {self.addr[rs] for rs in self.realservers}
        while time.time() - t0 < timeout:
            weights = self.ipvs_weights(director)
            if want <= {a for a, w in weights.items() if w > 0}:
                return round(time.time() - t0, 2)
            time.sleep(0.3)
        return None

    def _director_event(self, name, kind, command, planned=True):
        d = self.halt_director
        t0 = self.timed_ssh(d, command)
        expected = self.gw(self.in_service())
        extra = {'ipvs_full_after_s': self.wait_ipvs_full(d, 60), 'route_back': self.wait_route(expected, 90)}
        return {'name': name, 'kind': kind, 'target': d, 't': t0, 'method': '%s on %s' % (command, d),
                'planned': planned, 'expected_nexthops': expected, 'group_by': 'director', 'extra': extra}

    def ev_keepalived_restart(self, cfg):
        return self._director_event('keepalived_restart', 'keepalived restart', 'systemctl restart keepalived')

    def ev_frr_restart(self, cfg):
        return self._director_event('frr_restart', 'FRR restart', 'systemctl restart frr')

    def wait_sessions(self, timeout):
        """Seconds until the router has its session with every director up again (OSPF Full, BGP Established), None
        when not within `timeout`; read with the collection's own FRR readers."""
        protocol = self.hostvars[self.router].get('lvs_routing_protocol') or 'ospf'
        command, reader = {'ospf': ("vtysh -c 'show ip ospf neighbor json'", frr_reader.ospf_neighbors),
                           'bgp': ("vtysh -c 'show bgp ipv4 unicast summary json'", frr_reader.bgp_peers)}[protocol]
        peers = [self.addr[d] for d in self.directors]
        t0 = time.time()
        while True:
            try:
                sessions = reader(self.lab.ssh(self.router, command, check=False, timeout=20))
                if not frr_reader.session_differences(protocol, sessions, peers):
                    return round(time.time() - t0, 2)
            except (BenchError, frr_reader.FrrError, subprocess.TimeoutExpired):
                pass
            if time.time() - t0 > timeout:
                return None
            time.sleep(0.5)

    def ev_router_frr_restart(self, cfg):
        """systemctl restart frr on the router: its VIP routes stay in the kernel (router_frr_keep_routes; with 0, FRR's
        own restart, they leave it until OSPF is back); sessions_back_s: when its sessions with every director are up
        again."""
        # frr.service allows 3 starts in 3 minutes (StartLimitBurst): the soak may restart it more often than that
        self.lab.ssh(self.router, 'systemctl reset-failed frr.service', check=False)
        t0 = self.timed_ssh(self.router, 'systemctl restart frr')
        expected = self.gw(self.in_service())
        extra = {'sessions_back_s': self.wait_sessions(120), 'route_back': self.wait_route(expected, 90)}
        return {'name': 'router_frr_restart', 'kind': 'router FRR restart', 'target': self.router, 't': t0,
                'method': 'systemctl restart frr on %s' % self.router, 'planned': True, 'touches_all': True,
                'expected_nexthops': expected, 'group_by': None, 'extra': extra}

    def ev_link_flap(self, cfg):
        d = self.halt_director
        t0 = time.time()
        self.lab.tool('link', d, 'eth1', 'down')
        t_down = time.time()
        time.sleep(self.args.flap)
        self.lab.tool('link', d, 'eth1', 'up')
        expected = self.gw(self.in_service())
        extra = {'link_down_cmd_s': round(t_down - t0, 2), 'down_for_s': round(time.time() - t0, 2),
                 'route_back': self.wait_route(expected, 90)}
        return {'name': 'link_flap', 'kind': 'fabric link flap', 'target': d, 't': t0,
                'method': 'lab/ecmplab link %s eth1 down, %s s, up' % (d, self.args.flap), 'planned': False,
                'expected_nexthops': expected, 'group_by': 'director', 'extra': extra}

    def ev_ospf_key_rotation(self, cfg):
        """The README's three steps, every one through playbooks/ospf-key-switch.yml (as the key rotation test):
        accept a new key, switch to it (all hosts at one moment), switch back, retire it."""
        hv = self.hostvars[self.directors[0]]
        key0, id0 = hv.get('lvs_ospf_auth_key'), int(hv.get('lvs_ospf_auth_key_id', 1))
        if hv.get('lvs_routing_protocol', 'ospf') != 'ospf' or not key0:
            raise BenchError('ospf_key_rotation needs OSPF with lvs_ospf_auth_key')
        temp, temp_id = 'bench-rotated-%d' % (id0 + 1), id0 + 1
        t0 = time.time()
        steps = []
        for key, key_id, accept, delay in ((key0, id0, [(temp_id, temp)], 0), (temp, temp_id, [(id0, key0)], 60),
                                           (key0, id0, [(temp_id, temp)], 60), (key0, id0, [], 0)):
            extra = json.dumps({'lvs_ospf_auth_key': key, 'lvs_ospf_auth_key_id': key_id,
                                'lvs_ospf_auth_accept_keys': [{'id': i, 'key': k} for i, k in accept]})
            ts = time.time()
            res = self.lab.tool('playbook', 'playbooks/ospf-key-switch.yml', '-e', extra,
                                '-e', 'lvs_ospf_key_switch_delay=%d' % delay, check=False, timeout=900,
                                logfile=os.path.join(self.outdir, '%s-ospf-key-%d.log' % (cfg, len(steps) + 1)))
            if res.returncode != 0:
                raise BenchError('ospf-key-switch.yml step %d failed' % (len(steps) + 1))
            steps.append(round(time.time() - ts, 1))
        return {'name': 'ospf_key_rotation', 'kind': 'OSPF key rotation', 'target': 'routers:directors', 't': t0,
                'method': 'playbooks/ospf-key-switch.yml: accept, switch, switch back, retire', 'planned': True,
                'expected_nexthops': None, 'group_by': None, 'extra': {'step_seconds': steps}}

    PRESETS = {'failover': EVENTS, 'changes': CHANGES}
    # events whose flows are split by the director the router hashes them to (a snapshot just before the event)
    BY_DIRECTOR = ('director_halt', 'director_return', 'director_drain', 'director_undrain', 'keepalived_restart',
                   'frr_restart', 'link_flap', 'director_remove', 'director_add')
    # ... of them, those that bring a director back: the flows that move are those the router hashes to it once it is
    # routed again (a snapshot before would give every flow to the others), so their snapshot is taken after
    BY_DIRECTOR_AFTER = ('director_return', 'director_undrain', 'director_add')

    # -- one configuration ----------------------------------------------------------------------------
    def run_config(self, label):
        """One run of a configuration: `label` is the configuration's name (its first run: site.yml applies it) or
        NAME@N (run N of --runs: the lab as the previous run left it, every event undone)."""
        res = self.prepare(label)
        traffic = self.start_traffic(label)
        events, snapshots = [], {}
        pollers = None
        try:
            skip = set(self.args.skip_event) | set(config_data(label).get('bench_skip_events') or [])
            for name in self.events:
                if name in skip:
                    continue
                if name == 'rs_fail':
                    pollers = self._director_pollers('start')
                events.append(self.run_event(label, name, snapshots))
                if name == 'rs_restore' and pollers:
                    self._director_pollers('stop', pollers)
                    pollers = None
        finally:
            raw = self.collect(label, traffic)
        res.update(self.finish_run(label, raw, events, snapshots))
        return res

    def prepare(self, label):
        """site.yml on a configuration's first run; the route with every director; guest programs; clock offsets."""
        cfg = label.split('@')[0]
        res = {'config': cfg}
        self.routing = config_data(cfg).get('bench_routing', 'ecmp')
        if not self.args.skip_playbook and label == cfg:
            res['site'] = self.apply_config(cfg)
        if not self.wait_route(self.gw(self.directors), 120):
            raise BenchError('%s: no route to %s with every director after site.yml (does the configuration keep '
                             'the service of --vip? seeds.yml has only the IPv4 one)' % (cfg, self.args.vip))
        res['verify'] = self.verify_config()
        self.lab_setup()
        self.offsets = {h: clock_offset(self.lab, h) for h in
                        [self.client, self.router] + self.directors + self.realservers}
        res['clock_offsets'] = self.offsets
        return res

    def start_traffic(self, label):
        """The router's route poller and the client (K keep-alive connections + new ones); {host: pid}."""
        self.lab.ssh(self.client, 'rm -f %s/client.json %s/status.json' % (GUEST_DIR, GUEST_DIR))
        self.lab.ssh(self.router, 'rm -f %s/route.jsonl' % GUEST_DIR)
        for d in self.directors:
            self.lab.ssh(d, 'rm -f %s/ipvs.jsonl' % GUEST_DIR, check=False)
        a = self.args
        router_pid = self.start_bg(self.router, 'python3 poll_cmd.py --interval %s --trigger "ip -o monitor route" '
                                   '--out route.jsonl -- '
                                   '%s -j route show %s' % (a.route_poll, self.ip, a.vip), 'route-poll.log')
        client_cmd = ('python3 conn_client.py --vip %s --port %d --conns %d --interval %s --new-rate %s '
                      '--stall %s --ramp %s --alive-age %s --out client.json --status-file status.json'
                      % (a.vip, a.port, a.conns, a.interval, a.new_rate, a.stall, a.ramp, a.interval + 0.5))
        client_pid = self.start_bg(self.client, client_cmd, 'client.log')
        self.t_traffic = time.time()
        log('%s: client holds %d connections (GET every %ss each) + %s new/s'
            % (label, a.conns, a.interval, a.new_rate))
        time.sleep(a.ramp)
        self.wait_connections(30)
        time.sleep(a.settle)
        return {self.client: client_pid, self.router: router_pid}

    def run_event(self, label, name, snapshots, key=None):
        """One event once the client holds K answering connections again, then --settle seconds. `key` names the
        event's snapshot of the router's hashing (default: its name; the soak repeats events)."""
        st = self.wait_connections(30)
        key = key or name
        if name in self.BY_DIRECTOR and name not in self.BY_DIRECTOR_AFTER:
            snapshots[key] = self.director_of_sport()
        log('%s: %s (client: %s)' % (label, key, st and {k: st[k] for k in ('open', 'alive')}))
        ev = getattr(self, 'ev_' + name)(label)
        if name in self.BY_DIRECTOR_AFTER:
            snapshots[key] = self.director_of_sport()
        ev['held_before'] = st
        ev.setdefault('target_address', self.addr.get(ev['target']))
        if key != name:
            ev['snapshot'] = key
        log('%s: %s done, settling %ss' % (label, key, self.args.settle))
        time.sleep(self.args.settle)
        return ev

    def collect(self, label, traffic):
        """Stop the client and the route poller; their logs (also written to the results directory)."""
        t_stop = time.time()
        self.stop_bg(self.client, traffic[self.client], '%s/client.json' % GUEST_DIR, timeout=60)
        self.stop_bg(self.router, traffic[self.router])
        time.sleep(1)
        client = json.loads(self.lab.ssh(self.client, 'cat %s/client.json' % GUEST_DIR, timeout=120))
        route_lines = self.lab.ssh(self.router, 'cat %s/route.jsonl' % GUEST_DIR, timeout=60).splitlines()
        # the router's OSPF adjacencies that left Full meanwhile (a BFD session down shows up as InactivityTimer):
        # those of a director that no event touched are a disturbance of the lab, recorded with every event
        clock = fa.clock_of(self.offsets.get(self.router, {}))
        journal = self.lab.ssh(self.router, 'journalctl -u frr -o short-unix --no-pager --since @%d | grep AdjChg || '
                               'true' % int(self.t_traffic + fa.offset_at(clock, self.t_traffic) - 5), check=False,
                               timeout=60)
        adjacency = fa.adjacency_resets(journal, clock)
        with open(os.path.join(self.outdir, '%s-client.json' % label), 'w', encoding='utf-8') as fd:
            json.dump(client, fd)
        with open(os.path.join(self.outdir, '%s-route.jsonl' % label), 'w', encoding='utf-8') as fd:
            fd.write('\n'.join(route_lines) + '\n')
        ipvs = self.copy_guest_logs(label, 'ipvs', self.directors)
        return {'client': client, 'route_lines': route_lines, 't_stop': t_stop, 'adjacency_resets': adjacency,
                'ipvs_logs': ipvs}

    def copy_guest_logs(self, label, name, hosts):
        """{host: text} of GUEST_DIR/NAME.jsonl (a program's log; empty when it has none) of every host SSH reaches,
        each copied to the results directory as LABEL-NAME-HOST.jsonl."""
        logs = {}
        for host in hosts:
            try:
                text = self.lab.ssh(host, 'cat %s/%s.jsonl 2>/dev/null || true' % (GUEST_DIR, name), timeout=30)
            except (BenchError, subprocess.TimeoutExpired):
                continue
            with open(os.path.join(self.outdir, '%s-%s-%s.jsonl' % (label, name, host)), 'w', encoding='utf-8') as fd:
                fd.write(text)
            logs[host] = text
        return logs

    def finish_run(self, label, raw, events, snapshots):
        """Raw logs + events -> the run's analysis (and LABEL-events.json for --reanalyse)."""
        with open(os.path.join(self.outdir, '%s-events.json' % label), 'w', encoding='utf-8') as fd:
            json.dump({'events': events, 'snapshots': snapshots, 't_stop': raw['t_stop'], 'offsets': self.offsets,
                       'aliases': self.aliases, 'adjacency_resets': raw['adjacency_resets']}, fd,
                      default=lambda o: sorted(o) if isinstance(o, (set, frozenset)) else str(o))
        res = analyse_config(raw['client'], raw['route_lines'], events, snapshots, raw['t_stop'], self.offsets,
                             self.client, self.router, set(self.realservers), self.args.stall, self.aliases,
                             raw['adjacency_resets'])
        res['director_snapshot_sizes'] = {k: len(v) for k, v in snapshots.items()}
        return res


def config_path(cfg):
    """benchmarks/configs/CFG.yml of a configuration or of its run CFG@N."""
    return os.path.join(HERE, 'configs', '%s.yml' % cfg.split('@')[0])


def config_data(cfg):
    """benchmarks/configs/CFG.yml (CFG or CFG@N): extra-vars of site.yml, and bench_* keys for the benchmark."""
    import yaml  # pylint: disable=import-outside-toplevel  # ansible's dependency, in the virtualenv
    if not os.path.exists(config_path(cfg)):
        raise BenchError('no configuration %s' % config_path(cfg))
    with open(config_path(cfg), encoding='utf-8') as fd:
        return yaml.safe_load(fd) or {}


def config_services(cfg, inventory_services):
    """lvs_services of configuration CFG: its file's lvs_services, else `inventory_services`, with the file's
    bench_health_check (e.g. faster check timers: {delay_loop: 0.5, delay_before_retry: 0.2}) merged into every
    health check. A copy: neither input is changed."""
    data = config_data(cfg)
    services = copy.deepcopy(data.get('lvs_services') or inventory_services)
    timers = data.get('bench_health_check') or {}
    if not isinstance(timers, dict):
        raise BenchError('%s: bench_health_check must be a mapping of health_check fields' % config_path(cfg))
    for svc in services:
        if timers and 'health_checks' in svc:
            svc['health_checks'] = [dict(hc, **timers) for hc in svc['health_checks']]
        elif timers:
            svc['health_check'] = dict(svc.get('health_check') or {}, **timers)
    return services


def analyse_config(client, route_lines, events, snapshots, t_stop, offsets, client_host, router, servers_ok, stall,
                   aliases=None, adjacency=None):
    """Raw logs of one configuration -> baseline, events metrics, timeline (also used by --reanalyse)."""
    res = {}
    client = fa.shift_client(client, fa.clock_of(offsets[client_host]))
    changes, summary = fa.parse_route_log(route_lines, fa.clock_of(offsets[router]), aliases)
    for i, ev in enumerate(events):
        ev['t_end'] = events[i + 1]['t'] if i + 1 < len(events) else t_stop
    first_t = events[0]['t'] if events else t_stop
    res['baseline'] = fa.baseline(client, first_t, servers_ok, stall)
    res['route_poller'] = summary
    res['events'] = fa.analyse(client, changes, events, servers_ok, snapshots, stall)
    res['adjacency_resets'] = adjacency
    for ev, out in zip(events, res['events']):
        out['held_before'] = ev.get('held_before')
        if adjacency is not None:
            window = fa.resets_in(adjacency, out['t'], out['t'] + out['window_s'])
            out['adjacency_resets'] = window
            out['foreign_adjacency_resets'] = fa.foreign_resets(window, ev)
        marks = (out.get('extra') or {}).get('journal_marks_after_start_cmd_s') or {}
        conv = out['route'].get('converged_s')
        if 'ipvs_service_added' in marks and conv is not None:
            out['route']['route_after_ipvs_ready_s'] = round(conv - marks['ipvs_service_added'], 3)
        if 'vip_announced' in marks and conv is not None:
            out['route']['route_after_announce_s'] = round(conv - marks['vip_announced'], 3)
    res['timeline'] = {
        'start': client['started'],
        'samples': client['samples'],
        'route': [[round(t, 3), sorted(g)] for t, g in changes],
        'probe_failures': [p[0] for p in client['probes']
                           if p[2] != 'ok' or p[3] not in servers_ok],
        'events': [[e['t'], e['name']] for e in events],
    }
    return res


def reanalyse(outdir, fail_rs):
    """Recompute failover.json (metrics, ratios, targets, plot) from the raw logs of a results directory."""
    path = os.path.join(outdir, 'failover.json')
    with open(path, encoding='utf-8') as fd:
        results = json.load(fd)
    for cfg, res in results['configs'].items():
        evfile = os.path.join(outdir, '%s-events.json' % cfg)
        if 'error' in res or not os.path.exists(evfile):
            continue
        with open(evfile, encoding='utf-8') as fd:
            raw = json.load(fd)
        with open(os.path.join(outdir, '%s-client.json' % cfg), encoding='utf-8') as fd:
            client = json.load(fd)
        with open(os.path.join(outdir, '%s-route.jsonl' % cfg), encoding='utf-8') as fd:
            route_lines = fd.read().splitlines()
        snapshots = {k: {int(p): d for p, d in v.items()} for k, v in raw['snapshots'].items()}
        hosts = results['lab'].get('hosts', {})
        res.update(analyse_config(client, route_lines, raw['events'], snapshots, raw['t_stop'], raw['offsets'],
                                  hosts.get('client', 'client1'), hosts.get('router', 'router1'),
                                  set(hosts.get('realservers', ['rs1', 'rs2'])), results['params']['stall_s'],
                                  raw.get('aliases'), raw.get('adjacency_resets')))
    finish(results, outdir, fail_rs or results['params']['fail_rs'])
    return results


def finish(results, outdir, fail_rs):
    results['definitions'] = DEFINITIONS
    configs = list(results['configs'])
    # ecmp.lvs's configurations (not the seeds' manual setup, not the VRRP pair): the targets are judged on defaults,
    # else on the first of them; the VRRP pair is compared with the first of them
    ours = [c for c in configs if c not in ('vrrp', 'seeds') and '@' not in c and 'events' in results['configs'][c]]
    if 'seeds' in results['configs'] and 'defaults' in results['configs']:
        results['ratios_of'] = ['defaults', 'seeds']
        results['ratios'] = compute_ratios(results, 'defaults', 'seeds')
        results['ratios_all'] = {c: compute_ratios(results, c, 'seeds') for c in configs if c != 'seeds'}
    if 'vrrp' in results['configs'] and ours:
        results['ratios_vrrp_of'] = [ours[0], 'vrrp']
        results['ratios_vrrp'] = compute_ratios(results, ours[0], 'vrrp')
    tgt = 'defaults' if 'defaults' in ours else (ours[0] if ours else None)
    for cfg in configs:
        if 'events' in results['configs'][cfg]:
            results['configs'][cfg]['targets'] = evaluate_targets(results['configs'][cfg], fail_rs)
    if tgt:
        results['targets_config'] = tgt
        results['targets'] = results['configs'][tgt]['targets']
    publishable(results, outdir)
    png = plot(results, os.path.join(outdir, 'failover.png'))
    results['plot'] = os.path.relpath(png, ROOT) if png else None
    with open(os.path.join(outdir, 'failover.json'), 'w', encoding='utf-8') as fd:
        json.dump(results, fd, indent=1, default=lambda o: sorted(o) if isinstance(o, (set, frozenset)) else str(o))
    print_tables(results)
    print('\nresults: %s' % os.path.relpath(os.path.join(outdir, 'failover.json'), ROOT))
    if png:
        print('plot:    %s' % os.path.relpath(png, ROOT))


def publishable(results, outdir):
    """failover-NAME[-ipv6].json per configuration: the median, min and max over its runs of every event's figures
    (failover_analysis.runs_summary), in the format of benchmarks/report.py --publish."""
    params = results['params']
    family = 'IPv6' if ':' in params['vip'] else 'IPv4'
    changes = params.get('events') == 'changes'
    groups = {}
    for label, res in results['configs'].items():
        if 'events' in res:
            groups.setdefault(res['config'], []).append(res['events'])
    for cfg, runs in groups.items():
        summary, units, labels = fa.runs_summary(runs)
        data = {
            'title': '%s, %s configuration, %s' % ('Changes under load' if changes else 'Failover', cfg, family),
            'what': ('What clients see through the VIP %s:%d (%s) when the load balancer changes: %d long-lived HTTP '
                     'keep-alive connections (one GET every %s s each) and %s new connections per second from one '
                     'client, UML lab %s (%d directors, %d real servers); per event the established connections '
                     'that survived it (no reset, no request unanswered > %s s), those the router hashed to the '
                     'director of the event (moved), the route convergence and the new-connection error window'
                     % (fa.url_host(params['vip']), params['port'], family, params['conns'], params['interval'], params['new_rate'],
                        results['lab']['inventory'], len(results['lab']['hosts']['directors']),
                        len(results['lab']['hosts']['realservers']), params['stall_s'])),
            'summary': summary, 'units': units, 'labels': labels,
            'headline': [m for m in ('director_halt_survived_pct', 'director_halt_moved_survived_pct',
                                     'director_halt_route_converged_s', 'director_drain_survived_pct',
                                     'keepalived_restart_survived_pct', 'frr_restart_survived_pct',
                                     'link_flap_error_window_s', 'rs_weight0_new_failed')
                         if summary.get(m)],
            'source': 'benchmarks/failover.py', 'config': cfg, 'runs': len(runs),
        }
        if report.measured(results.get('timestamp')):
            data['measured'] = report.measured(results['timestamp'])
        results.setdefault('publishable', {})[cfg] = '%s-%s%s.json' % (
            'changes' if changes else 'failover', cfg, '-ipv6' if family == 'IPv6' else '')
        with open(os.path.join(outdir, results['publishable'][cfg]), 'w', encoding='utf-8') as fd:
            json.dump(data, fd, indent=1, sort_keys=True)


# -- report ---------------------------------------------------------------------------------------------
def fmt(v, unit=''):
    if v is None:
        return '-'
    if isinstance(v, float):
        return '%.2f%s' % (v, unit)
    return '%s%s' % (v, unit)


def print_tables(results):
    for cfg, res in results['configs'].items():
        if 'error' in res:
            print('\n== %s: ERROR %s' % (cfg, res['error']))
            continue
        b = res['baseline']
        print('\n== configuration %s (%s); baseline: %d probes, %d failed, p50 %.3fs; %d conns opened, %d failed'
              % (cfg, res.get('site', {}).get('file', '-'), b['probes'], b['probe_failures'],
                 b['probe_latency_p50_s'] or 0, b['connections_opened'], b['connections_failed']))
        hdr = '%-19s %-10s %9s %13s %7s %9s %9s %8s  %s' % (
            'event', 'target', 'route_s', 'survived', 'RST', 'max_lat', 'newerr_s', 'newfail', 'failure causes')
        print(hdr)
        print('-' * len(hdr))
        for ev in res['events']:
            c = ev['connections']
            n = ev['new_connections']
            print('%-19s %-10s %9s %13s %7d %9s %9s %8s  %s' % (
                ev['event'], ev['target'], fmt(ev['route'].get('converged_s')),
                '%d/%d %s' % (c['survived'], c['established'], fmt(c['survived_pct'], '%')), c['resets'],
                fmt(c['max_request_latency_s']), fmt(n['error_window_s']), '%d/%d' % (n['failed'], n['attempts']),
                ', '.join('%s %d' % kv for kv in sorted(c['failures'].items())) or '-'))
            if c.get('by'):
                by = '; '.join('%s: %d/%d' % (k, v['survived'], v['established']) for k, v in c['by'].items())
                print('%-19s %s' % ('', by))
            if ev.get('foreign_adjacency_resets'):
                print('%-19s LAB DISTURBANCE: %d OSPF adjacency resets of directors the event did not touch: %s' % (
                    '', ev['foreign_adjacency_resets'], ev['adjacency_resets']))
            moved = (ev.get('flows_moved_or_stayed') or {}).get('by')
            if moved:
                print('%-19s flows the router hashed to %s (moved) / to the others (stayed): %s' % (
                    '', ev['target'],
                    '; '.join('%s %d/%d' % (k, v['survived'], v['established']) for k, v in moved.items())))
    if results.get('ratios'):
        print('\n== ratios (%s / %s)' % tuple(results['ratios_of']))
        print('%-17s %14s %14s %14s' % ('event', 'survived_pct', 'route_s', 'newerr_s'))
        for name, r in results['ratios'].items():
            print('%-17s %14s %14s %14s' % (name, fmt(r.get('survived_pct')), fmt(r.get('route_converged_s')),
                                            fmt(r.get('new_connection_error_window_s'))))
    if results.get('ratios_vrrp'):
        ours = results['ratios_vrrp_of'][0]
        print('\n== ecmp.lvs (%s) beside the keepalived VRRP pair (vrrp): survived, new-connection error window' % ours)
        print('%-19s %16s %14s %16s %14s' % ('event', ours, 'vrrp', ours + ' err_s', 'vrrp err_s'))
        for name, r in results['ratios_vrrp'].items():
            print('%-19s %16s %14s %16s %14s' % (name, fmt(r[ours]['survived_pct'], '%'), fmt(r['vrrp']['survived_pct'], '%'),
                                                 fmt(r[ours]['error_window_s']), fmt(r['vrrp']['error_window_s'])))
    if results.get('targets'):
        print('\n== targets (%s)' % results['targets_config'])
        for name, t in results['targets'].items():
            print('%-19s %-5s %s' % (name, 'PASS' if t['pass'] else 'FAIL', t['detail']))


def ratio(a, b):
    if a is None or b is None:
        return None
    if b == 0:
        return None if a == 0 else float('inf')
    return round(a / b, 3)


def compute_ratios(results, num, den):
    out = {}
    ca, cb = results['configs'].get(num), results['configs'].get(den)
    if not ca or not cb or 'events' not in ca or 'events' not in cb:
        return out
    eb = {e['event']: e for e in cb['events']}
    for ea in ca['events']:
        e2 = eb.get(ea['event'])
        if not e2:
            continue
        out[ea['event']] = {
            'survived_pct': ratio(ea['connections']['survived_pct'], e2['connections']['survived_pct']),
            'route_converged_s': ratio(ea['route'].get('converged_s'), e2['route'].get('converged_s')),
            'new_connection_error_window_s': ratio(ea['new_connections']['error_window_s'],
                                                   e2['new_connections']['error_window_s']),
            num: {'survived_pct': ea['connections']['survived_pct'], 'route_converged_s': ea['route'].get('converged_s'),
                  'error_window_s': ea['new_connections']['error_window_s']},
            den: {'survived_pct': e2['connections']['survived_pct'], 'route_converged_s': e2['route'].get('converged_s'),
                  'error_window_s': e2['new_connections']['error_window_s']},
        }
    return out


def evaluate_targets(res, fail_rs):
    """The issue's targets, on one configuration."""
    t = {}
    ev = {e['event']: e for e in res.get('events', [])}
    for name in ('director_halt', 'director_return'):
        if name in ev:
            e = ev[name]
            pct = e['connections']['survived_pct']
            conv = e['route'].get('converged_s')
            if name == 'director_halt':
                ok = pct == 100.0 and conv is not None and conv <= 0.5
                detail = 'survived %s%%, route %ss (target 100%%, <= 0.5 s)' % (pct, conv)
            else:
                # a return has no detection delay: the route target applies to the announce itself
                ok = pct == 100.0
                detail = 'survived %s%% (target 100%%); route back %ss after the start command (boot incl.)' % (
                    pct, conv)
            t[name] = {'pass': ok, 'detail': detail}
    if 'rs_fail' in ev:
        by = ev['rs_fail']['connections'].get('by', {})
        surv = {k: v for k, v in by.items() if k != fail_rs}
        ok = all(v['survived'] == v['established'] for v in surv.values()) and bool(surv)
        t['rs_fail'] = {'pass': ok, 'detail': 'connections to surviving servers: %s' % (
            ', '.join('%s %d/%d' % (k, v['survived'], v['established']) for k, v in surv.items()) or 'none')}
    if 'director_drain' in ev:
        c = ev['director_drain']['connections']
        t['director_drain'] = {'pass': c['resets'] == 0 and not c['failures'],
                               'detail': '%d resets, failures %s (target 0 resets)' % (c['resets'], c['failures'])}
    # every other event with a 'planned' flag (the changes, undrain, real-server return)
    for name, e in ev.items():
        if name not in t and 'planned' in e:
            passed, detail = event_target(e)
            t[name] = {'pass': passed, 'detail': detail}
    return t


def event_target(e):
    """(pass, detail) of one analysed event: every established flow whose real server stays in service survives; a
    planned change fails no new connection, an unplanned one (link flap, halt) fails them for at most 1 s."""
    kept = fa.kept_connections(e)
    new = e['new_connections']
    ok = kept['survived'] == kept['established']
    detail = 'survived %d/%d' % (kept['survived'], kept['established'])
    if e.get('ends_flows_of'):
        detail += ' of the flows not on %s' % e['ends_flows_of']
    if e.get('planned'):
        ok = ok and new['failed'] == 0
        detail += ', new connections failed %d/%d (target 100 %%, 0)' % (new['failed'], new['attempts'])
    else:
        ok = ok and (new['error_window_s'] or 0) <= 1.0
        detail += ', new connections failing for %ss (target 100 %%, <= 1 s)' % new['error_window_s']
    return ok, detail


def plot(results, path, width=14):
    try:
        import matplotlib  # pylint: disable=import-outside-toplevel
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    except ImportError:
        log('matplotlib missing (.venv/bin/pip install -r benchmarks/requirements.txt): no PNG')
        return None
    cfgs = [(c, r) for c, r in results['configs'].items() if 'timeline' in r]
    if not cfgs:
        return None
    fig, axes = plt.subplots(len(cfgs), 1, figsize=(width, 4.2 * len(cfgs)), squeeze=False)
    for ax, (cfg, res) in zip(axes[:, 0], cfgs):
        tl = res['timeline']
        t0 = tl['start']
        xs = [s[0] - t0 for s in tl['samples']]
        ax.plot(xs, [s[1] for s in tl['samples']], color='tab:blue', lw=1.2, label='open connections')
        ax.plot(xs, [s[2] for s in tl['samples']], color='tab:green', lw=1.0,
                label='alive (answered within interval + 0.5 s)')
        ax.set_ylabel('connections')
        ax.set_ylim(0, results['params']['conns'] * 1.15)
        if tl['probe_failures']:
            ax.plot([t - t0 for t in tl['probe_failures']], [results['params']['conns'] * 1.07] * len(tl['probe_failures']),
                    '|', color='tab:red', ms=8, label='failed new connection')
        ax2 = ax.twinx()
        if tl['route']:
            rx = [r[0] - t0 for r in tl['route']] + [xs[-1] if xs else 0]
            ry = [len(r[1]) for r in tl['route']]
            ry.append(ry[-1])
            ax2.step(rx, ry, where='post', color='tab:orange', lw=1.5, label='router nexthops')
        ax2.set_ylabel('nexthops to the VIP')
        ax2.set_ylim(0, 4)
        for t, name in tl['events']:
            ax.axvline(t - t0, color='grey', ls='--', lw=0.8)
            ax.text(t - t0, results['params']['conns'] * 0.03, ' ' + name, rotation=90, fontsize=8,
                    va='bottom', color='dimgrey')
        ax.set_title('%s: %d keep-alive connections (GET every %ss), %s new connections/s'
                     % (cfg, results['params']['conns'], results['params']['interval'], results['params']['new_rate']))
        ax.set_xlabel('seconds since client start')
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc='lower right', fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def add_lab_arguments(p):
    """The options of the lab and of the client's traffic, shared with benchmarks/soak.py."""
    p.add_argument('--name', default=os.environ.get('ECMPLAB_NAME', 'bench'), help='lab name (lab/ecmplab --name)')
    p.add_argument('--inventory', default=os.path.join(ROOT, 'inventories', 'lab'))
    p.add_argument('--python', default=os.path.join(ROOT, '.venv', 'bin', 'python'))
    p.add_argument('--conns', type=int, default=200, help='K long-lived connections')
    p.add_argument('--interval', type=float, default=1.0,
                   help='seconds between two GETs on one connection (0.2 overloads a UML lab on 2 cores)')
    p.add_argument('--new-rate', type=float, default=20.0, help='new connections per second')
    p.add_argument('--stall', type=float, default=2.0, help='a request unanswered this long is a stall')
    p.add_argument('--ramp', type=float, default=8.0, help='seconds to open the K connections')
    p.add_argument('--route-poll', type=float, default=0.1,
                   help='router poll interval (s); every kernel route change also triggers a poll at once')
    p.add_argument('--vip', default='10.99.100.10')
    p.add_argument('--port', type=int, default=80)
    p.add_argument('--flap', type=float, default=3.0, help='link_flap: seconds the link stays down')
    p.add_argument('--site-args', default='',
                   help='extra ansible-playbook options of the site.yml change events, e.g. "--limit directors '
                        '--skip-tags install" (what an operator runs for a director-only change; recorded in each '
                        "event's method). Default: the whole site.yml")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    add_lab_arguments(p)
    p.add_argument('--configs', default='seeds,defaults',
                   help='benchmarks/configs/<name>.yml, in this order (e.g. seeds,defaults,defaults-bfd300)')
    p.add_argument('--settle', type=float, default=8.0, help='seconds after each event has converged')
    p.add_argument('--runs', type=int, default=1,
                   help='runs of each configuration (site.yml once; runs 2.. are NAME@2.. in the JSON); the figures of '
                        'failover-NAME[-ipv6].json are the median, min and max over them')
    p.add_argument('--router')
    p.add_argument('--client')
    p.add_argument('--halt-director')
    p.add_argument('--drain-director')
    p.add_argument('--fail-rs')
    p.add_argument('--rs-failure', choices=['nginx', 'link'], default='nginx')
    p.add_argument('--drain', choices=['playbook', 'frr-stop'], default='playbook',
                   help='playbook: ecmp-lvs-announce drain + playbooks/drain.yml; frr-stop: systemctl stop|start frr')
    p.add_argument('--events', choices=sorted(Bench.PRESETS), default='failover',
                   help='failover: director halt/return, real-server loss, drain (the default); changes: weight 0 '
                        'and back, weight change, health-check change, real server removed and added (site.yml), '
                        'keepalived and FRR restart, fabric link flap, OSPF key rotation')
    p.add_argument('--skip-event', action='append', default=[], choices=Bench.EVENTS + Bench.CHANGES)
    p.add_argument('--skip-playbook', action='store_true', help='measure the lab as it is (one configuration)')
    p.add_argument('--playbook-attempts', type=int, default=2)
    p.add_argument('--up', action='store_true', default=True, help=argparse.SUPPRESS)
    p.add_argument('--down', action='store_true', help='lab/ecmplab down at the end')
    p.add_argument('--out', help='results directory (default benchmarks/results/<timestamp>)')
    p.add_argument('--reanalyse', metavar='DIR', help='recompute DIR/failover.json from its raw logs, no lab')
    args = p.parse_args()
    if args.reanalyse:
        reanalyse(args.reanalyse, args.fail_rs)
        return 0
    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    args.out = args.out or os.path.join(HERE, 'results', stamp)
    if not os.path.isabs(args.inventory):
        args.inventory = os.path.join(ROOT, args.inventory)

    lab = Lab(args.name, args.inventory, args.python)
    if not lab.is_up():
        log('lab "%s" is down: lab/ecmplab --name %s up' % (args.name, args.name))
        lab.tool('up', timeout=900)
    bench = Bench(args, lab)
    configs = [c for c in args.configs.split(',') if c]
    results = {
        'benchmark': 'ecmp.lvs failover (Zero-reset failover)', 'timestamp': stamp,
        'lab': {'name': args.name, 'inventory': os.path.relpath(args.inventory, ROOT), 'backend': 'uml (lab/ecmplab)',
                'hosts': {'client': bench.client, 'router': bench.router, 'directors': bench.directors,
                          'realservers': bench.realservers},
                'host': platform.node(), 'cpus': os.cpu_count(), 'loadavg_start': os.getloadavg()},
        'params': {'conns': args.conns, 'interval': args.interval, 'new_rate': args.new_rate, 'stall_s': args.stall,
                   'route_poll_s': args.route_poll, 'vip': args.vip, 'port': args.port, 'events': args.events,
                   'halt_director': bench.halt_director, 'drain_director': bench.drain_director,
                   'fail_rs': bench.fail_rs, 'rs_failure': args.rs_failure, 'drain_method': bench.drain_method},
        'definitions': DEFINITIONS,
        'configs': {},
    }
    try:
        for cfg in configs:
            for run in range(1, args.runs + 1):
                label = cfg if run == 1 else '%s@%d' % (cfg, run)
                try:
                    results['configs'][label] = bench.run_config(label)
                except Exception as exc:  # pylint: disable=broad-except
                    # one configuration failing must not lose the others
                    log('%s: %s' % (label, traceback.format_exc()))
                    results['configs'][label] = {'config': cfg, 'error': '%s: %s' % (type(exc).__name__, exc)}
                    break
            bench.teardown(cfg)
        results['lab']['loadavg_end'] = os.getloadavg()
        finish(results, args.out, bench.fail_rs)
    finally:
        if args.down:
            lab.tool('down', check=False)
    ok = all('error' not in r for r in results['configs'].values())
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
