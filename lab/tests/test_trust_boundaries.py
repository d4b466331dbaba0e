# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab tool runs as root: names from the command line and the inventory become ssh_config lines, network
namespace and interface names, container names and paths, and `down` kills and removes things. These tests
prove that only safe identifiers and real addresses get through (refused before anything is created), that
ssh_config cannot gain lines from inventory data, and that `down` touches only what the lab created: its state
directory inside the state root, its own namespace, its own guest processes and containers (issue 12 section 5).
Run: .venv/bin/python -m pytest lab/tests"""

import argparse
import json
import os
import subprocess
import sys

import pytest

from ecmplab_lib import cli, inventory, netns, podman, uml, util
from ecmplab_lib.util import LabError

from test_ecmplab import _data  # pylint: disable=import-error

INJECTION = 'router1\n  ProxyCommand touch /tmp/ecmplab-pwned'
BAD_NAMES = [INJECTION, 'lab\n', '../../etc', '..', 'a/b', '', 'Lab', '1lab', '-lab', 'lab.1', 'lab_1', 'lab 1',
             'l' * 33, None, 7]


@pytest.fixture(name='root')
def _root(tmp_path, monkeypatch):
    """An empty state root (ECMPLAB_STATE_ROOT) for the lab states of a test."""
    root = tmp_path / 'state'
    root.mkdir()
    monkeypatch.setenv('ECMPLAB_STATE_ROOT', str(root))
    return root


def _rename_host(data, old, new):
    hostvars = data['_meta']['hostvars']
    hostvars[new] = hostvars.pop(old)
    for body in data.values():
        if isinstance(body, dict) and old in body.get('hosts', []):
            body['hosts'] = [new if h == old else h for h in body['hosts']]
    return data


# -- names and addresses --------------------------------------------------------------------------------
@pytest.mark.parametrize('name', BAD_NAMES)
def test_lab_name_refused(name, root):
    with pytest.raises(LabError, match=r'lab name \(--name / ECMPLAB_NAME\)'):
        inventory.Lab(name, 'inv', _data())
    with pytest.raises(LabError, match='lab name'):
        cli.State(name)
    assert os.listdir(str(root)) == []


@pytest.mark.parametrize('name', ['ecmplab', 'molecule-default', 'molecule-uml', 'safety12345', 'h2t-18686-12',
                                  'l' * 32])
def test_lab_names_in_use_accepted(name, root):
    assert inventory.Lab(name, 'inv', _data()).name == name
    assert cli.State(name).dir == os.path.join(str(root), name)


@pytest.mark.parametrize('name', [n for n in BAD_NAMES if isinstance(n, str) and n])
def test_host_name_refused(name):
    with pytest.raises(LabError, match='inventory host name'):
        inventory.Lab('t', 'inv', _rename_host(_data(), 'router1', name))


@pytest.mark.parametrize('segment', ['fabric\n', 'fab\nric', '../x', 'a/b', 'Fabric', 'fabric-net1', 3])
def test_segment_name_refused(segment):
    """Segments name bridges br<index>-<segment> (15 characters at most): 10 characters, identifiers only."""
    data = _data()
    data['_meta']['hostvars']['router1']['lab_links'][0]['segment'] = segment
    with pytest.raises(LabError, match=r'router1: lab_links\[0\]\.segment'):
        inventory.Lab('t', 'inv', data)


def test_bridge_names_fit_ifnamsiz():
    data = _data()
    # client and fabric (the other hosts) + 98 more: the most there may be, names of the longest length
    data['_meta']['hostvars']['router1']['lab_links'] = [
        {'segment': 's%09d' % i, 'address': '10.98.%d.1/24' % i} for i in range(util.MAX_SEGMENTS - 2)]
    lab = inventory.Lab('t', 'inv', data)
    assert len(lab.segments) == util.MAX_SEGMENTS
    assert all(len(lab.bridge(s)) <= 15 and lab.bridge(s).endswith('-' + s) for s in lab.segments)
    assert len({lab.bridge(s) for s in lab.segments}) == util.MAX_SEGMENTS
    data['_meta']['hostvars']['router1']['lab_links'].append({'segment': 'one-more', 'address': '10.97.0.1/24'})
    with pytest.raises(LabError, match='segments'):
        inventory.Lab('t', 'inv', data)


@pytest.mark.parametrize('var,value,field', [
    ('ansible_host', '10.99.255.2\n  ProxyCommand touch /tmp/ecmplab-pwned', 'router1: ansible_host'),
    ('ansible_host', 'router1.example.com', 'router1: ansible_host'),
    ('lab_gateway', '10.99.0.1 ProxyCommand', 'router1: lab_gateway'),
])
def test_addresses_refused(var, value, field):
    data = _data()
    data['_meta']['hostvars']['router1'][var] = value
    with pytest.raises(LabError, match=field):
        inventory.Lab('t', 'inv', data)
    data = _data()
    data['_meta']['hostvars']['router1']['lab_links'][0]['address'] = '10.99.0.1/24\nProxyCommand x'
    with pytest.raises(LabError, match=r'router1: lab_links\[0\]\.address'):
        inventory.Lab('t', 'inv', data)


def test_main_refuses_a_bad_name_before_anything(monkeypatch, capsys):
    """--name and ECMPLAB_NAME are checked first: no inventory read, no state, no namespace (not even as root)."""
    def forbidden(*_args, **_kwargs):
        raise AssertionError('reached with a bad lab name')
    monkeypatch.setattr(inventory, 'load', forbidden)
    monkeypatch.setattr(cli, 'State', forbidden)
    monkeypatch.setattr(netns, 'destroy', forbidden)
    for argv in (['--name', '../../tmp', 'down'], ['--name', INJECTION, 'up'], ['-n', 'x' * 40, 'status']):
        assert cli.main(argv) == 2
        assert 'lab name (--name / ECMPLAB_NAME)' in capsys.readouterr().err
    monkeypatch.setenv('ECMPLAB_NAME', 'ecmplab/../../etc')
    assert cli.main(['down']) == 2
    assert 'ECMPLAB_NAME' in capsys.readouterr().err


# -- ssh_config -------------------------------------------------------------------------------------------
def test_ssh_config_only_from_checked_values(root):
    lab = inventory.Lab('t', 'inv', _data())
    state = cli.State('t')
    os.makedirs(state.dir)
    state.write_ssh_config(lab)
    with open(state.ssh_config, encoding='ascii') as fd:
        lines = fd.read().splitlines()
    hosts = [line for line in lines if line.startswith('Host ')]
    assert hosts == ['Host client1 10.99.255.10', 'Host director1 10.99.255.11', 'Host router1 10.99.255.2',
                     'Host *']
    assert len(lines) == 1 + 2 * 3 + 13
    assert [line for line in lines if 'ProxyCommand' in line] == ['  ProxyCommand ip netns exec t nc %h %p']
    # the lab-only ssh settings (ansible.cfg no longer has them)
    assert '  StrictHostKeyChecking no' in lines and '  UserKnownHostsFile /dev/null' in lines
    before = '\n'.join(lines)

    # a Host object that got past the inventory checks somehow: still nothing written
    lab.hosts[0].name = INJECTION
    with pytest.raises(LabError, match='inventory host name'):
        state.write_ssh_config(lab)
    lab = inventory.Lab('t', 'inv', _data())
    lab.hosts[0].mgmt = '10.99.255.10\n  ProxyCommand touch /tmp/ecmplab-pwned'
    with pytest.raises(LabError, match='ansible_host'):
        state.write_ssh_config(lab)
    with open(state.ssh_config, encoding='ascii') as fd:
        assert fd.read().rstrip('\n') == before


def test_ssh_config_refuses_unsafe_state_path(tmp_path, monkeypatch):
    root = tmp_path / 'with space%C'
    root.mkdir()
    monkeypatch.setenv('ECMPLAB_STATE_ROOT', str(root))
    state = cli.State('t')
    os.makedirs(state.dir)
    with pytest.raises(LabError, match='ssh_config'):
        state.write_ssh_config(inventory.Lab('t', 'inv', _data()))
    assert not os.path.exists(state.ssh_config)


# -- down -------------------------------------------------------------------------------------------------
class _Recorder:
    """Stands in for netns/backends: records what `down` would have done."""

    def __init__(self, monkeypatch, ident=111, ns_exists=True):
        self.calls = []
        monkeypatch.setattr(netns, 'exists', lambda name: ns_exists)
        monkeypatch.setattr(netns, 'ident', lambda name: ident)
        monkeypatch.setattr(netns, 'destroy', lambda name: self.calls.append(('netns.destroy', name)))
        monkeypatch.setattr(netns, 'host_route_del', lambda rng, others: self.calls.append(('route.del', rng)))
        recorder = self

        class Backend:
            def __init__(self, lab, state):
                self.lab = lab

            def destroy(self):
                recorder.calls.append(('backend.destroy', self.lab.name))
        monkeypatch.setattr(cli, 'make_backend', lambda kind, lab, state: Backend(lab, state))


def _write_state(root, name, **data):
    os.makedirs(os.path.join(str(root), name), exist_ok=True)
    data.setdefault('backend', 'uml')
    with open(os.path.join(str(root), name, 'state.json'), 'w', encoding='utf-8') as fd:
        json.dump(data, fd)


def test_down_refuses_a_state_dir_outside_the_state_root(root, tmp_path, monkeypatch):
    outside = tmp_path / 'precious'
    outside.mkdir()
    (outside / 'keep').write_text('x')
    (outside / 'state.json').write_text(json.dumps({'backend': 'uml', 'range': '10.0.0.0/8', 'netns_id': 111}))
    os.symlink(str(outside), str(root / 'evil'))
    rec = _Recorder(monkeypatch)
    with pytest.raises(LabError, match='refusing'):
        cli.cmd_down(argparse.Namespace(), inventory.Lab('evil', 'inv', _data()))
    assert rec.calls == [] and (outside / 'keep').exists()
    # the removal helper itself: never the root, never outside it, never through a link
    for path in (str(root), str(root / '..' / 'precious'), str(root / 'evil'), str(tmp_path)):
        with pytest.raises(LabError, match='refusing to remove'):
            util.safe_rmtree(path, str(root))
    assert (outside / 'keep').exists()
    (root / 'mine' / 'sub').mkdir(parents=True)
    util.safe_rmtree(str(root / 'mine'), str(root))
    assert not (root / 'mine').exists()


def test_down_leaves_a_namespace_it_did_not_create(root, monkeypatch, capsys):
    lab = inventory.Lab('t', 'inv', _data())
    # no state: a namespace of that name is someone else's; no route was recorded either
    rec = _Recorder(monkeypatch)
    assert cli.cmd_down(argparse.Namespace(), lab) == 0
    assert [c for c in rec.calls if c[0] != 'backend.destroy'] == []
    assert 'left alone: namespace t' in capsys.readouterr().err
    # state of this lab, but the namespace was made again by someone else (another identity)
    _write_state(root, 't', range='10.99.0.0/16', netns_id=222)
    rec = _Recorder(monkeypatch, ident=111)
    cli.cmd_down(argparse.Namespace(), lab)
    assert ('netns.destroy', 't') not in rec.calls and ('route.del', '10.99.0.0/16') in rec.calls
    assert not (root / 't').exists()
    # the namespace `up` created: removed
    _write_state(root, 't', range='10.99.0.0/16', netns_id=111)
    rec = _Recorder(monkeypatch, ident=111)
    cli.cmd_down(argparse.Namespace(), lab)
    assert ('netns.destroy', 't') in rec.calls
    # a lab from before netns_id was recorded: its state names the namespace, removed as before
    _write_state(root, 't', range='10.99.0.0/16')
    rec = _Recorder(monkeypatch, ident=111)
    cli.cmd_down(argparse.Namespace(), lab)
    assert ('netns.destroy', 't') in rec.calls


def test_up_refuses_a_namespace_it_did_not_create(root, monkeypatch):
    monkeypatch.setattr(netns, 'exists', lambda name: True)

    def forbidden(*_args, **_kwargs):
        raise AssertionError('up went on with a foreign namespace')
    monkeypatch.setattr(cli.image, 'ensure', forbidden)
    monkeypatch.setattr(netns, 'create', forbidden)
    with pytest.raises(LabError, match='not this lab'):
        cli.cmd_up(argparse.Namespace(backend='uml'), inventory.Lab('t', 'inv', _data()))


def _sleeper(*args):
    return subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'] + list(args),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_stale_pid_of_a_foreign_process_is_not_killed(root):
    """A guest's PID in state.json (or its pid file) that now belongs to another process: never signalled."""
    lab = inventory.Lab('t', 'inv', _data())
    state = cli.State('t')
    backend = uml.UmlBackend(lab, state)
    host = lab.host('router1')
    foreign = _sleeper('umid=router1')  # even one that looks a bit like a guest (another lab's uml_dir: none)
    other_lab = _sleeper('umid=router1', 'uml_dir=/elsewhere/.lab/t/uml')
    try:
        for proc in (foreign, other_lab):
            state.pids['router1'] = proc.pid
            assert backend.pid(host) is None and not backend.running(host)
            backend.halt(host)
            backend.stop(host, timeout=1)
            backend.destroy()
            backend._wait_gone(host, proc.pid, 0.2)  # pylint: disable=protected-access
            os.makedirs(os.path.join(backend.umldir, 'router1'), exist_ok=True)
            with open(os.path.join(backend.umldir, 'router1', 'pid'), 'w', encoding='ascii') as fd:
                fd.write('%d\n' % proc.pid)
            assert backend.pid(host) is None
            backend._wait_gone(host, proc.pid, 0.2)  # pylint: disable=protected-access
            assert proc.poll() is None, 'a process that is not the lab\'s guest was killed'
        # the lab's own guest (this umid, this lab's uml_dir) is recognised and can be killed
        guest = _sleeper('umid=router1', 'uml_dir=%s' % backend.umldir, 'mem=256M')
        try:
            state.pids['router1'] = guest.pid
            os.unlink(os.path.join(backend.umldir, 'router1', 'pid'))
            util.wait_for(lambda: backend.pid(host) == guest.pid, 5, what='the guest stand-in')
            # a pid file that names a process gone or a foreign one does not hide the guest this tool started
            for stale in (foreign.pid, 2 ** 22 + 1):
                with open(os.path.join(backend.umldir, 'router1', 'pid'), 'w', encoding='ascii') as fd:
                    fd.write('%d\n' % stale)
                assert backend.pid(host) == guest.pid and backend.running(host)
            assert backend.pid(lab.host('director1')) is None  # another host's PID is not this host's guest
            backend._wait_gone(host, guest.pid, 0.1)  # pylint: disable=protected-access
            assert guest.wait(timeout=5) == -9
        finally:
            guest.kill()
            guest.wait()
    finally:
        for proc in (foreign, other_lab):
            proc.kill()
            proc.wait()


def test_podman_container_of_someone_else_is_left_alone(root, monkeypatch):
    lab = inventory.Lab('t', 'inv', _data())
    backend = podman.PodmanBackend(lab, cli.State('t'))
    calls = []

    def fake_run(cmd, check=True, **_kwargs):
        calls.append(cmd[:2])
        info = [{'Config': {'Labels': {'ecmplab': 'other'}}, 'State': {'Status': 'running', 'Pid': 1}}]
        return subprocess.CompletedProcess(cmd, 0, json.dumps(info), '')
    monkeypatch.setattr(podman, 'run', fake_run)
    host = lab.host('router1')
    for action in (backend.host_state, backend.halt, backend.stop, backend.start):
        with pytest.raises(LabError, match="not this lab's"):
            action(host)
    assert set(map(tuple, calls)) == {('podman', 'inspect')}
