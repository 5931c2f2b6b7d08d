/**
 * Email templates for notices, as files an admin edits: `<dir>/<language>/<kind>.txt` (its
 * first line `Subject: …`) and `<kind>.html`. `{{name}}` is replaced (HTML-escaped in the
 * HTML part), `{{#name}}…{{/name}}` is kept only when the value is there, `{{>part}}` is the
 * file `_part.txt` / `_part.html` beside them (what every email shares: the details, the
 * links, the footer). Unknown names and missing parts are reported when the templates are
 * read, not when an email goes out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NoticeKinds, type NoticeKind } from '../config/insight-schema.js';
import { escapeHtml } from '../util/html.js';

export const TEMPLATE_VARIABLES = ['account', 'time', 'app', 'device', 'place', 'source', 'factor', 'reportUrl', 'confirmUrl', 'validDays'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Partial<Record<TemplateVariable, string>>;

export interface Template {
  subject: string;
  text: string;
  html: string;
}

export type Templates = Readonly<Record<NoticeKind, Template>>;

const PART = /\{\{>([A-Za-z][\w-]*)\}\}/g;
const TOKEN = /\{\{([#/]?)([A-Za-z]+)\}\}/g;


/** Reads every template of a language; problems name the file and what to fix. */
export function readTemplates(dir: string, language: string): { templates?: Templates; problems: string[] } {
  const problems: string[] = [];
  const out: Partial<Record<NoticeKind, Template>> = {};
  for (const kind of NoticeKinds) {
    const read = (ext: string): string | undefined => {
      const file = join(dir, language, `${kind}.${ext}`);
      try {
        const text = readFileSync(file, 'utf8').replace(PART, (_, name: string) => {
          const part = join(dir, language, `_${name}.${ext}`);
          try {
            return readFileSync(part, 'utf8');
          } catch (err) {
            problems.push(`${file}: cannot read the part {{>${name}}} (${part}): ${(err as NodeJS.ErrnoException).code ?? 'EIO'}`);
            return '';
          }
        });
        for (const m of text.matchAll(TOKEN)) {
          if (!(TEMPLATE_VARIABLES as readonly string[]).includes(m[2]!)) problems.push(`${file}: unknown variable {{${m[1]}${m[2]}}} (known: ${TEMPLATE_VARIABLES.join(', ')})`);
        }
        return text;
      } catch (err) {
        problems.push(`cannot read template ${file}: ${(err as NodeJS.ErrnoException).code ?? 'EIO'}`);
        return undefined;
      }
    };
    const text = read('txt');
    const html = read('html');
    if (text === undefined || html === undefined) continue;
    const m = /^Subject:[ \t]*(.+)\r?\n\r?\n?/.exec(text);
    if (!m) {
      problems.push(`${join(dir, language, `${kind}.txt`)}: the first line must be "Subject: …", then an empty line`);
      continue;
    }
    out[kind] = { subject: m[1]!.trim(), text: text.slice(m[0].length), html };
  }
  return problems.length > 0 ? { problems } : { templates: Object.freeze(out as Record<NoticeKind, Template>), problems };
}

function render(tpl: string, values: TemplateValues, escape: (s: string) => string): string {
  // Sections first (not nested), then values.
  const sections = tpl.replace(/\{\{#([A-Za-z]+)\}\}([\s\S]*?)\{\{\/\1\}\}/g, (_, name: string, inner: string) => (values[name as TemplateVariable] ? inner : ''));
  return sections.replace(TOKEN, (_, mark: string, name: string) => (mark ? '' : escape(values[name as TemplateVariable] ?? '')));
}

/** The email for one notice: subject and text plain, the HTML part escaped. */
export function renderNotice(t: Template, values: TemplateValues): Template {
  const plain = (s: string): string => s.replace(/[\r\n]+/g, ' ');
  return { subject: render(t.subject, values, plain), text: render(t.text, values, (s) => s), html: render(t.html, values, escapeHtml) };
}
