// Reading rollouts' Temporal histories, for what is answered from them rather than from a worker
// (the audit trail, the rollout report): event times, payloads decoded with the client's own
// converter, and every run of a rollout (continue-as-new starts new ones).
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
export type Payloads = temporal.api.common.v1.IPayloads | null | undefined;
export type PayloadDecoder = <T>(payloads: Payloads) => T | undefined;

export function eventTime(event: HistoryEvent): string {
  const time = event.eventTime;
  const seconds = time?.seconds ?? 0;
  const ms = (typeof seconds === 'number' ? seconds : seconds.toNumber()) * 1_000 + (time?.nanos ?? 0) / 1e6;
  return new Date(ms).toISOString();
}

/** Decodes the first payload of a list with the client's payload converter. */
export function payloadDecoder(client: Client): PayloadDecoder {
  const converter = client.options.loadedDataConverter.payloadConverter;
  return <T>(payloads: Payloads): T | undefined => {
    const first = payloads?.payloads?.[0];
    return first ? converter.fromPayload<T>(first) : undefined;
  };
}

export interface RunRef {
  workflowId: string;
  runId: string;
  startTime: Date;
}

/** The runs a visibility query finds, oldest first. */
export async function listRuns(client: Client, query: string): Promise<RunRef[]> {
  const runs: RunRef[] = [];
  for await (const execution of client.workflow.list({ query }))
    runs.push({ workflowId: execution.workflowId, runId: execution.runId, startTime: execution.startTime });
  return runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
}

/** A run's events; without a run id, the latest run's. */
export async function runHistory(client: Client, run: { workflowId: string; runId?: string }): Promise<HistoryEvent[]> {
  const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
  return history.events ?? [];
}
