#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: routing_state
short_description: Read (and wait for) the OSPF / BGP / BFD sessions of the local FRR
version_added: "0.1.0"
description:
  - Reads C(vtysh -c 'show ip ospf neighbor json'), C(show bgp ipv4 unicast summary json), C(show bfd peers json)
    and C(show ip ospf interface NAME json) of the host's FRR through one reader (the one C(playbooks/status.yml)
    and the metrics writer use) and compares them with what is wanted.
  - With I(timeout) it polls every I(interval) seconds until everything wanted holds; when the time is up it fails
    and says what differs (which neighbour is in which state), never only "retries exhausted".
  - Used by the router role (every director adjacent) and the director role (OSPF on the fabric interface, the
    sessions with the routers) after a change.
options:
  protocol:
    description: The routing protocol whose sessions are read.
    type: str
    required: true
    choices: [ospf, bgp]
  peers:
    description: Neighbour addresses whose session must be up (OSPF C(Full), BGP C(Established)).
    type: list
    elements: str
    default: []
  min_up:
    description: At least this many sessions must be up (any neighbours).
    type: int
    default: 0
  bfd:
    description: The BFD session with every address of I(peers) must be up too.
    type: bool
    default: false
  ospf_interface:
    description: With I(protocol=ospf), OSPF must be enabled on this interface.
    type: str
  timeout:
    description: Seconds to wait for the wanted state; C(0) reads once and fails at once when it does not hold.
    type: int
    default: 0
  interval:
    description: Seconds between two reads while waiting.
    type: float
    default: 1.0
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - An FRR daemon that does not run (C(ospfd is not running)) is a difference like any other, so a wait also
    covers a daemon that is still starting.
seealso:
  - module: ecmp.lvs.route_info
author:
  - ecmp.lvs contributors (@ecmp-lvs)
'''

EXAMPLES = r'''
- name: Wait until the OSPF adjacency with every director is Full (at most 60 s)
  ecmp.lvs.routing_state:
    protocol: ospf
    peers: [10.99.0.11, 10.99.0.12]
    timeout: 60

- name: Wait until OSPF runs on the fabric interface and one router is adjacent
  ecmp.lvs.routing_state:
    protocol: ospf
    ospf_interface: eth1
    min_up: 1
    timeout: 60

- name: Read the BGP sessions once, without failing
  ecmp.lvs.routing_state:
    protocol: bgp
  register: bgp
  failed_when: false
'''

RETURN = r'''
sessions:
  description: "Per protocol read (the I(protocol), and C(bfd) with I(bfd=true)): {neighbour address: {state, up}}."
  returned: always
  type: dict
  sample: {"ospf": {"10.99.0.11": {"router_id": "10.99.0.11", "state": "Full/DROther", "up": true}}}
ospf_interface:
  description: "With I(ospf_interface): {enabled, state, area} of the interface, or null when OSPF does not know it."
  returned: when ospf_interface is set
  type: dict
  sample: {"enabled": true, "state": "DROther", "area": "0.0.0.0"}
differences:
  description: What differs from the wanted state at the last read (empty when it holds).
  returned: always
  type: list
  elements: str
  sample: ["ospf: 10.99.0.12 is Init/DROther (want Full)"]
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
  sample: 2.01
'''

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ecmp.lvs.plugins.module_utils import frr


class RoutingState(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.vtysh = None

    def vty(self, command):
        """(output, problem) of one vtysh command; problem is None when vtysh answered."""
        if self.vtysh is None:
            self.vtysh = self.module.get_bin_path('vtysh', required=True)
        rc, out, err = self.module.run_command([self.vtysh, '-c', command])
        if rc != 0:
            text = ' '.join(line for line in (out + err).splitlines() if line.strip()) or 'exit status %d' % rc
            return None, "'%s': %s" % (command, text)
        return out, None

    def read(self):
        """(result dict, differences) of one look."""
        protocol = self.params['protocol']
        result = {'sessions': {}}
        problems = []
        wanted = [(protocol, self.params['peers'], self.params['min_up'])]
        if self.params['bfd']:
            wanted.append(('bfd', self.params['peers'], 0))
        for name, peers, min_up in wanted:
            command, reader = frr.SESSION_COMMANDS[name]
            out, problem = self.vty(command)
            if problem:
                problems.append(problem)
                continue
            try:
                sessions = reader(out)
            except frr.FrrError as exc:
                problems.append(str(exc))
                continue
            result['sessions'][name] = sessions
            problems.extend(frr.session_differences(name, sessions, peers, min_up))
        name = self.params['ospf_interface']
        if name:
            out, problem = self.vty('show ip ospf interface %s json' % name)
            if problem:
                problems.append(problem)
            else:
                try:
                    state = frr.ospf_interface(out, name)
                except frr.FrrError as exc:
                    state = None
                    problems.append(str(exc))
                result['ospf_interface'] = state
                if not state or not state['enabled']:
                    problems.append('ospf: not enabled on %s' % name)
        return result, problems

    def run(self):
        params = self.params
        if params['ospf_interface'] and params['protocol'] != 'ospf':
            self.module.fail_json(msg='ospf_interface: only with protocol=ospf')
        if params['interval'] <= 0 or params['timeout'] < 0:
            self.module.fail_json(msg='interval must be > 0 and timeout >= 0')
        start = time.monotonic()
        deadline = start + params['timeout']
        while True:
            result, problems = self.read()
            waited = round(time.monotonic() - start, 2)
            result.update(changed=False, differences=problems, waited=waited)
            if not problems:
                return result
            if time.monotonic() + params['interval'] > deadline:
                self.module.fail_json(msg='after %s s: %s' % (waited, '; '.join(problems)), **result)
            time.sleep(params['interval'])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            protocol=dict(type='str', required=True, choices=['ospf', 'bgp']),
            peers=dict(type='list', elements='str', default=[]),
            min_up=dict(type='int', default=0),
            bfd=dict(type='bool', default=False),
            ospf_interface=dict(type='str'),
            timeout=dict(type='int', default=0),
            interval=dict(type='float', default=1.0),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**RoutingState(module).run())


if __name__ == '__main__':
    main()
