#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: preflight
short_description: Check that a host can take an ecmp.lvs role before anything is configured on it
version_added: "0.1.0"
description:
  - One call checks everything an ecmp.lvs role needs from the host and reports EVERY problem at once,
    each with the check, the offending value and the fix, prefixed with the host name.
  - C(platform) - the host must run a platform of I(supported_platforms) (C(/etc/os-release), else
    C(/usr/lib/os-release)) - Debian 12 (bookworm) or Debian 13 (trixie) by default; anything else is refused
    with a message naming the release found, before any other check and before any module is loaded.
  - C(kernel_modules) - the modules of I(kernel_modules) are loaded with C(modprobe) when they are not (in
    check mode C(modprobe --dry-run) only proves they could be).
  - C(ipvs) - with I(ipvs=true) the running kernel must have IPVS (C(/proc/net/ip_vs)).
  - C(frr) - with I(frr=true) FRR must be installed (C(zebra), C(vtysh), C(frr-reload.py)) and at least
    I(frr_min_version) (C(zebra --version)).
  - C(sysctls) - every key of I(sysctls) must exist, and a key whose live value differs from the wanted one
    must be writable. A read-only C(/proc/sys) (the default inside containers) fails with what to do;
    values that are already right pass, so C(--sysctl) at container creation is a fix.
  - C(interfaces) - every interface named in I(interfaces) (and in the per-interface keys of I(sysctls))
    must exist.
  - Nothing but kernel modules is ever changed; in check mode nothing is changed and everything is still
    reported.
author:
  - ecmp.lvs contributors (@ecmp-lvs)
options:
  name:
    description:
      - The host name used in the messages (the roles pass C(inventory_hostname)).
      - Default is the node name of the host (C(uname -n)).
    type: str
  supported_platforms:
    description:
      - The platforms accepted, as C(<os-release ID>-<major VERSION_ID>). The default is what the ecmp.lvs roles
        support and are tested on - Debian 12 (bookworm) and Debian 13 (trixie).
      - Debian testing and unstable have no C(VERSION_ID) and are refused.
      - An empty list skips the check (a rehearsal on another platform, at your own risk).
    type: list
    elements: str
    default: [debian-12, debian-13]
  ipvs:
    description: Require IPVS in the running kernel (C(/proc/net/ip_vs), after loading I(kernel_modules)).
    type: bool
    default: false
  kernel_modules:
    description:
      - Kernel modules that must be loaded (C(ip_vs), C(ip_vs_mh), ...). Each one missing from
        C(/sys/module) is loaded with C(modprobe); a module that cannot be loaded is a failure.
    type: list
    elements: str
    default: []
  frr:
    description: Require FRR (C(zebra), C(vtysh), C(frr-reload.py)) of at least I(frr_min_version).
    type: bool
    default: false
  frr_min_version:
    description:
      - The oldest FRR accepted. The default is the oldest release whose configuration dialect the
        ecmp.lvs frr.conf templates use (explicit C(exit) per node, BFD profiles).
    type: str
    default: "8.2"
  frr_config:
    description:
      - The FRR configuration whose secrets are reported in C(config_has_secrets) of RV(frr) (read whether or not
        I(frr) is set), so that a role can hide the diff of a configuration that still holds a key it is
        about to remove. An empty string skips it (so does null, with ansible-core 2.19 and later only).
    type: path
    default: /etc/frr/frr.conf
  frr_daemons:
    description:
      - FRR daemons (C(ospfd), C(bgpd), C(bfdd), ...) that I(frr_daemons_file) must enable (C(ospfd=yes)); the
        router role's C(router_frr_config=shared) checks this instead of writing that file. Checked whether or
        not I(frr) is set; an unreadable file is a failure.
    type: list
    elements: str
    default: []
  frr_bgp_asn:
    description:
      - The AS number the BGP instance of I(frr_config) must have, where that file has a default-VRF
        C(router bgp) node already (a shared FRR configuration, C(router_frr_config=shared)); a different AS is a
        failure. Null skips the check.
    type: int
  frr_daemons_file:
    description: The FRR daemons file read for I(frr_daemons).
    type: path
    default: /etc/frr/daemons
  sysctls:
    description:
      - The sysctls the role will set, C({key - value}) exactly as given to M(ecmp.lvs.sysctl_state).
        Keys that already have the value need no write and pass on a read-only C(/proc/sys).
      - C(net.ipv4.vs.*) keys appear when C(ip_vs) is loaded; in check mode they are not required while
        C(ip_vs) would still have to be loaded.
    type: dict
    default: {}
  interfaces:
    description:
      - Interfaces that must exist, as C({source - name or list of names}); the source (normally the role
        variable that names them, e.g. C(director_arp_interfaces)) is quoted in the message.
      - The sysctl pseudo-interfaces C(all) and C(default) are ignored.
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
    details: In check mode nothing is loaded (C(modprobe --dry-run) proves the modules could be); it never writes.
  diff_mode:
    support: none
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - The only change this module can make is loading kernel modules (C(changed) is then true). It never writes
    a sysctl or a file.
seealso:
  - module: ecmp.lvs.sysctl_state
  - module: ecmp.lvs.ipvs_info
'''

EXAMPLES = r'''
- name: Preflight of a director
  ecmp.lvs.preflight:
    name: "{{ inventory_hostname }}"
    ipvs: true
    kernel_modules: [ip_vs, ip_vs_mh]
    frr: true
    sysctls:
      net.ipv4.conf.eth1.arp_ignore: 1
      net.ipv4.vs.sloppy_tcp: 1
    interfaces:
      director_fabric_interface: eth1

- name: Preflight of a real server (no FRR, no IPVS)
  ecmp.lvs.preflight:
    sysctls:
      net.ipv4.conf.all.arp_ignore: 1
    interfaces:
      realserver_arp_interfaces: [all, lo, eth1]
'''

RETURN = r'''
platform:
  description: The host's platform from os-release - C(id), C(version_id), C(codename), C(name) (C(PRETTY_NAME)),
    C(platform) (C(<id>-<major version>)) and C(supported) (null when I(supported_platforms) is empty).
  returned: always
  type: dict
  sample: {id: debian, version_id: "13", codename: trixie, name: Debian GNU/Linux 13 (trixie), platform: debian-13,
           supported: true}
kernel_modules:
  description: State of every module of I(kernel_modules) - C(present), C(loaded) (by this run),
    C(would load) (check mode) or C(failed).
  returned: always
  type: dict
  sample: {ip_vs: loaded, ip_vs_mh: loaded}
ipvs:
  description: IPVS in the running kernel (C(version) from C(/proc/net/ip_vs), null when absent).
  returned: always
  type: dict
  sample: {present: true, version: 1.2.1}
frr:
  description:
    - FRR found on the host (null fields when absent or not checked).
    - C(config_has_secrets) is true when I(frr_config) exists and holds an authentication key or password
      (C(message-digest-key), C(authentication-key), C(password)).
    - C(daemons) (only with I(frr_daemons)) lists the daemons I(frr_daemons_file) enables.
  returned: always
  type: dict
  sample: {version: 8.4.4, min_version: "8.2", zebra: /usr/lib/frr/zebra, vtysh: /usr/bin/vtysh,
           reload_script: /usr/lib/frr/frr-reload.py, config_has_secrets: false}
sysctls:
  description: Per key of I(sysctls) - C(ok) (already right), C(writable) (the role will change it),
    C(read-only), C(missing), C(missing interface) or C(after ip_vs) (check mode, appears with C(ip_vs)).
  returned: always
  type: dict
  sample: {net.ipv4.conf.eth1.arp_ignore: writable}
interfaces:
  description: Every interface checked and whether it exists.
  returned: always
  type: dict
  sample: {eth1: true}
failures:
  description: One line per problem (check, value, fix); empty on success.
  returned: always
  type: list
  elements: str
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.ecmp.lvs.plugins.module_utils import preflight as pf
from ansible_collections.ecmp.lvs.plugins.module_utils.sysctl import (
    SysctlError,
    key_to_path,
    normalize_live,
    normalize_settings,
    values_equal,
)

# Host paths (module attributes so that unit tests can point them at a tree of captured files).
PROC_SYS = '/proc/sys'
PROC_NET_IPVS = '/proc/net/ip_vs'
SYS_MODULE = '/sys/module'
SYS_CLASS_NET = '/sys/class/net'
FRR_DIRS = pf.FRR_DIRS
OS_RELEASE_PATHS = pf.OS_RELEASE_PATHS


def _read(path):
    with open(path, 'r') as handle:
        return handle.read()


def check_platform(supported, failures):
    """The platform of os-release; a failure when it is not one of `supported` (skipped when that is empty)."""
    result = {'id': None, 'version_id': None, 'codename': None, 'name': None, 'platform': None, 'supported': None}
    for path in OS_RELEASE_PATHS:
        try:
            fields = pf.parse_os_release(_read(path))
        except (IOError, OSError):
            continue
        key, name = pf.platform_of(fields)
        result.update(id=fields.get('ID'), version_id=fields.get('VERSION_ID'),
                      codename=fields.get('VERSION_CODENAME'), name=name, platform=key)
        if supported:
            failure = pf.check_platform(fields, supported)
            result['supported'] = failure is None
            if failure:
                failures.append(failure)
        return result
    if supported:
        result['supported'] = False
        failures.append(pf.msg_os_release_missing(OS_RELEASE_PATHS))
    return result


def check_kernel_modules(module, names, failures):
    """Load what is missing (dry run in check mode). Returns ({name: state}, [loaded], modprobe_found)."""
    states = {}
    loaded = []
    modprobe = None
    for name in names:
        if os.path.isdir(os.path.join(SYS_MODULE, name.replace('-', '_'))):
            states[name] = 'present'
            continue
        if modprobe is None:
            modprobe = module.get_bin_path('modprobe', opt_dirs=['/usr/sbin', '/sbin']) or ''
            if not modprobe:
                failures.append(pf.msg_modprobe_missing())
        if not modprobe:
            states[name] = 'failed'
            continue
        argv = [modprobe, '--verbose'] + (['--dry-run'] if module.check_mode else []) + [name]
        rc, out, err = module.run_command(argv)
        if rc != 0:
            failures.append(pf.msg_module_failed(name, err or out))
            states[name] = 'failed'
        elif pf.modprobe_inserted(out):
            states[name] = 'would load' if module.check_mode else 'loaded'
            loaded.append(name)
        else:
            states[name] = 'present'
    return states, loaded, modprobe != ''


def check_ipvs(module_states, modprobe_found, check_mode, failures):
    present = os.path.exists(PROC_NET_IPVS)
    version = None
    if present:
        try:
            version = pf.parse_ipvs_version(_read(PROC_NET_IPVS))
        except (IOError, OSError):
            version = None
    elif check_mode and module_states.get('ip_vs') == 'would load':
        pass  # modprobe --dry-run proved ip_vs can be loaded
    elif module_states.get('ip_vs') != 'failed' or not modprobe_found:  # a failed modprobe ip_vs explains it
        failures.append(pf.msg_no_ipvs(PROC_NET_IPVS))
    return {'present': present, 'version': version}


def check_frr(module, minimum, failures):
    result = {'version': None, 'min_version': minimum, 'zebra': None, 'vtysh': None, 'reload_script': None}
    try:
        pf.version_tuple(minimum)
    except ValueError:
        # the roles pass router_frr_min_version / director_frr_min_version: name what the user sets
        module.fail_json(msg='frr_min_version (router_frr_min_version / director_frr_min_version of the roles) %r is '
                             'not a version (e.g. "8.2")' % (minimum,))
    zebra = next((os.path.join(d, 'zebra') for d in FRR_DIRS if os.path.isfile(os.path.join(d, 'zebra'))), None)
    if zebra is None:
        failures.append(pf.msg_frr_missing(FRR_DIRS))
        return result
    result['zebra'] = zebra
    rc, out, err = module.run_command([zebra, '--version'])
    version = pf.parse_zebra_version(out) if rc == 0 else None
    if version is None:
        failures.append(pf.msg_frr_unreadable(zebra, out + err))
    else:
        result['version'] = version
        if not pf.version_at_least(version, minimum):
            failures.append(pf.msg_frr_too_old(version, minimum, zebra))
    dirs = [os.path.dirname(zebra)] + [d for d in FRR_DIRS if d != os.path.dirname(zebra)]
    result['reload_script'] = next((os.path.join(d, 'frr-reload.py') for d in dirs
                                    if os.path.isfile(os.path.join(d, 'frr-reload.py'))), None)
    if result['reload_script'] is None:
        failures.append(pf.msg_frr_part_missing('frr-reload.py (used by systemctl reload frr)', 'frr-pythontools'))
    result['vtysh'] = module.get_bin_path('vtysh')
    if result['vtysh'] is None:
        failures.append(pf.msg_frr_part_missing('vtysh (validates frr.conf)', 'frr'))
    return result


def present_interfaces():
    try:
        return set(os.listdir(SYS_CLASS_NET))
    except OSError:
        return set()


def check_sysctls(desired, present, listed, ipvs_pending, failures):
    """Returns ({key: state}, {missing interface not in listed: ['sysctl <key>', ...]})."""
    states = {}
    unlisted_missing = {}
    readonly = []
    readonly_fs = False
    for key in sorted(desired):
        path = key_to_path(key, PROC_SYS)
        if not os.path.exists(path):
            iface = pf.sysctl_interface(key)
            if iface is not None and iface not in present:
                states[key] = 'missing interface'
                if iface not in listed:
                    unlisted_missing.setdefault(iface, []).append('sysctl %s' % key)
            elif pf.ipvs_key(key) and ipvs_pending:
                states[key] = 'after ip_vs'
            else:
                states[key] = 'missing'
                failures.append(pf.msg_sysctl_missing(key, path))
            continue
        try:
            live = normalize_live(_read(path))
        except (IOError, OSError) as exc:
            states[key] = 'missing'
            failures.append(pf.msg_sysctl_missing(key, '%s: %s' % (path, to_native(exc.strerror or exc))))
            continue
        if values_equal(live, desired[key]):
            states[key] = 'ok'
        elif os.access(path, os.W_OK):
            states[key] = 'writable'
        else:
            states[key] = 'read-only'
            readonly.append((key, live, desired[key]))
            readonly_fs = readonly_fs or bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    if readonly:
        failures.append(pf.msg_sysctls_readonly(readonly, readonly_fs))
    return states, unlisted_missing


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str'),
            supported_platforms=dict(type='list', elements='str', default=list(pf.SUPPORTED_PLATFORMS)),
            ipvs=dict(type='bool', default=False),
            kernel_modules=dict(type='list', elements='str', default=[]),
            frr=dict(type='bool', default=False),
            frr_min_version=dict(type='str', default=pf.FRR_MIN_VERSION),
            frr_config=dict(type='path', default='/etc/frr/frr.conf'),
            frr_daemons=dict(type='list', elements='str', default=[]),
            frr_bgp_asn=dict(type='int'),
            frr_daemons_file=dict(type='path', default='/etc/frr/daemons'),
            sysctls=dict(type='dict', default={}),
            interfaces=dict(type='dict', default={}),
        ),
        supports_check_mode=True,
    )
    params = module.params
    host = params['name'] or os.uname()[1]
    try:
        desired = normalize_settings(params['sysctls'])
    except SysctlError as exc:
        module.fail_json(msg='sysctls: %s' % exc)

    failures = []
    platform = check_platform(params['supported_platforms'], failures)
    if failures:
        # nothing else is checked, and no module loaded, on a platform the roles do not support
        module.fail_json(msg=pf.render_failures(host, failures), changed=False, platform=platform, failures=failures)
    module_states, loaded, modprobe_found = check_kernel_modules(module, params['kernel_modules'], failures)
    ipvs = {'present': os.path.exists(PROC_NET_IPVS), 'version': None}
    if params['ipvs']:
        ipvs = check_ipvs(module_states, modprobe_found, module.check_mode, failures)
    frr = {'version': None, 'min_version': params['frr_min_version'], 'zebra': None, 'vtysh': None,
           'reload_script': None}
    if params['frr']:
        frr = check_frr(module, params['frr_min_version'], failures)
    frr['config_has_secrets'] = False
    if params['frr_config'] and os.path.isfile(params['frr_config']):
        try:
            config = _read(params['frr_config'])
            frr['config_has_secrets'] = pf.config_has_secrets(config)
            found = pf.bgp_instances(config)
            if params['frr_bgp_asn'] is not None and found and str(params['frr_bgp_asn']) not in found:
                failures.append(pf.msg_frr_bgp_asn(found, params['frr_bgp_asn'], params['frr_config']))
        except (IOError, OSError) as exc:
            module.fail_json(msg='cannot read %s: %s' % (params['frr_config'], to_native(exc)))
    if params['frr_daemons']:
        try:
            enabled = pf.enabled_daemons(_read(params['frr_daemons_file']))
            frr['daemons'] = sorted(enabled)
            missing = [d for d in params['frr_daemons'] if d not in enabled]
            if missing:
                failures.append(pf.msg_frr_daemons_disabled(missing, params['frr_daemons_file']))
        except (IOError, OSError) as exc:
            failures.append(pf.msg_frr_daemons_unreadable(params['frr_daemons_file'], to_native(exc)))

    present = present_interfaces()
    sources = pf.interface_sources(params['interfaces'])
    # net.ipv4.vs.* keys exist once ip_vs is loaded: not a failure of their own when ip_vs would still be
    # loaded (check mode) or its absence is already reported
    ipvs_pending = not os.path.exists(PROC_NET_IPVS) and (
        params['ipvs'] or module_states.get('ip_vs') in ('would load', 'failed'))
    sysctl_failures = []
    sysctl_states, unlisted = check_sysctls(desired, present, sources, ipvs_pending, sysctl_failures)
    for name, origin in unlisted.items():
        sources.setdefault(name, origin)
    interfaces = {}
    for name in sorted(sources):
        interfaces[name] = name in present
        if not interfaces[name]:
            failures.append(pf.msg_interface_missing(name, sources[name], present))
    failures.extend(sysctl_failures)

    result = dict(changed=bool(loaded), platform=platform, kernel_modules=module_states, ipvs=ipvs, frr=frr,
                  sysctls=sysctl_states, interfaces=interfaces, failures=failures)
    if failures:
        module.fail_json(msg=pf.render_failures(host, failures, [] if module.check_mode else loaded), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
