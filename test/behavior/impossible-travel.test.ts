/**
 * Impossible travel between on-prem and cloud: a bind at a configured site (behavior.sites,
 * or the directory's site attribute) and an Okta sign-in whose geolocation is too far for the
 * time between are one person in two places; a trip that could be flown is not; app servers
 * say nothing about where anyone is.
 */
import test from 'ava';
import { BehaviorEngine } from '../../src/behavior/engine.js';
import { EventMapper, type LogonEvent } from '../../src/behavior/logon-event.js';
import { distanceKm } from '../../src/behavior/signals.js';
import { logonFromOkta } from '../../src/connectors/okta-sso/mapping.js';

const T0 = Date.UTC(2026, 10, 2, 9, 0);
const mapper = new EventMapper({
  apps: [{ name: 'portal', addresses: ['10.20.9.9'] }], endpointNames: {}, servicePatterns: [], privilegedPatterns: [],
  sites: [{ name: 'London', networks: ['10.20.0.0/16'], latitude: 51.5072, longitude: -0.1276 }, { name: 'Paris', networks: ['10.30.0.0/16'], latitude: 48.8566, longitude: 2.3522 }],
});
const bind = (address: string, time: number): LogonEvent => mapper.fromAttempt({ receivedAt: time, bindDn: 'uid=alice,ou=people,dc=corp,dc=example', clientAddress: address, listener: 'ldap' });
const cloud = (time: number, lat: number, lon: number, city: string, ip: string): LogonEvent => logonFromOkta({
  uuid: `u${time}`, published: new Date(time).toISOString(), eventType: 'user.session.start', actor: { type: 'User', alternateId: 'alice@corp.example' },
  client: { ipAddress: ip, geographicalContext: { city, country: null, geolocation: { lat, lon } } }, outcome: { result: 'SUCCESS' },
})!;

test('places come from sites, the directory\'s site attribute and cloud geolocation; never from an app server', (t) => {
  t.like(bind('10.20.1.15', T0).place, { name: 'London' });
  t.is(bind('10.20.9.9', T0).place, undefined, 'a declared app server is nowhere in particular');
  t.like(mapper.placeOf('192.0.2.1', { dn: 'x', ous: [], groups: [], groupNames: [], privileged: false, attributes: {}, site: 'paris' }), { name: 'Paris' });
  t.like(cloud(T0, -33.87, 151.21, 'Sydney', '1.2.3.4').place, { name: 'Sydney' });
  t.is(Math.round(distanceKm({ lat: 51.5072, lon: -0.1276 }, { lat: 48.8566, lon: 2.3522 })), 344);
});

test('a bind in London and an Okta sign-in from Sydney an hour later: impossible travel; London then Paris by train: not', (t) => {
  const engine = new BehaviorEngine({ timeZone: 'UTC' });
  const learn = (ev: LogonEvent) => {
    const a = engine.assess(ev);
    engine.learn(ev, a);
    return a;
  };
  for (let d = 0; d < 20; d++) learn(bind('10.20.1.15', T0 - (20 - d) * 86_400_000));
  const here = learn(bind('10.20.1.15', T0));
  t.false(here.signals.some((s) => s.code === 'impossible_travel'));
  const sydney = learn(cloud(T0 + 3_600_000, -33.87, 151.21, 'Sydney', '1.2.3.4'));
  const travel = sydney.signals.find((s) => s.code === 'impossible_travel');
  t.truthy(travel);
  t.is(travel!.points, 70);
  t.regex(travel!.reason, /alice logged on from Sydney \(1\.2\.3\.4\) 60 minutes after a logon from London \(10\.20\.1\.15\), 16\d\d\d km away/);
  t.true(sydney.score >= 50, 'enough to step up on its own');
  const other = new BehaviorEngine({ timeZone: 'UTC' });
  const a1 = other.assess(bind('10.20.1.15', T0));
  other.learn(bind('10.20.1.15', T0), a1);
  const paris = other.assess(bind('10.30.1.15', T0 + 3 * 3_600_000));
  t.false(paris.signals.some((s) => s.code === 'impossible_travel'), '344 km in three hours is a train ride');
});
