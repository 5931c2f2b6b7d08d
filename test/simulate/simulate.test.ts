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
  t.is(a.campaigns.length, 16);
  t.true(a.events.every((e, i) => i === 0 || a.events[i - 1]!.event.time <= e.event.time), 'in time order');
  t.true(a.events.every(({ event }) => event.endpoint.startsWith('127.')), 'loopback addresses only');
});

test('the organisation has every persona, service accounts and drift', (t) => {
  const s = simulate({ ...small, users: 400, seed: 5 });
  const personas = new Set(s.org.people.map((p) => p.persona));
  t.deepEqual([...personas].sort(), ['admin', 'helpdesk', 'office', 'remote', 'shift', 'traveller']);
  t.true(s.org.people.some((p) => p.firstDay > 0), 'new hires');
  t.true(s.org.people.some((p) => p.lastDay < small.days), 'leavers');
  t.true(s.org.people.some((p) => p.newWorkstation), 'new laptops');
  t.true(s.events.some(({ event, campaign }) => campaign === undefined && event.result === 'bad_password'), 'password typos');
});

test('the evaluation scores every event and sees attacks above benign logons', (t) => {
  const r = evaluate(simulate({ ...small, seed: 9 }));
  t.is(r.attacks.length, 8);
  t.true(r.attacks.reduce((n, a) => n + a.detected, 0) >= 12, JSON.stringify(r.attacks));
  t.true(r.rocAuc > 0.8, `AUC ${r.rocAuc}`);
  t.is(r.falseBlocks, 0);
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
