# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The BIRD 2 router examples of docs/routers.md (files/bird/*.conf) pass BIRD's own parser (`bird -p`, Debian
package bird2, installed by `make deps`) and keep the rules every router in front of the directors needs: only VIP
host routes imported, nothing exported to the directors, ECMP, BFD."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
EXAMPLES = [os.path.join(ROOT, 'files', 'bird', name) for name in ('bird-ospf.conf', 'bird-bgp.conf')]


@pytest.mark.parametrize('path', EXAMPLES, ids=os.path.basename)
def test_bird_parses_the_example(path):
    if not shutil.which('bird'):
        pytest.fail('bird is missing: `make deps` installs the Debian package bird2')
    res = subprocess.run(['bird', '-p', '-c', path], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize('path', EXAMPLES, ids=os.path.basename)
def test_the_example_keeps_the_router_rules(path):
    with open(path, encoding='utf-8') as handle:
        text = handle.read()
    assert re.search(r'define LVS_VIPS = \[ [0-9./]+\{32,32\} \];', text)
    assert 'import where net ~ LVS_VIPS;' in text and 'export none;' in text
    assert 'merge paths yes limit 16;' in text and 'bfd yes;' in text
    assert 'fib_multipath_hash_policy=1' in text
