/**
 * A bounded, seeded fuzz run on every `npm test`: mutated PDUs through the framer and every
 * decoder (only clean refusals, never a crash), and through a running proxy in front of
 * slapd (every connection answered or closed, a valid client served throughout).
 * `npm run fuzz` runs the same harnesses for 1,000,000+ inputs.
 */
import test from 'ava';
import { fuzzDecoders } from '../../fuzz/decoders.js';
import { fuzzProxy } from '../../fuzz/proxy.js';
import { LdapClient } from '../../src/ldap/client.js';
import { startProxy } from '../helpers/proxy.js';
import { BASE_DN, startSlapd } from '../helpers/slapd.js';

const ALICE = `uid=alice,ou=people,${BASE_DN}`;

test('framer and decoders: 30,000 mutated PDUs, only clean refusals', (t) => {
  const r = fuzzDecoders({ seed: 9, inputs: 30_000 });
  t.deepEqual(r.crashes, []);
  t.is(r.inputs, 30_000);
  t.true(r.pdus > 10_000 && r.refused > 1_000, JSON.stringify({ pdus: r.pdus, refused: r.refused }));
});

test('a running proxy: 1,500 mutated inputs, no hang, a valid client served throughout', async (t) => {
  const slapd = await startSlapd();
  t.teardown(() => slapd.stop());
  const p = await startProxy({ directory: { urls: [slapd.url] } }, { behavior: true });
  t.teardown(() => p.stop());
  const r = await fuzzProxy({
    url: p.url, seed: 11, inputs: 1_500, concurrency: 8, checkEvery: 250, hangMs: 10_000,
    bind: { dn: ALICE, password: 'Alice-Pass-1' },
    validClient: async () => {
      const c = await LdapClient.connect(p.url);
      try {
        return (await c.bind(ALICE, 'Alice-Pass-1')).resultCode === 0 && (await c.whoami()).authzId === `dn:${ALICE}`;
      } finally {
        c.destroy();
      }
    },
  });
  t.is(r.hangs, 0);
  t.is(r.validFailures, 0);
  t.is(r.validChecks, 6);
});
