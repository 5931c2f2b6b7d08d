/**
 * The shape of bindwall.yaml. One zod schema is the single source for validation,
 * defaults and the generated types; bindwall.example.yaml documents every key.
 */
import { z } from 'zod';
import { duration, ms } from './duration.js';
import { SyslogFacility } from '../log/syslog.js';
import { responseRetry, responseRetryDefaults, responses, userInsight, workflowName } from './insight-schema.js';

const port = z.int().min(0).max(65535);

const tlsFiles = z.strictObject({
  certFile: z.string().min(1),
  keyFile: z.string().min(1),
});

export const BindHandling = {
  anonymous: ['forward', 'refuse'],
  unauthenticated: ['refuse', 'forward'],
  sasl: ['refuse', 'forward'],
} as const;

const listener = z.strictObject({
  /** Names the listener in logs; later issues also use it to name the app. */
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/).min(1),
  host: z.string().min(1).default('127.0.0.1'),
  port,
  /** LDAPS: TLS from the first byte. */
  tls: tlsFiles.optional(),
  /** Plain LDAP that offers the StartTLS extended operation. */
  startTls: tlsFiles.optional(),
  /** Refuse simple binds (confidentialityRequired) until the connection is encrypted. */
  requireTls: z.boolean().default(false),
  /**
   * Behind a TCP load balancer: connections from these sources start with a PROXY protocol
   * (v1 or v2) header naming the real client; connections from anywhere else are refused.
   */
  proxyProtocol: z.strictObject({
    trustedSources: z.array(z.string().min(1)).min(1),
    headerTimeoutMs: ms(5_000),
  }).optional(),
  /** This listener's threat-pool mode, instead of threat.mode. */
  threatMode: z.enum(['off', 'log', 'enforce']).optional(),
});

/** Facts about users (groups, OU, department …) read through a service account. */
const lookup = z.strictObject({
  bindDn: z.string().min(1),
  /** Prefer passwordFile: a password in this file is one more copy of a secret. */
  password: z.string().min(1).optional(),
  passwordFile: z.string().min(1).optional(),
  baseDn: z.string().min(1),
  userAttributes: z.array(z.string().min(1)).min(1).default(['uid', 'sAMAccountName', 'userPrincipalName']),
  departmentAttribute: z.string().min(1).default('department'),
  titleAttribute: z.string().min(1).default('title'),
  siteAttribute: z.string().min(1).default('l'),
  extraAttributes: z.array(z.string().min(1)).default([]),
  /** Members (nested) of these groups, by DN or cn, are privileged accounts. */
  privilegedGroups: z.array(z.string().min(1)).default([]),
  cacheTtlMs: ms(600_000),
  timeoutMs: ms(2_000),
  /**
   * When a lookup fails (lookup account refused, directory not answering) and nothing is
   * known of the account yet: secure refuses the bind (52), since privileged and group rules
   * cannot be evaluated; facts-optional decides without facts. Known accounts keep their
   * last facts either way. Failures are logged loudly, once a minute per kind.
   */
  onFailure: z.enum(['secure', 'facts-optional']).default('secure'),
});

const directory = z.strictObject({
  /** Tried in order; the first healthy one serves each new client connection. */
  urls: z.array(z.string().min(1)).min(1),
  /** Upgrade ldap:// upstream connections with StartTLS before any client traffic. */
  startTls: z.boolean().default(false),
  /** PEM bundle that signs the directory's certificate (ldaps:// or StartTLS). */
  caFile: z.string().min(1).optional(),
  /** Expected certificate name when it differs from the URL host. */
  tlsServerName: z.string().min(1).optional(),
  connectTimeoutMs: ms(3_000),
  /** Binds and every operation but searches: an answer must start within this long. */
  operationTimeoutMs: ms(10_000),
  /** Searches may take longer before their first entry (AD's MaxQueryDuration is 120 s). */
  searchTimeoutMs: ms(120_000),
  /**
   * A directory that has not answered in time is asked for its root DSE; one that does not
   * answer that within this long is marked down and failed over (a hung directory).
   */
  probeTimeoutMs: ms(3_000),
  backoffInitialMs: ms(500),
  backoffMaxMs: ms(30_000),
  /**
   * Connections opened ahead of need (never bound), so a client's new connection starts on
   * one already connected (and through TLS): hides the directory's connect time. 0: none.
   */
  warmConnections: z.int().min(0).max(256).default(16),
  /** A warm connection unused this long is closed (directories close idle ones: AD after 900 s). */
  warmIdleMs: ms(60_000),
  lookup: lookup.optional(),
});

const binds = z.strictObject({
  /** Empty name and password (RFC 4513 §5.1.1). */
  anonymous: z.enum(BindHandling.anonymous).default('forward'),
  /** A name with an empty password (RFC 4513 §5.1.2): many apps mistake it for success. */
  unauthenticated: z.enum(BindHandling.unauthenticated).default('refuse'),
  /** SASL binds carry no password bindwall can check, so they bypass step-up unless refused. */
  sasl: z.enum(BindHandling.sasl).default('refuse'),
});

export const limitsDefaults = {
  maxConnections: 10_000, maxConnectionsPerAddress: 256, idleTimeoutMs: 900_000,
  maxPduBytes: 10 * 1024 * 1024, maxBindRequestBytes: 64 * 1024, maxBindNameBytes: 1024, maxPasswordBytes: 1024,
  pduTimeoutMs: 30_000, firstBindTimeoutMs: 60_000, shutdownGraceMs: 10_000,
} as const;

const limits = z.strictObject({
  maxConnections: z.int().min(1).default(limitsDefaults.maxConnections),
  maxConnectionsPerAddress: z.int().min(1).default(limitsDefaults.maxConnectionsPerAddress),
  /** Close connections that complete no request and get no answer this long (trickled bytes do not count). */
  idleTimeoutMs: ms(limitsDefaults.idleTimeoutMs),
  /** Largest request PDU accepted from a client (AD's MaxReceiveBuffer is 10 MiB). */
  maxPduBytes: z.int().min(1024).default(limitsDefaults.maxPduBytes),
  /** Largest BindRequest (names, passwords and SASL credentials such as Kerberos tickets). */
  maxBindRequestBytes: z.int().min(1024).default(limitsDefaults.maxBindRequestBytes),
  /** Longest bind name; longer ones are refused (49) before the directory or storage sees them. */
  maxBindNameBytes: z.int().min(64).max(65_536).default(limitsDefaults.maxBindNameBytes),
  /** Longest simple-bind password (with an appended one-time code). */
  maxPasswordBytes: z.int().min(64).max(65_536).default(limitsDefaults.maxPasswordBytes),
  /** A request PDU must arrive whole within this long of its first byte (slowloris). */
  pduTimeoutMs: ms(limitsDefaults.pduTimeoutMs),
  /** A new connection must send its first bind within this long (any request, when anonymous binds are forwarded). */
  firstBindTimeoutMs: ms(limitsDefaults.firstBindTimeoutMs),
  /** On SIGTERM, how long in-flight operations may take to finish. */
  shutdownGraceMs: ms(limitsDefaults.shutdownGraceMs, 0),
});

const reverseDnsDefaults = {
  enabled: false, servers: [], networks: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  timeoutMs: 1_000, cacheTtlMs: 3_600_000, negativeTtlMs: 600_000, maxEntries: 100_000, maxInFlight: 16,
};

const behavior = z.strictObject({
  /** Score every bind against learned behaviour (and store events and baselines). */
  enabled: z.boolean().default(true),
  /** Working hours are learned in this zone (IANA name, e.g. Europe/London). */
  timeZone: z.string().min(1).default('UTC'),
  /**
   * App servers by client address (web apps, VPN concentrators, RADIUS and mail servers):
   * they bind as their users, so their address says nothing about where a person is.
   * Undeclared ones are learned from how they bind (bindwall endpoints --roles).
   */
  apps: z.array(z.strictObject({ name: z.string().min(1), addresses: z.array(z.string().min(1)).min(1) })).default([]),
  /** Address pools (VPN, NAT, a conference network): many people, no device of anyone's. */
  pools: z.array(z.string().min(1)).default([]),
  /**
   * Where on-prem binds are: sites by network, with coordinates (no external look-ups). A
   * bind from a site's network, or by a person whose directory site attribute names it, is
   * there; impossible travel compares it with cloud sign-ins' geolocation.
   */
  sites: z.array(z.strictObject({
    name: z.string().min(1),
    networks: z.array(z.string().min(1)).default([]),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
  })).default([]),
  /** Shared terminals (kiosks, ward terminals): many people at one device. */
  kiosks: z.array(z.string().min(1)).default([]),
  /** Client address → endpoint name (e.g. from a workstation inventory). */
  endpointNames: z.record(z.string(), z.string()).default({}),
  /**
   * Device names from reverse DNS (PTR), looked up off the bind path and cached: a DHCP
   * laptop keeps its name when its address changes. Only for `networks` (internal ranges).
   */
  reverseDns: z.strictObject({
    enabled: z.boolean().default(false),
    servers: z.array(z.string().min(1)).default([]),
    networks: z.array(z.string().min(1)).default(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']),
    timeoutMs: z.int().min(50).max(10_000).default(1_000),
    cacheTtlMs: z.int().min(1_000).default(3_600_000),
    negativeTtlMs: z.int().min(1_000).default(600_000),
    maxEntries: z.int().min(100).default(100_000),
    maxInFlight: z.int().min(1).max(256).default(16),
  }).default(reverseDnsDefaults),
  /** Account names or bind-DN patterns (* and ?) of service accounts. */
  serviceAccounts: z.array(z.string().min(1)).default(['svc-*', 'svc_*', 'service-*', '*ou=service*']),
  /** Account names or bind-DN patterns of privileged accounts. */
  privilegedAccounts: z.array(z.string().min(1)).default([]),
  /** How long logon events are kept. */
  eventRetentionDays: z.int().min(1).default(90),
  /** Logon events kept at most (the oldest go first): storage is bounded whatever the traffic. */
  maxStoredEvents: z.int().min(1_000).default(5_000_000),
  /** Baselines kept in memory at most; the least recently used are reloaded from storage when they return. */
  maxAccounts: z.int().min(100).default(200_000),
  maxEndpoints: z.int().min(100).default(200_000),
  /** Names the directory refused that never logged on, counted (for brute force) at most. */
  maxUnknownAccounts: z.int().min(100).default(10_000),
});

const behaviorDefaults = {
  enabled: true, timeZone: 'UTC', apps: [], pools: [], sites: [], kiosks: [], endpointNames: {},
  reverseDns: reverseDnsDefaults,
  serviceAccounts: ['svc-*', 'svc_*', 'service-*', '*ou=service*'], privilegedAccounts: [], eventRetentionDays: 90,
  maxStoredEvents: 5_000_000, maxAccounts: 200_000, maxEndpoints: 200_000, maxUnknownAccounts: 10_000,
};

const policy = z.strictObject({
  /** Directory of policy files (relative to this file); without it, the shipped policies/ directory. */
  dir: z.string().min(1).optional(),
  /** Reload policy files when they change (an edit with errors keeps the running policy). */
  watch: z.boolean().default(true),
  /**
   * audit: every decision is logged and stored as what it would have been, and the bind is
   * approved — except by rules that say `mode: enforce` (the shipped quarantine rule does).
   */
  mode: z.enum(['enforce', 'audit']).default('enforce'),
});

/** How bindwall authenticates to an Okta org (config/load.ts checks that exactly one is given). */
const oktaCredentials = (scopes: string[]) => ({
  /** https://yourorg.okta.com (the simulator's URL in the demo). */
  orgUrl: z.string().min(1),
  /** An API token (SSWS). Prefer apiTokenFile. */
  apiToken: z.string().min(1).optional(),
  apiTokenFile: z.string().min(1).optional(),
  /** Or an OAuth 2.0 service app with private_key_jwt. */
  oauth: z.strictObject({
    clientId: z.string().min(1),
    privateKeyFile: z.string().min(1),
    keyId: z.string().min(1).optional(),
    scopes: z.array(z.string().min(1)).min(1).default(scopes),
  }).optional(),
});

const okta = z.strictObject({
  ...oktaCredentials(['okta.users.manage']),
  /** The Okta login of an LDAP account: {account}, or a directory attribute such as {mail}. */
  loginTemplate: z.string().min(1).default('{account}'),
  requestTimeoutMs: ms(5_000),
  /** Longest wait for an Okta rate-limit window to reset. */
  maxRateLimitWaitMs: ms(10_000, 0),
  /** Requests per second to Okta at most (polls of many pending pushes slow down instead of meeting 429s). */
  maxRequestsPerSecond: z.int().min(1).default(50),
});

/**
 * The Okta SSO connector (src/connectors/): Okta's System Log polled into the same behaviour
 * baselines as the LDAP binds. Credentials as for mfa.okta; a service app needs okta.logs.read
 * and okta.users.read.
 */
const oktaSso = z.strictObject({
  ...oktaCredentials(['okta.logs.read', 'okta.users.read']),
  /** How often the System Log is polled (sub-minute on an interval, else on a node-cron schedule). */
  pollIntervalMs: ms(60_000, 5_000),
  /** The first poll (no saved cursor) starts this far back. */
  lookbackMs: ms(24 * 3_600_000, 0),
  /** Events per page (Okta: at most 1000). */
  pageLimit: z.int().min(1).max(1_000).default(1_000),
  /** Pages per poll at most, so a backlog is worked through over several polls. */
  maxPagesPerPoll: z.int().min(1).max(1_000).default(20),
  requestTimeoutMs: ms(10_000),
  /** No successful poll for this long: the connector is failing, not just degraded. */
  staleAfterMs: ms(15 * 60_000),
  /**
   * Okta event hooks for near-real-time events (polling stays the source of truth): Okta's
   * one-time verification GET is answered, then POSTed batches are taken in when they carry
   * the Authorization value in secretFile (set as the hook's authScheme).
   */
  eventHook: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port,
    path: z.string().regex(/^\/[\w\-./]*$/).default('/okta/event-hook'),
    secretFile: z.string().min(1),
    /** Okta delivers to HTTPS only; without TLS here, terminate it in front. */
    tls: tlsFiles.optional(),
  }).optional(),
});

const mfa = z.strictObject({
  okta: okta.optional(),
  /** The whole challenge: a push not answered by then has failed. */
  challengeTimeoutMs: ms(60_000),
  pollIntervalMs: ms(2_000),
  /** Okta Verify number matching: the number to choose is logged for the person at the endpoint. */
  numberMatching: z.boolean().default(false),
  /** When Okta is unreachable and the rule says nothing (privileged accounts are always secure). */
  failMode: z.enum(['secure', 'safe', 'known-endpoint']).default('known-endpoint'),
  /** A person with no Okta user or no usable factor: secure (refuse), known-endpoint or safe (privileged: always secure). */
  unenrolled: z.enum(['secure', 'safe', 'known-endpoint']).default('secure'),
  /** A passed challenge lets the same login (account, endpoint, app) through without a new prompt. */
  rememberMs: ms(300_000, 0),
  /** Push-bombing guard: prompts per account per window. */
  maxPromptsPerWindow: z.int().min(1).default(5),
  promptWindowMs: ms(900_000),
  /** Step-ups one source address may start per window (0: no limit): one source cannot exhaust Okta's rate limit. */
  maxPromptsPerSource: z.int().min(0).default(200),
  /** Codes appended to the password after this delimiter ("secret,123456"); unset: off. */
  otpDelimiter: z.string().min(1).max(3).optional(),
  /** A page where the person at the suspect endpoint types the code (otp, push-then-otp). */
  challengePage: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port,
    /** Serve it over HTTPS (codes cross the network otherwise). */
    tls: tlsFiles.optional(),
  }).optional(),
  /** Apps' own LDAP timeouts (ms), to warn when an app gives up before the challenge does. */
  appTimeoutsMs: z.record(z.string(), duration()).default({}),
});

const notifyTarget = z.strictObject({
  type: z.enum(['webhook', 'pagerduty', 'slack']),
  /** Webhook or Slack incoming-webhook URL; PagerDuty: the Events API v2 enqueue URL. */
  url: z.string().min(1),
  /** PagerDuty routing (integration) key, from a file. */
  routingKeyFile: z.string().min(1).optional(),
  timeoutMs: ms(5_000),
  retries: z.int().min(0).max(10).default(3),
});

const incidents = z.strictObject({
  escalation: z.strictObject({
    windowMs: ms(3_600_000),
    everyIncidents: z.int().min(1).default(2),
  }).default({ windowMs: 3_600_000, everyIncidents: 2 }),
  /** Named targets rules notify (onFailure.notify). */
  notify: z.record(z.string().regex(/^[A-Za-z][\w-]*$/), notifyTarget).default({}),
  /** Response steps that call out (Okta, webhooks): retried with backoff, then dead letters. */
  responseRetry,
});

const threatDefaults = {
  mode: 'enforce' as const, exempt: [], maxSources: 100_000,
  honeytokens: { accounts: [], notify: [] },
  lockout: { durationMs: 60_000, maxDurationMs: 3_600_000 },
  tarpit: { delayMs: 2_000, maxHeld: 256 },
  passwordOracles: { compare: 'count' as const, passwordModify: 'count' as const },
};

/** The malicious-source pool (src/threat/). */
const threat = z.strictObject({
  /**
   * enforce (the default, as Entra's smart lockout is on for every tenant): high-threat
   * sources answered 49 by bindwall, low and medium slowed, smart lockout on; log: entries,
   * would-be blocks and lockouts recorded, no answer changed; off: nothing.
   */
  mode: z.enum(['off', 'log', 'enforce']).default('enforce'),
  /** Zones never blocked as a whole (a conference NAT, a partner's gateway): attacks through them are per account. */
  exempt: z.array(z.strictObject({ name: z.string().min(1), addresses: z.array(z.string().min(1)).min(1) })).default([]),
  /** Sources (and networks) tracked at most. */
  maxSources: z.int().min(100).default(100_000),
  /**
   * Decoy accounts (names or DNs; create them in the directory so they look real): any bind
   * as one is answered as a wrong password, writes a critical incident, notifies `notify`
   * and puts its source in the pool at high.
   */
  honeytokens: z.strictObject({
    accounts: z.array(z.string().min(1)).default([]),
    notify: z.array(z.string().min(1)).default([]),
    /** A response workflow (under responses:) run on the incident. */
    respond: workflowName.optional(),
  }).default(threatDefaults.honeytokens),
  /**
   * Smart lockout at the proxy: wrong passwords per identity and per kind of source (familiar
   * or not); past `threshold` that bucket is locked here for `durationMs`, doubling on repeats.
   * Keep it below the directory's own lockout threshold.
   */
  lockout: z.strictObject({
    /**
     * Unset (the default): derived from the directory's own threshold, read through the lookup
     * account (AD lockoutThreshold, ppolicy pwdMaxFailure) so that both buckets together stay
     * below it; 3 when it cannot be read. `config check --connect` says which applies.
     */
    threshold: z.int().min(1).max(1_000).optional(),
    durationMs: ms(60_000),
    maxDurationMs: ms(3_600_000),
  }).default(threatDefaults.lockout),
  /** Enforce mode slows low- and medium-threat binds by delayMs, holding at most maxHeld at once (then busy). */
  tarpit: z.strictObject({
    delayMs: duration(0, 60_000).default(2_000),
    maxHeld: z.int().min(1).max(100_000).default(256),
  }).default(threatDefaults.tarpit),
  /**
   * Ways to test a password other than a bind: a compare on userPassword / unicodePwd, and the
   * password-modify operation (RFC 3062) with the old password. count: they count for the pool
   * and smart lockout like binds (and a blocked source or locked identity is answered as a wrong
   * password); refuse: refused outright (an app that authenticates by compare bypasses step-up).
   */
  passwordOracles: z.strictObject({
    compare: z.enum(['count', 'refuse']).default('count'),
    passwordModify: z.enum(['count', 'refuse']).default('count'),
  }).default(threatDefaults.passwordOracles),
});

export const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const configSchema = z.strictObject({
  listeners: z.array(listener).min(1),
  directory,
  binds: binds.default({ anonymous: 'forward', unauthenticated: 'refuse', sasl: 'refuse' }),
  limits: limits.default(limitsDefaults),
  behavior: behavior.default(behaviorDefaults),
  threat: threat.default(threatDefaults),
  policy: policy.default({ watch: true, mode: 'enforce' }),
  mfa: mfa.default({
    challengeTimeoutMs: 60_000, pollIntervalMs: 2_000, numberMatching: false, failMode: 'known-endpoint', unenrolled: 'secure', rememberMs: 300_000,
    maxPromptsPerWindow: 5, promptWindowMs: 900_000, maxPromptsPerSource: 200, appTimeoutsMs: {},
  }),
  incidents: incidents.default({ escalation: { windowMs: 3_600_000, everyIncidents: 2 }, notify: {}, responseRetry: { ...responseRetryDefaults, maxPending: 1_000 } }),
  /** Named response workflows: what happens when a verification fails (policy onFailure, user reports, honeytokens). */
  responses,
  /** UserInsight: people hear of new devices, factor and password changes and failed step-ups on their account, and can report them. */
  userInsight: userInsight.optional(),
  connectors: z.strictObject({ oktaSso: oktaSso.optional() }).default({}),
  storage: z.strictObject({
    path: z.string().min(1).default('data/bindwall.db'),
    /**
     * Fleet mode (fleet/): several nodes share quarantine through this PostgreSQL database.
     * Each node keeps deciding from its own SQLite store at `path`; changes go to PostgreSQL
     * through a local outbox (kept while the database is down, replayed when it returns) and
     * reach the other nodes by LISTEN/NOTIFY, with a periodic reload as the safety net.
     */
    postgres: z.strictObject({
      /** postgres://user@host:port/database (the password goes in passwordFile, never in the URL). */
      url: z.string().min(1),
      passwordFile: z.string().min(1).optional(),
      tls: z.strictObject({ caFile: z.string().min(1).optional(), rejectUnauthorized: z.boolean().default(true) }).optional(),
      /** This node's name in the fleet (in change records and logs); default the host name and the process id. */
      node: z.string().min(1).max(64).optional(),
      /** The safety net: every node re-reads the changes it may have missed this often. */
      reloadMs: ms(5_000),
      /**
       * How often one node (under a lock) copies the baselines changed since its last copy into
       * the database, so that a node joining the fleet later starts with the organisation's history.
       */
      snapshotEveryMs: ms(300_000, 1_000),
      connectTimeoutMs: ms(5_000),
      /** A query that has not answered by then fails (the change stays in the outbox). */
      queryTimeoutMs: ms(5_000),
    }).optional(),
  }).default({ path: 'data/bindwall.db' }),
  /**
   * Proxy processes on the listeners (workers/). `auto` is one per core. Every worker asks this
   * process (the hub, which keeps behaviour, the threat pool, lockouts, challenges, incidents and
   * quarantine) for each decision, so a bind is decided the same whichever worker takes it.
   */
  workers: z.strictObject({
    count: z.union([z.literal('auto'), z.int().min(1).max(64)]).default(1),
    /**
     * Who hands new connections to the workers: `kernel` (the workers accept on the shared socket;
     * cheapest, though the spread can be uneven) or `round-robin` (the hub accepts each one and
     * passes it on in turn: even, at the hub's cost, which is also the one deciding every bind).
     */
    balance: z.enum(['kernel', 'round-robin']).default('kernel'),
    /** A worker fails a bind closed when the hub has not answered a question within this (challenges: their own timeout, plus this). */
    hubTimeoutMs: ms(10_000),
  }).default({ count: 1, balance: 'kernel', hubTimeoutMs: 10_000 }),
  /** The admin listener: Prometheus /metrics, /healthz, /readyz, /status (bindwall status). Off unless configured. */
  admin: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port,
    /** A bearer token /metrics and /status then require (the probes stay open). Needed off loopback. */
    tokenFile: z.string().min(1).optional(),
    tls: tlsFiles.optional(),
    /**
     * The admin console (console/): pages over HTTPS on this listener (a self-signed
     * certificate is made on first start when admin.tls is unset). Admins sign in with their
     * directory password through bindwall's own LDAP path and step up with Okta.
     */
    console: z.strictObject({
      /** The LDAP listener whose threat pool and lockout guard the sign-ins (default: the first). */
      via: z.string().min(1).optional(),
      /** Directory groups (DNs or common names) per role; the first role a person's groups name wins, admin first. */
      roles: z.strictObject({
        admin: z.array(z.string().min(1)).default([]),
        analyst: z.array(z.string().min(1)).default([]),
        viewer: z.array(z.string().min(1)).default([]),
      }),
      /** Signed out after this long without a request. */
      idleTimeoutMs: duration(60_000, 86_400_000).default(900_000),
      /** Signed out this long after signing in, busy or not. */
      absoluteTimeoutMs: duration(300_000, 7 * 86_400_000).default(28_800_000),
      /** always: every sign-in steps up, whatever the policy says; policy: as the policy decides for app "console". */
      stepUp: z.enum(['always', 'policy']).default('always'),
    }).optional(),
  }).optional(),
  log: z.strictObject({
    level: z.enum(LogLevels).default('info'),
    /**
     * Which bind lines are written through to the destination before the client is answered:
     * `refusals` (blocked, failed challenge, error; approvals are buffered up to 250 ms) or
     * `decisions` (every decided bind, at a write per bind).
     */
    flushBeforeAnswer: z.enum(['refusals', 'decisions']).default('refusals'),
    /** Lines go to this file instead of stdout (SIGUSR2 reopens it, for logrotate). */
    file: z.string().min(1).optional(),
    /** And to a syslog receiver, as RFC 5424 messages whose text is the JSON line. */
    syslog: z.strictObject({
      host: z.string().min(1),
      port: port.optional(),
      protocol: z.enum(['udp', 'tcp', 'tls']).default('udp'),
      facility: z.enum(Object.keys(SyslogFacility) as [SyslogFacility, ...SyslogFacility[]]).default('local0'),
      appName: z.string().regex(/^[!-~]{1,48}$/).default('bindwall'),
      caFile: z.string().min(1).optional(),
      /** The message text: json (the log line) or cef (ArcSight CEF:0). */
      format: z.enum(['json', 'cef']).default('json'),
    }).optional(),
  }).default({ level: 'info', flushBeforeAnswer: 'refusals' }),
});

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type ListenerConfig = ParsedConfig['listeners'][number];
export type DirectoryConfig = ParsedConfig['directory'];
export type BindsConfig = ParsedConfig['binds'];
export type LimitsConfig = ParsedConfig['limits'];
export type BehaviorConfig = ParsedConfig['behavior'];
