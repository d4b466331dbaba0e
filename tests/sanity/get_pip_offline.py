# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for ansible-test's downloaded get-pip bootstrap script.

ansible-test fetches get-pip.py from a host outside the package registries, which this project's machines cannot
reach. This script does the same job from what is at hand: stdlib ``ensurepip`` gives the new virtualenv a pip, which
then installs the requested packages (pip itself at ansible-test's pinned version included) from the package index
configured on the machine.
"""
import subprocess
import sys

subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'], stdout=subprocess.DEVNULL)
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
if any(not a.startswith('-') for a in args):
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--disable-pip-version-check'] + args)
