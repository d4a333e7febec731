import type { LaunchErrorClass } from '../../domain/events/machine-events.js';

/** EC2 error codes (from `output.Errors` of CreateFleet, or a thrown SDK error's name) to the domain's classes. */

const CAPACITY_CODES = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientReservedInstancesCapacity',
  'InsufficientHostCapacity',
  'InsufficientFreeAddressesInSubnet',
  'UnfulfillableCapacity',
  'Unsupported',
  'SpotMaxPriceTooLow',
  'MaxSpotInstanceCountExceeded',
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
]);
const THROTTLING_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
]);
const UNAUTHORIZED_CODES = new Set([
  'UnauthorizedOperation',
  'AuthFailure',
  'AccessDenied',
  'AccessDeniedException',
  'Blocked',
  'OptInRequired',
  'PendingVerification',
]);
const INVALID_PREFIXES = ['InvalidParameter', 'InvalidLaunchTemplate', 'Invalid', 'MissingParameter'];

/**
 * `not-found` is what an EC2 error says of a resource that does not exist (`InvalidInstanceID.NotFound`,
 * `InvalidLaunchTemplateName.NotFoundException`, `InvalidSubnetID.NotFound`, ...): for an instance we act on, it means
 * the instance is gone (done); for a launch it means the configuration names something missing, which no retry fixes.
 */
export type Ec2ErrorClass = LaunchErrorClass | 'not-found';

const isNotFound = (code: string): boolean => /\.NotFound(Exception)?$|NotFound$/.test(code);

export const classifyEc2Error = (code: string | undefined, message = ''): Ec2ErrorClass => {
  const c = code ?? '';
  if (CAPACITY_CODES.has(c) || /insufficient capacity/i.test(message)) return 'capacity';
  if (THROTTLING_CODES.has(c)) return 'throttled';
  if (UNAUTHORIZED_CODES.has(c)) return 'unauthorized';
  if (isNotFound(c)) return 'not-found';
  if (c === 'IdempotentParameterMismatch' || INVALID_PREFIXES.some((p) => c.startsWith(p))) return 'invalid';

  return 'unknown';
};

/** For a launch, a missing resource (template, subnet) is a configuration error: `invalid`, failed visibly. */
export const classifyErrorCode = (code: string | undefined, message = ''): LaunchErrorClass => {
  const c = classifyEc2Error(code, message);

  return c === 'not-found' ? 'invalid' : c;
};

/** Of several override errors, the class that decides what happens next: a hopeless one wins over capacity. */
const PRECEDENCE: ReadonlyArray<LaunchErrorClass> = ['unauthorized', 'invalid', 'throttled', 'capacity', 'unknown'];

export const worstClass = (classes: ReadonlyArray<LaunchErrorClass>): LaunchErrorClass =>
  PRECEDENCE.find((c) => classes.includes(c)) ?? 'unknown';

/** An AWS service error (it carries `$metadata`), as opposed to a network or programming error. */
export const isServiceError = (e: unknown): e is Error & { readonly $metadata: object } =>
  e instanceof Error && typeof (e as { $metadata?: unknown }).$metadata === 'object';

export const errorMessage = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
