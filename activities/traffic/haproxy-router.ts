// TrafficRouter over HAProxy's runtime API (the stats socket, `stats socket ... level admin`).
// Weights are set live with `set server <backend>/<server> weight N`; HAProxy itself has no
// request mirroring, so plans on HAProxy run without a shadow stage (the plan check says so).
import { connect } from 'node:net';
import { ApplicationFailure } from '@temporalio/activity';
import type { RouterConfig, TrafficState } from '../contract';
import type { ResolvedBackend, RolloutMarker, TrafficRouter } from './traffic-router';
import { FailureType } from '../../workflows/failure-types';

type HaproxyConfig = Extract<RouterConfig, { kind: 'haproxy' }>;
const COMMAND_TIMEOUT_MS = 5_000;

/** Sends one command to the runtime API and returns its answer. */
export function haproxyCommand(socket: string, command: string): Promise<string> {
  const hostPort = /^([^/:]+):(\d+)$/.exec(socket);
  return new Promise((resolve, reject) => {
    const connection = hostPort ? connect(Number(hostPort[2]), hostPort[1]) : connect(socket);
    let answer = '';
    connection.setTimeout(COMMAND_TIMEOUT_MS, () =>
      connection.destroy(new Error(`HAProxy runtime API at ${socket} timed out on "${command}"`)),
    );
    connection.on('connect', () => connection.end(`${command}\n`));
    connection.on('data', (chunk) => (answer += chunk.toString('utf8')));
    connection.on('error', (error) => reject(new Error(`HAProxy runtime API at ${socket}: ${error.message}`)));
    connection.on('close', () => resolve(answer.trim()));
  });
}

export class HaproxyRouter implements TrafficRouter {
  constructor(private readonly config: HaproxyConfig) {}

  async defineBackends(_baseline: ResolvedBackend, _candidate: ResolvedBackend): Promise<TrafficState> {
    // Servers live in HAProxy's own config; we only check both are there.
    return this.read();
  }

  async setWeights(weights: TrafficState['weights']): Promise<TrafficState> {
    const { haproxyBackend, baselineServer, candidateServer } = this.config;
    // Raise the side that gains traffic first, then lower the other. The mix in between then lies
    // between the old and the new one, and the backend never has every server at weight 0 (which
    // HAProxy answers with 503 for all traffic): lowering first would do exactly that on a move
    // from 100/0 to 0/100, such as putting traffic back on the baseline after the cutover.
    const current = await this.read();
    const order: Array<[string, number]> = [
      [candidateServer, weights.candidate],
      [baselineServer, weights.baseline],
    ];
    if (weights.baseline > current.weights.baseline) order.reverse();
    for (const [server, weight] of order) {
      // A server a previous rollout retired sits in maintenance, where weight alone sends it nothing.
      if (weight > 0) await this.run(`set server ${haproxyBackend}/${server} state ready`);
      await this.run(`set server ${haproxyBackend}/${server} weight ${weight}`);
    }
    return this.read();
  }

  async setShadow(shadow: TrafficState['shadow']): Promise<TrafficState> {
    if (shadow.enabled) {
      throw ApplicationFailure.nonRetryable(
        'HAProxy has no request mirroring: disable stages.shadow, or route through the llm-rollout gateway',
        FailureType.InvalidRouterConfig,
      );
    }
    return this.read();
  }

  async read(): Promise<TrafficState> {
    const { haproxyBackend, baselineServer, candidateServer } = this.config;
    const weightOf = async (server: string) => {
      const answer = await this.run(`get weight ${haproxyBackend}/${server}`);
      const match = /^(\d+)/.exec(answer);
      if (!match)
        throw ApplicationFailure.nonRetryable(
          `HAProxy has no server ${haproxyBackend}/${server}: ${answer}`,
          FailureType.InvalidRouterConfig,
        );
      return Number(match[1]);
    };
    return {
      weights: { baseline: await weightOf(baselineServer), candidate: await weightOf(candidateServer) },
      shadow: { enabled: false, target: null, share: 0 },
      backends: ['baseline', 'candidate'],
    };
  }

  async retireBaseline(_candidate: ResolvedBackend): Promise<TrafficState> {
    const { haproxyBackend, baselineServer } = this.config;
    await this.run(`set server ${haproxyBackend}/${baselineServer} weight 0`);
    await this.run(`set server ${haproxyBackend}/${baselineServer} state maint`);
    return this.read();
  }

  /** HAProxy has nowhere to keep a marker: dashboards over HAProxy take stages from the rollout's own timeline. */
  async markRollout(_marker: RolloutMarker): Promise<TrafficState> {
    return this.read();
  }

  private async run(command: string): Promise<string> {
    const answer = await haproxyCommand(this.config.statsSocket, command);
    // A `set` command answers nothing when it worked; any answer is a refusal ("Permission
    // denied", "Absolute weight can only be between 0 and 256 inclusive.", "No such server.", …).
    if (/^(No such|Unknown|Require|Invalid)/i.test(answer) || (command.startsWith('set ') && answer !== '')) {
      throw ApplicationFailure.nonRetryable(`HAProxy refused "${command}": ${answer}`, FailureType.InvalidRouterConfig);
    }
    return answer;
  }
}
