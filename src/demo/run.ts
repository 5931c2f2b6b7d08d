/**
 * The embedded demo: the Acme directory from fixtures/demo served in-process, bindwall in
 * front of it on 127.0.0.1, and a cheat-sheet of commands that work against the proxy.
 * Later issues add the Okta simulator and the console here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromObject, type Config } from '../config/load.js';
import { serveDirectory, type ServedDirectory } from '../ldap/ldapjs-server.js';
import { DemoDirectory } from './directory.js';
import { parseLdif } from './ldif.js';
import { packageRoot } from '../util/package-root.js';
import { defaultSimulation } from '../simulate/generate.js';
import { buildOrganisation } from '../simulate/org.js';
import { simulatedEntries } from '../simulate/directory-entries.js';

export const DEMO_SUFFIX = 'dc=acme,dc=test';
export const DEMO_ADMIN_GROUP = `cn=Domain Admins,ou=Groups,${DEMO_SUFFIX}`;

export interface DemoOptions {
  host: string;
  port: number;
  dataDir: string;
  logLevel: string;
}

export interface DemoDirectoryHandle {
  directory: DemoDirectory;
  served: ServedDirectory;
}

export async function startDemoDirectory(host = '127.0.0.1'): Promise<DemoDirectoryHandle> {
  const file = join(packageRoot, 'fixtures', 'demo', 'directory.ldif');
  // The simulated organisation lives in ou=Simulated, so `bindwall simulate --live` works here.
  const simulated = simulatedEntries(buildOrganisation({ ...defaultSimulation }), DEMO_SUFFIX);
  const directory = new DemoDirectory([...parseLdif(readFileSync(file, 'utf8'), file), ...simulated], { adminGroupDn: DEMO_ADMIN_GROUP });
  const served = await serveDirectory(directory, { host, port: 0 });
  return { directory, served };
}

export function demoConfig(directoryUrl: string, opts: DemoOptions): Config {
  return configFromObject('<demo>', {
    listeners: [{ name: 'demo', host: opts.host, port: opts.port }],
    directory: { urls: [directoryUrl], connectTimeoutMs: 2_000, operationTimeoutMs: 10_000 },
    storage: { path: join(opts.dataDir, 'bindwall.db') },
    log: { level: opts.logLevel },
  });
}

export function cheatSheet(proxyUrl: string, directoryUrl: string, entries: number): string {
  const alice = `uid=alice.archer,ou=Finance,ou=People,${DEMO_SUFFIX}`;
  const carol = `uid=carol.chen,ou=IT,ou=People,${DEMO_SUFFIX}`;
  return [
    '',
    `bindwall demo — proxy ${proxyUrl} in front of the Acme demo directory (${entries} entries at ${directoryUrl})`,
    '',
    '  Every person\'s password is <GivenName>#2026; service accounts use Svc-<Name>-Pw1.',
    '',
    '  Who am I (a simple bind through the proxy):',
    `    ldapwhoami -x -H ${proxyUrl} -D '${alice}' -w 'Alice#2026'`,
    '  A wrong password (49, as the directory says):',
    `    ldapwhoami -x -H ${proxyUrl} -D '${alice}' -w 'wrong'`,
    '  An unauthenticated bind (name, empty password) is refused:',
    `    ldapwhoami -x -H ${proxyUrl} -D '${alice}'`,
    '  Search the Finance department:',
    `    ldapsearch -x -H ${proxyUrl} -b 'ou=Finance,ou=People,${DEMO_SUFFIX}' '(objectClass=inetOrgPerson)' cn title l`,
    '  Members of the privileged group (nested through Tier0 Operators):',
    `    ldapsearch -x -H ${proxyUrl} -b '${DEMO_ADMIN_GROUP}' -s base member`,
    '  A Domain Admin (Carol) changes a title:',
    `    printf 'dn: ${alice}\\nchangetype: modify\\nreplace: title\\ntitle: Senior Accountant\\n' | \\`,
    `      ldapmodify -x -H ${proxyUrl} -D '${carol}' -w 'Carol#2026'`,
    '',
    '  Replay simulated logons from many 127.x addresses, then (a few seconds later) see what was learned:',
    `    npx bindwall simulate --live ${proxyUrl} --days 14 --max-events 3000`,
    '    npx bindwall risk show u00127 --db data/demo/bindwall.db',
    '  Which rule of the policy (policies/default.yaml) would decide a bind from a strange address, and why:',
    '    npx bindwall policy explain --user u00127 --endpoint 10.66.6.6 --db data/demo/bindwall.db',
    '',
    '  Every bind is logged below as one JSON line (outcome, client, risk score and reasons). Ctrl-C stops.',
    '',
  ].join('\n');
}
