/**
 * A small recorded history for explain and replay: six weeks of weekday logons by two
 * people and an hourly service account, recorded under a known policy, with directory
 * facts for alice. Deterministic: the same database every time.
 */
import { join } from 'node:path';
import { BehaviorEngine } from '../../src/behavior/engine.js';
import { EventMapper } from '../../src/behavior/logon-event.js';
import { BehaviorService } from '../../src/behavior/service.js';
import { createLogger } from '../../src/log/logger.js';
import type { BindEvent } from '../../src/proxy/bind-event.js';
import { BehaviorStore } from '../../src/store/behavior-store.js';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/util/clock.js';

export const RECORDED_POLICY = 'a085e2cb0ea1841e';
const DAY = 86_400_000;
const HOUR = 3_600_000;

export function buildHistory(dir: string): string {
  const path = join(dir, 'bindwall.db');
  const db = openDatabase(path);
  const store = new BehaviorStore(db);
  const clock = new ManualClock(Date.UTC(2026, 10, 21));
  const service = new BehaviorService({
    engine: new BehaviorEngine({ timeZone: 'UTC' }), mapper: new EventMapper(), store, clock,
    log: createLogger({ level: 'silent' }), upkeepCron: null,
  });
  let conn = 0;
  const bind = (time: number, uid: string, ou: string, endpoint: string): void => {
    const ev: BindEvent = {
      time, connectionId: ++conn, listener: 'ldap', clientAddress: endpoint, clientPort: 40000, bindDn: `uid=${uid},ou=${ou},dc=corp,dc=example`,
      method: 'simple', tls: false, outcome: 'approved', resultCode: 0, directoryResultCode: 0, ruleId: 'default', policyHash: RECORDED_POLICY,
      action: 'approve', latencyMs: 1,
    };
    service.record(ev);
  };
  const start = Date.UTC(2026, 9, 5); // Monday 5 October 2026
  for (let d = 0; d < 47; d++) {
    const day = start + d * DAY;
    const weekday = new Date(day).getUTCDay();
    if (weekday !== 0 && weekday !== 6) {
      bind(day + 9 * HOUR + 12 * 60_000, 'alice', 'people', '10.1.2.3');
      bind(day + 13 * HOUR + 40 * 60_000, 'alice', 'people', '10.1.2.3');
      bind(day + 9 * HOUR + 3 * 60_000, 'bob', 'people', '10.1.2.4');
      bind(day + 16 * HOUR + 55 * 60_000, 'bob', 'people', '10.1.2.4');
    }
    for (let h = 0; h < 24; h += 6) bind(day + h * HOUR + 5 * 60_000, 'svc-backup', 'services', '10.5.0.10');
  }
  // The last days hold a few unusual binds as well.
  const nov19 = Date.UTC(2026, 10, 19);
  bind(nov19 + 23 * HOUR, 'alice', 'people', '10.9.9.9');
  bind(nov19 + 2 * HOUR + 30 * 60_000, 'bob', 'people', '10.1.2.3');
  service.flush();
  store.write([], { accounts: [], endpoints: [], peers: [] }, [], clock.now(), [{
    account: 'alice',
    facts: {
      dn: 'uid=alice,ou=people,dc=corp,dc=example', ous: ['people'], department: 'Finance', title: 'Accountant', site: 'London',
      groups: ['cn=staff,ou=groups,dc=corp,dc=example'], groupNames: ['staff'], privileged: false, attributes: {},
    },
  }]);
  service.close();
  db.close();
  return path;
}
