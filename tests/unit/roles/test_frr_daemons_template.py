# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The REAL /etc/frr/daemons of a router and of a director, rendered by Ansible, its zebra options checked by zebra;
the router's frr.service drop-in (router_frr_keep_routes) checked by systemd-analyze and run.

One ansible-playbook run per role renders ``roles/frr/templates/daemons.j2`` with the calling role's
``defaults/main.yml`` and ``vars/main.yml`` and the very ``vars`` its ``tasks/main.yml`` passes to ``ecmp.lvs.frr``
(read from that file, as in test_frr_conf_template.py), once per case. zebra itself then parses each file's
``zebra_options`` (``bash -c 'source FILE; zebra $zebra_options -v'``: every option is parsed before ``-v`` prints the
version and exits; an unknown option fails), with FRR 10.3 of Debian 13 too when ``ECMP_DEBIAN13_ROOT`` names a
Debian 13 root tree (release_root.py).

router_frr_keep_routes (default 30): zebra ``-r -K 30`` on an OSPF router in a configuration of its own, and the
drop-in ``frr.service.d/ecmp-lvs-keep-routes.conf``, whose stop prepares an OSPF graceful restart when (only when) a
restart job stops FRR; ``systemd-analyze verify`` reads it with Debian's frr.service, and its ExecStop commands run
with a ``systemctl`` that reports a restart or a stop job and a ``vtysh`` that records what it is asked. The lab test
test_router_frr_restart_keeps_the_vip_route restarts and stops the real FRR.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading

import pytest

from ansible_collections.ecmp.lvs.tests.unit.roles import release_root
# the inventories of test_frr_conf_template.py: one source for what a router and a director are given
from ansible_collections.ecmp.lvs.tests.unit.roles.test_frr_conf_template import (
    BASE, DUAL, PLAY_HEADER, ROLE_HOST, frr_vars)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PLAYBOOK_BIN = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
TEMPLATE = os.path.join(ROOT, 'roles', 'frr', 'templates', 'daemons.j2')
DROPIN = os.path.join(ROOT, 'roles', 'frr', 'templates', 'frr-keep-routes.conf.j2')
FAILED_UNIT = os.path.join(ROOT, 'roles', 'frr', 'templates', 'ecmp-lvs-frr-failed.service.j2')
ZEBRA = '/usr/lib/frr/zebra'
FRR_UNIT = '/lib/systemd/system/frr.service'
# case -> (role, variables over BASE and ROLE_HOST, the zebra_options expected): IPv6 VIPs add zebra's in-place
# replacement of IPv6 routes
# replacement of IPv6 routes; an OSPF router in a configuration of its own keeps its routes across a restart (-r -K)
CASES = {
    'router-default': ('router', {}, '-A 127.0.0.1 -s 90000000 -r -K 30'),
    'router-dual': ('router', DUAL, '-A 127.0.0.1 -s 90000000 --v6-rr-semantics -r -K 30'),
    'router-keep-0': ('router', {'router_frr_keep_routes': 0}, '-A 127.0.0.1 -s 90000000'),
    'router-keep-300': ('router', {'router_frr_keep_routes': 300}, '-A 127.0.0.1 -s 90000000 -r -K 300'),
    # bgpd withdraws its routes when it stops: FRR's own restart
    'router-bgp': ('router', {'lvs_routing_protocol': 'bgp'}, '-A 127.0.0.1 -s 90000000'),
    'director-default': ('director', {}, '-A 127.0.0.1 -s 90000000'),
    'director-dual': ('director', DUAL, '-A 127.0.0.1 -s 90000000 --v6-rr-semantics'),
}

PLAY = PLAY_HEADER.replace('{what}', 'the daemons file') + '  tasks: {tasks}\n'

needs_tools = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason='.venv ansible-playbook needed')


@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
    """``{case: path of the rendered daemons file}``: one task per case, whose vars are what the role passes to
    ecmp.lvs.frr and the case's inventory (a variable a case does not set keeps the role's default)."""
    tmp = tmp_path_factory.mktemp('frr-daemons')
    result = {}
    for role in ('router', 'director'):
        tasks = []
        for case, (r, inventory, dummy) in sorted(CASES.items()):
            if r != role:
                continue
            task_vars = dict(frr_vars(role), **dict(BASE, **dict(ROLE_HOST[role], **inventory)))
            tasks.append({'name': 'Render roles/frr/templates/daemons.j2 (%s)' % case,
                          'ansible.builtin.template': {'src': TEMPLATE, 'dest': str(tmp / (case + '.daemons')),
                                                       'mode': '0600'},
                          'vars': task_vars})
            result[case] = str(tmp / (case + '.daemons'))
            if '-K' in CASES[case][2]:
                # the drop-in and the unit its OnFailure= names, written by the role where zebra keeps its routes
                # (roles/frr/tasks/configure.yml)
                for src, suffix in ((DROPIN, '.dropin'), (FAILED_UNIT, '.failed')):
                    tasks.append({'name': 'Render roles/frr/templates/%s (%s)' % (os.path.basename(src), case),
                                  'ansible.builtin.template': {'src': src, 'mode': '0600',
                                                               'dest': str(tmp / (case + '.daemons' + suffix))},
                                  'vars': task_vars})
        (tmp / ('play-%s.yml' % role)).write_text(PLAY.format(role=role, root=ROOT, tasks=json.dumps(tasks)))
        (tmp / 'inventory.yml').write_text('all: {}\n')
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
        proc = subprocess.run([PLAYBOOK_BIN, '-i', str(tmp / 'inventory.yml'), str(tmp / ('play-%s.yml' % role))],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=300, check=False)
        assert proc.returncode == 0, proc.stdout
    return result


def zebra_options(path):
    with open(path, encoding='utf-8') as handle:
        found = re.findall(r'^zebra_options="(.*)"$', handle.read(), re.M)
    assert len(found) == 1, 'one zebra_options line in %s' % path
    return ' '.join(found[0].split())


@needs_tools
@pytest.mark.parametrize('case', sorted(CASES))
def test_zebra_options(rendered, case):
    assert zebra_options(rendered[case]) == CASES[case][2]


@needs_tools
@pytest.mark.skipif(not os.path.exists(ZEBRA), reason='frr is in the Makefile APT_PACKAGES')
@pytest.mark.parametrize('checker', sorted(dict(release_root.checkers())))
@pytest.mark.parametrize('case', sorted(CASES))
def test_zebra_accepts_the_rendered_options(rendered, case, checker):
    root = dict(release_root.checkers())[checker]
    assert zebra_options(rendered[case])  # the line bash sources
    rc, out = release_root.run(root, ['bash', '-c', 'source "$0"; exec %s $zebra_options -v' % ZEBRA, rendered[case]],
                               [rendered[case]])
    assert rc == 0 and 'zebra version' in out, out


@pytest.mark.skipif(not os.path.exists(ZEBRA), reason='frr is in the Makefile APT_PACKAGES')
def test_zebra_rejects_an_unknown_option(tmp_path):
    """The check above can fail: zebra refuses an option it does not know."""
    bad = tmp_path / 'daemons'
    bad.write_text('zebra_options="  -A 127.0.0.1 --keep-everything-forever"\n')
    rc, out = release_root.run(None, ['bash', '-c', 'source "$0"; exec %s $zebra_options -v' % ZEBRA, str(bad)])
    assert rc != 0 and 'unrecognized option' in out, out


KEEP_CASES = sorted(c for c in CASES if '-K' in CASES[c][2])


def dropin_commands(path, key):
    """The commands of `key` (ExecStop, ExecStartPre) in a drop-in, in order, as argument lists ('' for the reset),
    with systemd's "$$" read as the "$" the command gets (systemd-analyze verify above checks the rest)."""
    found = []
    with open(path, encoding='utf-8') as handle:
        for line in handle:
            if line.startswith(key + '='):
                value = line.split('=', 1)[1].strip().replace('$$', '$')
                found.append(shlex.split(value.lstrip('-')) if value else '')
    return found


@needs_tools
@pytest.mark.skipif(not shutil.which('systemd-analyze') or not os.path.exists(FRR_UNIT),
                    reason='systemd and frr are in the Makefile APT_PACKAGES')
@pytest.mark.parametrize('case', KEEP_CASES)
def test_systemd_reads_the_dropin(rendered, case, tmp_path):
    """systemd-analyze verify: Debian's frr.service with the drop-in, and the unit its OnFailure= names, nothing to
    complain about (it names a line it cannot parse, e.g. unbalanced quotes, and an unknown setting). OnFailure= of a
    drop-in adds to the unit's list (Debian's own heartbeat-failed@ stays)."""
    os.makedirs(tmp_path / 'frr.service.d')
    shutil.copy(FRR_UNIT, tmp_path / 'frr.service')
    shutil.copy(rendered[case] + '.dropin', tmp_path / 'frr.service.d' / 'ecmp-lvs-keep-routes.conf')
    shutil.copy(rendered[case] + '.failed', tmp_path / 'ecmp-lvs-frr-failed.service')
    env = dict(os.environ, SYSTEMD_UNIT_PATH='%s:' % tmp_path)
    proc = subprocess.run(['systemd-analyze', 'verify', '--man=no', str(tmp_path / 'frr.service'),
                           str(tmp_path / 'ecmp-lvs-frr-failed.service')], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == '', proc.stdout
    assert dropin_commands(rendered[case] + '.dropin', 'OnFailure') == [['ecmp-lvs-frr-failed.service']]
    with open(tmp_path / 'frr.service.d' / 'ecmp-lvs-keep-routes.conf', 'a', encoding='utf-8') as handle:
        handle.write('ExecStop=-/bin/sh -c "unbalanced\n')
    proc = subprocess.run(['systemd-analyze', 'verify', '--man=no', str(tmp_path / 'frr.service')], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert 'ecmp-lvs-keep-routes.conf:' in proc.stdout, 'the check above can fail: ' + proc.stdout


RUN_DIR = '/var/run/frr'
STATE_DIR = '/var/lib/frr'
# FRR 10.3's state files after `graceful-restart prepare ip ospf` / `... ipv6 ospf` (captured on the Debian 13 lab):
# the keys of the graceful restart next to ospf6d's authentication sequence number, in FRR's own layout
GR_PREPARED = {'ospfd.json': '{\n  "instances":{\n    "default":{\n      "gracePeriod":30,\n      "timestamp":1796452417\n'
                             '    }\n  }\n}',
               'ospf6d.json': '{\n  "instances":{\n    "default":{\n      "sequence_number":4,\n      "gracePeriod":30,\n'
                              '      "timestamp":1796452539\n    }\n  }\n}'}
# and as ospfd/ospf6d leave them after an ordinary start
NO_GR = {'ospfd.json': '{\n  "instances":{}\n}',
         'ospf6d.json': '{\n  "instances":{\n    "default":{\n      "sequence_number":2\n    }\n  }\n}'}
# a stand-in for an FRR daemon: ends on SIGINT (as FRR's daemons do, frrcommon.sh sends it), watchfrr slowly, and
# writes to the log what it was when it ended
FAKE_DAEMON = ('trap \'sleep "$SLOW"; echo "$NAME ended" >> "$LOG"; exit 0\' INT; '
               'while :; do sleep 0.05; done')


def fake_tools(tmp_path, tools, routes4=(), routes6=()):
    """A directory of stand-ins first on PATH: `tools` {name: shell body}, and an `ip` that lists the OSPF routes
    given (`ip -4|-6 -o route show proto ospf`, as iproute2 prints them) and writes every other call to ip.log.
    Returns the environment to run a command with."""
    bin_dir = tmp_path / 'bin'
    os.makedirs(bin_dir)
    listing = ''.join('  [ "$1" = %s ] && printf "%s"\n' % (family, ''.join('%s\\n' % r for r in routes))
                      for family, routes in (('-4', routes4), ('-6', routes6)) if routes)
    tools = dict(tools, ip='if [ "$2 $3 $4 $5 $6" = "-o route show proto ospf" ]; then\n%s  exit 0\nfi\n'
                           'echo "ip $*" >> %s\n' % (listing, tmp_path / 'ip.log'))
    for name, body in tools.items():
        (bin_dir / name).write_text('#!/bin/sh\n' + body)
        os.chmod(bin_dir / name, 0o755)
    return dict(os.environ, PATH='%s:%s' % (bin_dir, os.environ['PATH']))


def ip_calls(tmp_path):
    """What the fake `ip` was asked besides listing routes."""
    return (tmp_path / 'ip.log').read_text().splitlines() if os.path.exists(tmp_path / 'ip.log') else []


def list_jobs(job):
    """A `systemctl` that answers `list-jobs --no-legend frr.service` with a running job of that type."""
    return '[ "$1 $2 $3" = "list-jobs --no-legend frr.service" ] || exit 3\necho "4711 frr.service %s running"\n' % job


@needs_tools
@pytest.mark.parametrize('job', ['restart', 'stop'])
@pytest.mark.parametrize('case', KEEP_CASES)
def test_dropin_prepares_a_graceful_restart_only_for_a_restart(rendered, case, job, tmp_path):
    """The drop-in's ExecStop: its own list (reset first), the graceful-restart preparations and the early stop of the
    OSPF daemons before frrinit.sh stop, run with a `systemctl list-jobs` that reports the job of frr.service, a
    `vtysh` that records what it is asked and stand-ins for FRR's daemons (pid files in a run directory of the test's
    own). A restart asks vtysh to enable a graceful restart of OSPF (grace period: the seconds zebra keeps the routes,
    -K) and prepare it (and OSPFv3 with IPv6 VIPs); then it ends watchfrr (which would start them again) and, once
    watchfrr has gone, ospfd (and ospf6d) and waits for them: frrinit.sh stops every daemon at once, and an ospfd that
    outlives bfdd sees the directors drop it and deletes the VIP routes (2 of 10 restarts in the lab). bfdd, zebra and
    the rest are left to frrinit.sh. A stop asks and ends nothing (ospfd withdraws its routes). ExecStartPre removes
    ospfd's and ospf6d's graceful-restart state (FRR 8.4's files; FRR 10.3's keys: see the next test), so that every
    start is an ordinary one."""
    stops = dropin_commands(rendered[case] + '.dropin', 'ExecStop')
    assert stops[0] == '' and stops[-1] == ['/usr/lib/frr/frrinit.sh', 'stop'], stops
    starts = dropin_commands(rendered[case] + '.dropin', 'ExecStartPre')
    assert starts[0] == ['/bin/rm', '-f', RUN_DIR + '/ospfd-gr.json', RUN_DIR + '/ospf6d-gr.json'], starts
    assert starts[1][:2] == ['/usr/bin/python3', '-c'] and starts[1][3:] == [
        STATE_DIR + '/ospfd.json', STATE_DIR + '/ospf6d.json'], starts
    run_dir = tmp_path / 'run'
    os.makedirs(run_dir)
    log = tmp_path / 'stop.log'
    # one OSPF route per family in the kernel
    env = fake_tools(tmp_path, {'systemctl': list_jobs(job), 'vtysh': 'echo "vtysh $*" >> %s\n' % log},
                     ['10.99.100.10 nhid 5 metric 20'], ['2001:db8:100::10 nhid 6 metric 20'])
    ipv6 = '--v6-rr-semantics' in CASES[case][2]
    daemons = {}
    try:
        for name in ('watchfrr', 'zebra', 'bfdd', 'staticd', 'ospfd', 'ospf6d'):
            # SIGINT as a daemon has it (a test worker may ignore it, and so would a child that inherits that)
            daemons[name] = subprocess.Popen(  # pylint: disable=consider-using-with
                ['sh', '-c', FAKE_DAEMON], env=dict(os.environ, NAME=name, LOG=str(log),
                                                    SLOW='0.5' if name == 'watchfrr' else '0'),
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
            (run_dir / (name + '.pid')).write_text('%d\n' % daemons[name].pid)
            # reaped as soon as it ends, as init does FRR's (a zombie would still answer `kill -0`)
            threading.Thread(target=daemons[name].wait, daemon=True).start()
        for command in stops[1:-1]:
            assert command[:2] == ['/bin/sh', '-c'], command
            # the run directory is FRR's, named once: the test's own stands in (never the real daemons of this host)
            assert command[2].count(RUN_DIR) <= 1, command
            subprocess.run(command[:2] + [command[2].replace('cd %s ' % RUN_DIR, 'cd %s ' % run_dir)], env=env,
                           check=True, timeout=60)
        running = sorted(name for name, proc in daemons.items() if proc.poll() is None)
        pid_files = sorted(name[:-4] for name in os.listdir(run_dir) if name.endswith('.pid'))
        for command in dropin_commands(rendered[case] + '.dropin', 'ExecStopPost'):
            assert command[:2] == ['/bin/sh', '-c'], command
            # what systemd tells ExecStopPost after a clean stop (systemd.exec(5), $SERVICE_RESULT)
            subprocess.run(command, env=dict(env, SERVICE_RESULT='success'), check=True, timeout=30)
    finally:
        for proc in daemons.values():
            proc.kill()
            proc.wait()
    lines = log.read_text().splitlines() if os.path.exists(log) else []
    keep = re.search(r' -K (\d+)', zebra_options(rendered[case])).group(1)
    want = ['vtysh -c configure terminal -c router ospf -c graceful-restart grace-period %s -c end '
            '-c graceful-restart prepare ip ospf' % keep]
    if ipv6:
        want.append('vtysh -c configure terminal -c router ospf6 -c graceful-restart grace-period %s -c end '
                    '-c graceful-restart prepare ipv6 ospf' % keep)
    # after any stop that is not a restart, the OSPF routes leave the kernel whatever FRR did (FRR 10.3's ospfd may
    # find zebra gone and zebra -r keeps them): a router whose FRR is down must not forward to the directors
    flushed = ip_calls(tmp_path)
    assert flushed == ([] if job == 'restart' else ['ip -4 route del 10.99.100.10 proto ospf',
                                                    'ip -6 route del 2001:db8:100::10 proto ospf']), flushed
    if job == 'stop':
        assert lines == [] and running == pid_files == sorted(daemons), (lines, running, pid_files)
        return
    # watchfrr ends first (it takes 0.5 s here: the OSPF daemons are asked only once it has gone), then ospfd and,
    # with IPv6 VIPs, ospf6d (in either order); the pid files of those that ended go, as frrcommon.sh's do
    ended = ['watchfrr', 'ospfd'] + (['ospf6d'] if ipv6 else [])
    assert lines[:len(want)] == want and lines[len(want)] == 'watchfrr ended', lines
    assert sorted(lines[len(want) + 1:]) == sorted('%s ended' % name for name in ended[1:]), lines
    left = sorted(set(daemons) - set(ended))
    assert running == pid_files == left, (running, pid_files)


@needs_tools
@pytest.mark.parametrize('job', ['start', 'restart'])
@pytest.mark.parametrize('result', ['exit-code', 'timeout', 'signal', ''])
@pytest.mark.parametrize('case', KEEP_CASES)
def test_a_restart_whose_start_fails_removes_the_kept_routes(rendered, case, job, result, tmp_path):
    """The clean stop of a restart keeps the OSPF routes for the start; when the start fails, systemd runs
    ExecStopPost again with SERVICE_RESULT other than "success" (measured with systemd 252 in a container: the
    restart's job is a start job by then, SERVICE_RESULT=exit-code after a failed ExecStartPre): FRR stays down and no
    zebra sweeps them, ExecStopPost removes them (fail safe), as after a stop. So it does when the stop of a restart
    fails (the restart job, not "success"), and when systemd does not say (no SERVICE_RESULT)."""
    env = fake_tools(tmp_path, {'systemctl': list_jobs(job)}, ['10.99.100.10 nhid 5 metric 20'])
    env.pop('SERVICE_RESULT', None)
    if result:
        env['SERVICE_RESULT'] = result
    commands = dropin_commands(rendered[case] + '.dropin', 'ExecStopPost')
    assert commands and all(command[:2] == ['/bin/sh', '-c'] for command in commands), commands
    for command in commands:
        subprocess.run(command, env=env, check=True, timeout=30)
    assert ip_calls(tmp_path) == ['ip -4 route del 10.99.100.10 proto ospf']


@needs_tools
@pytest.mark.parametrize('state', ['failed', 'active', 'activating', 'inactive'])
@pytest.mark.parametrize('case', KEEP_CASES)
def test_a_failed_frr_removes_the_kept_routes(rendered, case, state, tmp_path):
    """A restart whose start systemd refuses (frr.service's start limit, 3 starts in 3 minutes: the 4th restart) runs
    no ExecStopPost after the stop that kept the routes (measured with systemd 252 in a container: the restart fails,
    frr.service is "failed", Result start-limit-hit, and its OnFailure= units start once). The unit the drop-in names
    in OnFailure= removes the OSPF routes (both families, route by route) while frr.service is failed, and leaves them
    when FRR has been started again meanwhile (active, activating: zebra owns them) or was stopped (ExecStopPost
    removed them then)."""
    commands = dropin_commands(rendered[case] + '.failed', 'ExecStart')
    assert len(commands) == 1 and commands[0][:2] == ['/bin/sh', '-c'], commands
    # systemctl is-failed --quiet: 0 when failed, else non-zero (systemctl(1))
    env = fake_tools(tmp_path, {'systemctl': '[ "$1 $2 $3" = "is-failed --quiet frr.service" ] || exit 3\n'
                                             '[ %s = failed ]\n' % state},
                     ['10.99.100.10 nhid 5 metric 20', '10.99.100.11 nhid 5 metric 20'],
                     ['2001:db8:100::10 nhid 6 metric 20'])
    subprocess.run(commands[0], env=env, check=True, timeout=30)
    removed = ip_calls(tmp_path)
    assert removed == (['ip -4 route del 10.99.100.10 proto ospf', 'ip -4 route del 10.99.100.11 proto ospf',
                        'ip -6 route del 2001:db8:100::10 proto ospf'] if state == 'failed' else []), removed


@pytest.mark.parametrize('case', KEEP_CASES)
def test_every_start_removes_frr_10_graceful_restart_state(rendered, case, tmp_path):
    """FRR 10.3 (Debian 13) keeps a prepared graceful restart as keys of ospfd.json and ospf6d.json in its state
    directory, not in FRR 8.4's files: with them there every start after a restart was a graceful one, and the router,
    the DR of the fabric, kept its neighbours at 2-Way - no adjacency, no route once zebra swept the kept ones (the
    Debian 13 lab: a restart, minutes without OSPF). ExecStartPre removes gracePeriod and timestamp of every instance
    and nothing else (ospf6d's sequence number of OSPFv3 authentication stays: a lower one after a restart would be
    refused as a replay), leaves a file without them untouched, and a missing file or a broken one fails only
    itself (the "-": FRR starts)."""
    command = dropin_commands(rendered[case] + '.dropin', 'ExecStartPre')[1]
    assert command[:2] == ['/usr/bin/python3', '-c']
    for name, text in GR_PREPARED.items():
        (tmp_path / name).write_text(text)
    (tmp_path / 'untouched.json').write_text(NO_GR['ospf6d.json'])
    os.utime(tmp_path / 'untouched.json', (1, 1))
    args = [str(tmp_path / 'ospfd.json'), str(tmp_path / 'ospf6d.json'), str(tmp_path / 'untouched.json'),
            str(tmp_path / 'missing.json')]
    subprocess.run([sys.executable, '-c', command[2]] + args, check=True, timeout=30)
    assert json.loads((tmp_path / 'ospfd.json').read_text()) == {'instances': {'default': {}}}
    assert json.loads((tmp_path / 'ospf6d.json').read_text()) == {'instances': {'default': {'sequence_number': 4}}}
    assert (tmp_path / 'untouched.json').stat().st_mtime == 1
    (tmp_path / 'broken.json').write_text('{"instances":')
    assert subprocess.run([sys.executable, '-c', command[2], str(tmp_path / 'broken.json')], check=False,
                          capture_output=True, timeout=30).returncode != 0
    with open(rendered[case] + '.dropin', encoding='utf-8') as handle:
        assert 'ExecStartPre=-/usr/bin/python3 -c ' in handle.read()
