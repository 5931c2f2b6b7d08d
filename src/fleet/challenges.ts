/**
 * One challenge per login across the fleet. The first node to bind a login that must step up
 * claims the challenge in PostgreSQL and runs it (one push on the phone). It heartbeats every
 * second and records the push's poll link. A node whose client binds the same login meanwhile
 * waits for the recorded outcome and answers its own client with it. If the owner stops
 * heartbeating, a waiting node takes the challenge over: it polls the same push to its end,
 * or starts it when none was sent yet.
 *
 * The node that decides a failed challenge opens its incident. The others answer with
 * `decidedBy`, and open none.
 *
 * PostgreSQL unreachable: each node runs its own challenges (a login binding on two nodes at
 * once may get two pushes), and says so.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { ChallengeCoordinator, ChallengeProgress, RememberedPass, ResumeChallenge, StartChallenge } from '../mfa/challenges.js';
import { FailureKind, type ChallengeOutcome } from '../mfa/outcome.js';
import type { Logger } from '../log/logger.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { FleetSync } from './sync.js';

const HEARTBEAT_MS = 1_000;
/** An owner silent this long is taken to be gone. */
const STALE_MS = 3_500;
/** A node reads the outcomes it waits for (all in one query) at least this often; notifications wake it sooner. */
const WAIT_POLL_MS = 500;
/** After the deadline, how long a waiter still gives the owner to write the outcome. */
const GRACE_MS = 5_000;
const NOTIFY_PAYLOAD = '~challenge';

interface Row { id: string; owner: string; heartbeat: string; deadline: string; poll_href: string | null; outcome: ChallengeOutcome | null }


export class FleetChallenges implements ChallengeCoordinator {
  readonly #fleet: FleetSync;
  readonly #clock: Clock;
  readonly #log: Logger;
  /** Keys this node waits on, read together by one query. */
  readonly #waiting = new Map<string, ((r: { row: Row | undefined } | { error: unknown } | 'abandoned') => void)[]>();
  #readTimer: TimerHandle | undefined;
  #reading = false;
  #lastDegraded = -Infinity;

  constructor(fleet: FleetSync, clock: Clock, log: Logger) {
    this.#fleet = fleet;
    this.#clock = clock;
    this.#log = log;
    fleet.onNotification(NOTIFY_PAYLOAD, () => this.#wakeAll());
  }

  async run(local: { key: string; id: string; deadline: number; abandoned: AbortSignal; start: StartChallenge; resume?: ResumeChallenge; remember?: RememberedPass; retried?: boolean }): Promise<ChallengeOutcome> {
    // The login key holds NULs (PostgreSQL text cannot) and names the account: the table keeps its hash.
    const c = { ...local, key: createHash('sha256').update(local.key).digest('base64url') };
    const pool = this.#fleet.pool;
    if (!pool) return this.#alone(c, undefined);
    let owned: string | undefined;
    try {
      const remembered = c.remember ? await this.#remembered(pool, c.key, c.remember) : undefined;
      if (remembered) return remembered;
      owned = await this.#claim(pool, c.key, c.id, c.deadline);
    } catch (err) {
      this.#fleet.failed(err);
      return this.#alone(c, err);
    }
    if (owned === c.id) return this.#own(pool, c.key, c.id, (progress) => c.start(c.abandoned, progress));
    const outcome = await this.#wait(pool, c, owned);
    // The owner's clients all left and it gave the push up: ours has not, so it is asked again (once).
    if (outcome.failure === FailureKind.Abandoned && outcome.decidedBy !== 'elsewhere' && !c.abandoned.aborted && !local.retried) return this.run({ ...local, retried: true });
    return outcome;
  }

  /** Without the database: this node's own challenge, said once a minute. */
  #alone(c: { abandoned: AbortSignal; start: StartChallenge }, err: unknown): Promise<ChallengeOutcome> {
    const now = this.#clock.now();
    if (now - this.#lastDegraded >= 60_000) {
      this.#lastDegraded = now;
      this.#log.warn({ event: 'fleet_challenge_local', error: err ? String((err as Error).message ?? err) : 'not connected' },
        'fleet database unavailable: challenges are run per node until it returns (a login binding on two nodes at once may get two pushes)');
    }
    return c.start(c.abandoned);
  }

  /** A pass for this login on any node within rememberMs: no new prompt (mfa.rememberMs, fleet-wide). */
  async #remembered(pool: pg.Pool, key: string, r: RememberedPass): Promise<ChallengeOutcome | undefined> {
    const row = (await pool.query<{ owner: string; heartbeat: string; outcome: ChallengeOutcome | null }>('SELECT owner, heartbeat, outcome FROM fleet_challenges WHERE key = $1', [key])).rows[0];
    // Only a prompt the person passed: not a pass by a fail mode (Okta down) or by mfa.unenrolled.
    if (row?.outcome?.result !== 'passed' || row.outcome.via !== undefined) return undefined;
    const at = Number(row.heartbeat); // written with the outcome
    if (at < this.#clock.now() - r.forMs || (r.notBefore !== undefined && at < r.notBefore)) return undefined;
    return { result: 'passed', detail: `passed a challenge for this login recently (on node ${row.owner})`, via: 'remembered', decidedBy: row.owner };
  }

  /** Our id when this node got the challenge, else the id of the one running. */
  async #claim(pool: pg.Pool, key: string, id: string, deadline: number): Promise<string> {
    const now = this.#clock.now();
    const r = await pool.query<{ id: string }>(
      `INSERT INTO fleet_challenges (key, id, owner, heartbeat, deadline) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (key) DO UPDATE SET id = excluded.id, owner = excluded.owner, heartbeat = excluded.heartbeat, deadline = excluded.deadline,
         poll_href = NULL, cancel_href = NULL, outcome = NULL
       WHERE fleet_challenges.outcome IS NOT NULL OR fleet_challenges.deadline < $4
         OR (fleet_challenges.heartbeat < $6 AND fleet_challenges.poll_href IS NULL)
       RETURNING id`,
      [key, id, this.#fleet.node, now, deadline, now - STALE_MS]);
    if (r.rows.length) return r.rows[0]!.id;
    const cur = await pool.query<{ id: string }>('SELECT id FROM fleet_challenges WHERE key = $1', [key]);
    // Gone between the two statements (ended and cleaned up): claim again.
    return cur.rows[0]?.id ?? this.#claim(pool, key, id, deadline);
  }

  /** Runs the challenge here: heartbeats, the poll link, then the outcome for every node. */
  async #own(pool: pg.Pool, key: string, id: string, run: (progress: ChallengeProgress) => Promise<ChallengeOutcome>): Promise<ChallengeOutcome> {
    const write = (sql: string, args: unknown[]): void => {
      pool.query(sql, args).catch((err: unknown) => this.#fleet.failed(err));
    };
    let timer: TimerHandle | undefined;
    const beat = (): void => {
      write('UPDATE fleet_challenges SET heartbeat = $3 WHERE key = $1 AND id = $2', [key, id, this.#clock.now()]);
      timer = this.#clock.setTimer(HEARTBEAT_MS, beat);
    };
    timer = this.#clock.setTimer(HEARTBEAT_MS, beat);
    try {
      const outcome = await run({
        pushStarted: (pollHref, cancelHref) => write('UPDATE fleet_challenges SET poll_href = $3, cancel_href = $4 WHERE key = $1 AND id = $2', [key, id, pollHref, cancelHref ?? null]),
      });
      const shared: ChallengeOutcome = { ...outcome, challengeId: id };
      try {
        await pool.query('UPDATE fleet_challenges SET outcome = $3::jsonb, heartbeat = $4 WHERE key = $1 AND id = $2', [key, id, JSON.stringify(shared), this.#clock.now()]);
        await this.#fleet.notify(NOTIFY_PAYLOAD);
      } catch (err) {
        // The waiting nodes see the heartbeat stop, take over and poll the same push to its end.
        this.#fleet.failed(err);
      }
      return shared;
    } finally {
      timer?.cancel();
    }
  }

  /** Another node runs it: its outcome, or the challenge itself once that node is gone. */
  async #wait(pool: pg.Pool, c: { key: string; deadline: number; abandoned: AbortSignal; start: StartChallenge; resume?: ResumeChallenge }, id: string): Promise<ChallengeOutcome> {
    const giveUp = c.deadline + GRACE_MS;
    for (;;) {
      const read = await this.#read(c.key, c.abandoned);
      const now = this.#clock.now();
      if (read === 'abandoned') return { result: 'failed', failure: FailureKind.Abandoned, detail: 'the client disconnected while another node ran the challenge', challengeId: id, decidedBy: 'elsewhere' };
      if ('error' in read) {
        this.#fleet.failed(read.error);
        // Without the database nobody can tell us the outcome: run it here.
        return this.#alone(c, read.error);
      }
      const row = read.row;
      if (!row || row.id !== id) return { result: 'failed', failure: FailureKind.TimedOut, detail: 'the challenge another node ran ended without an outcome', challengeId: id, decidedBy: 'elsewhere' };
      if (row.outcome) return { ...row.outcome, challengeId: id, decidedBy: row.owner };
      if (Number(row.heartbeat) < now - STALE_MS) {
        const took = await pool.query<{ poll_href: string | null; deadline: string }>(
          'UPDATE fleet_challenges SET owner = $3, heartbeat = $4 WHERE key = $1 AND id = $2 AND heartbeat < $5 RETURNING poll_href, deadline',
          [c.key, id, this.#fleet.node, now, now - STALE_MS]).catch((err: unknown) => {
          this.#fleet.failed(err);
          return undefined;
        });
        const t = took?.rows[0];
        if (t) {
          this.#log.warn({ event: 'fleet_challenge_taken_over', challenge: id, from: row.owner, push: t.poll_href ? 'polled' : 'started' },
            `node ${row.owner} stopped answering mid-challenge; ${t.poll_href ? 'polling its push' : 'starting the challenge'} here`);
          return this.#own(pool, c.key, id, (progress) => (t.poll_href && c.resume ? c.resume(t.poll_href, Number(t.deadline), c.abandoned) : c.start(c.abandoned, progress)));
        }
      }
      if (now > giveUp) return { result: 'failed', failure: FailureKind.TimedOut, detail: 'no outcome from the node that ran the challenge', challengeId: id };
    }
  }

  /**
   * The row of a challenge this node waits on: read with every other one this node waits on,
   * in one query, every WAIT_POLL_MS or at once on a notification. 'abandoned' when the
   * client leaves first.
   */
  #read(key: string, abandoned: AbortSignal): Promise<{ row: Row | undefined } | { error: unknown } | 'abandoned'> {
    return new Promise((resolve) => {
      const done = (r: { row: Row | undefined } | { error: unknown } | 'abandoned'): void => {
        abandoned.removeEventListener('abort', leave);
        resolve(r);
      };
      const leave = (): void => {
        const list = this.#waiting.get(key);
        const i = list?.indexOf(done) ?? -1;
        if (list && i >= 0) list.splice(i, 1);
        if (list && !list.length) this.#waiting.delete(key);
        done('abandoned');
      };
      if (abandoned.aborted) return resolve('abandoned');
      abandoned.addEventListener('abort', leave, { once: true });
      const list = this.#waiting.get(key) ?? [];
      list.push(done);
      this.#waiting.set(key, list);
      this.#readTimer ??= this.#clock.setTimer(WAIT_POLL_MS, () => void this.#readAll());
    });
  }

  async #readAll(): Promise<void> {
    this.#readTimer = undefined;
    if (this.#reading || !this.#waiting.size) return;
    this.#reading = true;
    const waiting = new Map(this.#waiting);
    this.#waiting.clear();
    try {
      const pool = this.#fleet.pool;
      if (!pool) throw new Error('the fleet database is not connected');
      const r = await pool.query<Row & { key: string }>('SELECT key, id, owner, heartbeat, deadline, poll_href, outcome FROM fleet_challenges WHERE key = ANY($1)', [[...waiting.keys()]]);
      const rows = new Map(r.rows.map((x) => [x.key, x]));
      for (const [key, list] of waiting) for (const done of list) done({ row: rows.get(key) });
    } catch (error) {
      for (const list of waiting.values()) for (const done of list) done({ error });
    } finally {
      this.#reading = false;
      // Waiters that came meanwhile are read at the next turn.
      if (this.#waiting.size) this.#readTimer ??= this.#clock.setTimer(WAIT_POLL_MS, () => void this.#readAll());
    }
  }

  #wakeAll(): void {
    this.#readTimer?.cancel();
    this.#readTimer = this.#clock.setTimer(0, () => void this.#readAll());
  }
}
