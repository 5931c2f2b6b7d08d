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
        objectClass: ['inetOrgPerson'], uid: [p.uid], cn: [p.displayName], sn: [p.uid], displayName: [p.displayName],
        departmentNumber: [p.department], l: [`site-${p.site}`], title: [p.persona], userPassword: [simPassword(p.uid)],
      },
    });
  }
  // The accounts the infrastructure binds as, and the workstations' computer accounts.
  const i = org.infra;
  const services = [...org.services.map((s) => s.uid), i.portal.serviceAccount!, i.radius.serviceAccount!, i.embeddedService, i.hrSync.uid];
  const computers = org.people.filter((p) => p.domainJoined).flatMap((p) => [p.device, ...(p.newWorkstation ? [p.newWorkstation.device] : [])]);
  for (const uid of [...services, ...computers]) {
    entries.push({ dn: `uid=${uid},${base}`, line: 0, attributes: { objectClass: ['inetOrgPerson'], uid: [uid], cn: [uid], sn: [uid.endsWith('$') ? 'computer' : 'service'], userPassword: [simPassword(uid)] } });
  }
  return entries;
}
