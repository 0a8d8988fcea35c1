import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialsCorruptError, JoinRefusedError, JoinRejectedError, JoinTimeoutError, NoCredentialsError, HubUnreachableError } from '../../../agent/errors.js';
import { ensureCredentials, joinHub, loadCredentials } from '../../../agent/link/join.js';
import { silentLogger } from '../../../protocol/logger.js';
import { startFakeHub, type FakeHub } from '../fake-hub.js';
import { tempDir } from '../helpers.js';

describe('join (real aedes broker)', () => {
  let hub: FakeHub;
  beforeAll(async () => {
    hub = await startFakeHub();
  });
  afterAll(async () => hub.close());

  it('joins with a token and stores the credentials 0600; the next start uses them without a token', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const creds = await ensureCredentials({ dataDir: dir, hubUrl: hub.url, token: 'good-token', nodeName: 'pi-1', logger: silentLogger() });
      expect(creds).toEqual({ nodeName: 'pi-1', username: 'node:pi-1', password: 'pw-pi-1', hubUrl: hub.url });
      const path = join(dir, 'credentials.json');
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(creds);
      hub.tokens.clear(); // a second join would fail now
      const again = await ensureCredentials({ dataDir: dir, nodeName: 'pi-1', logger: silentLogger() });
      expect(again).toEqual(creds);
    } finally {
      hub.tokens.add('good-token');
      await cleanup();
    }
  });

  it('a token refused at CONNACK is "join token rejected by the hub (expired or unknown)"', async () => {
    const err = await joinHub({ hubUrl: hub.url, token: 'expired', nodeName: 'pi-2', logger: silentLogger() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JoinRejectedError);
    expect((err as Error).message).toBe('join token rejected by the hub (expired or unknown)');
  });

  it('an ok:false reply is a JoinRefusedError carrying the hub\'s reason', async () => {
    hub.refuseJoinWith = 'node name "pi-3" is taken';
    try {
      const err = await joinHub({ hubUrl: hub.url, token: 'good-token', nodeName: 'pi-3', logger: silentLogger() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JoinRefusedError);
      expect((err as JoinRefusedError).reason).toBe('node name "pi-3" is taken');
    } finally {
      hub.refuseJoinWith = undefined;
    }
  });

  it('no reply within the timeout is a JoinTimeoutError', async () => {
    hub.answerJoins = false;
    try {
      await expect(joinHub({ hubUrl: hub.url, token: 'good-token', nodeName: 'pi-4', logger: silentLogger(), timeoutMs: 300 })).rejects.toBeInstanceOf(JoinTimeoutError);
    } finally {
      hub.answerJoins = true;
    }
  });

  it('a hub that does not listen is HubUnreachableError', async () => {
    await expect(joinHub({ hubUrl: 'mqtt://127.0.0.1:1', token: 't', nodeName: 'pi-5', logger: silentLogger(), timeoutMs: 2000 })).rejects.toBeInstanceOf(
      HubUnreachableError,
    );
  });

  it('no credentials and no token says to pass --token; a corrupt file is named', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await expect(ensureCredentials({ dataDir: dir, hubUrl: hub.url, nodeName: 'x', logger: silentLogger() })).rejects.toBeInstanceOf(NoCredentialsError);
      await writeFile(join(dir, 'credentials.json'), '{"nodeName": 1}');
      await expect(loadCredentials(dir)).rejects.toBeInstanceOf(CredentialsCorruptError);
    } finally {
      await cleanup();
    }
  });
});
