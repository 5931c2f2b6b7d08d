/**
 * A fresh install in front of an app server, with the shipped policy and no MFA connector:
 * the app binds as its service account, searches for the user, then binds as the user —
 * for 500 people, 5% of them after a typo. Every bind must be answered as the directory
 * answers it. A spray through the same app is still seen, on the attempts and the accounts
 * it targets, never on the app's other users or its service account.
 */
import test from 'ava';
import { LdapClient, Filter } from '../../src/ldap/client.js';
import { runBindwall } from '../helpers/cli.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { ADMIN_DN, ADMIN_PW, BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const APP = '127.0.0.50';
const password = (i: number): string => `Bulk-Pass-${i}`;
let slapd: Slapd;

test.before(async () => {
  slapd = await startSlapd({ bulkUsers: 700 });
});
test.after.always(async () => {
  await slapd?.stop();
});

/** One login through the app, as web apps and mod_authnz_ldap do it: service bind, search, user bind. */
async function appLogin(c: LdapClient, i: number, pw: string): Promise<{ service: number; user: number }> {
  const service = (await c.bind(ADMIN_DN, ADMIN_PW)).resultCode;
  const found = await c.searchEntries(`ou=bulk,${BASE_DN}`, Filter.equality('uid', `user${String(i).padStart(5, '0')}`), { attributes: ['1.1'] });
  if (found.entries.length !== 1) throw new Error(`user ${i} not found`);
  return { service, user: (await c.bind(found.entries[0]!.dn, pw)).resultCode };
}

async function pool(p: TestProxy, n: number): Promise<LdapClient[]> {
  return Promise.all(Array.from({ length: n }, () => LdapClient.connect(p.url, { localAddress: APP })));
}

test('day one behind an app server: 500 logins (5% after a typo) answered exactly as the directory answers', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] } }, { behavior: true, policy: true });
  t.teardown(() => p.stop());
  const conns = await pool(p, 8);
  t.teardown(() => conns.forEach((c) => c.destroy()));
  const wrong: number[] = [];
  let next = 1;
  await Promise.all(conns.map(async (c) => {
    while (next <= 500) {
      const i = next++;
      if (i % 20 === 7) {
        const typo = await appLogin(c, i, `${password(i)}x`);
        t.deepEqual(typo, { service: 0, user: 49 }, `typo of user ${i}`);
      }
      const r = await appLogin(c, i, password(i));
      if (r.service !== 0 || r.user !== 0) wrong.push(i);
    }
  }));
  const refused = p.events.filter((e) => e.resultCode !== (e.directoryResultCode ?? e.resultCode));
  t.deepEqual(refused.map((e) => `${e.bindDn} ${e.outcome} ${e.ruleId} ${e.assessment?.reasons.join('; ')}`), []);
  t.deepEqual(wrong, [], 'every right password accepted');
  t.is(p.behavior!.engine.endpoint(APP) && p.events.at(-1)!.assessment?.endpointRole, 'app_server', 'learned as an app server');
  // The admin sees what was learned, with the evidence, and the lines that pin it.
  p.behavior!.flush();
  const r = await runBindwall(['endpoints', '--roles', '--db', p.config.storage.path, '--json']);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { endpoints: { endpoint: string; role: string; declared: boolean; evidence: string }[]; pin: string };
  t.like(report.endpoints.find((e) => e.endpoint === APP), { role: 'app_server', declared: false });
  t.regex(report.endpoints.find((e) => e.endpoint === APP)!.evidence, /relayed binds by \d+ accounts .*binding for them: admin/);
  t.regex(report.pin, /apps:\n {4}- \{ name: app-127-0-0-50, addresses: \[127\.0\.0\.50\] \}/);
});

test('a spray through the app is seen on its attempts and the accounts it targets, not on the app or its other users', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] } }, { behavior: true, policy: true });
  t.teardown(() => p.stop());
  const conns = await pool(p, 2);
  t.teardown(() => conns.forEach((c) => c.destroy()));
  // A morning of ordinary logins makes the app's role clear.
  for (let i = 501; i <= 540; i++) t.deepEqual(await appLogin(conns[i % 2]!, i, password(i)), { service: 0, user: 0 });
  // Then someone sprays one password at 100 accounts through the app's login form.
  const sprayed = p.events.length;
  for (let i = 541; i <= 640; i++) t.deepEqual(await appLogin(conns[0]!, i, 'Summer2026!'), { service: 0, user: 49 });
  const attempts = p.events.slice(sprayed).filter((e) => e.bindDn !== ADMIN_DN);
  t.true(attempts.slice(15).every((e) => e.assessment?.signals.some((s) => s.code === 'spraying_source')), 'the attempts carry the spray');
  // The app's service account and its other users keep working throughout.
  for (let i = 641; i <= 660; i++) {
    const r = await appLogin(conns[1]!, i, password(i));
    t.deepEqual(r, { service: 0, user: 0 }, `user ${i} during the spray`);
  }
  const bystanders = p.events.filter((e) => e.outcome === 'approved' && e.bindDn !== ADMIN_DN).slice(-20);
  t.true(bystanders.every((e) => !e.assessment?.signals.some((s) => s.code === 'spraying_source' || s.code === 'endpoint_risk')));
  t.true(p.behavior!.engine.risk('endpoint', APP, Date.now()) < 1, 'the app is not blamed as a whole');
  // An account the spray targeted that now logs on through the app is stepped up (no MFA here: refused).
  t.deepEqual(await appLogin(conns[1]!, 545, password(545)), { service: 0, user: 49 });
  t.like(p.events.at(-1), { outcome: 'challenge_failed', ruleId: 'medium-risk-step-up' });
  t.true(p.events.at(-1)!.assessment!.signals.some((s) => s.code === 'spraying_source'));
});
