/**
 * How a hypothetical bind (this user, from this address, through this app) would be decided
 * and why: the same attempt the proxy would build, scored by the given behaviour engine,
 * the gate in front of the policy, then each rule. `bindwall policy explain` runs it over a
 * database it opens; the console over the running engine.
 */
import { cloudUse, describeCloud } from '../behavior/cloud.js';
import type { BehaviorEngine } from '../behavior/engine.js';
import { describeLearning, learningState } from '../behavior/learning.js';
import { canonicalAccount, type EventMapper } from '../behavior/logon-event.js';
import type { Config } from '../config/load.js';
import type { UserFacts } from '../directory/facts.js';
import type { QuarantineView } from '../incidents/quarantine.js';
import { BehaviorStore } from '../store/behavior-store.js';
import { ConnectorStore } from '../store/connector-store.js';
import type { Db } from '../store/db.js';
import { threatContext, type ThreatContext } from '../threat/context.js';
import { PolicyDecider } from './decider.js';
import { formatExplanation } from './explain-format.js';
import type { CompiledPolicy, Explanation } from './policy.js';
import type { PolicyInput } from './input.js';

export interface BindExplanation {
  input: PolicyInput;
  facts: UserFacts | null;
  learning: ReturnType<typeof learningState>;
  cloud: ReturnType<typeof cloudUse>;
  explanation: Explanation;
  threat?: ThreatContext;
  /** The whole explanation for people, as `policy explain` prints it. */
  text: string;
}

export function explainBind(o: {
  policy: CompiledPolicy; dir: string; config?: Config; mapper: EventMapper; engine: BehaviorEngine; quarantine: QuarantineView;
  db?: Db; user: string; endpoint: string; app?: string; at: number; tls: boolean;
}): BindExplanation {
  const { policy, config, mapper, engine, db, at } = o;
  const account = canonicalAccount(o.user);
  const facts = db ? (new BehaviorStore(db).facts(account) ?? null) : null;
  const listener = config?.listeners[0]?.name ?? 'ldap';
  // The gate in front of the policy: the pool's entry for the endpoint (and the policy's threat condition), lockouts.
  const threat = db ? threatContext(db, config, o.endpoint, o.user, at) : undefined;
  const okta = db ? new ConnectorStore(db).facts<{ status: string; factors: string[]; apps: string[] }>(account) : undefined;
  const attempt = {
    connectionId: 0, listener, clientAddress: o.endpoint, clientPort: 0, bindDn: o.user, tls: o.tls, receivedAt: at,
    signal: new AbortController().signal, ...(facts ? { facts } : {}), ...(threat?.entry ? { threatLevel: threat.entry.level, ...(threat.entry.kinds ? { threatKinds: threat.entry.kinds } : {}) } : {}),
    ...(okta ? { okta: { status: okta.status, factors: okta.factors, apps: okta.apps } } : {}),
  };
  const logon = mapper.fromAttempt(attempt, facts);
  if (o.app) logon.app = o.app;
  const assessment = engine.assess(logon);
  const learning = learningState(engine.account(logon.account), at, engine.opts);
  const cloud = cloudUse(engine.account(logon.account));
  const input = { ...new PolicyDecider(policy, mapper, o.quarantine).inputFor({ ...attempt, assessment }), app: logon.app };
  const explanation = policy.explain(input, config?.policy.mode === 'audit');
  const cloudText = cloud.access || okta
    ? `${cloud.access ? describeCloud(cloud, at) : 'no cloud sign-ins seen'}${okta ? `; Okta: ${okta.status}, factors ${okta.factors.join(', ') || 'none'}, ${okta.apps.length} assigned apps` : ''}`
    : undefined;
  const lines = [formatExplanation({ policy, input, explanation, dir: o.dir, hasStorage: db !== undefined, learning: describeLearning(learning), ...(cloudText ? { cloud: cloudText } : {}) })];
  if (threat && threat.gate.length > 0) lines.push('threat pool and smart lockout (before the policy):', ...threat.gate.map((g) => `  ${g}`));
  return { input, facts, learning, cloud, explanation, ...(threat ? { threat } : {}), text: lines.join('\n') };
}
