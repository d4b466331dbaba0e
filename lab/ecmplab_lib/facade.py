# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way into a lab, for the lab tool and for everything that drives a lab from outside it (the molecule
tests' conftest, benchmarks/failover.py):

- where a lab keeps its state (`state_root`, `state_dir`, `State`: key, ssh_config, state.json);
- SSH to its hosts (`ssh_cmd`, `ssh_run`, `ssh_ready`; testinfra hosts through `LabView.host`);
- the lab tool's own command line (`tool_cmd`, `tool_env`) and the ansible-playbook it runs (`playbook_cmd`,
  `playbook_env`);
- the inventory as ansible sees it: hosts, host variables and groups with their children
  (`LabView.groups`, `LabView.address`; the same `inventory.group_members` builds the lab tool's model).

Nothing here starts or changes a lab.
"""

import ipaddress
import json
import os
import subprocess
import sys
import time

from . import inventory
from .util import HOST_NAME_MAX, LAB_NAME_MAX, ROOT, LabError, check_name, check_ssh_path, run, safe_rmtree

DEFAULT_NAME = 'ecmplab'
DEFAULT_INVENTORY = 'inventories/lab'
TOOL = os.path.join(ROOT, 'lab', 'ecmplab')


def state_root(environ=None):
    """The directory holding every lab's state directory: $ECMPLAB_STATE_ROOT, else .lab/ of the repository."""
    environ = os.environ if environ is None else environ
    return environ.get('ECMPLAB_STATE_ROOT') or os.path.join(ROOT, '.lab')


def state_dir(name, environ=None):
    """The state directory of the lab `name`: <state root>/<name>."""
    return os.path.join(state_root(environ), name)


def inventory_path(path):
    """An inventory given on a command line: as given when it exists (or is absolute), else relative to the
    repository (so that `--inventory inventories/lab` works from any directory)."""
    if not os.path.isabs(path) and not os.path.exists(path):
        return os.path.join(ROOT, path)
    return path


class State:
    """Everything of a lab on disk: .lab/<name>/ (key, ssh_config, disks, consoles, state.json)."""

    def __init__(self, name):
        self.name = check_name(inventory.LAB_NAME_FIELD, name, LAB_NAME_MAX)
        self.root = state_root()
        self.dir = os.path.join(self.root, name)
        self.check_dir()
        self.file = os.path.join(self.dir, 'state.json')
        self.data = {}
        if os.path.exists(self.file):
            with open(self.file, encoding='utf-8') as fd:
                self.data = json.load(fd)
        self.pids = self.data.setdefault('pids', {})

    def check_dir(self):
        """The state directory is <state root>/<name> itself: a symlink (or anything resolving elsewhere) is
        refused before the lab reads, writes or removes anything there."""
        real = os.path.realpath(self.dir)
        if os.path.islink(self.dir) or real != os.path.join(os.path.realpath(self.root), self.name):
            raise LabError('state directory %s resolves to %s, not to %s/%s: refusing to use it'
                           % (self.dir, real, os.path.realpath(self.root), self.name))

    def remove(self):
        """Remove the state directory (only ever inside the state root)."""
        self.check_dir()
        if os.path.isdir(self.dir):
            safe_rmtree(self.dir, self.root)

    @property
    def exists(self):
        return os.path.exists(self.file)

    def save(self):
        os.makedirs(self.dir, exist_ok=True)
        tmp = self.file + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as fd:
            json.dump(self.data, fd, indent=2, sort_keys=True)
        os.rename(tmp, self.file)

    @property
    def key(self):
        return os.path.join(self.dir, 'id_ed25519')

    @property
    def ssh_config(self):
        return os.path.join(self.dir, 'ssh_config')

    def ensure_key(self):
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        if not os.path.exists(self.key):
            run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'ecmplab-%s' % self.name, '-f', self.key])

    def pubkey(self):
        with open(self.key + '.pub', encoding='ascii') as fd:
            return fd.read().strip()

    def write_ssh_config(self, lab):
        """One `Host NAME ADDRESS` block per host, then the lab's settings. Every value from the inventory is
        checked again here (names: lab identifiers, addresses: parsed by ipaddress), so inventory data can never
        add a line (a ProxyCommand, say) to the file ssh runs as root with."""
        check_name(inventory.LAB_NAME_FIELD, lab.name, LAB_NAME_MAX)
        check_ssh_path('state directory', self.dir)
        lines = ['# written by lab/ecmplab for the lab "%s": ssh -F %s HOST' % (lab.name, self.ssh_config)]
        for host in lab.hosts:
            name = check_name('inventory host name', host.name, HOST_NAME_MAX)
            try:
                address = ipaddress.ip_address(str(host.mgmt))
            except ValueError as exc:
                raise LabError('%s: ansible_host %r is not an address' % (host.name, str(host.mgmt))) from exc
            lines += ['Host %s %s' % (name, address), '  HostName %s' % address]
        lines += [
            'Host *',
            '  User root',
            '  IdentityFile %s' % self.key,
            '  IdentitiesOnly yes',
            '  ProxyCommand ip netns exec %s nc %%h %%p' % lab.name,
            '  StrictHostKeyChecking no',
            '  UserKnownHostsFile /dev/null',
            '  LogLevel ERROR',
            '  ConnectTimeout 5',
            '  ServerAliveInterval 5',
            '  ControlMaster auto',
            '  ControlPath %s/cm-%%C' % self.dir,
            '  ControlPersist 120s',
        ]
        if any(ch in line for line in lines for ch in '\r\n\0'):
            raise LabError('ssh_config would get a line break from the inventory: not written')
        with open(self.ssh_config, 'w', encoding='ascii') as fd:
            fd.write('\n'.join(lines) + '\n')
        os.makedirs(os.path.join(self.dir, 'cp'), exist_ok=True)


# -- SSH -------------------------------------------------------------------------------------------------
def ssh_cmd(ssh_config, host, command=None, master=False):
    """argv of `ssh` to a lab host through the lab's ssh_config. master=False: a connection of its own (no
    ControlMaster); master=True: shares the lab's master connection (interactive use, fast repeated commands)."""
    cmd = ['ssh', '-F', ssh_config]
    if not master:
        cmd += ['-o', 'ControlMaster=no', '-o', 'ControlPath=none']
    cmd += ['-o', 'BatchMode=yes', host.name if hasattr(host, 'name') else host]
    if command:
        cmd += command if isinstance(command, list) else [command]
    return cmd


def ssh_run(ssh_config, host, command, timeout=60, check=True):
    return run(ssh_cmd(ssh_config, host, command), timeout=timeout, check=check)


def ssh_ready(ssh_config, host):
    try:
        res = subprocess.run(ssh_cmd(ssh_config, host, 'true'), stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=8, check=False)
    except subprocess.TimeoutExpired:
        return False
    return res.returncode == 0


# -- the lab tool and its ansible-playbook ----------------------------------------------------------------
def tool_cmd(name, *args, inventory_file=None, python=None):
    """argv of `lab/ecmplab --name NAME [--inventory INVENTORY] ARGS...` (run by `python`, default: this one)."""
    cmd = [python or sys.executable, TOOL, '--name', name]
    if inventory_file:
        cmd += ['--inventory', inventory_file]
    return cmd + list(args)


def tool_env(lab_state_dir, environ=None, **extra):
    """Environment for `tool_cmd` so that the tool uses the state directory `lab_state_dir` (its parent becomes
    ECMPLAB_STATE_ROOT; the tool's --name must be its base name)."""
    env = dict(os.environ if environ is None else environ, ECMPLAB_STATE_ROOT=os.path.dirname(lab_state_dir))
    env.update(extra)
    return env


def playbook_env(lab, state):
    """Environment of `lab/ecmplab playbook`: ansible settings for the lab plus the lab's name, state directory
    and backend (the playbooks of tests/lab read them)."""
    return inventory.ansible_env(ECMPLAB_NAME=lab.name, ECMPLAB_STATE_DIR=state.dir,
                                 ECMPLAB_BACKEND=state.data.get('backend', ''))


def playbook_cmd(lab, playbook, args=()):
    """argv of `lab/ecmplab playbook PLAYBOOK ARGS`: ansible-playbook -i <the lab's inventory> PLAYBOOK ARGS."""
    return [inventory.ansible_bin('ansible-playbook'), '-i', os.path.abspath(lab.inventory), playbook] + list(args)


# -- the lab as its users outside the tool see it ----------------------------------------------------------
class Settings:
    """Which lab a test run reads, from the environment the molecule scenario (verifier.env) or
    `lab/ecmplab playbook` sets: ECMPLAB_NAME (default ecmplab), ECMPLAB_STATE_DIR (default: the state
    directory of that name), ECMPLAB_INVENTORY (default inventories/lab)."""

    def __init__(self, environ=None):
        environ = os.environ if environ is None else environ
        self.name = environ.get('ECMPLAB_NAME', DEFAULT_NAME)
        self.state_dir = environ.get('ECMPLAB_STATE_DIR') or state_dir(self.name, environ)
        self.inventory = environ.get('ECMPLAB_INVENTORY') or os.path.join(ROOT, DEFAULT_INVENTORY)


class LabView:
    """A lab read from outside the tool: its inventory (hostvars, groups with their children, addresses) and,
    once it is up, its state (state.json: backend) and its hosts over SSH (ssh_config, testinfra).

    `inventory_data` (the `ansible-inventory --list` JSON) is read from `inventory_file` when not given."""

    def __init__(self, name, inventory_file, lab_state_dir=None, inventory_data=None):
        self.name = name
        self.inventory = inventory_file
        self.state_dir = lab_state_dir or state_dir(name)
        self.ssh_config = os.path.join(self.state_dir, 'ssh_config')
        data = inventory.read(inventory_file) if inventory_data is None else inventory_data
        self.hostvars = data.get('_meta', {}).get('hostvars', {})
        self.groups = inventory.group_members(data)
        self._data = data
        anyhost = self.hostvars[sorted(self.hostvars)[0]] if self.hostvars else {}
        self.services = anyhost.get('lvs_services', [])
        self.protocol = anyhost.get('lvs_routing_protocol', 'ospf')
        self.bfd = bool(anyhost.get('lvs_bfd_enabled', True))
        self._state = None
        self._hosts = {}

    @classmethod
    def from_settings(cls, settings=None):
        settings = settings or Settings()
        return cls(settings.name, settings.inventory, settings.state_dir)

    def address(self, name):
        """The host's address on the load-balancing fabric: lvs_address, else ansible_host."""
        return self.hostvars[name].get('lvs_address') or self.hostvars[name]['ansible_host']

    def link_addresses(self, name):
        """Every address the lab gives `name` on its links - IPv4, IPv6 and the link-local address of each link
        (inventory.Host.link_addresses): what a router's nexthop names the host by (an IPv6 route: link-local)."""
        hosts = {host.name: host for host in inventory.Lab(self.name, self.inventory, self._data).hosts}
        return hosts[name].link_addresses()

    @property
    def state(self):
        """state.json of the running lab (LabError when the lab is not up)."""
        if self._state is None:
            path = os.path.join(self.state_dir, 'state.json')
            if not os.path.exists(path):
                raise LabError('lab "%s" is not up: no %s (lab/ecmplab --name %s up)' % (self.name, path, self.name))
            with open(path, encoding='utf-8') as fd:
                self._state = json.load(fd)
        return self._state

    def require_up(self):
        """LabError unless the lab is up (its state.json exists)."""
        return self.state

    @property
    def backend(self):
        return self.state['backend']

    def ssh_cmd(self, host, command=None, master=True):
        """argv of ssh to `host` of this lab (shares the lab's master connection unless master=False)."""
        return ssh_cmd(self.ssh_config, host, command, master=master)

    def host(self, name):
        """The testinfra host `name` (ssh backend over the lab's ssh_config), one per name."""
        if name not in self._hosts:
            import testinfra  # pylint: disable=import-outside-toplevel,import-error  # tests only
            self._hosts[name] = testinfra.get_host('ssh://%s' % name, ssh_config=self.ssh_config)
        return self._hosts[name]

    def reconnect(self, name, timeout=120):
        """After `name` rebooted: end the lab's master connection to the old boot (it hangs on a dead TCP peer
        and fails the next command with 255), then wait until a fresh connection runs a command (sshd may still
        drop the first connections while the guest boots). The testinfra host keeps working afterwards."""
        subprocess.run(['ssh', '-F', self.ssh_config, '-O', 'exit', name], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=15, check=False)
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = self.host(name).run('true')
                rc, error = result.rc, result.stderr.strip()
            except RuntimeError as exc:  # testinfra raises on ssh's own failure (255)
                rc, error = 255, str(exc)
            if rc == 0:
                return
            if time.monotonic() > deadline:
                raise LabError('no SSH on %s %ds after its reboot: %s' % (name, timeout, error))
            time.sleep(1)

    def tool_cmd(self, *args, python=None):
        """argv of the lab tool for this lab (its name, its inventory)."""
        return tool_cmd(self.name, *args, inventory_file=self.inventory, python=python)
