/** Patterns with * (any run) and ? (one character), as admins write them in config and policy. */

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 's');
}

/** The cheapest test for a pattern: most are a prefix, a suffix or a part. */
export function globPredicate(glob: string): (v: string) => boolean {
  if (!glob.includes('?')) {
    const inner = glob.slice(1, -1);
    if (glob.length > 1 && glob.startsWith('*') && glob.endsWith('*') && !inner.includes('*')) return (v) => v.includes(inner);
    const star = glob.indexOf('*');
    if (star === glob.length - 1) {
      const prefix = glob.slice(0, -1);
      return (v) => v.startsWith(prefix);
    }
    if (star === 0 && glob.lastIndexOf('*') === 0) {
      const suffix = glob.slice(1);
      return (v) => v.endsWith(suffix);
    }
  }
  const re = globToRegExp(glob);
  return (v) => re.test(v);
}

