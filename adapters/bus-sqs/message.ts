import { createHash } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { Command, commandTarget } from '../../domain/commands/commands.js';

/**
 * How a command travels as an SQS FIFO message: the body is the JSON of the encoded command, the message group is its
 * target stream (commands on one stream are delivered in order, different streams in parallel), the deduplication id
 * is its commandId (the same command sent twice within SQS's 5-minute window is delivered once).
 */

/** SQS's alphabet for group and deduplication ids: letters, digits and ASCII punctuation, 1 to 128 characters. */
const SQS_ID = /^[a-zA-Z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

/**
 * A valid SQS id for `value`: itself when SQS accepts it, else `sha256:` and its hex hash (a stream id with other
 * characters or over 128 characters still maps to one stable group).
 */
export const sqsId = (value: string): string =>
  SQS_ID.test(value) ? value : `sha256:${createHash('sha256').update(value, 'utf8').digest('hex')}`;

export const messageGroupId = (command: Command): string => sqsId(commandTarget(command));

export const messageDeduplicationId = (command: Command): string => sqsId(command.commandId);

export const encodeCommandMessage = (command: Command): string => JSON.stringify(Command.encode(command));

/** The command in a message body, or why there is none (not JSON, or not a command this version knows). */
export const decodeCommandMessage = (body: string | undefined): E.Either<string, Command> => {
  if (body === undefined) return E.left('no body');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    return E.left(`not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const decoded = Command.decode(json);

  return E.isRight(decoded) ? decoded : E.left(PathReporter.report(decoded).slice(0, 3).join('; '));
};
