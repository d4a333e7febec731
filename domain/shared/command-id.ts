import { hash } from 'node:crypto';

/**
 * DESIGN section 3: a commandId is a hash of its cause (stream and version of the event) and an intent key, never of a
 * position in a list, so a code change cannot renumber it. 32 characters of lowercase base32 (160 bits) fit an EC2
 * ClientToken, a Kubernetes name and a label value. Hashing is pure: same input, same id, on every machine.
 */

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
export const COMMAND_ID_LENGTH = 32;

export interface Cause {
  readonly streamId: string;
  readonly version: number;
}

const base32 = (bytes: Uint8Array, length: number): string => {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }

  return out;
};

/**
 * The last input and its id: one decision asks for the same id several times (the launch, the machine it names, the
 * rule checking its effect), and replay makes millions of decisions. A pure function's memo changes no answer.
 */
let last = { key: '', id: '' };

export const commandIdFor = (cause: Cause, intent: string): string => {
  const key = `${cause.streamId}\u0000${cause.version}\u0000${intent}`;
  if (key === last.key) return last.id;
  const id = base32(hash('sha256', key, 'buffer'), COMMAND_ID_LENGTH);
  last = { key, id };

  return id;
};
