# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Negative suite: every bad inventory under tests/negative/<case>/ must stop the site playbook in its
first play, with the expected message (field path + value), before any managed host is touched.

Each case directory holds one inventory (hosts.yml) whose ``# Expected:`` comment lines are the message
fragments that must be reported. ``valid`` is the positive control. A test-only callback
(callback_plugins/negative_record.py) records every play started and every host a task started on.

The runs are started in parallel once per session (only those of the selected tests), each test then
checks its own run.

    .venv/bin/python -m pytest -q tests/negative
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SITE = os.path.join(ROOT, 'playbooks', 'site.yml')
WRAPPER = os.path.join(HERE, 'site_first_play.yml')
VALIDATE_ONLY = os.path.join(HERE, 'validate.yml')
DRAIN = os.path.join(ROOT, 'playbooks', 'drain.yml')
STATUS = os.path.join(ROOT, 'playbooks', 'status.yml')
# the JSON report of the status run of valid_clusters
STATUS_JSON = os.path.join(tempfile.gettempdir(), 'ecmp-negative-status-%d.json' % os.getpid())
PLAYBOOK_BIN = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
WORKERS = int(os.environ.get('ECMP_NEGATIVE_WORKERS', '4'))
TIMEOUT = 300

CASES = sorted(name for name in os.listdir(HERE)
               if os.path.isfile(os.path.join(HERE, name, 'hosts.yml')) and not name.startswith('valid'))
# a few cases run again in check mode: the validation must not depend on it
CHECK_MODE_CASES = ['vip_is_host_lvs_address', 'many_errors']


def _comment_values(case, prefix):
    with open(os.path.join(HERE, case, 'hosts.yml')) as handle:
        return [line[len(prefix):].rstrip('\n') for line in handle if line.startswith(prefix)]


def expected_fragments(case):
    return _comment_values(case, '# Expected: ')


def never_printed(case):
    """Secrets of the case (``# Never printed:`` lines): they must appear nowhere in the output."""
    return _comment_values(case, '# Never printed: ')


def is_validation_play(play):
    """The first play site.yml must have: the lookup guard in hosts (localhost and every role group), no facts,
    any_errors_fatal, ecmp.lvs.validate_inventory once on the controller, tagged always."""
    if not isinstance(play, dict) or play.get('gather_facts') is not False or play.get('any_errors_fatal') is not True:
        return False
    hosts = play.get('hosts')
    if not isinstance(hosts, str) or "lookup('ecmp.lvs.validate_inventory', 'localhost:" not in hosts:
        return False
    return any(isinstance(task, dict) and 'ecmp.lvs.validate_inventory' in task and task.get('run_once') is True
               and task.get('delegate_to') == 'localhost' and 'always' in (task.get('tags') or [])
               for task in play.get('tasks') or [])


def site_playbook():
    """playbooks/site.yml once it opens with the validation play, else the stand-in wrapper."""
    with open(SITE) as handle:
        plays = yaml.safe_load(handle)
    return SITE if plays and is_validation_play(plays[0]) else WRAPPER


# Ways to start a run that used to skip the validation play (it ran on localhost only, untagged): the bad
# inventory many_errors must still stop before any host is contacted.
START_AT = ['--start-at-task', 'Render keepalived.conf (health checker only)']
BYPASSES = {
    'limit-director': ('site.yml', ['-l', 'director1']),
    'limit-routers': ('site.yml', ['-l', 'routers']),
    'tags': ('site.yml', ['--tags', 'some-tag']),
    'start-at-task': ('site.yml', START_AT),
    'start-at-task-limit': ('site.yml', START_AT + ['-l', 'director1']),
    'skip-tags-always': ('site.yml', ['--skip-tags', 'always', '-l', 'director1']),
    'drain-limit': ('drain', ['-l', 'director1']),
    'drain-tags': ('drain', ['-l', 'director1', '--tags', 'some-tag']),
    'drain-start-at-task': ('drain', ['-l', 'director1', '--start-at-task', 'Set the drain flag*']),
}
# The same ways with a valid inventory reach the (unreachable) hosts: the detector works for each.
REACHING = ['limit-director', 'start-at-task', 'drain-limit']

# run key -> (inventory case, playbook, extra arguments)
RUNS = dict([(case, (case, 'site', [])) for case in CASES]
            + [(case + '+check', (case, 'site', ['--check'])) for case in CHECK_MODE_CASES]
            + [('valid+validate', ('valid', 'validate', [])), ('valid+site', ('valid', 'site', []))]
            + [('valid_clusters+validate', ('valid_clusters', 'validate', [])),
               ('valid_clusters+site', ('valid_clusters', 'site', [])),
               ('valid_clusters+status', ('valid_clusters', 'status', ['-e', 'lvs_status_json=' + STATUS_JSON]))]
            + [('many_errors@' + way, ('many_errors',) + BYPASSES[way]) for way in BYPASSES]
            + [('valid@' + way, ('valid',) + BYPASSES[way]) for way in REACHING]
            + [('valid@drain-bad-vars', ('valid', 'drain', [
                '-l', 'director1', '-e', 'lvs_drain_timeout=soon', '-e', 'lvs_drain_force=maybe']))])


def run_playbook(key, workdir):
    case, playbook, extra = RUNS[key]
    record = os.path.join(workdir, key + '.json')
    env = dict(os.environ)
    env.update({
        'ANSIBLE_CONFIG': os.path.join(ROOT, 'ansible.cfg'),
        'ANSIBLE_CALLBACK_PLUGINS': os.path.join(HERE, 'callback_plugins'),
        'ANSIBLE_CALLBACKS_ENABLED': 'negative_record',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_RETRY_FILES_ENABLED': '0',
        'ANSIBLE_LOCAL_TEMP': os.path.join(workdir, 'tmp-' + key),
        'ECMP_NEGATIVE_RECORD': record,
    })
    # site.yml itself (never the stand-in) for the runs that try to get past its validation
    path = {'site': site_playbook(), 'site.yml': SITE, 'drain': DRAIN, 'status': STATUS}.get(playbook, VALIDATE_ONLY)
    argv = [PLAYBOOK_BIN, '-i', os.path.join(HERE, case) + os.sep, path] + extra
    proc = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=TIMEOUT, check=False)
    data = None
    if os.path.exists(record):
        with open(record) as handle:
            data = json.load(handle)
    return {'argv': argv, 'rc': proc.returncode, 'output': proc.stdout, 'record': data}


@pytest.fixture(scope='session')
def runs(request):
    """Run the playbooks of every selected test in parallel, once."""
    wanted = []
    for item in request.session.items:
        key = getattr(item, 'callspec', None) and item.callspec.params.get('run_key')
        if key in RUNS and key not in wanted:
            wanted.append(key)
    workdir = tempfile.mkdtemp(prefix='ecmp-negative-')
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = dict((key, pool.submit(run_playbook, key, workdir)) for key in wanted)
        return dict((key, future.result()) for key, future in futures.items())


def recap_hosts(output):
    """Host names of the PLAY RECAP of the default stdout callback."""
    recap = output.split('PLAY RECAP', 1)
    if len(recap) < 2:
        return set()
    return set(re.findall(r'^(\S+)\s+:\s+ok=', recap[1], re.MULTILINE))


def touched_hosts(record):
    hosts = set(entry['host'] for entry in record['started'])
    hosts.update(entry['host'] for entry in record['results'])
    hosts.update(record['stats'])
    return hosts


# Actions that run on the controller only, whatever host they are for: a role's argument validation (the entry
# point drain of ecmp.lvs.director, imported by playbooks/drain.yml) contacts no host.
CONTROLLER_ACTIONS = ('validate_argument_spec', 'ansible.builtin.validate_argument_spec')


def contacted_hosts(record):
    """Hosts a task started on or returned for, except localhost, tasks delegated to localhost and controller-only
    actions."""
    entries = list(record['started']) + list(record['results'])
    return set(e['host'] for e in entries if 'localhost' not in (e['host'], e.get('delegate_to'))
               and e.get('action') not in CONTROLLER_ACTIONS)


def describe(result):
    return 'command: %s\nrc: %s\n--- output ---\n%s' % (' '.join(result['argv']), result['rc'], result['output'])


def validation_result(record):
    results = [entry for entry in record['results'] if entry['host'] == 'localhost' and entry['errors']]
    assert len(results) == 1, record
    return results[0]


def assert_stopped_before_any_host(result, fragments):
    record = result['record']
    assert record is not None, 'no record written (did ansible-playbook start?)\n' + describe(result)
    assert result['rc'] == 2, 'expected a failed task (rc 2)\n' + describe(result)
    # stopped in the first play, before any managed host: only localhost ever ran a task
    assert len(record['plays']) == 1, describe(result)
    assert touched_hosts(record) == set(['localhost']), describe(result)
    assert recap_hosts(result['output']) == set(['localhost']), describe(result)
    assert record['stats']['localhost']['changed'] == 0
    assert record['stats']['localhost']['failures'] == 1
    failed = validation_result(record)
    assert failed['status'] == 'failed'
    assert failed['changed'] is False
    assert fragments, 'the case has no "# Expected:" line'
    for fragment in fragments:
        assert any(fragment in error for error in failed['errors']), \
            'expected %r among the errors:\n%s' % (fragment, '\n'.join(failed['errors']))
        # and the operator sees it on the console (one error per line of msg)
        assert fragment in result['output'], describe(result)
    assert 'nothing was changed on any host' in failed['msg']
    return failed


def test_there_are_enough_cases():
    assert len(CASES) >= 20
    for case in CASES:
        assert expected_fragments(case), case


@pytest.mark.parametrize('run_key', CASES)
def test_bad_inventory_stops_before_any_host(runs, run_key):
    result = runs[run_key]
    failed = assert_stopped_before_any_host(result, expected_fragments(run_key))
    for secret in never_printed(run_key):
        assert secret not in result['output'] and secret not in json.dumps(result['record']), run_key
    if run_key in ('many_errors', 'service_every_error'):
        # every problem is listed, not only the first
        assert len(failed['errors']) == len(expected_fragments(run_key)), failed['errors']


@pytest.mark.parametrize('run_key', [case + '+check' for case in CHECK_MODE_CASES])
def test_bad_inventory_stops_in_check_mode(runs, run_key):
    case = RUNS[run_key][0]
    assert '--check' in runs[run_key]['argv']
    assert_stopped_before_any_host(runs[run_key], expected_fragments(case))


@pytest.mark.parametrize('run_key', ['valid+validate'])
def test_valid_inventory_passes_validation(runs, run_key):
    result = runs[run_key]
    assert result['rc'] == 0, describe(result)
    ok = [entry for entry in result['record']['results'] if entry['host'] == 'localhost' and entry['status'] == 'ok']
    assert len(ok) == 1 and ok[0]['msg'].startswith('inventory valid: 1 service(s) on VIP(s) 10.99.100.10'), ok


@pytest.mark.parametrize('run_key', ['valid_clusters+validate'])
def test_two_clusters_with_their_own_group_names_pass_validation(runs, run_key):
    """valid_clusters: two load-balancer clusters, no group called routers/directors/realservers - each cluster
    validated on its own, the report counts the hosts and services of both."""
    result = runs[run_key]
    assert result['rc'] == 0, describe(result)
    ok = [entry for entry in result['record']['results'] if entry['host'] == 'localhost' and entry['status'] == 'ok']
    assert len(ok) == 1 and ok[0]['msg'] == (
        'inventory valid: 2 service(s) on VIP(s) 10.99.100.10, 10.99.101.53; 2 router(s), 3 director(s), '
        '3 real server host(s)'), ok


@pytest.mark.parametrize('run_key', ['valid_clusters+site'])
def test_two_clusters_site_yml_reaches_every_host_of_both(runs, run_key):
    """site.yml on valid_clusters: its plays find the hosts through the clusters' own groups (lookup
    ecmp.lvs.role_hosts), so every host of both clusters is reached (unreachable by construction)."""
    result = runs[run_key]
    record = result['record']
    assert record is not None, describe(result)
    every = set(['a_router1', 'a_director1', 'a_director2', 'a_rs1', 'a_rs2', 'b_router1', 'b_director1', 'b_rs1'])
    assert touched_hosts(record) - set(['localhost']) == every, describe(result)


@pytest.mark.parametrize('run_key', ['valid_clusters+status'])
def test_two_clusters_status_reports_each_cluster_apart(runs, run_key):
    """status.yml on valid_clusters (every host unreachable): one report per cluster, each with its own VIPs,
    directors and routers only (nothing of one cluster in the other's), the worst verdict and exit status 2."""
    result = runs[run_key]
    assert result['rc'] == 2, describe(result)
    with open(STATUS_JSON) as handle:
        report = json.load(handle)
    os.unlink(STATUS_JSON)
    assert report['verdict'] == 'down' and sorted(report['clusters']) == ['a_lb', 'b_lb'], report['summary']
    a, b = report['clusters']['a_lb'], report['clusters']['b_lb']
    assert (sorted(a['vips']), sorted(a['directors']), sorted(a['routers'])) == (
        ['10.99.100.10'], ['a_director1', 'a_director2'], ['a_router1'])
    assert (sorted(b['vips']), sorted(b['directors']), sorted(b['routers'])) == (
        ['10.99.101.53'], ['b_director1'], ['b_router1'])
    assert '=== cluster a_lb' in result['output'] and '=== cluster b_lb' in result['output']


@pytest.mark.parametrize('run_key', ['valid+site'])
def test_valid_inventory_reaches_the_hosts(runs, run_key):
    """The detector works: past a passing validation the site playbook starts tasks on managed hosts
    (they are unreachable by construction, so nothing happens to any machine)."""
    result = runs[run_key]
    record = result['record']
    assert record is not None, describe(result)
    assert touched_hosts(record) - set(['localhost']), describe(result)
    assert len(record['plays']) > 1, describe(result)
    assert set(entry['status'] for entry in record['results'] if entry['host'] != 'localhost') == \
        set(['unreachable']), describe(result)


def test_site_yml_opens_with_the_validation_play():
    """playbooks/site.yml must stop a bad inventory itself (the suite uses a stand-in until then)."""
    with open(SITE) as handle:
        plays = yaml.safe_load(handle)
    with open(VALIDATE_ONLY) as handle:
        wanted = yaml.safe_load(handle)[0]
    assert is_validation_play(plays[0]), (
        'the first play of playbooks/site.yml must be (see tests/negative/validate.yml):\n%s'
        % yaml.safe_dump([wanted], sort_keys=False))


@pytest.mark.parametrize('run_key', ['many_errors@' + way for way in sorted(BYPASSES)])
def test_no_limit_tag_or_start_task_skips_the_validation(runs, run_key):
    """-l, --tags, --start-at-task, --skip-tags: the bad inventory still stops the run before any host is
    contacted (by the validation task, once on the controller, or by the lookup guard in the play's hosts)."""
    result = runs[run_key]
    assert result['rc'] not in (0, None), describe(result)
    for fragment in expected_fragments('many_errors'):
        assert fragment in result['output'], describe(result)
    assert 'nothing was changed on any host' in result['output'], describe(result)
    assert 'UNREACHABLE' not in result['output'], describe(result)
    record = result['record']
    if record is None:
        # the lookup guard failed while the first play's hosts were templated: no play started at all
        # ansible-core 2.19: "lookup plugin '...' failed"; before: "... while running the lookup plugin '...'"
        assert re.search(r"lookup plugin 'ecmp\.lvs\.validate_inventory' failed|"
                         r"while running the lookup plugin 'ecmp\.lvs\.validate_inventory'",
                         result['output']), describe(result)
        assert 'PLAY [' not in result['output'], describe(result)
        return
    assert contacted_hosts(record) == set(), describe(result)
    assert len(record['plays']) == 1, describe(result)
    failed = [e for e in record['results'] if e['status'] == 'failed' and e['errors']]
    assert len(failed) == 1 and 'localhost' in (failed[0]['host'], failed[0]['delegate_to']), record
    assert len(failed[0]['errors']) == len(expected_fragments('many_errors')), failed[0]['errors']


@pytest.mark.parametrize('run_key', ['valid@' + way for way in REACHING])
def test_valid_inventory_reaches_the_hosts_with_limit_or_start_task(runs, run_key):
    """The detector of the test above works for these ways too: past the validation a host is contacted."""
    result = runs[run_key]
    record = result['record']
    assert record is not None, describe(result)
    assert contacted_hosts(record), describe(result)
    assert set(e['status'] for e in record['results'] if e['host'] in contacted_hosts(record)
               and e.get('delegate_to') != 'localhost' and e.get('action') not in CONTROLLER_ACTIONS) == set(
                   ['unreachable']), describe(result)


@pytest.mark.parametrize('run_key', ['valid@drain-bad-vars'])
def test_drain_variables_are_validated(runs, run_key):
    result = runs[run_key]
    assert result['rc'] == 2, describe(result)
    assert "lvs_drain_timeout: 'soon' is not an integer" in result['output'], describe(result)
    assert "lvs_drain_force: 'maybe' is not a boolean" in result['output'], describe(result)
    assert contacted_hosts(result['record']) == set(), describe(result)
