/**
 * The checks on `userInsight` a schema cannot make, and the files it names read once: the
 * link key (32 bytes or more), the SMTP password and CA, the templates of the language.
 * A web listener (mfa.challengePage) must be there to serve the links.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Diagnostic } from './diagnostics.js';
import type { YamlSource } from './yaml-source.js';
import { Secret } from '../log/secret.js';
import { readTemplates, type Templates } from '../insight/templates.js';
import { packageRoot } from '../util/package-root.js';
import { isLoopbackHost } from '../util/address.js';
import { obj } from './raw.js';

export interface InsightFiles {
  linkKey?: Secret<Buffer>;
  smtpPassword?: Secret<string>;
  smtpCa?: Buffer;
  templates?: Templates;
  templatesDir: string;
}


export function readInsightFiles(source: YamlSource, raw: Record<string, unknown>, out: Diagnostic[]): InsightFiles | undefined {
  const ui = obj(raw.userInsight);
  if (!ui) return undefined;
  const base = resolve(source.file, '..');
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const read = (path: (string | number)[], file: unknown, what: string): Buffer | undefined => {
    if (typeof file !== 'string' || file === '') return undefined;
    try {
      return readFileSync(abs(file));
    } catch (err) {
      out.push(source.diag(path, 'error', `cannot read ${what} ${abs(file)}: ${(err as NodeJS.ErrnoException).code ?? 'EIO'}`, 'check the path (relative paths start at the config file) and its permissions'));
      return undefined;
    }
  };
  const files: InsightFiles = { templatesDir: typeof ui.templatesDir === 'string' ? abs(ui.templatesDir) : join(packageRoot, 'templates', 'user-insight') };
  const key = read(['userInsight', 'links', 'keyFile'], obj(ui.links)?.keyFile, 'link key file');
  if (key) {
    const trimmed = Buffer.from(key.toString('latin1').replace(/\r?\n$/, ''), 'latin1');
    if (trimmed.length < 32) out.push(source.diag(['userInsight', 'links', 'keyFile'], 'error', `the link key is ${trimmed.length} bytes; links need a key of 32 bytes or more`, 'openssl rand -base64 48 > report-link.key'));
    else files.linkKey = new Secret(trimmed);
  }
  const smtp = obj(ui.smtp) ?? {};
  const password = read(['userInsight', 'smtp', 'passwordFile'], smtp.passwordFile, 'SMTP password file');
  if (password) files.smtpPassword = new Secret(password.toString('utf8').replace(/\r?\n$/, ''));
  if ((smtp.user === undefined) !== (smtp.passwordFile === undefined)) {
    out.push(source.diag(['userInsight', 'smtp'], 'error', 'SMTP authentication needs both user and passwordFile', 'give both, or neither for a relay that trusts this host', true));
  }
  const ca = read(['userInsight', 'smtp', 'caFile'], smtp.caFile, 'CA file');
  if (ca) files.smtpCa = ca;
  if (smtp.security === 'none' && typeof smtp.host === 'string' && !isLoopbackHost(smtp.host)) {
    out.push(source.diag(['userInsight', 'smtp', 'security'], 'error', 'security: none sends mail (and its report links) unencrypted; it is allowed only to a relay on loopback',
      'use starttls (port 587) or tls (port 465)'));
  }
  if (smtp.security === 'none' && smtp.user !== undefined) {
    out.push(source.diag(['userInsight', 'smtp', 'user'], 'error', 'SMTP credentials are not sent over an unencrypted connection', 'use security: starttls or tls'));
  }
  if (!obj(obj(raw.mfa)?.challengePage)) {
    out.push(source.diag(['userInsight'], 'error', 'userInsight needs a web listener to serve its links: mfa.challengePage is not configured',
      'add mfa.challengePage: { host, port, tls: { certFile, keyFile } }', true));
  }
  const baseUrl = obj(ui.links)?.baseUrl;
  if (typeof baseUrl === 'string' && !/^https?:\/\/[^/\s]+(\/[^\s]*)?$/.test(baseUrl)) {
    out.push(source.diag(['userInsight', 'links', 'baseUrl'], 'error', `baseUrl must be an http(s) URL, got "${baseUrl}"`, 'e.g. https://bindwall.corp.example:8443'));
  } else if (typeof baseUrl === 'string' && baseUrl.startsWith('http://') && !/^http:\/\/(127\.|localhost[:/])/.test(baseUrl)) {
    out.push(source.diag(['userInsight', 'links', 'baseUrl'], 'warning', 'report links over plain http can be read on the way', 'serve mfa.challengePage with tls and use https://'));
  }
  const language = typeof ui.language === 'string' ? ui.language : 'en';
  const { templates, problems } = readTemplates(files.templatesDir, language);
  for (const p of problems) out.push(source.diag(['userInsight', ui.templatesDir !== undefined ? 'templatesDir' : 'language'], 'error', p, `each language folder needs <kind>.txt and <kind>.html for every kind of notice (copy ${join(packageRoot, 'templates', 'user-insight', 'en')})`));
  if (templates) files.templates = templates;
  return files;
}
