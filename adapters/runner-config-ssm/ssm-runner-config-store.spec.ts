import { GetParameterCommand, ParameterType, PutParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunnerConfig } from '../../domain/ports/runner-config-store.js';
import { freshName, motoClients } from '../../test/harness/moto-client.js';
import { createSsmRunnerConfigStore } from './index.js';

const config = (machineId: string, jit = 'secret-jit-config'): RunnerConfig => ({
  machineId,
  runnerName: `runs-fleet-${machineId}`,
  labels: ['runs-fleet=1/cpu=2'],
  repo: 'acme/widgets',
  jobId: '4242',
  encodedJitConfig: jit,
});

describe('[moto] SSM runner-config store', () => {
  const { ssm } = motoClients();
  afterAll(() => ssm.destroy());
  const fresh = () => createSsmRunnerConfigStore({ client: ssm, prefix: `/${freshName('runs-fleet-test')}/runners` });

  it('stores a config as a SecureString under <prefix>/<machineId>, reads it back, replaces it, deletes it', async () => {
    const store = fresh();
    const machineId = 'abcdefghijklmnopqrstuvwxyz234567';

    const ref = await store.put(config(machineId));
    expect(ref).toBe(`ssm:${store.prefix}/${machineId}`);
    const raw = await ssm.send(new GetParameterCommand({ Name: store.nameOf(machineId) }));
    expect(raw.Parameter?.Type).toBe(ParameterType.SECURE_STRING);
    // Without decryption the value is not the config (AWS returns the ciphertext; moto a marked stand-in for it).
    expect(raw.Parameter?.Value).not.toBe(JSON.stringify(config(machineId)));
    await expect(store.get(machineId)).resolves.toEqual(config(machineId));

    // Idempotent: writing the machine's config again replaces it.
    await store.put(config(machineId, 'second-jit'));
    await expect(store.get(machineId)).resolves.toEqual(config(machineId, 'second-jit'));

    await store.delete(machineId);
    await expect(store.get(machineId)).resolves.toBeNull();
    await expect(store.delete(machineId)).resolves.toBeUndefined();
  });

  it('a config larger than a standard parameter (4 KB) is stored too', async () => {
    const store = fresh();
    const big = config('bigconfigbigconfigbigconfigbig22', 'x'.repeat(6000));

    await store.put(big);

    await expect(store.get(big.machineId)).resolves.toEqual(big);
  });

  it('refuses ids and prefixes that could name another parameter, and never quotes an unreadable value', async () => {
    const store = fresh();
    await expect(store.put(config('../other'))).rejects.toThrow('refusing machine id');
    expect(() => createSsmRunnerConfigStore({ client: ssm, prefix: 'no-slash' })).toThrow(/allowed is a path/);

    const machineId = 'unreadableunreadableunreadable22';
    await ssm.send(
      new PutParameterCommand({ Name: store.nameOf(machineId), Value: '{"secret": true', Type: 'SecureString' }),
    );
    const error = await store.get(machineId).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('unreadable parameter');
    expect((error as Error).message).not.toContain('secret');
  });
});
