/**
 * What a bind's outcome means for behaviour: success, or which kind of failure. Active
 * Directory puts a sub-code in the diagnostic ("… data 52e, v4563"); OpenLDAP says nothing.
 */
export const BindResult = {
  Success: 'success',
  BadPassword: 'bad_password',
  UnknownUser: 'unknown_user',
  Locked: 'locked',
  Expired: 'expired',
  Disabled: 'disabled',
  Restricted: 'restricted',
  OtherFailure: 'other_failure',
} as const;
export type BindResult = (typeof BindResult)[keyof typeof BindResult];

/** AD's AcceptSecurityContext sub-codes (the "data NNN" part), by meaning. */
const AD_SUBCODES: Record<string, BindResult> = {
  '525': BindResult.UnknownUser,
  '52e': BindResult.BadPassword,
  '530': BindResult.Restricted, // not permitted to log on at this time
  '531': BindResult.Restricted, // not permitted to log on at this workstation
  '532': BindResult.Expired, // password expired
  '533': BindResult.Disabled,
  '701': BindResult.Expired, // account expired
  '773': BindResult.Expired, // must reset password
  '775': BindResult.Locked,
};

export function classifyBindResult(resultCode: number, diagnostic = ''): BindResult {
  if (resultCode === 0) return BindResult.Success;
  const m = /\bdata ([0-9a-f]{3})\b/i.exec(diagnostic);
  if (m) return AD_SUBCODES[m[1]!.toLowerCase()] ?? BindResult.OtherFailure;
  return resultCode === 49 ? BindResult.BadPassword : BindResult.OtherFailure;
}

export const isFailure = (r: BindResult): boolean => r !== BindResult.Success;
