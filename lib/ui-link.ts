// Where a rollout is in the Temporal Web UI: one link for the CLI, the Slack bot and the Slack
// notifications, in the rollout's own namespace.
export function rolloutUiLink(uiUrl: string | undefined, namespace: string, rolloutId: string): string | undefined {
  if (!uiUrl) return undefined;
  return `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(rolloutId)}`;
}
