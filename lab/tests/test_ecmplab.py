# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the lab tool's pure parts: inventory -> lab model, apt mirror discovery.
Run: .venv/bin/python -m pytest lab/tests"""

import os

import pytest

from ecmplab_lib import image, inventory
from ecmplab_lib.util import LabError

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def _data(**over):
    hostvars = {
        'router1': {'ansible_host': '10.99.255.2',
                    'lab_links': [{'segment': 'fabric', 'address': '10.99.0.1/24'},
                                  {'segment': 'client', 'address': '10.99.1.1/24'}]},
        'director1': {'ansible_host': '10.99.255.11', 'lab_gateway': '10.99.0.1',
                      'lab_links': [{'segment': 'fabric', 'address': '10.99.0.11/24'}]},
        'client1': {'ansible_host': '10.99.255.10', 'lab_gateway': '10.99.1.1',
                    'lab_links': [{'segment': 'client', 'address': '10.99.1.10/24'}]},
    }
    for host in hostvars.values():
        host.update({'lab_mgmt_network': '10.99.255.0/24', 'lvs_services': [{'vip': '10.99.100.10'}]})
        host.update(over)
    return {'_meta': {'hostvars': hostvars}, 'all': {'children': ['routers', 'directors', 'ungrouped']},
            'routers': {'hosts': ['router1']}, 'directors': {'hosts': ['director1']}, 'ungrouped': {'hosts': ['client1']}}


def test_lab_model():
    lab = inventory.Lab('t', 'inv', _data())
    assert [h.name for h in lab.hosts] == ['client1', 'director1', 'router1']
    assert str(lab.range) == '10.99.0.0/16'
    assert str(lab.mgmt_gw) == '10.99.255.1'
    assert lab.segments == ['client', 'fabric']
    assert lab.bridge(None) == 'mgmt' and lab.bridge('fabric') == 'br1-fabric'
    assert [h.name for h in lab.group('directors')] == ['director1']
    assert [h.name for h in lab.group('all')] == ['client1', 'director1', 'router1']
    router = lab.host('router1')
    assert router.cmdline_words(24, 'ssh-ed25519 AAAAkey comment') == [
        'lab.host=router1', 'lab.eth0=10.99.255.2/24', 'lab.eth1=10.99.0.1/24', 'lab.eth2=10.99.1.1/24',
        'lab.key=ssh-ed25519,AAAAkey']
    assert router.mac(2) == '02:ec:00:03:02:01'
    assert len({h.mac(i) for h in lab.hosts for i in range(3)}) == 9


def test_a_gateway_list_is_one_multipath_default_route():
    """lab_gateway: [A, B] (a client behind two routers) -> lab.gw=A,B: lab-net installs one default route with a
    nexthop per gateway."""
    data = _data()
    data['_meta']['hostvars']['client1']['lab_gateway'] = ['10.99.1.1', '10.99.1.2']
    client = inventory.Lab('t', 'inv', data).host('client1')
    assert [str(gw) for gw in client.gateways] == ['10.99.1.1', '10.99.1.2']
    assert 'lab.gw=10.99.1.1,10.99.1.2' in client.cmdline_words(24, 'ssh-ed25519 AAAAkey comment')
    assert 'lab.gw=10.99.0.1' in inventory.Lab('t', 'inv', _data()).host('director1').cmdline_words(24, 'k b')
    for bad, message in ((['10.99.1.1', '10.99.1.1'], 'twice'), (['10.99.1.1', 'router1'], r'lab_gateway\[1\]')):
        data['_meta']['hostvars']['client1']['lab_gateway'] = bad
        with pytest.raises(LabError, match=message):
            inventory.Lab('t', 'inv', data)
    with open(os.path.join(ROOT, 'lab', 'image', 'overlay', 'usr', 'local', 'sbin', 'lab-net'), encoding='utf-8') as handle:
        assert 'nexthop via $hop' in handle.read()


def test_ipv6_link_addresses_and_gateway():
    """lab_links[].address6 and lab_gateway6: the IPv6 address beside the IPv4 one on the same ethN word, the
    IPv6 default route in lab.gw6; lab_range stays the IPv4 span (an IPv6 VIP does not take part)."""
    data = _data(lvs_services=[{'vip': '10.99.100.10'}, {'vip': '2001:db8:100::10'}])
    hv = data['_meta']['hostvars']
    hv['director1'].update(lab_links=[{'segment': 'fabric', 'address': '10.99.0.11/24',
                                       'address6': '2001:db8:99::11/64'}], lab_gateway6='2001:db8:99::1')
    lab = inventory.Lab('t', 'inv', data)
    assert str(lab.range) == '10.99.0.0/16' and lab.vips4 == ['10.99.100.10']
    words = lab.host('director1').cmdline_words(24, 'k b')
    assert 'lab.eth1=10.99.0.11/24,2001:db8:99::11/64' in words and 'lab.gw6=2001:db8:99::1' in words
    assert not any(w.startswith('lab.gw6') for w in lab.host('router1').cmdline_words(24, 'k b'))
    for link, gateway6, message in (
            ({'address6': 'fe80::11/64'}, None, r'address6: fe80::11/64 is not a global IPv6'),
            ({'address6': '10.99.9.11/24'}, None, r'address6: 10.99.9.11/24 is not a global IPv6'),
            ({'address': '2001:db8:99::11/64'}, None, r'lab_links\[0\].address: 2001:db8:99::11/64 is not IPv4'),
            ({}, '10.99.0.1', r'lab_gateway6: 10.99.0.1 is not IPv6'),
            ({}, ['2001:db8:99::1', '2001:db8:99::1'], 'lab_gateway6 names an address twice')):
        hv['director1']['lab_links'] = [dict({'segment': 'fabric', 'address': '10.99.0.11/24'}, **link)]
        hv['director1']['lab_gateway6'] = gateway6
        with pytest.raises(LabError, match=message):
            inventory.Lab('t', 'inv', data)


def test_lab_range_override_and_errors():
    assert str(inventory.Lab('t', 'inv', _data(lab_range='10.0.0.0/8')).range) == '10.0.0.0/8'
    bad = _data()
    bad['_meta']['hostvars']['client1']['ansible_host'] = '10.99.255.1'  # the lab's own end of mgmt
    with pytest.raises(LabError):
        inventory.Lab('t', 'inv', bad)
    bad = _data()
    bad['_meta']['hostvars']['client1']['lab_links'] = [{'segment': 'client'}]
    with pytest.raises(LabError, match='lab_links'):
        inventory.Lab('t', 'inv', bad)


def test_default_lab_inventory():
    """The shipped inventories/lab, through ansible-inventory (group_vars included)."""
    lab = inventory.load(os.path.join(ROOT, 'inventories', 'lab'), 't')
    assert [h.name for h in lab.hosts] == ['client1', 'director1', 'director2', 'router1', 'rs1', 'rs2']
    assert str(lab.range) == '10.99.0.0/16' and lab.vips == ['10.99.100.10', '2001:db8:100::10']
    assert [h.name for h in lab.group('clients')] == ['client1']
    assert all(h.gateways and h.gateways6 for h in lab.hosts if h.name != 'router1')
    # the link-local address of a director's fabric link, as the UML guest's kernel made it (`ip -6 address`, and the
    # router's OSPFv3 nexthop: tests/fixtures/iproute/route_get_multipath_l4_ipv6.txt)
    director1 = lab.hosts[1]
    assert director1.mac(1) == '02:ec:00:02:01:01' and director1.link_local6(1) == 'fe80::ec:ff:fe02:101'
    assert director1.link_addresses() == ['10.99.0.11', '2001:db8:99::11', 'fe80::ec:ff:fe02:101']
    # host key checking is off for the lab through its inventory (ansible.cfg keeps it on everywhere else)
    assert all(h.vars['ansible_host_key_checking'] is False for h in lab.hosts)


def test_host_mirror(tmp_path):
    (tmp_path / 'sources.list.d').mkdir()
    (tmp_path / 'sources.list.d' / 'debian.sources').write_text(
        'Types: deb\nURIs: http://mirror.invalid/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n'
        'Types: deb\nURIs: http://mirror.invalid/debian-security\nSuites: bookworm-security\nComponents: main\n')
    assert image.host_mirror(str(tmp_path)) == 'http://mirror.invalid/debian'
    (tmp_path / 'sources.list').write_text('deb [arch=amd64] http://other.invalid/debian bookworm main\n')
    assert image.host_mirror(str(tmp_path)) == 'http://other.invalid/debian'
    (tmp_path / 'sources.list').write_text('deb http://trixie.invalid/debian trixie main\n')
    assert image.host_mirror(str(tmp_path)) == 'http://trixie.invalid/debian'  # a Debian 13 host
    (tmp_path / 'sources.list').write_text('deb http://x.invalid/debian trixie-updates main\n')
    (tmp_path / 'sources.list.d' / 'debian.sources').unlink()
    with pytest.raises(LabError, match='no Debian mirror'):
        image.host_mirror(str(tmp_path))
    (tmp_path / 'sources.list').write_text('# nothing\n')
    (tmp_path / 'sources.list.d' / 'debian.sources').write_text('Types: deb-src\nURIs: http://x.invalid\nSuites: bookworm\n')
    with pytest.raises(LabError):
        image.host_mirror(str(tmp_path))


def test_mitogen_env():
    """mitogen_linear (requirements.txt installs mitogen) unless switched off or another strategy is chosen."""
    env = inventory.mitogen_env({})
    assert env['ANSIBLE_STRATEGY'] == 'mitogen_linear'
    assert os.path.exists(os.path.join(env['ANSIBLE_STRATEGY_PLUGINS'], 'mitogen_linear.py'))
    assert inventory.mitogen_env({'ECMP_LVS_MITOGEN': '0'}) == {}
    assert inventory.mitogen_env({'ANSIBLE_STRATEGY': 'free'}) == {}
    full = inventory.ansible_env(ECMPLAB_NAME='x')
    assert full['ANSIBLE_CONFIG'] == os.path.join(ROOT, 'ansible.cfg') and full['ECMPLAB_NAME'] == 'x'


def test_ansible_venv_chosen(tmp_path):
    """ECMPLAB_ANSIBLE_VENV (make core-matrix) picks the ansible the lab runs, and that venv's mitogen or none."""
    venv = tmp_path / 'core'
    (venv / 'bin').mkdir(parents=True)
    (venv / 'bin' / 'ansible-playbook').write_text('')
    env = {'ECMPLAB_ANSIBLE_VENV': str(venv)}
    assert inventory.ansible_bin('ansible-playbook', env) == str(venv / 'bin' / 'ansible-playbook')
    with pytest.raises(LabError, match=r'ECMPLAB_ANSIBLE_VENV=.*core has no bin/ansible-doc'):
        inventory.ansible_bin('ansible-doc', env)
    assert inventory.mitogen_env(env) == {}  # no mitogen in that venv: plain linear, not the .venv's mitogen
    strategies = venv / 'lib' / 'python3.11' / 'site-packages' / 'ansible_mitogen' / 'plugins' / 'strategy'
    strategies.mkdir(parents=True)
    (strategies / 'mitogen_linear.py').write_text('')
    assert inventory.mitogen_env(env) == {'ANSIBLE_STRATEGY_PLUGINS': str(strategies),
                                          'ANSIBLE_STRATEGY': 'mitogen_linear'}
    assert inventory.ansible_bin('ansible-playbook', {}) == os.path.join(ROOT, '.venv', 'bin', 'ansible-playbook')


def test_lab_release_per_host():
    """lab_release picks each host's image (bookworm by default); anything else stops the tool naming the host."""
    data = _data()
    data['_meta']['hostvars']['director1']['lab_release'] = 'trixie'
    lab = inventory.Lab('t', 'inv', data)
    assert {h.name: h.release for h in lab.hosts} == {'client1': 'bookworm', 'director1': 'trixie',
                                                      'router1': 'bookworm'}
    assert lab.releases == ['bookworm', 'trixie']
    assert inventory.Lab('t', 'inv', _data()).releases == ['bookworm']
    data['_meta']['hostvars']['director1']['lab_release'] = 'bullseye'
    with pytest.raises(LabError, match=r"director1: lab_release 'bullseye' is not accepted: one of bookworm, trixie"):
        inventory.Lab('t', 'inv', data)


def test_mixed_lab_inventory():
    """inventories/lab-mixed: directors on Debian 12 and 13 at once."""
    lab = inventory.load(os.path.join(ROOT, 'inventories', 'lab-mixed'), 't')
    assert {h.name: h.release for h in lab.hosts} == {'client1': 'trixie', 'director1': 'bookworm',
                                                      'director2': 'trixie', 'router1': 'bookworm', 'rs1': 'bookworm',
                                                      'rs2': 'trixie'}
    assert lab.releases == ['bookworm', 'trixie'] and lab.vips == ['10.99.100.10', '2001:db8:100::10']
    # the same topology as the default lab (the molecule scenario "mixed" runs the shared tests on it)
    default = inventory.load(os.path.join(ROOT, 'inventories', 'lab'), 't')
    assert [(h.name, str(h.mgmt), h.links) for h in lab.hosts] == [(h.name, str(h.mgmt), h.links) for h in default.hosts]


def test_trixie_lab_inventory():
    """inventories/lab-trixie: the default lab, every host on Debian 13 (the molecule scenario "trixie")."""
    lab = inventory.load(os.path.join(ROOT, 'inventories', 'lab-trixie'), 't')
    assert lab.releases == ['trixie'] and len(lab.hosts) == 6


def test_image_tag_names_the_release(tmp_path, monkeypatch):
    """One image per release: the tag is <release>-<hash> and the hash covers the release too."""
    monkeypatch.setenv('ECMPLAB_CACHE', str(tmp_path))
    bookworm, trixie = image.paths('bookworm'), image.paths('trixie')
    assert bookworm['tag'].startswith('bookworm-') and trixie['tag'].startswith('trixie-')
    assert bookworm['tag'].split('-', 1)[1] != trixie['tag'].split('-', 1)[1]
    assert image.paths() == bookworm  # the default release
    assert trixie['uml'] == str(tmp_path / ('uml-%s.img' % trixie['tag']))
    assert trixie['podman'] == 'localhost/ecmp-lvs-lab:%s' % trixie['tag']
    assert image.tag_of(trixie['uml']) == trixie['tag'] and image.tag_of(trixie['tar']) == trixie['tag']
    assert image.tag_of('/x/uml-e1ce777f99c9.img') == 'e1ce777f99c9'  # an image of the single-release recipe
    with pytest.raises(LabError, match='one of bookworm, trixie'):
        image.paths('bullseye')


def test_prune_keeps_every_release(tmp_path, monkeypatch):
    """A build prunes images of old recipes, never the current image of the other release nor one a lab uses."""
    monkeypatch.setenv('ECMPLAB_CACHE', str(tmp_path / 'cache'))
    monkeypatch.setenv('ECMPLAB_STATE_ROOT', str(tmp_path / 'state'))
    monkeypatch.setattr(image.shutil, 'which', lambda name: None)  # no podman
    monkeypatch.setattr(image, 'images_of_running_guests', set)
    current = {r: image.paths(r)['tag'] for r in image.RELEASES}
    used = tmp_path / 'state' / 'other'
    used.mkdir(parents=True)
    (used / 'state.json').write_text('{"image": "a b", "images": {"trixie": "trixie-0123456789ab"}}')
    names = ['uml-%s.img' % t for t in current.values()]
    names += ['uml-trixie-0123456789ab.img', 'uml-trixie-old.img', 'rootfs-e1ce777f99c9.tar']
    for name in names:
        (tmp_path / 'cache' / name).write_text('')
    image.prune(current['bookworm'])
    assert sorted(os.listdir(tmp_path / 'cache')) == sorted(names[:3])


def test_build_script_takes_the_suite():
    with open(os.path.join(ROOT, 'lab', 'image', 'build.sh'), encoding='utf-8') as fd:
        script = fd.read()
    assert 'suite=${5:-bookworm}' in script and '"$suite" "$tree" "$mirror"' in script
    for release in image.RELEASES:
        assert release in script


def test_image_of_host():
    lab = inventory.Lab('t', 'inv', _data(lab_release='trixie'))
    host = lab.host('router1')
    assert image.of_host({'bookworm': 'b.img', 'trixie': 't.img'}, host) == 't.img'
    assert image.of_host(None, host, 'single.img') == 'single.img'  # a lab started by a one-release tool
    with pytest.raises(LabError, match=r'router1: no trixie image in this lab \(it was started with bookworm\)'):
        image.of_host({'bookworm': 'b.img'}, host)


def test_a_release_other_than_the_hosts_boots_its_own_kernel(tmp_path, monkeypatch):
    """Guests of the host's release boot the host's linux.uml; another release's guests boot that release's kernel
    (its image hash says so, and its kernel directory is part of the image's paths)."""
    monkeypatch.setenv('ECMPLAB_CACHE', str(tmp_path))
    os_release = tmp_path / 'os-release'
    os_release.write_text('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\n')
    assert image.host_release(str(os_release)) == 'bookworm'
    assert not image.own_kernel('bookworm', str(os_release)) and image.own_kernel('trixie', str(os_release))
    os_release.write_text('VERSION_CODENAME="trixie"\n')
    assert image.own_kernel('bookworm', str(os_release)) and not image.own_kernel('trixie', str(os_release))
    assert image.host_release(str(tmp_path / 'missing')) == ''
    monkeypatch.setattr(image, 'host_release', lambda os_release=None: 'bookworm')
    trixie, bookworm = image.paths('trixie'), image.paths('bookworm')
    assert trixie['kernel'] == str(tmp_path / ('kernel-%s' % trixie['tag'])) and bookworm['kernel'] is None
    assert image.kernel_marker('trixie') == 'own-kernel'
    assert image.kernel_marker('bookworm') == image.uml_kernel_version()
    kernel = tmp_path / 'k'
    (kernel / 'lib').mkdir(parents=True)
    (kernel / 'version').write_text('6.12.113\n')
    assert image.kernel_of(str(kernel)) == (str(kernel / 'linux.uml'), str(kernel / 'lib'), '6.12.113')


def test_own_kernel_command_line(tmp_path):
    """The own kernel runs in a mount namespace whose /lib64 holds its loader and C library; the process is still
    linux.uml with the guest's arguments (is_guest reads them). Other hosts start the host's linux.uml."""
    from ecmplab_lib import uml  # pylint: disable=import-outside-toplevel

    class State:  # pylint: disable=too-few-public-methods
        dir = str(tmp_path)
        data = {'kernels': {'trixie': str(tmp_path / 'kernel-trixie-x')}}

    (tmp_path / 'kernel-trixie-x' / 'lib').mkdir(parents=True)
    (tmp_path / 'kernel-trixie-x' / 'version').write_text('6.12.113\n')
    lab = inventory.Lab('t', 'inv', _data(lab_release='trixie'))
    backend = uml.UmlBackend(lab, State())
    kernel_dir = tmp_path / 'kernel-trixie-x'
    assert backend.kernel_cmd(lab.host('router1')) == [
        'unshare', '--mount', '--propagation', 'private', 'sh', '-c',
        'mount --bind "$0" "$1" && shift && exec "$@"', str(kernel_dir / 'lib'), os.path.realpath('/lib64'),
        str(kernel_dir / 'linux.uml')]
    State.data = {'kernels': {}}
    assert backend.kernel_cmd(lab.host('router1')) == ['linux.uml']


def test_build_script_takes_its_own_kernel_out_of_the_tree():
    with open(os.path.join(ROOT, 'lab', 'image', 'build.sh'), encoding='utf-8') as fd:
        script = fd.read()
    assert 'kerneldir=${6:-}' in script and 'pkgs="$pkgs,user-mode-linux"' in script
    assert 'dpkg --purge user-mode-linux' in script
    # the version file is the mark of a complete kernel directory (image.ensure checks it): written last
    assert script.index('>"$kerneldir/version"') > script.index('cp "$tree/usr/bin/linux.uml"')


@pytest.mark.skipif(os.geteuid() != 0, reason='mount namespaces need root (the lab tool runs as root)')
def test_own_kernel_command_runs_the_kernel_with_its_arguments(tmp_path):
    """The command really runs: the "kernel" (a script here) gets exactly the guest's arguments and sees the
    library directory on /lib64; the host's /lib64 is untouched outside."""
    from ecmplab_lib import uml  # pylint: disable=import-outside-toplevel
    import shutil  # pylint: disable=import-outside-toplevel
    import subprocess  # pylint: disable=import-outside-toplevel
    kernel_dir = tmp_path / 'kernel-trixie-x'
    (kernel_dir / 'lib').mkdir(parents=True)
    (kernel_dir / 'version').write_text('6.12.113\n')
    # the host's own loader in the library directory, so that the script's /bin/sh still starts
    shutil.copy(os.path.realpath('/lib64/ld-linux-x86-64.so.2'), kernel_dir / 'lib' / 'ld-linux-x86-64.so.2')
    (kernel_dir / 'lib' / 'marker').write_text('')
    (kernel_dir / 'linux.uml').write_text('#!/bin/sh\necho "args:$*"\nls /lib64/marker\n')
    (kernel_dir / 'linux.uml').chmod(0o755)

    class State:  # pylint: disable=too-few-public-methods
        dir = str(tmp_path)
        data = {'kernels': {'trixie': str(kernel_dir)}}

    lab = inventory.Lab('t', 'inv', _data(lab_release='trixie'))
    cmd = uml.UmlBackend(lab, State()).kernel_cmd(lab.host('router1')) + ['umid=router1', 'mem=64M']
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ['args:umid=router1 mem=64M', '/lib64/marker']
    assert not os.path.exists('/lib64/marker')
