import { describe, expect, it } from 'vitest';
import { redactEnvArgs } from '../../runtime-adapters/redact-args.js';
import { dockerCreateArgs } from '../../runtime-adapters/docker/create-args.js';

describe('redactEnvArgs', () => {
  it('hides env values in both flag forms and keeps everything else', () => {
    expect(redactEnvArgs(['create', '--env', 'PASSWORD=s3cret', '--env=TOKEN=abc=def', '--name', 'x', '-e', 'A=b'])).toEqual([
      'create', '--env', 'PASSWORD=[redacted]', '--env=TOKEN=[redacted]', '--name', 'x', '-e', 'A=[redacted]',
    ]);
  });
  it('leaves no value of a real docker create command line', () => {
    const args = dockerCreateArgs({
      name: 'c', image: 'i', env: { DB_PASSWORD: 'hunter2' }, ports: [], mounts: [], labels: {}, hostNetwork: false,
    });
    // the value is not on it at all (docker takes it from its environment: --env NAME)
    expect(args.join(' ')).not.toContain('hunter2');
    expect(args.slice(args.indexOf('--env'), args.indexOf('--env') + 2)).toEqual(['--env', 'DB_PASSWORD']);
    expect(redactEnvArgs(['--env', 'X=hunter2']).join(' ')).not.toContain('hunter2');
  });
});
