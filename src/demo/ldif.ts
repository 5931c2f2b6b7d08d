/**
 * A small LDIF (RFC 2849) content reader for fixtures: entries with folded lines,
 * comments and base64 values (`attr:: …`). Change records are not supported.
 */
import { BindwallError, ErrorCode } from '../errors.js';

export interface LdifEntry {
  dn: string;
  attributes: Record<string, string[]>;
  line: number;
}

export function parseLdif(text: string, file = '<ldif>'): LdifEntry[] {
  // Unfold: a line starting with one space continues the previous one.
  const raw = text.replace(/\r\n/g, '\n').split('\n');
  const lines: { text: string; line: number }[] = [];
  raw.forEach((l, i) => {
    if (l.startsWith(' ') && lines.length > 0 && lines[lines.length - 1]!.text !== '') lines[lines.length - 1]!.text += l.slice(1);
    else lines.push({ text: l, line: i + 1 });
  });
  const entries: LdifEntry[] = [];
  let current: LdifEntry | null = null;
  for (const { text: l, line } of lines) {
    if (l.startsWith('#')) continue;
    if (l.trim() === '') {
      if (current) entries.push(current);
      current = null;
      continue;
    }
    if (/^version:\s*1\s*$/.test(l) && !current) continue;
    const m = /^([A-Za-z0-9;.-]+)(::?)\s?(.*)$/.exec(l);
    if (!m) throw new BindwallError(ErrorCode.FixtureInvalid, `${file}:${line}: not an LDIF attribute line`);
    const [, name, sep, rest] = m as unknown as [string, string, string, string];
    const value = sep === '::' ? Buffer.from(rest, 'base64').toString('utf8') : rest;
    if (!current) {
      if (name.toLowerCase() !== 'dn') throw new BindwallError(ErrorCode.FixtureInvalid, `${file}:${line}: an entry must start with dn:`);
      current = { dn: value, attributes: {}, line };
      continue;
    }
    if (name.toLowerCase() === 'changetype') throw new BindwallError(ErrorCode.FixtureInvalid, `${file}:${line}: change records are not supported`);
    (current.attributes[name] ??= []).push(value);
  }
  if (current) entries.push(current);
  return entries;
}
