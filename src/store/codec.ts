/** JSON with Maps and Sets kept as such: baselines are stored as tagged JSON text. */
export const encodeJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (v instanceof Map ? { $map: [...v] } : v instanceof Set ? { $set: [...v] } : v));

export const decodeJson = <T>(text: string): T =>
  JSON.parse(text, (_k, v: { $map?: [unknown, unknown][]; $set?: unknown[] } | null) =>
    v && typeof v === 'object' && Array.isArray(v.$map) ? new Map(v.$map) : v && typeof v === 'object' && Array.isArray(v.$set) ? new Set(v.$set) : v) as T;
