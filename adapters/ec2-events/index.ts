export { createEc2EventsPoller } from './ec2-events-poller.js';
export type { Ec2EventsLogger, Ec2EventsOptions, Ec2EventsPoller, PollSummary } from './ec2-events-poller.js';
export { parseEc2Event, REBALANCE, SPOT_INTERRUPTION, STATE_CHANGE, TERMINATED_REASON } from './eventbridge-events.js';
export type { ParsedEvent } from './eventbridge-events.js';
