import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { parseStoreUrl } from './store-url.js';

const error = (input: string): string => {
  const parsed = parseStoreUrl(input);
  if (E.isRight(parsed)) throw new Error(`${input} parsed`);
  return parsed.left.message;
};

describe('store URLs', () => {
  it.each([
    ['sqlite:./data/events.db', { kind: 'sqlite', path: './data/events.db' }],
    ['sqlite:/var/lib/runs-fleet/events.db', { kind: 'sqlite', path: '/var/lib/runs-fleet/events.db' }],
    [
      'dynamodb://runs-fleet-events',
      { kind: 'dynamodb', table: 'runs-fleet-events', region: undefined, endpoint: undefined },
    ],
    [
      'dynamodb://Events_1?region=eu-west-1&endpoint=http://127.0.0.1:8000',
      { kind: 'dynamodb', table: 'Events_1', region: 'eu-west-1', endpoint: 'http://127.0.0.1:8000' },
    ],
    [
      'dynamodb://events?endpoint=https%3A%2F%2Fddb.example.com%2F',
      { kind: 'dynamodb', table: 'events', region: undefined, endpoint: 'https://ddb.example.com/' },
    ],
    ['file:export/2026-11.jsonl', { kind: 'jsonl', path: 'export/2026-11.jsonl' }],
    ['file:///tmp/events.jsonl', { kind: 'jsonl', path: '/tmp/events.jsonl' }],
  ])('parses %s', (input, expected) => {
    expect(parseStoreUrl(input)).toEqual(E.right(expected));
  });

  it.each([
    ['events.db', /not a store URL \(did you mean sqlite:events.db\?\)/],
    ['postgres://db/events', /not a store URL/],
    ['sqlite:', /needs a file path/],
    ['dynamodb://', /"" is not a DynamoDB table name/],
    ['dynamodb://a/b', /"a\/b" is not a DynamoDB table name/],
    ['dynamodb://events?regoin=eu-west-1', /unknown parameter\(s\) regoin; allowed: region, endpoint/],
    ['dynamodb://events?region=Europe', /"Europe" is not an AWS region/],
    ['dynamodb://events?endpoint=localhost:8000', /endpoint "localhost:8000" is not an http\(s\) URL/],
    ['file:events.json', /ending in .jsonl/],
  ])('refuses %s, naming the allowed forms', (input, why) => {
    const message = error(input);
    expect(message).toMatch(why);
    expect(message).toContain('sqlite:<path>');
    expect(message).toContain('dynamodb://<table>?region=<r>&endpoint=<url>');
    expect(message).toContain('file:<path>.jsonl');
  });
});
