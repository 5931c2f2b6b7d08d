/**
 * What bindwall knows of an identity's cloud use, from the sign-ins the Okta connector
 * brought into its baseline: whether it has used cloud access at all, which apps, and its last
 * cloud sign-in (when, from where). Staff can tell at a glance whether a person works in the
 * cloud, to judge a risk; policies can ask (`cloud: { access: true }`).
 */
import type { AccountBaseline } from './baseline.js';

export interface CloudUse {
  access: boolean;
  /** Cloud apps used (okta:<app>; `okta` is the Okta sign-in itself), most used first. */
  apps: string[];
  lastSignIn?: number;
  lastFrom?: string;
  lastPlace?: string;
}

export const isCloudApp = (app: string): boolean => app === 'okta' || app.startsWith('okta:');

export function cloudUse(b: AccountBaseline | undefined): CloudUse {
  if (!b) return { access: false, apps: [] };
  const apps = [...b.apps].filter(([app]) => isCloudApp(app)).sort((x, y) => y[1].count - x[1].count);
  if (apps.length === 0) return { access: false, apps: [] };
  const last = Math.max(...apps.map(([, f]) => f.last));
  const recent = [...b.recent].reverse().find((r) => isCloudApp(r.app));
  return {
    access: true, apps: apps.map(([app]) => app).filter((a) => a !== 'okta'), lastSignIn: last,
    ...(recent ? { lastFrom: recent.endpoint, ...(recent.place?.name ? { lastPlace: recent.place.name } : {}) } : {}),
  };
}

/** "cloud: 2 apps (okta:Salesforce, okta:Slack), last sign-in 2 h ago from 81.2.69.160, Dublin" */
export function describeCloud(c: CloudUse, now: number): string {
  if (!c.access) return 'no cloud sign-ins seen';
  const ago = c.lastSignIn === undefined ? '' : (() => {
    const m = Math.max(0, Math.round((now - c.lastSignIn) / 60_000));
    return m < 90 ? `${m} min ago` : m < 48 * 60 ? `${Math.round(m / 60)} h ago` : `${Math.round(m / 1440)} days ago`;
  })();
  return `${c.apps.length} app${c.apps.length === 1 ? '' : 's'}${c.apps.length ? ` (${c.apps.slice(0, 5).join(', ')}${c.apps.length > 5 ? ', …' : ''})` : ''}, last sign-in ${ago}${c.lastFrom ? ` from ${c.lastFrom}` : ''}${c.lastPlace ? `, ${c.lastPlace}` : ''}`;
}
