# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/ipvs.py against ipvsadm output captured on a real IPVS kernel (tools/capture/ipvs-fixtures.sh)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.ecmp.lvs.plugins.module_utils import ipvs

FIX = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'ipvsadm')


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


def find(services, vip=None, port=None, protocol='tcp', fwmark=None, family='ipv4'):
    for svc in services:
        if fwmark is not None:
            if svc['fwmark'] == fwmark and svc['family'] == family:
                return svc
        elif (svc['vip'], svc['port'], svc['protocol']) == (vip, port, protocol):
            return svc
    raise AssertionError('service not found: %s %s:%s fwmark=%s' % (protocol, vip, port, fwmark))


def rs_of(svc, address, port):
    for rs in svc['real_servers']:
        if (rs['address'], rs['port']) == (address, port):
            return rs
    raise AssertionError('real server %s:%s not found' % (address, port))


@pytest.fixture
def table():
    services = ipvs.parse_save(fixture('full-Sn.txt'))
    ipvs.merge_listing(services, ipvs.parse_list(fixture('full-Ln-thresholds.txt')),
                       rs_fields=('u_threshold', 'l_threshold'))
    return services


def as_specs(services):
    """Canonical services -> the ``services`` option of the module (the way a user would write them)."""
    specs = []
    for svc in services:
        spec = dict((k, v) for k, v in ipvs.public_service(svc).items() if v is not None)
        spec['real_servers'] = [dict(rs) for rs in spec['real_servers']]
        specs.append(spec)
    return specs


# ------------------------------------------------------------------------------------------- parse_save

def test_parse_save_empty():
    assert ipvs.parse_save(fixture('empty-Sn.txt')) == []


def test_parse_save_every_service(table):
    save_lines = [line for line in fixture('full-Sn.txt').splitlines() if line.startswith('-A ')]
    assert len(table) == len(save_lines) == 12


def test_parse_save_mh_flags_and_real_servers(table):
    svc = find(table, '10.99.200.1', 80)
    assert svc['scheduler'] == 'mh'
    assert svc['scheduler_flags'] == ['mh-fallback', 'mh-port']
    assert svc['persistence_timeout'] == 0 and svc['persistence_netmask'] is None
    assert [(r['address'], r['port'], r['forwarding'], r['weight']) for r in svc['real_servers']] == [
        ('10.99.0.1', 80, 'dr', 1), ('10.99.0.21', 80, 'dr', 2), ('10.99.0.22', 80, 'dr', 0)]


def test_parse_save_persistence(table):
    svc = find(table, '10.99.200.2', 443)
    assert (svc['scheduler'], svc['persistence_timeout'], svc['persistence_netmask']) == ('rr', 300, '255.255.255.0')
    # "-p" without a value: the kernel reported 360 and no -M, i.e. the full host mask
    svc = find(table, '10.99.200.3', 8080)
    assert (svc['persistence_timeout'], svc['persistence_netmask']) == (360, '255.255.255.255')


def test_parse_save_forwarding_and_thresholds(table):
    svc = find(table, '10.99.200.1', 53, 'udp')
    assert svc['scheduler'] == 'wrr'
    assert rs_of(svc, '10.99.0.21', 5353) == {'address': '10.99.0.21', 'port': 5353, 'forwarding': 'nat',
                                              'weight': 3, 'u_threshold': 100, 'l_threshold': 10}
    tun = rs_of(svc, '10.99.0.22', 53)
    assert tun['forwarding'] == 'tun' and tun['tun_type'] == 'ipip'
    assert rs_of(find(table, '10.99.200.3', 8080), '10.99.0.23', 8080)['u_threshold'] == 2000


def test_parse_save_thresholds_need_the_listing():
    # ipvsadm -Sn does not print -x/-y: without the --thresholds listing they read as 0
    services = ipvs.parse_save(fixture('full-Sn.txt'))
    assert rs_of(find(services, '10.99.200.1', 53, 'udp'), '10.99.0.21', 5353)['u_threshold'] == 0


def test_parse_save_ipv6(table):
    svc = find(table, '2001:db8::1', 80)
    assert svc['family'] == 'ipv6'
    assert svc['scheduler_flags'] == ['sh-fallback', 'sh-port']
    assert (svc['persistence_timeout'], svc['persistence_netmask']) == (120, '64')
    assert [(r['address'], r['port'], r['forwarding'], r['weight']) for r in svc['real_servers']] == [
        ('2001:db8:0:1::21', 80, 'dr', 5), ('2001:db8:0:1::22', 8080, 'nat', 1)]
    assert find(table, '2001:db8::1', 53, 'udp')['ops'] is True


def test_parse_save_sctp_fwmark_flags_empty(table):
    assert find(table, '10.99.200.4', 5060, 'sctp')['scheduler'] == 'lc'
    fwm = find(table, fwmark=43, family='ipv6')
    assert (fwm['vip'], fwm['port'], fwm['protocol']) == (None, None, None)
    assert rs_of(fwm, '2001:db8:0:1::21', 0)['weight'] == 2
    assert find(table, fwmark=42)['family'] == 'ipv4'
    assert find(table, '10.99.200.7', 80)['scheduler_flags'] == ['flag-3']
    assert find(table, '10.99.200.5', 25)['real_servers'] == []


def test_parse_save_rejects_garbage():
    with pytest.raises(ipvs.IpvsError):
        ipvs.parse_save('-A -t 10.0.0.1:80 -s rr --bogus\n')
    with pytest.raises(ipvs.IpvsError):
        ipvs.parse_save('-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n')  # real server without service
    with pytest.raises(ipvs.IpvsError):
        ipvs.parse_save(fixture('host-noipvs-Sn.txt'))


def test_render_save_round_trip(table):
    rendered = ipvs.render_save(table)
    assert ipvs.parse_save(rendered) == [dict(s, real_servers=[dict((k, v) for k, v in r.items()
                                                                    if not k.startswith('tun_'))
                                                               for r in s['real_servers']])
                                         for s in table]
    # same rules as ipvsadm printed, modulo the flags/options ipvsadm -Sn omits or adds
    captured = set(line.replace(' --tun-type ipip', '') for line in fixture('full-Sn.txt').splitlines())
    ours = set(line.split(' -x ')[0] for line in rendered.splitlines())
    ours = set(line.replace(' -b sh-fallback,sh-port -p 120 -M 64', ' -p 120 -M 64 -b sh-fallback,sh-port')
               for line in ours)
    assert ours == captured


# ------------------------------------------------------------------------------------------- parse_list

def test_parse_list_conns_and_version():
    listing = ipvs.parse_list(fixture('full-Ln.txt'))
    assert (listing['version'], listing['table_size']) == ('1.2.1', 4096)
    assert len(listing["services"]) == 12
    svc = find(listing['services'], '10.99.200.1', 80)
    assert svc['scheduler'] == 'mh' and svc['scheduler_flags'] == ['mh-fallback', 'mh-port']
    local = rs_of(svc, '10.99.0.1', 80)['values']
    assert local == {'forwarding': 'dr', 'weight': 1, 'active_conns': 1, 'inactive_conns': 3}
    udp = find(listing['services'], '10.99.200.1', 53, 'udp')
    assert rs_of(udp, '10.99.0.22', 53)['values']['forwarding'] == 'tun'
    v6 = find(listing['services'], '2001:db8::1', 80)
    assert (v6['persistence_timeout'], v6['persistence_netmask']) == (120, '64')
    assert find(listing['services'], '2001:db8::1', 53, 'udp')['ops'] is True
    assert rs_of(find(listing['services'], fwmark=43, family='ipv6'), '2001:db8:0:1::21', 0)['values']['weight'] == 2


def test_parse_list_empty():
    assert ipvs.parse_list(fixture('empty-Ln.txt')) == {'version': '1.2.1', 'table_size': 4096, 'services': []}


@pytest.mark.parametrize('name', ['full-Ln-stats.txt', 'one-Ln-stats.txt'])
def test_parse_list_stats_add_up(name):
    listing = ipvs.parse_list(fixture(name))
    assert listing['services']
    for svc in listing['services']:
        assert sorted(svc['values']) == sorted(ipvs.STATS_KEYS)
        for key in ipvs.STATS_KEYS:
            # a service's counters are the sum of its real servers' (no real server was removed)
            assert svc['values'][key] == sum(r['values'][key] for r in svc['real_servers']), (svc, key)
    web = find(listing['services'], '10.99.200.1', 80)
    assert web['values']['conns'] == 7 and rs_of(web, '10.99.0.1', 80)['values']['conns'] == 4


def test_parse_list_rate():
    listing = ipvs.parse_list(fixture('full-Ln-rate.txt'))
    web = find(listing['services'], '10.99.200.1', 80)
    assert sorted(web['values']) == sorted(ipvs.RATE_KEYS)
    assert web['values']['inbps'] > 0
    assert rs_of(web, '10.99.0.1', 80)['values']['outbps'] > 0


def test_parse_list_thresholds_and_persistent_conn():
    thr = ipvs.parse_list(fixture('full-Ln-thresholds.txt'))
    svc = find(thr['services'], '10.99.200.3', 8080)
    assert svc['persistence_timeout'] == 360
    expected = {'u_threshold': 2000, 'l_threshold': 1500, 'active_conns': 1, 'inactive_conns': 0}
    assert rs_of(svc, '10.99.0.23', 8080)['values'] == expected
    pc = ipvs.parse_list(fixture('full-Ln-persistent-conn.txt'))
    assert rs_of(find(pc['services'], '10.99.200.2', 443), '10.99.0.21', 443)['values']['persist_conns'] == 1


def test_parse_list_same_services_in_every_listing(table):
    keys = set(ipvs.service_key(s) for s in table)
    for name in ('full-Ln.txt', 'full-Ln-stats.txt', 'full-Ln-rate.txt', 'full-Ln-thresholds.txt',
                 'full-Ln-tun-info.txt', 'full-Ln-persistent-conn.txt', 'full-Ln-noexact.txt'):
        assert set(ipvs.service_key(s) for s in ipvs.parse_list(fixture(name))['services']) == keys, name


def test_merge_listing_stats(table):
    ipvs.merge_listing(table, ipvs.parse_list(fixture('full-Ln-stats.txt')), svc_field='stats', rs_group='stats')
    web = find(table, '10.99.200.1', 80)
    assert web['stats']['conns'] == 7
    assert rs_of(web, '10.99.0.21', 80)['stats'] == {'conns': 3, 'inpkts': 3, 'outpkts': 3, 'inbytes': 180,
                                                     'outbytes': 264}


# ------------------------------------------------------------------------------------------- errors, sysctls

def test_no_ipvs_detection():
    assert ipvs.no_ipvs(fixture('host-noipvs-Ln.txt'))
    for block in fixture('err-commands.txt').split('### ipvsadm ')[1:]:
        assert not ipvs.no_ipvs(block)


def test_read_sysctls():
    d = os.path.join(FIX, 'proc-sys-net-ipv4-vs')
    raw = {}
    for name in os.listdir(d):
        with open(os.path.join(d, name)) as f:
            raw[name] = f.read()
    sysctls = ipvs.read_sysctls(raw)
    assert len(sysctls) == 30
    assert sysctls['net.ipv4.vs.sloppy_tcp'] == '0'
    assert sysctls['net.ipv4.vs.conn_reuse_mode'] == '1'
    assert sysctls['net.ipv4.vs.sync_threshold'] == '3\t50'
    assert list(sysctls) == sorted(sysctls)


# ------------------------------------------------------------------------------------------- normalise

def test_normalize_defaults():
    [(state, svc)] = ipvs.normalize_services([{'vip': '10.99.100.10', 'port': 80,
                                               'real_servers': [{'address': '10.99.0.22'}, {'address': '10.99.0.21'}]}])
    assert state == 'present'
    assert svc['protocol'] == 'tcp' and svc['scheduler'] == 'mh' and svc['scheduler_flags'] == ['mh-fallback', 'mh-port']
    assert [r['address'] for r in svc['real_servers']] == ['10.99.0.21', '10.99.0.22']
    assert svc['real_servers'][0] == {'address': '10.99.0.21', 'port': 80, 'forwarding': 'dr', 'weight': 1,
                                      'u_threshold': 0, 'l_threshold': 0}
    [(state, svc)] = ipvs.normalize_services([{'vip': '10.99.100.10', 'port': 80, 'scheduler': 'rr'}])
    assert svc['scheduler_flags'] == []
    # explicit flags win over the mh default (mh-fallback off, or none at all)
    [(state, svc)] = ipvs.normalize_services([{'vip': '10.99.100.10', 'port': 80, 'scheduler_flags': ['mh-port']}])
    assert svc['scheduler_flags'] == ['mh-port']
    [(state, svc)] = ipvs.normalize_services([{'vip': '10.99.100.10', 'port': 80, 'scheduler_flags': []}])
    assert svc['scheduler_flags'] == []


def test_normalize_canonical_forms():
    spec = {'vip': '2001:DB8:0:0::1', 'port': 80, 'scheduler': 'sh', 'persistence_timeout': 60,
            'scheduler_flags': ['flag-2', 'sh-fallback', 'sh-port'], 'persistence_netmask': '/64'}
    [(dummy, svc)] = ipvs.normalize_services([spec])
    assert (svc['vip'], svc['family'], svc['scheduler_flags'], svc['persistence_netmask']) == (
        '2001:db8::1', 'ipv6', ['sh-fallback', 'sh-port'], '64')
    spec = {'vip': '10.0.0.1', 'port': 80, 'persistence_timeout': 60, 'persistence_netmask': '24'}
    [(dummy, svc)] = ipvs.normalize_services([spec])
    assert svc['persistence_netmask'] == '255.255.255.0'
    [(dummy, svc)] = ipvs.normalize_services([{'vip': '10.0.0.1', 'port': 80, 'persistence_netmask': '24'}])
    assert svc['persistence_netmask'] is None  # no persistence, no mask


@pytest.mark.parametrize('spec, message', [
    ({'vip': '10.0.0.1', 'port': 80, 'scheduler': 'rr', 'scheduler_flags': ['mh-port']}, 'needs scheduler'),
    ({'vip': '10.0.0.1', 'port': 80, 'scheduler_flags': ['flag-9']}, 'unknown scheduler flag'),
    ({'vip': '10.0.0.300', 'port': 80}, 'not an IP address'),
    ({'vip': '10.0.0.1'}, 'vip and port are required'),
    ({'vip': '10.0.0.1', 'port': 80, 'fwmark': 3}, 'either fwmark or vip'),
    ({'vip': '10.0.0.1', 'port': 70000}, 'out of range'),
    ({'vip': '10.0.0.1', 'port': 80, 'family': 'ipv6'}, 'does not match'),
    ({'vip': '10.0.0.1', 'port': 80, 'persistence_timeout': 60, 'persistence_netmask': '255.0.255.0'}, 'netmask'),
    ({'vip': '2001:db8::1', 'port': 80, 'persistence_timeout': 60, 'persistence_netmask': 'ffff::'}, 'prefix'),
    ({'vip': '10.0.0.1', 'port': 80, 'real_servers': [{'address': '10.0.0.2', 'weight': -1}]}, 'weight'),
    ({'vip': '10.0.0.1', 'port': 80, 'real_servers': [{'address': '10.0.0.2'}, {'address': '10.0.0.2', 'port': 80}]},
     'listed twice'),
])
def test_normalize_errors(spec, message):
    with pytest.raises(ipvs.IpvsError, match=message):
        ipvs.normalize_services([spec])


def test_normalize_duplicate_service():
    with pytest.raises(ipvs.IpvsError, match='listed twice'):
        ipvs.normalize_services([{'vip': '10.0.0.1', 'port': 80}, {'vip': '10.0.0.1', 'port': 80, 'scheduler': 'rr'}])
    # same address and port, other protocol: two services
    both = [{'vip': '10.0.0.1', 'port': 53}, {'vip': '10.0.0.1', 'port': 53, 'protocol': 'udp'}]
    assert len(ipvs.normalize_services(both)) == 2


# ------------------------------------------------------------------------------------------- plan

WEB = {'vip': '10.99.100.10', 'port': 80, 'scheduler': 'mh', 'scheduler_flags': ['mh-port'],
       'real_servers': [{'address': '10.99.0.21'}, {'address': '10.99.0.22'}]}


def web(**changes):
    spec = dict(WEB)
    spec.update(changes)
    return spec


def current_of(*specs):
    return ipvs.sort_services([svc for _state, svc in ipvs.normalize_services(specs)])


def test_plan_idempotent_on_the_captured_table(table):
    desired = ipvs.normalize_services(as_specs(table))
    assert ipvs.plan(table, desired, purge=True) == []


def test_plan_idempotent_with_equivalent_spellings(table):
    specs = as_specs(table)
    for spec in specs:
        if spec.get('scheduler') == 'mh' and spec['scheduler_flags'] == ['mh-fallback', 'mh-port']:
            spec['scheduler_flags'] = ['flag-2', 'flag-1']
        if spec.get('vip') == '2001:db8::1':
            spec['vip'] = '2001:DB8::0:1'
        if spec.get('persistence_netmask') == '255.255.255.0':
            spec['persistence_netmask'] = '24'
        for rs in spec['real_servers']:
            if rs['port'] == spec.get('port'):
                del rs['port']
    specs.reverse()
    assert ipvs.plan(table, ipvs.normalize_services(specs), purge=True) == []


def test_plan_create_from_empty():
    assert ipvs.plan([], ipvs.normalize_services([web()])) == [
        ['-A', '-t', '10.99.100.10:80', '-s', 'mh', '-b', 'mh-port'],
        ['-a', '-t', '10.99.100.10:80', '-r', '10.99.0.21:80', '-g', '-w', '1'],
        ['-a', '-t', '10.99.100.10:80', '-r', '10.99.0.22:80', '-g', '-w', '1'],
    ]


def test_plan_create_ipv6_udp_persistent_nat():
    spec = {'vip': '2001:db8::10', 'port': 53, 'protocol': 'udp', 'scheduler': 'wrr', 'persistence_timeout': 120,
            'persistence_netmask': '64', 'ops': True,
            'real_servers': [{'address': '2001:db8::21', 'port': 5353, 'forwarding': 'nat', 'weight': 2,
                              'u_threshold': 100, 'l_threshold': 10}]}
    assert ipvs.plan([], ipvs.normalize_services([spec])) == [
        ['-A', '-u', '[2001:db8::10]:53', '-s', 'wrr', '-p', '120', '-M', '64', '-o'],
        ['-a', '-u', '[2001:db8::10]:53', '-r', '[2001:db8::21]:5353', '-m', '-w', '2', '-x', '100', '-y', '10'],
    ]


def test_plan_weight_change_is_one_edit():
    current = current_of(web())
    desired = ipvs.normalize_services([web(real_servers=[{'address': '10.99.0.21'},
                                                         {'address': '10.99.0.22', 'weight': 0}])])
    assert ipvs.plan(current, desired) == [['-e', '-t', '10.99.100.10:80', '-r', '10.99.0.22:80', '-g', '-w', '0']]


def test_plan_scheduler_change_is_an_edit_not_a_delete():
    current = current_of(web())
    desired = ipvs.normalize_services([web(scheduler='wrr', scheduler_flags=[], persistence_timeout=300)])
    assert ipvs.plan(current, desired) == [['-E', '-t', '10.99.100.10:80', '-s', 'wrr', '-p', '300']]
    desired = ipvs.normalize_services([web(scheduler_flags=['mh-port', 'mh-fallback'])])
    assert ipvs.plan(current, desired) == [['-E', '-t', '10.99.100.10:80', '-s', 'mh', '-b', 'mh-fallback,mh-port']]


def test_plan_real_servers_become_exactly_the_list():
    current = current_of(web())
    desired = ipvs.normalize_services([web(real_servers=[{'address': '10.99.0.23'},
                                                         {'address': '10.99.0.21', 'forwarding': 'tun'}])])
    assert ipvs.plan(current, desired) == [
        ['-a', '-t', '10.99.100.10:80', '-r', '10.99.0.23:80', '-g', '-w', '1'],
        ['-e', '-t', '10.99.100.10:80', '-r', '10.99.0.21:80', '-i', '-w', '1'],
        ['-d', '-t', '10.99.100.10:80', '-r', '10.99.0.22:80'],
    ]
    assert ipvs.plan(current, ipvs.normalize_services([web(real_servers=[])])) == [
        ['-d', '-t', '10.99.100.10:80', '-r', '10.99.0.21:80'],
        ['-d', '-t', '10.99.100.10:80', '-r', '10.99.0.22:80'],
    ]


def test_plan_thresholds(table):
    svc = find(table, '10.99.200.1', 53, 'udp')
    spec = as_specs([svc])[0]
    spec['real_servers'][0]['u_threshold'] = 0
    spec['real_servers'][0]['l_threshold'] = 0
    assert ipvs.plan(table, ipvs.normalize_services([spec])) == [
        ['-e', '-u', '10.99.200.1:53', '-r', '10.99.0.21:5353', '-m', '-w', '3']]


def test_plan_absent_and_purge(table):
    absent = ipvs.normalize_services([{'vip': '10.99.200.2', 'port': 443, 'state': 'absent'},
                                      {'vip': '10.99.250.1', 'port': 443, 'state': 'absent'},
                                      {'fwmark': 43, 'family': 'ipv6', 'state': 'absent'}])
    assert ipvs.plan(table, absent) == [['-D', '-t', '10.99.200.2:443'], ['-D', '-f', '43', '-6']]
    keep = [s for s in as_specs(table) if s.get('vip') == '10.99.200.1']
    commands = ipvs.plan(table, ipvs.normalize_services(keep), purge=True)
    assert all(c[0] == '-D' for c in commands)
    assert len(commands) == len(table) - 2
    assert ['-D', '--sctp-service', '10.99.200.4:5060'] in commands and ['-D', '-f', '42'] in commands
    assert ['-D', '-t', '[2001:db8::1]:80'] in commands
    # without purge, unlisted services are left alone
    assert ipvs.plan(table, ipvs.normalize_services(keep)) == []


def test_plan_fwmark_real_server_port_defaults_to_zero(table):
    desired = ipvs.normalize_services([{'fwmark': 42, 'scheduler': 'rr', 'real_servers': [{'address': '10.99.0.21'}]}])
    assert ipvs.plan(table, desired) == []


def test_apply_plan_predicts_the_result(table):
    desired = ipvs.normalize_services([web(), {'vip': '10.99.200.2', 'port': 443, 'state': 'absent'},
                                       dict(as_specs([find(table, '10.99.200.1', 80)])[0], scheduler='wrr',
                                            scheduler_flags=[])])
    for purge in (False, True):
        after = ipvs.apply_plan(table, desired, purge)
        assert ipvs.plan(after, desired, purge) == []
        keys = set(ipvs.service_key(s) for s in after)
        assert ('tcp', '10.99.100.10', 80) in keys and ('tcp', '10.99.200.2', 443) not in keys
        assert (('fwm', 'ipv4', 42) in keys) is not purge


def test_plan_order_is_deterministic(table):
    specs = as_specs(table)
    for spec in specs:
        for rs in spec['real_servers']:
            rs['weight'] += 1
    a = ipvs.plan(table, ipvs.normalize_services(specs), purge=True)
    b = ipvs.plan(list(reversed(table)), ipvs.normalize_services(specs), purge=True)
    assert a == b and len(a) == sum(len(s['real_servers']) for s in table)


# ------------------------------------------------------------------------------- kernel order, sync daemons

def test_default_listing_hides_the_kernel_order():
    # .21, .22, .23 added in this order (tools/capture/ipvs-order.sh): the kernel inserts at the head
    key = ('tcp', '10.99.100.10', 80)
    assert ipvs.kernel_orders(ipvs.parse_list(fixture('order-added-Ln-nosort.txt'))) == {
        key: ['10.99.0.23:80', '10.99.0.22:80', '10.99.0.21:80']}
    assert ipvs.kernel_orders(ipvs.parse_list(fixture('order-added-Ln.txt'))) == {
        key: ['10.99.0.21:80', '10.99.0.22:80', '10.99.0.23:80']}


def test_kernel_orders_of_the_full_table():
    orders = ipvs.kernel_orders(ipvs.parse_list(fixture('full-Ln-nosort.txt')))
    assert len(orders) == 12
    # added .1, .21, .22 by tools/capture/ipvs-fixtures.sh
    assert orders[('tcp', '10.99.200.1', 80)] == ['10.99.0.22:80', '10.99.0.21:80', '10.99.0.1:80']
    assert orders[('tcp', '2001:db8::1', 80)] == ['[2001:db8:0:1::22]:8080', '[2001:db8:0:1::21]:80']
    assert orders[('fwm', 'ipv6', 43)] == ['[2001:db8:0:1::21]:0']
    assert orders[('tcp', '10.99.200.5', 25)] == []


def test_keepalived_reload_appends_at_the_head():
    def order(name):
        return ipvs.kernel_orders(ipvs.parse_list(fixture(name)))[('tcp', '10.99.100.10', 80)]
    assert order('keepalived-start-Ln-nosort.txt') == ['10.99.0.23:80', '10.99.0.22:80', '10.99.0.21:80']
    assert order('keepalived-reload-Ln-nosort.txt') == ['10.99.0.20:80', '10.99.0.23:80', '10.99.0.22:80',
                                                        '10.99.0.21:80']
    assert order('keepalived-restart-Ln-nosort.txt') == ['10.99.0.23:80', '10.99.0.22:80', '10.99.0.21:80',
                                                         '10.99.0.20:80']


def test_parse_daemons():
    assert ipvs.parse_daemons(fixture('daemon-none.txt')) == []
    assert ipvs.parse_daemons(fixture('full-daemon.txt')) == []
    common = {'mcast_interface': 'd0', 'syncid': 7, 'sync_maxlen': 1472, 'mcast_group': '224.0.0.81',
              'mcast_port': 8848, 'mcast_ttl': 1}
    assert ipvs.parse_daemons(fixture('daemon-both.txt')) == [dict(common, state='master'),
                                                              dict(common, state='backup')]


@pytest.mark.parametrize('name', ['daemon-err-running.txt', 'daemon-err-none.txt', 'full-Ln.txt'])
def test_parse_daemons_refuses_other_text(name):
    with pytest.raises(ipvs.IpvsError, match='unexpected'):
        ipvs.parse_daemons(fixture(name))
