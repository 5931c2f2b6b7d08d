/**
 * Golden behaviour scenarios (fixtures/scenarios/<name>/scenario.yaml): a history goes in,
 * and the scored events must land in the expected score ranges with the expected reasons.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { parseScenario, runScenario } from '../../src/behavior/scenario.js';
import { fixture } from '../helpers/paths.js';

const dir = fixture('scenarios');
for (const name of readdirSync(dir).sort()) {
  test(`scenario: ${name}`, (t) => {
    const scenario = parseScenario(readFileSync(`${dir}/${name}/scenario.yaml`, 'utf8'));
    const outcomes = runScenario(scenario);
    const checked = outcomes.filter((o) => o.expect);
    t.true(checked.length > 0, 'the scenario checks something');
    for (const o of checked) {
      t.deepEqual(o.problems, [], `${o.event.account}@${o.event.endpoint} ${new Date(o.event.time).toISOString()}: ` +
        `score ${o.assessment.score} [${o.assessment.signals.map((s) => `${s.code}:${s.points}`).join(', ')}]`);
      t.true(o.assessment.reasons.length <= 3);
    }
  });
}
