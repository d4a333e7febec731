import { connect } from 'node:net';

/**
 * A hand-driven HTTP/1.1 client on a raw socket, for what fetch cannot do: trickle bytes, stop half-way through the
 * headers, or keep sending after the server has answered. It resolves once the server closes the connection, with
 * everything the server sent.
 */
export interface RawExchange {
  /** What the server sent, as text (status line, headers, body). */
  readonly response: string;
  /** How many bytes the client managed to write before the server closed. */
  readonly sent: number;
}

export interface RawPlan {
  /** Written at once on connect. */
  readonly opening: string | Buffer;
  /** Then one of these every `everyMs` until the server closes (or `chunks` run out: then the client just waits). */
  readonly chunks: ReadonlyArray<string | Buffer>;
  readonly everyMs: number;
}

export const rawExchange = (port: number, plan: RawPlan): Promise<RawExchange> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let sent = 0;
    let next = 0;
    let timer: NodeJS.Timeout | undefined;
    const write = (data: string | Buffer) => {
      if (!socket.writable) return;
      sent += Buffer.byteLength(data);
      socket.write(data);
    };
    socket.on('connect', () => {
      write(plan.opening);
      timer = setInterval(() => {
        const chunk = plan.chunks[next++];
        if (chunk !== undefined) write(chunk);
      }, plan.everyMs);
    });
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    // A reset after the answer is a normal end here: the server cut a client that was still sending.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ response: Buffer.concat(received).toString('utf8'), sent });
    });
  });

/** The status code of a raw HTTP response, or null when the server sent nothing. */
export const statusOf = (response: string): number | null => {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(response);

  return match === null ? null : Number(match[1]);
};

/** The JSON body of a raw HTTP response (after the blank line), or null. */
export const bodyOf = (response: string): unknown => {
  const at = response.indexOf('\r\n\r\n');
  if (at === -1) return null;
  try {
    return JSON.parse(response.slice(at + 4)) as unknown;
  } catch {
    return null;
  }
};
