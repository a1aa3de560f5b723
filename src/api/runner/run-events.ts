import { EventEmitter } from 'node:events';
import type { OrgScanStatus } from '../../store/schema.js';

/** Live counters of a running scan, as the runner sees them between store commits. */
export interface LiveProgress {
  readonly phase: string;
  readonly done: number;
  readonly planned: number;
  readonly sent: number;
  readonly openFound: number;
}

interface RunEventBase {
  readonly orgId: string;
  readonly assessmentId: string;
  readonly scanId: string;
  readonly at: string;
}

export type RunEvent =
  | (RunEventBase & { readonly type: 'run.started'; readonly origin: 'manual' | 'schedule' })
  | (RunEventBase & { readonly type: 'run.progress'; readonly progress: LiveProgress })
  | (RunEventBase & { readonly type: 'run.finished'; readonly status: OrgScanStatus; readonly error: string | null; readonly openFound: number; readonly zone: string | null; readonly tags: readonly string[] });

/**
 * In-process fan-out of run events to SSE streams and the notifier. Listeners are called
 * synchronously and must not throw; a slow consumer buffers on its own side.
 */
export class RunEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  publish(event: RunEvent): void {
    this.#emitter.emit('event', event);
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: (event: RunEvent) => void): () => void {
    const safe = (e: RunEvent): void => {
      try {
        listener(e);
      } catch {
        // A broken listener must not stop the others or the runner.
      }
    };
    this.#emitter.on('event', safe);
    return () => this.#emitter.off('event', safe);
  }
}
