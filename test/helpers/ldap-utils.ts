/** Runs the real OpenLDAP command-line clients (ldap-utils) and captures what they print. */
import { execFile } from 'node:child_process';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  caFile?: string;
  input?: string;
  timeoutMs?: number;
}

export function ldapTool(tool: string, args: string[], opts: ToolOptions = {}): Promise<ToolResult> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: '/nonexistent', LDAPRC: '/dev/null' };
  if (opts.caFile) {
    env.LDAPTLS_CACERT = opts.caFile;
    env.LDAPTLS_REQCERT = 'demand';
  }
  return new Promise((resolve) => {
    const child = execFile(tool, args, { env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}
