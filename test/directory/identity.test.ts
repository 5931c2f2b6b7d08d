/**
 * One identity per person, whatever name form the app binds with. In AD a bind DN carries
 * the display name (`CN=Judith Lopez,OU=…`) while desktop tools bind with `DOMAIN\jlopez`
 * or a UPN; with directory facts every form resolves to the entry's login name, so one
 * person has one baseline. DNs compare as RFC 4514 says (escapes, case, spaces, Unicode).
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventMapper, canonicalAccount } from '../../src/behavior/logon-event.js';
import type { UserFacts } from '../../src/directory/facts.js';
import { LdapClient } from '../../src/ldap/client.js';
import { normalizeDn } from '../../src/util/dn.js';
import { fixture } from '../helpers/paths.js';
import { startProxy } from '../helpers/proxy.js';
import { ADMIN_DN, ADMIN_PW, BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const JUDITH = `cn=Judith Lopez,ou=people,${BASE_DN}`;
let slapd: Slapd;

let dir: string;

test.before(async () => {
  // An AD-style entry: named by its display name, with a separate login attribute.
  dir = mkdtempSync(join(tmpdir(), 'bindwall-identity-'));
  const ldif = join(dir, 'directory.ldif');
  writeFileSync(ldif, `${readFileSync(fixture('test', 'directory.ldif'), 'utf8')}\ndn: ${JUDITH}\nobjectClass: inetOrgPerson\ncn: Judith Lopez\nsn: Lopez\nuid: jlopez\nuserPassword: Judith-Pass-7\n`);
  slapd = await startSlapd({ ldif });
});
test.after.always(async () => {
  await slapd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('DNs written differently compare equal (RFC 4514): escapes, hex pairs, case, spaces, Unicode, RDN order', (t) => {
  t.is(normalizeDn('cn=Smith\\, John,ou=People,dc=corp'), normalizeDn('CN=Smith\\2C John, OU=people,DC=Corp'));
  t.is(normalizeDn('cn=caf\\C3\\A9,dc=x'), normalizeDn('cn=Café,dc=x'));
  t.is(normalizeDn('uid=a+cn=B,dc=x'), normalizeDn('CN=b + UID=A,dc=x'));
  t.not(normalizeDn('cn=a,dc=x'), normalizeDn('cn=b,dc=x'));
  t.is(canonicalAccount('cn=Smith\\2C John,ou=x'), canonicalAccount('cn=Smith\\, John,ou=x'));
});

test('with directory facts, a display-name DN, DOMAIN\\sam and a UPN are one identity', (t) => {
  const facts: UserFacts = { dn: JUDITH, login: 'jlopez', ous: ['people'], groups: [], groupNames: [], privileged: false, attributes: {} };
  const m = new EventMapper();
  const at = (bindDn: string): string => m.fromAttempt({ receivedAt: 1, bindDn, clientAddress: '127.0.0.9', listener: 'ldap' }, facts).account;
  t.deepEqual([at(JUDITH), at('CORP\\jlopez'), at('jlopez@corp.example')], ['jlopez', 'jlopez', 'jlopez']);
  t.is(m.fromAttempt({ receivedAt: 1, bindDn: JUDITH, clientAddress: '127.0.0.9', listener: 'ldap' }).account, 'judith lopez', 'without facts, the name in the DN');
});

test('through the proxy: binds with three spellings of the display-name DN learn one baseline, which lists the names seen', async (t) => {
  const p = await startProxy({
    directory: { urls: [slapd.url], lookup: { bindDn: ADMIN_DN, password: ADMIN_PW, baseDn: BASE_DN, userAttributes: ['uid'] } },
  }, { behavior: true });
  t.teardown(() => p.stop());
  const forms = [JUDITH, `CN=Judith Lopez,OU=People,DC=corp,DC=example`, `cn=Judith\\20Lopez,ou=people,${BASE_DN}`];
  for (const dn of forms) {
    const c = await LdapClient.connect(p.url);
    t.is((await c.bind(dn, 'Judith-Pass-7')).resultCode, 0, dn);
    await c.unbind();
  }
  const b = p.behavior!.engine.account('jlopez');
  t.truthy(b);
  t.is(Math.round(b!.logons), 3);
  t.deepEqual(b!.names, forms);
  t.is(p.behavior!.engine.account('judith lopez'), undefined, 'no second baseline under the display name');
  t.true(p.events.every((e) => e.assessment !== undefined));
});
