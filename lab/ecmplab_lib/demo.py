# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`lab/ecmplab demo` (= `make lab`): up, playbooks/site.yml, then show what it built: the router's ECMP
route to each VIP and how N requests from the client spread over directors and real servers.

Real servers are identified by their nginx page (lab-net writes the hostname into it); directors by the
delta of the IPVS connection counter of the service (`ipvsadm -L -n --stats`) before/after the requests.
"""

import json
import os
import subprocess
import time

from .facade import playbook_cmd, playbook_env, ssh_run
from .util import ROOT, LabError, log, parallel


def _ipvs_conns(state, director, vip, port):
    """Connections the director's IPVS service VIP:port has scheduled so far (None without IPVS)."""
    res = ssh_run(state.ssh_config, director, 'ipvsadm -L -n --stats -t %s:%s' % (vip, port), timeout=30, check=False)
    if res.returncode != 0:
        return None
    for line in res.stdout.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == 'TCP' and words[1] == '%s:%s' % (vip, port):
            return _num(words[2])
    return None


def _num(text):
    mult = {'K': 1000, 'M': 1000 ** 2, 'G': 1000 ** 3}
    if text and text[-1] in mult:
        return int(float(text[:-1]) * mult[text[-1]])
    return int(text)


def _route(state, router, vip):
    # `ip route show` without -6 lists IPv4 routes only, whatever the address
    res = ssh_run(state.ssh_config, router, 'ip -j -%d route show %s' % (6 if ':' in vip else 4, vip), timeout=30,
                  check=False)
    routes = json.loads(res.stdout or '[]') if res.returncode == 0 else []
    hops = [h.get('gateway') for r in routes for h in r.get('nexthops', [])]
    if not hops:
        hops = [r.get('gateway') for r in routes if r.get('gateway')]
    return routes, hops


def show_route(lab, state, timeout=60):
    want = len(lab.group('directors'))
    for router in lab.group('routers'):
        for vip in lab.vips:
            t0 = time.monotonic()
            routes, hops = _route(state, router, vip)
            # the routing protocol converges after the play: wait for one nexthop per director
            while len(hops) < want and time.monotonic() - t0 < timeout:
                time.sleep(1)
                routes, hops = _route(state, router, vip)
            print('\n%s: ip -j -%d route show %s' % (router.name, 6 if ':' in vip else 4, vip))
            print(json.dumps(routes, indent=2))
            print('=> %d nexthop(s) to %s: %s' % (len(hops), vip, ', '.join(map(str, hops)) or 'none'))


def request_spread(lab, state, count):
    clients = lab.group('clients')
    services = [s for s in (lab.hosts[0].vars.get('lvs_services') or []) if isinstance(s, dict)]
    if not clients or not services:
        log('no client host or no lvs_services: skipping the request spread')
        return
    client, service = clients[0], services[0]
    vip, port = service['vip'], service.get('port', 80)
    directors = lab.group('directors')
    before = parallel(lambda d: _ipvs_conns(state, d, vip, port), directors)
    script = ('ok=0; for i in $(seq %d); do curl -s -m 5 --retry 3 --retry-delay 0 http://%s:%s/ || echo FAILED; done'
              % (count, vip, port))
    t0 = time.monotonic()
    res = ssh_run(state.ssh_config, client, script, timeout=30 + 5 * count, check=False)
    elapsed = time.monotonic() - t0
    after = parallel(lambda d: _ipvs_conns(state, d, vip, port), directors)
    answers = {}
    for line in res.stdout.splitlines():
        answers[line.strip()] = answers.get(line.strip(), 0) + 1
    print('\n%d requests from %s to http://%s:%s/ in %.1f s' % (count, client.name, vip, port, elapsed))
    print('%-22s %8s' % ('answered by', 'requests'))
    for who in sorted(answers):
        print('%-22s %8d' % (who, answers[who]))
    print('%-22s %8s' % ('director (IPVS conns)', 'delta'))
    for director, b, a in zip(directors, before, after):
        delta = (a - b) if a is not None and b is not None else 'n/a (no IPVS)'
        print('%-22s %8s' % (director.name, delta))


def run_demo(args, lab, state):
    """After `up` (cli.cmd_demo): playbooks/site.yml, the routers' ECMP routes, the request spread."""
    site = os.path.join(ROOT, 'playbooks', 'site.yml')
    if not os.path.exists(site):
        log('playbooks/site.yml does not exist yet: the lab is up, nothing more to show '
            '(lab/ecmplab --name %s down to remove it)' % lab.name)
        return 0
    t0 = time.monotonic()
    rc = subprocess.call(playbook_cmd(lab, site), env=playbook_env(lab, state), cwd=ROOT)
    log('site.yml finished in %.1f s (rc=%d)' % (time.monotonic() - t0, rc))
    if rc != 0:
        raise LabError('playbooks/site.yml failed (rc=%d)' % rc)
    show_route(lab, state)
    request_spread(lab, state, args.requests)
    return 0
