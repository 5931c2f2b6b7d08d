/**
 * What a demoted session may not do or see. The proxy enforces it on the wire; the policy
 * engine builds it from a demote profile. Writes are always refused.
 */
export interface Restriction {
  /** The demote profile's name, for logs. */
  readonly name: string;
  /** True when search results or compares need inspecting (anything stripped or hidden). */
  readonly readRestricted: boolean;
  /** The entry (normalized DN) is in a hidden subtree. */
  hidesDn(dn: string): boolean;
  /** Some or all values of this attribute are stripped (filters on it are refused). */
  stripsAttribute(attribute: string): boolean;
  /** Whether this value of the attribute is removed from results. */
  stripsValue(attribute: string, value: string): boolean;
  /** The whole attribute is removed, type included (so typesOnly searches do not show it). */
  stripsWhole(attribute: string): boolean;
  /** What it was compiled from (policy/demote-profile.ts), so that a worker process compiles the same one. */
  readonly parts?: RestrictionParts;
}

/** A demote profile's read rules: attribute values to strip (null: the whole attribute) and subtrees to hide. */
export interface RestrictionParts {
  strip: readonly { attribute: string; values: readonly string[] | null }[];
  hide: readonly string[];
}

/** The restriction when no profile adds read rules: writes refused, reads untouched. */
export const writesRefused: Restriction = Object.freeze({
  name: 'read-only',
  readRestricted: false,
  hidesDn: () => false,
  stripsAttribute: () => false,
  stripsValue: () => false,
  stripsWhole: () => false,
  parts: { strip: [], hide: [] },
});
