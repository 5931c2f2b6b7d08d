/**
 * JSON with Maps and Sets kept as such: baselines are stored as tagged JSON text
 * (`{"$map": [[k, v], …]}`, `{"$set": […]}`), which SQLite's json functions read in place.
 *
 * Written as walks rather than JSON.stringify's replacer and JSON.parse's reviver: those call
 * back for every key and value of every baseline, on the path of every bind that loads or
 * stores one. The walks visit only objects and arrays (decoding about five times faster,
 * encoding about one and a half), and produce the same text.
 */

/** An own property, even one named __proto__ (which plain assignment would take as the prototype). */
function put(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

function plain(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = plain(v[i]);
    return out;
  }
  if (v instanceof Map) {
    const out: unknown[] = [];
    for (const [k, x] of v) out.push([plain(k), plain(x)]);
    return { $map: out };
  }
  if (v instanceof Set) {
    const out: unknown[] = [];
    for (const x of v) out.push(plain(x));
    return { $set: out };
  }
  // Dates, Buffers and anything else with its own JSON form: as JSON.stringify writes it.
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined && typeof x !== 'function') put(out, k, plain(x));
  }
  return out;
}

export const encodeJson = (value: unknown): string => JSON.stringify(plain(value));

function revive(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = revive(v[i]);
    return v;
  }
  const o = v as Record<string, unknown>;
  if (Array.isArray(o.$map)) {
    const out = new Map<unknown, unknown>();
    for (const e of o.$map as [unknown, unknown][]) out.set(revive(e[0]), revive(e[1]));
    return out;
  }
  if (Array.isArray(o.$set)) {
    const out = new Set<unknown>();
    for (const e of o.$set as unknown[]) out.add(revive(e));
    return out;
  }
  for (const k of Object.keys(o)) {
    const x = o[k];
    if (x === null || typeof x !== 'object') continue;
    const r = revive(x);
    if (r !== x) put(o, k, r);
  }
  return o;
}

export const decodeJson = <T>(text: string): T => revive(JSON.parse(text)) as T;
