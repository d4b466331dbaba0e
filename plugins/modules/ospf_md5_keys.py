#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ospf_md5_keys
short_description: Change the OSPF MD5 keys of a running FRR interface without dropping an adjacency
version_added: "0.3.0"
description:
  - Makes the MD5 keys of an interface of a running C(ospfd) the given ones, and the key it signs its packets with
    the LAST of them, in an order that never makes C(ospfd) send with a key its neighbours may not know yet. This
    is what an OSPF key rotation needs (accept the new key everywhere, switch to it everywhere, retire the old one).
  - FRR signs with the key added last, whatever its id (C(show running-config) lists the keys sorted by id and
    does not tell). Adding a key with a plain configuration reload therefore switches the sending key at once.
    This module adds the keys, then removes and re-adds the sending key in the same C(vtysh -f) run, then removes
    the keys no longer wanted.
  - FRR 8.4 (Debian 12) accepts only packets signed with its own sending key (FRR 10 accepts any configured key).
    A change of the sending key is therefore refused unless O(allow_switch) is set, and is meant to happen on
    every router and director at the same moment (O(at)).
  - Which key C(ospfd) sends with is read from the wire, as the key id of the next outgoing OSPF packet on the
    interface (an C(AF_PACKET) socket; C(ospfd) sends a hello every hello interval). After a change it is read
    again and the module fails if it is not the wanted one.
  - When C(ospfd) does not run, or the interface has no OSPF configuration yet, nothing is done (frr.conf, which
    lists the sending key last, applies when FRR starts).
author:
  - ecmp.lvs contributors (@ecmp-lvs)
options:
  interface:
    description: The interface (as in C(interface NAME) of frr.conf, without a VRF).
    type: str
    required: true
  keys:
    description:
      - The MD5 keys of the interface. The LAST one is the key to send with; the others are only accepted.
      - Ids 1..255, unique; keys 1..16 printable ASCII characters without whitespace.
    type: list
    elements: dict
    required: true
    suboptions:
      id:
        description: Key id (1..255).
        type: int
        required: true
      key:
        description: The key (never printed, C(no_log)).
        type: str
        required: true
  allow_switch:
    description:
      - Allow a change of the key C(ospfd) sends with (the last of O(keys) is not the key it sends with now, or is
        new, or has another text).
      - FRR 8.4 (Debian 12) accepts only packets signed with the key it sends with itself, so a switch on one
        router or director cuts its adjacencies until every neighbour has switched too. Switch every router and
        director at the same moment (O(at); C(playbooks/ospf-key-switch.yml) does that) and leave this false
        everywhere else; the module then fails, before it changes anything, naming the keys.
    type: bool
    default: false
  at:
    description:
      - UNIX time (seconds, UTC) at which to apply the change; the module waits until then (at most 600 s ahead).
        Several hosts given the same time switch within their clock difference of each other.
    type: float
  observe_timeout:
    description:
      - Seconds to wait for an outgoing OSPF packet on the interface (more than the hello interval).
      - When none is seen (the interface is down, OSPF is not enabled on it) the sending key counts as unknown.
    type: float
    default: 3.0
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff shows key ids only, never keys.
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - Runs as root (an C(AF_PACKET) socket, vtysh).
  - Keys never appear in the module's output; C(commands) shows them masked.
seealso:
  - name: FRR OSPFv2 interface commands
    description: C(ip ospf message-digest-key KEYID md5 KEY).
    link: https://docs.frrouting.org/en/latest/ospfd.html#interfaces
'''

EXAMPLES = r'''
# Key rotation, step 1 of 3 on every router and director: accept key 2, still send with key 1
- name: Accept the new key
  ecmp.lvs.ospf_md5_keys:
    interface: eth1
    keys:
      - {id: 2, key: "{{ vault_new_key }}"}
      - {id: 1, key: "{{ vault_old_key }}"}

# step 2 on every router and director at once (the same `at` everywhere): send with key 2, still accept key 1;
# step 3: keys: [{id: 2, key: ...}] retires key 1
- name: Send with the new key
  ecmp.lvs.ospf_md5_keys:
    interface: eth1
    keys:
      - {id: 1, key: "{{ vault_old_key }}"}
      - {id: 2, key: "{{ vault_new_key }}"}
    allow_switch: true
    at: "{{ switch_at }}"
'''

RETURN = r'''
running:
  description: Whether C(ospfd) runs and has the interface in its configuration (nothing is done otherwise).
  returned: always
  type: bool
key_ids_before:
  description: Key ids of the interface before, sorted.
  returned: always
  type: list
  elements: int
key_ids:
  description: Key ids of the interface after, sorted.
  returned: always
  type: list
  elements: int
sending_key_id_before:
  description: Key id of the packets C(ospfd) sent before; null when none was seen.
  returned: always
  type: int
sending_key_id:
  description: Key id of the packets C(ospfd) sends after (read again after a change; the wanted one in check mode).
  returned: always
  type: int
applied_at:
  description: UNIX time at which the change was given to vtysh (not in check mode, not without a change).
  returned: when changed
  type: float
commands:
  description: The lines given to C(vtysh -f) (or that would be, in check mode), keys masked.
  returned: always
  type: list
  elements: str
  sample: ["interface eth1", " ip ospf message-digest-key 2 md5 ********", " no ip ospf message-digest-key 1",
           " ip ospf message-digest-key 1 md5 ********", "exit"]
'''

import os
import shutil
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ecmp.lvs.plugins.module_utils import frr_ospf


class OspfMd5Keys(object):
    """State of the MD5 keys of one interface of the running ospfd, and the change to the wanted state."""

    def __init__(self, module):
        self.module = module
        self.interface = module.params['interface']
        self.desired = [(item['id'], item['key']) for item in module.params['keys']]
        self.timeout = module.params['observe_timeout']
        self.allow_switch = module.params['allow_switch']
        self.at = module.params['at']
        self.vtysh = module.get_bin_path('vtysh')  # None: FRR not installed yet (check mode on a fresh host)

    def validate(self):
        if not self.desired:
            self.module.fail_json(msg='keys: at least the key to send with is needed')
        for index, (key_id, key) in enumerate(self.desired):
            if not 1 <= key_id <= 255:
                self.module.fail_json(msg='keys[%d].id: %d is out of range 1..255' % (index, key_id))
            if not key or len(key) > 16 or any(c.isspace() or not c.isprintable() or ord(c) > 126 for c in key):
                self.module.fail_json(msg='keys[%d].key: (not shown) must be 1..16 printable ASCII characters '
                                          'without whitespace' % index)
        ids = [key_id for key_id, _key in self.desired]
        if len(set(ids)) != len(ids):
            self.module.fail_json(msg='keys: ids are not unique: %s' % ids)

    def running_config(self):
        if self.vtysh is None:
            return None
        rc, out, _err = self.module.run_command([self.vtysh, '-c', 'show running-config'],
                                                environ_update={'LC_ALL': 'C'})
        return out if rc == 0 else None

    def observe(self):
        try:
            return frr_ospf.observe_sending_key(self.interface, self.timeout)
        except OSError as exc:
            self.module.fail_json(msg='cannot watch the OSPF packets on %s: %s' % (self.interface, exc))

    def apply(self, ops):
        folder = tempfile.mkdtemp(prefix='ecmp-lvs-ospf-')
        try:
            path = os.path.join(folder, 'keys.conf')
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, 'w') as handle:
                handle.write(frr_ospf.render(self.interface, ops))
            rc, out, err = self.module.run_command([self.vtysh, '-f', path], environ_update={'LC_ALL': 'C'})
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if rc != 0:
            self.module.fail_json(msg='vtysh -f failed (rc=%s): %s' % (rc, (err or out).strip()))

    def run(self):
        self.validate()
        result = dict(changed=False, running=False, key_ids_before=[], key_ids=[], sending_key_id_before=None,
                      sending_key_id=None, commands=[])
        text = self.running_config()
        present, _digest, current = frr_ospf.interface_keys(text or '', self.interface)
        if text is None or not present:
            return result
        result.update(running=True, key_ids_before=sorted(current), key_ids=sorted(current))
        sending = self.observe() if current else None
        result.update(sending_key_id_before=sending, sending_key_id=sending)
        try:
            ops = frr_ospf.plan(current, self.desired, sending)
        except frr_ospf.FrrOspfError as exc:
            self.module.fail_json(msg=str(exc))
        if not ops:
            return result
        want = self.desired[-1][0]
        switch = frr_ospf.switches(current, self.desired, sending)
        if switch and not self.allow_switch:
            self.module.fail_json(
                msg='%s: ospfd sends with key %s; this change makes it send with key %d. FRR accepts only packets '
                    'signed with its own sending key, so switching here alone cuts every adjacency of this host: '
                    'switch every router and director at the same moment (playbooks/ospf-key-switch.yml), or set '
                    'allow_switch' % (self.interface, 'id %s' % sending if sending is not None else '(unknown)',
                                      want), **result)
        result.update(changed=True, commands=frr_ospf.render(self.interface, ops, mask=True).splitlines(),
                      key_ids=sorted(key_id for key_id, _key in self.desired), sending_key_id=want)
        result['diff'] = dict(before='keys %s, sending %s\n' % (sorted(current), sending),
                              after='keys %s, sending %s\n' % (result['key_ids'], want))
        if self.module.check_mode:
            return result
        if self.at is not None:
            delay = self.at - time.time()
            if delay > 600:
                self.module.fail_json(msg='at: %s is %d s ahead, more than 600' % (self.at, delay), **result)
            if delay > 0:
                time.sleep(delay)
            elif delay < -1 and switch:
                # the others switched already or will not wait for this host: never switch alone, late
                self.module.fail_json(msg='%s: started %.1f s after the agreed moment of the switch; nothing changed '
                                          '(give the hosts more time: lvs_ospf_key_switch_delay)'
                                          % (self.interface, -delay), **result)
        result['applied_at'] = time.time()
        self.apply(ops)
        after_text = self.running_config() or ''
        result['key_ids'] = sorted(frr_ospf.interface_keys(after_text, self.interface)[2])
        result['sending_key_id'] = self.observe()
        if result['sending_key_id'] not in (want, None) or result['key_ids'] != sorted(k for k, _v in self.desired):
            self.module.fail_json(msg='after the change ospfd on %s has keys %s and sends with key %s, not keys %s '
                                      'sending with %s' % (self.interface, result['key_ids'], result['sending_key_id'],
                                                           sorted(k for k, _v in self.desired), want), **result)
        if result['sending_key_id'] is None:
            self.module.warn('no OSPF packet seen on %s within %s s after the change: the key it sends with is '
                             'unknown' % (self.interface, self.timeout))
        return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interface=dict(type='str', required=True),
            keys=dict(type='list', elements='dict', required=True, no_log=False, options=dict(
                id=dict(type='int', required=True),
                key=dict(type='str', required=True, no_log=True),
            )),
            allow_switch=dict(type='bool', default=False),
            at=dict(type='float'),
            observe_timeout=dict(type='float', default=3.0),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**OspfMd5Keys(module).run())


if __name__ == '__main__':
    main()
