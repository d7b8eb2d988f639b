/** FaultCommon holds what every fault shares: how often it fires and which paths it applies to. */
interface FaultCommon {
  /** times is how many matching requests the fault affects; default 1, `Infinity` = persistent. */
  times?: number;
  /** path restricts the fault to requests whose path starts with this prefix. */
  path?: string;
}

/** StatusFault answers with an error status instead of calling the handler. */
export interface StatusFault extends FaultCommon {
  kind: 'status';
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/** ResetFault destroys the socket without writing a response. */
export interface ResetFault extends FaultCommon {
  kind: 'reset';
}

/** DelayFault holds the request for `ms` and then lets the handler answer normally. */
export interface DelayFault extends FaultCommon {
  kind: 'delay';
  ms: number;
}

/** MalformedFault runs the handler but sends 200 with its body truncated, keeping its content type. */
export interface MalformedFault extends FaultCommon {
  kind: 'malformed';
}

/** ContentTypeFault answers 200 with an HTML page in the given content type, like a captive proxy. */
export interface ContentTypeFault extends FaultCommon {
  kind: 'content-type';
  contentType: string;
}

/** Fault is one injected failure; see each member for its effect. */
export type Fault = StatusFault | ResetFault | DelayFault | MalformedFault | ContentTypeFault;

/** FaultQueue holds pending faults; the server consults it before the handler on every request. */
export interface FaultQueue {
  add(fault: Fault): void;
  clear(): void;
  /** pending lists faults that can still fire (for assertions and debugging). */
  pending(): Fault[];
  /** take returns the first fault matching `path` and consumes one of its `times`. */
  take(path: string): Fault | undefined;
}

interface Slot {
  fault: Fault;
  remaining: number;
}

/** createFaultQueue returns an empty FaultQueue; faults fire in the order they were added. */
export function createFaultQueue(): FaultQueue {
  let slots: Slot[] = [];
  return {
    add(fault) {
      const remaining = fault.times ?? 1;
      if (!(remaining > 0)) throw new TypeError('FaultQueue.add: times must be positive');
      if (fault.kind === 'delay' && !(fault.ms >= 0))
        throw new TypeError('FaultQueue.add: delay ms must be >= 0');
      slots.push({ fault, remaining });
    },
    clear() {
      slots = [];
    },
    pending() {
      return slots.map((s) => s.fault);
    },
    take(path) {
      const slot = slots.find((s) => s.fault.path === undefined || path.startsWith(s.fault.path));
      if (!slot) return undefined;
      slot.remaining -= 1;
      if (slot.remaining <= 0) slots = slots.filter((s) => s !== slot);
      return slot.fault;
    },
  };
}
