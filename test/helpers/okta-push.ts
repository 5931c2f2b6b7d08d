/** Waits (bounded, 5 s) for a push to be waiting for the user on the Okta simulator, as a phone would see it. */
import type { OktaSimulator } from '../../src/okta/simulator/server.js';

export async function pendingPush(sim: OktaSimulator, login: string): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const t = sim.state.latestPending(login);
    if (t) return t.id;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no push for ${login}`);
}
