#!/usr/bin/env python
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp.lvs scale benchmark: what bringing up and re-running a fleet costs as it grows.

For every size ROUTERSxDIRECTORSxREALSERVERS (plus the client) it cuts a lab out of inventories/lab-2x8 (the first
routers, directors and real servers; default routes and lvs_services limited to them), then:

  up          lab/ecmplab up (UML guests booted, SSH answering)
  converge    playbooks/site.yml on the fresh lab
  rerun       playbooks/site.yml again: seconds, and `changed` over every host (must be 0)
  nexthops    every router has one nexthop per director in its kernel route to the VIP
  requests    the client gets answers through the VIP (it reaches it through every router)

and removes the lab. Writes benchmarks/results/scale-<timestamp>/scale.json (+ the playbook logs and the
inventories) and prints the table.

  .venv/bin/python benchmarks/scale.py                          # 1x2x2, 2x4x3, 2x8x4 (6, 10, 15 hosts)
  .venv/bin/python benchmarks/scale.py --sizes 2x8x4 --keep     # the 2 routers x 8 directors lab, left up
  .venv/bin/python benchmarks/scale.py --services 10,100,500    # service tables on a 1x2x4 lab: converge, rerun,
                                                                # keepalived reload, ecmp.lvs.ipvs vs ipvsadm -R
  .venv/bin/python benchmarks/scale.py --publish benchmarks/results/scale-<timestamp> [...]
                                     # docs/scale.json + docs/scale.md (a sizes run and/or a services run; the part
                                     # a run does not have stays as published)
  .venv/bin/python benchmarks/scale.py --add --publish benchmarks/results/scale-<timestamp> [...]
                                     # the runs given join the published runs of their part (same code only)
  .venv/bin/python benchmarks/scale.py --check     # exit 1 when docs/scale.md is not what docs/scale.json gives
"""

import argparse
import copy
import datetime
import glob
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

import yaml

import failover  # next to this script
import published  # next to this script
import report  # next to this script

HERE = failover.HERE
ROOT = failover.ROOT
SOURCE = os.path.join(ROOT, 'inventories', 'lab-2x8')
JSON_PATH = os.path.join(ROOT, 'docs', 'scale.json')
# What a run measures: the collection, the lab's guests and the benchmark's own playbook. Runs of different commits
# are published together only when these files (documentation aside) are the same at both commits.
MEASURED = ('roles', 'plugins', 'playbooks', 'inventories', 'meta', 'files', 'galaxy.yml', 'ansible.cfg', 'lab/image',
            'lab/uml', 'benchmarks/scale_ipvs.yml')
PAGE_PATH = os.path.join(ROOT, 'docs', 'scale.md')
# group_vars/all of a lab: the file the services are cut in, and the settings every lab shares (inventories/lab's)
SERVICES_FILE = 'lvs.yml'
SHARED_SETTINGS_FILE = 'lab.yml'
RECAP = re.compile(r'^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


def parse_size(text):
    """'2x8x4' -> (2, 8, 4)."""
    parts = text.lower().split('x')
    if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError('a size is ROUTERSxDIRECTORSxREALSERVERS, e.g. 2x8x4: %r' % text)
    return tuple(int(p) for p in parts)


def cut_inventory(source, size):
    """(hosts.yml data, lvs.yml data) of a lab with the first routers, directors and real servers of `source` (an
    inventory directory like inventories/lab-2x8): every host's lab_gateway limited to the routers kept, every
    service's real servers to the real servers kept."""
    with open(os.path.join(source, 'hosts.yml'), encoding='utf-8') as fd:
        hosts = yaml.safe_load(fd)
    with open(os.path.join(source, 'group_vars', 'all', SERVICES_FILE), encoding='utf-8') as fd:
        lvs = yaml.safe_load(fd)
    groups = hosts['all']['children']
    wanted = dict(zip(('routers', 'directors', 'realservers'), size))
    for group, count in wanted.items():
        names = list(groups[group]['hosts'])
        if count > len(names):
            raise ValueError('%s has %d %s, not %d' % (source, len(names), group, count))
        groups[group]['hosts'] = {n: groups[group]['hosts'][n] for n in names[:count]}
    router_addresses = {link['address'].split('/')[0] for r in groups['routers']['hosts'].values()
                        for link in r['lab_links']}
    for group in groups.values():
        for hv in group['hosts'].values():
            gw = hv.get('lab_gateway')
            if isinstance(gw, list):
                kept = [a for a in gw if a in router_addresses]
                hv['lab_gateway'] = kept if len(kept) > 1 else kept[0]
    kept_rs = set(groups['realservers']['hosts'])
    lvs = copy.deepcopy(lvs)
    for svc in lvs['lvs_services']:
        svc['real_servers'] = [rs for rs in svc['real_servers'] if rs['host'] in kept_rs]
    return hosts, lvs


def write_inventory(directory, hosts, lvs):
    os.makedirs(os.path.join(directory, 'group_vars', 'all'), exist_ok=True)
    with open(os.path.join(directory, 'hosts.yml'), 'w', encoding='utf-8') as fd:
        fd.write('---\n# cut out of inventories/lab-2x8 by benchmarks/scale.py\n')
        yaml.safe_dump(hosts, fd, sort_keys=False)
    with open(os.path.join(directory, 'group_vars', 'all', SERVICES_FILE), 'w', encoding='utf-8') as fd:
        fd.write('---\n')
        yaml.safe_dump(lvs, fd, sort_keys=False)
    # every other file of the source's group_vars/all as it is (lab.yml, a link to inventories/lab's, and the fleet
    # lab's own settings over it)
    source = os.path.join(SOURCE, 'group_vars', 'all')
    for name in sorted(os.listdir(source)):
        if name != SERVICES_FILE:
            shutil.copyfile(os.path.join(source, name), os.path.join(directory, 'group_vars', 'all', name))
    return os.path.join(directory, 'hosts.yml')


def lab_settings(run_dir):
    """The fleet lab's own settings a run's labs ran with, read from the inventories it cut (run_dir/inventory-*):
    the variables of every file of their group_vars/all but lvs.yml (the cut services) and lab.yml (inventories/lab's,
    shared by every lab), later files over earlier ones - {} when they had none (runs before
    inventories/lab-2x8/group_vars/all/scale.yml), None when the run directory has no inventory."""
    inventories = sorted(glob.glob(os.path.join(run_dir, 'inventory-*', 'group_vars', 'all')))
    if not inventories:
        return None
    settings = {}
    for inventory in inventories:
        for name in sorted(os.listdir(inventory)):
            if name not in (SERVICES_FILE, SHARED_SETTINGS_FILE) and name.endswith(('.yml', '.yaml')):
                with open(os.path.join(inventory, name), encoding='utf-8') as fd:
                    settings.update(yaml.safe_load(fd) or {})
    return settings


def recap(text):
    """{host: {ok, changed, unreachable, failed}} of the last PLAY RECAP of an ansible-playbook log."""
    part = text[text.rfind('PLAY RECAP'):] if 'PLAY RECAP' in text else ''
    return {m.group(1): {'ok': int(m.group(2)), 'changed': int(m.group(3)), 'unreachable': int(m.group(4)),
                         'failed': int(m.group(5))} for m in RECAP.finditer(part)}


FATAL = re.compile(r'^fatal: \[([^\]]+)\]: (FAILED|UNREACHABLE)!')
TASK = re.compile(r'^TASK \[(.*)\] \**$')
MSG = re.compile(r'^\s*"?msg"?: (.*)$')


def failures(text):
    """[{host, task, msg}] of every host that failed or was unreachable in an ansible-playbook log (the yaml or the
    default callback): which task and why, the first line of its message."""
    out, task, lines = [], None, text.splitlines()
    for i, line in enumerate(lines):
        header = TASK.match(line)
        if header:
            task = header.group(1)
            continue
        fatal = FATAL.match(line)
        if not fatal:
            continue
        body = []  # the yaml callback: the result indented under the fatal line
        for following in lines[i + 1:]:
            if following[:1] not in (' ', '\t') or not following.strip():
                break
            body.append(following)
        msg = None
        for j, body_line in enumerate(body):
            found = MSG.match(body_line)
            if found:
                msg = found.group(1).strip()
                if msg in ('|', '|-', '>', '>-') and j + 1 < len(body):  # a block scalar: its first line
                    msg = body[j + 1].strip()
                msg = msg.strip('\'"')
                break
        if msg is None:  # the default callback: the result as JSON on the fatal line
            found = re.search(r'"msg": "((?:[^"\\]|\\.)*)"', line)
            msg = found.group(1) if found else fatal.group(2).lower()
        out.append({'host': fatal.group(1), 'task': task, 'msg': msg})
    return out


def timed_playbook(lab, logfile, *args):
    t0 = time.time()
    res = lab.tool('playbook', 'playbooks/site.yml', *args, check=False, timeout=5400, logfile=logfile)
    seconds = round(time.time() - t0, 1)
    with open(logfile, encoding='utf-8', errors='replace') as fd:
        text = fd.read()
    hosts = recap(text)
    out = {'seconds': seconds, 'rc': res.returncode, 'changed': sum(h['changed'] for h in hosts.values()),
           'failed': sum(h['failed'] + h['unreachable'] for h in hosts.values()), 'hosts': len(hosts)}
    if res.returncode:
        out['failures'] = failures(text)
    return out


def new_lab(args, size, outdir, label):
    """(lab, lvs.yml data) of a lab cut out of lab-2x8 (its inventory written under outdir), refused when up."""
    hosts, lvs = cut_inventory(SOURCE, size)
    inventory = write_inventory(os.path.join(outdir, 'inventory-' + label), hosts, lvs)
    lab = failover.Lab(args.name, inventory, args.python)
    if lab.is_up():
        raise failover.BenchError('lab "%s" is up already: lab/ecmplab --name %s down' % (args.name, args.name))
    return lab, lvs


# how long after a failed run or a missing nexthop the routes are read again
LATER_S = 15


def nexthops(lab, routers, vip):
    """{router: [nexthop, ...]} of each router's kernel route to the VIP."""
    out = {}
    for router in routers:
        routes = lab.ssh(router, 'ip -j route show %s' % vip, check=False)
        changes, dummy = failover.fa.parse_route_log([json.dumps({'t': 0, 'out': routes})])
        out[router] = sorted(changes[0][1]) if changes else []
    return out


EVIDENCE = {'router': 'vtysh -c "show ip ospf neighbor" -c "show bfd peers brief"; '
                      'journalctl -u frr -o short-unix --no-pager --since -60min | grep -E "AdjChg|BFD" | tail -40',
            'host': 'uptime; systemctl is-system-running; systemctl --failed --no-pager; '
                    'journalctl -b -p warning -o short-unix --no-pager --since -60min | tail -60; '
                    'journalctl -b _PID=1 -o short-unix --no-pager --since -60min | tail -30'}


def evidence(lab, routers, failed, path):
    """The routers' OSPF and BFD state and the failed hosts' state and warnings, written to path (best effort: a host
    SSH does not reach says so); path's name."""
    with open(path, 'w', encoding='utf-8') as fd:
        for host, kind in [(r, 'router') for r in routers] + [(h, 'host') for h in failed]:
            try:
                text = lab.ssh(host, EVIDENCE[kind], check=False, timeout=60)
            except (failover.BenchError, subprocess.TimeoutExpired) as exc:
                text = 'not reached: %s\n' % exc
            fd.write('### %s: %s\n%s\n' % (host, EVIDENCE[kind], text))
    return os.path.basename(path)


def measure(args, size, outdir):
    label = 'x'.join(str(n) for n in size)
    lab, lvs = new_lab(args, size, outdir, label)
    groups = lab.view.groups
    count = sum(len(groups[g]) for g in ('routers', 'directors', 'realservers', 'clients'))
    out = {'size': label, 'hosts': count, 'routers': len(groups['routers']), 'directors': len(groups['directors']),
           'realservers': len(groups['realservers'])}
    failover.log('%s: %d hosts: lab/ecmplab up' % (label, count))
    try:
        t0 = time.time()
        lab.tool('up', timeout=3600, logfile=os.path.join(outdir, '%s-up.log' % label))
        out['up_s'] = round(time.time() - t0, 1)
        failover.log('%s: up in %ss; site.yml (converge)' % (label, out['up_s']))
        out['converge'] = timed_playbook(lab, os.path.join(outdir, '%s-converge.log' % label))
        failover.log('%s: converge %s; site.yml again (rerun)' % (label, out['converge']))
        out['rerun'] = timed_playbook(lab, os.path.join(outdir, '%s-rerun.log' % label))
        failover.log('%s: rerun %s' % (label, out['rerun']))
        vip = lvs['lvs_services'][0]['vip']
        want = {str(lab.view.address(d)) for d in groups['directors']}
        out['nexthops'] = nexthops(lab, groups['routers'], vip)
        out['one_nexthop_per_director'] = all(set(v) == want for v in out['nexthops'].values())
        failed = [f['host'].split(' -> ')[0] for part in ('converge', 'rerun') for f in out[part].get('failures', [])]
        if failed or not out['one_nexthop_per_director']:
            # what went wrong, before the lab is gone: the routes again a little later (a moment or for good?), the
            # routers' OSPF neighbors, the failed hosts' state and warnings
            time.sleep(LATER_S)
            out['nexthops_later'] = nexthops(lab, groups['routers'], vip)
            out['evidence'] = evidence(lab, groups['routers'], sorted(set(failed)),
                                       os.path.join(outdir, '%s-evidence.txt' % label))
        probe = ('import urllib.request\nok = 0\nfor i in range(%d):\n    try:\n'
                 '        ok += urllib.request.urlopen("http://%s/", timeout=3).status == 200\n'
                 '    except OSError:\n        pass\nprint(ok)\n' % (args.requests, vip))
        answered = lab.ssh(groups['clients'][0], 'python3 -', stdin=probe.encode(), check=False, timeout=120)
        out['requests'] = {'sent': args.requests, 'answered': int(answered.strip() or 0)}
    except Exception as exc:  # pylint: disable=broad-except
        out['error'] = '%s: %s' % (type(exc).__name__, exc)
        failover.log('%s: %s' % (label, out['error']))
    finally:
        if not args.keep:
            t0 = time.time()
            lab.tool('down', check=False, timeout=900)
            out['down_s'] = round(time.time() - t0, 1)
    return out


def service_table(count, lvs):
    """lvs_services of `count` services: the lab's first service, then count-1 on ports 10001.. of its VIP, each on
    every real server with a TCP check of port 80 (the real servers' nginx) every 10 s."""
    base = copy.deepcopy(lvs['lvs_services'][0])
    services = [base]
    for i in range(1, count):
        services.append({'name': 'scale%d' % i, 'vip': base['vip'], 'port': 10000 + i, 'protocol': 'tcp',
                         'scheduler': 'mh', 'health_check': {'type': 'tcp', 'port': 80, 'delay_loop': 10},
                         'real_servers': copy.deepcopy(base['real_servers'])})
    return services


# keepalived reload on a director: one virtual server more (a test VIP outside the services), `systemctl reload`,
# until IPVS has it; then the file as it was, reload, until it is gone (times on the director)
RELOAD = r"""set -e
conf=/etc/keepalived/keepalived.conf
cp -p $conf /root/keepalived.conf.scale
cat >> $conf <<'EOT'
virtual_server 10.99.200.2 80 {
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server RS_ADDRESS 80 {
        weight 1
    }
}
EOT
a=$(date +%s.%N)
systemctl reload keepalived
timeout 300 sh -c 'until ipvsadm -Ln -t 10.99.200.2:80 >/dev/null 2>&1; do sleep 0.02; done'
b=$(date +%s.%N)
cp -p /root/keepalived.conf.scale $conf
systemctl reload keepalived
timeout 300 sh -c 'while ipvsadm -Ln -t 10.99.200.2:80 >/dev/null 2>&1; do sleep 0.02; done'
c=$(date +%s.%N)
echo $a $b $c $(ipvsadm -Sn | grep -c '^-A')
"""


def measure_services(args, outdir):
    """One lab (--services-lab), site.yml with growing service tables: converge, rerun, keepalived reload,
    ecmp.lvs.ipvs against ipvsadm --restore."""
    label = 'services-' + args.services_lab
    lab, lvs = new_lab(args, parse_size(args.services_lab), outdir, label)
    groups = lab.view.groups
    director = groups['directors'][0]
    rs_address = str(lab.view.address(groups['realservers'][0]))
    out = {'lab': args.services_lab, 'realservers': len(groups['realservers']), 'tables': []}
    try:
        lab.tool('up', timeout=3600, logfile=os.path.join(outdir, '%s-up.log' % label))
        out['base_converge'] = timed_playbook(lab, os.path.join(outdir, '%s-base.log' % label))
        for count in args.services:
            row = {'services': count}
            varsfile = os.path.join(outdir, '%s-%d-vars.json' % (label, count))
            with open(varsfile, 'w', encoding='utf-8') as fd:
                json.dump({'lvs_services': service_table(count, lvs)}, fd)
            failover.log('%d services: site.yml' % count)
            row['converge'] = timed_playbook(lab, os.path.join(outdir, '%s-%d-converge.log' % (label, count)),
                                             '-e', '@' + varsfile)
            row['rerun'] = timed_playbook(lab, os.path.join(outdir, '%s-%d-rerun.log' % (label, count)),
                                          '-e', '@' + varsfile)
            a, b, c, services = lab.ssh(director, RELOAD.replace('RS_ADDRESS', rs_address), timeout=900).split()
            row['keepalived_reload_add_s'] = round(float(b) - float(a), 3)
            row['keepalived_reload_remove_s'] = round(float(c) - float(b), 3)
            row['ipvs_services'] = int(services)
            logfile = os.path.join(outdir, '%s-%d-ipvs.log' % (label, count))
            target = groups['directors'][-1]
            lab.ssh(target, 'rm -f /root/ecmp-scale-ipvs.json')
            lab.tool('playbook', 'benchmarks/scale_ipvs.yml', '-e', 'n=%d' % count, '-e', 'target=' + target,
                     check=False, timeout=3600, logfile=logfile)
            found = lab.ssh(target, 'cat /root/ecmp-scale-ipvs.json', check=False).strip()
            if found:
                row['ipvs'] = json.loads(found)
                row['ipvs']['module_over_restore'] = (round(row['ipvs']['module_s'] / row['ipvs']['restore_s'], 1)
                                                      if row['ipvs']['restore_s'] else None)
            failover.log('%d services: %s' % (count, row))
            out['tables'].append(row)
    except Exception as exc:  # pylint: disable=broad-except
        out['error'] = '%s: %s' % (type(exc).__name__, exc)
        failover.log(out['error'])
    finally:
        if not args.keep:
            lab.tool('down', check=False, timeout=900)
    return out


def _num(value):
    """A measured number as the runs give it (3 decimals at most)."""
    return ('%.3f' % value).rstrip('0').rstrip('.')


def _stat(values, unit='', digits=None):
    """One cell from the values of several runs: the median, with (min-max) when the runs differ; '-' for none.
    digits: every number with that many decimals (a ratio), else as measured (_num)."""
    values = [v for v in values if v is not None]
    if not values:
        return '-'
    num = _num if digits is None else lambda value: '%.*f' % (digits, value)
    text = num(statistics.median(values)) + unit
    if len(values) > 1 and num(min(values)) != num(max(values)):
        text += ' (%s-%s)' % (num(min(values)), num(max(values)))
    return text


def _same(values, sep=', '):
    """'v' when every run has the same value, else the runs' values in order ('0, 0, 3')."""
    return str(values[0]) if len(set(values)) == 1 else sep.join(str(v) for v in values)


def _failed_note(runs):
    """The site.yml runs that failed (hosts failed or unreachable: the play stopped), as a cell note."""
    bad = [r for r in runs if r and (r.get('rc') or r.get('failed'))]
    return ' **failed in %d of %d runs**' % (len(bad), len(runs)) if bad else ''


def _rows(runs, part, key):
    """{row key: [the row of each run that has it]} in the order of the first run that names each row."""
    rows = {}
    for run in runs:
        for row in (run.get(part) or {}).get('tables', []) if part == 'services' else run.get(part, []):
            rows.setdefault(row[key], []).append(row)
    return rows


def services_table(runs):
    """The service table: one row per service count, each cell the median of the runs (min-max)."""
    lines = ['| services x %d real servers | converge | rerun (changed) | keepalived reload (+1 service) | '
             'ecmp.lvs.ipvs | its rerun | ipvsadm --restore | module / restore |' % runs[0]['services']['realservers'],
             '|---|---|---|---|---|---|---|---|']
    for count, rows in _rows(runs, 'services', 'services').items():
        def ipvs(key, rows=rows):
            return [(r.get('ipvs') or {}).get(key) for r in rows]
        converge = [r.get('converge') for r in rows]
        rerun = [r.get('rerun') for r in rows]
        lines.append('| %d | %s | %s | %s | %s | %s | %s | %s |' % (
            count, _stat([c['seconds'] for c in converge if c], ' s') + _failed_note(converge),
            '%s (%s)' % (_stat([c['seconds'] for c in rerun if c], ' s'), _same([c['changed'] for c in rerun if c]))
            + _failed_note(rerun),
            _stat([r.get('keepalived_reload_add_s') for r in rows], ' s'), _stat(ipvs('module_s'), ' s'),
            _stat(ipvs('module_rerun_s'), ' s'), _stat(ipvs('restore_s'), ' s'), _stat(ipvs('module_over_restore'))))
    return '\n'.join(lines)


def _nexthops_cell(row):
    """'router1 8, router2 8': each router's nexthops; 'router1 7 (8 after 15 s)' when they were read again later
    (a failed run or a missing nexthop) and differed."""
    later = row.get('nexthops_later') or {}
    return ', '.join('%s %d%s' % (router, len(hops), ' (%d after %d s)' % (len(later[router]), LATER_S)
                                  if router in later and later[router] != hops else '')
                     for router, hops in sorted(row.get('nexthops', {}).items()))


def failure_notes(runs):
    """One line per host that failed a site.yml run of a size: which run, which playbook, task and message."""
    notes = []
    for run in runs:
        for row in run.get('sizes', []):
            for playbook in ('converge', 'rerun'):
                for f in (row.get(playbook) or {}).get('failures', []):
                    notes.append('- %s, run %s, %s: %s failed in "%s": %s' % (
                        row['size'], run.get('timestamp'), playbook, f['host'], f['task'], f['msg']))
    return notes


def table(runs):
    """The fleet-size table: one row per size, each cell the median of the runs that measured it (min-max)."""
    lines = ['| lab (routers x directors x real servers) | hosts | up | converge | rerun | rerun changed | '
             'nexthops per router | requests answered |', '|---|---|---|---|---|---|---|---|']
    for size, rows in _rows(runs, 'sizes', 'size').items():
        done = [r for r in rows if 'rerun' in r]
        errors = '; '.join(sorted({r.get('error', 'no rerun') for r in rows if 'rerun' not in r}))
        if not done:
            lines.append('| %s | %d | error: %s | | | | | |' % (size, rows[0]['hosts'], errors))
            continue
        requests = [r['requests'] for r in done if 'requests' in r]
        lines.append('| %s | %d | %s | %s | %s | %s | %s | %s |' % (
            size + (' (error in %d of %d runs: %s)' % (len(rows) - len(done), len(rows), errors)
                    if len(done) < len(rows) else ''),
            rows[0]['hosts'], _stat([r.get('up_s') for r in done], ' s'),
            _stat([r['converge']['seconds'] for r in done], ' s') + _failed_note([r['converge'] for r in done]),
            _stat([r['rerun']['seconds'] for r in done], ' s') + _failed_note([r['rerun'] for r in done]),
            _same([r['rerun']['changed'] for r in done]), _same([_nexthops_cell(r) for r in done], ' / '),
            '%d/%d' % (sum(q['answered'] for q in requests), sum(q['sent'] for q in requests)) if requests else '-'))
    return '\n'.join(lines)


def growth(runs, base):
    """{size: {'per_host': [...], 'converge': [...], 'rerun': [...]}}: every run's converge seconds per host, and its
    converge and rerun seconds over its own `base` size's (runs that did not finish `base` give no ratio)."""
    out = {}
    for run in runs:
        done = {r['size']: r for r in run.get('sizes', []) if 'rerun' in r}
        for size, row in done.items():
            cell = out.setdefault(size, {'hosts': row['hosts'], 'per_host': [], 'converge': [], 'rerun': []})
            cell['per_host'].append(row['converge']['seconds'] / row['hosts'])
            if base in done:
                for key in ('converge', 'rerun'):
                    cell[key].append(row[key]['seconds'] / done[base][key]['seconds'])
    return out


def growth_table(runs, rows):
    """The page's lines of the growth table: per host and against the first size, each run's own ratio (median of
    the runs, min-max)."""
    first = next(iter(rows), None)
    cells = growth(runs, first)
    lines = ['| lab | hosts | converge per host | converge vs %s | rerun vs %s |' % ((first,) * 2),
             '|---|---|---|---|---|']
    for size in rows:
        if size not in cells:
            continue
        c = cells[size]
        lines.append('| %s | %d | %s | %s | %s |' % (
            size, c['hosts'], _stat(c['per_host'], ' s', digits=1),
            'x ' + _stat(c['converge'], digits=2) if c['converge'] else '-',
            'x ' + _stat(c['rerun'], digits=2) if c['rerun'] else '-'))
    return lines


def _commit():
    """The checkout's commit (what the roles and modules measured were), None outside a git checkout."""
    proc = subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short=12', 'HEAD'], capture_output=True, text=True,
                          check=False)
    return proc.stdout.strip() or None


def _dirty():
    """True when the checkout's measured files (MEASURED) differ from its commit: the run did not measure the commit."""
    proc = subprocess.run(['git', '-C', ROOT, 'status', '--porcelain', '--'] + list(MEASURED), capture_output=True,
                          text=True, check=False)
    return bool(proc.stdout.strip())


def measured_difference(first, other):
    """The files of what a run measures (MEASURED, documentation aside) that differ between two commits; None when
    this checkout cannot tell (a commit it does not have)."""
    proc = subprocess.run(['git', '-C', ROOT, 'diff', '--name-only', first, other, '--'] + list(MEASURED) +
                          [':(exclude)*.md'], capture_output=True, text=True, check=False)
    return proc.stdout.split() if proc.returncode == 0 else None


def _same_code(part, runs):
    """Refuse to publish runs together that measured different code: a checkout with changes, or commits whose
    MEASURED files differ (commits that differ only in tests, benchmarks' reports or documentation measured the same
    thing)."""
    dirty = [run.get('timestamp') for run in runs if run.get('dirty')]
    if dirty:
        raise SystemExit('%s: runs %s measured a checkout with uncommitted changes: publish runs of a commit'
                         % (part, ', '.join(dirty)))
    commits = list(dict.fromkeys(run['commit'] for run in runs if run.get('commit')))
    for other in commits[1:]:
        difference = measured_difference(commits[0], other)
        if difference is None:
            raise SystemExit('%s: cannot compare commits %s and %s here (git diff failed): publish them from a '
                             'checkout that has both' % (part, commits[0], other))
        if difference:
            raise SystemExit('%s: runs of commits %s and %s measured different code (%s): publish runs of the same '
                             'code together' % (part, commits[0], other, ', '.join(difference[:5])))


def _when(run):
    return report.measured(run.get('timestamp')) or run.get('timestamp')


def _run_header(runs):
    """Which runs a table is made of: when, which commit, on what machine and how loaded at the start."""
    loads = '; '.join(', '.join('%.2f' % x for x in run.get('loadavg_start') or []) for run in runs)
    where = 'on %s (%s cores; load average %s at the start)' % (
        '/'.join(sorted({str(run.get('host')) for run in runs})), runs[0].get('cpus'), loads)
    if len(runs) == 1:
        return 'One run (%s%s) %s: a measurement of one run per row, not a median.' % (
            _when(runs[0]), ', commit %s' % runs[0]['commit'] if runs[0].get('commit') else '', where)
    same = (' The commits differ only outside what a run measures (%s; documentation aside): `scale.py --publish` '
            'checks that.' % ', '.join(MEASURED)) if len({run.get('commit') for run in runs} - {None}) > 1 else ''
    return ('%d runs (%s) %s: each cell is the median of the runs, with (min-max) where they differ; "changed" '
            'and the nexthops list every run\'s value where they differ.%s' % (
                len(runs), '; '.join(_when(run) + (', commit %s' % run['commit'] if run.get('commit') else '')
                                     for run in runs), where, same))


def _settings_line(runs):
    """What the page says of the fleet lab's own settings the runs ran with (over inventories/lab's lab.yml)."""
    known = [run['lab_settings'] for run in runs if 'lab_settings' in run]
    if not known:
        return []
    if any(settings != known[0] for settings in known) or len(known) < len(runs):
        return ['The runs ran with different settings of the fleet lab: %s.' % '; '.join(
            '%s: %s' % (_when(run), _settings_text(run.get('lab_settings'))) for run in runs), '']
    return ['Settings of the fleet lab over the lab.yml every lab shares (`inventories/lab-2x8/group_vars/all`, read '
            'from the inventories each run cut): %s.' % _settings_text(known[0]), '']


def _settings_text(settings):
    if settings is None:
        return 'not recorded'
    if not settings:
        return 'none (lab.yml only)'
    return ', '.join('`%s: %s`' % (name, json.dumps(value)) for name, value in sorted(settings.items()))


def _as_runs(part):
    """A part of docs/scale.json as a list of runs (it held one run, a dict, before several were published)."""
    if not part:
        return []
    return part if isinstance(part, list) else [part]


def _reproduce(option, values):
    """The page's line on how a part's runs are made and published."""
    return ('Reproduce: `.venv/bin/python benchmarks/scale.py %s %s` (once per run), then `benchmarks/scale.py '
            '--publish benchmarks/results/scale-<timestamp> ...` with every run (`--add --publish ...`: next to the '
            'published runs, of the same code).' % (option, values))


def markdown(data):
    """docs/scale.md from docs/scale.json: {'sizes': [sizes runs], 'services': [services runs]} (either may be
    missing)."""
    lines = ['# Scale: what converging and re-running ecmp.lvs cost as the fleet grows', '',
             'Generated by `benchmarks/scale.py --publish` from [scale.json](scale.json); do not edit. Labs of UML '
             'guests cut out of `inventories/lab-2x8`, on one machine: the times include the lab\'s own cost (every '
             'guest shares the same cores with Ansible), so what they show is how the cost *grows*.', '']
    sizes = _as_runs(data.get('sizes'))
    if sizes:
        rows = _rows(sizes, 'sizes', 'size')
        lines += ['## Fleet size', '', _run_header(sizes), ''] + _settings_line(sizes) + [table(sizes), '']
        notes = failure_notes(sizes)
        if notes:
            lines += ['The site.yml runs that failed (the play stopped there):', ''] + notes + ['']
        first = next(iter(rows), None)
        lines += growth_table(sizes, rows)
        lines += ['',
                  'Reading it: **up** boots the guests; **converge** is `playbooks/site.yml` on the fresh lab '
                  '(the lab image has the packages already), **rerun** the same playbook again - '
                  '`changed` over every host must be 0. **nexthops per router**: the directors in each '
                  'router\'s kernel route to the VIP (one per director). **requests**: HTTP requests of the '
                  'client through the VIP (it reaches it through every router), over all runs. The directors '
                  'converge in batches behind health gates (a canary first, `lvs_director_serial`), the '
                  'routers after them one at a time (`lvs_router_serial`). The second table divides each '
                  'run\'s times by its own %s times (the same machine, the same minutes: a ratio that '
                  'machines of different speed agree on, unlike the seconds) and gives the median of the '
                  'runs (min-max).' % first, '',
                  _reproduce('--sizes', ','.join(rows)), '']
    services = [run for run in _as_runs(data.get('services')) if run.get('services')]
    if services:
        part = services[0]['services']
        lines += ['## Service table', '', _run_header(services), '']
        lines += _settings_line(services)
        lines += ['On a %s lab (routers x directors x real servers), `lvs_services` of N services (the lab\'s service '
                  'and N-1 more on ports 10001.., each on every real server with a TCP check):' % part.get('lab'), '',
                  services_table(services), '',
                  'Reading it: **converge** and **rerun** are `playbooks/site.yml` with the N services (starting '
                  'from the previous row\'s table); **keepalived reload** the time from `systemctl reload keepalived` with one virtual '
                  'server more until IPVS has it (on a director); **ecmp.lvs.ipvs** one module run that creates the '
                  'same N services x every real server on a test VIP (`benchmarks/scale_ipvs.yml`, times taken on the '
                  'director: the Ansible task included), **its rerun** the same input again (reads the table, nothing '
                  'to do), **ipvsadm --restore** the same table restored in one call; **module / restore** the ratio '
                  'of each run (its median and range over the runs).', '',
                  _reproduce('--services', ','.join(str(count) for count in _rows(services, 'services', 'services'))),
                  '']
    return '\n'.join(lines)


def publish(run_dirs, add=False):
    """docs/scale.json and docs/scale.md from the scale.json of each run directory: the sizes runs given replace the
    published sizes runs, the services runs the published services runs; a part no run given has stays as
    published. add: the runs given join the published runs of their part instead (a published run of the same
    timestamp is replaced), so runs of the same code measured on another day or machine - whose run directories
    are gone - still count; every run of the part must have measured the same code."""
    data = {}
    if os.path.exists(JSON_PATH):
        with open(JSON_PATH, encoding='utf-8') as fd:
            data = {key: _as_runs(value) for key, value in json.load(fd).items()}
    given = {}
    for run_dir in run_dirs:
        with open(os.path.join(run_dir, 'scale.json'), encoding='utf-8') as fd:
            results = json.load(fd)
        results.pop('table', None)
        settings = lab_settings(run_dir)
        if settings is not None:
            results['lab_settings'] = settings
        if results.get('services'):
            given.setdefault('services', []).append(results)
        elif results.get('sizes'):
            given.setdefault('sizes', []).append(results)
        else:
            raise SystemExit('%s: neither sizes nor services measured' % run_dir)
    for part, runs in given.items():
        if add:
            stamps = {run.get('timestamp') for run in runs}
            runs = [run for run in data.get(part, []) if run.get('timestamp') not in stamps] + runs
        _same_code(part, runs)
        data[part] = sorted(runs, key=lambda run: run.get('timestamp') or '')
    published.write(JSON_PATH, data, PAGE_PATH, markdown(data))


def check():
    """0 when docs/scale.md is what docs/scale.json gives (or neither exists)."""
    return published.current(JSON_PATH, PAGE_PATH, markdown,
                             'docs/scale.md is out of date: benchmarks/scale.py --publish <run>', missing_ok=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument('--name', default='scale', help='lab name (one lab at a time, removed after each size)')
    p.add_argument('--python', default=os.path.join(ROOT, '.venv', 'bin', 'python'))
    p.add_argument('--sizes', default='1x2x2,2x4x3,2x8x4', help='ROUTERSxDIRECTORSxREALSERVERS,...')
    p.add_argument('--requests', type=int, default=20)
    p.add_argument('--services', type=lambda t: [int(x) for x in t.split(',') if x],
                   help='service tables to measure, e.g. 10,100,500 (on one lab, --services-lab), instead of sizes')
    p.add_argument('--services-lab', default='1x2x4', help='the lab of --services (ROUTERSxDIRECTORSxREALSERVERS)')
    p.add_argument('--keep', action='store_true', help='leave the (last) lab up')
    p.add_argument('--out')
    p.add_argument('--publish', nargs='+', metavar='RUN_DIR', help='write docs/scale.json and docs/scale.md')
    p.add_argument('--add', action='store_true',
                   help='with --publish: the runs given join the published runs of their part (of the same code) '
                        'instead of replacing them')
    p.add_argument('--check', action='store_true', help='exit 1 when docs/scale.md is out of date')
    args = p.parse_args()
    if args.add and not args.publish:
        p.error('--add goes with --publish RUN_DIR ...')
    if args.publish:
        publish(args.publish, add=args.add)
        return 0
    if args.check:
        return check()
    sizes = [parse_size(s) for s in args.sizes.split(',') if s]
    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    outdir = args.out or os.path.join(HERE, 'results', 'scale-' + stamp)
    os.makedirs(outdir, exist_ok=True)
    results = {'benchmark': 'ecmp.lvs scale (fleet size)', 'timestamp': stamp, 'source': 'inventories/lab-2x8',
               'host': platform.node(), 'cpus': os.cpu_count(), 'loadavg_start': os.getloadavg(), 'sizes': [],
               'commit': _commit(), 'dirty': _dirty()}
    if args.services:
        results['benchmark'] = 'ecmp.lvs scale (service table)'
        results['services'] = measure_services(args, outdir)
        results['table'] = services_table([results])
        with open(os.path.join(outdir, 'scale.json'), 'w', encoding='utf-8') as fd:
            json.dump(results, fd, indent=1)
        print(results['table'])
        print('\nresults: %s' % os.path.relpath(os.path.join(outdir, 'scale.json'), ROOT))
        return 0 if 'error' not in results['services'] else 1
    for size in sizes:
        results['sizes'].append(measure(args, size, outdir))
        with open(os.path.join(outdir, 'scale.json'), 'w', encoding='utf-8') as fd:
            json.dump(results, fd, indent=1)
    results['loadavg_end'] = os.getloadavg()
    results['table'] = '\n'.join([table([results])] + failure_notes([results]))
    with open(os.path.join(outdir, 'scale.json'), 'w', encoding='utf-8') as fd:
        json.dump(results, fd, indent=1)
    print(results['table'])
    print('\nresults: %s' % os.path.relpath(os.path.join(outdir, 'scale.json'), ROOT))
    ok = all('error' not in r and not r['converge']['rc'] and not r['rerun']['rc'] and r['rerun']['changed'] == 0
             and r['one_nexthop_per_director'] for r in results['sizes'])
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
