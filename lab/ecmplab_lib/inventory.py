# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the lab description from an Ansible inventory (via ansible-inventory, so group_vars apply).

Per host: `ansible_host` (management address, eth0), `lab_links` ([{segment, address[, address6]}] -> eth1,
eth2, ...; address6: an IPv6 ADDR/PREFIX beside the IPv4 one), optional `lab_gateway` (an address, or a list of
addresses: one multipath default route over all of them, e.g. a client behind two routers), optional
`lab_gateway6` (the same for the IPv6 default route), optional `lab_release` (the Debian release of its image: bookworm (default) or trixie;
set it per host or for a group / the whole lab through group_vars). Global: optional `lab_mgmt_network` (default: ansible_host/24; the lab's end of the
management bridge is its first address), optional `lab_range` (default: the smallest prefix holding every
lab address and VIP; kept `unreachable` on the host while the lab is up), optional `lab_memory` (UML, MiB).
"""

import glob
import importlib.util
import ipaddress
import json
import os
import shutil

from .image import DEFAULT_RELEASE, RELEASES
from .util import HOST_NAME_MAX, LAB_NAME_MAX, MAX_SEGMENTS, ROOT, SEGMENT_NAME_MAX, LabError, check_name, run

LAB_NAME_FIELD = 'lab name (--name / ECMPLAB_NAME)'


def _address(field, value, parse=ipaddress.ip_address):
    """An address (or network/interface with `parse`) from the inventory, LabError naming `field` otherwise."""
    try:
        return parse(value)
    except (TypeError, ValueError) as exc:
        raise LabError('%s: %r is not accepted: %s' % (field, value, exc)) from exc


class Host:
    def __init__(self, name, index, hostvars, groups):
        self.name = name
        self.index = index
        self.groups = groups
        self.vars = hostvars
        check_name('inventory host name', name, HOST_NAME_MAX)
        if 'ansible_host' not in hostvars:
            raise LabError('%s: ansible_host (management address) is not set' % name)
        # an address, never a name: it goes into ssh_config (HostName) and the guest's kernel command line
        self.mgmt = _address('%s: ansible_host' % name, hostvars['ansible_host'])
        self.links = []
        # {interface number: IPv6 interface address} of the links with address6
        self.links6 = {}
        for i, link in enumerate(hostvars.get('lab_links') or [], start=1):
            try:
                address, segment = link['address'], link['segment']
            except (KeyError, TypeError) as exc:
                raise LabError('%s: lab_links[%d] needs {segment, address: ADDR/PREFIX}: %s'
                               % (name, i - 1, exc)) from exc
            iface = _address('%s: lab_links[%d].address' % (name, i - 1), address, ipaddress.ip_interface)
            check_name('%s: lab_links[%d].segment' % (name, i - 1), segment, SEGMENT_NAME_MAX)
            if iface.version != 4:
                raise LabError('%s: lab_links[%d].address: %s is not IPv4 (an IPv6 address goes to address6)'
                               % (name, i - 1, address))
            self.links.append((segment, iface))
            if link.get('address6'):
                iface6 = _address('%s: lab_links[%d].address6' % (name, i - 1), link['address6'],
                                  ipaddress.ip_interface)
                if iface6.version != 6 or iface6.is_link_local:
                    raise LabError('%s: lab_links[%d].address6: %s is not a global IPv6 ADDR/PREFIX'
                                   % (name, i - 1, link['address6']))
                self.links6[i] = iface6
        self.gateways = self._gateways(name, hostvars, 'lab_gateway', 4)
        self.gateways6 = self._gateways(name, hostvars, 'lab_gateway6', 6)
        self.release = hostvars.get('lab_release') or DEFAULT_RELEASE
        if self.release not in RELEASES:
            raise LabError('%s: lab_release %r is not accepted: one of %s'
                           % (name, self.release, ', '.join(RELEASES)))

    @staticmethod
    def _gateways(name, hostvars, var, version):
        gateway = hostvars.get(var) or []
        if not isinstance(gateway, list):
            gateway = [gateway]
        result = [_address('%s: %s[%d]' % (name, var, i) if len(gateway) > 1 else '%s: %s' % (name, var), value)
                  for i, value in enumerate(gateway)]
        if len(set(result)) != len(result):
            raise LabError('%s: %s names an address twice: %s' % (name, var, ', '.join(map(str, gateway))))
        for value in result:
            if value.version != version:
                raise LabError('%s: %s: %s is not IPv%d' % (name, var, value, version))
        return result

    def mac(self, ifnum):
        """Fixed MAC per host and interface (stale ARP entries otherwise slow a restarted guest)."""
        return '02:ec:%02x:%02x:%02x:%02x' % ((self.index >> 8) & 0xff, self.index & 0xff, ifnum, 1)

    def link_local6(self, ifnum):
        """The IPv6 link-local address the guest's kernel gives interface ethN (EUI-64 of mac(ifnum), RFC 4291
        appendix A: the universal/local bit flipped, ff:fe in the middle) - what an IPv6 route names it by."""
        octets = [int(x, 16) for x in self.mac(ifnum).split(':')]
        eui = [octets[0] ^ 0x02] + octets[1:3] + [0xff, 0xfe] + octets[3:]
        return str(ipaddress.IPv6Address(bytes([0xfe, 0x80] + [0] * 6 + eui)))

    def link_addresses(self):
        """Every address of the host on its lab_links: IPv4, IPv6 (address6) and each link's IPv6 link-local."""
        found = [str(iface.ip) for _segment, iface in self.links]
        found += [str(iface.ip) for iface in self.links6.values()]
        return found + [self.link_local6(i) for i in range(1, len(self.links) + 1)]

    def cmdline_words(self, mgmt_prefix, pubkey):
        words = ['lab.host=%s' % self.name, 'lab.eth0=%s/%d' % (self.mgmt, mgmt_prefix)]
        for i, (_segment, iface) in enumerate(self.links, start=1):
            words.append('lab.eth%d=%s' % (i, ','.join(a.with_prefixlen for a in [iface, self.links6.get(i)] if a)))
        if self.gateways:
            words.append('lab.gw=%s' % ','.join(str(gw) for gw in self.gateways))
        if self.gateways6:
            words.append('lab.gw6=%s' % ','.join(str(gw) for gw in self.gateways6))
        keytype, blob = pubkey.split()[:2]
        words.append('lab.key=%s,%s' % (keytype, blob))
        return words


class Lab:
    def __init__(self, name, inventory, data):
        self.name = check_name(LAB_NAME_FIELD, name, LAB_NAME_MAX)
        self.inventory = inventory
        hostvars = data.get('_meta', {}).get('hostvars', {})
        membership = {}
        for group, hosts in group_members(data).items():
            for host in hosts:
                membership.setdefault(host, set()).add(group)
        names = sorted(hostvars)
        if not names:
            raise LabError('inventory %s has no hosts' % inventory)
        self.hosts = [Host(n, i + 1, hostvars[n], sorted(membership.get(n, ()))) for i, n in enumerate(names)]
        first = hostvars[names[0]]
        mgmt = first.get('lab_mgmt_network') or '%s/24' % first['ansible_host']
        self.mgmt_net = _address('lab_mgmt_network', mgmt, lambda v: ipaddress.ip_network(v, strict=False))
        self.mgmt_gw = next(self.mgmt_net.hosts())
        self.segments = []
        for host in self.hosts:
            if host.mgmt not in self.mgmt_net or host.mgmt == self.mgmt_gw:
                raise LabError('%s: ansible_host %s is not a host address of %s other than %s'
                               % (host.name, host.mgmt, self.mgmt_net, self.mgmt_gw))
            for segment, _iface in host.links:
                if segment not in self.segments:
                    self.segments.append(segment)
        if len(self.segments) > MAX_SEGMENTS:
            raise LabError('lab_links: %d segments, at most %d (bridge names)' % (len(self.segments), MAX_SEGMENTS))
        self.vips = sorted({str(_address('lvs_services: vip', s['vip'])) for s in first.get('lvs_services') or []
                            if isinstance(s, dict) and 'vip' in s})
        # the IPv4 VIPs (lab_range is an IPv4 prefix: IPv6 lab traffic never leaves the lab's bridges, no host
        # route is involved)
        self.vips4 = [vip for vip in self.vips if ':' not in vip]
        try:
            self.memory = int(first.get('lab_memory') or 256)
        except (TypeError, ValueError) as exc:
            raise LabError('lab_memory: %r is not a number of MiB' % first.get('lab_memory')) from exc
        self.range = _address('lab_range', first['lab_range'], ipaddress.ip_network) if first.get('lab_range') \
            else self._span()

    def _span(self):
        nets = [self.mgmt_net] + [iface.network for h in self.hosts for _s, iface in h.links]
        nets += [ipaddress.ip_network(v) for v in self.vips4]
        span = nets[0]
        for net in nets[1:]:
            while not (net.subnet_of(span)):
                span = span.supernet()
        return span

    @property
    def releases(self):
        """The Debian releases of the lab's hosts (one image each)."""
        return sorted({h.release for h in self.hosts})

    def host(self, name):
        for host in self.hosts:
            if host.name == name:
                return host
        raise LabError('no host %s in the lab (hosts: %s)' % (name, ', '.join(h.name for h in self.hosts)))

    def group(self, group):
        return [h for h in self.hosts if group in h.groups]

    def bridge(self, segment):
        """Bridge name (inside the lab namespace) of a segment; 'mgmt' is the management network."""
        if segment is None:
            return 'mgmt'
        return 'br%d-%s' % (self.segments.index(segment), segment)[:15]


def group_members(data):
    """{group: sorted host names} of `ansible-inventory --list` output, a group's children included at any depth
    (as ansible's `groups` variable has them: `all` holds every host). Every reader of a lab uses this."""
    return {group: sorted(_group_hosts(data, group, set())) for group, body in data.items()
            if group != '_meta' and isinstance(body, dict)}


def _group_hosts(data, group, seen):
    if group in seen:
        return set()
    seen.add(group)
    body = data.get(group) or {}
    hosts = set(body.get('hosts', []))
    for child in body.get('children', []):
        hosts |= _group_hosts(data, child, seen)
    return hosts


def ansible_venv(environ=None):
    """The virtualenv whose ansible the lab runs: $ECMPLAB_ANSIBLE_VENV (`make core-matrix` runs a lab with each
    tested ansible-core this way), else the repository's .venv."""
    environ = os.environ if environ is None else environ
    return environ.get('ECMPLAB_ANSIBLE_VENV') or os.path.join(ROOT, '.venv')


def ansible_bin(name, environ=None):
    environ = os.environ if environ is None else environ
    venv = os.path.join(ansible_venv(environ), 'bin', name)
    if os.path.exists(venv):
        return venv
    if environ.get('ECMPLAB_ANSIBLE_VENV'):
        raise LabError('ECMPLAB_ANSIBLE_VENV=%s has no bin/%s' % (environ['ECMPLAB_ANSIBLE_VENV'], name))
    found = shutil.which(name)
    if not found:
        raise LabError('%s not found (run `make deps`)' % name)
    return found


def mitogen_env(environ=None):
    """ANSIBLE_STRATEGY(_PLUGINS) for mitogen_linear when the mitogen package (requirements.txt) is installed.

    mitogen keeps one Python interpreter per host instead of starting one per task: on the UML lab it halves the
    time of playbooks/site.yml. Off with ECMP_LVS_MITOGEN=0; a strategy chosen by the user (ANSIBLE_STRATEGY) wins.
    """
    environ = os.environ if environ is None else environ
    if environ.get('ECMP_LVS_MITOGEN', '1') == '0' or environ.get('ANSIBLE_STRATEGY'):
        return {}
    spec = None if environ.get('ECMPLAB_ANSIBLE_VENV') else importlib.util.find_spec('ansible_mitogen')
    if spec is not None and spec.origin:
        package = os.path.dirname(spec.origin)
    else:
        # the mitogen of the virtualenv that runs ansible (none in a core-matrix venv: plain linear there)
        found = sorted(glob.glob(os.path.join(ansible_venv(environ), 'lib', 'python3*', 'site-packages',
                                              'ansible_mitogen')))
        if not found:
            return {}
        package = found[-1]
    strategies = os.path.join(package, 'plugins', 'strategy')
    if not os.path.exists(os.path.join(strategies, 'mitogen_linear.py')):
        return {}
    return {'ANSIBLE_STRATEGY_PLUGINS': strategies, 'ANSIBLE_STRATEGY': 'mitogen_linear'}


def ansible_env(**extra):
    """Environment of every ansible command run against a lab: the repository's ansible.cfg (+ mitogen), host key
    checking off. Lab only: ansible.cfg keeps host key checking on for every inventory, and `ansible-env` (meant
    for `export`) prints only the mitogen settings, never this."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_HOST_KEY_CHECKING='False')
    env.update(mitogen_env(env))
    env.update(extra)
    return env


def read(inventory):
    """`ansible-inventory -i INVENTORY --list` (group_vars and host_vars applied) as a dict."""
    if not os.path.exists(inventory):
        raise LabError('inventory %s does not exist' % inventory)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'))
    res = run([ansible_bin('ansible-inventory'), '-i', inventory, '--list'], env=env)
    return json.loads(res.stdout)


def load(inventory, name):
    return Lab(name, inventory, read(inventory))
