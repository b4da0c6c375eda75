/** Ports of the operations reads (opsApi: `GET /v1/queues`, `GET /v1/connections`). */

/** One work queue's depth and its dead-letter queue's (approximate, as SQS reports them). */
export interface QueueDepth {
  readonly queue: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly dlqVisible: number | null;
}

export interface QueueDepthReader {
  /** Depths of the work queues this function was given, in declaration order. */
  depths(): Promise<QueueDepth[]>;
}

/** The last request a connection accepted or refused for a workspace. */
export interface ConnectionEvent {
  readonly at: string;
  readonly status: number;
  readonly reason?: string;
}

export interface ConnectionLastSeen {
  readonly accepted?: ConnectionEvent;
  readonly refused?: ConnectionEvent;
}

export interface ConnectionLogReader {
  /** The last accepted and refused request of each of `connections` (absent: none recorded). */
  lastSeen(workspaceId: string, connections: readonly string[]): Promise<Readonly<Record<string, ConnectionLastSeen>>>;
}

export interface ConnectionRecorder {
  /** Remembers a request's outcome as the connection's last accepted or refused one (sampled per process). */
  record(workspaceId: string, connection: string, outcome: 'accepted' | 'refused', event: { readonly atMs: number; readonly status: number; readonly reason?: string }): Promise<void>;
}
