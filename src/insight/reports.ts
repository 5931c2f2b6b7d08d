/**
 * The person's answer to a notice. "This wasn't me" is a failed verification after the fact —
 * they deny the sign-in as they would deny a push — so it opens its incident through the same
 * recorder as a failed challenge (failure `user_report`) and runs userInsight.onReport. "This
 * was me" is a passed one: the identity's risk drops and the sign-in is learned as theirs.
 * Either answer is taken once.
 */
import { AccountKind, type LogonEvent } from '../behavior/logon-event.js';
import { BindResult } from '../behavior/bind-result.js';
import type { BehaviorService } from '../behavior/service.js';
import type { UserInsightConfig } from '../config/load.js';
import type { IncidentRecorder } from '../incidents/recorder.js';
import type { Logger } from '../log/logger.js';
import { FailureKind } from '../mfa/outcome.js';
import type { IncidentStore } from '../store/incident-store.js';
import type { Notice, NoticeAnswer, NoticeStore } from '../store/notice-store.js';
import { subnetOf } from '../util/cidr.js';
import type { Clock } from '../util/clock.js';
import { isIP } from 'node:net';

export type AnswerResult =
  | { ok: true; answer: NoticeAnswer; notice: Notice; incidentId?: number }
  | { ok: false; reason: 'unknown' | 'expired' | 'used' };

const WHAT: Record<string, string> = {
  new_device: 'a sign-in from a new device', new_app: 'a sign-in to a new application', factor_enrolled: 'a new MFA factor', factor_reset: 'a reset of the MFA factors',
  password_changed: 'a password change', failed_step_up: 'a sign-in that failed its step-up',
};

export class ReportDesk {
  constructor(private readonly o: {
    notices: NoticeStore; recorder: IncidentRecorder; incidents: IncidentStore; config: UserInsightConfig; behavior?: BehaviorService; clock: Clock; log: Logger;
  }) {}

  /** What a link would do, without doing it (the page a GET shows). */
  peek(ref: string): AnswerResult {
    const n = this.o.notices.get(ref);
    if (!n) return { ok: false, reason: 'unknown' };
    if (n.answered !== null) return { ok: false, reason: 'used' };
    if (n.expires <= this.o.clock.now()) return { ok: false, reason: 'expired' };
    return { ok: true, answer: 'confirmed', notice: n };
  }

  answer(ref: string, answer: NoticeAnswer): AnswerResult {
    const { notices, clock, log } = this.o;
    const now = clock.now();
    const seen = this.peek(ref);
    if (!seen.ok) return seen;
    if (!notices.answer(ref, answer, now)) {
      const again = this.peek(ref); // another click won the race
      return again.ok ? { ok: false, reason: 'used' } : again;
    }
    const n = seen.notice;
    log.info({ event: 'notice_answered', notice: n.id, kind: n.kind, account: n.account, answer }, `${n.account} answered "${answer === 'denied' ? 'this wasn\'t me' : 'this was me'}" about ${WHAT[n.kind] ?? n.kind}`);
    return answer === 'denied' ? this.#denied(n) : this.#confirmed(n);
  }

  #denied(n: Notice): AnswerResult {
    const { recorder, incidents, config, clock, notices } = this.o;
    const now = clock.now();
    const respond = { quarantine: false, notify: [] as string[], ...(config.onReport ? { respond: config.onReport } : {}) };
    const existing = n.incidentId ? incidents.get(n.incidentId) : undefined;
    if (existing) {
      // The failed step-up already opened an incident: the report confirms it was not them.
      const updated = incidents.update(existing.id, { time: now, what: `the person reported it: "this wasn't me" (notice ${n.id})` }) ?? existing;
      recorder.respond(updated, respond, n.account);
      return { ok: true, answer: 'denied', notice: n, incidentId: existing.id };
    }
    const logon = n.event.logon ?? synthetic(n);
    const incident = recorder.open({
      logon, severity: config.reportSeverity, ruleId: 'user-report', policyHash: null, method: 'email', failure: FailureKind.Reported,
      first: `the person reported ${WHAT[n.kind] ?? n.kind} as not theirs ("this wasn't me", notice ${n.id})`,
      reported: {
        notice: n.id, kind: n.kind, time: n.event.time, ...(n.event.endpoint ? { endpoint: n.event.endpoint } : {}), ...(n.event.app ? { app: n.event.app } : {}),
        ...(n.event.device ? { device: n.event.device } : {}),
      },
      extra: [`reported: ${new Date(n.event.time).toISOString()}${n.event.endpoint ? ` from ${n.event.endpoint}` : ''}${n.event.device && n.event.device !== n.event.endpoint ? ` (${n.event.device})` : ''}${n.event.app ? ` via ${n.event.app}` : ''}`],
    }, respond);
    notices.linkIncident(n.id, incident.id);
    return { ok: true, answer: 'denied', notice: n, incidentId: incident.id };
  }

  #confirmed(n: Notice): AnswerResult {
    const { behavior, incidents, clock, log } = this.o;
    const now = clock.now();
    if (n.incidentId) incidents.update(n.incidentId, { time: now, what: `the person said "this was me" (notice ${n.id})` });
    if (n.event.logon && behavior) {
      // As a passed challenge: the identity's risk drops and the device and app become theirs.
      behavior.engine.confirm({ ...n.event.logon, time: now });
      log.info({ event: 'notice_confirmed', notice: n.id, account: n.account }, `${n.account} confirmed the sign-in; learned as theirs`);
    }
    return { ok: true, answer: 'confirmed', notice: n };
  }
}

/** The logon a report without one is about (an account change): the person, where it was seen. */
function synthetic(n: Notice): LogonEvent {
  const endpoint = n.event.endpoint && isIP(n.event.endpoint) ? n.event.endpoint : 'unknown';
  return {
    time: n.event.time, account: n.account, bindName: n.account, kind: AccountKind.Human, endpoint, subnet: endpoint === 'unknown' ? 'unknown' : subnetOf(endpoint),
    app: n.event.app ?? n.kind, result: BindResult.Success, ...(n.event.source === 'okta' ? { source: 'okta' } : {}),
  };
}
