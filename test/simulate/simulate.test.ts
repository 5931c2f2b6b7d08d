import test from 'ava';
import { createHash } from 'node:crypto';
import { simulate } from '../../src/simulate/generate.js';
import { evaluate, rocAuc } from '../../src/simulate/evaluate.js';
import { spawnBindwall } from '../helpers/cli.js';

const small = { users: 150, services: 8, days: 21, warmupDays: 10, attacksPerType: 2 };
const digest = (s: ReturnType<typeof simulate>): string => createHash('sha256').update(JSON.stringify(s.events)).digest('hex');

test('same seed, same data; another seed, other data', (t) => {
  const a = simulate({ ...small, seed: 3 });
  const b = simulate({ ...small, seed: 3 });
  const c = simulate({ ...small, seed: 4 });
  t.is(digest(a), digest(b));
  t.not(digest(a), digest(c));
  t.true(a.events.length > 5_000);
  // 15 attack types, 2 each; no dormant accounts in 21 days (it takes 30 of silence).
  t.is(a.campaigns.length, 28);
  t.true(a.events.every((e, i) => i === 0 || a.events[i - 1]!.event.time <= e.event.time), 'in time order');
  t.true(a.events.every(({ event }) => event.source === 'okta' || event.endpoint.startsWith('127.')), 'binds from loopback addresses only');
  t.true(a.events.some(({ event }) => event.source === 'okta' && event.app.startsWith('okta:')), 'and cloud sign-ins through Okta');
  t.is(a.oktaLog.length, a.events.filter(({ event }) => event.source === 'okta').length, 'each one an Okta LogEvent too');
});

test('the organisation has every persona, service accounts and drift', (t) => {
  const s = simulate({ ...small, users: 400, seed: 5 });
  const personas = new Set(s.org.people.map((p) => p.persona));
  t.deepEqual([...personas].sort(), ['admin', 'helpdesk', 'office', 'remote', 'rounds', 'shift', 'traveller']);
  t.true(s.org.people.some((p) => p.firstDay > 0), 'new hires');
  t.true(s.org.people.some((p) => p.lastDay < small.days), 'leavers');
  t.true(s.org.people.some((p) => p.newWorkstation), 'new laptops');
  t.true(s.events.some(({ event, campaign }) => campaign === undefined && event.result === 'bad_password'), 'password typos');
  t.true(s.org.people.some((p) => p.dhcp) && s.org.people.some((p) => p.domainJoined), 'DHCP laptops, domain-joined machines');
});

test('traffic as a proxy in front of AD sees it: name forms, app servers relaying, computer accounts, shared terminals', (t) => {
  const s = simulate({ ...small, users: 300, seed: 6 });
  const benign = s.events.filter((e) => e.campaign === undefined).map((e) => e.event);
  const forms = new Set(benign.filter((e) => e.kind === 'human' || e.kind === 'privileged').map((e) => (e.bindName.startsWith('CN=') ? 'dn' : e.bindName.includes('\\') ? 'sam' : 'upn')));
  t.deepEqual([...forms].sort(), ['dn', 'sam', 'upn'], 'display-name DNs, DOMAIN\\sam and UPNs');
  t.true(benign.some((e) => e.bindName.includes('\\,')), 'a display name with a comma, escaped');
  const portal = s.org.infra.portal;
  t.true(benign.some((e) => e.endpoint === portal.address && e.relayed && e.previousAccount === portal.serviceAccount), 'the portal relays after its service account');
  t.true(benign.some((e) => e.account === portal.serviceAccount && e.endpoint === portal.address), 'and its service account binds itself');
  t.true(benign.some((e) => e.endpoint === s.org.infra.mail.address && e.relayed && !e.previousAccount), 'the mail server rebinds as user after user');
  t.true(benign.some((e) => e.kind === 'computer' && e.account.endsWith('$')), 'computer accounts');
  const embedded = new Set(benign.filter((e) => e.account === s.org.infra.embeddedService).map((e) => e.endpoint));
  t.true(embedded.size >= 5, 'a service account embedded in a desktop client, on many workstations');
  t.true(benign.some((e) => e.result === 'expired') || s.options.days <= s.org.infra.expiryDay, 'a password-expiry morning');
  const attendees = new Set(benign.filter((e) => e.endpoint === s.org.infra.conference.address).map((e) => e.account));
  t.true(attendees.size >= 10, 'a conference NAT with many people behind one address');
});


test('the evaluation scores every event and sees attacks above benign logons', (t) => {
  const sim = simulate({ ...small, seed: 9 });
  const r = evaluate(sim);
  t.is(r.attacks.length, 15);
  t.true(r.attacks.reduce((n, a) => n + a.detected, 0) >= 18, JSON.stringify(r.attacks));
  t.true(r.rocAuc > 0.8, `AUC ${r.rocAuc}`);
  t.is(r.falseBlocks, 0);
  // Without directory facts every name form is its own account: the same traffic, scored worse or equal.
  const blind = evaluate(sim, {}, undefined, { facts: false });
  t.is(blind.measuredEvents, r.measuredEvents);
  t.is(blind.activeUsers, r.activeUsers, 'metrics stay per person');
});

test('ROC-AUC counts ties as half', (t) => {
  t.is(rocAuc([{ score: 1, attack: true }, { score: 0, attack: false }]), 1);
  t.is(rocAuc([{ score: 5, attack: true }, { score: 5, attack: false }]), 0.5);
  t.is(rocAuc([{ score: 0, attack: true }, { score: 9, attack: false }]), 0);
});

test('bindwall simulate --evaluate prints the report', async (t) => {
  const r = spawnBindwall(['simulate', '--users', '120', '--services', '5', '--days', '16', '--warmup-days', '8', '--attacks', '1', '--evaluate']);
  t.is(await r.exited, 0, r.stderr());
  t.regex(r.stdout(), /simulated 120 people and 5 service accounts over 16 days/);
  t.regex(r.stdout(), /password_spray_fast/);
  t.regex(r.stdout(), /false step-ups: .* per active user per month/);
  const bad = spawnBindwall(['simulate', '--days', 'many']);
  t.is(await bad.exited, 2);
  t.regex(bad.stderr(), /--days must be a whole number/);
});
