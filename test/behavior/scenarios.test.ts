/**
 * Golden behaviour scenarios (fixtures/scenarios/<name>/scenario.yaml): a history goes in,
 * and the scored events must land in the expected score ranges with the expected reasons,
 * and where a scenario says so, get the expected decision from the shipped policy.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { parseScenario, runScenario } from '../../src/behavior/scenario.js';
import { fixture, repoRoot } from '../helpers/paths.js';
import { BehaviorEngine } from '../../src/behavior/engine.js';
import { loadPolicyDir } from '../../src/policy/compile.js';
import { join } from 'node:path';

const shipped = loadPolicyDir(join(repoRoot, 'policies')).policy!;

const dir = fixture('scenarios');
for (const name of readdirSync(dir).sort()) {
  test(`scenario: ${name}`, (t) => {
    const scenario = parseScenario(readFileSync(`${dir}/${name}/scenario.yaml`, 'utf8'));
    const outcomes = runScenario(scenario, new BehaviorEngine(), (ev, a) => shipped.decide({
      time: ev.time, account: ev.account, bindDn: ev.bindName, kind: ev.kind, endpoint: ev.endpoint, app: ev.app, tls: false, facts: null,
      score: a.score, signals: a.signals.map((x) => x.code), accountRisk: a.accountRisk, endpointRisk: a.endpointRisk, quarantined: false,
    }));
    const checked = outcomes.filter((o) => o.expect);
    t.true(checked.length > 0, 'the scenario checks something');
    for (const o of checked) {
      t.deepEqual(o.problems, [], `${o.event.account}@${o.event.endpoint} ${new Date(o.event.time).toISOString()}: ` +
        `score ${o.assessment.score} [${o.assessment.signals.map((s) => `${s.code}:${s.points}`).join(', ')}]` +
        `${o.decision ? ` → ${o.decision.action} (${o.decision.ruleId})` : ''}`);
      t.true(o.assessment.reasons.length <= 3);
    }
  });
}
