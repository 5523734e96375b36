import type { CallFilter, CallRecord } from './types.js';

/** Every request the emulator received, in arrival order, so tests can count what Twilio saw. */
export class CallLog {
  private readonly records: CallRecord[] = [];

  /** Adds a record and returns it, so its status can be filled in when the answer goes out. */
  add(record: CallRecord): CallRecord {
    this.records.push(record);
    return record;
  }

  list(filter: CallFilter = {}): CallRecord[] {
    return this.records
      .filter((r) => filter.operation === undefined || r.operation === filter.operation)
      .filter((r) => filter.source === undefined || r.source === filter.source)
      .map((r) => ({ ...r, params: structuredClone(r.params) }));
  }

  clear(): void {
    this.records.length = 0;
  }
}
