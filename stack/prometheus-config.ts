// prometheus.yml for an embedded Prometheus: static targets grouped into one scrape job each, rule
// evaluation at the scrape interval (so alerts react as fast as data arrives), optional Alertmanager.
import { isAbsolute, resolve } from 'node:path';
import { stringify } from 'yaml';

export interface ScrapeTarget {
  job: string;
  /** host:port */
  target: string;
  metricsPath?: string;
}

export interface PrometheusConfigInput {
  scrapeIntervalSeconds: number;
  targets: ScrapeTarget[];
  ruleFiles?: string[];
  alertmanagerUrl?: string;
}

export function buildPrometheusConfig(input: PrometheusConfigInput): string {
  const interval = `${input.scrapeIntervalSeconds}s`;
  const jobs = new Map<string, { metricsPath: string; targets: string[] }>();
  for (const { job, target, metricsPath = '/metrics' } of input.targets) {
    if (!/^[^\s/]+:\d+$/.test(target))
      throw new Error(`scrape target for job ${job} must be host:port, got ${JSON.stringify(target)}`);
    const existing = jobs.get(job);
    if (existing === undefined) {
      jobs.set(job, { metricsPath, targets: [target] });
    } else if (existing.metricsPath !== metricsPath) {
      // Prometheus has one metrics_path per job; two would silently scrape the wrong path.
      throw new Error(`job ${job} has targets with different metrics paths (${existing.metricsPath}, ${metricsPath})`);
    } else {
      existing.targets.push(target);
    }
  }

  const config: Record<string, unknown> = {
    global: {
      scrape_interval: interval,
      // Must not exceed the interval; Prometheus's own default (10 s) would be rejected at 1 s.
      scrape_timeout: interval,
      evaluation_interval: interval,
    },
    scrape_configs: [...jobs].map(([job, { metricsPath, targets }]) => ({
      job_name: job,
      metrics_path: metricsPath,
      static_configs: [{ targets }],
    })),
  };
  if (input.ruleFiles?.length) {
    // Relative rule paths would resolve against the generated config's directory, not the caller's.
    config.rule_files = input.ruleFiles.map((file) => (isAbsolute(file) ? file : resolve(file)));
  }
  if (input.alertmanagerUrl) {
    const url = new URL(input.alertmanagerUrl);
    config.alerting = {
      alertmanagers: [
        {
          scheme: url.protocol.replace(':', ''),
          path_prefix: url.pathname,
          static_configs: [{ targets: [url.host] }],
        },
      ],
    };
  }
  return stringify(config);
}
