// `npm run slack-bot`: the rollout Slack bot as its own process. Slack settings from SLACK_*
// variables (slack-bot/config.ts), Temporal from Temporal's environment configuration
// (client/temporal-config.ts: TEMPORAL_ADDRESS, TEMPORAL_PROFILE, TLS, API key), TEMPORAL_UI_URL
// or the running embedded stack. SIGINT/SIGTERM stop it.
import { connectTemporal, TemporalUnreachableError } from '../client/connection';
import { describeTemporal, TemporalConfigError } from '../client/temporal-config';
import { startRolloutBot } from './bot';
import { ConfigError, slackBotConfig } from './config';

async function main(): Promise<void> {
  const config = slackBotConfig();
  const { client, config: temporal, close } = await connectTemporal();
  const bot = await startRolloutBot({
    temporal: client,
    namespace: temporal.namespace,
    temporalUiUrl: temporal.uiUrl,
    botToken: config.botToken,
    mode: config.mode,
    signingSecret: config.signingSecret,
    appToken: config.appToken,
    slackApiUrl: config.slackApiUrl,
    host: config.host,
    port: config.port,
    path: config.path,
    command: config.command,
    logLevel: config.logLevel,
  });
  console.log(
    config.mode === 'http'
      ? `rollout Slack bot: request URL ${bot.url} (Temporal ${describeTemporal(temporal)})`
      : `rollout Slack bot connected in Socket Mode (Temporal ${describeTemporal(temporal)})`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await bot.stop();
  await close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(
      error instanceof ConfigError || error instanceof TemporalUnreachableError || error instanceof TemporalConfigError
        ? error.message
        : error,
    );
    process.exit(1);
  },
);
