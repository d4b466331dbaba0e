# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab façade (lab/ecmplab_lib/facade.py): the one reader of a lab for the lab tool, the molecule tests'
conftest and benchmarks/failover.py. Groups (children at any depth) agree with ansible's own `groups`, the three
former readers now share it, the state directory, SSH and lab tool command lines are built in one place, and the
lab package is importable by name (no sys.path edits anywhere).
Run: .venv/bin/python -m pytest lab/tests"""

import ast
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from ecmplab_lib import demo, facade, inventory
from ecmplab_lib.util import LabError

from test_ecmplab import _data  # pylint: disable=import-error

ROOT = facade.ROOT
CONFTEST = os.path.join(ROOT, 'molecule', 'shared', 'tests', 'conftest.py')
BENCHMARK = os.path.join(ROOT, 'benchmarks', 'failover.py')

NESTED = """\
all:
  children:
    lb:
      children:
        directors:
          hosts:
            lb1: {ansible_host: 192.0.2.11, lvs_address: 10.20.0.11}
            lb2: {ansible_host: 192.0.2.12}
        edge:
          children:
            routers:
              hosts:
                tor1: {ansible_host: 192.0.2.1, lvs_address: 10.20.0.1}
            border:
              hosts:
                tor1:
                edge9: {ansible_host: 192.0.2.9}
    realservers:
      hosts:
        web1: {ansible_host: 192.0.2.21}
      children:
        canary:
          hosts:
            web2: {ansible_host: 192.0.2.22}
    loners:
      hosts:
        solo: {ansible_host: 192.0.2.50}
"""


def _ansible_groups(path):
    """{group: sorted hosts} as ansible itself has them (its `groups` variable)."""
    from ansible.inventory.manager import InventoryManager  # pylint: disable=import-outside-toplevel
    from ansible.parsing.dataloader import DataLoader  # pylint: disable=import-outside-toplevel
    manager = InventoryManager(loader=DataLoader(), sources=[path])
    return {group: sorted(hosts) for group, hosts in manager.get_groups_dict().items()}


@pytest.fixture(name='nested')
def _nested(tmp_path):
    path = tmp_path / 'hosts.yml'
    path.write_text(NESTED)
    return str(path)


@pytest.mark.parametrize('inv', ['inventories/lab', 'inventories/example', 'nested'])
def test_groups_are_ansibles_groups(inv, request):
    """Every group with its children at any depth, exactly as ansible's `groups` (all, ungrouped included)."""
    path = request.getfixturevalue('nested') if inv == 'nested' else os.path.join(ROOT, inv)
    view = facade.LabView('t', path)
    want = _ansible_groups(path)
    for group, hosts in want.items():
        assert view.groups.get(group, []) == hosts, group
    assert set(view.groups) <= set(want)


def test_nested_children_membership(nested):
    view = facade.LabView('t', nested)
    assert view.groups['lb'] == ['edge9', 'lb1', 'lb2', 'tor1']
    assert view.groups['edge'] == ['edge9', 'tor1']
    assert view.groups['realservers'] == ['web1', 'web2']
    assert view.groups['all'] == ['edge9', 'lb1', 'lb2', 'solo', 'tor1', 'web1', 'web2']
    assert view.address('lb1') == '10.20.0.11' and view.address('lb2') == '192.0.2.12'


def test_group_members_survives_a_cycle():
    data = {'a': {'hosts': ['h1'], 'children': ['b']}, 'b': {'hosts': ['h2'], 'children': ['a']},
            '_meta': {'hostvars': {}}}
    assert inventory.group_members(data) == {'a': ['h1', 'h2'], 'b': ['h1', 'h2']}


def test_the_lab_tool_and_the_view_agree():
    """The lab tool's model (inventory.Lab: hosts' groups, `status`, the demo) and the view (conftest, benchmark)
    read the same groups from the same data."""
    data = _data()
    data['all']['children'].append('lb')
    data['lb'] = {'children': ['directors', 'routers']}
    lab = inventory.Lab('t', 'inv', data)
    view = facade.LabView('t', 'inv', inventory_data=data)
    for group, hosts in view.groups.items():
        assert [h.name for h in lab.group(group)] == hosts, group
    assert view.groups['lb'] == ['director1', 'router1']


def test_inventories_lab_through_the_three_readers():
    """inventories/lab: the tool's model, the view, and the groups the molecule tests and the benchmark use."""
    path = os.path.join(ROOT, 'inventories', 'lab')
    lab = inventory.load(path, 't')
    view = facade.LabView('t', path)
    assert view.groups['directors'] == ['director1', 'director2']
    assert view.groups['routers'] == ['router1'] and view.groups['clients'] == ['client1']
    assert view.groups['realservers'] == ['rs1', 'rs2']
    for group in ('all', 'routers', 'directors', 'realservers', 'clients'):
        assert [h.name for h in lab.group(group)] == view.groups[group]
    assert view.address('director1') == '10.99.0.11' and view.address('client1') == '10.99.255.10'
    assert view.protocol in ('ospf', 'bgp') and [s['vip'] for s in view.services] == lab.vips


def _load_conftest():
    spec = importlib.util.spec_from_file_location('molecule_shared_conftest', CONFTEST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_molecule_conftest_uses_the_view(monkeypatch, tmp_path):
    monkeypatch.setenv('ECMPLAB_NAME', 'molecule-uml')
    monkeypatch.setenv('ECMPLAB_STATE_DIR', str(tmp_path / 'molecule-uml'))
    monkeypatch.delenv('ECMPLAB_INVENTORY', raising=False)
    conftest = _load_conftest()
    assert issubclass(conftest.Lab, facade.LabView)
    assert conftest.NAME == 'molecule-uml' and conftest.STATE_DIR == str(tmp_path / 'molecule-uml')
    assert conftest.INVENTORY == os.path.join(ROOT, 'inventories', 'lab') and conftest.ROOT == ROOT
    with pytest.raises(LabError, match='not up'):
        conftest.Lab()
    (tmp_path / 'molecule-uml').mkdir()
    (tmp_path / 'molecule-uml' / 'state.json').write_text(json.dumps({'backend': 'uml'}))
    lab = conftest.Lab()
    assert lab.backend == 'uml' and lab.groups['directors'] == ['director1', 'director2']
    assert lab.ssh_config == str(tmp_path / 'molecule-uml' / 'ssh_config')


def test_no_reader_of_its_own():
    """Only lab/ecmplab_lib/inventory.py runs ansible-inventory; nothing edits sys.path to find the lab package."""
    files = [os.path.join(ROOT, 'lab', 'ecmplab'), BENCHMARK, CONFTEST,
             os.path.join(ROOT, 'molecule', 'shared', 'tests', 'test_lab.py'),
             os.path.join(ROOT, 'tests', 'unit', 'test_host_key_checking.py')]
    for folder in ('lab/ecmplab_lib', 'lab/tests'):
        files += [os.path.join(ROOT, folder, f) for f in os.listdir(os.path.join(ROOT, folder)) if f.endswith('.py')]
    for path in files:
        with open(path, encoding='utf-8') as fd:
            text = fd.read()
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == 'path' and getattr(node.value, 'id', '') == 'sys':
                pytest.fail('%s edits or reads sys.path' % path)
        if not path.endswith(os.path.join('ecmplab_lib', 'inventory.py')) and path != __file__:
            assert "'ansible-inventory'" not in text, '%s reads the inventory itself' % path


def test_no_import_cycle():
    """cli imports demo; demo (and the façade) never import cli."""
    for module in (demo, facade):
        tree = ast.parse(open(module.__file__, encoding='utf-8').read())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names]
        names += [n.module or '' for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert 'cli' not in names and not any(n.endswith('.cli') for n in names), module.__file__
    res = subprocess.run([sys.executable, '-c', 'import sys, ecmplab_lib.demo; print("ecmplab_lib.cli" in sys.modules)'],
                         capture_output=True, text=True, check=True, cwd='/')
    assert res.stdout.strip() == 'False'


def test_settings(tmp_path):
    default = facade.Settings({})
    assert default.name == 'ecmplab' and default.state_dir == os.path.join(ROOT, '.lab', 'ecmplab')
    assert default.inventory == os.path.join(ROOT, 'inventories', 'lab')
    rooted = facade.Settings({'ECMPLAB_NAME': 'x', 'ECMPLAB_STATE_ROOT': str(tmp_path)})
    assert rooted.state_dir == str(tmp_path / 'x')
    given = facade.Settings({'ECMPLAB_NAME': 'x', 'ECMPLAB_STATE_DIR': '/s/y', 'ECMPLAB_INVENTORY': '/i'})
    assert (given.name, given.state_dir, given.inventory) == ('x', '/s/y', '/i')


def test_state_dir_is_the_tools(monkeypatch, tmp_path):
    """The view finds a lab where the tool keeps it (ECMPLAB_STATE_ROOT honoured by both)."""
    monkeypatch.setenv('ECMPLAB_STATE_ROOT', str(tmp_path))
    assert facade.State('bench').dir == facade.state_dir('bench') == str(tmp_path / 'bench')
    view = facade.LabView('bench', 'inv', inventory_data=_data())
    assert view.state_dir == str(tmp_path / 'bench') and view.ssh_config == str(tmp_path / 'bench' / 'ssh_config')


def test_command_lines():
    view = facade.LabView('bench', '/inv', '/st/bench', inventory_data=_data())
    # what benchmarks/failover.py ran by hand before: ssh -F <ssh_config> -o BatchMode=yes HOST CMD
    assert view.ssh_cmd('rs1', 'true') == ['ssh', '-F', '/st/bench/ssh_config', '-o', 'BatchMode=yes', 'rs1', 'true']
    assert facade.ssh_cmd('/c', 'rs1', ['ls', '-l']) == ['ssh', '-F', '/c', '-o', 'ControlMaster=no', '-o',
                                                         'ControlPath=none', '-o', 'BatchMode=yes', 'rs1', 'ls', '-l']
    assert view.tool_cmd('halt', 'director1', python='/py') == [
        '/py', facade.TOOL, '--name', 'bench', '--inventory', '/inv', 'halt', 'director1']
    assert facade.tool_cmd('molecule-uml', 'playbook', 'playbooks/drain.yml') == [
        sys.executable, facade.TOOL, '--name', 'molecule-uml', 'playbook', 'playbooks/drain.yml']
    env = facade.tool_env('/x/.lab/molecule-uml', {'PATH': '/bin'}, ANSIBLE_NOCOLOR='true')
    assert env == {'PATH': '/bin', 'ECMPLAB_STATE_ROOT': '/x/.lab', 'ANSIBLE_NOCOLOR': 'true'}


def test_playbook_command_and_environment(monkeypatch, tmp_path):
    monkeypatch.setenv('ECMPLAB_STATE_ROOT', str(tmp_path))
    lab = inventory.Lab('t', 'inventories/lab', _data())
    state = facade.State('t')
    state.data['backend'] = 'uml'
    cmd = facade.playbook_cmd(lab, 'playbooks/drain.yml', ['-l', 'director1'])
    assert cmd[0].endswith('ansible-playbook')
    assert cmd[1:] == ['-i', os.path.abspath('inventories/lab'), 'playbooks/drain.yml', '-l', 'director1']
    env = facade.playbook_env(lab, state)
    assert env['ECMPLAB_NAME'] == 't' and env['ECMPLAB_STATE_DIR'] == str(tmp_path / 't')
    assert env['ECMPLAB_BACKEND'] == 'uml' and env['ANSIBLE_CONFIG'] == os.path.join(ROOT, 'ansible.cfg')


def test_inventory_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert facade.inventory_path('inventories/lab') == os.path.join(ROOT, 'inventories', 'lab')
    (tmp_path / 'mine').mkdir()
    assert facade.inventory_path('mine') == 'mine'
    assert facade.inventory_path('/abs/x') == '/abs/x'


def test_view_state(tmp_path):
    view = facade.LabView('t', 'inv', str(tmp_path / 't'), inventory_data=_data())
    with pytest.raises(LabError, match=r'lab "t" is not up: no .*state.json \(lab/ecmplab --name t up\)'):
        view.require_up()
    (tmp_path / 't').mkdir()
    (tmp_path / 't' / 'state.json').write_text(json.dumps({'backend': 'podman'}))
    assert view.backend == 'podman'


class _Result:  # pylint: disable=too-few-public-methods
    def __init__(self, rc, stderr=''):
        self.rc, self.stderr = rc, stderr


class _Host:  # pylint: disable=too-few-public-methods
    """A testinfra host whose first `fails` commands end like SSH to a guest that is still booting (255)."""
    def __init__(self, fails):
        self.fails, self.commands = fails, []

    def run(self, command):
        self.commands.append(command)
        if len(self.commands) <= self.fails:
            if len(self.commands) % 2:  # testinfra raises on ssh's own failure
                raise RuntimeError('CommandResult(exit_status=255, _stderr=b"kex_exchange_identification: '
                                   'Connection closed by remote host")')
            return _Result(255, 'kex_exchange_identification: Connection closed by remote host\n')
        return _Result(0)


def test_reconnect_ends_the_stale_master_then_waits_for_a_command(tmp_path, monkeypatch):
    """After a reboot the master connection hangs on the old boot; reconnect ends it (ssh -O exit) and polls a
    fresh one until a command runs (a crash test once failed on the first command after the reboot)."""
    view = facade.LabView('t', 'inv', str(tmp_path / 't'), inventory_data=_data())
    calls = []
    monkeypatch.setattr(facade.subprocess, 'run', lambda argv, **kw: calls.append(argv))
    monkeypatch.setattr(facade.time, 'sleep', lambda s: None)
    view._hosts['d1'] = host = _Host(fails=3)  # pylint: disable=protected-access
    view.reconnect('d1')
    assert calls == [['ssh', '-F', view.ssh_config, '-O', 'exit', 'd1']]
    assert host.commands == ['true'] * 4
    view._hosts['d1'] = _Host(fails=10 ** 6)  # pylint: disable=protected-access
    with pytest.raises(LabError, match=r'no SSH on d1 0s after its reboot: .*kex_exchange_identification'):
        view.reconnect('d1', timeout=0)
