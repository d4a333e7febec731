import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where the webhook secret comes from: the environment, a file, or, with neither, a secret generated once into
 * `<data-dir>/webhook-secret` (mode 0600). Only the file's PATH is ever printed, never the value.
 */
export type SecretSource =
  { readonly kind: 'env' } | { readonly kind: 'file'; readonly path: string; readonly generated: boolean };

export const resolveWebhookSecret = async (
  fromEnv: string | null,
  file: string | null,
  dataDir: string,
): Promise<{ readonly secret: string; readonly source: SecretSource }> => {
  if (fromEnv !== null) return { secret: fromEnv, source: { kind: 'env' } };
  const path = file ?? join(dataDir, 'webhook-secret');
  const existing = await readFile(path, 'utf8').then(
    (text) => text.trim(),
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' && file === null) return null;
      throw new Error(`cannot read the webhook secret file ${path}: ${error.message}`);
    },
  );
  if (existing !== null && existing !== '')
    return { secret: existing, source: { kind: 'file', path, generated: false } };
  const secret = randomBytes(32).toString('hex');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);

  return { secret, source: { kind: 'file', path, generated: true } };
};

/** The secret a running service uses, read the same way `serve` reads it, but never generated: for clients (demo). */
export const findWebhookSecret = async (
  fromEnv: string | null,
  file: string | null,
  dataDir: string,
): Promise<string | null> => {
  if (fromEnv !== null) return fromEnv;
  const path = file ?? join(dataDir, 'webhook-secret');
  const text = await readFile(path, 'utf8').catch(() => '');

  return text.trim() === '' ? null : text.trim();
};
