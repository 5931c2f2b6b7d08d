/**
 * What Okta says of a person, looked up in the background for the identities whose sign-ins
 * the connector brings in: their Okta status, enrolled factors and assigned apps. Cached for
 * an hour, bounded, refreshed at a pace that leaves most of the users bucket to others, never
 * on the bind path (a decision uses what is cached, or nothing).
 */
import { describeError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { OktaClient } from '../../okta/client.js';
import type { Clock } from '../../util/clock.js';
import { LruMap } from '../../util/lru.js';

export interface OktaUserFacts {
  status: string;
  /** Enrolled and active factor types (push, token:software:totp, …). */
  factors: string[];
  /** Assigned apps, by label. */
  apps: string[];
  fetched: number;
}

const TTL_MS = 3_600_000;
/** Lookups a minute at most: three calls each, well under the users bucket's share. */
const PER_MINUTE = 20;

export class OktaUserDirectory {
  readonly #client: Pick<OktaClient, 'getUser' | 'listFactors' | 'listAppLinks'>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #cache: LruMap<OktaUserFacts>;
  readonly #queue = new Map<string, string>();
  #window = { start: 0, used: 0 };
  onFacts: ((account: string, facts: OktaUserFacts) => void) | undefined;

  constructor(client: Pick<OktaClient, 'getUser' | 'listFactors' | 'listAppLinks'>, clock: Clock, log: Logger, maxEntries = 100_000) {
    this.#client = client;
    this.#clock = clock;
    this.#log = log;
    this.#cache = new LruMap(maxEntries);
  }

  get(account: string): OktaUserFacts | undefined {
    return this.#cache.get(account);
  }

  /** Asks for (fresh) facts of this identity by its Okta login; returns at once. `changed`: Okta said something changed (a factor, a lockout). */
  want(account: string, login: string, changed = false): void {
    const f = this.#cache.get(account);
    if (f && !changed && this.#clock.now() - f.fetched < TTL_MS) return;
    if (this.#queue.size >= 10_000) return; // a flood of new names waits for the next sign-in
    this.#queue.set(account, login);
    void this.drain();
  }

  /** Works the queue at the allowed pace (tests await it). */
  drain(): Promise<void> {
    this.#draining ??= this.#work().finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  #draining: Promise<void> | undefined;

  async #work(): Promise<void> {
    while (this.#queue.size > 0) {
      const now = this.#clock.now();
      if (now - this.#window.start >= 60_000) this.#window = { start: now, used: 0 };
      if (this.#window.used >= PER_MINUTE) break; // the rest waits for the next sign-in or drain
      this.#window.used++;
      const [account, login] = this.#queue.entries().next().value as [string, string];
      this.#queue.delete(account);
      try {
        const deadline = now + 10_000;
        const user = await this.#client.getUser(login, deadline);
        const factors = user.status === 'ACTIVE' ? (await this.#client.listFactors(user.id, deadline)).filter((x) => x.status === 'ACTIVE').map((x) => x.factorType) : [];
        const apps = await this.#client.listAppLinks(user.id, deadline);
        const facts = { status: user.status, factors, apps, fetched: this.#clock.now() };
        this.#cache.set(account, facts);
        this.onFacts?.(account, facts);
      } catch (err) {
        this.#log.debug({ event: 'okta_facts_failed', account, error: describeError(err) }, 'could not read an Okta user\'s facts');
      }
    }
  }
}
