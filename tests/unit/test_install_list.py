# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Makefile installs every Debian package the controller side needs (make lab / test / bench / safety).

A green run on a machine that already had a package hid a missing install step once (frr-pythontools, which
brings /usr/lib/frr/frr-reload.py). These tests fail on ANY machine, whether the package happens to be installed
or not:

- every host program the tests, the lab tool, the benchmark and the modules run on the controller is mapped to
  its Debian package here (HOST_PROGRAMS), and each of those packages is in the Makefile's APT_PACKAGES;
- the code is scanned for the programs it runs (argv lists given to run/Popen/check_output, shutil.which,
  absolute program paths, the command words of the shell scripts): a program that is in neither HOST_PROGRAMS nor
  BASE_PROGRAMS fails, so a new tool cannot slip in unmapped;
- where dpkg is available (always under `make test`, which runs `make deps` first) the mapping is checked against
  `dpkg -S`, so a wrong package name in the table cannot hide either.
"""

import ast
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

# program (a name looked up in PATH, or an absolute path) -> the Debian package that ships it. Every package here
# must be in the Makefile's APT_PACKAGES.
HOST_PROGRAMS = {
    'podman': 'podman',
    'runc': 'runc',
    'newuidmap': 'uidmap',              # rootless-capable podman setups
    'slirp4netns': 'slirp4netns',
    'linux.uml': 'user-mode-linux',     # the UML lab kernel (lab/ecmplab_lib/uml.py)
    '/usr/lib/uml/modules': 'user-mode-linux',
    'uml_mconsole': 'uml-utilities',    # halt / cad of UML guests
    'debootstrap': 'debootstrap',       # lab/image/build.sh
    'mkfs.ext4': 'e2fsprogs',           # the UML root image
    'ssh': 'openssh-client',
    'ssh-keygen': 'openssh-client',
    'nc': 'netcat-openbsd',
    'ping': 'iputils-ping',             # lab/ecmplab_lib/netns.py keeps quiet links awake
    'sysctl': 'procps',                 # ip netns exec ... sysctl
    'rsync': 'rsync',                   # tests/sanity/run.sh
    'git': 'git',                       # tests/sanity/run.sh
    'ip': 'iproute2',
    'modprobe': 'kmod',                 # preflight host tests (modprobe --dry-run)
    'keepalived': 'keepalived',         # keepalived --config-test of rendered configs
    'nft': 'nftables',                  # nft -c -f of the rendered firewall-mark table (tests/unit/roles)
    'iptables-legacy-restore': 'iptables',  # --test of the iptables-legacy firewall-mark chain (tests/unit/roles)
    'ipvsadm': 'ipvsadm',
    'vtysh': 'frr',                     # frr.conf validation, preflight host tests
    '/usr/lib/frr/zebra': 'frr',        # preflight reads the FRR version from it
    '/usr/lib/frr/ospfd': 'frr',        # two real ospfd in namespaces (ospf_md5_keys host test)
    '/usr/bin/vtysh': 'frr',
    '/usr/lib/frr/frr-reload.py': 'frr-pythontools',  # preflight: `systemctl reload frr` needs it
    'promtool': 'prometheus',           # alert rules and metric text (tests/unit/test_prometheus.py)
    'bird': 'bird2',                    # the BIRD router examples (tests/unit/test_bird_examples.py)
    'readelf': 'binutils',              # lab/image/build.sh: a release's own UML kernel and what it links
    'gcc': 'gcc',                       # lab/ecmplab_lib/uml.py builds lab/uml/xstate_shim.c (needs libc6-dev too)
    'shellcheck': 'shellcheck',         # ansible-test sanity (make sanity): its shellcheck test is skipped without it
    'systemd-analyze': 'systemd',       # verify of the router's frr.service drop-in (tests/unit/roles)
}

# Programs of packages every Debian system has (Essential: yes, or required by apt/dpkg themselves); checked
# against dpkg below like HOST_PROGRAMS, and the package must be Essential or of Priority required.
BASE_PROGRAMS = {
    'bash': 'bash', 'sh': 'dash',
    'tar': 'tar', 'rm': 'coreutils', 'du': 'coreutils', 'cp': 'coreutils', 'mkdir': 'coreutils',
    'chroot': 'coreutils', 'paste': 'coreutils', 'ls': 'coreutils', 'basename': 'coreutils', 'dirname': 'coreutils', 'date': 'coreutils', 'true': 'coreutils',
    'head': 'coreutils', 'tail': 'coreutils', 'cut': 'coreutils', 'tr': 'coreutils', 'sleep': 'coreutils', 'timeout': 'coreutils', 'touch': 'coreutils',
    'mktemp': 'coreutils', 'tee': 'coreutils', 'find': 'findutils', 'diff': 'diffutils',
    'grep': 'grep', 'sed': 'sed', 'umount': 'mount', 'unshare': 'util-linux', 'nsenter': 'util-linux',
    'dpkg': 'dpkg', 'dpkg-query': 'dpkg', 'apt-get': 'apt',
    'python3': None,  # the interpreter that runs the tests (not necessarily Debian's)
    'make': None,     # .ci/run installs it before anything else
}

# Programs that are not on the controller: they run in lab guests (through ssh / testinfra), inside the chroot of
# the image build, or are project scripts. Named here so the scan below stays exact.
NOT_HOST_PROGRAMS = {
    'depmod',        # runs inside the image tree (chroot), from the image's kmod
    'ecmp-lvs-announce',
    '/sbin/init',    # the CMD of the lab's podman containers
    '/usr/lib/frr/frrinit.sh',  # the router's frr.service ExecStop, compared (not run) by test_frr_daemons_template
}

# Controller-side code: what `make lab/test/bench/safety` runs on this machine. Guest-side code
# (benchmarks/guest/) runs inside lab hosts and is left out.
SCAN_PY = ['lab', 'benchmarks', 'tests', 'molecule', 'plugins', 'roles']
SCAN_SH = ['lab/image/build.sh', 'tests/sanity/run.sh', 'tests/changelog/render.sh', '.ci/run']
SKIP_DIRS = ('benchmarks/guest', 'tests/fixtures', 'tests/output')

RUNNERS = {'run', 'Popen', 'check_output', 'check_call', 'call', '_run'}
PROGRAM_PATH = re.compile(r'^/(?:usr/)?(?:s?bin|lib/frr|lib/uml)/[\w.+-]+$')
WORD = re.compile(r'^[a-z][\w.+-]*$')


def makefile_packages():
    """The words of APT_PACKAGES in the Makefile (continuation lines joined)."""
    with open(os.path.join(ROOT, 'Makefile'), encoding='utf-8') as fd:
        text = fd.read().replace('\\\n', ' ')
    match = re.search(r'^APT_PACKAGES\s*:?=\s*(.*)$', text, re.M)
    assert match, 'APT_PACKAGES not found in the Makefile'
    return set(match.group(1).split())


def _py_files():
    for top in SCAN_PY:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            rel = os.path.relpath(dirpath, ROOT)
            dirnames[:] = [d for d in dirnames if not os.path.join(rel, d).startswith(SKIP_DIRS)]
            for name in filenames:
                if name.endswith('.py'):
                    yield os.path.join(dirpath, name)
    yield os.path.join(ROOT, 'lab', 'ecmplab')


def _string(node, constants):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    return None


def _argv_programs(elts, constants):
    """Programs of an argv list: its first word, and the program after `ip netns exec NS` / `nsenter ... --`."""
    words = [_string(e, constants) for e in elts]
    found = []
    if words and words[0]:
        found.append(words[0])
    if words[:3] == ['ip', 'netns', 'exec'] and len(words) > 4 and words[4]:
        found.append(words[4])
    if words and words[0] == 'nsenter' and '--' in words:
        after = words[words.index('--') + 1:]
        if after and after[0]:
            found.append(after[0])
    return found


def scan_python(path):
    """{program: [where]} run by one Python file."""
    with open(path, encoding='utf-8') as fd:
        tree = ast.parse(fd.read(), path)
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _string(node.value, {})
            if value is not None:
                constants[node.targets[0].id] = value
    found = {}
    rel = os.path.relpath(path, ROOT)
    for node in ast.walk(tree):
        programs = []
        if isinstance(node, ast.Call):
            name = getattr(node.func, 'attr', None) or getattr(node.func, 'id', None)
            if name in RUNNERS and node.args and isinstance(node.args[0], (ast.List, ast.Tuple)):
                programs = _argv_programs(node.args[0].elts, constants)
            elif name == 'which' and node.args:
                programs = [_string(node.args[0], constants)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and PROGRAM_PATH.match(node.value):
            programs = [node.value]
        for program in programs:
            if program and (WORD.match(program) or PROGRAM_PATH.match(program)):
                found.setdefault(program, []).append('%s:%d' % (rel, node.lineno))
    return found


SH_COMMAND = re.compile(r'(?:^|[;|&(]|\bthen\b|\bdo\b|\$\()\s*([a-z][\w.+-]*)(?=\s)')
SH_KEYWORDS = {'if', 'then', 'else', 'elif', 'fi', 'for', 'do', 'done', 'while', 'case', 'esac', 'in', 'set',
               'trap', 'exec', 'export', 'local', 'echo', 'cd', 'true', 'false', 'exit', 'command', 'return',
               'printf', 'read', 'shift', 'test', 'continue', 'break'}
QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')
SUBSTITUTION = re.compile(r'\$\((?:[^()]|\([^()]*\))*\)')


def unquote_shell(code):
    """A line of shell with its quoted text blanked: only the command substitutions in double quotes stay (words
    in an echo's message are not commands; `$(date +%s)` in one is)."""
    def keep(match):
        text = match.group(0)
        return '"" ' + ' '.join(SUBSTITUTION.findall(text)) + ' ' if text.startswith('"') else "''"
    return QUOTED.sub(keep, code)


def scan_shell(path):
    """{program: [where]} of the command words of a shell script (comments and the chroot's script left out)."""
    found = {}
    rel = os.path.relpath(path, ROOT)
    in_chroot = False
    with open(path, encoding='utf-8') as fd:
        lines = fd.readlines()
    functions = set(re.findall(r'^\s*([a-z_][\w]*)\s*\(\)\s*\{', ''.join(lines), re.M))
    for lineno, line in enumerate(lines, 1):
        code = line.split('#', 1)[0] if not line.lstrip().startswith('#!') else ''
        if re.search(r"\bchroot\b.*-ec\s+'$", code.rstrip()):
            in_chroot = True  # the quoted script runs inside the image tree, not on the controller
            found.setdefault('chroot', []).append('%s:%d' % (rel, lineno))
            continue
        if in_chroot:
            in_chroot = not code.strip().startswith("'")
            continue
        for word in SH_COMMAND.findall(unquote_shell(code)):
            if word not in SH_KEYWORDS and word not in functions:
                found.setdefault(word, []).append('%s:%d' % (rel, lineno))
        if re.search(r'\bchroot\s+"\$tree"\s+(\S+)', code):
            # `chroot "$tree" depmod ...`: the program after the tree runs inside the image
            found.setdefault(re.search(r'\bchroot\s+"\$tree"\s+(\S+)', code).group(1), []).append(
                '%s:%d (in the image)' % (rel, lineno))
    return found


def scanned_programs():
    found = {}
    for path in _py_files():
        for program, where in scan_python(path).items():
            found.setdefault(program, []).extend(where)
    for rel in SCAN_SH:
        for program, where in scan_shell(os.path.join(ROOT, rel)).items():
            found.setdefault(program, []).extend(where)
    return found


def test_every_host_program_package_is_in_the_makefile():
    """The guard of issue 11: each package of HOST_PROGRAMS is installed by `make deps` (APT_PACKAGES)."""
    listed = makefile_packages()
    missing = sorted('%s (for %s)' % (pkg, prog) for prog, pkg in HOST_PROGRAMS.items() if pkg not in listed)
    assert not missing, 'Debian packages the controller needs but the Makefile does not install: %s' % missing


def test_every_program_the_code_runs_is_mapped():
    """A program run by the controller-side code must be in HOST_PROGRAMS, BASE_PROGRAMS or NOT_HOST_PROGRAMS."""
    known = set(HOST_PROGRAMS) | set(BASE_PROGRAMS) | NOT_HOST_PROGRAMS
    found = scanned_programs()
    unknown = {}
    for program, where in found.items():
        if program in known:
            continue
        if program.startswith('/') and os.path.basename(program) in known:
            continue
        if program.startswith(('/etc/', '/proc/', '/sys/', '/run/', '/var/')):
            continue
        unknown[program] = where[:3]
    assert not unknown, ('programs run by the controller-side code but not mapped to a Debian package in %s '
                         '(add them to HOST_PROGRAMS and the package to APT_PACKAGES): %s' % (__file__, unknown))


def test_scanner_finds_the_programs_it_must():
    """The scan is not empty by accident: the well-known users are found where they are."""
    found = scanned_programs()
    for program in ('linux.uml', 'uml_mconsole', 'podman', 'debootstrap', 'mkfs.ext4', 'ssh-keygen', 'vtysh',
                    'keepalived', 'ip', 'rsync', '/usr/lib/frr/zebra'):
        assert program in found, program
    assert any(p.endswith('frr-reload.py') for p in found) or 'frr-reload.py' in open(
        os.path.join(ROOT, 'plugins', 'module_utils', 'preflight.py'), encoding='utf-8').read()


def _dpkg_owner(path):
    """The package dpkg names for `path` (tries the path, its realpath and the merged-/usr twin), or None."""
    candidates = [path, os.path.realpath(path)]
    for prefix, twin in (('/usr/bin/', '/bin/'), ('/usr/sbin/', '/sbin/'), ('/bin/', '/usr/bin/'),
                         ('/sbin/', '/usr/sbin/')):
        candidates.extend(c.replace(prefix, twin, 1) for c in list(candidates) if c.startswith(prefix))
    for candidate in candidates:
        res = subprocess.run(['dpkg-query', '-S', candidate], capture_output=True, text=True, check=False)
        if res.returncode == 0:
            return sorted(set(p.strip().split(':')[0] for line in res.stdout.splitlines()
                              for p in line.rsplit(': ', 1)[0].split(',')))
    return None


def _resolve(program):
    return program if program.startswith('/') else shutil.which(program, path=os.environ.get('PATH', '') +
                                                                ':/usr/sbin:/sbin')


needs_dpkg = pytest.mark.skipif(not shutil.which('dpkg-query'),
                                reason='not a Debian system: the package table is checked where dpkg exists')


@needs_dpkg
@pytest.mark.parametrize('program', sorted(HOST_PROGRAMS))
def test_host_program_is_installed_from_its_package(program):
    """Under `make test` (after `make deps`) every host program is there, and dpkg agrees on its package."""
    path = _resolve(program)
    assert path and os.path.exists(path), '%s is not installed: `make deps` should have installed package %s' % (
        program, HOST_PROGRAMS[program])
    owners = _dpkg_owner(path)
    assert owners and HOST_PROGRAMS[program] in owners, '%s (%s) belongs to %s, the table says %s' % (
        program, path, owners, HOST_PROGRAMS[program])


@needs_dpkg
@pytest.mark.parametrize('program', sorted(p for p, pkg in BASE_PROGRAMS.items() if pkg))
def test_base_program_comes_from_an_essential_package(program):
    path = _resolve(program)
    assert path, program
    owners = _dpkg_owner(path)
    assert owners and BASE_PROGRAMS[program] in owners, (program, path, owners)
    res = subprocess.run(['dpkg-query', '-W', '-f', '${Essential} ${Priority}', BASE_PROGRAMS[program]],
                         capture_output=True, text=True, check=True)
    assert res.stdout.split()[0] == 'yes' or 'required' in res.stdout.split(), (
        '%s: package %s is not Essential/required (%s): add it to APT_PACKAGES and HOST_PROGRAMS' % (
            program, BASE_PROGRAMS[program], res.stdout))


def test_shell_scan_skips_quoted_text_but_not_substitutions(tmp_path):
    script = tmp_path / 'run'
    script.write_text('#!/bin/bash\n'
                      'for f in a b; do\n'
                      '  [ -f "$f" ] || continue\n'
                      '  echo "failed tests ($f; evidence next to it):"\n'
                      "  echo 'nothing; rsync here'\n"
                      '  tail -n 8 "$f" | cut -c1-600\n'
                      'done\n'
                      'echo "done in $(( $(date +%s) - start ))s; $(hostname -f)"\n')
    found = scan_shell(str(script))
    assert sorted(found) == ['cut', 'date', 'hostname', 'tail'], found
