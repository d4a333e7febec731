export {
  JsonlLineError,
  JsonlReadOnlyError,
  openJsonlEventStore,
  parseJsonlLine,
  readJsonlLines,
  readLineBatches,
  type JsonlEventStore,
  type JsonlLine,
  type LineBatch,
} from './jsonl-event-store.js';
export { isIsoTime, isoTimeMillis } from './iso-time.js';
