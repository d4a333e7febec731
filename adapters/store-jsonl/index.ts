export {
  JsonlLineError,
  JsonlReadOnlyError,
  openJsonlEventStore,
  parseJsonlLine,
  readJsonlLines,
  type JsonlEventStore,
  type JsonlLine,
} from './jsonl-event-store.js';
