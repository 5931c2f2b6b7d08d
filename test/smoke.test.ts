import test from 'ava';
import { ldapTool } from './helpers/ldap-utils.js';
import { startProxy } from './helpers/proxy.js';
import { startSlapd } from './helpers/slapd.js';

test('smoke: whoami through the proxy', async (t) => {
  const slapd = await startSlapd();
  t.teardown(() => slapd.stop());
  const p = await startProxy({ directory: { urls: [slapd.url] } });
  t.teardown(() => p.stop());
  const r = await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', 'uid=alice,ou=people,dc=corp,dc=example', '-w', 'Alice-Pass-1']);
  t.log(r);
  t.is(r.code, 0);
  t.log(p.events);
});
