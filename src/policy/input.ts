/**
 * What a policy decides on: one bind, in the same terms the behaviour engine uses (the
 * canonical account, its kind, endpoint, app), plus directory facts, the behaviour score
 * and reasons, and quarantine state. The evaluation context derives lower-cased views and
 * bit masks once per decision (facts views once per cached facts object).
 */
import type { AccountKind } from '../behavior/logon-event.js';
import { SignalCode } from '../behavior/signals.js';
import type { UserFacts } from '../directory/facts.js';
import { normalizeDn } from '../util/dn.js';
import { lower, parseAddress, type Address } from './matchers.js';

export interface PolicyInput {
  time: number;
  /** Canonical account (lower-case uid / sAMAccountName). */
  account: string;
  /** The bind name as the client sent it. */
  bindDn: string;
  kind: AccountKind;
  endpoint: string;
  app: string;
  tls: boolean;
  facts: UserFacts | null;
  /** Behaviour score 0–100 (0 when behaviour is off). */
  score: number;
  /** Codes of the behaviour signals that fired. */
  signals: readonly string[];
  /** Human-readable behaviour reasons (for explanations). */
  riskReasons?: readonly string[];
  accountRisk: number;
  endpointRisk: number;
  quarantined: boolean;
  /** How the quarantine ends, when there is one: analyst, or verified (a passed step-up releases it). */
  quarantineRelease?: 'analyst' | 'verified';
  /** The source's level in the threat pool (low, medium, high), when it has an entry. */
  threatLevel?: string;
  /** The kinds of evidence behind that entry (spraying, slow_spraying, brute_force, behaviour, honeytoken, network, manual). */
  threatKinds?: readonly string[];
  /** The identity has used cloud access (Okta sign-ins in its baseline, through the SSO connector). */
  cloudAccess?: boolean;
  /** What Okta says of the person: status (ACTIVE, LOCKED_OUT, SUSPENDED…), enrolled factor types, assigned apps. */
  okta?: { status: string; factors: readonly string[]; apps: readonly string[] };
}

/** Each signal code gets one bit, so "any of these fired" is one AND. */
export const SIGNAL_BITS: ReadonlyMap<string, number> = new Map(Object.values(SignalCode).map((code, i) => [code, 1 << i]));

export function signalMask(codes: readonly string[]): number {
  let mask = 0;
  for (const c of codes) mask |= SIGNAL_BITS.get(c) ?? 0;
  return mask;
}

/** Lower-cased, normalized facts: built once per facts object and cached. */
export interface FactsView {
  dn: string;
  groupNames: ReadonlySet<string>;
  groupDns: ReadonlySet<string>;
  ous: readonly string[];
  department?: string;
  site?: string;
  title?: string;
  attributes: ReadonlyMap<string, readonly string[]>;
}

const views = new WeakMap<UserFacts, FactsView>();

export function factsView(f: UserFacts): FactsView {
  let v = views.get(f);
  if (!v) {
    v = {
      dn: normalizeDn(f.dn),
      groupNames: new Set(f.groupNames.map(lower)),
      groupDns: new Set(f.groups.map(normalizeDn)),
      ous: f.ous.map(lower),
      ...(f.department !== undefined ? { department: lower(f.department) } : {}),
      ...(f.site !== undefined ? { site: lower(f.site) } : {}),
      ...(f.title !== undefined ? { title: lower(f.title) } : {}),
      attributes: new Map(Object.entries(f.attributes).map(([k, vals]) => [lower(k), vals.map(lower)])),
    };
    views.set(f, v);
  }
  return v;
}

const OU_IN_DN = /(?:^|,)\s*ou\s*=\s*((?:\\.|[^,])+)/gi;

const EMPTY_SET: ReadonlySet<string> = new Set();
const EMPTY_FACTS: FactsView = Object.freeze({ dn: '', groupNames: EMPTY_SET, groupDns: EMPTY_SET, ous: [], attributes: new Map() });

/** One decision's derived values; reused between decisions (evaluation is synchronous). */
export class EvalContext {
  input!: PolicyInput;
  facts: FactsView = EMPTY_FACTS;
  /** The OUs of the bind DN when there are no facts. */
  signals = 0;
  #dn: string | null = null;
  #address: Address | null = null;
  #ous: readonly string[] | null = null;
  #account = '';
  #app = '';

  reset(input: PolicyInput): this {
    this.input = input;
    this.facts = input.facts ? factsView(input.facts) : EMPTY_FACTS;
    this.signals = signalMask(input.signals);
    this.#dn = null;
    this.#address = null;
    this.#ous = null;
    this.#account = input.account.toLowerCase();
    this.#app = input.app.toLowerCase();
    return this;
  }

  get account(): string {
    return this.#account;
  }

  get app(): string {
    return this.#app;
  }

  get dn(): string {
    return (this.#dn ??= normalizeDn(this.input.bindDn));
  }

  get address(): Address {
    return (this.#address ??= parseAddress(this.input.endpoint));
  }

  /** OUs from the facts, or else from the bind DN (parsed once per decision). */
  get ous(): readonly string[] {
    if (this.facts.ous.length > 0) return this.facts.ous;
    if (this.#ous === null) {
      const out: string[] = [];
      // Straight from the bind name: normalizing the whole DN first would cost more than this.
      for (const m of this.input.bindDn.matchAll(OU_IN_DN)) out.push(m[1]!.trim().toLowerCase());
      this.#ous = out;
    }
    return this.#ous;
  }
}
