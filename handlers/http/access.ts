import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * The read API and /metrics answer loopback freely; from anywhere else they need `Authorization: Bearer <token>`
 * (RUNS_FLEET_API_TOKEN). With no token configured, only loopback is served.
 */
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export const isLoopback = (address: string | undefined): boolean => address !== undefined && LOOPBACK.test(address);

const sameSecret = (given: string, expected: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);

  return a.length === b.length && timingSafeEqual(a, b);
};

export const mayRead = (request: FastifyRequest, apiToken: string | null): boolean => {
  if (isLoopback(request.socket.remoteAddress)) return true;
  if (apiToken === null) return false;
  const header = request.headers.authorization ?? '';

  return header.startsWith('Bearer ') && sameSecret(header.slice('Bearer '.length), apiToken);
};
