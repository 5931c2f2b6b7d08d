/**
 * Versioned schema migrations, applied in order inside one transaction each; the database's
 * user_version says which have run. Never edit a released migration: add the next one.
 */
export const MIGRATIONS: readonly { version: number; description: string; sql: string }[] = Object.freeze([
  {
    version: 1,
    description: 'logon events, baselines, entity risk',
    sql: `
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        account TEXT NOT NULL,
        bind_name TEXT NOT NULL,
        kind TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        subnet TEXT NOT NULL,
        endpoint_name TEXT,
        app TEXT NOT NULL,
        result TEXT NOT NULL,
        peer_group TEXT,
        outcome TEXT,
        score INTEGER NOT NULL,
        codes TEXT NOT NULL,
        reasons TEXT NOT NULL
      );
      CREATE INDEX events_time ON events(time);
      CREATE INDEX events_account_time ON events(account, time);
      CREATE TABLE baselines (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        data TEXT NOT NULL,
        updated INTEGER NOT NULL,
        PRIMARY KEY (kind, key)
      ) WITHOUT ROWID;
      CREATE TABLE entity_risk (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value REAL NOT NULL,
        as_of INTEGER NOT NULL,
        PRIMARY KEY (kind, key)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'policy decisions on events, directory facts snapshots, quarantine',
    sql: `
      ALTER TABLE events ADD COLUMN listener TEXT;
      ALTER TABLE events ADD COLUMN tls INTEGER;
      ALTER TABLE events ADD COLUMN action TEXT;
      ALTER TABLE events ADD COLUMN rule_id TEXT;
      ALTER TABLE events ADD COLUMN policy_hash TEXT;
      ALTER TABLE events ADD COLUMN account_risk REAL;
      ALTER TABLE events ADD COLUMN endpoint_risk REAL;
      CREATE TABLE facts (
        account TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        updated INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE quarantine (
        account TEXT PRIMARY KEY,
        since INTEGER NOT NULL,
        until INTEGER,
        reason TEXT NOT NULL,
        source TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    description: 'incidents (failed step-up challenges) and notification dead letters',
    sql: `
      CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        account TEXT NOT NULL,
        kind TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        app TEXT NOT NULL,
        score INTEGER NOT NULL,
        reasons TEXT NOT NULL,
        signals TEXT NOT NULL,
        rule_id TEXT,
        policy_hash TEXT,
        method TEXT,
        failure TEXT NOT NULL,
        severity TEXT NOT NULL,
        status TEXT NOT NULL,
        timeline TEXT NOT NULL,
        updated INTEGER NOT NULL
      );
      CREATE INDEX incidents_time ON incidents(time);
      CREATE INDEX incidents_account_time ON incidents(account, time);
      CREATE INDEX incidents_endpoint_time ON incidents(endpoint, time);
      CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        target TEXT NOT NULL,
        incident_id INTEGER,
        payload TEXT NOT NULL,
        error TEXT NOT NULL,
        attempts INTEGER NOT NULL
      );
    `,
  },
  {
    version: 4,
    description: 'baselines by last update (bounded startup loads the most recent)',
    sql: `
      CREATE INDEX baselines_kind_updated ON baselines(kind, updated);
    `,
  },
  {
    version: 5,
    description: 'what a rule in audit mode would have decided, per event',
    sql: `
      ALTER TABLE events ADD COLUMN audit_rule_id TEXT;
      ALTER TABLE events ADD COLUMN audit_action TEXT;
    `,
  },
  {
    version: 6,
    description: 'threat-pool entries (sources and networks, with level, reasons and expiry)',
    sql: `
      CREATE TABLE threats (
        key TEXT PRIMARY KEY,
        level TEXT NOT NULL,
        reasons TEXT NOT NULL,
        since INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        expires INTEGER NOT NULL,
        exempt TEXT,
        manual INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
  {
    version: 7,
    description: 'smart-lockout state (identities locked out at the proxy), guesses the pool answered per source, and each event\'s threat decision',
    sql: `
      ALTER TABLE threats ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE threats ADD COLUMN kinds TEXT;
      ALTER TABLE events ADD COLUMN threat TEXT;
      CREATE TABLE lockouts (
        identity TEXT NOT NULL,
        bucket TEXT NOT NULL,
        locked_until INTEGER NOT NULL,
        lockouts INTEGER NOT NULL,
        since INTEGER NOT NULL,
        PRIMARY KEY (identity, bucket)
      );
    `,
  },
  {
    version: 8,
    description: 'connectors: each one\'s cursor and health, and the event ids already taken in',
    sql: `
      CREATE TABLE connectors (
        name TEXT PRIMARY KEY,
        cursor TEXT,
        origin TEXT,
        health TEXT NOT NULL,
        updated INTEGER NOT NULL
      );
      CREATE TABLE connector_seen (
        connector TEXT NOT NULL,
        uuid TEXT NOT NULL,
        time INTEGER NOT NULL,
        PRIMARY KEY (connector, uuid)
      );
      CREATE INDEX connector_seen_time ON connector_seen(connector, time);
    `,
  },
  {
    version: 9,
    description: 'imported history: the ids of events already imported (a re-import skips them)',
    sql: `
      CREATE TABLE imported (
        id TEXT PRIMARY KEY,
        time INTEGER NOT NULL
      );
    `,
  },
  {
    version: 10,
    description: 'what Okta says of each person the SSO connector saw (status, factors, assigned apps)',
    sql: `
      CREATE TABLE cloud_facts (
        account TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        updated INTEGER NOT NULL
      );
    `,
  },
  {
    version: 11,
    description: 'UserInsight notices (opaque link references, answers), dead letters of every kind of response step, quarantines released by verification',
    sql: `
      CREATE TABLE notices (
        id TEXT PRIMARY KEY,
        time INTEGER NOT NULL,
        account TEXT NOT NULL,
        kind TEXT NOT NULL,
        dedupe TEXT NOT NULL,
        event TEXT NOT NULL,
        status TEXT NOT NULL,
        expires INTEGER NOT NULL,
        answered INTEGER,
        answer TEXT,
        incident_id INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX notices_dedupe_time ON notices(dedupe, time);
      CREATE INDEX notices_account_time ON notices(account, time);
      ALTER TABLE dead_letters ADD COLUMN kind TEXT NOT NULL DEFAULT 'notify';
      ALTER TABLE dead_letters ADD COLUMN retried INTEGER;
      ALTER TABLE quarantine ADD COLUMN release_on TEXT NOT NULL DEFAULT 'analyst';
      ALTER TABLE quarantine ADD COLUMN incident_id INTEGER;
      ALTER TABLE incidents ADD COLUMN reported TEXT;
    `,
  },
  {
    version: 12,
    description: 'HealthInsight tasks dismissed, with the reason and who dismissed them',
    sql: `
      CREATE TABLE health_dismissals (
        task TEXT PRIMARY KEY,
        time INTEGER NOT NULL,
        reason TEXT NOT NULL,
        operator TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 13,
    description: 'admin console: sessions (token hashes only), saved Insights, every change with its operator',
    sql: `
      CREATE TABLE console_sessions (
        token_hash TEXT PRIMARY KEY,
        operator TEXT NOT NULL,
        dn TEXT NOT NULL,
        role TEXT NOT NULL,
        csrf TEXT NOT NULL,
        address TEXT NOT NULL,
        created INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE console_insights (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        filter TEXT NOT NULL,
        operator TEXT NOT NULL,
        created INTEGER NOT NULL
      );
      CREATE TABLE console_audit (
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        operator TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT
      );
      CREATE INDEX console_audit_time ON console_audit(time);
    `,
  },
  {
    version: 14,
    description: 'fleet mode: changes waiting for PostgreSQL (the outbox) and how far this node has read the fleet\'s',
    sql: `
      CREATE TABLE fleet_outbox (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        data TEXT NOT NULL,
        time INTEGER NOT NULL
      );
      CREATE INDEX fleet_outbox_key ON fleet_outbox(kind, key);
      CREATE TABLE fleet_cursor (
        kind TEXT PRIMARY KEY,
        seq INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 15,
    description: 'incidents keyed by the challenge that failed: binds sharing one challenge get one incident',
    sql: `
      ALTER TABLE incidents ADD COLUMN challenge_id TEXT;
      CREATE UNIQUE INDEX incidents_challenge ON incidents(challenge_id) WHERE challenge_id IS NOT NULL;
    `,
  },
  {
    version: 16,
    description: 'fleet mode: each incident\'s key in the fleet (its challenge, or the node that opened it and its number there)',
    sql: `
      ALTER TABLE incidents ADD COLUMN fleet_key TEXT;
      CREATE UNIQUE INDEX incidents_fleet_key ON incidents(fleet_key) WHERE fleet_key IS NOT NULL;
    `,
  },
  {
    version: 17,
    description: 'fleet mode: each console audit entry\'s key in the fleet (the node that wrote it and its number there)',
    sql: `
      ALTER TABLE console_audit ADD COLUMN fleet_key TEXT;
      CREATE UNIQUE INDEX console_audit_fleet_key ON console_audit(fleet_key) WHERE fleet_key IS NOT NULL;
    `,
  },
]);
