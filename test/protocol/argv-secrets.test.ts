import { describe, expect, it } from 'vitest';
import { maskSecretArgs, takeSecretArg } from '../../protocol/argv-secrets.js';

describe('secrets on a command line', () => {
  it('masks the value of --token in both spellings and nothing else', () => {
    expect(maskSecretArgs(['node', 'main.js', '--hub', 'mqtt://h', '--token', 'K10x::drover-join.a.b', '--name', 'n'])).toEqual([
      'node', 'main.js', '--hub', 'mqtt://h', '--token', '***', '--name', 'n',
    ]);
    expect(maskSecretArgs(['--token=abc', '--token-file', '/f'])).toEqual(['--token=***', '--token-file', '/f']);
    expect(maskSecretArgs(['--token'])).toEqual(['--token']);
  });

  it('takes --token out of the arguments a launcher passes on', () => {
    expect(takeSecretArg(['--hub', 'h', '--token', 'T', '--name', 'n'], '--token')).toEqual({ rest: ['--hub', 'h', '--name', 'n'], value: 'T' });
    expect(takeSecretArg(['--token=T2'], '--token')).toEqual({ rest: [], value: 'T2' });
    expect(takeSecretArg(['--token-file', '/f'], '--token')).toEqual({ rest: ['--token-file', '/f'], value: undefined });
  });
});
