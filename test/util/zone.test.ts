/**
 * zoneOf: the /16 of a dotted quad, cut without a regex, and exactly the addresses
 * net.isIPv4 accepts are cut that way (anything else is IPv6 or left as it is).
 */
import test from 'ava';
import net from 'node:net';
import { zoneOf } from '../../src/util/cidr.js';

test('a dotted quad is cut at its second dot; what net.isIPv4 refuses is not', (t) => {
  t.is(zoneOf('10.1.2.3'), '10.1');
  t.is(zoneOf('255.255.255.255'), '255.255');
  t.is(zoneOf('0.0.0.0'), '0.0');
  for (const a of ['256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '1..2.3', 'a.b.c.d', '192.168.010.1', '1.2.3.4 ', '1.2.3.', '', 'host.example.com']) {
    t.false(net.isIPv4(a));
    t.is(zoneOf(a), a, a);
  }
  t.is(zoneOf('2001:db8:1234:5678::1'), (0x20010db81234n).toString(16), 'IPv6: the /48');
});
