/**
 * The join token from `--token-file` (agent and simulator): a file, or a pipe a launcher hands over
 * (hub/cli/agent-process.ts passes /dev/fd/3), so that it is never on a command line.
 */
import { readFileSync } from 'node:fs';
import { InvalidOptionError } from '../errors.js';

/** The join token in a file (or a pipe): its content without surrounding white space. */
export function readTokenFile(path: string): string {
  let text: string;
  // a pipe from the launcher (Node's are socket pairs, which cannot be opened by path: read the descriptor)
  const fd = /^\/(?:dev|proc\/self)\/fd\/(\d+)$/.exec(path);
  try {
    text = readFileSync(fd ? Number(fd[1]) : path, 'utf8');
  } catch (err) {
    throw new InvalidOptionError(`--token-file ${path} cannot be read: ${(err as Error).message}`);
  }
  const token = text.trim();
  if (!token) throw new InvalidOptionError(`--token-file ${path} is empty`);
  if (/\s/.test(token)) throw new InvalidOptionError(`--token-file ${path} holds more than one token (white space inside)`);
  return token;
}
