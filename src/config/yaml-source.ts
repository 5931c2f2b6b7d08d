/**
 * A parsed YAML file that remembers where every node came from, so that a problem found
 * at a data path (["listeners", 0, "port"]) can be reported at its line and column.
 */
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node, isPair, isScalar } from 'yaml';
import type { Diagnostic, Severity } from './diagnostics.js';

export type DataPath = readonly (string | number)[];

export class YamlSource {
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly #lines: LineCounter;

  private constructor(file: string, doc: Document.Parsed, lines: LineCounter) {
    this.file = file;
    this.doc = doc;
    this.#lines = lines;
  }

  static parse(file: string, text: string): { source: YamlSource; diagnostics: Diagnostic[] } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const source = new YamlSource(file, doc, lines);
    const diagnostics: Diagnostic[] = [];
    for (const e of doc.errors) {
      const pos = lines.linePos(e.pos[0]);
      diagnostics.push({
        file, line: pos.line, col: pos.col, severity: 'error',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
        hint: e.code === 'DUPLICATE_KEY' ? 'remove or merge the repeated key' : 'check indentation, quoting and colons',
      });
    }
    for (const w of doc.warnings) {
      const pos = lines.linePos(w.pos[0]);
      diagnostics.push({ file, line: pos.line, col: pos.col, severity: 'warning', message: `YAML: ${w.message.split('\n')[0]}` });
    }
    return { source, diagnostics };
  }

  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
  }

  /** Line and column of the node at `path`, or of its closest existing ancestor. */
  position(path: DataPath, opts: { key?: string } = {}): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const seg of path) {
      const next = childOf(node, seg);
      if (next === undefined) break;
      node = next.value;
      offset = rangeStart(next.value) ?? next.keyOffset ?? offset;
    }
    if (opts.key !== undefined && isMap(node)) {
      for (const item of node.items) {
        if (isPair(item) && isScalar(item.key) && String(item.key.value) === opts.key) {
          offset = rangeStart(item.key) ?? offset;
        }
      }
    }
    const pos = this.#lines.linePos(offset);
    return { line: pos.line, col: pos.col };
  }

  /** Position of the key that holds the value at `path` (better for "missing"/"unknown"). */
  keyPosition(path: DataPath): { line: number; col: number } {
    if (path.length === 0) return this.position(path);
    const parent = path.slice(0, -1);
    const last = path[path.length - 1]!;
    return typeof last === 'string' ? this.position(parent, { key: last }) : this.position(path);
  }

  diag(path: DataPath, severity: Severity, message: string, hint?: string, atKey = false): Diagnostic {
    const pos = atKey ? this.keyPosition(path) : this.position(path);
    return { file: this.file, line: pos.line, col: pos.col, severity, message, ...(hint ? { hint } : {}) };
  }

  valueAt(path: DataPath): unknown {
    let v: unknown = this.toJS();
    for (const seg of path) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string | number, unknown>)[seg];
    }
    return v;
  }
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as Node | null)?.range;
  return Array.isArray(r) ? r[0] : undefined;
}

function childOf(node: unknown, seg: string | number): { value: unknown; keyOffset?: number } | undefined {
  if (isMap(node)) {
    for (const item of node.items) {
      if (isPair(item) && isScalar(item.key) && String(item.key.value) === String(seg)) {
        const keyOffset = rangeStart(item.key);
        return { value: item.value ?? item.key, ...(keyOffset !== undefined ? { keyOffset } : {}) };
      }
    }
    return undefined;
  }
  if (isSeq(node) && typeof seg === 'number') {
    const v = node.items[seg];
    return v === undefined ? undefined : { value: v };
  }
  return undefined;
}
