# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp-lvs-announce fail-safe paths against the real kernel: `withdraw-all` (ExecStopPost of
ecmp-lvs-announce.service) in a throwaway network namespace, and `quorum down` on a really full tmpfs (a private
mount namespace)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys

from ansible_collections.ecmp.lvs.tests.unit.roles import announce_package

# what a director runs: the system python, stdlib only, the program as the role installs it
MODULE_PYTHON = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
COMMAND = announce_package.argv(MODULE_PYTHON)
VIP = '10.99.100.10'
VIP2 = '10.99.100.20'
KEY = 'tcp:10.99.100.10:80'


def lo_addresses(netns):
    data = json.loads(netns.ip('-j', '-4', 'address', 'show', 'dev', 'lo').stdout)
    return sorted((a['local'], a['prefixlen'], a.get('label')) for link in data for a in link['addr_info'])


def test_withdraw_all_removes_every_vip_and_labelled_address(netns, tmp_path):
    conf = tmp_path / 'announce.json'
    conf.write_text(json.dumps({'vips': {VIP: [KEY], VIP2: []}, 'label': 'lo:lvs'}))
    netns.ip('address', 'add', VIP + '/32', 'dev', 'lo', 'label', 'lo:lvs')
    netns.ip('address', 'add', VIP2 + '/32', 'dev', 'lo')                          # a VIP without the label
    netns.ip('address', 'add', '10.99.100.30/32', 'dev', 'lo', 'label', 'lo:lvs')  # announced, VIP since removed
    netns.ip('address', 'add', '192.0.2.1/32', 'dev', 'lo')                        # not ours
    res = netns.exec_(*COMMAND, '--config', str(conf), 'withdraw-all', check=False)
    assert res.returncode == 0, res.stderr
    assert lo_addresses(netns) == [('127.0.0.1', 8, 'lo'), ('192.0.2.1', 32, 'lo')]
    assert '10.99.100.10, 10.99.100.20, 10.99.100.30 withdrawn' in res.stdout
    # nothing left: still success
    res = netns.exec_(*COMMAND, '--config', str(conf), 'withdraw-all', check=False)
    assert res.returncode == 0 and 'nothing withdrawn' in res.stdout


def test_withdraw_all_without_a_readable_configuration(netns, tmp_path):
    netns.ip('address', 'add', VIP + '/32', 'dev', 'lo', 'label', 'lo:lvs')
    res = netns.exec_(*COMMAND, '--config', str(tmp_path / 'missing.json'), 'withdraw-all', check=False)
    assert res.returncode == 0, res.stderr
    assert lo_addresses(netns) == [('127.0.0.1', 8, 'lo')]


def test_quorum_down_on_a_full_tmpfs_removes_the_stale_record(tmp_path):
    """A 4 KiB tmpfs holds the `up` record (one page): `ecmp-lvs-quorum down` gets ENOSPC for its temporary file, removes
    it and the stale `up` record (the service is then judged from the IPVS table), and says so (exit 1)."""
    state = tmp_path / 'state'
    state.mkdir()
    script = '''
set -e
mount -t tmpfs -o size=4k tmpfs "$1"
mkdir "$1/quorum"
"$2" up "$3" --state-dir "$1"
# fill what is left of the page budget
dd if=/dev/zero of="$1/fill" bs=1k count=64 2>/dev/null || true
set +e
"$2" down "$3" --state-dir "$1"
echo "rc=$?"
ls -A "$1/quorum"
'''
    quorum = os.path.join(announce_package.installed()[1], 'ecmp-lvs-quorum')
    res = subprocess.run(['unshare', '--mount', '--', 'sh', '-c', script, 'sh', str(state), quorum, KEY], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, timeout=60, check=False)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.split()
    assert 'rc=1' in lines, res.stdout
    assert lines[lines.index('rc=1') + 1:] == ['.lock'], res.stdout       # no record, no temporary file
    assert 'quorum down of %s not stored' % KEY in res.stderr and 'stale record removed' in res.stderr
