#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: sysctl_state
short_description: Declarative set of sysctls, applied live and persisted in one drop-in file
version_added: "0.1.0"
description:
  - Manages a whole set of kernel parameters at once. The values are written to C(/proc/sys) (unless
    I(apply=false)), read back to verify that the kernel took them, and persisted in ONE drop-in file
    under C(/etc/sysctl.d) that this module owns completely.
  - The drop-in is rendered deterministically (header comment, keys sorted) and replaced atomically,
    mode C(0644), owner C(root). Keys removed from I(settings) disappear from the file.
  - Keys are given in the dotted form printed by C(sysctl -a). Interface names containing dots (vlan
    C(eth0.100)) are written with C(/) in the key, exactly like sysctl(8) does
    (C(net.ipv4.conf.eth0/100.arp_ignore)); the path form (C(net/ipv4/conf/eth0.100/arp_ignore)) is
    accepted too.
author:
  - ecmp.lvs contributors (@ecmp-lvs)
options:
  settings:
    description:
      - Mapping of sysctl key to value. Values may be integers, strings (multi-value keys such as
        C(net.ipv4.tcp_rmem) as C("4096 131072 6291456")) or booleans (written as C(1)/C(0)).
      - With I(state=present) this is the complete content of the drop-in.
      - With I(state=absent) only the keys matter (values are ignored); they are removed from the drop-in.
    type: dict
    default: {}
  path:
    description:
      - The drop-in file owned by this module. Use a different file per independent set.
    type: path
    default: /etc/sysctl.d/90-ecmp-lvs.conf
  apply:
    description:
      - Write the values to C(/proc/sys) now and verify them by reading them back.
      - With C(false) only the drop-in is written (it takes effect at next boot or C(sysctl --system)).
    type: bool
    default: true
  state:
    description:
      - C(present) makes the drop-in contain exactly I(settings) and (with I(apply)) the live values match.
      - C(absent) removes the keys of I(settings) from the drop-in, and the whole file when I(settings) is
        empty or no key remains. Live values are left alone (the kernel has no notion of a previous value).
    type: str
    choices: [present, absent]
    default: present
  ignore_missing:
    description:
      - With I(apply=true), keys that do not exist under C(/proc/sys) (interface not there yet, kernel module
        not loaded) make the module fail unless this is C(true). When C(true) they are only persisted,
        reported in I(missing_keys) and a warning is emitted.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Two diffs, the drop-in file and the live values of the managed keys.
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - Net (C(net.*)) sysctls are per network namespace; most other keys are host-wide.
  - Inside containers C(/proc/sys) is usually read-only; the module then fails before changing anything
    and explains the options (CAP_SYS_ADMIN with a read-write C(/proc/sys/net), C(--sysctl) at container
    creation, or I(apply=false)).
  - A warning is emitted when a sysctl.d file applied later (or C(/etc/sysctl.conf)) sets a managed key to
    another value, because it would win at boot.
seealso:
  - module: ansible.posix.sysctl
  - module: ecmp.lvs.route_info
'''

EXAMPLES = r'''
- name: ARP settings of a DR real server, live and persistent
  ecmp.lvs.sysctl_state:
    settings:
      net.ipv4.conf.all.arp_ignore: 1
      net.ipv4.conf.all.arp_announce: 2
      net.ipv4.conf.lo.arp_ignore: 1
      net.ipv4.conf.lo.arp_announce: 2

- name: Forwarding and ECMP hashing on a router, separate drop-in
  ecmp.lvs.sysctl_state:
    path: /etc/sysctl.d/90-ecmp-lvs-router.conf
    settings:
      net.ipv4.ip_forward: true
      net.ipv4.fib_multipath_hash_policy: 1

- name: Per-interface key of a vlan interface eth0.100 (dots in interface names become "/")
  ecmp.lvs.sysctl_state:
    path: /etc/sysctl.d/91-vlan.conf
    settings:
      net.ipv4.conf.eth0/100.rp_filter: 2

- name: Only persist (e.g. in a container with a read-only /proc/sys)
  ecmp.lvs.sysctl_state:
    settings:
      net.ipv4.conf.all.arp_ignore: 1
    apply: false

- name: Remove the drop-in
  ecmp.lvs.sysctl_state:
    path: /etc/sysctl.d/91-vlan.conf
    state: absent
'''

RETURN = r'''
changed_keys:
  description: Keys whose live value was changed (or would be, in check mode), sorted.
  returned: always
  type: list
  elements: str
  sample: [net.ipv4.conf.lo.arp_ignore]
file_changed:
  description: Whether the drop-in was (or would be) created, rewritten, fixed (mode/owner) or removed.
  returned: always
  type: bool
values:
  description:
    - Live value of every managed key that exists, as read from C(/proc/sys) after the run (in check mode
      the value it would have). Fields of multi-value keys are separated by one space.
    - In Jinja write C(result['values']), because C(result.values) is the dict method.
  returned: always
  type: dict
  sample: {net.ipv4.conf.lo.arp_ignore: "1", net.ipv4.tcp_rmem: "4096 131072 6291456"}
missing_keys:
  description: Managed keys that do not exist under C(/proc/sys) (with I(apply=true) only possible with I(ignore_missing=true)).
  returned: always
  type: list
  elements: str
path:
  description: The drop-in file.
  returned: always
  type: str
  sample: /etc/sysctl.d/90-ecmp-lvs.conf
'''

import errno
import glob
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.ecmp.lvs.plugins.module_utils.sysctl import (
    SYSCTL_CONF,
    SYSCTL_DIRS,
    SysctlError,
    find_overrides,
    key_to_path,
    missing_message,
    normalize_key,
    normalize_live,
    normalize_settings,
    parse_file,
    readonly_message,
    render_file,
    render_values,
    values_equal,
)

FILE_MODE = 0o644


def read_text(path):
    try:
        with open(path, 'r') as handle:
            return handle.read()
    except IOError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


def read_live(module, key):
    path = key_to_path(key)
    try:
        with open(path, 'r') as handle:
            return normalize_live(handle.read())
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot read sysctl %s (%s): %s' % (key, path, to_native(exc.strerror or exc)))


def write_live(module, key, value, done):
    path = key_to_path(key)
    try:
        with open(path, 'w') as handle:
            handle.write(value + '\n')
    except (IOError, OSError) as exc:
        reason = to_native(exc.strerror or exc)
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            msg = readonly_message(key, path, reason)
        else:
            msg = 'the kernel rejected %s = %s (%s): %s' % (key, value, path, reason)
        module.fail_json(msg=msg, key=key, changed=bool(done), changed_keys=sorted(done))


def file_attrs_wrong(path):
    st = os.stat(path)
    wrong_mode = (st.st_mode & 0o7777) != FILE_MODE
    wrong_owner = os.geteuid() == 0 and (st.st_uid, st.st_gid) != (0, 0)
    return wrong_mode or wrong_owner


def fix_file_attrs(path):
    os.chmod(path, FILE_MODE)
    if os.geteuid() == 0:
        os.chown(path, 0, 0)


def write_file(module, path, content):
    directory = os.path.dirname(path) or '.'
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    fd, tmp = tempfile.mkstemp(prefix='.ansible-sysctl-', dir=directory)
    try:
        with os.fdopen(fd, 'w') as handle:
            handle.write(content)
        os.chmod(tmp, FILE_MODE)
        module.atomic_move(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    fix_file_attrs(path)


def other_config_files(path):
    files = {}
    candidates = [SYSCTL_CONF]
    for directory in SYSCTL_DIRS:
        candidates.extend(glob.glob(os.path.join(directory, '*.conf')))
    for candidate in candidates:
        real = os.path.realpath(candidate)
        if candidate == path or real == os.path.realpath(path) or not os.path.isfile(real):
            continue
        try:
            content = read_text(candidate)
        except (IOError, OSError):
            continue
        if content is not None:
            files[candidate] = content
    # a symlink such as /etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf is the same file as SYSCTL_CONF
    if SYSCTL_CONF in files:
        for candidate in list(files):
            if candidate != SYSCTL_CONF and os.path.realpath(candidate) == os.path.realpath(SYSCTL_CONF):
                del files[candidate]
    return files


def main():
    module = AnsibleModule(
        argument_spec=dict(
            settings=dict(type='dict', default={}),
            path=dict(type='path', default='/etc/sysctl.d/90-ecmp-lvs.conf'),
            apply=dict(type='bool', default=True),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            ignore_missing=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    path = module.params['path']
    state = module.params['state']
    apply_live = module.params['apply'] and state == 'present'

    try:
        if state == 'present':
            desired = normalize_settings(module.params['settings'])
        else:
            desired = dict((normalize_key(k), None) for k in module.params['settings'] or {})
    except SysctlError as exc:
        module.fail_json(msg=str(exc))

    if os.path.isdir(path):
        module.fail_json(msg='path %s is a directory; it must name the drop-in file' % path)
    try:
        before_text = read_text(path)
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot read %s: %s' % (path, to_native(exc)))

    # --- the drop-in ---------------------------------------------------------------------------
    if state == 'present':
        after_text = render_file(desired)
    else:
        remaining = {}
        if before_text is not None and desired:
            remaining = dict((k, v) for k, v in parse_file(before_text).items() if k not in desired)
        after_text = render_file(remaining) if remaining else None
    file_changed = before_text != after_text
    if not file_changed and after_text is not None and file_attrs_wrong(path):
        file_changed = True

    # --- live values -----------------------------------------------------------------------------
    missing = []
    before_live = {}
    to_change = []
    if state == 'present':
        for key in sorted(desired):
            proc_path = key_to_path(key)
            if not os.path.exists(proc_path):
                if apply_live and not module.params['ignore_missing']:
                    module.fail_json(msg=missing_message(key, proc_path), key=key)
                missing.append(key)
                continue
            before_live[key] = read_live(module, key)
            if apply_live and not values_equal(before_live[key], desired[key]):
                to_change.append(key)
        if missing and apply_live:
            module.warn('sysctl keys not present under /proc/sys, only persisted in %s: %s'
                        % (path, ', '.join(missing)))

    # refuse early (nothing changed yet) when /proc/sys is read-only
    for key in to_change:
        proc_path = key_to_path(key)
        if not os.access(proc_path, os.W_OK):
            err = errno.EROFS if os.statvfs(proc_path).f_flag & os.ST_RDONLY else errno.EACCES
            module.fail_json(msg=readonly_message(key, proc_path, os.strerror(err)), key=key,
                             changed=False, changed_keys=[])

    after_live = dict(before_live)
    for key in to_change:
        after_live[key] = desired[key]

    if not module.check_mode:
        done = []
        for key in to_change:
            write_live(module, key, desired[key], done)
            done.append(key)
            got = read_live(module, key)
            if not values_equal(got, desired[key]):
                module.fail_json(
                    msg='the kernel did not take %s: wrote %r, read back %r' % (key, desired[key], got),
                    key=key, changed=True, changed_keys=sorted(done))
            after_live[key] = got
        if file_changed:
            try:
                if after_text is None:
                    if before_text is not None:
                        os.unlink(path)
                else:
                    write_file(module, path, after_text)
            except (IOError, OSError) as exc:
                module.fail_json(msg='cannot write %s: %s' % (path, to_native(exc)),
                                 changed=bool(done), changed_keys=sorted(done))

    overrides = find_overrides(path, desired, other_config_files(path)) if state == 'present' else []
    for other, key, value in overrides:
        module.warn('%s sets %s = %s and is applied after %s: it wins at boot' % (other, key, value, path))

    result = dict(
        changed=bool(file_changed or to_change),
        changed_keys=sorted(to_change),
        file_changed=file_changed,
        values=after_live,
        missing_keys=missing,
        path=path,
    )
    if module._diff:
        result['diff'] = [
            dict(before_header=path, after_header=path,
                 before=before_text or '', after=after_text or ''),
            dict(before_header='live values (/proc/sys)', after_header='live values (/proc/sys)',
                 before=render_values(before_live), after=render_values(after_live)),
        ]
    module.exit_json(**result)


if __name__ == '__main__':
    main()
