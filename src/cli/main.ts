/**
 * The `bindwall` command line. Each command parses its own options, reports bad usage
 * with a clear message and exit code 2, and config problems all at once with exit code 1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile, parseConfig, type Config } from '../config/load.js';
import { formatDiagnostic, hasErrors } from '../config/diagnostics.js';
import { cheatSheet, demoConfig, startDemoDirectory, startDemoOkta, writeDemoPolicies } from '../demo/run.js';
import { BindwallError, describeError, ErrorCode } from '../errors.js';
import { createLogger, reopenLog } from '../log/logger.js';
import cluster from 'node:cluster';
import { runWorker } from '../workers/worker.js';
import { packageVersion } from '../util/package-root.js';
import { endpoints, riskShow } from './risk.js';
import { endpointRoles } from './endpoint-roles.js';
import { UsageError } from './usage.js';
import { runProxy } from './run-proxy.js';
import { simulateCommand } from './simulate.js';
import { policyCommand } from './policy.js';
import { loadPolicyDir } from '../policy/compile.js';
import { checkPolicyAgainstConfig } from '../policy/config-check.js';
import { quarantineCommand } from './quarantine.js';
import { threatsCommand } from './threats.js';
import { lockoutsCommand } from './lockouts.js';
import { connectorsCommand } from './connectors.js';
import { importCommand } from './import.js';
import { checkConnections, checkLockoutThreshold } from './connect-check.js';
import { DEFAULT_LOCKOUT_THRESHOLD, effectiveThreshold, type EffectiveThreshold } from '../threat/lockout-threshold.js';
import { incidentsCommand } from './incidents.js';
import { deadLettersCommand } from './dead-letters.js';
import { statusCommand } from './status.js';
import { completionScript } from './completion.js';
import { healthCommand } from './health.js';
import { migrateCommand } from './migrate.js';
import { describeStep } from '../config/responses.js';
import { LogLevels } from '../config/schema.js';
import type { Diagnostic } from '../config/diagnostics.js';

const HELP = `bindwall — a behavioural firewall for LDAP

Usage:
  bindwall start --config FILE      run the proxy with a config file
  bindwall demo [--port N]          run a demo directory with bindwall in front (no setup)
  bindwall status --config FILE     what the running bindwall says of itself (its admin: listener; --json)
  bindwall doctor --config FILE     config check --connect: the config and policy, then every directory URL (TLS names too),
                                    the lookup account, Okta credentials and scopes, notify targets, SMTP — each with its fix (--json)
  bindwall health --config FILE     HealthInsight: posture tasks with their impact and exact fix (--all, --json);
                                    health dismiss ID --reason R | health restore ID
  bindwall config check FILE        validate a config file and list every problem
                                    (--connect: the checks doctor makes, against the real directory, Okta, targets and SMTP)
  bindwall risk show USER           what bindwall learned about an account, with recent reasons
  bindwall endpoints USER           the endpoints an account logs on from
  bindwall endpoints --roles        app servers, shared terminals and pools: learned or declared, with the evidence
      (both: --config FILE or --db PATH to find storage, --json for machine-readable output)
  bindwall policy check [DIR|FILE…]  validate policy files: every problem, file:line:col
  bindwall policy schema            the policy files' JSON Schema (for editor autocompletion)
  bindwall policy explain --user U --endpoint IP [--app A] [--at TIME] [--policy DIR]
                                    how a bind would be decided, rule by rule, and why
  bindwall policy replay --policy DIR [--since T] [--until T]
                                    re-decide recorded binds under a candidate policy; report changes
      (explain and replay: --config FILE or --db PATH for behaviour data; --json)
  bindwall incidents list [--status S] [--since T] | show ID | ack ID | resolve ID [--note N]
                                    failed verifications: step-ups, honeytokens, user reports (with --config FILE or --db PATH; --json)
  bindwall dead-letters list [--all] | retry ID… | retry --all
                                    notifications, response steps and emails that kept failing; retry needs --config (--json)
  bindwall quarantine list | add USER [--until T] [--reason R] [--until-verified] [--force] | release USER
  bindwall threats list | show ADDR | add ADDR|CIDR --level L [--until T] | release ADDR
                                    the malicious-source pool (with --config FILE or --db PATH; --json)
  bindwall connectors                the Okta SSO connector's health: ok, degraded, failing (--config/--db; --json)
  bindwall lockouts list | show USER | release USER
                                    identities smart lockout locked out at the proxy (--config/--db; --json)
  bindwall import FILE… --config FILE   seed baselines from history before go-live: JSONL logon events, an Okta
                                    System Log export, Windows 4624/4625/4768/4771/4776 as XML or JSON (--format, --dry-run, --json)
  bindwall import schema            the JSON Schema of the JSONL logon-event format
  bindwall simulate [--evaluate]    simulate an organisation's logons and attacks; score them
      (--seed N --users N --services N --days N --warmup-days N --attacks N --out FILE.jsonl --okta-out FILE.json --json;
       --evaluate --events FILE.jsonl: evaluate a labelled history file instead)
  bindwall migrate --to postgres --config FILE
                                    fleet mode: copy this store (quarantine, incidents, connector cursors, baselines)
                                    into storage.postgres, so every node shares it (--json)
  bindwall completion bash|zsh      a shell completion script (eval "$(bindwall completion bash)")
  bindwall --version | --help

Options for start and demo:
  --log-level LEVEL                 fatal, error, warn, info, debug, trace (overrides the config)
Commands that change something (quarantine, incidents, threats, lockouts) record --operator NAME (default: the OS user).
Signals to a running bindwall: SIGTERM stops it gracefully, SIGHUP reloads the config, SIGUSR2 reopens log.file.

Exit codes: 0 ok, 1 invalid config or runtime failure, 2 bad usage.
See bindwall.example.yaml for every config key.`;

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command !== undefined && !command.startsWith('-') && command !== 'help' && wantsHelp(rest)) return commandHelp(command);
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(`${HELP}\n`);
        return command === undefined ? 2 : 0;
      case '-v':
      case '--version':
        process.stdout.write(`${packageVersion()}\n`);
        return 0;
      case 'start':
        return await start(rest);
      case 'demo':
        return await demo(rest);
      case 'config':
        return await configCommand(rest);
      case 'doctor': {
        // The same as config check --connect, named for what an admin reaches for.
        const { values } = parseArgs({ args: rest, strict: true, options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean', default: false } } });
        if (!values.config) throw new UsageError('usage: bindwall doctor --config FILE [--json]');
        return await configCommand(['check', values.config, '--connect', ...(values.json ? ['--json'] : [])]);
      }
      case 'risk':
        if (rest[0] !== 'show') throw new UsageError('usage: bindwall risk show USER [--config FILE | --db PATH] [--json]');
        return riskShow(rest.slice(1), print);
      case 'endpoints':
        return rest.includes('--roles') ? endpointRoles(rest, print) : endpoints(rest, print);
      case 'simulate':
        return await simulateCommand(rest, print);
      case 'policy':
        return policyCommand(rest, print, (line) => process.stderr.write(`${line}\n`));
      case 'quarantine':
        return quarantineCommand(rest, print);
      case 'threats':
        return threatsCommand(rest, print);
      case 'lockouts':
        return lockoutsCommand(rest, print);
      case 'connectors':
        return connectorsCommand(rest, print);
      case 'import':
        return importCommand(rest, print, (line) => process.stderr.write(`${line}\n`));
      case 'incidents':
        return incidentsCommand(rest, print);
      case 'health':
        return await healthCommand(rest, print);
      case 'completion':
        if (rest.length !== 1) throw new UsageError('usage: bindwall completion bash|zsh');
        process.stdout.write(completionScript(rest[0]!));
        return 0;
      case 'status':
        return await statusCommand(rest, print, (line) => process.stderr.write(`${line}\n`));
      case 'dead-letters':
        return await deadLettersCommand(rest, print, (line) => process.stderr.write(`${line}\n`));
      case 'migrate':
        return await migrateCommand(rest, print);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS_')) {
      process.stderr.write(`bindwall: ${(err as Error).message}\nRun "bindwall --help" for usage.\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.diagnostics.map(formatDiagnostic).join('\n')}\nbindwall: configuration invalid, nothing started\n`);
      return 1;
    }
    const diagnostics = (err as { diagnostics?: readonly Diagnostic[] }).diagnostics;
    if (err instanceof BindwallError && diagnostics) {
      process.stderr.write(`${diagnostics.map(formatDiagnostic).join('\n')}\nbindwall: policy invalid (${diagnostics.filter((d) => d.severity === 'error').length} error(s))\n`);
      return 1;
    }
    const { code, message } = describeError(err);
    process.stderr.write(`bindwall: ${message}${err instanceof BindwallError ? ` [${code}]` : ''}\n`);
    return 1;
  }
}

const wantsHelp = (args: readonly string[]): boolean => args.includes('--help') || args.includes('-h');

/** `bindwall COMMAND --help`: that command's lines of the help, on stdout, exit 0. */
function commandHelp(command: string): number {
  const lines = HELP.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith(`  bindwall ${command}`)) continue;
    out.push(lines[i]!);
    while (i + 1 < lines.length && /^ {6,}\S/.test(lines[i + 1]!)) out.push(lines[++i]!);
  }
  if (out.length === 0) throw new UsageError(`unknown command "${command}"`);
  process.stdout.write(`Usage:\n${out.join('\n')}\n\nExit codes: 0 ok, 1 invalid input or runtime failure, 2 bad usage.\n`);
  return 0;
}

/** --log-level, checked (pino's own message for a bad level names its internals). */
function logLevel(given: string | undefined): string | undefined {
  if (given === undefined) return undefined;
  if (!(LogLevels as readonly string[]).includes(given)) throw new UsageError(`--log-level must be one of ${LogLevels.join(', ')}, got "${given}"`);
  return given;
}

/** Each response workflow as its steps, for `config check`. */
function responsesSummary(config: Config): { name: string; steps: string[] }[] {
  return Object.entries(config.responses).map(([name, steps]) => ({ name, steps: steps.map(describeStep) }));
}

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, 'log-level': { type: 'string' } }, strict: true });
  if (!values.config) throw new UsageError('start needs --config FILE');
  const level = logLevel(values['log-level']);
  const config = loadConfigFile(values.config);
  const log = createLogger({ level: level ?? config.log.level, buffered: true, ...(config.log.file ? { destination: config.log.file } : {}), ...(config.log.syslog ? { syslog: config.log.syslog } : {}) });
  // logrotate moves the file away, then sends SIGUSR2: lines go to a new file of the same name.
  process.on('SIGUSR2', () => {
    reopenLog(log);
    log.info({ event: 'log_reopened', file: config.log.file }, 'log file reopened');
  });
  if (cluster.isWorker) {
    // One of `workers.count` proxy processes: its hub (the process that forked it) decides.
    await runWorker(config, log);
    return 0;
  }
  let running;
  try {
    running = await runProxy(config, log);
  } catch (err) {
    // JSON on the log target, for the SIEM; the plain sentence goes to stderr (main's catch).
    log.fatal({ event: 'start_failed', error: describeError(err) }, `bindwall could not start: ${describeError(err).message}`);
    log.flush();
    throw err;
  }
  await running.stopped;
  return 0;
}

async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string', default: '1389' }, host: { type: 'string', default: '127.0.0.1' }, 'log-level': { type: 'string', default: 'info' } },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got "${values.port}"`);
  const dir = await startDemoDirectory(values.host);
  const okta = await startDemoOkta(values.host, dir.directory);
  const dataDir = join(process.cwd(), 'data', 'demo');
  const policyDir = join(dataDir, 'policies');
  writeDemoPolicies(policyDir);
  const config = demoConfig(dir.served.url, { host: values.host, port, dataDir, logLevel: logLevel(values['log-level']) ?? 'info', oktaUrl: okta.simulator.url, oktaToken: okta.token, policyDir });
  const log = createLogger({ level: config.log.level, buffered: true });
  const stopDemo = async (): Promise<void> => {
    await dir.served.close();
    await okta.simulator.stop();
  };
  let running;
  try {
    running = await runProxy(config, log, { onStop: stopDemo });
  } catch (err) {
    // The demo directory and the Okta simulator must not keep the process alive after a failed start.
    await stopDemo();
    if ((err as { code?: string }).code === ErrorCode.ListenFailed) throw new BindwallError(ErrorCode.ListenFailed, `${(err as Error).message}; try another port with --port`);
    throw err;
  }
  const { listeners, stopped, mfa, adminUrl } = running;
  process.stdout.write(`${cheatSheet(listeners[0]!.url, dir.served.url, dir.directory.size, okta.simulator.url, mfa?.page?.url, adminUrl)}\n`);
  await stopped;
  return 0;
}

/** Which threat mode each listener runs in (its own threatMode, else threat.mode). */
function threatModes(config: Config): { listener: string; mode: string }[] {
  return config.listeners.map((l) => ({ listener: l.name, mode: l.threatMode ?? config.threat.mode }));
}

/** Without --connect the directory's policy is not read: say what start will do. */
function offlineThreshold(config: Config): EffectiveThreshold | { threshold: null; source: 'directory'; explanation: string } {
  const t = config.threat.lockout.threshold;
  if (t !== undefined || !config.directory.lookup) return effectiveThreshold(t, undefined, t === undefined ? 'no directory.lookup account to read it with' : undefined);
  return { threshold: null, source: 'directory', explanation: `smart lockout's threshold is read from the directory at start (--connect reads it now); ${DEFAULT_LOCKOUT_THRESHOLD} if it cannot be` };
}

async function configCommand(args: string[]): Promise<number> {
  const usage = 'usage: bindwall config check FILE [--connect] [--json]';
  const { values, positionals } = parseArgs({ args, strict: false, allowPositionals: true, options: { connect: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
  const unknown = Object.keys(values).filter((k) => k !== 'connect' && k !== 'json');
  const [sub, file, ...extra] = positionals;
  if (sub !== 'check' || !file || extra.length > 0 || unknown.length > 0) throw new UsageError(usage);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`bindwall: cannot read ${file}: ${(err as NodeJS.ErrnoException).code}\n`);
    return 1;
  }
  const { config, diagnostics } = parseConfig(file, text);
  // The policy the config points to is part of what `start` would load: check it too.
  const policy = config ? loadPolicyDir(config.policy.dir) : undefined;
  const all = [...diagnostics, ...(policy?.diagnostics ?? []), ...(policy?.policy ? checkPolicyAgainstConfig(policy.policy, config!) : [])];
  for (const d of all) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (hasErrors(all)) {
    process.stderr.write(`bindwall: ${all.filter((d) => d.severity === 'error').length} error(s) in ${file}${hasErrors(policy?.diagnostics ?? []) ? ` and its policy ${config!.policy.dir}` : ''}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify({ file, ok: false, diagnostics: all.map(formatDiagnostic) })}\n`);
    return 1;
  }
  // --connect: the directory URLs and the lookup account, for real.
  const connections = values.connect ? await checkConnections(config!) : [];
  const lockout = values.connect ? await checkLockoutThreshold(config!) : offlineThreshold(config!);
  const failed = connections.filter((c) => !c.ok);
  if ('warning' in lockout && lockout.warning) process.stderr.write(`bindwall: warning: ${lockout.warning}\n`);
  for (const c of failed) process.stderr.write(`bindwall: ${c.what}: ${c.message} [${c.code}]\n  fix: ${c.fix}\n`);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ file, ok: failed.length === 0, policy: policy!.policy!.hash, diagnostics: all.map(formatDiagnostic), threat: threatModes(config!), lockout, responses: responsesSummary(config!), ...(values.connect ? { connections } : {}) })}\n`);
    return failed.length === 0 ? 0 : 1;
  }
  for (const c of connections.filter((x) => x.ok)) process.stdout.write(`${c.what}: ok\n`);
  for (const t of threatModes(config!)) process.stdout.write(`listener ${t.listener}: threat pool and smart lockout ${t.mode === 'enforce' ? 'enforced' : t.mode === 'log' ? 'logged only (threat.mode: enforce to refuse)' : 'off'}\n`);
  process.stdout.write(`${lockout.explanation}\n`);
  const sso = config!.connectors.oktaSso;
  if (sso) process.stdout.write(`connector okta-sso: ${sso.orgUrl}'s System Log every ${Math.round(sso.pollIntervalMs / 1000)} s${config!.behavior.enabled ? '' : ' (behavior.enabled is false: its events would be dropped)'}\n`);
  for (const r of responsesSummary(config!)) process.stdout.write(`response ${r.name}: ${r.steps.join(' → ')}\n`);
  const ui = config!.userInsight;
  if (ui) process.stdout.write(`userInsight: emails in ${ui.language} through ${ui.smtp.host}:${ui.smtp.port} (${ui.smtp.security}); reports run ${ui.onReport ?? 'no workflow (set userInsight.onReport)'}\n`);
  if (failed.length > 0) return 1;
  process.stdout.write(`${file}: ok (policy ${policy!.policy!.hash} from ${config!.policy.dir})\n`);
  return 0;
}
