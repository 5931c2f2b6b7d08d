/** Policy: the loaded rules (read-only), how a bind by a user from an endpoint would be decided, and a replay of a candidate policy directory over recorded binds. */
import { isIP } from 'node:net';
import { basename } from 'node:path';
import { BehaviorEngine } from '../../behavior/engine.js';
import { formatDiagnostic } from '../../config/diagnostics.js';
import { loadPolicyDir } from '../../policy/compile.js';
import { explainBind } from '../../policy/explain-bind.js';
import { describeOutcome } from '../../policy/explain-format.js';
import { formatReplay, replay } from '../../policy/replay.js';
import { Quarantine } from '../../incidents/quarantine.js';
import { html, type SafeHtml } from '../../util/html.js';
import type { ConsoleDeps } from '../deps.js';
import { form, table } from '../layout.js';
import { may, Permission, type ConsoleSession } from '../sessions.js';

export function policyPage(d: ConsoleDeps, s: ConsoleSession, url: URL, replayed?: SafeHtml): SafeHtml {
  const policy = d.policy?.decider.policy;
  const user = url.searchParams.get('user')?.slice(0, 1024) ?? '';
  const endpoint = url.searchParams.get('endpoint')?.slice(0, 64) ?? '';
  const app = url.searchParams.get('app')?.slice(0, 128) ?? '';
  let explained: SafeHtml | string = '';
  if (policy && (user || endpoint)) {
    if (!user.trim() || isIP(endpoint) === 0) explained = html`<p class="error" role="alert">Explain needs a user and the endpoint's IP address.</p>`;
    else {
      const now = d.clock.now();
      const r = explainBind({
        policy, dir: d.config.policy.dir, config: d.config, mapper: d.mapper, engine: d.engine ?? new BehaviorEngine({ timeZone: d.config.behavior.timeZone }),
        quarantine: d.quarantine ?? new Quarantine({ clock: d.clock }), db: d.db, user, endpoint, at: now, tls: true, ...(app ? { app } : {}),
      });
      explained = html`<section aria-labelledby="explained"><h2 id="explained">Decision: ${r.explanation.decision.action} (${r.explanation.decision.ruleId})</h2><pre>${r.text}</pre></section>`;
    }
  }
  return html`
<section aria-labelledby="rules"><h2 id="rules">Loaded rules${policy ? ` (policy ${policy.hash}, first match decides)` : ''}</h2>
${policy ? table(['#', 'Rule', 'Where', 'Decides', 'Mode', 'Description'], policy.rules.map((r, i) => [i + 1, r.id, `${basename(r.file)}:${r.line}`, describeOutcome({ ...r.outcome, ruleId: r.id, policyHash: policy.hash }), r.outcome.mode ?? d.config.policy.mode, r.description ?? '']), 'No rules.') : html`<p>No policy is loaded.</p>`}
${policy ? html`<p>When no rule matches: ${describeOutcome(policy.fallback)} (the default, ${basename(policy.fallbackFile)}:${policy.fallbackLine}).</p>` : ''}</section>
<section aria-labelledby="explain"><h2 id="explain">Explain a bind</h2>
<form method="get" action="/console/policy" aria-label="Explain a bind"><label>User <input name="user" value="${user}" required maxlength="1024"></label> <label>Endpoint (IP) <input name="endpoint" value="${endpoint}" required maxlength="64"></label> <label>App <input name="app" value="${app}" maxlength="128"></label> <button type="submit">Explain</button></form>
${explained}</section>
<section aria-labelledby="replay"><h2 id="replay">Replay a candidate policy</h2>
${may(s.role, Permission.Configure) ? form(s, '/policy/replay', html`<label for="candidate">Policy directory on this host</label> <input id="candidate" name="dir" required maxlength="1024" size="50"> <button type="submit">Replay recorded binds</button>`, 'Replay a candidate policy') : html`<p>Admins can replay a candidate policy directory here.</p>`}
${replayed ?? ''}</section>`;
}

/** Re-decides every recorded bind with the candidate directory's policy; the report, or its diagnostics. */
export function replayCandidate(d: ConsoleDeps, dir: string): SafeHtml {
  const { policy, diagnostics } = loadPolicyDir(dir);
  if (!policy) return html`<div role="alert"><p class="error">The candidate policy does not compile:</p><pre>${diagnostics.map(formatDiagnostic).join('\n')}</pre></div>`;
  const report = replay({ policy, store: d.queries.baselines, since: 0, until: Number.MAX_SAFE_INTEGER, examples: 3, ...(d.quarantine ? { quarantine: d.quarantine } : {}), now: d.clock.now() });
  return html`<p role="status">Replayed ${report.events} recorded binds: ${report.changed} would be decided differently.</p><pre>${formatReplay(report, { policyLabel: dir })}</pre>`;
}
