# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only notification callback of the negative suite: records which plays started, every host that a
task started on or returned a result for, the results of localhost, and the stats, as JSON in the file named
by the environment variable ECMP_NEGATIVE_RECORD (written at the end of the run)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r'''
name: negative_record
type: notification
short_description: Record hosts touched by a run (ecmp.lvs negative tests)
description:
  - Writes plays, hosts (with the host a task was delegated to) and the results of tasks run on localhost
    as JSON to the file named by E(ECMP_NEGATIVE_RECORD).
requirements:
  - enable in configuration
'''


def _host_name(result):
    host = getattr(result, 'host', None) or getattr(result, '_host', None)
    return host.get_name() if host is not None else None


def _delegate(task):
    """The host a task is delegated to (None: it runs on its own host)."""
    return getattr(task, 'delegate_to', None) or None


def _result_dict(result):
    data = getattr(result, 'result', None)
    if data is None:
        data = getattr(result, '_result', {})
    return data


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = 'negative_record'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.record = {'plays': [], 'started': [], 'results': [], 'stats': {}}

    def v2_playbook_on_play_start(self, play):
        self.record['plays'].append(play.get_name())

    def v2_runner_on_start(self, host, task):
        self.record['started'].append({'host': host.get_name(), 'task': task.get_name(),
                                       'delegate_to': _delegate(task), 'action': getattr(task, 'action', None)})

    def _add(self, status, result):
        host = _host_name(result)
        task = getattr(result, 'task', None) or getattr(result, '_task', None)
        delegate = _delegate(task)
        entry = {'host': host, 'status': status, 'task': result.task_name, 'delegate_to': delegate,
                 'action': getattr(task, 'action', None)}
        if 'localhost' in (host, delegate):
            data = _result_dict(result)
            entry.update({'msg': str(data.get('msg', '')), 'errors': [str(e) for e in data.get('errors') or []],
                          'changed': bool(data.get('changed'))})
        self.record['results'].append(entry)

    def v2_runner_on_ok(self, result):
        self._add('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._add('failed', result)

    def v2_runner_on_unreachable(self, result):
        self._add('unreachable', result)

    def v2_runner_on_skipped(self, result):
        self._add('skipped', result)

    def v2_playbook_on_stats(self, stats):
        for host in sorted(stats.processed):
            self.record['stats'][host] = stats.summarize(host)
        path = os.environ.get('ECMP_NEGATIVE_RECORD')
        if path:
            with open(path, 'w') as handle:
                json.dump(self.record, handle, indent=1, sort_keys=True)
