/** What arrives from PostgreSQL is another node's JSON: checked field by field before it is applied. */
export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
