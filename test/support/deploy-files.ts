// The configuration files that docker-compose.yml mounts and the tests load too, so a deployment
// runs what the tests ran (test/unit/docker-compose.test.ts checks that the compose file mounts these).
import { fileURLToPath } from 'node:url';

const repoFile = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

export const REPO_ROOT = repoFile('');
/** The rollout's Prometheus alert rules (test/integration/incident-rollback.test.ts runs them). */
export const ALERT_RULES_FILE = repoFile('docker/prometheus/rules.yml');
export const PROMETHEUS_CONFIG_FILE = repoFile('docker/prometheus/prometheus.yml');
export const ALERTMANAGER_CONFIG_FILE = repoFile('docker/alertmanager/alertmanager.yml');
/** The Grafana route dashboard (test/integration/grafana-dashboard.test.ts runs its queries). */
export const DASHBOARD_FILE = repoFile('dashboards/llm-rollout.json');
