/**
 * The baseline codec: Maps and Sets round-trip at any depth, the text is what the earlier
 * replacer-based encoder wrote (stored rows and SQLite's json_extract paths stay valid), and a
 * key named __proto__ stays data.
 */
import test from 'ava';
import { decodeJson, encodeJson } from '../../src/store/codec.js';

/** The encoder as it was: JSON.stringify with a replacer. */
const reference = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (v instanceof Map ? { $map: [...v] } : v instanceof Set ? { $set: [...v] } : v));

const sample = () => ({
  account: 'alice',
  first: 1_700_000_000_000,
  skipped: undefined,
  apps: new Map<string, unknown>([['vpn', { count: 3, hours: new Set([9, 10]) }], ['mail', { count: 1, hours: new Set<number>() }]]),
  endpoints: new Map([['10.0.0.1', new Map([['w', 0.5]])]]),
  recent: [{ t: 1, tags: new Set(['a']) }, null, 'x', 2],
  nested: { deeper: { list: [new Map([[1, [new Set(['s'])]]])] } },
  when: new Date(0),
});

test('the same text as the replacer-based encoder; Maps and Sets come back at every depth', (t) => {
  const v = sample();
  const text = encodeJson(v);
  t.is(text, reference(v));
  const back = decodeJson<ReturnType<typeof sample>>(text);
  t.true(back.apps instanceof Map);
  t.deepEqual((back.apps.get('vpn') as { hours: Set<number> }).hours, new Set([9, 10]));
  t.true(back.endpoints.get('10.0.0.1') instanceof Map);
  t.deepEqual(back.recent[0], { t: 1, tags: new Set(['a']) });
  t.deepEqual(back.nested.deeper.list[0]!.get(1), [new Set(['s'])]);
  t.is(back.when as unknown as string, '1970-01-01T00:00:00.000Z', 'a Date is stored as JSON writes it');
  t.false('skipped' in back);
});

test('a key named __proto__ is data, not a prototype, both ways', (t) => {
  const v = JSON.parse('{"byName":{"__proto__":{"polluted":true},"ok":1}}') as { byName: Record<string, unknown> };
  const text = encodeJson(v);
  t.is(text, '{"byName":{"__proto__":{"polluted":true},"ok":1}}');
  const withMap = decodeJson<{ byName: Record<string, unknown> }>('{"byName":{"__proto__":{"$set":[1]},"ok":1}}');
  t.true(Object.hasOwn(withMap.byName, '__proto__'));
  t.deepEqual(withMap.byName.__proto__, new Set([1]));
  t.is(Object.getPrototypeOf(withMap.byName), Object.prototype);
  t.is(({} as Record<string, unknown>).polluted, undefined);
});
