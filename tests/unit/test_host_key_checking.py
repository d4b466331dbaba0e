# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host key checking stays on for every inventory but the lab's (issue 12 section 5).

ansible.cfg is read for production inventories too: it must neither switch host key checking off nor hand ssh
StrictHostKeyChecking=no / UserKnownHostsFile=/dev/null. The lab gets those from places that only the lab uses:
its inventory (inventories/lab, which the molecule scenarios, benchmarks/ and tests/lab_safety use), its own
ssh_config (lab/ecmplab up) and the environment `lab/ecmplab playbook` runs ansible with.
"""

import configparser
import glob
import os

import yaml

from ecmplab_lib import inventory  # pylint: disable=import-error

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

UNSAFE_SSH = ('stricthostkeychecking=no', 'stricthostkeychecking no', 'userknownhostsfile=/dev/null',
              'userknownhostsfile /dev/null', 'globalknownhostsfile=/dev/null', 'globalknownhostsfile /dev/null')
FALSE = ('false', 'no', 'off', '0', 'n', 'f')


def _cfg():
    parser = configparser.ConfigParser(interpolation=None)
    with open(os.path.join(ROOT, 'ansible.cfg'), encoding='utf-8') as fd:
        parser.read_file(fd)
    return parser


def _yaml(path):
    with open(os.path.join(ROOT, path), encoding='utf-8') as fd:
        return yaml.safe_load(fd)


def test_ansible_cfg_keeps_host_key_checking_on():
    cfg = _cfg()
    for section in cfg.sections():
        for key in ('host_key_checking', 'ssh_host_key_checking'):
            value = cfg.get(section, key, fallback='true').strip().lower()
            assert value not in FALSE, 'ansible.cfg [%s] %s = %s: host key checking off for every inventory' % (
                section, key, value)
    for key in ('ssh_args', 'ssh_common_args', 'ssh_extra_args'):
        value = cfg.get('ssh_connection', key, fallback='')
        flat = value.lower().replace('-o', ' ').replace(' ', '')
        for unsafe in UNSAFE_SSH:
            assert unsafe.replace(' ', '=') not in flat, \
                'ansible.cfg [ssh_connection] %s turns host key checking off for every inventory: %s' % (key, value)
    # what the lab still wants from ansible.cfg
    assert '-o ControlMaster=auto' in cfg.get('ssh_connection', 'ssh_args')


def test_lab_inventory_turns_it_off_for_the_lab_only():
    lab = _yaml('inventories/lab/group_vars/all/lab.yml')
    assert lab['ansible_host_key_checking'] is False
    assert lab['ansible_ssh_common_args'] == '-F {{ lab_state_dir }}/ssh_config'
    # the other lab inventories read the same file
    for path in ('tests/lab_safety/inventory/group_vars/all/lab.yml', 'tests/lab_interop/inventory/group_vars/all/lab.yml',
                 'inventories/lab-mixed/group_vars/all/lab.yml',
                 'inventories/lab-trixie/group_vars/all/lab.yml', 'inventories/lab-2x8/group_vars/all/lab.yml',
                 'inventories/lab-dual/group_vars/all/lab.yml'):
        assert os.path.realpath(os.path.join(ROOT, path)) == \
            os.path.realpath(os.path.join(ROOT, 'inventories/lab/group_vars/all/lab.yml')), path
    for scenario in glob.glob(os.path.join(ROOT, 'molecule', '*', 'molecule.yml')):
        with open(scenario, encoding='utf-8') as fd:
            conf = yaml.safe_load(fd)
        links = conf['provisioner']['inventory']['links']
        # the lab inventory, or one of the same lab.yml (Debian 13: lab-trixie, lab-mixed)
        group_vars = os.path.join(os.path.dirname(scenario), links['group_vars'])
        assert os.path.realpath(os.path.join(group_vars, 'all', 'lab.yml')) == \
            os.path.realpath(os.path.join(ROOT, 'inventories/lab/group_vars/all/lab.yml')), scenario
        options = conf['provisioner'].get('config_options') or {}
        text = repr(options).lower()
        assert 'stricthostkeychecking' not in text and 'userknownhostsfile' not in text, scenario


def test_production_inventories_do_not_turn_it_off():
    for path in glob.glob(os.path.join(ROOT, 'inventories', 'example', '**', '*.yml'), recursive=True):
        with open(path, encoding='utf-8') as fd:
            text = fd.read().lower()
        assert 'host_key_checking' not in text, path
        for unsafe in UNSAFE_SSH:
            assert unsafe not in text, path


def test_lab_tool_environment():
    """`lab/ecmplab playbook` runs ansible with host key checking off; `lab/ecmplab ansible-env` (for `export`
    in a shell that may run production playbooks later) never prints it."""
    assert inventory.ansible_env()['ANSIBLE_HOST_KEY_CHECKING'] == 'False'
    for env in (inventory.mitogen_env({}), inventory.mitogen_env()):
        assert not [k for k in env if 'HOST_KEY' in k or 'SSH_ARGS' in k], env
