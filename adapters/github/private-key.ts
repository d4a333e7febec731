import { createPrivateKey } from 'node:crypto';

/**
 * The App's private key as configured: PEM text, or base64 of the PEM (SPEC section 8: the Go system's
 * `RUNS_FLEET_GITHUB_APP_PRIVATE_KEY` is base64 despite the docs), PKCS#1 or PKCS#8. Returns PKCS#8 PEM, which is what
 * @octokit/auth-app signs with. Errors never quote the input.
 */
const BEGIN = '-----BEGIN';

const fromBase64 = (text: string): string => {
  if (!/^[A-Za-z0-9+/=_\s-]+$/.test(text)) throw new Error('GitHub App private key: neither PEM nor base64 of a PEM');
  const decoded = Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (!decoded.includes(BEGIN)) throw new Error('GitHub App private key: base64 that does not decode to a PEM');

  return decoded;
};

export const normalizePrivateKey = (input: string): string => {
  const text = input.trim();
  // `\n` escaped in an env file is the usual way a PEM loses its line breaks.
  const pem = text.includes(BEGIN) ? text.replace(/\\n/g, '\n') : fromBase64(text);
  const key = (() => {
    try {
      return createPrivateKey(pem);
    } catch {
      throw new Error('GitHub App private key: the PEM is not a readable private key');
    }
  })();
  if (key.asymmetricKeyType !== 'rsa') throw new Error('GitHub App private key: not an RSA key (GitHub signs RS256)');

  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
};
