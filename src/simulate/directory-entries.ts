/**
 * The simulated organisation as directory entries, so live mode can bind as its people
 * and service accounts: the demo directory loads them, tests load them into slapd.
 */
import type { LdifEntry } from '../demo/ldif.js';
import type { Organisation } from './org.js';

export const SIM_OU = 'Simulated';

/** The password every simulated account has in the directory. */
export const simPassword = (uid: string): string => `Sim-${uid}`;

export function simulatedEntries(org: Organisation, suffix: string): LdifEntry[] {
  const base = `ou=${SIM_OU},${suffix}`;
  const entries: LdifEntry[] = [{ dn: base, attributes: { objectClass: ['organizationalUnit'], ou: [SIM_OU] }, line: 0 }];
  for (const p of org.people) {
    entries.push({
      dn: `uid=${p.uid},${base}`, line: 0,
      attributes: {
        objectClass: ['inetOrgPerson'], uid: [p.uid], cn: [`Simulated ${p.uid}`], sn: [p.uid],
        departmentNumber: [p.department], l: [`site-${p.site}`], title: [p.persona], userPassword: [simPassword(p.uid)],
      },
    });
  }
  for (const s of org.services) {
    entries.push({ dn: `uid=${s.uid},${base}`, line: 0, attributes: { objectClass: ['inetOrgPerson'], uid: [s.uid], cn: [s.uid], sn: ['service'], userPassword: [simPassword(s.uid)] } });
  }
  return entries;
}
