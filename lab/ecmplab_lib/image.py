# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab image: one debootstrap tree per Debian release -> a podman image and a User-Mode Linux ext4 base image.

Each is named `<release>-<hash>`, the hash covering the recipe (lab/image/**), the release and the UML kernel
version, so changing the recipe builds a new image and a running lab's base image never changes under its
copy-on-write disks. The release comes from each host's `lab_release` (bookworm by default). A guest of the
host's own release boots the host's UML kernel (its modules are copied into the tree); a guest of another release
boots that release's own UML kernel (bookworm 6.1, trixie 6.12), taken from its package with the loader and C
library it was linked against (`kernel` below: the host's C library may be too old for it; uml.py runs it in a
mount namespace of its own in which /lib64 holds them).
"""

import fcntl
import glob
import hashlib
import json
import os
import shutil
import time

from .util import ROOT, LabError, log, run, safe_rmtree

RECIPE_DIR = os.path.join(ROOT, 'lab', 'image')
UML_MODULES = '/usr/lib/uml/modules'
IMAGE_REPO = 'localhost/ecmp-lvs-lab'
# Debian releases a lab host may run (inventory `lab_release`), the first one is the default
RELEASES = ('bookworm', 'trixie')
DEFAULT_RELEASE = RELEASES[0]


def cache_dir():
    path = os.environ.get('ECMPLAB_CACHE') or '/var/cache/ecmp-lvs'
    os.makedirs(path, exist_ok=True)
    return path


def uml_kernel_version():
    versions = sorted(os.listdir(UML_MODULES)) if os.path.isdir(UML_MODULES) else []
    return versions[-1] if versions else 'none'


def host_release(os_release='/etc/os-release'):
    """The Debian release (VERSION_CODENAME) of the machine that runs the lab, '' when unknown."""
    try:
        with open(os_release, encoding='utf-8') as fd:
            for line in fd:
                if line.startswith('VERSION_CODENAME='):
                    return line.split('=', 1)[1].strip().strip('"')
    except OSError:
        pass
    return ''


def own_kernel(release, os_release='/etc/os-release'):
    """True when guests of `release` boot that release's UML kernel (not the host's): every release but the
    host's own."""
    return check_release(release) != host_release(os_release)


def kernel_marker(release):
    """What the image hash says about the kernel: the host's kernel version, or that the release brings its own."""
    return 'own-kernel' if own_kernel(release) else uml_kernel_version()


def check_release(release):
    """`release` when the lab can build it, else LabError naming the accepted ones."""
    if release not in RELEASES:
        raise LabError('lab_release %r is not accepted: one of %s' % (release, ', '.join(RELEASES)))
    return release


def recipe_hash(release=DEFAULT_RELEASE):
    check_release(release)
    digest = hashlib.sha256()
    digest.update(b'release=' + release.encode() + b'\0')
    for dirpath, dirnames, filenames in os.walk(RECIPE_DIR):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            digest.update(os.path.relpath(path, RECIPE_DIR).encode() + b'\0')
            digest.update(str(os.stat(path).st_mode & 0o777).encode() + b'\0')
            with open(path, 'rb') as fd:
                digest.update(fd.read() + b'\0')
    digest.update(kernel_marker(release).encode())
    return digest.hexdigest()[:12]


def paths(release=DEFAULT_RELEASE):
    tag = '%s-%s' % (release, recipe_hash(release))
    base = cache_dir()
    return {
        'tag': tag,
        'release': release,
        'podman': '%s:%s' % (IMAGE_REPO, tag),
        'tar': os.path.join(base, 'rootfs-%s.tar' % tag),
        'uml': os.path.join(base, 'uml-%s.img' % tag),
        'tree': os.path.join(base, 'tree-%s' % tag),
        # the release's own UML kernel (own_kernel): linux.uml, its loader and libraries in lib/, the version
        'kernel': os.path.join(base, 'kernel-%s' % tag) if own_kernel(release) else None,
        'debs': os.path.join(base, 'debs'),
        'lock': os.path.join(base, 'build.lock'),
    }


def host_mirror(etc='/etc/apt'):
    """The Debian mirror URL of the host's apt sources (first main archive, not security). The same archive
    serves every release of RELEASES (debootstrap is given the suite)."""
    candidates = []
    for path in [os.path.join(etc, 'sources.list')] + sorted(glob.glob(os.path.join(etc, 'sources.list.d', '*.list'))):
        if not os.path.exists(path):
            continue
        with open(path, encoding='utf-8', errors='replace') as fd:
            for line in fd:
                words = line.split('#', 1)[0].split()
                if len(words) >= 3 and words[0] == 'deb':
                    words = [w for w in words[1:] if not w.startswith('[')]
                    candidates.append((words[0], words[1]))
    for path in sorted(glob.glob(os.path.join(etc, 'sources.list.d', '*.sources'))):
        with open(path, encoding='utf-8', errors='replace') as fd:
            for stanza in fd.read().split('\n\n'):
                fields = {}
                for line in stanza.splitlines():
                    if ':' in line and not line.startswith(('#', ' ')):
                        key, value = line.split(':', 1)
                        fields[key.strip().lower()] = value.split()
                if 'deb' in fields.get('types', []) and fields.get('enabled', ['yes'])[0] != 'no':
                    for uri in fields.get('uris', []):
                        for suite in fields.get('suites', []):
                            candidates.append((uri, suite))
    for uri, suite in candidates:
        if suite.split('-', 1)[0] in RELEASES + ('stable', 'oldstable') and suite.split('-', 1)[-1] not in (
                'security', 'updates', 'backports') and 'security' not in uri:
            return uri
    raise LabError('no Debian mirror (%s) found in the host apt sources' % ' or '.join(RELEASES))


def podman_image_exists(tag):
    return run(['podman', 'image', 'exists', tag], check=False).returncode == 0


def ensure_all(backend, releases, force=False):
    """ensure() for every release of `releases`: {release: paths(release)}."""
    return {release: ensure(backend, release, force) for release in sorted(set(releases))}


def _tree_missing(p, backend):
    """The root tree must be built: no tar yet, or (uml) the release's own kernel is incomplete (build.sh writes its
    version file last)."""
    missing_kernel = p['kernel'] is not None and backend in ('uml', 'both') and not os.path.exists(
        os.path.join(p['kernel'], 'version'))
    return not os.path.exists(p['tar']) or missing_kernel


def ensure(backend, release=DEFAULT_RELEASE, force=False):
    """Make sure the image of `release` for `backend` (uml|podman|both) exists; return paths(release)."""
    p = paths(release)
    need_tree = force or _tree_missing(p, backend)
    need_uml = backend in ('uml', 'both') and (force or not os.path.exists(p['uml']))
    need_podman = backend in ('podman', 'both') and (force or not podman_image_exists(p['podman']))
    if not (need_tree or need_uml or need_podman):
        return p
    with open(p['lock'], 'w', encoding='utf-8') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        start = time.monotonic()
        if force or _tree_missing(p, backend):  # again under the lock: another build may have made it
            mirror = host_mirror()
            log('building the lab root tree %s (debootstrap %s, a few minutes)' % (p['tag'], release))
            if p['kernel']:
                safe_rmtree(p['kernel'], cache_dir())
            run(['bash', os.path.join(RECIPE_DIR, 'build.sh'), p['tree'], mirror, p['debs'],
                 'own' if p['kernel'] else uml_kernel_version(), release] + ([p['kernel']] if p['kernel'] else []),
                capture=False)
            tmp = p['tar'] + '.tmp'
            run(['tar', '--numeric-owner', '--xattrs', '-C', p['tree'], '-cf', tmp, '.'])
            os.rename(tmp, p['tar'])
        if backend in ('uml', 'both') and (force or not os.path.exists(p['uml'])):
            build_uml(p)
        if backend in ('podman', 'both') and (force or not podman_image_exists(p['podman'])):
            log('importing podman image %s' % p['podman'])
            run(['podman', 'import', '--change', 'CMD=["/sbin/init"]', p['tar'], p['podman']])
        if os.path.isdir(p['tree']):
            run(['rm', '-rf', '--one-file-system', p['tree']])
        log('image %s ready in %.1f s' % (p['tag'], time.monotonic() - start))
        prune(p['tag'])
    return p


def of_host(images, host, legacy=None):
    """What `up` recorded for `host`'s lab_release in `images` ({release: base image or podman image}); `legacy`:
    the single image a lab started by the tool of one release recorded."""
    if not images and legacy:
        return legacy
    if host.release not in (images or {}):
        raise LabError('%s: no %s image in this lab (it was started with %s): `down` and `up` again'
                       % (host.name, host.release, ', '.join(sorted(images or {})) or 'none'))
    return images[host.release]


def tag_of(path):
    """The image tag in a cache file name: rootfs-<tag>.tar, uml-<tag>.img -> <tag> (<release>-<hash>)."""
    return os.path.basename(path).split('-', 1)[1].split('.', 1)[0]


def images_of_running_guests():
    """Image tags whose UML base a running guest reads (labs of other checkouts have other state roots)."""
    tags = set()
    for cmdline in glob.glob('/proc/[0-9]*/cmdline'):
        try:
            with open(cmdline, 'rb') as fd:
                words = fd.read().decode('utf-8', 'replace').split('\0')
        except OSError:
            continue
        for word in words:
            if word.startswith('ubd') and os.path.join(cache_dir(), 'uml-') in word:
                tags.add(word.rsplit('uml-', 1)[1].split('.', 1)[0])
    return tags


def prune(keep):
    """Drop images of older recipes that no lab on this machine still uses (their base must not vanish); the
    current recipe of every release is kept."""
    state_root = os.environ.get('ECMPLAB_STATE_ROOT') or os.path.join(ROOT, '.lab')
    used = {keep} | {'%s-%s' % (r, recipe_hash(r)) for r in RELEASES}
    for path in glob.glob(os.path.join(state_root, '*', 'state.json')):
        try:
            with open(path, encoding='utf-8') as fd:
                data = json.load(fd)
        except (OSError, ValueError):
            continue
        used.add(data.get('image'))
        used.update((data.get('images') or {}).values())
    used |= images_of_running_guests()
    for path in glob.glob(os.path.join(cache_dir(), 'rootfs-*.tar')) + glob.glob(os.path.join(cache_dir(), 'uml-*.img')):
        if tag_of(path) not in used:
            log('removing %s (old recipe)' % path)
            os.unlink(path)
    for path in glob.glob(os.path.join(cache_dir(), 'kernel-*')):
        if os.path.basename(path).split('-', 1)[1] not in used:
            log('removing %s (old recipe)' % path)
            safe_rmtree(path, cache_dir())
    if not shutil.which('podman'):
        return
    res = run(['podman', 'images', '--format', '{{.Repository}}:{{.Tag}}', IMAGE_REPO], check=False)
    for ref in res.stdout.split() if res.returncode == 0 else []:
        if ref.rsplit(':', 1)[-1] not in used:
            run(['podman', 'rmi', ref], check=False)


def build_uml(p):
    tree = p['tree']
    if not os.path.isdir(tree):
        os.makedirs(tree)
        run(['tar', '--numeric-owner', '-C', tree, '-xf', p['tar']])
    used_mb = int(run(['du', '-sm', tree]).stdout.split()[0])
    size_mb = used_mb + max(used_mb // 2, 512)
    tmp = p['uml'] + '.tmp'
    if os.path.exists(tmp):
        os.unlink(tmp)
    log('making the UML base image (%d MiB ext4, sparse)' % size_mb)
    run(['mkfs.ext4', '-q', '-F', '-L', 'labroot', '-d', tree, tmp, '%dM' % size_mb])
    os.chmod(tmp, 0o444)  # copy-on-write disks point at it: it must never change
    os.rename(tmp, p['uml'])


def kernel_of(kernel_dir):
    """(linux.uml, its library directory, its version) of a release's own kernel made by build.sh."""
    with open(os.path.join(kernel_dir, 'version'), encoding='ascii') as fd:
        version = fd.read().strip()
    return os.path.join(kernel_dir, 'linux.uml'), os.path.join(kernel_dir, 'lib'), version
