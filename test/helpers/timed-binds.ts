/**
 * Times binds from another process: a client in the test's own process shares its event
 * loop with the proxy, so work the proxy does after answering would show in the client's
 * timings. Runs this file as a child; prints one JSON array of milliseconds per bind.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LdapClient } from '../../src/ldap/client.js';

export interface TimedBind {
  name: string;
  password: string;
  from: string;
}

/** Each bind on a fresh connection, in order; resolves with their round-trip times in ms. */
export function timeBinds(url: string, binds: readonly TimedBind[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), url], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`timed binds exited ${code}`))));
    child.stdin!.end(JSON.stringify(binds));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.argv[2]!;
  let input = '';
  process.stdin.on('data', (d: Buffer) => { input += d.toString(); });
  process.stdin.on('end', () => {
    void (async () => {
      const out: number[] = [];
      for (const b of JSON.parse(input) as TimedBind[]) {
        const c = await LdapClient.connect(url, { localAddress: b.from });
        const t0 = process.hrtime.bigint();
        await c.bind(b.name, b.password);
        out.push(Number(process.hrtime.bigint() - t0) / 1e6);
        c.destroy();
        // Paced, as a careful prober is: what the proxy does after an answer is not timed into the next.
        await new Promise((r) => setTimeout(r, 15));
      }
      process.stdout.write(JSON.stringify(out));
    })();
  });
}
