/**
 * The shape of a policy file (policies/*.yaml). This zod schema is the single source for
 * validation and for `bindwall policy schema` (the JSON Schema editors use); what a schema
 * cannot say (list references, CIDRs, time zones, shadowed rules) the compiler checks.
 */
import { z } from 'zod';

/** One name or a list of names; an entry "$name" stands for every entry of list `name`. */
const names = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  error: 'expected a name or a list of names',
}).meta({ description: 'One value or a list of values. Patterns may use * and ?; "$name" expands the named list.' });

const range = z.strictObject({
  atLeast: z.number().min(0).max(100).optional().meta({ description: 'Matches when the value is at least this (inclusive).' }),
  below: z.number().min(0).max(100).optional().meta({ description: 'Matches when the value is below this (exclusive).' }),
}).meta({ description: 'A range 0–100; give atLeast, below or both.' });

const timeWindow = z.strictObject({
  days: names.optional().meta({ description: 'mon … sun, ranges (mon-fri), weekdays or weekend.' }),
  hours: names.optional().meta({ description: 'Local time ranges "HH:MM-HH:MM" (end exclusive; may wrap past midnight).' }),
  timeZone: z.string().min(1).optional().meta({ description: 'IANA zone; default: the file\'s timeZone, else UTC.' }),
}).meta({ description: 'Matches when the bind happens inside this window.' });

export interface ConditionSpec {
  user?: string | string[];
  dn?: string | string[];
  group?: string | string[];
  ou?: string | string[];
  department?: string | string[];
  site?: string | string[];
  title?: string | string[];
  attribute?: Record<string, string | string[]>;
  kind?: string | string[];
  endpoint?: string | string[];
  app?: string | string[];
  time?: z.infer<typeof timeWindow>;
  risk?: z.infer<typeof range>;
  accountRisk?: z.infer<typeof range>;
  endpointRisk?: z.infer<typeof range>;
  signals?: string | string[];
  quarantined?: boolean | 'until-verified';
  threat?: 'low' | 'medium' | 'high';
  threatKind?: string | string[];
  cloud?: { access?: boolean; status?: string | string[]; factors?: string | string[] };
  tls?: boolean;
  condition?: string | string[];
  any?: ConditionSpec[];
  all?: ConditionSpec[];
  not?: ConditionSpec;
}

/**
 * Every key of one mapping must hold (and). Lists inside a key are alternatives (or).
 * `any`, `all`, `not` and `condition` (named conditions) compose.
 */
export const conditionSchema: z.ZodType<ConditionSpec> = z.strictObject({
  user: names.optional().meta({ description: 'Account name (uid / sAMAccountName, lower-case), patterns allowed.' }),
  dn: names.optional().meta({ description: 'Bind DN pattern, e.g. "*,ou=contractors,dc=corp,dc=example".' }),
  group: names.optional().meta({ description: 'Member of a group (nested membership counts), by cn or DN.' }),
  ou: names.optional().meta({ description: 'Any OU above the account entry.' }),
  department: names.optional(),
  site: names.optional(),
  title: names.optional().meta({ description: 'Title or role attribute.' }),
  attribute: z.record(z.string().min(1), names).optional().meta({ description: 'Directory attribute → values (attributes must be in directory.lookup.extraAttributes).' }),
  kind: names.optional().meta({ description: 'Account kind: human, privileged, service, computer.' }),
  endpoint: names.optional().meta({ description: 'Client address or CIDR.' }),
  app: names.optional().meta({ description: 'App name (behavior.apps) or listener name.' }),
  time: timeWindow.optional(),
  risk: range.optional().meta({ description: 'The behaviour score of this bind (0–100).' }),
  accountRisk: range.optional().meta({ description: 'The account\'s decaying entity risk (0–100).' }),
  endpointRisk: range.optional().meta({ description: 'The endpoint\'s decaying entity risk (0–100).' }),
  signals: names.optional().meta({ description: 'Any of these behaviour reason codes fired (e.g. endpoint_not_associated).' }),
  quarantined: z.union([z.boolean(), z.literal('until-verified')]).optional()
    .meta({ description: 'The account is quarantined (true), or quarantined by a response that a passed step-up releases (until-verified).' }),
  threat: z.enum(['low', 'medium', 'high']).optional().meta({ description: 'The source is in the threat pool at this level or higher (a high source is refused before policy in threat.mode enforce).' }),
  threatKind: names.optional().meta({ description: 'The source\'s threat-pool entry comes from any of these: spraying, slow_spraying, brute_force, behaviour, honeytoken, network, manual.' }),
  cloud: z.strictObject({
    access: z.boolean().optional().meta({ description: 'The identity has used cloud access (Okta sign-ins seen by the SSO connector, or apps assigned in Okta).' }),
    status: names.optional().meta({ description: 'Okta says the user is in one of these statuses (ACTIVE, LOCKED_OUT, SUSPENDED, …).' }),
    factors: names.optional().meta({ description: 'Okta has one of these factor types enrolled and active (push, token:software:totp, …).' }),
  }).optional().meta({ description: 'What the SSO connector knows of the person in the cloud.' }),
  tls: z.boolean().optional().meta({ description: 'The client connection is encrypted.' }),
  condition: names.optional().meta({ description: 'Named conditions (from `conditions:`) that must all hold.' }),
  get any(): z.ZodOptional<z.ZodArray<z.ZodType<ConditionSpec>>> {
    return z.array(conditionSchema).min(1).optional().meta({ description: 'At least one of these holds.' });
  },
  get all(): z.ZodOptional<z.ZodArray<z.ZodType<ConditionSpec>>> {
    return z.array(conditionSchema).min(1).optional().meta({ description: 'Every one of these holds.' });
  },
  get not(): z.ZodOptional<z.ZodType<ConditionSpec>> {
    return conditionSchema.optional().meta({ description: 'This does not hold.' });
  },
}).meta({ id: 'condition', description: 'Conditions; every key must hold.' });

export const ActionName = { Approve: 'approve', Block: 'block', Demote: 'demote', Mfa: 'mfa' } as const;
export type ActionName = (typeof ActionName)[keyof typeof ActionName];
export const MfaMethod = { Push: 'push', Otp: 'otp', PushThenOtp: 'push-then-otp' } as const;
export type MfaMethod = (typeof MfaMethod)[keyof typeof MfaMethod];
export const Severity = { Low: 'low', Medium: 'medium', High: 'high', Critical: 'critical' } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

const workflowName = z.string().regex(/^[A-Za-z][\w-]*$/, { error: 'a workflow name uses letters, digits, "_" and "-"' });
const onFailure = z.union([
  workflowName.meta({ description: 'A response workflow under responses: in bindwall.yaml.' }),
  z.strictObject({
    quarantine: z.boolean().optional().meta({ description: 'Quarantine the account when the challenge fails.' }),
    notify: z.array(z.string().min(1)).optional().meta({ description: 'Named notification targets to alert.' }),
    respond: workflowName.optional().meta({ description: 'A response workflow under responses: in bindwall.yaml, run after quarantine and notify.' }),
  }),
]).meta({ description: 'Response when a step-up challenge under this rule fails: a workflow name, or { quarantine, notify, respond }.' });

/** What a rule (or the default) does. */
const outcomeShape = {
  action: z.enum(Object.values(ActionName) as [ActionName, ...ActionName[]]).meta({ description: 'approve, block, demote or mfa.' }),
  method: z.enum(Object.values(MfaMethod) as [MfaMethod, ...MfaMethod[]]).optional().meta({ description: 'For mfa: push (default), otp or push-then-otp.' }),
  profile: z.string().min(1).optional().meta({ description: 'For demote: a profile from demoteProfiles (default: writes refused only).' }),
  severity: z.enum(Object.values(Severity) as [Severity, ...Severity[]]).optional().meta({ description: 'Incident severity if a challenge under this rule fails (default medium).' }),
  onFailure: onFailure.optional(),
  failMode: z.enum(['secure', 'safe', 'known-endpoint']).optional()
    .meta({ description: 'For mfa, when Okta cannot be reached: secure (refuse), safe (allow) or known-endpoint (allow only endpoints the account has used). Privileged accounts are always secure.' }),
  mode: z.enum(['enforce', 'audit']).optional()
    .meta({ description: 'audit: the decision this rule would make is logged and stored, and the next rules decide; enforce: it decides even when policy.mode is audit. Default: policy.mode.' }),
};

const ruleId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'a rule id uses letters, digits, "_", "." and "-"' });

const rule = z.strictObject({
  id: ruleId.meta({ description: 'Stable identifier, recorded with every decision.' }),
  description: z.string().optional(),
  when: conditionSchema.optional().meta({ description: 'Conditions; a rule without `when` matches every bind.' }),
  unless: z.array(conditionSchema).min(1).optional().meta({ description: 'Exceptions: the rule does not apply when any of these holds.' }),
  ...outcomeShape,
});

const stripRule = z.strictObject({
  attribute: z.string().min(1).meta({ description: 'Attribute name (e.g. memberOf).' }),
  values: names.optional().meta({ description: 'Only values matching these patterns are removed; without it the whole attribute is.' }),
});

const demoteProfile = z.strictObject({
  description: z.string().optional(),
  stripAttributes: z.array(stripRule).optional().meta({ description: 'Attributes (or some of their values) removed from search results.' }),
  hideSubtrees: names.optional().meta({ description: 'Entries at or below these DNs are left out of search results.' }),
}).meta({ description: 'A restricted session: writes are always refused; these add read restrictions.' });

const name = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, { error: 'names use letters, digits, "_" and "-", starting with a letter' });

export const policyFileSchema = z.strictObject({
  version: z.literal(1).meta({ description: 'Policy language version; must be 1.' }),
  description: z.string().optional(),
  timeZone: z.string().min(1).optional().meta({ description: 'IANA zone for time windows in this file (default UTC).' }),
  lists: z.record(name, z.array(z.string().min(1))).optional().meta({ description: 'Named lists, referenced as "$name" in conditions.' }),
  conditions: z.record(name, conditionSchema).optional().meta({ description: 'Named, reusable conditions; use with `condition: name`.' }),
  demoteProfiles: z.record(name, demoteProfile).optional(),
  rules: z.array(rule).optional().meta({ description: 'Ordered: the first rule that matches decides.' }),
  default: z.strictObject({ description: z.string().optional(), ...outcomeShape }).optional()
    .meta({ description: 'What happens when no rule matches (exactly one file sets it).' }),
}).meta({ title: 'bindwall policy file', description: 'Ordered rules deciding each LDAP bind.' });

export type PolicyFile = z.output<typeof policyFileSchema>;
export type RuleSpec = NonNullable<PolicyFile['rules']>[number];
export type OutcomeSpec = Pick<RuleSpec, 'action' | 'method' | 'profile' | 'severity' | 'onFailure' | 'failMode' | 'mode'>;
export type DemoteProfileSpec = z.output<typeof demoteProfile>;

/** The JSON Schema of a policy file, for editors (yaml-language-server, VS Code). */
export function policyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(policyFileSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
}
