import { paginateDescribeSpotPriceHistory, type EC2Client, type SpotPrice } from '@aws-sdk/client-ec2';
import { findInstanceType } from '../../domain/catalog/index.js';
import type { Arch } from '../../domain/shared/codecs.js';
import { errorMessage } from './errors.js';

/**
 * The arch of a request whose label named none (SPEC section 3): the arch whose candidate types have the cheaper
 * average spot price (DescribeSpotPriceHistory, Linux/UNIX, the current price per type and zone), arm64 on a tie and
 * whenever prices are unavailable (an error, or no price for one of the two arches). Answers are cached per set of
 * candidate types for `ttlMs` (SPEC: 5 minutes) on the injected clock, so a burst of jobs asks EC2 once.
 *
 * The adapter decides the arch, not the domain (prices are I/O): the choice is recorded in the instance's
 * `runs-fleet:arch` tag and in `MachineLaunched.instanceType` (the type that launched, whose arch the catalog knows).
 */
export interface ArchChooserOptions {
  readonly client: EC2Client;
  /** Epoch milliseconds; injected so the cache's expiry is testable. */
  readonly now: () => number;
  readonly ttlMs?: number;
  readonly logger?: { warn(obj: object, msg: string): void };
}

export type ArchChooser = (types: ReadonlyArray<string>) => Promise<Arch>;

export const SPOT_PRICE_TTL_MS = 5 * 60_000;
/** SPEC: the first 10 types (here per arch, so a long arm64 list cannot leave amd64 unpriced). */
export const PRICED_TYPES_PER_ARCH = 10;
/** Pages read at most; each page holds up to 100 prices (10 types × a region's zones fit in a few). */
const MAX_PAGES = 5;
const PRODUCT = 'Linux/UNIX';

const archOf = (type: string): Arch | null => findInstanceType(type)?.arch ?? null;

/** The candidate types grouped by the catalog's arch, in preference order; types the catalog does not know are left out. */
export const typesByArch = (types: ReadonlyArray<string>): { readonly [A in Arch]: ReadonlyArray<string> } => ({
  arm64: types.filter((t) => archOf(t) === 'arm64'),
  amd64: types.filter((t) => archOf(t) === 'amd64'),
});

const mean = (values: ReadonlyArray<number>): number | null =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;

/** Average over types of each type's average price over zones, so a type offered in more zones does not weigh more. */
export const averagePrice = (prices: ReadonlyArray<SpotPrice>, types: ReadonlyArray<string>): number | null => {
  const perType = types.flatMap((type) => {
    const values = prices
      .filter((p) => p.InstanceType === type)
      .map((p) => Number(p.SpotPrice))
      .filter((v) => Number.isFinite(v) && v > 0);
    const m = mean(values);
    return m === null ? [] : [m];
  });

  return mean(perType);
};

/** arm64 unless amd64 is strictly cheaper; arm64 when either side has no price. */
export const cheaperArch = (arm64: number | null, amd64: number | null): Arch =>
  arm64 !== null && amd64 !== null && amd64 < arm64 ? 'amd64' : 'arm64';

export const createSpotPriceArchChooser = (options: ArchChooserOptions): ArchChooser => {
  const ttlMs = options.ttlMs ?? SPOT_PRICE_TTL_MS;
  const cache = new Map<string, { readonly arch: Arch; readonly until: number }>();

  const fetchPrices = async (types: ReadonlyArray<string>): Promise<SpotPrice[]> => {
    const prices: SpotPrice[] = [];
    let pages = 0;
    const input = {
      InstanceTypes: [...types] as never[],
      ProductDescriptions: [PRODUCT],
      StartTime: new Date(options.now()),
      MaxResults: 100,
    };
    for await (const page of paginateDescribeSpotPriceHistory({ client: options.client }, input)) {
      prices.push(...(page.SpotPriceHistory ?? []));
      pages += 1;
      if (pages >= MAX_PAGES) break;
    }

    return prices;
  };

  return async (types) => {
    const grouped = typesByArch(types);
    // One arch among the candidates: nothing to compare (and nothing to ask EC2).
    if (grouped.amd64.length === 0) return 'arm64';
    if (grouped.arm64.length === 0) return 'amd64';
    const arm64 = grouped.arm64.slice(0, PRICED_TYPES_PER_ARCH);
    const amd64 = grouped.amd64.slice(0, PRICED_TYPES_PER_ARCH);
    const key = [...arm64, '|', ...amd64].join(',');
    const now = options.now();
    const cached = cache.get(key);
    if (cached !== undefined && cached.until > now) return cached.arch;

    const arch = await fetchPrices([...arm64, ...amd64]).then(
      (prices) => cheaperArch(averagePrice(prices, arm64), averagePrice(prices, amd64)),
      (e: unknown) => {
        options.logger?.warn({ error: errorMessage(e) }, 'spot prices unavailable; choosing arm64');
        return null;
      },
    );
    // A failed lookup is not cached: the next launch asks again.
    if (arch === null) return 'arm64';
    cache.set(key, { arch, until: now + ttlMs });

    return arch;
  };
};
