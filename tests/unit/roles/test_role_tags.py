# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role tags (issue 14): a team can run parts of the roles - ``--tags install``, ``config``, ``verify`` or one role's
own tag (``ecmp_lvs_router``, ``ecmp_lvs_director``, ``ecmp_lvs_realserver``, ``ecmp_lvs_frr``); the guards and the
published facts are tagged ``always``. The vocabulary is documented in the "Tags" section of each role's README.

Two halves, no lab:

* the tasks files themselves, walked the way Ansible propagates tags (``import_*`` pass their tags on,
  ``include_*`` only their ``apply`` tags): every task carries a tag of the vocabulary and its role's tag, an
  import adds no vocabulary tag to what it imports, an include is selected by every tag its tasks carry and passes
  its role tags on (``apply``), the modules fit the tags (packages are ``install``, units and sysctls never);
* ``ansible-playbook --list-tasks --list-tags`` of ``playbooks/site.yml`` with ``inventories/lab``: what
  ``--tags install`` / ``config`` / ``verify``, ``--skip-tags verify`` and a role tag list is what the READMEs say,
  and exactly what the walk of the tasks files predicts.
"""
import os
import re
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
PLAYBOOK_BIN = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
ROLES = ('router', 'director', 'realserver', 'frr')
PUBLIC_ROLES = ('router', 'director', 'realserver')
VOCABULARY = frozenset(('install', 'config', 'verify', 'always'))
ROLE_TAG = {role: 'ecmp_lvs_' + role for role in ROLES}
KNOWN_TAGS = VOCABULARY | frozenset(ROLE_TAG.values())

IMPORTS = ('import_tasks', 'import_role')
INCLUDES = ('include_tasks', 'include_role')
# modules by what they do: a task of them must (or must not) carry these tags
PACKAGE_MODULES = {'apt'}
HOST_STATE_MODULES = {'systemd_service', 'sysctl_state', 'user', 'ipvs', 'ospf_md5_keys'}
READ_ONLY_MODULES = {'routing_state', 'route_info', 'ipvs_info', 'fail', 'assert', 'debug', 'set_fact', 'stat',
                     'preflight', 'async_status'}
# program files may be installed under install; a configuration file or a unit never
CONFIG_DEST = re.compile(r'/etc/|conf|\.json|\.service|\.timer|tmpfiles')


def _short(action):
    return action.rsplit('.', 1)[-1]


def _tags(value):
    if value is None:
        return set()
    if isinstance(value, str):
        return {t.strip() for t in value.split(',') if t.strip()}
    return set(value)


def _load(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle) or []


def _action(task):
    """The module (or import/include keyword) of a task - its one key with a dot (the roles use FQCNs) - and its
    arguments."""
    for key, value in task.items():
        if '.' in key:
            return _short(key), value
    raise AssertionError('no module in %r' % task)


def _target(role, path, kind, args):
    """The file an import/include of ``path`` (in role ``role``) brings in, and the role that file belongs to."""
    if kind in ('import_tasks', 'include_tasks'):
        name = args if isinstance(args, str) else args['file']
        return role, os.path.normpath(os.path.join(os.path.dirname(path), name))
    target_role = args['name'].split('.')[-1]
    name = args.get('tasks_from', 'main')
    if not name.endswith('.yml'):
        name += '.yml'
    return target_role, os.path.join(ROOT, 'roles', target_role, 'tasks', name)


class Task:
    """One task as Ansible sees it after the walk: where it is, what it runs, its effective tags; ``listed`` False
    when --list-tasks does not show it (brought in by an include, or in a block's rescue/always)."""

    def __init__(self, role, path, data, tags, kind, listed=True, scope=()):
        self.role, self.path, self.data, self.tags, self.kind = role, path, data, frozenset(tags), kind
        self.listed = listed
        # the vars of the imports and blocks around the task (Ansible templates them for the task)
        self.scope = tuple(scope)
        self.name = data.get('name', '')
        self.module, self.args = _action(data)

    def where(self):
        return '%s: %s' % (os.path.relpath(self.path, ROOT), self.name)


def walk(role, path, inherited=frozenset(), follow=True, listed=True, scope=()):
    """Every task of a tasks file, with the tags Ansible gives it (blocks, import_*, include_* ... apply).

    Yields the runtime tasks (modules, meta, include_*) and the imports (kind 'import'); ``follow`` False stays in
    the file."""
    yield from _walk_list(role, path, _load(path), frozenset(inherited), follow, listed, tuple(scope))


def _walk_list(role, path, tasks, inherited, follow, listed, scope):
    for data in tasks:
        tags = inherited | _tags(data.get('tags'))
        inner = scope + ((data['vars'],) if data.get('vars') else ())
        if 'block' in data:
            for part in ('block', 'rescue', 'always'):
                yield from _walk_list(role, path, data.get(part) or [], tags, follow, listed and part == 'block',
                                      inner)
            continue
        module, args = _action(data)
        if module in IMPORTS:
            yield Task(role, path, data, tags, 'import', listed, scope)
            if follow:
                target_role, target = _target(role, path, module, args)
                yield from walk(target_role, target, tags, follow, listed, inner)
        elif module in INCLUDES:
            yield Task(role, path, data, tags, 'include', listed, scope)
            if follow:
                apply = _tags(((args if isinstance(args, dict) else {}).get('apply') or {}).get('tags'))
                target_role, target = _target(role, path, module, args)
                yield from walk(target_role, target, apply, follow, False, inner)
        else:
            yield Task(role, path, data, tags, 'task', listed, scope)


def _task_files(role):
    base = os.path.join(ROOT, 'roles', role, 'tasks')
    return sorted(os.path.join(base, name) for name in os.listdir(base) if name.endswith('.yml'))


ALL_FILES = [(role, path) for role in ROLES for path in _task_files(role)]
FILE_IDS = [os.path.relpath(path, ROOT) for _role, path in ALL_FILES]


def _main(role):
    return list(walk(role, os.path.join(ROOT, 'roles', role, 'tasks', 'main.yml')))


# --- the tasks files ---------------------------------------------------------------------------------------------

def check_file(role, path):
    """Problems of one tasks file on its own (its blocks count, nothing it imports)."""
    problems = []
    for task in walk(role, path, follow=False):
        unknown = task.tags - KNOWN_TAGS
        if unknown:
            problems.append('%s: unknown tags %s (vocabulary: %s)'
                            % (task.where(), sorted(unknown), sorted(KNOWN_TAGS)))
        if ROLE_TAG[role] not in task.tags:
            problems.append('%s: no role tag %s' % (task.where(), ROLE_TAG[role]))
        if task.kind == 'import':
            if task.tags & VOCABULARY:
                problems.append('%s: an import passes %s to every task it imports: tag the imported tasks'
                                % (task.where(), sorted(task.tags & VOCABULARY)))
        elif not task.tags & VOCABULARY:
            problems.append('%s: no tag of %s' % (task.where(), sorted(VOCABULARY)))
        if task.kind != 'task':
            continue
        if task.module in PACKAGE_MODULES and task.tags & VOCABULARY != {'install'}:
            problems.append('%s: installs packages: tags install only, not %s' % (task.where(), sorted(task.tags)))
        if task.module in HOST_STATE_MODULES and 'config' not in task.tags and 'install' not in task.tags:
            problems.append('%s: changes the host (%s) but is not config' % (task.where(), task.module))
        if task.module in HOST_STATE_MODULES and 'install' in task.tags:
            problems.append('%s: %s is configuration, not install' % (task.where(), task.module))
        if task.module in ('template', 'copy') and 'install' in task.tags:
            loop = [item for item in task.data.get('loop') or [] if isinstance(item, dict)]
            dest = str(task.args.get('dest', '')) + ''.join(str(item.get('dest', '')) for item in loop)
            if CONFIG_DEST.search(dest):
                problems.append('%s: a configuration file or unit (%s) tagged install' % (task.where(), dest))
        read_only = task.module in READ_ONLY_MODULES or (
            task.module == 'command' and task.data.get('changed_when') is False)
        if task.tags & VOCABULARY <= {'verify', 'always'} and not read_only:
            problems.append('%s: verify/always tasks only read (%s changes the host): tag it config'
                            % (task.where(), task.module))
    return problems


@pytest.mark.parametrize('role,path', ALL_FILES, ids=FILE_IDS)
def test_every_task_carries_a_vocabulary_tag_and_its_role_tag(role, path):
    problems = check_file(role, path)
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('role', ROLES)
def test_the_role_tags_reach_every_task_through_imports_and_includes(role):
    """From tasks/main.yml: the caller's role tag reaches the tasks it imports from other files and roles, and
    every include passes it on with apply (an include passes no tag by itself)."""
    problems = []
    for task in _main(role):
        if task.kind == 'import':
            continue
        if not task.tags & VOCABULARY:
            problems.append('%s: no tag of %s' % (task.where(), sorted(VOCABULARY)))
        if ROLE_TAG[role] not in task.tags and role != 'frr':
            problems.append('%s: reached from roles/%s/tasks/main.yml without %s'
                            % (task.where(), role, ROLE_TAG[role]))
    assert not problems, '\n'.join(problems)


def _includes():
    for role in PUBLIC_ROLES:
        for task in _main(role):
            if task.kind == 'include':
                yield role, task


@pytest.mark.parametrize('role,include', list(_includes()), ids=lambda v: v if isinstance(v, str) else v.name)
def test_an_include_is_selected_by_the_tags_of_its_tasks(role, include):
    args = include.args if isinstance(include.args, dict) else {}
    apply = _tags((args.get('apply') or {}).get('tags'))
    target_role, target = _target(include.role, include.path, include.module, include.args)
    inner = set()
    for task in walk(target_role, target, apply):
        if task.kind == 'import':
            continue
        inner |= task.tags & VOCABULARY
        missing_role = (include.tags - VOCABULARY) - task.tags
        assert not missing_role, (
            '%s: the included task %r lacks %s (add them to apply.tags): --tags %s would run the include but '
            'not this task' % (include.where(), task.name, sorted(missing_role), ','.join(sorted(missing_role))))
    missing = inner - include.tags - {'always'}
    assert not missing, ('%s: its tasks carry %s but the include does not: --tags %s would skip them'
                         % (include.where(), sorted(missing), ','.join(sorted(missing))))


def test_handlers_carry_no_tags():
    """Handlers run when notified whatever --tags say (Ansible filters the play's tasks, not its handlers); a tag
    on a handler would only suggest otherwise."""
    tagged = []
    for role in ROLES:
        base = os.path.join(ROOT, 'roles', role, 'handlers')
        for name in sorted(os.listdir(base)):
            for handler in _load(os.path.join(base, name)):
                if handler.get('tags'):
                    tagged.append('roles/%s/handlers/%s: %s' % (role, name, handler.get('name')))
    assert not tagged, tagged


def test_the_checks_find_what_they_look_for(tmp_path):
    """The checks above fail on a task without a vocabulary tag, a config file tagged install, an import that
    passes a vocabulary tag on, an include without apply, a typo."""
    bad = tmp_path / 'roles' / 'director' / 'tasks'
    bad.mkdir(parents=True)
    (bad / 'other.yml').write_text(yaml.safe_dump([
        {'name': 'inner', 'tags': ['config', 'ecmp_lvs_director'], 'ansible.builtin.debug': {'msg': 'x'}}]))
    (bad / 'main.yml').write_text(yaml.safe_dump([
        {'name': 'untagged', 'ansible.builtin.debug': {'msg': 'x'}},
        {'name': 'config file', 'tags': ['install', 'ecmp_lvs_director'],
         'ansible.builtin.template': {'src': 'a.j2', 'dest': '/etc/keepalived/keepalived.conf'}},
        {'name': 'import', 'tags': ['config', 'ecmp_lvs_director'], 'ansible.builtin.import_tasks': 'other.yml'},
        {'name': 'typo', 'tags': ['confg', 'ecmp_lvs_director'], 'ansible.builtin.debug': {'msg': 'x'}},
        {'name': 'packages', 'tags': ['config', 'ecmp_lvs_director'], 'ansible.builtin.apt': {'name': 'x'}},
        {'name': 'unit', 'tags': ['verify', 'ecmp_lvs_director'],
         'ansible.builtin.systemd_service': {'name': 'x', 'state': 'started'}},
    ]))
    problems = '\n'.join(check_file('director', str(bad / 'main.yml')))
    for fragment in ('untagged: no role tag', 'untagged: no tag of', 'config file: a configuration file',
                     'import: an import passes', "typo: unknown tags ['confg']", 'packages: installs packages',
                     'unit: verify/always tasks only read'):
        assert fragment in problems, problems
    include = Task('director', str(bad / 'main.yml'),
                   {'name': 'include', 'ansible.builtin.include_tasks': 'other.yml'},
                   ['config', 'ecmp_lvs_director', 'ecmp_lvs_router'], 'include')
    with pytest.raises(AssertionError, match=r"lacks \['ecmp_lvs_router'\] \(add them to apply.tags\)"):
        test_an_include_is_selected_by_the_tags_of_its_tasks('director', include)


# --- ansible-playbook --list-tasks --------------------------------------------------------------------------------

SITE = os.path.join(ROOT, 'playbooks', 'site.yml')
LAB = os.path.join(ROOT, 'inventories', 'lab')
# the roles of site.yml's plays 3, 4, 5
SITE_ROLES = {3: 'realserver', 4: 'director', 5: 'router'}
LISTED = re.compile(r'^\s{6}(?:(?P<role>ecmp\.lvs\.[a-z]+) : )?(?P<name>.*?)\tTAGS: \[(?P<tags>[^\]]*)\]$')
PLAY = re.compile(r'^\s{2}play #(?P<number>\d+) ')
TASK_TAGS = re.compile(r'^\s{6}TASK TAGS: \[(?P<tags>[^\]]*)\]$')


def list_tasks(*options):
    """{play number: [(name, tags)]} and {play number: TASK TAGS} of ``--list-tasks --list-tags``."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_FORCE_COLOR='0')
    argv = [PLAYBOOK_BIN, '-i', LAB, SITE, '--list-tasks', '--list-tags'] + list(options)
    proc = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    plays, task_tags, play = {}, {}, None
    for line in proc.stdout.splitlines():
        found = PLAY.match(line)
        if found:
            play = int(found.group('number'))
            plays[play] = []
            continue
        found = TASK_TAGS.match(line)
        if found:
            task_tags[play] = _tags(found.group('tags'))
            continue
        found = LISTED.match(line)
        if found and not found.group('name').startswith('Validating arguments against arg spec'):
            plays[play].append((found.group('name'), _tags(found.group('tags'))))
    assert set(SITE_ROLES) <= set(plays), proc.stdout[-4000:]
    return plays, task_tags


def selected(tags, only=(), skip=()):
    """Ansible's rule (Taggable.evaluate_tags) for the tags of this collection."""
    tags = set(tags) or {'untagged'}
    run = not only or 'always' in tags or bool(tags & set(only))
    if run and skip:
        run = not tags & set(skip)
    return run


def predicted(role, only=(), skip=()):
    """The tasks --list-tasks shows for a role of site.yml: the walk of its tasks files (an include is listed,
    not what it includes), filtered with Ansible's rule."""
    return [(task.name, set(task.tags))
            for task in walk(role, os.path.join(ROOT, 'roles', role, 'tasks', 'main.yml'))
            if task.kind != 'import' and task.listed and selected(task.tags, only, skip)]


WAYS = {
    'all': (),
    'install': ('--tags', 'install'),
    'config': ('--tags', 'config'),
    'verify': ('--tags', 'verify'),
    'skip-verify': ('--skip-tags', 'verify'),
    'router': ('--tags', 'ecmp_lvs_router'),
    'frr': ('--tags', 'ecmp_lvs_frr'),
}


def _selection(way):
    options = WAYS[way]
    if not options:
        return (), ()
    return (options[1].split(','), ()) if options[0] == '--tags' else ((), options[1].split(','))


@pytest.fixture(scope='module', name='listings')
def fixture_listings():
    return {way: list_tasks(*options) for way, options in WAYS.items()}


@pytest.mark.parametrize('way', sorted(WAYS))
def test_list_tasks_is_what_the_walk_predicts(listings, way):
    """The walk of the tasks files (the checks above rely on it) agrees with Ansible task by task."""
    plays, _task_tags = listings[way]
    only, skip = _selection(way)
    for number, role in SITE_ROLES.items():
        assert plays[number] == predicted(role, only, skip), (way, role)
    # the validation play runs whatever the tags (tests/negative checks it stops a bad inventory)
    assert [name for name, _tags in plays[1]] == [
        'Validate the whole inventory (every error is listed, nothing is changed anywhere)']


def _names(plays):
    return {name for number in SITE_ROLES for name, _tags in plays[number]}


def _always(plays):
    return {name for number in SITE_ROLES for name, tags in plays[number] if 'always' in tags}


def test_install_lists_packages_and_programs_no_configuration(listings):
    plays, _task_tags = listings['install']
    names = _names(plays)
    assert 'Install the packages (FRR and those of the calling role)' in names
    assert 'Install the ecmp-lvs-announce program (package)' in names
    for number in SITE_ROLES:
        for name, tags in plays[number]:
            assert tags & {'install', 'always'}, (name, tags)
            assert not re.search(r'^(Render|Set |Enable|Configure|Load ip_vs|Wait|Rollout)', name), name
    assert not {'Render frr.conf', 'Render keepalived.conf (health checker only)', 'Enable the FRR daemons'} & names


def test_config_lists_no_package_and_no_wait(listings):
    plays, _task_tags = listings['config']
    names = _names(plays)
    assert {'Render frr.conf', 'Render keepalived.conf (health checker only)',
            'Set the ARP and reverse-path sysctls of a DR real server'} <= names
    assert 'Install the packages (FRR and those of the calling role)' not in names
    assert not [name for name in names if name.startswith(('Wait until', 'Rollout gate'))]


def test_verify_lists_the_waits_and_the_guards_only(listings):
    plays, _task_tags = listings['verify']
    names = _names(plays)
    assert {'Wait until every service is in the IPVS table',
            'Rollout gate - wait until every VIP is announced (skipped when the director is drained)',
            'Wait until every VIP has one kernel nexthop per announcing (not drained) director'} <= names
    for number in SITE_ROLES:
        for name, tags in plays[number]:
            assert tags & {'verify', 'always'}, (name, tags)
            assert not tags & {'install', 'config'}, (name, tags)


def test_skip_verify_lists_everything_but_the_waits(listings):
    plays, _task_tags = listings['skip-verify']
    everything = listings['all'][0]
    names = _names(plays)
    assert not [name for name in names if name.startswith(('Wait until', 'Rollout gate'))]
    assert {'Render frr.conf', 'Install the packages (FRR and those of the calling role)'} <= names
    for number in SITE_ROLES:
        assert [t for t in everything[number] if 'verify' not in t[1]] == plays[number]


def test_a_role_tag_runs_that_role_and_the_always_tasks_elsewhere(listings):
    plays, _task_tags = listings['router']
    everything = listings['all'][0]
    assert plays[5] == everything[5]
    for number in (3, 4):
        assert all('always' in tags for _name, tags in plays[number]), plays[number]


def test_the_frr_tag_runs_the_frr_layer_of_routers_and_directors(listings):
    plays, _task_tags = listings['frr']
    assert 'Render frr.conf' in {name for name, _tags in plays[4]}
    assert 'Render frr.conf' in {name for name, _tags in plays[5]}
    for number in SITE_ROLES:
        assert all(tags & {'always', 'ecmp_lvs_frr'} for _name, tags in plays[number]), plays[number]


@pytest.mark.parametrize('way', ['install', 'config', 'verify', 'skip-verify'])
def test_the_always_tasks_run_with_every_selection(listings, way):
    """The guards and the facts other tasks and hosts need (lvs_address, lvs_drained) run with any --tags."""
    plays, _task_tags = listings[way]
    everything = listings['all'][0]
    assert _always(everything) <= _always(plays)
    for number, role in SITE_ROLES.items():
        names = [name for name, _tags in plays[number]]
        assert [n for n in names if n.startswith('Publish lvs_address as a host fact')], (way, role)
        assert [n for n in names if n.startswith('Preflight - ')], (way, role)
    assert [n for n, _tags in plays[4] if n.startswith('Publish whether the director is drained')], way


def test_list_tags_shows_the_vocabulary_only(listings):
    _plays, task_tags = listings['all']
    for number, role in SITE_ROLES.items():
        assert task_tags[number] <= KNOWN_TAGS, task_tags[number]
        assert {'always', ROLE_TAG[role]} <= task_tags[number]
    assert task_tags[4] >= {'install', 'config', 'verify', 'ecmp_lvs_frr'}


# --- the documentation ------------------------------------------------------------------------------------------

def _readme_tags_section(role):
    with open(os.path.join(ROOT, 'roles', role, 'README.md'), encoding='utf-8') as handle:
        text = handle.read()
    found = re.search(r'^## Tags\n(.*?)(?=^## |\Z)', text, re.M | re.S)
    assert found, 'roles/%s/README.md has no "## Tags" section' % role
    return found.group(1)


@pytest.mark.parametrize('role', ROLES)
def test_the_readme_documents_the_tags_and_the_always_tasks(role):
    """Each role README has a Tags section naming every tag its tasks use and every task tagged always."""
    section = _readme_tags_section(role)
    used, always = set(), set()
    for path in _task_files(role):
        for task in walk(role, path, follow=False):
            used |= task.tags
            if 'always' in task.tags and task.kind == 'task':
                always.add(task.name.split('  #')[0].strip())
    missing = sorted(tag for tag in used if '`%s`' % tag not in section)
    assert not missing, 'roles/%s/README.md, Tags: not named %s' % (role, missing)
    undocumented = sorted(name for name in always if name not in section)
    assert not undocumented, 'roles/%s/README.md, Tags: always tasks not listed %s' % (role, undocumented)


def test_the_top_readme_shows_a_tagged_run():
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as handle:
        text = handle.read()
    part = text[text.index('## Use the roles from your own repository'):]
    part = part[:part.index('\n## ', 4)]
    assert re.search(r'ansible-playbook \S+ -i \S+ --tags install', part), 'no --tags example'


# --- registered results across tags -------------------------------------------------------------------------------

def _unguarded(name, text):
    """Whether ``text`` reads the registered ``name`` without a default / is defined guard."""
    for found in re.finditer(r'(?<![\w.])%s\b' % re.escape(name), text):
        rest = text[found.end():]
        if re.match(r'(?:\.[\w.]+)?\s*(?:\|\s*default\b|is\s+(?:not\s+)?defined\b)', rest):
            continue
        if re.match(r'\s*\)\s*(?:\.[\w.]+)?\s*\|\s*default\b', rest) or re.match(r'\s*\|\s*default\b', rest):
            continue
        return True
    return False


def registered_problems(tasks):
    """A task that reads a result registered by an earlier task must run only when that task ran: the producer is
    always, or both carry the same tags (--tags / --skip-tags select both or neither); else it guards the read."""
    problems, producers = [], {}
    for task in tasks:
        if task.kind == 'import':
            continue
        data = {key: value for key, value in task.data.items() if key not in ('register', 'name', 'tags')}
        text = yaml.safe_dump([data, list(task.scope)], width=10000)
        for name, producer in producers.items():
            if producer is task or 'always' in producer.tags or producer.tags == task.tags:
                continue
            if _unguarded(name, text):
                problems.append('%s reads %s of %r (tags %s) with tags %s: guard it with default'
                                % (task.where(), name, producer.name, sorted(producer.tags), sorted(task.tags)))
        if task.data.get('register'):
            producers[task.data['register']] = task
    return problems


@pytest.mark.parametrize('role', PUBLIC_ROLES)
def test_registered_results_are_read_only_when_their_task_ran(role):
    problems = registered_problems(_main(role))
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('entry', ['drain.yml', 'conn_sync.yml'])
def test_registered_results_of_the_director_entry_points(entry):
    problems = registered_problems(list(walk('director', os.path.join(ROOT, 'roles', 'director', 'tasks', entry))))
    assert not problems, '\n'.join(problems)


def test_the_registered_check_finds_what_it_looks_for():
    path = os.path.join(ROOT, 'roles', 'director', 'tasks', 'main.yml')
    producer = Task('director', path, {'name': 'p', 'register': 'reg_x', 'ansible.builtin.stat': {'path': '/x'}},
                    ['config', 'ecmp_lvs_director'], 'task')
    reader = Task('director', path, {'name': 'r', 'ansible.builtin.debug': {'msg': '{{ reg_x is changed }}'}},
                  ['config', 'ecmp_lvs_director', 'ecmp_lvs_frr'], 'task')
    guarded = Task('director', path, {'name': 'g', 'ansible.builtin.debug': {'msg': '{{ reg_x | default({}) }}'},
                                      'when': 'reg_x.stat is defined'},
                   ['verify', 'ecmp_lvs_director'], 'task')
    assert registered_problems([producer, reader, guarded]) == [
        "roles/director/tasks/main.yml: r reads reg_x of 'p' (tags ['config', 'ecmp_lvs_director']) with tags "
        "['config', 'ecmp_lvs_director', 'ecmp_lvs_frr']: guard it with default"]
