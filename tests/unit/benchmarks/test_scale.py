# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""benchmarks/scale.py without a lab: the labs it cuts out of inventories/lab-2x8 (and that the collection's
validator accepts them), the sizes it takes, the PLAY RECAP it reads (a real site.yml log)."""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BENCH = os.path.join(ROOT, 'benchmarks')
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)

import scale  # noqa: E402  pylint: disable=wrong-import-position,import-error


def test_parse_size():
    assert scale.parse_size('2x8x4') == (2, 8, 4)
    for bad in ('2x8', '0x1x1', 'ax1x1', '2x8x4x1'):
        with pytest.raises(argparse.ArgumentTypeError):
            scale.parse_size(bad)


def test_cut_inventory_keeps_the_first_hosts_and_their_gateways():
    hosts, lvs = scale.cut_inventory(scale.SOURCE, (1, 2, 2))
    groups = hosts['all']['children']
    assert list(groups['routers']['hosts']) == ['router1']
    assert list(groups['directors']['hosts']) == ['director1', 'director2']
    assert list(groups['realservers']['hosts']) == ['rs1', 'rs2']
    assert list(groups['clients']['hosts']) == ['client1']
    # one router left: a single default route through it, on the fabric and on the client segment
    assert groups['directors']['hosts']['director2']['lab_gateway'] == '10.99.0.1'
    assert groups['clients']['hosts']['client1']['lab_gateway'] == '10.99.1.1'
    assert [rs['host'] for rs in lvs['lvs_services'][0]['real_servers']] == ['rs1', 'rs2']
    hosts, lvs = scale.cut_inventory(scale.SOURCE, (2, 8, 4))
    groups = hosts['all']['children']
    assert len(groups['directors']['hosts']) == 8
    assert groups['clients']['hosts']['client1']['lab_gateway'] == ['10.99.1.1', '10.99.1.2']
    assert len(lvs['lvs_services'][0]['real_servers']) == 4
    with pytest.raises(ValueError):
        scale.cut_inventory(scale.SOURCE, (3, 2, 2))


def _ansible(tmp_path, program, *args):
    """An Ansible command line program of this venv with the project's ansible.cfg, from the repository root."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'))
    return subprocess.run([os.path.join(os.path.dirname(sys.executable), program)] + list(args),
                          capture_output=True, text=True, env=env, cwd=ROOT, check=False, timeout=300)


@pytest.mark.parametrize('size', [(1, 2, 2), (2, 4, 3)])
def test_cut_inventories_pass_the_collections_validation(size, tmp_path):
    """What the benchmark brings up is a valid ecmp.lvs inventory: the validation play of site.yml
    (tests/negative/validate.yml, on the controller only) accepts it, and refuses the same cut with a service
    naming a real server that was cut away."""
    def validate(hosts, lvs, name):
        inventory = scale.write_inventory(str(tmp_path / name), hosts, lvs)
        return _ansible(tmp_path, 'ansible-playbook', '-i', inventory,
                        os.path.join(ROOT, 'tests', 'negative', 'validate.yml'))
    hosts, lvs = scale.cut_inventory(scale.SOURCE, size)
    res = validate(hosts, lvs, 'good')
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    lvs['lvs_services'][0]['real_servers'].append({'host': 'rs4'})
    res = validate(hosts, lvs, 'bad')
    assert res.returncode != 0 and 'rs4' in res.stdout, res.stdout[-3000:]


def test_cut_inventory_takes_the_fleet_labs_own_settings(tmp_path):
    """The cut lab has lab.yml of inventories/lab and, over it, the fleet lab's scale.yml: the metrics every 60 s and
    BFD every 1000 ms (every 5 s and 300 ms ask more of a 15-guest lab than two host cores have); the rest of lab.yml
    as in every lab."""
    hosts, lvs = scale.cut_inventory(scale.SOURCE, (1, 2, 2))
    inventory = scale.write_inventory(str(tmp_path / 'cut'), hosts, lvs)
    res = _ansible(tmp_path, 'ansible-inventory', '-i', inventory, '--host', 'director1')
    assert res.returncode == 0, res.stderr[-2000:]
    hostvars = json.loads(res.stdout)
    assert hostvars['director_metrics_interval'] == 60 and hostvars['router_metrics_interval'] == 60
    assert all(hostvars['%s_bfd_%s_interval' % (role, way)] == 1000
               for role in ('director', 'router') for way in ('receive', 'transmit'))
    assert hostvars['director_metrics_enabled'] is True and hostvars['ansible_user'] == 'root'
    assert sorted(os.listdir(tmp_path / 'cut' / 'group_vars' / 'all')) == ['lab.yml', 'lvs.yml', 'scale.yml']


def test_recap_of_a_real_site_log():
    with open(os.path.join(ROOT, 'tests', 'fixtures', 'bench', 'site-recap.log'), encoding='utf-8') as fd:
        hosts = scale.recap(fd.read())
    assert sorted(hosts) == ['director1', 'director2', 'localhost', 'router1', 'rs1', 'rs2']
    assert hosts['director1'] == {'ok': 54, 'changed': 33, 'unreachable': 0, 'failed': 0}
    assert sum(h['changed'] for h in hosts.values()) == 81
    assert scale.recap('no recap') == {}


def _sizes_run():
    def row(size, hosts, converge, rerun, changed=0):
        return {'size': size, 'hosts': hosts, 'up_s': 9.4, 'converge': {'seconds': converge, 'changed': 81},
                'rerun': {'seconds': rerun, 'changed': changed}, 'nexthops': {'router1': ['a', 'b']},
                'one_nexthop_per_director': True, 'requests': {'sent': 20, 'answered': 20}}
    return {'benchmark': 'ecmp.lvs scale (fleet size)', 'timestamp': '20261204-190105', 'host': 'vm', 'cpus': 2,
            'loadavg_start': [0.4, 1.26, 1.65], 'table': 'x',
            'sizes': [row('1x2x2', 6, 200.0, 100.0), row('2x4x3', 10, 400.0, 150.0)]}


def _services_run():
    return {'benchmark': 'ecmp.lvs scale (service table)', 'timestamp': '20261204-200000', 'host': 'vm', 'cpus': 2,
            'loadavg_start': [1.0, 1.0, 1.0], 'sizes': [],
            'services': {'lab': '1x2x4', 'realservers': 4, 'tables': [
                {'services': 10, 'converge': {'seconds': 250.0}, 'rerun': {'seconds': 120.0, 'changed': 0},
                 'keepalived_reload_add_s': 0.05, 'ipvs': {'module_s': 1.5, 'module_rerun_s': 1.2, 'restore_s': 0.01,
                                                           'module_over_restore': 150.0}}]}}


def test_growth_is_each_runs_own_ratio():
    """A run on a machine twice as slow doubles the seconds, not the ratios: each run is divided by its own first
    size; a run that did not measure the first size gives its seconds per host, no ratio."""
    slow = _sizes_run()
    for row in slow['sizes']:
        row['converge']['seconds'] *= 2
        row['rerun']['seconds'] *= 2
    alone = _sizes_run()
    alone['sizes'] = alone['sizes'][1:]
    runs = [_sizes_run(), slow, alone]
    cells = scale.growth(runs, '1x2x2')
    assert cells['2x4x3']['converge'] == [2.0, 2.0] and cells['2x4x3']['rerun'] == [1.5, 1.5]
    assert cells['2x4x3']['per_host'] == [40.0, 80.0, 40.0]
    lines = scale.growth_table(runs, scale._rows(runs, 'sizes', 'size'))  # pylint: disable=protected-access
    assert '| 2x4x3 | 10 | 40.0 s (40.0-80.0) | x 2.00 | x 1.50 |' in lines
    assert '| 1x2x2 | 6 | 50.0 s (33.3-66.7) | x 1.00 | x 1.00 |' in lines
    assert '| 2x4x3 | 10 | 9.4 s | 400 s (400-800) | 150 s (150-300) |' in scale.table(runs)


def test_publish_writes_both_parts_and_keeps_the_one_a_run_lacks(tmp_path, monkeypatch):
    """--publish takes a sizes run and a services run; publishing one of them later keeps the other; the page is
    generated (--check compares it with the JSON) and says it is one run, not a median."""
    monkeypatch.setattr(scale, 'JSON_PATH', str(tmp_path / 'scale.json'))
    monkeypatch.setattr(scale, 'PAGE_PATH', str(tmp_path / 'scale.md'))
    for name, run in (('sizes', _sizes_run()), ('services', _services_run())):
        os.makedirs(tmp_path / name)
        with open(tmp_path / name / 'scale.json', 'w', encoding='utf-8') as fd:
            json.dump(run, fd)
    scale.publish([str(tmp_path / 'sizes'), str(tmp_path / 'services')])
    page = (tmp_path / 'scale.md').read_text()
    assert '| 2x4x3 | 10 | 9.4 s | 400 s | 150 s | 0 | router1 2 | 20/20 |' in page
    assert '| 2x4x3 | 10 | 40.0 s | x 2.00 | x 1.50 |' in page
    assert '| 10 | 250 s | 120 s (0) | 0.05 s | 1.5 s | 1.2 s | 0.01 s | 150 |' in page
    assert 'One run (2026-12-04 19:01)' in page and 'not a median' in page
    assert scale.check() == 0
    scale.publish([str(tmp_path / 'sizes')])
    assert '## Service table' in (tmp_path / 'scale.md').read_text()
    (tmp_path / 'scale.md').write_text(page.replace('400 s', '40 s'))
    assert scale.check() == 1


def test_publish_takes_the_median_of_several_runs(tmp_path, monkeypatch):
    """Several runs of a part: each cell is the median of the runs with (min-max) where they differ, the growth table
    of each run's own ratios, a size that failed in one run says so and takes the others, "changed" and the nexthops list
    every run's value where they differ; the runs given replace the published runs of their part (the other part
    stays); docs/scale.json of one run per part (a dict, as published before) still reads."""
    monkeypatch.setattr(scale, 'JSON_PATH', str(tmp_path / 'scale.json'))
    monkeypatch.setattr(scale, 'PAGE_PATH', str(tmp_path / 'scale.md'))
    runs = [_sizes_run(), _sizes_run(), _sizes_run()]
    for i, (converge, rerun) in enumerate(((200.0, 100.0), (260.0, 90.0), (230.0, 130.0))):
        runs[i]['timestamp'] = '20261205-0%d0000' % (i + 1)
        runs[i]['commit'] = 'abc' if i < 2 else None
        runs[i]['sizes'][0]['converge']['seconds'] = converge
        runs[i]['sizes'][0]['rerun']['seconds'] = rerun
    runs[1]['sizes'][1] = {'size': '2x4x3', 'hosts': 10, 'error': 'TimeoutExpired: up'}
    runs[2]['sizes'][1]['rerun']['changed'] = 2
    runs[2]['sizes'][1]['nexthops'] = {'router1': ['a']}
    with open(tmp_path / 'scale.json', 'w', encoding='utf-8') as fd:  # published before: one run per part, a dict
        json.dump({'sizes': _sizes_run(), 'services': _services_run()}, fd)
    for i, run in enumerate(runs):
        os.makedirs(tmp_path / str(i))
        with open(tmp_path / str(i) / 'scale.json', 'w', encoding='utf-8') as fd:
            json.dump(run, fd)
    scale.publish([str(tmp_path / str(i)) for i in (2, 0, 1)])
    page = (tmp_path / 'scale.md').read_text()
    assert '3 runs (2026-12-05 01:00, commit abc; 2026-12-05 02:00, commit abc; 2026-12-05 03:00) on vm' in page, page
    assert '| 1x2x2 | 6 | 9.4 s | 230 s (200-260) | 100 s (90-130) | 0 | router1 2 | 60/60 |' in page, page
    assert ('| 2x4x3 (error in 1 of 3 runs: TimeoutExpired: up) | 10 | 9.4 s | 400 s | 150 s | 0, 2 | '
            'router1 2 / router1 1 | 40/40 |') in page, page
    assert '| 2x4x3 | 10 | 40.0 s | x 1.87 (1.74-2.00) | x 1.33 (1.15-1.50) |' in page, page
    assert '| 10 | 250 s | 120 s (0) |' in page and 'One run (2026-12-04 20:00)' in page, page
    assert [run['timestamp'] for run in json.loads((tmp_path / 'scale.json').read_text())['sizes']] == [
        '20261205-010000', '20261205-020000', '20261205-030000']
    assert scale.check() == 0


def test_publish_says_which_settings_of_the_fleet_lab_the_runs_ran_with(tmp_path, monkeypatch):
    """The page names the fleet lab's own settings (group_vars/all of the inventories each run cut, lab.yml and the
    cut lvs.yml aside): the same in every run - one line; a run of a lab without them says "lab.yml only"; runs
    that differ are listed one by one; a run directory without inventories records nothing."""
    monkeypatch.setattr(scale, 'JSON_PATH', str(tmp_path / 'scale.json'))
    monkeypatch.setattr(scale, 'PAGE_PATH', str(tmp_path / 'scale.md'))
    hosts, lvs = scale.cut_inventory(scale.SOURCE, (1, 2, 2))
    for i in range(3):
        run = _sizes_run()
        run['timestamp'] = '20261206-0%d0000' % (i + 1)
        os.makedirs(tmp_path / str(i))
        with open(tmp_path / str(i) / 'scale.json', 'w', encoding='utf-8') as fd:
            json.dump(run, fd)
        if i < 2:
            scale.write_inventory(str(tmp_path / str(i) / 'inventory-1x2x2'), hosts, lvs)
    settings = scale.lab_settings(str(tmp_path / '0'))
    assert settings['director_metrics_interval'] == 60 and settings['router_bfd_receive_interval'] == 1000
    assert 'lab_gateway' not in settings and 'lvs_services' not in settings and 'ansible_user' not in settings
    assert scale.lab_settings(str(tmp_path / '2')) is None
    scale.publish([str(tmp_path / '0'), str(tmp_path / '1')])
    page = (tmp_path / 'scale.md').read_text()
    assert ('Settings of the fleet lab over the lab.yml every lab shares (`inventories/lab-2x8/group_vars/all`, read '
            'from the inventories each run cut): `director_bfd_receive_interval: 1000`, ') in page, page
    assert '`router_metrics_interval: 60`.' in page, page
    assert all(run['lab_settings'] == settings for run in json.loads((tmp_path / 'scale.json').read_text())['sizes'])
    assert scale.check() == 0
    os.remove(tmp_path / '1' / 'inventory-1x2x2' / 'group_vars' / 'all' / 'scale.yml')
    scale.publish([str(tmp_path / '0'), str(tmp_path / '1'), str(tmp_path / '2')])
    page = (tmp_path / 'scale.md').read_text()
    assert ('The runs ran with different settings of the fleet lab: 2026-12-06 01:00: `director_bfd_receive_interval: '
            '1000`, ') in page, page
    assert '; 2026-12-06 02:00: none (lab.yml only); 2026-12-06 03:00: not recorded.' in page, page
    scale.publish([str(tmp_path / '2')])
    page = (tmp_path / 'scale.md').read_text()
    assert 'Settings of the fleet lab' not in page and 'different settings' not in page, page


def test_published_page_is_generated():
    """docs/scale.md is scale.markdown of docs/scale.json - or neither exists yet."""
    assert scale.check() == 0


def _git(repo, *args):
    return subprocess.run(['git', '-C', str(repo), '-c', 'user.name=t', '-c', 'user.email=t@example.org'] + list(args),
                          capture_output=True, text=True, check=True).stdout.strip()


def _three_commits(tmp_path, monkeypatch):
    """A repository of three commits (the second changes a role's README, the third its tasks) that scale.py measures,
    publishing into tmp_path; the commits."""
    repo = tmp_path / 'repo'
    os.makedirs(repo / 'roles' / 'director')
    _git(tmp_path, 'init', '-q', str(repo))
    (repo / 'roles' / 'director' / 'main.yml').write_text('a: 1\n')
    (repo / 'roles' / 'director' / 'README.md').write_text('one\n')
    commits = []
    for change in (None, ('README.md', 'two\n'), ('main.yml', 'a: 2\n')):
        if change:
            (repo / 'roles' / 'director' / change[0]).write_text(change[1])
        _git(repo, 'add', '-A')
        _git(repo, 'commit', '-q', '-m', 'x')
        commits.append(_git(repo, 'rev-parse', '--short=12', 'HEAD'))
    monkeypatch.setattr(scale, 'ROOT', str(repo))
    monkeypatch.setattr(scale, 'JSON_PATH', str(tmp_path / 'scale.json'))
    monkeypatch.setattr(scale, 'PAGE_PATH', str(tmp_path / 'scale.md'))
    return commits


def _publisher(tmp_path):
    """publish((commit, dirty), ...): a sizes run of each (timestamps 01:00, 02:00, ... unless given as a third
    item) published; the page."""
    def publish(*runs, add=False):
        names = []
        for i, given in enumerate(runs):
            run = _sizes_run()
            run.update(timestamp=given[2] if len(given) > 2 else '20261205-0%d0000' % (i + 1), commit=given[0],
                       dirty=given[1])
            os.makedirs(tmp_path / str(i), exist_ok=True)
            with open(tmp_path / str(i) / 'scale.json', 'w', encoding='utf-8') as fd:
                json.dump(run, fd)
            names.append(str(tmp_path / str(i)))
        scale.publish(names, add=add)
        return (tmp_path / 'scale.md').read_text()
    return publish


def test_publish_refuses_runs_of_different_code(tmp_path, monkeypatch):
    """Runs are published together only when they measured the same code: commits that differ in documentation (or
    outside MEASURED) are one code, and the page says the commits were checked; a commit that changed a role, a run of
    a checkout with uncommitted changes and a commit the checkout does not have are refused, naming the part and why."""
    commits = _three_commits(tmp_path, monkeypatch)
    assert scale.measured_difference(commits[0], commits[1]) == []
    assert scale.measured_difference(commits[0], commits[2]) == ['roles/director/main.yml']
    publish = _publisher(tmp_path)
    page = publish((commits[0], False), (commits[1], False))
    assert 'The commits differ only outside what a run measures (roles, plugins' in page, page
    assert 'outside what a run measures' not in publish((commits[0], False), (commits[0], False))
    with pytest.raises(SystemExit, match=r'sizes: runs of commits %s and %s measured different code '
                                         r'\(roles/director/main.yml\)' % (commits[0], commits[2])):
        publish((commits[0], False), (commits[2], False))
    with pytest.raises(SystemExit, match='sizes: runs 20261205-020000 measured a checkout with uncommitted changes'):
        publish((commits[0], False), (commits[0], True))
    with pytest.raises(SystemExit, match='cannot compare commits %s and 0123456789ab' % commits[0]):
        publish((commits[0], False), ('0123456789ab', False))
    assert scale.check() == 0  # the refused runs left the published page as it was


def test_publish_add_joins_the_published_runs_of_the_same_code(tmp_path, monkeypatch):
    """--add --publish: the runs given join the published runs of their part (whose run directories may be gone): a
    run of a commit that changed only documentation joins, a run given again (its timestamp) replaces its published
    copy, a run of other code is refused with the published runs left as they were; without --add the runs given
    replace the part; --add alone is refused."""
    commits = _three_commits(tmp_path, monkeypatch)
    publish = _publisher(tmp_path)
    publish((commits[0], False), (commits[0], False))
    page = publish((commits[1], False, '20261205-030000'), (commits[1], False, '20261205-040000'), add=True)
    stamps = [run['timestamp'] for run in json.loads((tmp_path / 'scale.json').read_text())['sizes']]
    assert stamps == ['20261205-010000', '20261205-020000', '20261205-030000', '20261205-040000'], stamps
    assert page.startswith('# Scale') and '4 runs (2026-12-05 01:00, commit %s;' % commits[0] in page, page
    assert 'The commits differ only outside what a run measures' in page, page
    publish((commits[1], False, '20261205-040000'), add=True)
    assert len(json.loads((tmp_path / 'scale.json').read_text())['sizes']) == 4
    with pytest.raises(SystemExit, match='measured different code'):
        publish((commits[2], False, '20261205-050000'), add=True)
    assert len(json.loads((tmp_path / 'scale.json').read_text())['sizes']) == 4 and scale.check() == 0
    assert '1 runs' not in publish((commits[2], False)) and 'One run (2026-12-05 01:00' in (
        tmp_path / 'scale.md').read_text()
    monkeypatch.setattr(sys, 'argv', ['scale.py', '--add'])
    with pytest.raises(SystemExit):
        scale.main()


def test_failures_of_a_real_failed_rerun():
    """scale.failures reads which host failed in which task and why: the yaml callback of the lab (a real log), the
    default callback's JSON on the fatal line, an unreachable host, a block-scalar message."""
    with open(os.path.join(ROOT, 'tests', 'fixtures', 'bench', 'site-rerun-failed.log'), encoding='utf-8') as fd:
        text = fd.read()
    assert scale.failures(text) == [{'host': 'director6', 'task': 'ecmp.lvs.realserver : Enable and start the VIP unit',
                                     'msg': 'Could not find the requested service ecmp-lvs-vips.service: host'}]
    assert scale.recap(text)['director6']['failed'] == 1
    other = ('TASK [ecmp.lvs.frr : Render frr.conf] ***\n'
             'fatal: [router1]: FAILED! => {"changed": false, "msg": "vtysh -C: line 3 \\"x\\""}\n'
             'fatal: [director2 -> router1]: UNREACHABLE! => {"changed": false, "unreachable": true}\n'
             'TASK [Check] ***\nfatal: [rs1]: FAILED! => \n    changed: false\n    msg: |-\n      first\n      second\n'
             'ok: [rs2]\n')
    assert scale.failures(other) == [
        {'host': 'router1', 'task': 'ecmp.lvs.frr : Render frr.conf', 'msg': 'vtysh -C: line 3 \\"x\\"'},
        {'host': 'director2 -> router1', 'task': 'ecmp.lvs.frr : Render frr.conf', 'msg': 'unreachable'},
        {'host': 'rs1', 'task': 'Check', 'msg': 'first'}]
    assert scale.failures('PLAY RECAP ***\n') == []


def _route(*gateways):
    return json.dumps([{'dst': '10.99.100.10', 'nexthops': [{'gateway': gw, 'dev': 'eth1'} for gw in gateways]}])


def test_a_failed_rerun_keeps_its_failures_the_routes_later_and_evidence(tmp_path, monkeypatch):
    """measure(): a rerun that failed (the real log above) and a router short of a nexthop: the run keeps which host
    failed where, reads the routes again LATER_S later, writes the routers' and the failed host's state to
    LABEL-evidence.txt before the lab goes down; the table and the page say the rerun failed, the nexthops then and
    later, and list the failure."""
    with open(os.path.join(ROOT, 'tests', 'fixtures', 'bench', 'site-rerun-failed.log'), encoding='utf-8') as fd:
        failed_log = fd.read()

    class View:  # pylint: disable=too-few-public-methods
        groups = {'routers': ['router1', 'router2'], 'directors': ['director1', 'director2'], 'realservers': ['rs1'],
                  'clients': ['client1']}

        @staticmethod
        def address(host):
            return '10.99.0.1%s' % host[-1]

    class FakeLab:
        view = View()

        def __init__(self):
            self.calls, self.reads = [], {'router1': [_route('10.99.0.11'), _route('10.99.0.11', '10.99.0.12')]}

        def tool(self, *args, **kwargs):
            self.calls.append(args)
            if args[0] == 'playbook':  # the converge passes, the rerun fails
                rerun = len([c for c in self.calls if c[0] == 'playbook']) == 2
                with open(kwargs['logfile'], 'w', encoding='utf-8') as fd:
                    fd.write(failed_log if rerun else
                             'PLAY RECAP ***\ndirector1 : ok=5 changed=3 unreachable=0 failed=0 skipped=0\n')
                return subprocess.CompletedProcess(args, 2 if rerun else 0)
            return subprocess.CompletedProcess(args, 0)

        def ssh(self, host, command, **kwargs):  # pylint: disable=unused-argument
            self.calls.append((host, command))
            if command.startswith('ip -j route'):
                return self.reads[host].pop(0) if host in self.reads else _route('10.99.0.11', '10.99.0.12')
            if host == 'client1':
                return '20\n'
            if host == 'director6':
                raise scale.failover.BenchError('ssh director6: connection refused')
            return 'state of %s\n' % host

    lab = FakeLab()
    monkeypatch.setattr(scale, 'new_lab', lambda args, size, outdir, label: (
        lab, {'lvs_services': [{'vip': '10.99.100.10'}]}))
    monkeypatch.setattr(scale, 'LATER_S', 0)
    args = argparse.Namespace(requests=20, keep=False)
    row = scale.measure(args, (2, 2, 1), str(tmp_path))
    assert row['rerun']['rc'] == 2 and row['rerun']['failures'][0]['host'] == 'director6', row
    assert 'failures' not in row['converge'] and row['converge']['changed'] == 3
    assert row['nexthops'] == {'router1': ['10.99.0.11'], 'router2': ['10.99.0.11', '10.99.0.12']}
    assert row['nexthops_later']['router1'] == ['10.99.0.11', '10.99.0.12'] and not row['one_nexthop_per_director']
    assert row['evidence'] == '2x2x1-evidence.txt' and lab.calls[-1] == ('down',)
    text = (tmp_path / '2x2x1-evidence.txt').read_text()
    assert '### router1: vtysh -c "show ip ospf neighbor"' in text and 'state of router2' in text
    assert '### director6: uptime' in text and 'not reached: ssh director6: connection refused' in text
    row['converge']['seconds'], row['rerun']['seconds'] = 300.0, 200.0
    run = {'timestamp': '20261206-001500', 'sizes': [row]}
    assert '| 2x2x1 | 6 |' in scale.table([run]) and '**failed in 1 of 1 runs** | 0 | router1 1 (2 after 0 s), ' \
        'router2 2 | 20/20 |' in scale.table([run]), scale.table([run])
    assert scale.failure_notes([run]) == [
        '- 2x2x1, run 20261206-001500, rerun: director6 failed in "ecmp.lvs.realserver : Enable and start the VIP '
        'unit": Could not find the requested service ecmp-lvs-vips.service: host']
    monkeypatch.setattr(scale, 'JSON_PATH', str(tmp_path / 'scale.json'))
    page = scale.markdown({'sizes': [dict(run, host='vm', cpus=2, loadavg_start=[1, 1, 1])]})
    assert 'The site.yml runs that failed (the play stopped there):\n\n- 2x2x1, run 20261206-001500' in page, page


def test_a_run_with_a_failed_rerun_exits_non_zero(tmp_path, monkeypatch):
    """scale.py exits 1 when a size's converge or rerun failed, even with 0 changed and every nexthop there."""
    row = {'size': '1x2x2', 'hosts': 6, 'up_s': 9.0, 'converge': {'seconds': 200.0, 'changed': 80, 'rc': 0},
           'rerun': {'seconds': 100.0, 'changed': 0, 'rc': 0}, 'nexthops': {'router1': ['a', 'b']},
           'one_nexthop_per_director': True, 'requests': {'sent': 20, 'answered': 20}}
    monkeypatch.setattr(scale, 'measure', lambda args, size, outdir: json.loads(json.dumps(row)))
    monkeypatch.setattr(sys, 'argv', ['scale.py', '--sizes', '1x2x2', '--out', str(tmp_path)])
    assert scale.main() == 0
    row['rerun']['rc'] = 2
    assert scale.main() == 1
