/** Builds behaviour scoring from the config: storage opened and migrated, baselines loaded. */
import type { Config } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { BehaviorStore } from '../store/behavior-store.js';
import { openDatabase, type Db } from '../store/db.js';
import { systemClock, type Clock } from '../util/clock.js';
import { DAY_MS } from './decay.js';
import { BehaviorEngine } from './engine.js';
import { EventMapper } from './logon-event.js';
import { BehaviorService } from './service.js';
import { DirectoryFacts, type FactsOptions } from '../directory/facts.js';
import { DirectoryPool } from '../proxy/upstream.js';
import { ReverseDns } from './reverse-dns.js';

export interface RunningBehavior {
  service: BehaviorService;
  /** The open database (quarantine lives there too). */
  db: Db;
  close(): void;
}

/** How binds map to accounts, kinds and apps; behaviour and policy use the same mapping. */
export function mapperFor(config: Config, names?: ReverseDns): EventMapper {
  const b = config.behavior;
  return new EventMapper({ apps: b.apps, pools: b.pools, kiosks: b.kiosks, endpointNames: b.endpointNames, servicePatterns: b.serviceAccounts, privilegedPatterns: b.privilegedAccounts, sites: b.sites },
    names ? (address) => names.name(address) : undefined);
}

/** The lookup account's settings as directory facts take them (start and `config check --connect`). */
export function factsOptions(l: NonNullable<Config['directory']['lookup']>): FactsOptions {
  return {
    bindDn: l.bindDn, password: l.password, baseDn: l.baseDn, userAttributes: l.userAttributes,
    departmentAttribute: l.departmentAttribute, titleAttribute: l.titleAttribute, siteAttribute: l.siteAttribute,
    extraAttributes: l.extraAttributes, privilegedGroups: l.privilegedGroups, cacheTtlMs: l.cacheTtlMs,
    negativeTtlMs: Math.min(l.cacheTtlMs, 60_000), timeoutMs: l.timeoutMs, maxGroupDepth: 8, onFailure: l.onFailure,
  };
}

/** Directory facts through the lookup account, when one is configured; with UserInsight's mail attribute among them. */
export function directoryFacts(config: Config, clock: Clock, log: Logger): DirectoryFacts | undefined {
  const l = config.directory.lookup;
  if (!l) return undefined;
  const fo = factsOptions(l);
  const mail = config.userInsight?.mailAttribute;
  return new DirectoryFacts(mail && !fo.extraAttributes.includes(mail) ? { ...fo, extraAttributes: [...fo.extraAttributes, mail] } : fo, new DirectoryPool(config.directory, clock, log), clock, log);
}

export function startBehavior(config: Config, log: Logger, clock: Clock = systemClock, opts: { upkeepCron?: string | null } = {}): RunningBehavior {
  const db = openDatabase(config.storage.path);
  const store = new BehaviorStore(db);
  const b = config.behavior;
  const engine = new BehaviorEngine({ timeZone: b.timeZone, maxAccounts: b.maxAccounts, maxEndpoints: b.maxEndpoints, maxUnknownAccounts: b.maxUnknownAccounts }, store.loader);
  // Bounded startup: the most recently used baselines; the rest load when they return.
  engine.restore(store.loadState({ accounts: b.maxAccounts, endpoints: b.maxEndpoints }));
  // Reverse DNS names devices for behaviour (the policy matches addresses, not names).
  const r = b.reverseDns;
  const names = r.enabled ? new ReverseDns(r, clock, log) : undefined;
  const mapper = mapperFor(config, names);
  const l = config.directory.lookup;
  const facts = directoryFacts(config, clock, log);
  const service = new BehaviorService({
    engine, mapper, store, clock, log, eventRetentionMs: b.eventRetentionDays * DAY_MS, maxStoredEvents: b.maxStoredEvents, ...(facts ? { facts } : {}),
    ...(l ? { factsOnFailure: l.onFailure } : {}),
    ...(opts.upkeepCron !== undefined ? { upkeepCron: opts.upkeepCron } : {}),
  });
  log.info({ event: 'behavior_loaded', storage: config.storage.path, ...engine.size }, 'behaviour baselines loaded');
  return {
    service,
    db,
    close: () => {
      service.close();
      db.close();
    },
  };
}
