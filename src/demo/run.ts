/**
 * The embedded demo: the Acme directory from fixtures/demo served in-process, bindwall in
 * front of it on 127.0.0.1, and a cheat-sheet of commands that work against the proxy.
 * The Okta simulator answers step-ups; the admin console runs on its own port.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { OktaSimulator } from '../okta/simulator/server.js';
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
  /** The demo's Okta simulator and the API token it accepts. */
  oktaUrl: string;
  oktaToken: string;
  /** The demo's policy directory (the shipped default plus a demo rule). */
  policyDir: string;
}

/** Demo logins in Okta are the people's mail addresses. */
export const DEMO_OKTA_DOMAIN = 'acme.test';

/** The rule that makes step-up easy to see in the demo: Carol, a Domain Admin, always steps up. */
const DEMO_RULE = `# Demo only: Carol (a Domain Admin) steps up on every bind, so the Okta Verify flow is easy
# to see. Edit this file while the demo runs: bindwall reloads it (a broken edit is refused).
version: 1
rules:
  - id: demo-carol-steps-up
    description: In the demo, Carol steps up on every bind (approve or deny on the simulator's page).
    when:
      user: carol.chen
    # A quarantined Carol is still stopped by the shipped quarantine rules (this file sorts first).
    unless: [ { quarantined: true } ]
    action: mfa
    method: push-then-otp
    severity: high
`;

export interface DemoOkta {
  simulator: OktaSimulator;
  token: string;
}

/** The Okta simulator with every Acme person enrolled in Okta Verify (push and OTP). */
export async function startDemoOkta(host: string, directory: DemoDirectory): Promise<DemoOkta> {
  const token = randomBytes(18).toString('base64url');
  const simulator = new OktaSimulator({ host, apiTokens: [token], pushLifetimeMs: 120_000 });
  await simulator.start();
  for (const p of directory.people()) simulator.state.addUser({ login: `${p.uid}@${DEMO_OKTA_DOMAIN}`, firstName: p.givenName, lastName: p.sn });
  // Cloud sign-ins from the last hour, for the SSO connector to bring in: Alice at Salesforce from Dublin.
  const now = Date.now();
  const dublin = { city: 'Dublin', state: 'Leinster', country: 'Ireland', postalCode: null, geolocation: { lat: 53.3498, lon: -6.2603 } };
  for (const [minutesAgo, app] of [[50, undefined], [49, 'Salesforce'], [12, 'Slack']] as const) {
    simulator.log.append({
      eventType: app ? 'user.authentication.sso' : 'user.session.start', at: now - minutesAgo * 60_000,
      actor: { alternateId: `alice.archer@${DEMO_OKTA_DOMAIN}`, displayName: 'Alice Archer' },
      client: { ipAddress: '81.2.69.160', geographicalContext: dublin },
      ...(app ? { target: [{ id: `0oa${app}`, type: 'AppInstance', alternateId: app.toLowerCase(), displayName: app, detailEntry: null }] } : {}),
    });
  }
  return { simulator, token };
}

/** data/demo/policies: the shipped default.yaml plus the demo rule, written afresh at each start. */
export function writeDemoPolicies(dir: string): void {
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(packageRoot, 'policies', 'default.yaml'), join(dir, 'default.yaml'));
  writeFileSync(join(dir, '10-demo.yaml'), DEMO_RULE);
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
    directory: {
      urls: [directoryUrl], connectTimeoutMs: 2_000, operationTimeoutMs: 10_000,
      // Facts from the directory, as a real install has them: Carol is a Domain Admin, so privileged.
      lookup: { bindDn: `uid=svc-bindwall,ou=Service Accounts,${DEMO_SUFFIX}`, password: 'Svc-Bindwall-Pw1', baseDn: DEMO_SUFFIX, privilegedGroups: ['Domain Admins'] },
    },
    storage: { path: join(opts.dataDir, 'bindwall.db') },
    policy: { dir: opts.policyDir, watch: true },
    mfa: {
      okta: { orgUrl: opts.oktaUrl, apiToken: opts.oktaToken, loginTemplate: `{account}@${DEMO_OKTA_DOMAIN}` },
      pollIntervalMs: 500, challengeTimeoutMs: 120_000, otpDelimiter: ',', challengePage: { host: opts.host, port: 0 }, rememberMs: 30_000,
    },
    // Okta's System Log, polled every ten seconds: the connector is green within a minute.
    connectors: { oktaSso: { orgUrl: opts.oktaUrl, apiToken: opts.oktaToken, pollIntervalMs: 10_000 } },
    // The console, on a port of its own: Domain Admins administer, the helpdesk triages, Finance looks.
    admin: { host: opts.host, port: 0, console: { roles: { admin: ['Domain Admins'], analyst: ['Helpdesk'], viewer: ['Finance Staff'] } } },
    log: { level: opts.logLevel },
  });
}

export function cheatSheet(proxyUrl: string, directoryUrl: string, entries: number, oktaUrl: string, challengePageUrl?: string, adminUrl?: string): string {
  const alice = `uid=alice.archer,ou=Finance,ou=People,${DEMO_SUFFIX}`;
  const carol = `uid=carol.chen,ou=IT,ou=People,${DEMO_SUFFIX}`;
  const bob = `uid=bob.baker,ou=Engineering,ou=People,${DEMO_SUFFIX}`;
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
    '  Bob changes his own title:',
    `    printf 'dn: ${bob}\\nchangetype: modify\\nreplace: title\\ntitle: Staff Engineer\\n' | \\`,
    `      ldapmodify -x -H ${proxyUrl} -D '${bob}' -w 'Bob#2026'`,
    '',
    `  Step-up MFA through Okta Verify (a local Okta simulator at ${oktaUrl}): Carol, a Domain Admin,`,
    '  must approve a push (data/demo/policies/10-demo.yaml says so; edit it live). The bind waits:',
    `    ldapwhoami -x -H ${proxyUrl} -D '${carol}' -w 'Carol#2026'`,
    `  Approve or deny it on the "phone", ${oktaUrl}/sim, or from another terminal:`,
    `    curl -X POST ${oktaUrl}/sim/users/carol.chen@${DEMO_OKTA_DOMAIN}/push/approve    (or …/push/deny: 49 and an incident)`,
    `  Or append the one-time code shown on that page to the password: -w 'Carol#2026,123456'`,
    '  A passed challenge is remembered for the same login (account, address, app) for 30 s here',
    '  (mfa.rememberMs; 5 minutes by default): within it Carol gets in without a prompt, whatever she appends.',
    ...(challengePageUrl ? [`  or type it at ${challengePageUrl}, the page the person at the endpoint uses.`] : []),
    '  Failed challenges are incidents:',
    '    npx bindwall incidents list --db data/demo/bindwall.db',
    '',
    '  Replay simulated logons from many 127.x addresses, then (a few seconds later) see what was learned:',
    `    npx bindwall simulate --live ${proxyUrl} --days 14 --max-events 3000`,
    '    npx bindwall risk show u00127 --db data/demo/bindwall.db',
    '  Cloud sign-ins from Okta (the SSO connector reads the simulator\'s System Log) in the same baseline as binds:',
    '    npx bindwall connectors --db data/demo/bindwall.db',
    '    npx bindwall risk show alice.archer --db data/demo/bindwall.db',
    '  Which rule of the demo\'s policy would decide a bind from a strange address, and why:',
    '    npx bindwall policy explain --user u00127 --endpoint 10.66.6.6 --policy data/demo/policies --db data/demo/bindwall.db',
    '',
    ...(adminUrl ? [
      `  The admin console: ${adminUrl}/console/ (a self-signed certificate: accept it once). Sign in as carol.chen`,
      `  (Carol#2026, a Domain Admin: admin) and approve the push at ${oktaUrl}/sim; alice.archer (Finance: viewer) only reads.`,
      '',
    ] : []),
    '  Every bind is logged below as one JSON line (outcome, client, risk score and reasons). Ctrl-C stops.',
    '',
  ].join('\n');
}
