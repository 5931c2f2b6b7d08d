/**
 * `bindwall dead-letters list [--all] | retry ID… | retry --all`: notifications, response
 * steps and emails that kept failing. A retry runs against the config given (keys, targets
 * and workflows as they are now) and records its result on the incident's timeline.
 */
import { parseArgs } from 'node:util';
import { loadConfigFile, type Config } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { directoryFacts } from '../behavior/setup.js';
import { buildNotices } from '../insight/setup.js';
import { OktaClient } from '../okta/client.js';
import { OktaActions } from '../response/okta-actions.js';
import { retryDeadLetter } from '../response/dead-letters.js';
import { ResponseRunner } from '../response/runner.js';
import { openDatabase } from '../store/db.js';
import { IncidentStore, type DeadLetter } from '../store/incident-store.js';
import { systemClock } from '../util/clock.js';
import { packageVersion } from '../util/package-root.js';
import { UsageError } from './usage.js';

export const DEAD_LETTERS_USAGE = 'usage: bindwall dead-letters list [--all] (--config FILE or --db PATH) | retry ID… | retry --all (--config FILE); --json';

const iso = (t: number): string => new Date(t).toISOString();
const line = (d: DeadLetter): string =>
  `#${d.id}  ${iso(d.time)}  ${d.kind} ${d.target}${d.incidentId !== null ? `  incident #${d.incidentId}` : ''}  ${d.attempts} attempt(s): ${d.error}${d.retried ? `  (delivered by a retry ${iso(d.retried)})` : ''}`;

export async function deadLettersCommand(args: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list' && sub !== 'retry') throw new UsageError(DEAD_LETTERS_USAGE);
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true, strict: true,
    options: { config: { type: 'string', short: 'c' }, db: { type: 'string' }, all: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  });
  if (sub === 'list' && positionals.length > 0) throw new UsageError(DEAD_LETTERS_USAGE);
  if (sub === 'retry' && (positionals.length === 0) === !values.all) throw new UsageError('retry takes dead-letter IDs or --all');
  if (sub === 'retry' && !values.config) throw new UsageError('retry needs --config FILE (the targets, keys and workflows to send with)');
  const ids = positionals.map((p) => {
    const n = Number(p.replace(/^#/, ''));
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`"${p}" is not a dead-letter ID (a number from dead-letters list)`);
    return n;
  });
  const config = values.config ? loadConfigFile(values.config) : undefined;
  const db = openDatabase(values.db ?? config?.storage.path ?? 'data/bindwall.db');
  try {
    const store = new IncidentStore(db);
    if (sub === 'list') {
      const rows = store.deadLetters({ all: values.all });
      if (values.json) out(JSON.stringify(rows.map(({ payload: _p, ...d }) => d)));
      else if (rows.length === 0) out(values.all ? 'no dead letters' : 'no dead letters waiting (--all shows delivered ones too)');
      else for (const d of rows) out(line(d));
      return 0;
    }
    const letters: DeadLetter[] = [];
    for (const id of ids) {
      const d = store.deadLetterById(id);
      if (!d) {
        err(`bindwall: no dead letter #${id}`);
        return 1;
      }
      if (d.retried !== null) err(`bindwall: dead letter #${id} was already delivered; sending it again`);
      letters.push(d);
    }
    if (values.all) letters.push(...store.deadLetters());
    const retry = await retrier(config!, db, store);
    const results = [];
    try {
      for (const d of letters) results.push(await retryDeadLetter(d, retry.deps));
    } finally {
      retry.close();
    }
    if (values.json) out(JSON.stringify(results));
    else if (results.length === 0) out('no dead letters waiting');
    else for (const r of results) out(`#${r.id}  ${r.ok ? 'delivered' : 'failed again'}: ${r.what}`);
    return results.every((r) => r.ok) ? 0 : 1;
  } finally {
    db.close();
  }
}

/** What a retry sends with, built from the config as `start` would build it. */
async function retrier(config: Config, db: ReturnType<typeof openDatabase>, store: IncidentStore) {
  // Logs of the retry itself go to stderr: stdout stays the command's answer.
  const log = createLogger({ level: 'warn', destination: 2 });
  const clock = systemClock;
  const m = config.mfa.okta;
  const okta = m ? new OktaClient({ orgUrl: m.orgUrl, auth: m.auth, requestTimeoutMs: m.requestTimeoutMs, maxRateLimitWaitMs: m.maxRateLimitWaitMs, clock, userAgent: `bindwall/${packageVersion()} (dead-letters)` }) : undefined;
  const runner = new ResponseRunner({
    workflows: config.responses, store, clock, log, retry: { ...config.incidents.responseRetry, attempts: 1 },
    ...(okta && m ? { okta: new OktaActions({ client: okta, loginTemplate: m.loginTemplate, requestTimeoutMs: m.requestTimeoutMs, clock }) } : {}),
  });
  const ui = config.userInsight;
  const facts = ui ? directoryFacts(config, clock, log) : undefined;
  const notices = ui ? buildNotices(ui, config, log, {
    db, clock, incidents: store, baseUrl: () => ui.links.baseUrl ?? `http${config.mfa.challengePage?.tls ? 's' : ''}://${config.mfa.challengePage?.host}:${config.mfa.challengePage?.port}`,
    ...(facts ? { facts } : {}), ...(okta ? { okta } : {}),
  }) : undefined;
  return {
    deps: { config, store, runner, clock, ...(notices ? { resendNotice: (id: string) => notices.notices.resend(id) } : {}) },
    close: () => {
      notices?.mailer.close();
      facts?.close();
    },
  };
}
