/** Who made a change from the CLI: --operator, else the OS user (sudo's caller when run through sudo). */
import { userInfo } from 'node:os';

export const OPERATOR_OPTION = { operator: { type: 'string' as const } };

export function operatorName(given: string | undefined): string {
  if (given !== undefined && given.trim() !== '') return given.trim().slice(0, 100);
  const sudo = process.env.SUDO_USER;
  if (sudo) return sudo;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Errors and "not found" answers: stderr, so stdout stays the command's answer. */
export const toStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
