/**
 * A real, unmodified third-party LDAP client in front of a fresh bindwall with the shipped
 * policy and no MFA: Squid's basic_ldap_auth (Debian's squid package, installed by .ci/run),
 * the helper web proxies use to check users against LDAP. It binds as a search account (or
 * anonymously), searches for the user, then binds as the user — the app-server pattern. 100
 * users log in once (10 after one typo, 10 twice); every answer must be the one the same
 * helper gets straight from the directory.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { startProxy } from '../helpers/proxy.js';
import { ADMIN_DN, ADMIN_PW, BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const HELPER = '/usr/lib/squid/basic_ldap_auth';
let slapd: Slapd;

test.before(async () => {
  if (!existsSync(HELPER)) throw new Error(`${HELPER} is missing: install Debian's squid package (as .ci/run does)`);
  slapd = await startSlapd({ bulkUsers: 100 });
});
test.after.always(async () => {
  await slapd?.stop();
});

/** Runs the helper against `url` and feeds it "user password" lines; returns its answers. */
async function squid(url: string, lines: string[], extra: string[]): Promise<string[]> {
  const u = new URL(url);
  const child = spawn(HELPER, ['-v', '3', '-b', `ou=bulk,${BASE_DN}`, '-f', 'uid=%s', '-h', u.hostname, '-p', u.port, ...extra], { stdio: ['pipe', 'pipe', 'pipe'] });
  const answers: string[] = [];
  const rl = createInterface({ input: child.stdout! });
  const it = rl[Symbol.asyncIterator]();
  try {
    for (const line of lines) {
      child.stdin!.write(`${line}\n`);
      const r = await Promise.race([it.next(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer to ${line.split(' ')[0]}`)), 10_000))]);
      answers.push(String(r.value).split(' ')[0]!);
    }
  } finally {
    child.stdin!.end();
    child.kill();
  }
  return answers;
}

function logins(): string[] {
  const lines: string[] = [];
  for (let i = 1; i <= 100; i++) {
    const uid = `user${String(i).padStart(5, '0')}`;
    if (i % 10 === 3) lines.push(`${uid} Bulk-Pass-${i}-typo`);
    lines.push(`${uid} Bulk-Pass-${i}`);
    if (i % 10 === 6) lines.push(`${uid} Bulk-Pass-${i}`);
  }
  return lines;
}

for (const [name, extra] of [
  ['a search account, persistent connection (-D … -P)', ['-D', ADMIN_DN, '-w', ADMIN_PW, '-P']],
  ['a search account, a connection per login (-D …)', ['-D', ADMIN_DN, '-w', ADMIN_PW]],
  ['anonymous search, persistent connection (-P)', ['-P']],
] as const) {
  test.serial(`Squid basic_ldap_auth with ${name}: every answer matches the directory's`, async (t) => {
    const p = await startProxy({ directory: { urls: [slapd.url] } }, { behavior: true, policy: true });
    t.teardown(() => p.stop());
    const lines = logins();
    const direct = await squid(slapd.url, lines, [...extra]);
    t.is(direct.filter((a) => a === 'OK').length, 110);
    // (Without -P the helper answers a wrong password "BH", with -P "ERR": what counts is the same answer.)
    t.is(direct.filter((a) => a !== 'OK').length, 10);
    const through = await squid(p.url, lines, [...extra]);
    const mismatches = lines.map((l, i) => [l.split(' ')[0], direct[i], through[i]]).filter(([, d, b]) => d !== b);
    t.deepEqual(mismatches, [], p.events.filter((e) => e.outcome !== 'approved' && e.outcome !== 'failed').map((e) => `${e.bindDn} ${e.outcome} ${e.ruleId} ${e.assessment?.reasons.join('; ')}`).slice(0, 5).join('\n'));
  });
}
